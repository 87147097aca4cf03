"""The interpretation: every derived fact of the dynamics and standard documents, asserted symbolically
against SymPy's own calculus (an oracle independent of the engine's rules)."""

from __future__ import annotations

import mpmath
import pytest
from sympy import (
    Derivative,
    Indexed,
    Matrix,
    Rational,
    Subs,
    Symbol,
    diff,
    exp,
    hessian,
    limit,
    log,
    oo,
    simplify,
)

from derivation import derive, render
from derivation.cases.catalogue import per_coordinate_interpretation
from derivation.cases.interpretation import Interpretation, equal_fact, sign_fact, zeros
from derivation.cases.sections import interpretation_sections
from derivation.check.numeric import Evaluator
from derivation.core.errors import DerivationError, StepRejected
from derivation.core.forms import evaluated
from derivation.laws import NormalLaw
from derivation.nodes.scalar import KL, Density, Named
from derivation.printing.latex import to_latex

mu, s = Symbol("mu", real=True), Symbol("sigma", positive=True)
ell, t, beta = Symbol("ell", real=True), Symbol("t", positive=True), Symbol("beta", positive=True)
mu1, mu2 = Symbol("mu_q", real=True), Symbol("mu_p", real=True)
s1, s2 = Symbol("sigma_q", positive=True), Symbol("sigma_p", positive=True)
delta, r = Symbol("delta", real=True), Symbol("r", positive=True)

#: The textbook closed form, typed here only as an oracle.
K = mu**2 / 2 + (s**2 - log(s**2) - 1) / 2
K_ELL = K.subs(s, exp(ell / 2))


@pytest.fixture(scope="module")
def dynamics():
    return derive("dynamics")


@pytest.fixture(scope="module")
def it(standard):
    return Interpretation(standard)


def chains(derivation):
    return {d.name.split(":", 1)[1]: d for section in derivation.sections for d in section.derivations}


def same(a, b) -> bool:
    return simplify(evaluated(a) - evaluated(b)) == 0


# -- the case ---------------------------------------------------------------------------------------
def test_dynamics_derives_the_decomposition_from_the_definition(dynamics):
    assert dynamics.verified and isinstance(dynamics.start, KL)
    assert dynamics.steps[-1].rule == "split-mean-variance"
    assert same(dynamics.result, K)
    mean_term, variance_term = dynamics.result.args
    assert same(mean_term, mu**2 / 2) and same(variance_term, (s**2 - log(s**2) - 1) / 2)
    assert not mean_term.has(s) and not variance_term.has(mu)


def test_every_section_chain_is_verified_step_by_step(dynamics):
    found = chains(dynamics)
    assert {"sum", "f-prime", "f-second", "gradient-mu", "gradient-sigma", "in-logvar", "gradient-logvar",
            "beta-gradient-mu", "beta-gradient-logvar", "general-regrouped", "sensitivity-gap",
            "sensitivity-ratio", "asymmetry"} <= set(found)
    for chain in found.values():
        assert chain.steps and chain.verified and len(chain.checks) == len(chain.steps), chain.name
    for section in dynamics.sections:
        for fact in section.facts:
            assert fact.check is not None and fact.check.ok


def test_derivative_chains_use_the_named_rules(dynamics):
    found = chains(dynamics)
    assert [s.rule for s in found["gradient-sigma"].steps] == [
        "write-out-as-defined", "differentiate-term-by-term", "elementary-derivatives", "multiply-out"]
    assert [s.rule for s in found["gradient-logvar"].steps] == [
        "chain-rule", "elementary-derivatives", "use-derived-result", "substitute", "multiply-exponentials"]
    assert found["gradient-logvar"].steps[2].lemmas == (found["gradient-sigma"],)


# -- decomposition, minimum ----------------------------------------------------------------------
def test_f_its_derivatives_and_its_minimum(it):
    assert it.f_expr == t - log(t) - 1 or same(it.f_expr, t - log(t) - 1)
    assert same(it.f_prime.result, diff(t - log(t) - 1, t))
    assert same(it.f_second.result, diff(t - log(t) - 1, t, 2))
    assert it.f_second.result.is_positive
    assert it.t_star == 1
    assert evaluated(it.f_expr).subs(t, 1) == 0
    assert it.minimiser == {mu: 0, s: 1}
    assert evaluated(it.closed_form).subs(it.minimiser) == 0


def test_variance_term_is_half_f_of_the_variance(it):
    assert same(it.variance_term, evaluated(it.f_expr).subs(t, s**2) / 2)
    assert same(it.mean_term, mu**2 / 2)


def test_minimum_facts_state_what_sympy_confirms(it):
    statements = [f.statement for f in it.minimum_facts()]
    assert statements[0].lhs == it.mean_term and (mu**2 / 2).is_nonnegative
    assert statements[-1].lhs == KL(it.setting.q, it.setting.p) and statements[-1].rhs == 0


