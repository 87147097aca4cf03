"""The Laplace law ``Laplace(mu, b)``: density ``exp(-|x - mu| / b) / (2 b)`` on the real line."""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import cache

import mpmath
from sympy import Abs, Expr, Pow, Symbol, exp, log

from ..core.forms import frac, log_ratio, mul, neg, sub
from .base import Integrand, Law, Number
from .normal import DIGITS

#: The two Gauss-Laguerre rules whose agreement shows a Laplace integrand was integrated exactly: both are exact for
#: a polynomial of degree up to 39 times the density on each side of the location.
LAGUERRE_NODES = (20, 24)


def _laguerre(z, n: int):
    """``L_n(z)``, ``L_{n-1}(z)`` and ``L_n'(z)`` by the three-term recurrence (floats or mpf)."""
    p1, p2 = 1, 0
    for j in range(1, n + 1):
        p1, p2 = ((2 * j - 1 - z) * p1 - (j - 1) * p2) / j, p1
    return p1, p2, n * (p1 - p2) / z


@cache
def laguerre_rule(n: int) -> tuple[tuple[mpmath.mpf, mpmath.mpf], ...]:
    """Nodes and weights of n-point Gauss-Laguerre quadrature: ``int_0^inf f(t) exp(-t) dt ~ sum w f(t)``.

    The roots of ``L_n`` by Newton's method in double precision from the usual first guesses, then three Newton
    steps in 40 digits (each doubles the digits); ``w = -1 / (n L_n'(t) L_{n-1}(t))``.
    """
    guesses: list[float] = []
    z = 0.0
    for i in range(1, n + 1):
        if i == 1:
            z = 3 / (1 + 2.4 * n)
        elif i == 2:
            z += 15 / (1 + 2.5 * n)
        else:
            z += (1 + 2.55 * (i - 2)) / (1.9 * (i - 2)) * (z - guesses[i - 3])
        for _ in range(100):
            value, _, slope = _laguerre(z, n)
            step = value / slope
            z -= step
            if abs(step) <= 1e-14 * z:
                break
        guesses.append(z)
    rule = []
    with mpmath.workdps(DIGITS + 10):
        for guess in guesses:
            t = mpmath.mpf(guess)
            for _ in range(3):
                value, _, slope = _laguerre(t, n)
                t -= value / slope
            _, before, slope = _laguerre(t, n)
            rule.append((t, -1 / (n * slope * before)))
    return tuple(rule)


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

    def integrate(self, function: Integrand, values: Sequence[Number], exact: bool,
                  breakpoints: Sequence[Number] = ()) -> Number:
        """``int function(x) dx`` for ``function`` this density times a function of x: with ``x = loc +- scale t``
        on each side of the location, ``scale int_0^inf (function(loc + scale t) + function(loc - scale t)) dt``,
        whose integrand is ``exp(-t)`` times a polynomial in t when the function is one in x (what the Laplace
        derivations integrate): Gauss-Laguerre, taken when its two rules (:data:`LAGUERRE_NODES`) agree to 25
        digits. A kink away from the location, a non-polynomial function (the rules disagree) or double precision:
        the adaptive quadrature of :class:`Law`."""
        if exact and all(mpmath.mpf(point) == mpmath.mpf(values[0]) for point in breakpoints):
            loc, scale = (mpmath.mpf(v) for v in values)
            low, high = (scale * mpmath.fsum(w * mpmath.exp(t) * (function(loc + scale * t) + function(loc - scale * t))
                                             for t, w in laguerre_rule(n)) for n in LAGUERRE_NODES)
            if abs(high - low) <= mpmath.mpf("1e-25") * max(1, abs(high)):
                return high
        return super().integrate(function, values, exact, breakpoints)

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
