"""Rules about logarithms."""

from __future__ import annotations

from sympy import Eq, Expr, Symbol, log

from ..core import Rewrite, Rule
from ..forms import HALF, add, frac, mul, neg, square, sub
from ..setting import Setting
from .base import factors, rewrite_or_refuse

_A, _B = Symbol("a", positive=True), Symbol("b", positive=True)


def _numerator_denominator(arg: Expr) -> tuple[Expr, Expr] | None:
    """``(a, b)`` when ``arg`` is the display fraction ``a / b``."""
    parts = factors(arg)
    den = [f.args[0] for f in parts if f.is_Pow and f.args[1] == -1]
    num = [f for f in parts if not (f.is_Pow and f.args[1] == -1)]
    if len(den) != 1:
        return None
    return mul(*num), den[0]


def _log_of_ratio(expr: Expr, setting: Setting) -> Rewrite:
    """``log(a / b) -> log(a) - log(b)`` (a, b > 0)."""

    def match(e: Expr) -> Expr | None:
        if not isinstance(e, log):
            return None
        parts = _numerator_denominator(e.args[0])
        return None if parts is None else sub(log(parts[0]), log(parts[1]))

    identity = Eq(log(frac(_A, _B)), sub(log(_A), log(_B)), evaluate=False)
    return Rewrite(rewrite_or_refuse(expr, match, "log of a ratio"), (identity,))


def _log_variance(expr: Expr, setting: Setting) -> Rewrite:
    """``log(a / b) -> 1/2 log(a**2) - 1/2 log(b**2)`` (a, b > 0): log-ratios of scales as log-variances."""

    def match(e: Expr) -> Expr | None:
        if not isinstance(e, log):
            return None
        parts = _numerator_denominator(e.args[0])
        if parts is None:
            return None
        num, den = parts
        return add(
            mul(HALF, log(square(num))) if num != 1 else 0,
            neg(mul(HALF, log(square(den)))) if den != 1 else 0,
        )

    identity = Eq(log(frac(_A, _B)), sub(mul(HALF, log(square(_A))), mul(HALF, log(square(_B)))), evaluate=False)
    return Rewrite(rewrite_or_refuse(expr, match, "log of a ratio"), (identity,))


LOG_OF_RATIO = Rule(
    "log-of-ratio",
    "Log of a ratio",
    "The logarithm of a ratio is the difference of the logarithms.",
    _log_of_ratio,
)

LOG_VARIANCE = Rule(
    "log-variance",
    "Log-variances",
    "Write the log-ratio of standard deviations with log-variances, the quantity an encoder outputs.",
    _log_variance,
)
