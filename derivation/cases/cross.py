"""KL divergences between laws of two families (torch's cross-family pairs): the plans from the definition to the
closed form, with the title and description of each document (``cases.discrete.PAIR_CASES`` holds them)."""

from __future__ import annotations

from sympy import Add, Expr, Poly, S, Symbol, exp, expand, log

from ..core.engine import Rule
from ..core.forms import evaluated
from ..laws import Law
from ..laws.base import tail_condition
from ..rules import INTEGRAL_AS_EXPECTATION, KL_DEFINITION, LINEARITY, LOG_OF_RATIO
from ..rules.against_normal import (
    COLLECT_EXPONENTIAL_NORMAL,
    COLLECT_UNIFORM_NORMAL,
    COMBINE_EXPONENTIAL_NORMAL,
    COMBINE_UNIFORM_NORMAL,
    EXPONENTIAL_SECOND_MOMENT,
    UNIFORM_SECOND_MOMENT,
)
from ..rules.beta import BETA_LOG_COMPLEMENT_MOMENT, BETA_LOG_MOMENT
from ..rules.cross import (
    COLLECT_EXPONENTIAL_GAMMA,
    COLLECT_GAMMA_EXPONENTIAL,
    COLLECT_LAPLACE_NORMAL,
    COLLECT_NORMAL_LAPLACE,
    COMBINE_EXPONENTIAL_GAMMA,
    COMBINE_GAMMA_EXPONENTIAL,
    COMBINE_LAPLACE_NORMAL,
    COMBINE_NORMAL_LAPLACE,
    EXPONENTIAL_LOG_MOMENT,
    GAUSSIAN_ABSOLUTE_MOMENT,
    LAPLACE_SECOND_MOMENT,
    LAPLACE_SHIFTED_SECOND_MOMENT,
    PAIR_LOG_DENSITIES,
)
from ..rules.exponential import EXPONENTIAL_MEAN
from ..rules.gamma import GAMMA_LOG_MOMENT, GAMMA_MEAN
from ..rules.gaussian import SECOND_MOMENT
from ..rules.gumbel import (
    COLLECT_GUMBEL_NORMAL,
    COLLECT_NORMAL_GUMBEL,
    COMBINE_GUMBEL_NORMAL,
    COMBINE_NORMAL_GUMBEL,
    GAUSSIAN_EXPONENTIAL_MOMENT,
    GAUSSIAN_MEAN_DISTANCE,
    GUMBEL_EXPONENTIAL_MOMENT,
    GUMBEL_MEAN,
    GUMBEL_SECOND_MOMENT,
)
from ..rules.laplace import LAPLACE_ABSOLUTE_DEVIATION
from ..rules.moments import CANCEL_MONOMIALS, COLLECT_PARETO_LOGARITHMS, COMBINE_CROSS_LOG_DENSITIES, LAW_MOMENTS
from ..rules.pareto import PARETO_LOG_MOMENT
from ..rules.support import CONTINUOUS_SUPPORT_MISMATCH, INFINITE_MOMENT
from ..rules.uniform_beta import UNIFORM_LOG_MOMENTS

_CHECKED = " Every line follows from the one before by the rule named beside it, and every line has been checked."

#: From the definition to ``log(c/s) + (sqrt(2/pi) s exp(-(m - b)**2/(2 s**2)) + (m - b) erf((m - b)/(sqrt(2) s)))
#: / c - (1 + log(pi/2)) / 2`` for q = N(m, s**2), p = Laplace(b, c).
NORMAL_LAPLACE_PLAN: tuple[Rule, ...] = (
    KL_DEFINITION,
    INTEGRAL_AS_EXPECTATION,
    LOG_OF_RATIO,
    PAIR_LOG_DENSITIES,
    COMBINE_NORMAL_LAPLACE,
    LINEARITY,
    SECOND_MOMENT,
    GAUSSIAN_ABSOLUTE_MOMENT,
    COLLECT_NORMAL_LAPLACE,
)
NORMAL_LAPLACE_TITLE = "KL divergence of a Gaussian distribution from a Laplace distribution"
NORMAL_LAPLACE_DESCRIPTION = (
    "The divergence of a Gaussian distribution from a Laplace distribution, derived from the definition: the "
    "log-ratio of the densities holds the squared distance from the Gaussian's mean and the absolute distance from "
    "the Laplace location, so the Gaussian's variance and its mean distance from a point are needed; the latter is "
    "integrated on each side of the point and gives the error function." + _CHECKED)

