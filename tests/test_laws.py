"""Laws as data: each law's density integrates to one over its support, and its mean, variance and sampler agree
with the density (mpmath quadrature, 30 digits; a large sample)."""

from __future__ import annotations

import random
import statistics

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Float, Rational, Symbol, lambdify

from derivation.laws import BernoulliLaw, LaplaceLaw, NormalLaw

x = Symbol("x", real=True)
LAWS = [NormalLaw, LaplaceLaw]


def _exact(expr) -> mpmath.mpf:
    return mpmath.mpf(str(expr.evalf(40)))


def _moment(law, power: int, centre: mpmath.mpf = 0) -> mpmath.mpf:
    density = lambdify(x, law.pdf(x), "mpmath")
    values = [_exact(v) for v in law.parameters]
    return law.integrate(lambda t: (t - centre) ** power * density(t), values, exact=True, breakpoints=values[:1])


@pytest.mark.parametrize("family", LAWS, ids=lambda f: f.family)
@settings(max_examples=8, deadline=None)
@given(loc=st.floats(-3, 3), scale=st.floats(0.2, 4))
def test_density_mean_and_variance_by_quadrature(family, loc, scale):
    law = family(Rational(loc), Rational(scale))
    with mpmath.workdps(30):
        assert abs(_moment(law, 0) - 1) < 1e-20
        mean = _moment(law, 1)
        assert abs(mean - _exact(law.mean)) < 1e-20 * max(1, abs(mean))
        assert abs(_moment(law, 2, mean) - _exact(law.variance)) < 1e-18 * _exact(law.variance)


@pytest.mark.parametrize("family", LAWS, ids=lambda f: f.family)
def test_the_sampler_draws_from_the_law(family):
    law = family(Float(1.5), Float(0.7))
    rng = random.Random(2604)
    draws = [law.sample((1.5, 0.7), rng) for _ in range(40_000)]
    assert abs(statistics.fmean(draws) - float(law.mean)) < 0.02
    assert abs(statistics.variance(draws) / float(law.variance) - 1) < 0.03


def test_log_density_is_normaliser_minus_energy():
    mu, b = Symbol("mu", real=True), Symbol("b", positive=True)
    for law in (NormalLaw(mu, b), LaplaceLaw(mu, b)):
        point = {x: 0.3, mu: -0.4, b: 1.7}
        assert abs(float(law.log_pdf_form(x).subs(point)) - float(law.log_pdf(x).subs(point))) < 1e-12


def test_a_laws_parameters_are_counted():
    with pytest.raises(TypeError, match="Laplace takes 2 parameters"):
        LaplaceLaw(1)


def test_a_discrete_law_sums_to_one_with_its_mean_and_variance():
    law = BernoulliLaw(Rational(3, 10))
    k = Symbol("k", integer=True, nonnegative=True)
    mass = lambdify(k, law.pdf(k), "mpmath")
    values = [_exact(law.probs)]
    assert law.integrate(mass, values, exact=True) == 1
    assert abs(law.integrate(lambda t: t * mass(t), values, exact=True) - _exact(law.mean)) < 1e-25
    assert abs(law.integrate(lambda t: (t - 0.3) ** 2 * mass(t), values, exact=True) - _exact(law.variance)) < 1e-15
    rng = random.Random(7)
    draws = [law.sample((0.3,), rng) for _ in range(20_000)]
    assert set(draws) == {0.0, 1.0} and abs(statistics.fmean(draws) - 0.3) < 0.015


def test_the_checkers_quadrature_stops_at_its_error_not_at_30_digits():
    """``laws.base.tanh_sinh``: 30-digit arithmetic, refined until the estimated error is below 1e-20 (a check asks
    1e-15 of two values): within 1e-17 of closed forms (an endpoint singularity, where ``mpmath.quad`` is no closer
    either, a log, a Gaussian over R), and with no more evaluations than ``mpmath.quad``, fewer where that one goes
    on to the working precision."""
    from derivation.laws.base import tanh_sinh

    with mpmath.workdps(30):
        rate, a, b, m = mpmath.mpf("1.3"), mpmath.mpf("0.6"), mpmath.mpf("2.2"), mpmath.mpf("0.4")
        cases = [
            (lambda t: rate * mpmath.exp(-rate * t) * mpmath.log(t), [0, mpmath.inf],
             -(mpmath.euler + mpmath.log(rate))),
            (lambda t: t ** (a - 1) * (1 - t) ** (b - 1) * mpmath.log(t), [0, 1],
             mpmath.beta(a, b) * (mpmath.digamma(a) - mpmath.digamma(a + b))),
            (lambda t: t * mpmath.exp(-t**2 / 2 + m * t), [-mpmath.inf, mpmath.inf],
             m * mpmath.sqrt(2 * mpmath.pi) * mpmath.exp(m**2 / 2)),
        ]
        counts = []
        for function, ends, exact in cases:
            calls = {"ours": 0, "quad": 0}

            def counted(name, f=function, calls=calls):
                def g(t):
                    calls[name] += 1
                    return f(t)
                return g

            ours, theirs = tanh_sinh(counted("ours"), ends), mpmath.quad(counted("quad"), ends)
            assert abs(ours - exact) < 1e-17 * max(1, abs(exact)) and abs(ours - theirs) < 1e-17
            counts.append((calls["ours"], calls["quad"]))
        assert all(ours <= theirs for ours, theirs in counts) and counts[0][0] < counts[0][1], counts
