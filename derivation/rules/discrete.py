"""Rules for laws of an integer variable (``derivation.laws``: ``discrete = True``): an expectation over a finite
support is a finite sum, written out term by term with the mass at each point."""

from __future__ import annotations

from sympy import Eq, Expr, Integer, exp, log

from ..core.engine import Rewrite, Rule
from ..core.errors import RuleNotApplicable
from ..core.forms import add, frac, is_negative_term, mul, neg, sub
from ..laws.bernoulli import BernoulliLaw, complement
from ..nodes.scalar import Density, Expectation
from .base import rewrite_nodes, rewrite_or_refuse, terms
from .definition import INTEGRAL_AS_EXPECTATION


def _written_out(expr: Expr, setting) -> Expr:
    """``E_q[g(x)] -> sum_k q(k) g(k)`` over the points k of q's finite support, each density at k replaced by
    its mass there (``E_q[log(q(x)/p(x))] -> (1 - p) log((1 - p)/(1 - r)) + p log(p/r)`` for two Bernoullis)."""

    def match(e: Expr) -> Expr | None:
        if not isinstance(e, Expectation) or not isinstance(e.density, Density):
            return None
        law, x = e.density.law, e.density.variable
        if not law.discrete or not law.support.sup.is_finite:
            return None
        points = range(int(law.support.inf), int(law.support.sup) + 1)

        def at(k: int) -> Expr:
            body = rewrite_nodes(e.expr, lambda n: n.law.mass(k) if isinstance(n, Density) and n.variable == x
                                 else Integer(k) if n == x else None)
            return mul(law.mass(k), body)

        return add(*(at(k) for k in points))

    return rewrite_or_refuse(expr, match, "expectation under a law of finite support")


FINITE_SUPPORT = Rule(
    "finite-support-expectation",
    "Finite support",
    "An expectation over finitely many values is the sum of each value's term weighted by its probability.",
    _written_out,
)

#: The step from the definition's sum to an expectation, said of a sum (the rule is the integral's).
SUM_AS_EXPECTATION = Rule(
    "sum-as-expectation",
    "As an expectation",
    "A sum of a function weighted by the probabilities of the values is its expectation.",
    INTEGRAL_AS_EXPECTATION.apply,
)

def log_odds(probability: Expr) -> Expr:
    """``log(p / (1 - p))``, the log-odds of a probability, as a display form."""
    return log(frac(probability, complement(probability)))


def _bernoulli_probabilities(setting) -> tuple[Expr, Expr]:
    q, p = setting.q.law, setting.p.law
    if not (isinstance(q, BernoulliLaw) and isinstance(p, BernoulliLaw)):
        raise RuleNotApplicable("not two Bernoulli laws")
    return q.probs, p.probs


def _in_log_odds(expr: Expr, setting) -> Expr:
    """``(1 - a) log((1 - a)/(1 - b)) + a log(a/b) -> a (log(a/(1 - a)) - log(b/(1 - b))) + log((1 - a)/(1 - b))``:
    ``log(a/b)`` is the difference of the log-odds plus ``log((1 - a)/(1 - b))``, whose two weights then add to 1."""
    a, b = _bernoulli_probabilities(setting)
    ratio = log(frac(complement(a), complement(b)))
    before = add(mul(complement(a), ratio), mul(a, log(frac(a, b))))
    after = add(mul(a, sub(log_odds(a), log_odds(b))), ratio)
    if expr != before:
        raise RuleNotApplicable("not the divergence of two Bernoulli laws in their probabilities")
    return after


def _logistic(expr: Expr, setting) -> Rewrite:
    """Each probability ``theta = 1 / (1 + e^-l)`` defined by logits l: ``log(theta / (1 - theta)) -> l``,
    ``log(1 - theta) -> -log(1 + e^l)``, and what is left of theta by its definition (positive terms first)."""
    a, b = _bernoulli_probabilities(setting)
    logits = {theta: value for theta, kind, value in getattr(setting, "sources", ()) if kind == "logits"}
    if not logits:
        raise RuleNotApplicable("no probability defined by logits")

    def log_complement(theta: Expr) -> Expr:
        return neg(log(add(1, exp(logits[theta])))) if theta in logits else log(complement(theta))

    def match(e: Expr) -> Expr | None:
        if e == log(frac(complement(a), complement(b))):
            return add(log_complement(a), neg(log_complement(b)))
        for theta, value in logits.items():
            if e == log_odds(theta):
                return value
        return None

    out = rewrite_nodes(expr, match).xreplace(dict(setting.definitions))
    out = add(*sorted(terms(out), key=is_negative_term))
    if out == expr:
        raise RuleNotApplicable("nothing in the logits")
    identities = tuple(identity for theta, value in logits.items() for identity in (
        Eq(log_odds(theta), value, evaluate=False),
        Eq(complement(theta), frac(1, add(1, exp(value))), evaluate=False)) if expr.has(theta))
    return Rewrite(out, identities)


IN_LOG_ODDS = Rule(
    "bernoulli-log-odds",
    "Log-odds",
    "The log-ratio of the probabilities of 1 is the difference of the log-odds plus the log-ratio of the "
    "probabilities of 0, whose weights add up to one.",
    _in_log_odds,
)

LOGISTIC = Rule(
    "bernoulli-logits",
    "Logits",
    "Each probability is the logistic function of its logit: its log-odds are the logit, and one minus it is the "
    "logistic function of minus the logit.",
    _logistic,
)

__all__ = ["FINITE_SUPPORT", "IN_LOG_ODDS", "LOGISTIC", "SUM_AS_EXPECTATION", "log_odds"]
