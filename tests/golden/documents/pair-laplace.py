"""KL divergence between two Laplace distributions: the closed form derived by kl-derive, as a NumPy function."""

import numpy as np


def kl_divergence(m, b, n, c):
    """KL divergence between two Laplace distributions.

    q = Laplace(m, b), p = Laplace(n, c); m real, b > 0, n real, c > 0.
    Derived step by step and checked by kl-derive (10 of 10 steps verified):

        KL(q || p) = b*exp(-Abs(m - n)/b)/c + log(c/b) - 1 + Abs(m - n)/c

    Arguments are floats or NumPy arrays (broadcast elementwise).
    """
    return b*np.exp(-np.abs(m - n)/b)/c + np.log(c/b) - 1 + np.abs(m - n)/c
