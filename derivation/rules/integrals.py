"""Integrals against a law's density, written out and evaluated: shared by the families derived from the definition.

An expectation becomes the integral of the density's constant factor times its weight (``1/(2 b)`` and
``exp(-|x - mu| / b)`` for Laplace, ``lambda`` and ``exp(-lambda x)`` for the exponential law); an integral of a
linear function times an exponential is evaluated by parts (the exponential vanishing at an infinite end); a closed
form is multiplied out and collected.
"""

from __future__ import annotations

from typing import Protocol

from sympy import Abs, Add, Eq, Expr, Integral, Mul, Poly, S, exp, expand, factor_terms, oo

from ..core.engine import Rewrite, Rule
from ..core.errors import RuleNotApplicable
from ..core.forms import add, evaluated, is_negative_term, mul
from ..laws import Law
from ..nodes.scalar import Density, Expectation
from .base import factors, rewrite_or_refuse, terms


class PairSetting(Protocol):
    """What these rules ask of a setting: the two densities."""

    q: Density
    p: Density


def tidy(value: Expr) -> Expr:
    """An evaluated closed form as a display sum: multiplied out, the terms without an exponential first."""
    parts = Add.make_args(expand(value, power_exp=False, log=False))
    return add(*sorted(parts, key=lambda term: (term.has(exp), is_negative_term(term))))


def expectation_as_integral(key: str, laws: tuple[type[Law], ...]) -> Rule:
    """The rule ``E_q[g(x)] -> c Integral(g(x) w(x), (x, support))`` for a density q of one of ``laws`` whose
    density is its constant factor ``c = law.normaliser()`` times its weight ``w = law.weight(x)``
    (``1/(2 b)`` and ``exp(-|x - mu| / b)`` for ``Laplace(mu, b)``)."""

    def apply(expr: Expr, setting: PairSetting) -> Rewrite:
        used: list[Density] = []

        def match(e: Expr) -> Expr | None:
            if not (isinstance(e, Expectation) and isinstance(e.density.law, laws)):
                return None
            density = e.density
            used.append(density)
            return mul(density.law.normaliser(), density.integral(mul(e.expr, density.law.weight(density.variable))))

        out = rewrite_or_refuse(expr, match, f"expectation under a {' or '.join(law.family for law in laws)} density")
        identities = tuple(Eq(d, mul(d.law.normaliser(), d.law.weight(d.variable)), evaluate=False)
                           for d in dict.fromkeys(used) if d.name)
        return Rewrite(out, identities)

    apply.__doc__ = expectation_as_integral.__doc__
    return Rule(key, "As an integral",
                "An expectation is the integral against the density; the density's constant factor comes out.", apply)


def scaled_integral(e: Expr) -> tuple[Expr, list[Expr], Integral] | None:
    """``(sign, constants, integral)`` when ``e`` is an integral of one variable, possibly times constants
    (``-1/(2 b) Integral(...)``): the sign is the product of the numeric factors."""
    parts = factors(e)
    integrals = [f for f in parts if isinstance(f, Integral)]
    if len(integrals) != 1 or len(integrals[0].limits) != 1 or len(integrals[0].limits[0]) != 3:
        return None
    sign = Mul(*[f for f in parts if f.is_Number])
    constants = [f for f in parts if not f.is_Number and f is not integrals[0]]
    return sign, constants, integrals[0]


