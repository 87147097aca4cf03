"""A Pareto law's heavy tail (issue 12): which moments exist, how fast a law's log-density grows, and the audit's
reference that follows an integrand falling as slowly as ``x**-(alpha - k + 1)`` (or not at all: +oo)."""

from __future__ import annotations

import mpmath
import pytest
from sympy import Rational, S, Symbol

from derivation.audit import PAIRS
from derivation.laws import ExponentialLaw, GammaLaw, GumbelLaw, NormalLaw, ParetoLaw, UniformLaw
from derivation.laws import kl_reference as ref
from derivation.laws.base import tail_condition, tail_order

x = Symbol("x", real=True)
m, a, b = (Symbol(name, positive=True) for name in ("m", "a", "b"))
mu = Symbol("mu", real=True)


@pytest.mark.parametrize(("law", "expected"), [
    (NormalLaw(mu, b), (2, 1 / (2 * b**2))), (GammaLaw(a, b), (1, b)), (ExponentialLaw(b), (1, b)),
    (GumbelLaw(mu, b), (1, 1 / b)), (ParetoLaw(m, a), (0, 0)), (UniformLaw(mu, b), (0, 0))])
def test_tail_order_is_the_highest_power_of_x_in_minus_the_log_density(law, expected):
    assert tail_order(law.energy(x), x) == expected


def test_a_pareto_moment_exists_above_its_order():
    assert ParetoLaw(m, a).moment_exists(1) == (a > 1)
    assert ParetoLaw(m, a).moment_exists(0) is S.true
    assert ParetoLaw(m, Rational(3, 2)).moment_exists(2) is S.false
    assert ParetoLaw(m, 3).moment_exists(2) is S.true
    assert ExponentialLaw(b).moment_exists(5) is S.true
    assert tail_condition(ParetoLaw(m, a), NormalLaw(mu, b), x) == (a > 2)
    assert tail_condition(ParetoLaw(m, a), ParetoLaw(b, a), x) is S.true


def _pareto_exponential(scale: float, alpha: float, rate: float) -> mpmath.mpf:
    """torch's closed form, in 30 digits: ``log(alpha / (m l)) - 1/alpha + alpha m l / (alpha - 1) - 1``."""
    m1, a1, r = (mpmath.mpf(v) for v in (scale, alpha, rate))
    return mpmath.log(a1 / (m1 * r)) - 1 / a1 + a1 * m1 * r / (a1 - 1) - 1


@pytest.mark.parametrize(("scale", "alpha", "rate"), [(1, 3, 1), (2, 1.001, 0.5), (1e-6, 100, 1e3), (1e6, 1.5, 1e-6),
                                                      (3, 1.01, 1)])
def test_the_heavy_tail_reference_follows_a_slowly_falling_integrand(scale, alpha, rate):
    with mpmath.workdps(30):
        value = ref.kl_heavy_tail(ref.log_pareto(scale, alpha), ref.in_log(ref.exponential(rate)))
        assert mpmath.almosteq(value, _pareto_exponential(scale, alpha, rate), rel_eps=mpmath.mpf(10) ** -20)


@pytest.mark.parametrize(("alpha", "p"), [(1, ref.exponential(1)), (0.5, ref.exponential(2)),
                                          (2, ref.normal(0, 1)), (1.5, ref.normal(3, 0.5)), (0.9, ref.gamma(2, 1))])
def test_the_heavy_tail_reference_is_infinite_where_the_integrand_does_not_fall(alpha, p):
    assert ref.kl_heavy_tail(ref.log_pareto(1.5, alpha), ref.in_log(p)) == mpmath.inf


@pytest.mark.parametrize(("name", "order"), [("Pareto-Exponential", 1), ("Pareto-Gamma", 1), ("Pareto-Normal", 2)])
def test_the_audit_draws_shapes_on_both_sides_of_the_order(name, order):
    (pair,) = [pair for pair in PAIRS if pair.name == name]
    shape = pair.q_parameters[1].kind
    edges = [edge(None, ()) for edge in shape.edges]
    assert order + 1e-3 in edges and order in edges and min(edges) < order and max(edges) >= 100
    assert [edge(None, ()) for edge in pair.q_parameters[0].kind.edges] == [1e-6, 1e6]
