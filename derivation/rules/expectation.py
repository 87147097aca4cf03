"""Linearity of expectation (scalar and matrix-valued, through sums over coordinates)."""

from __future__ import annotations

from sympy import Eq, Expr, Function, IndexedBase, Sum
from sympy.matrices.expressions import MatAdd, MatMul, MatrixSymbol

from ..core.engine import Rewrite, Rule
from ..core.forms import add, mul
from ..core.placeholders import placeholders
from ..nodes.scalar import Expectation
from ..nodes.vector import MatExpectation, depends_on, madd, mmul
from ..settings.univariate import Setting
from .base import factors, rewrite_or_refuse, terms

_A, _B = placeholders("a b", real=True)


def pull_out_constants(e: Expectation) -> Expr | None:
    """``E[sum_i c_i g_i(x)] -> sum_i c_i E[g_i(x)]`` with each ``c_i`` free of x; None if nothing moves.

    A term that is a sum over coordinates, ``Sum_j g_j(x)``, becomes ``Sum_j E[g_j(x)]`` (with the
    constants of ``g_j`` taken out in turn): the expectation of a sum is the sum of the expectations.
    """
    x = e.density.variable
    out = []
    for term in terms(e.expr):
        parts = factors(term)
        constant = [f for f in parts if not depends_on(f, x)]
        varying = [f for f in parts if depends_on(f, x)]
        if len(varying) == 1 and isinstance(varying[0], Sum):
            total = varying[0]
            inner = Expectation(total.function, e.density)
            out.append(mul(*constant, Sum(pull_out_constants(inner) or inner, *total.limits)))
        else:
            out.append(mul(*constant, Expectation(mul(*varying), e.density)) if varying else mul(*constant))
    result = add(*out)
    return None if result == e else result


def pull_out_matrix_constants(e: MatExpectation) -> Expr | None:
    """``E[sum_i A_i G_i(x) B_i] -> sum_i A_i E[G_i(x)] B_i`` for constant matrices A_i, B_i; None if nothing moves."""
    x = e.density.variable
    out = []
    for term in (e.expr.args if isinstance(e.expr, MatAdd) else (e.expr,)):
        parts = list(term.args) if isinstance(term, MatMul) else [term]
        if not any(depends_on(f, x) for f in parts):
            out.append(term)
            continue
        first = next(i for i, f in enumerate(parts) if depends_on(f, x))
        last = max(i for i, f in enumerate(parts) if depends_on(f, x))
        middle = parts[first:last + 1]
        inner = MatExpectation(middle[0] if len(middle) == 1 else MatMul(*middle), e.density)
        out.append(mmul(*parts[:first], inner, *parts[last + 1:]))
    result = madd(*out)
    return None if result == e else result


def _swapped_sums(expr: Expr, out: Expr, setting: Setting) -> tuple[tuple[Eq, ...], bool] | None:
    """When the step takes an expectation of a sum over the coordinates (``E[Sum_j g_j]``, or the written-out sum at
    a concrete dimension) apart: the identity ``E[Sum_j g_j] = Sum_j E[g_j]``, and whether that is all it does."""
    index, dim = getattr(setting, "index", None), getattr(setting, "dim", None)
    if index is None or dim is None:
        return None
    plain, found, density = True, False, None
    for e in expr.atoms(Expectation):
        body, density = e.args[0], e.density
        if isinstance(body, Sum):
            found = True
            plain = plain and Sum(Expectation(body.function, density), *body.limits) in out.atoms(Sum)
        elif body.is_Add and dim.is_Integer and len(body.args) == int(dim):
            found = True
            plain = plain and all(Expectation(t, density) in out.atoms(Expectation) for t in body.args)
        else:
            plain = False
    if not found:
        return None
    g = IndexedBase("g")
    identity = Eq(Expectation(Sum(g[index], (index, 1, dim)), density),
                  Sum(Expectation(g[index], density), (index, 1, dim)), evaluate=False)
    return (identity,), plain


def _linearity(expr: Expr, setting: Setting) -> Rewrite:
    """``E[a + b g(x)] -> a + b E[g(x)]`` for constants a, b (applied to every expectation in the line).

    Matrix-valued expectations likewise: ``E[A X(x) B + C] -> A E[X(x)] B + C``.
    """

    def match(e: Expr) -> Expr | None:
        if isinstance(e, Expectation):
            return pull_out_constants(e)
        if isinstance(e, MatExpectation):
            return pull_out_matrix_constants(e)
        return None

    out = rewrite_or_refuse(expr, match, "expectation of a sum or of a scaled term")
    scalar = next(iter(out.atoms(Expectation)), None)
    matrix = next(iter(out.atoms(MatExpectation)), None)
    identities: tuple[Eq, ...] = ()
    swapped = _swapped_sums(expr, out, setting)
    if swapped is not None:
        identities, plain = swapped
        if plain:  # the step only swaps the expectation and the sum: that is the identity it uses
            return Rewrite(out, identities)
    if scalar is not None:
        g = Function("g")(scalar.density.variable)
        identities += (Eq(Expectation(add(_A, mul(_B, g)), scalar.density),
                          add(_A, mul(_B, Expectation(g, scalar.density))), evaluate=False),)
    elif matrix is not None:
        n = matrix.shape[0]
        a, b, c = (MatrixSymbol(name, n, n) for name in "ABC")
        g = MatrixSymbol("G", n, n)
        identities = (Eq(MatExpectation(MatAdd(MatMul(a, g, b), c), matrix.density),
                         MatAdd(MatMul(a, MatExpectation(g, matrix.density), b), c), evaluate=False),)
    return Rewrite(out, identities)


LINEARITY = Rule(
    "linearity-of-expectation",
    "Linearity",
    "Expectation is linear: constants come out, and the expectation of a sum is the sum of expectations.",
    _linearity,
)
