"""Rules for the categorical law (``laws.categorical``): the divergence is a sum over the K categories, each
category's mass its probability; given in logits, each log-probability is the logit minus the log-sum-exp of all
the logits (the log-softmax), and the terms free of the category come out of the sum, whose weights add to one."""

from __future__ import annotations

from sympy import Eq, Expr, Sum, Symbol, exp, log

from ..core.engine import Rewrite, Rule
from ..core.errors import RuleNotApplicable
from ..core.forms import add, frac, mul, neg, sub
from ..laws.categorical import CategoricalLaw
from ..nodes.scalar import Density
from .base import factors, rewrite_or_refuse, terms


def _categorical(setting) -> tuple[Density, Density]:
    q, p = setting.q, setting.p
    if not (isinstance(q.law, CategoricalLaw) and isinstance(p.law, CategoricalLaw)):
        raise RuleNotApplicable("not two categorical laws")
    return q, p


def _probabilities(expr: Expr, setting) -> Rewrite:
    """``q(k) -> theta_{q,k}``: the mass of category k under a categorical law is its k-th probability."""
    q, p = _categorical(setting)
    out = rewrite_or_refuse(expr, lambda e: e.law.pdf(e.variable) if e in (q, p) else None, "categorical mass")
    return Rewrite(out, tuple(Eq(d, d.law.pdf(d.variable), evaluate=False) for d in (q, p) if expr.has(d)))


def log_sum_exp(logits: Expr, index: Symbol, size: Expr) -> Expr:
    """``log sum_j e^{l_j}``, the log-normaliser of the softmax, as a display form."""
    return log(Sum(exp(logits[index]), (index, 1, size)), evaluate=False)


def _logits(setting) -> dict[Expr, Expr]:
    """Each probability vector defined by logits -> its logits (``theta_q -> a``)."""
    found = {theta: value for theta, kind, value in getattr(setting, "sources", ()) if kind == "logits"}
    if not found:
        raise RuleNotApplicable("no probabilities defined by logits")
    return found


def _log_softmax(expr: Expr, setting) -> Rewrite:
    """``log(theta_{q,k} / theta_{p,k}) -> a_k - log sum_j e^{a_j} - (b_k - log sum_j e^{b_j})`` written
    ``a_k - b_k - log sum_j e^{a_j} + log sum_j e^{b_j}``: the log-probability of a category given by logits is
    its logit minus the log-sum-exp of the logits (a probability given as itself stays ``log theta_{p,k}``)."""
    q, p = _categorical(setting)
    logits, index, k, size = _logits(setting), setting.index, q.variable, q.law.size
    identities: dict[Expr, None] = {}

    def parts(law: CategoricalLaw) -> tuple[Expr, Expr | None]:
        if law.probs not in logits:
            return log(law.pdf(k)), None
        own, total = logits[law.probs][k], log_sum_exp(logits[law.probs], index, size)
        identities[Eq(log(law.probs[k]), sub(own, total), evaluate=False)] = None
        return own, total

    def match(e: Expr) -> Expr | None:
        if e != log(frac(q.law.pdf(k), p.law.pdf(k))):
            return None
        (a, big_a), (b, big_b) = parts(q.law), parts(p.law)
        return add(a, neg(b), *([neg(big_a)] if big_a is not None else []), *([big_b] if big_b is not None else []))

    out = rewrite_or_refuse(expr, match, "log-ratio of two categories' probabilities")
    return Rewrite(out, tuple(identities))


def _weights_add_to_one(expr: Expr, setting) -> Rewrite:
    """``sum_k theta_{q,k} (A_k + c) -> sum_k theta_{q,k} A_k + c`` for the terms c free of k: they come out of the
    sum multiplied by ``sum_k theta_{q,k} = 1``."""
    q, _ = _categorical(setting)
    k, weight = q.variable, q.law.pdf(q.variable)

    def match(e: Expr) -> Expr | None:
        if not (isinstance(e, Sum) and e.limits[0][0] == k):
            return None
        parts = factors(e.function)
        if len(parts) != 2 or parts[0] != weight or not parts[1].is_Add:
            return None
        inner = terms(parts[1])
        constant = [t for t in inner if not t.has(k)]
        varying = [t for t in inner if t.has(k)]
        if not constant or not varying:
            return None
        return add(Sum(mul(weight, add(*varying)), *e.limits), *constant)

    out = rewrite_or_refuse(expr, match, "sum over the categories with terms free of the category")
    return Rewrite(out, (Eq(Sum(weight, (k, 1, q.law.size)), 1, evaluate=False),))


def _softmax(expr: Expr, setting) -> Rewrite:
    """``theta_{q,k} -> e^{a_k} / sum_j e^{a_j}``: each probability given by logits is the softmax of the logits."""
    out = rewrite_or_refuse(expr, setting.definition_of, "probability defined by logits")
    return Rewrite(out, setting.definition_identities(expr))


CATEGORY_PROBABILITIES = Rule(
    "category-probabilities",
    "Probabilities",
    "Under a categorical distribution, the probability of each category is its entry of the probability vector.",
    _probabilities,
)

LOG_SOFTMAX = Rule(
    "log-softmax",
    "Log-softmax",
    "The logarithm of a probability given by logits is its logit minus the logarithm of the sum of the "
    "exponentials of all the logits.",
    _log_softmax,
)

CATEGORY_WEIGHTS_ADD_TO_ONE = Rule(
    "category-weights-add-to-one",
    "Probabilities add to one",
    "The terms that do not depend on the category come out of the sum, weighted by probabilities that add up to "
    "one.",
    _weights_add_to_one,
)

SOFTMAX = Rule(
    "softmax",
    "Softmax",
    "Each probability given by logits is the exponential of its logit over the sum of the exponentials of all "
    "the logits.",
    _softmax,
)

__all__ = ["CATEGORY_PROBABILITIES", "CATEGORY_WEIGHTS_ADD_TO_ONE", "LOG_SOFTMAX", "SOFTMAX", "log_sum_exp"]
