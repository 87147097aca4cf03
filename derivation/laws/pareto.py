"""The Pareto law ``Pareto(m, alpha)`` (scale, shape): density ``alpha m**alpha / x**(alpha + 1)`` on ``[m, oo)``.
Its support depends on its scale: a divergence from a Pareto law is finite only when the first law's support lies
inside ``[m, oo)``."""

from __future__ import annotations

import random
from collections.abc import Sequence

import mpmath
from sympy import Expr, Interval, Pow, S, Symbol, cancel, fraction, log, oo
from sympy.logic.boolalg import Boolean

from ..core.forms import add, frac, log_ratio, mul, neg, square, sub
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
        """``alpha m / (alpha - 1)`` (for alpha > 1), as a display form."""
        return frac(mul(self.alpha, self.scale), _minus(self.alpha, 1))

    @property
    def variance(self) -> Expr:
        """``alpha m**2 / ((alpha - 1)**2 (alpha - 2))`` (for alpha > 2), as a display form."""
        return frac(mul(self.alpha, square(self.scale)), mul(square(_minus(self.alpha, 1)), _minus(self.alpha, 2)))

    def moment_exists(self, order: int) -> Boolean:
        """``alpha > order``: ``E[x**k] = alpha m**k / (alpha - k)`` for ``alpha > k``; for ``alpha <= k`` the integrand
        ``alpha m**alpha x**(k - alpha - 1)`` falls no faster than ``1/x`` and the integral diverges."""
        return S.true if order == 0 else self.alpha > order

    def tail_ranges(self, order: int) -> dict[Symbol, tuple[float, float]]:
        """The shape drawn in ``[order + 0.8, order + 3]``: the integrand ``x**order`` times the density decays
        like ``x**-(alpha - order + 1)``, as fast as a bare density's in :attr:`parameter_ranges`."""
        low, high = self.parameter_ranges[1]
        shape = {self.alpha: (low + order, high + order)} if isinstance(self.alpha, Symbol) else {}
        return {**self.ranges(), **shape}

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
        exponentially (in x it decays only like a power, too slowly for 30 digits). Nodes past ``log m +``
        :data:`TAIL` count 0: there an integrand of growth ``x**k`` (k < alpha) is below ``e**(-(alpha - k) TAIL)``
        of its size near m, and a density such as ``e^{-lambda x}`` at ``x = e^u`` far beyond would take
        ``u`` digits to evaluate."""
        if not exact:
            raise ValueError("no double-precision quadrature for Pareto: left to the exact evaluator")
        low = mpmath.log(values[0])
        return quadrature(lambda u: function(mpmath.exp(u)) * mpmath.exp(u) if u < low + TAIL else mpmath.mpf(0), low,
                          float("inf"), [mpmath.log(b) for b in breakpoints if b > 0])


#: How far past ``log m`` (in ``u = log x``) the checker's quadrature of a Pareto expectation runs.
TAIL = 2000


def _minus(alpha: Expr, k: int) -> Expr:
    """``alpha - k`` as a display form (a number when alpha is one)."""
    return alpha - k if alpha.is_Number else sub(alpha, S(k))


def _plus_one(alpha: Expr) -> Expr:
    """``alpha + 1`` as a display form (a number when alpha is one)."""
    return alpha + 1 if alpha.is_Number else add(alpha, S.One)
