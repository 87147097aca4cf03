"""Nodes for Gaussians over vectors: densities, quadratic forms, integrals over R^k, coordinate vectors.

The full-covariance case works with SymPy matrix expressions (``MatrixSymbol`` vectors and matrices,
``Trace``, ``Determinant``, ``Inverse``); the diagonal case with vectors whose entries are indexed
symbols (:class:`Vec` over an ``IndexedBase``) and :class:`Diag` matrices. A quadratic form
``u^T A v`` is a scalar here (:class:`QuadForm`), so it can stand in an ordinary sum next to
logarithms and traces: SymPy refuses to add a 1x1 matrix to a number, and indexing the product
(``(u.T*A*v)[0, 0]``) would print as a sum over elements.

The helpers ``madd``, ``mmul``, ``msub``, ``mneg``, ``inv`` build matrix display forms the way
``forms.py`` builds scalar ones: in the order given, with zero matrices and identities dropped.
"""

from __future__ import annotations

from collections.abc import Mapping

from sympy import Basic, Expr, Indexed, IndexedBase, S, Symbol, Tuple, log, pi
from sympy.core.symbol import Str
from sympy.matrices.expressions import (
    Determinant,
    Identity,
    Inverse,
    MatAdd,
    MatMul,
    MatrixExpr,
    Transpose,
    ZeroMatrix,
)

from ..core.forms import HALF, add, as_expr, frac, mul, neg, sub
from ..laws import Law
from .scalar import Density

# -- matrix display forms ----------------------------------------------------------------------------


def madd(*terms: MatrixExpr) -> MatrixExpr:
    """The matrix sum of ``terms`` in the given order, zero matrices dropped."""
    kept = [t for t in terms if not isinstance(t, ZeroMatrix)]
    if not kept:
        return terms[0]
    return kept[0] if len(kept) == 1 else MatAdd(*kept)


def mneg(a: MatrixExpr) -> MatrixExpr:
    """``-a``: a leading ``-1`` is removed, or prepended."""
    if isinstance(a, ZeroMatrix):
        return a
    if isinstance(a, MatMul) and a.args[0] == -1:
        rest = a.args[1:]
        return rest[0] if len(rest) == 1 else MatMul(*rest)
    return MatMul(S.NegativeOne, a)


def msub(a: MatrixExpr, b: MatrixExpr) -> MatrixExpr:
    """``a - b`` as a two-term display sum (``a`` alone when ``b`` is zero)."""
    return madd(a, mneg(b))


def mmul(*factors: MatrixExpr | Expr) -> MatrixExpr:
    """The matrix product of ``factors`` in order, nested products flattened, scalar factors first;
    identities dropped, a zero factor gives a zero matrix."""
    flat = [g for f in factors for g in (f.args if isinstance(f, MatMul) else (f,))]
    factors = tuple([f for f in flat if not getattr(f, "is_Matrix", False)] +
                    [f for f in flat if getattr(f, "is_Matrix", False)])
    if any(isinstance(f, ZeroMatrix) for f in factors):
        rows = next(f for f in factors if getattr(f, "is_Matrix", False)).shape[0]
        cols = [f for f in factors if getattr(f, "is_Matrix", False)][-1].shape[1]
        return ZeroMatrix(rows, cols)
    kept = [f for f in factors if not isinstance(f, Identity) and f != 1]
    if not kept:
        return next(f for f in factors if isinstance(f, Identity))
    return kept[0] if len(kept) == 1 else MatMul(*kept)


def inv(a: MatrixExpr) -> MatrixExpr:
    """``a**-1``, with the identity its own inverse."""
    return a if isinstance(a, Identity) else Inverse(a)


# -- vectors and matrices with indexed entries --------------------------------------------------------


class Vec(MatrixExpr):
    """The column vector ``(base_1, ..., base_dim)`` of an ``IndexedBase`` (entries are 1-based)."""

    def __new__(cls, base: IndexedBase, dim: Expr | int) -> Vec:
        return Basic.__new__(cls, base, as_expr(dim))

    @property
    def base(self) -> IndexedBase:
        return self.args[0]

    @property
    def dim(self) -> Expr:
        return self.args[1]

    @property
    def shape(self) -> tuple[Expr, Expr]:
        return (self.dim, S.One)

    def _entry(self, i, j, **kwargs):
        return self.base[i + 1]

    def _sympystr(self, printer) -> str:
        return str(self.base.label)


class Diag(MatrixExpr):
    """``diag(entry(1), ..., entry(dim))``: the diagonal matrix whose j-th entry is ``entry`` at ``index = j``."""

    def __new__(cls, entry: Expr, index: Symbol, dim: Expr | int) -> Diag:
        return Basic.__new__(cls, as_expr(entry), index, as_expr(dim))

    @property
    def entry(self) -> Expr:
        return self.args[0]

    @property
    def index(self) -> Symbol:
        return self.args[1]

    @property
    def dim(self) -> Expr:
        return self.args[2]

    @property
    def shape(self) -> tuple[Expr, Expr]:
        return (self.dim, self.dim)

    @property
    def free_symbols(self) -> set:
        return (self.entry.free_symbols - {self.index}) | self.dim.free_symbols

    def at(self, value: Expr | int) -> Expr:
        """The entry for ``index = value``."""
        return self.entry.xreplace({self.index: as_expr(value)})

    def _entry(self, i, j, **kwargs):
        return self.at(i + 1) if i == j else S.Zero

    def _sympystr(self, printer) -> str:
        return f"diag({printer._print(self.at(1))}, ..., {printer._print(self.at(self.dim))})"


