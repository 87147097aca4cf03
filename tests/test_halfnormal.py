"""The half-normal family: KL(HalfNormal || HalfNormal) derived from the definition, every rule shown before -> after,
the chain and its lemma checked, the closed form equal to ``torch.distributions.kl_divergence`` and to quadrature
(mpmath, 30 digits), the exports, and broken rules refused by the checker."""

from __future__ import annotations

import math

import mpmath
import pytest
from conftest import _require_module as require
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Integral, Rational, exp, lambdify, oo

from derivation.cases.halfnormal import HALFNORMAL_PLAN, TITLE
from derivation.core.engine import Rule, derive_chain
from derivation.core.errors import RuleNotApplicable, StepRejected
from derivation.core.forms import evaluated, mul
from derivation.laws import ExponentialLaw, HalfNormalLaw
from derivation.laws import kl_reference as ref
from derivation.nodes.scalar import Expectation
from derivation.output.render import render
from derivation.pairs.routes import variant
from derivation.printing.latex import to_latex
from derivation.rules.halfnormal import (
    HALF_GAUSSIAN_INTEGRAL,
    HALF_LINE_BY_PARTS,
    HALFNORMAL_SECOND_MOMENT,
    SECOND_MOMENT_PLAN,
)
from derivation.settings.laws import law_pair
from derivation.settings.univariate import Notation

NOTATION = Notation()
S1, S2 = NOTATION.positive("sigma", 1), NOTATION.positive("sigma", 2)
SETTING = law_pair(HalfNormalLaw(S1), HalfNormalLaw(S2), NOTATION)

