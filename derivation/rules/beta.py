"""The Beta family: its log-densities combined, and its two expected logarithms derived from the definition with the
lemma of ``rules.gamma.log_moment_plan`` (differentiate the normalising integral in the exponent of x).

``KL(Beta(alpha1, beta1) || Beta(alpha2, beta2))`` needs ``E_q[log x] = psi(alpha1) - psi(alpha1 + beta1)`` and
``E_q[log(1 - x)] = psi(beta1) - psi(alpha1 + beta1)``: the expectation as an integral against the density,
``log x x**(alpha - 1) = d/dalpha x**(alpha - 1)``, the derivative out of the integral, the Beta integral
``int_0^1 x**(a - 1) (1 - x)**(b - 1) dx = Gamma(a) Gamma(b) / Gamma(a + b)``, differentiate (``Gamma' = Gamma psi``),
multiply out. ``E_q[log(1 - x)]`` first reflects ``x -> 1 - x`` (which swaps the two exponents).
"""

from __future__ import annotations

from sympy import Eq, Expr, Integral, Mul, Pow, S, Symbol, gamma, log, polygamma

from ..check.checker import Checker
from ..core.engine import Derivation, Rewrite, Rule, derive_chain
from ..core.errors import RuleNotApplicable
from ..core.forms import add, evaluated, frac, mul, neg, sub
from ..laws import BetaLaw
from ..nodes.scalar import Density, Expectation
from .base import factors, rewrite_nodes, rewrite_or_refuse
from .families import combine_log_densities, log_density_rule
from .gamma import digamma, log_moment_plan
from .integrals import expectation_as_integral

BETA_LOG_DENSITY = log_density_rule("beta-log-density", "Beta")

COMBINE_BETA_LOG_DENSITIES = combine_log_densities(
    "combine-beta-log-densities",
    "The normalising constants combine into the logarithm of one ratio of Gamma functions; the terms in log x and "
    "in log(1 - x) stay.",
    (BetaLaw,),
    cite=False,
)

BETA_EXPECTATION_AS_INTEGRAL = expectation_as_integral("beta-expectation-as-integral", (BetaLaw,))


def _exponent(factor: Expr, base: Expr) -> Expr | None:
    """``k`` when ``factor`` is ``base**k`` (``base`` itself: 1)."""
    if factor == base:
        return S.One
    if isinstance(factor, Pow) and factor.args[0] == base:
        return factor.args[1]
    return None


def _beta_integrand(e: Expr) -> tuple[Symbol, Expr, Expr] | None:
    """``(x, a, b)`` when ``e`` is ``Integral(x**(a - 1) (1 - x)**(b - 1), (x, 0, 1))``."""
    if not (isinstance(e, Integral) and len(e.limits) == 1 and len(e.limits[0]) == 3):
        return None
    x, low, high = e.limits[0]
    if (low, high) != (0, 1):
        return None
    complement = sub(S.One, x)
    parts = [f for f in factors(e.function) if f != 1]
    powers = [_exponent(f, x) for f in parts]
    others = [_exponent(f, complement) if _exponent(f, complement) is not None
              else _exponent(f, evaluated(complement)) for f in parts]
    if any(p is None and o is None for p, o in zip(powers, others, strict=True)):
        return None
    k = add(*(p for p in powers if p is not None))
    m = add(*(o for p, o in zip(powers, others, strict=True) if p is None))
    a, b = _plus_one(k), _plus_one(m)
    if not (evaluated(a).is_positive and evaluated(b).is_positive):
        return None
    return x, a, b


def _plus_one(k: Expr) -> Expr:
    """``k + 1`` as a textbook writes it: ``alpha`` for ``alpha - 1``, a number for a number."""
    value = evaluated(k + 1) if not isinstance(k, Expr) or k.is_Number else evaluated(add(k, S.One))
    return value


def _total(a: Expr, b: Expr) -> Expr:
    return a + b if a.is_Number and b.is_Number else add(a, b)


def _beta_integral(expr: Expr, setting: object) -> Rewrite:
    """``Integral(x**(a - 1) (1 - x)**(b - 1), (x, 0, 1)) -> Gamma(a) Gamma(b) / Gamma(a + b)`` (the Beta function),
    wherever it stands (inside a derivative too)."""
    used: list[Eq] = []

    def match(e: Expr) -> Expr | None:
        found = _beta_integrand(e)
        if found is None:
            return None
        _, a, b = found
        value = frac(mul(gamma(a), gamma(b)), gamma(_total(a, b)))
        used.append(Eq(e, value, evaluate=False))
        return value

    out = rewrite_or_refuse(expr, match, "integral of x**(a - 1) (1 - x)**(b - 1) over [0, 1]")
    return Rewrite(out, tuple(dict.fromkeys(used)))


