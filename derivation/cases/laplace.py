"""KL(Laplace || Laplace): the plan from the definition to the closed form, run with the setting's checker."""

from __future__ import annotations

from ..core.engine import Derivation, Rule
from ..rules import CANCEL_AND_COLLECT, INTEGRAL_AS_EXPECTATION, KL_DEFINITION, LINEARITY, LOG_OF_RATIO
from ..rules.laplace import (
    COMBINE_LAPLACE_LOG_DENSITIES,
    DIVIDE_THROUGH,
    LAPLACE_ABSOLUTE_DEVIATION,
    LAPLACE_ABSOLUTE_MOMENT,
    LAPLACE_LOG_DENSITY,
)
from ..settings.laplace import LaplaceSetting

#: From the definition to ``log(b2/b1) + |mu1 - mu2|/b2 + (b1/b2) exp(-|mu1 - mu2|/b1) - 1``.
LAPLACE_PLAN: tuple[Rule, ...] = (
    KL_DEFINITION,
    INTEGRAL_AS_EXPECTATION,
    LOG_OF_RATIO,
    LAPLACE_LOG_DENSITY,
    COMBINE_LAPLACE_LOG_DENSITIES,
    LINEARITY,
    LAPLACE_ABSOLUTE_DEVIATION,
    CANCEL_AND_COLLECT,
    LAPLACE_ABSOLUTE_MOMENT,
    DIVIDE_THROUGH,
    CANCEL_AND_COLLECT,
)

TITLE = "KL divergence between two Laplace distributions"
DESCRIPTION = ("The divergence of one Laplace distribution from another, derived from the definition: the "
               "absolute values are integrated piece by piece between their kinks.")


def derive_laplace(setting: LaplaceSetting, name: str = "laplace", title: str = TITLE,
                   description: str = DESCRIPTION) -> Derivation:
    """KL(q || p) for a Laplace pair, every step (and every lemma) checked as it is made; a rule that does not fit
    the pair (equal locations, a unit scale) is skipped."""
    return setting.derive(name, title, LAPLACE_PLAN, description)
