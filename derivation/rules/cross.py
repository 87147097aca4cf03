"""Pairs of two families (torch's cross-family KL divergences): the rules their derivations add to the families'.

``KL(N(m, s**2) || Laplace(b, c))`` needs the mean distance of a Gaussian variable from a point,
``E_q|x - b| = sqrt(2/pi) s exp(-(m - b)**2 / (2 s**2)) + (m - b) erf((m - b) / (sqrt(2) s))`` (the mean of a folded
normal variable). It is a lemma derived from the definition by the rules below: the expectation as an integral
against the density, split at the kink ``x = b`` (the Laplace family's rule), the linear factor of each piece
written about the mean (``x - b = (x - m) + (m - b)``), each piece integrated (``(x - m) e^{-(x - m)**2/(2 s**2)}``
is a derivative; ``e^{-(x - m)**2/(2 s**2)}`` integrates to the error function, by its definition), and collected.
"""

from __future__ import annotations

from sympy import Abs, Eq, Expr, Integral, Poly, Pow, S, Symbol, erf, exp, expand, gamma, log, oo, pi, sqrt

from ..core.engine import Rewrite, Rule
from ..core.errors import RuleNotApplicable
from ..core.forms import add, evaluated, frac, log_ratio, mul, neg, square, sub
from ..laws import ExponentialLaw, GammaLaw, LaplaceLaw, NormalLaw
from ..nodes.scalar import Density, Expectation
from .base import factors, rewrite_nodes, terms
from .expectation import LINEARITY
from .families import combine_log_densities, log_density_rule, moment_rule
from .gamma import digamma, log_moment_lemma
from .gaussian import ADD_AND_SUBTRACT, EXPAND_SQUARE
from .integrals import COLLECT_TERMS, INTEGRATE_PIECES, expectation_as_integral, scaled_integral
from .laplace import CENTRE_AT_LOCATION, EXPECTATION_AS_DENSITY_INTEGRAL, SPLIT_AT_KINKS, difference, linear_in

# -- a Gaussian weight in an integral --------------------------------------------------------------------------

def _gaussian_weight(integrand: Expr, x: Symbol) -> tuple[Expr, Expr, Expr, Expr] | None:
    """``(weight, rest, m, s**2)`` when ``integrand`` is ``rest * exp(-(x - m)**2 / (2 s**2))`` (rest free of exp)."""
    parts = factors(integrand)
    exponentials = [f for f in parts if isinstance(f, exp)]
    if len(exponentials) != 1:
        return None
    argument = evaluated(exponentials[0].args[0])
    if not argument.is_polynomial(x):
        return None
    polynomial = Poly(expand(argument), x)
    if polynomial.degree() != 2:
        return None
    a2, a1, _ = polynomial.all_coeffs()
    if not (-a2).is_positive:
        return None
    variance, mean = -1 / (2 * a2), -a1 / (2 * a2)
    if expand(argument + (x - mean) ** 2 / (2 * variance)) != 0:
        return None
    rest = mul(*[f for f in parts if f is not exponentials[0]])
    return exponentials[0], rest, evaluated(mean), evaluated(variance)


def _the_gaussian(setting: object, mean: Expr, variance: Expr) -> NormalLaw | None:
    """The setting's Gaussian law of this mean and variance (its parameters' display forms)."""
    for density in (setting.q, setting.p):  # type: ignore[attr-defined]
        law = density.law
        if isinstance(law, NormalLaw) and expand(evaluated(law.mean) - mean) == 0 \
                and expand(evaluated(law.std) ** 2 - variance) == 0:
            return law
    return None


def _pieces(expr: Expr, setting: object):
    """Each term of the line as ``(sign, constants, x, low, high, rest, weight, law)`` for an integral of ``rest``
    times the Gaussian weight of the setting's law (None for a term that is not one)."""
    out = []
    for term in terms(expr):
        found = scaled_integral(term)
        if found is None:
            out.append(None)
            continue
        sign, constants, integral = found
        x, low, high = integral.limits[0]
        weight = _gaussian_weight(integral.function, x)
        law = None if weight is None else _the_gaussian(setting, weight[2], weight[3])
        if law is None:
            out.append(None)
            continue
        out.append((sign, constants, x, low, high, weight[1], weight[0], law))
    return out


