"""Deciding a user's claim: does a formula (or loss code) equal KL(q || p) for every admissible parameter value?

The claim is parsed by the whitelist parser (:func:`derivation.interpret.parse.parse_claim`) onto the symbols of
the pair's setting; nothing the user wrote is executed. The truth is the closed form the pair's plan
derives (the rules only: the same plan is verified step by step by ``derive``), and an independent
witness checks that closed form against the definition itself, by quadrature, at every point used.

The claim means what its code computes over the real numbers. SymPy's arithmetic is complex-valued
(``sqrt(mu)**2`` is ``mu``, ``0*log(mu)`` is 0), so the parser records where the code is defined (a
:class:`~derivation.interpret.parse.Requirement` per logarithm, root, non-integer power and division, before SymPy
simplifies them away); the claim's value is *undefined* wherever one fails.

The decision, cheapest first:

1. **Numeric**: the claim and the truth at random admissible points, in 30-digit arithmetic (agreement
   means 27 digits). Any disagreement, or a point where the claim's code is undefined, refutes the
   claim; the point is reported, with a diagnosis: why the code is undefined there, or the simple
   relative of the truth the claim matches (sign, constant factor or offset, reversed direction, a
   parameter read in the wrong parameterisation, the log term halved or doubled), or else the
   difference claim - KL itself when it has a short form (never a vacuous one).
2. **Domain**: each requirement not shown by the symbols' assumptions (or, for a polynomial in one
   parameter, by its exact solution) is searched for a failure on a grid through 0; a failure refutes
   the claim at that point, and none found leaves the verdict undecided.
3. **Symbolic**: the difference reduced to 0 by a few cheap normal forms, then (bounded in time,
   in a child process) by ``simplify``. A proof plus numeric agreement means the claim holds; a
   difference that reduces to something nonzero at the random points refutes it.
4. Agreement without a proof in the time budget is reported as *undecided*, with the evidence.

A code claim whose float literal, read as the exact number it is the double-precision rounding of, makes
the claim exactly KL(q || p) (proved symbolically) "holds to double precision" (``Verdict.precision``).

Claims whose expansion could be huge are evaluated in the bounded child too, so a call never hangs.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import product
from types import MappingProxyType
from typing import Any

import mpmath
from sympy import (
    Abs,
    Add,
    And,
    Basic,
    Dummy,
    E,
    Expr,
    FiniteSet,
    GreaterThan,
    Indexed,
    IndexedBase,
    Integer,
    Interval,
    LessThan,
    Mul,
    Poly,
    Pow,
    Rational,
    S,
    StrictGreaterThan,
    StrictLessThan,
    Sum,
    Symbol,
    Union,
    cancel,
    exp,
    expand,
    expand_log,
    expand_mul,
    factor,
    lambdify,
    log,
    oo,
    pi,
    simplify,
    solveset,
    sstr,
    together,
)
from sympy.logic.boolalg import Boolean

from ..check.checker import is_zero
from ..check.numeric import DIGITS, Evaluator, close, number_at
from ..check.walk import Walker
from ..core.bounded import Failed, TimedOut, run_bounded
from ..core.errors import StepRejected, UsageError
from ..core.forms import evaluated
from ..core.functions import XLogY, xlogy_value
from ..interpret.parse import ParsedClaim, Requirement, parse_spec
from ..laws.normal import KIND_NAMES, SCALE_OF
from ..nodes.scalar import KL, Density
from ..pairs.routes import variant
from ..pairs.univariate import Variant, entrywise
from ..printing.text import to_text
from ..settings.laws import LawPair

#: Random points the claim is compared at.
POINTS = 6
#: Time budget of one ``verify`` call, in seconds (the bounded steps share what is left of it).
BUDGET = 7.0
#: Claims whose expansion could exceed this many terms are only handled in a bounded child.
TAME_TERMS = 400

Value = Any  # an mpmath number, or None where the expression is undefined


# ----------------------------------------------------------------------------------------------------
# The verdict
# ----------------------------------------------------------------------------------------------------


#: A vector longer than this is shown by its first and last entries in a verdict's text (all of them in JSON).
SHOWN_ENTRIES = 8


def _shown(value: float | tuple[float, ...]) -> str:
    if isinstance(value, tuple):
        if len(value) > SHOWN_ENTRIES:
            head, tail = value[:SHOWN_ENTRIES - 2], value[-2:]
            return ("[" + ", ".join(f"{v:.6g}" for v in head) + ", ..., " + ", ".join(f"{v:.6g}" for v in tail)
                    + f"] ({len(value)} entries; all of them with --json)")
        return "[" + ", ".join(f"{v:.6g}" for v in value) + "]"
    return f"{value:.6g}"


@dataclass(frozen=True)
class Counterexample:
    """A parameter point where the claim and KL(q || p) differ, with both values (``claim`` None: undefined).

    A vector parameter's value is the tuple of its entries (coordinates 1, ..., d in order).
    """

    point: Mapping[str, float | tuple[float, ...]]
    claim: float | str
    kl: float
    #: claim - KL(q || p) at the point, computed to 30 digits (None where the claim is not a real number)
    difference: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"point": {k: list(v) if isinstance(v, tuple) else v for k, v in self.point.items()},
                "claim": self.claim, "kl": self.kl, "difference": self.difference}

    def describe(self) -> str:
        where = ", ".join(f"{name} = {_shown(value)}" for name, value in self.point.items()) or "every point"
        shown = self.claim if isinstance(self.claim, str) else f"{self.claim:.10g}"
        line = f"at {where}: claim = {shown}, KL(q || p) = {self.kl:.10g}"
        if self.difference is not None and shown == f"{self.kl:.10g}":  # equal in the digits shown
            line += f" (claim - KL(q || p) = {self.difference:.3g}, computed to 30 digits)"
        return line


@dataclass(frozen=True)
class Verdict:
    """Whether a claim equals KL(q || p): ``holds`` is True, False, or None (undecided in the time budget).

    ``method`` says how that was established; ``counterexample`` and ``diagnosis`` are set when the
    claim does not hold (the diagnosis only when the claim is a recognised relative of the truth).
    ``claim`` and ``kl`` are the parsed claim and the derived closed form (as the documents print it, where the
    verdict has that form: :meth:`describe` prints it by the text documents' printer, JSON in SymPy's syntax).
    """

    holds: bool | None
    method: str
    counterexample: Counterexample | None = None
    diagnosis: str | None = None
    claim: Expr | None = None
    kl: Expr | None = None
    points: int = 0
    #: "double precision" when the claim holds only once its float literals are read at the precision code
    #: holds them (each literal the double-precision rounding of the exact value that makes the claim hold)
    precision: str | None = None

    @property
    def status(self) -> str:
        if self.holds and self.precision:
            return f"holds to {self.precision}"
        return {True: "holds", False: "does not hold", None: "undecided"}[self.holds]

    @property
    def exit_code(self) -> int:
        """0 holds, 1 does not hold, 3 undecided (2 is for invalid input, raised before a verdict)."""
        return {True: 0, False: 1, None: 3}[self.holds]

    def as_dict(self) -> dict[str, Any]:
        return {
            "holds": self.holds,
            "status": self.status,
            "method": self.method,
            "counterexample": None if self.counterexample is None else self.counterexample.as_dict(),
            "diagnosis": self.diagnosis,
            "claim": None if self.claim is None else sstr(_plain(self.claim)),
            "kl": None if self.kl is None else sstr(evaluated(self.kl)),
            "points": self.points,
            "precision": self.precision,
        }

    def describe(self) -> str:
        """The verdict for people: a first line, then how it was established."""
        lines = [f"{self.status}: the claim {'equals' if self.holds else 'is not'} KL(q || p)"
                 if self.holds is not None else "undecided: neither a proof nor a counterexample was found"]
        lines.append(f"  method: {self.method}")
        if self.counterexample is not None:
            lines.append(f"  counterexample: {self.counterexample.describe()}")
        if self.diagnosis:
            lines.append(f"  diagnosis: {self.diagnosis}")
        if self.kl is not None:
            lines.append(f"  KL(q || p) = {to_text(_plain(self.kl))}")
        return "\n".join(lines)


# ----------------------------------------------------------------------------------------------------
# Numbers
# ----------------------------------------------------------------------------------------------------

_FUNCTIONS: Mapping[type, Callable] = MappingProxyType({log: mpmath.log, Abs: abs})

#: Largest magnitude (in powers of 2) an intermediate value may reach; beyond it a value counts as unstable.
MAX_MAGNITUDE = 200_000
#: Most decimal digits a value is ever computed with.
MAX_DIGITS = 2000
#: The value of an expression that could not be computed reliably (too large, or too much cancellation).
UNSTABLE = "unstable"  # a string, so that it survives the trip from a bounded child: test with _unstable()


def _unstable(v: Any) -> bool:
    return isinstance(v, str)


class _Unreliable(Exception):
    """An intermediate value too large to compute, or cancellation beyond :data:`MAX_DIGITS`."""


class _Walk(Walker):
    """One evaluation of an expression at one point (a :class:`~derivation.check.walk.Walker`, its table below);
    ``largest`` is the largest term any sum had.

    The value of an expression is in mpmath at the current precision; complex where the formula is. A vector's value
    is the list of its entries; ``v_i`` is entry i (1-based) and a sum over the coordinates adds its terms for each
    value of its index. A node of no other kind is evaluated by SymPy at the point (:func:`number_at`).
    """

    def __init__(self, point: Mapping[Basic, Any]):
        self.point = dict(point)  # a sum binds its index here
        self.largest = mpmath.mpf(0)

    def symbol(self, expr: Symbol) -> Any:
        return self.point[expr]

    def indexed(self, expr: Indexed) -> Any:
        return self.point[expr.base][int(self.value(expr.indices[0])) - 1]

    def rational(self, expr: Rational) -> Any:
        return mpmath.mpf(int(expr.p)) / int(expr.q)

    def add(self, expr: Add) -> Any:
        terms = [self.value(a) for a in expr.args]
        self.largest = max(self.largest, *(abs(t) for t in terms))
        return mpmath.fsum(terms)

    def mul(self, expr: Mul) -> Any:
        return self.bounded(mpmath.fprod(self.value(a) for a in expr.args))

    def pow(self, expr: Pow) -> Any:
        base, exponent = (self.value(a) for a in expr.args)
        if base != 0 and abs(exponent) * abs(mpmath.log(abs(base), 2)) > MAX_MAGNITUDE:
            raise _Unreliable("power too large")
        return mpmath.power(base, exponent)

    def exp(self, expr: exp) -> Any:
        argument = self.value(expr.args[0])
        if mpmath.re(argument) > MAX_MAGNITUDE / 2:
            raise _Unreliable("exponential too large")
        return mpmath.exp(argument)

    def function(self, expr: Expr) -> Any:
        return _FUNCTIONS[type(expr)](self.value(expr.args[0]))

    def unknown(self, expr: Expr) -> Any:
        return number_at(expr, {s: self.point[s] for s in expr.free_symbols})

    def xlogy(self, expr: XLogY) -> Any:
        """``x log y``, 0 where x is 0 (torch's and SciPy's xlogy)."""
        return xlogy_value(*(self.value(a) for a in expr.args))

    def total(self, expr: Sum) -> Any:
        (index, low, high), = expr.limits
        start, stop = int(self.value(low)), int(self.value(high))
        compiled = _compiled_summand(expr.function, index) if stop - start >= COMPILE_FROM else None
        terms = []
        if compiled is not None:  # many coordinates: the summand compiled once, called for each
            function, bases = compiled
            terms = [function(*(self.point[b][i - 1] for b in bases)) for i in range(start, stop + 1)]
        else:
            for i in range(start, stop + 1):
                self.point[index] = mpmath.mpf(i)
                terms.append(self.value(expr.function))
            self.point.pop(index, None)
        if terms:
            self.largest = max(self.largest, *(abs(t) for t in terms))
        return mpmath.fsum(terms)

    @staticmethod
    def bounded(v: Any) -> Any:
        if v != 0 and mpmath.isfinite(v) and abs(mpmath.mag(v)) > MAX_MAGNITUDE:
            raise _Unreliable("value too large")
        return v


#: ``_Walk``'s steps: by exact type (the constants pi and e, the arithmetic, the functions of :data:`_FUNCTIONS`), then
#: by base class in order (symbols, vector entries, sums over the coordinates, exact numbers).
_Walk.DISPATCH = MappingProxyType({
    type(pi): lambda walk, e: +mpmath.pi, type(E): lambda walk, e: +mpmath.e,
    Add: _Walk.add, Mul: _Walk.mul, Pow: _Walk.pow, exp: _Walk.exp, XLogY: _Walk.xlogy,
    **dict.fromkeys(_FUNCTIONS, _Walk.function),
})
_Walk.FALLBACK = ((Symbol, _Walk.symbol), (Indexed, _Walk.indexed), (Sum, _Walk.total), (Rational, _Walk.rational),
                  (Add, _Walk.add), (Mul, _Walk.mul), (Pow, _Walk.pow), (exp, _Walk.exp))


#: Counterexamples with vectors up to this length are rounded for reading.
ROUNDED_UP_TO = 16
#: Sums with at least this many terms are evaluated with their summand compiled (``lambdify`` to mpmath).
COMPILE_FROM = 64


def _compiled_summand(summand: Expr, index: Symbol) -> tuple[Callable, list[IndexedBase]] | None:
    """``(f, bases)`` with ``summand`` at index i equal to ``f(*(b_i for b in bases))``, when every vector entry
    in it is taken at ``index`` and it has no sum or parameter of its own; None otherwise."""
    entries = summand.atoms(Indexed)
    if summand.has(Sum) or any(e.indices != (index,) for e in entries):
        return None
    bases = sorted({e.base for e in entries}, key=str)
    stand_ins = [Dummy(str(b.label)) for b in bases]
    body = summand.xreplace({b[index]: d for b, d in zip(bases, stand_ins, strict=True)})
    if body.free_symbols - set(stand_ins):
        return None
    return lambdify(stand_ins, body, "mpmath", docstring_limit=0), bases


def _at(expr: Expr, point: Mapping[Symbol, Any], digits: int) -> tuple[Value, int]:
    """The value at ``digits`` decimal digits and how many digits cancellation in sums may have cost."""
    walk = _Walk(point)
    with mpmath.workdps(digits):
        try:
            v = walk.value(expr)
        except (ZeroDivisionError, ValueError, OverflowError, TypeError):
            return None, 0
        if isinstance(v, mpmath.mpc) and abs(v.imag) <= mpmath.mpf(10) ** (5 - digits) * max(1, abs(v.real)):
            v = v.real
        if not mpmath.isfinite(v):
            return None, 0
        lost = mpmath.log10(walk.largest / max(1, abs(v))) if walk.largest > 1 else 0
        return +v, max(0, int(mpmath.ceil(lost)))


def _settled(a: Value, b: Value) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return bool(abs(a - b) <= mpmath.mpf(10) ** (4 - DIGITS) * max(1, abs(a), abs(b)))


def value_at(expr: Expr, point: Mapping[Symbol, Any]) -> Value:
    """``expr`` at ``point`` to 30 significant digits, or :data:`UNSTABLE`; None where it is undefined.

    Sums that cancel cost digits: the precision is raised until the digits lost (measured from the
    largest term of any sum) leave 30, and the value is confirmed at 20 more digits.
    """
    digits = DIGITS + 5
    try:
        while digits <= MAX_DIGITS:
            v, lost = _at(expr, point, digits)
            if lost + DIGITS + 5 <= digits:
                check, _ = _at(expr, point, digits + 20)
                if _settled(v, check):
                    return v
            digits = max(2 * digits, DIGITS + lost + 25)
    except _Unreliable:
        pass
    return UNSTABLE


@dataclass(frozen=True)
class ClaimEvaluator:
    """The decider's values of formulas at fixed points (:func:`value_at` at each: the walk, at as many digits as
    cancellation needs), a :class:`~derivation.check.walk.PointEvaluator` like the checkers' evaluators."""

    points: list[Mapping[Symbol, Any]]

    def values(self, expr: Expr) -> list[Value]:
        """``expr`` at each point."""
        return [value_at(expr, point) for point in self.points]


