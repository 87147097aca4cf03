"""KL divergence between two half-normal distributions: the closed form derived by kl-derive, as a PyTorch function."""

import torch


def kl_divergence(s1, s2):
    """KL divergence between two half-normal distributions.

    q = HalfNormal(s1), p = HalfNormal(s2); s1 > 0, s2 > 0.
    Derived step by step and checked by kl-derive (8 of 8 steps verified):

        KL(q || p) = s1**2/(2*s2**2) + log(s2/s1) - 1/2

    Arguments are tensors (broadcast elementwise; differentiable).
    """
    return (1/2)*s1**2/s2**2 + torch.log(s2/s1) - 1/2