#: From the definition to ``log(s/b) + b**2/s**2 + (m - mu)**2/(2 s**2) - log(2/pi)/2 - 1`` for q = Laplace(m, b),
#: p = N(mu, s**2).
LAPLACE_NORMAL_PLAN: tuple[Rule, ...] = (
    KL_DEFINITION,
    INTEGRAL_AS_EXPECTATION,
    LOG_OF_RATIO,
    PAIR_LOG_DENSITIES,
    COMBINE_LAPLACE_NORMAL,
    LINEARITY,
    LAPLACE_ABSOLUTE_DEVIATION,
    LAPLACE_SHIFTED_SECOND_MOMENT,
    LAPLACE_SECOND_MOMENT,
    COLLECT_LAPLACE_NORMAL,
)
LAPLACE_NORMAL_TITLE = "KL divergence of a Laplace distribution from a Gaussian distribution"
LAPLACE_NORMAL_DESCRIPTION = (
    "The divergence of a Laplace distribution from a Gaussian distribution, derived from the definition: the "
    "log-ratio of the densities holds the absolute distance from the Laplace location and the squared distance from "
    "the Gaussian's mean, so the Laplace law's mean absolute deviation and its second moment about a point are "
    "needed, each integrated on both sides of the location." + _CHECKED)

#: From the definition to ``log(beta/lambda) - log Gamma(alpha) + (alpha - 1) psi(alpha) + alpha (lambda - beta) /
#: beta`` for q = Gamma(alpha, beta), p = Exponential(lambda): the Gamma law's mean and expected logarithm.
GAMMA_EXPONENTIAL_PLAN: tuple[Rule, ...] = (
    KL_DEFINITION,
    INTEGRAL_AS_EXPECTATION,
    LOG_OF_RATIO,
    PAIR_LOG_DENSITIES,
    COMBINE_GAMMA_EXPONENTIAL,
    LINEARITY,
    GAMMA_MEAN,
    GAMMA_LOG_MOMENT,
    COLLECT_GAMMA_EXPONENTIAL,
)
GAMMA_EXPONENTIAL_TITLE = "KL divergence of a Gamma distribution from an exponential distribution"
GAMMA_EXPONENTIAL_DESCRIPTION = (
    "The divergence of a Gamma distribution from an exponential distribution, derived from the definition: the "
    "log-ratio of the densities is linear in x and in log x, so the Gamma law's mean and expected logarithm are "
    "needed; the expected logarithm is the derivative of the log-normaliser in the concentration." + _CHECKED)

#: From the definition to ``alpha log(lambda/beta) + beta/lambda + log Gamma(alpha) - (alpha - 1) psi(1) - 1`` for
#: q = Exponential(lambda), p = Gamma(alpha, beta): the exponential law's mean and expected logarithm (the Gamma
#: law's at concentration 1).
EXPONENTIAL_GAMMA_PLAN: tuple[Rule, ...] = (
    KL_DEFINITION,
    INTEGRAL_AS_EXPECTATION,
    LOG_OF_RATIO,
    PAIR_LOG_DENSITIES,
    COMBINE_EXPONENTIAL_GAMMA,
    LINEARITY,
    EXPONENTIAL_MEAN,
    EXPONENTIAL_LOG_MOMENT,
    COLLECT_EXPONENTIAL_GAMMA,
)
EXPONENTIAL_GAMMA_TITLE = "KL divergence of an exponential distribution from a Gamma distribution"
EXPONENTIAL_GAMMA_DESCRIPTION = (
    "The divergence of an exponential distribution from a Gamma distribution, derived from the definition: the "
    "log-ratio of the densities is linear in x and in log x, so the exponential law's mean and expected logarithm "
    "are needed; an exponential law is the Gamma law of concentration 1, whose expected logarithm is the derivative "
    "of its log-normaliser in the concentration." + _CHECKED)

