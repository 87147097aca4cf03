"""Matrix facts for Gaussians over vectors: the trace trick (derived as lemmas), covariance, tidying.

The trace trick ``E_q[(x - m)^T A (x - m)] = tr(A S) + (mu - m)^T A (mu - m)`` for q = N(mu, S) is
never asserted: each use derives it as a lemma, from a scalar being its own trace, the cyclic
property of the trace, linearity of trace and expectation, and the second moment of x about m
(itself a lemma: add and subtract the mean, the cross terms vanish, the rest is the covariance).
"""

from __future__ import annotations

from sympy import Eq, Expr, Symbol, log
from sympy.matrices.expressions import Determinant, Identity, Inverse, MatAdd, MatMul, MatrixSymbol, Trace, Transpose

from ..core.engine import Derivation, Rewrite, Rule, derive_chain
from ..core.errors import RuleNotApplicable
from ..core.forms import add, mul
from ..nodes.scalar import Density, Expectation, is_vector_density
from ..nodes.vector import MatExpectation, QuadForm, madd, mmul, mneg, msub
from .algebra import _factor_leading_coefficient, _numeric_coefficient
from .base import rewrite_or_refuse, terms
from .expectation import LINEARITY
from .gaussian import replace_by_lemmas

_n = Symbol("n", integer=True, positive=True)
_A, _B, _C = (MatrixSymbol(name, _n, _n) for name in "ABC")
_X = MatrixSymbol("X", _n, _n)
_u, _v, _a, _b = (MatrixSymbol(name, _n, 1) for name in "uvab")


def _is_row(factor: Expr) -> bool:
    return isinstance(factor, Transpose) and factor.arg.shape[1] == 1


def _factors(product: Expr) -> list[Expr]:
    return list(product.args) if isinstance(product, MatMul) else [product]


# -- scalar, trace, cyclic -------------------------------------------------------------------------------


def _scalar_as_trace(expr: Expr, setting) -> Rewrite:
    """``u^T A v -> tr(u^T A v)``: a 1 x 1 matrix is its own trace."""
    out = rewrite_or_refuse(expr, lambda e: Trace(e.as_matrix()) if isinstance(e, QuadForm) else None,
                            "quadratic form")
    return Rewrite(out, (Eq(QuadForm(_u, _A, _v), Trace(mmul(Transpose(_u), _A, _v)), evaluate=False),))


def _cyclic_to_outer(expr: Expr, setting) -> Rewrite:
    """``tr(u^T A v) -> tr(A v u^T)``: move the leading row vector to the end (trace is cyclic)."""

    def match(e: Expr) -> Expr | None:
        if isinstance(e, Trace) and isinstance(e.arg, MatMul) and _is_row(e.arg.args[0]):
            first, *rest = e.arg.args
            return Trace(MatMul(*rest, first))
        return None

    out = rewrite_or_refuse(expr, match, "trace of a product starting with a row vector")
    return Rewrite(out, (Eq(Trace(mmul(Transpose(_u), _A, _v)), Trace(mmul(_A, _v, Transpose(_u))),
                            evaluate=False),))


def _trace_to_quadratic_form(expr: Expr, setting) -> Rewrite:
    """``tr(A v w^T) -> w^T A v``: move the trailing row vector to the front; a 1 x 1 trace is the scalar."""

    def match(e: Expr) -> Expr | None:
        if isinstance(e, Trace) and isinstance(e.arg, MatMul) and _is_row(e.arg.args[-1]):
            *rest, last = e.arg.args
            if len(rest) == 2:
                return QuadForm(last.arg, rest[0], rest[1])
        return None

    out = rewrite_or_refuse(expr, match, "trace of a product ending with a row vector")
    return Rewrite(out, (Eq(Trace(mmul(_A, _v, Transpose(_u))), Trace(mmul(Transpose(_u), _A, _v)), evaluate=False),
                         Eq(Trace(mmul(Transpose(_u), _A, _v)), QuadForm(_u, _A, _v), evaluate=False)))


