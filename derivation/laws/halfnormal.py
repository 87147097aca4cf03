"""The half-normal law ``HalfNormal(sigma)``: the absolute value of a ``N(0, sigma**2)`` variable, density
``sqrt(2) / (sqrt(pi) sigma) exp(-x**2 / (2 sigma**2))`` on ``[0, oo)``."""

from __future__ import annotations

import random
from collections.abc import Sequence

from sympy import Expr, Interval, Symbol, cancel, exp, fraction, log, oo, pi, sqrt

from ..core.forms import HALF, frac, log_ratio, mul, square, sub
from .base import Law


class HalfNormalLaw(Law):
    """``HalfNormal(scale)``: mean ``sigma sqrt(2 / pi)``, variance ``sigma**2 (1 - 2 / pi)``, second moment
    ``sigma**2``."""

    family = "HalfNormal"
    parameter_names = ("scale",)
    symbols = ("sigma",)
    support = Interval(0, oo)

    @property
    def scale(self) -> Expr:
        return self.args[0]

    @property
    def mean(self) -> Expr:
        return self.scale * sqrt(2 / pi)

    @property
    def variance(self) -> Expr:
        return self.scale**2 * (1 - 2 / pi)

    def sample(self, values: Sequence[float], rng: random.Random) -> float:
        return abs(rng.gauss(0.0, float(values[0])))

    def pdf(self, variable: Symbol) -> Expr:
        return sqrt(2) / (sqrt(pi) * self.scale) * exp(-variable**2 / (2 * self.scale**2))

    def log_normaliser(self) -> Expr:
        """``1/2 log(2 / pi) - log sigma``."""
        return sub(mul(HALF, log(frac(2, pi))), log(self.scale))

    def normaliser_difference(self, other: Law) -> Expr:
        """``-log sigma_1 + log sigma_2 = log(sigma_2 / sigma_1)`` against another half-normal law (the
        ``log(2 / pi) / 2`` terms cancel), the ratio in
        lowest terms (``-log(2 s)`` for ``s`` against ``1/2``)."""
        if not isinstance(other, HalfNormalLaw):
            return super().normaliser_difference(other)
        numerator, denominator = fraction(cancel(self.scale / other.scale))
        return log_ratio(numerator, denominator)

    def normaliser(self) -> Expr:
        """``sqrt(2) / (sqrt(pi) sigma)``: the constant factor of the density."""
        return frac(sqrt(2), mul(sqrt(pi), self.scale))

    def energy(self, variable: Symbol) -> Expr:
        """``x**2 / (2 sigma**2)``."""
        return frac(square(variable), mul(2, square(self.scale)))
