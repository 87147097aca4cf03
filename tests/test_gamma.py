"""The Gamma family: KL(Gamma || Gamma) derived from the definition, every rule shown before -> after, the chain and
its two lemmas checked (the mean, and the expected logarithm from the derivative of the normaliser), the closed form
equal to ``torch.distributions.kl_divergence`` and to quadrature (mpmath, 30 digits) at random and edge parameters,
rate and scale specs, and broken rules refused by the checker."""

from __future__ import annotations

import mpmath
import pytest
from conftest import _require_module as require
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Integer, Symbol, lambdify, log, polygamma

from derivation.cases.gamma import GAMMA_PLAN, TITLE
from derivation.core.engine import Rule, derive_chain
from derivation.core.errors import RuleNotApplicable, StepRejected
from derivation.core.forms import evaluated, mul
from derivation.laws import GammaLaw
from derivation.laws import kl_reference as ref
from derivation.nodes.scalar import Density, Expectation
from derivation.output.render import render
from derivation.pairs.routes import variant
from derivation.printing.latex import to_latex
from derivation.printing.text import to_text
from derivation.rules.gamma import (
    DIFFERENTIATE_NORMALISER,
    GAMMA_LOG_MOMENT,
    LOG_MOMENT_PLAN,
    MEAN_PLAN,
    log_moment_lemma,
    log_moment_plan,
)
from derivation.settings.laws import law_pair
from derivation.settings.univariate import Notation

NOTATION = Notation()
A1, B1, A2, B2 = (NOTATION.positive(name, i) for i in (1, 2) for name in ("alpha", "beta"))
SETTING = law_pair(GammaLaw(A1, B1), GammaLaw(A2, B2), NOTATION)

