"""KL divergence between two exponential distributions: the closed form derived by kl-derive, as a PyTorch function."""

import torch


def kl_divergence(s):
    """KL divergence between two exponential distributions.

    q = Exponential(1/s), p = Exponential(2); s > 0.
    Derived step by step and checked by kl-derive (8 of 8 steps verified):

        KL(q || p) = 2*s - log(2*s) - 1

    Arguments are tensors (broadcast elementwise; differentiable).
    """
    return 2*s - torch.log(2*s) - 1