def values(expr: Expr, points: list[Mapping[Symbol, Any]]) -> list[Value]:
    """``expr`` at each point (see :func:`value_at`)."""
    return ClaimEvaluator(points).values(expr)


def _real(v: Value) -> bool:
    return v is not None and not _unstable(v) and not isinstance(v, mpmath.mpc)


def _refutes(claimed: Value, true: Value) -> bool:
    """Whether a point shows the claim wrong (an unstable value shows nothing)."""
    return not _unstable(claimed) and not _same(claimed, true)


#: Relative agreement two values computed to 30 digits must reach to count as equal.
TOLERANCE = 10.0 ** (3 - DIGITS)


def _same(a: Value, b: Value) -> bool:
    return _real(a) and _real(b) and close(a, b, TOLERANCE)


def _agree(left: list[Value], right: list[Value]) -> bool:
    return all(_same(a, b) for a, b in zip(left, right, strict=True))


# ----------------------------------------------------------------------------------------------------
# Points
# ----------------------------------------------------------------------------------------------------


#: The dimensions a symbolic latent dimension takes at the random points.
DIMENSIONS = (2, 5)


def _decidable(q: str, p: str, laws: list, parameters: tuple[Basic, ...]) -> Boolean:
    """What the random points must satisfy beyond the parameters' signs (``low < high``; q's support inside p's,
    where the divergence is finite): ``S.true`` for most pairs. Refuses (one line) the pairs whose claims the
    decider cannot judge: a divergence that is infinite by the supports, or a condition on parameters that are
    not the user's."""
    if any(law is None for law in laws):
        return S.true
    families = " against ".join(law.family for law in laws)
    if all(law.discrete for law in laws) and laws[0].outside_support(laws[1]) is not None:
        raise UsageError(f"claims about {families} are not decided (its divergence is infinite by the supports): "
                         f"derive the pair instead (kl-derive derive --q '{q}' --p '{p}')")
    own = And(*(law.admissible() for law in laws))
    if own not in (S.true, S.false) and own.free_symbols <= set(parameters):  # a < b and b < a: never both
        satisfied = _satisfying(own)
        if not any(satisfied(point) for point in sample(parameters, 200)):
            own = S.false
    if own is S.false:
        raise UsageError(f"no parameter values make both {q} and {p} laws (a low end below its high end)")
    condition = And(own, *(() if any(law.discrete for law in laws) else (laws[0].within(laws[1]),)))
    if condition is S.false:
        raise UsageError(f"KL(q || p) is infinite for every value of these parameters ({laws[0].family} gives "
                         f"probability to values outside the support of {laws[1].family}): no finite claim holds "
                         f"(kl-derive derive --q '{q}' --p '{p}' derives it)")
    if not condition.free_symbols <= set(parameters):
        raise UsageError(f"claims about {families} are not decided (their parameters are constrained beyond "
                         f"their signs): derive the pair instead (kl-derive derive --q '{q}' --p '{p}')")
    return condition


