"""Settings over vectors: two full-covariance Gaussians in d dimensions, and a diagonal Gaussian against
the standard normal in d dimensions (d symbolic, or a concrete N with every coordinate written out).

Like :class:`~derivation.settings.univariate.Setting` they name their densities ``q`` and ``p``, state themselves
for the document (``statements``, ``assumptions``), and give the checker that suits them
(``checker``), with random points drawn to match their assumptions (``sample``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import ClassVar

from sympy import Basic, Eq, Expr, Gt, Indexed, IndexedBase, Integer, S, Symbol, exp, sqrt
from sympy.matrices.expressions import Identity, MatMul, MatrixSymbol, OneMatrix, ZeroMatrix

from ..check.vector_checker import MvChecker, Point, WrittenOutChecker
from ..check.vector_numeric import random_spd
from ..core.forms import HALF, evaluated, mul, square
from ..laws import MvNormalLaw, NormalLaw
from ..nodes.families import Instantiation
from ..nodes.scalar import KL, Density, Marginal
from ..nodes.vector import Diag, IndexRange, InSpace, PositiveDefinite, Vec
from .univariate import Notation, Setting

PROBES = 4
SEED = 2604_11744
#: Up to this dimension a written-out derivation is checked again line by line (quadrature over R^N).
DIRECT_CHECK_UP_TO = 3


def _dimension(notation: Notation, role: str) -> Symbol:
    return Symbol(notation.name(role), integer=True, positive=True)


class TwoDensities:
    """``q`` and ``p``, built by the subclass's ``_density(role)`` (0 for q, 1 for p), the first line
    ``KL(q || p)``, and the statements ``q = N(mean, cov)``, ``p = ...`` of the document's Setting."""

    @cached_property
    def q(self) -> Density:
        return self._density(0)

    @cached_property
    def p(self) -> Density:
        return self._density(1)

    def start(self) -> KL:
        return KL(self.q, self.p)

    def statements(self) -> tuple[Basic, ...]:
        return tuple(Eq(Symbol(d.name), Density("", d.variable, d.law), evaluate=False)
                     for d in (self.q, self.p))


@dataclass(frozen=True)
class FullSetting(TwoDensities):
    """q = N(mu_q, Sigma_q) and p = N(mu_p, Sigma_p) over x in R^d, d symbolic."""

    notation: Notation = field(default_factory=Notation)
    #: A result for every dimension d: a case written out at d = N cites it as it is (see ``mvverify.write_out``).
    for_every_dimension: ClassVar[bool] = True

    @cached_property
    def dim(self) -> Symbol:
        return _dimension(self.notation, "d")

    @cached_property
    def x(self) -> MatrixSymbol:
        return MatrixSymbol(self.notation.name("x"), self.dim, 1)

    def _density(self, role: int) -> Density:
        n, d, letter = self.notation, self.dim, ("q", "p")[role]
        return Density(n.name(letter), self.x, MvNormalLaw(MatrixSymbol(n.name("mu", of=letter), d, 1),
                                                           MatrixSymbol(n.name("Sigma", of=letter), d, d)))

    def assumptions(self) -> tuple[Basic, ...]:
        return (InSpace(self.q.mean, self.dim), InSpace(self.p.mean, self.dim),
                PositiveDefinite(self.q.cov), PositiveDefinite(self.p.cov))

    @property
    def parameters(self) -> tuple[Basic, ...]:
        return (self.q.mean, self.q.cov, self.p.mean, self.p.cov)

    def code_dimensions(self) -> dict[Basic, str]:
        """How generated code finds the dimension: the length of the first mean."""
        return {self.dim: f"{self.q.mean.name}.shape[0]"}

    def sample(self, count: int = PROBES, seed: int = SEED) -> list[Point]:
        """Points with d = 2, 3, 2, 3, ...: random means in [-2, 2]^d, random SPD covariances."""
        import numpy as np


        rng = np.random.default_rng(seed)
        points = []
        for i in range(count):
            k = 2 + i % 2
            points.append({
                self.dim: np.asarray(k),
                self.q.mean: rng.uniform(-2, 2, size=(k, 1)), self.q.cov: random_spd(rng, k),
                self.p.mean: rng.uniform(-2, 2, size=(k, 1)), self.p.cov: random_spd(rng, k),
            })
        return points

    def checker(self) -> MvChecker:
        return MvChecker(self.sample(), f"{self.dim} = 2 and 3, random symmetric positive-definite covariances, "
                                        "expectations by Gauss-Hermite quadrature")


