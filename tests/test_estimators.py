"""The estimators document (issue 13 item 4): every closed form it derives, against an independent Monte Carlo (fixed
seeds, tolerance from the derived variance) and against mpmath quadrature; its table and figure from the derived
expressions; the checker that checks lines with an arbitrary function f."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from sympy import Derivative, Expr, Function, Rational, Symbol, exp, log

from derivation import derive, render
from derivation.cases.estimators import TABLE_POINTS, Estimators
from derivation.core.forms import add, evaluated, mul
from derivation.nodes.scalar import Expectation
from derivation.output.figures import figure_data

mu, m = Symbol("mu", real=True), Symbol("m", real=True)
sigma = Symbol("sigma", positive=True)
#: Monte Carlo sample size and the number of standard errors a mean may be off.
N, Z = 400_000, 5.0
#: (mu, sigma) points for q = N(mu, sigma^2), and m points for Schulman's pair.
POINTS = ((0.0, 1.0), (0.7, 0.5), (-1.2, 1.6))
M_POINTS = (0.1, 0.5, 1.0, 1.4)


@pytest.fixture(scope="module")
def doc():
    return derive("estimators")


@pytest.fixture(scope="module")
def it(doc) -> Estimators:
    return Estimators(doc)


def value(expr: Expr, **at: float) -> float:
    names = {"mu": mu, "sigma": sigma, "m": m}
    return float(evaluated(expr).subs({names[k]: v for k, v in at.items()}))


def close_in_mean(samples: np.ndarray, mean: float, variance: float) -> None:
    """The sample mean is within Z standard errors of ``mean``, the standard error from the derived ``variance``."""
    error = Z * math.sqrt(variance / len(samples))
    assert abs(samples.mean() - mean) <= error + 1e-12, (samples.mean(), mean, error)


def close_in_variance(samples: np.ndarray, mean: float, variance: float) -> None:
    """The sample variance about the derived mean is within Z standard errors of the derived ``variance``."""
    squares = (samples - mean) ** 2
    error = Z * squares.std() / math.sqrt(len(samples))
    assert abs(squares.mean() - variance) <= error + 1e-12, (squares.mean(), variance, error)


# -- the derivations --------------------------------------------------------------------------------------------
def test_every_chain_is_verified_and_ends_where_the_issue_says(doc, it):
    chains = [doc, *(d for s in doc.sections for d in s.derivations)]
    assert all(c.verified for c in chains)
    expected = {
        "variance": mu**2 * sigma**2 + (sigma**2 - 1) ** 2 / 2,
        "k1-mean": m**2 / 2, "k2-mean": m**2 / 2 + m**4 / 8, "k3-mean": m**2 / 2,
        "k1-variance": m**2, "k2-variance": m**4 / 2 + m**6 / 4, "k3-variance": exp(m**2) - 1 - m**2,
    }
    got = {"variance": it.variance.result, **{f"{k}-mean": d.result for k, d in it.means.items()},
           **{f"{k}-variance": d.result for k, d in it.variances.items()}}
    for key, formula in expected.items():
        assert (evaluated(got[key]) - formula).expand() == 0, key
    assert (evaluated(doc.result) - (mu**2 + sigma**2 - 1 - 2 * log(sigma)) / 2).expand(force=True) == 0


def test_the_gradients_are_the_reparameterised_expectations(it):
    eps, f = it.eps, it.f
    fp = Function("f'")
    sample = add(mu, mul(sigma, eps))
    assert it.gradient_mu.result == Expectation(fp(sample), it.setting.standard())
    assert it.gradient_sigma.result == Expectation(mul(fp(sample), eps), it.setting.standard())
    assert [s.rule for s in it.gradient_sigma.steps] == ["reparameterise", "differentiate-inside",
                                                         "chain-rule-through-sample"]
    assert f.__name__ == "f"


def test_the_checker_rejects_a_wrong_gradient(it):
    """Forgetting the factor eps of the gradient in sigma is caught (by the test functions put in for f)."""
    checker = it.setting.checker()
    fp = Function("f'")
    sample = add(mu, mul(sigma, it.eps))
    before = Expectation(Derivative(it.f(sample), sigma), it.setting.standard())
    assert not checker.check(0, before, Expectation(fp(sample), it.setting.standard())).ok
    assert checker.check(0, before, Expectation(mul(fp(sample), it.eps), it.setting.standard())).ok


# -- Monte Carlo, fixed seeds -----------------------------------------------------------------------------------
@pytest.mark.parametrize("point", POINTS)
def test_single_sample_estimate_mean_and_variance_by_monte_carlo(doc, it, point):
    mu0, s0 = point
    rng = np.random.default_rng(20261203)
    z = mu0 + s0 * rng.standard_normal(N)
    estimate = -np.log(s0) - (z - mu0) ** 2 / (2 * s0**2) + z**2 / 2  # log q(z) - log p(z), written independently
    kl, var = value(doc.result, mu=mu0, sigma=s0), value(it.variance.result, mu=mu0, sigma=s0)
    if var == 0:
        assert np.allclose(estimate, kl)
        return
    close_in_mean(estimate, kl, var)
    close_in_variance(estimate, kl, var)


@pytest.mark.parametrize("m0", M_POINTS)
def test_schulman_estimators_by_monte_carlo(it, m0):
    rng = np.random.default_rng(7_2026)
    z = rng.standard_normal(N)  # q = N(0, 1)
    log_r = -((z - m0) ** 2) / 2 + z**2 / 2  # log p(z) - log q(z) for p = N(m, 1)
    samples = {"k1": -log_r, "k2": log_r**2 / 2, "k3": np.expm1(log_r) - log_r}
    for key, x in samples.items():
        mean, var = value(it.means[key].result, m=m0), value(it.variances[key].result, m=m0)
        close_in_mean(x, mean, var)
        close_in_variance(x, mean, var)


@pytest.mark.parametrize("point", POINTS)
def test_reparameterised_gradients_by_monte_carlo(point):
    """For f = sin: d/dmu E[sin z] = E[cos(mu + sigma eps)] and d/dsigma E[sin z] = E[cos(mu + sigma eps) eps], with
    E_q[sin z] = sin(mu) e^(-sigma^2/2) known in closed form."""
    mu0, s0 = point
    eps = np.random.default_rng(99).standard_normal(N)
    by_mu, by_sigma = np.cos(mu0 + s0 * eps), np.cos(mu0 + s0 * eps) * eps
    assert abs(by_mu.mean() - math.cos(mu0) * math.exp(-s0**2 / 2)) <= Z * by_mu.std() / math.sqrt(N)
    assert abs(by_sigma.mean() + s0 * math.sin(mu0) * math.exp(-s0**2 / 2)) <= Z * by_sigma.std() / math.sqrt(N)


# -- quadrature (mpmath), where one-dimensional -----------------------------------------------------------------
def _normal_expectation(g, mean=0, sd=1):
    with mpmath.workdps(30):
        density = lambda x: mpmath.npdf(x, mean, sd)  # noqa: E731
        return mpmath.quad(lambda x: g(x) * density(x), [-mpmath.inf, mean, mpmath.inf])


@pytest.mark.parametrize("m0", M_POINTS)
def test_schulman_estimators_by_quadrature(it, m0):
    m0 = mpmath.mpf(m0)
    log_r = lambda x: m0 * x - m0**2 / 2  # noqa: E731
    estimators = {"k1": lambda x: -log_r(x), "k2": lambda x: log_r(x) ** 2 / 2,
                  "k3": lambda x: mpmath.exp(log_r(x)) - 1 - log_r(x)}
    for key, k in estimators.items():
        mean = _normal_expectation(k)
        variance = _normal_expectation(lambda x, k=k, mean=mean: (k(x) - mean) ** 2)
        assert mpmath.almosteq(mean, value(it.means[key].result, m=float(m0)), 1e-12)
        assert mpmath.almosteq(variance, value(it.variances[key].result, m=float(m0)), 1e-12)


@pytest.mark.parametrize("point", POINTS[1:])
def test_single_sample_variance_by_quadrature(it, doc, point):
    mu0, s0 = map(mpmath.mpf, point)
    estimate = lambda z: -mpmath.log(s0) - (z - mu0) ** 2 / (2 * s0**2) + z**2 / 2  # noqa: E731
    mean = _normal_expectation(estimate, mu0, s0)
    variance = _normal_expectation(lambda z: (estimate(z) - mean) ** 2, mu0, s0)
    assert mpmath.almosteq(mean, value(doc.result, mu=float(mu0), sigma=float(s0)), 1e-12)
    assert mpmath.almosteq(variance, value(it.variance.result, mu=float(mu0), sigma=float(s0)), 1e-12)


@pytest.mark.parametrize("t0", (-1.3, 0.4, 2.0))
def test_exponential_moment_lemmas_by_quadrature(it, t0):
    t = it.t
    for lemma, g in zip(it.lemmas, (lambda x: mpmath.exp(t0 * x), lambda x: x * mpmath.exp(t0 * x)), strict=True):
        assert mpmath.almosteq(_normal_expectation(g), float(evaluated(lemma.result).subs(t, t0)), 1e-12)


# -- the table and the figure -----------------------------------------------------------------------------------
def _oracle(key: str, which: int, m0: float) -> float:
    kl = m0**2 / 2
    mean = {"k1": kl, "k2": kl + m0**4 / 8, "k3": kl}[key]
    var = {"k1": m0**2, "k2": m0**4 / 2 + m0**6 / 4, "k3": math.expm1(m0**2) - m0**2}[key]
    return (mean - kl) / kl if which == 0 else math.sqrt(var) / kl


def test_table_holds_the_derived_ratios_rounded(doc):
    (table,) = [s.table for s in doc.sections if s.table is not None]
    assert [label for label, _ in table.rows] == ["bias / KL at {m_at_0}", "sd / KL at {m_at_0}",
                                                  "bias / KL at {m_at_1}", "sd / KL at {m_at_1}"]
    for r, (_, cells) in enumerate(table.rows):
        point, which = TABLE_POINTS[r // 2], r % 2
        for key, cell in zip(("k1", "k2", "k3"), cells, strict=True):
            assert float(cell) == pytest.approx(_oracle(key, which, float(point)), rel=5e-3, abs=1e-12)
    assert (Rational(1, 10), 1) == TABLE_POINTS


def test_table_in_the_markdown(doc):
    text = render(doc, "markdown")
    assert "| sd / KL at $m = \\frac{1}{10}$ | $20.0$ | $1.42$ | $1.42$ |" in text
    assert "| bias / KL at $m = 1$ | $0$ | $0.25$ | $0$ |" in text


def test_figure_is_drawn_from_the_derived_expressions(doc):
    (figure,) = [f for s in doc.sections for f in s.figures]
    data = figure_data(figure.plot)
    for key, curve in zip(("k1", "k2", "k3"), data["curves"], strict=True):
        expected = [_oracle(key, 1, x) for x in data["x"]]
        assert np.allclose(curve, expected, rtol=1e-9)



@pytest.mark.parametrize("point", POINTS)
def test_reparameterised_gradients_by_quadrature(point):
    """For f = tanh (no closed form used): the derivative of E_q[f(z)] (numerical differentiation of a quadrature
    over q) equals E_eps[f'(mu + sigma eps)] and E_eps[f'(mu + sigma eps) eps] (quadratures over the noise)."""
    mu0, s0 = map(mpmath.mpf, point)
    slope = lambda u: 1 / mpmath.cosh(u) ** 2  # noqa: E731
    mean = lambda a, b: _normal_expectation(mpmath.tanh, a, b)  # noqa: E731
    h = mpmath.mpf("1e-8")  # central differences: error of order h^2, far below the tolerance
    with mpmath.workdps(30):
        by_mu = (mean(mu0 + h, s0) - mean(mu0 - h, s0)) / (2 * h)
        by_sigma = (mean(mu0, s0 + h) - mean(mu0, s0 - h)) / (2 * h)
    assert mpmath.almosteq(by_mu, _normal_expectation(lambda e: slope(mu0 + s0 * e)), 1e-10)
    assert mpmath.almosteq(by_sigma, _normal_expectation(lambda e: slope(mu0 + s0 * e) * e), 1e-10)