def _condition_text(condition: Boolean) -> str:
    """``a < b, b <= 1``: the relations of a pair's condition, as a reader writes them."""
    return ", ".join(sorted(sstr(r) for r in _relations(condition)))


#: How many candidate points are drawn, at most, to find :data:`POINTS` that satisfy a pair's condition.
MAX_CANDIDATES = 5000


def _satisfying(condition: Boolean) -> Callable[[Mapping[Basic, Any]], bool]:
    """Whether a point (the user's parameters as numbers) satisfies ``condition``."""
    names = sorted(condition.free_symbols, key=str)
    test = lambdify(names, condition, "mpmath")
    return lambda point: bool(test(*(point[s] for s in names)))


def _holds_everywhere(condition: Boolean, points: list[Mapping[Symbol, Any]]) -> bool:
    """Whether every point satisfies ``condition`` (its symbols matched to the points' by name)."""
    if condition is S.false:
        return False
    by_name = {s.name: s for point in points[:1] for s in point if isinstance(s, Symbol)}
    if not {s.name for s in condition.free_symbols} <= set(by_name):
        return False
    named = condition.xreplace({s: by_name[s.name] for s in condition.free_symbols})
    satisfied = _satisfying(named)
    return all(satisfied(point) for point in points)


def _keep_if(satisfied: Callable[[Mapping[Basic, Any]], bool]) -> Callable[[list], list]:
    """Points as they are where they satisfy the pair's condition, None where not (a rounded point that left it)."""
    return lambda points: [point if satisfied(point) else None for point in points]


def _constrained(parameters: tuple[Basic, ...], satisfied: Callable[[Mapping[Basic, Any]], bool], dim: int | None,
                 ranges: Mapping[Basic, tuple[float, float]]) -> list[dict[Basic, Any]]:
    """:data:`POINTS` random points that satisfy the pair's condition (drawn as :func:`sample` draws, the others
    rejected); fewer when the condition is rarely met (then the claim is undecided)."""
    candidates = sample(parameters, MAX_CANDIDATES, dim=dim, ranges=ranges)
    return [point for point in candidates if satisfied(point)][:POINTS]


def _domains(laws: list, parameters: tuple[Basic, ...]) -> dict[Basic, Interval]:
    """The bounded domains of the user's parameters (a probability's (0, 1)); a law's parameter defined in the
    user's (Bernoulli's logits) is not one of them."""
    return {s: domain for law in laws if law is not None for s, domain in law.domains().items() if s in parameters}


def sample(parameters: tuple[Basic, ...], count: int, seed: int = 5_2604,
           dim: int | None = None, ranges: Mapping[Basic, tuple[float, float]] | None = None) -> list[dict[Basic, Any]]:
    """Random admissible points: positive parameters in [0.3, 3], real ones in [-2.5, 2.5], a parameter given a
    range (a probability: by its law) uniformly in it.

    A vector (``IndexedBase``) gets one such value per coordinate: ``dim`` of them, or as many as the
    point's value of the dimension symbol among ``parameters`` (a whole number in :data:`DIMENSIONS`).
    """
    rng = random.Random(seed)
    dimensions = [s for s in parameters if isinstance(s, Symbol) and s.is_integer and s.is_positive]
    points = []
    for _ in range(count):
        point: dict[Basic, Any] = {s: mpmath.mpf(rng.randint(*DIMENSIONS)) for s in dimensions}
        size = dim if dim is not None else int(point[dimensions[0]]) if dimensions else 1

        def draw(s: Basic) -> Any:
            if ranges and s in ranges:
                return mpmath.mpf(rng.uniform(*ranges[s]))
            return mpmath.mpf(rng.uniform(0.3, 3.0) if s.is_positive else rng.uniform(-2.5, 2.5))

        for s in parameters:
            if s in point:
                continue
            point[s] = [draw(s) for _ in range(size)] if isinstance(s, IndexedBase) else draw(s)
        points.append(point)
    return points


def _round(value: Any, positive: bool, digits: int, domain: Interval | None = None) -> Any:
    r = round(float(value), digits)
    if positive and r <= 0:
        r = 10.0**-digits
    if domain is not None and not float(domain.inf) < r < float(domain.sup):  # a probability rounded to 0 or 1
        return value
    return mpmath.mpf(str(r))


def _rounded(point: Mapping[Basic, Any], digits: int, domains: Mapping[Basic, Interval] | None = None
             ) -> dict[Basic, Any]:
    """The point with each coordinate to ``digits`` decimals (kept admissible): easier to read."""
    domains = domains or {}
    return {s: [_round(x, bool(s.is_positive), digits, domains.get(s)) for x in v] if isinstance(v, list)
            else _round(v, bool(s.is_positive), digits, domains.get(s)) for s, v in point.items()}


# ----------------------------------------------------------------------------------------------------
# Size of a claim: can the cheap symbolic normal forms run in-process?
# ----------------------------------------------------------------------------------------------------


def _expanded_terms(expr: Expr, cap: int = 10**6) -> int:
    """An upper estimate of the number of terms ``expand`` could produce (capped)."""
    if not expr.args:
        return 1
    if isinstance(expr, Add):
        return min(cap, sum(_expanded_terms(a, cap) for a in expr.args))
    if isinstance(expr, Mul):
        total = 1
        for a in expr.args:
            total = min(cap, total * _expanded_terms(a, cap))
        return total
    if isinstance(expr, Pow) and expr.args[1].is_Integer and expr.args[1] > 0:
        base = _expanded_terms(expr.args[0], cap)
        n = int(expr.args[1])
        return cap if base > 1 and n * (base.bit_length()) > 40 else min(cap, base**n)
    return min(cap, sum(_expanded_terms(a, cap) for a in expr.args) + 1)


def _exp_depth(expr: Expr) -> int:
    inner = max((_exp_depth(a) for a in expr.args), default=0)
    return inner + 1 if isinstance(expr, exp) or (isinstance(expr, Pow) and expr.args[1].free_symbols) else inner


def tame(expr: Expr) -> bool:
    """Small enough to expand and evaluate in-process without any risk of hanging."""
    return _expanded_terms(expr) <= TAME_TERMS and _exp_depth(expr) <= 3


# ----------------------------------------------------------------------------------------------------
# Diagnosis: simple relatives of the truth
# ----------------------------------------------------------------------------------------------------

_ALTERNATIVES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "scale": ("var", "precision"),
    "var": ("scale", "precision"),
    "precision": ("var", "scale"),
    "logvar": ("log_scale",),
    "log_scale": ("logvar",),
})

_HINTS: Mapping[tuple[str, str], str] = MappingProxyType({
    ("scale", "var"): "std/variance swapped",
    ("var", "scale"): "std/variance swapped",
    ("log_scale", "logvar"): "log-std used as log-variance",
    ("logvar", "log_scale"): "log-variance used as log-std",
})


@dataclass(frozen=True)
class Relative:
    """A formula a mistaken claim might equal, and what that mistake is; ``condition``: where the formula is what
    the mistake says it is (KL(p || q)'s closed form only where p's support lies inside q's: elsewhere KL(p || q)
    is infinite), a diagnosis offered only when every point satisfies it."""

    expr: Expr
    mistake: str
    condition: Boolean = S.true


def _scales(choice: list[tuple[Any, str]]) -> dict[Basic, Any]:
    """A table for :func:`~derivation.pairs.vectors.entrywise`: each slot's scale (a symbol, or a vector entry by
    entry) read from its parameter as the given kind of parameter."""
    return {slot.symbol: (lambda i, slot=slot, kind=kind: SCALE_OF[kind](slot.param if i is None else slot.param[i]))
            for slot, kind in choice}