def _about_the_mean(expr: Expr, setting: object) -> Rewrite:
    """``Integral((x - b) w(x), (x, l, u)) -> Integral(((x - m) + (m - b)) w(x), (x, l, u))`` for the Gaussian weight
    ``w(x) = exp(-(x - m)**2 / (2 s**2))``: the linear factor measured from the mean."""
    out, used, changed = [], [], False
    for term, piece in zip(terms(expr), _pieces(expr, setting), strict=True):
        if piece is None:
            out.append(term)
            continue
        sign, constants, x, low, high, rest, weight, law = piece
        linear = evaluated(rest)
        if not linear.is_polynomial(x) or Poly(linear, x).degree() != 1:
            out.append(term)
            continue
        slope, offset = Poly(linear, x).all_coeffs()
        if slope != 1 or expand(offset + law.mean) == 0 or (rest.is_Add and sub(x, law.mean) in rest.args):
            out.append(term)
            continue
        point = -offset
        split = add(sub(x, law.mean), difference(law.mean, point))
        used.append(Eq(sub(x, point), split, evaluate=False))
        out.append(mul(sign, *constants, Integral(mul(split, weight), (x, low, high))))
        changed = True
    if not changed:
        raise RuleNotApplicable("no linear function times a Gaussian weight off its mean")
    return Rewrite(add(*out), tuple(dict.fromkeys(used)))


def root(value: Expr) -> Expr:
    """``sqrt(value)`` kept as written (``sqrt(2/pi)``, not ``sqrt(2)/sqrt(pi)``)."""
    return Pow(value, S.Half, evaluate=False)


def _erf_argument(law: NormalLaw, point: Expr) -> Expr:
    """``(m - b) / (sqrt(2) s)``."""
    return frac(difference(law.mean, point), mul(sqrt(2), law.std))


def _gaussian_tail(law: NormalLaw, point: Expr) -> Expr:
    """``exp(-(m - b)**2 / (2 s**2))``: the Gaussian weight at the point b (1 at the mean)."""
    if evaluated(difference(law.mean, point)) == 0:
        return S.One
    return exp(neg(frac(square(difference(law.mean, point)), mul(2, law.var))), evaluate=False)


def _integrate_gaussian_pieces(expr: Expr, setting: object) -> Rewrite:
    """Over a half-line from the point b, with ``w(x) = exp(-(x - m)**2 / (2 s**2))``: ``Integral((x - m) w, (x, b,
    oo)) = s**2 w(b)`` (the integrand is the derivative of ``-s**2 w``; minus that to the left of b) and
    ``Integral(w, (x, b, oo)) = sqrt(2 pi s**2)/2 (1 + erf((m - b)/(sqrt(2) s)))`` (``erf(u) = 2/sqrt(pi)
    Integral(exp(-t**2), (t, 0, u))`` with ``t = (x - m)/(sqrt(2) s)``; ``1 - erf`` to the left of b), the density's
    constant ``1/sqrt(2 pi s**2)`` cancelled against the second."""
    out, used, changed = [], [], False
    t, u = Symbol("t", real=True), Symbol("u", real=True)
    for term, piece in zip(terms(expr), _pieces(expr, setting), strict=True):
        if piece is None:
            out.append(term)
            continue
        sign, constants, x, low, high, rest, _weight, law = piece
        if low == -oo and high.is_finite:
            point, side = high, -1
        elif high == oo and low.is_finite:
            point, side = low, 1
        else:
            out.append(term)
            continue
        parts = list(rest.args) if rest.is_Add else [rest]  # (x - m) + (m - b), or x - m alone
        centred = [p for p in parts if expand(evaluated(p) - (x - evaluated(law.mean))) == 0]
        if not centred or any(p.has(x) for p in parts if p is not centred[0]):
            centred = [rest] if expand(evaluated(rest) - (x - evaluated(law.mean))) == 0 else []
            parts = [rest]
        if not centred:
            out.append(term)
            continue
        parts = [p for p in parts if p is not centred[0]]
        out.append(mul(sign * side, *constants, law.var, _gaussian_tail(law, point)))
        shift = add(*parts)
        if shift != 0:
            erf_term = erf(_erf_argument(law, point), evaluate=False)
            mass = mul(S.Half, root(mul(2, pi, law.var)), add(S.One, erf_term if side == 1 else neg(erf_term)))
            cancelled = evaluated(mul(*constants, root(mul(2, pi, law.var))))
            if cancelled == 1:  # the density's constant against the integral's sqrt(2 pi s**2)
                mass = mul(S.Half, add(S.One, erf_term if side == 1 else neg(erf_term)))
                out.append(mul(sign, mass.args[0] if mass.is_Mul else mass, shift, *(mass.args[1:] if mass.is_Mul
                                                                                      else ())))
            else:
                out.append(mul(sign, *constants, shift, mass))
            used.append(Eq(erf(u), mul(frac(2, sqrt(pi)), Integral(exp(neg(square(t))), (t, 0, u))),
                           evaluate=False))
        changed = True
    if not changed:
        raise RuleNotApplicable("no piece of a Gaussian integral over a half-line")
    return Rewrite(add(*out), tuple(dict.fromkeys(used)))


