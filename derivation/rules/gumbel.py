"""The Gumbel family: its log-densities combined, and its moments derived from the definition.

``KL(Gumbel(mu1, beta1) || Gumbel(mu2, beta2))`` needs two kinds of expectation under ``q = Gumbel(mu1, beta1)``:
the mean distance from a point, ``E_q[x - c] = mu1 - c + beta1 gamma`` (Euler's constant gamma), and the
exponential moment ``E_q[exp(-(x - c)/s)] = exp(-(mu1 - c)/s) Gamma(1 + beta1/s)`` (the Gumbel law's moment
generating function). Both are lemmas derived from the definition by one substitution: with
``u = exp(-(x - mu)/beta)`` the density ``(1/beta) exp(-(x - mu)/beta - u) dx`` becomes ``e^{-u} du`` on
``(0, oo)`` and ``x = mu - beta log u``. The exponential moment is then a Gamma integral; a power of ``x - c`` is a
polynomial in ``log u``, whose integrals against ``e^{-u}`` are the derivatives of the Gamma function at 1:
``Gamma'(1) = -gamma`` and ``Gamma''(1) = gamma**2 + pi**2/6``.
"""

from __future__ import annotations

from sympy import Eq, EulerGamma, Expr, Integral, Pow, S, Symbol, binomial, exp, expand, gamma, log, oo, pi, sqrt

from ..core.engine import Rewrite, Rule
from ..core.errors import RuleNotApplicable
from ..core.forms import add, evaluated, frac, is_negative_term, log_ratio, mul, neg, negate_term, square, sub
from ..laws import GumbelLaw, NormalLaw
from ..nodes.scalar import Expectation
from .base import factors, rewrite_nodes, rewrite_or_refuse, terms
from .cross import NORMAL_EXPECTATION_AS_INTEGRAL
from .families import combine_log_densities, log_density_rule, moment_rule
from .gamma import GAMMA_INTEGRAL
from .integrals import scaled_integral
from .laplace import difference, linear_in

GUMBEL_LOG_DENSITY = log_density_rule("gumbel-log-density", "Gumbel")

COMBINE_GUMBEL_LOG_DENSITIES = combine_log_densities(
    "combine-gumbel-log-densities",
    "The two log-scales combine into one logarithm; the standardised distances and their exponentials stay.",
    (GumbelLaw,),
)

#: Names tried for the variable ``u = exp(-(x - mu)/beta)`` of the substitution, first unused wins.
_U_NAMES = ("u", "v", "w", "upsilon")


def _substitute(expr: Expr, setting: object) -> Rewrite:
    """``E_q[g(x)] -> Integral(g(mu - beta log u) exp(-u), (u, 0, oo))`` for q = Gumbel(mu, beta): substitute
    ``u = exp(-(x - mu)/beta)`` in ``int g(x) (1/beta) exp(-(x - mu)/beta) exp(-exp(-(x - mu)/beta)) dx``, so
    ``x = mu - beta log u`` and ``dx = -beta du / u``; the density's ``1/beta`` and ``exp(-(x - mu)/beta) = u``
    cancel against the Jacobian, and ``x -> -oo, oo`` is ``u -> oo, 0``."""
    used: list[Eq] = []
    taken = {s.name for s in expr.free_symbols}
    u = Symbol(next(name for name in _U_NAMES if name not in taken), positive=True)

    def match(e: Expr) -> Expr | None:
        if not (isinstance(e, Expectation) and isinstance(e.density.law, GumbelLaw)):
            return None
        law, x = e.density.law, e.density.variable

        def shift(node: Expr) -> Expr | None:
            if node == x:
                return add(law.loc, neg(mul(law.scale, log(u))))
            line = linear_in(node, x) if node.is_Add else None
            if line is not None and line[0] == 1:  # x - c: (mu - c) - beta log u
                return add(*terms(difference(law.loc, -line[1])), neg(mul(law.scale, log(u))))
            return None

        used.append(Eq(u, exp(neg(law.standardised(x)), evaluate=False), evaluate=False))
        return Integral(mul(rewrite_nodes(e.expr, shift), exp(neg(u), evaluate=False)), (u, 0, oo))

    out = rewrite_or_refuse(expr, match, "expectation under a Gumbel density")
    return Rewrite(out, tuple(dict.fromkeys(used)))


