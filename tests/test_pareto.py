"""The Pareto family: KL(Pareto || Pareto) derived from the definition, finite when the first scale is at least the
second (derived under that condition, which the setting states and the checker's points satisfy) and +oo by the
support argument when the numbers say it is smaller; the closed form equal to torch and to quadrature."""

from __future__ import annotations

import math

import mpmath
import pytest
from conftest import _require_module as require
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Integral, Rational, Symbol, lambdify, log, oo

from derivation.cases.pareto import PARETO_PLAN, TITLE
from derivation.core.engine import derive_chain
from derivation.core.errors import ParseError, RuleNotApplicable
from derivation.core.forms import evaluated
from derivation.interpret.parse import parse_spec
from derivation.laws import ParetoLaw
from derivation.laws import kl_reference as ref
from derivation.nodes.scalar import Expectation
from derivation.output.render import render
from derivation.pairs.routes import variant
from derivation.printing.latex import to_latex
from derivation.printing.text import to_text
from derivation.rules.pareto import LOG_MOMENT_PLAN, LOG_POWER_BY_PARTS
from derivation.settings.laws import law_pair
from derivation.settings.univariate import Notation

M1, A1, M2, A2 = (Symbol(name, positive=True) for name in ("m1", "a1", "m2", "a2"))
SETTING = law_pair(ParetoLaw(M1, A1), ParetoLaw(M2, A2), Notation())

BEFORE_AFTER = [
    ("kl-definition", r"\KL(q \,\|\, p)", r"\int_{m_{1}}^{\infty} q(x) \log \frac{q(x)}{p(x)}\, dx"),
    ("integral-as-expectation", r"\int_{m_{1}}^{\infty} q(x) \log \frac{q(x)}{p(x)}\, dx",
     r"\E_{q}\left[\log \frac{q(x)}{p(x)}\right]"),
    ("log-of-ratio", r"\E_{q}\left[\log \frac{q(x)}{p(x)}\right]", r"\E_{q}[\log q(x) - \log p(x)]"),
    ("pareto-log-density", r"\E_{q}[\log q(x) - \log p(x)]",
     r"\E_{q}\Bigl[\bigl((\log a_{1} + a_{1} \log m_{1}) - (a_{1} + 1) \log x\bigr) - \bigl((\log a_{2} + a_{2} "
     r"\log m_{2}) - (a_{2} + 1) \log x\bigr)\Bigr]"),
    ("combine-pareto-log-densities",
     r"\E_{q}\Bigl[\bigl((\log a_{1} + a_{1} \log m_{1}) - (a_{1} + 1) \log x\bigr) - \bigl((\log a_{2} + a_{2} "
     r"\log m_{2}) - (a_{2} + 1) \log x\bigr)\Bigr]",
     r"\E_{q}\left[\log \frac{a_{1}}{a_{2}} + a_{1} \log m_{1} - a_{2} \log m_{2} - (a_{1} + 1) \log x + (a_{2} + 1) "
     r"\log x\right]"),
    ("linearity-of-expectation",
     r"\E_{q}\left[\log \frac{a_{1}}{a_{2}} + a_{1} \log m_{1} - a_{2} \log m_{2} - (a_{1} + 1) \log x + (a_{2} + 1) "
     r"\log x\right]",
     r"\log \frac{a_{1}}{a_{2}} + a_{1} \log m_{1} - a_{2} \log m_{2} - (a_{1} + 1) \E_{q}[\log x] + (a_{2} + 1) "
     r"\E_{q}[\log x]"),
    ("pareto-log-moment",
     r"\log \frac{a_{1}}{a_{2}} + a_{1} \log m_{1} - a_{2} \log m_{2} - (a_{1} + 1) \E_{q}[\log x] + (a_{2} + 1) "
     r"\E_{q}[\log x]",
     r"\log \frac{a_{1}}{a_{2}} + a_{1} \log m_{1} - a_{2} \log m_{2} - (a_{1} + 1) \left(\frac{1}{a_{1}} + "
     r"\log m_{1}\right) + (a_{2} + 1) \left(\frac{1}{a_{1}} + \log m_{1}\right)"),
    ("collect-pareto-terms",
     r"\log \frac{a_{1}}{a_{2}} + a_{1} \log m_{1} - a_{2} \log m_{2} - (a_{1} + 1) \left(\frac{1}{a_{1}} + "
     r"\log m_{1}\right) + (a_{2} + 1) \left(\frac{1}{a_{1}} + \log m_{1}\right)",
     r"\log \frac{a_{1}}{a_{2}} + a_{2} \log \frac{m_{1}}{m_{2}} + \frac{a_{2}}{a_{1}} - 1"),
]


