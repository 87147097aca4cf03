"""A pair of Laplace densities ``q = Laplace(mu1, b1)`` and ``p = Laplace(mu2, b2)`` of one real variable."""

from __future__ import annotations

from dataclasses import dataclass, field

from sympy import Basic, Contains, Eq, Expr, Gt, S, Symbol

from .laws import LaplaceLaw
from .nodes import KL, Density
from .setting import Notation
from .verify import Checker


@dataclass(frozen=True)
class LaplaceSetting:
    """Two Laplace densities q and p of one real variable ``x``, and the variable ``t`` of a centred integral."""

    q: Density
    p: Density
    t: Symbol
    notation: Notation = field(default_factory=Notation)

    @property
    def x(self) -> Symbol:
        return self.q.variable

    def start(self) -> KL:
        """The first line: ``KL(q || p)``."""
        return KL(self.q, self.p)

    def statements(self) -> tuple[Basic, ...]:
        """What the document's "Setting" paragraph states: ``q = Laplace(mu1, b1)``, ``p = Laplace(mu2, b2)``."""
        return tuple(Eq(Symbol(d.name), Density("", d.variable, d.law), evaluate=False) for d in (self.q, self.p))

    def assumptions(self) -> tuple[Basic, ...]:
        """The assumptions on the parameters, as printable relations (``b1 > 0``, ``mu1 in R``)."""
        return tuple(Gt(s, 0, evaluate=False) if s.is_positive else Contains(s, S.Reals, evaluate=False)
                     for s in self.parameters)

    def checker(self) -> Checker:
        """The checker for derivations in this setting (random points drawn over ``parameters``)."""
        return Checker(self.parameters)

    @property
    def parameters(self) -> tuple[Symbol, ...]:
        """The free parameters, in reading order (``mu1, b1, mu2, b2``)."""
        seen: dict[Symbol, None] = {}
        for density in (self.q, self.p):
            for expr in density.law.parameters:
                for s in sorted(expr.free_symbols, key=str):
                    seen.setdefault(s, None)
        return tuple(seen)


def laplace_pair(notation: Notation, q_loc: Expr, q_scale: Expr, p_loc: Expr, p_scale: Expr) -> LaplaceSetting:
    """q = Laplace(q_loc, q_scale) and p = Laplace(p_loc, p_scale) over the notation's variable."""
    x = notation.real("x")
    return LaplaceSetting(
        q=Density(notation.name("q"), x, LaplaceLaw(q_loc, q_scale)),
        p=Density(notation.name("p"), x, LaplaceLaw(p_loc, p_scale)),
        t=notation.real("t"),
        notation=notation,
    )


def two_laplace(notation: Notation | None = None) -> LaplaceSetting:
    """The general pair ``Laplace(mu1, b1)`` and ``Laplace(mu2, b2)``."""
    n = notation or Notation()
    return laplace_pair(n, n.real("mu", 1), n.positive("b", 1), n.real("mu", 2), n.positive("b", 2))
