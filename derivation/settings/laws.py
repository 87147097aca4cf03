"""A pair of densities given in their own parameters: ``q`` and ``p`` of one law family each (Laplace, Bernoulli,
Poisson, Geometric, ...), with no fresh scale standing for another parameterisation.

The setting answers what the engine asks of every pair (``start``, ``parameters``, ``statements``,
``assumptions``, ``checker``) and what a user's pair is asked for (``user_parameters``, ``derive``, ``closed``).
A family whose derivation needs more (the centred variable of a Laplace integral) extends it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sympy import Basic, Eq, Expr, Symbol

from ..core.engine import Derivation, Rule, derive_chain
from ..core.forms import evaluated
from ..laws import Law
from ..nodes.scalar import Density
from .univariate import Notation, UnivariatePair

#: Names tried for the variable of a continuous and of a discrete law, first unused wins.
VARIABLE_NAMES = {False: ("x", "y", "u", "xi", "eta"), True: ("k", "j", "n", "m", "x")}


@dataclass(frozen=True)
class LawPair(UnivariatePair):
    """Two densities q and p of one variable, each a law in the parameters the user gave."""

    q: Density
    p: Density
    notation: Notation = field(default_factory=Notation)

    # -- what a user's pair is asked for (the Gaussian pairs of ``variants`` answer the same) --------------
    #: The pair is given in its own parameters: no fresh scale stands for another parameterisation.
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
        return derive_chain(title, title, self.start(), plan, self, skip_unfit=True).result


def unused(candidates: Iterable[str], taken: set[str]) -> str:
    """The first candidate name not taken."""
    return next(c for c in candidates if c not in taken)


def variable_for(discrete: bool, taken: set[str]) -> Symbol:
    """The variable of a pair, named apart from ``taken``: real ``x``, or a non-negative integer ``k``."""
    name = unused(VARIABLE_NAMES[discrete], taken)
    return Symbol(name, integer=True, nonnegative=True) if discrete else Symbol(name, real=True)


def law_pair(q: Law, p: Law, notation: Notation | None = None) -> LawPair:
    """The pair ``q``, ``p`` of a user's two laws, its variable named apart from their symbols."""
    taken = {s.name for law in (q, p) for s in law.free_symbols}
    x = variable_for(q.discrete, taken)
    n = notation or Notation()
    return LawPair(q=Density(n.name("q"), x, q), p=Density(n.name("p"), x, p), notation=n)