@dataclass(frozen=True)
class DiagonalSetting:
    """q = N(mu, diag(sigma_1**2, ..., sigma_d**2)) and p = N(0, I) over x in R^d.

    ``size`` None: d symbolic (sums are SymPy ``Sum`` over the index j); an integer N: the dimension
    is N and every coordinate is written out. With ``log_variance`` the parameters are the
    log-variances ``logvar_j`` (what a VAE encoder outputs) and ``sigma_j**2 = exp(logvar_j)``.
    """

    notation: Notation = field(default_factory=Notation)
    size: int | None = None
    log_variance: bool = False

    # -- symbols -----------------------------------------------------------------------------------------
    @cached_property
    def dim_symbol(self) -> Symbol:
        return _dimension(self.notation, "d")

    @property
    def dim(self) -> Expr:
        return self.dim_symbol if self.size is None else Integer(self.size)

    @cached_property
    def index(self) -> Symbol:
        return _dimension(self.notation, "j")

    @cached_property
    def coordinates(self) -> IndexedBase:
        return IndexedBase(self.notation.name("x"), real=True)

    @cached_property
    def mean(self) -> IndexedBase:
        return IndexedBase(self.notation.name("mu"), real=True)

    @cached_property
    def scale(self) -> IndexedBase:
        return IndexedBase(self.notation.name("sigma"), positive=True)

    @cached_property
    def logvar(self) -> IndexedBase:
        return IndexedBase(self.notation.name("logvar"), real=True)

    @property
    def code_names(self) -> dict[str, str]:
        """The log-variance vector's name in code (what VAE code calls it), by its name in the mathematics."""
        return {str(self.logvar.label): "logvar"}

    @property
    def x(self) -> Vec:
        return Vec(self.coordinates, self.dim)

    @cached_property
    def q(self) -> Density:
        j = self.index
        return Density(self.notation.name("q"), self.x, MvNormalLaw(Vec(self.mean, self.dim),
                                                                    Diag(square(self.scale[j]), j, self.dim)))

    @cached_property
    def p(self) -> Density:
        return Density(self.notation.name("p"), self.x, MvNormalLaw(ZeroMatrix(self.dim, 1), Identity(self.dim)))

    @cached_property
    def z(self) -> Symbol:
        return self.notation.real("z")

    def start(self) -> KL:
        return KL(self.q, self.p)

    def general(self) -> DiagonalSetting:
        """The same setting with d symbolic."""
        return self if self.size is None else replace(self, size=None)

    def coordinate(self) -> Setting:
        """The univariate setting of coordinate j: q_j = N(mu_j, sigma_j**2) against p_j = N(0, 1)."""
        j = self.index
        return Setting(marginal(self.q, j), marginal(self.p, j), self.z, self.notation)

    # -- the document's Setting paragraph -----------------------------------------------------------------
    def statements(self) -> tuple[Basic, ...]:
        return tuple(Eq(Symbol(d.name), Density("", d.variable, d.law), evaluate=False)
                     for d in (self.q, self.p))

    def assumptions(self) -> tuple[Basic, ...]:
        j = self.index
        if self.log_variance:
            own = (InSpace(self.logvar[j]), Eq(square(self.scale[j]), exp(self.logvar[j]), evaluate=False))
        else:
            own = (Gt(self.scale[j], 0, evaluate=False),)
        return (InSpace(self.mean[j]), *own, IndexRange(j, self.dim))

    @property
    def parameters(self) -> tuple[Basic, ...]:
        return (self.mean, self.logvar if self.log_variance else self.scale)

    def code_dimensions(self) -> dict[Basic, str]:
        """How generated code finds the dimension: the length of the mean vector (its last axis)."""
        return {self.dim_symbol: f"{self.mean.label}.shape[-1]"}

    def definitions(self, expr: Expr) -> Expr:
        """``expr`` with the derived scales written through the parameters: ``sigma_j -> exp(logvar_j / 2)``."""
        if not self.log_variance:
            return expr
        return expr.replace(lambda e: isinstance(e, Indexed) and e.base == self.scale,
                            lambda e: exp(mul(HALF, self.logvar[e.indices[0]])))

    # -- checking ------------------------------------------------------------------------------------------
    def sample(self, count: int = PROBES, seed: int = SEED) -> list[Point]:
        """Points with d = 2, 3, 2, 3, ... (or the concrete N), a coordinate j in 1..d, random parameters."""
        import numpy as np

        rng = np.random.default_rng(seed)
        points = []
        for i in range(count):
            d = self.size if self.size is not None else 2 + i % 2
            point: Point = {self.index: np.asarray(int(rng.integers(1, d + 1))), self.mean: rng.uniform(-2, 2, d)}
            if self.size is None:
                point[self.dim_symbol] = np.asarray(d)
            if self.log_variance:
                point[self.logvar] = rng.uniform(-1.5, 1.5, d)
                point[self.scale] = np.exp(point[self.logvar] / 2)
            else:
                point[self.scale] = rng.uniform(0.4, 2.5, d)
            points.append(point)
        return points

    def checker(self):
        """Symbolic d: checked at d = 2 and 3. Concrete N: derived at general d, then written out."""
        where = "d = 2 and 3" if self.size is None else f"d = {self.size}"
        direct = MvChecker(self.sample(), f"{where}, expectations by Gauss-Hermite quadrature",
                           self.definitions if self.log_variance else None)
        if self.size is None:
            return direct

        general = self.general().checker()
        return WrittenOutChecker(general, direct if self.size <= DIRECT_CHECK_UP_TO else None,
                                 Instantiation(self.dim_symbol, self.size))