#: (rule key, line before, line after) of every step of the general chain and of its lemmas, in reading order.
BEFORE_AFTER = [
    ('kl-definition',
     '\\KL(q \\,\\|\\, p)',
     '\\int_{0}^{\\infty} q(x) \\log \\frac{q(x)}{p(x)}\\, dx'),
    ('integral-as-expectation',
     '\\int_{0}^{\\infty} q(x) \\log \\frac{q(x)}{p(x)}\\, dx',
     '\\E_{q}\\left[\\log \\frac{q(x)}{p(x)}\\right]'),
    ('log-of-ratio',
     '\\E_{q}\\left[\\log \\frac{q(x)}{p(x)}\\right]',
     '\\E_{q}[\\log q(x) - \\log p(x)]'),
    ('gamma-log-density',
     '\\E_{q}[\\log q(x) - \\log p(x)]',
     '\\E_{q}\\Bigl[\\bigl(\\alpha_{1} \\log \\beta_{1} - \\log \\Gamma(\\alpha_{1}) + (\\alpha_{1} - 1) \\log x'
     ' - \\beta_{1} x\\bigr) - \\bigl(\\alpha_{2} \\log \\beta_{2} - \\log \\Gamma(\\alpha_{2}) + (\\alpha_{2} '
     '- 1) \\log x - \\beta_{2} x\\bigr)\\Bigr]'),
    ('combine-gamma-log-densities',
     '\\E_{q}\\Bigl[\\bigl(\\alpha_{1} \\log \\beta_{1} - \\log \\Gamma(\\alpha_{1}) + (\\alpha_{1} - 1) \\log x'
     ' - \\beta_{1} x\\bigr) - \\bigl(\\alpha_{2} \\log \\beta_{2} - \\log \\Gamma(\\alpha_{2}) + (\\alpha_{2} '
     '- 1) \\log x - \\beta_{2} x\\bigr)\\Bigr]',
     '\\E_{q}\\left[\\alpha_{1} \\log \\beta_{1} - \\alpha_{2} \\log \\beta_{2} + \\log \\frac{\\Gamma(\\alpha_{2'
     '})}{\\Gamma(\\alpha_{1})} - \\beta_{1} x + (\\alpha_{1} - 1) \\log x + \\beta_{2} x - (\\alpha_{2} - 1'
     ') \\log x\\right]'),
    ('linearity-of-expectation',
     '\\E_{q}\\left[\\alpha_{1} \\log \\beta_{1} - \\alpha_{2} \\log \\beta_{2} + \\log \\frac{\\Gamma(\\alpha_{2'
     '})}{\\Gamma(\\alpha_{1})} - \\beta_{1} x + (\\alpha_{1} - 1) \\log x + \\beta_{2} x - (\\alpha_{2} - 1'
     ') \\log x\\right]',
     '\\alpha_{1} \\log \\beta_{1} - \\alpha_{2} \\log \\beta_{2} + \\log \\frac{\\Gamma(\\alpha_{2})}{\\Gamma(\\'
     'alpha_{1})} - \\beta_{1} \\E_{q}[x] + (\\alpha_{1} - 1) \\E_{q}[\\log x] + \\beta_{2} \\E_{q}[x] - (\\a'
     'lpha_{2} - 1) \\E_{q}[\\log x]'),
    ('gamma-mean',
     '\\alpha_{1} \\log \\beta_{1} - \\alpha_{2} \\log \\beta_{2} + \\log \\frac{\\Gamma(\\alpha_{2})}{\\Gamma(\\'
     'alpha_{1})} - \\beta_{1} \\E_{q}[x] + (\\alpha_{1} - 1) \\E_{q}[\\log x] + \\beta_{2} \\E_{q}[x] - (\\a'
     'lpha_{2} - 1) \\E_{q}[\\log x]',
     '\\alpha_{1} \\log \\beta_{1} - \\alpha_{2} \\log \\beta_{2} + \\log \\frac{\\Gamma(\\alpha_{2})}{\\Gamma(\\'
     'alpha_{1})} - \\frac{\\beta_{1} \\alpha_{1}}{\\beta_{1}} + (\\alpha_{1} - 1) \\E_{q}[\\log x] + \\frac{'
     '\\beta_{2} \\alpha_{1}}{\\beta_{1}} - (\\alpha_{2} - 1) \\E_{q}[\\log x]'),
    ('gamma-expectation-as-integral',
     '\\E_{q}[x]',
     '\\frac{\\beta_{1}^{\\alpha_{1}}}{\\Gamma(\\alpha_{1})} \\int_{0}^{\\infty} x x^{\\alpha_{1} - 1} e^{- \\'
     'beta_{1} x}\\, dx'),
    ('combine-powers',
     '\\frac{\\beta_{1}^{\\alpha_{1}}}{\\Gamma(\\alpha_{1})} \\int_{0}^{\\infty} x x^{\\alpha_{1} - 1} e^{- \\'
     'beta_{1} x}\\, dx',
     '\\frac{\\beta_{1}^{\\alpha_{1}}}{\\Gamma(\\alpha_{1})} \\int_{0}^{\\infty} x^{\\alpha_{1}} e^{- \\beta_{'
     '1} x}\\, dx'),
    ('gamma-integral',
     '\\frac{\\beta_{1}^{\\alpha_{1}}}{\\Gamma(\\alpha_{1})} \\int_{0}^{\\infty} x^{\\alpha_{1}} e^{- \\beta_{'
     '1} x}\\, dx',
     '\\frac{\\beta_{1}^{\\alpha_{1}}}{\\Gamma(\\alpha_{1})} \\frac{\\Gamma(\\alpha_{1} + 1)}{\\beta_{1}^{\\alp'
     'ha_{1} + 1}}'),
    ('gamma-recurrence',
     '\\frac{\\beta_{1}^{\\alpha_{1}}}{\\Gamma(\\alpha_{1})} \\frac{\\Gamma(\\alpha_{1} + 1)}{\\beta_{1}^{\\alp'
     'ha_{1} + 1}}',
     '\\frac{\\alpha_{1}}{\\beta_{1}}'),
    ('gamma-log-moment',
     '\\alpha_{1} \\log \\beta_{1} - \\alpha_{2} \\log \\beta_{2} + \\log \\frac{\\Gamma(\\alpha_{2})}{\\Gamma(\\'
     'alpha_{1})} - \\frac{\\beta_{1} \\alpha_{1}}{\\beta_{1}} + (\\alpha_{1} - 1) \\E_{q}[\\log x] + \\frac{'
     '\\beta_{2} \\alpha_{1}}{\\beta_{1}} - (\\alpha_{2} - 1) \\E_{q}[\\log x]',
     '\\alpha_{1} \\log \\beta_{1} - \\alpha_{2} \\log \\beta_{2} + \\log \\frac{\\Gamma(\\alpha_{2})}{\\Gamma(\\'
     'alpha_{1})} - \\frac{\\beta_{1} \\alpha_{1}}{\\beta_{1}} + (\\alpha_{1} - 1) (\\psi(\\alpha_{1}) - \\lo'
     'g \\beta_{1}) + \\frac{\\beta_{2} \\alpha_{1}}{\\beta_{1}} - (\\alpha_{2} - 1) (\\psi(\\alpha_{1}) - \\l'
     'og \\beta_{1})'),
    ('gamma-expectation-as-integral',
     '\\E_{q}[\\log x]',
     '\\frac{\\beta_{1}^{\\alpha_{1}}}{\\Gamma(\\alpha_{1})} \\int_{0}^{\\infty} \\log(x) x^{\\alpha_{1} - 1} '
     'e^{- \\beta_{1} x}\\, dx'),
    ('log-as-derivative',
     '\\frac{\\beta_{1}^{\\alpha_{1}}}{\\Gamma(\\alpha_{1})} \\int_{0}^{\\infty} \\log(x) x^{\\alpha_{1} - 1} '
     'e^{- \\beta_{1} x}\\, dx',
     '\\frac{\\beta_{1}^{\\alpha_{1}}}{\\Gamma(\\alpha_{1})} \\int_{0}^{\\infty} \\frac{\\partial x^{\\alpha_{1'
     '} - 1}}{\\partial \\alpha_{1}} e^{- \\beta_{1} x}\\, dx'),
    ('differentiate-under-integral',
     '\\frac{\\beta_{1}^{\\alpha_{1}}}{\\Gamma(\\alpha_{1})} \\int_{0}^{\\infty} \\frac{\\partial x^{\\alpha_{1'
     '} - 1}}{\\partial \\alpha_{1}} e^{- \\beta_{1} x}\\, dx',
     '\\frac{\\beta_{1}^{\\alpha_{1}}}{\\Gamma(\\alpha_{1})} \\frac{\\partial}{\\partial \\alpha_{1}} \\int_{0}'
     '^{\\infty} x^{\\alpha_{1} - 1} e^{- \\beta_{1} x}\\, dx'),
    ('gamma-integral',
     '\\frac{\\beta_{1}^{\\alpha_{1}}}{\\Gamma(\\alpha_{1})} \\frac{\\partial}{\\partial \\alpha_{1}} \\int_{0}'
     '^{\\infty} x^{\\alpha_{1} - 1} e^{- \\beta_{1} x}\\, dx',
     '\\frac{\\beta_{1}^{\\alpha_{1}}}{\\Gamma(\\alpha_{1})} \\frac{\\partial}{\\partial \\alpha_{1}} \\left[\\f'
     'rac{\\Gamma(\\alpha_{1})}{\\beta_{1}^{\\alpha_{1}}}\\right]'),
    ('differentiate-gamma-function',
     '\\frac{\\beta_{1}^{\\alpha_{1}}}{\\Gamma(\\alpha_{1})} \\frac{\\partial}{\\partial \\alpha_{1}} \\left[\\f'
     'rac{\\Gamma(\\alpha_{1})}{\\beta_{1}^{\\alpha_{1}}}\\right]',
     '\\frac{\\beta_{1}^{\\alpha_{1}} \\Gamma(\\alpha_{1}) (\\psi(\\alpha_{1}) - \\log \\beta_{1})}{\\Gamma(\\al'
     'pha_{1}) \\beta_{1}^{\\alpha_{1}}}'),
    ('expand-and-collect',
     '\\frac{\\beta_{1}^{\\alpha_{1}} \\Gamma(\\alpha_{1}) (\\psi(\\alpha_{1}) - \\log \\beta_{1})}{\\Gamma(\\al'
     'pha_{1}) \\beta_{1}^{\\alpha_{1}}}',
     '\\psi(\\alpha_{1}) - \\log \\beta_{1}'),
    ('collect-gamma-terms',
     '\\alpha_{1} \\log \\beta_{1} - \\alpha_{2} \\log \\beta_{2} + \\log \\frac{\\Gamma(\\alpha_{2})}{\\Gamma(\\'
     'alpha_{1})} - \\frac{\\beta_{1} \\alpha_{1}}{\\beta_{1}} + (\\alpha_{1} - 1) (\\psi(\\alpha_{1}) - \\lo'
     'g \\beta_{1}) + \\frac{\\beta_{2} \\alpha_{1}}{\\beta_{1}} - (\\alpha_{2} - 1) (\\psi(\\alpha_{1}) - \\l'
     'og \\beta_{1})',
     '\\alpha_{2} \\log \\frac{\\beta_{1}}{\\beta_{2}} + \\log \\frac{\\Gamma(\\alpha_{2})}{\\Gamma(\\alpha_{1})'
     '} + (\\alpha_{1} - \\alpha_{2}) \\psi(\\alpha_{1}) + \\frac{\\alpha_{1} (\\beta_{2} - \\beta_{1})}{\\bet'
     'a_{1}}'),
]