# -- scalars built from matrices ----------------------------------------------------------------------


class QuadForm(Expr):
    """The scalar ``u^T A v`` (u, v column vectors, A square); ``A`` may be an identity (``u^T v``)."""

    is_commutative = True
    is_extended_real = True

    def __new__(cls, u: MatrixExpr, matrix: MatrixExpr, v: MatrixExpr) -> QuadForm:
        return Expr.__new__(cls, u, matrix, v)

    @property
    def left(self) -> MatrixExpr:
        return self.args[0]

    @property
    def matrix(self) -> MatrixExpr:
        return self.args[1]

    @property
    def right(self) -> MatrixExpr:
        return self.args[2]

    def as_matrix(self) -> MatrixExpr:
        """The 1x1 matrix product ``u.T * A * v`` (identities dropped)."""
        return mmul(Transpose(self.left), self.matrix, self.right)

    def doit(self, **hints) -> Expr:
        """The value, when the vectors and the matrix are explicit (e.g. ``ImmutableMatrix`` entries)."""
        product = self.as_matrix().doit(**hints)
        return product[0, 0] if getattr(product, "is_Matrix", False) and product.shape == (1, 1) else self

    def _sympystr(self, printer) -> str:
        return f"({printer._print(self.left)}).T*{printer._print(self.matrix)}*({printer._print(self.right)})"


# -- densities over vectors ------------------------------------------------------------------------------


class MvDensity(Expr):
    """A named Gaussian density ``q(x) = N(x; mean, cov)`` of a column vector ``x`` of dimension k.

    Prints as ``q(x)`` until a rule substitutes its log-density; unnamed, as ``N(mean, cov)``.
    ``mean`` is a k x 1 matrix expression, ``cov`` a k x k symmetric positive-definite one.
    """

    is_commutative = True
    is_extended_real = True
    is_positive = True

    def __new__(cls, name: str | Str, variable: MatrixExpr, mean: MatrixExpr, cov: MatrixExpr) -> MvDensity:
        name = name if isinstance(name, Str) else Str(name)
        return Expr.__new__(cls, name, variable, mean, cov)

    @property
    def name(self) -> str:
        return self.args[0].name

    @property
    def variable(self) -> MatrixExpr:
        return self.args[1]

    @property
    def mean(self) -> MatrixExpr:
        return self.args[2]

    @property
    def cov(self) -> MatrixExpr:
        return self.args[3]

    @property
    def var(self) -> MatrixExpr:
        """The covariance (so that code reading ``.var`` of a univariate density reads this one too)."""
        return self.cov

    @property
    def dim(self) -> Expr:
        return self.variable.shape[0]

    @property
    def free_symbols(self) -> set:
        return self.variable.free_symbols | self.mean.free_symbols | self.cov.free_symbols

    def centred(self) -> MatrixExpr:
        """``x - mean``."""
        return msub(self.variable, self.mean)

    def log_normaliser(self) -> Expr:
        """The part of the log-density free of x: ``-k/2 log(2 pi) - 1/2 log|S|`` (no determinant for S = I)."""
        log_det = S.Zero if isinstance(self.cov, Identity) else log(Determinant(self.cov))
        return sub(mul(neg(frac(self.dim, 2)), log(mul(2, pi))), mul(HALF, log_det))

    def energy(self) -> Expr:
        """The part of minus the log-density that depends on x: ``1/2 (x - m)^T S^-1 (x - m)``."""
        centred = self.centred()
        return mul(HALF, QuadForm(centred, inv(self.cov), centred))

    def log_pdf_form(self) -> Expr:
        """``log N(x; m, S) = -k/2 log(2 pi) - 1/2 log|S| - 1/2 (x - m)^T S^-1 (x - m)``, as a display form."""
        normaliser = self.log_normaliser()
        return add(*(normaliser.args if normaliser.is_Add else (normaliser,)), neg(self.energy()))

    def log_normaliser_ratio(self, other: MvDensity) -> Expr:
        """``log_normaliser(self) - log_normaliser(other) = 1/2 log(|S_other| / |S_self|)``, combined."""
        return mul(HALF, log(frac(_det(other.cov), _det(self.cov))))

    def integral(self, integrand: Expr) -> SpaceIntegral:
        """The integral of ``integrand`` over all of R^k, with respect to this density's variable."""
        return SpaceIntegral(integrand, self.variable)

    def _sympystr(self, printer) -> str:
        return f"{self.name}({printer._print(self.variable)})" if self.name else \
            f"N({printer._print(self.mean)}, {printer._print(self.cov)})"


def _det(matrix: MatrixExpr) -> Expr:
    return S.One if isinstance(matrix, Identity) else Determinant(matrix)


