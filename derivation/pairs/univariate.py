"""Custom variants: two user specs become a setting and a plan, derived by the same rules as the named cases.

A spec such as ``Normal(a, logvar=w)`` is parsed by :func:`derivation.interpret.parse.parse_spec` (the whitelist
parser; nothing is evaluated). The derivation then works with *scales* (standard deviations): the
user's own symbol when the spec gives a scale, the number when it gives a number, and otherwise a
fresh symbol such as ``sigma_q`` whose definition in the user's parameter is recorded (``sigma_q =
exp(w/2)`` for ``logvar=w``). The named case's plan derives the closed form in those scales; then
two more verified steps finish it in the user's symbols: :data:`PARAMETERISATION` substitutes each
fresh scale by its definition, and :data:`EVALUATE` evaluates what that produced (``(e^{w/2})^2 =
e^w``, ``log e^{-w/2} = -w/2``, ``2 * 3 = 6``).

Which named case's plan a pair uses is decided by :data:`derivation.pairs.routes.ROUTES` (families of q and p
-> builder).
Two ``DiagNormal`` specs use the ``diagonal`` case's plan over vectors, two ``MvNormal`` specs the
``full`` case's plan (see :mod:`derivation.pairs.vectors`); a ``DiagNormal`` against an ``MvNormal`` is
refused with a :class:`UsageError` saying how to write the pair.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from sympy import (
    Add,
    Basic,
    Dummy,
    Eq,
    Expr,
    IndexedBase,
    Integer,
    Integral,
    Pow,
    Sum,
    Symbol,
    exp,
    expand_log,
    log,
)

from ..cases.catalogue import CASES, Options
from ..check.checker import DefinitionsChecker
from ..core.engine import Derivation, Rewrite, Rule, derive_chain
from ..core.errors import DerivationError, ParseError
from ..core.forms import add, evaluated, is_negative_term, mul, sub
from ..interpret.parse import DistSpec, ParsedClaim, parse_spec, read_claim
from ..laws import NormalLaw
from ..laws.normal import SCALE_OF
from ..nodes.families import entrywise
from ..nodes.scalar import KL, Density, Expectation
from ..nodes.vector import MatExpectation, SpaceIntegral
from ..rules.algebra import COLLECT_LIKE_TERMS, EQUAL_LAWS
from ..rules.base import factors, rebuild, rewrite_or_refuse, terms
from ..rules.logs import without_reciprocal_logs
from ..settings.univariate import Notation, Setting, gaussian_pair

_INTERNAL_NAMES = {"x": ("x", "y", "t", "u", "xi", "eta"), "z": ("z", "zeta", "epsilon", "nu", "omega")}


@dataclass(frozen=True)
class ScaleSlot:
    """A scale the derivation uses (``symbol``) and the user's parameter it stands for (``kind=param``)."""

    symbol: Symbol
    kind: str
    param: Symbol


@dataclass(frozen=True)
class CustomSetting(Setting):
    """A setting built from two specs: densities in scales, plus the definitions of the fresh scales.

    ``definitions`` maps each fresh scale symbol to its value in the user's parameters;
    ``user_parameters`` are the user's symbols in reading order (q's, then p's).
    """

    definitions: tuple[tuple[Symbol, Expr], ...] = ()
    user_parameters: tuple[Symbol, ...] = ()
    slots: tuple[ScaleSlot, ...] = ()
    #: Scales given as numbers other than 1 (``Normal(1, 2)``), stated so the reader sees 2 is the scale.
    stated_scales: tuple[tuple[Symbol, Expr], ...] = ()

    @property
    def parameters(self) -> tuple[Symbol, ...]:
        return self.user_parameters

    def in_user_terms(self, expr: Expr) -> Expr:
        """``expr`` with every fresh scale replaced by its definition (evaluated: for values, not display)."""
        return evaluated(expr).xreplace(dict(self.definitions))

    def statements(self) -> tuple[Basic, ...]:
        """``q = N(a, e^w)``, ``p = ...`` in the user's parameters, then each fresh scale's definition."""
        laws = tuple(Eq(Symbol(d.name), Density("", d.variable, NormalLaw(d.mean, self.in_user_terms(d.std))),
                        evaluate=False) for d in (self.q, self.p))
        return laws + tuple(Eq(s, value, evaluate=False) for s, value in (*self.stated_scales, *self.definitions))

    # -- what a variant asks of its setting (the vector settings of ``mvvariants`` answer the same) --------
    def definition_of(self, node: Basic) -> Expr | None:
        """A fresh scale -> its definition in the user's parameters (None for anything else)."""
        return dict(self.definitions).get(node)

    def definition_identities(self, expr: Basic) -> tuple[Eq, ...]:
        """``sigma_q = exp(w/2)`` for each fresh scale ``expr`` uses."""
        used = expr.free_symbols
        return tuple(Eq(s, v, evaluate=False) for s, v in self.definitions if s in used)

    def instantiate(self, expr: Expr) -> Expr:
        return expr

    def derive(self, name: str, title: str, plan: tuple[Rule, ...], description: str = "") -> Derivation:
        """The plan applied to ``start()``, each step checked at points drawn in the user's parameters."""
        checker = DefinitionsChecker(self.user_parameters, self.definitions)
        return derive_chain(name, title, self.start(), plan, self, description,
                            check=lambda i, before, step: checker.check_step(i, before, step, title), skip_unfit=True)

    def closed(self, title: str, plan: tuple[Rule, ...]) -> Expr:
        """The plan's result (rules only, unchecked)."""
        return derive_chain("custom", title, self.start(), plan, self, skip_unfit=True).result