def _expectation_through_trace(expr: Expr, setting) -> Rewrite:
    """``E_q[tr(A M(x))] -> tr(A E_q[M(x)])`` for constant A: trace and expectation are linear and commute."""
    used: list[Density] = []

    def match(e: Expr) -> Expr | None:
        if not (isinstance(e, Expectation) and isinstance(e.expr, Trace) and isinstance(e.expr.arg, MatMul)):
            return None
        x = e.density.variable
        factors = list(e.expr.arg.args)
        constant = []
        while factors and not factors[0].has(x):
            constant.append(factors.pop(0))
        if not constant or not factors:
            return None
        used.append(e.density)
        varying = factors[0] if len(factors) == 1 else MatMul(*factors)
        return Trace(mmul(*constant, MatExpectation(varying, e.density)))

    out = rewrite_or_refuse(expr, match, "expectation of the trace of a product with a constant factor")
    density = used[0]
    identity = Eq(Expectation(Trace(mmul(_A, _X)), density), Trace(mmul(_A, MatExpectation(_X, density))),
                  evaluate=False)
    return Rewrite(out, (identity,))


def _distribute_trace(expr: Expr, setting) -> Rewrite:
    """``tr(A (B + C)) -> tr(A B) + tr(A C)``."""

    def match(e: Expr) -> Expr | None:
        if isinstance(e, Trace) and isinstance(e.arg, MatMul) and isinstance(e.arg.args[-1], MatAdd):
            *left, total = e.arg.args
            return add(*[Trace(mmul(*left, term)) for term in total.args])
        return None

    out = rewrite_or_refuse(expr, match, "trace of a product with a sum")
    return Rewrite(out, (Eq(Trace(mmul(_A, MatAdd(_B, _C))), add(Trace(mmul(_A, _B)), Trace(mmul(_A, _C))),
                            evaluate=False),))


# -- moments of x ----------------------------------------------------------------------------------------


def _outer_of_deviation(e: Expr) -> tuple[Density, Expr] | None:
    """``(q, m)`` when ``e`` is ``E_q[(x - m)(x - m)^T]``."""
    if not (isinstance(e, MatExpectation) and isinstance(e.expr, MatMul) and len(e.expr.args) == 2):
        return None
    left, right = e.expr.args
    if not (isinstance(right, Transpose) and right.arg == left):
        return None
    x = e.density.variable
    if not (isinstance(left, MatAdd) and len(left.args) == 2 and left.args[0] == x):
        return None
    return e.density, mneg(left.args[1])


def _covariance(expr: Expr, setting) -> Rewrite:
    """``E_q[(x - mu)(x - mu)^T] -> S`` for q = N(mu, S): the definition of the covariance."""
    used: list[Eq] = []

    def match(e: Expr) -> Expr | None:
        found = _outer_of_deviation(e)
        if found is None or found[1] != found[0].mean:
            return None
        used.append(Eq(e, found[0].cov, evaluate=False))
        return found[0].cov

    out = rewrite_or_refuse(expr, match, "covariance of x about its own mean")
    return Rewrite(out, tuple(dict.fromkeys(used)))


def _add_and_subtract_mean(expr: Expr, setting) -> Rewrite:
    """``x - m -> (x - mu) + (mu - m)`` inside ``E_q[(x - m)(x - m)^T]``."""
    used: list[Eq] = []

    def match(e: Expr) -> Expr | None:
        found = _outer_of_deviation(e)
        if found is None or found[1] == found[0].mean:
            return None
        density, m = found
        x, mu = density.variable, density.mean
        split = MatAdd(msub(x, mu), msub(mu, m))
        used.append(Eq(msub(x, m), split, evaluate=False))
        return MatExpectation(MatMul(split, Transpose(split)), density)

    out = rewrite_or_refuse(expr, match, "second moment about another point")
    return Rewrite(out, tuple(used))


