"""The Gamma family: its log-densities combined, and its two moments derived from the definition.

``KL(Gamma(alpha1, beta1) || Gamma(alpha2, beta2))`` needs two expectations under ``q = Gamma(alpha1, beta1)``:

- the mean ``E_q[x] = alpha1 / beta1``: the expectation as an integral against the density, ``x x**(alpha - 1) =
  x**alpha``, the Gamma integral ``int_0^oo x**(s - 1) exp(-beta x) dx = Gamma(s) / beta**s``, and
  ``Gamma(alpha + 1) = alpha Gamma(alpha)``;
- the expected logarithm ``E_q[log x] = psi(alpha1) - log beta1``, from the derivative of the log-normaliser:
  ``log x x**(alpha - 1) = d/dalpha x**(alpha - 1)``, the derivative comes out of the integral (the limits do not
  depend on alpha), the Gamma integral, and ``Gamma'(alpha) = Gamma(alpha) psi(alpha)`` (the digamma function).

:func:`log_moment_plan` builds the second plan from a family's "as an integral" rule and its normalising integral,
so that a family whose normaliser is another integral of ``x**(alpha - 1)`` (Beta, Dirichlet) cites the same steps.
"""

from __future__ import annotations

from sympy import (
    Derivative,
    Eq,
    Expr,
    Integral,
    Pow,
    S,
    Symbol,
    cancel,
    diff,
    exp,
    expand,
    fraction,
    gamma,
    gammasimp,
    log,
    oo,
)
from sympy import polygamma as _polygamma

from ..check.checker import Checker
from ..core.engine import Derivation, Rewrite, Rule, derive_chain
from ..core.errors import RuleNotApplicable
from ..core.forms import add, evaluated, frac, log_ratio, mul, neg, sub
from ..laws import GammaLaw
from ..nodes.scalar import Density, Expectation, Partial
from .base import factors, rewrite_nodes, rewrite_or_refuse, terms
from .families import combine_log_densities, log_density_rule, moment_rule
from .integrals import COLLECT_TERMS, expectation_as_integral, tidy

GAMMA_LOG_DENSITY = log_density_rule("gamma-log-density", "Gamma")

COMBINE_GAMMA_LOG_DENSITIES = combine_log_densities(
    "combine-gamma-log-densities",
    "The normalising constants combine, the two log-Gamma terms into one logarithm; the terms in log x and in x "
    "stay.",
    (GammaLaw,),
    cite=False,
)

GAMMA_EXPECTATION_AS_INTEGRAL = expectation_as_integral("gamma-expectation-as-integral", (GammaLaw,))


def digamma(value: Expr) -> Expr:
    """``psi(value)``, kept as written at a number (``psi(2)``, not ``1 - gamma``)."""
    return _polygamma(S.Zero, value, evaluate=False)


# -- integrals of x**(s - 1) exp(-beta x) ----------------------------------------------------------------------

def _power_of(factor: Expr, x: Symbol) -> Expr | None:
    """``k`` when ``factor`` is ``x**k`` (``x`` itself: 1)."""
    if factor == x:
        return S.One
    if isinstance(factor, Pow) and factor.args[0] == x and not factor.args[1].has(x):
        return factor.args[1]
    return None


def _combine_powers(expr: Expr, setting: object) -> Expr:
    """``Integral(x x**(alpha - 1) w(x), x) -> Integral(x**alpha w(x), x)``: powers of the variable multiplied."""

    def match(e: Expr) -> Expr | None:
        if not (isinstance(e, Integral) and len(e.limits) == 1):
            return None
        x = e.limits[0][0]
        parts = factors(e.function)
        powers = [f for f in parts if _power_of(f, x) is not None]
        if len(powers) < 2:
            return None
        exponent = evaluated(add(*(_power_of(f, x) for f in powers)))
        combined = x if exponent == 1 else Pow(x, exponent, evaluate=False)
        rest = [f for f in parts if _power_of(f, x) is None]
        return Integral(mul(combined, *rest), e.limits[0])

    return rewrite_or_refuse(expr, match, "product of powers of the variable in an integral")