SUBSTITUTE_EXPONENTIAL = Rule(
    "gumbel-substitution",
    "Substitute",
    "Substitute u for the exponential in the density: the expectation becomes an integral against the standard "
    "exponential density of u on the half-line.",
    _substitute,
)


# -- the exponential moment: a Gamma integral ----------------------------------------------------------------------

def _separate(expr: Expr, setting: object) -> Expr:
    """``Integral(exp(-(a - beta log u)/s) e^{-u}, (u, 0, oo)) -> exp(-a/s) Integral(u**(beta/s) e^{-u}, (u, 0,
    oo))``: the exponential of a sum is a product, ``exp((beta/s) log u) = u**(beta/s)``, and the constant factor
    comes out."""
    changed = False
    out = []
    for term in terms(expr):
        found = scaled_integral(term)
        if found is None:
            out.append(term)
            continue
        sign, constants, integral = found
        u, low, high = integral.limits[0]
        parts = factors(integral.function)
        moments = [f for f in parts if isinstance(f, exp) and f.args[0] != -u and evaluated(f.args[0]).has(log(u))]
        if (low, high) != (0, oo) or len(moments) != 1:
            out.append(term)
            continue
        argument = expand(evaluated(moments[0].args[0]))
        power = argument.coeff(log(u))
        constant = expand(argument - power * log(u))
        if constant.has(u) or power.has(u):
            out.append(term)
            continue
        scale = frac(mul(*[f for f in factors(power) if not (f.is_Pow and f.args[1] == -1)]),
                     mul(*[f.args[0] for f in factors(power) if f.is_Pow and f.args[1] == -1]))
        shift = _exponent_display(moments[0].args[0], u)
        rest = [f for f in parts if f is not moments[0]]
        power_of_u = u if evaluated(scale) == 1 else Pow(u, scale, evaluate=False)
        front = exp(shift, evaluate=False) if evaluated(shift) != 0 else S.One
        out.append(mul(sign, *constants, front, Integral(mul(power_of_u, *rest), integral.limits[0])))
        changed = True
    if not changed:
        raise RuleNotApplicable("no exponential of a logarithm in an integral over the half-line")
    return add(*out)


def _exponent_display(argument: Expr, u: Symbol) -> Expr:
    """``-a/s`` from the display form ``-(a - beta log u)/s`` (or ``-(-beta log u)/s``): the exponent without its
    term in ``log u``."""
    parts = factors(argument)
    sums = [f for f in parts if f.is_Add]
    if len(sums) != 1:
        return evaluated(argument).subs(log(u), 0)
    kept = add(*[t for t in terms(sums[0]) if not t.has(u)])
    return mul(*[kept if f is sums[0] else f for f in parts]) if kept != 0 else S.Zero


SEPARATE_EXPONENT = Rule(
    "separate-exponent",
    "Separate",
    "The exponential of a sum is the product of the exponentials; the exponential of a multiple of log u is a power "
    "of u, and the constant factor comes out.",
    _separate,
)

#: From ``E_q[exp(-(x - c)/s)]`` to ``exp(-(mu - c)/s) Gamma(1 + beta/s)`` for q = Gumbel(mu, beta).
EXPONENTIAL_MOMENT_PLAN: tuple[Rule, ...] = (SUBSTITUTE_EXPONENTIAL, SEPARATE_EXPONENT, GAMMA_INTEGRAL)


# -- powers of x - c: integrals of powers of log u ----------------------------------------------------------------

def _log_power(function: Expr, u: Symbol) -> tuple[Expr, Expr, int] | None:
    """``(D, beta, k)`` when ``function`` is ``(D - beta log u)**k e^{-u}`` (k = 1, 2)."""
    parts = factors(function)
    weights = [f for f in parts if evaluated(f) == exp(-u)]
    if len(weights) != 1:
        return None
    base = mul(*[f for f in parts if f is not weights[0]])
    k = 1
    if base.is_Pow and base.args[1] == 2:
        base, k = base.args[0], 2
    shift = [t for t in terms(base) if not t.has(u)]
    logs = [t for t in terms(base) if t.has(u)]
    if len(logs) != 1 or not is_negative_term(logs[0]):
        return None
    slope = evaluated(negate_term(logs[0]) / log(u))
    if slope.has(u):
        return None
    return add(*shift), slope, k


