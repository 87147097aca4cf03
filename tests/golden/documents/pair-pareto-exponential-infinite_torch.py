"""KL divergence of a Pareto distribution from an exponential distribution: the closed form derived by kl-derive, as a PyTorch function."""

import math

import torch


def kl_divergence(m, l):
    """KL divergence of a Pareto distribution from an exponential distribution.

    q = Pareto(m, 1), p = Exponential(l); m > 0, l > 0.
    Derived step by step and checked by kl-derive (2 of 2 steps verified):

        KL(q || p) = inf

    Arguments are tensors (broadcast elementwise; differentiable).
    """
    return torch.full(torch.broadcast_shapes(torch.as_tensor(m).shape, torch.as_tensor(l).shape), math.inf, dtype=torch.get_default_dtype())
