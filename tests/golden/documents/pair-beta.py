"""KL divergence between two Beta distributions: the closed form derived by kl-derive, as a NumPy function."""

import numpy as np
from scipy import special


def kl_divergence(a1, b1, a2, b2):
    """KL divergence between two Beta distributions.

    q = Beta(a1, b1), p = Beta(a2, b2); a1 > 0, b1 > 0, a2 > 0, b2 > 0.
    Derived step by step and checked by kl-derive (9 of 9 steps verified):

        KL(q || p) = (a1 - a2)*polygamma(0, a1) + (b1 - b2)*polygamma(0, b1) + (-a1 + a2 - b1 + b2)*polygamma(0, a1 + b1) + log(gamma(a2)*gamma(b2)*gamma(a1 + b1)/(gamma(a1)*gamma(b1)*gamma(a2 + b2)))

    Arguments are floats or NumPy arrays (broadcast elementwise).
    """
    return (a1 - a2)*special.digamma(a1) + (b1 - b2)*special.digamma(b1) + (-a1 + a2 - b1 + b2)*special.digamma(a1 + b1) - special.gammaln(a1) + special.gammaln(a2) - special.gammaln(b1) + special.gammaln(b2) + special.gammaln(a1 + b1) - special.gammaln(a2 + b2)