#: From the definition to ``log(sqrt(2 pi) s / beta) + pi**2 beta**2 / (12 s**2) + (mu - m + beta gamma)**2 / (2 s**2)
#: - gamma - 1`` for q = Gumbel(mu, beta), p = N(m, s**2): the Gumbel law's mean, exponential moment and second
#: moment about the Gaussian's mean.
GUMBEL_NORMAL_PLAN: tuple[Rule, ...] = (
    KL_DEFINITION,
    INTEGRAL_AS_EXPECTATION,
    LOG_OF_RATIO,
    PAIR_LOG_DENSITIES,
    COMBINE_GUMBEL_NORMAL,
    LINEARITY,
    GUMBEL_MEAN,
    GUMBEL_EXPONENTIAL_MOMENT,
    GUMBEL_SECOND_MOMENT,
    COLLECT_GUMBEL_NORMAL,
)

GUMBEL_NORMAL_TITLE = "KL divergence of a Gumbel distribution from a Gaussian distribution"
GUMBEL_NORMAL_DESCRIPTION = (
    "The divergence of a Gumbel distribution from a Gaussian distribution, derived from the definition: the "
    "log-ratio of the densities holds the Gumbel law's standardised distance and its exponential, and the squared "
    "distance from the Gaussian's mean, so the Gumbel law's mean, exponential moment and second moment about a "
    "point are needed; substituting u for the exponential in the Gumbel density turns each into an integral "
    "against an exponential density, where Euler's constant and the square of pi appear. Every line follows from "
    "the one before by the rule named beside it, and every line has been checked.")

#: From the definition to ``log(beta/s) + (m - mu)/beta + exp(-(m - mu)/beta + s**2/(2 beta**2)) - log(2 pi)/2 - 1/2``
#: for q = N(m, s**2), p = Gumbel(mu, beta): the Gaussian's variance, mean and exponential moment.
NORMAL_GUMBEL_PLAN: tuple[Rule, ...] = (
    KL_DEFINITION,
    INTEGRAL_AS_EXPECTATION,
    LOG_OF_RATIO,
    PAIR_LOG_DENSITIES,
    COMBINE_NORMAL_GUMBEL,
    LINEARITY,
    SECOND_MOMENT,
    GAUSSIAN_MEAN_DISTANCE,
    GAUSSIAN_EXPONENTIAL_MOMENT,
    COLLECT_NORMAL_GUMBEL,
)
NORMAL_GUMBEL_TITLE = "KL divergence of a Gaussian distribution from a Gumbel distribution"
NORMAL_GUMBEL_DESCRIPTION = (
    "The divergence of a Gaussian distribution from a Gumbel distribution, derived from the definition: the "
    "log-ratio of the densities holds the squared distance from the Gaussian's mean, and the Gumbel law's "
    "standardised distance and its exponential, so the Gaussian's variance, mean and exponential moment are "
    "needed; the exponential moment is integrated by completing the square." + _CHECKED)

