"""Algebraic tidying of closed forms: cancel, collect, distribute, factor, reorder.

Each rule builds its display form deliberately (never ``simplify``), so the line shows one idea.
"""

from __future__ import annotations

from sympy import Add, Eq, Expr, Rational, S, Sum, log

from ..core.engine import Rewrite, Rule
from ..core.errors import RuleNotApplicable
from ..core.forms import add, evaluated, is_negative_term, mul, neg, negate_term
from ..settings.univariate import Setting
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


def flat_terms(expr: Expr) -> list[Expr]:
    """The terms of ``expr`` with every numeric multiple of a sum multiplied out (display forms kept)."""
    out: list[Expr] = []
    for term in terms(expr):
        c, rest = _numeric_coefficient(term)
        if len(rest) == 1 and rest[0].is_Add:
            for inner in flat_terms(rest[0]):
                c_inner, rest_inner = _numeric_coefficient(inner)
                out.append(mul(c * c_inner, *rest_inner))
        else:
            out.append(term)
    return out


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


def _vae_form(expr: Expr, setting: Setting) -> Expr:
    """``c log s**2 + e (a + b) + f -> c (f/c + log s**2 + (e/c) a + (e/c) b)``, inner terms in VAE order.

    The identity is ``sum_i c_i t_i = c sum_i (c_i / c) t_i`` with c the coefficient of the log-variance term
    (numeric multiples of sums are multiplied out first); the terms inside are then ordered as VAE code
    writes them: constant, log-variance, squared mean, variance.
    """
    parts = flat_terms(expr)
    logs = [t for t in parts if t.has(log)]
    if len(parts) < 2 or not logs:
        raise RuleNotApplicable("no log-variance term to factor out")
    c, _ = _numeric_coefficient(logs[0])
    if c == 1:
        raise RuleNotApplicable("the log-variance term has no coefficient to factor out")
    inner = []
    for term in parts:
        k, rest = _numeric_coefficient(term)
        inner.append(mul(k / c, *rest))
    means = {s for s in setting.q.mean.free_symbols | setting.p.mean.free_symbols if not s.is_integer}  # not j
    numbers = Add(*[t for t in inner if t.is_Number])
    ordered = sorted([t for t in inner if not t.is_Number], key=lambda term: vae_rank(term, means))
    out = mul(c, add(numbers, *ordered))
    if out == expr:
        raise RuleNotApplicable("already in the VAE form")
    return out


def _equal_laws(expr: Expr, setting: Setting) -> Expr:
    """``(1 - p) log((1 - p)/(1 - p)) + p log(p/p) -> 0``: a closed form that is zero as it stands, each ratio of equal
    quantities being one (whose logarithm is zero) and each difference of equal terms zero. It is zero for every
    value of the parameters, so q and p are the same law: a law's divergence from itself is zero."""
    if expr == 0:
        raise RuleNotApplicable("already zero")
    value = evaluated(expr)
    sums = value.atoms(Sum)
    if len({s.limits for s in sums}) > 1:
        raise RuleNotApplicable("sums over different ranges")
    if sums:  # sums over one range: their summands cancel, or not (cheap: no sum is carried out)
        value = evaluated(value.replace(lambda e: isinstance(e, Sum), lambda e: e.function))
    if value != 0:
        raise RuleNotApplicable("the terms do not cancel as they stand")
    return S.Zero


EQUAL_LAWS = Rule(
    "equal-laws",
    "Equal laws",
    "Every term cancels as it stands: the two distributions are the same, and a distribution's divergence from "
    "itself is zero.",
    _equal_laws,
)

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

VAE_FORM = Rule(
    "vae-form",
    "VAE form",
    "Take out the coefficient of the log-variance and write the terms in the order VAE code uses: constant, "
    "log-variance, squared mean, variance.",
    _vae_form,
)


def _readable_term(coefficient: Rational, rest: list[Expr]) -> Expr:
    """``coefficient * rest`` as a term: a number, ``c a``, or a cancelled fraction such as ``1/(2 s)``."""
    if not rest:
        return coefficient
    if all(f.is_Pow and f.args[1].is_negative for f in rest) or any(f.is_Pow and f.args[1] == -1 for f in rest):
        return evaluated(mul(coefficient, *rest))
    return mul(coefficient, *rest)


