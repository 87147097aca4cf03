"""KL divergence of a diagonal Gaussian from the standard normal: the closed form derived by kl-derive, as a PyTorch function."""

import torch


def kl_divergence(mu, sigma):
    """KL divergence of a diagonal Gaussian from the standard normal.

    q = N(mu, diag(sigma[1]**2, ..., sigma[3]**2)), p = N(0, I); mu an array of real entries (coordinates on the last axis), sigma an array of positive entries (coordinates on the last axis).
    Derived step by step and checked by kl-derive (10 of 10 steps verified):

        KL(q || p) = -Sum(log(sigma[j]**2) - mu[j]**2 - sigma[j]**2 + 1, (j, 1, 3))/2

    Arguments: mu, sigma: tensors of shape (..., 3); d = 3 (checked). Leading axes are a batch (broadcast); the result has the batch shape. A float is the same value in every coordinate. Differentiable.
    """
    mu, sigma, _ = _arrays(3, mu=(mu, "vector"), sigma=(sigma, "vector"))
    return -1/2*torch.sum(torch.log(sigma**2) - mu**2 - sigma**2 + 1, dim=-1)


def _arrays(size, **arguments):
    """The arguments as floating-point tensors, their dimension checked; and the dimension.

    Each argument is ``(value, kind)``: a ``vector`` has the coordinates on its last axis (a float is the
    same value in every coordinate), a ``column`` is a vector returned as a column, shape (..., d, 1), for
    matrix products, a ``matrix`` has shape (..., d, d). ``size`` is the dimension the function is for, or
    None: then the arguments must agree on it (1 if every one is a float).
    """
    tensors, source = {}, None
    for name, (value, kind) in arguments.items():
        tensor = torch.as_tensor(value)
        if not tensor.is_floating_point():
            tensor = tensor.to(torch.get_default_dtype())
        if kind == "matrix" and (tensor.dim() < 2 or tensor.shape[-1] != tensor.shape[-2]):
            raise ValueError(f"kl_divergence: {name} must be a tensor of shape (..., d, d), not {tuple(tensor.shape)}")
        if tensor.dim() > 0:
            found = tensor.shape[-1]
            if size is None:
                size, source = found, name
            elif found != size:
                expected = f"{size}, as {source} has" if source else f"{size}, the dimension it was derived for"
                raise ValueError(f"kl_divergence: {name} has {found} coordinates on its last axis; expected {expected}")
        tensors[name] = (tensor, kind)
    size = 1 if size is None else size
    out = []
    for tensor, kind in tensors.values():
        if tensor.dim() == 0:
            tensor = tensor.expand(size)
        out.append(tensor.unsqueeze(-1) if kind == "column" else tensor)
    return (*out, size)
