"""KL(Uniform(a, b) || Beta(alpha, beta)), 0 <= a < b <= 1: the rules its derivation adds to the families'.

The log-ratio of the densities is linear in ``log x`` and ``log(1 - x)``, so the uniform law's expected logarithms
are needed. Each is a lemma derived from the definition: the expectation is ``1/(b - a)`` times the integral of the
logarithm over ``[a, b]``, whose antiderivative is ``x log x - x`` (and ``-(1 - x) log(1 - x) - x``). ``x log x`` is
the node :class:`~derivation.core.functions.XLogY`, 0 at x = 0 (its limit; the integral converges there), so the
result is finite at the ends: ``KL(Uniform(0, 1) || Beta(1, 1)) = 0``, where ``x * log(x)`` computed as written gives
NaN (torch's old ``_x_log_x``)."""

from __future__ import annotations

from functools import cache

from sympy import Add, Eq, Expr, Integral, S, cancel, default_sort_key, expand, log, preorder_traversal

from ..core.engine import Rewrite, Rule
from ..core.errors import RuleNotApplicable
from ..core.forms import add, evaluated, frac, is_negative_term, mul, neg, sub
from ..core.functions import XLogY
from ..laws.beta import BetaLaw
from ..laws.uniform import UniformLaw
from ..nodes.scalar import Expectation
from .base import factors, rewrite_nodes, rewrite_or_refuse, terms
from .families import combine_log_densities, moment_rule

COMBINE_UNIFORM_BETA = combine_log_densities(
    "combine-uniform-beta-log-densities",
    "The constants of the two densities come together; the Beta density's logarithmic terms stay.",
    (UniformLaw, BetaLaw),
)


def _logarithm_of(e: Expectation) -> bool:
    """Whether ``e`` is ``E_q[log x]`` or ``E_q[log(1 - x)]`` under a uniform law."""
    x = e.density.variable
    return e.expr in (log(x), log(sub(S.One, x)), log(1 - x))


def _as_integral(expr: Expr, setting) -> Rewrite:
    """``E_q[g(x)] -> 1/(b - a) Integral(g(x), (x, a, b))``: the uniform density is the constant ``1/(b - a)`` on
    ``[a, b]``."""
    used = []

    def match(e: Expr) -> Expr | None:
        if not (isinstance(e, Expectation) and isinstance(e.density.law, UniformLaw)):
            return None
        used.append(e.density)
        return mul(e.density.law.normaliser(), e.density.integral(e.expr))

    out = rewrite_or_refuse(expr, match, "expectation under a uniform density")
    return Rewrite(out, tuple(Eq(d, d.law.normaliser(), evaluate=False) for d in dict.fromkeys(used) if d.name))


def _antiderivative(integrand: Expr, x: Expr) -> Expr | None:
    """``x log x - x`` for ``log x``; ``-(1 - x) log(1 - x) - x`` for ``log(1 - x)`` (each ``u log u`` an
    :class:`XLogY`, 0 at u = 0); None for anything else."""
    if integrand == log(x):
        return sub(XLogY(x, x), x)
    if integrand in (log(sub(S.One, x)), log(1 - x)):
        return sub(neg(XLogY(sub(S.One, x), sub(S.One, x))), x)
    return None


