"""A one-parameter exponential family ``h(x) exp(eta T(x) - A(eta))``: the divergence as a Bregman divergence of A.

``KL(q || p)`` for ``q``, ``p`` of natural parameters ``eta_q``, ``eta_p``: the base measure cancels in the
log-ratio, which is linear in the statistic, ``(eta_q - eta_p) T(x) - A(eta_q) + A(eta_p)``; the mean of the
statistic is the slope of the log-normaliser, ``E_q[T(x)] = A'(eta_q)`` (differentiate the normalising integral
``int h(x) exp(eta T(x)) dx = exp(A(eta))``); so ``KL(q || p) = A(eta_p) - A(eta_q) - (eta_p - eta_q) A'(eta_q)``,
the gap at ``eta_p`` between ``A`` and its tangent at ``eta_q``.

The rules that write a family in natural form (:data:`~derivation.laws.expfamily.NATURAL_FORMS`) turn that general
result into the family's own: its natural parameters and log-normaliser put in, then collected.
"""

from __future__ import annotations

from sympy import Derivative, Eq, Expr, Integral, Lambda, exp

from ..core.engine import Rewrite, Rule
from ..core.errors import RuleNotApplicable
from ..core.forms import add, evaluated, mul, neg, sub
from ..laws.expfamily import BASE, LOG_NORMALISER, SLOPE, STATISTIC, ExponentialFamilyLaw, slope_of
from ..nodes.scalar import Expectation, Partial
from .base import factors, rewrite_nodes, rewrite_or_refuse
from .families import PairSetting, log_density_rule, moment_rule
from .gamma import DIFFERENTIATE_UNDER_INTEGRAL
from .integrals import expectation_as_integral

NATURAL_LOG_DENSITY = log_density_rule("natural-log-density", "exponential-family")


def _combine(expr: Expr, setting: PairSetting) -> Rewrite:
    """``log q(x) - log p(x) -> (eta_q - eta_p) T(x) - A(eta_q) + A(eta_p)``: ``log h(x)`` cancels."""
    q, p = setting.q, setting.p
    if not (isinstance(q.law, ExponentialFamilyLaw) and isinstance(p.law, ExponentialFamilyLaw)):
        raise RuleNotApplicable("not two densities of one exponential family")
    x = q.variable
    before = sub(q.log_pdf_form(), p.log_pdf_form())
    combined = add(mul(sub(q.law.natural, p.law.natural), STATISTIC(x)), neg(LOG_NORMALISER(q.law.natural)),
                   LOG_NORMALISER(p.law.natural))
    out = rewrite_or_refuse(expr, lambda e: combined if e == before else None, "difference of log-densities")
    return Rewrite(out)


COMBINE_NATURAL_LOG_DENSITIES = Rule(
    "combine-natural-log-densities",
    "Combine logs",
    "The base measure cancels; the natural parameters multiply the same statistic.",
    _combine,
)

NATURAL_EXPECTATION_AS_INTEGRAL = expectation_as_integral("natural-expectation-as-integral", (ExponentialFamilyLaw,))


def _statistic_as_derivative(expr: Expr, setting: object) -> Rewrite:
    """``Integral(T(x) h(x) exp(eta T(x)), x) -> Integral(h(x) d/deta exp(eta T(x)), x)``:
    ``d/deta exp(eta T(x)) = T(x) exp(eta T(x))``."""
    used: list[Eq] = []

    def match(e: Expr) -> Expr | None:
        if not (isinstance(e, Integral) and len(e.limits) == 1):
            return None
        x = e.limits[0][0]
        parts = factors(e.function)
        statistic = [f for f in parts if f == STATISTIC(x)]
        tilts = [f for f in parts if isinstance(f, exp) and evaluated(f.args[0]).has(STATISTIC(x))]
        if len(statistic) != 1 or len(tilts) != 1:
            return None
        eta = evaluated(tilts[0].args[0]) / STATISTIC(x)
        if eta.has(x) or not eta.is_Symbol:
            return None
        rest = [f for f in parts if f is not statistic[0] and f is not tilts[0]]
        derivative = Partial(tilts[0], eta)
        used.append(Eq(mul(statistic[0], tilts[0]), derivative, evaluate=False))
        return Integral(mul(*rest, derivative), e.limits[0])

    out = rewrite_or_refuse(expr, match, "integral of the statistic times the tilt exp(eta T(x))")
    return Rewrite(out, tuple(dict.fromkeys(used)))


STATISTIC_AS_DERIVATIVE = Rule(
    "statistic-as-derivative",
    "Statistic as a derivative",
    "The statistic times the exponential of the natural parameter times the statistic is the derivative of that "
    "exponential with respect to the natural parameter.",
    _statistic_as_derivative,
)


def _normalising_integral(expr: Expr, setting: object) -> Rewrite:
    """``Integral(h(x) exp(eta T(x)), x) -> exp(A(eta))``: the density integrates to one, so the log-normaliser is
    the logarithm of this integral."""
    used: list[Eq] = []

    def match(e: Expr) -> Expr | None:
        if not (isinstance(e, Integral) and len(e.limits) == 1):
            return None
        x = e.limits[0][0]
        parts = factors(e.function)
        if len(parts) != 2 or BASE(x) not in parts:
            return None
        (tilt,) = [f for f in parts if f != BASE(x)]
        if not isinstance(tilt, exp):
            return None
        eta = evaluated(tilt.args[0]) / STATISTIC(x)
        if eta.has(x) or not eta.is_Symbol:
            return None
        value = exp(LOG_NORMALISER(eta), evaluate=False)
        used.append(Eq(e, value, evaluate=False))
        return value

    out = rewrite_or_refuse(expr, match, "normalising integral of h(x) exp(eta T(x))")
    return Rewrite(out, tuple(dict.fromkeys(used)))


