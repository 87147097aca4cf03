"""KL divergence of a Gaussian distribution from a Laplace distribution: the closed form derived by kl-derive, as a NumPy function."""

import math

import numpy as np
from scipy import special


def kl_divergence(m, s, b, c):
    """KL divergence of a Gaussian distribution from a Laplace distribution.

    q = N(m, s**2), p = Laplace(b, c); m real, s > 0, b real, c > 0.
    Derived step by step and checked by kl-derive (9 of 9 steps verified):

        KL(q || p) = log(c/s) - 1/2 + log(2/pi)/2 + sqrt(2)*s*exp(-(-b + m)**2/(2*s**2))/(sqrt(pi)*c) + (-b + m)*erf(sqrt(2)*(-b + m)/(2*s))/c

    Arguments are floats or NumPy arrays (broadcast elementwise).
    """
    return np.log(c/s) - 1/2 + (1/2)*math.log(2/math.pi) + math.sqrt(2)*s*np.exp(-1/2*(-b + m)**2/s**2)/(math.sqrt(math.pi)*c) + (-b + m)*special.erf((1/2)*math.sqrt(2)*(-b + m)/s)/c
