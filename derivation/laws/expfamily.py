"""A one-parameter exponential family in its natural parameter: density ``h(x) exp(eta T(x) - A(eta))``.

:class:`ExponentialFamilyLaw` is the family in general: the base measure ``h``, the sufficient statistic ``T`` and
the log-normaliser ``A`` are undefined functions, so a derivation in it holds for every such family. The checker
cannot evaluate undefined functions; it checks each line at :data:`INSTANCES`, concrete families put in for them
(two Gaussian families, one with a log-normaliser that is not a polynomial), every instance on the real line.

:data:`NATURAL_FORMS` writes the one-parameter families kl-derive derives from their definitions (Bernoulli, Poisson,
geometric, exponential, half-normal) in natural form: the natural parameter in the law's own parameter, and the
log-normaliser.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from sympy import Expr, Function, Lambda, Symbol, exp, log, pi, sqrt

from ..core.forms import add, mul, neg, sub
from .base import Law
from .bernoulli import BernoulliLaw
from .counts import GeometricLaw, PoissonLaw
from .exponential import ExponentialLaw
from .halfnormal import HalfNormalLaw
from .normal import NormalLaw

#: The base measure, the sufficient statistic and the log-normaliser of the family in general, and A's derivative.
BASE = Function("h")
STATISTIC = Function("T")
LOG_NORMALISER = Function("A")
SLOPE = Function("A'")


class ExponentialFamilyLaw(Law):
    """``h(x) exp(eta T(x) - A(eta))`` on the real line, ``A(eta) = log int h(x) exp(eta T(x)) dx``."""

    family = "ExponentialFamily"
    parameter_names = ("natural",)
    symbols = ("eta",)

    @property
    def natural(self) -> Expr:
        return self.args[0]

    def pdf(self, variable: Symbol) -> Expr:
        return BASE(variable) * exp(self.natural * STATISTIC(variable) - LOG_NORMALISER(self.natural))

    def density_form(self, variable: Symbol) -> Expr:
        """``h(x) exp(eta T(x) - A(eta))`` as a display form (in this order)."""
        return mul(BASE(variable), exp(sub(mul(self.natural, STATISTIC(variable)), LOG_NORMALISER(self.natural)),
                                       evaluate=False))

    def log_pdf_form(self, variable: Symbol) -> Expr:
        """``log h(x) + eta T(x) - A(eta)``."""
        return add(log(BASE(variable)), mul(self.natural, STATISTIC(variable)), neg(LOG_NORMALISER(self.natural)))

    def log_normaliser(self) -> Expr:
        """``-A(eta)``: the part of the log-density free of x."""
        return neg(LOG_NORMALISER(self.natural))

    def normaliser(self) -> Expr:
        """``exp(-A(eta))``: the density's constant factor."""
        return exp(neg(LOG_NORMALISER(self.natural)), evaluate=False)

    def weight(self, variable: Symbol) -> Expr:
        """``h(x) exp(eta T(x))``: the density over its constant factor."""
        return mul(BASE(variable), exp(mul(self.natural, STATISTIC(variable)), evaluate=False))

    def energy(self, variable: Symbol) -> Expr:
        """``-eta T(x) - log h(x)``."""
        return sub(neg(mul(self.natural, STATISTIC(variable))), log(BASE(variable)))


def slope_of(log_normaliser: Lambda) -> Lambda:
    """``A'`` of a concrete log-normaliser ``A`` (a one-variable ``Lambda``)."""
    (eta,) = log_normaliser.variables
    return Lambda(eta, log_normaliser.expr.diff(eta))


@dataclass(frozen=True)
class Instance:
    """A concrete family put in for the general one: its base measure, statistic and log-normaliser as functions,
    the law of its densities at a natural parameter, and where the natural parameter is drawn."""

    name: str
    base: Lambda
    statistic: Lambda
    log_normaliser: Lambda
    law: Callable[[Expr], Law]
    natural_range: tuple[float, float]

    @property
    def slope(self) -> Lambda:
        """``A'``."""
        return slope_of(self.log_normaliser)

    def functions(self) -> Mapping[Function, Lambda]:
        return {BASE: self.base, STATISTIC: self.statistic, LOG_NORMALISER: self.log_normaliser, SLOPE: self.slope}


_X, _ETA = Symbol("x", real=True), Symbol("eta", real=True)

#: The families the checker puts in for ``h``, ``T`` and ``A``: the Gaussians of unit variance (``T(x) = x``,
#: ``A(eta) = eta**2 / 2``) and of mean zero (``T(x) = x**2``, ``h = 1``, ``A(eta) = log(pi / -eta) / 2``, a
#: log-normaliser that is not a polynomial; natural parameter ``-1 / (2 sigma**2)``).
INSTANCES: tuple[Instance, ...] = (
    Instance("the Gaussians of unit variance", Lambda(_X, exp(-_X**2 / 2) / sqrt(2 * pi)), Lambda(_X, _X),
             Lambda(_ETA, _ETA**2 / 2), lambda eta: NormalLaw(eta, 1), (-2.0, 2.0)),
    Instance("the Gaussians of mean zero", Lambda(_X, 1), Lambda(_X, _X**2), Lambda(_ETA, log(pi / -_ETA) / 2),
             lambda eta: NormalLaw(0, sqrt(-1 / (2 * eta))), (-2.0, -0.2)),
)


@dataclass(frozen=True)
class NaturalForm:
    """A family in natural form: its name in prose (``"Poisson distributions"``), its natural parameter as a
    function of the law (``log lambda`` for Poisson), its log-normaliser ``A`` and its sufficient statistic ``T``."""

    name: str
    natural: Callable[[Law], Expr]
    log_normaliser: Lambda
    statistic: Lambda


#: The one-parameter families derived from their definitions, in natural form (torch's parameterisations).
_IDENTITY, _SQUARE = Lambda(_X, _X), Lambda(_X, _X**2)
NATURAL_FORMS: Mapping[type[Law], NaturalForm] = MappingProxyType({
    BernoulliLaw: NaturalForm("Bernoulli distributions", lambda law: log(law.args[0] / (1 - law.args[0])),
                              Lambda(_ETA, log(1 + exp(_ETA))), _IDENTITY),
    PoissonLaw: NaturalForm("Poisson distributions", lambda law: log(law.args[0]), Lambda(_ETA, exp(_ETA)),
                            _IDENTITY),
    GeometricLaw: NaturalForm("geometric distributions", lambda law: log(1 - law.args[0]),
                              Lambda(_ETA, -log(1 - exp(_ETA))), _IDENTITY),
    ExponentialLaw: NaturalForm("exponential distributions", lambda law: -law.args[0], Lambda(_ETA, -log(-_ETA)),
                                _IDENTITY),
    HalfNormalLaw: NaturalForm("half-normal distributions", lambda law: -1 / (2 * law.args[0] ** 2),
                               Lambda(_ETA, -log(-2 * _ETA) / 2), _SQUARE),
})
