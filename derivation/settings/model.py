"""The setting of variational inference: a latent-variable model p(x, z) = p(x | z) p(z) and a density q(z).

The identities of the ``elbo`` document hold for any model and any q. The lines are stated with the model's
densities as named nodes (:class:`~derivation.nodes.model.ModelDensity`), and each node carries the formula of
one concrete model, the linear-Gaussian one (``p(z) = N(0, 1)``, ``p(x | z) = N(w z, s**2)``,
``q(z) = N(m, t**2)``), whose posterior and evidence are Gaussian in closed form: the checker verifies every
line on that model at random values of x, w, s, m and t, integrals by quadrature under q.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

import mpmath
from sympy import Basic, Contains, Eq, Expr, Gt, Integral, S, Symbol, log, oo, sqrt

from ..check.checker import Checker
from ..core.errors import UsageError
from ..core.forms import add, frac, mul, square
from ..laws import NormalLaw
from ..laws.base import Integrand, Number, quadrature
from ..laws.normal import hermite_rule
from ..nodes.model import ModelDensity
from ..nodes.scalar import Density, Expectation, Named
from .univariate import Notation


class CheckedNormalLaw(NormalLaw):
    """``N(mean, std**2)`` as q of the model. An integral of a line weighted by it is the Gauss-Hermite sum centred on
    it (exact for a polynomial times this Gaussian, which the log-density lines are) when a rule with fewer nodes
    agrees with it; otherwise (an importance weight ``p(x, z) / q(z)`` is no polynomial) adaptive quadrature, in the
    evaluator's precision."""

    def integrate(self, function: Integrand, values: Sequence[Number], exact: bool,
                  breakpoints: Sequence[Number] = ()) -> Number:
        full = super().integrate(function, values, exact, breakpoints)
        fewer = _hermite(function, values, exact, PROBE_NODES)
        if abs(full - fewer) <= (1e-25 if exact else 1e-13) * max(1, abs(full)):
            return full
        if exact:
            return quadrature(function, -math.inf, math.inf, [values[0]])
        return float(mpmath.quad(function, [-mpmath.inf, float(values[0]), mpmath.inf]))


#: The nodes of the Gauss-Hermite rule that probes whether the full rule is exact for an integrand.
PROBE_NODES = 20


def _hermite(function: Integrand, values: Sequence[Number], exact: bool, nodes: int) -> Number:
    """The ``nodes``-point Gauss-Hermite sum of ``function`` centred on N(mean, std**2) (``values``)."""
    mean, std = values
    if exact:
        scale = mpmath.sqrt(2) * std
        return scale * mpmath.fsum(w * mpmath.exp(t * t) * function(mean + scale * t) for t, w in hermite_rule(nodes))
    scale = math.sqrt(2) * float(std)
    return scale * math.fsum(float(w) * math.exp(float(t) ** 2) * function(float(mean) + scale * float(t))
                             for t, w in _hermite_double(nodes))


@cache
def _hermite_double(nodes: int) -> tuple[tuple[float, float], ...]:
    return tuple((float(t), float(w)) for t, w in hermite_rule(nodes))


