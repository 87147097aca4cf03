"""The numeric evaluators behind one interface (``check/walk.py``): each is a ``PointEvaluator`` (``values(expr)``:
the values at its points); the two recursive ones, NumPy arrays (the vector checker) and mpmath at a chosen precision
(the claims' decider), share one walker and its dispatch by node type; all three agree on a formula."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from sympy import Abs, E, IndexedBase, Rational, Sum, Symbol, exp, log, pi, sqrt

from derivation.check import vector_numeric
from derivation.check.numeric import Evaluator
from derivation.check.vector_numeric import MvEvaluator
from derivation.check.walk import PointEvaluator, Walker
from derivation.claims import decide
from derivation.claims.decide import ClaimEvaluator

a, b = Symbol("a", real=True), Symbol("b", positive=True)
POINTS = [{a: Rational(1, 3), b: Rational(5, 2)}, {a: Rational(-7, 4), b: Rational(1, 9)}]
FORMULAS = [
    a**2 / 2 + log(b) - Rational(1, 2) * (b**2 - 1),
    exp(-a) * sqrt(b) + Abs(a - b) * pi,
    log(1 + exp(a)) - a * b + E,
]


def _evaluators() -> list[PointEvaluator]:
    return [Evaluator(POINTS), MvEvaluator([{s: float(v) for s, v in p.items()} for p in POINTS]),
            ClaimEvaluator(POINTS)]


def test_every_evaluator_is_a_point_evaluator():
    assert all(isinstance(evaluator, PointEvaluator) for evaluator in _evaluators())


@pytest.mark.parametrize("walker", [vector_numeric._Walk, decide._Walk])
def test_the_walkers_share_one_walk_and_dispatch_by_type(walker: type[Walker]):
    assert issubclass(walker, Walker) and "value" not in vars(walker)
    assert walker.DISPATCH and walker.FALLBACK
    assert walker.method(Symbol) is not None and walker.method(Symbol) is walker.method(Symbol)
    assert walker.method(type(Sum(a, (b, 1, 3)))) is not None


@pytest.mark.parametrize("formula", FORMULAS, ids=str)
def test_the_three_evaluators_agree(formula):
    exact, arrays, claims = (evaluator.values(formula) for evaluator in _evaluators())
    for x, y, z in zip(exact, arrays, claims, strict=True):
        assert float(x) == pytest.approx(float(np.asarray(y)), rel=1e-12)
        assert mpmath.almosteq(x, z, rel_eps=mpmath.mpf(10) ** -25)


def test_a_sum_over_the_coordinates_walks_alike():
    d, j = Symbol("d", integer=True, positive=True), Symbol("j", integer=True, positive=True)
    m = IndexedBase("m", real=True)
    formula = Sum(m[j] ** 2 / 2, (j, 1, d))
    point = {d: 3, m: [Rational(1, 2), Rational(-1), Rational(3)]}
    (claim,) = ClaimEvaluator([point]).values(formula)
    (array,) = MvEvaluator([{d: 3, m: np.array([0.5, -1.0, 3.0])}]).values(formula)
    assert claim == mpmath.mpf("5.125") and float(array) == 5.125


def test_an_integral_met_in_several_lines_is_integrated_once(monkeypatch):
    """The lemma of the exponential family's mean: one integral under d/da, with d/da inside, and bare; the same
    integral inside two lines is done once per evaluator (its values, 30 digits, equal the closed form)."""
    from sympy import Derivative, Integral, oo

    from derivation.check import numeric

    x, t = Symbol("x", real=True), Symbol("t", real=True)
    integrand = exp(-x**2 / 2 + t * x)
    lines = [Integral(x * integrand, (x, -oo, oo)), Integral(Derivative(integrand, t), (x, -oo, oo)),
             Derivative(Integral(integrand, (x, -oo, oo)), t), 3 * Integral(x * integrand, (x, -oo, oo)) + t]
    calls = []
    real = numeric.quadrature
    monkeypatch.setattr(numeric, "quadrature", lambda *args: calls.append(args) or real(*args))
    evaluator = Evaluator([{t: mpmath.mpf("0.5")}, {t: mpmath.mpf("-1.25")}])
    values = [evaluator.values(line) for line in lines]
    assert len(calls) == 2  # one integral, two points
    with mpmath.workdps(30):
        for i, value in enumerate([t * sqrt(2 * pi) * exp(t**2 / 2)] * 3):
            assert all(abs(v - value.subs(t, p[t]).evalf(30)) < 1e-25
                       for v, p in zip(values[i], evaluator.points, strict=True))
        assert all(abs(v - (3 * w + p[t])) < 1e-25 for v, w, p in zip(values[3], values[0], evaluator.points,
                                                                       strict=True))
