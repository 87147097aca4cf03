"""KL divergence between two categorical distributions over K categories: a sum over the categories, in the
probabilities; given in logits, the log-softmax form (log-sum-exp of the logits, numerically stable)."""

from __future__ import annotations

from ..rules import KL_DEFINITION
from ..rules.categorical import CATEGORY_PROBABILITIES, CATEGORY_WEIGHTS_ADD_TO_ONE, LOG_SOFTMAX, SOFTMAX
from .discrete import FamilyCase

CATEGORICAL = FamilyCase(
    (KL_DEFINITION, CATEGORY_PROBABILITIES),
    "KL divergence between two categorical distributions",
    "The divergence of one categorical distribution from another over the same categories, derived from the "
    "definition: the divergence is a sum with one term per category, the probability of the category under the "
    "first distribution times the logarithm of the ratio of its two probabilities. Given in logits, each "
    "log-probability is its logit minus the log-sum-exp of the logits. Every line follows from the one before by "
    "the rule named beside it, and every line has been checked.",
    parameterised=(LOG_SOFTMAX, CATEGORY_WEIGHTS_ADD_TO_ONE, SOFTMAX),
)
