"""The Laplace law ``Laplace(mu, b)``: density ``exp(-|x - mu| / b) / (2 b)`` on the real line."""

from __future__ import annotations

import random
from collections.abc import Sequence

from sympy import Abs, Expr, Pow, Symbol, exp, log

from ..core.forms import frac, log_ratio, mul, neg, sub
from .base import Law


class LaplaceLaw(Law):
    """``Laplace(loc, scale)``: mean ``loc``, variance ``2 scale**2``; the density has a kink at ``loc``
    (the checker splits its quadratures there: it splits at every ``|x - a|`` of an integrand)."""

    family = "Laplace"
    parameter_names = ("loc", "scale")
    symbols = ("mu", "b")

    @classmethod
    def given(cls, kind: str, value: Expr, *leading: Expr) -> LaplaceLaw:
        """``Laplace(loc, scale)``: the location and the scale."""
        if len(leading) != 1 or kind != "scale":
            raise ValueError(f"Laplace is given by its loc and scale, not {kind}")
        return cls(leading[0], value)

    @property
    def loc(self) -> Expr:
        return self.args[0]

    @property
    def scale(self) -> Expr:
        return self.args[1]

    @property
    def mean(self) -> Expr:
        return self.loc

    @property
    def variance(self) -> Expr:
        return 2 * self.scale**2

    def sample(self, values: Sequence[float], rng: random.Random) -> float:
        """The difference of two exponential draws of mean ``scale``, shifted by ``loc``."""
        loc, scale = (float(v) for v in values)
        return loc + scale * (rng.expovariate(1.0) - rng.expovariate(1.0))

    def pdf(self, variable: Symbol) -> Expr:
        return exp(-Abs(variable - self.loc) / self.scale) / (2 * self.scale)

    def log_normaliser(self) -> Expr:
        """``-log(2 b)``."""
        return neg(log(mul(2, self.scale)))

    def normaliser_difference(self, other: Law) -> Expr:
        """``-log(2 b) + log(2 c) = log(c / b)`` against another Laplace law (the ``log 2`` terms cancel)."""
        if not isinstance(other, LaplaceLaw):
            return super().normaliser_difference(other)
        return log_ratio(self.scale, other.scale)

    def normaliser(self) -> Expr:
        """``1 / (2 b)``."""
        return Pow(mul(2, self.scale), -1, evaluate=False)

    def energy(self, variable: Symbol) -> Expr:
        """``|x - mu| / b``."""
        return frac(Abs(sub(variable, self.loc), evaluate=False), self.scale)