@pytest.fixture(scope="module")
def general():
    return SETTING.derive("pareto", TITLE, PARETO_PLAN)


def test_every_rule_before_and_after(general):
    before, shown = general.start, []
    for step in general.steps:
        shown.append((step.rule, to_latex(before), to_latex(step.expr)))
        before = step.expr
    assert shown == BEFORE_AFTER
    assert general.verified and all(check.ok for check in general.checks)
    (lemma,) = general.lemmas()
    assert lemma.verified and to_latex(lemma.result) == r"\frac{1}{a_{1}} + \log m_{1}"


def test_the_setting_states_the_condition_the_result_is_derived_under():
    assert [to_text(c) for c in SETTING.conditions()] == ["m₂ ≤ m₁"]
    assert all(p[M2] <= p[M1] for p in SETTING.checker().evaluator.points)


def _torch_kl(m1, a1, m2, a2) -> float:
    torch = require("torch")
    pareto = torch.distributions.Pareto
    q = pareto(torch.tensor(m1, dtype=torch.float64), torch.tensor(a1, dtype=torch.float64))
    p = pareto(torch.tensor(m2, dtype=torch.float64), torch.tensor(a2, dtype=torch.float64))
    return float(torch.distributions.kl_divergence(q, p))


def _quadrature_kl(m1, a1, m2, a2) -> mpmath.mpf:
    """``int_m1^oo q (log q - log p) dx`` by mpmath at 30 digits, in ``u = log(x / m1)`` (an exponential decay)."""
    if m2 > m1:
        return mpmath.inf
    with mpmath.workdps(30):
        m1, a1, m2, a2 = (mpmath.mpf(v) for v in (m1, a1, m2, a2))

        def log_density(m, a, x):
            return mpmath.log(a) + a * mpmath.log(m) - (a + 1) * mpmath.log(x)

        def integrand(u):
            x = m1 * mpmath.exp(u)
            return mpmath.exp(log_density(m1, a1, x)) * x * (log_density(m1, a1, x) - log_density(m2, a2, x))

        return mpmath.quad(integrand, [0, 1 / a1, 10 / a1, 40 / a1, mpmath.inf])


def _value(expr, values) -> float:
    return float(lambdify((M1, A1, M2, A2), evaluated(expr), "math")(*values))


