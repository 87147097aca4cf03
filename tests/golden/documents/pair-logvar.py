"""KL divergence between two univariate Gaussians: the closed form derived by kl-derive, as a NumPy function."""

import numpy as np


def kl_divergence(m, v):
    """KL divergence between two univariate Gaussians.

    q = N(m, exp(v)), p = N(0, 1); m real, v real.
    Derived step by step and checked by kl-derive (12 of 12 steps verified):

        KL(q || p) = m**2/2 - v/2 + exp(v)/2 - 1/2

    Arguments are floats or NumPy arrays (broadcast elementwise).
    """
    return (1/2)*m**2 - 1/2*v + (1/2)*np.exp(v) - 1/2
