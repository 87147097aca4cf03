"""The exponential law ``Exponential(lambda)``: density ``lambda exp(-lambda x)`` on ``[0, oo)``."""

from __future__ import annotations

import random
from collections.abc import Sequence

from sympy import Expr, Interval, Pow, S, Symbol, cancel, exp, fraction, log, oo

from ..core.forms import log_ratio, mul, neg
from .base import Law


def _reciprocal(rate: Expr) -> bool:
    """Whether ``rate`` is ``1/s``: a rate given by its scale."""
    return isinstance(rate, Pow) and rate.args[1] == -1


def log_of_rate(rate: Expr) -> Expr:
    """``log lambda`` as a textbook writes it: ``-log s`` for a rate ``1/s`` given by its scale (never ``log(1/s)``)."""
    return neg(log(rate.args[0])) if _reciprocal(rate) else log(rate)


class ExponentialLaw(Law):
    """``Exponential(rate)``: mean ``1 / rate``, variance ``1 / rate**2`` (a spec's ``scale=s`` is the rate ``1/s``)."""

    family = "Exponential"
    parameter_names = ("rate",)
    symbols = ("lambda",)
    support = Interval(0, oo)

    @classmethod
    def given(cls, kind: str, value: Expr, *leading: Expr) -> ExponentialLaw:
        """``Exponential(rate=l)`` or ``Exponential(scale=s)``: the rate ``l`` or ``1/s``."""
        if leading or kind not in ("rate", "scale"):
            raise ValueError(f"Exponential is not parameterised by {kind}")
        return cls(value if kind == "rate" else Pow(value, -1))

    @property
    def rate(self) -> Expr:
        return self.args[0]

    @property
    def mean(self) -> Expr:
        return 1 / self.rate

    @property
    def variance(self) -> Expr:
        return 1 / self.rate**2

    def exponential_moment(self, t: Expr, shift: Expr = S.Zero) -> Expr:
        """``E[e^{t x + c}] = lambda e^c / (lambda - t)`` for ``t < lambda`` (the moment generating function)."""
        return self.rate * exp(shift) / (self.rate - t)

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

    def normaliser_difference(self, other: Law) -> Expr:
        """``log lambda_1 - log lambda_2 = log(lambda_1 / lambda_2)`` against another exponential law, the ratio in
        lowest terms (``log(s_2 / s_1)`` for two rates ``1/s``, ``-log(2 s)`` for ``1/s`` against 2)."""
        if not isinstance(other, ExponentialLaw):
            return super().normaliser_difference(other)
        numerator, denominator = fraction(cancel(self.rate / other.rate))
        return log_ratio(denominator, numerator)

    def energy(self, variable: Symbol) -> Expr:
        """``lambda x``."""
        return mul(self.rate, variable)
