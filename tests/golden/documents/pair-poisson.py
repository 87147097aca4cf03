"""KL divergence between two Poisson distributions: the closed form derived by kl-derive, as a NumPy function."""

import numpy as np


def kl_divergence(a, b):
    """KL divergence between two Poisson distributions.

    q = Poisson(a), p = Poisson(b); a > 0, b > 0.
    Derived step by step and checked by kl-derive (7 of 7 steps verified):

        KL(q || p) = a*log(a/b) - a + b

    Arguments are floats or NumPy arrays (broadcast elementwise).
    """
    return a*np.log(a/b) - a + b
