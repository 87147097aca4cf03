"""KL divergence between two univariate Gaussians: the closed form derived by kl-derive, as a PyTorch function."""

import math

import torch


def kl_divergence():
    """KL divergence between two univariate Gaussians.

    q = N(1, 4), p = N(0, 1).
    Derived step by step and checked by kl-derive (11 of 11 steps verified):

        KL(q || p) = 2 - log(2)

    Arguments are tensors (broadcast elementwise; differentiable).
    """
    return 2 - math.log(2)
