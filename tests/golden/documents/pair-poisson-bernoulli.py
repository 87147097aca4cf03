"""KL divergence of a Poisson distribution from a Bernoulli distribution: the closed form derived by kl-derive, as a NumPy function."""

import math

import numpy as np


def kl_divergence(a, b):
    """KL divergence of a Poisson distribution from a Bernoulli distribution.

    q = Poisson(a), p = Bernoulli(b); a > 0, 0 < b < 1.
    Derived step by step and checked by kl-derive (2 of 2 steps verified):

        KL(q || p) = inf

    Arguments are floats or NumPy arrays (broadcast elementwise).
    """
    return np.full(np.broadcast(a, b).shape, math.inf)
