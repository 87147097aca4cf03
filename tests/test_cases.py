"""Named cases: every step verifies, the result is the known closed form, independent oracles agree."""

from __future__ import annotations

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Rational, Symbol, exp, lambdify, log, pi, simplify, sqrt

from derivation import CASES, derive
from derivation.nodes.scalar import KL
from derivation.settings.univariate import Notation

mu1, mu2 = Symbol("mu_q", real=True), Symbol("mu_p", real=True)
s1, s2 = Symbol("sigma_q", positive=True), Symbol("sigma_p", positive=True)
mu, s = Symbol("mu", real=True), Symbol("sigma", positive=True)

UNIVARIATE_CLOSED_FORM = log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - Rational(1, 2)
STANDARD_CLOSED_FORM = -Rational(1, 2) * (1 + log(s**2) - mu**2 - s**2)


@pytest.mark.parametrize("name", list(CASES))
def test_every_step_and_lemma_is_checked_and_passes(name):
    d = derive(name)
    assert d.verified
    assert len(d.checks) == len(d.steps)
    for lemma in d.lemmas():
        assert lemma.verified and lemma.steps


def test_univariate_follows_the_documented_plan(univariate):
    assert [s.rule for s in univariate.steps] == [
        "kl-definition", "integral-as-expectation", "log-of-ratio", "gaussian-log-density",
        "combine-log-densities", "linearity-of-expectation", "gaussian-second-moment",
        "cancel-and-collect", "shifted-second-moment",
    ]
    assert isinstance(univariate.start, KL)


def test_univariate_result_is_the_closed_form(univariate):
    assert simplify(univariate.result - UNIVARIATE_CLOSED_FORM) == 0


def test_standard_result_is_the_vae_form(standard):
    assert simplify(standard.result - STANDARD_CLOSED_FORM) == 0
    assert standard.steps[-1].rule == "vae-form"


def test_lemmas_are_derived_and_state_the_gaussian_moments(univariate):
    statements = {(lm.start.expr, lm.result) for lm in univariate.lemmas()}
    x = Symbol("x", real=True)
    assert ((x - mu1) ** 2, s1**2) in {(lm.start.expr, lm.result) for lm in univariate.lemmas()}
    assert any(result == s1**2 + (mu1 - mu2) ** 2 for _, result in statements)
    for lemma in univariate.lemmas():
        assert len(lemma.steps) >= 3  # derived, not asserted


def test_sympy_integration_agrees_with_the_result():
    """The oracle: SymPy's own integral of the definition (slow, about 3 s)."""
    d = derive("standard")
    direct = d.start.doit()
    assert simplify(direct - d.result) == 0


def _quadrature_kl(m1: float, v1: float, m2: float, v2: float) -> float:
    def q(x):
        return mpmath.npdf(x, m1, v1)

    def p(x):
        return mpmath.npdf(x, m2, v2)

    return float(mpmath.quad(lambda x: q(x) * (mpmath.log(q(x)) - mpmath.log(p(x))), [-mpmath.inf, m1, mpmath.inf]))


@settings(max_examples=25, deadline=None)
@given(
    m1=st.floats(-3, 3), m2=st.floats(-3, 3),
    v1=st.floats(0.3, 3), v2=st.floats(0.3, 3),
)
def test_result_matches_independent_quadrature(univariate, m1, m2, v1, v2):
    value = float(univariate.result.subs({mu1: m1, mu2: m2, s1: v1, s2: v2}))
    assert value == pytest.approx(_quadrature_kl(m1, v1, m2, v2), rel=1e-7, abs=1e-9)
    assert value >= -1e-12  # Gibbs' inequality


def test_kl_of_a_density_with_itself_is_zero(univariate):
    assert simplify(univariate.result.subs({mu2: mu1, s2: s1})) == 0


def test_notation_reaches_every_line():
    d = derive("univariate", notation=Notation({"mu": "m", "sigma": "s", "x": "y"}))
    text = d.render("markdown")
    assert r"\mu" not in text and r"\sigma" not in text
    assert "m_{q}" in text and "s_{p}" in text and "(y)" in text
    m1_, s1_ = Symbol("m_q", real=True), Symbol("s_q", positive=True)
    m2_, s2_ = Symbol("m_p", real=True), Symbol("s_p", positive=True)
    expected = log(s2_ / s1_) + (s1_**2 + (m1_ - m2_) ** 2) / (2 * s2_**2) - Rational(1, 2)
    assert simplify(d.result - expected) == 0


def test_density_doit_is_the_gaussian_pdf(univariate):
    q = univariate.setting.q
    pdf = lambdify([Symbol("x", real=True), mu1, s1], q.doit())
    assert pdf(0.3, 0.1, 1.7) == pytest.approx(float(exp(-(0.2**2) / (2 * 1.7**2)) / sqrt(2 * pi * 1.7**2)))


@pytest.mark.parametrize("name", [name for name, case in CASES.items() if case.figures])
def test_a_case_states_how_many_figures_its_sections_draw(name):
    """A bundle derives the chapter with the most figures first (they are drawn while the others derive): the
    count each case states is the number its sections hold."""
    assert CASES[name].figures == sum(len(section.figures) for section in derive(name).sections)


def test_a_case_without_figures_draws_none():
    for name in ("standard", "vae", "elbo"):
        assert CASES[name].figures == 0 and not any(section.figures for section in derive(name).sections)
