"""The Dirichlet law ``Dirichlet(concentration)`` of a vector ``x`` on the simplex (``x_k > 0``, ``sum_k x_k = 1``)
over K coordinates: density ``Gamma(alpha_0) / prod_k Gamma(alpha_k) * prod_k x_k**(alpha_k - 1)`` with
``alpha_0 = sum_k alpha_k``. The concentration is a vector by name, or one positive number for every coordinate
(the symmetric law); K is a positive integer or a name. Its coordinate ``x_k`` alone is
``Beta(alpha_k, alpha_0 - alpha_k)`` (the aggregation property), which the checker and the rules use."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sympy import Basic, Expr, Indexed, IndexedBase, Integer, S, Sum, Symbol, exp, gamma, log

from ..core.forms import add, mul, neg, sub
from .base import Integrand, Law, Number
from .gamma import shape_minus_one

#: The index of the sums over the coordinates a Dirichlet law writes (``sum_k``), and of the total's (``sum_j``).
INDEX = Symbol("k", integer=True, positive=True)
TOTAL_INDEX = Symbol("j", integer=True, positive=True)


class DirichletLaw(Law):
    """``Dirichlet(concentration)`` over K coordinates (``concentration`` a vector, or one number for all)."""

    family = "Dirichlet"
    parameter_names = ("concentration", "dim")
    symbols = ("alpha", "K")
    #: The letters q and p share in an example pair (a pair is derived over one simplex).
    shared = ("K",)
    #: The checker draws the concentrations in [1, 3] (as Beta's: the density bounded on the simplex).
    parameter_ranges = ((1.0, 3.0), None)

    def __new__(cls, concentration: IndexedBase | Expr, size: Expr | int) -> DirichletLaw:
        return Law.__new__(cls, concentration, size)

    @property
    def concentration(self) -> IndexedBase | Expr:
        return self.args[0]

    @property
    def symmetric(self) -> bool:
        """Every coordinate the same concentration (one number)."""
        return not isinstance(self.concentration, IndexedBase)

    @property
    def size(self) -> Expr:
        """K, the number of coordinates."""
        return self.args[1]

    @property
    def free_symbols(self) -> set:
        own = {self.concentration} if not self.symmetric else self.concentration.free_symbols
        return own | self.size.free_symbols

    def at(self, index: Expr) -> Expr:
        """``alpha_k``: the concentration of coordinate ``index``."""
        return self.concentration if self.symmetric else self.concentration[index]

    def total(self) -> Expr:
        """``alpha_0``, the total concentration: the entry 0 of the vector, which stands for ``sum_j alpha_j``
        (:meth:`total_sum`; a vector's entries are 1, ..., K), or ``K c`` for the symmetric law."""
        if self.symmetric:
            return self.size * self.concentration if self.size.is_Integer else mul(self.size, self.concentration)
        return self.concentration[0]

    def total_sum(self, index: Symbol = TOTAL_INDEX) -> Expr:
        """``sum_j alpha_j``, what :meth:`total` stands for."""
        if self.symmetric:
            return self.total()
        return Sum(self.concentration[index], (index, 1, self.size))

    def over(self, body: Expr, index: Symbol = INDEX) -> Expr:
        """``sum_k body`` over the coordinates (``K body`` when body is free of k: a symmetric law's terms)."""
        if not body.has(index):
            return S.Zero if body == 0 else mul(self.size, body)
        return Sum(body, (index, 1, self.size))

    def log_normaliser(self, index: Symbol = INDEX) -> Expr:
        """``log Gamma(alpha_0) - sum_k log Gamma(alpha_k)``."""
        return sub(log(gamma(self.total())), self.over(log(gamma(self.at(index))), index))

    def normaliser_difference(self, other: Law) -> Expr:
        """``log Gamma(alpha_0) - sum_k log Gamma(alpha_k) - log Gamma(beta_0) + sum_k log Gamma(beta_k)``: the
        four terms kept apart (torch's form)."""
        if not isinstance(other, DirichletLaw):
            return super().normaliser_difference(other)
        k = INDEX
        return add(log(gamma(self.total())), neg(self.over(log(gamma(self.at(k))), k)),
                   neg(log(gamma(other.total()))), self.over(log(gamma(other.at(k))), k))

    def energy(self, variable: IndexedBase, index: Symbol = INDEX) -> Expr:
        """``-sum_k (alpha_k - 1) log x_k``."""
        return neg(self.over(mul(shape_minus_one(self.at(index)), log(variable[index])), index))

    def log_pdf_form(self, variable: IndexedBase) -> Expr:
        """``log Gamma(alpha_0) + sum_k ((alpha_k - 1) log x_k - log Gamma(alpha_k))``: one sum over the coordinates."""
        k = INDEX
        return add(log(gamma(self.total())),
                   self.over(sub(mul(shape_minus_one(self.at(k)), log(variable[k])), log(gamma(self.at(k)))), k))

    def pdf(self, variable: IndexedBase) -> Expr:
        return exp(self.log_pdf_form(variable))

    def log_pdf(self, variable: IndexedBase) -> Expr:
        return self.log_pdf_form(variable)

    def numeric_size(self, size: int) -> DirichletLaw:
        """The law at a number of coordinates."""
        return DirichletLaw(self.concentration, Integer(size))

    def integrate(self, function: Integrand, values: Sequence[Number], exact: bool,
                  breakpoints: Sequence[Number] = ()) -> Number:
        raise ValueError("a Dirichlet law's expectations are integrals over the simplex (settings.dirichlet)")


__all__ = ["INDEX", "TOTAL_INDEX", "DirichletLaw", "with_totals"]


def with_totals(expr: Basic, laws: Iterable[DirichletLaw]) -> Basic:
    """``expr`` with each total concentration ``alpha_0`` of one of ``laws`` (an entry 0 of its vector) written as
    ``sum_j alpha_j``."""
    by_vector = {law.concentration: law for law in laws if not law.symmetric}
    found = {e: by_vector[e.base].total_sum() for e in expr.atoms(Indexed) if e.indices == (0,) and e.base in by_vector}
    return expr.xreplace(found) if found else expr
