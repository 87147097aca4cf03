"""A law of an integer variable goes through the same door as a density: its "integral" is a sum, the definition
and expectation rules handle it, the checker sums exactly, and the result agrees with torch (Bernoulli)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sympy import Integral, Sum, Symbol, lambdify, log

from derivation.check.checker import Checker
from derivation.core.engine import Rewrite, derive_chain
from derivation.core.errors import StepRejected
from derivation.core.forms import add, frac, mul, sub
from derivation.laws import BernoulliLaw
from derivation.nodes.scalar import KL, Density, Expectation
from derivation.printing.latex import to_latex
from derivation.rules.definition import INTEGRAL_AS_EXPECTATION, KL_DEFINITION
from derivation.rules.discrete import FINITE_SUPPORT

p, r = Symbol("p", positive=True), Symbol("r", positive=True)
x = Symbol("x", integer=True, nonnegative=True)
q_x, p_x = Density("q", x, BernoulliLaw(p)), Density("p", x, BernoulliLaw(r))
PLAN = (KL_DEFINITION, INTEGRAL_AS_EXPECTATION, FINITE_SUPPORT)


def _checker() -> Checker:
    return Checker([p, r], ranges={**q_x.law.ranges(), **p_x.law.ranges()})


def _derive(plan=PLAN):
    checker = _checker()
    return derive_chain("bernoulli", "KL between two Bernoulli laws", KL(q_x, p_x), plan, None,
                        check=lambda i, before, step: checker.check_step(i, before, step))


def test_the_definition_of_a_discrete_law_is_a_sum_over_its_support():
    line = KL_DEFINITION(KL(q_x, p_x), None).expr
    assert isinstance(line, Sum) and not isinstance(line, Integral)
    assert line == Sum(mul(q_x, log(frac(q_x, p_x))), (x, 0, 1))
    assert to_latex(line) == r"\sum_{x=0}^{1} q(x) \log \frac{q(x)}{p(x)}"
    assert INTEGRAL_AS_EXPECTATION(line, None).expr == Expectation(log(frac(q_x, p_x)), q_x)


def test_finite_support_before_after():
    before = Expectation(log(frac(q_x, p_x)), q_x)
    after = add(mul(sub(1, p), log(frac(sub(1, p), sub(1, r)))), mul(p, log(frac(p, r))))
    assert FINITE_SUPPORT(before, None).expr == after


def test_the_bernoulli_chain_is_checked_step_by_step():
    derivation = _derive()
    assert derivation.verified and len(derivation.steps) == 3
    assert [c.method for c in derivation.checks] == ["symbolic", "symbolic", "numeric"]
    assert to_latex(derivation.result) == r"(1 - p) \log \frac{1 - p}{1 - r} + p \log \frac{p}{r}"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=st.floats(1e-6, 1 - 1e-6), b=st.floats(1e-6, 1 - 1e-6))
def test_the_result_equals_torch(require_module, a, b):
    torch = require_module("torch")
    result = lambdify((p, r), RESULT, "math")(a, b)
    bernoulli = torch.distributions.Bernoulli
    expected = torch.distributions.kl_divergence(bernoulli(probs=torch.tensor(a, dtype=torch.float64)),
                                                 bernoulli(probs=torch.tensor(b, dtype=torch.float64)))
    assert math.isclose(result, float(expected), rel_tol=1e-9, abs_tol=1e-12)


RESULT = _derive().result


def test_equal_laws_have_no_divergence():
    assert _derive().result.xreplace({r: p}).doit().simplify() == 0


def test_a_wrong_mass_is_rejected():
    def wrong(expr, setting):
        out = FINITE_SUPPORT(expr, setting).expr
        return Rewrite(out.xreplace({sub(1, p): p}))  # the mass at 0 taken for the mass at 1

    broken = replace(FINITE_SUPPORT, key="broken-finite-support", apply=wrong)
    with pytest.raises(StepRejected, match="broken-finite-support"):
        _derive((KL_DEFINITION, INTEGRAL_AS_EXPECTATION, broken))


def test_the_checker_draws_probabilities_inside_their_range():
    points = _checker().evaluator.points
    assert all(0.05 <= float(point[s]) <= 0.95 for point in points for s in (p, r))


def test_a_discrete_pairs_checks_speak_of_sums_not_integrals():
    """Its averages are series over the counts: the verification says so (it spoke of integrands and quadrature)."""
    from derivation.output.render import render
    from derivation.pairs.routes import variant

    derivation = variant("Poisson(a)", "Poisson(b)").derive()
    text = render(derivation, "markdown")
    assert "with the sums computed" in text and "the summands are identical" in text
    assert "quadrature" not in text and "integrand" not in text
    assert "sums computed" in render(derivation, "latex")
    numeric = [c.detail for c in derivation.checks if c.method == "numeric"]
    assert numeric and all("(sums, " in detail for detail in numeric)
    continuous = render(variant("Exponential(a)", "Exponential(b)").derive(), "markdown")
    assert "with quadrature" in continuous and "sums computed" not in continuous
