"""Settings over vectors: two full-covariance Gaussians in d dimensions, and a diagonal Gaussian against
the standard normal in d dimensions (d symbolic, or a concrete N with every coordinate written out).

Like :class:`~derivation.settings.univariate.Setting` they name their densities ``q`` and ``p``, state themselves
for the document (``statements``, ``assumptions``), and give the checker that suits them
(``checker``), with random points drawn to match their assumptions (``sample``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from types import MappingProxyType
from typing import Any

from sympy import Basic, Eq, Expr, Gt, Indexed, IndexedBase, Integer, S, Sum, Symbol, lambdify, sqrt
from sympy.matrices.expressions import Identity, MatMul, MatrixSymbol, OneMatrix, ZeroMatrix

from ..check.vector_checker import MvChecker, WrittenOutChecker, write_out
from ..check.vector_numeric import MvEvaluator, random_spd
from ..core.engine import Derivation, Rule, derive_chain
from ..core.errors import UsageError
from ..core.forms import evaluated, square
from ..interpret.parse import DistSpec
from ..laws import MvNormalLaw, NormalLaw
from ..laws.normal import SCALE_OF
from ..nodes.families import Instantiation, entrywise
from ..nodes.scalar import KL, Density, Marginal
from ..nodes.vector import Diag, IndexRange, InSpace, PositiveDefinite, Vec
from .univariate import Notation, preset_specs

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
class FullPair(TwoDensities):
    """q = N(m_q, S_q) and p = N(m_p, S_p) over x in R^k with the user's names: means are k x 1 matrix
    symbols or 0, covariances k x k symmetric positive-definite matrix symbols or c I for a number c."""

    notation: Notation
    dim_symbol: Symbol
    size: int | None
    means: tuple[Any, Any]
    covs: tuple[Any, Any]

    @property
    def for_every_dimension(self) -> bool:
        """Whether the result holds for every dimension d (a case written out at d = N cites it as it is: see
        :func:`~derivation.check.vector_checker.write_out`)."""
        return self.size is None

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
        """The means' spaces, then the covariances' positive definiteness."""
        named = [m for m in self.parameters if isinstance(m, MatrixSymbol)]
        return (*(InSpace(m, self.dim) for m in named if m.shape[1] == 1),
                *(PositiveDefinite(m) for m in named if m.shape[1] != 1))

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


#: A claim's witness (the KL integral by quadrature) is computed up to this many coordinates.
WITNESS_UP_TO = 256
#: Sampling ranges of the parameters (per kind of value) for the step checker.
_RANGES = {"positive": (0.4, 2.5), "log": (-1.5, 1.5), "real": (-2.0, 2.0)}

#: Names tried for the internal symbols, first unused wins (the user's names are never taken).
INTERNAL_NAMES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "x": ("x", "y", "t", "u", "xi", "eta"),
    "z": ("z", "zeta", "epsilon", "nu", "omega"),
    "j": ("j", "i", "l", "n", "r"),
    "d": ("d", "n", "D", "N", "K"),
})
#: Names tried for a fresh scale vector of q, of p, and of both when they share one parameter.
FRESH_SCALES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "q": ("sigma", "varsigma", "s", "S"),
    "p": ("tau", "vartheta", "t", "T"),
    "shared": ("sigma", "varsigma", "s", "S"),
})


def _unused(candidates: tuple[str, ...], taken: set[str]) -> str:
    found = next((name for name in candidates if name not in taken), None)
    if found is None:
        raise UsageError(f"rename a parameter: the names {', '.join(candidates)} are all taken")
    return found


def _names_of(*specs: DistSpec) -> set[str]:
    return {v.name for spec in specs for v in (spec.loc, spec.param, spec.dim) if isinstance(v, Symbol)}


# ----------------------------------------------------------------------------------------------------
# Diagonal pairs
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VectorScale:
    """A scale vector the derivation uses (``symbol``) and the user's vector it stands for (``kind=param``).

    The entrywise counterpart of :class:`derivation.pairs.univariate.ScaleSlot` (same fields): ``symbol`` and
    ``param`` are ``IndexedBase`` vectors, and ``symbol_j = SCALE_OF[kind](param_j)`` for every j.
    """

    symbol: IndexedBase
    kind: str
    param: IndexedBase


def _vector(symbol: Symbol) -> IndexedBase:
    """The vector a spec's name stands for: entries positive when the name is positive, else real."""
    return IndexedBase(symbol.name, positive=True) if symbol.is_positive else IndexedBase(symbol.name, real=True)


