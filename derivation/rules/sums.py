"""Rules that tidy sums over the coordinates ``Sum_{j=1}^{d}``: constants out, constant sums, opposite terms,
one sum from several, the order VAE code writes, and a rule applied inside each sum."""

from __future__ import annotations

from sympy import Eq, Expr, Function, IndexedBase, Integral, Mul, S, Sum, Symbol

from ..core.engine import Rewrite, Rule
from ..core.errors import RuleNotApplicable
from ..core.forms import add, evaluated, mul, neg
from ..nodes.families import coordinate_sum
from ..nodes.scalar import Density
from ..nodes.vector import SpaceIntegral
from .algebra import _numeric_coefficient, vae_rank
from .base import factors, rewrite_or_refuse, terms

_a, _b = IndexedBase("a", positive=True), IndexedBase("b", positive=True)


def _generic(setting) -> tuple[Symbol, Expr]:
    return setting.index, setting.dim


# -- sums ----------------------------------------------------------------------------------------------------


def _constant_out_of_sum(expr: Expr, setting) -> Rewrite:
    """``Sum_j c a_j -> c Sum_j a_j`` for a numeric factor c of the summand."""

    def match(e: Expr) -> Expr | None:
        if isinstance(e, Sum):
            c, rest = _numeric_coefficient(e.function)
            if c != 1 and rest:
                return mul(c, Sum(mul(*rest), *e.limits))
        return None

    out = rewrite_or_refuse(expr, match, "sum with a constant factor in every term")
    j, d = _generic(setting)
    c = Symbol("c", real=True)
    return Rewrite(out, (Eq(coordinate_sum(mul(c, _a[j]), j, d), mul(c, coordinate_sum(_a[j], j, d)),
                            evaluate=False),))


def _negate_into_sum(expr: Expr, setting) -> Rewrite:
    """``-Sum_j a_j -> Sum_j (-a_j)``: minus a sum is the sum of the negated terms."""

    def match(e: Expr) -> Expr | None:
        if e.is_Mul and len(e.args) == 2 and e.args[0] == -1 and isinstance(e.args[1], Sum):
            return Sum(neg(e.args[1].function), *e.args[1].limits)
        return None

    out = rewrite_or_refuse(expr, match, "negated sum")
    j, d = _generic(setting)
    return Rewrite(out, (Eq(neg(coordinate_sum(_a[j], j, d)), coordinate_sum(neg(_a[j]), j, d), evaluate=False),))


def _factor_out_of_sum(expr: Expr, setting) -> Rewrite:
    """``c Sum_j b a_j -> c b Sum_j a_j`` for the factors b of the summand free of the index (not all numbers; a
    number c outside the sum joins them)."""

    def match(e: Expr) -> Expr | None:
        parts = factors(e)
        sums = [f for f in parts if isinstance(f, Sum)]
        if len(sums) != 1 or not all(f.is_Number for f in parts if f is not sums[0]):
            return None
        total = sums[0]
        index = total.limits[0][0]
        outside = [f for f in factors(total.function) if index not in f.free_symbols]
        inside = [f for f in factors(total.function) if index in f.free_symbols]
        if not outside or not inside or all(f.is_Number for f in outside):
            return None
        return Mul(*[f for f in parts if f is not total], *outside, total.func(mul(*inside), *total.limits))

    out = rewrite_or_refuse(expr, match, "sum with a factor free of the index")
    j, d = _generic(setting)
    c = Symbol("c", real=True)
    return Rewrite(out, (Eq(coordinate_sum(mul(c, _a[j]), j, d), mul(c, coordinate_sum(_a[j], j, d)),
                            evaluate=False),))


