"""The checker: every step of a derivation is shown equal to the line before it.

A step is first tried symbolically: closed forms by a short sequence of cheap normalisations of
their difference (never ``simplify`` on a hot path), lines that are one integral (a KL, an
expectation or an integral) by comparing their integrands. What SymPy cannot settle
that way is compared numerically at random admissible points, with integrals by quadrature
(see ``numeric.py``). A step that fails raises :class:`StepRejected`: no wrong line is ever printed.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace

import mpmath
from sympy import (
    Add,
    Derivative,
    Expr,
    Integer,
    Integral,
    Interval,
    Limit,
    Mul,
    Piecewise,
    Product,
    S,
    Subs,
    Sum,
    Symbol,
    Tuple,
    cancel,
    expand,
    expand_log,
    factor_terms,
    integrate,
    log,
    powsimp,
)
from sympy.core.function import AppliedUndef

from ..core.engine import Check, Derivation, Rule, Step, derive_chain
from ..core.errors import StepRejected
from ..core.forms import evaluated
from ..laws.base import inside, tail_order
from ..nodes.scalar import KL, Density, Expectation
from .numeric import INTEGRAL_NODES, Evaluator, close, compiled, number_at, sample_points

PROBES = 3
#: Relative agreement that double-precision values must reach for a numeric check to pass without 30 digits.
DOUBLE_TOLERANCE = 1e-10
#: Below this, two double-precision values agree whatever their ratio (rounding in a sum of terms near 1); a value
#: smaller than 1 is otherwise compared relatively, so that 1e-11 and 0 are decided in 30 digits, as before.
DOUBLE_FLOOR = 1e-14


def close_in_double(a: float, b: float) -> bool:
    """Whether two double-precision values agree well enough to accept a step (:data:`DOUBLE_TOLERANCE` relative,
    :data:`DOUBLE_FLOOR` absolute); an infinity only to itself."""
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= max(DOUBLE_TOLERANCE * max(abs(a), abs(b)), DOUBLE_FLOOR)


def _logs_expanded(e: Expr) -> Expr:
    """``expand(expand_log(e))`` (logarithms of products split where SymPy knows the factors positive)."""
    return expand(expand_log(e, force=False))


#: The normal forms, cheapest first. The last one starts from the third's result (``_logs_expanded``), handed to it
#: by :func:`is_zero` so that it is not computed twice.
_NORMALISATIONS: tuple[Callable[[Expr], Expr], ...] = (
    lambda e: e,
    expand,
    _logs_expanded,
    lambda e: cancel(expand(expand_log(powsimp(e)))),
    lambda e: factor_terms(cancel(_logs_expanded(e))),
)


#: The normal forms tried before asking whether the expression is plainly not 0 (the cheap ones, which settle most).
_FIRST_FORMS = 2


def is_zero(expr: Expr) -> bool:
    """Whether one of a few cheap normal forms of ``expr`` is literally 0 (a proof, not a guess).

    The costlier forms are not tried when ``expr`` has a value other than 0 at one point (:func:`nonzero_at_a_point`):
    a normal form keeps the value, so none of them could be 0 there. Each expression is decided once per process (a
    vector step's difference is often asked about twice: as it stands, and with its traces and determinants as
    numbers when it has none)."""
    if expr not in _DECIDED:
        if len(_DECIDED) >= 4096:
            _DECIDED.clear()
        _DECIDED[expr] = _is_zero(expr)
    return _DECIDED[expr]


_DECIDED: dict[Expr, bool] = {}


def _is_zero(expr: Expr) -> bool:
    if any(normalise(expr) == 0 for normalise in _NORMALISATIONS[:_FIRST_FORMS]):
        return True
    if nonzero_at_a_point(expr):
        return False
    logs_expanded = _logs_expanded(expr)  # the third form, and where the last one starts
    return logs_expanded == 0 or _NORMALISATIONS[3](expr) == 0 or factor_terms(cancel(logs_expanded)) == 0


#: Nodes whose value a single evaluation does not give cheaply or at all (left to the normal forms).
_NOT_EVALUATED = (Integral, Sum, Product, Derivative, Subs, Limit, Piecewise)


def nonzero_at_a_point(expr: Expr) -> bool:
    """Whether ``expr`` (closed form, numbers for its symbols allowed by their assumptions) is clearly not 0 at one
    point: its terms computed in 30 digits, their sum larger than ``1e-12`` of the largest. False whenever that cannot
    be told (an unknown function, a complex or infinite value, a symbol whose assumptions this does not draw)."""
    if not isinstance(expr, Expr) or not expr.is_commutative or expr.has(*_NOT_EVALUATED) or \
            expr.atoms(AppliedUndef) or any(not isinstance(s, Symbol) for s in expr.free_symbols):
        return False
    symbols = sorted(expr.free_symbols, key=str)
    draw = random.Random(2604_11744)  # the same point for the same symbols, whatever was checked before
    values = []
    for s in symbols:
        if s.is_real is False:
            return False
        if s.is_integer:
            if not s.is_nonnegative:
                return False
            values.append(mpmath.mpf(draw.randint(1, 4)))
        elif s.is_negative or s.is_nonpositive:
            return False
        else:  # positive, nonnegative, real or without assumptions: a number in (0, 1) is allowed for each
            values.append(mpmath.mpf(draw.uniform(0.35, 0.85)))
    terms = Add.make_args(expr)
    try:
        with mpmath.workdps(30):
            numbers = compiled(symbols, Tuple(*terms))(*values)  # a symbol named like pi or beta renamed first
            if any(not isinstance(n, mpmath.mpf | int | float) or not mpmath.isfinite(n) for n in numbers):
                return False
            total, largest = mpmath.fsum(numbers), max(abs(mpmath.mpf(n)) for n in numbers)
            return abs(total) > mpmath.mpf("1e-12") * max(1, largest)
    except Exception:  # anything that cannot be evaluated is left to the normal forms
        return False


def _as_integral(expr: Expr) -> Integral | Sum | None:
    """The line as one integral of one variable between limits (or one sum against a discrete law's mass
    function), if it is one."""
    if isinstance(expr, KL | Expectation):
        expr = expr.as_integral()
    if isinstance(expr, Integral) and len(expr.limits) == 1 and len(expr.limits[0]) == 3:
        return expr
    if isinstance(expr, Sum) and len(expr.limits) == 1 and any(
            d.law.discrete and d.variable == expr.limits[0][0] for d in expr.function.atoms(Density)):
        return expr
    return None


def summed(*lines: Expr) -> bool:
    """Whether the lines' averages are all sums over a discrete law's values (none an integral): how a numeric
    check says it evaluated them."""
    averages = [node for line in lines for node in line.atoms(*INTEGRAL_NODES, Sum)]
    return bool(averages) and all(_is_sum(node) for node in averages)


def _is_sum(node: Expr) -> bool:
    if isinstance(node, Sum):
        return True
    if isinstance(node, KL):
        return node.q.law.discrete
    if isinstance(node, Expectation):
        return node.density.law.discrete
    return False


def _explicit(expr: Expr) -> Expr:
    """The line with display forms evaluated and named densities replaced by their formulas (computed once per line:
    a line is the line after one step and the line before the next)."""
    if expr not in _EXPLICIT:
        if len(_EXPLICIT) >= 4096:
            _EXPLICIT.clear()
        _EXPLICIT[expr] = evaluated(expr).replace(lambda e: isinstance(e, Density), lambda e: e.pdf())
    return _EXPLICIT[expr]


_EXPLICIT: dict[Expr, Expr] = {}


def _same_by_normal_forms(a: Expr, b: Expr) -> bool:
    """Whether ``a == b`` by :func:`is_zero`: first without the factors both products share (``q(z) log A`` and
    ``q(z) log B`` are equal if ``log A - log B`` is 0, a smaller difference to normalise), then as they stand."""
    a, b = _explicit(a), _explicit(b)
    left, right = Counter(Mul.make_args(a)), Counter(Mul.make_args(b))
    shared = left & right
    if shared and (left != shared or right != shared) and \
            is_zero(Mul(*(left - shared).elements()) - Mul(*(right - shared).elements())):
        return True
    return is_zero(a - b)


def symbolic_reason(before: Expr, after: Expr, same: Callable[[Expr, Expr], bool] = _same_by_normal_forms,
                    how: str = "") -> str | None:
    """How ``before == after`` follows symbolically, or None when these normal forms cannot tell: two integrals with
    the same limits by their integrands, two closed forms by their difference, each pair compared by ``same`` (the
    cheap normal forms of :func:`is_zero`; a setting may give its own, named by ``how`` in the reason)."""
    a, b = _as_integral(before), _as_integral(after)
    if a is not None and b is not None and a.limits == b.limits:
        if same(a.function, b.function):
            return ("the summands are identical" if isinstance(a, Sum) else "the integrands are identical") + how
        return None
    closed_forms = not before.has(*INTEGRAL_NODES) and not after.has(*INTEGRAL_NODES)
    if closed_forms and same(before, after):
        return "the difference simplifies to 0" + how
    return None


_CHAINS: ContextVar[dict | None] = ContextVar("kl_derive_chains", default=None)


@contextmanager
def reusing_chains() -> Iterator[None]:
    """Within this block, a chain derived twice from the same start by the same plan is derived and
    checked once (``kl-derive build``: the dynamics sections use the univariate chain, for instance)."""
    token = _CHAINS.set({})
    try:
        yield
    finally:
        _CHAINS.reset(token)


def reused(key: tuple, compute: Callable[[], Derivation]) -> Derivation:
    """``compute()``, or within a :func:`reusing_chains` block the derivation already computed under ``key`` (the
    chains a case derives for its sections, e.g. the interpretation of ``standard`` and of ``dynamics``)."""
    chains = _CHAINS.get()
    if chains is None:
        return compute()
    if key not in chains:
        chains[key] = compute()
    return chains[key]


def factors_of(expr: Expr) -> tuple[Expr, ...]:
    """The factors of a product (the expression itself if it is none)."""
    return Mul.make_args(expr)


class Checker:
    """Checks the steps of derivations over one set of random points (shared, so values are reused)."""

    def __init__(self, symbols, probes: int = PROBES, seed: int = 2604_11744, ranges=None, admissible=None):
        self.evaluator = Evaluator(sample_points(symbols, probes, seed, ranges, admissible))
        self._fast: Evaluator | None = None
        self._verified: dict[tuple[Expr, tuple[Expr, ...]], Derivation] = {}  # lemmas met more than once

    @property
    def fast(self) -> Evaluator:
        """The double-precision evaluator, at the same points (made on first use, after any subclass has
        completed the points)."""
        if self._fast is None:
            self._fast = Evaluator(self.evaluator.points, exact=False)
        return self._fast

    def check(self, index: int, before: Expr, after: Expr) -> Check:
        """Symbolically if the normal forms settle it; else numerically, first in double precision (which
        can only accept), then, if that does not agree, in 30 digits (which decides)."""
        if after == S.Infinity and before != S.Infinity:
            return self._infinite(index, before)
        reason = symbolic_reason(before, after)
        if reason is not None:
            return Check(index, True, "symbolic", reason)
        count, means = len(self.evaluator.points), "sums" if summed(before, after) else "quadrature"
        try:
            fast = zip(self.fast.values(before), self.fast.values(after), strict=True)
            if all(close_in_double(a, b) for a, b in fast):
                return Check(index, True, "numeric", f"agree at {count} random points ({means}, double precision)")
        except (ArithmeticError, ValueError, TypeError):
            pass  # overflow, a complex value or no Gaussian to centre on: the exact evaluator decides
        left, right = self.evaluator.values(before), self.evaluator.values(after)
        for point, a, b in zip(self.evaluator.points, left, right, strict=False):
            if not close(a, b):
                shown = ", ".join(f"{s} = {float(v):.6g}" for s, v in point.items())
                return Check(index, False, "numeric", f"at {shown}: before {float(a):.12g}, after {float(b):.12g}")
        return Check(index, True, "numeric", f"agree at {count} random points ({means}, 30 digits)")

    def _infinite(self, index: int, before: Expr) -> Check:
        """A line that is +oo after ``before``, the sum ``sum_k q(k) log(q(k)/p(k))`` of two discrete laws: q must
        give a value positive probability where p gives none (p's mass there is 0 by its support; q's is checked
        positive at every random point), and the terms at the values both laws take must be finite."""
        if isinstance(before, Integral):
            return self._infinite_integral(index, before)
        densities = sorted(before.atoms(Density), key=lambda d: d.name) if isinstance(before, Sum) else []
        weight = factors_of(before.function)[0] if densities else None
        if len(densities) != 2 or weight not in densities or not all(d.law.discrete for d in densities):
            return Check(index, False, "numeric", "an infinite value follows only from a sum over a discrete law")
        q, p = weight, next(d for d in densities if d != weight)
        witness = q.law.outside_support(p.law)
        if witness is None or p.law.mass(witness) != 0:
            return Check(index, False, "numeric", f"{q.name} has no value outside the support of {p.name}")
        count = len(self.evaluator.points)
        masses, others = self.evaluator.values(q.law.mass(witness)), self._shared_terms(q, p, before.variables[0])
        if not all(m > 0 for m in masses) or not all(mpmath.isfinite(v) for v in others):
            return Check(index, False, "numeric", f"{q.name}({witness}) is not positive at every random point")
        return Check(index, True, "numeric", f"support: {q.name}({witness}) > 0 = {p.name}({witness}) at {count} "
                                             "random points, and the terms where both have mass are finite")

    def _shared_terms(self, q: Density, p: Density, variable: Symbol) -> list:
        """At each random point, the sum of the terms ``q(k) log(q(k)/p(k))`` over the values ``k`` of p's support
        that q's takes too (a NaN or infinity if a term is not finite). A support whose end is a symbol
        (``Binomial(n, p)``: ``0, ..., n``) must lie inside q's: its sum is p's own, at each point's ``n``."""
        support = p.law.support
        if not support.free_symbols:
            shared = [k for k in range(int(support.inf), int(support.inf) + 64)
                      if Integer(k) in support and Integer(k) in q.law.support]
            return self.evaluator.values(Add(*(q.law.mass(k) * log(q.law.mass(k) / p.law.mass(k)) for k in shared)))
        if support.is_subset(q.law.support) is not True:
            return [mpmath.nan] * len(self.evaluator.points)
        at_q, at_p = Density(q.name, variable, q.law), Density(p.name, variable, p.law)
        terms = Sum(at_q * log(at_q / at_p), (variable, support.inf, support.sup))
        return self.evaluator.values_of_integral(terms, at_p)

    def _infinite_integral(self, index: int, before: Integral) -> Check:
        """A line that is +oo after ``before``, the integral ``int q(x) log(q(x)/p(x)) dx`` of two continuous laws
        over q's support: q's support must leave p's (decided by the parameters), at a point where q's density is
        positive and outside p's support (where p's density is 0)."""
        weight = factors_of(before.function)[0]
        densities = [d for d in before.atoms(Density) if d != weight]
        if not isinstance(weight, Density) or len(densities) != 1 or weight.law.discrete or densities[0].law.discrete:
            return Check(index, False, "numeric", "an infinite value follows only from the integral of two densities")
        q, p = weight.law, densities[0].law
        if q.within(p) is not S.false and q.support == Interval(*before.limits[0][1:]):
            return self._infinite_moment(index, weight, densities[0], before.limits[0][0])
        witness = q.outside_point(p)
        if (q.within(p) is not S.false or witness is None or inside(witness, q.support) is not True
                or inside(witness, p.support) is not False):
            return Check(index, False, "numeric", f"{weight.name}'s support does not leave {densities[0].name}'s")
        positive = evaluated(q.pdf(witness)) > 0
        if positive is not S.true:  # undecided (a Beta density at min(1, c)/2): at every random point
            count = len(self.evaluator.points)
            if positive is S.false or not all(v > 0 for v in self.evaluator.values(q.pdf(witness))):
                return Check(index, False, "numeric", f"{weight.name}({witness}) is not positive")
            return Check(index, True, "numeric", f"support: {weight.name}({witness}) > 0 at {count} random points, "
                                                 f"= {densities[0].name}({witness}), outside the second support")
        return Check(index, True, "symbolic", f"support: {weight.name}({witness}) > 0 = {densities[0].name}({witness}),"
                                              " outside the second support")

    def _infinite_moment(self, index: int, weight: Density, other: Density, x: Symbol) -> Check:
        """A line that is +oo after the integral of two continuous laws whose supports nest: ``-log p(x)`` must be a
        polynomial of degree k in x with a positive leading coefficient (decided by SymPy) plus terms of slower
        growth, and ``int x**k q(x) dx`` over q's support +oo by SymPy's integrator (at the parameters' values:
        a number for the shape). Then ``log(q/p) >= c x**k / 2 - C + log q(x) + ...``, whose expectation is +oo."""
        q, p = weight.law, other.law
        order, coefficient = tail_order(p.energy(x), x)
        if order == 0 or evaluated(coefficient).is_positive is not True:
            return Check(index, False, "numeric", f"-log {other.name}(x) holds no positive power of x")
        moment = integrate(x**order * q.pdf(x), q.limits(x))
        if moment != S.Infinity:
            return Check(index, False, "numeric", f"E[x^{order}] under {weight.name} is {moment}, not infinite")
        return Check(index, True, "symbolic", f"infinite moment: the integral of x^{order} {weight.name}(x) diverges "
                                              f"(SymPy), and -log {other.name}(x) grows like a positive multiple of it")

    def check_step(self, index: int, before: Expr, step: Step, title: str = "derivation") -> tuple[Step, Check]:
        """Check one new step (and verify its lemmas); raise :class:`StepRejected` if it is wrong."""
        lemmas = tuple(self.verify(lemma) for lemma in step.lemmas)
        verdict = self.check(index, before, step.expr)
        if not verdict.ok:
            raise StepRejected(
                f"{title}: step {index + 1} ({step.rule}) does not follow from the line before; {verdict.detail}"
            )
        return replace(step, lemmas=lemmas), verdict

    def verify(self, derivation: Derivation) -> Derivation:
        """``derivation`` with a check on every step (and on every lemma), or :class:`StepRejected`."""
        if derivation.verified and all(lm.verified for s in derivation.steps for lm in s.lemmas):
            return derivation
        key = (derivation.start, tuple(step.expr for step in derivation.steps))
        if key in self._verified:
            return self._verified[key]
        steps, checks = [], []
        before = derivation.start
        for index, step in enumerate(derivation.steps):
            step, verdict = self.check_step(index, before, step, derivation.title)
            steps.append(step)
            checks.append(verdict)
            before = step.expr
        self._verified[key] = replace(derivation, steps=tuple(steps), checks=tuple(checks))
        return self._verified[key]

    def derive(self, name: str, title: str, start: Expr, plan: tuple[Rule, ...], setting,
               description: str = "") -> Derivation:
        """Apply ``plan`` to ``start``, checking each step as it is made (once per block of
        :func:`reusing_chains` for the same start and plan)."""
        key = (start, tuple(rule.key for rule in plan), getattr(setting, "z", None))
        derivation = reused(key, lambda: derive_chain(
            name, title, start, plan, setting, description,
            check=lambda i, before, step: self.check_step(i, before, step, title)))
        return replace(derivation, name=name, title=title, description=description)