NATURAL_NORMALISING_INTEGRAL = Rule(
    "natural-normalising-integral",
    "Normalising integral",
    "The density integrates to one: the integral of the base measure times the exponential is the exponential of "
    "the log-normaliser.",
    _normalising_integral,
)


def _chain_rule(expr: Expr, setting: object) -> Rewrite:
    """``exp(-A(eta)) d/deta exp(A(eta)) -> A'(eta)``: the chain rule, ``d/deta exp(A(eta)) = A'(eta) exp(A(eta))``,
    and the exponentials cancel."""
    used: list[Eq] = []

    def match(e: Expr) -> Expr | None:
        parts = factors(e)
        derivatives = [f for f in parts if isinstance(f, Derivative) and isinstance(f.expr, exp)
                       and isinstance(f.expr.args[0], LOG_NORMALISER)]
        if len(derivatives) != 1:
            return None
        (eta,) = derivatives[0].variables
        inverse = exp(neg(LOG_NORMALISER(eta)), evaluate=False)
        if len(parts) != 2 or inverse not in parts:
            return None
        used.append(Eq(derivatives[0], mul(SLOPE(eta), derivatives[0].expr), evaluate=False))
        return SLOPE(eta)

    out = rewrite_nodes(expr, match)
    if not used:
        raise RuleNotApplicable("no exp(-A(eta)) times the derivative of exp(A(eta))")
    return Rewrite(out, tuple(dict.fromkeys(used)))


DIFFERENTIATE_EXP_LOG_NORMALISER = Rule(
    "differentiate-exp-log-normaliser",
    "Chain rule",
    "Differentiate the exponential by the chain rule; the two exponentials cancel.",
    _chain_rule,
)

#: From ``E_q[T(x)]`` to ``A'(eta_q)``: as an integral, the statistic as a derivative, the derivative out of the
#: integral, the normalising integral, the chain rule.
MEAN_STATISTIC_PLAN: tuple[Rule, ...] = (NATURAL_EXPECTATION_AS_INTEGRAL, STATISTIC_AS_DERIVATIVE,
                                         DIFFERENTIATE_UNDER_INTEGRAL, NATURAL_NORMALISING_INTEGRAL,
                                         DIFFERENTIATE_EXP_LOG_NORMALISER)

MEAN_STATISTIC = moment_rule(
    "mean-of-statistic",
    "Mean of the statistic",
    "The mean of the sufficient statistic is the slope of the log-normaliser (lemma below).",
    (ExponentialFamilyLaw,),
    lambda e: e.expr == STATISTIC(e.density.variable),
    ("mean-of-statistic", "Mean of the sufficient statistic", MEAN_STATISTIC_PLAN),
)


def _bregman(expr: Expr, setting: PairSetting) -> Expr:
    """``(eta_q - eta_p) A'(eta_q) - A(eta_q) + A(eta_p) -> A(eta_p) - A(eta_q) - (eta_p - eta_q) A'(eta_q)``."""
    q, p = setting.q, setting.p
    if expr.has(Expectation, Integral) or not expr.has(SLOPE):
        raise RuleNotApplicable("not the closed form in A and A'")
    eq, ep = q.law.natural, p.law.natural
    out = add(LOG_NORMALISER(ep), neg(LOG_NORMALISER(eq)), neg(mul(sub(ep, eq), SLOPE(eq))))
    if out == expr:
        raise RuleNotApplicable("already in Bregman form")
    return out


BREGMAN_FORM = Rule(
    "bregman-form",
    "Bregman divergence",
    "Order the terms: the log-normaliser at the second parameter minus its tangent at the first, a Bregman "
    "divergence of the convex function A.",
    _bregman,
)


def natural_form_rule(key: str, name: str, natural: dict, log_normaliser: Lambda) -> Rule:
    """``A(eta) -> the family's log-normaliser`` and ``A'(eta)`` its derivative, each natural parameter by its value
    in the law's own parameter (``natural``: ``{eta_q: log(lambda_q), eta_p: log(lambda_p)}``)."""
    slope = slope_of(log_normaliser)

    def apply(expr: Expr, setting: object) -> Rewrite:
        if not expr.has(LOG_NORMALISER):
            raise RuleNotApplicable("no log-normaliser A to put in")
        out = expr.replace(SLOPE, lambda a: slope(a)).replace(LOG_NORMALISER, lambda a: log_normaliser(a))
        out = out.xreplace(natural)
        eta = log_normaliser.variables[0]
        return Rewrite(out, (Eq(LOG_NORMALISER(eta), log_normaliser.expr, evaluate=False),
                             *(Eq(k, v, evaluate=False) for k, v in natural.items())))

    apply.__doc__ = natural_form_rule.__doc__
    return Rule(key, "Natural form", f"Put in the log-normaliser and the natural parameters of the {name}.", apply)
