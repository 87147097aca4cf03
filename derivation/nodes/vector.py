"""Nodes for densities of vectors: integrals over R^k, expectations of matrices, statements of the Setting, code
lines; and (re-exported from :mod:`derivation.laws.matrices`) the vectors, matrices and quadratic forms those
densities are written in.

A density of a vector is the one :class:`~derivation.nodes.scalar.Density` node with a law of a vector
(``MvNormalLaw(mean, cov)``); its integrals are :class:`SpaceIntegral` over all of R^k.
"""

from __future__ import annotations

from collections.abc import Mapping

from sympy import Basic, Expr, Indexed, Symbol, Tuple
from sympy.core.symbol import Str
from sympy.matrices.expressions import MatrixExpr

from ..core.forms import as_expr
from ..laws.matrices import Diag, QuadForm, Vec, det, inv, madd, mmul, mneg, msub

__all__ = ["CodeLine", "Diag", "InSpace", "IndexRange", "MatExpectation", "PositiveDefinite", "QuadForm",
           "SpaceIntegral", "Vec", "depends_on", "det", "inv", "is_bound_by", "madd", "mmul", "mneg", "msub"]

# -- integrals over R^k ------------------------------------------------------------------------------


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

    def __new__(cls, expr: MatrixExpr, density: Expr) -> MatExpectation:
        return Basic.__new__(cls, expr, density)

    @property
    def expr(self) -> MatrixExpr:
        return self.args[0]

    @property
    def density(self) -> Expr:
        """The density of a vector (a :class:`~.scalar.Density` of a law with ``vector = True``)."""
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

