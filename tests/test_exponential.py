"""The exponential family: KL(Exponential || Exponential) derived from the definition, every rule shown before ->
after, the chain and its lemma checked, the closed form equal to ``torch.distributions.kl_divergence`` and to
quadrature (mpmath, 30 digits), the scale parameterisation, and broken rules refused by the checker."""

from __future__ import annotations

import math

import mpmath
import pytest
from conftest import _require_module as require
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Integer, Integral, Rational, Symbol, exp, lambdify, oo

from derivation.cases.exponential import EXPONENTIAL_PLAN, TITLE
from derivation.core.engine import Rule, derive_chain
from derivation.core.errors import RuleNotApplicable, StepRejected
from derivation.core.forms import evaluated, mul
from derivation.laws import ExponentialLaw, LaplaceLaw
from derivation.laws import kl_reference as ref
from derivation.nodes.scalar import Expectation
from derivation.output.render import render
from derivation.pairs.routes import variant
from derivation.printing.latex import to_latex
from derivation.printing.text import to_text
from derivation.rules.exponential import EXPONENTIAL_MEAN, MEAN_PLAN
from derivation.rules.integrals import INTEGRATE_BY_PARTS
from derivation.settings.laws import law_pair
from derivation.settings.univariate import Notation

NOTATION = Notation()
L1, L2 = NOTATION.positive("lambda", 1), NOTATION.positive("lambda", 2)
SETTING = law_pair(ExponentialLaw(L1), ExponentialLaw(L2), NOTATION)

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
    ("exponential-log-density",
     r"\E_{q}[\log q(x) - \log p(x)]",
     r"\E_{q}\bigl[(\log \lambda_{1} - \lambda_{1} x) - (\log \lambda_{2} - \lambda_{2} x)\bigr]"),
    ("combine-exponential-log-densities",
     r"\E_{q}\bigl[(\log \lambda_{1} - \lambda_{1} x) - (\log \lambda_{2} - \lambda_{2} x)\bigr]",
     r"\E_{q}\left[\log \frac{\lambda_{1}}{\lambda_{2}} - \lambda_{1} x + \lambda_{2} x\right]"),
    ("linearity-of-expectation",
     r"\E_{q}\left[\log \frac{\lambda_{1}}{\lambda_{2}} - \lambda_{1} x + \lambda_{2} x\right]",
     r"\log \frac{\lambda_{1}}{\lambda_{2}} - \lambda_{1} \E_{q}[x] + \lambda_{2} \E_{q}[x]"),
    ("exponential-mean",
     r"\log \frac{\lambda_{1}}{\lambda_{2}} - \lambda_{1} \E_{q}[x] + \lambda_{2} \E_{q}[x]",
     r"\log \frac{\lambda_{1}}{\lambda_{2}} - \frac{\lambda_{1}}{\lambda_{1}} + \frac{\lambda_{2}}{\lambda_{1}}"),
    ("exponential-expectation-as-integral",
     r"\E_{q}[x]",
     r"\lambda_{1} \int_{0}^{\infty} x e^{- \lambda_{1} x}\, dx"),
    ("integrate-by-parts",
     r"\lambda_{1} \int_{0}^{\infty} x e^{- \lambda_{1} x}\, dx",
     r"\frac{1}{\lambda_{1}}"),
    ("cancel-and-collect",
     r"\log \frac{\lambda_{1}}{\lambda_{2}} - \frac{\lambda_{1}}{\lambda_{1}} + \frac{\lambda_{2}}{\lambda_{1}}",
     r"\log \frac{\lambda_{1}}{\lambda_{2}} + \frac{\lambda_{2}}{\lambda_{1}} - 1"),
]


@pytest.fixture(scope="module")
def general():
    return SETTING.derive("exponential", TITLE, EXPONENTIAL_PLAN)


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
    assert lemma.title == "Mean of an exponential variable" and lemma.verified
    assert to_latex(lemma.start) == r"\E_{q}[x]" and to_latex(lemma.result) == r"\frac{1}{\lambda_{1}}"
    assert [check.method for check in general.checks].count("numeric") == 2  # the steps with an expectation left


