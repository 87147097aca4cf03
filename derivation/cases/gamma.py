"""KL(Gamma || Gamma): the plan from the definition to the closed form, run with the setting's checker."""

from __future__ import annotations

from ..core.engine import Rule
from ..rules import INTEGRAL_AS_EXPECTATION, KL_DEFINITION, LINEARITY, LOG_OF_RATIO
from ..rules.gamma import COLLECT_GAMMA, COMBINE_GAMMA_LOG_DENSITIES, GAMMA_LOG_DENSITY, GAMMA_LOG_MOMENT, GAMMA_MEAN
from .discrete import FamilyCase

#: From the definition to ``alpha2 log(beta1/beta2) + log(Gamma(alpha2)/Gamma(alpha1)) + (alpha1 - alpha2)
#: psi(alpha1) + alpha1 (beta2 - beta1) / beta1``.
GAMMA_PLAN: tuple[Rule, ...] = (
    KL_DEFINITION,
    INTEGRAL_AS_EXPECTATION,
    LOG_OF_RATIO,
    GAMMA_LOG_DENSITY,
    COMBINE_GAMMA_LOG_DENSITIES,
    LINEARITY,
    GAMMA_MEAN,
    GAMMA_LOG_MOMENT,
    COLLECT_GAMMA,
)

TITLE = "KL divergence between two Gamma distributions"
DESCRIPTION = ("The divergence of one Gamma distribution from another, derived from the definition: the log-ratio "
               "of the densities is linear in x and in log x, so the mean and the expected logarithm are needed; "
               "the expected logarithm is the derivative of the log-normaliser in the concentration.")

GAMMA = FamilyCase(GAMMA_PLAN, TITLE, DESCRIPTION)