@dataclass(frozen=True)
class DiagonalPair(TwoDensities):
    """q = N(m_q, diag(s_q**2)) and p = N(m_p, diag(s_p**2)) over x in R^d, in the user's vectors.

    ``means`` and ``scales`` are (q's, p's): an ``IndexedBase`` (one entry per coordinate) or a
    number (the same in every coordinate). ``scale_slots`` are the scale vectors that stand for a
    user's vector (its own, ``kind`` "scale", or a fresh one defined from it). ``size`` None: the
    dimension is the user's symbol ``dim_symbol``; an integer N: the derivation is made at general d
    (``dim_symbol`` is then internal) and written out at d = N.
    """

    notation: Notation
    dim_symbol: Symbol
    size: int | None
    means: tuple[Any, Any]
    scales: tuple[Any, Any]
    scale_slots: tuple[VectorScale, ...] = ()
    vectors: tuple[IndexedBase, ...] = ()  # the user's vectors, in reading order
    kinds: Mapping[IndexedBase, str] = field(default_factory=lambda: MappingProxyType({}))
    #: How a named case presents the pair (a user's pair keeps the defaults): the vectors' names in generated
    #: code (``{"ell": "logvar"}``: what VAE code calls the log-variance), and whether the Setting paragraph
    #: writes q in the derivation's variances ``sigma_j**2`` with each definition ``sigma_j**2 = e^{ell_j}``
    #: among the assumptions (as a case that derives in the variances does) rather than in the user's vectors.
    code_names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    in_variances: bool = False

    # -- symbols -----------------------------------------------------------------------------------------
    @property
    def dim(self) -> Expr:
        return self.dim_symbol if self.size is None else Integer(self.size)

    @property
    def mean(self) -> Any:
        """q's mean vector (the vae and diagonal cases' ``mu``)."""
        return self.means[0]

    @property
    def scale(self) -> Any:
        """q's scale vector, the one the derivation uses (``sigma``, perhaps fresh)."""
        return self.scales[0]

    @property
    def logvar(self) -> IndexedBase | None:
        """The user's log-variance vector that q's scale stands for (None if q is given otherwise)."""
        return next((s.param for s in self.scale_slots if s.kind == "logvar" and s.symbol == self.scale), None)

    @cached_property
    def index(self) -> Symbol:
        return Symbol(self.notation.name("j"), integer=True, positive=True)

    @cached_property
    def coordinates(self) -> IndexedBase:
        return IndexedBase(self.notation.name("x"), real=True)

    @cached_property
    def z(self) -> Symbol:
        return self.notation.real("z")

    @property
    def x(self) -> Vec:
        return Vec(self.coordinates, self.dim)

    @property
    def slots(self) -> tuple[VectorScale, ...]:
        """The scale vectors (for diagnoses: each may be read in another parameterisation)."""
        return self.scale_slots

    @cached_property
    def fresh(self) -> dict[IndexedBase, Callable[[Basic], Expr]]:
        """Each fresh scale vector -> its entry at an index, in the user's vector."""
        return {s.symbol: (lambda i, s=s: SCALE_OF[s.kind](s.param[i])) for s in self.scale_slots
                if s.kind != "scale"}

    # -- densities -----------------------------------------------------------------------------------------
    def _mean(self, value: Any) -> Any:
        if isinstance(value, IndexedBase):
            return Vec(value, self.dim)
        if value == 0:
            return ZeroMatrix(self.dim, 1)
        return MatMul(value, OneMatrix(self.dim, 1))

    def _cov(self, value: Any) -> Any:
        if isinstance(value, IndexedBase):
            return Diag(square(value[self.index]), self.index, self.dim)
        if value == 1:
            return Identity(self.dim)
        return MatMul(evaluated(square(value)), Identity(self.dim))

    def _density(self, role: int) -> Density:
        name = self.notation.name("q" if role == 0 else "p")
        return Density(name, self.x, MvNormalLaw(self._mean(self.means[role]), self._cov(self.scales[role])))

    def general(self) -> DiagonalPair:
        """The same pair at general d."""
        return self if self.size is None else replace(self, size=None)

    # -- the user's terms ------------------------------------------------------------------------------------
    def definition_of(self, node: Basic) -> Expr | None:
        """A fresh scale's entry ``sigma_i`` -> its definition ``exp(lv_i / 2)`` (None for anything else)."""
        if isinstance(node, Indexed) and node.base in self.fresh:
            return self.fresh[node.base](node.indices[0])
        return None

    def definition_identities(self, expr: Basic) -> tuple[Eq, ...]:
        """``sigma_j = exp(lv_j / 2)`` for each fresh scale vector ``expr`` uses."""
        used = {n.base for n in expr.atoms(Indexed)}
        j = self.index
        return tuple(Eq(base[j], define(j), evaluate=False) for base, define in self.fresh.items() if base in used)

    def in_user_terms(self, expr: Basic) -> Basic:
        """``expr`` with every fresh scale's entry replaced by its definition."""
        return entrywise(expr, self.fresh)

    def as_stated(self, expr: Basic) -> Basic:
        """A law's parameter as the Setting paragraph (and an export's docstring) states it: in the user's vectors,
        or, ``in_variances``, in the derivation's variances, as it is."""
        return expr if self.in_variances else self.in_user_terms(expr)

    def instantiate(self, expr: Basic) -> Basic:
        """A line at general d written out at the concrete dimension (itself when d is symbolic)."""
        return expr if self.size is None else self._instantiation(expr)

    @cached_property
    def _instantiation(self) -> Instantiation:
        return Instantiation(self.dim_symbol, self.size or 1)

    # -- the document's Setting paragraph -----------------------------------------------------------------
    def statements(self) -> tuple[Basic, ...]:
        """``q = x ~ N(mu, diag(e^{lv_1}, ...))``, ``p = ...`` in the user's vectors, then each fresh scale's
        definition."""
        laws = tuple(Eq(Symbol(d.name), Density("", d.variable, MvNormalLaw(
            d.mean, evaluated(self.as_stated(d.cov)) if isinstance(d.cov, Diag) else d.cov)), evaluate=False)
                     for d in (self.q, self.p))
        if self.in_variances:  # the definitions are among the assumptions
            return laws
        j = self.index
        return laws + tuple(Eq(base[j], define(j), evaluate=False) for base, define in self.fresh.items())

    def assumptions(self) -> tuple[Basic, ...]:
        """Each user vector's domain (then, ``in_variances``, each fresh variance's definition ``sigma_j**2 =
        e^{ell_j}``), and the range of the index."""
        j = self.index
        own = tuple(Gt(v[j], 0, evaluate=False) if v.is_positive else InSpace(v[j]) for v in self.vectors)
        if self.in_variances:
            own += tuple(Eq(square(base[j]), evaluated(square(define(j))), evaluate=False)
                         for base, define in self.fresh.items())
        return (*own, IndexRange(j, self.dim))

    @property
    def parameters(self) -> tuple[Basic, ...]:
        """The arguments of exported code: the user's vectors (the dimension too, when no vector tells it)."""
        return self.vectors if self.vectors or self.size is not None else (self.dim_symbol,)

    @property
    def user_parameters(self) -> tuple[Basic, ...]:
        """What a claim's numeric check samples: the user's vectors, and the dimension when it is symbolic."""
        return self.vectors + ((self.dim_symbol,) if self.size is None else ())

    def code_dimensions(self) -> dict[Basic, str]:
        """How generated code finds the dimension: the length of the first vector (its last axis)."""
        return {self.dim_symbol: f"{self.vectors[0].label}.shape[-1]"} if self.vectors else {}

    # -- checking ------------------------------------------------------------------------------------------
    def _range(self, vector: IndexedBase) -> tuple[float, float]:
        kind = self.kinds.get(vector, "loc")
        if vector.is_positive:
            return _RANGES["positive"]
        return _RANGES["log"] if kind in ("logvar", "log_scale") else _RANGES["real"]

    @cached_property
    def _numeric_definitions(self) -> dict[IndexedBase, Callable]:
        """Each fresh scale vector -> a NumPy function of its user vector (printed from the same definition)."""
        import numpy as np

        t = Symbol("t", real=True)
        # numpy's own namespace, not "numpy" (SymPy's "from numpy import *" imports f2py, testing and more: 0.15 s)
        return {s.symbol: (s.param, lambdify(t, self.fresh[s.symbol](0).xreplace({s.param[0]: t}), modules=[np]))
                for s in self.scale_slots if s.symbol in self.fresh}

    def numeric_point(self, values: Mapping[IndexedBase, Any], dim: int) -> dict:
        """A point of the step checker: the user's vectors (NumPy arrays), the fresh scales computed from them."""
        import numpy as np

        point: dict = {v: np.asarray(values[v], dtype=float) for v in self.vectors}
        point[self.dim_symbol] = np.asarray(dim)
        for symbol, (param, function) in self._numeric_definitions.items():
            point[symbol] = np.asarray(function(point[param]), dtype=float)
        return point

    def sample(self, count: int = PROBES, seed: int = SEED) -> list[dict]:
        """Points with d = 2, 3, 2, 3, ... (or the concrete N), a coordinate j in 1..d, random vectors."""
        import numpy as np

        rng = np.random.default_rng(seed)
        points = []
        for i in range(count):
            d = self.size if self.size is not None else 2 + i % 2
            point = self.numeric_point({v: rng.uniform(*self._range(v), d) for v in self.vectors}, d)
            point[self.index] = np.asarray(int(rng.integers(1, d + 1)))
            points.append(point)
        return points

    def direct_checker(self) -> MvChecker:
        """Checks lines as they stand, at d = 2 and 3 (or at the concrete N: over R^N)."""
        where = "d = 2 and 3" if self.size is None else f"d = {self.size}"
        return MvChecker(self.sample(), f"{where}, expectations by Gauss-Hermite quadrature", self.in_user_terms)

    def checker(self):
        """Symbolic d: checked at d = 2 and 3. Concrete N: derived at general d, then written out (and checked again
        line by line up to :data:`DIRECT_CHECK_UP_TO` coordinates)."""
        if self.size is None:
            return self.direct_checker()
        return WrittenOutChecker(self.general().direct_checker(),
                                 self.direct_checker() if self.size <= DIRECT_CHECK_UP_TO else None,
                                 self._instantiation)

    def derive(self, name: str, title: str, plan: tuple[Rule, ...], description: str = "") -> Derivation:
        """The plan applied at general d, every step checked; written out at the concrete dimension, if any."""
        general = self.general()
        checker = general.direct_checker()
        derivation = derive_chain(name, title, general.start(), plan, general, description,
                                  check=lambda i, before, step: checker.check_step(i, before, step, title),
                                  skip_unfit=True)
        if self.size is None:
            return derivation
        direct = self.direct_checker() if self.size <= DIRECT_CHECK_UP_TO else None
        return replace(write_out(derivation, self._instantiation, self, direct), setting=self)

    def closed(self, title: str, plan: tuple[Rule, ...]) -> Expr:
        """The plan's result (rules only, unchecked): at general d, with d = N put in when the dimension is
        concrete (its sums kept, not written out: a claim is compared with it term by term)."""
        general = self.general()
        result = derive_chain("custom", title, general.start(), plan, general, skip_unfit=True).result
        return result if self.size is None else result.xreplace({self.dim_symbol: Integer(self.size)})

    # -- the definition, for a claim's witness -----------------------------------------------------------
    def kl_values(self, points: list[Mapping[Basic, Any]]) -> list[float | None]:
        """KL(q || p) by quadrature at claim points (vectors as lists of numbers): over R^d for d <= 3, else as
        the sum over the coordinates of the one-dimensional divergences (the densities factorise); None above
        :data:`WITNESS_UP_TO` coordinates (the witness would cost more than the claim's whole time budget)."""
        general = self.general()
        out: list[float | None] = []
        for point in points:
            d = self.size if self.size is not None else int(point[self.dim_symbol])
            if d > WITNESS_UP_TO:
                out.append(None)
                continue
            values = {v: [float(x) for x in point[v]] for v in self.vectors}
            numeric = general.numeric_point(values, d)
            j = general.index
            line = general.start() if d <= 3 else \
                Sum(KL(marginal(general.q, j), marginal(general.p, j)), (j, 1, general.dim))
            out.append(float(MvEvaluator([numeric]).values(line)[0]))
        return out