@dataclass(frozen=True)
class ModelSetting:
    """The observation ``x``, the latent ``z``, the model's densities, q, and the ELBO as a named functional."""

    x: Symbol
    z: Symbol
    w: Symbol
    s: Symbol
    m: Symbol
    t: Symbol
    notation: Notation = field(default_factory=Notation)
    #: Whether the documents state the Gaussian model (``elbo-linear-gaussian``) or only its structure (``elbo``).
    concrete: bool = False

    # -- the laws of the linear-Gaussian model ---------------------------------------------------------------
    @property
    def posterior_mean(self) -> Expr:
        """``w x / (w**2 + s**2)``: the mean of p(z | x)."""
        return frac(mul(self.w, self.x), add(square(self.w), square(self.s)))

    @property
    def posterior_variance(self) -> Expr:
        """``s**2 / (w**2 + s**2)``: the variance of p(z | x)."""
        return frac(square(self.s), add(square(self.w), square(self.s)))

    @property
    def evidence_variance(self) -> Expr:
        """``w**2 + s**2``: the variance of p(x)."""
        return add(square(self.w), square(self.s))

    @property
    def q_law(self) -> NormalLaw:
        return CheckedNormalLaw(self.m, self.t)

    @property
    def prior_law(self) -> NormalLaw:
        return NormalLaw(S.Zero, S.One)

    @property
    def likelihood_law(self) -> NormalLaw:
        return NormalLaw(mul(self.w, self.z), self.s)

    @property
    def posterior_law(self) -> NormalLaw:
        return NormalLaw(self.posterior_mean, sqrt(self.posterior_variance))

    @property
    def evidence_law(self) -> NormalLaw:
        return NormalLaw(S.Zero, sqrt(self.evidence_variance))

    # -- the densities, as the documents name them ----------------------------------------------------------
    @property
    def q(self) -> Density:
        """q(z): any density of the latent variable (the encoder's, in a VAE)."""
        return Density(self.notation.name("q"), self.z, self.q_law)

    @property
    def prior(self) -> ModelDensity:
        """p(z)."""
        return ModelDensity(self.p_name, self.prior_law.pdf(self.z), (self.z,))

    @property
    def likelihood(self) -> ModelDensity:
        """p(x | z)."""
        return ModelDensity(self.p_name, self.likelihood_law.pdf(self.x), (self.x,), (self.z,))

    @property
    def joint(self) -> ModelDensity:
        """p(x, z) = p(x | z) p(z)."""
        return ModelDensity(self.p_name, self.likelihood_law.pdf(self.x) * self.prior_law.pdf(self.z),
                            (self.x, self.z))

    @property
    def posterior(self) -> ModelDensity:
        """p(z | x)."""
        return ModelDensity(self.p_name, self.posterior_law.pdf(self.z), (self.z,), (self.x,))

    @property
    def evidence(self) -> ModelDensity:
        """p(x), the evidence."""
        return ModelDensity(self.p_name, self.evidence_law.pdf(self.x), (self.x,))

    @property
    def p_name(self) -> str:
        return self.notation.name("p")

    def elbo_definition(self) -> Expectation:
        """``E_q[log(p(x, z) / q(z))]``."""
        return Expectation(log(frac(self.joint, self.q)), self.q)

    @property
    def elbo(self) -> Named:
        """``ELBO(q)``, standing for its definition."""
        return Named("ELBO", self.elbo_definition(), (Symbol(self.q.name),))

    # -- what the engine and the documents ask -------------------------------------------------------------
    def start(self) -> Expr:
        """``log p(x)`` (the identity's left-hand side), or for the concrete model ``ELBO(q)`` (its closed form)."""
        return self.elbo if self.concrete else log(self.evidence)

    def statements(self) -> tuple[Basic, ...]:
        """The model (joint = likelihood times prior) and the evidence as the joint's integral over z; for the
        concrete model, its three Gaussians."""
        if self.concrete:
            return self.instance()
        return (Eq(self.joint, mul(self.likelihood, self.prior), evaluate=False),
                Eq(self.evidence, Integral(self.joint, (self.z, -oo, oo)), evaluate=False))

    def instance(self) -> tuple[Basic, ...]:
        """The concrete model the checker verifies the lines on: prior, likelihood and q as Gaussians."""
        return tuple(Eq(d, Density("", d.variable, law), evaluate=False)
                     for d, law in ((self.prior, self.prior_law), (self.likelihood, self.likelihood_law),
                                    (self.q, self.q_law)))

    def assumptions(self) -> tuple[Basic, ...]:
        """``q(z) > 0`` (q may divide; any density of z), or for the concrete model the parameters' ranges."""
        if not self.concrete:
            return (Gt(self.q, 0, evaluate=False),)
        return tuple(Gt(s, 0, evaluate=False) if s.is_positive else Contains(s, S.Reals, evaluate=False)
                     for s in self.parameters)

    @property
    def parameters(self) -> tuple[Symbol, ...]:
        return (self.x, self.w, self.s, self.m, self.t)

    def checker(self) -> Checker:
        return Checker(self.parameters)


#: The names of the model's parameters (the decoder's weight and noise, q's mean and standard deviation).
MODEL_PARAMETERS = ("w", "s", "m", "t")


def model_setting(notation: Notation, concrete: bool = False) -> ModelSetting:
    """The linear-Gaussian model in the notation's names (x, z; w and s for the decoder, m and t for q)."""
    n = notation
    taken = {n.name("x"), n.name("z"), n.name("q"), n.name("p")} & set(MODEL_PARAMETERS)
    if taken:
        raise UsageError(f"notation: {sorted(taken)[0]!r} names a parameter of the linear-Gaussian model "
                         f"({', '.join(MODEL_PARAMETERS)}); choose another name")
    return ModelSetting(x=n.real("x"), z=n.real("z"), w=Symbol("w", real=True), s=Symbol("s", positive=True),
                        m=Symbol("m", real=True), t=Symbol("t", positive=True), notation=n, concrete=concrete)