def _expand_outer(expr: Expr, setting) -> Rewrite:
    """``(a + b)(a + b)^T -> a a^T + a b^T + b a^T + b b^T``."""

    def match(e: Expr) -> Expr | None:
        if isinstance(e, MatMul) and len(e.args) == 2 and isinstance(e.args[0], MatAdd) and \
                isinstance(e.args[1], Transpose) and e.args[1].arg == e.args[0] and len(e.args[0].args) == 2:
            a, b = e.args[0].args
            return MatAdd(*[MatMul(u, Transpose(v)) for u in (a, b) for v in (a, b)])
        return None

    out = rewrite_or_refuse(expr, match, "outer product of a sum with itself")
    identity = Eq(MatMul(MatAdd(_a, _b), Transpose(MatAdd(_a, _b))),
                  MatAdd(*[MatMul(u, Transpose(v)) for u in (_a, _b) for v in (_a, _b)]), evaluate=False)
    return Rewrite(out, (identity,))


def _zero_mean_deviation(expr: Expr, setting) -> Rewrite:
    """``E_q[x - mu] = 0``: the terms of a matrix sum with this factor (or its transpose) vanish."""
    used: list[Eq] = []

    def is_zero_factor(f: Expr) -> bool:
        inner = f.arg if isinstance(f, Transpose) else f
        if not isinstance(inner, MatExpectation):
            return False
        deviation = inner.expr.arg if isinstance(inner.expr, Transpose) else inner.expr
        if deviation == msub(inner.density.variable, inner.density.mean):
            used.append(Eq(MatExpectation(deviation, inner.density), 0, evaluate=False))
            return True
        return False

    def match(e: Expr) -> Expr | None:
        if not isinstance(e, MatAdd):
            return None
        kept = [t for t in e.args if not any(is_zero_factor(f) for f in _factors(t))]
        return madd(*kept) if len(kept) < len(e.args) else None

    out = rewrite_or_refuse(expr, match, "term with the mean deviation as a factor")
    return Rewrite(out, tuple(dict.fromkeys(used)))


ADD_AND_SUBTRACT_MEAN = Rule(
    "add-and-subtract-mean-vector",
    "Add and subtract",
    "Measure the deviation from the other point through the mean of q.",
    _add_and_subtract_mean,
)

EXPAND_OUTER = Rule(
    "expand-outer-product",
    "Expand",
    "Expand the outer product of a sum with itself.",
    _expand_outer,
)

ZERO_MEAN_DEVIATION = Rule(
    "zero-mean-deviation",
    "Zero mean",
    "The mean of q is its mean vector, so the deviation from it has mean zero and the cross terms vanish.",
    _zero_mean_deviation,
)

COVARIANCE = Rule(
    "covariance",
    "Covariance",
    "The expected outer product of the deviation from the mean is the covariance matrix, by definition.",
    _covariance,
)


def _shifted_second_moment_plan() -> tuple[Rule, ...]:
    return (ADD_AND_SUBTRACT_MEAN, EXPAND_OUTER, LINEARITY, ZERO_MEAN_DEVIATION, COVARIANCE)


def shifted_outer_moment_lemma(density: Density, point: Expr, setting) -> Derivation:
    """The derived lemma ``E_q[(x - m)(x - m)^T] = S + (mu - m)(mu - m)^T``."""
    deviation = msub(density.variable, point)
    start = MatExpectation(MatMul(deviation, Transpose(deviation)), density)
    return derive_chain("second-moment-about-a-point", "Shifted second moment", start,
                        _shifted_second_moment_plan(), setting)


def _shifted_covariance(expr: Expr, setting) -> Rewrite:
    """``E_q[(x - m)(x - m)^T] -> S + (mu - m)(mu - m)^T`` (lemma: add and subtract mu)."""

    def lemma_for(e: Expr) -> Derivation | None:
        found = _outer_of_deviation(e)
        if found is None or found[1] == found[0].mean:
            return None
        return shifted_outer_moment_lemma(*found, setting)

    return replace_by_lemmas(expr, lemma_for, "second moment about another point")


