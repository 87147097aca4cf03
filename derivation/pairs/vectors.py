"""Custom pairs over vectors: ``DiagNormal`` and ``MvNormal`` specs, derived by the multivariate cases' plans.

A ``DiagNormal(mu, logvar=lv, dim=d)`` spec names *vectors*: ``mu`` and ``lv`` have one entry per
coordinate (``mu_j``, ``lv_j``; indexed symbols), and a number stands for the same value in every
coordinate. A pair of such specs becomes a :class:`DiagonalPair` setting: q and p are Gaussians with
diagonal covariance over x in R^d, in standard deviations (the user's vector when the spec gives a
scale; otherwise a fresh vector such as ``sigma`` with ``sigma_j = exp(lv_j / 2)``). The ``diagonal``
case's plan (the paper's route: factorise, one univariate divergence per coordinate, the univariate
result as a lemma) derives the closed form at general d; the variants' :data:`~derivation.pairs.univariate.
PARAMETERISATION` and :data:`~derivation.pairs.univariate.EVALUATE` steps then write it in the user's vectors.
At a concrete dimension (``dim=8``) the derivation is made at general d and written out
(:func:`derivation.check.vector_checker.write_out`), as the ``diagonal`` case does for ``--dim``.

``MvNormal(m, cov=S, dim=k)`` specs become a :class:`FullPair`: the ``full`` case's setting with the
user's names (``m``, ``S``; ``0`` is the zero vector, a number c the covariance c I), derived by the
``full`` case's plan.
"""

from __future__ import annotations

from ..cases.multivariate import FULL_RESULT
from ..core.engine import Rule
from ..rules.matrix import FLIP_SIGN
from ..rules.specialise import SIMPLIFY_IDENTITIES, TRIVIAL_TERMS
from ..settings.multivariate import DiagonalPair, FullPair, VectorScale, diagonal_pair, full_pair

#: The full-covariance result (the ``full`` case's derivation, as a lemma) specialised to a pair with an identity
#: covariance or a zero mean, which the full plan's trace trick does not take directly.
SPECIALISED_FULL_PLAN: tuple[Rule, ...] = (FULL_RESULT, SIMPLIFY_IDENTITIES, TRIVIAL_TERMS, FLIP_SIGN)


__all__ = ["SPECIALISED_FULL_PLAN", "DiagonalPair", "FullPair", "VectorScale", "diagonal_pair", "full_pair"]
