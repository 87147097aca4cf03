"""KL divergence between two univariate Gaussians: the closed form derived by kl-derive, as a PyTorch function."""

import torch


def kl_divergence(mu_q, sigma_q, mu_p, sigma_p):
    """KL divergence between two univariate Gaussians.

    q = N(mu_q, sigma_q**2), p = N(mu_p, sigma_p**2); mu_q real, sigma_q > 0, mu_p real, sigma_p > 0.
    Derived step by step and checked by kl-derive (9 of 9 steps verified):

        KL(q || p) = log(sigma_p/sigma_q) - 1/2 + (sigma_q**2 + (-mu_p + mu_q)**2)/(2*sigma_p**2)

    Arguments are tensors (broadcast elementwise; differentiable).
    """
    return torch.log(sigma_p/sigma_q) - 1/2 + (1/2)*(sigma_q**2 + (-mu_p + mu_q)**2)/sigma_p**2
