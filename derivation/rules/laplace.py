"""The Laplace family: its log-densities combined, and its absolute moments derived from the definition.

``KL(Laplace(mu1, b1) || Laplace(mu2, b2))`` needs two expectations under ``q = Laplace(mu1, b1)``:
``E_q|x - mu1| = b1`` and ``E_q|x - m| = |mu1 - m| + b1 exp(-|mu1 - m| / b1)``. Each is a lemma derived from the
definition by the rules below: write the expectation as an integral against the density, centre it
(``t = x - mu1``), use the symmetry of the weight (only ``|mu1 - m|`` matters), split the integral at the kinks of
the absolute values into pieces without them, integrate each piece (a linear function times an exponential),
and collect.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cmp_to_key
from itertools import pairwise
from typing import Protocol

from sympy import (
    Abs,
    Eq,
    Expr,
    Integral,
    Poly,
    S,
    Symbol,
    exp,
    expand,
    fraction,
    oo,
)

from ..core.engine import Derivation, Rewrite, Rule, derive_chain
from ..core.errors import RuleNotApplicable
from ..core.forms import add, evaluated, frac, is_negative_term, mul, neg, negate_term, sub
from ..laws import LaplaceLaw
from ..nodes.scalar import Density, Expectation
from .base import factors, rewrite_nodes, rewrite_or_refuse, terms
from .families import combine_log_densities
from .gaussian import GAUSSIAN_LOG_DENSITY, replace_by_lemmas
from .integrals import COLLECT_TERMS, INTEGRATE_PIECES, expectation_as_integral, scaled_integral


class PairSetting(Protocol):
    """What these rules ask of a setting: the two densities and the variable ``t`` of a centred integral."""

    q: Density
    p: Density
    t: Symbol


# -- small helpers -------------------------------------------------------------------------------------------------

def is_laplace(density: object) -> bool:
    """Whether ``density`` is a named or unnamed density of a Laplace law."""
    return isinstance(density, Density) and isinstance(density.law, LaplaceLaw)


def difference(a: Expr, b: Expr) -> Expr:
    """``a - b`` as a display form, a number when it is one (``mu1 - mu2``, ``mu``, ``-2``)."""
    value = evaluated(sub(a, b))
    return value if value.is_Number else sub(a, b)


def magnitude(c: Expr) -> Expr:
    """``|c|`` as a textbook writes it: a number for a number, ``|m|`` for ``-m``, ``|mu1 - mu2|`` kept in order."""
    if c.is_Number:
        return abs(c)
    if is_negative_term(c):
        return Abs(negate_term(c), evaluate=False)
    if c.is_nonnegative:
        return c
    return Abs(c, evaluate=False)


def linear_in(arg: Expr, variable: Symbol) -> tuple[Expr, Expr] | None:
    """``(slope, offset)`` when ``arg`` is ``slope * variable + offset`` with slope +-1, else None."""
    value = evaluated(arg)
    if not value.has(variable) or not value.is_polynomial(variable):
        return None
    polynomial = Poly(value, variable)
    if polynomial.degree() != 1:
        return None
    slope, offset = polynomial.all_coeffs()
    return (slope, offset) if slope in (1, -1) else None


def absolute_point(e: Expr) -> tuple[Density, Expr] | None:
    """``(q, m)`` when ``e`` is ``E_q[|x - m|]`` under a named Laplace density q."""
    if not (isinstance(e, Expectation) and is_laplace(e.density) and e.density.name and isinstance(e.expr, Abs)):
        return None
    found = linear_in(e.expr.args[0], e.density.variable)
    if found is None:
        return None
    slope, offset = found
    return e.density, -offset / slope


def _whole_line(expr: Expr) -> tuple[Symbol, Expr] | None:
    """``(variable, integrand)`` of an integral over the whole real line."""
    if isinstance(expr, Integral) and len(expr.limits) == 1 and len(expr.limits[0]) == 3:
        variable, low, high = expr.limits[0]
        if (low, high) == (-oo, oo):
            return variable, expr.function
    return None


# -- the main chain ------------------------------------------------------------------------------------------------

def _absolute_moments(own_location: bool) -> Callable[[Expr, PairSetting], Rewrite]:
    """A rule body replacing ``E_q|x - m|`` (m q's location, or another point) by the lemma that evaluates it."""

    def apply(expr: Expr, setting: PairSetting) -> Rewrite:
        def lemma_for(e: Expr) -> Derivation | None:
            found = absolute_point(e)
            if found is None:
                return None
            density, point = found
            if (expand(point - density.law.loc) == 0) != own_location:
                return None
            return absolute_moment_lemma(e, setting)

        rewrite = replace_by_lemmas(expr, lemma_for, "mean absolute distance under a Laplace density")
        flat = add(*terms(rewrite.expr))  # a lemma's sum standing alone as a term needs no brackets
        return Rewrite(flat, rewrite.identities, rewrite.lemmas)

    apply.__doc__ = ("``E_q|x - mu| -> b`` for q = Laplace(mu, b)" if own_location else
                     "``E_q|x - m| -> |mu - m| + b exp(-|mu - m| / b)`` for q = Laplace(mu, b)")
    return apply


def _divide_through(expr: Expr, setting: PairSetting) -> Expr:
    """``(a + b e^c) / s -> a / s + (b / s) e^c``: a constant factor times a sum, multiplied into each term."""
    out, changed = [], False
    for term in terms(expr):
        parts = factors(term)
        sums = [f for f in parts if f.is_Add]
        if len(sums) != 1:
            out.append(term)
            continue
        others = [f for f in parts if f is not sums[0]]
        numerator = [f for f in others if not (f.is_Pow and f.args[1] == -1)]
        denominator = mul(*[f.args[0] for f in others if f.is_Pow and f.args[1] == -1])
        for inner in terms(sums[0]):
            inside = factors(inner)
            exponentials = [f for f in inside if isinstance(f, exp)]
            rest = mul(*numerator, *[f for f in inside if not isinstance(f, exp)])
            top, bottom = fraction(evaluated(rest) / evaluated(denominator))  # b / b cancels, b1 / b2 stays
            out.append(mul(frac(top, bottom), *exponentials))
        changed = True
    if not changed:
        raise RuleNotApplicable("no constant multiple of a sum")
    return add(*out)


LAPLACE_LOG_DENSITY = Rule(
    "laplace-log-density",
    "Log-densities",
    "Substitute the logarithm of each Laplace density.",
    GAUSSIAN_LOG_DENSITY.apply,
)

COMBINE_LAPLACE_LOG_DENSITIES = combine_log_densities(
    "combine-laplace-log-densities",
    "The terms in log 2 cancel and the two log-scales combine into one logarithm.",
    (LaplaceLaw,),
)

LAPLACE_ABSOLUTE_DEVIATION = Rule(
    "laplace-absolute-deviation",
    "Mean absolute deviation",
    "A Laplace variable lies on average one scale away from its location (lemma below).",
    _absolute_moments(own_location=True),
)

LAPLACE_ABSOLUTE_MOMENT = Rule(
    "laplace-absolute-moment",
    "Distance to the other location",
    "The mean distance of a Laplace variable from another point is derived from the density (lemma below).",
    _absolute_moments(own_location=False),
)

DIVIDE_THROUGH = Rule(
    "divide-through",
    "Divide through",
    "Multiply the constant factor into each term of the sum.",
    _divide_through,
)


# -- the lemmas: an absolute moment from the definition ------------------------------------------------------------

EXPECTATION_AS_DENSITY_INTEGRAL = expectation_as_integral("laplace-expectation-as-integral", (LaplaceLaw,))


def _weight_location(integrand: Expr, variable: Symbol) -> Expr | None:
    """``mu`` when the integrand has the factor ``exp(-|x - mu| / b)``."""
    for f in factors(integrand):
        if isinstance(f, exp):
            for node in f.atoms(Abs):
                found = linear_in(node.args[0], variable)
                if found is not None:
                    return -found[1] / found[0]
    return None


def _centre(expr: Expr, setting: PairSetting) -> Rewrite:
    """``Integral(g(x) exp(-|x - mu| / b), x) -> Integral(g(t + mu) exp(-|t| / b), t)``: substitute ``t = x - mu``."""
    t = setting.t
    used: list[Eq] = []

    def match(e: Expr) -> Expr | None:
        found = _whole_line(e)
        if found is None:
            return None
        x, integrand = found
        mu = _weight_location(integrand, x)
        if mu is None or mu == 0:
            return None

        def shift(node: Expr) -> Expr | None:
            if isinstance(node, Abs):
                line = linear_in(node.args[0], x)
                if line is not None:
                    slope, offset = line
                    return Abs(add(t, *terms(difference(mu, -offset / slope))), evaluate=False)
            if node == x:
                return add(t, mu)
            line = linear_in(node, x) if node.is_Add else None
            if line is not None and line[0] == 1:  # x - c, a power's base: t + (mu - c), t alone at c = mu
                return add(t, *terms(difference(mu, -line[1])))
            return None

        used.append(Eq(t, sub(x, mu), evaluate=False))
        return Integral(rewrite_nodes(integrand, shift), (t, -oo, oo))

    out = rewrite_or_refuse(expr, match, "integral against a Laplace weight off the origin")
    return Rewrite(out, tuple(dict.fromkeys(used)))


def _reflect(expr: Expr, setting: PairSetting) -> Expr:
    """``Integral(|t + c| w(t), t) -> Integral(|t + |c|| w(t), t)`` for a weight even in t (t -> -t maps
    ``|t + c|`` to ``|t - c|``, so only ``|c|`` matters)."""

    def match(e: Expr) -> Expr | None:
        found = _whole_line(e)
        if found is None:
            return None
        t, integrand = found
        parts = factors(integrand)
        shifted = [f for f in parts if isinstance(f, Abs) and linear_in(f.args[0], t) is not None
                   and linear_in(f.args[0], t)[0] == 1 and linear_in(f.args[0], t)[1] != 0]
        if len(shifted) != 1:
            return None
        weight = evaluated(mul(*[f for f in parts if f is not shifted[0]]))
        if not weight.has(t) or evaluated(weight.subs(t, -t)) != weight:
            return None
        offset = _offset_display(shifted[0].args[0], t)
        if evaluated(offset).is_nonnegative:
            return None
        new = Abs(add(t, magnitude(offset)), evaluate=False)
        return Integral(mul(*[new if f is shifted[0] else f for f in parts]), (t, -oo, oo))

    return rewrite_or_refuse(expr, match, "integral of a shifted absolute value against an even weight")


def _offset_display(arg: Expr, t: Symbol) -> Expr:
    """The display form of ``c`` in the display sum ``t + c``."""
    rest = [term for term in terms(arg) if term != t]
    return add(*rest)


def _compare(a: Expr, b: Expr) -> int:
    difference_ = evaluated(a) - evaluated(b)
    if difference_ == 0:
        return 0
    if difference_.is_extended_nonpositive:
        return -1
    if difference_.is_extended_nonnegative:
        return 1
    raise RuleNotApplicable(f"cannot tell whether {a} or {b} comes first")


def _split_at_kinks(expr: Expr, setting: PairSetting) -> Expr:
    """``Integral(f(t), (t, a, b)) -> sum_i Integral(f_i(t), (t, k_i, k_i+1))``: split at the kinks k_i of the
    absolute values in f, each ``|l(t)|`` written as ``l(t)`` or ``-l(t)`` on each piece."""

    def match(e: Expr) -> Expr | None:
        found = scaled_integral(e)
        if found is None:
            return None
        sign, constants, integral = found
        t, low, high = integral.limits[0]
        kinks: dict[Expr, Expr] = {}
        for node in integral.function.atoms(Abs):
            line = linear_in(node.args[0], t)
            if line is not None:
                kinks[node] = -line[1] / line[0]
        if not kinks:
            return None
        points = sorted({evaluated(k): k for k in kinks.values()}.values(), key=cmp_to_key(_compare))
        ends = [low, *[k for k in points if _compare(low, k) < 0 and _compare(k, high) < 0], high]
        pieces = []
        for start, end in pairwise(ends):
            def positive(node: Expr, start: Expr = start) -> bool:
                slope = linear_in(node.args[0], t)[0]
                return (_compare(kinks[node], start) <= 0) == (slope > 0)  # right of the kink, rising

            def signed(node: Expr) -> Expr | None:
                if node not in kinks:
                    return None
                return node.args[0] if positive(node) else neg(node.args[0])

            negated = [node for node in kinks if not positive(node) and not _inside_exp(node, integral.function)]
            piece = rewrite_nodes(integral.function, lambda n: exp(evaluated(rewrite_nodes(n.args[0], signed)))
                                  if isinstance(n, exp) else None)
            piece = rewrite_nodes(piece, lambda n: n.args[0] if n in kinks else None)
            piece_sign = -sign if len(negated) % 2 else sign
            pieces.append(mul(piece_sign, *constants, Integral(piece, (t, start, end))))
        return add(*pieces)

    return rewrite_or_refuse(expr, match, "integral of an absolute value")


def _inside_exp(node: Expr, expr: Expr) -> bool:
    """Whether ``node`` occurs in ``expr`` only inside exponentials."""
    outside = rewrite_nodes(expr, lambda n: S.One if isinstance(n, exp) else None)
    return not outside.has(node)


CENTRE_AT_LOCATION = Rule(
    "centre-at-location",
    "Centre",
    "Measure the variable from the density's location.",
    _centre,
)

REFLECT_SYMMETRIC_WEIGHT = Rule(
    "reflect-symmetric-weight",
    "Symmetry",
    "The weight is unchanged when t changes sign, so only the distance between the two points matters.",
    _reflect,
)

SPLIT_AT_KINKS = Rule(
    "split-at-kinks",
    "Split at the kinks",
    "On each side of a kink an absolute value is its argument or minus it, so the integral splits there.",
    _split_at_kinks,
)

#: From ``E_q|x - m|`` to its closed form; a step that does not fit (no symmetry step when m is q's own location,
#: no centring at location 0) is skipped.
ABSOLUTE_MOMENT_PLAN: tuple[Rule, ...] = (
    EXPECTATION_AS_DENSITY_INTEGRAL, CENTRE_AT_LOCATION, REFLECT_SYMMETRIC_WEIGHT, SPLIT_AT_KINKS, INTEGRATE_PIECES,
    COLLECT_TERMS,
)


def absolute_moment_lemma(start: Expectation, setting: PairSetting) -> Derivation:
    """The derived lemma ``E_q|x - m| = ...`` for q = Laplace(mu, b): ``b`` when m = mu, else
    ``|mu - m| + b exp(-|mu - m| / b)``."""
    density, point = absolute_point(start)
    own = expand(point - density.law.loc) == 0
    name, title = (("laplace-absolute-deviation", "Mean absolute deviation") if own else
                   ("laplace-absolute-moment", "Mean distance from another point"))
    return derive_chain(name, title, start, ABSOLUTE_MOMENT_PLAN, setting, skip_unfit=True)
