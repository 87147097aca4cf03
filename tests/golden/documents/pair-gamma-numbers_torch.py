"""KL divergence between two Gamma distributions: the closed form derived by kl-derive, as a PyTorch function."""

import math

import torch


def kl_divergence():
    """KL divergence between two Gamma distributions.

    q = Gamma(2, 3), p = Gamma(1, 1).
    Derived step by step and checked by kl-derive (9 of 9 steps verified):

        KL(q || p) = -EulerGamma - 1/3 + log(3)

    Arguments are tensors (broadcast elementwise; differentiable).
    """
    return -0.57721566490153286 - 1/3 + math.log(3)
