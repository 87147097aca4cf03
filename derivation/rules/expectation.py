"""Linearity of expectation."""

from __future__ import annotations

from sympy import Eq, Expr, Function, Symbol

from ..core import Rewrite, Rule
from ..forms import add, mul
from ..nodes import Expectation
from ..setting import Setting
from .base import factors, rewrite_or_refuse, terms

_A, _B = Symbol("a", real=True), Symbol("b", real=True)


def pull_out_constants(e: Expectation) -> Expr | None:
    """``E[sum_i c_i g_i(x)] -> sum_i c_i E[g_i(x)]`` with each ``c_i`` free of x; None if nothing moves."""
    x = e.density.variable
    out = []
    for term in terms(e.expr):
        parts = factors(term)
        constant = [f for f in parts if not f.has(x)]
        varying = [f for f in parts if f.has(x)]
        out.append(mul(*constant, Expectation(mul(*varying), e.density)) if varying else mul(*constant))
    result = add(*out)
    return None if result == e else result


def _linearity(expr: Expr, setting: Setting) -> Rewrite:
    """``E[a + b g(x)] -> a + b E[g(x)]`` for constants a, b (applied to every expectation in the line)."""

    def match(e: Expr) -> Expr | None:
        return pull_out_constants(e) if isinstance(e, Expectation) else None

    out = rewrite_or_refuse(expr, match, "expectation of a sum or of a scaled term")
    example = next(iter(out.atoms(Expectation)), None)
    identities = ()
    if example is not None:
        g = Function("g")(example.density.variable)
        identities = (Eq(Expectation(add(_A, mul(_B, g)), example.density),
                         add(_A, mul(_B, Expectation(g, example.density))), evaluate=False),)
    return Rewrite(out, identities)


LINEARITY = Rule(
    "linearity-of-expectation",
    "Linearity",
    "Expectation is linear: constants come out, and the expectation of a sum is the sum of expectations.",
    _linearity,
)
