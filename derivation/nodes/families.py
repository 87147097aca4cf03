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

from collections.abc import Callable, Mapping
from functools import lru_cache

from sympy import Add, Basic, Dummy, Expr, Function, Indexed, IndexedBase, Integer, Mul, Pow, Product, Sum, Symbol
from sympy.core.assumptions import StdFactKB
from sympy.core.relational import Relational

from .scalar import KL, Density, Expectation, Marginal
from .vector import CodeLine, Diag, MatExpectation, QuadForm, SpaceIntegral, Vec


def coordinate_sum(template: Expr, index: Symbol, dim: Expr) -> Sum:
    """``Sum_{index=1}^{dim} template``."""
    return Sum(template, (index, 1, dim))


def coordinate_product(template: Expr, index: Symbol, dim: Expr) -> Product:
    """``Product_{index=1}^{dim} template``."""
    return Product(template, (index, 1, dim))


# -- the printer's question: is this run of terms one term per coordinate? ------------------------------


#: The coordinate index of a piece that involves several.
MIXED = object()


class _Signatures:
    """``(shape, index)`` of a node: its structure with every concrete coordinate index blanked out, and that
    index (of an ``Indexed`` symbol ``mu_3``, of a marginal density ``q_3(x_3)``; None if none, or MIXED).

    Memoised by object identity (each entry keeps its node alive, so an id is never reused while
    remembered; at most ``limit`` entries): the pieces of a written-out line recur in the lines
    after it, so each is analysed once, without hashing SymPy expressions that were never hashed.
    """

    def __init__(self, limit: int = 1 << 18):
        self.limit = limit
        self._known: dict[int, tuple[Basic, tuple[tuple, object]]] = {}

    def __call__(self, node: Basic) -> tuple[tuple, object]:
        known = self._known.get(id(node))
        if known is not None and known[0] is node:
            return known[1]
        result = self._compute(node)
        if len(self._known) >= self.limit:
            self._known.clear()
        self._known[id(node)] = (node, result)
        return result

    def _compute(self, node: Basic) -> tuple[tuple, object]:
        if isinstance(node, Indexed) and len(node.args) == 2 and node.args[1].is_Integer:
            return ("indexed", node.args[0]), node.args[1]
        args = node.args
        if not args:
            return (node,), None
        index = None
        if isinstance(node, Marginal) and node.index.is_Integer:
            index, args = node.index, args[:-1]
        shape = [type(node)]
        for arg in args:
            child_shape, child_index = self(arg)
            shape.append(child_shape)
            if child_index is not None and child_index is not index:
                index = child_index if index is None else MIXED if child_index != index else index
        return tuple(shape), index


_signature = _Signatures()


#: Verdicts of :func:`index_family` by the identity of the first item (the same long sum is printed a few
#: times per document): ``(items, verdict)``, the items kept so their identities stay valid.
_VERDICTS: dict[int, tuple[tuple[Basic, ...], bool]] = {}


def index_family(items: tuple[Basic, ...]) -> bool:
    """Whether ``items[k - 1]`` is ``items[0]`` with coordinate index 1 replaced by k, for k = 1, ..., len(items)
    (or every item is the same term, free of coordinate indices).

    The printer asks before writing a long sum as ``t_1 + t_2 + \\cdots + t_N``: every term has the
    shape of the first, and the k-th term uses the coordinate index k and no other.
    """
    if len(items) < 2:
        return False
    items = tuple(items)
    known = _VERDICTS.get(id(items[0]))
    if known is not None and len(known[0]) == len(items) and all(a is b for a, b in zip(known[0], items, strict=True)):
        return known[1]
    verdict = _is_family(items)
    if len(_VERDICTS) > 256:
        _VERDICTS.clear()
    _VERDICTS[id(items[0])] = (items, verdict)
    return verdict


def _is_family(items: tuple[Basic, ...]) -> bool:
    shape, index = _signature(items[0])
    if index is None:  # the same term every time, e.g. 1 + 1 + ... + 1
        return all(item is items[0] or item == items[0] for item in items[1:])
    if index != 1:
        return False
    for k, item in enumerate(items[1:], start=2):
        other_shape, other_index = _signature(item)
        if other_index is MIXED or other_index != k or other_shape != shape:
            return False
    return True


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
        return _indexed(*args)
    if isinstance(expr, _PLAIN_NODES):  # their constructors only convert arguments, which are converted already
        return Basic.__new__(type(expr), *args)
    if isinstance(expr, Relational):
        return expr.func(*args, evaluate=False)
    return expr.func(*args)


#: The engine's own nodes: built with ``Basic.__new__`` from ready arguments.
_PLAIN_NODES = (Density, Expectation, KL, Vec, Diag, QuadForm, SpaceIntegral, MatExpectation, CodeLine)


