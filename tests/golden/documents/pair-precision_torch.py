"""KL divergence between two univariate Gaussians: the closed form derived by kl-derive, as a PyTorch function."""

import torch


def kl_divergence(m, t, u):
    """KL divergence between two univariate Gaussians.

    q = N(m, 1/t), p = N(1, 1/u); m real, t > 0, u > 0.
    Derived step by step and checked by kl-derive (12 of 12 steps verified):

        KL(q || p) = u*((m - 1)**2 + 1/t)/2 + log(t)/2 - log(u)/2 - 1/2

    Arguments are tensors (broadcast elementwise; differentiable).
    """
    return (1/2)*u*((m - 1)**2 + 1/t) + (1/2)*torch.log(t) - 1/2*torch.log(u) - 1/2