def _scale_relatives(v: Variant, in_scales: Expr) -> list[Relative]:
    """The truth with parameters read in another parameterisation, and with the log term halved or doubled
    (slips with Gaussian scales; a pair given in its laws' own parameters, Laplace or exponential, has no other
    parameterisation)."""
    if isinstance(v.setting, LawPair):
        return []
    s = v.setting
    own = _scales([(slot, slot.kind) for slot in s.slots])
    found: list[Relative] = []
    choices = [[(slot, slot.kind)] + [(slot, k) for k in _ALTERNATIVES[slot.kind]
                                      if slot.param.is_positive or k in ("logvar", "log_scale")]
               for slot in s.slots]
    for combination in product(*choices):
        changed = [(slot, kind) for slot, kind in combination if kind != slot.kind]
        if not changed:
            continue
        mapping = _scales(list(combination))
        parts = []
        for slot, kind in changed:
            hint = _HINTS.get((slot.kind, kind))
            parts.append(f"{slot.param} is used as a {KIND_NAMES[kind]} but the spec makes it the "
                         f"{KIND_NAMES[slot.kind]}" + (f" ({hint})" if hint else ""))
        found.append(Relative(entrywise(evaluated(in_scales), mapping), "; ".join(dict.fromkeys(parts))))
    scale = next((str(slot.param) for slot in s.slots if slot.kind == "scale"), "sigma")
    for multiple, mistake in (
        (Rational(1, 2), f"the log term is half what it should be: log({scale}) where log({scale}**2) belongs "
                         "(std/variance swapped inside the logarithm)"),
        (Rational(2), f"the log term is twice what it should be: log({scale}**2) where log({scale}) belongs "
                      "(std/variance swapped inside the logarithm)"),
    ):
        scaled = evaluated(in_scales).replace(lambda e: isinstance(e, log), lambda e, f=multiple: f * e)
        found.append(Relative(entrywise(scaled, own), mistake))
    return found


#: A family's parameterisations that a slip may confuse: a rate read as a scale, a probability as a logit.
_FAMILY_ALTERNATIVES: Mapping[str, str] = MappingProxyType({
    "rate": "scale", "scale": "rate", "probs": "logits", "logits": "probs"})
_FAMILY_KIND_NAMES: Mapping[str, str] = MappingProxyType({
    "rate": "rate", "scale": "scale", "probs": "probability", "logits": "logit (log-odds)"})
#: Families given in their own parameters whose parameterisations :data:`_FAMILY_ALTERNATIVES` swaps.
_SWAPPED_FAMILIES = frozenset({"Exponential", "Gamma", "Bernoulli"})


def _family_relatives(q: str, p: str, v: Variant) -> list[Relative]:
    """The truth with a family's parameter read in its other parameterisation (``Gamma(a, rate=b)`` read as
    ``Gamma(a, scale=b)``; a Bernoulli probability read as a logit), in the user's symbols."""
    if not isinstance(v.setting, LawPair):
        return []
    specs = [parse_spec(q), parse_spec(p)]
    options = [[(spec, spec.param_kind)] + ([(spec, _FAMILY_ALTERNATIVES[spec.param_kind])]
                                            if spec.family in _SWAPPED_FAMILIES and spec.param_kind
                                            in _FAMILY_ALTERNATIVES and spec.param.is_Symbol else [])
               for spec in specs]
    found = []
    by_name = {s.name: s for s in v.setting.user_parameters if isinstance(s, Symbol)}
    for choice in product(*options):
        changed = [(spec, kind) for spec, kind in choice if kind != spec.param_kind]
        if not changed:
            continue
        texts = [f"{spec.family}({'' if spec.loc is None else str(spec.loc) + ', '}{kind}={spec.param})"
                 for spec, kind in choice]
        try:
            other = variant(*texts)
            form = evaluated(other.closed_form(other.closed_form_in_scales()))
        except (UsageError, StepRejected):
            continue
        form = form.xreplace({s: by_name[s.name] for s in form.free_symbols if s.name in by_name})
        mistake = "; ".join(dict.fromkeys(
            f"{spec.param} is used as a {_FAMILY_KIND_NAMES[kind]} but the spec makes it the "
            f"{_FAMILY_KIND_NAMES[spec.param_kind]}" for spec, kind in changed))
        found.append(Relative(form, mistake))
    return found


def relatives(v: Variant, truth: Expr, in_scales: Expr, specs: tuple[str, str] | None = None) -> list[Relative]:
    """Simple relatives of KL(q || p) that a mistaken claim might equal (the truth itself first); with the specs
    of a pair of families given in their own parameters, also the truth in their other parameterisations."""
    try:
        reversed_pair = v.reversed()
        conditions = reversed_pair.setting.conditions() if isinstance(reversed_pair.setting, LawPair) else ()
        reverse = [Relative(evaluated(reversed_pair.closed_form()),
                            "the claim is KL(p || q), not KL(q || p): the direction is reversed", And(*conditions))]
    except UsageError:  # KL(p || q) is not derived here (Beta against Uniform)
        reverse = []
    return [Relative(evaluated(truth), ""), *reverse,
            *_scale_relatives(v, in_scales), *(_family_relatives(*specs, v) if specs else [])]


#: The diagnosis of a claim that is 0 where KL(q || p) is not (Gibbs' inequality: 0 only where q = p).
ZERO_CLAIM = "the claim is 0, but KL(q || p) is not: it is 0 only where q and p are the same distribution"


def _factor_words(c: Rational) -> str:
    if c == -1:
        return "the sign is flipped"
    if c == Rational(1, 2):
        return "a constant factor: it is 1/2 times the right value (an extra factor 1/2)"
    if c == 2:
        return "a constant factor: it is 2 times the right value (the factor 1/2 is missing)"
    if c == Rational(-1, 2):
        return "the sign is flipped and the factor 1/2 is missing or doubled: it is -1/2 times the right value"
    return f"a constant factor: it is {c} times the right value"


def _as_rational(value: Any) -> Rational | None:
    """A simple fraction equal to ``value`` to 12 digits, if there is one."""
    v = float(value)
    if v == 0:
        return Rational(0)
    guess = Fraction(v).limit_denominator(1000)
    return Rational(guess.numerator, guess.denominator) if guess and abs(v - float(guess)) <= 1e-12 * abs(v) \
        else None


def _proportional(claim_values: list[Value], base: list[Value], factors: list[Value]) -> bool:
    """``claim = factor * base`` at every point."""
    return all(_same(c, f * b) for c, b, f in zip(claim_values, base, factors, strict=True))


def diagnose(claim_values: list[Value], candidates: list[Relative], points: list[Mapping[Symbol, Any]],
             dim: Expr | int = 1, truth_values: list[Value] | None = None,
             affordable: Callable[[], bool] | None = None) -> str | None:
    """The mistake when the claim is a relative of the truth, a constant multiple of one (or the truth over
    the dimension ``dim``: a mean where the sum belongs), or the truth shifted by a constant.

    ``truth_values`` are the values of the first candidate (the truth), when already computed; the other
    candidates are tried while ``affordable()`` says there is time for one more (no diagnosis otherwise).
    """
    if not all(_real(c) for c in claim_values):
        return None
    with mpmath.workdps(DIGITS + 10):
        return _diagnosis(claim_values, candidates, points, dim, truth_values, affordable)


def _diagnosis(claim_values: list[Value], candidates: list[Relative], points: list[Mapping[Symbol, Any]],
               dim: Expr | int, truth_values: list[Value] | None, affordable: Callable[[], bool] | None
               ) -> str | None:
    if all(c == 0 for c in claim_values):  # not "0 times the right value"
        return ZERO_CLAIM
    dims = values(dim, points) if isinstance(dim, Expr) and dim.free_symbols else [mpmath.mpf(int(dim))] * len(points)
    for index, relative in enumerate(candidates):
        if index and affordable is not None and not affordable():
            return None
        if relative.condition is not S.true and not _holds_everywhere(relative.condition, points):
            continue  # not what the mistake says at these points (KL(p || q) is infinite there)
        base = truth_values if index == 0 and truth_values is not None else values(relative.expr, points)
        if not all(_real(b) for b in base):
            continue
        prefix = f"{relative.mistake}; and " if index else ""
        if index and _agree(claim_values, base):
            return relative.mistake
        if any(d != 1 for d in dims):
            if _proportional(claim_values, base, [1 / d for d in dims]):
                return f"{prefix}it is KL(q || p) divided by the dimension {dim}: this is the mean over latent " \
                       "dimensions, not the sum"
            if _proportional(claim_values, base, dims):
                return f"{prefix}it is KL(q || p) times the dimension {dim}: a sum where a mean belongs?"
        ratios = [c / b for c, b in zip(claim_values, base, strict=True) if abs(b) > 1e-12]
        if len(ratios) == len(base) and all(close(r, ratios[0], 1e-12) for r in ratios):
            c = _as_rational(ratios[0])
            if c is not None and c != 1:
                return prefix + _factor_words(c)
            if c is None and not close(ratios[0], 1, 1e-12):
                return prefix + f"a constant factor: it is {float(ratios[0]):.10g} times the right value"
        if not index:
            offsets = [c - b for c, b in zip(claim_values, base, strict=True)]
            size = max(abs(o) for o in offsets)
            slack = [1e-9 * size + 10 * TOLERANCE * max(1, abs(b)) for b in base]  # what 30 digits resolve
            if size and all(abs(o - offsets[0]) <= e for o, e in zip(offsets, slack, strict=True)):
                c = _as_rational(offsets[0])
                shown = c if c is not None and c != 0 and abs(offsets[0] - float(c)) <= 1e-12 * size \
                    else f"{float(offsets[0]):.10g}"
                return (f"the claim differs from KL(q || p) by the constant {shown} (a constant term is missing "
                        "or wrong)")
    return None


