"""KL divergence of a Pareto distribution from a Gaussian distribution: the closed form derived by kl-derive, as a NumPy function."""

import math

import numpy as np


def kl_divergence(m, a, mu, s):
    """KL divergence of a Pareto distribution from a Gaussian distribution.

    q = Pareto(m, a), p = N(mu, s**2); m > 0, a > 0, mu real, s > 0, a > 2.
    Derived step by step and checked by kl-derive (9 of 9 steps verified):

        KL(q || p) = log(a) - log(m) + log(2*pi*s**2)/2 - 1 + (a*m**2/((a - 2)*(a - 1)**2) + (a*m/(a - 1) - mu)**2)/(2*s**2) - 1/a

    Arguments are floats or NumPy arrays (broadcast elementwise).
    """
    a = np.asarray(a, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):  # the branch not taken may divide by 0
        return np.where((a > 2), np.log(a) - np.log(m) + (1/2)*np.log(2*math.pi*s**2) - 1 + (1/2)*(a*m**2/((a - 2)*(a - 1)**2) + (a*m/(a - 1) - mu)**2)/s**2 - 1/a, math.inf)