#: From the definition to ``log(sqrt(2 pi) lambda s) - 1 + (1/lambda**2 - mu/lambda + mu**2/2) / s**2`` for
#: q = Exponential(lambda), p = N(mu, s**2): the exponential law's mean and second moment about the Gaussian's mean.
EXPONENTIAL_NORMAL_PLAN: tuple[Rule, ...] = (
    KL_DEFINITION,
    INTEGRAL_AS_EXPECTATION,
    LOG_OF_RATIO,
    PAIR_LOG_DENSITIES,
    COMBINE_EXPONENTIAL_NORMAL,
    LINEARITY,
    EXPONENTIAL_MEAN,
    EXPONENTIAL_SECOND_MOMENT,
    COLLECT_EXPONENTIAL_NORMAL,
)
EXPONENTIAL_NORMAL_TITLE = "KL divergence of an exponential distribution from a Gaussian distribution"
EXPONENTIAL_NORMAL_DESCRIPTION = (
    "The divergence of an exponential distribution from a Gaussian distribution, derived from the definition: the "
    "log-ratio of the densities is linear in x and holds the squared distance from the Gaussian's mean, so the "
    "exponential law's mean and its second moment about a point are needed, each integrated by parts." + _CHECKED)

#: From the definition to ``log(sqrt(2 pi) s / (b - a)) + ((b - a)**2/12 + ((a + b)/2 - mu)**2) / (2 s**2)`` for
#: q = Uniform(a, b), p = N(mu, s**2): the uniform law's second moment about the Gaussian's mean.
UNIFORM_NORMAL_PLAN: tuple[Rule, ...] = (
    KL_DEFINITION,
    INTEGRAL_AS_EXPECTATION,
    LOG_OF_RATIO,
    PAIR_LOG_DENSITIES,
    COMBINE_UNIFORM_NORMAL,
    LINEARITY,
    UNIFORM_SECOND_MOMENT,
    COLLECT_UNIFORM_NORMAL,
)
UNIFORM_NORMAL_TITLE = "KL divergence of a uniform distribution from a Gaussian distribution"
UNIFORM_NORMAL_DESCRIPTION = (
    "The divergence of a uniform distribution from a Gaussian distribution, derived from the definition: the "
    "uniform density is constant on its interval and the Gaussian's log-density holds the squared distance from its "
    "mean, so the uniform law's second moment about a point is needed, a polynomial integrated over the "
    "interval." + _CHECKED)

#: The shared plan of the pairs whose log-densities are combinations of x, (x - c)**2, log x and log(1 - x): the
#: expected logarithms by the families' lemmas, the mean and the second moment from the first law's data (each rule
#: that does not fit a pair is skipped). A heavy-tailed first law (Pareto) is derived under the condition that the
#: moment needed exists (the pair's setting states it); where its parameters decide it does not, the divergence is
#: +oo by the infinite moment, the step after the definition. Likewise where the numbers put part of q's support
#: outside p's (``Uniform(0.5, 3)`` against ``Pareto(1, 2)``): +oo by the supports.
MOMENT_PLAN: tuple[Rule, ...] = (
    KL_DEFINITION,
    CONTINUOUS_SUPPORT_MISMATCH,
    INFINITE_MOMENT,
    INTEGRAL_AS_EXPECTATION,
    LOG_OF_RATIO,
    PAIR_LOG_DENSITIES,
    COMBINE_CROSS_LOG_DENSITIES,
    LINEARITY,
    GAMMA_MEAN,
    EXPONENTIAL_MEAN,
    GAMMA_LOG_MOMENT,
    EXPONENTIAL_LOG_MOMENT,
    BETA_LOG_MOMENT,
    BETA_LOG_COMPLEMENT_MOMENT,
    UNIFORM_LOG_MOMENTS,
    PARETO_LOG_MOMENT,
    COLLECT_PARETO_LOGARITHMS,
    LAW_MOMENTS,
    CANCEL_MONOMIALS,
)
#: How the opening of a pair derived by :data:`MOMENT_PLAN` speaks of each way its log-densities hold x: the form in
#: x, and the expectation under the first law it needs (one logarithm, or two: a Beta law's log x and log(1 - x)).
_STATISTICS = {
    "linear": ("x", "mean"),
    "square": ("its square about a point", "second moment about a point"),
    "logarithm": ("its logarithm", "expected logarithm"),
    "logarithms": ("its logarithms", "expected logarithms"),
    "exponential": ("an exponential of x", "expected exponential"),
}


