"""KL divergence of an exponential distribution from a Gamma distribution: the closed form derived by kl-derive, as a NumPy function."""

import numpy as np
from scipy import special


def kl_divergence(l, a, b):
    """KL divergence of an exponential distribution from a Gamma distribution.

    q = Exponential(l), p = Gamma(a, b); l > 0, a > 0, b > 0.
    Derived step by step and checked by kl-derive (9 of 9 steps verified):

        KL(q || p) = a*log(l/b) + b/l + EulerGamma*(a - 1) + log(gamma(a)) - 1

    Arguments are floats or NumPy arrays (broadcast elementwise).
    """
    return a*np.log(l/b) + b/l + 0.57721566490153286*(a - 1) + special.gammaln(a) - 1
