"""Algebraic tidying of closed forms: cancel, collect, distribute, factor, reorder.

Each rule builds its display form deliberately (never ``simplify``), so the line shows one idea.
"""

from __future__ import annotations

from sympy import Add, Eq, Expr, Rational, log

from ..core import Rewrite, Rule
from ..errors import RuleNotApplicable
from ..forms import add, evaluated, mul
from ..setting import Setting
from .base import factors, terms


def _cancel_and_collect(expr: Expr, setting: Setting) -> Rewrite:
    """``... + a s**2 / (b s**2) + ... -> ... + a / b``: terms that are numbers once cancelled go last, summed."""
    kept, constants, identities = [], [], []
    for term in terms(expr):
        value = evaluated(term)
        if value.is_Number:
            constants.append(value)
            if not term.is_Number:
                identities.append(Eq(term, value, evaluate=False))
        else:
            kept.append(term)
    out = add(*kept, Add(*constants))
    if not identities and out == expr:
        raise RuleNotApplicable("nothing cancels and the constants are already collected")
    return Rewrite(out, tuple(identities))


def _numeric_coefficient(term: Expr) -> tuple[Rational, list[Expr]]:
    """``(c, rest)`` with c the product of the numeric factors of ``term`` (denominators included)."""
    coefficient, rest = Rational(1), []
    for f in factors(term):
        if f.is_Rational:
            coefficient *= f
        elif f.is_Pow and f.args[0].is_Rational and f.args[1] == -1:
            coefficient /= f.args[0]
        else:
            rest.append(f)
    return coefficient, rest


def _distribute(expr: Expr, setting: Setting) -> Expr:
    """``c (a + b) -> c a + c b`` for each numeric multiple of a sum among the terms."""
    out, changed = [], False
    for term in terms(expr):
        c, rest = _numeric_coefficient(term)
        if c != 1 and len(rest) == 1 and rest[0].is_Add:
            out.extend(mul(c, t) for t in terms(rest[0]))
            changed = True
        else:
            out.append(term)
    if not changed:
        raise RuleNotApplicable("no numeric multiple of a sum")
    return add(*out)


def _factor_leading_coefficient(expr: Expr, setting: Setting) -> Expr:
    """``c a + b -> c (a + b / c)`` with c the numeric coefficient of the leading term."""
    parts = terms(expr)
    c, _ = _numeric_coefficient(parts[0])
    if len(parts) < 2 or c == 1:
        raise RuleNotApplicable("no coefficient to factor out")
    return mul(c, add(*[evaluated(t) / c for t in parts]))


def vae_rank(term: Expr, means: set) -> int:
    """The place of a term in the VAE form: constant 0, log-variance 1, squared mean 2, variance 3."""
    if term.is_Number:
        return 0
    if term.has(log):
        return 1
    if term.free_symbols & means:
        return 2
    return 3


def _vae_order(expr: Expr, setting: Setting) -> Expr:
    """Reorder ``c (...)``: constants, then log-variances, then means, then variances (as VAE code)."""
    c, rest = _numeric_coefficient(expr)
    if len(rest) != 1 or not rest[0].is_Add:
        raise RuleNotApplicable("not a multiple of a sum")
    means = {s for s in setting.q.mean.free_symbols | setting.p.mean.free_symbols if not s.is_integer}  # not j
    ordered = sorted(terms(rest[0]), key=lambda term: vae_rank(term, means))
    out = mul(c, add(*ordered))
    if out == expr:
        raise RuleNotApplicable("already in order")
    return out


CANCEL_AND_COLLECT = Rule(
    "cancel-and-collect",
    "Cancel, collect",
    "Cancel the common factor and collect the constants.",
    _cancel_and_collect,
)

DISTRIBUTE = Rule(
    "distribute",
    "Distribute",
    "Multiply out the numeric factor.",
    _distribute,
)

FACTOR_OUT = Rule(
    "factor-out",
    "Factor out",
    "Take out the coefficient of the log-variance term.",
    _factor_leading_coefficient,
)

VAE_ORDER = Rule(
    "vae-order",
    "VAE form",
    "Order the terms as VAE code writes them: constant, log-variance, squared mean, variance.",
    _vae_order,
)
