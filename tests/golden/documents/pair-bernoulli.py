"""KL divergence between two Bernoulli distributions: the closed form derived by kl-derive, as a NumPy function."""

import numpy as np


def kl_divergence(a, b):
    """KL divergence between two Bernoulli distributions.

    q = Bernoulli(a), p = Bernoulli(b); 0 < a < 1, 0 < b < 1.
    Derived step by step and checked by kl-derive (3 of 3 steps verified):

        KL(q || p) = a*log(a/b) + (1 - a)*log((1 - a)/(1 - b))

    Arguments are floats or NumPy arrays (broadcast elementwise).
    """
    return a*np.log(a/b) + (1 - a)*np.log((1 - a)/(1 - b))
