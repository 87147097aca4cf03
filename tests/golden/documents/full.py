"""KL divergence between two multivariate Gaussians: the closed form derived by kl-derive, as a NumPy function."""

import numpy as np


def kl_divergence(mu1, Sigma1, mu2, Sigma2):
    """KL divergence between two multivariate Gaussians.

    q = N(mu1, Sigma1), p = N(mu2, Sigma2); mu1 a vector of length k, Sigma1 a symmetric positive-definite k x k matrix, mu2 a vector of length k, Sigma2 a symmetric positive-definite k x k matrix.
    Derived step by step and checked by kl-derive (13 of 13 steps verified):

        KL(q || p) = -k/2 + log(Determinant(Sigma2)/Determinant(Sigma1))/2 + (-mu1 + mu2).T*Sigma2**(-1)*(-mu1 + mu2)/2 + Trace(Sigma2**(-1)*Sigma1)/2

    Arguments: mu1, mu2: arrays of shape (..., k); Sigma1, Sigma2: arrays of shape (..., k, k); k is the same for every argument (checked). Leading axes are a batch (broadcast); the result has the batch shape. A float is the same value in every coordinate.
    """
    mu1, Sigma1, mu2, Sigma2, _dim = _arrays(None, mu1=(mu1, "column"), Sigma1=(Sigma1, "matrix"), mu2=(mu2, "column"), Sigma2=(Sigma2, "matrix"))
    return -1/2*_dim + (1/2)*np.log(np.linalg.det(Sigma2)/np.linalg.det(Sigma1)) + (1/2)*(np.swapaxes(mu2 - (mu1), -1, -2) @ np.linalg.inv(Sigma2) @ (mu2 - (mu1)))[..., 0, 0] + (1/2)*np.trace(np.linalg.inv(Sigma2) @ Sigma1, axis1=-2, axis2=-1)


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