def _folded_mean(expr: Expr, setting: object) -> Expr:
    """The pieces collected: ``sqrt(2/pi) s exp(-(m - b)**2/(2 s**2)) + (m - b) erf((m - b)/(sqrt(2) s))``."""
    if expr.has(Integral):
        raise RuleNotApplicable("the line still holds an integral")
    errors = list(expr.atoms(erf))
    law = setting.q.law  # type: ignore[attr-defined]
    if not isinstance(law, NormalLaw) or len(errors) > 1 or not expr.has(law.std):
        raise RuleNotApplicable("not the pieces of a Gaussian's mean distance from a point")
    shift = errors[0].args[0].args[0] if errors else S.Zero  # (m - b) of (m - b) / (sqrt(2) s)
    point = evaluated(law.mean - evaluated(shift))
    gap = difference(law.mean, point) if errors else S.Zero
    weight = _gaussian_tail(law, point) if errors else S.One
    out = add(mul(root(frac(2, pi)), law.std, weight), mul(gap, erf(_erf_argument(law, point), evaluate=False)))
    if out == expr:
        raise RuleNotApplicable("already collected")
    return out


NORMAL_EXPECTATION_AS_INTEGRAL = expectation_as_integral("normal-expectation-as-integral", (NormalLaw,))

ABOUT_THE_MEAN = Rule(
    "linear-about-the-mean",
    "About the mean",
    "Write the linear factor as its distance from the Gaussian's mean plus a constant.",
    _about_the_mean,
)

INTEGRATE_GAUSSIAN_PIECES = Rule(
    "integrate-gaussian-pieces",
    "Integrate each piece",
    "The distance from the mean times the weight is a derivative of the weight; the weight alone integrates to "
    "the error function, by its definition, and the density's constant cancels.",
    _integrate_gaussian_pieces,
)

COLLECT_FOLDED_MEAN = Rule(
    "collect-folded-mean",
    "Collect",
    "The terms in the weight at the point combine, and so do the terms in the error function.",
    _folded_mean,
)

#: From ``E_q|x - b|`` to its closed form, q Gaussian (the Laplace family's split at the kink).
FOLDED_MEAN_PLAN: tuple[Rule, ...] = (NORMAL_EXPECTATION_AS_INTEGRAL, SPLIT_AT_KINKS, ABOUT_THE_MEAN,
                                      INTEGRATE_GAUSSIAN_PIECES, COLLECT_FOLDED_MEAN)


def _distance_from_a_point(e: Expectation) -> bool:
    """Whether ``e`` is ``E_q|x - b|`` (slope 1 in the variable)."""
    if not isinstance(e.expr, Abs):
        return False
    found = linear_in(e.expr.args[0], e.density.variable)
    return found is not None and found[0] == 1


