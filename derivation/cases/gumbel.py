"""KL(Gumbel || Gumbel): the plan from the definition to the closed form, run with the setting's checker."""

from __future__ import annotations

from ..core.engine import Rule
from ..rules import INTEGRAL_AS_EXPECTATION, KL_DEFINITION, LINEARITY, LOG_OF_RATIO
from ..rules.gumbel import (
    COLLECT_GUMBEL,
    COMBINE_GUMBEL_LOG_DENSITIES,
    GUMBEL_EXPONENTIAL_MOMENT,
    GUMBEL_LOG_DENSITY,
    GUMBEL_MEAN,
)
from .discrete import FamilyCase

#: From the definition to ``log(beta2/beta1) + (mu1 - mu2)/beta2 + gamma beta1/beta2 + exp(-(mu1 - mu2)/beta2)
#: Gamma(1 + beta1/beta2) - gamma - 1``.
GUMBEL_PLAN: tuple[Rule, ...] = (
    KL_DEFINITION,
    INTEGRAL_AS_EXPECTATION,
    LOG_OF_RATIO,
    GUMBEL_LOG_DENSITY,
    COMBINE_GUMBEL_LOG_DENSITIES,
    LINEARITY,
    GUMBEL_MEAN,
    GUMBEL_EXPONENTIAL_MOMENT,
    COLLECT_GUMBEL,
)

TITLE = "KL divergence between two Gumbel distributions"
DESCRIPTION = ("The divergence of one Gumbel distribution from another, derived from the definition: the log-ratio "
               "of the densities is linear in x and in exponentials of x, so the mean and the exponential moments "
               "are needed; substituting u for the exponential in the density turns both into integrals against "
               "an exponential density: a derivative of the Gamma function at 1 (Euler's constant) and a value of "
               "the Gamma function. Every line follows from the one before by the rule named beside it, and every "
               "line has been checked.")

GUMBEL = FamilyCase(GUMBEL_PLAN, TITLE, DESCRIPTION)
