"""KL(Exponential || Exponential): the plan from the definition to the closed form, run with the setting's checker."""

from __future__ import annotations

from ..core.engine import Rule
from ..rules import CANCEL_AND_COLLECT, INTEGRAL_AS_EXPECTATION, KL_DEFINITION, LINEARITY, LOG_OF_RATIO
from ..rules.exponential import COMBINE_EXPONENTIAL_LOG_DENSITIES, EXPONENTIAL_LOG_DENSITY, EXPONENTIAL_MEAN
from .discrete import FamilyCase

#: From the definition to ``log(lambda1 / lambda2) + lambda2 / lambda1 - 1``.
EXPONENTIAL_PLAN: tuple[Rule, ...] = (
    KL_DEFINITION,
    INTEGRAL_AS_EXPECTATION,
    LOG_OF_RATIO,
    EXPONENTIAL_LOG_DENSITY,
    COMBINE_EXPONENTIAL_LOG_DENSITIES,
    LINEARITY,
    EXPONENTIAL_MEAN,
    CANCEL_AND_COLLECT,
)

TITLE = "KL divergence between two exponential distributions"
DESCRIPTION = ("The divergence of one exponential distribution from another, derived from the definition: the "
               "log-ratio of the densities is linear in the variable, so only the mean is needed, and the mean is "
               "integrated by parts.")

EXPONENTIAL = FamilyCase(EXPONENTIAL_PLAN, TITLE, DESCRIPTION)
