"""The Laplace law ``Laplace(mu, b)``: density ``exp(-|x - mu| / b) / (2 b)`` on the real line."""

from __future__ import annotations

from sympy import Abs, Expr, Symbol, exp, log

from ..forms import frac, mul, neg, sub
from .base import Law


class LaplaceLaw(Law):
    """``Laplace(loc, scale)``: mean ``loc``, variance ``2 scale**2``; the density has a kink at ``loc``
    (the checker splits its quadratures there: it splits at every ``|x - a|`` of an integrand)."""

    family = "Laplace"
    parameter_names = ("loc", "scale")

    @property
    def loc(self) -> Expr:
        return self.args[0]

    @property
    def scale(self) -> Expr:
        return self.args[1]

    def pdf(self, variable: Symbol) -> Expr:
        return exp(-Abs(variable - self.loc) / self.scale) / (2 * self.scale)

    def log_normaliser(self) -> Expr:
        """``-log(2 b)``."""
        return neg(log(mul(2, self.scale)))

    def energy(self, variable: Symbol) -> Expr:
        """``|x - mu| / b``."""
        return frac(Abs(sub(variable, self.loc), evaluate=False), self.scale)
