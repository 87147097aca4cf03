"""From the definition of the KL divergence to an expectation under q."""

from __future__ import annotations

from sympy import Expr, Integral, oo

from ..core import Rule
from ..nodes import KL, Density, Expectation
from ..setting import Setting
from .base import factors, rewrite_or_refuse


def _definition(expr: Expr, setting: Setting) -> Expr:
    """``KL(q || p) -> Integral(q(x) log(q(x) / p(x)), (x, -oo, oo))``."""
    return rewrite_or_refuse(expr, lambda e: e.as_integral() if isinstance(e, KL) else None, "KL divergence")


def _as_expectation(expr: Expr, setting: Setting) -> Expr:
    """``Integral(q(x) g(x), (x, -oo, oo)) -> E_q[g(x)]``: integrating against a density is an expectation."""

    def match(e: Expr) -> Expr | None:
        if not (isinstance(e, Integral) and len(e.limits) == 1 and tuple(e.limits[0][1:]) == (-oo, oo)):
            return None
        parts = factors(e.function)
        density = parts[0]
        if not isinstance(density, Density) or density.variable != e.limits[0][0]:
            return None
        rest = parts[1:]
        body = rest[0] if len(rest) == 1 else e.function.func(*rest, evaluate=False)
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
