"""KL divergences between laws of an integer variable: the plan from the definition (a sum over the support) to
the closed form, per family, with the title and description of its document."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType

from ..core.engine import Rule
from ..laws import Law
from ..rules import KL_DEFINITION, LINEARITY, LOG_OF_RATIO
from ..rules.counts import COMBINE_LOG_MASSES, LOG_MASSES, MEAN_OF_COUNT
from ..rules.discrete import (
    BINOMIAL_IN_LOG_ODDS,
    FINITE_SUPPORT,
    IN_LOG_ODDS,
    LOG_OF_EXPONENTIALS,
    LOGISTIC,
    SUM_AS_EXPECTATION,
    SUPPORT_MISMATCH,
    WEIGHTS_SUM_TO_ONE,
)
from ..rules.support import CONTINUOUS_SUPPORT_MISMATCH
from .cross import (
    EXPONENTIAL_GAMMA_DESCRIPTION,
    EXPONENTIAL_GAMMA_PLAN,
    EXPONENTIAL_GAMMA_TITLE,
    EXPONENTIAL_NORMAL_DESCRIPTION,
    EXPONENTIAL_NORMAL_PLAN,
    EXPONENTIAL_NORMAL_TITLE,
    GAMMA_EXPONENTIAL_DESCRIPTION,
    GAMMA_EXPONENTIAL_PLAN,
    GAMMA_EXPONENTIAL_TITLE,
    GUMBEL_NORMAL_DESCRIPTION,
    GUMBEL_NORMAL_PLAN,
    GUMBEL_NORMAL_TITLE,
    LAPLACE_NORMAL_DESCRIPTION,
    LAPLACE_NORMAL_PLAN,
    LAPLACE_NORMAL_TITLE,
    MOMENT_PAIRS,
    MOMENT_PLAN,
    NORMAL_GUMBEL_DESCRIPTION,
    NORMAL_GUMBEL_PLAN,
    NORMAL_GUMBEL_TITLE,
    NORMAL_LAPLACE_DESCRIPTION,
    NORMAL_LAPLACE_PLAN,
    NORMAL_LAPLACE_TITLE,
    UNIFORM_NORMAL_DESCRIPTION,
    UNIFORM_NORMAL_PLAN,
    UNIFORM_NORMAL_TITLE,
    moment_description,
    support_infinite_description,
)
from .uniform_beta import UNIFORM_BETA_DESCRIPTION, UNIFORM_BETA_PLAN, UNIFORM_BETA_TITLE

_CHECKED = " Every line follows from the one before by the rule named beside it, and every line has been checked."


@dataclass(frozen=True)
class FamilyCase:
    """How KL(q || p) is derived when q and p are of one family: the plan, the title and the description."""

    plan: tuple[Rule, ...]
    title: str
    description: str
    #: The steps after the plan when a parameter is given in another parameterisation (Bernoulli's logits).
    parameterised: tuple[Rule, ...] = ()
    #: The result is free of the parameters (infinite by the supports): a law may be given in any of its
    #: parameterisations, and no step follows the plan.
    any_parameterisation: bool = False
    #: The description computed from the two laws (q's, p's) where it depends on what their densities hold.
    describe: Callable[[Law, Law], str] | None = None

    def description_for(self, q: Law, p: Law) -> str:
        """The description of this case for laws ``q`` and ``p``."""
        return self.describe(q, p) if self.describe is not None else self.description


BERNOULLI = FamilyCase(
    (KL_DEFINITION, SUM_AS_EXPECTATION, FINITE_SUPPORT),
    "KL divergence between two Bernoulli distributions",
    "The divergence of one Bernoulli distribution from another, derived from the definition: a Bernoulli "
    "variable takes the values 0 and 1 only, so the expectation is a sum of two terms." + _CHECKED,
    parameterised=(IN_LOG_ODDS, LOGISTIC),
)

#: From the definition (a series over k = 0, 1, 2, ...) to the closed form of two laws of a count: the log-masses
#: combine, the terms free of the parameters cancel, and what is left is linear in k, so only the mean is needed.
COUNT_PLAN: tuple[Rule, ...] = (KL_DEFINITION, SUM_AS_EXPECTATION, LOG_OF_RATIO, LOG_MASSES, COMBINE_LOG_MASSES,
                                LINEARITY, MEAN_OF_COUNT)

POISSON = FamilyCase(
    COUNT_PLAN,
    "KL divergence between two Poisson distributions",
    "The divergence of one Poisson distribution from another, derived from the definition, a series over the "
    "counts 0, 1, 2, ...: the factorials cancel in the ratio of the masses, and what is left needs only the mean "
    "of the first distribution." + _CHECKED,
)

GEOMETRIC = FamilyCase(
    COUNT_PLAN,
    "KL divergence between two geometric distributions",
    "The divergence of one geometric distribution (the number of failures before the first success) from "
    "another, derived from the definition, a series over the counts 0, 1, 2, ...: the log-ratio of the masses "
    "is linear in the count, so only the mean of the first distribution is needed." + _CHECKED,
)

BINOMIAL = FamilyCase(
    COUNT_PLAN,
    "KL divergence between two binomial distributions",
    "The divergence of one binomial distribution from another of the same number of trials, derived from the "
    "definition, a sum over the counts 0, 1, ..., n: the binomial coefficients cancel in the ratio of the masses, "
    "and what is left is linear in the count, so only the mean of the first distribution is needed." + _CHECKED,
    parameterised=(BINOMIAL_IN_LOG_ODDS, LOGISTIC),
)

#: Family (in specs and torch) -> how a pair of that family is derived.
FAMILY_CASES: Mapping[str, FamilyCase] = MappingProxyType({
    "Bernoulli": BERNOULLI,
    "Poisson": POISSON,
    "Geometric": GEOMETRIC,
    "Binomial": BINOMIAL,
})

BERNOULLI_POISSON = FamilyCase(
    (KL_DEFINITION, SUM_AS_EXPECTATION, FINITE_SUPPORT, LOG_OF_EXPONENTIALS, WEIGHTS_SUM_TO_ONE),
    "KL divergence of a Bernoulli distribution from a Poisson distribution",
    "The divergence of a Bernoulli distribution from a Poisson distribution, derived from the definition: the "
    "Bernoulli variable takes the values 0 and 1 only, where the Poisson distribution has mass too, so the sum has "
    "two terms." + _CHECKED,
)



def _infinite(q: str, p: str, article: str = "a", where: str = "") -> FamilyCase:
    """A pair whose first law has mass where the second has none: the divergence is infinite, by the support.
    ``where``: the sentence saying where (by default the value 2, where the second law has no mass)."""
    where = where or (f"the {q} distribution gives the value 2 positive probability, where the {p} distribution "
                      f"has none")
    return FamilyCase(
        (KL_DEFINITION, SUPPORT_MISMATCH),
        f"KL divergence of {article} {q} distribution from a {p} distribution",
        f"The divergence of {article} {q} distribution from a {p} distribution is infinite: {where}." + _CHECKED,
        any_parameterisation=True,
    )


#: How a family is named in a sentence, with its article.
_NAMES = {"Normal": "a Gaussian", "Laplace": "a Laplace", "Exponential": "an exponential", "Gamma": "a Gamma",
          "Pareto": "a Pareto", "Beta": "a Beta", "Uniform": "a uniform", "Gumbel": "a Gumbel"}


def _infinite_continuous(q: str, p: str) -> FamilyCase:
    """A pair of continuous laws whose first has support outside the second's (torch registers it as infinite)."""
    first, second = _NAMES[q], _NAMES[p]
    return FamilyCase(
        (KL_DEFINITION, CONTINUOUS_SUPPORT_MISMATCH),
        f"KL divergence of {first} distribution from {second} distribution",
        support_infinite_description(first, second),
    )