class Marginal(Density):
    """The j-th coordinate density ``q_j(x_j) = N(x_j; m_j, s_j**2)`` of a diagonal Gaussian ``q``.

    A univariate :class:`~derivation.nodes.scalar.Density` (every univariate rule applies to it) whose name
    carries the coordinate index as an argument, so that substituting ``j = 3`` gives ``q_3(x_3)``.
    """

    def __new__(cls, name: str | Str, variable: Expr, law: Law, index: Expr | int) -> Marginal:
        name = name if isinstance(name, Str) else Str(name)
        return Expr.__new__(cls, name, variable, law, as_expr(index))

    @property
    def family(self) -> str:
        """The name of the joint density (``q`` for ``q_j``)."""
        return self.args[0].name

    @property
    def index(self) -> Expr:
        return self.args[3]

    @property
    def name(self) -> str:
        return f"{self.family}_{self.index}"

    @property
    def free_symbols(self) -> set:
        return super().free_symbols | self.index.free_symbols


class SpaceIntegral(Expr):
    """``Integral(function, x over R^k)`` for a vector variable ``x`` (a k x 1 matrix expression)."""

    is_commutative = True

    def __new__(cls, function: Expr, variable: MatrixExpr) -> SpaceIntegral:
        return Expr.__new__(cls, function, variable)

    @property
    def function(self) -> Expr:
        return self.args[0]

    @property
    def variable(self) -> MatrixExpr:
        return self.args[1]

    @property
    def dim(self) -> Expr:
        return self.variable.shape[0]

    @property
    def free_symbols(self) -> set:
        return {s for s in self.function.free_symbols if not is_bound_by(s, self.variable)} | self.dim.free_symbols


def is_bound_by(symbol: Basic, variable: Basic) -> bool:
    """Whether ``symbol`` (a free symbol of an integrand) is the integration variable or one of its entries."""
    if symbol == variable:
        return True
    if isinstance(variable, Vec):
        return symbol == variable.base or (isinstance(symbol, Indexed) and symbol.base == variable.base)
    return False


def depends_on(expr: Basic, variable: Basic) -> bool:
    """Whether ``expr`` involves the variable ``variable`` (for a coordinate vector: any of its entries)."""
    if isinstance(variable, Vec):
        return expr.has(variable.base)
    return expr.has(variable)


class MatExpectation(MatrixExpr):
    """``E_{x ~ density}[M(x)]`` for a matrix-valued ``M`` (e.g. ``E[(x - m)(x - m)^T]``)."""

    def __new__(cls, expr: MatrixExpr, density: MvDensity) -> MatExpectation:
        return Basic.__new__(cls, expr, density)

    @property
    def expr(self) -> MatrixExpr:
        return self.args[0]

    @property
    def density(self) -> MvDensity:
        return self.args[1]

    @property
    def shape(self):
        return self.expr.shape

    @property
    def free_symbols(self) -> set:
        variable = self.density.variable
        return {s for s in self.expr.free_symbols | self.density.free_symbols if not is_bound_by(s, variable)}

    def _entry(self, i, j, **kwargs):
        raise NotImplementedError("entries of an expectation are not expanded")


# -- printable statements for the document's Setting paragraph ----------------------------------------


class InSpace(Basic):
    """``v in R^k`` (``dim`` 1: ``v in R``)."""

    def __new__(cls, element: Basic, dim: Expr | int = 1) -> InSpace:
        return Basic.__new__(cls, element, as_expr(dim))


class PositiveDefinite(Basic):
    """``A > 0`` in the sense of symmetric positive-definite matrices (printed ``A \\succ 0``)."""

    def __new__(cls, matrix: MatrixExpr) -> PositiveDefinite:
        return Basic.__new__(cls, matrix)


class IndexRange(Basic):
    """``j = 1, ..., d``: the range of a coordinate index."""

    def __new__(cls, index: Symbol, dim: Expr | int) -> IndexRange:
        return Basic.__new__(cls, index, as_expr(dim))


class CodeLine(Expr):
    """An expression shown as the line of code that computes it (``text``, printed in typewriter).

    The checker does not trust ``text``: it parses it back with the whitelist parser and compares.
    ``names`` maps a vector's name in the mathematics to its name in the code (``{"ell": "logvar"}``).
    """

    is_commutative = True

    def __new__(cls, expr: Expr, text: str | Str, names: Mapping[str, str] | None = None) -> CodeLine:
        pairs = Tuple(*(Tuple(Str(a), Str(b)) for a, b in sorted((names or {}).items())))
        return Expr.__new__(cls, expr, text if isinstance(text, Str) else Str(text), pairs)

    @property
    def names(self) -> dict[str, str]:
        """The mathematics' vector names -> the code's."""
        return {a.name: b.name for a, b in self.args[2]} if len(self.args) > 2 else {}

    @property
    def expr(self) -> Expr:
        return self.args[0]

    @property
    def text(self) -> str:
        return self.args[1].name

    @property
    def free_symbols(self) -> set:
        return self.expr.free_symbols


DENSITIES = (Density, MvDensity)
