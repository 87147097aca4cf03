"""Claims about pairs whose parameters are constrained beyond their signs (a uniform law's low < high, q's support
inside p's) are decided at random points that satisfy the pair's condition, and the claim's code is judged
defined where the condition makes it so (``log(b - a)`` under a < b, ``xlogy(1 - a, 1 - a)`` under b <= 1)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Symbol

from derivation import verify
from derivation.claims.decide import _gaps, _proved_under, _slacks
from derivation.core.functions import XLogY
from derivation.interpret.parse import Requirement, read_claim

UNIFORM_NORMAL = "log(s/(b-a)) + 0.5*log(2*pi) + ((b-a)**2/12 + ((a+b)/2 - m)**2)/(2*s**2)"
UNIFORM_BETA = ("c + f - lgamma(c + f) + lgamma(c) + lgamma(f) - log(b - a) - 2 + (c - 1)*xlogy(a, a)/(b - a) "
                "- (c - 1)*xlogy(b, b)/(b - a) - (f - 1)*xlogy(1 - a, 1 - a)/(b - a) "
                "+ (f - 1)*xlogy(1 - b, 1 - b)/(b - a)")
a, b = Symbol("a", real=True), Symbol("b", real=True)


def proved(requirement: Requirement, condition) -> bool:
    """``_proved_under`` with the condition's gaps and slacks, as ``verify`` computes them once."""
    return _proved_under(requirement, _gaps(condition), _slacks(condition))


def test_uniform_against_normal_holds_and_a_slip_is_refuted_where_low_is_below_high():
    assert verify("Uniform(a, b)", "Normal(m, s)", UNIFORM_NORMAL).holds is True
    wrong = verify("Uniform(a, b)", "Normal(m, s)", UNIFORM_NORMAL + " - 0.5")
    point = wrong.counterexample.point
    assert wrong.holds is False and point["a"] < point["b"]
    assert "the constant -1/2" in wrong.diagnosis


def test_uniform_against_beta_in_xlogy_holds():
    """``xlogy(x, x)`` is defined at x = 0 (torch and SciPy give 0): it requires x >= 0, which the condition
    0 <= a < b <= 1 shows for a, b, 1 - a and 1 - b."""
    verdict = verify("Uniform(a, b)", "Beta(c, f)", UNIFORM_BETA)
    assert verdict.holds is True and "xlogy(a, a)" in str(verdict.kl)


def test_pareto_against_pareto_respects_the_scales():
    verdict = verify("Pareto(a, b)", "Pareto(c, f)", "0")
    point = verdict.counterexample.point
    assert verdict.holds is False and point["c"] <= point["a"]
    assert verify("Pareto(a, b)", "Pareto(c, f)", "f*log(a/c) + log(b/f) - 1 + f/b").holds is True


def test_xlogy_of_one_argument_twice_is_the_node_defined_at_zero():
    x = Symbol("x", real=True)
    parsed = read_claim("xlogy(x, x)", {"x": x})
    assert parsed.expr == XLogY(x, x)
    assert [(r.expr, r.relation) for r in parsed.requirements] == [(x, ">=0")]
    parsed = read_claim("xlogy(x, 1 + x**2)", {"x": x})
    assert [r.relation for r in parsed.requirements] == [">0"]


def test_slacks_prove_what_the_condition_implies_and_nothing_else():
    condition = (a >= 0) & (a < b) & (b <= 1)
    assert sorted(str(s) for s, _ in _slacks(condition)) == ["-a + b", "1 - b", "a"]
    assert proved(Requirement(1 - a, ">=0", ""), condition)
    assert proved(Requirement(b, ">0", ""), condition)
    assert not proved(Requirement(a - Symbol("c", real=True), ">=0", ""), condition)
    assert not proved(Requirement(2 - 3 * b, ">=0", ""), condition)


@settings(max_examples=40, deadline=None)
@given(st.integers(-3, 3), st.integers(-3, 3), st.integers(-3, 3))
def test_what_the_slacks_prove_holds_at_every_admissible_point(k0, ka, kb):
    """Soundness: a linear requirement proved under 0 <= a < b <= 1 is non-negative on a grid of that triangle."""
    condition = (a >= 0) & (a < b) & (b <= 1)
    expr = k0 + ka * a + kb * b
    if proved(Requirement(expr, ">=0", ""), condition):
        grid = [(i / 10, j / 10) for i in range(11) for j in range(11) if i < j]
        assert all(expr.subs({a: x, b: y}) >= 0 for x, y in grid)
