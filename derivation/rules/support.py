"""The support argument for continuous laws: ``KL(q || p)`` is infinite when q gives positive probability to a set
where p's density is 0 (q's support not inside p's). The discrete counterpart is ``rules.discrete.SUPPORT_MISMATCH``.

It is infinite too when ``-log p(x)`` grows like ``x**k`` (a positive multiple: ``lambda x`` for an exponential law,
``(x - mu)**2 / (2 s**2)`` for a Gaussian) and q's moment of order k is infinite (a Pareto law of shape
``alpha <= k``): the log-ratio's other terms, q's log-density and logarithms of x, have finite expectations.
"""

from __future__ import annotations

from sympy import Eq, Expr, Integral, Pow, S

from ..core.engine import Rewrite, Rule
from ..core.errors import RuleNotApplicable
from ..laws.base import tail_condition, tail_order
from ..nodes.scalar import Density, Expectation


def _continuous_support_mismatch(expr: Expr, setting) -> Rewrite:
    """``Integral(q(x) log(q(x)/p(x)), (x, support of q)) -> oo`` when q's support is not inside p's: on the part
    outside, of positive length, ``q(x) > 0 = p(x)`` and the log-ratio is ``+oo`` (identities at a point ``x0`` of
    it: ``q(x0) = ...``, ``p(x0) = 0``)."""
    q, p = setting.q, setting.p
    if q.law.discrete or p.law.discrete or not (isinstance(expr, Integral) and expr.has(q) and expr.has(p)):
        raise RuleNotApplicable("not the divergence of two continuous laws as an integral")
    if q.law.within(p.law) is not S.false:
        raise RuleNotApplicable("the first law's support is not known to leave the second's")
    witness = q.law.outside_point(p.law)
    if witness is None:
        raise RuleNotApplicable("no interval of the first law's support lies outside the second's")
    return Rewrite(S.Infinity, (Eq(Density(q.name, witness, q.law), q.law.pdf(witness), evaluate=False),  # inside q's
                                Eq(Density(p.name, witness, p.law), 0, evaluate=False)))


CONTINUOUS_SUPPORT_MISMATCH = Rule(
    "continuous-support-mismatch",
    "Support",
    "Part of the first law's support lies outside the second's: there the first density is positive and the second "
    "is zero, so the log-ratio is infinite on a set of positive probability, and so is the divergence.",
    _continuous_support_mismatch,
)


def _infinite_moment(expr: Expr, setting) -> Rewrite:
    """``Integral(q(x) log(q(x)/p(x)), (x, support of q)) -> oo`` when ``-log p(x)`` holds ``c x**k`` (``c > 0``) and
    q's moment of order k is infinite, decided by the parameters (identity: ``E_q[x**k] = oo``)."""
    q, p = setting.q, setting.p
    if q.law.discrete or p.law.discrete or not (isinstance(expr, Integral) and expr.has(q) and expr.has(p)):
        raise RuleNotApplicable("not the divergence of two continuous laws as an integral")
    if tail_condition(q.law, p.law, q.variable) is not S.false:
        raise RuleNotApplicable("the first law's moment of the order the second log-density grows like is finite")
    order = tail_order(p.law.energy(q.variable), q.variable)[0]
    power = q.variable if order == 1 else Pow(q.variable, order, evaluate=False)
    return Rewrite(S.Infinity, (Eq(Expectation(power, q), S.Infinity, evaluate=False),))


INFINITE_MOMENT = Rule(
    "infinite-moment",
    "Infinite moment",
    "Minus the second log-density grows like a power of x whose expectation under the first law is infinite (its "
    "tail is too heavy), while the other terms of the log-ratio have finite expectations: the divergence is "
    "infinite.",
    _infinite_moment,
)
