"""Two Dirichlet laws over the same K coordinates, each given by its vector of concentrations (or one number for
every coordinate), and the checker that evaluates their lines: K = 2 and 3 when K is a name, concentrations drawn
in [0.8, 3], sums over the coordinates written out, and each expectation under a Dirichlet law integrated over
the simplex by a product tanh-sinh rule (K = 2: one dimension; K = 3: the triangle mapped onto the unit square,
``x_1 = u``, ``x_2 = (1 - u) v``, ``x_3 = (1 - u)(1 - v)``, Jacobian ``1 - u``), each under a Beta law (a
coordinate's marginal) on the unit interval.

A K given as a number above 3 is too many dimensions for a product rule: there the expectation of a line affine in
the logarithms of the coordinates (every line of this derivation) is its constant plus each coefficient times the
expected logarithm of that coordinate, integrated against the coordinate's Beta marginal (one dimension); a line of
another shape is refused."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sympy import (
    Basic,
    Contains,
    Eq,
    Expr,
    Float,
    Indexed,
    IndexedBase,
    Integer,
    Interval,
    Sum,
    Symbol,
    exp,
    expand,
    expand_log,
    lambdify,
    log,
    oo,
)

from ..check.checker import Checker, symbolic_reason
from ..core.engine import Check, Derivation, Rule, derive_chain
from ..core.errors import DerivationError
from ..core.forms import evaluated
from ..laws.beta import BetaLaw
from ..laws.dirichlet import INDEX, DirichletLaw, with_totals
from ..nodes.scalar import KL, Density, Expectation
from ..nodes.vector import IndexRange
from .laws import LawPair

PROBES = 4
SEED = 2612_0312
#: The numbers of coordinates drawn when K is a name.
SIZES = (2, 3, 3, 2)
#: Concentrations are drawn in this range (below 1 the density is unbounded on the faces of the simplex).
CONCENTRATIONS = (0.8, 3.0)
#: Relative and absolute tolerance of the double-precision quadrature.
TOLERANCE = 1e-9
#: Largest number of coordinates integrated over the simplex itself.
QUADRATURE_UP_TO = 3


def _tanh_sinh(step: float = 1 / 24, reach: float = 3.6):
    """Nodes ``u``, ``1 - u`` (each computed without cancellation) and weights of the tanh-sinh rule on [0, 1]."""
    import numpy as np

    t = np.arange(-reach, reach + step / 2, step)
    s = np.pi / 2 * np.sinh(t)
    low, high = 1 / (1 + np.exp(-2 * s)), 1 / (1 + np.exp(2 * s))
    weights = step * np.pi / 2 * np.cosh(t) / (2 * np.cosh(s) ** 2)
    return low, high, weights


@dataclass(frozen=True)
class DirichletPair(LawPair):
    """q = Dirichlet(alpha) and p = Dirichlet(beta) over the coordinates k = 1, ..., K of x on the simplex."""

    #: The index of the sums over the coordinates (``sum_k``), free in a lemma about one coordinate.
    index: Symbol = field(default=INDEX, kw_only=True)
    #: The variable of a coordinate's Beta marginal.
    marginal: Symbol = field(default=Symbol("t", positive=True), kw_only=True)

    @property
    def coordinates(self) -> Expr:
        """K, the number of coordinates."""
        return self.q.law.size

    @property
    def dim(self) -> Expr:
        """K, as the rules over coordinate sums name it."""
        return self.coordinates

    @property
    def vectors(self) -> tuple[IndexedBase, ...]:
        """The user's concentration vectors."""
        return tuple(dict.fromkeys(d.law.concentration for d in (self.q, self.p) if not d.law.symmetric))

    @property
    def parameters(self) -> tuple[Basic, ...]:
        """The arguments of exported code: the user's vectors (their last axis is K)."""
        return self.vectors

    @property
    def user_parameters(self) -> tuple[Basic, ...]:
        return self.vectors + ((self.coordinates,) if isinstance(self.coordinates, Symbol) else ())

    def assumptions(self) -> tuple[Basic, ...]:
        """Each concentration positive, its total, x on the simplex, k = 1, ..., K."""
        k = self.index
        x = self.q.variable
        out: list[Basic] = [Contains(v[k], Interval.open(0, oo), evaluate=False) for v in self.vectors]
        out += self.totals()
        out += [Contains(x[k], Interval.open(0, 1), evaluate=False),
                Eq(Sum(x[k], (k, 1, self.coordinates)), 1, evaluate=False)]
        return (*out, IndexRange(k, self.coordinates))

    def conditions(self) -> tuple[Basic, ...]:
        return ()

    @property
    def laws(self) -> tuple[DirichletLaw, DirichletLaw]:
        return self.q.law, self.p.law

    def statements(self) -> tuple[Basic, ...]:
        return tuple(Eq(Symbol(d.name), Density("", d.variable, d.law), evaluate=False) for d in (self.q, self.p))

    def totals(self) -> tuple[Eq, ...]:
        """Each total concentration: ``a_0 = sum_j a_j``."""
        found = {d.law.total(): d.law.total_sum() for d in (self.q, self.p) if not d.law.symmetric}
        return tuple(Eq(total, value, evaluate=False) for total, value in found.items())

    def in_user_terms(self, expr: Expr) -> Expr:
        return expr

    def code_terms(self, expr: Expr) -> Expr:
        """The result as code computes it: each total concentration the sum of its vector."""
        return with_totals(expr, self.laws)

    def code_dimensions(self) -> dict[Basic, str]:
        if isinstance(self.coordinates, Symbol) and self.vectors:
            return {self.coordinates: f"{self.vectors[0].label}.shape[-1]"}
        return {}

    def sample(self, count: int = PROBES, seed: int = SEED) -> list[dict]:
        """Random points: K (2, 3 when it is a name), concentrations in [0.8, 3], and the coordinate k a lemma
        about one coordinate is taken at (one of 1, ..., K)."""
        import numpy as np

        rng = np.random.default_rng(seed)
        points = []
        for i in range(count):
            size = int(self.coordinates) if self.coordinates.is_Integer else SIZES[i % len(SIZES)]
            point: dict = {"size": size, self.index: int(rng.integers(1, size + 1))}
            if not self.coordinates.is_Integer:
                point[self.coordinates] = size
            for v in self.vectors:
                point[v] = rng.uniform(*CONCENTRATIONS, size=size)
            points.append(point)
        return points

    def checker(self) -> Checker:
        return DirichletChecker(self.sample(), self.index, self.laws)

    def derive(self, name: str, title: str, plan: tuple[Rule, ...], description: str = "") -> Derivation:
        checker = self.checker()
        return derive_chain(name, title, self.start(), plan, self, description,
                            check=lambda i, before, step: checker.check_step(i, before, step, title), skip_unfit=True)