def free_parameters(derivation: Derivation) -> set:
    """Every free symbol of every line, lemmas included."""
    symbols = set(derivation.start.free_symbols)
    for step in derivation.steps:
        symbols |= step.expr.free_symbols
        for lemma in step.lemmas:
            symbols |= free_parameters(lemma)
    return symbols


def verify_derivation(derivation: Derivation, probes: int = PROBES) -> Derivation:
    """Check every step of an already built derivation; return it with its checks attached."""
    return Checker(free_parameters(derivation), probes).verify(derivation)


class DefinitionsChecker(Checker):
    """A :class:`Checker` for settings with defined scales.

    Random points are drawn for the user's parameters and each fresh scale takes its defined value
    there, so lines before and after the substitution are compared at the same densities. A step
    that trades a scale for its definition is proved by substituting the definitions on both sides.
    """

    def __init__(self, parameters, definitions: tuple[tuple[Symbol, Expr], ...], probes: int = PROBES,
                 seed: int = 2604_11744):
        super().__init__(parameters, probes, seed)
        self.definitions = dict(definitions)
        for point in self.evaluator.points:  # not evaluated yet: the fresh scales join each point
            for symbol, value in definitions:
                point[symbol] = number_at(value, point)

    def _substituted(self, expr: Expr) -> Expr:
        return evaluated(expr).xreplace(self.definitions)

    def check(self, index: int, before: Expr, after: Expr) -> Check:
        changed = before.free_symbols ^ after.free_symbols
        if self.definitions and changed & set(self.definitions) and after != S.Infinity:  # +oo: by its support
            reason = symbolic_reason(self._substituted(before), self._substituted(after))
            if reason is not None:
                return Check(index, True, "symbolic", f"{reason} once the definitions are substituted")
        return super().check(index, before, after)