GAUSSIAN_ABSOLUTE_MOMENT = moment_rule(
    "gaussian-absolute-moment",
    "Distance to a point",
    "The mean distance of a Gaussian variable from a point is derived from the density (lemma below).",
    (NormalLaw,),
    _distance_from_a_point,
    ("gaussian-absolute-moment", "Mean distance of a Gaussian variable from a point", FOLDED_MEAN_PLAN),
)

#: The log-densities of a pair of two families.
PAIR_LOG_DENSITIES = Rule(
    "pair-log-densities",
    "Log-densities",
    "Substitute the logarithm of each density.",
    log_density_rule("pair-log-densities", "").apply,
)

COMBINE_NORMAL_LAPLACE = combine_log_densities(
    "combine-normal-laplace-log-densities",
    "The constants of the two densities come together; the two distances stay.",
    (NormalLaw, LaplaceLaw),
)


def _collect_normal_laplace(expr: Expr, setting: object) -> Expr:
    """The closed form written ``log(c/s) + sqrt(2/pi) (s/c) exp(-(m - b)**2/(2 s**2)) + ((m - b)/c) erf((m - b)/(
    sqrt(2) s)) + log(2/pi)/2 - 1/2`` (torch's ``_kl_normal_laplace``), checked equal to the line."""
    q, p = setting.q.law, setting.p.law  # type: ignore[attr-defined]
    if not (isinstance(q, NormalLaw) and isinstance(p, LaplaceLaw)) or expr.has(Integral, Expectation):
        raise RuleNotApplicable("not a closed form of a Gaussian against a Laplace law")
    gap = difference(q.mean, p.loc)
    ratio = evaluated(frac(q.std, p.scale))
    scale_ratio = ratio if ratio.is_Number else frac(q.std, p.scale)
    terms_ = [log_ratio(q.std, p.scale), mul(root(frac(2, pi)), scale_ratio, _gaussian_tail(q, p.loc))]
    if evaluated(gap) != 0:
        gap_ratio = evaluated(frac(gap, p.scale))
        terms_.append(mul(gap_ratio if gap_ratio.is_Number else frac(gap, p.scale),
                          erf(_erf_argument(q, p.loc), evaluate=False)))
    out = add(*terms_, mul(S.Half, log(frac(2, pi))), -S.Half)
    if out == expr:
        raise RuleNotApplicable("already collected")
    return out


COLLECT_NORMAL_LAPLACE = Rule(
    "collect-normal-laplace",
    "Collect",
    "The logarithms combine into the log-ratio of the scales and a constant; divide through by the Laplace scale.",
    _collect_normal_laplace,
)


# -- KL(Laplace || Normal): the Laplace law's second moment about a point ---------------------------------------

INTEGRATE_POWER_PIECES = Rule(
    "integrate-power-pieces",
    "Integrate each piece",
    "Each piece is a power of t times an exponential: integrate by parts (twice for a square); the exponential "
    "vanishes at infinity.",
    INTEGRATE_PIECES.apply,
)

#: From ``E_q[(x - mu)**k]`` (k = 1, 2) to its value for q = Laplace(mu, b): the integral against the density,
#: centred at the location, split at the kink, each piece integrated by parts.
LAPLACE_CENTRAL_MOMENT_PLAN: tuple[Rule, ...] = (EXPECTATION_AS_DENSITY_INTEGRAL, CENTRE_AT_LOCATION, SPLIT_AT_KINKS,
                                                 INTEGRATE_POWER_PIECES, COLLECT_TERMS)


def _central_power(order: int):
    """Whether an expectation under a Laplace law is ``E_q[(x - mu)**order]`` about its own location."""
    def is_moment(e: Expectation) -> bool:
        return evaluated(e.expr) == evaluated(sub(e.density.variable, e.density.law.loc) ** order)
    return is_moment


def _shifted_square(e: Expectation) -> bool:
    """Whether ``e`` is ``E_q[(x - c)**2]`` about a point c other than q's location."""
    found = e.expr.is_Pow and e.expr.args[1] == 2 and linear_in(e.expr.args[0], e.density.variable)
    return bool(found) and found[0] == 1 and expand(found[1] + e.density.law.loc) != 0


