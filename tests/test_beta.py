"""The Beta family: KL(Beta || Beta) derived from the definition with the Gamma family's lemma (E[log x] from the
derivative of the normalising integral, here the Beta integral; E[log(1 - x)] by reflecting x -> 1 - x first), the
closed form equal to ``torch.distributions.kl_divergence`` and to quadrature (mpmath, 30 digits)."""

from __future__ import annotations

import mpmath
import pytest
from conftest import _require_module as require
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Integral, Pow, S, Symbol, lambdify, log

from derivation.cases.beta import BETA_PLAN, TITLE
from derivation.core.errors import ParseError, RuleNotApplicable
from derivation.core.forms import evaluated, mul, sub
from derivation.interpret.parse import parse_spec
from derivation.laws import BetaLaw
from derivation.laws import kl_reference as ref
from derivation.output.render import render
from derivation.pairs.routes import variant
from derivation.printing.latex import to_latex
from derivation.rules.beta import BETA_INTEGRAL, LOG_COMPLEMENT_PLAN, LOG_MOMENT_PLAN, REFLECT
from derivation.rules.gamma import LOG_AS_DERIVATIVE, log_moment_plan
from derivation.settings.laws import law_pair
from derivation.settings.univariate import Notation

A1, B1, A2, B2 = (Symbol(name, positive=True) for name in ("a1", "b1", "a2", "b2"))
SETTING = law_pair(BetaLaw(A1, B1), BetaLaw(A2, B2), Notation())
RESULT = (r"\log \frac{\Gamma(a_{1} + b_{1}) \Gamma(a_{2}) \Gamma(b_{2})}{\Gamma(a_{1}) \Gamma(b_{1}) \Gamma(a_{2} + "
          r"b_{2})} + (a_{1} - a_{2}) \psi(a_{1}) + (b_{1} - b_{2}) \psi(b_{1}) + (a_{2} - a_{1} + b_{2} - b_{1}) "
          r"\psi(a_{1} + b_{1})")


@pytest.fixture(scope="module")
def general():
    return SETTING.derive("beta", TITLE, BETA_PLAN)


def test_the_chain_its_lemmas_and_the_result(general):
    assert general.verified and all(check.ok for check in general.checks)
    assert [step.rule for step in general.steps] == [rule.key for rule in BETA_PLAN]
    assert to_latex(general.result) == RESULT
    first, second = general.lemmas()
    assert to_latex(first.result) == r"\psi(a_{1}) - \psi(a_{1} + b_{1})"
    assert to_latex(second.result) == r"\psi(b_{1}) - \psi(a_{1} + b_{1})"
    assert [s.rule for s in second.steps][:2] == ["beta-expectation-as-integral", "reflect-unit-interval"]


def test_the_lemma_is_the_gamma_familys_with_the_beta_integral():
    assert log_moment_plan(LOG_MOMENT_PLAN[0], BETA_INTEGRAL) == LOG_MOMENT_PLAN
    assert LOG_AS_DERIVATIVE in LOG_MOMENT_PLAN and LOG_COMPLEMENT_PLAN[1] is REFLECT


def _torch_kl(a1, b1, a2, b2) -> float:
    torch = require("torch")
    beta = torch.distributions.Beta
    q = beta(torch.tensor(a1, dtype=torch.float64), torch.tensor(b1, dtype=torch.float64))
    p = beta(torch.tensor(a2, dtype=torch.float64), torch.tensor(b2, dtype=torch.float64))
    return float(torch.distributions.kl_divergence(q, p))


def _quadrature_kl(a1, b1, a2, b2) -> mpmath.mpf:
    """``int_0^1 q (log q - log p) dx`` by mpmath at 30 digits from the densities alone (tanh-sinh copes with the
    ends' singularities for concentrations from 0.5 up)."""
    with mpmath.workdps(30):
        def log_density(a, b, x):
            return (a - 1) * mpmath.log(x) + (b - 1) * mpmath.log1p(-x) - mpmath.log(mpmath.beta(a, b))

        def integrand(x):
            log_q = log_density(a1, b1, x)
            return mpmath.exp(log_q) * (log_q - log_density(a2, b2, x))

        return mpmath.quad(integrand, [0, mpmath.mpf(1) / 2, 1])


