"""Two densities of one exponential family in natural form, ``q(x) = h(x) exp(eta_q T(x) - A(eta_q))`` and
``p(x) = h(x) exp(eta_p T(x) - A(eta_p))``, and the checker that checks lines holding ``h``, ``T`` and ``A``.

A line in the general family cannot be evaluated: the :class:`InstanceChecker` first tries the symbolic normal
forms, then checks the line at every instance of :data:`~derivation.laws.expfamily.INSTANCES` (the functions and
the densities of a concrete family put in, the natural parameters drawn where that family has them); a line must
hold at all of them. A family's own lines (the natural form of the Poisson family, say) are checked at that family
(``instances`` of one :class:`~derivation.laws.expfamily.Instance`-like substitution).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sympy import Basic, Derivative, Eq, Expr, Function, Integral, Lambda, Symbol, expand, expand_log

from ..check.checker import Checker, _explicit, symbolic_reason
from ..core.engine import Check
from ..laws.expfamily import INSTANCES, ExponentialFamilyLaw, Instance
from ..nodes.scalar import Density
from .univariate import Notation, UnivariatePair


def instantiated(expr: Expr, functions: Mapping[Function, Lambda], law=None) -> Expr:
    """``expr`` with each undefined function of ``functions`` replaced by its concrete one and, given ``law``
    (natural parameter -> a concrete law), each density of the general family by a density of that law."""
    if law is not None:
        densities = {d: Density(d.name, d.variable, law(d.law.natural)) for d in expr.atoms(Density)
                     if isinstance(d.law, ExponentialFamilyLaw)}
        expr = expr.xreplace(densities)
    for function, concrete in functions.items():
        expr = expr.replace(function, concrete)
    return expr


def _forced(expr: Expr) -> Expr:
    """Densities written out, logarithms of products and powers expanded: valid here, where every factor under a
    logarithm is positive (a density, the base measure ``h``, an exponential of a real number)."""
    explicit = _explicit(expr).replace(lambda n: isinstance(n, Derivative) and not n.has(Integral),
                                       lambda n: n.doit())
    return expand(expand_log(explicit, force=True))


def _same_with_logs_expanded(a: Expr, b: Expr) -> bool:
    """Whether the two agree once their logarithms are expanded (see :func:`_forced`)."""
    return _forced(a - b) == 0


class InstanceChecker(Checker):
    """Checks a line of the general family symbolically, else at each concrete instance (all must agree)."""

    def __init__(self, symbols, instances: tuple[Instance, ...] = INSTANCES, **options):
        super().__init__(symbols, probes=0)
        self.symbols = tuple(symbols)
        self.instances = tuple((instance, Checker(symbols, ranges=dict.fromkeys(symbols, instance.natural_range),
                                                  **options)) for instance in instances)

    def check(self, index: int, before: Expr, after: Expr) -> Check:
        reason = symbolic_reason(before, after) or symbolic_reason(
            before, after, _same_with_logs_expanded, " (logarithms of positive factors expanded)")
        if reason is not None:
            return Check(index, True, "symbolic", reason)
        verdicts = []
        for instance, checker in self.instances:
            functions = instance.functions()
            a, b = (instantiated(e, functions, instance.law) for e in (before, after))
            verdict = checker.check(index, a, b)
            if not verdict.ok:
                return Check(index, False, verdict.method, f"for {instance.name}: {verdict.detail}")
            verdicts.append(verdict)
        shown = " and ".join(instance.name for instance, _ in self.instances)
        method = "symbolic" if all(v.method == "symbolic" for v in verdicts) else "numeric"
        return Check(index, True, method, f"{verdicts[-1].detail}, for {shown} in place of h, T and A")


class NaturalFormChecker(Checker):
    """Checks a line in ``A`` against the next in a family's own parameters: ``A``, ``A'`` and the natural parameters
    put in (``definitions``), then compared at random points of the family's parameters."""

    def __init__(self, symbols, functions: Mapping[Function, Lambda], definitions: Mapping[Symbol, Expr],
                 ranges=None):
        super().__init__(symbols, ranges=ranges)
        self.functions, self.definitions = dict(functions), dict(definitions)

    def check(self, index: int, before: Expr, after: Expr) -> Check:
        a, b = (instantiated(e, self.functions).xreplace(self.definitions) for e in (before, after))
        return super().check(index, a, b)


@dataclass(frozen=True)
class NaturalPair(UnivariatePair):
    """``q`` and ``p`` of the general one-parameter exponential family, natural parameters ``eta_q``, ``eta_p``."""

    q: Density
    p: Density
    notation: Notation = field(default_factory=Notation)

    def statements(self) -> tuple[Basic, ...]:
        """``q(x) = h(x) exp(eta_q T(x) - A(eta_q))`` and the same for p."""
        return tuple(Eq(d, d.law.density_form(d.variable), evaluate=False) for d in (self.q, self.p))

    def checker(self) -> InstanceChecker:
        return InstanceChecker(self.parameters)


def natural_pair(notation: Notation) -> NaturalPair:
    """The pair in the notation's names (``q``, ``p``, ``x``; natural parameters ``eta_q``, ``eta_p``)."""
    x = notation.real("x")
    return NaturalPair(Density(notation.name("q"), x, ExponentialFamilyLaw(notation.real("eta", of="q"))),
                       Density(notation.name("p"), x, ExponentialFamilyLaw(notation.real("eta", of="p"))),
                       notation)
