"""KL divergence between two uniform distributions: the closed form derived by kl-derive, as a PyTorch function."""

import math

import torch


def kl_divergence(a1, b1, a2, b2):
    """KL divergence between two uniform distributions.

    q = Uniform(a1, b1), p = Uniform(a2, b2); a1 real, b1 real, a2 real, b2 real, a1 < b1, a2 < b2, a2 <= a1, b1 <= b2.
    Derived step by step and checked by kl-derive (6 of 6 steps verified):

        KL(q || p) = log((-a2 + b2)/(-a1 + b1))

    Arguments are tensors (broadcast elementwise; differentiable).
    """
    return torch.where((a2 <= a1) & (b1 <= b2), torch.log((-a2 + b2)/(-a1 + b1)), math.inf)
