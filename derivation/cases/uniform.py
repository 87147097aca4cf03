"""KL(Uniform || Uniform): the plan from the definition to the closed form (finite when the first interval lies
inside the second), or to +oo by the support argument when it does not."""

from __future__ import annotations

from ..core.engine import Rule
from ..rules import INTEGRAL_AS_EXPECTATION, KL_DEFINITION, LINEARITY, LOG_OF_RATIO
from ..rules.support import CONTINUOUS_SUPPORT_MISMATCH
from ..rules.uniform import COMBINE_UNIFORM_LOG_DENSITIES, UNIFORM_LOG_DENSITY
from .discrete import FamilyCase

#: From the definition to ``log((b2 - a2) / (b1 - a1))``, or to +oo when the parameters put part of the first
#: interval outside the second (the support step applies then, and the rest of the plan does not).
UNIFORM_PLAN: tuple[Rule, ...] = (
    KL_DEFINITION,
    CONTINUOUS_SUPPORT_MISMATCH,
    INTEGRAL_AS_EXPECTATION,
    LOG_OF_RATIO,
    UNIFORM_LOG_DENSITY,
    COMBINE_UNIFORM_LOG_DENSITIES,
    LINEARITY,
)

TITLE = "KL divergence between two uniform distributions"
DESCRIPTION = ("The divergence of one uniform distribution from another, derived from the definition. It is finite "
               "only when the first interval lies inside the second: then both densities are constant on the first "
               "interval and the divergence is the logarithm of the ratio of the lengths; otherwise the first "
               "distribution gives positive probability to a set where the second has density zero, and the "
               "divergence is infinite.")

UNIFORM = FamilyCase(UNIFORM_PLAN, TITLE, DESCRIPTION)
