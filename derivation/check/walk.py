"""The one interface of the numeric evaluators, and the walker two of them share.

Three evaluators give expressions values at random points, each in its own arithmetic:

* :class:`~.numeric.Evaluator`: the step checker's, 30-digit mpmath (or double precision first), each expression
  compiled once with ``lambdify`` and every KL, expectation or integral in it integrated by its law's quadrature;
* :class:`~.vector_numeric.MvEvaluator`: the checker's for vectors and matrices, NumPy arrays, by a
  :class:`Walker` (``vector_numeric._Walk``);
* :class:`~derivation.claims.decide.ClaimEvaluator`: the decider's for claimed formulas, mpmath at a chosen
  precision with the largest term of every sum kept (cancellation is measured), by a :class:`Walker`
  (``decide._Walk``).

Each is a :class:`PointEvaluator`: ``values(expr)`` is the list of the expression's values at its points. The two
walkers share :class:`Walker`: ``value(expr)`` dispatches on the node's type through the subclass's
:attr:`Walker.DISPATCH` (exact types) and :attr:`Walker.FALLBACK` (base classes, in order), the method chosen once
per type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar, Protocol, runtime_checkable

from sympy import Basic

__all__ = ["PointEvaluator", "Walker"]


@runtime_checkable
class PointEvaluator(Protocol):
    """Values of expressions at fixed points."""

    points: Sequence[Mapping[Basic, Any]]

    def values(self, expr: Basic) -> list:
        """The value of ``expr`` at each point, in order."""
        ...


Method = Callable[[Any, Any], Any]


class Walker:
    """One evaluation of expressions at one point: a recursive walk whose step for a node is chosen by its type.

    A subclass sets :attr:`DISPATCH` (type -> method, for nodes of exactly that type) and :attr:`FALLBACK`
    (``(base class, method)`` pairs tried in order for other types), may keep values it already has for nodes in
    :attr:`env` (bound variables), and may override :meth:`unknown` (a node no entry covers).
    """

    DISPATCH: ClassVar[Mapping[type, Method]] = MappingProxyType({})
    FALLBACK: ClassVar[tuple[tuple[type, Method], ...]] = ()
    #: Values the walk already has for nodes (a bound variable's): returned as they are.
    env: Mapping[Basic, Any] = MappingProxyType({})
    _chosen: ClassVar[dict[type, Method | None]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._chosen = {}

    def value(self, expr: Basic) -> Any:
        """The value of ``expr`` at this walk's point."""
        found = self.env.get(expr)
        if found is not None:
            return found
        method = self._chosen.get(type(expr)) or self.method(type(expr))
        if method is None:
            return self.unknown(expr)
        return method(self, expr)

    @classmethod
    def method(cls, kind: type) -> Method | None:
        """The step for a node of type ``kind``: its own entry, else the first base class's in the fallback (chosen
        once per type)."""
        if kind not in cls._chosen:
            chosen = cls.DISPATCH.get(kind)
            if chosen is None:
                chosen = next((method for base, method in cls.FALLBACK if issubclass(kind, base)), None)
            cls._chosen[kind] = chosen
        return cls._chosen[kind]

    def unknown(self, expr: Basic) -> Any:
        """The value of a node no entry covers (by default: refused)."""
        raise TypeError(f"cannot evaluate {type(expr).__name__} numerically")
