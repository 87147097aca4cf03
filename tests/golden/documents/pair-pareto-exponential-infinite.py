"""KL divergence of a Pareto distribution from an exponential distribution: the closed form derived by kl-derive, as a NumPy function."""

import math

import numpy as np


def kl_divergence(m, l):
    """KL divergence of a Pareto distribution from an exponential distribution.

    q = Pareto(m, 1), p = Exponential(l); m > 0, l > 0.
    Derived step by step and checked by kl-derive (2 of 2 steps verified):

        KL(q || p) = inf

    Arguments are floats or NumPy arrays (broadcast elementwise).
    """
    return np.full(np.broadcast(m, l).shape, math.inf)
