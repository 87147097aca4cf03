"""The uniform law ``Uniform(a, b)``: density ``1 / (b - a)`` on ``[a, b]``, 0 elsewhere. Its support depends on its
parameters: a divergence from a uniform law is finite only when the first law's support lies inside ``[a, b]``."""

from __future__ import annotations

import random
from collections.abc import Sequence

from sympy import Expr, Interval, Pow, S, Symbol, cancel, exp, fraction, log
from sympy.logic.boolalg import Boolean

from ..core.forms import log_ratio, neg, sub
from .base import Integrand, Law, Number, quadrature


class UniformLaw(Law):
    """``Uniform(low, high)``: mean ``(a + b) / 2``, variance ``(b - a)**2 / 12``."""

    family = "Uniform"
    parameter_names = ("low", "high")
    symbols = ("a", "b")

    @classmethod
    def given(cls, kind: str, value: Expr, *leading: Expr) -> UniformLaw:
        """``Uniform(low, high)``: the lower end, then the upper end."""
        if len(leading) != 1 or kind != "high":
            raise ValueError(f"Uniform is given by its lower and upper ends, not {kind}")
        return cls(leading[0], value)

    @property
    def low(self) -> Expr:
        return self.args[0]

    @property
    def high(self) -> Expr:
        return self.args[1]

    @property
    def support(self) -> Interval:  # type: ignore[override]
        """``[a, b]``: it depends on the parameters."""
        return Interval(self.low, self.high)

    @property
    def width(self) -> Expr:
        """``b - a`` as a display form (a number when both ends are)."""
        width = sub(self.high, self.low)
        return width if width.free_symbols else self.high - self.low

    def admissible(self) -> Boolean:
        """``a < b``."""
        return self.low < self.high

    @property
    def mean(self) -> Expr:
        return (self.low + self.high) / 2

    @property
    def variance(self) -> Expr:
        return (self.high - self.low) ** 2 / 12

    def exponential_moment(self, t: Expr, shift: Expr = S.Zero) -> Expr:
        """``E[e^{t x + c}] = e^{t a + c} (e^{t (b - a)} - 1) / (t (b - a))`` for ``t != 0`` (the moment generating
        function; c inside the exponential, and no difference of two exponentials, which is inf - inf where the
        value overflows)."""
        width = self.high - self.low
        return exp(t * self.low + shift) * (exp(t * width) - 1) / (t * width)

    def sample(self, values: Sequence[float], rng: random.Random) -> float:
        return rng.uniform(float(values[0]), float(values[1]))

    def pdf(self, variable: Symbol) -> Expr:
        """``1 / (b - a)``: the density on its support ``[a, b]`` (0 outside it, as for every law: integrals
        against it run over the support, and a divergence whose first law leaves the support is infinite by
        :meth:`~derivation.laws.base.Law.within`)."""
        return 1 / (self.high - self.low)

    def log_normaliser(self) -> Expr:
        """``-log(b - a)`` (on the support)."""
        return neg(log(self.width))

    def normaliser(self) -> Expr:
        """``1 / (b - a)``."""
        return Pow(self.width, -1, evaluate=False)

    def energy(self, variable: Symbol) -> Expr:
        """0: the density is constant on its support."""
        return S.Zero

    def normaliser_difference(self, other: Law) -> Expr:
        """``-log(b1 - a1) + log(b2 - a2) = log((b2 - a2) / (b1 - a1))`` against another uniform law, in lowest
        terms when the widths are numbers."""
        if not isinstance(other, UniformLaw):
            return super().normaliser_difference(other)
        mine, theirs = self.width, other.width
        if not (mine.free_symbols or theirs.free_symbols):
            numerator, denominator = fraction(cancel(mine / theirs))
            return log_ratio(numerator, denominator)
        return log_ratio(mine, theirs)

    def integrate(self, function: Integrand, values: Sequence[Number], exact: bool,
                  breakpoints: Sequence[Number] = ()) -> Number:
        """Adaptive quadrature over ``[a, b]`` at the parameters' values (the exact evaluator only)."""
        if not exact:
            raise ValueError("no double-precision quadrature for Uniform: left to the exact evaluator")
        return quadrature(function, values[0], values[1], breakpoints)
