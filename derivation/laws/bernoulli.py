"""The Bernoulli law ``Bernoulli(p)``: mass ``p**x (1 - p)**(1 - x)`` on {0, 1} (a discrete law: sums)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from types import MappingProxyType

from sympy import Expr, Interval, Range, S, Symbol, exp, log

from ..core.forms import add, frac, mul, neg, sub
from .base import Law


def complement(probability: Expr) -> Expr:
    """``1 - p`` as a display form (its value for a number: ``1 - 1/4`` is ``3/4``)."""
    return 1 - probability if probability.is_Number else sub(1, probability)


class BernoulliLaw(Law):
    """``Bernoulli(probs)``: one trial that succeeds (x = 1) with probability ``probs``."""

    family = "Bernoulli"
    parameter_names = ("probs",)
    symbols = ("theta",)
    support = Range(0, 2)
    discrete = True
    #: Where the checker draws the probability (a positive symbol alone would be drawn up to 2.5).
    parameter_ranges = ((0.05, 0.95),)
    parameter_domains = (Interval.open(0, 1),)
    #: Logits l: the probability is the logistic function of l, ``1 / (1 + e^-l)``.
    parameterisations = MappingProxyType({"logits": lambda logits: frac(1, add(1, exp(neg(logits))))})

    @property
    def probs(self) -> Expr:
        return self.args[0]

    def pdf(self, variable: Symbol) -> Expr:
        return self.probs**variable * (1 - self.probs) ** (1 - variable)

    def mass(self, value: int) -> Expr:
        """The mass at a point of the support, as a display form: ``1 - p`` at 0, ``p`` at 1."""
        return {0: complement(self.probs), 1: self.probs}.get(value, S.Zero)

    def log_normaliser(self) -> Expr:
        """``log(1 - p)``: the log-mass at 0."""
        return log(complement(self.probs))

    def energy(self, variable: Symbol) -> Expr:
        """``-x log(p / (1 - p))``: minus the log-odds per success."""
        return mul(-1, variable, log(frac(self.probs, complement(self.probs))))

    @property
    def mean(self) -> Expr:
        return self.probs

    @property
    def variance(self) -> Expr:
        return self.probs * (1 - self.probs)

    def sample(self, values: Sequence[float], rng: random.Random) -> float:
        return 1.0 if rng.random() < float(values[0]) else 0.0