def piece_value(e: Integral) -> Expr | None:
    """``Integral((alpha t + beta) exp(gamma t + c), (t, a, b))`` in closed form, or None if not of that shape
    (or divergent). The antiderivative is ``exp(gamma t + c) ((alpha t + beta) / gamma - alpha / gamma**2)``; a
    quadratic P(t) in place of the linear factor: ``exp(gamma t + c) sum_k (-1)**k P^(k)(t) / gamma**(k + 1)``."""
    t, low, high = e.limits[0]
    f = evaluated(e.function)
    if any(node.has(t) for node in f.atoms(Abs)):
        return None
    exponentials = [g for g in Mul.make_args(f) if isinstance(g, exp)]
    if len(exponentials) != 1:
        return None
    argument = exponentials[0].args[0]
    gamma = expand(argument).coeff(t)
    if gamma == 0 or expand(argument - gamma * t).has(t):
        return None
    linear = expand(f / exponentials[0])
    if not linear.is_polynomial(t) or Poly(linear, t).degree() > 2:
        return None
    alpha, beta = linear.coeff(t, 1), linear.coeff(t, 0)
    polynomial = Poly(linear, t)

    def antiderivative(at: Expr) -> Expr:
        if at == oo or at == -oo:
            if not (gamma.is_negative if at == oo else gamma.is_positive):
                raise RuleNotApplicable("a piece diverges")
            return S.Zero
        if polynomial.degree() > 1:  # P e^(g t) has the antiderivative e^(g t) sum_k (-1)^k P^(k)(t) / g^(k+1)
            return exp(argument.subs(t, at)) * sum((-1) ** k * polynomial.diff((t, k)).as_expr().subs(t, at)
                                                   / gamma ** (k + 1) for k in range(polynomial.degree() + 1))
        return exp(argument.subs(t, at)) * ((alpha * at + beta) / gamma - alpha / gamma**2)

    return tidy(antiderivative(high) - antiderivative(low))


def _integrate_pieces(expr: Expr, setting: PairSetting) -> Expr:
    """Each ``c Integral((alpha t + beta) exp(gamma t), (t, a, b))`` -> its value times c (by parts; ``exp``
    vanishes at an infinite end), and a numeric factor common to the values taken out of their sum:
    ``1/(2 b) Integral(-t exp(t/b), (t, -oo, 0)) + 1/(2 b) Integral(t exp(-t/b), (t, 0, oo)) -> 1/2 (b + b)``."""
    values = []
    for term in terms(expr):
        found = scaled_integral(term)
        value = None if found is None else piece_value(found[2])
        if value is None:
            return _integrate_each(expr)
        sign, constants, _ = found
        values.append(factor_terms(expand(sign * evaluated(mul(*constants)) * evaluated(value), power_exp=False)))
    coefficients = {value.as_coeff_Mul()[0] for value in values}
    if len(coefficients) != 1:
        return _integrate_each(expr)
    common = coefficients.pop()
    return mul(common, add(*[term for value in values for term in terms(tidy(value / common))]))


def _integrate_each(expr: Expr) -> Expr:
    """Each integrable piece of the line replaced by its value (times its constant factor)."""

    def match(e: Expr) -> Expr | None:
        found = scaled_integral(e)
        value = None if found is None else piece_value(found[2])
        if value is None:
            return None
        sign, constants, _ = found
        return mul(*constants, tidy(sign * evaluated(value)))

    return rewrite_or_refuse(expr, match, "integral of a linear function times an exponential")


def _collect(expr: Expr, setting: PairSetting) -> Expr:
    """A closed form multiplied out and its like terms collected (``1/(2b) (b**2 + b**2) -> b``)."""
    if expr.has(Integral, Expectation):
        raise RuleNotApplicable("the line still holds an integral")
    out = tidy(evaluated(expr))
    if out == expr:
        raise RuleNotApplicable("nothing to collect")
    return out


INTEGRATE_PIECES = Rule(
    "integrate-exponential-pieces",
    "Integrate each piece",
    "Each piece is a linear function times an exponential: integrate by parts; the exponential vanishes at infinity.",
    _integrate_pieces,
)

INTEGRATE_BY_PARTS = Rule(
    "integrate-by-parts",
    "Integrate by parts",
    "A polynomial times an exponential: integrate by parts, once for each power; the exponential vanishes at "
    "infinity.",
    _integrate_pieces,
)

COLLECT_TERMS = Rule(
    "expand-and-collect",
    "Collect",
    "Multiply out and collect like terms.",
    _collect,
)
