"""The Gumbel law ``Gumbel(mu, beta)``: density ``exp(-(z + exp(-z))) / beta`` with ``z = (x - mu) / beta`` on the
real line (the law of the largest of many draws; torch's ``Gumbel(loc, scale)``)."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from functools import cache
from itertools import pairwise

import mpmath
from sympy import EulerGamma, Expr, Pow, S, Symbol, exp, log, pi

from ..core.forms import add, frac, log_ratio, mul, neg, sub
from .base import Integrand, Law, Number, tanh_sinh
from .normal import NormalLaw


class GumbelLaw(Law):
    """``Gumbel(loc, scale)``: mean ``mu + beta gamma`` (Euler's constant gamma), variance ``pi**2 beta**2 / 6``."""

    family = "Gumbel"
    parameter_names = ("loc", "scale")
    symbols = ("mu", "beta")

    @classmethod
    def given(cls, kind: str, value: Expr, *leading: Expr) -> GumbelLaw:
        """``Gumbel(loc, scale)``: the location and the scale."""
        if len(leading) != 1 or kind != "scale":
            raise ValueError(f"Gumbel is given by its loc and scale, not {kind}")
        return cls(leading[0], value)

    @property
    def loc(self) -> Expr:
        return self.args[0]

    @property
    def scale(self) -> Expr:
        return self.args[1]

    @property
    def mean(self) -> Expr:
        return self.loc + self.scale * EulerGamma

    @property
    def variance(self) -> Expr:
        return pi**2 * self.scale**2 / 6

    def sample(self, values: Sequence[float], rng: random.Random) -> float:
        """``mu - beta log E`` for a standard exponential draw E (then ``exp(-z) = E``)."""
        loc, scale = (float(v) for v in values)
        return loc - scale * math.log(rng.expovariate(1.0))

    def pdf(self, variable: Symbol) -> Expr:
        z = (variable - self.loc) / self.scale
        return exp(-z - exp(-z)) / self.scale

    def standardised(self, variable: Symbol) -> Expr:
        """``(x - mu) / beta`` as a display form."""
        return frac(sub(variable, self.loc), self.scale)

    def log_normaliser(self) -> Expr:
        """``-log beta``."""
        return neg(log(self.scale))

    def normaliser_difference(self, other: Law) -> Expr:
        """``-log beta_1 + log beta_2 = log(beta_2 / beta_1)`` against another Gumbel law; ``-log beta + log(2 pi
        s**2) / 2 = log(sqrt(2 pi) s / beta)`` against a Gaussian."""
        if isinstance(other, GumbelLaw):
            return log_ratio(self.scale, other.scale)
        joint = self.joint_constant(other, first=True)
        return joint if joint is not None else super().normaliser_difference(other)

    def joint_constant(self, other: Law, first: bool) -> Expr | None:
        """Against a Gaussian ``N(m, s**2)``: ``-log beta + log(2 pi s**2) / 2 = log(sqrt(2 pi) s / beta)`` (this law
        first), ``log(beta / (sqrt(2 pi) s))`` (the Gaussian first)."""
        if not isinstance(other, NormalLaw):
            return None
        gaussian = mul(Pow(mul(2, pi), S.Half, evaluate=False), other.std)
        return log(frac(gaussian, self.scale) if first else frac(self.scale, gaussian))

    def normaliser(self) -> Expr:
        """``1 / beta``: the constant factor of the density."""
        return Pow(self.scale, -1, evaluate=False)

    def energy(self, variable: Symbol) -> Expr:
        """``(x - mu) / beta + exp(-(x - mu) / beta)``."""
        z = self.standardised(variable)
        return add(z, exp(neg(z), evaluate=False))

    def integrate(self, function: Integrand, values: Sequence[Number], exact: bool,
                  breakpoints: Sequence[Number] = ()) -> Number:
        """``int f(x) dx = int_0^oo f(mu - beta log u) beta / u du`` with ``u = exp(-(x - mu)/beta)`` (30 digits,
        tanh-sinh split at ``u = 1`` and at the integrand's kinks): in x the left tail ``exp(-e^{-z})`` would be
        evaluated at astronomically large ``e^{-z}``; in u the density is ``e^{-u}``, smooth with an exponential
        tail."""
        if not exact:
            return _double_quadrature(function, float(values[0]), float(values[1]))
        loc, scale = (mpmath.mpf(v) for v in values)

        def in_u(u: mpmath.mpf) -> mpmath.mpf:
            return function(loc - scale * mpmath.log(u)) * scale / u if u > 0 else mpmath.mpf(0)

        kinks = [mpmath.exp(-(mpmath.mpf(k) - loc) / scale) for k in breakpoints]
        return tanh_sinh(in_u, [*sorted({mpmath.mpf(0), mpmath.mpf(1), *kinks}), mpmath.inf])


#: Panel ends, in scales from the location, of the double-precision quadrature: below -6 the density
#: ``exp(-z - e^{-z})`` is under ``e^{-390}``; above 60 it is under ``e^{-60}`` (times a moderate integrand).
_PANELS = (-6, -5, -4, -3, -2.5, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 3, 4, 6, 8, 11, 15, 20, 27, 36, 47, 60)


@cache
def _legendre(count: int = 48) -> tuple[tuple[float, float], ...]:
    """Nodes and weights of the ``count``-point Gauss-Legendre rule on ``[-1, 1]``, in double precision: Newton's
    method on the Legendre recurrence ``j P_j = (2j - 1) z P_{j-1} - (j - 1) P_{j-2}`` from the usual first guesses,
    weights ``2 / ((1 - z^2) P_n'(z)^2)`` (nodes to a unit in the last place, weights to about 1e-14: for a first look
    that accepts at 1e-10; mpmath's 30-digit nodes took a tenth of a second to compute)."""
    rule: list[tuple[float, float]] = []
    for i in range(1, count // 2 + 1):
        z = math.cos(math.pi * (i - 0.25) / (count + 0.5))
        for _ in range(100):
            value, derivative = _legendre_at(z, count)
            step = value / derivative
            z -= step
            if abs(step) <= 1e-16:
                break
        _, derivative = _legendre_at(z, count)
        weight = 2 / ((1 - z * z) * derivative * derivative)
        rule += [(-z, weight), (z, weight)]
    return tuple(sorted(rule))


def _legendre_at(z: float, count: int) -> tuple[float, float]:
    """``P_count(z)`` and its derivative."""
    p1, p2 = 1.0, 0.0
    for j in range(1, count + 1):
        p1, p2 = ((2 * j - 1) * z * p1 - (j - 1) * p2) / j, p1
    return p1, count * (z * p1 - p2) / (z * z - 1)


def _double_quadrature(function: Integrand, loc: float, scale: float) -> float:
    """``int f(x) dx`` in double precision: Gauss-Legendre on the panels :data:`_PANELS` (in scales from the
    location), for the checker's first, double-precision look (an integrand that overflows raises, and the
    30-digit quadrature decides)."""
    total = []
    for low, high in pairwise(_PANELS):
        half, middle = (high - low) / 2 * scale, (high + low) / 2 * scale + loc
        total.append(half * math.fsum(w * function(middle + half * x) for x, w in _legendre()))
    return math.fsum(total)