SCALAR_AS_TRACE = Rule(
    "scalar-as-trace",
    "Scalar as trace",
    "A quadratic form is a 1 x 1 matrix, which equals its own trace.",
    _scalar_as_trace,
)

CYCLIC_TRACE = Rule(
    "cyclic-trace",
    "Cyclic trace",
    "The trace of a product is unchanged when its factors are permuted cyclically.",
    _cyclic_to_outer,
)

EXPECTATION_THROUGH_TRACE = Rule(
    "expectation-through-trace",
    "Linearity",
    "Trace and expectation are both linear, so they commute, and the constant matrix comes out.",
    _expectation_through_trace,
)

SHIFTED_COVARIANCE = Rule(
    "shifted-covariance",
    "Shifted moment",
    "About another point the second moment gains the outer product of the mean difference (lemma below).",
    _shifted_covariance,
)

DISTRIBUTE_TRACE = Rule(
    "distribute-trace",
    "Distribute",
    "The product distributes over the sum, and the trace of a sum is the sum of the traces.",
    _distribute_trace,
)

TRACE_TO_QUADRATIC_FORM = Rule(
    "trace-to-quadratic-form",
    "Back to a scalar",
    "Permute cyclically once more: the product becomes a 1 x 1 matrix, the quadratic form itself.",
    _trace_to_quadratic_form,
)

_OWN_PLAN = (SCALAR_AS_TRACE, CYCLIC_TRACE, EXPECTATION_THROUGH_TRACE, COVARIANCE)
_SHIFTED_PLAN = (SCALAR_AS_TRACE, CYCLIC_TRACE, EXPECTATION_THROUGH_TRACE, SHIFTED_COVARIANCE, DISTRIBUTE_TRACE,
                 TRACE_TO_QUADRATIC_FORM)


def _quadratic_form_under(e: Expr) -> tuple[Density, Expr] | None:
    """``(q, m)`` when ``e`` is ``E_q[(x - m)^T A (x - m)]``."""
    if not (isinstance(e, Expectation) and is_vector_density(e.density) and isinstance(e.expr, QuadForm)):
        return None
    form, x = e.expr, e.density.variable
    if form.left != form.right or not (isinstance(form.left, MatAdd) and form.left.args[0] == x):
        return None
    return e.density, mneg(form.left.args[1])


def trace_trick_lemma(expectation: Expectation, setting) -> Derivation:
    """The derived lemma ``E_q[(x - m)^T A (x - m)] = tr(A S) (+ (mu - m)^T A (mu - m) when m != mu)``."""
    density, point = _quadratic_form_under(expectation)
    own = point == density.mean
    title = "Expected quadratic form" if own else "Expected quadratic form about another point"
    return derive_chain("trace-trick" if own else "shifted-trace-trick", title, expectation,
                        _OWN_PLAN if own else _SHIFTED_PLAN, setting)


def _trace_trick(own: bool):
    """A rule body replacing each ``E_q[(x - m)^T A (x - m)]`` (m = mu or not, per ``own``) by its lemma."""

    def apply(expr: Expr, setting) -> Rewrite:
        def lemma_for(e: Expr) -> Derivation | None:
            found = _quadratic_form_under(e)
            if found is None or (found[1] == found[0].mean) != own:
                return None
            return trace_trick_lemma(e, setting)

        return replace_by_lemmas(expr, lemma_for, "expected quadratic form" + ("" if own else " about another point"))

    apply.__doc__ = ("``E_q[(x - mu)^T A (x - mu)] -> tr(A S)``" if own else
                     "``E_q[(x - m)^T A (x - m)] -> tr(A S) + (mu - m)^T A (mu - m)``")
    return apply


TRACE_TRICK = Rule(
    "trace-trick",
    "Trace trick",
    "The expected quadratic form in the deviation from the mean is a trace (lemma below).",
    _trace_trick(own=True),
)

SHIFTED_TRACE_TRICK = Rule(
    "shifted-trace-trick",
    "Shifted trace trick",
    "About another point the expected quadratic form gains the form of the mean difference (lemma below).",
    _trace_trick(own=False),
)


