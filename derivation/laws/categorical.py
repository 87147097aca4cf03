"""The categorical law ``Categorical(probs)``: K categories ``k = 1, ..., K``, category k with probability
``probs_k`` (a vector on the simplex: positive entries that add up to one). A discrete law: its sums run over
the K categories; K is a positive integer or a name."""

from __future__ import annotations

from collections.abc import Sequence

from sympy import Expr, IndexedBase, Integer, Interval, Range, S, Sum, Symbol, exp, log

from ..core.forms import frac
from .base import Integrand, Law, Number


def softmax(logits: IndexedBase, k: Expr, size: Expr, index: Symbol) -> Expr:
    """``e^{l_k} / sum_j e^{l_j}``: the probability of category k given logits l (the softmax), a display form."""
    return frac(exp(logits[k]), Sum(exp(logits[index]), (index, 1, size)))


class CategoricalLaw(Law):
    """``Categorical(probs)`` over K categories: the mass of category k is ``probs_k`` (``probs`` a vector, or one
    number for every category: the uniform law's ``1/K``)."""

    family = "Categorical"
    parameter_names = ("probs", "dim")
    symbols = ("theta", "K")
    #: The letters q and p share in an example pair (a pair is derived over one set of categories).
    shared = ("K",)
    discrete = True
    parameter_domains = (Interval.open(0, 1), None)

    def __new__(cls, probs: IndexedBase | Expr, size: Expr | int) -> CategoricalLaw:
        return Law.__new__(cls, probs, size)

    @property
    def probs(self) -> IndexedBase | Expr:
        return self.args[0]

    @property
    def uniform(self) -> bool:
        """Every category equally likely (``probs`` one number, ``1/K``)."""
        return not isinstance(self.probs, IndexedBase)

    @property
    def size(self) -> Expr:
        """K, the number of categories."""
        return self.args[1]

    @property
    def free_symbols(self) -> set:
        return ({self.probs} if not self.uniform else self.probs.free_symbols) | self.size.free_symbols

    @property
    def support(self) -> Range:  # type: ignore[override]
        return Range(1, self.size + 1)

    def limits(self, variable: Symbol) -> tuple[Symbol, Expr, Expr]:
        return variable, S.One, self.size

    def pdf(self, variable: Symbol) -> Expr:
        return self.probs if self.uniform else self.probs[variable]

    def mass(self, value: int) -> Expr:
        """``probs_k`` at a category k (0 outside 1, ..., K when K is a number)."""
        if self.size.is_Integer and not 1 <= value <= int(self.size):
            return S.Zero
        return self.pdf(Integer(value))

    def log_pdf(self, variable: Symbol) -> Expr:
        return log(self.pdf(variable))

    def outside_support(self, other: Law, search: int = 64) -> Expr | None:
        """None: two categorical laws over the same K categories have the same support."""
        return None

    def integrate(self, function: Integrand, values: Sequence[Number], exact: bool,
                  breakpoints: Sequence[Number] = ()) -> Number:
        raise ValueError("a categorical law's sums are evaluated over its vector of probabilities")