def _split_powers(expr: Expr, setting: object) -> Expr:
    """``Integral((D - beta log u)**k e^{-u}, (u, 0, oo)) -> sum_j C(k, j) D**(k - j) (-beta)**j Integral(log(u)**j
    e^{-u}, (u, 0, oo))``: the power multiplied out, the integral of a sum the sum of the integrals."""
    changed = False
    out = []
    for term in terms(expr):
        found = scaled_integral(term)
        shape = None if found is None else _log_power(found[2].function, found[2].limits[0][0])
        if shape is None or found[2].limits[0][1:] != (0, oo):
            out.append(term)
            continue
        sign, constants, integral = found
        u = integral.limits[0][0]
        shift, slope, k = shape
        for j in range(k + 1):
            coefficient = _coefficient(k, j, shift, slope)
            if evaluated(coefficient) == 0:
                continue
            power = S.One if j == 0 else log(u) if j == 1 else Pow(log(u), j, evaluate=False)
            out.append(mul(*factors(mul(sign, *constants, coefficient)),
                           Integral(mul(power, exp(neg(u), evaluate=False)), integral.limits[0])))
        changed = True
    if not changed:
        raise RuleNotApplicable("no power of a linear function of log u in an integral")
    return add(*out)


def _coefficient(k: int, j: int, shift: Expr, slope: Expr) -> Expr:
    """``C(k, j) D**(k - j) (-beta)**j`` as a textbook writes it (``-2 D beta``, ``beta**2``)."""
    if evaluated(shift) == 0 and j < k:
        return S.Zero
    d = S.One if j == k else shift if k - j == 1 else square(shift)
    b = S.One if j == 0 else slope if j == 1 else square(slope)
    value = mul(int(binomial(k, j)), d, b)
    return neg(value) if j % 2 else value


SPLIT_LOG_POWERS = Rule(
    "split-log-powers",
    "Multiply out",
    "Multiply out the integrand; the integral of a sum is the sum of the integrals.",
    _split_powers,
)

#: ``Integral(log(u)**j e^{-u}, (u, 0, oo)) = Gamma^{(j)}(1)``.
_LOG_INTEGRALS = {0: S.One, 1: -EulerGamma, 2: add(square(EulerGamma), frac(square(pi), 6))}


def _log_integrals(expr: Expr, setting: object) -> Rewrite:
    """``Integral(log(u)**j e^{-u}, (u, 0, oo)) -> Gamma^{(j)}(1)``: 1, ``-gamma``, ``gamma**2 + pi**2/6`` (the
    integral is the j-th derivative of ``Gamma(s) = Integral(u**(s - 1) e^{-u}, (u, 0, oo))`` at ``s = 1``)."""
    used: list[Eq] = []
    out = []
    for term in terms(expr):
        found = scaled_integral(term)
        if found is None or found[2].limits[0][1:] != (0, oo):
            out.append(term)
            continue
        sign, constants, integral = found
        u = integral.limits[0][0]
        value = None
        for j, known in _LOG_INTEGRALS.items():
            if evaluated(integral.function) == evaluated(log(u) ** j * exp(-u)):
                value = known
        if value is None:
            out.append(term)
            continue
        used.append(Eq(integral, value, evaluate=False))
        product = mul(sign, *constants)
        if value == -EulerGamma:
            out.append(mul(negate_term(product), EulerGamma) if is_negative_term(product)
                       else neg(mul(product, EulerGamma)))
        else:
            out.extend(terms(mul(product, value)))
    if not used:
        raise RuleNotApplicable("no integral of a power of log u against e^{-u}")
    return Rewrite(add(*out), tuple(dict.fromkeys(used)))


LOG_INTEGRALS = Rule(
    "gamma-function-at-one",
    "Derivatives of the Gamma function",
    "The integral of a power of log u against the exponential density is a derivative of the Gamma function at 1, "
    "where Euler's constant appears.",
    _log_integrals,
)