# -- tidying the result ------------------------------------------------------------------------------------


def _trace_of_identity(expr: Expr, setting) -> Rewrite:
    """``tr(S^-1 S) -> k``: a matrix times its inverse is the identity, whose trace is the dimension."""
    used: list[Expr] = []

    def match(e: Expr) -> Expr | None:
        if isinstance(e, Trace) and isinstance(e.arg, MatMul) and len(e.arg.args) == 2:
            first, second = e.arg.args
            if isinstance(first, Inverse) and first.arg == second:
                used.append(second)
                return second.shape[0]
        return None

    out = rewrite_or_refuse(expr, match, "trace of a matrix times its inverse")
    s = used[0]
    k = s.shape[0]
    return Rewrite(out, (Eq(MatMul(Inverse(s), s), Identity(k), evaluate=False),
                         Eq(Trace(Identity(k)), k, evaluate=False)))


def _flip_sign(expr: Expr, setting) -> Rewrite:
    """``(a - b)^T A (a - b) -> (b - a)^T A (b - a)`` and ``(-a)^T A (-a) -> a^T A a``."""

    def flipped(u: Expr) -> Expr | None:
        if isinstance(u, MatAdd) and len(u.args) == 2:
            return msub(mneg(u.args[1]), u.args[0])
        if isinstance(u, MatMul) and u.args[0] == -1:
            return mneg(u)
        return None

    def match(e: Expr) -> Expr | None:
        if isinstance(e, QuadForm) and e.left == e.right and flipped(e.left) is not None:
            v = flipped(e.left)
            return QuadForm(v, e.matrix, v)
        return None

    out = rewrite_or_refuse(expr, match, "quadratic form of a difference or a negated vector")
    return Rewrite(out, (Eq(QuadForm(mneg(_u), _A, mneg(_u)), QuadForm(_u, _A, _u), evaluate=False),))


def _textbook_order(expr: Expr, setting) -> Expr:
    """``c (...)`` reordered: traces, quadratic forms, the dimension, log-determinants."""
    c, rest = _numeric_coefficient(expr)
    if len(rest) != 1 or not rest[0].is_Add:
        raise RuleNotApplicable("not a multiple of a sum")

    def rank(term: Expr) -> int:
        if term.has(Trace):
            return 0
        if term.has(QuadForm):
            return 1
        if term.has(log, Determinant):
            return 3
        return 2

    out = mul(c, add(*sorted(terms(rest[0]), key=rank)))
    if out == expr:
        raise RuleNotApplicable("already in order")
    return out


TRACE_OF_IDENTITY = Rule(
    "trace-of-identity",
    "Trace of I",
    "A matrix times its inverse is the identity matrix, whose trace is the dimension.",
    _trace_of_identity,
)

FLIP_SIGN = Rule(
    "symmetric-quadratic-form",
    "Change sign",
    "A quadratic form is unchanged when its vector changes sign.",
    _flip_sign,
)

FACTOR_COMMON = Rule(
    "factor-common",
    "Factor out",
    "Take out the common factor.",
    _factor_leading_coefficient,
)

TEXTBOOK_ORDER = Rule(
    "textbook-order",
    "Order",
    "Order the terms as the result is usually written: trace, quadratic form, dimension, log-determinants.",
    _textbook_order,
)

__all__ = [
    "ADD_AND_SUBTRACT_MEAN", "COVARIANCE", "CYCLIC_TRACE", "DISTRIBUTE_TRACE", "EXPAND_OUTER",
    "EXPECTATION_THROUGH_TRACE", "FACTOR_COMMON", "FLIP_SIGN", "SCALAR_AS_TRACE", "SHIFTED_COVARIANCE",
    "SHIFTED_TRACE_TRICK", "TEXTBOOK_ORDER", "TRACE_OF_IDENTITY", "TRACE_TO_QUADRATIC_FORM", "TRACE_TRICK",
    "ZERO_MEAN_DEVIATION",
]