def _integrate_logarithm(expr: Expr, setting) -> Rewrite:
    """``c Integral(log x, (x, a, b)) -> c (b log b - b - (a log a - a))`` by the antiderivative (likewise for
    ``log(1 - x)``): ``d/dx (x log x - x) = log x``; ``x log x`` tends to 0 at 0, so it is finite at the ends."""
    used: dict[Expr, Expr] = {}

    def match(e: Expr) -> Expr | None:
        if not isinstance(e, Integral) or len(e.limits) != 1 or len(e.limits[0]) != 3:
            return None
        x, low, high = e.limits[0]
        primitive = _antiderivative(e.function, x)
        if primitive is None:
            return None
        at = [evaluated(primitive).subs(x, end) for end in (high, low)]
        if not all(a.free_symbols for a in at):
            used[e] = evaluated(at[0] - at[1])
            return used[e]
        # F(b) - F(a) with the terms of x log x first, the linear ones as the interval's length: b log b - a log a -
        # (b - a), or (1 - a) log(1 - a) - (1 - b) log(1 - b) - (b - a)
        logs = [t for end, sign in ((high, 1), (low, -1)) for t in terms(_display(primitive, x, end))
                if t.has(XLogY) for t in [t if sign > 0 else neg(t)]]
        logs = sorted((_plain(t) for t in logs), key=is_negative_term)
        used[e] = add(*logs, neg(sub(high, low)))
        return used[e]

    out = rewrite_or_refuse(expr, match, "integral of a logarithm")
    return Rewrite(out, tuple(Eq(integral, value, evaluate=False) for integral, value in used.items()
                              if out != value))


def _plain(term: Expr) -> Expr:
    """``-(-u)`` as ``u``: a doubly negated term written once."""
    if term.is_Mul and term.args[0] == -1 and len(term.args) == 2:
        inner = term.args[1]
        if inner.is_Mul and inner.args[0] == -1:
            return inner.args[1] if len(inner.args) == 2 else mul(*inner.args[1:])
    return term


def _display(primitive: Expr, x: Expr, at: Expr) -> Expr:
    """The antiderivative at an end, as a display form (``b log b - b``, in the antiderivative's order)."""
    if at.is_Number:
        return evaluated(primitive.xreplace({x: at}))
    return rewrite_nodes(primitive, lambda e: at if e == x else None)


def _collect_moment(expr: Expr, setting) -> Expr:
    """``1/(b - a) (b log b - b - (a log a - a)) -> (b log b - a log a)/(b - a) - 1``: the linear terms give -1."""
    parts = factors(expr)
    if expr.has(Integral, Expectation) or len(parts) != 2:
        raise RuleNotApplicable("not a constant times an evaluated integral")
    scale, value = sorted(parts, key=lambda f: not (f.is_Pow and f.exp == -1))  # 1/(b - a), then the rest
    total = evaluated(value)
    linear = total.as_independent(XLogY, as_Add=True)[0]
    logs = evaluated(total - linear)
    width = evaluated(1 / scale)
    ratio = cancel(linear / width)
    if ratio.free_symbols:
        raise RuleNotApplicable("the linear terms are not a multiple of the width")
    terms = [t for t in (logs.args if logs.is_Add else (logs,))]
    positive = sorted(terms, key=lambda t: t.could_extract_minus_sign())
    shown = add(*positive) if positive else S.Zero
    out = add(frac(shown, scale.args[0]), ratio)
    if out == expr:
        raise RuleNotApplicable("already collected")
    return out


def _collect_uniform_beta(expr: Expr, setting) -> Expr:
    """The closed form with the coefficients multiplied into the expected logarithms: each ``u log u`` over the
    interval's length with its coefficient (``(alpha - 1) b log b / (b - a)``), the constants ``alpha - 1`` and
    ``beta - 1`` together; the logarithms of the constants kept as they were. Every term stands alone, so a long
    line breaks between them."""
    q, p = setting.q.law, setting.p.law
    if not (isinstance(q, UniformLaw) and isinstance(p, BetaLaw)) or expr.has(Integral, Expectation) \
            or not expr.has(XLogY):
        raise RuleNotApplicable("not the closed form of a uniform law against a Beta law")
    kept = [t for t in terms(expr) if not t.has(XLogY)]
    total = expand(evaluated(expr) - evaluated(add(*kept)))
    width = q.width
    pieces = []
    for atom in dict.fromkeys(a for a in preorder_traversal(expr) if isinstance(a, XLogY)):  # as the line has them
        coefficient = cancel(total.coeff(atom) * evaluated(width))
        if coefficient.could_extract_minus_sign():
            pieces.append(neg(frac(mul(_factor(-coefficient), atom), width)))
        else:
            pieces.append(frac(mul(_factor(coefficient), atom), width))
    rest = expand(total - sum((total.coeff(atom) * atom for atom in total.atoms(XLogY)), S.Zero))
    if rest.has(XLogY):
        raise RuleNotApplicable("the logarithms are not linear in x log x")
    return add(*kept, *pieces, *([] if rest == 0 else terms(_readable_sum(rest))))


