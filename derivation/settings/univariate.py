"""Settings: the symbols (with their assumptions) and densities a derivation talks about.

Symbol names come from a :class:`Notation`, so renaming ``mu`` to ``m`` changes every line of
every document without touching a rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from sympy import Basic, Contains, Eq, Expr, Gt, S, Symbol

from ..check.checker import Checker
from ..core.errors import UsageError
from ..interpret.parse import RESERVED_NAMES, DistSpec, parse_spec
from ..laws import NormalLaw
from ..nodes.scalar import KL, Density
from ..printing.latex import PrintStyle

#: Roles whose symbol names ``--notation role=name`` may change.
ROLES = frozenset({"mu", "sigma", "x", "z", "q", "p", "Sigma", "d", "k", "j", "logvar", "beta", "t", "eta"})
#: Roles whose default symbol is not the role's own name: one log-variance symbol, ``\ell``, in every document.
_DEFAULT_NAMES = {"logvar": "ell"}
#: Keys that name another role: ``k`` (the full case's dimension before it became d, as every document now
#: writes it) is accepted as ``d``.
_ALIASES = {"k": "d"}
#: The densities' roles, whose letters subscript their parameters (``mu_q``, ``Sigma_p``).
DENSITIES = ("q", "p")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*\Z")
_LOGS = {"log": r"\log", "ln": r"\ln"}
_EXPECTATIONS = {"mathbb": r"\mathbb{E}", "E": r"\mathrm{E}"}


@dataclass(frozen=True)
class Notation:
    """How a document names things, without touching a rule.

    ``names`` maps a role ("mu", "sigma", "x", "q", "p", ...) to a symbol name; ``log`` is ``"log"`` or
    ``"ln"``; ``expectation`` is ``"mathbb"`` (a blackboard E) or ``"E"`` (an upright E).
    """

    names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    log: str = "log"
    expectation: str = "mathbb"

    def name(self, role: str, index: int | str | None = None, *, of: str | None = None) -> str:
        """The symbol name of ``role``: with a coordinate ``index`` appended (``sigma`` 1 -> ``sigma1``), or, for
        a parameter ``of`` a density (``"q"`` or ``"p"``), subscripted by that density's letter
        (``mu`` of q -> ``mu_q``, printed \\mu_{q}; ``mu_p`` after ``letters=p,q``)."""
        role = _ALIASES.get(role, role)
        base = self.names.get(role) or self._alias_of(role) or _DEFAULT_NAMES.get(role, role)
        if of is not None:
            if of not in DENSITIES:
                raise ValueError(f"a parameter belongs to density q or p, not {of!r}")
            return f"{base}_{self.name(of)}"
        return base if index is None else f"{base}{index}"

    def _alias_of(self, role: str) -> str | None:
        """A name given under a key that aliases ``role`` (``Notation({"k": "n"})`` names the dimension)."""
        return next((self.names[key] for key, target in _ALIASES.items() if target == role and key in self.names),
                    None)

    def real(self, role: str, index: int | str | None = None, *, of: str | None = None) -> Symbol:
        """A real symbol, e.g. a mean."""
        return Symbol(self.name(role, index, of=of), real=True)

    def positive(self, role: str, index: int | str | None = None, *, of: str | None = None) -> Symbol:
        """A positive symbol, e.g. a standard deviation."""
        return Symbol(self.name(role, index, of=of), positive=True)

    def style(self, base: PrintStyle) -> PrintStyle:
        """``base`` with this notation's logarithm and expectation symbols."""
        return replace(base, log=_LOGS[self.log], expectation_symbol=_EXPECTATIONS[self.expectation])

    def as_dict(self) -> dict[str, str]:
        """The choices that differ from the defaults, as ``--notation`` would spell them."""
        out = dict(self.names)
        if self.log != "log":
            out["log"] = self.log
        if self.expectation != "mathbb":
            out["expectation"] = self.expectation
        return out


def parse_notation(items: Iterable[str]) -> Notation:
    """A :class:`Notation` from ``key=value`` strings (the CLI's ``--notation``).

    Keys: a role (``mu=m``), ``log=ln``, ``expectation=E``, or ``letters=p,q`` (the names of the two
    densities, in the order KL(first || second)).
    """
    names: dict[str, str] = {}
    log, expectation = "log", "mathbb"
    given: dict[str, tuple[str, str]] = {}  # role -> (key as spelled, value)
    for item in items:
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise UsageError(f"notation {item!r} is not of the form key=value (e.g. mu=m)")
        spelled, key = key, _ALIASES.get(key, key)
        if key in given:
            first, earlier = given[key]
            raise UsageError(f"notation {key} is given twice ({first}={earlier} and {spelled}={value}): give it once")
        given[key] = (spelled, value)
        if key == "log":
            if value not in _LOGS:
                raise UsageError(f"notation log={value!r}: choose log or ln")
            log = value
        elif key == "expectation":
            if value not in _EXPECTATIONS:
                raise UsageError(f"notation expectation={value!r}: choose mathbb or E")
            expectation = value
        elif key == "letters":
            letters = [v.strip() for v in value.split(",")]
            if len(letters) != 2 or not all(_NAME.match(v) for v in letters) or letters[0] == letters[1]:
                raise UsageError(f"notation letters={value!r}: give two different names, e.g. letters=p,q")
            for role, letter in zip(("q", "p"), letters, strict=True):
                _unreserved(role, letter, allowed=("p", "q"))
            names["q"], names["p"] = letters
        elif key in ROLES:
            if not _NAME.match(value):
                raise UsageError(f"notation {key}={value!r}: a name is a letter followed by letters or digits")
            _unreserved(key, value)
            names[key] = value
        else:
            raise UsageError(f"unknown notation key {key!r} (choose from: log, expectation, letters, "
                             f"{', '.join(sorted(ROLES))})")
    effective = [names.get(role, role) for role in ROLES - _ALIASES.keys()]
    if len(set(effective)) != len(effective):
        raise UsageError("notation gives the same name to two roles")
    return Notation(MappingProxyType(names), log, expectation)


