"""The exponential law ``Exponential(lambda)``: density ``lambda exp(-lambda x)`` on ``[0, oo)``."""

from __future__ import annotations

import random
from collections.abc import Sequence

from sympy import Expr, Interval, Pow, Symbol, exp, log, oo

from ..core.forms import mul, neg
from .base import Law


def log_of_rate(rate: Expr) -> Expr:
    """``log lambda`` as a textbook writes it: ``-log s`` for a rate ``1/s`` given by its scale (never ``log(1/s)``)."""
    if isinstance(rate, Pow) and rate.args[1] == -1:
        return neg(log(rate.args[0]))
    return log(rate)


class ExponentialLaw(Law):
    """``Exponential(rate)``: mean ``1 / rate``, variance ``1 / rate**2`` (a spec's ``scale=s`` is the rate ``1/s``)."""

    family = "Exponential"
    parameter_names = ("rate",)
    support = Interval(0, oo)

    @property
    def rate(self) -> Expr:
        return self.args[0]

    @property
    def mean(self) -> Expr:
        return 1 / self.rate

    @property
    def variance(self) -> Expr:
        return 1 / self.rate**2

    def sample(self, values: Sequence[float], rng: random.Random) -> float:
        return rng.expovariate(float(values[0]))

    def pdf(self, variable: Symbol) -> Expr:
        return self.rate * exp(-self.rate * variable)

    def log_normaliser(self) -> Expr:
        """``log lambda``."""
        return log_of_rate(self.rate)

    def normaliser(self) -> Expr:
        """``lambda``: the constant factor of the density."""
        return self.rate

    def energy(self, variable: Symbol) -> Expr:
        """``lambda x``."""
        return mul(self.rate, variable)