def _sum_of_constant(expr: Expr, setting) -> Rewrite:
    """``Sum_{j=1}^{d} c -> d c`` for a summand c free of the index (``0`` when c is 0)."""

    def match(e: Expr) -> Expr | None:
        if isinstance(e, Sum) and len(e.limits) == 1:
            index, low, high = e.limits[0]
            if low == 1 and index not in e.function.free_symbols:
                if e.function == 0:
                    return S.Zero
                factors = Mul.make_args(e.function)  # a negative term's sign leads: -K c, not K (-c)
                if factors[0].is_Number and factors[0].is_negative:
                    return mul(factors[0], high, *factors[1:])
                return mul(high, e.function)
        return None

    out = rewrite_or_refuse(expr, match, "sum whose terms are all the same")
    j, d = _generic(setting)
    c = Symbol("c", real=True)
    return Rewrite(out, (Eq(coordinate_sum(c, j, d), mul(d, c), evaluate=False),))


def _split_off_constants(expr: Expr, setting) -> Rewrite:
    """``Sum_j (c + r_j) -> d c + Sum_j r_j``: terms the same for every coordinate (other than plain numbers)
    sum to d times themselves; the common numeric factor of the rest comes out of the sum."""

    def match(e: Expr) -> Expr | None:
        if not isinstance(e, Sum):
            return None
        index, _, dim = e.limits[0]
        parts = terms(e.function)
        constant = [t for t in parts if index not in t.free_symbols and not t.is_Number]
        rest = [t for t in parts if t not in constant]
        if not constant or not rest:
            return None
        outside = []
        for t in constant:
            c, others = _numeric_coefficient(t)
            outside.append(mul(c, dim, *others))
        lead, _ = _numeric_coefficient(rest[0])
        inner: list[Expr] = []
        for t in rest:
            c, others = _numeric_coefficient(t)
            scale = c / lead
            if scale == 1 and len(others) == 1 and others[0].is_Add:
                inner.extend(terms(others[0]))
            elif not others:
                inner.append(scale)
            else:
                inner.append(mul(scale, *others))
        inner.sort(key=lambda t: not t.is_Number)
        return add(*outside, mul(lead, Sum(add(*inner), *e.limits)))

    out = rewrite_or_refuse(expr, match, "sum with a term that is the same for every coordinate")
    j, d = _generic(setting)
    c = Symbol("c", real=True)
    return Rewrite(out, (Eq(coordinate_sum(add(c, _a[j]), j, d), add(mul(d, c), coordinate_sum(_a[j], j, d)),
                            evaluate=False),))


def _signed_terms(expr: Expr) -> list[Expr]:
    """The terms of a sum with brackets opened: ``(a + b) - (c + d) -> a, b, -c, -d``."""
    out: list[Expr] = []
    for t in terms(expr):
        c, rest = _numeric_coefficient(t)
        if c == -1 and len(rest) == 1 and rest[0].is_Add:
            out.extend(neg(u) for u in terms(rest[0]))
        else:
            out.append(t)
    return out


def _cancel_opposites(expr: Expr, setting) -> Rewrite:
    """``(a + b) - (a + c) -> b - c``: open the brackets; a term and its opposite cancel."""
    parts = _signed_terms(expr)
    values = [evaluated(t) for t in parts]
    gone: set[int] = set()
    identities = []
    for i, vi in enumerate(values):
        for k in range(i + 1, len(values)):
            if i not in gone and k not in gone and vi == -values[k]:
                gone |= {i, k}
                identities.append(Eq(add(parts[i], parts[k]), 0, evaluate=False))
    if not gone:
        raise RuleNotApplicable("no term cancels")
    return Rewrite(add(*[t for i, t in enumerate(parts) if i not in gone]), tuple(identities))


