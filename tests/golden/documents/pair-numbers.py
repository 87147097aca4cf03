"""KL divergence between two univariate Gaussians: the closed form derived by kl-derive, as a NumPy function."""

import math

import numpy as np


def kl_divergence():
    """KL divergence between two univariate Gaussians.

    q = N(1, 4), p = N(0, 1).
    Derived step by step and checked by kl-derive (11 of 11 steps verified):

        KL(q || p) = 2 - log(2)

    Arguments are floats or NumPy arrays (broadcast elementwise).
    """
    return 2 - math.log(2)