# ----------------------------------------------------------------------------------------------------
# The two finishing rules
# ----------------------------------------------------------------------------------------------------


def _substitute_scales(expr: Expr, setting) -> Rewrite:
    """``sigma_q -> exp(w/2)`` (or ``sigma_j -> exp(lv_j/2)`` entry by entry): each fresh scale becomes its
    definition in the user's parameters."""
    out, reciprocals = without_reciprocal_logs(
        rewrite_or_refuse(expr, setting.definition_of, "scale defined by a parameterisation"))
    return Rewrite(out, setting.definition_identities(expr) + reciprocals)


def _has_symbolic_root(expr: Expr) -> bool:
    return any(p.args[0].free_symbols and not p.args[1].is_Integer for p in expr.atoms(Pow))


def _needs_evaluation(node: Basic) -> bool:
    """Powers of exponentials, roots or numbers; logs of those; products of numbers; fractions of fractions."""
    if node.is_Pow and node.args[1] != -1:  # a reciprocal is a displayed fraction: kept
        base = node.args[0]
        return isinstance(base, exp) or base.is_Pow or base.is_Number or (base.is_Mul and base.is_number)
    if isinstance(node, log):
        arg = evaluated(node.args[0])
        return arg.is_number or arg.has(exp) or _has_symbolic_root(arg)
    if node.is_Mul and node.is_number:
        return len(node.args) > 1
    if node.is_Mul:
        return any(f.is_Pow and f.args[1] == -1 and any(
            g.is_Pow and g.args[1].is_negative for g in evaluated(f.args[0]).atoms(Pow)) for f in node.args)
    return False


def _split_log(node: log) -> Expr:
    """``log(a / b) -> log a - log b``, each expanded (``log e^u = u``, ``log sqrt(v) = log(v) / 2``)."""
    parts = factors(node.args[0])
    denominator = [f.args[0] for f in parts if f.is_Pow and f.args[1] == -1]
    numerator = [f for f in parts if not (f.is_Pow and f.args[1] == -1)]
    if len(denominator) != 1:
        return expand_log(evaluated(node))
    return sub(expand_log(log(evaluated(mul(*numerator)))), expand_log(log(evaluated(denominator[0]))))


def _readable(expr: Basic) -> Basic:
    """An evaluated expression with every sum in reading order: positive terms first, the number last
    (``m - 1``, never SymPy's ``-1 + m``)."""
    if not expr.args or expr.is_Atom:
        return expr
    args = [_readable(a) for a in expr.args]
    if expr.is_Add:
        return add(*sorted(args, key=lambda t: (is_negative_term(t), bool(t.is_Number))))
    return rebuild(expr, args) if any(a is not b for a, b in zip(args, expr.args, strict=True)) else expr


def _evaluate(expr: Expr, setting: Setting) -> Rewrite:
    """``(e^{w/2})^2 -> e^w``, ``log(1/e^{w/2}) -> -w/2``, ``log(sqrt(v)) -> log(v)/2``, ``2*3 -> 6``."""
    used: dict[Basic, Basic] = {}

    def match(node: Expr) -> Expr | None:
        if not _needs_evaluation(node):
            return None
        value = _split_log(node) if isinstance(node, log) else _readable(evaluated(node))
        if value == node:
            return None
        if not (node.is_Mul and node.is_number):  # a product of numbers already prints as its value
            used.setdefault(node, value)
        return value

    out = rewrite_or_refuse(expr, match, "power, logarithm or product to evaluate")
    return Rewrite(_constants_last(out), tuple(Eq(old, new, evaluate=False) for old, new in used.items()))


def _constants_last(expr: Expr) -> Expr:
    """The terms of ``expr`` with those in the parameters first (positive ones leading) and the constants
    together at the end (``1/8 (e^v + (m - 1)^2) - v/2 + log 2 - 1/2``)."""
    return add(*sorted(terms(expr), key=lambda t: (not t.free_symbols, bool(t.free_symbols) and is_negative_term(t))))


