"""Exponential and uniform laws against a Gaussian (torch's ``_kl_exponential_normal`` and ``_kl_uniform_normal``).

The log-density of ``p = N(mu, s**2)`` is a square in x, so ``KL(q || p)`` needs the second moment of q about the
Gaussian's mean: for ``q = Exponential(lambda)`` it is ``E_q[(x - mu)**2] = 2/lambda**2 - 2 mu/lambda + mu**2``
(a quadratic times an exponential, integrated by parts twice), for ``q = Uniform(a, b)`` it is
``((b - mu)**3 - (a - mu)**3) / (3 (b - a)) = (b - a)**2/12 + ((a + b)/2 - mu)**2`` (a polynomial integrated over
the interval). Each is a lemma derived from the definition.
"""

from __future__ import annotations

from sympy import Expr, Integral, Pow, S, cancel, log, pi

from ..core.engine import Rule
from ..core.errors import RuleNotApplicable
from ..core.forms import add, evaluated, frac, mul, neg, square, sub
from ..laws import ExponentialLaw, NormalLaw, UniformLaw
from ..nodes.scalar import Expectation
from .base import terms
from .exponential import EXPONENTIAL_EXPECTATION_AS_INTEGRAL
from .families import combine_log_densities, moment_rule
from .integrals import COLLECT_TERMS, INTEGRATE_BY_PARTS, scaled_integral
from .laplace import difference, linear_in
from .uniform_beta import UNIFORM_EXPECTATION_AS_INTEGRAL


def _root_two_pi() -> Expr:
    """``sqrt(2 pi)`` kept as written."""
    return Pow(mul(2, pi), S.Half, evaluate=False)


def _square_about_a_point(e: Expectation) -> bool:
    """Whether ``e`` is ``E_q[(x - c)**2]``."""
    found = e.expr.is_Pow and e.expr.args[1] == 2 and linear_in(e.expr.args[0], e.density.variable)
    return bool(found) and found[0] == 1


# -- KL(Exponential || Normal) -------------------------------------------------------------------------------------

COMBINE_EXPONENTIAL_NORMAL = combine_log_densities(
    "combine-exponential-normal-log-densities",
    "The constants of the two densities come together; the terms in x and the squared distance stay.",
    (ExponentialLaw, NormalLaw),
)

EXPONENTIAL_SECOND_MOMENT = moment_rule(
    "exponential-second-moment",
    "Second moment",
    "The expected squared distance of an exponential variable from a point is derived from the density (lemma "
    "below).",
    (ExponentialLaw,),
    _square_about_a_point,
    ("exponential-second-moment", "Second moment of an exponential variable about a point",
     (EXPONENTIAL_EXPECTATION_AS_INTEGRAL, INTEGRATE_BY_PARTS, COLLECT_TERMS)),
)


def _collect_exponential_normal(expr: Expr, setting: object) -> Expr:
    """The closed form written ``log(sqrt(2 pi) lambda s) - 1 + (1/lambda**2 - mu/lambda + mu**2/2) / s**2`` for
    q = Exponential(lambda), p = N(mu, s**2) (torch's ``_kl_exponential_normal``), checked equal to the line."""
    q, p = setting.q.law, setting.p.law  # type: ignore[attr-defined]
    if not (isinstance(q, ExponentialLaw) and isinstance(p, NormalLaw)) or expr.has(Integral, Expectation):
        raise RuleNotApplicable("not a closed form of an exponential law against a Gaussian")
    rate, mu = q.rate, p.mean
    inner = add(frac(1, square(rate)), neg(frac(mu, rate)) if mu != 0 else S.Zero,
                frac(square(mu), 2) if mu != 0 else S.Zero)
    out = add(log(mul(_root_two_pi(), rate, p.std)), S.NegativeOne, frac(inner, p.var))
    if out == expr:
        raise RuleNotApplicable("already collected")
    return out


COLLECT_EXPONENTIAL_NORMAL = Rule(
    "collect-exponential-normal",
    "Collect",
    "The logarithms combine into one; the terms over the Gaussian's variance collect.",
    _collect_exponential_normal,
)


# -- KL(Uniform || Normal) -----------------------------------------------------------------------------------------

COMBINE_UNIFORM_NORMAL = combine_log_densities(
    "combine-uniform-normal-log-densities",
    "The constants of the two densities come together; the squared distance stays.",
    (UniformLaw, NormalLaw),
)


