"""The pairs of families ``kl-derive build`` writes a document for, each in example specs.

Every pair of families with a route (:data:`~derivation.pairs.routes.ROUTES`) is one, except the pairs of two
Gaussian families, whose documents are the named cases (``univariate``, ``diagonal``, ``full``). A pair's specs
name each parameter by the letter a textbook gives it (:attr:`Law.symbols <derivation.laws.base.Law.symbols>`),
suffixed ``_q`` and ``_p``: ``Gamma(alpha_q, beta_q)`` against ``Gamma(alpha_p, beta_p)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..laws import LAWS
from .routes import ROUTES, variant
from .univariate import Variant

#: The families whose pairs among themselves are the named cases' documents.
GAUSSIAN_FAMILIES = frozenset({"Normal", "DiagNormal", "MvNormal"})


@dataclass(frozen=True)
class FamilyPair:
    """KL(q ‖ p) for q of family ``q_family`` and p of family ``p_family``."""

    q_family: str
    p_family: str

    @property
    def name(self) -> str:
        """The document's name: ``laplace-laplace``, ``bernoulli-poisson``."""
        return f"{self.q_family.lower()}-{self.p_family.lower()}"

    @property
    def same_family(self) -> bool:
        return self.q_family == self.p_family

    @property
    def discrete(self) -> bool:
        """Both laws of an integer variable: the divergence is a sum."""
        return all(LAWS[f].discrete for f in (self.q_family, self.p_family))

    def specs(self) -> tuple[str, str]:
        """The example specs of q and p."""
        return example_spec(self.q_family, "q"), example_spec(self.p_family, "p")

    def variant(self) -> Variant:
        return variant(*self.specs())


def example_spec(family: str, suffix: str) -> str:
    """A spec of ``family`` with its parameters in the textbook's letters: ``example_spec("Laplace", "q")`` is
    ``Laplace(mu_q, b_q)`` (positional, so each parameter in the family's first parameterisation)."""
    law = LAWS[family]
    letters = law.symbols or law.parameter_names
    shared = getattr(law, "shared", ())  # one value for q and p (a binomial pair's number of trials)
    return f"{family}({', '.join(letter if letter in shared else f'{letter}_{suffix}' for letter in letters)})"


def family_pairs() -> tuple[FamilyPair, ...]:
    """Every pair of families derived, the same-family pairs first (in the order of :data:`LAWS`), then the
    pairs of two families."""
    order = list(LAWS)
    pairs = [FamilyPair(q, p) for q, p in ROUTES
             if not {q, p} <= GAUSSIAN_FAMILIES and q in LAWS and p in LAWS]
    return tuple(sorted(pairs, key=lambda pair: (not pair.same_family, order.index(pair.q_family),
                                                  order.index(pair.p_family))))


#: The family pairs by document name.
FAMILY_PAIRS: dict[str, FamilyPair] = {pair.name: pair for pair in family_pairs()}
