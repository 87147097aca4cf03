"""The Gumbel law ``Gumbel(mu, beta)``: density ``exp(-(z + exp(-z))) / beta`` with ``z = (x - mu) / beta`` on the
real line (the law of the largest of many draws; torch's ``Gumbel(loc, scale)``)."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import mpmath
from sympy import EulerGamma, Expr, Pow, S, Symbol, exp, log, pi

from ..core.forms import add, frac, log_ratio, mul, neg, sub
from .base import Integrand, Law, Number
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
        if isinstance(other, NormalLaw):
            return log(frac(mul(Pow(mul(2, pi), S.Half, evaluate=False), other.std), self.scale))
        return super().normaliser_difference(other)

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
            raise ValueError("no double-precision quadrature for Gumbel: left to the exact evaluator")
        loc, scale = (mpmath.mpf(v) for v in values)

        def in_u(u: mpmath.mpf) -> mpmath.mpf:
            return function(loc - scale * mpmath.log(u)) * scale / u if u > 0 else mpmath.mpf(0)

        kinks = [mpmath.exp(-(mpmath.mpf(k) - loc) / scale) for k in breakpoints]
        return mpmath.quad(in_u, [*sorted({mpmath.mpf(0), mpmath.mpf(1), *kinks}), mpmath.inf])
