"""Rules for laws of an integer variable (``derivation.laws``: ``discrete = True``): an expectation over a finite
support is a finite sum, written out term by term with the mass at each point."""

from __future__ import annotations

from sympy import Eq, Expr, Integer, S, Sum, exp, expand, log

from ..core.engine import Rewrite, Rule
from ..core.errors import RuleNotApplicable
from ..core.forms import add, evaluated, frac, is_negative_term, mul, neg, sub
from ..laws.bernoulli import BernoulliLaw, complement
from ..laws.counts import BinomialLaw
from ..nodes.scalar import Density, Expectation
from .base import factors, rewrite_nodes, rewrite_or_refuse, terms
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
    if not (isinstance(q, (BernoulliLaw, BinomialLaw)) and type(q) is type(p)):
        raise RuleNotApplicable("not two Bernoulli (or binomial) laws")
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


def _binomial_in_log_odds(expr: Expr, setting) -> Expr:
    """``n a log(a/b) + n log((1 - a)/(1 - b)) - n a log((1 - a)/(1 - b)) -> n a (log(a/(1 - a)) - log(b/(1 - b)))
    + n log((1 - a)/(1 - b))``: the two terms weighted by ``n a`` are the difference of the log-odds."""
    a, b = _bernoulli_probabilities(setting)
    law = setting.q.law
    if not isinstance(law, BinomialLaw):
        raise RuleNotApplicable("not two binomial laws")
    n = law.total_count
    ratio = log(frac(complement(a), complement(b)))
    before = add(mul(n, a, log(frac(a, b))), mul(n, ratio), neg(mul(n, a, ratio)))
    if expand(evaluated(expr) - evaluated(before)) != 0:
        raise RuleNotApplicable("not the divergence of two binomial laws in their probabilities")
    return add(mul(n, a, sub(log_odds(a), log_odds(b))), mul(n, ratio))


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


def _log_of_exponentials(expr: Expr, setting) -> Rewrite:
    """``log(u / (c e^v)) -> log(u / c) - v`` (and ``+ v`` for ``e^v`` above the bar): the logarithm of an
    exponential factor is its exponent (``log((1 - a) / e^-b) -> log(1 - a) + b``)."""
    used: dict[Expr, Expr] = {}

    def match(e: Expr) -> Expr | None:
        if not isinstance(e, log):
            return None
        parts = factors(e.args[0])
        upper = [f for f in parts if not (f.is_Pow and f.args[1] == -1)]
        lower = [g for f in parts if f.is_Pow and f.args[1] == -1 for g in factors(f.args[0])]
        above = [f.args[0] for f in upper if isinstance(f, exp)]
        below = [f.args[0] for f in lower if isinstance(f, exp)]
        if not above and not below:
            return None
        top = mul(*(f for f in upper if not isinstance(f, exp)))
        bottom = [f for f in lower if not isinstance(f, exp)]
        rest = frac(top, mul(*bottom)) if bottom else top
        out = add(*([] if rest == 1 else [log(rest)]), *above, *(neg(v) for v in below))
        used[e] = out
        return out

    out = rewrite_or_refuse(expr, match, "logarithm of an exponential factor")
    return Rewrite(out, tuple(Eq(old, new, evaluate=False) for old, new in used.items()))


def _weights_sum_to_one(expr: Expr, setting) -> Expr:
    """``sum_i w_i (A_i + c) -> sum_i w_i A_i + c`` when the weights add up to one (the probabilities of q)."""
    parts = terms(expr)
    sums = [[f for f in factors(term) if f.is_Add] for term in parts]
    if len(parts) < 2 or not all(sums):
        raise RuleNotApplicable("not a sum of weights times sums")
    common = [t for inner in sums[0] for t in terms(inner)
              if all(any(t in terms(f) for f in others) for others in sums[1:])]
    if not common:
        raise RuleNotApplicable("no term common to every value")
    split = []
    for term, candidates in zip(parts, sums, strict=True):
        inner = next(f for f in candidates if common[0] in terms(f))
        split.append((mul(*(f for f in factors(term) if f is not inner)), terms(inner)))
    if sum((evaluated(w) for w, _ in split), S.Zero).simplify() != 1:
        raise RuleNotApplicable("the weights do not add up to one")
    kept = [mul(w, add(*(t for t in inner if t not in common))) for w, inner in split]
    return add(*kept, *(t for t in common if all(t in inner for _, inner in split)))


LOG_OF_EXPONENTIALS = Rule(
    "log-of-exponentials",
    "Exponentials",
    "The logarithm of an exponential factor is its exponent.",
    _log_of_exponentials,
)

WEIGHTS_SUM_TO_ONE = Rule(
    "weights-sum-to-one",
    "Probabilities add to one",
    "A term common to every value is weighted by probabilities that add up to one, so it stands alone.",
    _weights_sum_to_one,
)

def _support_mismatch(expr: Expr, setting) -> Rewrite:
    """``sum_k q(k) log(q(k)/p(k)) -> oo`` when q gives a value k0 positive probability and p none: the term at k0
    is ``q(k0) log(q(k0)/0) = +oo`` and the terms where both have mass are finite (identities: ``q(k0) = ...``,
    ``p(k0) = 0``). The value may be symbolic: ``n + 1``, one past the support of ``Binomial(n, p)``."""
    q, p = setting.q, setting.p
    if not (q.law.discrete and p.law.discrete) or not (isinstance(expr, Sum) and expr.has(q) and expr.has(p)):
        raise RuleNotApplicable("not the divergence of two discrete laws as a sum")
    witness = q.law.outside_support(p.law)
    if witness is None:
        raise RuleNotApplicable("the first law has no value outside the support of the second")
    return Rewrite(S.Infinity, (Eq(Density(q.name, witness, q.law), q.law.mass(witness), evaluate=False),
                                Eq(Density(p.name, witness, p.law), 0, evaluate=False)))


SUPPORT_MISMATCH = Rule(
    "support-mismatch",
    "Support",
    "The first law gives this value positive probability and the second none, so its term is infinite; the "
    "values both laws can take give finite terms, so the divergence is infinite.",
    _support_mismatch,
)

IN_LOG_ODDS = Rule(
    "bernoulli-log-odds",
    "Log-odds",
    "The log-ratio of the probabilities of 1 is the difference of the log-odds plus the log-ratio of the "
    "probabilities of 0, whose weights add up to one.",
    _in_log_odds,
)

BINOMIAL_IN_LOG_ODDS = Rule(
    "binomial-log-odds",
    "Log-odds",
    "The terms weighted by the mean number of successes combine into the difference of the log-odds.",
    _binomial_in_log_odds,
)

LOGISTIC = Rule(
    "bernoulli-logits",
    "Logits",
    "Each probability is the logistic function of its logit: its log-odds are the logit, and one minus it is the "
    "logistic function of minus the logit.",
    _logistic,
)

__all__ = ["BINOMIAL_IN_LOG_ODDS", "FINITE_SUPPORT", "IN_LOG_ODDS", "LOGISTIC", "LOG_OF_EXPONENTIALS",
           "SUM_AS_EXPECTATION", "SUPPORT_MISMATCH", "WEIGHTS_SUM_TO_ONE", "log_odds"]
