"""KL divergence between two Bernoulli distributions: the closed form derived by kl-derive, as a NumPy function."""

import numpy as np


def kl_divergence(l1, l2):
    """KL divergence between two Bernoulli distributions.

    q = Bernoulli(1/(1 + exp(-l1))), p = Bernoulli(1/(1 + exp(-l2))); l1 real, l2 real.
    Derived step by step and checked by kl-derive (5 of 5 steps verified):

        KL(q || p) = -log(exp(l1) + 1) + log(exp(l2) + 1) + (l1 - l2)/(1 + exp(-l1))

    1/(1 + exp(-l1)) computed as exp(-logaddexp(0, -l1)) (checked equal)
    log(exp(l1) + 1) computed as logaddexp(0, l1) (checked equal)
    log(exp(l2) + 1) computed as logaddexp(0, l2) (checked equal)

    Arguments are floats or NumPy arrays (broadcast elementwise).
    """
    return (l1 - l2)*np.exp(-np.logaddexp(0, -l1)) - np.logaddexp(0, l1) + np.logaddexp(0, l2)
