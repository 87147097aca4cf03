"""Gaussian facts: the log-density, standardisation, and the first two moments (derived as lemmas)."""

from __future__ import annotations

from collections.abc import Callable

from sympy import Eq, Expr, S, expand, factorial2, log

from ..core.engine import Derivation, Rewrite, Rule, derive_chain
from ..core.errors import RuleNotApplicable
from ..core.forms import add, evaluated, mul, neg, square, sub
from ..core.placeholders import placeholders
from ..laws import NormalLaw
from ..nodes.scalar import Density, Expectation
from ..settings.univariate import Setting
from .base import constants_first, rewrite_nodes, rewrite_or_refuse
from .expectation import LINEARITY


def _log_density(expr: Expr, setting: Setting) -> Rewrite:
    """``log q(x) -> -1/2 log(2 pi sigma**2) - (x - mu)**2 / (2 sigma**2)`` for each named Gaussian.

    For a Gaussian over a vector: ``-k/2 log(2 pi) - 1/2 log|S| - 1/2 (x - mu)^T S^-1 (x - mu)``.
    """
    used: list[Density] = []

    def match(e: Expr) -> Expr | None:
        if isinstance(e, log) and isinstance(e.args[0], Density) and e.args[0].name:
            used.append(e.args[0])
            return e.args[0].log_pdf_form()
        return None

    out = rewrite_or_refuse(expr, match, "log of a named density")
    identities = tuple(Eq(log(d), d.log_pdf_form(), evaluate=False) for d in dict.fromkeys(used))
    return Rewrite(out, identities)


def _combine_log_densities(expr: Expr, setting: Setting) -> Rewrite:
    """``log q(x) - log p(x) -> log(s_p / s_q) - (x - m_q)**2 / (2 s_q**2) + (x - m_p)**2 / (2 s_p**2)``.

    The ``-1/2 log 2 pi`` terms cancel and ``-1/2 log s_q**2 + 1/2 log s_p**2 = log(s_p / s_q)``. The
    densities supply the pieces (``log_normaliser``, ``energy``), so the same rule combines the
    log-densities of two multivariate Gaussians into ``1/2 log(|S_p| / |S_q|) - ... + ...``.
    """
    q, p = setting.q, setting.p
    difference = sub(q.log_pdf_form(), p.log_pdf_form())
    ratio = q.log_normaliser_ratio(p)
    combined = add(ratio, neg(q.energy()), p.energy())
    out = rewrite_or_refuse(expr, lambda e: combined if e == difference else None, "difference of log-densities")
    constants = sub(q.log_normaliser(), p.log_normaliser())
    return Rewrite(out, (Eq(constants, ratio, evaluate=False),))


def _standardise(expr: Expr, setting: Setting) -> Rewrite:
    """``E_q[g(x)] -> E_z[g(m + s z)]`` with ``z ~ N(0, 1)``, for q = N(m, s**2)."""
    z = setting.z
    standard = Density("", z, NormalLaw(0, 1))
    found: list[Density] = []

    def match(e: Expr) -> Expr | None:
        if isinstance(e, Expectation) and e.density.name:
            d = e.density
            found.append(d)
            return Expectation(constants_first(e.expr.subs(d.variable, d.mean + d.std * z), z), standard)
        return None

    out = rewrite_or_refuse(expr, match, "expectation under a named Gaussian")
    d = found[0]
    return Rewrite(out, (Eq(d.variable, add(d.mean, mul(d.std, z)), evaluate=False),))


def _standard_normal_moments(expr: Expr, setting: Setting) -> Rewrite:
    """``E[z**k] -> (k - 1)!!`` for even k and ``0`` for odd k, z ~ N(0, 1)."""
    used: list[Eq] = []

    def match(e: Expr) -> Expr | None:
        if not (isinstance(e, Expectation) and not e.density.name and e.density.mean == 0 and e.density.std == 1):
            return None
        z = e.density.variable
        k = S.One if e.expr == z else (e.expr.args[1] if e.expr.is_Pow and e.expr.args[0] == z else None)
        if k is None or not k.is_Integer or k < 1:
            return None
        value = factorial2(k - 1) if k % 2 == 0 else S.Zero
        used.append(Eq(e, value, evaluate=False))
        return value

    out = rewrite_or_refuse(expr, match, "moment of a standard normal variable")
    return Rewrite(out, tuple(used))


