"""Rules about logarithms."""

from __future__ import annotations

from sympy import Eq, Expr, Indexed, Pow, S, log

from ..core.engine import Rewrite, Rule
from ..core.forms import HALF, add, frac, mul, neg, square, sub
from ..core.placeholders import placeholders
from ..settings.univariate import Setting
from .base import factors, rewrite_nodes, rewrite_or_refuse

_A, _B = placeholders("a b", positive=True)


def numerator_denominator(arg: Expr) -> tuple[Expr, Expr] | None:
    """``(a, b)`` when ``arg`` is the display fraction ``a / b``."""
    parts = factors(arg)
    den = [f.args[0] for f in parts if f.is_Pow and f.args[1] == -1]
    num = [f for f in parts if not (f.is_Pow and f.args[1] == -1)]
    if len(den) != 1:
        return None
    return mul(*num), den[0]


#: What :func:`without_reciprocal_logs` uses: ``log(b / a) = log b - log a`` and ``log 1 = 0``, so that
#: ``log(1/a) = -log a`` (stated through the laws: a reciprocal's log is never printed, not even here).
RECIPROCAL_LOG: tuple[Eq, ...] = (
    Eq(log(frac(_B, _A)), sub(log(_B), log(_A)), evaluate=False),
    Eq(log(S.One, evaluate=False), S.Zero, evaluate=False),
)


def reciprocal_base(e: Expr) -> Expr | None:
    """``a`` when ``e`` is a reciprocal ``a**-k`` (printed as a fraction ``1/a**k``), else None."""
    if e.is_Pow and e.args[1].is_Number and e.args[1].is_negative:
        return Pow(e.args[0], -e.args[1])
    return None


def without_reciprocal_logs(expr: Expr) -> tuple[Expr, tuple[Eq, ...]]:
    """``expr`` with every ``c log(1/a)`` written ``-c log a`` and every ``log((1/a) / (1/b))`` written
    ``log(b / a)`` (a, b > 0), and the identities that used.

    A textbook never prints the logarithm of a reciprocal; rules that would produce one (substituting
    ``|I| = 1`` or ``sigma = 1/sqrt(t)``) pass their line through here and cite what it returns.
    """
    used: dict[str, tuple[Eq, ...]] = {}

    def match(e: Expr) -> Expr | None:
        c, rest = S.One, e
        if e.is_Mul and len(e.args) == 2 and e.args[0].is_Number:
            c, rest = e.args
        if not isinstance(rest, log):
            return None
        arg = rest.args[0]
        alone = reciprocal_base(arg)  # 1/sqrt(t), printed as a fraction
        parts = (S.One, alone) if alone is not None else numerator_denominator(arg)
        if parts is None:
            return None
        top, bottom = reciprocal_base(parts[0]), reciprocal_base(parts[1])
        if top is not None and bottom is not None:
            return mul(c, log(frac(bottom, top)))  # (1/a) / (1/b) = b / a: no law of logarithms used
        if parts[0] != 1:
            return None
        used["log"] = RECIPROCAL_LOG
        return neg(log(parts[1])) if c == 1 else mul(-c, log(parts[1]))

    out = rewrite_nodes(expr, match)
    return out, tuple(i for group in used.values() for i in group)


def _log_of_ratio(expr: Expr, setting: Setting) -> Rewrite:
    """``log(a / b) -> log(a) - log(b)`` (a, b > 0)."""

    def match(e: Expr) -> Expr | None:
        if not isinstance(e, log):
            return None
        parts = numerator_denominator(e.args[0])
        return None if parts is None else sub(log(parts[0]), log(parts[1]))

    identity = Eq(log(frac(_A, _B)), sub(log(_A), log(_B)), evaluate=False)
    return Rewrite(rewrite_or_refuse(expr, match, "log of a ratio"), (identity,))


def _is_scale(arg: Expr) -> bool:
    """A scale written as a name (``sigma``, ``sigma_j``): its log is half the log of its square."""
    return bool(arg.is_Symbol or isinstance(arg, Indexed))


def _log_variance(expr: Expr, setting: Setting) -> Rewrite:
    """``log(a / b) -> 1/2 log(a**2) - 1/2 log(b**2)`` and ``c log a -> c/2 log(a**2)`` (a, b > 0, c a number):
    logs of scales as log-variances."""
    used: dict[str, Eq] = {}

    def match(e: Expr) -> Expr | None:
        c, rest = S.One, e
        if e.is_Mul and len(e.args) == 2 and e.args[0].is_Number:
            c, rest = e.args
        if not isinstance(rest, log):
            return None
        if _is_scale(rest.args[0]):
            used.setdefault("scale", Eq(log(_A), mul(HALF, log(square(_A))), evaluate=False))
            return mul(c * HALF, log(square(rest.args[0])))
        parts = numerator_denominator(rest.args[0])
        if parts is None or c != 1:
            return None
        num, den = parts
        used.setdefault("ratio", Eq(log(frac(_A, _B)), sub(mul(HALF, log(square(_A))), mul(HALF, log(square(_B)))),
                                    evaluate=False))
        return add(
            mul(HALF, log(square(num))) if num != 1 else 0,
            neg(mul(HALF, log(square(den)))) if den != 1 else 0,
        )

    out = rewrite_or_refuse(expr, match, "log of a scale or of a ratio of scales")
    return Rewrite(out, tuple(used.values()))


LOG_OF_RATIO = Rule(
    "log-of-ratio",
    "Log of a ratio",
    "The logarithm of a ratio is the difference of the logarithms.",
    _log_of_ratio,
)

LOG_VARIANCE = Rule(
    "log-variance",
    "Log-variances",
    "Write the logarithms of the standard deviations with log-variances, the quantity an encoder outputs.",
    _log_variance,
)