#: (rule key, line before, line after) of every step of the general chain and of its lemma, in reading order.
BEFORE_AFTER = [
    ("kl-definition",
     r"\KL(q \,\|\, p)",
     r"\int_{0}^{\infty} q(x) \log \frac{q(x)}{p(x)}\, dx"),
    ("integral-as-expectation",
     r"\int_{0}^{\infty} q(x) \log \frac{q(x)}{p(x)}\, dx",
     r"\E_{q}\left[\log \frac{q(x)}{p(x)}\right]"),
    ("log-of-ratio",
     r"\E_{q}\left[\log \frac{q(x)}{p(x)}\right]",
     r"\E_{q}[\log q(x) - \log p(x)]"),
    ("halfnormal-log-density",
     r"\E_{q}[\log q(x) - \log p(x)]",
     r"\E_{q}\left[\left(\left(\frac{1}{2} \log \frac{2}{\pi} - \log \sigma_{1}\right) - \frac{x^{2}}{2 \sigma_{1}^{2}}"
     r"\right) - \left(\left(\frac{1}{2} \log \frac{2}{\pi} - \log \sigma_{2}\right) - \frac{x^{2}}{2 \sigma_{2}^{2}}"
     r"\right)\right]"),
    ("combine-halfnormal-log-densities",
     r"\E_{q}\left[\left(\left(\frac{1}{2} \log \frac{2}{\pi} - \log \sigma_{1}\right) - \frac{x^{2}}{2 \sigma_{1}^{2}}"
     r"\right) - \left(\left(\frac{1}{2} \log \frac{2}{\pi} - \log \sigma_{2}\right) - \frac{x^{2}}{2 \sigma_{2}^{2}}"
     r"\right)\right]",
     r"\E_{q}\left[\log \frac{\sigma_{2}}{\sigma_{1}} - \frac{x^{2}}{2 \sigma_{1}^{2}} + \frac{x^{2}}{2 \sigma_{2}^{2}}"
     r"\right]"),
    ("linearity-of-expectation",
     r"\E_{q}\left[\log \frac{\sigma_{2}}{\sigma_{1}} - \frac{x^{2}}{2 \sigma_{1}^{2}} + \frac{x^{2}}{2 \sigma_{2}^{2}}"
     r"\right]",
     r"\log \frac{\sigma_{2}}{\sigma_{1}} - \frac{1}{2 \sigma_{1}^{2}} \E_{q}[x^{2}] + \frac{1}{2 \sigma_{2}^{2}} "
     r"\E_{q}[x^{2}]"),
    ("halfnormal-second-moment",
     r"\log \frac{\sigma_{2}}{\sigma_{1}} - \frac{1}{2 \sigma_{1}^{2}} \E_{q}[x^{2}] + \frac{1}{2 \sigma_{2}^{2}} "
     r"\E_{q}[x^{2}]",
     r"\log \frac{\sigma_{2}}{\sigma_{1}} - \frac{\sigma_{1}^{2}}{2 \sigma_{1}^{2}} + \frac{\sigma_{1}^{2}}"
     r"{2 \sigma_{2}^{2}}"),
    ("halfnormal-expectation-as-integral",
     r"\E_{q}[x^{2}]",
     r"\frac{\sqrt{2}}{\sqrt{\pi} \sigma_{1}} \int_{0}^{\infty} x^{2} e^{- \frac{x^{2}}{2 \sigma_{1}^{2}}}\, dx"),
    ("gaussian-moment-by-parts",
     r"\frac{\sqrt{2}}{\sqrt{\pi} \sigma_{1}} \int_{0}^{\infty} x^{2} e^{- \frac{x^{2}}{2 \sigma_{1}^{2}}}\, dx",
     r"\frac{\sqrt{2} \sigma_{1}^{2}}{\sqrt{\pi} \sigma_{1}} \int_{0}^{\infty} "
     r"e^{- \frac{x^{2}}{2 \sigma_{1}^{2}}}\, dx"),
    ("half-gaussian-integral",
     r"\frac{\sqrt{2} \sigma_{1}^{2}}{\sqrt{\pi} \sigma_{1}} \int_{0}^{\infty} "
     r"e^{- \frac{x^{2}}{2 \sigma_{1}^{2}}}\, dx",
     r"\frac{\sqrt{2} \sigma_{1}^{2} \sqrt{\pi} \sigma_{1}}{\sqrt{\pi} \sigma_{1} \sqrt{2}}"),
    ("expand-and-collect",
     r"\frac{\sqrt{2} \sigma_{1}^{2} \sqrt{\pi} \sigma_{1}}{\sqrt{\pi} \sigma_{1} \sqrt{2}}",
     r"\sigma_{1}^{2}"),
    ("cancel-and-collect",
     r"\log \frac{\sigma_{2}}{\sigma_{1}} - \frac{\sigma_{1}^{2}}{2 \sigma_{1}^{2}} + \frac{\sigma_{1}^{2}}"
     r"{2 \sigma_{2}^{2}}",
     r"\log \frac{\sigma_{2}}{\sigma_{1}} + \frac{\sigma_{1}^{2}}{2 \sigma_{2}^{2}} - \frac{1}{2}"),
]


@pytest.fixture(scope="module")
def general():
    return SETTING.derive("halfnormal", TITLE, HALFNORMAL_PLAN)


def _steps(derivation):
    before = derivation.start
    for step in derivation.steps:
        yield step.rule, before, step.expr
        before = step.expr
        for lemma in step.lemmas:
            yield from _steps(lemma)


def test_every_rule_before_and_after(general):
    shown = [(key, to_latex(before), to_latex(after)) for key, before, after in _steps(general)]
    assert shown == BEFORE_AFTER


def test_the_chain_and_its_lemma_are_checked(general):
    assert general.verified and len(general.checks) == len(general.steps) == 8
    (lemma,) = general.lemmas()
    assert lemma.title == "Second moment of a half-normal variable" and lemma.verified
    assert to_latex(lemma.start) == r"\E_{q}[x^{2}]" and to_latex(lemma.result) == r"\sigma_{1}^{2}"


def _value(expr, values) -> float:
    return float(lambdify((S1, S2), evaluated(expr), "math")(*values))


def _torch_kl(s1: float, s2: float) -> float:
    torch = require("torch")
    half_normal = torch.distributions.HalfNormal
    q, p = (half_normal(torch.tensor(v, dtype=torch.float64)) for v in (s1, s2))
    return float(torch.distributions.kl_divergence(q, p))


