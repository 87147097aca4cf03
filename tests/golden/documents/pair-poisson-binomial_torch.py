"""KL divergence of a Poisson distribution from a binomial distribution: the closed form derived by kl-derive, as a PyTorch function."""

import math

import torch


def kl_divergence(a, n, l):
    """KL divergence of a Poisson distribution from a binomial distribution.

    q = Poisson(a), p = Binomial(n, 1/(1 + exp(-l))); a > 0, n a positive integer, l real.
    Derived step by step and checked by kl-derive (2 of 2 steps verified):

        KL(q || p) = inf

    Arguments are tensors (broadcast elementwise; differentiable).
    """
    return torch.full(torch.broadcast_shapes(torch.as_tensor(a).shape, torch.as_tensor(n).shape, torch.as_tensor(l).shape), math.inf, dtype=torch.get_default_dtype())
