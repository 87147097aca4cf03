"""Sampled estimates of the KL term: reparameterisation, variance, Schulman's estimators: the closed form derived by kl-derive, as a NumPy function."""

import numpy as np


def kl_divergence(mu, sigma):
    """Sampled estimates of the KL term: reparameterisation, variance, Schulman's estimators.

    q = N(mu, sigma**2), p = N(0, 1); mu real, sigma > 0.
    Derived step by step and checked by kl-derive (2 of 2 steps verified):

        KL(q || p) = mu**2/2 + sigma**2/2 - log(sigma**2)/2 - 1/2

    Arguments are floats or NumPy arrays (broadcast elementwise).
    """
    return (1/2)*mu**2 + (1/2)*sigma**2 - 1/2*np.log(sigma**2) - 1/2