def _factor(coefficient: Expr) -> Expr:
    """``alpha - 1`` as a display form (``alpha - 1``, not ``-1 + alpha``); 1 is left out by ``mul``."""
    number, rest = coefficient.as_independent(*coefficient.free_symbols, as_Add=True)
    if not rest:
        return number
    return add(*sorted(terms(rest), key=is_negative_term), *([] if number == 0 else [number]))


def _readable_sum(value: Expr) -> Expr:
    """A sum with its symbols first and its number last (``alpha + beta - 2``)."""
    number, rest = value.as_independent(*value.free_symbols, as_Add=True)
    parts = sorted(Add.make_args(rest), key=lambda t: (is_negative_term(t), default_sort_key(t)))
    return add(*parts, *([] if number == 0 else [number]))


UNIFORM_EXPECTATION_AS_INTEGRAL = Rule(
    "uniform-expectation-as-integral",
    "As an integral",
    "The uniform density is constant on its interval: the expectation is that constant times the integral over the "
    "interval.",
    _as_integral,
)

INTEGRATE_LOGARITHM = Rule(
    "integrate-logarithm",
    "Antiderivative",
    "Integrate the logarithm by its antiderivative; the product of a number and its logarithm tends to zero at "
    "zero, so the result is finite at the ends of the unit interval.",
    _integrate_logarithm,
)

COLLECT_MOMENT = Rule(
    "collect-uniform-log-moment",
    "Collect",
    "The linear terms of the antiderivative cancel the length of the interval; the logarithms stay over it.",
    _collect_moment,
)

#: The lemma's plan: ``E_q[log x] = (b log b - a log a)/(b - a) - 1`` from the definition of the expectation.
UNIFORM_LOG_MOMENT_PLAN = (UNIFORM_EXPECTATION_AS_INTEGRAL, INTEGRATE_LOGARITHM, COLLECT_MOMENT)

@cache
def _lemma_rule() -> Rule:
    """The family rule that replaces each expected logarithm by the lemma deriving it (made once, not a rule of its
    own: :data:`UNIFORM_LOG_MOMENTS` is the step)."""
    return moment_rule("uniform-log-moments", "Expected logarithms", "", (UniformLaw,), _logarithm_of,
                       ("uniform-log-moment", "The expected logarithm under a uniform law", UNIFORM_LOG_MOMENT_PLAN))


def _log_moments(expr: Expr, setting) -> Rewrite:
    """Each expected logarithm replaced by its lemma's result, the coefficients multiplied in (each ``u log u``
    term over the interval's length on its own, so that a long line breaks between them); the lemmas are cited by
    number, their statements not repeated beside the step (each lemma shows its own)."""
    rewrite = _lemma_rule().apply(expr, setting)
    try:
        out = _collect_uniform_beta(rewrite.expr, setting)
    except RuleNotApplicable:  # numbers: nothing of the form u log u is left
        out = rewrite.expr
    return Rewrite(out, (), rewrite.lemmas)


UNIFORM_LOG_MOMENTS = Rule(
    "uniform-log-moments",
    "Expected logarithms",
    "The expected logarithms under the uniform law are integrals of a logarithm over its interval (derived in the "
    "lemmas); multiply out.",
    _log_moments,
)

__all__ = ["COLLECT_MOMENT", "COMBINE_UNIFORM_BETA", "INTEGRATE_LOGARITHM",
           "UNIFORM_EXPECTATION_AS_INTEGRAL", "UNIFORM_LOG_MOMENTS", "UNIFORM_LOG_MOMENT_PLAN"]
