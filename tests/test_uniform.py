"""The uniform family: KL(Uniform || Uniform) derived from the definition, finite when the first interval lies inside
the second (derived under that condition, which the setting states and the checker's points satisfy) and +oo by the
support argument when the numbers put part of it outside; the closed form equal to torch and to quadrature."""

from __future__ import annotations

import math

import mpmath
import pytest
from conftest import _require_module as require
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Integer, Rational, S, Symbol, lambdify, oo

from derivation.cases.uniform import TITLE, UNIFORM_PLAN
from derivation.core.errors import ParseError, RuleNotApplicable
from derivation.core.forms import evaluated
from derivation.interpret.parse import parse_spec
from derivation.laws import HalfNormalLaw, UniformLaw
from derivation.laws import kl_reference as ref
from derivation.output.render import render
from derivation.pairs.routes import variant
from derivation.printing.latex import to_latex
from derivation.printing.text import to_text
from derivation.rules.support import CONTINUOUS_SUPPORT_MISMATCH
from derivation.settings.laws import law_pair
from derivation.settings.univariate import Notation

A1, B1, A2, B2 = (Symbol(name, real=True) for name in ("a1", "b1", "a2", "b2"))
SETTING = law_pair(UniformLaw(A1, B1), UniformLaw(A2, B2), Notation())

BEFORE_AFTER = [
    ("kl-definition", r"\KL(q \,\|\, p)", r"\int_{a_{1}}^{b_{1}} q(x) \log \frac{q(x)}{p(x)}\, dx"),
    ("integral-as-expectation", r"\int_{a_{1}}^{b_{1}} q(x) \log \frac{q(x)}{p(x)}\, dx",
     r"\E_{q}\left[\log \frac{q(x)}{p(x)}\right]"),
    ("log-of-ratio", r"\E_{q}\left[\log \frac{q(x)}{p(x)}\right]", r"\E_{q}[\log q(x) - \log p(x)]"),
    ("uniform-log-density", r"\E_{q}[\log q(x) - \log p(x)]",
     r"\E_{q}\Bigl[- \log(b_{1} - a_{1}) - \bigl(- \log(b_{2} - a_{2})\bigr)\Bigr]"),
    ("combine-uniform-log-densities",
     r"\E_{q}\Bigl[- \log(b_{1} - a_{1}) - \bigl(- \log(b_{2} - a_{2})\bigr)\Bigr]",
     r"\E_{q}\left[\log \frac{b_{2} - a_{2}}{b_{1} - a_{1}}\right]"),
    ("linearity-of-expectation", r"\E_{q}\left[\log \frac{b_{2} - a_{2}}{b_{1} - a_{1}}\right]",
     r"\log \frac{b_{2} - a_{2}}{b_{1} - a_{1}}"),
]


@pytest.fixture(scope="module")
def general():
    return SETTING.derive("uniform", TITLE, UNIFORM_PLAN)


def test_every_rule_before_and_after(general):
    before, shown = general.start, []
    for step in general.steps:
        shown.append((step.rule, to_latex(before), to_latex(step.expr)))
        before = step.expr
    assert shown == BEFORE_AFTER
    assert general.verified and all(check.ok for check in general.checks)


def test_the_setting_states_the_condition_the_result_is_derived_under():
    assert [to_text(c) for c in SETTING.conditions()] == ["a₁ < b₁", "a₂ < b₂", "a₂ ≤ a₁", "b₁ ≤ b₂"]
    points = SETTING.checker().evaluator.points
    assert points and all(p[A2] <= p[A1] < p[B1] <= p[B2] for p in points)  # the checker's points satisfy it
    numbers = law_pair(UniformLaw(Integer(0), Integer(1)), UniformLaw(Integer(-1), Integer(2)))
    assert numbers.conditions() == ()


def _torch_kl(a1, b1, a2, b2) -> float:
    torch = require("torch")
    uniform = torch.distributions.Uniform
    q = uniform(torch.tensor(a1, dtype=torch.float64), torch.tensor(b1, dtype=torch.float64))
    p = uniform(torch.tensor(a2, dtype=torch.float64), torch.tensor(b2, dtype=torch.float64))
    return float(torch.distributions.kl_divergence(q, p))


