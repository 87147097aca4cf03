"""A pair of Laplace densities ``q = Laplace(mu1, b1)`` and ``p = Laplace(mu2, b2)`` of one real variable.

The setting answers what the engine asks of every pair (``start``, ``parameters``, ``statements``,
``assumptions``, ``checker``) and what a user's pair is asked for (``user_parameters``, ``derive``, ``closed``;
a Laplace pair is given in its own parameters, so there are no fresh scales to define or substitute).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

from sympy import Expr, Symbol

from ..laws import LaplaceLaw
from ..nodes.scalar import Density
from .laws import LawPair
from .univariate import Notation


@dataclass(frozen=True)
class LaplaceSetting(LawPair):
    """Two Laplace densities q and p of one real variable ``x``, and the variable ``t`` of a centred integral."""

    t: Symbol = field(kw_only=True)


def laplace_pair(notation: Notation, q_loc: Expr, q_scale: Expr, p_loc: Expr, p_scale: Expr) -> LaplaceSetting:
    """q = Laplace(q_loc, q_scale) and p = Laplace(p_loc, p_scale) over the notation's variable."""
    x = notation.real("x")
    return LaplaceSetting(
        q=Density(notation.name("q"), x, LaplaceLaw(q_loc, q_scale)),
        p=Density(notation.name("p"), x, LaplaceLaw(p_loc, p_scale)),
        t=notation.real("t"),
        notation=notation,
    )


#: Names tried for the variable and for the centred variable of a user's pair, first unused wins.
_INTERNAL_NAMES = {"x": ("x", "y", "u", "xi", "eta"), "t": ("t", "s", "u", "v", "tau")}


def user_pair(q_loc: Expr, q_scale: Expr, p_loc: Expr, p_scale: Expr) -> LaplaceSetting:
    """The pair of a user's specs, its variable and centred variable named apart from the user's symbols."""
    taken = {s.name for value in (q_loc, q_scale, p_loc, p_scale) for s in value.free_symbols}
    names: dict[str, str] = {}
    for role, candidates in _INTERNAL_NAMES.items():
        names[role] = next(c for c in candidates if c not in taken and c not in names.values())
    return laplace_pair(Notation(MappingProxyType(names)), q_loc, q_scale, p_loc, p_scale)


def two_laplace(notation: Notation | None = None) -> LaplaceSetting:
    """The general pair ``Laplace(mu1, b1)`` and ``Laplace(mu2, b2)``."""
    n = notation or Notation()
    return laplace_pair(n, n.real("mu", 1), n.positive("b", 1), n.real("mu", 2), n.positive("b", 2))
