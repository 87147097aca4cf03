"""KL divergence between two multivariate Gaussians: the closed form derived by kl-derive, as a PyTorch function."""

import torch


def kl_divergence(m, S):
    """KL divergence between two multivariate Gaussians.

    q = N(m, S), p = N(0, I); m a vector of length k, S a symmetric positive-definite k x k matrix.
    Derived step by step and checked by kl-derive (3 of 3 steps verified):

        KL(q || p) = -k/2 - log(Determinant(S))/2 + (m).T*I*(m)/2 + Trace(S)/2

    Arguments: m: tensors of shape (..., k); S: tensors of shape (..., k, k); k is the same for every argument (checked). Leading axes are a batch (broadcast); the result has the batch shape. A float is the same value in every coordinate. Differentiable.
    """
    m, S, _dim = _arrays(None, m=(m, "column"), S=(S, "matrix"))
    return -1/2*_dim - 1/2*torch.log(torch.linalg.det(S)) + (1/2)*((m).transpose(-1, -2) @ m)[..., 0, 0] + (1/2)*torch.diagonal(S, dim1=-2, dim2=-1).sum(-1)


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