def _collect_moment(expr: Expr, setting: object) -> Expr:
    """The moment written about the mean ``mu + beta gamma``: ``mu - c + beta gamma``, or ``(mu - c + beta gamma)**2
    + pi**2 beta**2 / 6`` for the square (the variance ``pi**2 beta**2 / 6`` plus the squared distance of the mean)."""
    if expr.has(Integral, Expectation):
        raise RuleNotApplicable("the line still holds an integral")
    law = setting.q.law  # type: ignore[attr-defined]
    if not isinstance(law, GumbelLaw):
        raise RuleNotApplicable("not a moment of a Gumbel variable")
    value = expand(evaluated(expr))
    mean_part = law.scale * EulerGamma
    shift = expand(value - mean_part)
    if not value.has(pi):  # the first moment about a point: mu - c + beta gamma
        if shift.has(EulerGamma):
            raise RuleNotApplicable("not a first moment")
        out = add(*terms(_display(shift)), mul(law.scale, EulerGamma))
    else:
        spread = mul(frac(square(pi), 6), square(law.scale))
        rest = expand(value - evaluated(spread))
        distance = _distance_from_square(rest, mean_part)
        if distance is None:
            raise RuleNotApplicable("not a second moment about a point")
        inner = add(*terms(_display(distance)), mul(law.scale, EulerGamma))
        out = add(square(inner), spread)
    if out == expr:
        raise RuleNotApplicable("already collected")
    return out


def _distance_from_square(value: Expr, mean_part: Expr) -> Expr | None:
    """``D`` when ``value`` is ``(D + mean_part)**2`` expanded, D free of Euler's constant."""
    linear = expand(value).coeff(EulerGamma, 1)
    coefficient = expand(mean_part).coeff(EulerGamma, 1)
    if coefficient == 0:
        return None
    distance = expand(linear / (2 * coefficient))
    if distance.has(EulerGamma) or expand((distance + mean_part) ** 2 - value) != 0:
        return None
    return distance


def _display(value: Expr) -> Expr:
    """A difference of parameters as a textbook writes it: ``mu - c`` (the positive terms first)."""
    parts = sorted(terms(value), key=is_negative_term)
    return add(*parts)


COLLECT_GUMBEL_MOMENT = Rule(
    "collect-gumbel-moment",
    "Collect",
    "Collect the terms; the mean of a Gumbel variable is its location plus its scale times Euler's constant.",
    _collect_moment,
)

#: From ``E_q[(x - c)**k]`` (k = 1, 2) to its value for q = Gumbel(mu, beta).
POWER_MOMENT_PLAN: tuple[Rule, ...] = (SUBSTITUTE_EXPONENTIAL, SPLIT_LOG_POWERS, LOG_INTEGRALS,
                                       COLLECT_GUMBEL_MOMENT)


# -- the rules the KL derivations cite ----------------------------------------------------------------------------

def _power_of_distance(order: int):
    """Whether an expectation is ``E_q[(x - c)**order]`` (``E_q[x]`` too for order 1)."""
    def is_moment(e: Expectation) -> bool:
        body, x = e.expr, e.density.variable
        if order == 1:
            return body == x or (linear_in(body, x) or (0, 0))[0] == 1
        return body.is_Pow and body.args[1] == order and (linear_in(body.args[0], x) or (0, 0))[0] == 1
    return is_moment


def _exponential_of_distance(e: Expectation) -> bool:
    """Whether an expectation is ``E_q[exp(-(x - c)/s)]``."""
    if not isinstance(e.expr, exp):
        return False
    argument = evaluated(e.expr.args[0])
    x = e.density.variable
    slope = expand(argument).coeff(x)
    return argument.is_polynomial(x) and slope != 0 and bool((-slope).is_positive) and not expand(
        argument - slope * x).has(x)


GUMBEL_MEAN = moment_rule(
    "gumbel-mean",
    "Mean",
    "A Gumbel variable lies on average its scale times Euler's constant above its location (lemma below).",
    (GumbelLaw,),
    _power_of_distance(1),
    ("gumbel-mean", "Mean distance of a Gumbel variable from a point", POWER_MOMENT_PLAN),
)