def _quadrature_kl(a1, b1, a2, b2) -> mpmath.mpf:
    """``int q (log q - log p) dx`` over q's support by mpmath (30 digits), p's density 0 outside its interval."""
    with mpmath.workdps(30):
        def log_density(low, high, x):
            return -mpmath.log(mpmath.mpf(high) - low) if low <= x <= high else -mpmath.inf

        if not (a2 <= a1 and b1 <= b2):
            return mpmath.inf
        return mpmath.quad(lambda x: mpmath.exp(log_density(a1, b1, x)) * (log_density(a1, b1, x)
                                                                           - log_density(a2, b2, x)), [a1, b1])


def _value(expr, values) -> float:
    return float(lambdify((A1, B1, A2, B2), evaluated(expr), "math")(*values))


@settings(max_examples=40, deadline=None)
@given(a1=st.floats(-1, -0.01), b1=st.floats(0.01, 1), left=st.floats(0, 100), right=st.floats(0, 100))
def test_the_result_equals_torch_and_quadrature_where_the_first_interval_is_inside(general, a1, b1, left, right):
    values = (a1, b1, a1 - left, b1 + right)
    ours = _value(general.result, values)
    assert ours == pytest.approx(_torch_kl(*values), rel=1e-9, abs=1e-12)
    assert ours == pytest.approx(float(_quadrature_kl(*values)), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(("q", "p", "result", "values"), [
    ("Uniform(0, 1)", "Uniform(-1, 2)", r"\log 3", (0, 1, -1, 2)),
    ("Uniform(0, 1/2)", "Uniform(0, 1)", r"\log 2", (0, 0.5, 0, 1)),
    ("Uniform(a, b)", "Uniform(a, b)", "0", (0.2, 0.7, 0.2, 0.7)),
    ("Uniform(0, 2)", "Uniform(0, 1)", r"\infty", (0, 2, 0, 1)),
    ("Uniform(-3, 1)", "Uniform(0, 1)", r"\infty", (-3, 1, 0, 1)),
    ("Uniform(0, 1)", "Uniform(1/2, 3)", r"\infty", (0, 1, 0.5, 3)),
])
def test_users_pairs_finite_and_infinite_equal_torch(q, p, result, values):
    derivation = variant(q, p).derive()
    assert derivation.verified and to_latex(derivation.result) == result
    expected = _torch_kl(*values)
    assert float(evaluated(derivation.result)) == (pytest.approx(expected) if math.isfinite(expected) else math.inf)


def test_an_infinite_pair_is_derived_by_the_support_argument():
    derivation = variant("Uniform(0, 2)", "Uniform(0, 1)").derive()
    assert [step.rule for step in derivation.steps] == ["kl-definition", "continuous-support-mismatch"]
    (identities,) = [step.identities for step in derivation.steps[1:]]
    assert [to_latex(i) for i in identities] == [r"q(\frac{3}{2}) = \frac{1}{2}", r"p(\frac{3}{2}) = 0"]
    assert derivation.checks[-1].ok and "support" in derivation.checks[-1].detail


def test_the_support_rule_refuses_nested_or_undecided_supports():
    kl = SETTING.start().as_integral()
    with pytest.raises(RuleNotApplicable):
        CONTINUOUS_SUPPORT_MISMATCH(kl, SETTING)  # a2 <= a1, b1 <= b2 not decided: derived under the condition
    nested = law_pair(UniformLaw(Integer(0), Integer(1)), UniformLaw(Integer(-1), Integer(2)))
    with pytest.raises(RuleNotApplicable):
        CONTINUOUS_SUPPORT_MISMATCH(nested.start().as_integral(), nested)
    assert HalfNormalLaw(Integer(1)).within(HalfNormalLaw(Integer(2))) is S.true


def test_a_user_pair_with_one_side_in_numbers_states_its_condition():
    derivation = variant("Uniform(a, b)", "Uniform(0, 1)").derive()
    assert to_latex(derivation.result) == r"- \log(b - a)"
    assert "0 \\leq a" in render(derivation, "markdown") and "b \\leq 1" in render(derivation, "markdown")


@pytest.mark.parametrize(("spec", "message"), [
    ("Uniform(2, 1)", "Uniform needs low < high (got 2 and 1)"),
    ("Uniform(a, a)", "name 'a' is used for both low and high"),
    ("Uniform(a)", "Uniform needs a high"),
])
def test_bad_specs_are_one_line_errors(spec, message):
    with pytest.raises(ParseError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_spec(spec)


def test_the_audit_reference_agrees_with_the_closed_form():
    with mpmath.workdps(30):
        for a1, b1, a2, b2 in ((-1, 1, -3, 2), (Rational(-1, 10**6), Rational(1, 10**6), -10**6, 10**6)):
            exact = mpmath.log(mpmath.mpf(b2 - a2) / mpmath.mpf(b1 - a1))
            reference = ref.kl_quadrature(ref.uniform(mpmath.mpf(a1), mpmath.mpf(b1)),
                                          ref.uniform(mpmath.mpf(a2), mpmath.mpf(b2)))
            assert abs(reference - exact) <= mpmath.mpf(10) ** -25 * max(1, abs(exact))


@pytest.mark.parametrize("fmt", ["python", "torch"])
def test_the_exports_compute_the_derived_result_and_state_the_condition(general, fmt):
    torch = require("torch")
    source = render(general, fmt)
    assert "a2 <= a1, b1 <= b2" in source
    namespace: dict = {}
    exec(compile(source, "<kl-derive output>", "exec"), namespace)  # our own generated code, in a test
    values = (-0.3, 0.4, -2.0, 1.5)
    args = [torch.tensor(v, dtype=torch.float64) for v in values] if fmt == "torch" else values
    value = float(namespace["kl_divergence"](*args))
    assert value == pytest.approx(_torch_kl(*values), rel=1e-12)
    assert value == pytest.approx(math.log(3.5 / 0.7), rel=1e-13)


@pytest.mark.parametrize("fmt", ["latex", "beamer", "latex-fragment", "markdown", "ipynb", "json", "text"])
def test_every_format_renders(general, fmt):
    assert "Uniform" in render(general, fmt)


def test_infinity_everywhere_in_the_exports():
    source = render(variant("Uniform(0, 2)", "Uniform(0, 1)").derive(), "python")
    namespace: dict = {}
    exec(compile(source, "<kl-derive output>", "exec"), namespace)
    assert namespace["kl_divergence"]() == oo


#: Pairs whose support condition depends on the parameters: their spec, a point where q's support lies inside p's,
#: one where it does not (torch's value there is +inf), and torch's laws.
SUPPORT_CONDITIONED = [
    ("Uniform(a1, b1)", "Uniform(a2, b2)", (-0.3, 0.4, -2.0, 1.5), (-0.3, 0.4, 0.0, 1.5),
     lambda d, a1, b1, a2, b2: (d.Uniform(a1, b1), d.Uniform(a2, b2))),
    ("Pareto(m1, a1)", "Pareto(m2, a2)", (2.0, 1.5, 1.0, 3.0), (1.0, 1.5, 2.0, 3.0),
     lambda d, m1, a1, m2, a2: (d.Pareto(m1, a1), d.Pareto(m2, a2))),
    ("Uniform(a1, b1)", "Pareto(m2, a2)", (2.0, 3.0, 1.0, 2.5), (0.5, 3.0, 1.0, 2.5),
     lambda d, a1, b1, m2, a2: (d.Uniform(a1, b1), d.Pareto(m2, a2))),
]


@pytest.mark.parametrize("fmt", ["python", "torch"])
@pytest.mark.parametrize("q, p, inside, outside, laws", SUPPORT_CONDITIONED, ids=lambda v: v if isinstance(v, str)
                         else None)
def test_an_export_is_infinite_where_qs_support_leaves_ps_as_torch_is(q, p, inside, outside, laws, fmt):
    """The exports were derived under q's support inside p's; where it is not (the caller's parameters decide) the
    divergence is +inf, and the exports return inf there, elementwise, as torch.distributions.kl_divergence does
    (they returned the finite formula)."""
    torch = require("torch")
    source = render(variant(q, p).derive(), fmt)
    namespace: dict = {}
    exec(compile(source, "<kl-derive output>", "exec"), namespace)  # our own generated code, in a test
    columns = [torch.tensor([a, b], dtype=torch.float64) for a, b in zip(inside, outside, strict=True)]
    expected = torch.distributions.kl_divergence(*laws(torch.distributions, *columns)).tolist()
    args = columns if fmt == "torch" else [column.numpy() for column in columns]
    values = [float(v) for v in namespace["kl_divergence"](*args)]
    assert math.isfinite(expected[0]) and expected[1] == math.inf
    assert values[0] == pytest.approx(expected[0], rel=1e-12) and values[1] == math.inf
    if fmt == "python":  # a Python float at the excluded point: inf, no exception
        assert namespace["kl_divergence"](*outside) == math.inf
