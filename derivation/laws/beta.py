"""The Beta law ``Beta(alpha, beta)`` (concentration1, concentration0): density ``x**(alpha - 1) (1 - x)**(beta - 1)
/ B(alpha, beta)`` on ``[0, 1]``, with ``B(alpha, beta) = Gamma(alpha) Gamma(beta) / Gamma(alpha + beta)``."""

from __future__ import annotations

import random
from collections.abc import Sequence

from sympy import Expr, Interval, Pow, S, Symbol, cancel, fraction, gamma, log

from ..core.forms import add, evaluated, frac, log_ratio, mul, neg, sub
from .base import Law
from .gamma import shape_minus_one


class BetaLaw(Law):
    """``Beta(concentration1, concentration0)``: mean ``alpha / (alpha + beta)``."""

    family = "Beta"
    parameter_names = ("concentration1", "concentration0")
    symbols = ("alpha", "beta")
    support = Interval(0, 1)
    #: The checker draws both concentrations in [1, 3]: below 1 the density is unbounded at an end of [0, 1], and
    #: the 30-digit quadrature of ``log(1 - x)`` times it there does not reach 15 digits.
    parameter_ranges = ((1.0, 3.0), (1.0, 3.0))

    @classmethod
    def given(cls, kind: str, value: Expr, *leading: Expr) -> BetaLaw:
        """``Beta(concentration1, concentration0)``."""
        if len(leading) != 1 or kind != "concentration0":
            raise ValueError(f"Beta is given by its two concentrations, not {kind}")
        return cls(leading[0], value)

    @property
    def alpha(self) -> Expr:
        return self.args[0]

    @property
    def beta(self) -> Expr:
        return self.args[1]

    @property
    def mean(self) -> Expr:
        return self.alpha / (self.alpha + self.beta)

    @property
    def variance(self) -> Expr:
        a, b = self.alpha, self.beta
        return a * b / ((a + b) ** 2 * (a + b + 1))

    def sample(self, values: Sequence[float], rng: random.Random) -> float:
        return rng.betavariate(float(values[0]), float(values[1]))

    def pdf(self, variable: Symbol) -> Expr:
        a, b = self.alpha, self.beta
        return gamma(a + b) / (gamma(a) * gamma(b)) * variable ** (a - 1) * (1 - variable) ** (b - 1)

    def log_normaliser(self) -> Expr:
        """``-log B(alpha, beta) = log(Gamma(alpha + beta) / (Gamma(alpha) Gamma(beta)))``."""
        return log(self.normaliser())

    def normaliser(self) -> Expr:
        """``1 / B(alpha, beta) = Gamma(alpha + beta) / (Gamma(alpha) Gamma(beta))``."""
        return frac(gamma(_total(self.alpha, self.beta)), mul(gamma(self.alpha), gamma(self.beta)))

    def energy(self, variable: Symbol) -> Expr:
        """``-(alpha - 1) log x - (beta - 1) log(1 - x)``."""
        return add(*(neg(term) for term in self._log_terms(variable)))

    def _log_terms(self, variable: Symbol) -> list[Expr]:
        return [mul(shape_minus_one(self.alpha), log(variable)),
                mul(shape_minus_one(self.beta), log(sub(S.One, variable)))]

    def weight(self, variable: Symbol) -> Expr:
        """``x**(alpha - 1) (1 - x)**(beta - 1)`` (a factor with exponent 0 left out)."""
        factors = [S.One if power == 0 else base if power == 1 else Pow(base, power, evaluate=False)
                   for base, power in ((variable, shape_minus_one(self.alpha)),
                                       (sub(S.One, variable), shape_minus_one(self.beta)))]
        return mul(*factors)

    def log_pdf_form(self, variable: Symbol) -> Expr:
        """``log(Gamma(alpha + beta) / (Gamma(alpha) Gamma(beta))) + (alpha - 1) log x + (beta - 1) log(1 - x)``."""
        return add(self.log_normaliser(), *self._log_terms(variable))

    def normaliser_difference(self, other: Law) -> Expr:
        """``log(B(alpha2, beta2) / B(alpha1, beta1))`` against another Beta law, its Gamma functions in one ratio:
        ``log(Gamma(alpha1 + beta1) Gamma(alpha2) Gamma(beta2) / (Gamma(alpha1) Gamma(beta1) Gamma(alpha2 + beta2)))``.
        """
        if not isinstance(other, BetaLaw):
            return super().normaliser_difference(other)
        above = [gamma(_total(self.alpha, self.beta)), gamma(other.alpha), gamma(other.beta)]
        below = [gamma(self.alpha), gamma(self.beta), gamma(_total(other.alpha, other.beta))]
        for common in [g for g in above if g in below]:  # Gamma(a) over Gamma(a) when the laws share a parameter
            above.remove(common)
            below.remove(common)
        top, bottom = mul(*above), mul(*below)
        if not (self.free_symbols or other.free_symbols):  # numbers: the ratio's value, in lowest terms
            numerator, denominator = fraction(cancel(evaluated(top) / evaluated(bottom)))
            return log_ratio(denominator, numerator)
        return log(frac(top, bottom))


def _total(a: Expr, b: Expr) -> Expr:
    """``a + b`` as a display form (a number when both are)."""
    return a + b if a.is_Number and b.is_Number else add(a, b)
