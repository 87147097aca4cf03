"""KL divergence between two multivariate Gaussians: the closed form derived by kl-derive, as a NumPy function."""

import numpy as np


def kl_divergence(mu_q, Sigma_q, mu_p, Sigma_p):
    """KL divergence between two multivariate Gaussians.

    q = N(mu_q, Sigma_q), p = N(mu_p, Sigma_p); mu_q a vector of length d, Sigma_q a symmetric positive-definite d x d matrix, mu_p a vector of length d, Sigma_p a symmetric positive-definite d x d matrix.
    Derived step by step and checked by kl-derive (13 of 13 steps verified):

        KL(q || p) = -d/2 + log(Determinant(Sigma_p)/Determinant(Sigma_q))/2 + (mu_p - mu_q).T*Sigma_p**(-1)*(mu_p - mu_q)/2 + Trace(Sigma_p**(-1)*Sigma_q)/2

    Arguments: mu_q, mu_p: arrays of shape (..., d); Sigma_q, Sigma_p: arrays of shape (..., d, d); d is the same for every argument (checked). Leading axes are a batch (broadcast); the result has the batch shape. A float is the same value in every coordinate.
    """
    mu_q, Sigma_q, mu_p, Sigma_p, _dim = _arrays(None, mu_q=(mu_q, "column"), Sigma_q=(Sigma_q, "matrix"), mu_p=(mu_p, "column"), Sigma_p=(Sigma_p, "matrix"))
    return -1/2*_dim + (1/2)*np.log(np.linalg.det(Sigma_p)/np.linalg.det(Sigma_q)) + (1/2)*(np.swapaxes(mu_p - (mu_q), -1, -2) @ np.linalg.inv(Sigma_p) @ (mu_p - (mu_q)))[..., 0, 0] + (1/2)*np.trace(np.linalg.inv(Sigma_p) @ Sigma_q, axis1=-2, axis2=-1)


def _arrays(size, **arguments):
    """The arguments as float arrays, their dimension checked; and the dimension.

    Each argument is ``(value, kind)``: a ``vector`` has the coordinates on its last axis (a float is the
    same value in every coordinate), a ``column`` is a vector returned as a column, shape (..., d, 1), for
    matrix products, a ``matrix`` has shape (..., d, d). ``size`` is the dimension the function is for, or
    None: then the arguments must agree on it (1 if every one is a float).
    """
    arrays, source = {}, None
    for name, (value, kind) in arguments.items():
        array = np.asarray(value)
        if not np.issubdtype(array.dtype, np.floating):
            array = array.astype(float)
        if kind == "matrix" and (array.ndim < 2 or array.shape[-1] != array.shape[-2]):
            raise ValueError(f"kl_divergence: {name} must be an array of shape (..., d, d), not {array.shape}")
        if array.ndim > 0:
            found = array.shape[-1]
            if size is None:
                size, source = found, name
            elif found != size:
                expected = f"{size}, as {source} has" if source else f"{size}, the dimension it was derived for"
                raise ValueError(f"kl_divergence: {name} has {found} coordinates on its last axis; expected {expected}")
        arrays[name] = (array, kind)
    size = 1 if size is None else size
    out = []
    for array, kind in arrays.values():
        if array.ndim == 0:
            array = np.broadcast_to(array, (size,))
        out.append(array[..., None] if kind == "column" else array)
    return (*out, size)
