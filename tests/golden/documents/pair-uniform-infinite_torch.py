"""KL divergence between two uniform distributions: the closed form derived by kl-derive, as a PyTorch function."""

import math

import torch


def kl_divergence():
    """KL divergence between two uniform distributions.

    q = Uniform(0, 2), p = Uniform(0, 1).
    Derived step by step and checked by kl-derive (2 of 2 steps verified):

        KL(q || p) = inf

    Arguments are tensors (broadcast elementwise; differentiable).
    """
    return math.inf
