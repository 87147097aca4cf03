"""Traversal helpers shared by the rules: rewrite matching sub-expressions, keeping display forms."""

from __future__ import annotations

from collections.abc import Callable

from sympy import Basic, Expr, Function

from ..core.errors import RuleNotApplicable
from ..core.forms import add, mul

Match = Callable[[Expr], "Expr | None"]


def rebuild(expr: Basic, args: list[Basic]) -> Basic:
    """``expr`` with new ``args``, without letting SymPy re-evaluate (and re-order) it."""
    if getattr(expr, "is_Matrix", False):  # MatAdd/MatMul subclass Add/Mul; their constructors keep the order
        return expr.func(*args)
    if expr.is_Add:
        return add(*args)
    if expr.is_Mul:
        return mul(*args)
    if expr.is_Pow or isinstance(expr, Function):
        return expr.func(*args, evaluate=False)
    return expr.func(*args)


def rewrite_nodes(expr: Basic, match: Match) -> Basic:
    """Replace each outermost node for which ``match`` returns an expression; the rest is kept as built."""
    replacement = match(expr)
    if replacement is not None:
        return replacement
    if not expr.args:
        return expr
    args = [rewrite_nodes(a, match) for a in expr.args]
    if all(new is old for new, old in zip(args, expr.args, strict=False)):
        return expr
    return rebuild(expr, args)


def rewrite_or_refuse(expr: Expr, match: Match, what: str) -> Expr:
    """:func:`rewrite_nodes`, raising :class:`RuleNotApplicable` when nothing matched."""
    out = rewrite_nodes(expr, match)
    if out is expr:
        raise RuleNotApplicable(f"no {what} in the expression")
    return out


def factors(expr: Expr) -> list[Expr]:
    """The factors of a (possibly nested, unevaluated) product, in order (a matrix product is one factor)."""
    if expr.is_Mul and not getattr(expr, "is_Matrix", False):
        return [f for arg in expr.args for f in factors(arg)]
    return [expr]


def terms(expr: Expr) -> list[Expr]:
    """The terms of a (possibly nested, unevaluated) sum, in order; a non-sum (or a matrix sum) is one term."""
    if expr.is_Add and not getattr(expr, "is_Matrix", False):
        return [t for arg in expr.args for t in terms(arg)]
    return [expr]


def constants_first(expr: Expr, variable: Expr) -> Expr:
    """A product with the factors free of ``variable`` first, as a textbook writes ``s**2 z**2``."""
    parts = factors(expr)
    return mul(*[f for f in parts if not f.has(variable)], *[f for f in parts if f.has(variable)])
