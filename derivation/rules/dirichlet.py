"""The Dirichlet family: the divergence as an expectation over the simplex, its log-densities combined (the shared
factories of ``rules.families``) and their two sums over the coordinates collected into one, and the expected
logarithm of a coordinate derived from its Beta marginal with the Beta lemma (``rules.beta.BETA_LOG_MOMENT``: the
derivative of the log-normaliser, as for Gamma and Beta).

``KL(Dir(alpha) || Dir(beta)) = log Gamma(alpha_0) - sum_k log Gamma(alpha_k) - log Gamma(beta_0)
+ sum_k log Gamma(beta_k) + sum_k (alpha_k - beta_k) (psi(alpha_k) - psi(alpha_0))``, ``alpha_0 = sum_k alpha_k``.
"""

from __future__ import annotations

from sympy import Eq, Expr, Indexed, S, Symbol, log

from ..core.engine import Derivation, Rewrite, Rule, derive_chain
from ..core.errors import RuleNotApplicable
from ..core.forms import add, evaluated, frac, mul, neg, sub
from ..laws.beta import BetaLaw
from ..laws.dirichlet import INDEX, DirichletLaw
from ..nodes.scalar import KL, Density, Expectation
from .base import rewrite_or_refuse
from .beta import BETA_LOG_MOMENT
from .families import combine_log_densities
from .gaussian import GAUSSIAN_LOG_DENSITY


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

def _log_densities(expr: Expr, setting: object) -> Rewrite:
    """``log q(x) -> log Gamma(alpha_0) + sum_k ((alpha_k - 1) log x_k - log Gamma(alpha_k))`` for each named
    density (the body every family's log-density rule shares, ``rules.families.log_density_rule``), citing q's:
    p's is the same in its own concentrations, and the two would not fit one slide."""
    out = GAUSSIAN_LOG_DENSITY.apply(expr, setting)
    return Rewrite(out.expr, out.identities[:1], out.lemmas)


DIRICHLET_LOG_DENSITY = Rule(
    "dirichlet-log-density",
    "Log-densities",
    "Substitute the logarithm of each Dirichlet density (shown for q; p's is the same in its own concentrations).",
    _log_densities,
)

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


def _collect_sums(expr: Expr, setting: object) -> Expr:
    """``sum_k (alpha_k - 1) log x_k - sum_k (beta_k - 1) log x_k -> sum_k (alpha_k - beta_k) log x_k``: the two
    sums over the coordinates (minus each law's energy, as the combined log-densities write them) as one, their
    coefficients collected (a symmetric law's sum ``K`` times its term when nothing depends on k)."""
    q, p = _dirichlet(setting)
    k, x = INDEX, q.variable
    gap = evaluated(q.law.at(k) - p.law.at(k))
    weight = gap if gap.is_Number else sub(q.law.at(k), p.law.at(k))
    pieces = [t for t in (neg(q.law.energy(x)), p.law.energy(x)) if t != 0]
    collected = S.Zero if gap == 0 else q.law.over(mul(weight, log(x[k])), k)

    def match(e: Expr) -> Expr | None:
        if not e.is_Add or not all(t in e.args for t in pieces):
            return None
        return add(*(t for t in e.args if t not in pieces), collected)

    return rewrite_or_refuse(expr, match, "two sums over the coordinates of the logarithms of x")


COLLECT_DIRICHLET = Rule(
    "collect-dirichlet-sums",
    "Collect",
    "The two sums over the coordinates of the logarithms of x become one, their coefficients collected.",
    _collect_sums,
)

__all__ = ["COLLECT_DIRICHLET", "COMBINE_DIRICHLET_LOG_DENSITIES", "DIRICHLET_DEFINITION", "DIRICHLET_LOG_DENSITY",
           "DIRICHLET_LOG_MOMENT", "DIRICHLET_MARGINAL", "LOG_MOMENT_PLAN", "marginal_law"]