def _gamma_integrand(e: Expr) -> tuple[Expr, Expr] | None:
    """``(s, beta)`` when ``e`` is ``Integral(x**(s - 1) exp(-beta x), (x, 0, oo))``."""
    if not (isinstance(e, Integral) and len(e.limits) == 1 and len(e.limits[0]) == 3):
        return None
    x, low, high = e.limits[0]
    if (low, high) != (0, oo):
        return None
    parts = factors(evaluated(e.function))
    exponentials = [f for f in parts if isinstance(f, exp)]
    others = [f for f in parts if not isinstance(f, exp)]
    if len(exponentials) != 1 or len(others) > 1:
        return None
    rate = -expand(exponentials[0].args[0]).coeff(x)
    if expand(exponentials[0].args[0] + rate * x) != 0 or not rate.is_positive:
        return None
    power = _power_of(others[0], x) if others else S.Zero
    if power is None or not evaluated(power + 1).is_positive:
        return None
    shape = evaluated(power + 1)
    if shape.is_Add:  # alpha + 1, the number last as a textbook writes it
        shape = add(*(t for t in shape.args if not t.is_Number), *(t for t in shape.args if t.is_Number))
    return shape, rate


def _gamma_integral(expr: Expr, setting: object) -> Rewrite:
    """``Integral(x**(s - 1) exp(-beta x), (x, 0, oo)) -> Gamma(s) / beta**s`` (substitute ``u = beta x`` in the
    definition of the Gamma function), wherever it stands (inside a derivative too)."""
    used: list[Eq] = []

    def match(e: Expr) -> Expr | None:
        found = _gamma_integrand(e)
        if found is None:
            return None
        shape, rate = found
        value = frac(gamma(shape), Pow(rate, shape, evaluate=False)) if rate != 1 else gamma(shape)
        used.append(Eq(e, value, evaluate=False))
        return value

    out = rewrite_or_refuse(expr, match, "integral of a power of x times exp(-beta x) over the half-line")
    return Rewrite(out, tuple(dict.fromkeys(used)))


def _gamma_recurrence(expr: Expr, setting: object) -> Rewrite:
    """``Gamma(alpha + 1) = alpha Gamma(alpha)``, and the line's like factors cancelled
    (``beta**alpha / Gamma(alpha) * Gamma(alpha + 1) / beta**(alpha + 1) -> alpha / beta``)."""
    shifted = [g for g in expr.atoms(gamma) if (g.args[0] - 1) in {h.args[0] for h in expr.atoms(gamma)}]
    if not shifted:
        raise RuleNotApplicable("no Gamma(alpha + 1) beside a Gamma(alpha)")
    out = tidy(cancel(gammasimp(evaluated(expr))))
    a = shifted[0].args[0] - 1
    return Rewrite(out, (Eq(gamma(add(a, S.One)), mul(a, gamma(a)), evaluate=False),))


COMBINE_POWERS = Rule(
    "combine-powers",
    "Combine powers",
    "Powers of the same variable multiply by adding their exponents.",
    _combine_powers,
)

GAMMA_INTEGRAL = Rule(
    "gamma-integral",
    "Gamma integral",
    "The integral of a power of the variable times an exponential over the half-line is a value of the Gamma function "
    "(change the variable in its definition).",
    _gamma_integral,
)

GAMMA_RECURRENCE = Rule(
    "gamma-recurrence",
    "Gamma recurrence",
    "The Gamma function's recurrence; the common factors cancel.",
    _gamma_recurrence,
)

# -- the expected logarithm: differentiate the normalising integral ----------------------------------------------

