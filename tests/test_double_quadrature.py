"""The checker's double-precision first look at integrals over a law's support (laws.double_quadrature) and its
digamma (check.numeric.float_polygamma): values against mpmath at 30 digits, and a refusal (ValueError, so that the
exact evaluator decides) wherever the rule cannot be trusted."""

from __future__ import annotations

import math

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derivation.check.numeric import float_polygamma
from derivation.laws.double_quadrature import double_quadrature

positive = st.floats(min_value=0.05, max_value=20)


@settings(max_examples=60, deadline=None)
@given(a=positive, b=positive)
def test_gamma_expectations_of_log_x_agree_with_mpmath(a, b):
    """``int x^(a-1) e^(-b x) log x dx = Gamma(a) b^-a (psi(a) - log b)`` (E[log X] of a Gamma law, unnormalised),
    end singularity at 0 included: the value agrees with the closed form in 30 digits, or the rule refuses. (mpmath's
    own quadrature is off by 1e-7 at a = 1/4: the singularity x^(-3/4) log x.)"""
    def f(x):
        return x ** (a - 1) * math.exp(-b * x) * math.log(x)
    with mpmath.workdps(30):
        exact = mpmath.gamma(a) * mpmath.mpf(b) ** -a * (mpmath.digamma(a) - mpmath.log(b))
    try:
        value = double_quadrature(f, 0.0, math.inf)
    except ValueError:
        return
    assert abs(value - float(exact)) <= 1e-11 * max(1, abs(float(exact)))


@settings(max_examples=60, deadline=None)
@given(a=st.floats(min_value=0.3, max_value=10), b=st.floats(min_value=0.3, max_value=10))
def test_beta_integrals_agree_with_mpmath(a, b):
    def f(x):
        return x ** (a - 1) * (1 - x) ** (b - 1)
    exact = math.exp(math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b))
    try:
        value = double_quadrature(f, 0.0, 1.0)
    except ValueError:
        return
    assert abs(value - exact) <= 1e-11 * max(1, exact)


def test_smooth_integrals_are_taken():
    assert double_quadrature(lambda x: math.exp(-x * x / 2), -math.inf, math.inf) == pytest.approx(
        math.sqrt(2 * math.pi), rel=1e-14)
    assert double_quadrature(lambda x: math.exp(-abs(x - 1)), -math.inf, math.inf, [1.0]) == pytest.approx(2, rel=1e-14)
    assert double_quadrature(lambda x: 3 * x**-4, 1.0, math.inf) == pytest.approx(1, rel=1e-14)
    assert double_quadrature(math.log, 0.0, 1.0) == pytest.approx(-1, rel=1e-14)
    assert double_quadrature(lambda x: x**-0.9 * math.exp(-x), 0.0, math.inf) == pytest.approx(math.gamma(0.1),
                                                                                              rel=1e-13)


@pytest.mark.parametrize("function, low, high", [
    (lambda x: 1 / x, 0.0, 1.0),                          # divergent at 0
    (lambda x: x**-1.01, 1.0, math.inf),                  # a tail too heavy for double precision's range
    (lambda x: x**-0.5 * (1 - x) ** -0.7, 0.0, 1.0),      # mass within 1e-16 of 1, where x cannot reach
    (lambda x: math.log(x - 0.5), 0.0, 1.0),              # not computable at the centre
    (lambda x: math.log(x - 0.3), 0.0, 1.0),              # not computable over part of the range
    (lambda x: math.sin(1 / x), 0.0, 1.0),                # oscillating without end
])
def test_an_integral_the_rule_cannot_trust_is_refused(function, low, high):
    with pytest.raises(ValueError):
        double_quadrature(function, low, high)


@given(x=st.floats(min_value=1e-8, max_value=1e12))
def test_float_polygamma_agrees_with_mpmath(x):
    for order in (0, 1):
        exact = float(mpmath.polygamma(order, x))
        assert abs(float_polygamma(order, x) - exact) <= 4e-15 * max(1, abs(exact))


@pytest.mark.parametrize("order, x", [(0, 0.0), (0, -1.5), (2, 1.0), (1, -3.0)])
def test_float_polygamma_refuses_outside_its_range(order, x):
    with pytest.raises(ValueError):
        float_polygamma(order, x)


@pytest.mark.parametrize("function, low, high, exact", [
    (lambda x: 1000 * math.exp(-1000 * x), 0.0, math.inf, 1.0),           # 0 at the centre node x = 1
    (lambda x: x * 1e16 * math.exp(-1e8 * x), 0.0, math.inf, 1.0),         # Gamma(2, rate=1e8)
    (lambda x: math.sqrt(2 / math.pi) / 1e-3 * math.exp(-x * x / 2e-6), 0.0, math.inf, 1.0),
])
def test_a_density_that_is_0_at_the_centre_is_integrated_or_refused_never_0(function, low, high, exact):
    """The sum stopped after three zero terms at the centre, before it had seen the mass, and returned 0.0 at two
    steps in a row: a wrong step (E[x] -> E[x**2] under Exponential(1000)) was accepted in double precision."""
    try:
        value = double_quadrature(function, low, high)
    except ValueError:
        return
    assert value == pytest.approx(exact, rel=1e-12)


@pytest.mark.parametrize("function, low, high", [
    (lambda x: math.exp(-((x - 40) ** 2) / 2), -math.inf, math.inf),     # the mass far from every coarse node
    (lambda x: math.exp(-x) if x > 3 else 0.0, 0.0, math.inf),             # a jump with no breakpoint
    (lambda x: 0.0, 0.0, 1.0),                                             # 0 at every node
])
def test_an_integral_whose_mass_the_nodes_miss_is_refused(function, low, high):
    with pytest.raises(ValueError):
        double_quadrature(function, low, high)