def _like_terms(parts: list[Expr]) -> list[tuple[Rational, list[Expr]]]:
    """``parts`` as (coefficient, factors) with like terms added (their factors compared evaluated; fractions
    cancelled), zero sums dropped; the rational numbers are added into one term, kept last."""
    groups: dict[Expr, tuple[Rational, list[Expr]]] = {}
    number = Rational(0)
    for term in parts:
        c, rest = _numeric_coefficient(term)
        if not rest:
            number += c
            continue
        c_value, value = evaluated(mul(*rest)).as_coeff_Mul()
        c, key = c * c_value, value
        previous = groups.get(key)
        kept = rest if c_value == 1 and previous is None else (previous[1] if previous else [value])
        groups[key] = ((previous[0] if previous else 0) + c, kept)
    out = [(c, rest) for c, rest in groups.values() if c != 0]
    return out + ([(number, [])] if number != 0 else [])


def _positive_first(expr: Expr) -> Expr:
    """A display sum with its positive terms first (each sign keeps its order)."""
    return add(*sorted(terms(expr), key=is_negative_term))


def _sign_into_sum(expr: Expr) -> Expr:
    """``-d (-a + b) -> d (a - b)``: a negative multiple of a sum that opens with a minus takes the sign inside."""
    c, rest = _numeric_coefficient(expr)
    sums = [f for f in rest if f.is_Add]
    if not (c.is_negative and len(sums) == 1 and is_negative_term(terms(sums[0])[0])):
        raise RuleNotApplicable("no like terms to add")
    inner = _positive_first(add(*[negate_term(t) if is_negative_term(t) else neg(t) for t in terms(sums[0])]))
    return mul(-c, *[inner if f is sums[0] else f for f in rest])


def _collect_like_terms(expr: Expr, setting: Setting) -> Expr:
    """``3 log s - 1/2 log s + s/(2 s**2) - 1/2 -> 1/2 (log s + 1/s - 1)``: like terms added, fractions cancelled,
    the numbers summed; a coefficient common to every term is taken out. Applies only when something combines."""
    parts = flat_terms(expr)
    collected = _like_terms(parts)
    numbers = [t for t in parts if _numeric_coefficient(t)[1] == []]
    cancels = any(evaluated(t) != t and len(evaluated(t).free_symbols) and
                  evaluated(t).count_ops() < t.count_ops() for t in parts)
    all_numeric = bool(expr.is_number) and any(t.is_Add for t in factors(expr))
    shared = len(parts) > 1 and len({abs(_numeric_coefficient(t)[0]) for t in parts} - {1}) == 1 and \
        all(abs(_numeric_coefficient(t)[0]) != 1 for t in parts)
    if len(collected) == len(parts) and len(numbers) < 2 and not (cancels or all_numeric or shared):
        return _sign_into_sum(expr)
    if not collected:
        return S.Zero
    # Positive terms first (a leading number only when no symbolic term is positive), the number last.
    symbolic = [p for p in collected if p[1]]
    number = [p for p in collected if not p[1]]
    ordered = sorted(symbolic, key=lambda p: bool(p[0].is_negative))
    if number and number[0][0].is_positive and (not ordered or ordered[0][0].is_negative):
        ordered = number + ordered
    else:
        ordered = ordered + number
    magnitudes = {abs(c) for c, _ in ordered}
    common = magnitudes.pop() if len(magnitudes) == 1 and len(ordered) > 1 else Rational(1)
    if common != 1:
        if ordered[0][0].is_negative:
            common = -common
        out = mul(common, add(*[_readable_term(c / common, rest) for c, rest in ordered]))
    else:
        out = add(*[_readable_term(c, rest) for c, rest in ordered])
    if out == expr:
        raise RuleNotApplicable("already collected")
    return out


COLLECT_LIKE_TERMS = Rule(
    "collect-like-terms",
    "Collect",
    "Add up the like terms and the numbers, cancel common factors in fractions, and take out a factor common "
    "to every term.",
    _collect_like_terms,
)


def _open_negated_bracket(expr: Expr, setting: Setting) -> Expr:
    """``-(a - b) -> -a + b`` for each negated sum among the terms: every term of the bracket changes sign
    (``-(-c) = c``), the positive terms first."""
    out, changed = [], False
    for term in terms(expr):
        if term.is_Mul and len(term.args) == 2 and term.args[0] == -1 and term.args[1].is_Add:
            out.extend(terms(_positive_first(add(*[negate_term(t) if is_negative_term(t) else neg(t)
                                                    for t in terms(term.args[1])]))))
            changed = True
        else:
            out.append(term)
    if not changed:
        raise RuleNotApplicable("no negated bracket")
    return add(*out)


OPEN_NEGATED_BRACKET = Rule(
    "open-negated-bracket",
    "Signs",
    "Minus a sum is the sum of the negated terms.",
    _open_negated_bracket,
)