class DirichletEvaluator:
    """The value of a line at a point (see the module docstring): a float."""

    def __init__(self, point: dict, index: Symbol, laws: tuple[DirichletLaw, ...]):
        self.point = point
        self.laws = laws
        self.size = point["size"]
        self.index = index
        self._cache: dict[Basic, float] = {}
        self._means: dict[tuple[float, ...], list[float]] = {}

    # -- the line made concrete: K a number, sums written out, vectors' entries numbers ---------------------
    def concrete(self, expr: Basic) -> Basic:
        """``expr`` at the point: K its number of coordinates, every sum over an index written out, the free
        index its coordinate, each concentration's entries numbers (densities and expectations kept)."""
        size = self.size
        replacements = {s: Integer(v) for s, v in self.point.items() if isinstance(s, Symbol)}
        expr = with_totals(expr, self.laws)

        def walk(e: Basic) -> Basic:
            if isinstance(e, Sum):
                (i, low, high), = e.limits
                low, high = (evaluated(b).xreplace(replacements) for b in (low, high))
                if not (low.is_Integer and high.is_Integer):
                    raise DerivationError(f"a sum over {i} with limits {low}, {high}")
                return sum((walk(e.function.xreplace({i: Integer(j)})) for j in range(int(low), int(high) + 1)),
                           Integer(0))
            if isinstance(e, Indexed) and e.base in self.point and e.indices[0].xreplace(replacements).is_Integer:
                return Float(float(self.point[e.base][int(e.indices[0].xreplace(replacements)) - 1]), 17)
            if isinstance(e, Symbol) and e in replacements:
                return replacements[e]
            if isinstance(e, DirichletLaw):
                return e if e.size.is_Integer else e.numeric_size(size)
            if not e.args or isinstance(e, IndexedBase):
                return e
            return e.func(*(walk(a) for a in e.args))

        return walk(expr)

    def value(self, expr: Basic) -> float:
        if expr not in self._cache:
            self._cache[expr] = self._value(expr)
        return self._cache[expr]

    def _value(self, expr: Basic) -> float:
        line = self.concrete(evaluated(expr))
        found: dict[Basic, Symbol] = {}

        def walk(e: Basic) -> Basic:
            if isinstance(e, KL | Expectation):
                if e not in found:
                    found[e] = Symbol(f"_e{len(found)}")
                return found[e]
            if not e.args or isinstance(e, IndexedBase | Indexed):
                return e
            return e.func(*(walk(a) for a in e.args))

        scalar = walk(line)
        values = {s: Float(self._expectation(e), 17) for e, s in found.items()}
        out = complex(scalar.xreplace(values).evalf(17))
        if abs(out.imag) > 1e-12:
            raise DerivationError("a complex value")
        return out.real

    # -- expectations -------------------------------------------------------------------------------------
    def _expectation(self, e: Basic) -> float:
        if isinstance(e, KL):
            q, p = e.q, e.p
            body = log(q) - log(p)
            return self._under(body, q)
        return self._under(e.expr, e.density)

    def _explicit(self, expr: Basic) -> Basic:
        """``expr`` with each density written out (a Dirichlet density by its log-density)."""
        def walk(e: Basic) -> Basic:
            if isinstance(e, Density):
                return exp(self.concrete(e.law.log_pdf(e.variable)))
            if isinstance(e, KL | Expectation):
                raise DerivationError("an expectation inside an expectation")
            if not e.args or isinstance(e, IndexedBase | Indexed):
                return e
            return e.func(*(walk(a) for a in e.args))

        return self.concrete(evaluated(walk(expr)))

    def _under(self, body: Basic, density: Density) -> float:
        import numpy as np

        law = density.law
        integrand = self._explicit(body)
        if isinstance(law, BetaLaw):
            a, b = (float(self.concrete(evaluated(c)).evalf(17)) for c in law.args)
            t = density.variable
            low, high, w = _tanh_sinh()
            logpdf = (a - 1) * np.log(low) + (b - 1) * np.log(high) - _betaln(a, b)
            values = np.log(low) if integrand == log(t) else lambdify(t, integrand, modules="numpy")(low)
            return float(np.sum(w * np.exp(logpdf) * np.broadcast_to(values, low.shape)))
        if not isinstance(law, DirichletLaw):
            raise DerivationError(f"an expectation under a {law.family} law")
        size = self.size
        x = density.variable
        alphas = np.array([float(self.concrete(law.at(Integer(i))).evalf(17)) for i in range(1, size + 1)])
        names = [Symbol(f"_x{i}") for i in range(1, size + 1)]
        integrand = integrand.xreplace({x[Integer(i)]: names[i - 1] for i in range(1, size + 1)})
        if integrand.has(x):
            raise DerivationError("a coordinate of the variable not written out")
        logs = [Symbol(f"_l{i}") for i in range(size)]
        affine = expand(expand_logs(integrand, names, logs))
        if not (affine.free_symbols - set(logs) or any(affine.diff(s).free_symbols for s in logs)):
            # affine in the logarithms (every line of this derivation): its constant plus each coefficient times
            # that coordinate's expected logarithm, integrated once per point
            means = self._mean_logs(alphas)
            return float(affine.xreplace(dict.fromkeys(logs, 0))) + sum(
                float(affine.diff(s)) * m for s, m in zip(logs, means, strict=True))
        if size > QUADRATURE_UP_TO:
            raise DerivationError("a line not affine in the logarithms of the coordinates")
        f = lambdify(names, integrand, modules="numpy")
        coords, weight, log_pdf = self._simplex(alphas)
        values = np.broadcast_to(f(*coords), coords[0].shape)
        return float(np.sum(weight * np.exp(log_pdf) * values))

    def _simplex(self, alphas):
        """The product tanh-sinh rule on the simplex of ``len(alphas)`` (2 or 3) coordinates: the coordinates at the
        nodes, the weights and the Dirichlet log-density there."""
        import numpy as np

        low, high, w = _tanh_sinh()
        if len(alphas) == 2:
            coords, weight = (low, high), w
        else:
            u, v = np.meshgrid(low, low, indexing="ij")
            cu, cv = np.meshgrid(high, high, indexing="ij")
            wu, wv = np.meshgrid(w, w, indexing="ij")
            coords, weight = (u, cu * v, cu * cv), wu * wv * cu
        log_norm = math.lgamma(float(alphas.sum())) - sum(math.lgamma(float(a)) for a in alphas)
        log_pdf = log_norm + sum((a - 1) * np.log(c) for a, c in zip(alphas, coords, strict=True))
        return coords, weight, log_pdf

    def _mean_logs(self, alphas) -> list[float]:
        """``E[log x_i]`` for each coordinate: by quadrature over the simplex (K = 2, 3), else against the
        coordinate's Beta marginal ``Beta(alpha_i, alpha_0 - alpha_i)`` (one dimension)."""
        import numpy as np

        key = tuple(float(a) for a in alphas)
        if key not in self._means:
            if len(alphas) <= QUADRATURE_UP_TO:
                coords, weight, log_pdf = self._simplex(alphas)
                density = weight * np.exp(log_pdf)
                self._means[key] = [float(np.sum(density * np.log(c))) for c in coords]
            else:
                low, high, w = _tanh_sinh()
                self._means[key] = [
                    float(np.sum(w * np.exp((a - 1) * np.log(low) + (alphas.sum() - a - 1) * np.log(high)
                                            - _betaln(a, alphas.sum() - a)) * np.log(low))) for a in alphas]
        return self._means[key]