PARAMETERISATION = Rule(
    "parameterisation",
    "Parameterisation",
    "Write each scale in the parameter the densities were given in.",
    _substitute_scales,
)

EVALUATE = Rule(
    "evaluate",
    "Evaluate",
    "Evaluate the powers and logarithms of the substituted scales, and the numbers.",
    _evaluate,
)


# ----------------------------------------------------------------------------------------------------
# Checking: points drawn in the user's parameters, fresh scales at their defined values
# ----------------------------------------------------------------------------------------------------


# ----------------------------------------------------------------------------------------------------
# From specs to a variant
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """A user's pair: its setting, the named case whose plan derives it, and the finishing steps.

    ``specs`` are the parsed specs and ``build`` the route that made this variant from them (so the
    reversed pair is built the same way). The setting provides ``start()``, ``user_parameters``,
    ``slots`` (for diagnoses), ``derive`` (the plan, checked) and ``closed`` (the plan's result,
    unchecked), ``definition_of``/``definition_identities`` (for :data:`PARAMETERISATION`) and
    ``in_user_terms``/``instantiate``.
    """

    case: str
    setting: Any  # a CustomSetting, or a vector pair of ``mvvariants``
    plan: tuple[Rule, ...]
    specs: tuple[DistSpec, DistSpec]
    build: Callable[[DistSpec, DistSpec], Variant]
    finish: tuple[Rule, ...] = (PARAMETERISATION, EVALUATE, COLLECT_LIKE_TERMS)
    title: str = "KL divergence between two Gaussians"
    description: str = ""
    #: The latent dimension (1 for univariate pairs) and the per-dimension parameters, by name.
    dim: int | Symbol = 1
    vectors: Mapping[str, IndexedBase] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def symbols(self) -> dict[str, Symbol]:
        """The names a claim about this pair may use, mapped to the setting's own symbols (vectors apart)."""
        return {s.name: s for s in self.setting.user_parameters if isinstance(s, Symbol)}

    def parse_claim(self, text: str) -> Expr:
        """A claim about this pair, parsed onto its symbols; ``sum``/``mean`` run over the latent dimension.

        For a univariate pair the dimension is 1, so a claim written with ``torch.sum(...)`` means its body.
        At a concrete dimension N a sum over the coordinates runs from 1 to N.
        """
        return self.read_claim(text)[0]

    def read_claim(self, text: str, literal_symbols: Mapping[int, Symbol] | None = None
                   ) -> tuple[Expr, ParsedClaim, Dummy]:
        """:meth:`parse_claim`, with the parse (its real domain and float literals, see
        :func:`derivation.interpret.parse.read_claim`) and the index its sums and requirements use."""
        index = Dummy("j", integer=True, positive=True)
        try:
            parsed = read_claim(text, self.symbols, vectors=self.vectors, index=index, dim=self.dim,
                                literal_symbols=literal_symbols)
        except ParseError as error:
            raise ParseError(f"claim: {error.message}", error.position, error.text) from None
        claim = parsed.expr
        if self.case == "univariate":
            claim = claim.replace(lambda e: isinstance(e, Sum), lambda e: Add(*(
                e.function.xreplace({index: Integer(i)}) for i in range(1, self.dim + 1))))
            parsed = replace(parsed, requirements=tuple(
                replace(r, expr=r.expr.xreplace({index: Integer(1)})) for r in parsed.requirements))
        return claim, parsed, index

    def closed_form_in_scales(self) -> Expr:
        """The result of the named plan (before the parameterisation), rules only, unchecked."""
        return _closed(self.setting.closed(self.title, self.plan))

    def closed_form(self, in_scales: Expr | None = None) -> Expr:
        """KL(q || p) in the user's symbols, by the plan's rules (unchecked: for comparisons).

        ``in_scales`` is :meth:`closed_form_in_scales`, when already computed.
        """
        start = self.closed_form_in_scales() if in_scales is None else in_scales
        chain = derive_chain(self.case, self.title, start, (*self.finish, EQUAL_LAWS), self.setting, skip_unfit=True)
        return chain.result

    def reversed(self) -> Variant:
        """The same pair with q and p exchanged (for KL(p || q)), built by the same route."""
        return self.build(self.specs[1], self.specs[0])

    def derive(self) -> Derivation:
        """The verified derivation: every step checked as it is made."""
        derivation = self.setting.derive("custom", self.title, (*self.plan, *self.finish, EQUAL_LAWS), self.description)
        _closed(derivation.result)
        return derivation