LAPLACE_FIRST_MOMENT = moment_rule(
    "laplace-first-central-moment",
    "Zero mean",
    "A Laplace variable deviates from its location by zero on average (lemma below), so the cross term vanishes.",
    (LaplaceLaw,),
    _central_power(1),
    ("laplace-first-central-moment", "First central moment of a Laplace variable", LAPLACE_CENTRAL_MOMENT_PLAN),
)

LAPLACE_SECOND_MOMENT = moment_rule(
    "laplace-second-central-moment",
    "Variance",
    "The expected squared distance of a Laplace variable from its location is twice its squared scale (lemma "
    "below).",
    (LaplaceLaw,),
    _central_power(2),
    ("laplace-second-central-moment", "Second central moment of a Laplace variable", LAPLACE_CENTRAL_MOMENT_PLAN),
)

LAPLACE_SHIFTED_SECOND_MOMENT = moment_rule(
    "laplace-shifted-second-moment",
    "Shifted moment",
    "Add and subtract the location of the Laplace density; the cross term vanishes (lemma below).",
    (LaplaceLaw,),
    _shifted_square,
    ("laplace-shifted-second-moment", "Second moment of a Laplace variable about a point",
     (ADD_AND_SUBTRACT, EXPAND_SQUARE, LINEARITY, LAPLACE_FIRST_MOMENT, LAPLACE_SECOND_MOMENT)),
)

COMBINE_LAPLACE_NORMAL = combine_log_densities(
    "combine-laplace-normal-log-densities",
    "The constants of the two densities come together; the two distances stay.",
    (LaplaceLaw, NormalLaw),
)


def _collect_laplace_normal(expr: Expr, setting: object) -> Expr:
    """The closed form written ``log(s/b) + b**2/s**2 + (m - mu)**2/(2 s**2) - log(2/pi)/2 - 1`` for q = Laplace(m, b),
    p = N(mu, s**2) (torch's ``_kl_laplace_normal``), checked equal to the line."""
    q, p = setting.q.law, setting.p.law  # type: ignore[attr-defined]
    if not (isinstance(q, LaplaceLaw) and isinstance(p, NormalLaw)) or expr.has(Integral, Expectation):
        raise RuleNotApplicable("not a closed form of a Laplace law against a Gaussian")
    gap = difference(q.loc, p.mean)
    ratio = evaluated(frac(square(q.scale), p.var))
    out = add(log_ratio(q.scale, p.std), ratio if ratio.is_Number else frac(square(q.scale), p.var),
              frac(square(gap), mul(2, p.var)) if evaluated(gap) != 0 else S.Zero,
              neg(mul(S.Half, log(frac(2, pi)))), S.NegativeOne)
    if out == expr:
        raise RuleNotApplicable("already collected")
    return out


COLLECT_LAPLACE_NORMAL = Rule(
    "collect-laplace-normal",
    "Collect",
    "The logarithms combine into the log-ratio of the scales and a constant; the constants add up.",
    _collect_laplace_normal,
)


# -- Gamma and exponential laws against each other --------------------------------------------------------------

COMBINE_GAMMA_EXPONENTIAL = combine_log_densities(
    "combine-gamma-exponential-log-densities",
    "The constants of the two densities come together; the terms in log x and in x stay.",
    (GammaLaw, ExponentialLaw),
    cite=False,
)