@pytest.fixture(scope="module")
def general():
    return SETTING.derive("gamma", TITLE, GAMMA_PLAN)


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


def test_the_chain_and_its_lemmas_are_checked(general):
    assert general.verified and len(general.steps) == 9
    mean, log_moment = general.lemmas()
    assert (mean.title, log_moment.title) == ("Mean of a Gamma variable", "Expected logarithm of a Gamma variable")
    assert mean.verified and log_moment.verified
    assert to_latex(mean.result) == r"\frac{\alpha_{1}}{\beta_{1}}"
    assert to_latex(log_moment.result) == r"\psi(\alpha_{1}) - \log \beta_{1}"


def test_the_printed_forms_read_as_a_textbook():
    assert to_text(SETTING.q.log_pdf_form()) == "α₁ log β₁ - log Γ(α₁) + (α₁ - 1) log x - β₁x"
    assert to_latex(polygamma(0, A1)) == r"\psi(\alpha_{1})"
    assert to_latex(log(GammaLaw(A1, B1).normaliser())) == r"\log \frac{\beta_{1}^{\alpha_{1}}}{\Gamma(\alpha_{1})}"


def _value(expr, values) -> float:
    return float(lambdify((A1, B1, A2, B2), evaluated(expr), "mpmath")(*values))


