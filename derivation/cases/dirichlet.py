"""KL(Dirichlet || Dirichlet): the plan from the definition to the closed form, run with the setting's checker."""

from __future__ import annotations

from ..core.engine import Rule
from ..rules import LINEARITY, LOG_OF_RATIO
from ..rules.dirichlet import (
    COLLECT_DIRICHLET,
    COMBINE_DIRICHLET_LOG_DENSITIES,
    DIRICHLET_DEFINITION,
    DIRICHLET_LOG_DENSITY,
    DIRICHLET_LOG_MOMENT,
)
from .discrete import FamilyCase

#: From the definition to ``log Gamma(alpha_0) - sum_k log Gamma(alpha_k) - log Gamma(beta_0) + sum_k log Gamma(beta_k)
#: + sum_k (alpha_k - beta_k) (psi(alpha_k) - psi(alpha_0))``.
DIRICHLET_PLAN: tuple[Rule, ...] = (
    DIRICHLET_DEFINITION,
    LOG_OF_RATIO,
    DIRICHLET_LOG_DENSITY,
    COMBINE_DIRICHLET_LOG_DENSITIES,
    COLLECT_DIRICHLET,
    LINEARITY,
    DIRICHLET_LOG_MOMENT,
)

TITLE = "KL divergence between two Dirichlet distributions"
DESCRIPTION = ("The divergence of one Dirichlet distribution from another over the same K coordinates, derived from "
               "the definition: the log-ratio of the densities is a sum over the coordinates of multiples of the "
               "logarithm of each coordinate, so the expected logarithm of each coordinate is needed; a coordinate "
               "alone is a Beta variable, whose expected logarithm is the derivative of its log-normaliser, as for "
               "the Gamma and Beta distributions. Every line follows from the one before by the rule named beside "
               "it, and every line has been checked.")

DIRICHLET = FamilyCase(DIRICHLET_PLAN, TITLE, DESCRIPTION)
