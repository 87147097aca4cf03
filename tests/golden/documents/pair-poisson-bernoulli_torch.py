"""KL divergence of a Poisson distribution from a Bernoulli distribution: the closed form derived by kl-derive, as a PyTorch function."""

import math

import torch


def kl_divergence(a, b):
    """KL divergence of a Poisson distribution from a Bernoulli distribution.

    q = Poisson(a), p = Bernoulli(b); a > 0, 0 < b < 1.
    Derived step by step and checked by kl-derive (2 of 2 steps verified):

        KL(q || p) = inf

    Arguments are tensors (broadcast elementwise; differentiable).
    """
    return torch.full(torch.broadcast_shapes(torch.as_tensor(a).shape, torch.as_tensor(b).shape), math.inf, dtype=torch.get_default_dtype())
