"""KL divergence between two Dirichlet distributions: the closed form derived by kl-derive, as a PyTorch function."""

import torch


def kl_divergence(a, b):
    """KL divergence between two Dirichlet distributions.

    q = Dirichlet(a, K), p = Dirichlet(b, K); a an array of positive entries (coordinates on the last axis), b an array of positive entries (coordinates on the last axis).
    Derived step by step and checked by kl-derive (7 of 7 steps verified):

        KL(q || p) = log(gamma(Sum(a[j], (j, 1, K)))) - log(gamma(Sum(b[j], (j, 1, K)))) + Sum((polygamma(0, a[k]) - polygamma(0, Sum(a[j], (j, 1, K))))*(a[k] - b[k]), (k, 1, K)) - Sum(log(gamma(a[k])), (k, 1, K)) + Sum(log(gamma(b[k])), (k, 1, K))

    Arguments: a, b: tensors of shape (..., K); K is the same for every argument (checked). Leading axes are a batch (broadcast); the result has the batch shape. A float is the same value in every coordinate. Differentiable.
    """
    a, b, _ = _arrays(None, a=(a, "vector"), b=(b, "vector"))
    return torch.lgamma(torch.sum(a, dim=-1)) - torch.lgamma(torch.sum(b, dim=-1)) + torch.sum((torch.digamma(a) - torch.digamma(torch.sum(a, dim=-1, keepdim=True)))*(a - b), dim=-1) - torch.sum(torch.lgamma(a), dim=-1) + torch.sum(torch.lgamma(b), dim=-1)


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
