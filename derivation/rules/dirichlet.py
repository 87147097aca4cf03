"""The Dirichlet family: the divergence as an expectation over the simplex, its log-densities combined (the shared
factories of ``rules.families``), and the expected logarithm of a coordinate derived from its Beta marginal with
the Beta lemma (``rules.beta.BETA_LOG_MOMENT``: the derivative of the log-normaliser, as for Gamma and Beta).

``KL(Dir(alpha) || Dir(beta)) = log Gamma(alpha_0) - sum_k log Gamma(alpha_k) - log Gamma(beta_0)
+ sum_k log Gamma(beta_k) + sum_k (alpha_k - beta_k) (psi(alpha_k) - psi(alpha_0))``, ``alpha_0 = sum_k alpha_k``.
"""

from __future__ import annotations

from sympy import Eq, Expr, Indexed, S, Symbol, gamma, log

from ..core.engine import Derivation, Rewrite, Rule, derive_chain
from ..core.errors import RuleNotApplicable
from ..core.forms import add, evaluated, frac, mul, neg, sub
from ..laws.beta import BetaLaw
from ..laws.dirichlet import INDEX, DirichletLaw
from ..nodes.scalar import KL, Density, Expectation
from .base import rewrite_or_refuse
from .beta import BETA_LOG_MOMENT
from .families import combine_log_densities, log_density_rule
from .gamma import digamma


def _dirichlet(setting: object) -> tuple[Density, Density]:
    q, p = setting.q, setting.p  # type: ignore[attr-defined]
    if not (isinstance(q.law, DirichletLaw) and isinstance(p.law, DirichletLaw)):
        raise RuleNotApplicable("not two Dirichlet laws")
    return q, p


def _definition(expr: Expr, setting: object) -> Rewrite:
    """``KL(q || p) -> E_q[log(q(x) / p(x))]``: the divergence is the integral over the simplex of q's density
    times the log-ratio, an expectation under q."""
    _dirichlet(setting)
    out = rewrite_or_refuse(expr, lambda e: Expectation(log(frac(e.q, e.p)), e.q) if isinstance(e, KL) else None,
                            "KL divergence")
    return Rewrite(out, ())


DIRICHLET_DEFINITION = Rule(
    "dirichlet-kl-definition",
    "Definition",
    "The Kullback-Leibler divergence is the average, under the first density, of the log-ratio of the two "
    "densities: an integral over the simplex, where the coordinates are positive and add up to one.",
    _definition,
)

DIRICHLET_LOG_DENSITY = log_density_rule("dirichlet-log-density", "Dirichlet")

COMBINE_DIRICHLET_LOG_DENSITIES = combine_log_densities(
    "combine-dirichlet-log-densities",
    "The normalising constants stay as logarithms of Gamma functions; the sums over the coordinates of the "
    "logarithms of x stay.",
    (DirichletLaw,),
    cite=False,
)


def marginal_law(law: DirichletLaw, index: Expr) -> BetaLaw:
    """``Beta(alpha_k, alpha_0 - alpha_k)``: the law of coordinate ``index`` of a Dirichlet vector alone."""
    return BetaLaw(law.at(index), sub(law.total(), law.at(index)))


def _marginal(expr: Expr, setting: object) -> Rewrite:
    """``E_q[g(x_k)] -> E_{q_k}[g(t)]`` with ``q_k = Beta(alpha_k, alpha_0 - alpha_k)``: a coordinate of a Dirichlet
    vector alone is a Beta variable (the aggregation property: the other coordinates add up to ``1 - x_k``)."""
    t = getattr(setting, "marginal", Symbol("t", positive=True))
    used: dict[Expr, None] = {}

    def match(e: Expr) -> Expr | None:
        if not (isinstance(e, Expectation) and isinstance(e.density.law, DirichletLaw)):
            return None
        x = e.density.variable
        coordinates = {a for a in e.expr.atoms(Indexed) if a.base == x}
        if len(coordinates) != 1:
            return None
        (coordinate,) = coordinates
        law = marginal_law(e.density.law, coordinate.indices[0])
        name = f"{e.density.name}_{coordinate.indices[0]}"
        used[Eq(Symbol(name), Density("", t, law), evaluate=False)] = None
        return Expectation(e.expr.xreplace({coordinate: t}), Density(name, t, law))

    out = rewrite_or_refuse(expr, match, "expectation of a function of one coordinate")
    return Rewrite(out, tuple(used))


