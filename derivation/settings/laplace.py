"""A pair of Laplace densities ``q = Laplace(mu1, b1)`` and ``p = Laplace(mu2, b2)`` of one real variable.

The setting answers what the engine asks of every pair (``start``, ``parameters``, ``statements``,
``assumptions``, ``checker``) and what a user's pair is asked for (``user_parameters``, ``derive``, ``closed``;
a Laplace pair is given in its own parameters, so there are no fresh scales to define or substitute).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

from sympy import Basic, Eq, Expr, Symbol

from ..core.engine import Derivation, Rule, derive_chain
from ..core.forms import evaluated
from ..laws import LaplaceLaw
from ..nodes.scalar import Density
from .univariate import Notation, UnivariatePair


@dataclass(frozen=True)
class LaplaceSetting(UnivariatePair):
    """Two Laplace densities q and p of one real variable ``x``, and the variable ``t`` of a centred integral."""

    q: Density
    p: Density
    t: Symbol
    notation: Notation = field(default_factory=Notation)

    # -- what a user's pair is asked for (the Gaussian pairs of ``variants`` answer the same) --------------
    #: A Laplace pair is given in its own parameters: no fresh scale stands for another parameterisation.
    slots: tuple = ()
    definitions: tuple = ()

    @property
    def user_parameters(self) -> tuple[Symbol, ...]:
        return self.parameters

    def definition_of(self, node: Basic) -> Expr | None:
        return None

    def definition_identities(self, expr: Basic) -> tuple[Eq, ...]:
        return ()

    def in_user_terms(self, expr: Expr) -> Expr:
        return evaluated(expr)

    def instantiate(self, expr: Expr) -> Expr:
        return expr

    def derive(self, name: str, title: str, plan: tuple[Rule, ...], description: str = "") -> Derivation:
        """The plan applied to ``start()``, every step checked as it is made; a rule that does not fit the pair
        (equal locations, a unit scale) is skipped."""
        checker = self.checker()
        return derive_chain(name, title, self.start(), plan, self, description,
                            check=lambda i, before, step: checker.check_step(i, before, step, title), skip_unfit=True)

    def closed(self, title: str, plan: tuple[Rule, ...]) -> Expr:
        """The plan's result (rules only, unchecked)."""
        return derive_chain("laplace", title, self.start(), plan, self, skip_unfit=True).result


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
