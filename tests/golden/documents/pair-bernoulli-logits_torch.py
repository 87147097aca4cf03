"""KL divergence between two Bernoulli distributions: the closed form derived by kl-derive, as a PyTorch function."""

import torch


def kl_divergence(l1, l2):
    """KL divergence between two Bernoulli distributions.

    q = Bernoulli(1/(1 + exp(-l1))), p = Bernoulli(1/(1 + exp(-l2))); l1 real, l2 real.
    Derived step by step and checked by kl-derive (5 of 5 steps verified):

        KL(q || p) = -log(exp(l1) + 1) + log(exp(l2) + 1) + (l1 - l2)/(1 + exp(-l1))

    1/(1 + exp(-l1)) computed as exp(-logaddexp(0, -l1)) (checked equal)
    log(exp(l1) + 1) computed as logaddexp(0, l1) (checked equal)
    log(exp(l2) + 1) computed as logaddexp(0, l2) (checked equal)

    Arguments are tensors (broadcast elementwise; differentiable).
    """
    return (l1 - l2)*torch.exp(-torch.logaddexp(torch.zeros_like(-l1), -l1)) - torch.logaddexp(torch.zeros_like(l1), l1) + torch.logaddexp(torch.zeros_like(l2), l2)