# -- gradients and curvature ---------------------------------------------------------------------
def test_gradients_equal_sympy_differentiation(it):
    assert same(it.grad_mu.result, diff(K, mu)) and to_latex(it.grad_mu.result) == r"\mu"
    assert same(it.grad_sigma.result, diff(K, s))
    assert same(it.grad_sigma.result, s - 1 / s)
    assert same(it.grad_ell.result, diff(K_ELL, ell))
    assert same(it.grad_ell.result, (exp(ell) - 1) / 2)
    assert same(it.grad_ell_direct.result, it.grad_ell.result)  # the chain rule agrees with the direct route
    assert same(it.in_logvar.result, mu**2 / 2 + (exp(ell) - ell - 1) / 2)


def test_hessian_in_mean_and_logvar_is_positive_definite(it):
    h = it.hessian
    oracle = hessian(K_ELL, (mu, ell))
    assert simplify(h - oracle) == Matrix.zeros(2, 2)
    minors = [evaluated(h[0, 0]), evaluated(h.det())]
    assert minors[0] == 1 and same(minors[1], exp(ell) / 2)
    assert all(m.is_positive for m in minors)
    assert [f.statement.lhs for f in it.convexity_facts()][:2] == minors


def test_convex_in_sigma_too_with_unbounded_curvature_near_zero(it):
    """The brief's guess (not convex in sigma near 0) does not hold: the curvature is 1 + 1/sigma^2 > 0."""
    assert same(it.sigma_curvature.result, diff(K, s, 2))
    assert same(it.sigma_curvature.result, 1 + 1 / s**2) and evaluated(it.sigma_curvature.result).is_positive
    assert diff(K, mu, s) == 0
    limits = it.limits
    assert limits["limit_sigma"].rhs == -oo and limits["limit_curvature"].rhs == oo
    assert limits["limit_ell"].rhs == Rational(-1, 2) == limit((exp(ell) - 1) / 2, ell, -oo)


def test_beta_scales_every_gradient(it):
    assert same(it.grad_mu_beta.result, diff(beta * K, mu))
    assert same(it.grad_ell_beta.result, diff(beta * K_ELL, ell))
    assert [s.rule for s in it.grad_mu_beta.steps] == ["differentiate-term-by-term", "use-derived-result"]


def test_per_coordinate_gradients_involve_only_their_coordinate(it):
    weighted_mu, weighted_ell = it.beta_coordinate_facts()
    k = it.coordinates["k"]
    lhs, rhs = weighted_mu.statement.args
    assert isinstance(lhs, Derivative) and lhs.variables == (it.coordinates["mu"][k],)
    assert same(rhs, beta * it.coordinates["mu"][k])
    assert weighted_ell.statement.rhs.has(Indexed) and "every k" in weighted_ell.check.detail


def test_sum_over_coordinates_splits(it):
    chain = it.sum_split
    assert chain.verified and [s.rule for s in chain.steps] == ["sum-over-coordinates", "closed-form-per-coordinate",
                                                                "sum-term-by-term"]
    assert chain.result.is_Add and len(chain.result.args) == 2


# -- two Gaussians -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def two(it, univariate):
    return it.two_gaussians(univariate)


def test_general_closed_form_regroups_into_gap_and_ratio(two, univariate):
    regrouped = two["regrouped"].result
    assert same(regrouped, univariate.result)
    gap_term, ratio_term = regrouped.args
    assert same(gap_term, (mu1 - mu2) ** 2 / (2 * s2**2))
    assert same(ratio_term, (s1**2 / s2**2 - log(s1**2 / s2**2) - 1) / 2)
    assert same(two["in_gap_ratio"], delta**2 / (2 * s2**2) + (r - log(r) - 1) / 2)
    assert two["same_f"].check.ok


def test_sensitivities(two):
    assert same(two["by_gap"].result, diff(delta**2 / (2 * s2**2) + (r - log(r) - 1) / 2, delta))
    assert same(two["by_gap"].result, delta / s2**2)
    assert same(two["by_ratio"].result, (1 - 1 / r) / 2) and two["ratio_star"] == 1
    assert two["limit_ratio_zero"].rhs == -oo and two["limit_ratio_inf"].rhs == Rational(1, 2)


def _quadrature_kl(m1, v1, m2, v2):
    def q(x):
        return mpmath.npdf(x, m1, v1)

    def p(x):
        return mpmath.npdf(x, m2, v2)

    return mpmath.quad(lambda x: q(x) * (mpmath.log(q(x)) - mpmath.log(p(x))), [-mpmath.inf, 0, mpmath.inf])