GUMBEL_SECOND_MOMENT = moment_rule(
    "gumbel-second-moment",
    "Second moment",
    "The expected squared distance of a Gumbel variable from a point is its variance plus the squared distance of "
    "its mean (lemma below).",
    (GumbelLaw,),
    _power_of_distance(2),
    ("gumbel-second-moment", "Second moment of a Gumbel variable about a point", POWER_MOMENT_PLAN),
)

GUMBEL_EXPONENTIAL_MOMENT = moment_rule(
    "gumbel-exponential-moment",
    "Exponential moments",
    "The expected exponential of a multiple of a Gumbel variable is a value of the Gamma function (its moment "
    "generating function, lemma below).",
    (GumbelLaw,),
    _exponential_of_distance,
    ("gumbel-exponential-moment", "Exponential moment of a Gumbel variable", EXPONENTIAL_MOMENT_PLAN),
)


# -- the result, collected -----------------------------------------------------------------------------------------

def _number_or(display: Expr) -> Expr:
    value = evaluated(display)
    return value if value.is_Number else display


def _collect_gumbel(expr: Expr, setting: object) -> Expr:
    """The closed form written ``log(beta2/beta1) + (mu1 - mu2)/beta2 + gamma beta1/beta2 + exp(-(mu1 - mu2)/beta2)
    Gamma(1 + beta1/beta2) - gamma - 1`` (torch's ``_kl_gumbel_gumbel``), checked equal to the line."""
    q, p = setting.q.law, setting.p.law  # type: ignore[attr-defined]
    if not (isinstance(q, GumbelLaw) and isinstance(p, GumbelLaw)) or expr.has(Integral, Expectation):
        raise RuleNotApplicable("not a closed form of a Gumbel pair")
    gap = difference(q.loc, p.loc)
    ratio = _number_or(frac(q.scale, p.scale))
    shift = S.Zero if evaluated(gap) == 0 else _number_or(frac(gap, p.scale))
    tail = exp(neg(shift), evaluate=False) if shift != 0 else S.One
    argument = evaluated(1 + ratio) if ratio.is_Number else add(S.One, ratio)
    euler = S.Zero if ratio == 1 else sub(mul(ratio, EulerGamma), EulerGamma)
    parts = [log_ratio(q.scale, p.scale), *terms(shift), *terms(euler), mul(tail, gamma(argument)), S.NegativeOne]
    out = add(*[t for t in parts if not t.is_Number], sum((t for t in parts if t.is_Number), S.Zero))
    if out == expr:
        raise RuleNotApplicable("already collected")
    return out


COLLECT_GUMBEL = Rule(
    "collect-gumbel",
    "Collect",
    "The scales cancel against their reciprocals; collect the terms in Euler's constant.",
    _collect_gumbel,
)


# -- KL(Gumbel || Normal): the Gumbel law's second moment about the Gaussian's mean ------------------------------

COMBINE_GUMBEL_NORMAL = combine_log_densities(
    "combine-gumbel-normal-log-densities",
    "The constants of the two densities come together; the Gumbel law's terms and the squared distance stay.",
    (GumbelLaw, NormalLaw),
)


def _collect_gumbel_normal(expr: Expr, setting: object) -> Expr:
    """The closed form written ``log(sqrt(2 pi) s / beta) + pi**2 beta**2 / (12 s**2) + (mu - m + beta gamma)**2 /
    (2 s**2) - gamma - 1`` for q = Gumbel(mu, beta), p = N(m, s**2) (torch's ``_kl_gumbel_normal``), checked equal
    to the line."""
    q, p = setting.q.law, setting.p.law  # type: ignore[attr-defined]
    if not (isinstance(q, GumbelLaw) and isinstance(p, NormalLaw)) or expr.has(Integral, Expectation):
        raise RuleNotApplicable("not a closed form of a Gumbel law against a Gaussian")
    mean = add(*terms(difference(q.loc, p.mean)), mul(q.scale, EulerGamma))
    out = add(log(frac(mul(Pow(mul(2, pi), S.Half, evaluate=False), p.std), q.scale)),
              frac(mul(square(pi), square(q.scale)), mul(12, p.var)),
              frac(square(mean), mul(2, p.var)), neg(EulerGamma), S.NegativeOne)
    if out == expr:
        raise RuleNotApplicable("already collected")
    return out


