"""KL(HalfNormal || HalfNormal): the plan from the definition to the closed form, run with the setting's checker."""

from __future__ import annotations

from ..core.engine import Rule
from ..rules import CANCEL_AND_COLLECT, INTEGRAL_AS_EXPECTATION, KL_DEFINITION, LINEARITY, LOG_OF_RATIO
from ..rules.halfnormal import COMBINE_HALFNORMAL_LOG_DENSITIES, HALFNORMAL_LOG_DENSITY, HALFNORMAL_SECOND_MOMENT
from .discrete import FamilyCase

#: From the definition to ``log(sigma2 / sigma1) + sigma1**2 / (2 sigma2**2) - 1/2``.
HALFNORMAL_PLAN: tuple[Rule, ...] = (
    KL_DEFINITION,
    INTEGRAL_AS_EXPECTATION,
    LOG_OF_RATIO,
    HALFNORMAL_LOG_DENSITY,
    COMBINE_HALFNORMAL_LOG_DENSITIES,
    LINEARITY,
    HALFNORMAL_SECOND_MOMENT,
    CANCEL_AND_COLLECT,
)

TITLE = "KL divergence between two half-normal distributions"
DESCRIPTION = ("The divergence of one half-normal distribution from another, derived from the definition: the "
               "log-ratio of the densities is a constant plus a multiple of the square of the variable, so only the "
               "second moment is needed, and it is integrated by parts down to the Gaussian integral.")

HALFNORMAL = FamilyCase(HALFNORMAL_PLAN, TITLE, DESCRIPTION)
