"""Coordinate families: sums and products with one term per coordinate, symbolic or written out.

With the dimension symbolic, a diagonal derivation's sums are SymPy ``Sum`` (and ``Product``) over
an index j = 1, ..., d of indexed symbols (``mu[j]``). At a concrete dimension N every term is
explicit: :class:`Instantiation` writes a line out at d = N, each ``Sum`` becoming the display sum
of its N terms (``t(1) + ... + t(N)``). It costs O(N) per line, and the pieces that recur from one
line to the next (``q_3(x_3)``, ``mu[3]``) are built once.

:func:`index_family` tells the printer when a long sum or product is such a family, so that it can
print ``t_1 + t_2 + \\cdots + t_N`` (the expression itself stays explicit).
"""

from __future__ import annotations

from functools import lru_cache

from sympy import Add, Basic, Expr, Function, Indexed, Integer, Mul, Pow, Product, Sum, Symbol

from .mvnodes import Diag, Marginal


def coordinate_sum(template: Expr, index: Symbol, dim: Expr) -> Sum:
    """``Sum_{index=1}^{dim} template``."""
    return Sum(template, (index, 1, dim))


def coordinate_product(template: Expr, index: Symbol, dim: Expr) -> Product:
    """``Product_{index=1}^{dim} template``."""
    return Product(template, (index, 1, dim))


# -- the printer's question: is this run of terms one term per coordinate? ------------------------------


def _index_of(node: Basic) -> Basic | None:
    """The coordinate index a node carries (an ``Indexed`` symbol's index, a marginal density's index)."""
    if isinstance(node, Indexed) and len(node.indices) == 1:
        return node.indices[0]
    if isinstance(node, Marginal):
        return node.index
    return None


def _shaped_like(first: Basic, other: Basic, k: Integer) -> bool:
    """Whether ``other`` is ``first`` with every coordinate index 1 replaced by ``k`` (and nothing else changed)."""
    if type(first) is not type(other):
        return False
    index = _index_of(first)
    if index is not None:
        if index != 1:  # another index (e.g. the bound j of diag(sigma_j**2)): the same in every term
            return first == other
        if _index_of(other) != k:
            return False
        if isinstance(first, Indexed):
            return first.base == other.base
        return all(_shaped_like(a, b, k) for a, b in zip(first.args[:-1], other.args[:-1], strict=True))
    first_args, other_args = first.args, other.args
    if not first_args:
        return first == other
    if len(first_args) != len(other_args):
        return False
    return all(_shaped_like(a, b, k) for a, b in zip(first_args, other_args, strict=True))


@lru_cache(maxsize=64)
def index_family(items: tuple[Basic, ...]) -> bool:
    """Whether ``items[k - 1]`` is ``items[0]`` with coordinate index 1 replaced by k, for k = 1, ..., len(items).

    A pure function of immutable arguments (so its results may be memoised): the printer asks it
    about the same long sum several times while rendering one document.
    """
    if len(items) < 2 or not any(_index_of(node) == 1 for node in _preorder(items[0])):
        return False
    first = items[0]
    return all(_shaped_like(first, other, Integer(k)) for k, other in enumerate(items[1:], start=2))


def _preorder(node: Basic):
    yield node
    for arg in node.args:
        yield from _preorder(arg)


# -- writing a line out at a concrete dimension -----------------------------------------------------------


def _rebuild(expr: Basic, args: tuple[Basic, ...]) -> Basic:
    """``expr`` with new ``args`` (an instance of the same template), built without evaluation.

    SymPy's constructors re-derive properties such as commutativity for every new object, which
    costs far more than the object; an instance shares them with its template, so they are copied.
    The result equals (``==``, same hash) what the ordinary constructor with ``evaluate=False`` builds.
    """
    if getattr(expr, "is_Matrix", False):
        return expr.func(*args)
    if expr.is_Add or expr.is_Mul:
        return expr.func._from_args(args, expr.is_commutative)
    if expr.is_Pow:
        power = Basic.__new__(Pow, *args)
        power.is_commutative = expr.is_commutative
        return power
    if isinstance(expr, Function):
        applied = Basic.__new__(expr.func, *args)
        applied.nargs = expr.nargs
        return applied
    if isinstance(expr, Indexed):
        return Basic.__new__(Indexed, *args)
    return expr.func(*args)


class Instantiation:
    """Writes lines of dimension ``dim`` out at ``dim = size``: every coordinate ``Sum``/``Product`` over
    ``j = 1, ..., dim`` becomes the display sum/product of its ``size`` terms, ``dim`` becomes the number.

    One instance serves a whole derivation: sub-expressions are built once per coordinate and reused
    by every line that contains them.
    """

    def __init__(self, dim: Symbol, size: int):
        self.dim = dim
        self.size = Integer(size)
        self._memo: dict[tuple[Basic, tuple], Basic] = {}

    def __call__(self, expr: Basic) -> Basic:
        return self._walk(expr, ())

    def _walk(self, expr: Basic, bound: tuple[tuple[Symbol, Integer], ...]) -> Basic:
        key = (expr, bound)
        done = self._memo.get(key)
        if done is not None:
            return done
        out = self._instantiate(expr, bound)
        self._memo[key] = out
        return out

    def _instantiate(self, expr: Basic, bound: tuple[tuple[Symbol, Integer], ...]) -> Basic:
        if not expr.args:
            if expr.is_Symbol:
                if expr == self.dim:
                    return self.size
                for symbol, value in bound:
                    if expr == symbol:
                        return value
            return expr
        if isinstance(expr, Sum | Product) and len(expr.limits) == 1:
            index, low, high = expr.limits[0]
            low, high = self._walk(low, bound), self._walk(high, bound)
            if low.is_Integer and high.is_Integer:
                inner = [self._walk(expr.function, (*bound, (index, Integer(i))))
                         for i in range(int(low), int(high) + 1)]
                if len(inner) == 1:
                    return inner[0]
                return (Add if isinstance(expr, Sum) else Mul)._from_args(inner, expr.function.is_commutative)
        if isinstance(expr, Diag):  # diag(entry_j) binds its own index j
            inner = tuple((symbol, value) for symbol, value in bound if symbol != expr.index)
            args = (self._walk(expr.entry, inner), expr.index, self._walk(expr.dim, bound))
        else:
            args = tuple(self._walk(a, bound) for a in expr.args)
        if all(new is old for new, old in zip(args, expr.args, strict=True)):
            return expr
        return _rebuild(expr, args)


def is_coordinate_power(expr: Basic) -> bool:
    """A power of an indexed symbol, e.g. ``sigma_j**2``."""
    return isinstance(expr, Pow) and isinstance(expr.args[0], Indexed)
