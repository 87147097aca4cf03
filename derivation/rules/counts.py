"""Rules for laws of a count ``k = 0, 1, 2, ...`` (Poisson, Geometric): their log-masses are substituted and
combined (the terms free of the parameters, such as ``log k!``, cancel), and the one moment the divergence needs,
``E_q[k]``, is the law's known mean (the series ``sum_k k lambda**k e**-lambda / k! = lambda``)."""

from __future__ import annotations

from sympy import Eq, Expr, S

from ..core.engine import Rewrite, Rule
from ..core.errors import RuleNotApplicable
from ..core.forms import add, frac, mul, neg, sub
from ..laws.counts import CountLaw, log_term
from ..nodes.scalar import Expectation
from .base import factors, rewrite_or_refuse, terms
from .gaussian import GAUSSIAN_LOG_DENSITY


def _pair_terms(q_part: tuple[Expr, Expr | None], p_part: tuple[Expr, Expr | None]) -> tuple[Expr, ...]:
    """``c log u - c log v`` as a textbook combines it: nothing when the terms are equal (``log k!``), else
    ``c log(u/v)``; two terms free of logarithms stay apart (``-a + b``)."""
    (c, u), (d, v) = q_part, p_part
    if (c, u) == (d, v):
        return ()
    if u is not None and v is not None and c == d:
        return (log_term(c, frac(u, v)),)
    return log_term(c, u), neg(log_term(d, v))


def _combine_log_masses(expr: Expr, setting) -> Rewrite:
    """``log q(k) - log p(k) -> k log(a/b) - a + b`` for two Poisson laws (``log k!`` cancels); term by term for
    any two laws of a count of one family."""
    q, p = setting.q, setting.p
    if not (isinstance(q.law, CountLaw) and type(q.law) is type(p.law)):
        raise RuleNotApplicable("not two laws of a count of one family")
    k = q.variable
    before = sub(q.log_pdf_form(), p.log_pdf_form())
    parts = zip(q.law.log_mass_parts(k), p.law.log_mass_parts(k), strict=True)
    pieces = [t for pair in parts for t in _pair_terms(*pair)]
    numbers = [t for t in pieces if t.is_Number]
    if len(numbers) > 1:  # Poisson(2) against Poisson(3): -2 + 3 is 1
        pieces = [t for t in pieces if not t.is_Number] + [sum(numbers, S.Zero)]
    combined = add(*(t for t in pieces if t != 0))
    out = rewrite_or_refuse(expr, lambda e: combined if e == before else None, "difference of log-masses")
    return Rewrite(out)


def _mean_of_count(expr: Expr, setting) -> Rewrite:
    """``c E_q[k] -> mean(q) c`` (``lambda`` for a Poisson law, ``(1 - p)/p`` for a geometric one), the mean in
    front of the term's other factors."""
    used: dict[Expectation, None] = {}

    def mean_of(e: Expr) -> bool:
        return isinstance(e, Expectation) and isinstance(e.density.law, CountLaw) and e.expr == e.density.variable

    out = []
    for term in terms(expr):
        parts = factors(term)
        found = [f for f in parts if mean_of(f)]
        if len(found) != 1:
            out.append(term)
            continue
        used[found[0]] = None
        out.append(mul(found[0].density.law.mean, *(f for f in parts if f is not found[0])))
    if not used:
        raise RuleNotApplicable("no mean of a count")
    return Rewrite(add(*out), tuple(Eq(e, e.density.law.mean, evaluate=False) for e in used))


LOG_MASSES = Rule(
    "log-masses",
    "Log-masses",
    "Substitute the logarithm of each probability mass function.",
    GAUSSIAN_LOG_DENSITY.apply,
)

COMBINE_LOG_MASSES = Rule(
    "combine-log-masses",
    "Combine logs",
    "The terms free of the parameters cancel, and the logarithms of the parameters combine.",
    _combine_log_masses,
)

MEAN_OF_COUNT = Rule(
    "mean-of-count",
    "Mean",
    "The mean of the first count is known: the series of each count times its probability sums to it.",
    _mean_of_count,
)

__all__ = ["COMBINE_LOG_MASSES", "LOG_MASSES", "MEAN_OF_COUNT"]