# ----------------------------------------------------------------------------------------------------
# The decision
# ----------------------------------------------------------------------------------------------------


def summand(expr: Expr) -> Expr | None:
    """One summand ``s_j`` with ``expr = Sum_{j=1}^{d} s_j``, when ``expr`` is a linear combination of sums over
    the same range 1..d (a term free of sums counts as d equal terms of 1/d of it); None otherwise.

    ``s_j = 0`` then proves ``expr = 0``: so a claim and the truth are compared term by term, whatever
    index each sum uses and however the sums were split or scaled.
    """
    sums = expr.atoms(Sum)
    if not sums or any(len(t.limits) != 1 or t.limits[0][1] != 1 for t in sums):
        return None
    if len({t.limits[0][2] for t in sums}) != 1:
        return None
    dim = next(iter(sums)).limits[0][2]
    index = Dummy("j", integer=True, positive=True)
    body = []
    for term in Add.make_args(expand(expr, deep=False)):
        parts = Mul.make_args(term)
        inside = [f for f in parts if isinstance(f, Sum)]
        rest = Mul(*[f for f in parts if not isinstance(f, Sum)])
        if rest.has(Sum) or len(inside) > 1:
            return None
        if not inside:
            body.append(rest / dim)
            continue
        total = inside[0]
        body.append(rest * total.function.xreplace({total.limits[0][0]: index}))
    return Add(*body)


def _proof(claim: Expr, truth: Expr, inside: Mapping[Basic, Expr] | None = None,
           gaps: Mapping[Symbol, Expr] | None = None) -> str | None:
    """A symbolic proof that ``claim - truth`` is 0 by cheap normal forms (term by term for sums), or None;
    failing that, with each bounded parameter written as in ``inside`` (a probability ``u/(1 + u)``, so that
    ``log((1 - p) x) = log(1 - p) + log(x)`` can be read off), or with the pair's condition put in as
    :func:`_gaps` (``b = a + t``, t > 0: ``log(b - a)`` is then the logarithm of a positive number)."""
    difference = claim - truth
    terms = summand(difference)
    if terms is not None and is_zero(terms):
        return "claim - KL(q || p) reduces to 0 term by term"
    if is_zero(difference):
        return "claim - KL(q || p) reduces to 0"
    if inside and is_zero(difference.xreplace(inside)):
        return "claim - KL(q || p) reduces to 0 (each probability p written as u/(1 + u), u > 0)"
    if gaps and is_zero(difference.xreplace(dict(gaps))):
        return ("claim - KL(q || p) reduces to 0 where the pair's condition holds (each upper end written as the "
                "lower end plus a positive gap)")
    return None


def _factored(expr: Expr) -> Expr:
    """Sums under roots and logarithms factored (``sqrt(s**2 + 2 s + 1) -> s + 1`` for s > 0), logs expanded."""
    expr = expr.replace(lambda e: e.is_Pow and e.base.is_Add and not e.exp.is_Integer,
                        lambda e: Pow(factor(e.base), e.exp))
    expr = expr.replace(lambda e: isinstance(e, log) and e.args[0].is_Add, lambda e: log(factor(e.args[0])))
    return expand_log(expr)


def _deep_proof(claim: Expr, truth: Expr) -> tuple[str, Expr]:
    """``simplify`` on the difference (then on it factored): ("proof", 0) or ("other", what it reduced to)."""
    difference = claim - truth
    difference = summand(difference) or difference
    rest = simplify(difference)
    if rest != 0:
        rest = simplify(_factored(difference))
    return ("proof", rest) if rest == 0 else ("other", rest)


#: Relative agreement the quadrature of a law given as data (not Gauss-Hermite) must reach with the closed form.
WITNESS_TOLERANCE = 1e-8
#: Points the quadrature of a law given as data witnesses the closed form at (the claim is compared at all).
WITNESS_POINTS = 2


def _witness(v: Variant, points: list[Mapping[Symbol, Any]], truth_values: list[Value]) -> None:
    """The definition itself, by quadrature, must agree with the derived closed form (else: a bug here).

    Univariate settings by one-dimensional quadrature; diagonal ones by their own (``kl_values``, which skips
    large concrete dimensions); full-covariance ones rely on their verified plans.
    """
    s = v.setting
    kl_values = getattr(s, "kl_values", None)
    if kl_values is not None:
        for a, b in zip(kl_values(points), truth_values, strict=True):
            if a is not None and not (_real(b) and close(a, float(b), 1e-8)):
                raise StepRejected(f"the derived closed form disagrees with the KL integral ({a} vs {b})")
        return
    if not (isinstance(s.q, Density) and isinstance(s.p, Density)) or s.q.law.vector:
        return
    if isinstance(s, LawPair) and not s.q.law.discrete:  # 30-digit adaptive quadrature is slow (Gamma: 0.4 s a point)
        points, truth_values = points[:WITNESS_POINTS], truth_values[:WITNESS_POINTS]
    full = []
    for point in points:
        extended = dict(point)
        for symbol, value in s.definitions:
            extended[symbol] = number_at(value, point)
        full.append(extended)
    integral = Evaluator(full).values(KL(s.q, s.p))
    # a law's adaptive quadrature (Gamma's, singular at 0 for a shape below 1) reaches about 10 digits
    tolerance = WITNESS_TOLERANCE if isinstance(s, LawPair) else 1e-15
    for a, b in zip(integral, truth_values, strict=True):
        if not (_real(a) and _real(b) and close(a, b, tolerance)):
            raise StepRejected(f"the derived closed form disagrees with the KL integral ({a} vs {b})")


def _distance(claimed: Value, true: Value) -> float:
    """How far the claim is from the truth, relatively (undefined and complex values are farthest)."""
    if not _real(claimed):
        return float("inf")
    return float(abs(claimed - true) / max(1, abs(true)))


# ----------------------------------------------------------------------------------------------------
# The real domain of the code: where every logarithm, root, power and division is defined
# ----------------------------------------------------------------------------------------------------


def _inside(domain: Interval) -> Expr:
    """A parameter of the open interval ``(a, b)`` as ``(a + b u)/(1 + u)`` with u > 0 (a probability: ``u/(1 + u)``,
    and then ``1 - p = 1/(1 + u)``): every value of the interval once, in a form whose signs SymPy can read."""
    u = Dummy("u", positive=True)
    return (domain.inf + domain.sup * u) / (1 + u)


def _proved(requirement: Requirement, index: Symbol, domains: Mapping[Basic, Interval] | None = None) -> bool:
    """Whether the symbols' assumptions show the requirement for every admissible value (e.g. ``exp(lv) > 0``;
    a parameter with a bounded domain read through :func:`_inside`), or (a polynomial in one parameter) its
    exact solution does."""
    e = _scalar(requirement.expr, index)[0]
    if {">0": e.is_positive, ">=0": e.is_nonnegative, "!=0": e.is_nonzero}[requirement.relation]:
        return True
    bounded = {s: _inside(d) for s, d in (domains or {}).items() if s in e.free_symbols and d.is_open
               and d.inf.is_finite and d.sup.is_finite}
    inside = together(e.xreplace(bounded)) if bounded and tame(e) else None
    if inside is not None and {">0": inside.is_positive, ">=0": inside.is_nonnegative,
                               "!=0": inside.is_nonzero}[requirement.relation]:
        return True
    if requirement.relation == ">=0" and (tame(e) or _degree(e) <= MAX_DEGREE) and is_zero(e):  # root of 0
        return True
    return _univariate(requirement, index, domains)[0]


_STRICT = (StrictLessThan, StrictGreaterThan)
_INEQUALITIES = (*_STRICT, LessThan, GreaterThan)


def _relations(condition: Boolean) -> tuple[Boolean, ...]:
    """The relations a pair's condition is the conjunction of (``a < b``, ``b <= 1``)."""
    return condition.args if isinstance(condition, And) else (condition,)


def _inequalities(condition: Boolean) -> list[tuple[Expr, Expr, bool]]:
    """Each inequality of the pair's condition as ``(smaller side, greater side, strict)``."""
    return [(r.lts, r.gts, isinstance(r, _STRICT)) for r in _relations(condition) if isinstance(r, _INEQUALITIES)]


