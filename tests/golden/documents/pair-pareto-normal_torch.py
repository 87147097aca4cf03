"""KL divergence of a Pareto distribution from a Gaussian distribution: the closed form derived by kl-derive, as a PyTorch function."""

import math

import torch


def kl_divergence(m, a, mu, s):
    """KL divergence of a Pareto distribution from a Gaussian distribution.

    q = Pareto(m, a), p = N(mu, s**2); m > 0, a > 0, mu real, s > 0, a > 2.
    Derived step by step and checked by kl-derive (8 of 8 steps verified):

        KL(q || p) = a*log(m) - (a + 1)*(log(m) + 1/a) + log(a) + log(2*pi*s**2)/2 + (a*m**2/((a - 2)*(a - 1)**2) + (a*m/(a - 1) - mu)**2)/(2*s**2)

    Arguments are tensors (broadcast elementwise; differentiable).
    """
    return torch.where((a > 2), a*torch.log(m) - (a + 1)*(torch.log(m) + 1/a) + torch.log(a) + (1/2)*torch.log(2*math.pi*s**2) + (1/2)*(a*m**2/((a - 2)*(a - 1)**2) + (a*m/(a - 1) - mu)**2)/s**2, math.inf)