COLLECT_GUMBEL_NORMAL = Rule(
    "collect-gumbel-normal",
    "Collect",
    "The logarithms combine into one; the variance of the Gumbel law and the squared distance of its mean from the "
    "Gaussian's mean stay.",
    _collect_gumbel_normal,
)


# -- KL(Normal || Gumbel): the Gaussian's exponential moment ---------------------------------------------------

COMBINE_NORMAL_GUMBEL = combine_log_densities(
    "combine-normal-gumbel-log-densities",
    "The constants of the two densities come together; the squared distance and the Gumbel law's terms stay.",
    (NormalLaw, GumbelLaw),
)


def _gaussian_mean(expr: Expr, setting: object) -> Rewrite:
    """``E_q[x - c] -> m - c`` for q = N(m, s**2): the Gaussian's mean is its location (``E_q[x] = m``)."""
    used: list[Eq] = []

    def match(e: Expr) -> Expr | None:
        if not (isinstance(e, Expectation) and isinstance(e.density.law, NormalLaw) and e.density.name):
            return None
        x, m = e.density.variable, e.density.law.mean
        line = linear_in(e.expr, x) if e.expr.is_Add else ((S.One, S.Zero) if e.expr == x else None)
        if line is None or line[0] != 1:
            return None
        used.append(Eq(Expectation(x, e.density), m, evaluate=False))
        return add(*terms(difference(m, -line[1])))

    out = rewrite_or_refuse(expr, match, "mean distance of a Gaussian variable from a point")
    return Rewrite(out, tuple(dict.fromkeys(used)))


GAUSSIAN_MEAN_DISTANCE = Rule(
    "gaussian-mean-distance",
    "Mean",
    "The mean of a Gaussian variable is its location.",
    _gaussian_mean,
)


def _complete_square(expr: Expr, setting: object) -> Rewrite:
    """``Integral(exp(-(x - c)/b) exp(-(x - m)**2/(2 s**2)), x) -> exp(-(m - c)/b + s**2/(2 b**2))
    Integral(exp(-(x - (m - s**2/b))**2/(2 s**2)), x)``: the exponents add, and the square is completed
    (``-(x - m)**2/(2 s**2) - (x - c)/b = -(x - m + s**2/b)**2/(2 s**2) - (m - c)/b + s**2/(2 b**2)``)."""
    changed = False
    out = []
    for term in terms(expr):
        found = scaled_integral(term)
        if found is None:
            out.append(term)
            continue
        sign, constants, integral = found
        x, low, high = integral.limits[0]
        exponentials = [f for f in factors(integral.function) if isinstance(f, exp)]
        linear = [f for f in exponentials if evaluated(f.args[0]).is_polynomial(x)
                  and evaluated(f.args[0]).as_poly(x) is not None and evaluated(f.args[0]).as_poly(x).degree() == 1]
        laws = [d.law for d in (setting.q, setting.p) if isinstance(d.law, NormalLaw)]  # type: ignore[attr-defined]
        if (low, high) != (-oo, oo) or len(exponentials) != 2 or len(linear) != 1 or not laws:
            out.append(term)
            continue
        law = laws[0]
        argument = expand(evaluated(linear[0].args[0]))
        slope = argument.coeff(x)
        scale = evaluated(-1 / slope)
        point = evaluated(argument.subs(x, 0) / -slope)
        gaussian = next(f for f in exponentials if f is not linear[0])
        if expand(evaluated(gaussian.args[0]) + (x - evaluated(law.mean)) ** 2 / (2 * evaluated(law.std) ** 2)) != 0:
            out.append(term)
            continue
        shift = add(neg(frac(difference(law.mean, point), scale)), frac(law.var, mul(2, square(scale))))
        centre = sub(law.mean, frac(law.var, scale))
        weight = exp(neg(frac(square(add(x, *(neg(t) for t in terms(centre)))), mul(2, law.var))), evaluate=False)
        out.append(mul(sign, exp(shift, evaluate=False), *constants, Integral(weight, (x, low, high))))
        changed = True
    if not changed:
        raise RuleNotApplicable("no Gaussian weight times the exponential of a linear function")
    return Rewrite(add(*out))


