"""The Pareto family: its log-densities combined, and its expected logarithm derived from the definition.

``KL(Pareto(m1, alpha1) || Pareto(m2, alpha2))`` (finite when ``m2 <= m1``) needs one expectation under
``q = Pareto(m1, alpha1)``, its expected logarithm ``E_q[log x] = log m1 + 1/alpha1``: a lemma derived from the
definition (the expectation as an integral against the density; ``log x`` times a power of x integrated by parts,
the boundary term vanishing at infinity; collect).
"""

from __future__ import annotations

from sympy import Eq, Expr, Integral, Pow, S, Symbol, cancel, fraction, log, oo

from ..core.engine import Rewrite, Rule
from ..core.errors import RuleNotApplicable
from ..core.forms import add, evaluated, frac, is_negative_term, log_ratio, mul, neg
from ..laws import ParetoLaw
from ..nodes.scalar import Expectation
from .base import factors, rewrite_or_refuse, terms
from .families import combine_log_densities, log_density_rule, moment_rule
from .integrals import COLLECT_TERMS, expectation_as_integral

PARETO_LOG_DENSITY = log_density_rule("pareto-log-density", "Pareto")

COMBINE_PARETO_LOG_DENSITIES = combine_log_densities(
    "combine-pareto-log-densities",
    "The logarithms of the shapes combine into one logarithm; the terms in the scales and in log x stay.",
    (ParetoLaw,),
    cite=False,
)

PARETO_EXPECTATION_AS_INTEGRAL = expectation_as_integral("pareto-expectation-as-integral", (ParetoLaw,))


def _power_exponent(factor: Expr, x: Symbol) -> Expr | None:
    """``k`` when ``factor`` is ``x**k`` with ``k`` free of x."""
    if isinstance(factor, Pow) and factor.args[0] == x and not factor.args[1].has(x):
        return evaluated(factor.args[1])
    return None


def _log_power_by_parts(expr: Expr, setting: object) -> Rewrite:
    """``Integral(log x * x**k, (x, m, oo)) -> m**(k + 1) log m / s + m**(k + 1) / s**2`` with ``s = -(k + 1) > 0``:
    by parts with ``u = log x``, ``dv = x**k dx``, ``v = -x**(k + 1) / s``; ``u v`` vanishes at infinity, and what
    is left is ``int_m^oo x**k dx / s = m**(k + 1) / s**2``."""
    used: list[Eq] = []

    def match(e: Expr) -> Expr | None:
        if not (isinstance(e, Integral) and len(e.limits) == 1 and len(e.limits[0]) == 3):
            return None
        x, low, high = e.limits[0]
        if high != oo or low.has(x):
            return None
        parts = factors(e.function)
        logs = [f for f in parts if f == log(x)]
        powers = [f for f in parts if _power_exponent(f, x) is not None]
        if len(logs) != 1 or len(powers) != 1 or len(parts) != 2:
            return None
        s = evaluated(-(_power_exponent(powers[0], x) + 1))
        if not s.is_positive:
            raise RuleNotApplicable("the integral of log x times this power diverges")
        shown = s
        power = Pow(low, -shown, evaluate=False) if low != 1 else S.One
        value = add(frac(mul(power, log(low)), shown), frac(power, Pow(shown, 2, evaluate=False)))
        used.append(Eq(e, value, evaluate=False))
        return value

    out = rewrite_or_refuse(expr, match, "integral of log x times a power of x up to infinity")
    return Rewrite(out, tuple(dict.fromkeys(used)))


LOG_POWER_BY_PARTS = Rule(
    "log-power-by-parts",
    "Integrate by parts",
    "Integrate the power and differentiate the logarithm; the boundary term vanishes at infinity, and what is left "
    "is the integral of a power.",
    _log_power_by_parts,
)

#: From ``E_q[log x]`` to ``log m + 1/alpha``: the integral against the density, by parts, collect.
LOG_MOMENT_PLAN: tuple[Rule, ...] = (PARETO_EXPECTATION_AS_INTEGRAL, LOG_POWER_BY_PARTS, COLLECT_TERMS)

PARETO_LOG_MOMENT = moment_rule(
    "pareto-log-moment",
    "Expected logarithm",
    "The expected logarithm of a Pareto variable is the logarithm of its scale plus the reciprocal of its shape "
    "(lemma below).",
    (ParetoLaw,),
    lambda e: e.expr == log(e.density.variable),
    ("pareto-log-moment", "Expected logarithm of a Pareto variable", LOG_MOMENT_PLAN),
)


def _number_or(display: Expr) -> Expr:
    value = evaluated(display)
    return value if value.is_Number else display


def _collect_pareto(expr: Expr, setting: object) -> Expr:
    """The closed form written ``log(alpha1 / alpha2) + alpha2 log(m1 / m2) + alpha2 / alpha1 - 1``, checked equal
    to the line."""
    q, p = setting.q.law, setting.p.law  # type: ignore[attr-defined]
    if not (isinstance(q, ParetoLaw) and isinstance(p, ParetoLaw)) or expr.has(Expectation, Integral) \
            or (not expr.free_symbols and not expr.is_finite):
        raise RuleNotApplicable("not a closed form of a Pareto pair")
    (m1, a1), (m2, a2) = q.args, p.args
    numerator, denominator = fraction(cancel(a1 / a2))
    scales_num, scales_den = fraction(cancel(m1 / m2))
    rest = _number_or(add(frac(a2, a1), S.NegativeOne))
    scales = log_ratio(scales_den, scales_num)
    weighted = neg(mul(a2, neg(scales))) if is_negative_term(scales) else mul(a2, scales)  # -b log 2, not b (-log 2)
    out = add(log_ratio(denominator, numerator), weighted, *terms(rest))
    if out == expr:
        raise RuleNotApplicable("already collected")
    return out


COLLECT_PARETO = Rule(
    "collect-pareto-terms",
    "Collect",
    "Collect the terms in each parameter.",
    _collect_pareto,
)