def _log_as_derivative(expr: Expr, setting: object) -> Rewrite:
    """``Integral(log x x**(a - 1) w(x), x) -> Integral(d/da [x**(a - 1)] w(x), x)``: ``d/da x**k = log x x**k``
    for an exponent ``k`` in one parameter ``a``."""
    used: list[Eq] = []

    def match(e: Expr) -> Expr | None:
        if not (isinstance(e, Integral) and len(e.limits) == 1):
            return None
        x = e.limits[0][0]
        parts = factors(e.function)
        logs = [f for f in parts if f == log(x)]
        powers = [f for f in parts if _power_of(f, x) is not None and len(_power_of(f, x).free_symbols) == 1]
        if len(logs) != 1 or len(powers) != 1:
            return None
        (a,) = powers[0].args[1].free_symbols
        rest = [f for f in parts if f is not logs[0] and f is not powers[0]]
        used.append(Eq(mul(logs[0], powers[0]), Partial(powers[0], a), evaluate=False))
        return Integral(mul(Partial(powers[0], a), *rest), e.limits[0])

    out = rewrite_or_refuse(expr, match, "integral of log x times a power of x")
    return Rewrite(out, tuple(dict.fromkeys(used)))


def _differentiate_under_integral(expr: Expr, setting: object) -> Expr:
    """``Integral(d/da [g(x, a)] h(x), (x, l, u)) -> d/da Integral(g(x, a) h(x), (x, l, u))`` for limits and
    ``h`` free of ``a`` (Leibniz's rule)."""

    def match(e: Expr) -> Expr | None:
        if not (isinstance(e, Integral) and len(e.limits) == 1 and len(e.limits[0]) == 3):
            return None
        parts = factors(e.function)
        derivatives = [f for f in parts if isinstance(f, Derivative) and len(f.variables) == 1]
        if len(derivatives) != 1:
            return None
        (a,) = derivatives[0].variables
        rest = [f for f in parts if f is not derivatives[0]]
        if any(f.has(a) for f in rest) or any(limit.has(a) for limit in e.limits[0][1:]):
            return None
        return Partial(Integral(mul(derivatives[0].expr, *rest), e.limits[0]), a)

    return rewrite_or_refuse(expr, match, "integral of a derivative in a parameter")


def _differentiate_normaliser(expr: Expr, setting: object) -> Rewrite:
    """``d/da [Gamma(a) / b**a] -> Gamma(a) / b**a (psi(a) - log b)``, using
    ``Gamma'(a) = Gamma(a) psi(a)`` (the digamma function ``psi = Gamma' / Gamma``)."""
    used: list[Eq] = []

    def match(e: Expr) -> Expr | None:
        if not (isinstance(e, Derivative) and len(e.variables) == 1 and not e.expr.has(Integral)):
            return None
        (a,) = e.variables
        if gamma(a) not in e.expr.atoms(gamma):
            return None
        value = diff(evaluated(e.expr), a)
        used.append(Eq(Derivative(gamma(a), a), mul(gamma(a), digamma(a)), evaluate=False))
        rest = expand(value / evaluated(e.expr), log=False)  # psi(a) - log b: the derivative of the log
        return mul(e.expr, add(*(_as_fraction(term) for term in terms(_digamma_first(rest)))))

    out = rewrite_or_refuse(expr, match, "derivative of the Gamma function")
    return Rewrite(out, tuple(dict.fromkeys(used)))


def _digamma_first(value: Expr) -> Expr:
    """A sum with its digamma term first (``psi(a) - log b``)."""
    parts = terms(value)
    return add(*sorted(parts, key=lambda t: not t.has(_polygamma)))


def _as_fraction(term: Expr) -> Expr:
    """A product written ``numerator / denominator`` with the negative powers below the line, sign in front."""
    sign, rest = term.as_coeff_Mul()
    top = [f for f in factors(rest) if not (isinstance(f, Pow) and f.args[1].could_extract_minus_sign())]
    bottom = [Pow(f.args[0], -f.args[1], evaluate=False) for f in factors(rest) if f not in top]
    value = frac(mul(*top), mul(*bottom)) if bottom else mul(*top)
    return neg(value) if sign == -1 else mul(sign, value)