def _closed(result: Expr) -> Expr:
    """``result``, which must be a closed form (no KL, expectation or integral left)."""
    if result.has(KL, Expectation, Integral, SpaceIntegral, MatExpectation):
        raise DerivationError("the plan did not reach a closed form for this pair of densities")
    return result


def _dim(spec: DistSpec) -> int | Symbol:
    return 1 if spec.dim is None else spec.dim  # Normal and Laplace: one variable


def _position_of(text: str, word: str) -> int | None:
    found = re.search(rf"\b{re.escape(word)}\b", text)
    return found.start() if found else None


def _parse(role: str, text: str) -> DistSpec:
    """``parse_spec`` with the spec's role (q or p) named in any error."""
    try:
        return parse_spec(text)
    except ParseError as error:
        raise ParseError(f"{role}: {error.message}", error.position, error.text) from None


def _spec_symbols(spec: DistSpec) -> list[Symbol]:
    return [v for v in (spec.loc, spec.param, spec.dim) if isinstance(v, Symbol)]


def _unify(q: DistSpec, p: DistSpec) -> dict[Symbol, Symbol]:
    """One symbol per name across q and p: a name that is a scale in one and a mean in the other is positive.

    (A dimension's name cannot also name a parameter: the parser refuses that within a spec, and the
    dimensions of q and p are equal by the time this runs.)
    """
    by_name: dict[str, set[Symbol]] = {}
    for spec in (q, p):
        for s in _spec_symbols(spec):
            by_name.setdefault(s.name, set()).add(s)
    replacements: dict[Symbol, Symbol] = {}
    for name, versions in by_name.items():
        if len(versions) == 1:
            continue
        positive = Symbol(name, positive=True)
        replacements.update({s: positive for s in versions})
    return replacements


def _unused(candidates: tuple[str, ...], taken: set[str]) -> str:
    return next(name for name in candidates if name not in taken)


def _univariate(q: DistSpec, p: DistSpec) -> Variant:
    """Two ``Normal`` specs: the univariate plan in scales, then the parameterisation."""
    names = {s.name for s in (*_spec_symbols(q), *_spec_symbols(p))}
    notation = Notation(MappingProxyType({role: _unused(c, names) for role, c in _INTERNAL_NAMES.items()}))
    shared = q.param_kind == p.param_kind and q.param == p.param
    # q's scale is plain sigma, as in the named cases, when p has no parameters (nor a stated scale to tell apart)
    lone = not _spec_symbols(p) and not (p.param_kind == "scale" and evaluated(p.param) != 1)
    scales, definitions, slots, stated = [], [], [], []
    for role, spec in (("q", q), ("p", p)):
        to_scale = SCALE_OF[spec.param_kind]
        if not isinstance(spec.param, Symbol):  # a number: its scale is a number too
            scales.append(evaluated(to_scale(spec.param)))
            if spec.param_kind == "scale" and scales[-1] != 1:
                stated.append((Symbol(_unused((f"sigma_{role}", f"varsigma_{role}", f"s_{role}"), names),
                                      positive=True), scales[-1]))
            continue
        if spec.param_kind == "scale":
            scales.append(spec.param)
            slots.append(ScaleSlot(spec.param, "scale", spec.param))
            continue
        if shared and role == "p":
            scales.append(scales[0])
            continue
        plain = shared or (lone and role == "q")
        fresh = Symbol(_unused(("sigma" if plain else f"sigma_{role}", f"varsigma_{role}", f"s_{role}"), names),
                       positive=True)
        names.add(fresh.name)
        scales.append(fresh)
        definitions.append((fresh, to_scale(spec.param)))
        slots.append(ScaleSlot(fresh, spec.param_kind, spec.param))
    base = gaussian_pair(notation, q.loc, scales[0], p.loc, scales[1])
    parameters = tuple(dict.fromkeys(s for spec in (q, p) for s in _spec_symbols(spec)))
    setting = CustomSetting(q=base.q, p=base.p, z=base.z, notation=notation, definitions=tuple(definitions),
                            user_parameters=parameters, slots=tuple(slots), stated_scales=tuple(stated))
    case = CASES["univariate"]
    return Variant(
        case.name, setting, case.plan(Options()), (q, p), _univariate,
        title="KL divergence between two univariate Gaussians",
        description=(
            "We derive the Kullback-Leibler divergence between the two univariate Gaussian densities below, "
            "in the parameters they were given in, by the same plan as for two arbitrary Gaussians: from "
            "the definition to a closed form in the standard deviations"
            + (", which the last steps then write in the given parameters." if definitions else ".")
            + " Every line follows from the one before by the rule named beside it, and every line has been "
            "checked."
        ),
    )


__all__ = ["EVALUATE", "PARAMETERISATION", "CustomSetting",
           "DefinitionsChecker", "ScaleSlot", "Variant", "entrywise"]
