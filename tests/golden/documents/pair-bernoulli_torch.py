"""KL divergence between two Bernoulli distributions: the closed form derived by kl-derive, as a PyTorch function."""

import torch


def kl_divergence(a, b):
    """KL divergence between two Bernoulli distributions.

    q = Bernoulli(a), p = Bernoulli(b); 0 < a < 1, 0 < b < 1.
    Derived step by step and checked by kl-derive (3 of 3 steps verified):

        KL(q || p) = a*log(a/b) + (1 - a)*log((1 - a)/(1 - b))

    Arguments are tensors (broadcast elementwise; differentiable).
    """
    return a*torch.log(a/b) + (1 - a)*torch.log((1 - a)/(1 - b))