def test_the_density_is_written_as_a_textbook_writes_it():
    assert to_latex(SETTING.q.log_pdf_form()) == r"\log \lambda_{1} - \lambda_{1} x"
    assert to_text(SETTING.q.log_pdf_form()) == "log λ₁ - λ₁x"
    s = Symbol("s", positive=True)
    by_scale = ExponentialLaw(1 / s)
    assert to_text(by_scale.log_pdf_form(SETTING.x)) == "-log s - x/s"
    assert to_latex(Expectation(SETTING.x, SETTING.q)) == r"\E_{q}[x]"


def _value(expr, values) -> float:
    return float(lambdify((L1, L2), evaluated(expr), "math")(*values))


def _torch_kl(l1: float, l2: float) -> float:
    torch = require("torch")
    exponential = torch.distributions.Exponential
    q, p = (exponential(torch.tensor(v, dtype=torch.float64)) for v in (l1, l2))
    return float(torch.distributions.kl_divergence(q, p))


def _quadrature_kl(l1: float, l2: float) -> mpmath.mpf:
    """``int_0^oo q (log q - log p) dx`` by mpmath at 30 digits, from the densities alone (not the law)."""
    with mpmath.workdps(30):
        a, b = mpmath.mpf(l1), mpmath.mpf(l2)

        def integrand(x):
            log_q, log_p = mpmath.log(a) - a * x, mpmath.log(b) - b * x
            return mpmath.exp(log_q) * (log_q - log_p)

        return mpmath.quad(integrand, [0, 1 / a, 10 / a, mpmath.inf])


