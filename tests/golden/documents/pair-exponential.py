"""KL divergence between two exponential distributions: the closed form derived by kl-derive, as a NumPy function."""

import numpy as np


def kl_divergence(l1, l2):
    """KL divergence between two exponential distributions.

    q = Exponential(l1), p = Exponential(l2); l1 > 0, l2 > 0.
    Derived step by step and checked by kl-derive (8 of 8 steps verified):

        KL(q || p) = log(l1/l2) - 1 + l2/l1

    Arguments are floats or NumPy arrays (broadcast elementwise).
    """
    return np.log(l1/l2) - 1 + l2/l1