def _collect_gamma_exponential(expr: Expr, setting: object) -> Expr:
    """The closed form written ``log(beta/lambda) - log Gamma(alpha) + (alpha - 1) psi(alpha) + alpha (lambda -
    beta) / beta`` for q = Gamma(alpha, beta), p = Exponential(lambda) (torch's ``_kl_gamma_exponential``: minus the
    entropy, ``- log lambda + lambda alpha / beta``), checked equal to the line."""
    q, p = setting.q.law, setting.p.law  # type: ignore[attr-defined]
    if not (isinstance(q, GammaLaw) and isinstance(p, ExponentialLaw)) or expr.has(Integral, Expectation):
        raise RuleNotApplicable("not a closed form of a Gamma law against an exponential law")
    a, b, rate = q.concentration, q.rate, p.rate
    rates = evaluated(frac(sub(rate, b), b))
    out = add(log_ratio(rate, b), neg(log(gamma(a))), mul(_number_or(sub(a, S.One)), digamma(a)),
              mul(a, rates if rates.is_Number else frac(sub(rate, b), b)))
    if out == expr:
        raise RuleNotApplicable("already collected")
    return out


COLLECT_GAMMA_EXPONENTIAL = Rule(
    "collect-gamma-exponential",
    "Collect",
    "The log-rates combine into one logarithm, and the terms in the digamma function and in the rates collect.",
    _collect_gamma_exponential,
)


def _number_or(display: Expr) -> Expr:
    value = evaluated(display)
    return value if value.is_Number else display


COMBINE_EXPONENTIAL_GAMMA = combine_log_densities(
    "combine-exponential-gamma-log-densities",
    "The constants of the two densities come together; the terms in x and in log x stay.",
    (ExponentialLaw, GammaLaw),
    cite=False,
)


def _exponential_log_moment(expr: Expr, setting: object) -> Rewrite:
    """``E_q[log x] -> psi(1) - log lambda`` for q = Exponential(lambda) = Gamma(1, lambda): the Gamma law's lemma
    (the derivative of its normalising integral in the concentration) at concentration 1."""
    lemmas: dict[Expr, object] = {}
    values: dict[Expr, Expr] = {}

    def match(e: Expr) -> Expr | None:
        if not (isinstance(e, Expectation) and e.density.name and isinstance(e.density.law, ExponentialLaw)
                and e.expr == log(e.density.variable)):
            return None
        if e not in values:
            as_gamma = Expectation(e.expr, Density(e.density.name, e.density.variable,
                                                   GammaLaw(S.One, e.density.law.rate)))
            lemmas[e], values[e] = log_moment_lemma(as_gamma, setting)
        return values[e]

    out = rewrite_nodes(expr, match)
    if not values:
        raise RuleNotApplicable("no expected logarithm under an exponential density")
    identities = tuple(Eq(e, value, evaluate=False) for e, value in values.items())
    return Rewrite(out, identities, tuple(lemmas.values()))  # type: ignore[arg-type]


EXPONENTIAL_LOG_MOMENT = Rule(
    "exponential-log-moment",
    "Expected logarithm",
    "An exponential law is the Gamma law of concentration 1, so its expected logarithm is the Gamma law's there "
    "(lemma below).",
    _exponential_log_moment,
)


def _collect_exponential_gamma(expr: Expr, setting: object) -> Expr:
    """The closed form written ``alpha log(lambda/beta) + beta/lambda + log Gamma(alpha) - (alpha - 1) psi(1) - 1``
    for q = Exponential(lambda), p = Gamma(alpha, beta) (torch's ``_kl_exponential_gamma``, with ``psi(1) = -gamma``),
    checked equal to the line."""
    q, p = setting.q.law, setting.p.law  # type: ignore[attr-defined]
    if not (isinstance(q, ExponentialLaw) and isinstance(p, GammaLaw)) or expr.has(Integral, Expectation):
        raise RuleNotApplicable("not a closed form of an exponential law against a Gamma law")
    rate, a, b = q.rate, p.concentration, p.rate
    ratio = evaluated(frac(b, rate))
    out = add(mul(a, log_ratio(b, rate)), ratio if ratio.is_Number else frac(b, rate), log(gamma(a)),
              neg(mul(_number_or(sub(a, S.One)), digamma(S.One))), S.NegativeOne)
    if out == expr:
        raise RuleNotApplicable("already collected")
    return out


COLLECT_EXPONENTIAL_GAMMA = Rule(
    "collect-exponential-gamma",
    "Collect",
    "The log-rates combine into one logarithm, and the constants collect.",
    _collect_exponential_gamma,
)
