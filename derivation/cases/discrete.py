"""KL divergences between laws of an integer variable: the plan from the definition (a sum over the support) to
the closed form, per family, with the title and description of its document."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ..core.engine import Rule
from ..rules import KL_DEFINITION
from ..rules.discrete import FINITE_SUPPORT, SUM_AS_EXPECTATION

_CHECKED = " Every line follows from the one before by the rule named beside it, and every line has been checked."


@dataclass(frozen=True)
class FamilyCase:
    """How KL(q || p) is derived when q and p are of one family: the plan, the title and the description."""

    plan: tuple[Rule, ...]
    title: str
    description: str


BERNOULLI = FamilyCase(
    (KL_DEFINITION, SUM_AS_EXPECTATION, FINITE_SUPPORT),
    "KL divergence between two Bernoulli distributions",
    "The divergence of one Bernoulli distribution from another, derived from the definition: a Bernoulli "
    "variable takes the values 0 and 1 only, so the expectation is a sum of two terms." + _CHECKED,
)

#: Family (in specs and torch) -> how a pair of that family is derived.
FAMILY_CASES: Mapping[str, FamilyCase] = MappingProxyType({
    "Bernoulli": BERNOULLI,
})
