"""KL(Uniform(a, b) || Beta(alpha, beta)), 0 <= a < b <= 1: from the definition to the closed form, the uniform law's
expected logarithms derived as lemmas (``x log x`` finite at the ends), or +oo by the support when the numbers put
part of [a, b] outside [0, 1]."""

from __future__ import annotations

from ..core.engine import Rule
from ..rules import INTEGRAL_AS_EXPECTATION, KL_DEFINITION, LINEARITY, LOG_OF_RATIO
from ..rules.cross import PAIR_LOG_DENSITIES
from ..rules.support import CONTINUOUS_SUPPORT_MISMATCH
from ..rules.uniform_beta import COMBINE_UNIFORM_BETA, UNIFORM_LOG_MOMENTS

UNIFORM_BETA_PLAN: tuple[Rule, ...] = (
    KL_DEFINITION,
    CONTINUOUS_SUPPORT_MISMATCH,
    INTEGRAL_AS_EXPECTATION,
    LOG_OF_RATIO,
    PAIR_LOG_DENSITIES,
    COMBINE_UNIFORM_BETA,
    LINEARITY,
    UNIFORM_LOG_MOMENTS,
)
UNIFORM_BETA_TITLE = "KL divergence of a uniform distribution from a Beta distribution"
UNIFORM_BETA_DESCRIPTION = (
    "The divergence of a uniform distribution on an interval inside the unit interval from a Beta distribution, "
    "derived from the definition: the log-ratio of the densities is linear in the logarithms of the variable and of "
    "its complement, so the uniform law's expected logarithms are needed; each is the integral of a logarithm over "
    "the interval, by its antiderivative, whose product of a number and its logarithm is read as zero at zero (its "
    "limit), so the divergence is finite at the ends of the unit interval. Every line follows from the one before "
    "by the rule named beside it, and every line has been checked.")
