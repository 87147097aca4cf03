"""The vectors and matrices a law of a vector is written in, and the display forms that build them.

The full-covariance case works with SymPy matrix expressions (``MatrixSymbol`` vectors and matrices,
``Determinant``, ``Inverse``); the diagonal case with vectors whose entries are indexed symbols (:class:`Vec`
over an ``IndexedBase``) and :class:`Diag` matrices. A quadratic form ``u^T A v`` is a scalar here
(:class:`QuadForm`), so it can stand in an ordinary sum next to logarithms and traces: SymPy refuses to add a 1x1
matrix to a number, and indexing the product (``(u.T*A*v)[0, 0]``) would print as a sum over elements.

The helpers ``madd``, ``mmul``, ``msub``, ``mneg``, ``inv`` build matrix display forms the way
``core/forms.py`` builds scalar ones: in the order given, with zero matrices and identities dropped.
(``derivation.nodes.vector`` re-exports all of these beside the nodes built on them.)
"""

from __future__ import annotations

from sympy import Basic, Expr, IndexedBase, S, Symbol
from sympy.matrices.expressions import Determinant, Identity, Inverse, MatAdd, MatMul, MatrixExpr, Transpose, ZeroMatrix

from ..core.forms import as_expr

__all__ = ["Diag", "QuadForm", "Vec", "det", "inv", "madd", "mmul", "mneg", "msub"]


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


def det(matrix: MatrixExpr) -> Expr:
    """``|matrix|`` (1 for an identity)."""
    return S.One if isinstance(matrix, Identity) else Determinant(matrix)
