"""KL divergence between two univariate Gaussians: the closed form derived by kl-derive, as a NumPy function."""

import numpy as np


def kl_divergence(mu1, sigma1, mu2, sigma2):
    """KL divergence between two univariate Gaussians.

    q = N(mu1, sigma1**2), p = N(mu2, sigma2**2); mu1 real, sigma1 > 0, mu2 real, sigma2 > 0.
    Derived step by step and checked by kl-derive (9 of 9 steps verified):

        KL(q || p) = log(sigma2/sigma1) - 1/2 + (sigma1**2 + (mu1 - mu2)**2)/(2*sigma2**2)

    Arguments are floats or NumPy arrays (broadcast elementwise).
    """
    return np.log(sigma2/sigma1) - 1/2 + (1/2)*(sigma1**2 + (mu1 - mu2)**2)/sigma2**2
