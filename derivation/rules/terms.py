"""Regrouping a closed form into the terms a reader interprets: a mean term and a variance term.

Each rule builds its display form deliberately; the checker compares it with the line before.
"""

from __future__ import annotations

from sympy import Add, Eq, Expr, Subs, Sum, log

from ..core.engine import Derivation, Rewrite, Rule
from ..core.errors import RuleNotApplicable
from ..core.forms import add, evaluated, frac, is_negative_term, mul, neg, negate_term, sub
from ..core.placeholders import placeholders
from ..nodes.scalar import KL
from ..settings.univariate import Setting
from .algebra import _numeric_coefficient, flat_terms
from .base import factors, rewrite_nodes, rewrite_or_refuse, terms


def _split_fraction(expr: Expr, setting: Setting) -> Expr:
    """``(a + b) / c -> a / c + b / c`` for each term that is a sum over a denominator."""
    out, changed = [], False
    for term in terms(expr):
        parts = factors(term)
        sums = [f for f in parts if f.is_Add]
        rest = [f for f in parts if not f.is_Add]
        if len(sums) == 1 and rest and all(f.is_Pow and f.args[1] == -1 for f in rest):
            out.extend(mul(t, *rest) for t in terms(sums[0]))
            changed = True
        else:
            out.append(term)
    if not changed:
        raise RuleNotApplicable("no sum over a denominator")
    return add(*out)


def _kind(term: Expr) -> int:
    """Order inside the variance bracket: variances (0), logarithms (1), constants (2)."""
    if term.is_Number:
        return 2
    return 1 if term.has(log) else 0


def _split_mean_variance(expr: Expr, setting: Setting) -> Rewrite:
    """``... -> (terms with a mean) + c (variance terms, log terms, constants)``: the mean term, then the rest."""
    means = setting.q.mean.free_symbols | setting.p.mean.free_symbols
    parts = flat_terms(expr)
    mean_terms = [t for t in parts if t.free_symbols & means]
    rest = [evaluated(t) for t in parts if not t.free_symbols & means]
    if not mean_terms or not rest:
        raise RuleNotApplicable("no mean term and variance terms to separate")
    coefficients = [abs(t.as_coeff_Mul()[0]) for t in rest]
    common = min(coefficients)
    if not all((c / common).is_Integer for c in coefficients):
        raise RuleNotApplicable("the variance terms have no common numeric factor")
    bracket = sorted((evaluated(t / common) for t in rest), key=_kind)
    constant = Add(*[t for t in bracket if t.is_Number])
    bracket = [t for t in bracket if not t.is_Number] + ([constant] if constant != 0 else [])
    out = add(*mean_terms, mul(common, add(*bracket)))
    if out == expr:
        raise RuleNotApplicable("already separated")
    return Rewrite(out)


def _combine_logs(expr: Expr, setting: Setting) -> Rewrite:
    """``... + log b - log a + ... -> ... - log(a / b) + ...`` inside a sum (a, b > 0)."""

    def match(e: Expr) -> Expr | None:
        if not e.is_Add:
            return None
        parts = terms(e)
        plus = [i for i, t in enumerate(parts) if isinstance(t, log)]
        minus = [i for i, t in enumerate(parts) if is_negative_term(t) and isinstance(negate_term(t), log)]
        if len(plus) != 1 or len(minus) != 1:
            return None
        (i,), (k,) = plus, minus
        b, a = parts[i].args[0], negate_term(parts[k]).args[0]
        combined = neg(log(frac(a, b)))
        return add(*[combined if n == min(i, k) else t for n, t in enumerate(parts) if n != max(i, k)])

    out = rewrite_or_refuse(expr, match, "difference of two logarithms")
    a, b = placeholders("a b", positive=True)
    return Rewrite(out, (Eq(sub(log(b), log(a)), neg(log(frac(a, b))), evaluate=False),))


def _sum_term_by_term(expr: Expr, setting: Setting) -> Rewrite:
    """``sum_j (c a_j + e b_j) -> c sum_j a_j + e sum_j b_j`` (c, e numbers)."""

    def match(e: Expr) -> Expr | None:
        if not (isinstance(e, Sum) and e.function.is_Add):
            return None
        out = []
        for term in terms(e.function):
            c, rest = _numeric_coefficient(term)
            out.append(mul(c, Sum(mul(*rest), *e.limits)))
        return add(*out)

    out = rewrite_nodes(expr, match)
    if out is expr:
        raise RuleNotApplicable("no sum of sums")
    return Rewrite(out)


def _numbers_last(value: Expr) -> Expr:
    """An evaluated sum shown with its positive terms first, and within each sign the number last."""
    return add(*sorted(Add.make_args(value), key=lambda t: (is_negative_term(t), bool(t.is_Number))))


def _collect(expr: Expr, setting: Setting) -> Expr:
    """Add up like terms (the evaluated sum), symbolic terms first, the number last."""
    out = _numbers_last(evaluated(expr))
    if out == expr:
        raise RuleNotApplicable("nothing to collect")
    return out


def closed_form_at_rule(general: Derivation) -> Rule:
    """A rule replacing each ``KL(a || b)`` by ``[R]_{mu_q = .., sigma_q = .., mu_p = .., sigma_p = ..}``: the closed
    form ``R`` derived for ``KL(q || p)``, with a's and b's parameters still to be put in (shown, not yet done)."""
    q, p = general.setting.q, general.setting.p
    variables = (q.mean, q.std, p.mean, p.std)

    def apply(expr: Expr, setting: Setting) -> Rewrite:
        def match(e: Expr) -> Expr | None:
            if not isinstance(e, KL):
                return None
            return Subs(general.result, variables, (e.q.mean, e.q.std, e.p.mean, e.p.std))

        out = rewrite_or_refuse(expr, match, "KL divergence between Gaussians")
        return Rewrite(out, (Eq(general.start, general.result, evaluate=False),), (general,))

    return Rule("closed-form-at", "Closed form", "Use the closed form for two Gaussians at their parameters.", apply)


def _put_values_in(expr: Expr, setting: Setting) -> Expr:
    """``[R]_{a = 1, b = 2} -> R(1, 2)``, each substituted closed form evaluated, its number last."""
    return rewrite_or_refuse(expr, lambda e: _numbers_last(evaluated(e.doit())) if isinstance(e, Subs) else None,
                             "a substitution")


PUT_VALUES_IN = Rule(
    "put-values-in",
    "Substitute",
    "Put the parameters' values in.",
    _put_values_in,
)

SPLIT_FRACTION = Rule(
    "split-fraction",
    "Split the fraction",
    "A sum over a common denominator is the sum of the separate fractions.",
    _split_fraction,
)

SPLIT_MEAN_VARIANCE = Rule(
    "split-mean-variance",
    "Mean and variance",
    "Put the terms that involve the means first and collect the remaining terms, which involve only the "
    "standard deviations.",
    _split_mean_variance,
)

COMBINE_LOGS = Rule(
    "combine-logs",
    "Combine logs",
    "A difference of logarithms is the logarithm of the ratio.",
    _combine_logs,
)

SUM_TERM_BY_TERM = Rule(
    "sum-term-by-term",
    "Sum term by term",
    "A sum over the coordinates of a sum of terms is the sum of the separate sums; constant factors come out.",
    _sum_term_by_term,
)

COLLECT = Rule(
    "collect",
    "Collect",
    "Add up the like terms.",
    _collect,
)