def statistics_of(law: Law, variable: Symbol) -> dict[str, set[Expr]]:
    """How the law's log-density holds ``variable``: its terms in x by kind (``linear``, ``square``, ``logarithm``:
    the arguments of the logarithms, ``exponential``); a polynomial of degree 2 counts as a square about a point,
    its linear part then included."""
    kinds: dict[str, set[Expr]] = {}
    for term in Add.make_args(expand(evaluated(law.energy(variable)))):
        if not term.has(variable):
            continue
        logs = {e.args[0] for e in term.atoms(log) if e.has(variable)}
        if any(e.has(variable) for e in term.atoms(exp)):
            kinds.setdefault("exponential", set()).add(term)
        elif logs:
            kinds.setdefault("logarithm", set()).update(logs)
        elif term.is_polynomial(variable):
            kinds.setdefault("square" if Poly(term, variable).degree() == 2 else "linear", set()).add(term)
    if "square" in kinds:
        kinds.pop("linear", None)
    return kinds


def moment_description(first: str, second: str, q: Law, p: Law) -> str:
    """The opening paragraph of a pair derived by :data:`MOMENT_PLAN`, naming only what its two log-densities hold
    (:func:`statistics_of`) and so which expectations under the first law it needs; where the parameters make the
    divergence infinite (by the supports, or by a moment), why."""
    x = Symbol("x", real=True)
    if q.within(p) is S.false:  # the plan ends in +oo by rules.support.CONTINUOUS_SUPPORT_MISMATCH
        return support_infinite_description(first, second)
    if tail_condition(q, p, x) is S.false:  # the plan ends in +oo by rules.support.INFINITE_MOMENT
        return (f"The divergence of {first} distribution from {second} distribution is infinite for these "
                f"parameters: minus the second log-density grows like a power of x whose expectation under the first "
                f"law is infinite (its tail is too heavy)." + _CHECKED)
    held: dict[str, set[Expr]] = {}
    for law in (q, p):
        for kind, terms in statistics_of(law, x).items():
            held.setdefault(kind, set()).update(terms)
    if len(held.get("logarithm", ())) > 1:
        held["logarithms"] = held.pop("logarithm")
    kinds = [kind for kind in _STATISTICS if kind in held]
    forms, needed = (listed([_STATISTICS[kind][i] for kind in kinds]) for i in range(2))
    verb = "is" if len(kinds) == 1 and kinds[0] != "logarithms" else "are"
    return (f"The divergence of {first} distribution from {second} distribution, derived from the definition: the "
            f"two log-densities hold x only through {forms}, so only the first law's {needed} {verb} needed."
            + _CHECKED)


def support_infinite_description(first: str, second: str) -> str:
    """The opening of a pair of continuous laws whose divergence is infinite by their supports."""
    return (f"The divergence of {first} distribution from {second} distribution is infinite: the first distribution "
            f"gives positive probability to values outside the support of the second, where its density is zero."
            + _CHECKED)


def listed(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]

#: The pairs (q, p) derived by :data:`MOMENT_PLAN`, torch's finite cross pairs among these families.
MOMENT_PAIRS = (("Gamma", "Normal"), ("Beta", "Normal"), ("Beta", "Exponential"), ("Beta", "Gamma"),
                ("Uniform", "Exponential"), ("Uniform", "Gamma"), ("Beta", "Uniform"), ("Uniform", "Pareto"),
                ("Exponential", "Gumbel"), ("Gamma", "Gumbel"), ("Uniform", "Gumbel"), ("Pareto", "Exponential"),
                ("Pareto", "Gamma"), ("Pareto", "Normal"))
