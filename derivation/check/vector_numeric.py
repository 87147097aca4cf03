"""Numeric values of derivation lines over vectors and matrices (NumPy), at sampled points.

The checker's independent witness for lines SymPy cannot compare symbolically: matrix expressions
(traces, determinants, inverses, quadratic forms), sums over a coordinate index, and expectations or
integrals over R^k. A line is evaluated by walking its expression tree once per point, with NumPy
arrays as values (no lambdified expression is built): a scalar is an array of the batch shape, a
matrix has two more axes. Expectations and integrals are done by tensor-product Gauss-Hermite
quadrature centred on a Gaussian density of the integrand, with the integration variable bound to
all nodes at once (a leading batch axis). That is exact for polynomials of degree < 2n times the
Gaussian, which is what these lines hold; the dimensions are sampled small (k, d in {2, 3}).

A point maps symbols to values: scalars to floats, ``IndexedBase`` vectors to 1-D arrays (entry j
at position j - 1), ``MatrixSymbol`` matrices to 2-D arrays, dimension and index symbols to ints.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from sympy import (
    Abs,
    Add,
    Basic,
    Indexed,
    IndexedBase,
    Integral,
    Mul,
    NumberSymbol,
    Pow,
    Product,
    Sum,
    Symbol,
    exp,
    log,
    oo,
)
from sympy.matrices.expressions import (
    Determinant,
    Identity,
    Inverse,
    MatAdd,
    MatMul,
    MatrixSymbol,
    OneMatrix,
    Trace,
    Transpose,
    ZeroMatrix,
)

from ..core.lazy import LazyModule
from ..interpret.parse import parse_claim
from ..nodes.scalar import KL, Density, Expectation, Named
from ..nodes.vector import CodeLine, Diag, MatExpectation, QuadForm, SpaceIntegral, Vec
from .walk import Walker

np = LazyModule("numpy")

Point = dict[Basic, Any]

#: Gauss-Hermite nodes per dimension: one-dimensional integrals, and integrals over R^k.
NODES_1D = 24
NODES_PER_AXIS = 6
RTOL = 1e-9
ATOL = 1e-10


class EvaluationError(Exception):
    """A line holds something the evaluator cannot give a value for."""


@cache
def _hermite(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes t and weights w with ``sum w f(t) = E[f(Z)]`` for Z ~ N(0, 1) (exact for degree < 2n)."""
    t, w = np.polynomial.hermite.hermgauss(n)
    return np.sqrt(2.0) * t, w / np.sqrt(np.pi)


