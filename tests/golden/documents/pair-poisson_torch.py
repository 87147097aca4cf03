"""KL divergence between two Poisson distributions: the closed form derived by kl-derive, as a PyTorch function."""

import torch


def kl_divergence(a, b):
    """KL divergence between two Poisson distributions.

    q = Poisson(a), p = Poisson(b); a > 0, b > 0.
    Derived step by step and checked by kl-derive (7 of 7 steps verified):

        KL(q || p) = a*log(a/b) - a + b

    Arguments are tensors (broadcast elementwise; differentiable).
    """
    return a*torch.log(a/b) - a + b
