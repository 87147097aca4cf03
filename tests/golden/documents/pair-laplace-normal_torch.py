"""KL divergence of a Laplace distribution from a Gaussian distribution: the closed form derived by kl-derive, as a PyTorch function."""

import math

import torch


def kl_divergence(m, b, mu, s):
    """KL divergence of a Laplace distribution from a Gaussian distribution.

    q = Laplace(m, b), p = N(mu, s**2); m real, b > 0, mu real, s > 0.
    Derived step by step and checked by kl-derive (9 of 9 steps verified):

        KL(q || p) = b**2/s**2 + log(s/b) - 1 - log(2/pi)/2 + (m - mu)**2/(2*s**2)

    Arguments are tensors (broadcast elementwise; differentiable).
    """
    return b**2/s**2 + torch.log(s/b) - 1 - 1/2*math.log(2/math.pi) + (1/2)*(m - mu)**2/s**2
