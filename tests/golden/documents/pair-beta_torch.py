"""KL divergence between two Beta distributions: the closed form derived by kl-derive, as a PyTorch function."""

import torch


def kl_divergence(a1, b1, a2, b2):
    """KL divergence between two Beta distributions.

    q = Beta(a1, b1), p = Beta(a2, b2); a1 > 0, b1 > 0, a2 > 0, b2 > 0.
    Derived step by step and checked by kl-derive (9 of 9 steps verified):

        KL(q || p) = (a1 - a2)*polygamma(0, a1) + (b1 - b2)*polygamma(0, b1) + (-a1 + a2 - b1 + b2)*polygamma(0, a1 + b1) + log(gamma(a2)*gamma(b2)*gamma(a1 + b1)/(gamma(a1)*gamma(b1)*gamma(a2 + b2)))

    Arguments are tensors (broadcast elementwise; differentiable).
    """
    return (a1 - a2)*torch.digamma(a1) + (b1 - b2)*torch.digamma(b1) + (-a1 + a2 - b1 + b2)*torch.digamma(a1 + b1) - torch.lgamma(a1) + torch.lgamma(a2) - torch.lgamma(b1) + torch.lgamma(b2) + torch.lgamma(a1 + b1) - torch.lgamma(a2 + b2)
