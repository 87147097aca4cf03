"""KL divergence between two Pareto distributions: the closed form derived by kl-derive, as a NumPy function."""

import math

import numpy as np


def kl_divergence(m1, a1, m2, a2):
    """KL divergence between two Pareto distributions.

    q = Pareto(m1, a1), p = Pareto(m2, a2); m1 > 0, a1 > 0, m2 > 0, a2 > 0, m2 <= m1.
    Derived step by step and checked by kl-derive (8 of 8 steps verified):

        KL(q || p) = a2*log(m1/m2) + log(a1/a2) - 1 + a2/a1

    Arguments are floats or NumPy arrays (broadcast elementwise).
    """
    m1 = np.asarray(m1, dtype=float)
    m2 = np.asarray(m2, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):  # the branch not taken may divide by 0
        return np.where((m2 <= m1), a2*np.log(m1/m2) + np.log(a1/a2) - 1 + a2/a1, math.inf)
