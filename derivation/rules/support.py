"""The support argument for continuous laws: ``KL(q || p)`` is infinite when q gives positive probability to a set
where p's density is 0 (q's support not inside p's). The discrete counterpart is ``rules.discrete.SUPPORT_MISMATCH``.
"""

from __future__ import annotations

from sympy import Eq, Expr, Integral, S

from ..core.engine import Rewrite, Rule
from ..core.errors import RuleNotApplicable
from ..nodes.scalar import Density


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