def test_asymmetry_counterexample_agrees_with_independent_quadrature(two):
    counter = two["counter"]
    assert same(counter.result, 2 * log(2) - Rational(15, 8))
    assert evaluated(counter.result).is_negative
    q0, p0 = two["q0"], two["p0"]
    direct = _quadrature_kl(q0.mean, q0.std, p0.mean, p0.std) - _quadrature_kl(p0.mean, p0.std, q0.mean, q0.std)
    assert float(direct) == pytest.approx(float(evaluated(counter.result)), rel=1e-10)
    assert counter.checks[0].method == "numeric"  # the closed form was checked by quadrature, not assumed


def test_kl_quadrature_is_centred_on_the_weighting_density():
    """Regression: KL(q || p) with p much wider than q must be integrated around q (30-digit agreement)."""
    x = Symbol("x", real=True)
    q, p = Density("q", x, NormalLaw(0, 1)), Density("p", x, NormalLaw(0, 5))
    (value,) = Evaluator([{}]).values(KL(q, p))
    with mpmath.workdps(30):
        assert abs(value - (mpmath.log(5) + mpmath.mpf(1) / 50 - mpmath.mpf(1) / 2)) < mpmath.mpf(10) ** -25


# -- facts refuse what does not hold -------------------------------------------------------------
def test_false_facts_are_rejected():
    from sympy import Gt, Lt

    with pytest.raises(StepRejected):
        sign_fact(Gt(s - 1, 0, evaluate=False))
    with pytest.raises(StepRejected):
        sign_fact(Lt(2 * log(2) - 1, 0, evaluate=False))
    with pytest.raises(StepRejected):
        equal_fact(s**2, s)
    assert zeros(s - 1 / s, s) == [1]  # the negative root is not admissible for a positive symbol


def test_interpretation_needs_the_standard_prior(univariate):
    with pytest.raises(DerivationError, match="N\\(0, 1\\)"):
        Interpretation(univariate)


# -- documents ----------------------------------------------------------------------------------
def test_standard_document_has_the_interpretation(standard):
    assert [section.key for section in standard.sections] == ["interpretation"]
    md = render(standard, "markdown")
    assert "## Interpretation" in md and "posterior collapse" in md
    for formula in (s - 1 / s, (exp(ell) - 1) / 2):
        assert any(same(f.statement.rhs, formula) for f in standard.sections[0].facts)
    assert r"\frac{1}{2} (e^{\ell} - 1)" in md
    assert r"\section*{Interpretation}" in render(standard, "latex")
    assert not standard.sections[0].figures  # the figures are in the dynamics document


def test_dynamics_document_sections_and_prose_from_the_engine(dynamics):
    md = render(dynamics, "markdown")
    for title in ("Two terms", "Never negative", "Gradients", "Weighting the regulariser", "Two Gaussians"):
        assert f"## {title}" in md
    assert "{" + "mean_term}" not in md  # every placeholder was filled
    assert r"$\sigma = 1$" in md and r"\frac{\partial K(\mu, \sigma)}{\partial \sigma}" in md
    for n, stem in enumerate(("dynamics-terms", "dynamics-map", "dynamics-field"), start=1):
        assert f"![Figure {n}]({stem}.png)" in md
    tex = render(dynamics, "latex")
    assert r"\includegraphics[width=0.8\linewidth]{dynamics-map.pdf}" in tex
    assert "facts listed in the sections" in md


def test_notation_reaches_the_interpretation():
    from derivation.settings.univariate import Notation

    d = derive("standard", notation=Notation({"mu": "m", "sigma": "s", "logvar": "lambda"}))
    md = render(d, "markdown")
    section = md[md.index("## Interpretation"):md.index("## Lemmas")]
    assert r"\mu" not in section and r"\sigma" not in section and r"\lambda" in section


def test_per_coordinate_interpretation_for_the_vae_document(standard):
    (section,) = per_coordinate_interpretation(standard)
    assert section.key == "interpretation"
    assert any(d.name.endswith(":sum") for d in section.derivations)
    assert any("coordinate" in f.text for f in section.facts)
    from dataclasses import replace

    md = render(replace(standard, sections=(section,)), "markdown")
    assert r"\sum_{j=1}^{d}" in md


def test_named_closed_form_prints_short_and_compares_as_its_definition(it):
    named = it.named
    assert isinstance(named, Named) and to_latex(named) == r"K(\mu, \sigma)"
    assert evaluated(Derivative(named, s)) == evaluated(diff(K, s))
    assert evaluated(Subs(named, s, 1)) == mu**2 / 2


def test_interpretation_sections_are_pure_functions_of_the_derivation(standard):
    first, second = interpretation_sections(standard), interpretation_sections(standard)
    assert [f.statement for f in first[0].facts] == [f.statement for f in second[0].facts]
