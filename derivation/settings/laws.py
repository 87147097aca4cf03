"""A pair of densities given in their own parameters: ``q`` and ``p`` of one law family each (Laplace, Bernoulli,
Poisson, Geometric, ...), with no fresh scale standing for another parameterisation.

The setting answers what the engine asks of every pair (``start``, ``parameters``, ``statements``,
``assumptions``, ``checker``) and what a user's pair is asked for (``user_parameters``, ``derive``, ``closed``).
A family whose derivation needs more (the centred variable of a Laplace integral) extends it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sympy import And, Basic, Eq, Expr, S, Symbol, lambdify

from ..check.checker import Checker, DefinitionsChecker
from ..core.engine import Derivation, Rule, derive_chain
from ..core.errors import UsageError
from ..core.forms import evaluated
from ..interpret.parse import DistSpec
from ..laws import LAWS, Law
from ..laws.base import tail_condition, tail_order
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
    #: Fresh parameters standing for the user's other parameterisation (``pi_q`` for ``Bernoulli(logits=l)``)
    #: and their definitions in the user's parameters; ``given``: the user's parameters when there are such.
    definitions: tuple[tuple[Symbol, Expr], ...] = ()
    given: tuple[Symbol, ...] = ()
    #: Each fresh parameter, the kind of parameter the user gave and its value (``(theta_q, "logits", l)``).
    sources: tuple[tuple[Symbol, str, Expr], ...] = ()
    slots: tuple = ()
    #: The standard-normal variable of a Gaussian's moment lemmas (a pair with a Gaussian law: Normal-Laplace).
    z: Symbol | None = field(default=None, kw_only=True)
    #: The variable of a centred integral (a pair with a Laplace law: its moments are integrated about its location).
    t: Symbol | None = field(default=None, kw_only=True)

    @property
    def parameters(self) -> tuple[Symbol, ...]:
        return self.given if self.definitions else super().parameters

    @property
    def user_parameters(self) -> tuple[Symbol, ...]:
        return self.parameters

    def statements(self) -> tuple[Basic, ...]:
        """``q = Bernoulli(pi_q)``, ``p = ...``, then each fresh parameter's definition."""
        return super().statements() + tuple(Eq(s, value, evaluate=False) for s, value in self.definitions)

    def definition_of(self, node: Basic) -> Expr | None:
        return dict(self.definitions).get(node)

    def definition_identities(self, expr: Basic) -> tuple[Eq, ...]:
        used = expr.free_symbols
        return tuple(Eq(s, v, evaluate=False) for s, v in self.definitions if s in used)

    def in_user_terms(self, expr: Expr) -> Expr:
        return evaluated(expr).xreplace(dict(self.definitions))

    def conditions(self) -> tuple[Basic, ...]:
        """What the parameters must satisfy beyond their symbols' assumptions, as printable relations: each law's
        own (``a1 < b1`` for a uniform law); for a law whose support depends on its parameters, q's support
        inside p's (``a2 <= a1``, ``b1 <= b2``); for a heavy-tailed q, its moment of the order p's log-density grows
        like (``alpha > 2``: a Pareto law against a Gaussian, :func:`~derivation.laws.base.tail_condition`). Where
        they hold the divergence is finite (derived under them)."""
        if self.q.law.discrete or self.p.law.discrete:
            return ()
        parts = (self.q.law.admissible(), self.p.law.admissible(), *self.q.law.containment(self.p.law),
                 tail_condition(self.q.law, self.p.law, self.q.variable))
        if And(*parts) in (S.true, S.false):
            return ()
        flat = (c for part in parts for c in (part.args if isinstance(part, And) else (part,)))
        return tuple(dict.fromkeys(c for c in flat if c is not S.true))

    def finite_where(self) -> Basic:
        """Where the divergence of two admissible laws is finite: q's support inside p's (``a2 <= a1``,
        ``b1 <= b2`` for two uniform laws; else q gives mass where p gives none) and a heavy-tailed q's moment of the
        order p's log-density grows like (``alpha > 1``: a Pareto law against an exponential one); outside it the
        divergence is +oo (``rules.support`` derives it where the numbers decide). ``S.true`` for every other pair;
        the code exports return +inf where it fails, as torch does."""
        if self.q.law.discrete or self.p.law.discrete:
            return S.true
        return And(*self.q.law.containment(self.p.law), tail_condition(self.q.law, self.p.law, self.q.variable))

    def assumptions(self) -> tuple[Basic, ...]:
        """The parameters' domains, then the :meth:`conditions` on them."""
        return super().assumptions() + self.conditions()

    def checker(self) -> Checker:
        """Points drawn in the user's parameters, each fresh parameter at its defined value there; only points
        where the :meth:`conditions` hold."""
        if self.definitions:
            return DefinitionsChecker(self.given, self.definitions)
        conditions = self.conditions()
        if not conditions:
            return super().checker()
        holds = lambdify(self.parameters, And(*conditions), "mpmath")
        order = tail_order(self.p.law.energy(self.q.variable), self.q.variable)[0]
        return Checker(self.parameters, ranges={**self.q.law.tail_ranges(order), **self.p.law.ranges()},
                       admissible=lambda point: bool(holds(*(point[s] for s in self.parameters))))

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
    """The pair ``q``, ``p`` of two laws, its variable named apart from their symbols."""
    taken = {s.name for law in (q, p) for s in law.free_symbols}
    n = notation or Notation()
    x = variable_for(q.discrete, taken)
    return LawPair(q=Density(n.name("q"), x, q), p=Density(n.name("p"), x, p), notation=n)


def spec_pair(q: DistSpec, p: DistSpec) -> LawPair:
    """The pair of a user's two specs of families in their own parameters, its variable named apart from their
    symbols. A spec in another parameterisation (``Bernoulli(logits=l)``) gets a fresh parameter (``theta_q``)
    defined in the user's (``theta_q = e^l / (1 + e^l)``)."""
    specs = {"q": q, "p": p}
    given = tuple(dict.fromkeys(s for spec in specs.values() for s in (spec.loc, spec.param) if isinstance(s, Symbol)))
    taken = {s.name for s in given}
    laws, definitions, sources = {}, [], []
    for role, spec in specs.items():
        family = LAWS[spec.family]
        if spec.param_kind not in family.parameterisations:  # its own parameter, or a plain expression of it
            try:
                laws[role] = family.given(spec.param_kind, spec.param, *(() if spec.loc is None else (spec.loc,)))
            except ValueError as error:  # a parameterisation this pair does not take
                raise UsageError(f"{role}: {error}") from None
            continue
        fresh = Symbol(unused((f"theta_{role}", f"vartheta_{role}", f"t_{role}"), taken), positive=True)
        taken.add(fresh.name)
        laws[role] = family(*(() if spec.loc is None else (spec.loc,)), fresh)  # Binomial's count leads
        definitions.append((fresh, family.parameterisations[spec.param_kind](spec.param)))
        sources.append((fresh, spec.param_kind, spec.param))
    x = variable_for(laws["q"].discrete, taken)
    z = t = None
    if any(law.family == "Normal" for law in laws.values()):
        z = Symbol(unused(("z", "w", "v", "zeta"), taken | {x.name}), real=True)
    if any(law.family == "Laplace" for law in laws.values()):
        t = Symbol(unused(("t", "s", "u", "v", "tau"), taken | {x.name} | ({z.name} if z else set())), real=True)
    n = Notation()
    return LawPair(q=Density(n.name("q"), x, laws["q"]), p=Density(n.name("p"), x, laws["p"]), notation=n,
                   definitions=tuple(definitions), given=given, sources=tuple(sources), z=z, t=t)
