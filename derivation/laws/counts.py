"""Laws of a count ``k = 0, 1, 2, ...`` (discrete: their sums are series): ``Poisson(rate)``, ``Geometric(probs)``
(the number of failures before the first success, as ``torch.distributions.Geometric``) and
``Binomial(total_count, probs)`` (a finite sum up to the count of trials)."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from types import MappingProxyType

import mpmath
from sympy import Expr, Interval, Range, S, Symbol, exp, factorial, log, oo

from ..core.forms import add, frac, mul, neg
from .base import Integrand, Law, Number
from .bernoulli import complement


class CountLaw(Law):
    """A law of a count: its log-mass is ``log_normaliser - energy(k)`` as for every law, and a textbook writes it
    term by term (:meth:`log_pdf_form`: ``k log(lambda) - lambda - log(k!)``)."""

    support = Range(0, oo)
    discrete = True

    def log_pdf_form(self, variable: Symbol) -> Expr:
        return add(*(log_term(c, u) for c, u in self.log_mass_parts(variable)))

    def log_mass_parts(self, variable: Symbol) -> tuple[tuple[Expr, Expr | None], ...]:
        """The log-mass as ``(c, u)`` pairs, each the term ``c log u`` (``c`` alone when ``u`` is None): the same
        terms for every law of the family, so that a rule can combine two log-masses term by term."""
        raise NotImplementedError


def log_term(coefficient: Expr, argument: Expr | None) -> Expr:
    """``c log u`` as a display form, the logarithm of a number kept as written (``log(1/2)``)."""
    if argument is None:
        return coefficient
    if coefficient.is_Mul and len(coefficient.args) == 2 and coefficient.args[0] == -1:  # -k log u, a subtraction
        return neg(mul(coefficient.args[1], log(argument, evaluate=False)))
    return mul(coefficient, log(argument, evaluate=False))


class PoissonLaw(CountLaw):
    """``Poisson(rate)``: mass ``rate**k e^(-rate) / k!``, mean and variance ``rate``."""

    family = "Poisson"
    parameter_names = ("rate",)
    symbols = ("lambda",)
    parameter_ranges = ((0.3, 4.0),)

    @property
    def rate(self) -> Expr:
        return self.args[0]

    def pdf(self, variable: Symbol) -> Expr:
        return self.rate**variable * exp(-self.rate) / factorial(variable)

    def log_normaliser(self) -> Expr:
        """``-lambda``."""
        return neg(self.rate)

    def energy(self, variable: Symbol) -> Expr:
        """``log(k!) - k log(lambda)``."""
        return add(log(factorial(variable)), neg(mul(variable, log(self.rate))))

    def log_mass_parts(self, variable: Symbol) -> tuple[tuple[Expr, Expr | None], ...]:
        """``k log(lambda) - lambda - log(k!)``."""
        return (variable, self.rate), (neg(self.rate), None), (S.NegativeOne, factorial(variable))

    @property
    def mean(self) -> Expr:
        return self.rate

    @property
    def variance(self) -> Expr:
        return self.rate


class GeometricLaw(CountLaw):
    """``Geometric(probs)``: the failures before the first success, mass ``p (1 - p)**k``, mean ``(1 - p) / p``."""

    family = "Geometric"
    parameter_names = ("probs",)
    symbols = ("theta",)
    parameter_ranges = ((0.1, 0.9),)
    parameter_domains = (Interval.open(0, 1),)

    @property
    def probs(self) -> Expr:
        return self.args[0]

    def pdf(self, variable: Symbol) -> Expr:
        return self.probs * (1 - self.probs) ** variable

    def log_normaliser(self) -> Expr:
        """``log p``."""
        return log(self.probs)

    def energy(self, variable: Symbol) -> Expr:
        """``-k log(1 - p)``."""
        return neg(mul(variable, log(complement(self.probs))))

    def log_mass_parts(self, variable: Symbol) -> tuple[tuple[Expr, Expr | None], ...]:
        """``k log(1 - p) + log p``."""
        return (variable, complement(self.probs)), (S.One, self.probs)

    @property
    def mean(self) -> Expr:
        return frac(complement(self.probs), self.probs)

    @property
    def variance(self) -> Expr:
        return (1 - self.probs) / self.probs**2


def choose(n: Expr, k: Expr) -> Expr:
    """The binomial coefficient ``n! / (k! (n - k)!)`` as a display form, in factorials as the masses of counts are
    printed (``k!`` of a Poisson mass)."""
    return frac(factorial(n), mul(factorial(k), factorial(n - k)))


class BinomialLaw(CountLaw):
    """``Binomial(total_count, probs)``: the successes in n trials, mass ``C(n, k) p**k (1 - p)**(n - k)`` on
    ``k = 0, ..., n``, mean ``n p``. A pair is derived for one ``n`` (torch registers only equal counts)."""

    family = "Binomial"
    parameter_names = ("total_count", "probs")
    symbols = ("n", "theta")
    #: The letters q and p share in an example pair (a pair is derived for one number of trials).
    shared = ("n",)
    parameter_ranges = (None, (0.05, 0.95))
    parameter_domains = (None, Interval.open(0, 1))
    #: Logits l: the probability is the logistic function of l, ``1 / (1 + e^-l)``.
    parameterisations = MappingProxyType({"logits": lambda logits: frac(1, add(1, exp(neg(logits))))})

    @classmethod
    def given(cls, kind: str, value: Expr, *leading: Expr) -> BinomialLaw:
        if kind != "probs" or len(leading) != 1:
            raise ValueError(f"{cls.family} is not parameterised by {kind}")
        return cls(leading[0], value)

    @property
    def total_count(self) -> Expr:
        return self.args[0]

    @property
    def probs(self) -> Expr:
        return self.args[1]

    @property
    def support(self) -> Range:  # type: ignore[override]
        return Range(0, self.total_count + 1)

    def pdf(self, variable: Symbol) -> Expr:
        return choose(self.total_count, variable) * self.probs**variable \
            * (1 - self.probs) ** (self.total_count - variable)

    def log_normaliser(self) -> Expr:
        """``n log(1 - p)``."""
        return mul(self.total_count, log(complement(self.probs)))

    def energy(self, variable: Symbol) -> Expr:
        """``-log C(n, k) - k log(p / (1 - p))``."""
        return neg(add(log(choose(self.total_count, variable)),
                       mul(variable, log(frac(self.probs, complement(self.probs))))))

    def log_mass_parts(self, variable: Symbol) -> tuple[tuple[Expr, Expr | None], ...]:
        """``log C(n, k) + k log p + n log(1 - p) - k log(1 - p)``: the count's terms apart from the constant's."""
        return ((S.One, choose(self.total_count, variable)), (variable, self.probs),
                (self.total_count, complement(self.probs)), (mul(S.NegativeOne, variable), complement(self.probs)))

    @property
    def mean(self) -> Expr:
        return mul(self.total_count, self.probs)

    @property
    def variance(self) -> Expr:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, values: Sequence[float], rng: random.Random) -> float:
        return float(sum(rng.random() < float(values[1]) for _ in range(int(values[0]))))

    def outside_support(self, other: Law, search: int = 64) -> Expr | None:
        """None against a binomial law of the same count (the same support), else as for every discrete law (a
        count given by name: none is searched)."""
        if isinstance(other, BinomialLaw) and other.total_count == self.total_count:
            return None
        return super().outside_support(other, search) if self.total_count.is_Integer else None

    def integrate(self, function: Integrand, values: Sequence[Number], exact: bool,
                  breakpoints: Sequence[Number] = ()) -> Number:
        """``sum_{k=0}^{n} function(k)`` at the numeric ``n`` of ``values``."""
        terms = (function(mpmath.mpf(k) if exact else float(k)) for k in range(int(values[0]) + 1))
        return mpmath.fsum(terms) if exact else math.fsum(terms)