STANDARDISE = Rule(
    "standardise",
    "Standardise",
    "Write the variable as its mean plus its standard deviation times a standard normal variable.",
    _standardise,
)

STANDARD_NORMAL_MOMENTS = Rule(
    "standard-normal-moments",
    "Normal moments",
    "A standard normal variable has mean 0 and variance 1.",
    _standard_normal_moments,
)

_CENTRAL_MOMENT_PLAN = (STANDARDISE, LINEARITY, STANDARD_NORMAL_MOMENTS)


def central_moment_lemma(density: Density, order: int, setting: Setting) -> Derivation:
    """The derived lemma ``E_q[(x - m)**order] = ...`` (order 1: 0; order 2: s**2)."""
    start = Expectation(sub(density.variable, density.mean) ** order, density)
    title = {1: "First central moment", 2: "Second central moment"}.get(order, f"Central moment {order}")
    # A unit scale leaves nothing for linearity to move: that step is skipped.
    return derive_chain(f"central-moment-{order}", title, start, _CENTRAL_MOMENT_PLAN, setting, skip_unfit=True)


def replace_by_lemmas(expr: Expr, lemma_for: Callable[[Expr], Derivation | None], what: str) -> Rewrite:
    """Replace each sub-expression for which ``lemma_for`` derives a lemma by that lemma's result.

    The lemmas are attached to the step (each once) and their statements are the identities it used (except a
    lemma whose statement is the step itself).
    """
    lemmas: dict[Expr, Derivation] = {}

    def match(e: Expr) -> Expr | None:
        if e not in lemmas:
            lemma = lemma_for(e)
            if lemma is None:
                return None
            lemmas[e] = lemma
        return lemmas[e].result

    out = rewrite_nodes(expr, match)
    if not lemmas:
        raise RuleNotApplicable(f"no {what} in the expression")
    used = tuple({id(lemma): lemma for lemma in lemmas.values()}.values())
    # a lemma that replaces the whole line is the step itself: cited, not displayed a second time beside it
    return Rewrite(out, tuple(Eq(lm.start, lm.result, evaluate=False) for lm in used if lm.start != expr), used)


def _replace_central_moment(order: int):
    """A rule body replacing ``E_q[(x - m_q)**order]`` by its value, with the lemma that derives it."""

    def apply(expr: Expr, setting: Setting) -> Rewrite:
        def lemma_for(e: Expr) -> Derivation | None:
            if not (isinstance(e, Expectation) and e.density.name):
                return None
            d = e.density
            if evaluated(e.expr) != evaluated(sub(d.variable, d.mean) ** order):
                return None
            return central_moment_lemma(d, order, setting)

        return replace_by_lemmas(expr, lemma_for, f"central moment of order {order}")

    apply.__doc__ = f"``E_q[(x - m)**{order}] -> {'s**2' if order == 2 else '0'}`` for q = N(m, s**2)."
    return apply


SECOND_MOMENT = Rule(
    "gaussian-second-moment",
    "Second moment",
    "The expected squared distance of a Gaussian variable from its own mean is its variance (lemma below).",
    _replace_central_moment(2),
)

FIRST_MOMENT = Rule(
    "first-central-moment",
    "Zero mean",
    "A Gaussian variable deviates from its own mean by zero on average (lemma below), so the cross term vanishes.",
    _replace_central_moment(1),
)


