"""The Gamma law ``Gamma(alpha, beta)`` (concentration, rate): density ``beta**alpha x**(alpha - 1) exp(-beta x) /
Gamma(alpha)`` on ``[0, oo)``."""

from __future__ import annotations

import random
from collections.abc import Sequence

from sympy import Expr, Interval, Pow, S, Symbol, exp, gamma, log, oo

from ..core.forms import add, frac, log_ratio, mul, neg, sub
from .base import Law
from .exponential import log_of_rate


def shape_minus_one(concentration: Expr) -> Expr:
    """``alpha - 1`` as a display form (a number when alpha is one)."""
    return concentration - 1 if concentration.is_Number else sub(concentration, S.One)


class GammaLaw(Law):
    """``Gamma(concentration, rate)``: mean ``alpha / beta``, variance ``alpha / beta**2`` (a spec's ``scale=s`` is the
    rate ``1/s``)."""

    family = "Gamma"
    parameter_names = ("concentration", "rate")
    symbols = ("alpha", "beta")
    support = Interval(0, oo)
    #: The checker draws a concentration of at least 1: below it the density's power singularity at 0 costs 30-digit
    #: quadrature two or three digits (an expectation of log x at alpha = 0.43 was off by 2e-13), more than a check's
    #: tolerance; the rate as any positive symbol.
    parameter_ranges = ((1.0, 3.0), None)

    @classmethod
    def given(cls, kind: str, value: Expr, *leading: Expr) -> GammaLaw:
        """``Gamma(a, rate=b)`` or ``Gamma(a, scale=s)``: concentration ``a`` and the rate ``b`` or ``1/s``."""
        if len(leading) != 1 or kind not in ("rate", "scale"):
            raise ValueError(f"Gamma is given by its concentration and a rate or scale, not {kind}")
        return cls(leading[0], value if kind == "rate" else Pow(value, -1))

    @property
    def concentration(self) -> Expr:
        return self.args[0]

    @property
    def rate(self) -> Expr:
        return self.args[1]

    @property
    def mean(self) -> Expr:
        return self.concentration / self.rate

    @property
    def variance(self) -> Expr:
        return self.concentration / self.rate**2

    def exponential_moment(self, t: Expr, shift: Expr = S.Zero) -> Expr:
        """``E[e^{t x + c}] = (beta / (beta - t))**alpha e^c`` for ``t < beta`` (the moment generating function)."""
        return (self.rate / (self.rate - t)) ** self.concentration * exp(shift)

    def sample(self, values: Sequence[float], rng: random.Random) -> float:
        concentration, rate = (float(v) for v in values)
        return rng.gammavariate(concentration, 1 / rate)

    def pdf(self, variable: Symbol) -> Expr:
        a, b = self.concentration, self.rate
        return b**a * variable ** (a - 1) * exp(-b * variable) / gamma(a)

    def log_normaliser(self) -> Expr:
        """``alpha log beta - log Gamma(alpha)``."""
        return sub(mul(self.concentration, log_of_rate(self.rate)), log(gamma(self.concentration)))

    def normaliser(self) -> Expr:
        """``beta**alpha / Gamma(alpha)``."""
        return frac(Pow(self.rate, self.concentration, evaluate=False), gamma(self.concentration))

    def energy(self, variable: Symbol) -> Expr:
        """``beta x - (alpha - 1) log x``, as the sum of its two terms."""
        return sub(mul(self.rate, variable), mul(shape_minus_one(self.concentration), log(variable)))

    def weight(self, variable: Symbol) -> Expr:
        """``x**(alpha - 1) exp(-beta x)`` (``exp(-beta x)`` when alpha = 1, ``x exp(-beta x)`` when alpha = 2)."""
        power = shape_minus_one(self.concentration)
        factor = S.One if power == 0 else variable if power == 1 else Pow(variable, power, evaluate=False)
        return mul(factor, exp(neg(mul(self.rate, variable)), evaluate=False))

    def log_pdf_form(self, variable: Symbol) -> Expr:
        """``alpha log beta - log Gamma(alpha) + (alpha - 1) log x - beta x``."""
        return add(*_terms(self.log_normaliser()), mul(shape_minus_one(self.concentration), log(variable)),
                   neg(mul(self.rate, variable)))

    def normaliser_difference(self, other: Law) -> Expr:
        """``alpha_1 log beta_1 - log Gamma(alpha_1) - alpha_2 log beta_2 + log Gamma(alpha_2)`` written
        ``alpha_1 log beta_1 - alpha_2 log beta_2 + log(Gamma(alpha_2) / Gamma(alpha_1))``."""
        if not isinstance(other, GammaLaw):
            return super().normaliser_difference(other)
        gammas = log_ratio(gamma(self.concentration), gamma(other.concentration))
        return add(mul(self.concentration, log_of_rate(self.rate)),
                   neg(mul(other.concentration, log_of_rate(other.rate))), gammas)


def _terms(expr: Expr) -> list[Expr]:
    return list(expr.args) if expr.is_Add else [expr]