COMPLETE_THE_SQUARE = Rule(
    "complete-square-in-exponent",
    "Complete the square",
    "The exponents add; completing the square leaves a Gaussian weight about a shifted mean and a constant factor.",
    _complete_square,
)


def _gaussian_integral(expr: Expr, setting: object) -> Rewrite:
    """``Integral(exp(-(x - a)**2/(2 s**2)), (x, -oo, oo)) = sqrt(2 pi s**2)``, cancelled against the density's
    ``1/sqrt(2 pi s**2)`` beside it."""
    used: list[Eq] = []
    laws = [d.law for d in (setting.q, setting.p) if isinstance(d.law, NormalLaw)]  # type: ignore[attr-defined]

    def match(e: Expr) -> Expr | None:
        found = scaled_integral(e) if (e.is_Mul and laws) else None
        if found is None:
            return None
        sign, constants, integral = found
        x, low, high = integral.limits[0]
        variance = evaluated(laws[0].std) ** 2
        f = evaluated(integral.function)
        if (low, high) != (-oo, oo) or not isinstance(f, exp) or not f.args[0].is_polynomial(x) \
                or expand(f.args[0]).coeff(x, 2) != -1 / (2 * variance):
            return None
        kept = [c for c in constants if isinstance(c, exp)]
        others = [c for c in constants if not isinstance(c, exp)]
        if expand(evaluated(mul(*others)) * sqrt(2 * pi * variance)) != 1:
            return None
        used.append(Eq(integral, laws[0].normaliser().args[0], evaluate=False))
        return mul(sign, *kept)

    out = rewrite_or_refuse(expr, match, "integral of a Gaussian weight over the line")
    return Rewrite(out, tuple(dict.fromkeys(used)))


GAUSSIAN_INTEGRAL = Rule(
    "gaussian-integral",
    "Gaussian integral",
    "A Gaussian weight integrates to the reciprocal of the density's constant factor, which cancels.",
    _gaussian_integral,
)

#: From ``E_q[exp(-(x - c)/b)]`` to ``exp(-(m - c)/b + s**2/(2 b**2))`` for q = N(m, s**2).
GAUSSIAN_EXPONENTIAL_PLAN: tuple[Rule, ...] = (NORMAL_EXPECTATION_AS_INTEGRAL, COMPLETE_THE_SQUARE, GAUSSIAN_INTEGRAL)

GAUSSIAN_EXPONENTIAL_MOMENT = moment_rule(
    "gaussian-exponential-moment",
    "Exponential moment",
    "The expected exponential of a multiple of a Gaussian variable is derived from the density by completing the "
    "square (lemma below).",
    (NormalLaw,),
    _exponential_of_distance,
    ("gaussian-exponential-moment", "Exponential moment of a Gaussian variable", GAUSSIAN_EXPONENTIAL_PLAN),
)


def _collect_normal_gumbel(expr: Expr, setting: object) -> Expr:
    """The closed form written ``log(beta/s) + (m - mu)/beta + exp(-(m - mu)/beta + s**2/(2 beta**2)) - log(2 pi)/2
    - 1/2`` for q = N(m, s**2), p = Gumbel(mu, beta) (torch's ``_kl_normal_gumbel``), checked equal to the line."""
    q, p = setting.q.law, setting.p.law  # type: ignore[attr-defined]
    if not (isinstance(q, NormalLaw) and isinstance(p, GumbelLaw)) or expr.has(Integral, Expectation):
        raise RuleNotApplicable("not a closed form of a Gaussian against a Gumbel law")
    gap = difference(q.mean, p.loc)
    shift = add(neg(frac(gap, p.scale)) if evaluated(gap) != 0 else S.Zero, frac(q.var, mul(2, square(p.scale))))
    out = add(log_ratio(q.std, p.scale), frac(gap, p.scale) if evaluated(gap) != 0 else S.Zero,
              exp(shift, evaluate=False), neg(mul(S.Half, log(mul(2, pi)))), -S.Half)
    if out == expr:
        raise RuleNotApplicable("already collected")
    return out


COLLECT_NORMAL_GUMBEL = Rule(
    "collect-normal-gumbel",
    "Collect",
    "The logarithms combine into the log-ratio of the scales and a constant; the constants add up.",
    _collect_normal_gumbel,
)
