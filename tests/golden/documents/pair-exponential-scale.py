"""KL divergence between two exponential distributions: the closed form derived by kl-derive, as a NumPy function."""

import numpy as np


def kl_divergence(s):
    """KL divergence between two exponential distributions.

    q = Exponential(1/s), p = Exponential(2); s > 0.
    Derived step by step and checked by kl-derive (8 of 8 steps verified):

        KL(q || p) = 2*s - log(2*s) - 1

    Arguments are floats or NumPy arrays (broadcast elementwise).
    """
    return 2*s - np.log(2*s) - 1