def _merge_sums(expr: Expr, setting, factor_out: bool = False) -> Rewrite:
    """``c (a Sum_j u_j + b Sum_j v_j - d) -> c a Sum_j (u_j + (b / a) v_j - 1 / a)``: one sum over the
    coordinates, the dimension written as ``Sum_j 1``. Only where the first sum's coefficient ``a`` is 1, unless
    ``factor_out`` (then only where it is not: that step also takes ``a`` out, and its identity says so)."""
    outer, rest = _numeric_coefficient(expr)
    body = rest[0] if len(rest) == 1 and rest[0].is_Add else expr
    if body is expr:
        outer = S.One
    limits, pieces, used_dim = None, [], False
    for t in terms(body):
        c, others = _numeric_coefficient(t)
        if len(others) == 1 and isinstance(others[0], Sum):
            total = others[0]
            if limits is not None and total.limits != limits:
                raise RuleNotApplicable("the sums run over different ranges")
            limits = total.limits
            pieces.append((c, terms(total.function)))
        elif len(others) == 1 and others[0].is_Symbol and others[0] == setting.dim:
            pieces.append((c, [S.One]))
            used_dim = True
        else:
            raise RuleNotApplicable("a term is neither a sum over the coordinates nor the dimension")
    if limits is None or len(pieces) < 2:
        raise RuleNotApplicable("fewer than two sums to merge")
    lead = pieces[0][0]
    if factor_out != (lead != 1):
        raise RuleNotApplicable("the first sum's coefficient is 1" if factor_out else
                                "the first sum has a coefficient to take out")
    inner: list[Expr] = []
    for c, summands in pieces:
        scale = c / lead
        for s in summands:
            inner.append(s if scale == 1 else neg(s) if scale == -1 else mul(scale, s))
    out = mul(outer * lead, Sum(add(*inner), *limits))
    j, d = _generic(setting)
    if factor_out:  # with the coefficients of the first two sums: c Sum a_j + e Sum b_j = c Sum (a_j + e/c b_j)
        second = pieces[1][0] / lead
        b_j = _b[j] if second == 1 else neg(_b[j]) if second == -1 else mul(second, _b[j])
        identities = [Eq(add(mul(lead, coordinate_sum(_a[j], j, d)), mul(pieces[1][0], coordinate_sum(_b[j], j, d))),
                         mul(lead, coordinate_sum(add(_a[j], b_j), j, d)), evaluate=False)]
    else:
        identities = [Eq(add(coordinate_sum(_a[j], j, d), coordinate_sum(_b[j], j, d)),
                         coordinate_sum(add(_a[j], _b[j]), j, d), evaluate=False)]
    if used_dim:
        identities.append(Eq(d, coordinate_sum(S.One, j, d), evaluate=False))
    return Rewrite(out, tuple(identities))


def _merge_sums_factor_out(expr: Expr, setting) -> Rewrite:
    """``a Sum_j u_j + b Sum_j v_j -> a Sum_j (u_j + (b / a) v_j)`` with ``a != 1`` taken out in front."""
    return _merge_sums(expr, setting, factor_out=True)


def _vae_order_in_sum(expr: Expr, setting) -> Expr:
    """``c Sum_j (...)`` with ``c = -1/2`` in front and the summand ordered as VAE code writes it
    (constant, log-variance, squared mean, variance); a positive c is made negative by flipping every term."""
    c, rest = _numeric_coefficient(expr)
    if len(rest) != 1 or not isinstance(rest[0], Sum) or not rest[0].function.is_Add:
        raise RuleNotApplicable("not a multiple of a sum over the coordinates")
    total = rest[0]
    parts = [evaluated(t) for t in terms(total.function)]
    if c > 0:
        c, parts = -c, [-t for t in parts]
    means = {s for s in setting.mean[setting.index].free_symbols if not s.is_integer}
    ordered = sorted(parts, key=lambda t: vae_rank(t, means))
    out = mul(c, Sum(add(*ordered), *total.limits))
    if out == expr:
        raise RuleNotApplicable("already in the VAE form")
    return out


