"""KL divergence between two Gamma distributions: the closed form derived by kl-derive, as a PyTorch function."""

import torch


def kl_divergence(a1, b1, a2, b2):
    """KL divergence between two Gamma distributions.

    q = Gamma(a1, b1), p = Gamma(a2, b2); a1 > 0, b1 > 0, a2 > 0, b2 > 0.
    Derived step by step and checked by kl-derive (9 of 9 steps verified):

        KL(q || p) = a1*(-b1 + b2)/b1 + a2*log(b1/b2) + (a1 - a2)*polygamma(0, a1) + log(gamma(a2)/gamma(a1))

    Arguments are tensors (broadcast elementwise; differentiable).
    """
    return a1*(-b1 + b2)/b1 + a2*torch.log(b1/b2) + (a1 - a2)*torch.digamma(a1) - torch.lgamma(a1) + torch.lgamma(a2)
