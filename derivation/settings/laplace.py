"""A pair of Laplace densities ``q = Laplace(mu1, b1)`` and ``p = Laplace(mu2, b2)`` of one real variable
(a :class:`~derivation.settings.laws.LawPair`)."""

from __future__ import annotations

from sympy import Expr

from ..laws import LaplaceLaw
from .laws import LawPair, law_pair, user_law_pair
from .univariate import Notation

#: Two Laplace densities q and p of one real variable ``x``, and the variable ``t`` of a centred integral.
LaplaceSetting = LawPair


def laplace_pair(notation: Notation, q_loc: Expr, q_scale: Expr, p_loc: Expr, p_scale: Expr) -> LawPair:
    """q = Laplace(q_loc, q_scale) and p = Laplace(p_loc, p_scale) over the notation's variable."""
    return law_pair(notation, LaplaceLaw(q_loc, q_scale), LaplaceLaw(p_loc, p_scale))


def user_pair(q_loc: Expr, q_scale: Expr, p_loc: Expr, p_scale: Expr) -> LawPair:
    """The pair of a user's specs, its variable and centred variable named apart from the user's symbols."""
    return user_law_pair(LaplaceLaw(q_loc, q_scale), LaplaceLaw(p_loc, p_scale))


def two_laplace(notation: Notation | None = None) -> LawPair:
    """The general pair ``Laplace(mu1, b1)`` and ``Laplace(mu2, b2)``."""
    n = notation or Notation()
    return laplace_pair(n, n.real("mu", 1), n.positive("b", 1), n.real("mu", 2), n.positive("b", 2))
