"""Issue 13 items 1 and 2: the ``elbo`` and ``elbo-linear-gaussian`` cases.

The chains are checked as they are made; here: what they print, that a wrong rule is rejected, that the closed
forms of the linear-Gaussian model agree with independent Monte Carlo (fixed seeds, tolerance from the derived
variance) and with quadrature (SciPy), and that the code formats refuse an identity between expectations.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from sympy import Float, Ge, Poly, Symbol, factorial2, log

from derivation import cli, derive, render
from derivation.cases.elbo import checked_inequality
from derivation.check.checker import Checker
from derivation.core.engine import Rule
from derivation.core.errors import StepRejected
from derivation.core.forms import evaluated, frac
from derivation.output.figures import figure_data
from derivation.output.readback import Mismatch, check_printed
from derivation.printing.latex import MACRO_STYLE, to_latex
from derivation.rules.base import rewrite_or_refuse
from derivation.rules.elbo import BAYES_RULE, NORMALISATION
from derivation.settings.model import model_setting
from derivation.settings.univariate import Notation, parse_notation

#: Where the numeric tests hold the model: x, w, s, m, t.
POINTS = [(2.0, 1.0, 1.0, 0.3, 0.8), (-0.7, 1.8, 0.6, -1.2, 0.4), (1.3, -0.5, 1.7, 0.9, 1.9)]


@pytest.fixture(scope="module")
def elbo():
    return derive("elbo")


@pytest.fixture(scope="module")
def linear():
    return derive("elbo-linear-gaussian")


def _closed(linear):
    """The ELBO of the linear-Gaussian model in closed form (the second fact of its closed-form section)."""
    section = next(s for s in linear.sections if s.key == "closed-form")
    return section.facts[1].statement.rhs


def _at(expr, values):
    setting = model_setting(Notation(), concrete=True)
    symbols = (setting.x, setting.w, setting.s, setting.m, setting.t)
    return float(evaluated(expr).xreplace(dict(zip(symbols, map(Float, values), strict=True))).evalf(20))


# -- item 1: the identity, the bound, Jensen's route, the decomposition ----------------------------------------


def test_the_identity_is_derived_from_the_definitions_in_the_order_the_issue_states(elbo):
    assert [s.rule for s in elbo.steps] == ["q-normalised", "bayes-rule", "multiply-divide-by-q", "split-log",
                                            "linearity-of-expectation", "elbo-and-kl"]
    assert elbo.verified
    text = render(elbo, "text")
    assert "log p(x) = ELBO(q) + KL(q(z) ‖ p(z ∣ x))" in text


def test_the_sections_give_the_bound_jensen_and_the_decomposition_citing_the_papers_result(elbo):
    keys = [s.key for s in elbo.sections]
    assert keys == ["bound", "jensen", "decomposition", "checked"]
    bound = elbo.sections[0]
    shown = [to_latex(f.statement) for f in bound.facts]
    assert shown == [r"\KL\bigl(q(z) \,\|\, p(z \mid x)\bigr) \geq 0", r"\mathrm{ELBO}(q) \leq \log p(x)"]
    assert all(f.check.ok and f.check.method == "numeric" for s in elbo.sections for f in s.facts)
    (jensen,) = elbo.sections[1].derivations
    assert to_latex(jensen.result) == r"\log\left(\E_{q}\left[\frac{p(x, z)}{q(z)}\right]\right)"
    (decomposition,) = elbo.sections[2].derivations
    assert decomposition.steps[4].rule == "divergence-from-prior"
    assert to_latex(decomposition.steps[4].expr) == (r"\E_{q}\bigl[\log p(x \mid z)\bigr] - \KL(q(z) \,\|\, p(z))")
    paper = decomposition.steps[5]
    assert paper.rule == "paper-result"
    (lemma,) = paper.lemmas  # the standard case's chain, over z with q's parameters m and t
    assert [s.rule for s in lemma.steps] == [s.rule for s in derive("standard").steps]
    assert lemma.verified
    assert "standard document" in paper.justification


def test_the_document_says_how_the_abstract_lines_were_checked(elbo):
    markdown = render(elbo, "markdown")
    assert "linear-Gaussian model $p(z) = \\mathcal{N}(0, 1)$, $p(x \\mid z) = \\mathcal{N}(w z, s^{2})$" in markdown
    assert "each checked numerically at random parameter values, with quadrature" in markdown


def test_a_wrong_bayes_rule_is_rejected():
    """The evidence written as the joint over the prior (not the posterior) is caught at that step."""
    setting = model_setting(Notation())

    def wrong(expr, s):
        return rewrite_or_refuse(expr, lambda e: frac(s.joint, s.prior) if e == s.evidence else None, "evidence")

    broken = Rule(BAYES_RULE.key, BAYES_RULE.title, BAYES_RULE.justification, wrong)
    with pytest.raises(StepRejected, match="bayes-rule"):
        setting.checker().derive("elbo", "ELBO", setting.start(), (NORMALISATION, broken), setting)


def test_the_bound_fails_for_a_claim_that_is_false():
    setting = model_setting(Notation())
    with pytest.raises(StepRejected):
        checked_inequality(Ge(setting.elbo, log(setting.evidence), evaluate=False), setting)


@pytest.mark.parametrize("text", ["p(x, z)", "p(z ∣ x)"])
def test_a_model_density_printed_as_another_does_not_read_back(text):
    setting = model_setting(Notation())
    with pytest.raises(Mismatch):
        check_printed(text, setting.likelihood, None)
    check_printed("p(x ∣ z)", setting.likelihood, None)
    check_printed(to_latex(setting.likelihood), setting.likelihood, MACRO_STYLE)


def test_code_formats_refuse_the_identity(capsys):
    code = cli.run(["derive", "elbo", "-f", "python"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("kl-derive: error: the result of 'elbo' is an identity between expectations")
    assert err.count("\n") == 1


# -- item 2: the linear-Gaussian model in closed form ----------------------------------------------------------


def _normal_logpdf(v, mean, var):
    return -0.5 * np.log(2 * np.pi * var) - (v - mean) ** 2 / (2 * var)


def _gaussian_moment_variance(poly_in_z, m, t):
    """The exact variance of a polynomial f(z) under z ~ N(m, t**2): expand f(m + t e) and use E[e**k] = (k-1)!!."""
    e = Symbol("e")
    z = poly_in_z.gens[0]
    g = Poly(poly_in_z.as_expr().subs(z, m + t * e), e)

    def moment(k):
        return 0 if k % 2 else int(factorial2(k - 1))

    mean = sum(c * moment(k) for (k,), c in g.terms())
    square = Poly(g.as_expr() ** 2, e)
    return float(sum(c * moment(k) for (k,), c in square.terms()) - mean**2)


@pytest.mark.parametrize("values", POINTS)
def test_the_closed_form_elbo_agrees_with_monte_carlo(linear, values):
    """E_q[log p(x, z) - log q(z)] sampled (seed fixed); the tolerance is 5 standard errors, from the exact variance
    of the integrand (a quadratic in z) under q."""
    x, w, s, m, t = values
    closed = _at(_closed(linear), values)
    rng = np.random.default_rng(13)
    n = 400_000
    z = rng.normal(m, t, n)
    sample = _normal_logpdf(x, w * z, s**2) + _normal_logpdf(z, 0.0, 1.0) - _normal_logpdf(z, m, t**2)
    zs = Symbol("z")
    integrand = Poly(-(x - w * zs) ** 2 / (2 * s**2) - zs**2 / 2 + (zs - m) ** 2 / (2 * t**2), zs)
    variance = _gaussian_moment_variance(integrand, m, t)
    assert abs(sample.var() - variance) < 0.05 * variance + 1e-12  # the derived variance is the sampled one
    assert abs(sample.mean() - closed) < 5 * math.sqrt(variance / n)


@pytest.mark.parametrize("values", POINTS)
def test_the_closed_forms_agree_with_quadrature(linear, values):
    from scipy.integrate import quad

    x, w, s, m, t = values
    setting = linear.setting
    elbo = quad(lambda z: math.exp(_normal_logpdf(z, m, t**2)) * (
        _normal_logpdf(x, w * z, s**2) + _normal_logpdf(z, 0, 1) - _normal_logpdf(z, m, t**2)), -math.inf, math.inf,
        epsabs=1e-12, epsrel=1e-12)[0]
    assert abs(elbo - _at(_closed(linear), values)) < 1e-8
    evidence = quad(lambda z: math.exp(_normal_logpdf(x, w * z, s**2) + _normal_logpdf(z, 0, 1)), -math.inf,
                    math.inf, epsabs=1e-14, epsrel=1e-12)[0]
    log_evidence = setting.evidence_law.log_pdf_form(setting.x)
    assert abs(math.log(evidence) - _at(log_evidence, values)) < 1e-9
    for z0 in (-1.0, 0.2, 1.5):  # the posterior is the joint over the evidence
        posterior = _at(setting.posterior.definition.subs(setting.z, z0), values)
        joint = math.exp(_normal_logpdf(x, w * z0, s**2) + _normal_logpdf(z0, 0, 1))
        assert abs(posterior - joint / evidence) < 1e-9 * max(1.0, posterior)


def test_the_identity_holds_exactly_and_the_bound_is_tight_at_the_posterior(linear):
    identity = next(s for s in linear.sections if s.key == "identity")
    assert [f.check.method for f in identity.facts] == ["symbolic", "symbolic"]
    assert to_latex(identity.facts[0].statement) == (
        r"\log p(x) - \mathrm{ELBO}(q) = \KL\bigl(q(z) \,\|\, p(z \mid x)\bigr)")
    (divergence,) = identity.derivations
    from scipy.integrate import quad

    def integrand(z, m, t, mean, var):
        return math.exp(_normal_logpdf(z, m, t**2)) * (_normal_logpdf(z, m, t**2) - _normal_logpdf(z, mean, var))

    for values in POINTS:  # the divergence's closed form against its definition, by quadrature
        x, w, s, m, t = values
        mean, var = w * x / (w**2 + s**2), s**2 / (w**2 + s**2)
        kl = quad(integrand, -math.inf, math.inf, args=(m, t, mean, var), epsabs=1e-13)[0]
        assert abs(kl - _at(divergence.result, values)) < 1e-9


def test_the_posterior_is_derived_by_completing_the_square(linear):
    posterior = next(s for s in linear.sections if s.key == "posterior")
    (chain,) = posterior.derivations
    assert [s.rule for s in chain.steps] == ["factorise-joint", "split-log", "model-log-densities",
                                            "complete-the-square", "posterior-and-evidence"]
    assert all(c.method == "symbolic" for c in chain.checks)
    assert to_latex(posterior.facts[0].statement) == (
        r"p(z \mid x) = \mathcal{N}\left(\frac{w x}{w^{2} + s^{2}}, \frac{s^{2}}{w^{2} + s^{2}}\right)")


def test_the_figures_show_the_elbo_below_the_log_evidence_touching_at_the_posterior(linear):
    figures = next(s for s in linear.sections if s.key == "figures").figures
    assert [f.key for f in figures] == ["by-mean", "by-scale"]
    for figure, best in zip(figures, (1.0, math.sqrt(0.5)), strict=True):
        data = figure_data(figure.plot)
        log_evidence, elbo = data["curves"]
        assert np.all(elbo <= log_evidence + 1e-12)
        i = int(np.argmin(log_evidence - elbo))
        assert abs(data["x"][i] - best) < 0.02 and (log_evidence - elbo)[i] < 1e-3
    # drawn from the derived expressions: the ELBO curve is the derivation's result at the figure's point
    assert figures[0].plot.curves[1].expr == _closed(linear).xreplace(
        {linear.setting.x: 2, linear.setting.w: 1, linear.setting.s: 1})


def test_the_log_evidence_agrees_with_monte_carlo():
    """p(x) = E_{p(z)}[p(x | z)], sampled (seed fixed); the tolerance is 5 standard errors, with the variance of
    p(x | z) under the prior from its exact second moment (a Gaussian integral: N(x; 0, s**2/2 + w**2) scaled)."""
    setting = model_setting(Notation(), concrete=True)
    log_evidence = setting.evidence_law.log_pdf_form(setting.x)
    rng = np.random.default_rng(2024)
    for x, w, s, _, _ in POINTS:
        n = 400_000
        z = rng.normal(0.0, 1.0, n)
        sample = np.exp(_normal_logpdf(x, w * z, s**2))
        second = math.exp(_normal_logpdf(x, 0.0, s**2 / 2 + w**2)) / (2 * math.sqrt(math.pi) * s)
        mean = math.exp(_at(log_evidence, (x, w, s, 0, 1)))
        variance = second - mean**2
        assert variance > 0
        assert abs(sample.mean() - mean) < 5 * math.sqrt(variance / n)


def test_the_checker_draws_every_parameter_of_the_model():
    """Every line is checked at random values of all five parameters of the linear-Gaussian model."""
    checker = model_setting(Notation()).checker()
    assert isinstance(checker, Checker)
    names = sorted(str(s) for s in checker.evaluator.points[0])
    assert names == ["m", "s", "t", "w", "x"]


def test_notation_renames_the_model_and_refuses_a_parameters_name(capsys):
    renamed = derive("elbo", notation=parse_notation(["z=u", "log=ln"]))
    assert "ln p(x) = ELBO(q) + KL(q(u) ‖ p(u ∣ x))" in render(renamed, "text")
    for case in ("elbo", "elbo-linear-gaussian"):
        code = cli.run(["derive", case, "--notation", "z=m"])
        out, err = capsys.readouterr()
        assert code == 2 and out == ""
        assert err == ("kl-derive: error: notation: 'm' names a parameter of the linear-Gaussian model (w, s, m, t); "
                       "choose another name\n")
