"""The plans of the univariate cases (also the lemma plans of the multivariate ones)."""

from __future__ import annotations

from ..core.engine import Rule
from ..rules import (
    CANCEL_AND_COLLECT,
    COMBINE_LOG_DENSITIES,
    GAUSSIAN_LOG_DENSITY,
    INTEGRAL_AS_EXPECTATION,
    KL_DEFINITION,
    LINEARITY,
    LOG_OF_RATIO,
    LOG_VARIANCE,
    SECOND_MOMENT,
    SHIFTED_SECOND_MOMENT,
    VAE_FORM,
)

UNIVARIATE_PLAN: tuple[Rule, ...] = (
    KL_DEFINITION,
    INTEGRAL_AS_EXPECTATION,
    LOG_OF_RATIO,
    GAUSSIAN_LOG_DENSITY,
    COMBINE_LOG_DENSITIES,
    LINEARITY,
    SECOND_MOMENT,
    CANCEL_AND_COLLECT,
    SHIFTED_SECOND_MOMENT,
)

#: The univariate plan, then the rewrites that give the form VAE code implements.
STANDARD_PLAN: tuple[Rule, ...] = (*UNIVARIATE_PLAN, LOG_VARIANCE, VAE_FORM)