def _shift(e: Expr) -> tuple[Density, Expr] | None:
    """``(q, m)`` when ``e`` is ``E_q[(x - m)**2]`` with m not q's own mean."""
    if not (isinstance(e, Expectation) and e.density.name and e.expr.is_Pow and e.expr.args[1] == 2):
        return None
    d = e.density
    m = expand(d.variable - evaluated(e.expr.args[0]))
    if m.has(d.variable) or expand(m - d.mean) == 0:
        return None
    return d, m


def _add_and_subtract_mean(expr: Expr, setting: Setting) -> Rewrite:
    """``(x - m) -> (x - m_q) + (m_q - m)`` inside ``E_q[(x - m)**2]``."""
    used: list[Eq] = []

    def match(e: Expr) -> Expr | None:
        found = _shift(e)
        if found is None:
            return None
        d, m = found
        split = add(sub(d.variable, d.mean), sub(d.mean, m))
        used.append(Eq(sub(d.variable, m), split, evaluate=False))
        return Expectation(square(split), d)

    out = rewrite_or_refuse(expr, match, "second moment about another point")
    return Rewrite(out, tuple(used))


def _expand_square(expr: Expr, setting: Setting) -> Rewrite:
    """``(a + b)**2 -> a**2 + 2 b a + b**2`` for a display sum of two terms."""
    a_, b_ = placeholders("a b", real=True)

    def match(e: Expr) -> Expr | None:
        if e.is_Pow and e.args[1] == 2 and e.args[0].is_Add and len(e.args[0].args) == 2:
            a, b = e.args[0].args
            return add(square(a), mul(2, b, a), square(b))
        return None

    out = rewrite_or_refuse(expr, match, "square of a sum")
    identity = Eq(square(add(a_, b_)), add(square(a_), mul(2, a_, b_), square(b_)), evaluate=False)
    return Rewrite(out, (identity,))


ADD_AND_SUBTRACT = Rule(
    "add-and-subtract-mean",
    "Add and subtract",
    "Measure the distance from the other mean through the mean of the first density.",
    _add_and_subtract_mean,
)

EXPAND_SQUARE = Rule(
    "expand-square",
    "Expand the square",
    "The square of a sum of two terms is the sum of their squares and twice their product.",
    _expand_square,
)

_SHIFTED_MOMENT_PLAN = (ADD_AND_SUBTRACT, EXPAND_SQUARE, LINEARITY, FIRST_MOMENT, SECOND_MOMENT)


def shifted_moment_lemma(density: Density, point: Expr, setting: Setting) -> Derivation:
    """The derived lemma ``E_q[(x - m)**2] = s_q**2 + (m_q - m)**2``."""
    start = Expectation(square(sub(density.variable, point)), density)
    # When q has mean 0, adding and subtracting it changes nothing: that step is skipped.
    return derive_chain("shifted-second-moment", "Second moment about another point", start,
                        _SHIFTED_MOMENT_PLAN, setting, skip_unfit=True)


def _shifted_second_moment(expr: Expr, setting: Setting) -> Rewrite:
    """``E_q[(x - m)**2] -> s_q**2 + (m_q - m)**2`` (add and subtract m_q; the cross term vanishes)."""

    def lemma_for(e: Expr) -> Derivation | None:
        found = _shift(e)
        return None if found is None else shifted_moment_lemma(*found, setting)

    return replace_by_lemmas(expr, lemma_for, "second moment about another point")


GAUSSIAN_LOG_DENSITY = Rule(
    "gaussian-log-density",
    "Log-densities",
    "Substitute the logarithm of each Gaussian density.",
    _log_density,
)

COMBINE_LOG_DENSITIES = Rule(
    "combine-log-densities",
    "Combine logs",
    "The constant terms cancel and the two log-scales combine into one logarithm.",
    _combine_log_densities,
)

SHIFTED_SECOND_MOMENT = Rule(
    "shifted-second-moment",
    "Shifted moment",
    "Add and subtract the mean of the first density; the cross term vanishes (lemma below).",
    _shifted_second_moment,
)