BETA_INTEGRAL = Rule(
    "beta-integral",
    "Beta integral",
    "The integral of a power of x times a power of one minus x over the unit interval is the Beta function, a "
    "ratio of values of the Gamma function.",
    _beta_integral,
)


def _reflect(expr: Expr, setting: object) -> Expr:
    """``Integral(log(1 - x) x**(a - 1) (1 - x)**(b - 1), (x, 0, 1)) -> Integral(log(x) x**(b - 1) (1 - x)**(a - 1),
    (x, 0, 1))``: substitute ``x -> 1 - x`` (the unit interval onto itself, ``dx`` up to sign, the limits swapped)."""

    def match(e: Expr) -> Expr | None:
        if not (isinstance(e, Integral) and len(e.limits) == 1 and e.limits[0][1:] == (0, 1)):
            return None
        x = e.limits[0][0]
        complement = sub(S.One, x)
        parts = factors(e.function)
        if not any(f == log(complement) or f == log(evaluated(complement)) for f in parts):
            return None
        swapped = []
        for f in parts:
            if f == log(complement) or f == log(evaluated(complement)):
                swapped.append(log(x))
            elif _exponent(f, x) is not None and f != 1:
                swapped.append(Pow(complement, _exponent(f, x), evaluate=False))
            elif _exponent(f, complement) is not None or _exponent(f, evaluated(complement)) is not None:
                k = _exponent(f, complement) if _exponent(f, complement) is not None else \
                    _exponent(f, evaluated(complement))
                swapped.append(x if k == 1 else Pow(x, k, evaluate=False))
            elif f.has(x):
                return None
            else:
                swapped.append(f)
        logs = [f for f in swapped if f == log(x)]
        xs = [f for f in swapped if f != log(x) and _exponent(f, x) is not None]
        rest = [f for f in swapped if f not in logs and f not in xs]
        return Integral(mul(*logs, *xs, *rest), e.limits[0])

    return rewrite_or_refuse(expr, match, "integral of log(1 - x) against a Beta weight")


REFLECT = Rule(
    "reflect-unit-interval",
    "Reflect",
    "Substitute one minus the variable for the variable: the unit interval maps onto itself, and the two powers "
    "swap their exponents.",
    _reflect,
)

#: From ``E_q[log x]`` to ``psi(alpha) - psi(alpha + beta)``: the Gamma lemma's plan with the Beta integral.
LOG_MOMENT_PLAN: tuple[Rule, ...] = log_moment_plan(BETA_EXPECTATION_AS_INTEGRAL, BETA_INTEGRAL)
#: From ``E_q[log(1 - x)]`` to ``psi(beta) - psi(alpha + beta)``: reflect, then the same steps.
LOG_COMPLEMENT_PLAN: tuple[Rule, ...] = (LOG_MOMENT_PLAN[0], REFLECT, *LOG_MOMENT_PLAN[1:])

def _general_lemma(name: str, title: str, plan: tuple[Rule, ...]):
    """A rule body replacing each expectation it fits by the value the lemma ``plan`` derives. A concentration given
    as a number cannot be differentiated in: the lemma is then derived for ``Beta(alpha, beta)`` in fresh symbols
    (and checked in them), and its result taken at the numbers."""

    def lemma_at(start: Expectation, setting: object) -> tuple[Derivation, Expr]:
        law = start.density.law
        if all(isinstance(c, Symbol) for c in law.args):
            lemma = derive_chain(name, title, start, plan, setting, skip_unfit=True)
            return lemma, lemma.result
        taken = {s.name for s in law.free_symbols} | {start.density.variable.name}
        fresh = [c if isinstance(c, Symbol) else Symbol(next(n for n in candidates if n not in taken), positive=True)
                 for c, candidates in zip(law.args, (("alpha", "a", "kappa"), ("beta", "b", "rho")), strict=True)]
        general = Expectation(start.expr, Density("", start.density.variable, BetaLaw(*fresh)))
        lemma = Checker(tuple(general.free_symbols), ranges=BetaLaw(*fresh).ranges()).verify(
            derive_chain(name, title, general, plan, setting, skip_unfit=True))
        values = dict(zip(fresh, law.args, strict=True))
        at = rewrite_nodes(lemma.result, lambda n: digamma(evaluated(n.args[1].xreplace(values)))
                           if isinstance(n, polygamma) else values.get(n))
        return lemma, at

    def apply(expr: Expr, setting: object, fits=None) -> Rewrite:
        lemmas: dict[Expr, Derivation] = {}
        values: dict[Expr, Expr] = {}

        def match(e: Expr) -> Expr | None:
            if not (isinstance(e, Expectation) and e.density.name and isinstance(e.density.law, BetaLaw)
                    and fits(e)):
                return None
            if e not in values:
                lemmas[e], values[e] = lemma_at(e, setting)
            return values[e]

        out = rewrite_or_refuse(expr, match, title.lower())
        return Rewrite(out, tuple(Eq(e, v, evaluate=False) for e, v in values.items()), tuple(lemmas.values()))

    return apply


