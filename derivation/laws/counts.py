"""Laws of a count ``k = 0, 1, 2, ...`` (discrete, infinite support: their sums are series): ``Poisson(rate)`` and
``Geometric(probs)`` (the number of failures before the first success, as ``torch.distributions.Geometric``)."""

from __future__ import annotations

from sympy import Expr, Interval, Range, S, Symbol, exp, factorial, log, oo

from ..core.forms import add, frac, mul, neg
from .base import Law
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
