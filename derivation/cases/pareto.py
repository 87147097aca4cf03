"""KL(Pareto || Pareto): the plan from the definition to the closed form (finite when the first scale is at least the
second), or to +oo by the support argument when it is smaller."""

from __future__ import annotations

from ..core.engine import Rule
from ..rules import INTEGRAL_AS_EXPECTATION, KL_DEFINITION, LINEARITY, LOG_OF_RATIO
from ..rules.pareto import COLLECT_PARETO, COMBINE_PARETO_LOG_DENSITIES, PARETO_LOG_DENSITY, PARETO_LOG_MOMENT
from ..rules.support import CONTINUOUS_SUPPORT_MISMATCH
from .discrete import FamilyCase

#: From the definition to ``log(alpha1 / alpha2) + alpha2 log(m1 / m2) + alpha2 / alpha1 - 1``, or to +oo when
#: the scales put part of the first support below the second (the support step applies then, the rest does not).
PARETO_PLAN: tuple[Rule, ...] = (
    KL_DEFINITION,
    CONTINUOUS_SUPPORT_MISMATCH,
    INTEGRAL_AS_EXPECTATION,
    LOG_OF_RATIO,
    PARETO_LOG_DENSITY,
    COMBINE_PARETO_LOG_DENSITIES,
    LINEARITY,
    PARETO_LOG_MOMENT,
    COLLECT_PARETO,
)

TITLE = "KL divergence between two Pareto distributions"
DESCRIPTION = ("The divergence of one Pareto distribution from another, derived from the definition. It is finite "
               "only when the first scale is at least the second, so that the first support lies inside the second: "
               "then the log-ratio of the densities is linear in the logarithm of the variable, so only the expected "
               "logarithm is needed, and it is integrated by parts; otherwise the divergence is infinite.")

PARETO = FamilyCase(PARETO_PLAN, TITLE, DESCRIPTION)
