"""KL divergence between two Dirichlet distributions: the closed form derived by kl-derive, as a NumPy function."""

import numpy as np
from scipy import special


def kl_divergence(a, b):
    """KL divergence between two Dirichlet distributions.

    q = Dirichlet(a, K), p = Dirichlet(b, K); a an array of positive entries (coordinates on the last axis), b an array of positive entries (coordinates on the last axis).
    Derived step by step and checked by kl-derive (7 of 7 steps verified):

        KL(q || p) = log(gamma(Sum(a[j], (j, 1, K)))) - log(gamma(Sum(b[j], (j, 1, K)))) + Sum((polygamma(0, a[k]) - polygamma(0, Sum(a[j], (j, 1, K))))*(a[k] - b[k]), (k, 1, K)) - Sum(log(gamma(a[k])), (k, 1, K)) + Sum(log(gamma(b[k])), (k, 1, K))

    Arguments: a, b: arrays of shape (..., K); K is the same for every argument (checked). Leading axes are a batch (broadcast); the result has the batch shape. A float is the same value in every coordinate.
    """
    a, b, _ = _arrays(None, a=(a, "vector"), b=(b, "vector"))
    return special.gammaln(np.sum(a, axis=-1)) - special.gammaln(np.sum(b, axis=-1)) + np.sum((special.digamma(a) - special.digamma(np.sum(a, axis=-1, keepdims=True)))*(a - b), axis=-1) - np.sum(special.gammaln(a), axis=-1) + np.sum(special.gammaln(b), axis=-1)


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