def marginal(density: Density, index: Expr) -> Marginal:
    """The coordinate density ``q_j(x_j)`` of a Gaussian with diagonal covariance (``Diag`` of squares, or I)."""
    variable, mean, cov = density.variable, density.mean, density.cov
    if not isinstance(variable, Vec):
        raise ValueError("marginals are taken of densities over coordinate vectors")
    if isinstance(cov, Identity):
        std: Expr = S.One
    elif isinstance(cov, Diag) and cov.entry.is_Pow and cov.entry.args[1] == 2:
        std = cov.at(index).args[0]
    elif _multiple_of(cov, Identity) is not None:  # c I: every coordinate has variance c
        std = evaluated(sqrt(_multiple_of(cov, Identity)))
    else:
        raise ValueError("the covariance is not diagonal")
    if isinstance(mean, ZeroMatrix):
        centre: Expr = S.Zero
    elif _multiple_of(mean, OneMatrix) is not None:  # c (1, ..., 1): every coordinate has mean c
        centre = _multiple_of(mean, OneMatrix)
    else:
        centre = mean.base[index]
    return Marginal(density.name, variable.base[index], NormalLaw(centre, std), index)


def _multiple_of(matrix: Basic, kind: type) -> Expr | None:
    """c for the matrix ``c A`` with A of type ``kind`` (an identity or a vector of ones) and c a number."""
    if isinstance(matrix, MatMul) and len(matrix.args) == 2 and matrix.args[0].is_number and \
            isinstance(matrix.args[1], kind):
        return matrix.args[0]
    return None