def _value(expr, values) -> float:
    return float(lambdify((A1, B1, A2, B2), evaluated(expr), "mpmath")(*values))


@settings(max_examples=25, deadline=None)
@given(*(st.floats(0.5, 20) for _ in range(4)))
def test_the_result_equals_torch_and_quadrature_at_random_points(general, a1, b1, a2, b2):
    ours = _value(general.result, (a1, b1, a2, b2))
    assert ours == pytest.approx(_torch_kl(a1, b1, a2, b2), rel=1e-8, abs=1e-11)
    assert ours == pytest.approx(float(_quadrature_kl(a1, b1, a2, b2)), rel=1e-8, abs=1e-11)


@pytest.mark.parametrize("values", [(1.0, 1.0, 1.0, 1.0), (2.0, 3.0, 2.0, 3.0), (0.1, 0.1, 50.0, 50.0),
                                    (50.0, 0.1, 0.1, 50.0), (1e-2, 1e2, 1.0, 1.0)])
def test_edge_parameters_agree_with_torch_and_the_audit_reference(general, values):
    ours = _value(general.result, values)
    reference = ref.kl_quadrature(ref.logit_beta(*values[:2]), ref.logit_beta(*values[2:]))
    assert ours == pytest.approx(_torch_kl(*values), rel=1e-8, abs=1e-11)
    assert ours == pytest.approx(float(reference), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(("q", "p", "result"), [
    ("Beta(2, 3)", "Beta(1, 1)", r"\log 12 + \psi(2) + 2 \psi(3) - 3 \psi(5)"),
    ("Beta(a, b)", "Beta(a, b)", "0"),
    ("Beta(1/2, 1/2)", "Beta(2, 2)", r"- \log(6 \pi) - 3 \psi\left(\frac{1}{2}\right) + 3 \psi(1)"),
    ("Beta(a, b)", "Beta(a, c)",
     r"\log \frac{\Gamma(a + b) \Gamma(c)}{\Gamma(b) \Gamma(a + c)} + (b - c) \psi(b) + (c - b) \psi(a + b)"),
])
def test_users_pairs(q, p, result):
    derivation = variant(q, p).derive()
    assert derivation.verified and to_latex(derivation.result) == result


def test_numbers_equal_torch():
    result = variant("Beta(2, 3)", "Beta(1, 1)").derive().result
    assert float(evaluated(result)) == pytest.approx(_torch_kl(2.0, 3.0, 1.0, 1.0), rel=1e-12)


def test_reflect_and_the_beta_integral_on_their_own():
    x = SETTING.x
    with pytest.raises(RuleNotApplicable):
        REFLECT(Integral(log(x) * x, (x, 0, 1)), SETTING)  # no log(1 - x)
    value = BETA_INTEGRAL(Integral(mul(Pow(x, 2, evaluate=False), Pow(sub(S.One, x), 3, evaluate=False)),
                                   (x, 0, 1)), SETTING).expr
    assert evaluated(value) == S(1) / 60


def test_bad_specs():
    with pytest.raises(ParseError, match="must be positive"):
        parse_spec("Beta(0, 1)")


@pytest.mark.parametrize("fmt", ["python", "torch"])
def test_the_exports_compute_torchs_value(general, fmt):
    torch = require("torch")
    source = render(general, fmt)
    namespace: dict = {}
    exec(compile(source, "<kl-derive output>", "exec"), namespace)  # our own generated code, in a test
    values = (2.5, 0.7, 1.3, 4.0)
    args = [torch.tensor(v, dtype=torch.float64) for v in values] if fmt == "torch" else values
    assert float(namespace["kl_divergence"](*args)) == pytest.approx(_torch_kl(*values), rel=1e-12)


@pytest.mark.parametrize("fmt", ["latex", "beamer", "latex-fragment", "markdown", "ipynb", "json", "text"])
def test_every_format_renders(general, fmt):
    assert "Beta" in render(general, fmt)