def _moment_case(q: str, p: str) -> FamilyCase:
    """A pair derived by the shared plan of the laws' moments (:data:`~derivation.cases.cross.MOMENT_PLAN`)."""
    first, second = _NAMES[q], _NAMES[p]
    return FamilyCase(MOMENT_PLAN, f"KL divergence of {first} distribution from {second} distribution", "",
                      describe=partial(moment_description, first, second))


#: Continuous pairs whose divergence is infinite by the supports for every value of the parameters (torch's
#: ``_infinite_like`` registrations among these families), with a point outside the second support SymPy decides.
INFINITE_CONTINUOUS = (("Normal", "Uniform"), ("Normal", "Pareto"), ("Normal", "Beta"), ("Laplace", "Uniform"),
                       ("Laplace", "Pareto"), ("Laplace", "Beta"), ("Exponential", "Pareto"), ("Exponential", "Beta"),
                       ("Gamma", "Pareto"), ("Gamma", "Beta"), ("Pareto", "Beta"), ("Beta", "Pareto"),
                       ("Exponential", "Uniform"), ("Gamma", "Uniform"), ("Gumbel", "Beta"), ("Gumbel", "Exponential"),
                       ("Gumbel", "Gamma"), ("Gumbel", "Pareto"), ("Gumbel", "Uniform"), ("Laplace", "Exponential"),
                       ("Laplace", "Gamma"), ("Normal", "Exponential"), ("Normal", "Gamma"), ("Pareto", "Uniform"))

