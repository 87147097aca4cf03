"""From the definition of the KL divergence to an expectation under q."""

from __future__ import annotations

from sympy import Expr, Integral, Sum

from ..core.engine import Rule
from ..nodes.scalar import KL, Density, Expectation
from ..nodes.vector import SpaceIntegral
from ..settings.univariate import Setting
from .base import factors, rewrite_or_refuse


def _definition(expr: Expr, setting: Setting) -> Expr:
    """``KL(q || p) -> Integral(q(x) log(q(x) / p(x)), (x, -oo, oo))``."""
    return rewrite_or_refuse(expr, lambda e: e.as_integral() if isinstance(e, KL) else None, "KL divergence")


def _whole_space(e: Expr) -> tuple[Expr, Expr, tuple | None] | None:
    """``(variable, integrand, limits)`` of an integral (or a sum, for a discrete law) of one variable (limits
    None for R^k of a vector)."""
    if isinstance(e, Integral | Sum) and len(e.limits) == 1 and len(e.limits[0]) == 3:
        return e.limits[0][0], e.function, tuple(e.limits[0])
    if isinstance(e, SpaceIntegral):
        return e.variable, e.function, None
    return None


def _as_expectation(expr: Expr, setting: Setting) -> Expr:
    """``Integral(q(x) g(x), (x, support of q)) -> E_q[g(x)]``: integrating against a density over its whole
    support is an expectation (summing against a mass function, for a discrete law). The same for a vector x
    over R^k.
    """

    def match(e: Expr) -> Expr | None:
        found = _whole_space(e)
        if found is None:
            return None
        variable, integrand, limits = found
        parts = factors(integrand)
        density = parts[0]
        if not isinstance(density, Density) or density.variable != variable:
            return None
        if limits is not None and (density.law.vector or limits != density.law.limits(variable)
                                   or isinstance(e, Sum) != density.law.discrete):
            return None  # over a part of the support (or a sum against a density): not an expectation
        rest = parts[1:]
        body = rest[0] if len(rest) == 1 else integrand.func(*rest, evaluate=False)
        return Expectation(body, density)

    return rewrite_or_refuse(expr, match, "integral against a density")


KL_DEFINITION = Rule(
    "kl-definition",
    "Definition",
    "The Kullback-Leibler divergence is the average, under the first density, of the log-ratio of the two densities.",
    _definition,
)

INTEGRAL_AS_EXPECTATION = Rule(
    "integral-as-expectation",
    "As an expectation",
    "An integral of a function weighted by a density is the expectation of that function under that density.",
    _as_expectation,
)