DIRICHLET_MARGINAL = Rule(
    "dirichlet-marginal",
    "Marginal",
    "One coordinate of a Dirichlet variable alone is a Beta variable: its own concentration against the sum of "
    "the others.",
    _marginal,
)

#: From ``E_q[log x_k]`` to ``psi(alpha_k) - psi(alpha_0)``: the coordinate's Beta marginal, then the Beta lemma.
LOG_MOMENT_PLAN: tuple[Rule, ...] = (DIRICHLET_MARGINAL, BETA_LOG_MOMENT)


def _log_moments(expr: Expr, setting: object) -> Rewrite:
    """``E_q[log x_k] -> psi(alpha_k) - psi(alpha_0)`` under a Dirichlet law, with the lemma that derives it."""
    lemmas: dict[Expr, Derivation] = {}
    values: dict[Expr, Expr] = {}

    def match(e: Expr) -> Expr | None:
        if not (isinstance(e, Expectation) and e.density.name and isinstance(e.density.law, DirichletLaw)):
            return None
        x = e.density.variable
        if not (isinstance(e.expr, log) and isinstance(e.expr.args[0], Indexed) and e.expr.args[0].base == x):
            return None
        if e not in values:
            lemma = derive_chain("dirichlet-log-moment", "Expected logarithm of a coordinate of a Dirichlet variable",
                                 e, LOG_MOMENT_PLAN, setting, skip_unfit=True)
            lemmas[e], values[e] = lemma, lemma.result
        return values[e]

    out = rewrite_or_refuse(expr, match, "expected logarithm of a coordinate under a Dirichlet density")
    return Rewrite(out, tuple(Eq(e, v, evaluate=False) for e, v in values.items()), tuple(lemmas.values()))


DIRICHLET_LOG_MOMENT = Rule(
    "dirichlet-log-moment",
    "Expected logarithm",
    "The expected logarithm of a coordinate of a Dirichlet variable is that of its Beta marginal, the derivative "
    "of the Beta log-normaliser in its first concentration (lemma below).",
    _log_moments,
)


def _collect(expr: Expr, setting: object) -> Expr:
    """The closed form ``log Gamma(alpha_0) - sum_k log Gamma(alpha_k) - log Gamma(beta_0) + sum_k log Gamma(beta_k)
    + sum_k (alpha_k - beta_k) (psi(alpha_k) - psi(alpha_0))`` (torch's form), checked equal to the line."""
    q, p = _dirichlet(setting)
    if expr.has(Expectation, KL):
        raise RuleNotApplicable("not a closed form of a Dirichlet pair")
    k = INDEX
    a, b = q.law, p.law
    constants = [log(gamma(a.total())), neg(a.over(log(gamma(a.at(k))), k)), neg(log(gamma(b.total()))),
                 a.over(log(gamma(b.at(k))), k)]
    gap = evaluated(a.at(k) - b.at(k))
    weight = gap if gap.is_Number else sub(a.at(k), b.at(k))
    moments = S.Zero if gap == 0 else a.over(mul(weight, sub(digamma(a.at(k)), digamma(a.total()))), k)
    out = add(*constants, moments)
    if out == expr:
        raise RuleNotApplicable("already collected")
    return out


COLLECT_DIRICHLET = Rule(
    "collect-dirichlet-terms",
    "Collect",
    "Collect the terms of the two sums over the coordinates into one.",
    _collect,
)

__all__ = ["COLLECT_DIRICHLET", "COMBINE_DIRICHLET_LOG_DENSITIES", "DIRICHLET_DEFINITION", "DIRICHLET_LOG_DENSITY",
           "DIRICHLET_LOG_MOMENT", "DIRICHLET_MARGINAL", "LOG_MOMENT_PLAN", "marginal_law"]
