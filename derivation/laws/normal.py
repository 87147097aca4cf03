"""The univariate Gaussian ``N(mu, sigma**2)``, parameterised by its mean and standard deviation."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from types import MappingProxyType

import mpmath
from sympy import Expr, Pow, Symbol, exp, log, pi, sqrt

from ..core.forms import HALF, frac, mul, neg, square, sub
from .base import Integrand, Law, Number, quadrature

DIGITS = 30
HERMITE_NODES = 24


#: The scale (standard deviation) of a Gaussian in each parameterisation of ``parse_spec``.
SCALE_OF: Mapping[str, Callable[[Expr], Expr]] = MappingProxyType({
    "scale": lambda t: t,
    "var": sqrt,
    "logvar": lambda t: exp(t / 2),
    "log_scale": exp,
    "precision": lambda t: 1 / sqrt(t),
})

#: What each parameterisation calls its parameter (for messages and diagnoses).
KIND_NAMES: Mapping[str, str] = MappingProxyType({
    "scale": "standard deviation",
    "var": "variance",
    "logvar": "log-variance",
    "log_scale": "log-standard-deviation",
    "precision": "precision",
})


class NormalLaw(Law):
    """``N(mean, std**2)``: density ``exp(-(x - mean)**2 / (2 std**2)) / sqrt(2 pi std**2)`` on the real line."""

    family = "Normal"
    parameter_names = ("loc", "scale")
    symbols = ("mu", "sigma")

    @property
    def mean(self) -> Expr:
        return self.args[0]

    @property
    def std(self) -> Expr:
        return self.args[1]

    @property
    def var(self) -> Expr:
        """The variance ``std**2`` (a display square)."""
        return square(self.std)

    @property
    def variance(self) -> Expr:
        return self.var

    @classmethod
    def given(cls, kind: str, value: Expr, *leading: Expr) -> NormalLaw:
        """``Normal(loc, scale)`` beside a law of another family: the mean and the standard deviation (the other
        parameterisations are the Gaussian pairs' own, :data:`SCALE_OF`)."""
        if len(leading) != 1 or kind != "scale":
            raise ValueError(f"a Normal against another family is given by its loc and scale: Normal(loc, scale), "
                             f"not {kind}= (the other parameterisations are for two Gaussians)")
        return cls(leading[0], value)

    def sample(self, values: Sequence[float], rng: random.Random) -> float:
        mean, std = values
        return rng.gauss(float(mean), float(std))

    def pdf(self, variable: Symbol) -> Expr:
        return exp(-((variable - self.mean) ** 2) / (2 * self.std**2)) / sqrt(2 * pi * self.std**2)

    def log_normaliser(self) -> Expr:
        """``-1/2 log(2 pi std**2)``."""
        return mul(neg(HALF), log(mul(2, pi, self.var)))

    def normaliser_difference(self, other: Law) -> Expr:
        """``log_normaliser(self) - log_normaliser(other)``, as one logarithm where the other law writes it so
        (:meth:`Law.joint_constant`: ``log(beta / (sqrt(2 pi) sigma))`` against a Gumbel law)."""
        joint = other.joint_constant(self, first=False)
        return joint if joint is not None else super().normaliser_difference(other)

    def energy(self, variable: Symbol) -> Expr:
        """``(x - mean)**2 / (2 std**2)``."""
        return frac(square(sub(variable, self.mean)), mul(2, self.var))

    def normaliser(self) -> Expr:
        """``1 / sqrt(2 pi std**2)``: the constant factor of the density."""
        return Pow(sqrt(mul(2, pi, self.var), evaluate=False), -1, evaluate=False)

    def integrate(self, function: Integrand, values: Sequence[Number], exact: bool,
                  breakpoints: Sequence[Number] = ()) -> Number:
        """Gauss-Hermite quadrature centred on this Gaussian: exact for a polynomial times a Gaussian
        (what the Gaussian derivations' integrands are), in 30 digits or in double precision. An integrand with
        kinks (``|x - b|``: not a polynomial) is integrated adaptively in 30 digits, split at them and around the
        mean."""
        mean, std = values
        if breakpoints:
            if not exact:
                raise ValueError("an integrand with kinks is left to the exact evaluator")
            return quadrature(function, -math.inf, math.inf,
                              sorted({*breakpoints, mean - 8 * std, mean, mean + 8 * std}))
        if exact:
            scale = mpmath.sqrt(2) * std
            return scale * mpmath.fsum(w * mpmath.exp(t * t) * function(mean + scale * t) for t, w in hermite_rule())
        scale = math.sqrt(2) * std
        return scale * math.fsum(w * math.exp(t * t) * function(mean + scale * t) for t, w in hermite_rule_double())


@cache
def hermite_rule(n: int = HERMITE_NODES) -> tuple[tuple[mpmath.mpf, mpmath.mpf], ...]:
    """Nodes and weights of n-point Gauss-Hermite quadrature: ``int f(t) exp(-t**2) dt ~ sum w f(t)``.

    Newton's method on the orthonormal Hermite recurrence, from the usual asymptotic first guesses.
    """
    with mpmath.workdps(DIGITS + 10):
        roots: list[mpmath.mpf] = []
        weights: list[mpmath.mpf] = []
        quarter = mpmath.pi ** mpmath.mpf(-0.25)
        z = mpmath.mpf(0)
        # the recurrence's coefficients, computed once (not at every step of every Newton iteration)
        coefficients = [(mpmath.sqrt(mpmath.mpf(2) / j), mpmath.sqrt(mpmath.mpf(j - 1) / j)) for j in range(1, n + 1)]
        for i in range((n + 1) // 2):
            if i == 0:
                z = mpmath.sqrt(2 * n + 1) - 1.85575 * (2 * n + 1) ** (-1 / 6)
            elif i == 1:
                z -= 1.14 * n**0.426 / z
            elif i == 2:
                z = 1.86 * z - 0.86 * roots[0]
            elif i == 3:
                z = 1.91 * z - 0.91 * roots[1]
            else:
                z = 2 * z - roots[i - 2]
            for _ in range(100):
                p1, p2 = quarter, mpmath.mpf(0)
                for up, down in coefficients:
                    p1, p2 = z * up * p1 - down * p2, p1
                derivative = mpmath.sqrt(2 * n) * p2
                step = p1 / derivative
                z -= step
                if abs(step) < mpmath.mpf(10) ** (-(DIGITS + 5)):
                    break
            roots.append(z)
            weights.append(2 / derivative**2)
        pairs = list(zip(roots, weights, strict=True))
        rule = pairs + [(-r, w) for r, w in pairs if r != 0]
        return tuple(sorted(rule))


@cache
def hermite_rule_double() -> tuple[tuple[float, float], ...]:
    """:func:`hermite_rule` rounded to doubles."""
    return tuple((float(t), float(w)) for t, w in hermite_rule())
