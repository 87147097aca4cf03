"""Settings: the symbols (with their assumptions) and densities a derivation talks about.

Symbol names come from a :class:`Notation`, so renaming ``mu`` to ``m`` changes every line of
every document without touching a rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sympy import Basic, Contains, Eq, Expr, Gt, S, Symbol

from .nodes import KL, Density


@dataclass(frozen=True)
class Notation:
    """Names used in print: ``names`` maps a role ("mu", "sigma", "x", "q", "p", "z") to a symbol name."""

    names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def name(self, role: str, index: int | str | None = None) -> str:
        base = self.names.get(role, role)
        return base if index is None else f"{base}{index}"

    def real(self, role: str, index: int | str | None = None) -> Symbol:
        """A real symbol, e.g. a mean."""
        return Symbol(self.name(role, index), real=True)

    def positive(self, role: str, index: int | str | None = None) -> Symbol:
        """A positive symbol, e.g. a standard deviation."""
        return Symbol(self.name(role, index), positive=True)


@dataclass(frozen=True)
class Setting:
    """Two univariate Gaussians q and p of one real variable (``x``), and a standard-normal variable ``z``."""

    q: Density
    p: Density
    z: Symbol
    notation: Notation = field(default_factory=Notation)

    @property
    def x(self) -> Symbol:
        return self.q.variable

    def start(self) -> KL:
        """The first line of every derivation in this setting: ``KL(q || p)``."""
        return KL(self.q, self.p)

    def statements(self) -> tuple[Basic, ...]:
        """What the document's "Setting" paragraph states, e.g. ``q = N(mu1, sigma1**2)``."""
        return tuple(Eq(Symbol(d.name), Density("", d.variable, d.mean, d.std), evaluate=False)
                     for d in (self.q, self.p))

    def assumptions(self) -> tuple[Basic, ...]:
        """The assumptions on the parameters, as printable relations (``sigma1 > 0``, ``mu1 in R``)."""
        return tuple(Gt(s, 0, evaluate=False) if s.is_positive else Contains(s, S.Reals, evaluate=False)
                     for s in self.parameters)

    def checker(self):
        """The checker for derivations in this setting (random points drawn over ``parameters``)."""
        from .verify import Checker

        return Checker(self.parameters)

    @property
    def parameters(self) -> tuple[Symbol, ...]:
        """The free parameters, in reading order."""
        seen: dict[Symbol, None] = {}
        for density in (self.q, self.p):
            for expr in (density.mean, density.std):
                for s in sorted(expr.free_symbols, key=str):
                    seen.setdefault(s, None)
        return tuple(seen)


def gaussian_pair(notation: Notation, q_mean: Expr, q_std: Expr, p_mean: Expr, p_std: Expr) -> Setting:
    """q = N(q_mean, q_std**2) and p = N(p_mean, p_std**2) over the notation's variable."""
    x = notation.real("x")
    return Setting(
        q=Density(notation.name("q"), x, q_mean, q_std),
        p=Density(notation.name("p"), x, p_mean, p_std),
        z=notation.real("z"),
        notation=notation,
    )
