"""Kingma and Welling's route (appendix B of the VAE paper): the integrals of q log q and of q log p over R^d,
each computed in a lemma, then subtracted."""

from __future__ import annotations

from sympy import Expr, log

from ..core.engine import Derivation, Rewrite, Rule, derive_chain
from ..nodes.vector import SpaceIntegral
from .algebra import CANCEL_AND_COLLECT, DISTRIBUTE
from .base import factors
from .coordinates import FACTORISE, LOG_OF_PRODUCT, MARGINALISE, _diagonal
from .definition import INTEGRAL_AS_EXPECTATION
from .expectation import LINEARITY
from .gaussian import GAUSSIAN_LOG_DENSITY, SECOND_MOMENT, SHIFTED_SECOND_MOMENT, replace_by_lemmas
from .sums import SPLIT_OFF_CONSTANTS, in_summands

# -- the two integrals of Kingma and Welling (appendix B), each derived as a lemma --------------------------


def _entropy_plans():
    head = (INTEGRAL_AS_EXPECTATION, FACTORISE, LOG_OF_PRODUCT, GAUSSIAN_LOG_DENSITY, LINEARITY, MARGINALISE)
    negative_entropy = (*head, SECOND_MOMENT, in_summands(CANCEL_AND_COLLECT), LOG_OF_PRODUCT,
                        in_summands(DISTRIBUTE), SPLIT_OFF_CONSTANTS)
    cross = (*head, SHIFTED_SECOND_MOMENT, SPLIT_OFF_CONSTANTS)
    return negative_entropy, cross


def _integral_of_log(which: str):
    """A rule body replacing ``Integral(q log q)`` (``which = "q"``) or ``Integral(q log p)`` by its lemma."""

    def apply(expr: Expr, setting) -> Rewrite:
        negative_entropy, cross = _entropy_plans()

        def lemma_for(e: Expr) -> Derivation | None:
            if not isinstance(e, SpaceIntegral):
                return None
            parts = factors(e.function)
            if len(parts) != 2 or not _diagonal(parts[0]) or not isinstance(parts[1], log):
                return None
            q, inside = parts[0], parts[1].args[0]
            own = inside == q
            if (which == "q") != own or not _diagonal(inside):
                return None
            title = "The negative entropy of q" if own else "The cross-entropy term"
            return derive_chain("negative-entropy" if own else "cross-entropy", title, e,
                                negative_entropy if own else cross, setting)

        return replace_by_lemmas(expr, lemma_for, "integral of q times a log-density")

    return apply


NEGATIVE_ENTROPY = Rule(
    "negative-entropy",
    "Negative entropy",
    "The integral of q times its own log-density is the negative entropy of q, computed in the lemma below.",
    _integral_of_log("q"),
)

CROSS_TERM = Rule(
    "cross-term",
    "Cross-entropy term",
    "The integral of q times the log-density of p, computed in the lemma below.",
    _integral_of_log("p"),
)