def _unreserved(role: str, name: str, allowed: tuple[str, ...] = ()) -> None:
    """Refuse a name the documents already use for something else (``mu=pi`` would print ``\\pi`` for a mean)."""
    if name in RESERVED_NAMES and name != role and name not in allowed:
        raise UsageError(f"notation {role}={name!r}: {name!r} would be read as {RESERVED_NAMES[name]} in the "
                         "documents; choose another name")


class UnivariatePair:
    """What every pair of densities ``q``, ``p`` of one real variable answers the engine (mixed into the frozen
    dataclasses that hold them: the Gaussian :class:`Setting`, ``settings.laws.LawPair``)."""

    q: Density
    p: Density

    @property
    def x(self) -> Symbol:
        return self.q.variable

    def start(self) -> KL:
        """The first line of every derivation in this setting: ``KL(q || p)``."""
        return KL(self.q, self.p)

    def statements(self) -> tuple[Basic, ...]:
        """What the document's "Setting" paragraph states, e.g. ``q = N(mu_q, sigma_q**2)``."""
        return tuple(Eq(Symbol(d.name), Density("", d.variable, d.law), evaluate=False)
                     for d in (self.q, self.p))

    def assumptions(self) -> tuple[Basic, ...]:
        """The assumptions on the parameters, as printable relations (``sigma_q > 0``, ``mu_q in R``)."""
        domains = {**self.q.law.domains(), **self.p.law.domains()}
        return tuple(Contains(s, domains[s], evaluate=False) if s in domains
                     else Gt(s, 0, evaluate=False) if s.is_positive else Contains(s, S.Reals, evaluate=False)
                     for s in self.parameters)

    def checker(self) -> Checker:
        """The checker for derivations in this setting (random points drawn over ``parameters``, in the ranges
        the laws give their parameters)."""
        return Checker(self.parameters, ranges={**self.q.law.ranges(), **self.p.law.ranges()})

    @property
    def parameters(self) -> tuple[Symbol, ...]:
        """The free parameters, in reading order (each law's parameters in its order)."""
        seen: dict[Symbol, None] = {}
        for density in (self.q, self.p):
            for expr in density.law.parameters:
                for s in sorted(expr.free_symbols, key=str):
                    seen.setdefault(s, None)
        return tuple(seen)


@dataclass(frozen=True)
class Setting(UnivariatePair):
    """Two univariate Gaussians q and p of one real variable (``x``), and a standard-normal variable ``z``."""

    q: Density
    p: Density
    z: Symbol
    notation: Notation = field(default_factory=Notation)


def gaussian_pair(notation: Notation, q_mean: Expr, q_std: Expr, p_mean: Expr, p_std: Expr) -> Setting:
    """q = N(q_mean, q_std**2) and p = N(p_mean, p_std**2) over the notation's variable."""
    x = notation.real("x")
    return Setting(
        q=Density(notation.name("q"), x, NormalLaw(q_mean, q_std)),
        p=Density(notation.name("p"), x, NormalLaw(p_mean, p_std)),
        z=notation.real("z"),
        notation=notation,
    )


#: The roles a named case's preset specs name by their default names (``mu``, ``sigma_q``, ``ell``, ``d``).
PRESET_ROLES = ("mu", "sigma", "logvar", "Sigma", "d")


def preset_specs(specs: tuple[str, str], notation: Notation, dim: int | None = None) -> tuple[DistSpec, DistSpec]:
    """A named case's preset specs (``Normal(mu, sigma)``), read by the spec parser a user's ``--q``/``--p`` go
    through and renamed by the case's ``notation`` (``--notation mu=m``: ``mu`` -> ``m``, ``mu_q`` -> ``m_q``);
    a concrete dimension ``dim`` (``--dim``) replaces the specs' own."""
    default = Notation()
    renames = {default.name(role): notation.name(role) for role in PRESET_ROLES}
    renames.update({default.name(role, of=of): notation.name(role, of=of) for role in ("mu", "sigma", "logvar", "Sigma")
                    for of in DENSITIES})

    def renamed(value: Any) -> Any:
        if not isinstance(value, Symbol) or value.name not in renames:
            return value
        kind = {"integer": True, "positive": True} if value.is_integer else \
            {"positive": True} if value.is_positive else {"real": True}  # as the parser made it
        return Symbol(renames[value.name], **kind)

    def read(text: str) -> DistSpec:
        s = parse_spec(text)
        return DistSpec(s.family, renamed(s.loc), s.param_kind, renamed(s.param),
                        dim if dim is not None and s.dim is not None else renamed(s.dim), s.text)

    q, p = specs
    return read(q), read(p)


def preset_gaussians(specs: tuple[str, str], notation: Notation) -> Setting:
    """A named univariate case's setting: its preset ``Normal`` specs (:func:`preset_specs`), then the Gaussian pair
    a user's specs make (:func:`gaussian_pair`)."""
    q, p = preset_specs(specs, notation)
    return gaussian_pair(notation, q.loc, q.param, p.loc, p.param)