def _torch_kl(a1: float, b1: float, a2: float, b2: float) -> float:
    torch = require("torch")
    gamma = torch.distributions.Gamma
    t = [torch.tensor(v, dtype=torch.float64) for v in (a1, b1, a2, b2)]
    return float(torch.distributions.kl_divergence(gamma(t[0], t[1]), gamma(t[2], t[3])))


def _quadrature_kl(a1: float, b1: float, a2: float, b2: float) -> float:
    """``KL`` by mpmath quadrature at 30 digits from the densities alone, in ``u = log x`` (KL is unchanged by the
    bijection, and there the integrand is smooth even when ``x**(alpha - 1)`` is singular at 0)."""
    with mpmath.workdps(30):
        return float(ref.kl_quadrature(ref.log_gamma(a1, b1), ref.log_gamma(a2, b2)))


@settings(max_examples=40, deadline=None)
@given(a1=st.floats(0.2, 20), b1=st.floats(0.05, 20), a2=st.floats(0.2, 20), b2=st.floats(0.05, 20))
def test_the_result_equals_torch_and_quadrature_at_random_points(general, a1, b1, a2, b2):
    ours = _value(general.result, (a1, b1, a2, b2))
    assert ours == pytest.approx(_torch_kl(a1, b1, a2, b2), rel=1e-9, abs=1e-12)
    assert ours == pytest.approx(_quadrature_kl(a1, b1, a2, b2), rel=1e-8, abs=1e-10)


