"""Constructors for *display forms*: unevaluated sums and products that keep the order we build.

SymPy evaluates ``a + b`` into a canonical order and folds constants, which would make every line
read like computer-algebra output. Rules build their results with these helpers instead, so a line
shows exactly the grouping the rule produced; the printer (``printing.py``) then prints it as built.
The helpers drop neutral elements (``0`` in sums, ``1`` in products) so that specialised settings
(e.g. a prior with mean 0 and scale 1) read naturally.
"""

from __future__ import annotations

from sympy import Add, Basic, Derivative, Expr, Integer, Mul, Pow, Rational, S, Subs, log

HALF = Rational(1, 2)


def as_expr(value: Basic | int) -> Basic:
    """A SymPy object for an internal value (a SymPy object or a Python int); never parses strings."""
    if isinstance(value, Basic):
        return value
    if isinstance(value, int):
        return Integer(value)
    raise TypeError(f"expected a SymPy expression or an int, got {type(value).__name__}")


def add(*terms: Expr) -> Expr:
    """The sum of ``terms`` in the given order, zeros dropped."""
    kept = [t for t in terms if t != 0]
    if not kept:
        return S.Zero
    if len(kept) == 1:
        return kept[0]
    return Add(*kept, evaluate=False)


def mul(*factors: Expr) -> Expr:
    """The product of ``factors`` in the given order, ones dropped (zero if any factor is zero)."""
    if any(f == 0 for f in factors):
        return S.Zero
    kept = [f for f in factors if f != 1]
    if not kept:
        return S.One
    if len(kept) == 1:
        return kept[0]
    return Mul(*kept, evaluate=False)


def neg(expr: Expr) -> Expr:
    """``-expr`` without re-evaluating ``expr``: a leading numeric factor changes sign, or ``-1`` is prepended."""
    if expr.is_Number:
        return -expr
    if expr.is_Mul and expr.args[0].is_Number:
        return mul(-expr.args[0], *expr.args[1:])
    return mul(S.NegativeOne, expr)


def sub(a: Expr, b: Expr) -> Expr:
    """``a - b`` as a two-term display sum."""
    return add(a, neg(b))


def frac(numerator: Expr, denominator: Expr) -> Expr:
    """``numerator / denominator`` kept as a fraction (printed ``\\frac``)."""
    if denominator == 1:
        return numerator
    return mul(numerator, Pow(denominator, -1, evaluate=False))


def square(expr: Expr) -> Expr:
    """``expr**2``; SymPy keeps ``(x - mu)**2`` unexpanded, so evaluation is harmless here."""
    return Pow(expr, 2)


def is_negative_term(expr: Basic) -> bool:
    """Whether ``expr`` reads with a leading minus sign (a negative number or numeric factor)."""
    if expr.is_Number:
        return bool(expr.is_negative)
    if expr.is_Mul:
        sign = 1
        for factor in expr.args:
            if factor.is_Number and factor.is_negative:
                sign = -sign
        return sign < 0
    return False


def negate_term(expr: Expr) -> Expr:
    """The structural negation of a term for which :func:`is_negative_term` holds."""
    if expr.is_Number:
        return -expr
    factors = list(expr.args)
    for i, factor in enumerate(factors):
        if factor.is_Number and factor.is_negative:
            factors[i] = -factor
            return mul(*factors)
    return neg(expr)


def evaluated(expr: Expr) -> Expr:
    """The ordinary (evaluated) SymPy form of a display form: for comparison, never for display.

    Derivatives and substitutions (which SymPy keeps unevaluated) are carried out, as sums are, and a
    named closed form (``nodes.Named``) is replaced by the expression it stands for.
    """
    if not expr.args or expr.is_Atom:  # e.g. an indexed symbol mu[j]: nothing inside to evaluate
        return expr
    out = expr.func(*[evaluated(a) for a in expr.args])
    if getattr(out, "evaluates_to_definition", False):
        return out.args[1]
    return out.doit(deep=False) if isinstance(out, Derivative | Subs) else out


def log_ratio(own: Expr, other: Expr) -> Expr:
    """``log(other / own)`` as a textbook writes it: ``-log own`` when ``other = 1`` (never ``log(1/own)``),
    ``log other`` when ``own = 1``, and nothing when the two are equal (never ``log(s/s)``)."""
    if own == other:
        return S.Zero
    if other == 1:
        return neg(log(own))
    if own == 1:
        return log(other)
    return log(frac(other, own))
