"""The half-normal family: its log-densities combined, and its second moment derived from the definition.

``KL(HalfNormal(sigma1) || HalfNormal(sigma2))`` needs one expectation under ``q = HalfNormal(sigma1)``, its second
moment ``E_q[x**2] = sigma1**2``: a lemma derived from the definition (the expectation as an integral against the
density; ``x**2 exp(-c x**2)`` integrated by parts, ``x exp(-c x**2)`` being the derivative of
``-exp(-c x**2) / (2 c)``, the boundary terms vanishing at 0 and at infinity; the Gaussian integral over the
half-line, ``int_0^oo exp(-c x**2) dx = sqrt(pi) / (2 sqrt(c))``; collect).
"""

from __future__ import annotations

from sympy import Eq, Expr, Integral, Pow, Symbol, cancel, exp, expand, oo, pi, sqrt

from ..core.engine import Rewrite, Rule
from ..core.forms import evaluated, frac, mul
from ..laws import HalfNormalLaw
from .base import factors, rewrite_or_refuse
from .families import combine_log_densities, log_density_rule, moment_rule
from .integrals import COLLECT_TERMS, expectation_as_integral

HALFNORMAL_LOG_DENSITY = log_density_rule("halfnormal-log-density", "half-normal")

COMBINE_HALFNORMAL_LOG_DENSITIES = combine_log_densities(
    "combine-halfnormal-log-densities",
    "The constant terms cancel; the two log-scales combine into one logarithm.",
    (HalfNormalLaw,),
)

HALFNORMAL_EXPECTATION_AS_INTEGRAL = expectation_as_integral("halfnormal-expectation-as-integral", (HalfNormalLaw,))


def gaussian_exponent(factor: Expr, x: Symbol) -> Expr | None:
    """``c`` when ``factor`` is ``exp(-c x**2)`` with ``c`` free of x and positive."""
    if not isinstance(factor, exp):
        return None
    argument = expand(evaluated(factor.args[0]))
    c = -argument.coeff(x, 2)
    if c == 0 or expand(argument + c * x**2) != 0 or not c.is_positive:
        return None
    return c


def _half_line_gaussian(e: Expr, power: int) -> tuple[Symbol, Expr, Expr] | None:
    """``(x, c, exp(-c x**2))`` when ``e`` is ``Integral(x**power exp(-c x**2), (x, 0, oo))``."""
    if not (isinstance(e, Integral) and len(e.limits) == 1 and len(e.limits[0]) == 3):
        return None
    x, low, high = e.limits[0]
    if (low, high) != (0, oo):
        return None
    parts = factors(e.function)
    exponentials = [f for f in parts if gaussian_exponent(f, x) is not None]
    rest = [f for f in parts if f not in exponentials]
    if len(exponentials) != 1 or evaluated(mul(*rest)) != x**power:
        return None
    return x, gaussian_exponent(exponentials[0], x), exponentials[0]


def _by_parts(expr: Expr, setting: object) -> Expr:
    """``Integral(x**2 exp(-c x**2), (x, 0, oo)) -> 1/(2 c) Integral(exp(-c x**2), (x, 0, oo))``: by parts with
    ``u = x``, ``dv = x exp(-c x**2) dx``, ``v = -exp(-c x**2) / (2 c)``; ``u v`` vanishes at 0 and at infinity."""

    def match(e: Expr) -> Expr | None:
        found = _half_line_gaussian(e, 2)
        if found is None:
            return None
        x, c, gaussian = found
        return mul(_tidy_constant(cancel(1 / (2 * c))), Integral(gaussian, (x, 0, oo)))

    return rewrite_or_refuse(expr, match, "integral of x**2 exp(-c x**2) over the half-line")


def _gaussian_integral(expr: Expr, setting: object) -> Rewrite:
    """``Integral(exp(-c x**2), (x, 0, oo)) -> sqrt(pi) / (2 sqrt(c))``: half the Gaussian integral
    ``int exp(-c x**2) dx = sqrt(pi / c)`` over the line (the integrand is even)."""
    used: list[Eq] = []

    def match(e: Expr) -> Expr | None:
        found = _half_line_gaussian(e, 0)
        if found is None:
            return None
        _, c, _ = found
        root = sqrt(cancel(1 / (2 * c)))  # 1 / sqrt(2 c): sigma for c = 1 / (2 sigma**2)
        value = frac(mul(sqrt(pi), _tidy_constant(root)), sqrt(2)) if root != 1 else frac(sqrt(pi), sqrt(2))
        used.append(Eq(e, value, evaluate=False))
        return value

    out = rewrite_or_refuse(expr, match, "Gaussian integral over the half-line")
    return Rewrite(out, tuple(dict.fromkeys(used)))


def _tidy_constant(value: Expr) -> Expr:
    """A constant as a textbook writes it: ``sigma**2`` kept as a power, a number as it is."""
    if isinstance(value, Pow) and value.args[1] == 2:
        return Pow(value.args[0], 2, evaluate=False)
    return value


HALF_LINE_BY_PARTS = Rule(
    "gaussian-moment-by-parts",
    "Integrate by parts",
    "Write the square as the variable times the variable times the Gaussian factor, whose antiderivative is a "
    "multiple of the Gaussian factor itself; the boundary term vanishes at zero and at infinity.",
    _by_parts,
)

HALF_GAUSSIAN_INTEGRAL = Rule(
    "half-gaussian-integral",
    "Gaussian integral",
    "The integrand is even: the integral over the half-line is half the Gaussian integral over the line.",
    _gaussian_integral,
)

#: From ``E_q[x**2]`` to ``sigma**2``: the integral against the density, by parts, the Gaussian integral, collect.
SECOND_MOMENT_PLAN: tuple[Rule, ...] = (HALFNORMAL_EXPECTATION_AS_INTEGRAL, HALF_LINE_BY_PARTS, HALF_GAUSSIAN_INTEGRAL,
                                        COLLECT_TERMS)

HALFNORMAL_SECOND_MOMENT = moment_rule(
    "halfnormal-second-moment",
    "Second moment",
    "The second moment of a half-normal variable is the square of its scale (lemma below).",
    (HalfNormalLaw,),
    lambda e: evaluated(e.expr) == e.density.variable**2,
    ("halfnormal-second-moment", "Second moment of a half-normal variable", SECOND_MOMENT_PLAN),
)

__all__ = ["COMBINE_HALFNORMAL_LOG_DENSITIES", "HALFNORMAL_LOG_DENSITY", "HALFNORMAL_SECOND_MOMENT",
           "SECOND_MOMENT_PLAN"]