@pytest.mark.parametrize("values", [
    (2.0, 3.0, 2.0, 3.0),          # equal laws: 0
    (1.0, 1.0, 1.0, 2.0),          # two exponential laws
    (0.3, 0.5, 4.0, 2.0),          # a concentration below 1: a singular density at 0
    (1e-3, 1.0, 1.0, 1.0),         # tiny concentration
    (1e3, 1e3, 1.0, 1.0),          # huge concentration and rate
    (5.0, 1e-4, 5.0, 1e4),         # tiny against huge rate
])
def test_edge_parameters_agree_with_torch_and_the_reference(general, values):
    ours = _value(general.result, values)
    assert ours == pytest.approx(_torch_kl(*values), rel=1e-9, abs=1e-12)
    with mpmath.workdps(30):
        reference = ref.kl_quadrature(ref.log_gamma(values[0], values[1]), ref.log_gamma(values[2], values[3]))
    assert ours == pytest.approx(float(reference), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(("q", "p", "result"), [
    ("Gamma(a1, rate=b1)", "Gamma(a2, rate=b2)",
     r"a_{2} \log \frac{b_{1}}{b_{2}} + \log \frac{\Gamma(a_{2})}{\Gamma(a_{1})} + (a_{1} - a_{2}) \psi(a_{1}) + "
     r"\frac{a_{1} (b_{2} - b_{1})}{b_{1}}"),
    ("Gamma(2, rate=3)", "Gamma(1, rate=1)", r"\log 3 + \psi(2) - \frac{4}{3}"),
    ("Gamma(a, b)", "Gamma(a, b)", "0"),
])
def test_users_pairs(q, p, result):
    derivation = variant(q, p).derive()
    assert derivation.verified and to_latex(derivation.result) == result


def test_the_scale_parameterisation_equals_torch():
    result = variant("Gamma(a, scale=s)", "Gamma(c, scale=r)").derive().result
    symbols = {s.name: s for s in result.free_symbols}
    values = {"a": 1.7, "s": 0.4, "c": 0.6, "r": 3.0}
    ours = float(evaluated(result).subs({symbols[k]: v for k, v in values.items()}))
    assert ours == pytest.approx(_torch_kl(1.7, 1 / 0.4, 0.6, 1 / 3.0), rel=1e-12)


def test_the_log_moment_lemma_at_a_numeric_concentration_is_derived_in_general():
    setting = law_pair(GammaLaw(Integer(2), Integer(3)), GammaLaw(Integer(1), Integer(1)))
    lemma, value = log_moment_lemma(Expectation(log(setting.x), setting.q), setting)
    assert lemma.verified and to_latex(lemma.start) == r"\E_{x \sim \operatorname{Gamma}(\alpha, \beta)}[\log x]"
    assert to_latex(value) == r"\psi(2) - \log 3"


def test_the_log_moment_plan_is_a_reusable_recipe():
    """Beta and Dirichlet cite the same steps with their own 'as an integral' and normalising integral."""
    keys = [rule.key for rule in LOG_MOMENT_PLAN]
    assert keys == ["gamma-expectation-as-integral", "log-as-derivative", "differentiate-under-integral",
                    "gamma-integral", "differentiate-gamma-function", "expand-and-collect"]
    other = Rule("beta-integral", "Beta integral", "Stands in for another normalising integral.", lambda e, s: e)
    assert log_moment_plan(LOG_MOMENT_PLAN[0], other)[3] is other


@settings(max_examples=20, deadline=None)
@given(a=st.integers(1, 12), b=st.fractions(1, 6, max_denominator=4))
def test_the_mean_lemma_integrates_any_numeric_pair(a, b):
    """The mean lemma's rules alone (no checker) give a / b for Gamma(a, b) at numbers."""
    from sympy import Rational
    rate = Rational(b.numerator, b.denominator)
    setting = law_pair(GammaLaw(Integer(a), rate), GammaLaw(Integer(1), Integer(1)))
    lemma = derive_chain("mean", "Mean", Expectation(setting.x, setting.q), MEAN_PLAN, setting, skip_unfit=True)
    assert lemma.result == Integer(a) / rate


def test_the_log_moment_rule_fits_only_the_log_of_a_gamma_variable():
    with pytest.raises(RuleNotApplicable):
        GAMMA_LOG_MOMENT(Expectation(SETTING.x, SETTING.q), SETTING)


def test_the_checker_rejects_a_broken_log_moment():
    def no_digamma(expr, setting):  # E[log x] taken as log of the mean
        q = setting.q
        return expr.xreplace({Expectation(log(setting.x), q): log(q.law.concentration / q.law.rate)})

    broken = Rule("broken-log-moment", "Broken", "Takes log of the mean.", no_digamma)
    plan = tuple(broken if rule is GAMMA_LOG_MOMENT else rule for rule in GAMMA_PLAN)
    checker = SETTING.checker()
    with pytest.raises(StepRejected, match="broken-log-moment"):
        derive_chain("gamma", "KL", SETTING.start(), plan, SETTING,
                     check=lambda i, before, step: checker.check_step(i, before, step, "KL"), skip_unfit=True)


def test_the_checker_rejects_a_broken_derivative_in_the_lemma():
    def forgot_rate(expr, setting):  # d/da [Gamma(a) / b**a] without the -log b term
        out = DIFFERENTIATE_NORMALISER.apply(expr, setting)
        return out.expr.args[0] if out.expr.is_Mul is False else mul(*[f for f in out.expr.args if not f.is_Add],
                                                                     out.expr.args[-1].args[0])

    broken = Rule("differentiate-gamma-function", "Broken", "Forgets the rate.", forgot_rate)
    plan = tuple(broken if rule is DIFFERENTIATE_NORMALISER else rule for rule in LOG_MOMENT_PLAN)
    lemma = derive_chain("log", "Log", Expectation(log(SETTING.x), SETTING.q), plan, SETTING, skip_unfit=True)
    with pytest.raises(StepRejected):
        SETTING.checker().verify(lemma)


def _load(source: str) -> dict:
    namespace: dict = {}
    exec(compile(source, "<kl-derive output>", "exec"), namespace)  # our own generated code, in a test
    return namespace


@pytest.mark.parametrize("fmt", ["python", "torch"])
def test_the_exports_compute_the_derived_result(general, fmt):
    torch = require("torch")
    source = render(general, fmt)
    assert "q = Gamma(alpha1, beta1), p = Gamma(alpha2, beta2)" in source
    assert ("torch.lgamma" in source and "torch.digamma" in source) if fmt == "torch" else \
        ("from scipy import special" in source and "special.gammaln" in source)
    kl = _load(source)["kl_divergence"]
    values = (2.3, 0.7, 0.9, 1.9)
    if fmt == "torch":
        tensors = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
        out = kl(*tensors)
        out.backward()  # differentiable in every parameter
        assert all(t.grad is not None for t in tensors)
        value = float(out.detach())
    else:
        value = float(kl(*values))
    assert value == pytest.approx(_value(general.result, values), rel=1e-12)
    assert value == pytest.approx(_torch_kl(*values), rel=1e-12)


def test_a_density_of_numbers_prints_its_law():
    assert to_latex(Density("", Symbol("x", real=True), GammaLaw(Integer(2), Integer(3)))) == \
        r"\operatorname{Gamma}(2, 3)"
