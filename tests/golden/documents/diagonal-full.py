"""KL divergence of a diagonal Gaussian from the standard normal: the closed form derived by kl-derive, as a NumPy function."""

import numpy as np


def kl_divergence(mu, sigma):
    """KL divergence of a diagonal Gaussian from the standard normal.

    q = N(mu, diag(sigma[1]**2, ..., sigma[d]**2)), p = N(0, I); mu an array of real entries (coordinates on the last axis), sigma an array of positive entries (coordinates on the last axis).
    Derived step by step and checked by kl-derive (9 of 9 steps verified):

        KL(q || p) = -Sum(log(sigma[j]**2) - mu[j]**2 - sigma[j]**2 + 1, (j, 1, d))/2

    Arguments: mu, sigma: arrays of shape (..., d); d is the same for every argument (checked). Leading axes are a batch (broadcast); the result has the batch shape. A float is the same value in every coordinate.
    """
    mu, sigma, _ = _arrays(None, mu=(mu, "vector"), sigma=(sigma, "vector"))
    return -1/2*np.sum(np.log(sigma**2) - mu**2 - sigma**2 + 1, axis=-1)


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