def _gaps(condition: Boolean) -> dict[Symbol, Expr]:
    """The pair's condition as substitutions that make it hold by the symbols' signs: ``a < b`` gives
    ``b -> a + t`` with t > 0, ``c <= a`` gives ``a -> c + u`` with u >= 0 (each relation's greater side, a symbol
    not yet substituted, written as the smaller side plus a gap), applied in turn."""
    gaps: dict[Symbol, Expr] = {}
    for low, high, strict in _inequalities(condition):
        if not isinstance(high, Symbol) or high in gaps:
            continue
        gap = Dummy("gap", positive=True) if strict else Dummy("gap", nonnegative=True)
        gaps[high] = low.xreplace(gaps) + gap
    return {s: value.xreplace(gaps) for s, value in gaps.items()}


def _slacks(condition: Boolean) -> list[tuple[Expr, bool]]:
    """Each relation of the pair's condition as ``(high - low, strict)``: a quantity the condition makes
    non-negative (positive, when strict)."""
    return [(expand(high - low), strict) for low, high, strict in _inequalities(condition)]


def _proved_under(requirement: Requirement, gaps: Mapping[Symbol, Expr], slacks: list[tuple[Expr, bool]]) -> bool:
    """Whether the requirement holds wherever the pair's condition does: with the condition's :func:`_gaps` put in,
    the symbols' signs show it (``s/(b - a) > 0`` under a < b); or it is one or two of the condition's
    :func:`_slacks` plus something the signs show non-negative (``1 - a >= 0`` from a < b and b <= 1)."""
    if not slacks or requirement.expr.has(Sum, Indexed):
        return False
    relation = requirement.relation
    test = {">0": lambda e: e.is_positive, ">=0": lambda e: e.is_nonnegative, "!=0": lambda e: e.is_nonzero}[relation]
    if test(together(requirement.expr.xreplace(dict(gaps)))):
        return True
    if relation == "!=0" or not tame(requirement.expr):
        return False
    combinations = [*slacks, *((a + b, s or t) for i, (a, s) in enumerate(slacks) for b, t in slacks[i + 1:])]
    for slack, strict in combinations:
        rest = expand(requirement.expr - slack)
        if rest.is_nonnegative and (relation == ">=0" or strict or rest.is_positive):
            return True
    return False


def _scalar(expr: Expr, index: Symbol) -> tuple[Expr, dict[Symbol, IndexedBase]]:
    """``expr`` with each vector entry at ``index`` replaced by a symbol of its assumptions (all coordinates are
    alike), and those symbols' vectors; a sum over the coordinates stays as it is."""
    if expr.has(Sum):
        return expr, {}
    entries = {e for e in expr.atoms(Indexed) if e.indices == (index,)}
    stand_ins = {e: Dummy(str(e.base.label), positive=True) if e.is_positive else Dummy(str(e.base.label), real=True)
                 for e in entries}
    return expr.xreplace(stand_ins), {d: e.base for e, d in stand_ins.items()}


def _met(relation: str, value: Value) -> bool:
    if not _real(value):
        return False
    tiny = mpmath.mpf(10) ** (2 - DIGITS)
    return value > tiny if relation == ">0" else value >= -tiny if relation == ">=0" else abs(value) > tiny


def _why(requirement: Requirement, shown: Expr, value: Value) -> str:
    """Why the code is not defined where ``requirement`` fails, its operand (``shown``) having ``value``."""
    number = f"{float(value):.6g}" if _real(value) else "not a real number"
    operand = f"{sstr(shown)} = {number}"
    if requirement.relation == "!=0":
        return f"{operand}: a division by zero (an infinity or NaN in NumPy and PyTorch)"
    if requirement.what == "the logarithm of":
        return (f"the logarithm of {operand}: a logarithm is a real number only for a positive argument "
                "(NaN or -inf in NumPy and PyTorch)")
    if requirement.what == "the square root of":
        return (f"the square root of {operand}: a square root of a negative number is not a real number (NaN in "
                "NumPy and PyTorch); over the reals sqrt(x)**2 is x only for x >= 0")
    return (f"a non-integer power of {operand}: a negative number to a non-integer power is not a real number "
            "(NaN in NumPy and PyTorch)")


def _failure(requirements: tuple[Requirement, ...], index: Symbol, point: Mapping[Basic, Any]) -> str | None:
    """Why the claim's code is not defined at ``point`` (each coordinate tried), or None where it is."""
    size = next((len(v) for v in point.values() if isinstance(v, list)), 0)
    for requirement in requirements:
        coordinates: Any = (None,)
        if requirement.expr.has(index):  # each distinct coordinate once
            bases = sorted({e.base for e in requirement.expr.atoms(Indexed)}, key=str)
            coordinates = {tuple(point[b][i - 1] for b in bases): i for i in range(size, 0, -1)}.values()
        for i in sorted(coordinates, key=lambda c: c or 0):
            at = dict(point) if i is None else {**point, index: mpmath.mpf(i)}
            value = value_at(requirement.expr, at)
            if _unstable(value) or _met(requirement.relation, value):
                continue
            shown = requirement.expr if i is None else requirement.expr.xreplace({index: Integer(i)})
            return _why(requirement, shown, value)
    return None


#: Values each kind of parameter takes in the search for a point where the claim's code is not defined.
GRID_REAL = tuple(map(Fraction, ("0", "-1", "1", "-1/2", "1/2", "-2", "2", "-10", "10", "1/1000", "-1/1000")))
GRID_POSITIVE = tuple(map(Fraction, ("1", "1/2", "2", "10", "1/1000", "100")))
#: Values a parameter of a bounded domain (a probability) takes there, as fractions of the way across it.
GRID_INSIDE = tuple(map(Fraction, ("1/2", "1/1000", "999/1000", "1/10", "9/10", "1/3")))
#: Points of that search (the grid's diagonal first, then random combinations).
GRID_POINTS = 40


