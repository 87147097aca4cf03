"""The rules shared by the cross-family pairs whose second log-density is linear in a few statistics of x.

``KL(q || p) = E_q[log q(x)] - E_q[log p(x)]``, and when both log-densities are combinations of ``x``, ``(x - c)**2``,
``log x`` and ``log(1 - x)`` with constant coefficients, the divergence is that combination of q's expectations of
them. The expected logarithms are the families' lemmas (``rules.gamma``, ``rules.beta``, ``rules.uniform_beta``); the
mean and the second moment about a point are the law's own data (:attr:`Law.mean`, :attr:`Law.variance`):
``E_q[x] = mean``, ``E_q[(x - c)**2] = variance + (mean - c)**2``, each checked by the step checker against the
expectation integrated by quadrature.
"""

from __future__ import annotations

from collections.abc import Sequence

from sympy import Add, Eq, Expr, Integral, Poly, Pow, Symbol, count_ops, exp, expand

from ..core.engine import Rewrite, Rule
from ..core.errors import RuleNotApplicable
from ..core.forms import add, evaluated, mul, square, sub
from ..laws import BetaLaw, ExponentialLaw, GammaLaw, GumbelLaw, Law, NormalLaw, ParetoLaw, UniformLaw
from ..nodes.scalar import Expectation
from .base import terms
from .families import combine_log_densities
from .integrals import tidy
from .laplace import linear_in

#: The continuous laws whose pairs the shared plan derives.
CROSS_LAWS: tuple[type[Law], ...] = (BetaLaw, ExponentialLaw, GammaLaw, GumbelLaw, NormalLaw, ParetoLaw,
                                     UniformLaw)

COMBINE_CROSS_LOG_DENSITIES = combine_log_densities(
    "combine-cross-log-densities",
    "The constants of the two densities come together; each density's terms in x stay.",
    CROSS_LAWS,
)


def moment_of(law: Law, statistic: Expr, x: Symbol) -> Expr | None:
    """``E[statistic]`` under ``law`` from its mean and variance, as a display form: ``x`` -> the mean,
    ``(x - c)**2`` -> ``variance + (mean - c)**2``, ``x**2`` -> ``variance + mean**2``, ``e^{k x + c}`` ->
    the law's moment generating function at k, shifted by c (a Gumbel law's log-density holds one); None for
    another statistic."""
    if statistic == x:
        return law.mean
    if isinstance(statistic, exp) and hasattr(law, "exponential_moment"):  # ``e^{k x + c} -> e^c E[e^{k x}]``
        argument = evaluated(statistic.args[0])
        slope = argument.diff(x)
        if argument.has(x) and not slope.has(x):
            offset = expand(argument - slope * x)
            return law.exponential_moment(slope, offset)
        return None
    linear = evaluated(statistic)
    if linear.has(x) and linear.is_polynomial(x) and Poly(linear, x).degree() == 1:  # ``x - m -> mean - m``
        slope, offset = Poly(linear, x).all_coeffs()
        first = law.mean if slope == 1 else mul(slope, law.mean)
        return add(first, offset) if offset != 0 else first
    if statistic.is_Pow and statistic.args[1] == 2:
        line = linear_in(statistic.args[0], x)
        if line and line[0] in (1, -1):
            point = -line[1] * line[0]
            return add(law.variance, square(sub(law.mean, point)) if point != 0 else square(law.mean))
    return None


#: What the ``law-moments`` step says of each kind of moment it uses: as the sentence's first clause, and after it.
_MOMENT_CLAUSES = {
    "mean": ("the mean of the first law is known", "its mean is known"),
    "second": ("the second moment of the first law about a point is its variance plus the squared distance of its "
               "mean from the point",
               "its second moment about a point is its variance plus the squared distance of its mean from the "
               "point"),
    "exponential": ("the expectation of an exponential of x under the first law is its moment generating function",
                    "the expectation of an exponential of x is its moment generating function"),
}


def _moment_kind(statistic: Expr, x: Symbol) -> str:
    """Which clause of :data:`_MOMENT_CLAUSES` a statistic that :func:`moment_of` rewrote needs."""
    if isinstance(statistic, exp):
        return "exponential"
    return "second" if statistic.is_Pow and statistic.args[1] == 2 else "mean"


