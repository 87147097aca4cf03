"""KL divergence of a Poisson distribution from a binomial distribution: the closed form derived by kl-derive, as a NumPy function."""

import math

import numpy as np


def kl_divergence(a, n, l):
    """KL divergence of a Poisson distribution from a binomial distribution.

    q = Poisson(a), p = Binomial(n, 1/(1 + exp(-l))); a > 0, n a positive integer, l real.
    Derived step by step and checked by kl-derive (2 of 2 steps verified):

        KL(q || p) = inf

    Arguments are floats or NumPy arrays (broadcast elementwise).
    """
    return np.full(np.broadcast(a, n, l).shape, math.inf)
