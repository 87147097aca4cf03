"""KL divergence between two uniform distributions: the closed form derived by kl-derive, as a NumPy function."""

import math

import numpy as np


def kl_divergence():
    """KL divergence between two uniform distributions.

    q = Uniform(0, 2), p = Uniform(0, 1).
    Derived step by step and checked by kl-derive (2 of 2 steps verified):

        KL(q || p) = inf

    Arguments are floats or NumPy arrays (broadcast elementwise).
    """
    return math.inf
