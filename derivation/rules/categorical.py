"""Rules for the categorical law (``laws.categorical``): the divergence is a sum over the K categories, each
category's mass its probability; given in logits, each log-probability is the logit minus the log-sum-exp of all
the logits (the log-softmax), and the terms free of the category come out of the sum, whose weights add to one."""

from __future__ import annotations

from sympy import Eq, Expr, Function, Integer, Mul, Sum, Symbol, exp, log

from ..core.engine import Rewrite, Rule
from ..core.errors import RuleNotApplicable
from ..core.forms import add, frac, mul, neg, sub
from ..laws.categorical import CategoricalLaw
from ..nodes.scalar import Density
from .base import factors, rewrite_nodes, rewrite_or_refuse, terms
from .logs import RECIPROCAL_LOG, numerator_denominator, reciprocal_base


def _categorical(setting) -> tuple[Density, Density]:
    q, p = setting.q, setting.p
    if not (isinstance(q.law, CategoricalLaw) and isinstance(p.law, CategoricalLaw)):
        raise RuleNotApplicable("not two categorical laws")
    return q, p


def _reciprocal(e: Expr) -> Expr | None:
    """``K`` for a uniform probability ``1/K`` (``3`` for ``1/3``), ``a`` for any reciprocal ``1/a``; else None."""
    if e.is_Rational and e.p == 1 and e.q != 1:
        return Integer(e.q)
    return reciprocal_base(e)


def _without_uniform_fraction(expr: Expr) -> tuple[Expr, tuple[Eq, ...]]:
    """``expr`` with a uniform law's probability ``1/K`` not left as a fraction inside a ratio:
    ``log(theta_k / (1/K)) -> log(K theta_k)`` and ``log((1/K) / theta_k) -> -log(K theta_k)`` (a reciprocal's
    logarithm is never printed; see :data:`~.logs.RECIPROCAL_LOG`), and the identities that used."""
    used: list[Eq] = []

    def match(e: Expr) -> Expr | None:
        if not isinstance(e, log):
            return None
        reciprocals = [_reciprocal(f) for f in factors(e.args[0])]
        if len(reciprocals) > 1 and None not in reciprocals:  # 1/K * 1/theta_k = 1 / (K theta_k)
            used.extend(RECIPROCAL_LOG)
            return neg(log(mul(*reciprocals)))
        parts = numerator_denominator(e.args[0])
        if parts is None:
            return None
        top, bottom = _reciprocal(parts[0]), _reciprocal(parts[1])
        if bottom is not None and top is None:  # theta_k / (1/K) = K theta_k
            return log(mul(bottom, parts[0]))
        if top is not None and bottom is None and not parts[1].is_Number:  # (1/K) / theta_k = 1 / (K theta_k)
            used.extend(RECIPROCAL_LOG)
            return neg(log(mul(top, parts[1])))
        if parts[0] == 1 and not parts[1].is_Number:  # 1 / (K theta_k), as SymPy writes (1/K) / theta_k
            used.extend(RECIPROCAL_LOG)
            return neg(log(parts[1]))
        return None

    out = rewrite_nodes(expr, match)
    return out, tuple(dict.fromkeys(used))


def _probabilities(expr: Expr, setting) -> Rewrite:
    """``q(k) -> theta_{q,k}``: the mass of category k under a categorical law is its k-th probability; a uniform
    law's ``1/K`` is not left as a fraction inside the ratio (:func:`_without_uniform_fraction`)."""
    q, p = _categorical(setting)
    out = rewrite_or_refuse(expr, lambda e: e.law.pdf(e.variable) if e in (q, p) else None, "categorical mass")
    identities = [Eq(d, d.law.pdf(d.variable), evaluate=False) for d in (q, p) if expr.has(d)]
    out, used = _without_uniform_fraction(out)
    return Rewrite(out, (*identities, *used))


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
            uniform = _reciprocal(law.pdf(k))  # 1/K: its log is -log K, never log(1/K)
            if uniform is not None:
                for identity in RECIPROCAL_LOG:
                    identities[identity] = None
                return neg(log(uniform)), None
            return log(law.pdf(k)), None
        own, total = logits[law.probs][k], log_sum_exp(logits[law.probs], index, size)
        identities[Eq(log(law.probs[k]), sub(own, total), evaluate=False)] = None
        return own, total

    ratio = log(frac(q.law.pdf(k), p.law.pdf(k)))
    written = {ratio, _without_uniform_fraction(ratio)[0]}  # as the probabilities rule leaves it

    def match(e: Expr) -> Expr | None:
        if e not in written:
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


def _equal_weights_out(expr: Expr, setting) -> Rewrite:
    """``sum_k c f_k -> c sum_k f_k`` for the factor c of the summand free of the category (a uniform law's
    probability ``1/K``, with its sign)."""
    q, _ = _categorical(setting)
    k = q.variable

    def match(e: Expr) -> Expr | None:
        if not (isinstance(e, Sum) and e.limits[0][0] == k):
            return None
        outside = [f for f in factors(e.function) if not f.has(k)]
        inside = [f for f in factors(e.function) if f.has(k)]
        if not outside or not inside:
            return None
        return Mul(*outside, Sum(mul(*inside), *e.limits))

    out = rewrite_or_refuse(expr, match, "sum over the categories with a factor free of the category")
    c, f = Symbol("c", real=True), Function("f")
    return Rewrite(out, (Eq(Sum(mul(c, f(k)), (k, 1, q.law.size)), mul(c, Sum(f(k), (k, 1, q.law.size))),
                            evaluate=False),))


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

EQUAL_WEIGHTS_OUT = Rule(
    "equal-weights-out-of-sum",
    "Equal weights",
    "A uniform distribution gives every category the same probability, which comes out of the sum.",
    _equal_weights_out,
)

SOFTMAX = Rule(
    "softmax",
    "Softmax",
    "Each probability given by logits is the exponential of its logit over the sum of the exponentials of all "
    "the logits.",
    _softmax,
)

__all__ = ["CATEGORY_PROBABILITIES", "CATEGORY_WEIGHTS_ADD_TO_ONE", "EQUAL_WEIGHTS_OUT", "LOG_SOFTMAX", "SOFTMAX",
           "log_sum_exp"]