def _split_integral(expr: Expr, setting) -> Rewrite:
    """``Integral(q (f - g)) -> Integral(q f) - Integral(q g)``: the integral of a sum is the sum of integrals."""

    used: list[Expr] = []

    def match(e: Expr) -> Expr | None:
        if not isinstance(e, SpaceIntegral | Integral):
            return None
        parts = factors(e.function)
        if len(parts) != 2 or not isinstance(parts[0], Density) or not parts[1].is_Add:
            return None
        density, total = parts
        used.append(density)
        out = []
        for t in terms(total):
            c, others = _numeric_coefficient(t)
            out.append(mul(c, density.integral(mul(density, *others))))
        return add(*out)

    out = rewrite_or_refuse(expr, match, "integral of a density times a sum")
    q = used[0]
    f, g = Function("f")(q.variable), Function("g")(q.variable)
    identity = Eq(q.integral(mul(q, add(f, neg(g)))), add(q.integral(mul(q, f)), neg(q.integral(mul(q, g)))),
                  evaluate=False)
    return Rewrite(out, (identity,))


CONSTANT_OUT_OF_SUM = Rule(
    "constant-out-of-sum",
    "Constant factor",
    "A factor common to every term comes out of the sum.",
    _constant_out_of_sum,
)


NEGATE_INTO_SUM = Rule(
    "negate-into-sum",
    "Sign",
    "Minus a sum is the sum of the negated terms.",
    _negate_into_sum,
)

FACTOR_OUT_OF_SUM = Rule(
    "factor-out-of-sum",
    "Factor out",
    "A factor that is the same for every term comes out of the sum.",
    _factor_out_of_sum,
)

SUM_OF_CONSTANT = Rule(
    "sum-of-constant",
    "Constant sum",
    "Every term of the sum is the same, so the sum is d times that term.",
    _sum_of_constant,
)


SPLIT_OFF_CONSTANTS = Rule(
    "split-off-constants",
    "Split the sum",
    "The normalising constant is the same for every coordinate, so it sums to d times itself; the common "
    "factor of the rest comes out.",
    _split_off_constants,
)


CANCEL_OPPOSITES = Rule(
    "cancel-opposites",
    "Cancel",
    "Open the brackets: the normalising constants cancel.",
    _cancel_opposites,
)


MERGE_SUMS = Rule(
    "merge-sums",
    "One sum",
    "The sums run over the same coordinates, so they merge into one.",
    _merge_sums,
)


MERGE_SUMS_FACTOR_OUT = Rule(
    "merge-sums-factor-out",
    "One sum",
    "The sums run over the same coordinates, so they merge into one; the coefficient of the first sum comes "
    "out in front, and every other term is divided by it (a negative coefficient changes the signs).",
    _merge_sums_factor_out,
)


VAE_ORDER_IN_SUM = Rule(
    "vae-order",
    "VAE form",
    "Write the sum as VAE code does: a negative coefficient in front (a positive one changes sign with every "
    "term inside) and the terms in the order constant, log-variance, squared mean, variance.",
    _vae_order_in_sum,
)


SPLIT_INTEGRAL = Rule(
    "split-integral",
    "Split",
    "The integral of a sum is the sum of the integrals.",
    _split_integral,
)


def in_summands(rule: Rule) -> Rule:
    """``rule`` applied inside every sum over the coordinates, to the summand (same key and prose)."""

    def apply(expr: Expr, setting) -> Rewrite:
        identities: list = []

        def match(e: Expr) -> Expr | None:
            if isinstance(e, Sum):
                try:
                    rewrite = rule(e.function, setting)
                except RuleNotApplicable:
                    return None
                identities.extend(rewrite.identities)
                return Sum(rewrite.expr, *e.limits)
            return None

        out = rewrite_or_refuse(expr, match, f"sum whose terms the rule {rule.key!r} applies to")
        return Rewrite(out, tuple(dict.fromkeys(identities)))

    apply.__doc__ = f"The rule {rule.key!r}, inside each sum."
    return Rule(rule.key, rule.title, rule.justification, apply)