def _betaln(a: float, b: float) -> float:
    """``log B(a, b)``."""
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def expand_logs(expr: Expr, names: list[Symbol], logs: list[Symbol]) -> Expr:
    """``expr`` with each ``log`` of a product of powers of the coordinates written as a sum of their logarithms
    (``log _x1`` the symbol ``_l1``)."""
    out = expand_log(expr, force=True)
    return out.xreplace({log(n): s for n, s in zip(names, logs, strict=True)})


class DirichletChecker(Checker):
    """Symbolic normal forms first, then the values of both lines at the random points (double precision)."""

    def __init__(self, points: list[dict], index: Symbol, laws: tuple[DirichletLaw, ...]):
        self.points = points
        self.evaluators = [DirichletEvaluator(p, index, laws) for p in points]
        self._verified: dict = {}

    def check(self, index: int, before: Expr, after: Expr) -> Check:
        try:
            reason = symbolic_reason(before, after)
        except (TypeError, ValueError, AttributeError, NotImplementedError):
            reason = None
        if reason is not None:
            return Check(index, True, "symbolic", reason)
        for evaluator in self.evaluators:
            try:
                a, b = evaluator.value(before), evaluator.value(after)
            except (DerivationError, ArithmeticError, ValueError, TypeError) as error:
                return Check(index, False, "numeric", f"could not evaluate the lines numerically: {error}")
            if not abs(a - b) <= TOLERANCE * max(1.0, abs(a), abs(b)):
                return Check(index, False, "numeric", f"at K = {evaluator.size}: before {a:.12g}, after {b:.12g}")
        sizes = sorted({e.size for e in self.evaluators})
        return Check(index, True, "numeric", f"agree at {len(self.evaluators)} random points (K = "
                                             f"{', '.join(map(str, sizes))}, quadrature over the simplex)")


def dirichlet_pair(q_concentration: Expr, p_concentration: Expr, size: Expr | int, variable: str = "x",
                   marginal: str = "t") -> DirichletPair:
    """The pair over the coordinates ``k = 1, ..., size`` of ``x`` on the simplex."""
    x = IndexedBase(variable, positive=True)
    size = Integer(size) if isinstance(size, int) else size
    return DirichletPair(q=Density("q", x, DirichletLaw(q_concentration, size)),
                         p=Density("p", x, DirichletLaw(p_concentration, size)),
                         marginal=Symbol(marginal, positive=True))
