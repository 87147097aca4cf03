"""KL(Beta || Beta): the plan from the definition to the closed form, run with the setting's checker."""

from __future__ import annotations

from ..core.engine import Rule
from ..rules import INTEGRAL_AS_EXPECTATION, KL_DEFINITION, LINEARITY, LOG_OF_RATIO
from ..rules.beta import (
    BETA_LOG_COMPLEMENT_MOMENT,
    BETA_LOG_DENSITY,
    BETA_LOG_MOMENT,
    COLLECT_BETA,
    COMBINE_BETA_LOG_DENSITIES,
)
from .discrete import FamilyCase

#: From the definition to ``log(B(alpha2, beta2) / B(alpha1, beta1)) + (alpha1 - alpha2) psi(alpha1) + (beta1 - beta2)
#: psi(beta1) + (alpha2 - alpha1 + beta2 - beta1) psi(alpha1 + beta1)``.
BETA_PLAN: tuple[Rule, ...] = (
    KL_DEFINITION,
    INTEGRAL_AS_EXPECTATION,
    LOG_OF_RATIO,
    BETA_LOG_DENSITY,
    COMBINE_BETA_LOG_DENSITIES,
    LINEARITY,
    BETA_LOG_MOMENT,
    BETA_LOG_COMPLEMENT_MOMENT,
    COLLECT_BETA,
)

TITLE = "KL divergence between two Beta distributions"
DESCRIPTION = ("The divergence of one Beta distribution from another, derived from the definition: the log-ratio of "
               "the densities is linear in log x and in log(1 - x), so the two expected logarithms are needed; each "
               "is the derivative of the log-normaliser in a concentration, as for the Gamma distribution.")

BETA = FamilyCase(BETA_PLAN, TITLE, DESCRIPTION)
