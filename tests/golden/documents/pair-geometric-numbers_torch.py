"""KL divergence between two geometric distributions: the closed form derived by kl-derive, as a PyTorch function."""

import torch


def kl_divergence(a):
    """KL divergence between two geometric distributions.

    q = Geometric(a), p = Geometric(1/2); 0 < a < 1.
    Derived step by step and checked by kl-derive (7 of 7 steps verified):

        KL(q || p) = log(2*a) + (1 - a)*log(2 - 2*a)/a

    Arguments are tensors (broadcast elementwise; differentiable).
    """
    return torch.log(2*a) + (1 - a)*torch.log(2 - 2*a)/a
