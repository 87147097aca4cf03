"""A wrong step is rejected at parameters where a law's mass is narrow or far from its support's ends (found by a
review: the double-precision quadrature returned 0 on both sides, and the 30-digit one missed Gamma(400)'s peak)."""

from __future__ import annotations

import pytest
from sympy import Integer, Rational

from derivation.check.checker import close_in_double
from derivation.laws import BetaLaw, ExponentialLaw, GammaLaw, HalfNormalLaw, LaplaceLaw
from derivation.nodes.scalar import Expectation
from derivation.settings.laws import law_pair

LAWS = [GammaLaw(Integer(2), Integer(10**8)), GammaLaw(Integer(400), Integer(1)), ExponentialLaw(Integer(1000)),
        ExponentialLaw(Integer(10**11)), HalfNormalLaw(Rational(1, 1000)), BetaLaw(Integer(2000), Integer(3)),
        LaplaceLaw(Integer(0), Rational(1, 1000)), GammaLaw(Rational(1, 2), Rational(1, 10**6))]


@pytest.mark.parametrize("law", LAWS, ids=str)
def test_a_wrong_moment_step_is_rejected_and_a_right_one_accepted(law):
    setting = law_pair(law, law)
    x, q = setting.x, setting.q
    checker = setting.checker()
    assert not checker.check(1, Expectation(x, q), Expectation(x**2, q)).ok
    assert not checker.check(1, Expectation(x, q), Integer(0)).ok or law.mean == 0
    assert checker.check(1, Expectation(x, q), law.mean).ok


def test_double_precision_agreement_is_relative_below_1():
    assert close_in_double(1.0, 1.0 + 1e-11) and close_in_double(0.0, 1e-15)
    assert not close_in_double(1e-11, 0.0) and not close_in_double(2e-8, 6e-16)
    assert close_in_double(float("inf"), float("inf")) and not close_in_double(float("inf"), 1e308)
