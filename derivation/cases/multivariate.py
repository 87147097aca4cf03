"""Plans and settings of the multivariate cases (``full``, ``diagonal`` with its routes, ``vae``).

``catalogue.py`` turns them into :class:`~derivation.cases.catalogue.Case` entries; each plan is a tuple of rules,
shared with the univariate cases wherever the argument is the same (definition, log of a ratio,
log-densities, linearity, the univariate result itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ..core.engine import Rule
from ..rules import (
    COMBINE_LOG_DENSITIES,
    DISTRIBUTE,
    GAUSSIAN_LOG_DENSITY,
    INTEGRAL_AS_EXPECTATION,
    KL_DEFINITION,
    LINEARITY,
    LOG_OF_RATIO,
)
from ..rules.coordinates import (
    FACTORISE,
    KL_OF_COORDINATES,
    LOG_OF_PRODUCT,
    MARGINALISE,
    PRODUCT_OF_RATIOS,
    univariate_result,
)
from ..rules.kingma import CROSS_TERM, NEGATIVE_ENTROPY
from ..rules.matrix import FACTOR_COMMON, FLIP_SIGN, SHIFTED_TRACE_TRICK, TEXTBOOK_ORDER, TRACE_OF_IDENTITY, TRACE_TRICK
from ..rules.specialise import (
    DIAGONAL_DETERMINANT,
    DIAGONAL_TRACE,
    IN_CODE,
    LOG_VARIANCE_OUTPUT,
    SIMPLIFY_IDENTITIES,
    SQUARED_NORM,
    VARIANCE_FROM_LOG_VARIANCE,
    diagonal_result,
    full_result,
)
from ..rules.sums import (
    CANCEL_OPPOSITES,
    CONSTANT_OUT_OF_SUM,
    MERGE_SUMS,
    MERGE_SUMS_FACTOR_OUT,
    SPLIT_INTEGRAL,
    VAE_ORDER_IN_SUM,
)
from ..settings.multivariate import DiagonalPair, FullPair, preset_full, preset_pair
from .univariate import STANDARD_PLAN, UNIVARIATE_PLAN

#: Two Gaussians with full covariance: log-densities, linearity, the trace trick twice (lemmas), tidy.
FULL_PLAN: tuple[Rule, ...] = (
    KL_DEFINITION, INTEGRAL_AS_EXPECTATION, LOG_OF_RATIO, GAUSSIAN_LOG_DENSITY, COMBINE_LOG_DENSITIES, LINEARITY,
    TRACE_TRICK, SHIFTED_TRACE_TRICK, TRACE_OF_IDENTITY, DISTRIBUTE, FACTOR_COMMON, TEXTBOOK_ORDER, FLIP_SIGN,
)

#: The full-covariance result as a rule citing its derivation (by :data:`FULL_PLAN`) as a lemma.
FULL_RESULT = full_result(FULL_PLAN)
#: Each coordinate's divergence by the univariate result, derived as a lemma by the univariate plans.
UNIVARIATE_RESULT = univariate_result(STANDARD_PLAN, UNIVARIATE_PLAN)

FULL_ROUTES: Mapping[str, tuple[Rule, ...]] = MappingProxyType({"trace": FULL_PLAN})

#: The paper's route: the densities factorise, the log of the product is a sum, each term is univariate.
DIAGONAL_PLAN: tuple[Rule, ...] = (
    KL_DEFINITION, INTEGRAL_AS_EXPECTATION, FACTORISE, PRODUCT_OF_RATIOS, LOG_OF_PRODUCT, LINEARITY, MARGINALISE,
    KL_OF_COORDINATES, UNIVARIATE_RESULT, CONSTANT_OUT_OF_SUM,
)

#: The full-covariance result, specialised to Sigma_q = diag(sigma**2), Sigma_p = I, mu_p = 0.
SPECIALISED_PLAN: tuple[Rule, ...] = (
    FULL_RESULT, SIMPLIFY_IDENTITIES, FLIP_SIGN, DIAGONAL_TRACE, SQUARED_NORM, DIAGONAL_DETERMINANT, LOG_OF_PRODUCT,
    MERGE_SUMS, VAE_ORDER_IN_SUM,
)

#: Kingma and Welling, appendix B: the integrals of q log q and of q log p, each computed, then subtracted.
KINGMA_PLAN: tuple[Rule, ...] = (
    KL_DEFINITION, LOG_OF_RATIO, SPLIT_INTEGRAL, NEGATIVE_ENTROPY, CROSS_TERM, CANCEL_OPPOSITES, MERGE_SUMS_FACTOR_OUT,
    VAE_ORDER_IN_SUM,
)

#: Route name -> plan for the diagonal case; the first is the default.
DIAGONAL_ROUTES: Mapping[str, tuple[Rule, ...]] = MappingProxyType({
    "paper": DIAGONAL_PLAN,
    "full": SPECIALISED_PLAN,
    "kingma": KINGMA_PLAN,
})

#: The diagonal result as a rule citing its derivation (the paper's route) as a lemma.
DIAGONAL_RESULT = diagonal_result(DIAGONAL_PLAN)

#: The diagonal result in the log-variance parameterisation (the line VAE code computes, see :data:`CODE_PLAN`).
VAE_PLAN: tuple[Rule, ...] = (DIAGONAL_RESULT, LOG_VARIANCE_OUTPUT, VARIANCE_FROM_LOG_VARIANCE)

#: The vae result as one line of PyTorch, parsed back and checked: shown as a listing after the result.
CODE_PLAN: tuple[Rule, ...] = (IN_CODE,)
VAE_ROUTES: Mapping[str, tuple[Rule, ...]] = MappingProxyType({"logvar": VAE_PLAN})


def full_setting(options) -> FullPair:
    """The ``full`` case's pair: its preset specs through the door a user's pair goes through."""
    return preset_full(options.notation)


#: The ``diagonal`` and ``vae`` cases' pairs, as a user writes them (``kl-derive derive --q Q --p P``).
DIAGONAL_PRESET = ("DiagNormal(mu, sigma, dim=d)", "DiagNormal(0, 1, dim=d)")
VAE_PRESET = ("DiagNormal(mu, logvar=ell, dim=d)", "DiagNormal(0, 1, dim=d)")


def diagonal_setting(options) -> DiagonalPair:
    """The ``diagonal`` case's pair: its preset specs through the door a user's pair goes through."""
    return preset_pair(DIAGONAL_PRESET, options.notation, options.dim)


def vae_setting(options) -> DiagonalPair:
    """The ``vae`` case's pair, in the log-variances: derived in the variances (the diagonal result, then
    rewritten), exported with the log-variance named as VAE code names it."""
    renamed = "logvar" in options.notation.names  # --notation logvar=v: the code says v as well
    return preset_pair(VAE_PRESET, options.notation, code_names={} if renamed else {"ell": "logvar"},
                       in_variances=True)
