"""KL divergence of a Bernoulli distribution from a Poisson distribution: the closed form derived by kl-derive, as a PyTorch function."""

import torch


def kl_divergence(a, b):
    """KL divergence of a Bernoulli distribution from a Poisson distribution.

    q = Bernoulli(a), p = Poisson(b); 0 < a < 1, b > 0.
    Derived step by step and checked by kl-derive (5 of 5 steps verified):

        KL(q || p) = a*log(a/b) + b + (1 - a)*log(1 - a)

    Arguments are tensors (broadcast elementwise; differentiable).
    """
    return a*torch.log(a/b) + b + (1 - a)*torch.log(1 - a)
