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

from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Any

from sympy import Basic, Expr, Integer, Symbol
from sympy.matrices.expressions import Identity, MatrixSymbol, ZeroMatrix

from ..cases.multivariate import FULL_RESULT
from ..check.vector_checker import MvChecker
from ..check.vector_numeric import random_spd
from ..core.engine import Derivation, Rule, derive_chain
from ..core.errors import UsageError
from ..interpret.parse import DistSpec
from ..laws import MvNormalLaw
from ..nodes.scalar import Density
from ..nodes.vector import InSpace, PositiveDefinite
from ..rules.matrix import FLIP_SIGN
from ..rules.specialise import SIMPLIFY_IDENTITIES, TRIVIAL_TERMS
from ..settings.multivariate import (
    INTERNAL_NAMES,
    PROBES,
    SEED,
    DiagonalPair,
    TwoDensities,
    VectorScale,
    _names_of,
    _unused,
    diagonal_pair,
)
from ..settings.univariate import Notation


@dataclass(frozen=True)
class FullPair(TwoDensities):
    """q = N(m_q, S_q) and p = N(m_p, S_p) over x in R^k with the user's names: means are k x 1 matrix
    symbols or 0, covariances k x k symmetric positive-definite matrix symbols or c I for a number c."""

    notation: Notation
    dim_symbol: Symbol
    size: int | None
    means: tuple[Any, Any]
    covs: tuple[Any, Any]

    @property
    def general(self) -> bool:
        """Whether every mean and covariance is a name (the ``full`` case's setting itself, renamed)."""
        return all(isinstance(v, Symbol) for v in (*self.means, *self.covs))

    @property
    def dim(self) -> Expr:
        return self.dim_symbol if self.size is None else Integer(self.size)

    @cached_property
    def x(self) -> MatrixSymbol:
        return MatrixSymbol(self.notation.name("x"), self.dim, 1)

    def _density(self, role: int) -> Density:
        k = self.dim
        mean, cov = self.means[role], self.covs[role]
        mean = MatrixSymbol(mean.name, k, 1) if isinstance(mean, Symbol) else ZeroMatrix(k, 1)
        cov = MatrixSymbol(cov.name, k, k) if isinstance(cov, Symbol) else Identity(k)
        return Density(self.notation.name("q" if role == 0 else "p"), self.x, MvNormalLaw(mean, cov))

    @property
    def parameters(self) -> tuple[Basic, ...]:
        """The user's matrices and vectors, in reading order (the dimension when none tells it)."""
        found = [m for d in (self.q, self.p) for m in (d.mean, d.cov) if isinstance(m, MatrixSymbol)]
        found = list(dict.fromkeys(found))
        return tuple(found) if found else (self.dim_symbol,)

    @property
    def user_parameters(self) -> tuple[Basic, ...]:
        return self.parameters

    def assumptions(self) -> tuple[Basic, ...]:
        out: list[Basic] = []
        for m in self.parameters:
            if isinstance(m, MatrixSymbol):
                out.append(InSpace(m, self.dim) if m.shape[1] == 1 else PositiveDefinite(m))
        return tuple(out)

    def code_dimensions(self) -> dict[Basic, str]:
        first = next((m for m in self.parameters if isinstance(m, MatrixSymbol)), None)
        return {self.dim_symbol: f"{first.name}.shape[0]"} if first is not None else {}

    def in_user_terms(self, expr: Basic) -> Basic:
        return expr

    def instantiate(self, expr: Basic) -> Basic:
        return expr

    def sample(self, count: int = PROBES, seed: int = SEED) -> list[dict]:
        """Points with d = 2, 3, 2, 3, ... (or the concrete size): random means, random SPD covariances."""
        import numpy as np


        rng = np.random.default_rng(seed)
        points = []
        for i in range(count):
            k = self.size if self.size is not None else 2 + i % 2
            point: dict = {self.dim_symbol: np.asarray(k)}
            for m in self.parameters:
                if isinstance(m, MatrixSymbol):
                    point[m] = rng.uniform(-2, 2, size=(k, 1)) if m.shape[1] == 1 else random_spd(rng, k)
            points.append(point)
        return points

    def checker(self):
        where = f"{self.dim_symbol} = " + ("2 and 3" if self.size is None else f"{self.size}")
        return MvChecker(self.sample(), f"{where}, random symmetric positive-definite covariances, expectations "
                                        "by Gauss-Hermite quadrature")

    def derive(self, name: str, title: str, plan: tuple[Rule, ...], description: str = "") -> Derivation:
        checker = self.checker()
        return derive_chain(name, title, self.start(), plan, self, description,
                            check=lambda i, before, step: checker.check_step(i, before, step, title),
                            skip_unfit=True)

    def closed(self, title: str, plan: tuple[Rule, ...]) -> Expr:
        return derive_chain("custom", title, self.start(), plan, self, skip_unfit=True).result


#: The full-covariance result (the ``full`` case's derivation, as a lemma) specialised to a pair with an identity
#: covariance or a zero mean, which the full plan's trace trick does not take directly.
SPECIALISED_FULL_PLAN: tuple[Rule, ...] = (FULL_RESULT, SIMPLIFY_IDENTITIES, TRIVIAL_TERMS, FLIP_SIGN)


def full_pair(q: DistSpec, p: DistSpec) -> FullPair:
    """The setting of two ``MvNormal`` specs (already checked to have the same dimension).

    A mean is a name or 0, a covariance a name or 1 (the identity); anything else is refused.
    """
    for role, spec in (("q", q), ("p", p)):
        if not isinstance(spec.loc, Symbol) and spec.loc != 0:
            raise UsageError(f"{role}: an MvNormal mean is a name or 0 (got {spec.loc})")
        if not isinstance(spec.param, Symbol) and spec.param != 1:
            raise UsageError(f"{role}: an MvNormal covariance is a name or 1 for the identity (got {spec.param})")
    taken = _names_of(q, p)
    names = {role: _unused(candidates, taken) for role, candidates in INTERNAL_NAMES.items() if role in ("x", "d")}
    if isinstance(q.dim, Symbol):  # the user's dimension (lemmas in the general setting use it too)
        names["d"] = q.dim.name
    size = q.dim if isinstance(q.dim, int) else None
    dim_symbol = q.dim if isinstance(q.dim, Symbol) else Symbol(names["d"], integer=True, positive=True)
    return FullPair(Notation(MappingProxyType(names)), dim_symbol, size, (q.loc, p.loc), (q.param, p.param))


__all__ = ["SPECIALISED_FULL_PLAN", "DiagonalPair", "FullPair", "VectorScale", "diagonal_pair", "full_pair"]