def diagonal_pair(q: DistSpec, p: DistSpec, notation: Notation | None = None, *,
                  code_names: Mapping[str, str] = MappingProxyType({}), in_variances: bool = False) -> DiagonalPair:
    """The setting of two ``DiagNormal`` specs (already checked to have the same dimension).

    A user's pair (``notation`` None) takes its internal names (x, j, d, a fresh scale) from the first that its
    own names leave free; a named case gives its ``notation`` (which names them) and how it presents the pair
    (``code_names``, ``in_variances``: see :class:`DiagonalPair`).
    """
    taken = _names_of(q, p)
    fresh_names = dict(FRESH_SCALES)
    if notation is None:
        names = {role: _unused(candidates, taken) for role, candidates in INTERNAL_NAMES.items()}
        if isinstance(q.dim, Symbol):
            names["d"] = q.dim.name
        notation = Notation(MappingProxyType(names))
    else:
        names = {role: notation.name(role) for role in INTERNAL_NAMES}
        own = (notation.name("sigma"),)
        fresh_names = {role: own + candidates for role, candidates in FRESH_SCALES.items()}
    size = q.dim if isinstance(q.dim, int) else None
    dim_symbol = q.dim if isinstance(q.dim, Symbol) else Symbol(names["d"], integer=True, positive=True)
    vectors: dict[IndexedBase, None] = {}
    kinds: dict[IndexedBase, str] = {}

    def as_vector(value: Any, kind: str) -> Any:
        if not isinstance(value, Symbol):
            return value
        vector = _vector(value)
        vectors.setdefault(vector, None)
        kinds.setdefault(vector, kind)
        return vector

    means = (as_vector(q.loc, "loc"), as_vector(p.loc, "loc"))
    params = (as_vector(q.param, q.param_kind), as_vector(p.param, p.param_kind))
    shared = q.param_kind == p.param_kind and q.param == p.param

    scales: list[Any] = []
    slots: list[VectorScale] = []
    for role, spec, param in (("q", q, params[0]), ("p", p, params[1])):
        if not isinstance(param, IndexedBase):
            scales.append(evaluated(SCALE_OF[spec.param_kind](param)))
            continue
        if spec.param_kind == "scale":
            scales.append(param)
            slots.append(VectorScale(param, "scale", param))
            continue
        if shared and role == "p":
            scales.append(scales[0])
            continue
        fresh = IndexedBase(_unused(fresh_names["shared" if shared else role], taken), positive=True)
        taken.add(fresh.name)
        scales.append(fresh)
        slots.append(VectorScale(fresh, spec.param_kind, param))
    return DiagonalPair(notation, dim_symbol, size, means, tuple(scales), tuple(slots), tuple(vectors),
                        MappingProxyType(kinds), MappingProxyType(dict(code_names)), in_variances)


