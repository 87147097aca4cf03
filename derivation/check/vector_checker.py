"""Checking lines over vectors and matrices, and derivations written out at a concrete dimension.

:class:`MvChecker` is the :class:`~derivation.check.checker.Checker` for these settings. It first tries to
show a step symbolically, with cheap normal forms only: lines free of matrices go to the univariate
checker's own rules; traces, determinants and quadratic forms are otherwise treated as opaque
real numbers (determinants positive), so scalar algebra over them is proved; two lines that differ
only inside their coordinate sums are compared summand by summand; a line of code is parsed back
and compared with the line it claims to print. SymPy cannot simplify differences of matrix
expressions, so everything else is compared numerically (``mvnumeric``): at random points with
small dimensions (2 and 3), random symmetric positive-definite matrices, and Gauss-Hermite
quadrature for expectations and integrals. A step that fails raises ``StepRejected``.

:func:`write_out` turns a derivation of general dimension d into the one at d = N, every sum written
out; see the function for how its steps are checked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from sympy import Basic, Dummy, Eq, Expr, ImmutableMatrix, Integral, Product, Sum, eye, zeros
from sympy.matrices.expressions import (
    Determinant,
    Identity,
    Inverse,
    MatAdd,
    MatMul,
    MatrixExpr,
    Trace,
    Transpose,
    ZeroMatrix,
)

from ..core.engine import Check, Derivation, Rule, Step
from ..core.errors import DerivationError
from ..core.forms import evaluated
from ..nodes.families import Instantiation
from ..nodes.scalar import KL, Expectation, is_vector_density
from ..nodes.vector import CodeLine, Diag, MatExpectation, QuadForm, SpaceIntegral, Vec
from .checker import Checker, is_zero, symbolic_reason
from .vector_numeric import EvaluationError, MvEvaluator, code_meaning

_INTEGRALS = (KL, Expectation, Integral, SpaceIntegral, MatExpectation)
_OPAQUE = (Trace, Determinant, QuadForm)

Definitions = Callable[[Expr], Expr]
#: A random point: symbol -> value (NumPy arrays; NumPy is imported only when a multivariate case is checked).
Point = dict


def _nodes(expr: Basic):
    yield expr
    for arg in expr.args:
        yield from _nodes(arg)


def _has_vector_parts(expr: Basic) -> bool:
    return any(isinstance(n, MatrixExpr | SpaceIntegral | QuadForm | Trace | Determinant | CodeLine)
               or is_vector_density(n) for n in _nodes(expr))


def _opaque(before: Expr, after: Expr) -> tuple[Expr, Expr] | None:
    """Both lines with traces, determinants and quadratic forms as symbols (one per distinct node)."""
    if before.has(*_INTEGRALS) or after.has(*_INTEGRALS):
        return None
    symbols: dict[Basic, Dummy] = {}

    def replace_atoms(expr: Basic) -> Basic:
        if isinstance(expr, _OPAQUE):
            if expr not in symbols:
                symbols[expr] = Dummy(positive=True) if isinstance(expr, Determinant) else Dummy(real=True)
            return symbols[expr]
        if not expr.args:
            return expr
        return expr.func(*[replace_atoms(a) for a in expr.args])

    a, b = replace_atoms(evaluated(before)), replace_atoms(evaluated(after))
    if _has_vector_parts(a) or _has_vector_parts(b):
        return None
    return a, b


#: Matrices up to this size are written entry by entry for a symbolic comparison.
EXPLICIT_UP_TO = 4


def _explicit(expr: Basic) -> Basic | None:
    """``expr`` with every matrix written entry by entry (traces, determinants and quadratic forms worked
    out), when all its matrices have explicit entries (coordinate vectors, diagonal matrices, identities
    of a concrete size up to :data:`EXPLICIT_UP_TO`); None otherwise."""
    def size(n: Basic) -> int | None:
        return int(n) if n.is_Integer and n <= EXPLICIT_UP_TO else None

    def walk(e: Basic) -> Basic:
        if isinstance(e, Vec):
            n = size(e.dim)
            if n is None:
                raise ValueError
            return ImmutableMatrix(n, 1, [e.base[i] for i in range(1, n + 1)])
        if isinstance(e, Diag):
            n = size(e.dim)
            if n is None:
                raise ValueError
            return ImmutableMatrix.diag(*[e.at(i) for i in range(1, n + 1)])
        if isinstance(e, Identity | ZeroMatrix):
            rows, cols = (size(n) for n in e.shape)
            if rows is None or cols is None:
                raise ValueError
            return ImmutableMatrix(eye(rows) if isinstance(e, Identity) else zeros(rows, cols))
        if getattr(e, "is_Matrix", False) and not isinstance(e, MatAdd | MatMul | Transpose | Inverse):
            raise ValueError  # a matrix without explicit entries (a MatrixSymbol, an expectation)
        if not e.args:
            return e
        args = [walk(a) for a in e.args]
        if isinstance(e, MatAdd):
            return ImmutableMatrix(sum(args[1:], args[0]))
        if isinstance(e, MatMul):
            out = args[0]
            for a in args[1:]:
                out = out * a
            return ImmutableMatrix(out) if getattr(out, "is_Matrix", False) else out
        if isinstance(e, Transpose):
            return args[0].T
        if isinstance(e, Inverse):
            return args[0].inv()
        if isinstance(e, Trace):
            return args[0].trace()
        if isinstance(e, Determinant):
            return args[0].det()
        if isinstance(e, QuadForm):
            return (args[0].T * args[1] * args[2])[0, 0]
        if args == list(e.args):
            return e
        return e.func(*args)

    if not any(isinstance(n, MatrixExpr | QuadForm | Trace | Determinant) for n in _nodes(expr)):
        return None
    try:
        return walk(evaluated(expr))
    except (ValueError, TypeError, AttributeError):
        return None


def _sums(expr: Basic) -> list[Sum]:
    return [n for n in _nodes(expr) if isinstance(n, Sum | Product)]


def _skeleton(expr: Basic, sums: list[Basic]) -> Basic:
    placeholders = {s: Dummy(f"S{i}") for i, s in enumerate(sums)}
    return expr.xreplace(placeholders)


def symbolic_reason_mv(before: Expr, after: Expr) -> str | None:
    """How ``before == after`` follows symbolically, or None when these cheap normal forms cannot tell."""
    if isinstance(after, CodeLine):
        meaning = code_meaning(after)
        if is_zero(evaluated(before) - evaluated(meaning)):
            return "the code parses back to the line before"
        return None
    if not _has_vector_parts(before) and not _has_vector_parts(after):
        reason = symbolic_reason(before, after)
        if reason is not None:
            return reason
    if not before.has(*_INTEGRALS) and not after.has(*_INTEGRALS):
        left_entries, right_entries = _explicit(before), _explicit(after)
        if left_entries is not None or right_entries is not None:
            a = before if left_entries is None else left_entries
            b = after if right_entries is None else right_entries
            if not _has_vector_parts(a) and not _has_vector_parts(b) and is_zero(evaluated(a) - evaluated(b)):
                return "the difference simplifies to 0 (matrices written entry by entry)"
    pair = _opaque(before, after)
    if pair is not None and is_zero(pair[0] - pair[1]):
        return "the difference simplifies to 0 (traces, determinants and quadratic forms as numbers)"
    left, right = _sums(before), _sums(after)
    same_sums = bool(left) and len(left) == len(right) and \
        all(a.limits == b.limits for a, b in zip(left, right, strict=True))
    if same_sums and _skeleton(before, left) == _skeleton(after, right):
        for a, b in zip(left, right, strict=True):
            terms = _opaque(a.function, b.function)
            if terms is None or not is_zero(terms[0] - terms[1]):
                return None
        return "equal term by term"
    return None


class MvChecker(Checker):
    """Checks steps over vectors and matrices at a fixed set of random points (see the module docstring).

    ``definitions`` rewrites derived quantities in terms of the parameters before a symbolic
    comparison (e.g. ``sigma_j -> exp(logvar_j / 2)`` when the log-variances are the parameters).
    """

    def __init__(self, points: Sequence[Point], where: str, definitions: Definitions | None = None):
        self.evaluator = MvEvaluator(points, where)
        self.definitions = definitions
        self._verified: dict = {}  # as in Checker: lemmas met more than once are verified once

    def check(self, index: int, before: Expr, after: Expr) -> Check:
        import numpy as np


        try:
            a, b = (self.definitions(before), self.definitions(after)) if self.definitions else (before, after)
            reason = symbolic_reason_mv(a, b)
        except (DerivationError, NotImplementedError, TypeError, ValueError, AttributeError):
            reason = None  # not decided symbolically: the numeric check decides
        if reason is not None:
            return Check(index, True, "symbolic", reason)
        evaluator = self.evaluator
        try:
            left, right = evaluator.values(before), evaluator.values(after)
        except (EvaluationError, DerivationError, FloatingPointError, ArithmeticError, np.linalg.LinAlgError) as error:
            return Check(index, False, "numeric", f"could not evaluate the lines numerically: {error}")
        for point, x, y in zip(evaluator.points, left, right, strict=True):
            if not evaluator.close(x, y):
                return Check(index, False, "numeric", f"at {evaluator.describe(point)}: "
                                                      f"before {evaluator.show(x)}, after {evaluator.show(y)}")
        return Check(index, True, "numeric", f"agree at {len(evaluator.points)} random points ({evaluator.where})")


# -- derivations written out at a concrete dimension ------------------------------------------------------


def write_out(general: Derivation, instantiation: Instantiation, setting, checker: Checker | None) -> Derivation:
    """``general`` (dimension d, checked) written out at d = N: every line, identity and lemma.

    Each line is the general line at d = N with every coordinate sum and product written term by term
    (so applying the rule to the line before gives it, as at general d). Steps that change nothing at
    this dimension (e.g. splitting a sum of one term) are left out. With a ``checker`` (small N) every
    written-out step is checked again directly; otherwise a step's check is the general step's check,
    which holds for every d, applied at d = N (the written-out lines are instances of the checked ones).
    """
    if _free_of_dimension(general, instantiation):
        return general
    size = instantiation.size
    steps: list[Step] = []
    checks: list[Check] = []
    before = instantiation(general.start)
    for step, check in zip(general.steps, general.checks, strict=True):
        expr = instantiation(step.expr)
        if expr == before:
            continue
        lemmas = tuple(lm if _for_every_dimension(lm) else write_out(lm, instantiation, lm.setting, checker)
                       for lm in step.lemmas)
        identities = tuple(instantiation(i) for i in step.identities)
        if any(_for_every_dimension(lm) for lm in step.lemmas) and step.expr.has(instantiation.dim):
            identities += (Eq(instantiation.dim, size, evaluate=False),)  # the general lemma's d, put in
        new = Step(step.rule, step.title, step.justification, expr, identities, lemmas)
        if checker is not None:
            new, verdict = checker.check_step(len(steps), before, new, general.title)
        else:
            verdict = Check(len(steps), check.ok, check.method,
                            f"the step at general d, written out at d = {size} ({check.detail})")
        steps.append(new)
        checks.append(verdict)
        before = expr
    return Derivation(general.name, general.title, setting, instantiation(general.start), tuple(steps),
                      tuple(checks), general.description, general.sections)


def _for_every_dimension(lemma: Derivation) -> bool:
    """Whether ``lemma`` is a result for every dimension d (the full-covariance result): cited at d = N it stays
    general, and the citing step says ``d = N``."""
    return getattr(lemma.setting, "for_every_dimension", False)


def _free_of_dimension(derivation: Derivation, instantiation: Instantiation) -> bool:
    """Whether no line of ``derivation`` (lemmas included) involves the dimension: written out, it is itself."""
    dim = instantiation.dim
    steps = derivation.steps
    lines = (derivation.start, *(s.expr for s in steps), *(i for s in steps for i in s.identities))
    return not any(line.has(dim) for line in lines) and \
        all(_free_of_dimension(lm, instantiation) for s in derivation.steps for lm in s.lemmas)


class WrittenOutChecker:
    """Derives a case at a concrete dimension: at general d (checked), then written out (:func:`write_out`)."""

    def __init__(self, general_checker: Checker, direct: Checker | None, instantiation: Instantiation):
        self.general_checker = general_checker
        self.direct = direct
        self.instantiation = instantiation

    def derive(self, name: str, title: str, start: Expr, plan: tuple[Rule, ...], setting,
               description: str = "") -> Derivation:
        general_setting = setting.general()
        general = self.general_checker.derive(name, title, general_setting.start(), plan, general_setting,
                                              description)
        concrete = write_out(general, self.instantiation, setting, self.direct)
        if concrete.start != start:
            raise DerivationError(f"{title}: the written-out start does not match the setting")
        return replace(concrete, setting=setting)
