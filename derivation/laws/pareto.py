"""The Pareto law ``Pareto(m, alpha)`` (scale, shape): density ``alpha m**alpha / x**(alpha + 1)`` on ``[m, oo)``.
Its support depends on its scale: a divergence from a Pareto law is finite only when the first law's support lies
inside ``[m, oo)``."""

from __future__ import annotations

import random
from collections.abc import Sequence

import mpmath
from sympy import Expr, Interval, Pow, S, Symbol, cancel, fraction, log, oo

from ..core.forms import add, log_ratio, mul, neg
from .base import Integrand, Law, Number, quadrature


class ParetoLaw(Law):
    """``Pareto(scale, alpha)``: mean ``alpha m / (alpha - 1)`` for alpha > 1; ``log(x / m)`` is exponential with
    rate alpha."""

    family = "Pareto"
    parameter_names = ("scale", "alpha")
    symbols = ("m", "alpha")
    #: The checker draws the shape in [0.8, 3]: below, ``x**-(alpha + 1)`` decays too slowly for the 30-digit
    #: quadrature of a bare integral over ``[m, oo)`` (a lemma's line) to reach 15 digits.
    parameter_ranges = (None, (0.8, 3.0))

    @classmethod
    def given(cls, kind: str, value: Expr, *leading: Expr) -> ParetoLaw:
        """``Pareto(scale, alpha)``: the scale, then the shape."""
        if len(leading) != 1 or kind != "alpha":
            raise ValueError(f"Pareto is given by its scale and alpha, not {kind}")
        return cls(leading[0], value)

    @property
    def scale(self) -> Expr:
        return self.args[0]

    @property
    def alpha(self) -> Expr:
        return self.args[1]

    @property
    def support(self) -> Interval:  # type: ignore[override]
        """``[m, oo)``: it depends on the scale."""
        return Interval(self.scale, oo)

    @property
    def mean(self) -> Expr:
        return self.alpha * self.scale / (self.alpha - 1)

    @property
    def variance(self) -> Expr:
        return self.scale**2 * self.alpha / ((self.alpha - 1) ** 2 * (self.alpha - 2))

    def sample(self, values: Sequence[float], rng: random.Random) -> float:
        scale, alpha = (float(v) for v in values)
        return scale * rng.paretovariate(alpha)

    def pdf(self, variable: Symbol) -> Expr:
        """``alpha m**alpha / x**(alpha + 1)`` (on its support ``[m, oo)``, 0 below it)."""
        return self.alpha * self.scale**self.alpha / variable ** (self.alpha + 1)

    def log_normaliser(self) -> Expr:
        """``log alpha + alpha log m``."""
        return add(log(self.alpha), mul(self.alpha, log(self.scale)))

    def normaliser(self) -> Expr:
        """``alpha m**alpha``."""
        return mul(self.alpha, Pow(self.scale, self.alpha, evaluate=False))

    def energy(self, variable: Symbol) -> Expr:
        """``(alpha + 1) log x``."""
        return mul(_plus_one(self.alpha), log(variable))

    def weight(self, variable: Symbol) -> Expr:
        """``x**(-(alpha + 1))``: the density over its constant factor."""
        return Pow(variable, neg(_plus_one(self.alpha)), evaluate=False)

    def normaliser_difference(self, other: Law) -> Expr:
        """``log alpha1 + alpha1 log m1 - log alpha2 - alpha2 log m2`` written ``log(alpha1 / alpha2) + alpha1 log m1
        - alpha2 log m2`` (the ratio in lowest terms when the shapes are numbers)."""
        if not isinstance(other, ParetoLaw):
            return super().normaliser_difference(other)
        numerator, denominator = fraction(cancel(self.alpha / other.alpha))
        return add(log_ratio(denominator, numerator), mul(self.alpha, log(self.scale)),
                   neg(mul(other.alpha, log(other.scale))))

    def integrate(self, function: Integrand, values: Sequence[Number], exact: bool,
                  breakpoints: Sequence[Number] = ()) -> Number:
        """Adaptive quadrature over ``[m, oo)`` at the parameters' values (the exact evaluator only), in ``u = log x``:
        ``int_m^oo f(x) dx = int_{log m}^oo f(e^u) e^u du``, whose integrand against this density decays
        exponentially (in x it decays only like a power, too slowly for 30 digits)."""
        if not exact:
            raise ValueError("no double-precision quadrature for Pareto: left to the exact evaluator")
        return quadrature(lambda u: function(mpmath.exp(u)) * mpmath.exp(u), mpmath.log(values[0]), float("inf"),
                          [mpmath.log(b) for b in breakpoints if b > 0])


def _plus_one(alpha: Expr) -> Expr:
    """``alpha + 1`` as a display form (a number when alpha is one)."""
    return alpha + 1 if alpha.is_Number else add(alpha, S.One)