@settings(max_examples=40, deadline=None)
@given(m1=st.floats(1e-2, 1e2), ratio=st.floats(1e-3, 1), a1=st.floats(0.05, 20), a2=st.floats(0.05, 20))
def test_the_result_equals_torch_and_quadrature_where_the_first_scale_is_larger(general, m1, ratio, a1, a2):
    values = (m1, a1, m1 * ratio, a2)
    ours = _value(general.result, values)
    assert ours == pytest.approx(_torch_kl(*values), rel=1e-9, abs=1e-12)
    assert ours == pytest.approx(float(_quadrature_kl(*values)), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(("q", "p", "result", "values"), [
    ("Pareto(2, 3)", "Pareto(1, 3/2)", r"\log 2 + \frac{3}{2} \log 2 - \frac{1}{2}", (2, 3, 1, 1.5)),
    ("Pareto(m, a)", "Pareto(m, a)", "0", (1.5, 2.0, 1.5, 2.0)),
    ("Pareto(1, 2)", "Pareto(2, 1)", r"\infty", (1, 2, 2, 1)),
    ("Pareto(1, a)", "Pareto(2, b)", r"\infty", (1, 0.7, 2, 3.0)),
])
def test_users_pairs_finite_and_infinite_equal_torch(q, p, result, values):
    derivation = variant(q, p).derive()
    assert derivation.verified and to_latex(derivation.result) == result
    expected = _torch_kl(*values)
    by_name = dict(zip(("m", "a"), values[:2], strict=True))
    ours = float(evaluated(derivation.result).subs({s: by_name[s.name] for s in derivation.result.free_symbols}))
    assert ours == (pytest.approx(expected) if math.isfinite(expected) else math.inf)


def test_one_side_in_numbers_states_its_condition():
    derivation = variant("Pareto(1, 1)", "Pareto(m, a)").derive()
    assert to_latex(derivation.result) == r"- \log a - a \log m + a - 1"
    assert r"m \leq 1" in render(derivation, "markdown")


def test_by_parts_on_its_own_and_a_divergent_integral_refused():
    x = SETTING.x
    value = LOG_POWER_BY_PARTS(Integral(log(x) * x**-3, (x, 2, oo)), SETTING).expr
    exact = mpmath.quad(lambda t: mpmath.log(t) * t**-3, [2, mpmath.inf])
    assert float(evaluated(value)) == pytest.approx(float(exact), rel=1e-14)
    with pytest.raises(RuleNotApplicable):
        LOG_POWER_BY_PARTS(Integral(log(x) * x**-1, (x, 2, oo)), SETTING)


@settings(max_examples=15, deadline=None)
@given(alpha=st.fractions(Rational(1, 4), 8, max_denominator=8),
       scale=st.fractions(Rational(1, 4), 4, max_denominator=4))
def test_the_log_moment_lemma_at_numbers(alpha, scale):
    alpha, scale = Rational(alpha.numerator, alpha.denominator), Rational(scale.numerator, scale.denominator)
    setting = law_pair(ParetoLaw(scale, alpha), ParetoLaw(scale, alpha), Notation())
    lemma = derive_chain("m", "E log", Expectation(log(setting.x), setting.q), LOG_MOMENT_PLAN, setting,
                         skip_unfit=True)
    assert evaluated(lemma.result - (log(scale) + 1 / alpha)).simplify() == 0


def test_the_audit_reference_agrees_with_the_closed_form():
    with mpmath.workdps(30):
        for m1, a1, m2, a2 in ((2, 3, 1, 1.5), (10**6, 100, 10**-6, Rational(1, 100))):
            m1, a1, m2, a2 = (mpmath.mpf(v) if not isinstance(v, Rational) else mpmath.mpf(v.p) / v.q
                              for v in (m1, a1, m2, a2))
            exact = mpmath.log(a1 / a2) + a2 * mpmath.log(m1 / m2) + a2 / a1 - 1
            reference = ref.kl_quadrature(ref.log_pareto(m1, a1), ref.log_pareto(m2, a2))
            assert abs(reference - exact) <= mpmath.mpf(10) ** -25 * max(1, abs(exact))


def test_bad_specs():
    with pytest.raises(ParseError, match="alpha must be positive"):
        parse_spec("Pareto(1, -2)")
    with pytest.raises(ParseError, match="scale must be positive"):
        parse_spec("Pareto(0, 2)")


@pytest.mark.parametrize("fmt", ["python", "torch"])
def test_the_exports_compute_the_derived_result(general, fmt):
    torch = require("torch")
    source = render(general, fmt)
    assert "m2 <= m1" in source
    namespace: dict = {}
    exec(compile(source, "<kl-derive output>", "exec"), namespace)  # our own generated code, in a test
    values = (2.0, 3.0, 1.0, 1.5)
    args = [torch.tensor(v, dtype=torch.float64) for v in values] if fmt == "torch" else values
    assert float(namespace["kl_divergence"](*args)) == pytest.approx(_torch_kl(*values), rel=1e-12)


@pytest.mark.parametrize("fmt", ["latex", "beamer", "latex-fragment", "markdown", "ipynb", "json", "text"])
def test_every_format_renders(general, fmt):
    assert "Pareto" in render(general, fmt)