@settings(max_examples=60, deadline=None)
@given(l1=st.floats(1e-3, 1e3), l2=st.floats(1e-3, 1e3))
def test_the_result_equals_torch_and_quadrature_at_random_points(general, l1, l2):
    ours = _value(general.result, (l1, l2))
    assert ours == pytest.approx(_torch_kl(l1, l2), rel=1e-9, abs=1e-12)
    assert ours == pytest.approx(float(_quadrature_kl(l1, l2)), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("values", [
    (1.0, 1.0),        # equal laws: 0
    (0.7, 0.7),
    (1e-6, 1e6),       # tiny against huge rates
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
            exact = mpmath.log(a / b) + b / a - 1
            reference = ref.kl_quadrature(ref.exponential(a), ref.exponential(b))
            assert abs(reference - exact) <= mpmath.mpf(10) ** -25 * max(1, abs(exact))


@pytest.mark.parametrize(("q", "p", "result"), [
    ("Exponential(l1)", "Exponential(l2)", r"\log \frac{l_{1}}{l_{2}} + \frac{l_{2}}{l_{1}} - 1"),
    ("Exponential(rate=l)", "Exponential(1)", r"\log l + \frac{1}{l} - 1"),
    ("Exponential(scale=s)", "Exponential(scale=r)", r"\log \frac{r}{s} + \frac{s}{r} - 1"),
    ("Exponential(scale=s)", "Exponential(2)", r"- \log(2 s) + 2 s - 1"),
    ("Exponential(2)", "Exponential(3)", r"\log \frac{2}{3} + \frac{1}{2}"),
    ("Exponential(l)", "Exponential(l)", "0"),
])
def test_users_pairs_in_rate_and_scale(q, p, result):
    derivation = variant(q, p).derive()
    assert derivation.verified and to_latex(derivation.result) == result


@pytest.mark.parametrize(("q", "p", "values"), [
    ("Exponential(scale=s)", "Exponential(scale=r)", {"s": 0.4, "r": 3.0}),
    ("Exponential(scale=s)", "Exponential(2)", {"s": 1.7}),
])
def test_the_scale_parameterisation_equals_torch(q, p, values):
    result = variant(q, p).derive().result
    symbols = {s.name: s for s in result.free_symbols}
    ours = float(evaluated(result).subs({symbols[k]: v for k, v in values.items()}))
    q_rate = 1 / values["s"]
    p_rate = 1 / values["r"] if "r" in values else 2.0
    assert ours == pytest.approx(_torch_kl(q_rate, p_rate), rel=1e-12)


def test_a_users_pair_keeps_its_names_apart_from_the_variable():
    x = Symbol("x", positive=True)
    setting = law_pair(ExponentialLaw(x), ExponentialLaw(Integer(1)))
    assert setting.x.name == "y" and setting.user_parameters == (x,)


def test_integrate_by_parts_on_its_own():
    piece = mul(L1, Integral(mul(SETTING.x, exp(-L1 * SETTING.x)), (SETTING.x, 0, oo)))
    assert to_latex(INTEGRATE_BY_PARTS(piece, SETTING).expr) == r"\frac{1}{\lambda_{1}}"
    with pytest.raises(RuleNotApplicable):
        INTEGRATE_BY_PARTS(Integral(exp(L1 * SETTING.x), (SETTING.x, 0, oo)), SETTING)  # diverges


def test_the_mean_rule_fits_only_the_mean_of_an_exponential_law():
    with pytest.raises(RuleNotApplicable):
        EXPONENTIAL_MEAN(Expectation(SETTING.x**2, SETTING.q), SETTING)
    laplace = law_pair(LaplaceLaw(Integer(0), L1), LaplaceLaw(Integer(0), L2), NOTATION)
    with pytest.raises(RuleNotApplicable):
        EXPONENTIAL_MEAN(Expectation(laplace.x, laplace.q), laplace)


@settings(max_examples=25, deadline=None)
@given(rate=st.fractions(Rational(1, 8), 8, max_denominator=8))
def test_the_mean_lemma_integrates_any_numeric_rate(rate):
    """The lemma's rules alone (no checker) give the mean of Exponential(rate), as quadrature does."""
    rate = Rational(rate.numerator, rate.denominator)
    setting = law_pair(ExponentialLaw(rate), ExponentialLaw(Integer(1)), NOTATION)
    lemma = derive_chain("mean", "Mean", Expectation(setting.x, setting.q), MEAN_PLAN, setting, skip_unfit=True)
    assert lemma.result == 1 / rate
    assert float(mpmath.quad(lambda x: x * float(rate) * mpmath.exp(-float(rate) * x), [0, mpmath.inf])) == \
        pytest.approx(float(1 / rate), rel=1e-12)


def test_the_checker_rejects_a_broken_mean():
    def rate_for_mean(expr, setting):  # the mean taken to be the rate, not its reciprocal
        return expr.xreplace({Expectation(setting.x, setting.q): setting.q.law.rate})

    broken = Rule("broken-mean", "Broken", "Takes the rate for the mean.", rate_for_mean)
    plan = tuple(broken if rule is EXPONENTIAL_MEAN else rule for rule in EXPONENTIAL_PLAN)
    checker = SETTING.checker()
    with pytest.raises(StepRejected, match="broken-mean"):
        derive_chain("exponential", "KL", SETTING.start(), plan, SETTING,
                     check=lambda i, before, step: checker.check_step(i, before, step, "KL"), skip_unfit=True)


def test_the_checker_rejects_a_broken_step_in_the_lemma():
    def doubled(expr, setting):
        return mul(2, INTEGRATE_BY_PARTS.apply(expr, setting))

    broken = Rule("integrate-by-parts", "Broken", "Doubles the integral.", doubled)
    plan = tuple(broken if rule is INTEGRATE_BY_PARTS else rule for rule in MEAN_PLAN)
    lemma = derive_chain("mean", "Mean", Expectation(SETTING.x, SETTING.q), plan, SETTING, skip_unfit=True)
    with pytest.raises(StepRejected, match="integrate-by-parts"):
        SETTING.checker().verify(lemma)


def _load(source: str) -> dict:
    namespace: dict = {}
    exec(compile(source, "<kl-derive output>", "exec"), namespace)  # our own generated code, in a test
    return namespace


@pytest.mark.parametrize("fmt", ["python", "torch"])
def test_the_exports_compute_the_derived_result(general, fmt):
    torch = require("torch")
    source = render(general, fmt)
    assert "q = Exponential(lambda1), p = Exponential(lambda2)" in source
    kl = _load(source)["kl_divergence"]
    values = (0.3, 2.2)
    if fmt == "torch":
        tensors = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
        out = kl(*tensors)
        out.backward()  # differentiable in every parameter
        assert all(t.grad is not None for t in tensors)
        value = float(out.detach())
    else:
        value = float(kl(*values))
    assert value == pytest.approx(_value(general.result, values), rel=1e-13)
    assert value == pytest.approx(_torch_kl(*values), rel=1e-12)
    assert value == pytest.approx(math.log(0.3 / 2.2) + 2.2 / 0.3 - 1, rel=1e-13)


def test_rule_keys_are_unique():
    rules = {id(rule): rule for rule in (*EXPONENTIAL_PLAN, *MEAN_PLAN)}.values()
    keys = [rule.key for rule in rules]
    assert len(keys) == len(set(keys)) == 11
