"""A pair of densities ``q`` and ``p`` of one variable given in their laws' own parameters (Laplace, exponential,
Gamma, ...): no fresh scale stands for another parameterisation, so the pair's result is already in the user's
terms.

The setting answers what the engine asks of every pair (``start``, ``parameters``, ``statements``,
``assumptions``, ``checker``) and what a user's pair is asked for (``user_parameters``, ``derive``, ``closed``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

from sympy import Basic, Eq, Expr, Symbol

from ..core.engine import Derivation, Rule, derive_chain
from ..core.forms import evaluated
from ..laws import Law
from ..nodes.scalar import Density
from .univariate import Notation, UnivariatePair


@dataclass(frozen=True)
class LawPair(UnivariatePair):
    """Two densities q and p of one variable ``x``, and the variable ``t`` of a centred integral."""

    q: Density
    p: Density
    t: Symbol
    notation: Notation = field(default_factory=Notation)

    # -- what a user's pair is asked for (the Gaussian pairs of ``variants`` answer the same) --------------
    #: The pair is given in its laws' own parameters: no fresh scale stands for another parameterisation.
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
        return derive_chain("closed", title, self.start(), plan, self, skip_unfit=True).result


def law_pair(notation: Notation, q_law: Law, p_law: Law) -> LawPair:
    """q and p of the given laws over the notation's variable."""
    x = notation.real("x")
    return LawPair(q=Density(notation.name("q"), x, q_law), p=Density(notation.name("p"), x, p_law),
                   t=notation.real("t"), notation=notation)


#: Names tried for the variable and for the centred variable of a user's pair, first unused wins.
_INTERNAL_NAMES = {"x": ("x", "y", "u", "xi", "eta"), "t": ("t", "s", "u", "v", "tau")}


def user_law_pair(q_law: Law, p_law: Law) -> LawPair:
    """The pair of a user's specs, its variable and centred variable named apart from the user's symbols."""
    taken = {s.name for law in (q_law, p_law) for s in law.free_symbols}
    names: dict[str, str] = {}
    for role, candidates in _INTERNAL_NAMES.items():
        names[role] = next(c for c in candidates if c not in taken and c not in names.values())
    return law_pair(Notation(MappingProxyType(names)), q_law, p_law)