#: Pairs of two families (q, p) -> how their divergence is derived.
PAIR_CASES: Mapping[tuple[str, str], FamilyCase] = MappingProxyType({
    ("Bernoulli", "Poisson"): BERNOULLI_POISSON,
    ("Poisson", "Bernoulli"): _infinite("Poisson", "Bernoulli"),
    ("Geometric", "Bernoulli"): _infinite("geometric", "Bernoulli"),
    ("Poisson", "Binomial"): _infinite(
        "Poisson", "binomial", where="the Poisson distribution gives every count positive probability, and the "
        "binomial distribution gives none to the count one past its number of trials"),
    ("Normal", "Laplace"): FamilyCase(NORMAL_LAPLACE_PLAN, NORMAL_LAPLACE_TITLE, NORMAL_LAPLACE_DESCRIPTION),
    ("Laplace", "Normal"): FamilyCase(LAPLACE_NORMAL_PLAN, LAPLACE_NORMAL_TITLE, LAPLACE_NORMAL_DESCRIPTION),
    ("Exponential", "Gamma"): FamilyCase(EXPONENTIAL_GAMMA_PLAN, EXPONENTIAL_GAMMA_TITLE,
                                         EXPONENTIAL_GAMMA_DESCRIPTION),
    ("Gamma", "Exponential"): FamilyCase(GAMMA_EXPONENTIAL_PLAN, GAMMA_EXPONENTIAL_TITLE,
                                         GAMMA_EXPONENTIAL_DESCRIPTION),
    **{pair: _infinite_continuous(*pair) for pair in INFINITE_CONTINUOUS},
    ("Uniform", "Beta"): FamilyCase(UNIFORM_BETA_PLAN, UNIFORM_BETA_TITLE, UNIFORM_BETA_DESCRIPTION),
    ("Gumbel", "Normal"): FamilyCase(GUMBEL_NORMAL_PLAN, GUMBEL_NORMAL_TITLE, GUMBEL_NORMAL_DESCRIPTION),
    ("Normal", "Gumbel"): FamilyCase(NORMAL_GUMBEL_PLAN, NORMAL_GUMBEL_TITLE, NORMAL_GUMBEL_DESCRIPTION),
    ("Exponential", "Normal"): FamilyCase(EXPONENTIAL_NORMAL_PLAN, EXPONENTIAL_NORMAL_TITLE,
                                          EXPONENTIAL_NORMAL_DESCRIPTION),
    ("Uniform", "Normal"): FamilyCase(UNIFORM_NORMAL_PLAN, UNIFORM_NORMAL_TITLE, UNIFORM_NORMAL_DESCRIPTION),
    **{pair: _moment_case(*pair) for pair in MOMENT_PAIRS},
})