LOG_AS_DERIVATIVE = Rule(
    "log-as-derivative",
    "Log as a derivative",
    "The logarithm of x times a power of x is the derivative of that power with respect to its exponent.",
    _log_as_derivative,
)

DIFFERENTIATE_UNDER_INTEGRAL = Rule(
    "differentiate-under-integral",
    "Differentiate outside",
    "The limits do not depend on the parameter, so the derivative comes out of the integral (Leibniz's rule).",
    _differentiate_under_integral,
)

DIFFERENTIATE_NORMALISER = Rule(
    "differentiate-gamma-function",
    "Differentiate",
    "The derivative of the Gamma function is the Gamma function times the digamma function.",
    _differentiate_normaliser,
)


def log_moment_plan(as_integral: Rule, normalising_integral: Rule) -> tuple[Rule, ...]:
    """From ``E_q[log x]`` to its closed form by differentiating the normalising integral in the exponent of x:
    the expectation as an integral, ``log x x**(a - 1) = d/da x**(a - 1)``, the derivative out of the integral,
    the normalising integral (``Gamma(a) / b**a`` for Gamma), differentiate (``Gamma' = Gamma psi``), multiply out."""
    return (as_integral, LOG_AS_DERIVATIVE, DIFFERENTIATE_UNDER_INTEGRAL, normalising_integral,
            DIFFERENTIATE_NORMALISER, COLLECT_TERMS)


#: From ``E_q[log x]`` to ``psi(alpha) - log beta`` for q = Gamma(alpha, beta).
LOG_MOMENT_PLAN: tuple[Rule, ...] = log_moment_plan(GAMMA_EXPECTATION_AS_INTEGRAL, GAMMA_INTEGRAL)

#: From ``E_q[x]`` to ``alpha / beta`` for q = Gamma(alpha, beta).
MEAN_PLAN: tuple[Rule, ...] = (GAMMA_EXPECTATION_AS_INTEGRAL, COMBINE_POWERS, GAMMA_INTEGRAL, GAMMA_RECURRENCE,
                               COLLECT_TERMS)

GAMMA_MEAN = moment_rule(
    "gamma-mean",
    "Mean",
    "The mean of a Gamma variable is its concentration over its rate (lemma below).",
    (GammaLaw,),
    lambda e: e.expr == e.density.variable,
    ("gamma-mean", "Mean of a Gamma variable", MEAN_PLAN),
)


def _fresh(taken: set[str], candidates: tuple[str, ...]) -> Symbol:
    return Symbol(next(c for c in candidates if c not in taken), positive=True)


def log_moment_lemma(start: Expectation, setting: object) -> tuple[Derivation, Expr]:
    """The lemma ``E[log x] = psi(alpha) - log beta`` and its value at ``start``'s law. A concentration given as a
    number cannot be differentiated in: the lemma is then derived for ``Gamma(alpha, beta)`` in general and its
    result taken at the numbers."""
    law = start.density.law
    if isinstance(law.concentration, Symbol):
        lemma = derive_chain("gamma-log-moment", "Expected logarithm of a Gamma variable", start, LOG_MOMENT_PLAN,
                             setting, skip_unfit=True)
        return lemma, lemma.result
    taken = {s.name for s in law.free_symbols} | {start.density.variable.name}
    a = _fresh(taken, ("alpha", "a", "kappa"))
    b = law.rate if law.rate.free_symbols else _fresh(taken | {a.name}, ("beta", "b", "rho"))
    general = Expectation(start.expr, Density("", start.density.variable, GammaLaw(a, b)))
    lemma = derive_chain("gamma-log-moment", "Expected logarithm of a Gamma variable", general, LOG_MOMENT_PLAN,
                         setting, skip_unfit=True)
    lemma = Checker(tuple(general.free_symbols)).verify(lemma)  # in its own symbols, not the pair's
    values = {a: law.concentration, b: law.rate}
    at = rewrite_nodes(lemma.result, lambda n: digamma(values.get(n.args[1], n.args[1]))
                       if isinstance(n, _polygamma) else values.get(n) if n in values else None)
    return lemma, at