def grid(parameters: tuple[Basic, ...], dim: int | None = None, seed: int = 2_604,
         domains: Mapping[Basic, Interval] | None = None) -> list[dict[Basic, Any]]:
    """Admissible points on a coarse grid that includes 0 and values near 0 and far from it (see
    :data:`GRID_REAL`; a parameter of a bounded domain, values near its ends, :data:`GRID_INSIDE`): all
    parameters at the same grid value first, then random combinations."""
    domains = domains or {}
    rng = random.Random(seed)
    dimensions = [s for s in parameters if isinstance(s, Symbol) and s.is_integer and s.is_positive]
    size = dim if dim is not None else 2
    points = []
    for k in range(GRID_POINTS):
        point: dict[Basic, Any] = {s: mpmath.mpf(size) for s in dimensions}
        for s in parameters:
            if s in point:
                continue
            choices = GRID_POSITIVE if s.is_positive else GRID_REAL
            if s in domains:
                low, high = (Fraction(str(end)) for end in (domains[s].inf, domains[s].sup))
                choices = tuple(low + (high - low) * c for c in GRID_INSIDE)
            if isinstance(s, IndexedBase):  # a long vector: one value in every coordinate
                entries = size if size <= 4 else 1
                point[s] = [_pick(choices, k, rng) for _ in range(entries)] * (size // entries)
            else:
                point[s] = _pick(choices, k, rng)
        points.append(point)
    return points


def _pick(choices: tuple[Fraction, ...], k: int, rng: random.Random) -> Any:
    """The ``k``-th grid value: the same for every parameter on the diagonal, then drawn at random."""
    value = choices[k % len(choices)] if k < len(GRID_REAL) else rng.choice(choices)
    return mpmath.mpf(value.numerator) / value.denominator


#: Polynomials up to this degree (bounded without expanding them) are expanded in the domain's proofs.
MAX_DEGREE = 64


def _degree(e: Expr) -> float:
    """An upper bound of the degree of ``e`` as a polynomial (infinite if it is not one), without expanding."""
    if e.is_Symbol:
        return 1
    if e.is_number:
        return 0
    if isinstance(e, Add):
        return max(_degree(a) for a in e.args)
    if isinstance(e, Mul):
        return sum(_degree(a) for a in e.args)
    if isinstance(e, Pow) and e.exp.is_Integer and e.exp >= 0:
        return int(e.exp) * _degree(e.base)
    return float("inf")


def _univariate(requirement: Requirement, index: Symbol, domains: Mapping[Basic, Interval] | None = None
                ) -> tuple[bool, tuple[Basic, Expr] | None]:
    """For a requirement on a polynomial in one parameter (or one vector's entries; degree 4 at most): whether it
    holds on the parameter's whole domain, and if not, ``(parameter, a value where it fails)`` (a vector then has
    that value in every coordinate). ``(False, None)`` for anything else."""
    e, vectors = _scalar(requirement.expr, index)
    if len(e.free_symbols) != 1 or e.has(Indexed, Sum) or _degree(e) > MAX_DEGREE:
        return False, None
    (symbol,) = e.free_symbols
    parameter = vectors.get(symbol, symbol)
    if not e.is_polynomial(symbol) or Poly(e, symbol).degree() > 4:
        return False, None
    domain = (domains or {}).get(parameter) or (Interval.open(0, oo) if symbol.is_positive else S.Reals)
    bad = solveset({">0": e <= 0, ">=0": e < 0, "!=0": e}[requirement.relation] if requirement.relation != "!=0"
                   else e, symbol, domain)
    if bad == S.EmptySet:
        return True, None
    part = bad.args[0] if isinstance(bad, Union) else bad
    if isinstance(part, FiniteSet) and part.args and part.args[0].is_real:
        return False, (parameter, part.args[0])
    if isinstance(part, Interval):
        low, high = part.inf, part.sup
        value = (low + high) / 2 if low.is_finite and high.is_finite else high - 1 if high.is_finite else low + 1
        return False, (parameter, value)
    return False, None


def _domain_gap(requirements: tuple[Requirement, ...], index: Symbol, parameters: tuple[Basic, ...],
                dim: int | None, domains: Mapping[Basic, Interval] | None = None,
                satisfied: Callable[[Mapping[Basic, Any]], bool] | None = None
                ) -> tuple[dict[Basic, Any], str] | None:
    """A point where the claim's code is not defined, with the reason, if one is found: on a grid, or from the
    exact solution of a requirement on one parameter; only points that ``satisfied`` accepts (the pair's condition,
    ``low < high``), when given."""
    points = grid(parameters, dim, domains=domains)
    for requirement in requirements:
        _, witness = _univariate(requirement, index, domains)
        if witness is not None:
            parameter, value = witness
            with mpmath.workdps(DIGITS + 10):
                number = mpmath.mpf(sstr(value.evalf(DIGITS + 10)))
            old = points[0][parameter]
            points.insert(0, {**points[0], parameter: [number] * len(old) if isinstance(old, list) else number})
    for point in points:
        if satisfied is not None and not satisfied(point):
            continue
        reason = _failure(requirements, index, point)
        if reason is not None:
            return point, reason
    return None


# ----------------------------------------------------------------------------------------------------
# Float literals, judged at double precision
# ----------------------------------------------------------------------------------------------------


#: Claims with more float literals than this are not searched for a double-precision reading.
MAX_LITERALS = 8


def _double_reading(v: Variant, text: str, parsed: ParsedClaim, claim: Expr, truth: Expr
                    ) -> tuple[str, Expr] | None:
    """``(literal, exact)`` when reading one float literal of a code claim (every place it is written) as the exact
    number ``exact`` (whose double-precision rounding is that literal's) makes the claim equal KL(q || p),
    symbolically; else None.

    The claim is linear in the literal ``t``: ``claim(t) = claim(c) + a (t - c)``, so the reading is
    ``c - (claim(c) - KL) / a``; it must be a number (free of the parameters).
    """
    if parsed.syntax != "python" or not tame(claim) or len(parsed.literals) > MAX_LITERALS:
        return None
    difference = claim - truth
    by_text = {literal.text: literal for literal in parsed.literals}  # one constant written several times
    for literal in by_text.values():
        stand_in = Dummy("t")
        places = {other.pos: stand_in for other in parsed.literals if other.text == literal.text}
        with_symbol = v.read_claim(text, places)[0]
        slope = with_symbol.diff(stand_in)
        if slope == 0 or slope.has(stand_in) or slope.has(Sum):
            continue
        reading = cancel(expand(literal.value - difference / slope))
        if reading.free_symbols or not reading.is_real:
            continue
        with mpmath.workdps(DIGITS + 10):
            rounded = float(mpmath.mpf(sstr(reading.evalf(DIGITS + 10))))
        exact = is_zero(with_symbol.xreplace({stand_in: reading}) - truth)
        if exact and rounded == float(literal.text.replace("_", "")):
            return literal.text, reading
    return None


def _plain(expr: Expr) -> Expr:
    """``expr`` with each internal stand-in (a Dummy, printed ``_j``) as the plain symbol of its name (``j``)."""
    return expr.xreplace({stand_in: Symbol(stand_in.name) for stand_in in expr.atoms(Dummy)})


def _difference(claim: Expr, truth: Expr, bounded: bool = False) -> str | None:
    """``claim - KL(q || p)`` in a short normal form, when it has one (a diagnosis that is never vacuous).

    With ``bounded`` parameters (probabilities) the logarithms are split as products and quotients of positive
    factors (``log((1 - p1)/(1 - p2)) = log(1 - p1) - log(1 - p2)``) and their arguments are left as they are.
    """
    if not tame(claim):
        return None
    difference = claim - truth
    terms = summand(difference)
    rest = terms if terms is not None else difference
    rest = expand_mul(expand_log(rest, force=True)) if bounded else expand(expand_log(rest))
    if rest == 0 or rest.count_ops() > 40:
        return None
    fractions = {r for r in rest.atoms(Rational) if not r.is_Integer or abs(r) > 1000}
    shown = rest.evalf(DIGITS).evalf(6) if fractions - {Rational(1, 2), Rational(-1, 2)} else rest  # no cancellation
    where = " in each coordinate j" if terms is not None else ""
    shown = _plain(shown)  # j, not _j
    return f"claim - KL(q || p) = {sstr(shown, full_prec=False)}{where}, which is not 0"


# ----------------------------------------------------------------------------------------------------
# The decision
# ----------------------------------------------------------------------------------------------------


def _counterexample(claim_at: Callable[[Mapping[Basic, Any]], tuple[Value, str | None]], truth: Expr,
                    point: Mapping[Symbol, Any], claimed: Value, true: Value, why: str | None,
                    careful: bool, domains: Mapping[Basic, Interval] | None = None,
                    admissible: Callable[[list], list] | None = None) -> tuple[Counterexample, str | None]:
    """The counterexample at ``point`` (rounded, if the claim is still wrong there) and why the claim is
    undefined there (None where it is defined)."""
    for digits in (1, 2) if careful else ():  # a rounded point reads better, if the claim is still wrong there
        nice = _rounded(point, digits, domains)
        if admissible is not None:  # rounded probabilities put back on the simplex (None: no longer admissible)
            nice = admissible([nice])[0]
            if nice is None:
                continue
        (c, reason), (t,) = claim_at(nice), values(truth, [nice])
        if _real(t) and _refutes(c, t) and (reason is None) == (why is None):
            point, claimed, true, why = nice, c, t, reason
            break
    shown: float | str
    difference = None
    if claimed is None:
        shown = "undefined"
    elif isinstance(claimed, mpmath.mpc):
        shown = "not a real number"
    else:
        shown = float(claimed)
        if _real(true):
            difference = float(claimed - true)
    def number(symbol: Basic, value: Any) -> float | int:
        return int(value) if symbol.is_integer else float(value)  # a dimension d = 2, not 2.0

    return Counterexample(MappingProxyType({s.name: tuple(float(e) for e in x) if isinstance(x, list)
                                            else number(s, x) for s, x in point.items()}),
                          shown, float(true), difference), why


@dataclass
class _Clock:
    budget: float
    start: float = field(default_factory=time.monotonic)

    def left(self) -> float:
        return self.budget - (time.monotonic() - self.start)


def verify(q: str, p: str, claim: str, *, budget: float | None = None) -> Verdict:
    """Decide whether ``claim`` equals KL(q || p) for every admissible value of the specs' parameters.

    ``q`` and ``p`` are spec strings (``Normal(a, logvar=w)``); ``claim`` is a formula in Python,
    NumPy, PyTorch or LaTeX syntax over the specs' symbol names. Returns a :class:`Verdict`.
    Raises :class:`~derivation.core.errors.ParseError` (a ``UsageError``) for invalid input, naming the
    string (``q:``, ``p:``, ``claim:``) and the position of the problem.

    The claim means what its code computes over the real numbers: where a logarithm, square root,
    non-integer power or division in it is undefined for some admissible value (``np.sqrt(mu)`` for
    ``mu < 0``; ``0*log(mu)`` is NaN there too), the claim does not hold, and that point is the
    counterexample. A code claim whose float literal is the double-precision rounding of the number that
    would make it exact "holds to double precision".
    """
    clock = _Clock(BUDGET if budget is None else budget)
    v = variant(q, p)
    if v.case == "full":
        raise UsageError("verify takes Normal or DiagNormal specs; claims about MvNormal pairs (matrices) are not "
                         "supported: derive the pair instead")
    if v.case == "dirichlet":  # its claims' vectors are not drawn at random points yet
        raise UsageError("verify does not decide claims about Dirichlet pairs yet: derive the pair instead")
    claimed, parsed, index = v.read_claim(claim)
    laws = [getattr(getattr(v.setting, role, None), "law", None) for role in ("q", "p")]
    laws = [None if law is None or law.vector else law for law in laws]  # a vector's: no parameter ranges
    condition = _decidable(q, p, laws, v.setting.user_parameters)
    domains = _domains(laws, v.setting.user_parameters)
    inside = {s: _inside(d) for s, d in domains.items() if d.is_open and d.inf.is_finite and d.sup.is_finite}
    constrained = condition is not S.true
    satisfied = _satisfying(condition) if constrained else None
    gaps, slacks = (_gaps(condition), _slacks(condition)) if constrained else ({}, [])
    requirements = tuple(r for r in parsed.requirements
                         if not _proved(r, index, domains) and not _proved_under(r, gaps, slacks))
    in_scales = v.closed_form_in_scales()
    shown_truth = v.closed_form(in_scales)  # as the documents print it (the verdict's KL line)
    truth = evaluated(shown_truth)
    ranges = {s: span for law in laws if law is not None for s, span in law.ranges().items()}
    dim = v.dim if isinstance(v.dim, int) else None
    points = _constrained(v.setting.user_parameters, satisfied, dim, ranges) if constrained else \
        sample(v.setting.user_parameters, POINTS, dim=dim, ranges=ranges)
    if len(points) < POINTS:  # the condition is rarely met by random values: nothing to compare at
        return Verdict(None, f"random parameter values rarely satisfy the pair's condition "
                       f"({_condition_text(condition)}); rename the parameters apart or derive the pair",
                       claim=claimed, kl=shown_truth)
    admissible = getattr(v.setting, "admissible_points", None)  # a categorical law's probabilities on the simplex
    if admissible is not None:
        points = admissible(points)
    if constrained:  # a rounded counterexample must still satisfy the pair's condition
        admissible = _keep_if(satisfied)
    started = time.monotonic()
    truth_values = values(truth, points)
    cost = time.monotonic() - started  # about what evaluating one more candidate of the same size costs
    _witness(v, points, truth_values)
    careful = tame(claimed)
    agreement = (f"numeric agreement with the KL integral at {len(points)} random points (computed to 30 digits, "
                 "agreeing to 27)")
    if isinstance(v.setting, LawPair) and getattr(v.setting, "kl_values", None) is None \
            and isinstance(v.setting.q, Density) and not v.setting.q.law.discrete and not v.setting.q.law.vector:
        agreement = (f"numeric agreement with the derived KL at {len(points)} random points (computed to 30 digits, "
                     f"agreeing to 27; the KL integral by quadrature agrees with it at {WITNESS_POINTS} of them)")
    try:
        claim_values = values(claimed, points) if careful else run_bounded(
            lambda: values(claimed, points), clock.left())
    except (TimedOut, Failed):
        return Verdict(None, "the claim could not be evaluated within the time budget", claim=claimed, kl=shown_truth)
    reasons = [_failure(requirements, index, point) if requirements else None for point in points]
    claim_values = [None if why else c for c, why in zip(claim_values, reasons, strict=True)]

    def claim_at(point: Mapping[Basic, Any]) -> tuple[Value, str | None]:
        why = _failure(requirements, index, point) if requirements else None
        return (None if why else value_at(claimed, point)), why

    def refuted(method: str, point: Mapping[Basic, Any], claim_value: Value, true: Value, why: str | None,
                diagnosis: str | None, rounded: bool) -> Verdict:
        example, why = _counterexample(claim_at, truth, point, claim_value, true, why, rounded, domains, admissible)
        if why is not None:
            diagnosis = f"the claim's code is not defined there: {why}"
        return Verdict(False, method, example, diagnosis, claimed, shown_truth, len(points))

    def at_double_precision(method: str) -> Verdict | None:
        reading = _double_reading(v, claim, parsed, claimed, truth) if parsed.literals else None
        if reading is None:
            return None
        literal, exact = reading
        gap = float(Rational(literal.replace("_", "")) - exact)
        return Verdict(True, f"the float literal {literal} is {sstr(exact)} rounded to double precision (they differ "
                       f"by {gap:.2g}), and with {sstr(exact)} in its place the claim reduces to KL(q || p) "
                       f"symbolically; as written, its decimals read exactly, it is not KL(q || p) ({method})",
                       claim=claimed, kl=shown_truth, points=len(points), precision="double precision")

    wrong = [i for i, (c, t) in enumerate(zip(claim_values, truth_values, strict=True)) if _refutes(c, t)]
    if wrong:
        worst = max(wrong, key=lambda i: _distance(claim_values[i], truth_values[i]))
        method = (f"numeric: the claim and KL(q || p) differ at {len(wrong)} of {len(points)} random points (30 "
                  "digits)")
        if not any(reasons):
            double = at_double_precision(method)
            if double is not None:
                return double
        diagnosis = None if reasons[worst] else diagnose(
            claim_values, relatives(v, truth, in_scales, (q, p)), points, v.dim, truth_values,
            lambda: clock.left() > 2 * cost + 0.2) or _difference(claimed, truth, bool(domains))
        short = not isinstance(v.dim, int) or v.dim <= ROUNDED_UP_TO  # a long vector does not read better rounded
        return refuted(method, points[worst], claim_values[worst], truth_values[worst], reasons[worst], diagnosis,
                       careful and short)
    domain_note = ""
    if requirements:
        gap = _domain_gap(requirements, index, v.setting.user_parameters, v.dim if isinstance(v.dim, int) else None,
                          domains, satisfied)
        if gap is not None:
            point, why = gap
            return refuted("real-valued: the claim's code is not defined at every admissible point", point, None,
                           value_at(truth, point), why, None, False)
        shown = ", ".join(f"{sstr(r.expr.xreplace({index: Symbol('j')}))} {r.relation[:-1]} 0" for r in requirements)
        domain_note = (f"; the claim's code is defined at every point tried, but that it is defined everywhere "
                       f"({shown}) was not proved")
    canonical = getattr(v.setting, "canonical", None)  # a categorical pair: sums over the categories expanded
    try:
        reason = _proof(claimed, truth, inside, gaps) if careful else run_bounded(
            lambda: _proof(claimed, truth, inside, gaps), clock.left() / 2)
        if reason is None and canonical is not None and is_zero(canonical(claimed) - canonical(truth)):
            reason = ("claim - KL(q || p) reduces to 0 once each sum over the categories is expanded and the "
                      "softmax's normaliser named (its probabilities add to one)")
        if reason is None and canonical is not None:  # term by term says nothing: the probabilities are coupled
            missing = "no symbolic proof found (the claim may use that the probabilities add to one)"
        elif reason is None:
            outcome, rest = run_bounded(lambda: _deep_proof(claimed, truth), clock.left())
            if outcome == "proof":
                reason = "claim - KL(q || p) simplifies to 0"
            elif rest.is_number and rest != 0:
                method = f"symbolic: claim - KL(q || p) simplifies to the constant {rest}"
                double = at_double_precision(method)
                return double or Verdict(False, method, None, f"the claim differs from KL(q || p) by the constant "
                                         f"{rest} = {float(rest):.3g}", claimed, shown_truth, len(points))
            else:
                missing = "no symbolic proof found"
                disproof = _nonzero(rest, points, truth_values)
                if disproof is not None:
                    worst, shown = disproof
                    double = at_double_precision("symbolic: claim - KL(q || p) simplifies to " + shown)
                    if double is not None:
                        return double
                    return refuted(f"symbolic: claim - KL(q || p) simplifies to {shown}, which is not 0 at the "
                                   "random points", points[worst], claim_values[worst], truth_values[worst], None,
                                   f"claim - KL(q || p) = {shown}", False)
    except TimedOut:
        reason, missing = None, "no symbolic proof within the time budget"
    except Failed as error:  # e.g. SymPy gave up on an expression this size
        reason, missing = None, f"no symbolic proof (the attempt stopped: {str(error)[:80]})"
    if reason is None or domain_note:
        unstable = sum(1 for c in claim_values if _unstable(c))
        if unstable == len(points):
            evidence = "the claim could not be evaluated reliably at any random point (values too large)"
        elif unstable:
            evidence = (f"numeric agreement at {len(points) - unstable} of {len(points)} random points (the others "
                        "could not be evaluated reliably)")
        else:
            evidence = agreement
        if reason is not None:
            evidence = f"symbolic proof ({reason}) and {evidence}"
            missing = ""
        return Verdict(None, f"{evidence}{'; ' + missing if missing else ''}{domain_note}", claim=claimed,
                       kl=shown_truth, points=len(points))
    return Verdict(True, f"symbolic proof ({reason}) and {agreement}", claim=claimed, kl=shown_truth,
                   points=len(points))


def _nonzero(rest: Expr, points: list[Mapping[Symbol, Any]], truth_values: list[Value]) -> tuple[int, str] | None:
    """``(index of a point, rest shown)`` when ``rest`` (what claim - KL reduced to) is clearly not 0 there."""
    if not tame(rest):
        return None
    found = [(i, r) for i, r in enumerate(values(rest, points))
             if _real(r) and _real(truth_values[i]) and abs(r) > 10 * TOLERANCE * max(1, abs(truth_values[i]))]
    if not found:
        return None
    worst = max(found, key=lambda f: abs(f[1]))[0]
    return worst, sstr(rest.evalf(6), full_prec=False)


__all__ = ["ClaimEvaluator", "Counterexample", "Relative", "Verdict", "diagnose", "relatives", "tame", "values",
           "verify"]