def _integrate_polynomial(expr: Expr, setting: object) -> Expr:
    """``Integral((x - c)**2, (x, a, b)) -> ((b - c)**3 - (a - c)**3) / 3``: the antiderivative of a power,
    ``(x - c)**3 / 3``, between the ends."""
    changed = False
    out = []
    for term in terms(expr):
        found = scaled_integral(term)
        if found is None:
            out.append(term)
            continue
        sign, constants, integral = found
        x, low, high = integral.limits[0]
        body = integral.function
        line = body.is_Pow and body.args[1] == 2 and linear_in(body.args[0], x)
        if not line or line[0] != 1 or not (low.is_finite and high.is_finite):
            out.append(term)
            continue
        point = -line[1]
        cube = frac(sub(Pow(difference(high, point), 3, evaluate=False),
                        Pow(difference(low, point), 3, evaluate=False)), 3)
        out.append(mul(sign, *constants, cube))
        changed = True
    if not changed:
        raise RuleNotApplicable("no integral of a square over an interval")
    return add(*out)


INTEGRATE_POLYNOMIAL = Rule(
    "integrate-square",
    "Integrate",
    "The antiderivative of a square of a distance is its cube over three, taken between the ends of the interval.",
    _integrate_polynomial,
)


def _about_the_mean(expr: Expr, setting: object) -> Expr:
    """``((b - c)**3 - (a - c)**3) / (3 (b - a)) -> (b - a)**2/12 + ((a + b)/2 - c)**2``: the variance of the uniform
    law plus the squared distance of its mean (c read from the cube ``(b - c)**3``)."""
    law = setting.q.law  # type: ignore[attr-defined]
    if not isinstance(law, UniformLaw) or expr.has(Integral, Expectation):
        raise RuleNotApplicable("not a moment of a uniform law")
    cubes = [n for n in expr.atoms(Pow) if n.args[1] == 3]
    points = {evaluated(law.high - evaluated(n.args[0])) for n in cubes} | {
        evaluated(law.low - evaluated(n.args[0])) for n in cubes}
    mean = frac(add(law.low, law.high), 2)
    for c in sorted(points, key=str):
        out = add(frac(square(law.width), 12), square(add(mean, *terms(neg(c)))) if c != 0 else square(mean))
        if cancel(evaluated(out) - evaluated(expr)) == 0 and out != expr:
            return out
    raise RuleNotApplicable("not a second moment of a uniform law about a point")


UNIFORM_ABOUT_THE_MEAN = Rule(
    "uniform-moment-about-the-mean",
    "About the mean",
    "Write the moment as the variance of the uniform law plus the squared distance of its mean.",
    _about_the_mean,
)

UNIFORM_SECOND_MOMENT = moment_rule(
    "uniform-second-moment",
    "Second moment",
    "The expected squared distance of a uniform variable from a point is its variance plus the squared distance of "
    "its mean (lemma below).",
    (UniformLaw,),
    _square_about_a_point,
    ("uniform-second-moment", "Second moment of a uniform variable about a point",
     (UNIFORM_EXPECTATION_AS_INTEGRAL, INTEGRATE_POLYNOMIAL, UNIFORM_ABOUT_THE_MEAN)),
)


def _collect_uniform_normal(expr: Expr, setting: object) -> Expr:
    """The closed form written ``log(sqrt(2 pi) s / (b - a)) + ((b - a)**2/12 + ((a + b)/2 - mu)**2) / (2 s**2)``
    for q = Uniform(a, b), p = N(mu, s**2) (torch's ``_kl_uniform_normal``), checked equal to the line."""
    q, p = setting.q.law, setting.p.law  # type: ignore[attr-defined]
    if not (isinstance(q, UniformLaw) and isinstance(p, NormalLaw)) or expr.has(Integral, Expectation):
        raise RuleNotApplicable("not a closed form of a uniform law against a Gaussian")
    mean = frac(add(q.low, q.high), 2)
    distance = square(add(mean, *terms(neg(p.mean)))) if p.mean != 0 else square(mean)
    out = add(log(frac(mul(_root_two_pi(), p.std), q.width)),
              frac(add(frac(square(q.width), 12), distance), mul(2, p.var)))
    if out == expr:
        raise RuleNotApplicable("already collected")
    return out


COLLECT_UNIFORM_NORMAL = Rule(
    "collect-uniform-normal",
    "Collect",
    "The logarithms combine into one; the variance of the uniform law and the squared distance of its mean from the "
    "Gaussian's mean stay over twice the Gaussian's variance.",
    _collect_uniform_normal,
)