def _log_moments(expr: Expr, setting: object) -> Rewrite:
    """``E_q[log x] -> psi(alpha) - log beta`` for q = Gamma(alpha, beta), with the lemma that derives it."""
    lemmas: dict[Expr, Derivation] = {}
    values: dict[Expr, Expr] = {}

    def match(e: Expr) -> Expr | None:
        if not (isinstance(e, Expectation) and e.density.name and isinstance(e.density.law, GammaLaw)
                and e.expr == log(e.density.variable)):
            return None
        if e not in values:
            lemmas[e], values[e] = log_moment_lemma(e, setting)
        return values[e]

    out = rewrite_or_refuse(expr, match, "expected logarithm under a Gamma density")
    return Rewrite(out, tuple(Eq(e, value, evaluate=False) for e, value in values.items()), tuple(lemmas.values()))


GAMMA_LOG_MOMENT = Rule(
    "gamma-log-moment",
    "Expected logarithm",
    "The expected logarithm of a Gamma variable is the derivative of its log-normaliser in the concentration "
    "(lemma below).",
    _log_moments,
)


# -- the result, collected -------------------------------------------------------------------------------------

def _number_or(display: Expr) -> Expr:
    value = evaluated(display)
    return value if value.is_Number else display


def _rate_term(a1: Expr, b1: Expr, b2: Expr) -> Expr:
    """``alpha1 (beta2 - beta1) / beta1`` for two rates given as rates, else ``alpha1 (beta2 / beta1 - 1)`` with the
    ratio in lowest terms (``a (s / 2 - 1)`` for the rates ``1/s`` and ``1/2``); a number when it is one."""
    if b1 == b2:
        return S.Zero
    if all(isinstance(b, Symbol) for b in (b1, b2)):
        return mul(a1, frac(sub(b2, b1), b1))
    numerator, denominator = fraction(cancel(b2 / b1))
    return _number_or(mul(a1, sub(frac(numerator, denominator), S.One)))


def _collect_gamma(expr: Expr, setting: object) -> Expr:
    """The closed form written as ``alpha2 log(beta1 / beta2) + log(Gamma(alpha2) / Gamma(alpha1))
    + (alpha1 - alpha2) psi(alpha1) + alpha1 (beta2 - beta1) / beta1`` (the torch form), checked equal to the line."""
    q, p = setting.q.law, setting.p.law  # type: ignore[attr-defined]
    if not (isinstance(q, GammaLaw) and isinstance(p, GammaLaw)) or expr.has(Expectation, Integral):
        raise RuleNotApplicable("not a closed form of a Gamma pair")
    a1, b1, a2, b2 = q.concentration, q.rate, p.concentration, p.rate
    numerator, denominator = fraction(cancel(b1 / b2))
    if denominator == 1 or (numerator.is_Number and denominator.is_Number):
        rates = mul(a2, log(numerator / denominator)) if numerator != denominator else S.Zero
    elif numerator == 1:
        rates = neg(mul(a2, log(denominator)))
    else:
        rates = mul(a2, log(frac(numerator, denominator)))
    out = add(
        rates,
        log_ratio(gamma(a1), gamma(a2)),
        mul(_number_or(sub(a1, a2)), digamma(a1)),
        _rate_term(a1, b1, b2),
    )
    if out == expr:
        raise RuleNotApplicable("already collected")
    return out


COLLECT_GAMMA = Rule(
    "collect-gamma-terms",
    "Collect",
    "Collect the terms in each parameter.",
    _collect_gamma,
)