@cache
def _tensor_rule(dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes (B, dim) and weights (B,) for ``E[f(Z)]``, Z ~ N(0, I_dim)."""
    t, w = _hermite(NODES_1D if dim == 1 else NODES_PER_AXIS)
    nodes = np.array(list(itertools.product(t, repeat=dim)), dtype=float).reshape(-1, dim)
    weights = np.array([np.prod(c) for c in itertools.product(w, repeat=dim)], dtype=float)
    return nodes, weights


def _is_matrix(expr: Basic) -> bool:
    return bool(getattr(expr, "is_Matrix", False))


def _int(value: Any, what: str) -> int:
    array = np.asarray(value)
    if array.shape != () or not float(array).is_integer():
        raise EvaluationError(f"{what} must be a whole number, got {value!r}")
    return int(array)


def _scale(scalar: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """``scalar * matrix`` where the scalar may carry a batch axis."""
    return np.asarray(scalar)[..., None, None] * matrix


class _Walk(Walker):
    """One evaluation at one point: a recursive walk (:class:`~.walk.Walker`, its table :data:`_DISPATCH`) with a
    mutable binding of bound variables."""

    def __init__(self, point: Point):
        self.env: dict[Basic, Any] = dict(point)
        self.batched = False

    # -- entry ---------------------------------------------------------------------------------------
    def unknown(self, expr: Basic) -> np.ndarray:
        return _unknown(expr)

    def bind(self, symbol: Basic, value: Any) -> Any:
        old = self.env.get(symbol)
        self.env[symbol] = value
        return old

    def unbind(self, symbol: Basic, old: Any) -> None:
        if old is None:
            self.env.pop(symbol, None)
        else:
            self.env[symbol] = old

    # -- scalars -------------------------------------------------------------------------------------
    def number(self, expr) -> np.ndarray:
        return np.asarray(float(expr))

    def symbol(self, expr: Symbol) -> np.ndarray:
        raise EvaluationError(f"no value for {expr}")

    def add(self, expr: Add) -> np.ndarray:
        return sum((self.value(a) for a in expr.args[1:]), start=self.value(expr.args[0]))

    def mul(self, expr: Mul) -> np.ndarray:
        out = self.value(expr.args[0])
        for a in expr.args[1:]:
            out = out * self.value(a)
        return out

    def pow(self, expr: Pow) -> np.ndarray:
        base, exponent = (self.value(a) for a in expr.args)
        return np.power(base, exponent)

    def log(self, expr: log) -> np.ndarray:
        return self.log_of(expr.args[0])

    def log_of(self, arg: Basic) -> np.ndarray:
        """``log(arg)``; of densities, their products, ratios and powers, as sums of log-densities (the
        densities themselves may underflow far from their means)."""
        if isinstance(arg, Density):
            return self.log_density(arg)
        if arg.has(Density):
            if isinstance(arg, Pow):
                return self.value(arg.exp) * self.log_of(arg.base)
            if isinstance(arg, Product):
                return self.value(Sum(log(arg.function), *arg.limits))
            if isinstance(arg, Mul):
                return sum((self.log_of(f) for f in arg.args[1:]), start=self.log_of(arg.args[0]))
        return np.log(self.value(arg))

    def exp(self, expr: exp) -> np.ndarray:
        return np.exp(self.value(expr.args[0]))

    def abs(self, expr: Abs) -> np.ndarray:
        return np.abs(self.value(expr.args[0]))

    def indexed(self, expr: Indexed) -> np.ndarray:
        vector = self.value(expr.base)
        (index,) = expr.indices
        position = _int(self.value(index), "an index")
        if not 1 <= position <= np.shape(vector)[-1]:
            raise EvaluationError(f"{expr}: index {position} out of range")
        return vector[..., position - 1]

    def indexed_base(self, expr: IndexedBase) -> np.ndarray:
        raise EvaluationError(f"no value for the vector {expr}")

    def coordinate_sum(self, expr: Sum | Product) -> np.ndarray:
        if len(expr.limits) != 1:
            raise EvaluationError("only single sums are evaluated")
        index, low, high = expr.limits[0]
        low, high = (_int(self.value(b), "a summation limit") for b in (low, high))
        values = []
        for i in range(low, high + 1):
            old = self.bind(index, np.asarray(i))
            try:
                values.append(self.value(expr.function))
            finally:
                self.unbind(index, old)
        if isinstance(expr, Sum):
            return sum(values[1:], start=values[0]) if values else np.asarray(0.0)
        out = np.asarray(1.0)
        for v in values:
            out = out * v
        return out

    def code_line(self, expr: CodeLine) -> np.ndarray:
        return self.value(code_meaning(expr))

    # -- densities -----------------------------------------------------------------------------------
    def log_density(self, density: Density) -> np.ndarray:
        if not density.law.vector:
            x, m, s = (self.value(a) for a in (density.variable, density.mean, density.std))
            return -0.5 * np.log(2 * np.pi * s**2) - (x - m) ** 2 / (2 * s**2)
        x, m, cov = (self.value(a) for a in (density.variable, density.mean, density.cov))
        k = cov.shape[-1]
        diff = x - m
        solved = np.linalg.solve(np.broadcast_to(cov, diff.shape[:-2] + cov.shape), diff)
        quad = np.sum(diff * solved, axis=(-2, -1))
        _, logdet = np.linalg.slogdet(cov)
        return -0.5 * k * np.log(2 * np.pi) - 0.5 * logdet - 0.5 * quad

    def density(self, expr: Density) -> np.ndarray:
        return np.exp(self.log_density(expr))

    # -- matrices ------------------------------------------------------------------------------------
    def matrix_symbol(self, expr: MatrixSymbol) -> np.ndarray:
        raise EvaluationError(f"no value for the matrix {expr}")

    def vec(self, expr: Vec) -> np.ndarray:
        vector = self.value(expr.base)
        size = _int(self.value(expr.dim), "a dimension")
        if np.shape(vector)[-1] != size:
            raise EvaluationError(f"{expr.base} has {np.shape(vector)[-1]} entries, not {size}")
        return vector[..., :, None]

    def diag(self, expr: Diag) -> np.ndarray:
        size = _int(self.value(expr.dim), "a dimension")
        entries = []
        for i in range(1, size + 1):
            old = self.bind(expr.index, np.asarray(i))
            try:
                entries.append(self.value(expr.entry))
            finally:
                self.unbind(expr.index, old)
        return np.diag(np.array(entries, dtype=float))

    def identity(self, expr: Identity) -> np.ndarray:
        return np.eye(_int(self.value(expr.shape[0]), "a dimension"))

    def zero_matrix(self, expr: ZeroMatrix) -> np.ndarray:
        rows, cols = (_int(self.value(n), "a dimension") for n in expr.shape)
        return np.zeros((rows, cols))

    def one_matrix(self, expr: OneMatrix) -> np.ndarray:
        rows, cols = (_int(self.value(n), "a dimension") for n in expr.shape)
        return np.ones((rows, cols))

    def mat_add(self, expr: MatAdd) -> np.ndarray:
        return sum((self.value(a) for a in expr.args[1:]), start=self.value(expr.args[0]))

    def mat_mul(self, expr: MatMul) -> np.ndarray:
        coefficient: np.ndarray = np.asarray(1.0)
        product = None
        for factor in expr.args:
            value = self.value(factor)
            if _is_matrix(factor):
                product = value if product is None else product @ value
            else:
                coefficient = coefficient * value
        if product is None:
            raise EvaluationError("a matrix product without matrices")
        return _scale(coefficient, product)

    def transpose(self, expr: Transpose) -> np.ndarray:
        return np.swapaxes(self.value(expr.arg), -1, -2)

    def inverse(self, expr: Inverse) -> np.ndarray:
        return np.linalg.inv(self.value(expr.arg))

    def trace(self, expr: Trace) -> np.ndarray:
        return np.trace(self.value(expr.arg), axis1=-2, axis2=-1)

    def determinant(self, expr: Determinant) -> np.ndarray:
        return np.linalg.det(self.value(expr.arg))

    def quad_form(self, expr: QuadForm) -> np.ndarray:
        u, a, v = (self.value(x) for x in expr.args)
        return (np.swapaxes(u, -1, -2) @ a @ v)[..., 0, 0]

    # -- integrals -----------------------------------------------------------------------------------
    def expectation(self, expr: Expectation | MatExpectation) -> np.ndarray:
        return self.average(expr.expr, expr.density, lambda value: value)

    def kl(self, expr: KL) -> np.ndarray:
        return self.average(log(expr.q) - log(expr.p), expr.q, lambda value: value)

    def integral(self, expr: Integral | SpaceIntegral) -> np.ndarray:
        if isinstance(expr, Integral):
            if len(expr.limits) != 1 or tuple(expr.limits[0][1:]) != (-oo, oo):
                raise EvaluationError("only integrals over the whole real line are evaluated")
            variable, function = expr.limits[0][0], expr.function
        else:
            variable, function = expr.variable, expr.function
        centre = next((d for d in _preorder(function) if isinstance(d, Density) and d.variable == variable),
                      None)
        if centre is None:
            raise EvaluationError("an integral without a Gaussian density of its variable to centre on")
        # int f dx = E_centre[f / centre]
        return self.average(function, centre, lambda value, c=centre: value / self.density(c))

    def average(self, integrand: Basic, density: Density,
                transform: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """``E_density[transform(integrand)]`` by Gauss-Hermite quadrature, the variable bound to all nodes."""
        if self.batched:
            raise EvaluationError("nested integrals are not evaluated")
        variable = density.variable
        if not density.law.vector:
            t, w = _tensor_rule(1)
            values = self.value(density.mean) + self.value(density.std) * t[:, 0]
            key, bound = variable, values
            matrix = False
        else:
            mean, cov = self.value(density.mean), self.value(density.cov)
            k = cov.shape[-1]
            t, w = _tensor_rule(k)
            nodes = mean[None, :, :] + np.linalg.cholesky(cov)[None, :, :] @ t[:, :, None]  # (B, k, 1)
            if isinstance(variable, Vec):
                key, bound = variable.base, nodes[:, :, 0]
            else:
                key, bound = variable, nodes
            matrix = _is_matrix(integrand)
        old = self.bind(key, bound)
        self.batched = True
        try:
            value = transform(self.value(integrand))
        finally:
            self.batched = False
            self.unbind(key, old)
        value = np.asarray(value)
        if value.ndim == (2 if matrix else 0):  # free of the variable: the same at every node
            value = np.broadcast_to(value, (len(w), *value.shape))
        if matrix:
            return np.einsum("b,bij->ij", w, value)
        return w @ value


def _preorder(node: Basic):
    yield node
    for arg in node.args:
        yield from _preorder(arg)


def code_meaning(line: CodeLine) -> Basic:
    """What the code of ``line`` means, read back by the whitelist parser (never trusted as printed)."""
    sums = [s for s in _preorder(line.expr) if isinstance(s, Sum)]
    index, dim = (sums[0].limits[0][0], sums[0].limits[0][2]) if sums else (None, None)
    code_names = line.names
    vectors = {code_names.get(str(b.label), str(b.label)): b for b in line.expr.atoms(IndexedBase)}
    symbols = {s.name: s for s in line.expr.free_symbols if isinstance(s, Symbol) and s not in (index, dim)}
    if sums:
        return parse_claim(line.text, symbols, vectors=vectors, index=index, dim=dim)
    return parse_claim(line.text, symbols)


_DISPATCH: dict[type, Callable[[_Walk, Any], np.ndarray]] = {
    Add: _Walk.add, Mul: _Walk.mul, Pow: _Walk.pow, log: _Walk.log, exp: _Walk.exp, Abs: _Walk.abs,
    Indexed: _Walk.indexed, IndexedBase: _Walk.indexed_base, Symbol: _Walk.symbol,
    Sum: _Walk.coordinate_sum, Product: _Walk.coordinate_sum,
    Vec: _Walk.vec, Diag: _Walk.diag, Identity: _Walk.identity, ZeroMatrix: _Walk.zero_matrix,
    OneMatrix: _Walk.one_matrix,
    MatAdd: _Walk.mat_add, MatMul: _Walk.mat_mul, Transpose: _Walk.transpose, Inverse: _Walk.inverse,
    Trace: _Walk.trace, Determinant: _Walk.determinant, QuadForm: _Walk.quad_form,
    MatrixSymbol: _Walk.matrix_symbol,
    KL: _Walk.kl, Expectation: _Walk.expectation, MatExpectation: _Walk.expectation,
    Integral: _Walk.integral, SpaceIntegral: _Walk.integral, CodeLine: _Walk.code_line,
}
#: Checked in order when the exact type is not in ``_DISPATCH`` (subclasses, numbers).
_DISPATCH_ORDER: tuple[tuple[type, Callable[[_Walk, Any], np.ndarray]], ...] = (
    (Density, _Walk.density), (NumberSymbol, _Walk.number),
    (Named, lambda walk, e: walk.value(e.definition)),  # a named form (a model's density): what it stands for
    (Basic, lambda walk, e: walk.number(e) if e.is_Number else _unknown(e)),
)
_Walk.DISPATCH, _Walk.FALLBACK = _DISPATCH, _DISPATCH_ORDER


def _unknown(expr: Basic) -> np.ndarray:
    raise EvaluationError(f"cannot evaluate {type(expr).__name__} numerically")


class MvEvaluator:
    """Values of expressions at fixed points; each line is computed once per evaluator and kept."""

    def __init__(self, points: Sequence[Point], where: str = ""):
        self.points = list(points)
        self.where = where
        self._values: dict[Basic, list[np.ndarray]] = {}

    def values(self, expr: Basic) -> list[np.ndarray]:
        """The value of ``expr`` at each point (an array: a scalar, or a matrix for matrix lines)."""
        if expr not in self._values:
            with np.errstate(all="raise"):
                self._values[expr] = [np.asarray(_Walk(point).value(expr), dtype=float) for point in self.points]
        return self._values[expr]

    @staticmethod
    def close(a: np.ndarray, b: np.ndarray) -> bool:
        """Equal shapes and entries within a relative 1e-9 (absolute 1e-10 near zero)."""
        return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL))

    @staticmethod
    def describe(point: Point) -> str:
        """A short account of a point for a failure message."""
        parts = []
        for key, value in point.items():
            array = np.asarray(value)
            if array.ndim == 0:
                parts.append(f"{key} = {float(array):.6g}")
            else:
                parts.append(f"{key} = {np.array2string(array.ravel()[:4], precision=4)}"
                             f"{'...' if array.size > 4 else ''}")
        return ", ".join(parts)

    @staticmethod
    def show(value: np.ndarray) -> str:
        return f"{float(value):.12g}" if value.ndim == 0 else np.array2string(value, precision=10)


# -- random points ----------------------------------------------------------------------------------------


def random_spd(rng: np.random.Generator, k: int) -> np.ndarray:
    """A random symmetric positive-definite k x k matrix with eigenvalues in about [0.3, 3]."""
    q, _ = np.linalg.qr(rng.normal(size=(k, k)))
    eigenvalues = rng.uniform(0.3, 3.0, size=k)
    matrix = (q * eigenvalues) @ q.T
    return (matrix + matrix.T) / 2
