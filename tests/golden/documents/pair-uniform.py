"""KL divergence between two uniform distributions: the closed form derived by kl-derive, as a NumPy function."""

import math

import numpy as np


def kl_divergence(a1, b1, a2, b2):
    """KL divergence between two uniform distributions.

    q = Uniform(a1, b1), p = Uniform(a2, b2); a1 real, b1 real, a2 real, b2 real, a1 < b1, a2 < b2, a2 <= a1, b1 <= b2.
    Derived step by step and checked by kl-derive (6 of 6 steps verified):

        KL(q || p) = log((-a2 + b2)/(-a1 + b1))

    Arguments are floats or NumPy arrays (broadcast elementwise).
    """
    a1 = np.asarray(a1, dtype=float)
    a2 = np.asarray(a2, dtype=float)
    b1 = np.asarray(b1, dtype=float)
    b2 = np.asarray(b2, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):  # the branch not taken may divide by 0
        return np.where((a2 <= a1) & (b1 <= b2), np.log((-a2 + b2)/(-a1 + b1)), math.inf)