def _moment_rule(key: str, title: str, justification: str, fits, lemma_title: str, plan: tuple[Rule, ...]) -> Rule:
    body = _general_lemma(key, lemma_title, plan)
    return Rule(key, title, justification, lambda expr, setting: body(expr, setting, fits))


BETA_LOG_MOMENT = _moment_rule(
    "beta-log-moment",
    "Expected logarithm",
    "The expected logarithm of a Beta variable is the derivative of its log-normaliser in its first concentration "
    "(lemma below).",
    lambda e: e.expr == log(e.density.variable),
    "Expected logarithm of a Beta variable", LOG_MOMENT_PLAN,
)

BETA_LOG_COMPLEMENT_MOMENT = _moment_rule(
    "beta-log-complement-moment",
    "Expected logarithm of the complement",
    "The expected logarithm of one minus a Beta variable is the derivative of its log-normaliser in its second "
    "concentration (lemma below).",
    lambda e: evaluated(e.expr) == log(1 - e.density.variable),
    "Expected logarithm of one minus a Beta variable", LOG_COMPLEMENT_PLAN,
)


def _number_or(display: Expr) -> Expr:
    value = evaluated(display)
    return value if value.is_Number else display


def _collect_beta(expr: Expr, setting: object) -> Expr:
    """The closed form written ``log(B(alpha2, beta2) / B(alpha1, beta1)) + (alpha1 - alpha2) psi(alpha1)
    + (beta1 - beta2) psi(beta1) + (alpha2 - alpha1 + beta2 - beta1) psi(alpha1 + beta1)`` (torch's form), checked
    equal to the line."""
    q, p = setting.q.law, setting.p.law  # type: ignore[attr-defined]
    if not (isinstance(q, BetaLaw) and isinstance(p, BetaLaw)) or expr.has(Expectation, Integral):
        raise RuleNotApplicable("not a closed form of a Beta pair")
    (a1, b1), (a2, b2) = q.args, p.args
    symbolic = all(isinstance(c, Symbol) for c in (a1, b1, a2, b2))
    coefficients: dict[Expr, Expr] = {}  # digamma's argument -> its coefficient (like arguments merged)
    for argument, coefficient in ((a1, sub(a1, a2)), (b1, sub(b1, b2)),
                                  (_total(a1, b1), add(a2, neg(a1), b2, neg(b1)))):
        key = next((k for k in coefficients if evaluated(k) == evaluated(argument)), argument)
        coefficients[key] = add(coefficients[key], coefficient) if key in coefficients else coefficient
    terms_ = []
    for argument, coefficient in coefficients.items():
        value = coefficient if symbolic and coefficient.is_Add and len(coefficient.args) == len(
            set(coefficient.free_symbols)) else evaluated(coefficient)
        if value.is_Add:  # a - 1, not -1 + a
            value = add(*sorted(value.args, key=lambda t: t.is_Number))
        terms_.append(mul(*(Mul.make_args(value) if value.is_Mul else (value,)), digamma(argument)))
    out = add(q.normaliser_difference(p) if q != p else S.Zero, *terms_)
    if out == expr:
        raise RuleNotApplicable("already collected")
    return out


COLLECT_BETA = Rule(
    "collect-beta-terms",
    "Collect",
    "Collect the terms in each digamma function.",
    _collect_beta,
)

__all__ = ["BETA_LOG_COMPLEMENT_MOMENT", "BETA_LOG_DENSITY", "BETA_LOG_MOMENT", "COLLECT_BETA",
           "COMBINE_BETA_LOG_DENSITIES", "LOG_COMPLEMENT_PLAN", "LOG_MOMENT_PLAN"]
