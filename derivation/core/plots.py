"""What a figure plots, as data: expressions of the engine's results over axes (drawn by ``output.figures``)."""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Basic, Expr, Symbol


@dataclass(frozen=True)
class Axis:
    """One plotted parameter: its symbol, its range and a few words saying what it is."""

    symbol: Symbol
    low: float
    high: float
    label: str


@dataclass(frozen=True)
class Curve:
    """One curve of a :class:`CurvesPlot`: an expression of the axis symbol, with other symbols held ``fixed``.

    The legend shows ``label`` and, if ``formula``, the expression itself.
    """

    expr: Expr
    label: str
    fixed: tuple[tuple[Symbol, Basic], ...] = ()
    style: str = "-"
    formula: bool = True


@dataclass(frozen=True)
class MapPlot:
    """A function of two parameters as a colour map with contour lines; ``marks`` are points to mark."""

    expr: Expr
    x: Axis
    y: Axis
    quantity: str
    title: str
    marks: tuple[tuple[tuple[Symbol, Basic], ...], ...] = ()
    mark_label: str = ""


@dataclass(frozen=True)
class CurvesPlot:
    """Curves over one axis, on one set of axes."""

    x: Axis
    curves: tuple[Curve, ...]
    quantity: str
    title: str


@dataclass(frozen=True)
class FieldPlot:
    """A vector field (e.g. the negative gradient) drawn as arrows over the colour map of ``background``."""

    background: Expr
    field: tuple[Expr, Expr]
    x: Axis
    y: Axis
    quantity: str
    arrows: str
    title: str
    marks: tuple[tuple[tuple[Symbol, Basic], ...], ...] = ()
    mark_label: str = ""


Plot = MapPlot | CurvesPlot | FieldPlot