def moments_justification(kinds: Sequence[str]) -> str:
    """The ``law-moments`` step's justification naming only the moments it used, in the order of
    :data:`_MOMENT_CLAUSES`: "The mean of the first law is known, and its second moment about a point is ..."."""
    ordered = [kind for kind in _MOMENT_CLAUSES if kind in kinds]
    clauses = [_MOMENT_CLAUSES[kind][0 if i == 0 else 1] for i, kind in enumerate(ordered)]
    sentence = clauses[0] if len(clauses) == 1 else ", ".join(clauses[:-1]) + ", and " + clauses[-1]
    return sentence[0].upper() + sentence[1:] + "."


def _law_moments(expr: Expr, setting: object) -> Rewrite:
    """Each ``E_q[x]`` and ``E_q[(x - c)**2]`` under q's law replaced by :func:`moment_of` (the identities used
    shown beside the step, and only the moments used named in its justification)."""
    q = setting.q  # type: ignore[attr-defined]
    used: list[Eq] = []
    kinds: list[str] = []

    def replace(e: Expectation) -> Expr:
        value = moment_of(q.law, e.expr, q.variable) if e.density == q else None
        if value is None:
            return e
        used.append(Eq(e, value, evaluate=False))
        kinds.append(_moment_kind(e.expr, q.variable))
        return value

    out = expr.replace(lambda e: isinstance(e, Expectation), replace)
    if not used:
        raise RuleNotApplicable("no mean or second moment of the first law")
    return Rewrite(out, tuple(dict.fromkeys(used)), justification=moments_justification(kinds))


LAW_MOMENTS = Rule(
    "law-moments",
    "Moments",
    moments_justification(tuple(_MOMENT_CLAUSES)),
    _law_moments,
)



def _monomial(value: Expr) -> bool:
    """Whether ``value`` is a product of powers of symbols and a number (``a``, ``a/r``, ``2 a b``)."""
    return all(base.is_Symbol or base.is_Number for base in value.as_powers_dict())


def _cancel_monomials(expr: Expr, setting: object) -> Expr:
    """``(r a)/r -> a``: each term that is a product of powers of symbols written with a factor in both its
    numerator and its denominator, cancelled (the other terms as they are)."""
    out, changed = [], False
    for term in terms(expr):
        value = evaluated(term)
        if value != term and _monomial(value) and count_ops(value) < count_ops(term):
            out.append(value)
            changed = True
        else:
            out.append(term)
    if not changed:
        raise RuleNotApplicable("no monomial to cancel")
    return add(*out)


CANCEL_MONOMIALS = Rule(
    "cancel-monomials",
    "Cancel",
    "A factor in both the numerator and the denominator of a term cancels.",
    _cancel_monomials,
)

def _holds_a_moment(term: Expr) -> bool:
    """Whether ``term`` divides by a sum (``a m / (a - 1)``: a Pareto law's mean or variance)."""
    return any(p.args[1].is_negative and isinstance(p.args[0], Add) for p in evaluated(term).atoms(Pow))


def _collect_pareto_logarithms(expr: Expr, setting: object) -> Expr:
    """``a log m - (a + 1)(1/a + log m) + log a + l E_q[x] -> log a - log m - 1 - 1/a + l E_q[x]``: the terms of a
    line under a Pareto law that hold no expectation and do not divide by a sum (its expected logarithm times
    coefficients, the constants) multiplied out and collected; the terms holding an expectation or its mean or
    variance (``a l m / (a - 1)``) kept as they are."""
    if not isinstance(setting.q.law, ParetoLaw) or expr.has(Integral):  # type: ignore[attr-defined]
        raise RuleNotApplicable("not a line of expectations under a Pareto law")
    parts = terms(expr)
    kept = [t for t in parts if t.has(Expectation) or _holds_a_moment(t)]
    rest = [t for t in parts if not (t.has(Expectation) or _holds_a_moment(t))]
    collected = tidy(evaluated(add(*rest))) if rest else None
    if collected is None or collected == add(*rest):
        raise RuleNotApplicable("nothing to collect")
    return add(*terms(collected), *kept)


COLLECT_PARETO_LOGARITHMS = Rule(
    "collect-pareto-logarithms",
    "Collect",
    "Multiply out the expected logarithm and collect the logarithms and the constants; the other expectations stay.",
    _collect_pareto_logarithms,
)

__all__ = ["CANCEL_MONOMIALS", "COLLECT_PARETO_LOGARITHMS", "COMBINE_CROSS_LOG_DENSITIES", "CROSS_LAWS", "LAW_MOMENTS",
           "moment_of"]
