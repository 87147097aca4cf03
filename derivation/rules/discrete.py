"""Rules for laws of an integer variable (``derivation.laws``: ``discrete = True``): an expectation over a finite
support is a finite sum, written out term by term with the mass at each point."""

from __future__ import annotations

from sympy import Expr, Integer

from ..core.engine import Rule
from ..core.forms import add, mul
from ..nodes.scalar import Density, Expectation
from .base import rewrite_nodes, rewrite_or_refuse
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

__all__ = ["FINITE_SUPPORT", "SUM_AS_EXPECTATION"]