def preset_pair(specs: tuple[str, str], notation: Notation, size: int | None = None, *,
                code_names: Mapping[str, str] = MappingProxyType({}), in_variances: bool = False) -> DiagonalPair:
    """A named case's setting: its preset ``DiagNormal`` specs as :func:`~derivation.settings.univariate.preset_specs`
    reads them (the spec parser of ``--q``/``--p``, the case's notation, ``--dim``), made into the same
    :class:`DiagonalPair` as a user's pair by :func:`diagonal_pair`."""
    q, p = preset_specs(specs, notation, size)
    return diagonal_pair(q, p, notation, code_names=code_names, in_variances=in_variances)


def full_pair(q: DistSpec, p: DistSpec, notation: Notation | None = None) -> FullPair:
    """The setting of two ``MvNormal`` specs (already checked to have the same dimension).

    A mean is a name or 0, a covariance a name or 1 (the identity); anything else is refused. A user's pair
    (``notation`` None) takes the names of x and d from the first its own names leave free; a named case gives
    its notation.
    """
    for role, spec in (("q", q), ("p", p)):
        if not isinstance(spec.loc, Symbol) and spec.loc != 0:
            raise UsageError(f"{role}: an MvNormal mean is a name or 0 (got {spec.loc})")
        if not isinstance(spec.param, Symbol) and spec.param != 1:
            raise UsageError(f"{role}: an MvNormal covariance is a name or 1 for the identity (got {spec.param})")
    if notation is None:
        taken = _names_of(q, p)
        names = {role: _unused(candidates, taken) for role, candidates in INTERNAL_NAMES.items()
                 if role in ("x", "d")}
        if isinstance(q.dim, Symbol):  # the user's dimension (lemmas in the general setting use it too)
            names["d"] = q.dim.name
        notation = Notation(MappingProxyType(names))
    size = q.dim if isinstance(q.dim, int) else None
    dim_symbol = q.dim if isinstance(q.dim, Symbol) else Symbol(notation.name("d"), integer=True, positive=True)
    return FullPair(notation, dim_symbol, size, (q.loc, p.loc), (q.param, p.param))


#: The ``full`` case's pair, as a user writes it (also the setting of the lemma the specialised routes cite).
FULL_PRESET = ("MvNormal(mu_q, cov=Sigma_q, dim=d)", "MvNormal(mu_p, cov=Sigma_p, dim=d)")


def preset_full(notation: Notation) -> FullPair:
    """Two Gaussians with full covariance in ``notation``: :data:`FULL_PRESET` as
    :func:`~derivation.settings.univariate.preset_specs` reads it, made into a :class:`FullPair` by
    :func:`full_pair`, as a user's pair is."""
    return full_pair(*preset_specs(FULL_PRESET, notation), notation)


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