@lru_cache(maxsize=64)
def _assumptions_of(base: IndexedBase) -> StdFactKB:
    """The assumptions a freshly built ``base[i]`` carries (those of the base, deduced), before any query."""
    return Indexed(base, Dummy(integer=True))._assumptions.copy()


def _indexed(base: IndexedBase, *indices: Basic) -> Indexed:
    """``base[indices]``, equal (same hash) to what ``Indexed(base, *indices)`` builds, at a fraction of the cost.

    ``Indexed`` deduces its assumptions from its base's for every new object (a fact base is built
    and closed under the assumption rules); every entry of one base has the same ones, so they are
    deduced once per base and copied.
    """
    entry = Basic.__new__(Indexed, base, *indices)
    template = _assumptions_of(base)
    facts = StdFactKB.__new__(StdFactKB)
    dict.update(facts, template)
    facts.rules = template.rules
    facts._generator = template._generator
    entry._assumptions = facts
    return entry


class Instantiation:
    """Writes lines of dimension ``dim`` out at ``dim = size``: every coordinate ``Sum``/``Product`` over
    ``j = 1, ..., dim`` becomes the display sum/product of its ``size`` terms, ``dim`` becomes the number.

    One instance serves a whole derivation. A summand is instantiated column-wise: each of its
    sub-expressions that involves j is built for j = 1, ..., N in one loop and kept, so a piece that
    recurs from line to line (``q_3(x_3)``, ``mu_3``) is built once, and pieces free of j are shared by
    all N terms. The cost is O(N) per distinct piece.
    """

    def __init__(self, dim: Symbol, size: int):
        self.dim = dim
        self.size = Integer(size)
        self.values = [Integer(i) for i in range(1, size + 1)]
        self._lines: dict[Basic, Basic] = {}
        self._columns: dict[tuple[Basic, Symbol], list[Basic] | None] = {}

    def __call__(self, expr: Basic) -> Basic:
        """``expr`` at ``dim = size``, every coordinate sum and product written out."""
        done = self._lines.get(expr)
        if done is None:
            done = self._lines[expr] = self._instantiate(expr)
        return done

    def _instantiate(self, expr: Basic) -> Basic:
        if not expr.args:
            return self.size if expr.is_Symbol and expr == self.dim else expr
        if isinstance(expr, Sum | Product) and len(expr.limits) == 1:
            index, low, high = expr.limits[0]
            if low == 1 and self(high) == self.size:
                column = self._column(expr.function, index)
                terms = column if column is not None else [self(expr.function)] * len(self.values)
                if len(terms) == 1:
                    return terms[0]
                return (Add if isinstance(expr, Sum) else Mul)._from_args(terms, expr.function.is_commutative)
        args = tuple(self(a) for a in expr.args)
        if all(new is old for new, old in zip(args, expr.args, strict=True)):
            return expr
        return _rebuild(expr, args)

    def _column(self, expr: Basic, index: Symbol) -> list[Basic] | None:
        """``[expr at index = 1, ..., expr at index = N]`` (at dim = N), or None when ``expr`` is free of ``index``."""
        key = (expr, index)
        if key in self._columns:
            return self._columns[key]
        column: list[Basic] | None
        if not expr.args:
            column = self.values if expr.is_Symbol and expr == index else None
        elif isinstance(expr, Sum | Product | Diag) and index in _bound_by(expr):
            column = None  # the index is bound again inside: the outer one does not reach it
        else:
            children = [self._column(a, index) for a in expr.args]
            if all(c is None for c in children):
                column = None
            else:
                fixed = [self(a) if c is None else None for a, c in zip(expr.args, children, strict=True)]
                parts = [c if c is not None else [f] * len(self.values) for c, f in zip(children, fixed, strict=True)]
                column = [_rebuild(expr, args) for args in zip(*parts, strict=True)]
        self._columns[key] = column
        return column


def _bound_by(expr: Basic) -> set[Basic]:
    """The index a sum, product or diagonal matrix binds."""
    if isinstance(expr, Diag):
        return {expr.index}
    return {limit[0] for limit in expr.limits}


def entrywise(expr: Basic, table: Mapping[Basic, Callable[[Basic], Expr]]) -> Basic:
    """``expr`` with every entry ``v_i`` of a vector ``v`` in ``table`` replaced by ``table[v](i)``
    (a Symbol key stands for itself: ``table[s](None)``)."""
    if not table:
        return expr

    def hit(e: Basic) -> bool:
        return (isinstance(e, Indexed) and e.base in table) or (e.is_Symbol and e in table)

    def value(e: Basic) -> Expr:
        return table[e.base](e.indices[0]) if isinstance(e, Indexed) else table[e](None)

    return expr.replace(hit, value)
