"""KL divergence between two univariate Gaussians: the closed form derived by kl-derive, as a PyTorch function."""

import torch


def kl_divergence(mu1, sigma1, mu2, sigma2):
    """KL divergence between two univariate Gaussians.

    q = N(mu1, sigma1**2), p = N(mu2, sigma2**2); mu1 real, sigma1 > 0, mu2 real, sigma2 > 0.
    Derived step by step and checked by kl-derive (9 of 9 steps verified):

        KL(q || p) = log(sigma2/sigma1) - 1/2 + (sigma1**2 + (mu1 - mu2)**2)/(2*sigma2**2)

    Arguments are tensors (broadcast elementwise; differentiable).
    """
    return torch.log(sigma2/sigma1) - 1/2 + (1/2)*(sigma1**2 + (mu1 - mu2)**2)/sigma2**2