def _quadrature_kl(s1: float, s2: float) -> mpmath.mpf:
    """``int_0^oo q (log q - log p) dx`` by mpmath at 30 digits, from the densities alone (not the law)."""
    with mpmath.workdps(30):
        a, b = mpmath.mpf(s1), mpmath.mpf(s2)

        def log_density(scale, x):
            return mpmath.log(mpmath.sqrt(2 / mpmath.pi) / scale) - x**2 / (2 * scale**2)

        def integrand(x):
            log_q = log_density(a, x)
            return mpmath.exp(log_q) * (log_q - log_density(b, x))

        return mpmath.quad(integrand, [0, a, 3 * a, 10 * a, mpmath.inf])


@settings(max_examples=40, deadline=None)
@given(s1=st.floats(1e-3, 1e3), s2=st.floats(1e-3, 1e3))
def test_the_result_equals_torch_and_quadrature_at_random_points(general, s1, s2):
    ours = _value(general.result, (s1, s2))
    assert ours == pytest.approx(_torch_kl(s1, s2), rel=1e-9, abs=1e-12)
    assert ours == pytest.approx(float(_quadrature_kl(s1, s2)), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("values", [
    (1.0, 1.0),        # equal laws: 0
    (0.7, 0.7),
    (1e-6, 1e6),       # tiny against huge scales
    (1e6, 1e-6),
    (1.0, 1.0 + 1e-9),  # nearly equal
    (3.0, 0.5),
])
def test_edge_parameters_agree_with_torch_and_quadrature(general, values):
    ours = _value(general.result, values)
    assert ours == pytest.approx(_torch_kl(*values), rel=1e-9, abs=1e-12)
    assert ours == pytest.approx(float(_quadrature_kl(*values)), rel=1e-9, abs=1e-12)


def test_the_audit_reference_agrees_with_the_closed_form_to_30_digits():
    with mpmath.workdps(30):
        for a, b in ((mpmath.mpf("0.3"), mpmath.mpf("2.5")), (mpmath.mpf(10) ** -6, mpmath.mpf(10) ** 6)):
            exact = mpmath.log(b / a) + a**2 / (2 * b**2) - mpmath.mpf(1) / 2
            reference = ref.kl_quadrature(ref.half_normal(a), ref.half_normal(b))
            assert abs(reference - exact) <= mpmath.mpf(10) ** -25 * max(1, abs(exact))


@pytest.mark.parametrize(("q", "p", "result"), [
    ("HalfNormal(s1)", "HalfNormal(s2)", r"\log \frac{s_{2}}{s_{1}} + \frac{s_{1}^{2}}{2 s_{2}^{2}} - \frac{1}{2}"),
    ("HalfNormal(scale=s)", "HalfNormal(1/2)", r"- \log(2 s) + 2 s^{2} - \frac{1}{2}"),
    ("HalfNormal(1)", "HalfNormal(t)", r"\log t + \frac{1}{2 t^{2}} - \frac{1}{2}"),
    ("HalfNormal(3)", "HalfNormal(2)", r"\log \frac{2}{3} + \frac{5}{8}"),
    ("HalfNormal(s)", "HalfNormal(s)", "0"),
])
def test_users_pairs(q, p, result):
    derivation = variant(q, p).derive()
    assert derivation.verified and to_latex(derivation.result) == result


def test_by_parts_and_the_gaussian_integral_on_their_own():
    x = SETTING.x
    gaussian = exp(-x**2 / (2 * S1**2))
    after = HALF_LINE_BY_PARTS(Integral(x**2 * gaussian, (x, 0, oo)), SETTING).expr
    assert evaluated(after) == S1**2 * Integral(gaussian, (x, 0, oo))
    value = HALF_GAUSSIAN_INTEGRAL(Integral(exp(-3 * x**2), (x, 0, oo)), SETTING).expr
    exact = mpmath.quad(lambda t: mpmath.exp(-3 * t * t), [0, mpmath.inf])
    assert float(evaluated(value)) == pytest.approx(float(exact))
    with pytest.raises(RuleNotApplicable):
        HALF_LINE_BY_PARTS(Integral(x**3 * gaussian, (x, 0, oo)), SETTING)  # not the second moment
    with pytest.raises(RuleNotApplicable):
        HALF_GAUSSIAN_INTEGRAL(Integral(exp(3 * x**2), (x, 0, oo)), SETTING)  # diverges


def test_the_moment_rule_fits_only_the_second_moment_of_a_half_normal_law():
    with pytest.raises(RuleNotApplicable):
        HALFNORMAL_SECOND_MOMENT(Expectation(SETTING.x, SETTING.q), SETTING)
    exponential = law_pair(ExponentialLaw(S1), ExponentialLaw(S2), NOTATION)
    with pytest.raises(RuleNotApplicable):
        HALFNORMAL_SECOND_MOMENT(Expectation(exponential.x**2, exponential.q), exponential)


@settings(max_examples=15, deadline=None)
@given(scale=st.fractions(Rational(1, 8), 8, max_denominator=8))
def test_the_moment_lemma_integrates_any_numeric_scale(scale):
    """The lemma's rules alone (no checker) give the second moment of HalfNormal(scale)."""
    scale = Rational(scale.numerator, scale.denominator)
    setting = law_pair(HalfNormalLaw(scale), HalfNormalLaw(Rational(1)), NOTATION)
    lemma = derive_chain("m2", "Second moment", Expectation(setting.x**2, setting.q), SECOND_MOMENT_PLAN, setting,
                         skip_unfit=True)
    assert lemma.result == scale**2


def test_the_checker_rejects_a_broken_second_moment():
    def scale_for_moment(expr, setting):  # the second moment taken to be the scale, not its square
        return expr.xreplace({Expectation(setting.x**2, setting.q): setting.q.law.scale})

    broken = Rule("broken-moment", "Broken", "Takes the scale for the second moment.", scale_for_moment)
    plan = tuple(broken if rule is HALFNORMAL_SECOND_MOMENT else rule for rule in HALFNORMAL_PLAN)
    checker = SETTING.checker()
    with pytest.raises(StepRejected, match="broken-moment"):
        derive_chain("halfnormal", "KL", SETTING.start(), plan, SETTING,
                     check=lambda i, before, step: checker.check_step(i, before, step, "KL"), skip_unfit=True)


def test_the_checker_rejects_a_broken_gaussian_integral():
    def doubled(expr, setting):
        return mul(2, HALF_GAUSSIAN_INTEGRAL.apply(expr, setting).expr)

    broken = Rule("half-gaussian-integral", "Broken", "Doubles the integral.", doubled)
    plan = tuple(broken if rule is HALF_GAUSSIAN_INTEGRAL else rule for rule in SECOND_MOMENT_PLAN)
    lemma = derive_chain("m2", "Second moment", Expectation(SETTING.x**2, SETTING.q), plan, SETTING, skip_unfit=True)
    with pytest.raises(StepRejected, match="half-gaussian-integral"):
        SETTING.checker().verify(lemma)


def _load(source: str) -> dict:
    namespace: dict = {}
    exec(compile(source, "<kl-derive output>", "exec"), namespace)  # our own generated code, in a test
    return namespace


@pytest.mark.parametrize("fmt", ["python", "torch"])
def test_the_exports_compute_the_derived_result(general, fmt):
    torch = require("torch")
    source = render(general, fmt)
    assert "q = HalfNormal(sigma1), p = HalfNormal(sigma2)" in source
    kl = _load(source)["kl_divergence"]
    values = (0.3, 2.2)
    if fmt == "torch":
        tensors = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
        out = kl(*tensors)
        out.backward()
        assert all(t.grad is not None for t in tensors)
        value = float(out.detach())
    else:
        value = float(kl(*values))
    assert value == pytest.approx(_value(general.result, values), rel=1e-13)
    assert value == pytest.approx(_torch_kl(*values), rel=1e-12)
    assert value == pytest.approx(math.log(2.2 / 0.3) + 0.3**2 / (2 * 2.2**2) - 0.5, rel=1e-13)


@pytest.mark.parametrize("fmt", ["latex", "beamer", "latex-fragment", "markdown", "ipynb", "json", "text"])
def test_every_format_renders(general, fmt):
    assert "HalfNormal" in render(general, fmt)
