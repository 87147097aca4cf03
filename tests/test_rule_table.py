"""Before -> after, rule by rule: the table of what each rule of the engine writes.

As SymPy's ``manualintegrate`` tests assert the rule tree for an integrand, each row of :data:`ROWS` names a rule
by its key, the setting it runs in (a case's symbols, or a custom pair's: :data:`CONFIGURATIONS`), the line
before, and the line the rule must write. Both lines are SymPy expressions built here with the display-form
helpers (``add``, ``mul``, ``neg``, ``sub``, ``frac`` keep the order and grouping a document prints), so the rule's
output is compared with ``==``: the same tree, not merely the same value. A comment on each row says which
derivation the pair of lines comes from. Rows are grouped by the module that defines the rule.

Four tests: each row's rule writes its ``after`` (:func:`test_rule_rewrites_before_to_after`); each row is an
identity, checked by the checker the derivations use (:func:`test_each_row_is_an_identity`); the table names every
rule the engine has, module-level constants and every key the derivations record, lemmas and sections included
(:func:`test_table_covers_every_rule`, so a new rule without a row fails); and a key means one rule
(:func:`test_rule_keys_are_unique`).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from functools import cache
from typing import NamedTuple

import pytest
from sympy import (
    Abs,
    Basic,
    Derivative,
    Determinant,
    EulerGamma,
    Function,
    Identity,
    ImmutableMatrix,
    Indexed,
    IndexedBase,
    Integral,
    Inverse,
    MatAdd,
    MatMul,
    MatrixSymbol,
    Mul,
    Pow,
    Product,
    Rational,
    S,
    Subs,
    Sum,
    Symbol,
    Trace,
    Transpose,
    Tuple,
    ZeroMatrix,
    erf,
    exp,
    factorial,
    gamma,
    log,
    oo,
    pi,
    polygamma,
    simplify,
    sqrt,
)

import derivation
from derivation import derive
from derivation.cases.elbo import DECOMPOSITION_PLAN, standard_in_latent
from derivation.cases.estimators import Estimators
from derivation.cases.expfamily import agreement, in_natural_form
from derivation.cases.interpretation import Interpretation
from derivation.cases.reconstruction import PIXEL_PLAN
from derivation.cases.univariate import STANDARD_PLAN, UNIVARIATE_PLAN
from derivation.check.checker import Checker
from derivation.core.engine import Derivation, Rule
from derivation.core.forms import HALF, add, frac, mul, neg, sub
from derivation.core.functions import XLogY
from derivation.laws import (
    BernoulliLaw,
    BinomialLaw,
    ExponentialLaw,
    GammaLaw,
    GeometricLaw,
    LaplaceLaw,
    NormalLaw,
    PoissonLaw,
)
from derivation.laws.beta import BetaLaw
from derivation.laws.categorical import CategoricalLaw
from derivation.laws.dirichlet import DirichletLaw
from derivation.laws.expfamily import BASE, LOG_NORMALISER, NATURAL_FORMS, SLOPE, STATISTIC, ExponentialFamilyLaw
from derivation.laws.gumbel import GumbelLaw
from derivation.laws.halfnormal import HalfNormalLaw
from derivation.laws.pareto import ParetoLaw
from derivation.laws.uniform import UniformLaw
from derivation.nodes.scalar import KL, Density, Expectation, Marginal, MvDensity, Named, Partial
from derivation.nodes.vector import CodeLine, Diag, MatExpectation, QuadForm, SpaceIntegral, Vec
from derivation.pairs.univariate import CustomSetting, DefinitionsChecker
from derivation.rules.calculus import differentiate_derived, use_derived
from derivation.rules.decoder import pixel_result
from derivation.rules.elbo import completed_square, divergence_from_posterior, elbo_decomposed, paper_result
from derivation.rules.estimators import exponential_moments, log_ratio_rule, ratio_definition
from derivation.rules.terms import closed_form_at_rule
from derivation.settings.decoder import decoder_setting
from derivation.settings.model import model_setting
from derivation.settings.univariate import Notation

#: The settings rows run in: named cases, and custom pairs (the specs of tests/golden/make.py).
CONFIGURATIONS = {
    "univariate": {"case": "univariate"},
    "standard": {"case": "standard"},
    "estimators": {"case": "estimators"},
    "full": {"case": "full"},
    "diagonal": {"case": "diagonal"},
    "vae": {"case": "vae"},
    "pair-numbers": {"q": "Normal(1, 2)", "p": "Normal(0, 1)"},
    "pair-logvar": {"q": "Normal(m, logvar=v)", "p": "Normal(0, 1)"},
    "pair-diagonal": {"q": "DiagNormal(m, logvar=lv, dim=d)", "p": "DiagNormal(0, 1, dim=d)"},
    "pair-full": {"q": "MvNormal(m, cov=S, dim=k)", "p": "MvNormal(0, cov=1, dim=k)"},
    "pair-laplace": {"q": "Laplace(m, b)", "p": "Laplace(n, c)"},
    "elbo": {"case": "elbo"},
    "elbo-linear-gaussian": {"case": "elbo-linear-gaussian"},
    "reconstruction": {"case": "reconstruction"},
    "pair-bernoulli-logits": {"q": "Bernoulli(logits=l1)", "p": "Bernoulli(logits=l2)"},
    "pair-poisson": {"q": "Poisson(a)", "p": "Poisson(b)"},
    "pair-geometric": {"q": "Geometric(a)", "p": "Geometric(b)"},
    "pair-bernoulli-poisson": {"q": "Bernoulli(a)", "p": "Poisson(b)"},
    "pair-poisson-bernoulli": {"q": "Poisson(a)", "p": "Bernoulli(b)"},
    "pair-poisson-binomial": {"q": "Poisson(a)", "p": "Binomial(n, b)"},
    "pair-exponential": {"q": "Exponential(l1)", "p": "Exponential(l2)"},
    "pair-gamma": {"q": "Gamma(a1, rate=b1)", "p": "Gamma(a2, rate=b2)"},
    "pair-binomial-logits": {"q": "Binomial(7, logits=l1)", "p": "Binomial(7, logits=l2)"},
    "pair-normal-laplace": {"q": "Normal(m, s)", "p": "Laplace(b, c)"},
    "pair-laplace-normal": {"q": "Laplace(m, b)", "p": "Normal(mu, s)"},
    "pair-exponential-gamma": {"q": "Exponential(l)", "p": "Gamma(a, rate=b)"},
    "pair-gamma-exponential": {"q": "Gamma(a, rate=b)", "p": "Exponential(l)"},
    "pair-categorical-logits": {"q": "Categorical(logits=a, dim=K)", "p": "Categorical(logits=b, dim=K)"},
    "pair-categorical-uniform-q": {"q": "Categorical(1/K, K)", "p": "Categorical(b, K)"},
    "pair-categorical-uniform-p": {"q": "Categorical(a, K)", "p": "Categorical(1/K, K)"},
    "pair-uniform-beta": {"q": "Uniform(a, b)", "p": "Beta(a2, b2)"},
    "pair-uniform-exponential": {"q": "Uniform(a, b)", "p": "Exponential(l)"},
    "pair-gamma-normal": {"q": "Gamma(a, rate=r)", "p": "Normal(m, s)"},
    "pair-exponential-gumbel": {"q": "Exponential(l)", "p": "Gumbel(m, s)"},
    "pair-gumbel": {"q": "Gumbel(m1, b1)", "p": "Gumbel(m2, b2)"},
    "pair-gumbel-normal": {"q": "Gumbel(m, b)", "p": "Normal(mu, s)"},
    "pair-normal-gumbel": {"q": "Normal(m, s)", "p": "Gumbel(mu, b)"},
    "pair-exponential-normal": {"q": "Exponential(l)", "p": "Normal(mu, s)"},
    "pair-uniform-normal": {"q": "Uniform(a, b)", "p": "Normal(mu, s)"},
}

#: Every configuration whose derivation records rule keys (tests/golden/make.py derives the same).
DERIVED = (
    {"case": "univariate"},
    {"case": "standard"},
    {"case": "dynamics"},
    {"case": "estimators"},
    {"case": "full"},
    {"case": "diagonal"},
    {"case": "vae"},
    {"case": "diagonal", "dim": 3},
    {"case": "diagonal", "route": "kingma"},
    {"case": "diagonal", "route": "full"},
    {"case": "elbo"},
    {"case": "elbo-linear-gaussian"},
    {"case": "reconstruction"},
    *(
        {"q": q, "p": p}
        for q, p in (
            ("Normal(m, logvar=v)", "Normal(0, 1)"),
            ("Normal(m, precision=t)", "Normal(1, precision=u)"),
            ("Normal(1, 2)", "Normal(0, 1)"),
            ("DiagNormal(m, logvar=lv, dim=d)", "DiagNormal(0, 1, dim=d)"),
            ("MvNormal(m, cov=S, dim=k)", "MvNormal(0, cov=1, dim=k)"),
            ("Laplace(m, b)", "Laplace(n, c)"),
            ("Laplace(loc=m, scale=b)", "Laplace(0, 1)"),
            ("Bernoulli(a)", "Bernoulli(b)"),
            ("Bernoulli(logits=l1)", "Bernoulli(logits=l2)"),
            ("Poisson(a)", "Poisson(b)"),
            ("Geometric(a)", "Geometric(0.5)"),
            ("Bernoulli(a)", "Poisson(b)"),
            ("Poisson(a)", "Bernoulli(b)"),
            ("Exponential(l1)", "Exponential(l2)"),
            ("Exponential(scale=s)", "Exponential(2)"),
            ("Gamma(a1, rate=b1)", "Gamma(a2, rate=b2)"),
            ("Gamma(2, rate=3)", "Gamma(1, rate=1)"),
            ("Binomial(n, a)", "Binomial(n, b)"),
            ("Binomial(7, logits=l1)", "Binomial(7, logits=l2)"),
            ("Normal(m, s)", "Laplace(b, c)"),
            ("Laplace(m, b)", "Normal(mu, s)"),
            ("Exponential(l)", "Gamma(a, rate=b)"),
            ("Gamma(a, rate=b)", "Exponential(l)"),
            ("Categorical(t, K)", "Categorical(u, K)"),
            ("Categorical(logits=a, dim=K)", "Categorical(logits=b, dim=K)"),
            ("Uniform(a, b)", "Beta(a2, b2)"),
            ("Normal(m, s)", "Uniform(a, b)"),
            ("Gumbel(m1, b1)", "Gumbel(m2, b2)"),
            ("Gumbel(m, b)", "Normal(mu, s)"),
            ("Normal(m, s)", "Gumbel(mu, b)"),
            ("Exponential(l)", "Normal(mu, s)"),
            ("Uniform(a, b)", "Normal(mu, s)"),
        )
    ),
)


class _BernoulliPair:
    """Two Bernoulli laws (no case derives them yet): the setting of the discrete rules' rows."""

    def checker(self) -> Checker:
        return Checker([b_p, b_r], ranges={**q_bern.law.ranges(), **p_bern.law.ranges()})


@cache
def setting(name: str):
    if name == "bernoulli":
        return _BernoulliPair()
    if name == "reconstruction-bernoulli":
        return bernoulli_decoder
    if name.startswith("natural-"):
        return _NaturalInstance(next(law for law in NATURAL_FORMS if f"natural-{law.family.lower()}" == name))
    return derive(**CONFIGURATIONS[name]).setting


# -- the symbols and densities the rows are written in --------------------------------------------------------
x = Symbol("x", real=True)
mu = Symbol("mu", real=True)
sigma = Symbol("sigma", positive=True)
j = Symbol("j", integer=True, positive=True)
k = Symbol("k", integer=True, positive=True)
d = Symbol("d", integer=True, positive=True)
ell = Symbol("ell", real=True)
sigma2 = Symbol("sigma_p", positive=True)
sigma1 = Symbol("sigma_q", positive=True)
mu1 = Symbol("mu_q", real=True)
mu2 = Symbol("mu_p", real=True)
m = Symbol("m", real=True)
t = Symbol("t", positive=True)
lv = Symbol("lv", real=True)
z = Symbol("z", real=True)
sigma_q = Symbol("sigma_q", positive=True)
v = Symbol("v", real=True)
b_x = IndexedBase(x)
#: The closed form under its name, as the dynamics document's gradients use it.
K_named = Named("K", add(mul(Rational(1, 2), mu**2), mul(Rational(1, 2), add(sigma**2, neg(log(sigma**2)), -1))),
                Tuple(mu, sigma))
b_mu = IndexedBase(mu)
b_sigma = IndexedBase(sigma)
b_m = IndexedBase(m)
b_lv = IndexedBase(lv)
b_ell = IndexedBase(ell)
v_x = MatrixSymbol("x", d, 1)
v_xk = MatrixSymbol("x", k, 1)
v_mu2 = MatrixSymbol("mu_p", d, 1)
v_mu1 = MatrixSymbol("mu_q", d, 1)
M_Sigma1 = MatrixSymbol("Sigma_q", d, d)
M_Sigma2 = MatrixSymbol("Sigma_p", d, d)
v_m = MatrixSymbol("m", k, 1)
M_S = MatrixSymbol("S", k, k)
x_int = Symbol("x", integer=True, nonnegative=True)
b_p, b_r = Symbol("p", positive=True), Symbol("r", positive=True)
q_bern, p_bern = Density("q", x_int, BernoulliLaw(b_p)), Density("p", x_int, BernoulliLaw(b_r))
theta_q, theta_p = Symbol("theta_q", positive=True), Symbol("theta_p", positive=True)
k_int = Symbol("k", integer=True, nonnegative=True)
a_c, b_c = Symbol("a", positive=True), Symbol("b", positive=True)
q_pois, p_pois = Density("q", k_int, PoissonLaw(a_c)), Density("p", k_int, PoissonLaw(b_c))
q_geom = Density("q", k_int, GeometricLaw(a_c))
n_trials = Symbol("n", integer=True, positive=True)
l_1, l_2 = Symbol("l1", real=True), Symbol("l2", real=True)
q_x_mu_sigma = Density("q", x, NormalLaw(mu, sigma))
q_xj_muj_sigmaj_j = Marginal("q", Indexed(b_x, j), NormalLaw(Indexed(b_mu, j), Indexed(b_sigma, j)), j)
q_x_0_1 = Density("q", x, NormalLaw(0, 1))
p_x_0_2 = Density("p", x, NormalLaw(0, 2))
p_xj_0_1_j = Marginal("p", Indexed(b_x, j), NormalLaw(0, 1), j)
p_x_0_1 = Density("p", x, NormalLaw(0, 1))
q_xj_mj_sigmaj_j = Marginal("q", Indexed(b_x, j), NormalLaw(Indexed(b_m, j), Indexed(b_sigma, j)), j)
N_z_0_1 = Density("", z, NormalLaw(0, 1))
q_x_mu1_sigma1 = Density("q", x, NormalLaw(mu1, sigma1))
p_x_mu2_sigma2 = Density("p", x, NormalLaw(mu2, sigma2))
q_x_mu1_Sigma1 = MvDensity("q", v_x, v_mu1, M_Sigma1)
q_x_mu_diag = MvDensity("q", Vec(b_x, d), Vec(b_mu, d), Diag(Indexed(b_sigma, j) ** 2, j, d))
p_x_0_I = MvDensity("p", Vec(b_x, d), ZeroMatrix(d, 1), Identity(d))
q_x_m_S = MvDensity("q", v_xk, v_m, M_S)
p_x_0_I_2 = MvDensity("p", v_xk, ZeroMatrix(k, 1), Identity(k))
p_x_mu2_Sigma2 = MvDensity("p", v_x, v_mu2, M_Sigma2)
q_x_m_diag = MvDensity("q", Vec(b_x, d), Vec(b_m, d), Diag(Indexed(b_sigma, j) ** 2, j, d))

b_l = Symbol("b", positive=True)
c_l = Symbol("c", positive=True)
n_l = Symbol("n", real=True)
t_l = Symbol("t", real=True)
q_laplace = Density("q", x, LaplaceLaw(m, b_l))
nl_b, nl_s = Symbol("b", real=True), Symbol("s", positive=True)
q_nl, p_nl = Density("q", x, NormalLaw(m, nl_s)), Density("p", x, LaplaceLaw(nl_b, c_l))
gap_nl, x_m, x_b = sub(m, nl_b), sub(x, m), sub(x, nl_b)
w_nl = exp(neg(frac(x_m**2, mul(2, nl_s**2))), evaluate=False)  # the Gaussian weight
tail_nl = exp(neg(frac(gap_nl**2, mul(2, nl_s**2))), evaluate=False)  # the weight at b
erf_nl = erf(frac(gap_nl, mul(sqrt(2), nl_s)), evaluate=False)
c_nl = Pow(Pow(mul(2, pi, nl_s**2), S.Half, evaluate=False), -1, evaluate=False)  # 1/sqrt(2 pi s**2)
root_2_pi = Pow(frac(2, pi), S.Half, evaluate=False)
gap_ln, x_mu = sub(m, mu), sub(x, mu)
w_ln = exp(neg(frac(Abs(x_m, evaluate=False), b_l)), evaluate=False)  # the Laplace weight
eg_a, eg_l = Symbol("a", positive=True), Symbol("l", positive=True)
q_eg, q_ge = Density("q", x, ExponentialLaw(eg_l)), Density("q", x, GammaLaw(eg_a, b_l))
w_ln_t = exp(neg(frac(Abs(t_l, evaluate=False), b_l)), evaluate=False)  # centred
p_laplace = Density("p", x, LaplaceLaw(n_l, c_l))

l1, l2 = Symbol("l1", positive=True), Symbol("l2", positive=True)
q_exponential = Density("q", x, ExponentialLaw(l1))
p_exponential = Density("p", x, ExponentialLaw(l2))

g_a1, g_b1, g_a2, g_b2 = (Symbol(name, positive=True) for name in ("a1", "b1", "a2", "b2"))
q_gamma = Density("q", x, GammaLaw(g_a1, g_b1))
p_gamma = Density("p", x, GammaLaw(g_a2, g_b2))
#: The pieces of the Gamma rows: log q(x), log p(x), q's normaliser and weight, x**(a1 - 1), psi(a1).
log_q_gamma = add(mul(g_a1, log(g_b1)), neg(log(gamma(g_a1))), mul(sub(g_a1, S.One), log(x)), neg(mul(g_b1, x)))
log_p_gamma = add(mul(g_a2, log(g_b2)), neg(log(gamma(g_a2))), mul(sub(g_a2, S.One), log(x)), neg(mul(g_b2, x)))
c_gamma = frac(Pow(g_b1, g_a1, evaluate=False), gamma(g_a1))
x_a1 = Pow(x, sub(g_a1, S.One), evaluate=False)
w_gamma = exp(neg(mul(g_b1, x)), evaluate=False)
psi_a1 = polygamma(S.Zero, g_a1, evaluate=False)


#: The decoders of the reconstruction document: the data x_i, the output y_i (or logit eta_i), the noise scale s.
decoder = decoder_setting(Notation(), "gaussian")
bernoulli_decoder = decoder_setting(Notation(), "bernoulli")
x_px, y_px, eta_px, s_px = decoder.data, decoder.output, decoder.logits, decoder.s
i_px, D_px = decoder.index, decoder.dim
pixel_error = frac(sub(x_px[i_px], y_px[i_px]) ** 2, mul(2, s_px**2))
pixel_log_mass = add(mul(x_px[i_px], log(y_px[i_px])), mul(sub(1, x_px[i_px]), log(sub(1, y_px[i_px]))))
pixel_bce = add(neg(mul(x_px[i_px], log(y_px[i_px]))), neg(mul(sub(1, x_px[i_px]), log(sub(1, y_px[i_px])))))
sum_error = Sum(sub(x_px[i_px], y_px[i_px]) ** 2, (i_px, 1, D_px))
kl_decoder = KL(decoder.q, decoder.prior)

#: The model of the elbo documents: its densities (printed p(x, z), p(x | z), ...) and q over the latent z.
elbo_model = model_setting(Notation())
q_z, joint, likelihood, prior = elbo_model.q, elbo_model.joint, elbo_model.likelihood, elbo_model.prior
posterior, evidence, elbo_q = elbo_model.posterior, elbo_model.evidence, elbo_model.elbo
w_m, s_m = elbo_model.w, elbo_model.s
#: ``1/2 (1 + log t**2 - m**2 - t**2)``: minus the paper's closed form in q's parameters.
minus_paper = mul(Rational(1, 2), add(1, log(t**2), neg(m**2), neg(t**2)))
expected_log_likelihood = Expectation(log(likelihood), q_z)
likelihood_log_density = sub(mul(Rational(-1, 2), log(mul(2, pi, s_m**2))),
                             frac(sub(x, mul(w_m, z)) ** 2, mul(2, s_m**2)))
prior_log_density = sub(mul(Rational(-1, 2), log(mul(2, pi))), frac(z**2, 2))


class Row(NamedTuple):
    """Rule ``key`` in setting ``setting`` rewrites ``before`` to ``after``."""

    key: str
    setting: str
    before: Basic
    after: Basic


# the estimators document: q = N(mu, sigma^2) and p = N(0, 1) over z, the noise eps, Schulman's m
eps = Symbol("epsilon", real=True)
t_real = Symbol("t", real=True)
f_test = Function("f")
q_est = Density("q", z, NormalLaw(mu, sigma))
p_est = Density("p", z, NormalLaw(0, 1))
noise = Density("", eps, NormalLaw(0, 1))
standard_z = Density("", z, NormalLaw(0, 1))
sample = add(mu, mul(sigma, eps))
q_pair = Density("q", z, NormalLaw(0, 1))
p_pair = Density("p", z, NormalLaw(m, 1))
ratio = Named("r", frac(p_pair, q_pair), (z,))
log_r = add(mul(m, z), mul(Rational(-1, 2), m**2))

ROWS = [
    # -- derivation/rules/estimators.py and derivation/cases/estimators.py: the estimators document ---------------
    # from estimators, step 1
    Row("expectation-is-kl", "estimators", Expectation(sub(log(q_est), log(p_est)), q_est), KL(q_est, p_est)),
    # from estimators, step 2
    Row("closed-form-of-standard", "estimators", KL(q_est, p_est),
        mul(Rational(-1, 2), add(1, log(sigma**2), neg(mu**2), neg(sigma**2)))),
    # from estimators > Gradient in the mean, steps 1 to 3
    Row("reparameterise", "estimators", Derivative(Expectation(f_test(z), q_est), mu),
        Derivative(Expectation(f_test(sample), noise), mu)),
    Row("differentiate-inside", "estimators", Derivative(Expectation(f_test(sample), noise), mu),
        Expectation(Derivative(f_test(sample), mu), noise)),
    # from estimators > Gradient in the standard deviation, step 3
    Row("chain-rule-through-sample", "estimators", Expectation(Derivative(f_test(sample), sigma), noise),
        Expectation(mul(Function("f'")(sample), eps), noise)),
    # from estimators > Mean of k2, steps 2 to 4
    Row("collect-powers", "estimators",
        Expectation(mul(HALF, Pow(sub(mul(m, z), mul(HALF, m**2)), 2, evaluate=False)), standard_z),
        Expectation(add(mul(HALF, m**2, z**2), mul(Rational(-1, 2), m**3, z), mul(Rational(1, 8), m**4)), standard_z)),
    Row("expand-powers", "estimators",
        Expectation(Pow(add(mul(-1, m, z), neg(mul(HALF, m**2))), 2, evaluate=False), standard_z),
        Expectation(add(mul(m**2, z**2), mul(m**3, z), mul(Rational(1, 4), m**4)), standard_z)),
    # from estimators > Mean of k3, last step
    Row("collect-terms", "estimators",
        add(mul(exp(mul(Rational(-1, 2), m**2)), exp(mul(HALF, m**2))), mul(HALF, m**2), S.NegativeOne),
        mul(HALF, m**2)),
    # from estimators > The log-ratio, step 1
    Row("ratio-definition", "estimators", log(ratio), log(frac(p_pair, q_pair))),
    # from estimators > Mean of k1, step 1
    Row("log-ratio-derived", "estimators", Expectation(neg(log(ratio)), standard_z),
        Expectation(neg(log_r), standard_z)),
    # from estimators > Mean of k3, step 5
    Row("exponential-moments", "estimators",
        add(mul(exp(mul(Rational(-1, 2), m**2)), Expectation(exp(mul(m, z)), standard_z)), mul(HALF, m**2)),
        add(mul(exp(mul(Rational(-1, 2), m**2)), exp(mul(HALF, m**2))), mul(HALF, m**2))),
    # from estimators > Variance of the single-sample estimate, step 1
    Row("use-estimate", "estimators",
        Expectation(Pow(add(log(q_est), neg(log(p_est)), neg(Symbol("c", real=True))), 2, evaluate=False), q_est),
        # the energies as the laws write them: (z - mu)^2 / (2 sigma^2) and z^2 / 2
        Expectation(Pow(add(neg(log(sigma)), neg(q_est.energy()), p_est.energy(), neg(Symbol("c", real=True))), 2,
                        evaluate=False), q_est)),
    # from estimators > First exponential moment, step 1
    Row("exponential-tilt", "estimators", Expectation(mul(z, exp(mul(t_real, z))), standard_z),
        mul(Expectation(add(z, t_real), standard_z), exp(mul(HALF, Pow(t_real, 2))))),
    # -- derivation/cases/interpretation.py: the d-dimensional chain of the dynamics document ------------------
    # from dynamics > In d dimensions, steps 1 and 2
    Row(
        "sum-over-coordinates",
        "diagonal",
        KL(q_x_mu_diag, p_x_0_I),
        Sum(KL(q_xj_muj_sigmaj_j, p_xj_0_1_j), Tuple(j, 1, d)),
    ),
    Row(
        "closed-form-per-coordinate",
        "diagonal",
        Sum(KL(q_xj_muj_sigmaj_j, p_xj_0_1_j), Tuple(j, 1, d)),
        Sum(
            add(
                mul(Rational(1, 2), Indexed(b_mu, j) ** 2),
                mul(Rational(1, 2), add(Indexed(b_sigma, j) ** 2, neg(log(Indexed(b_sigma, j) ** 2)), -1)),
            ),
            Tuple(j, 1, d),
        ),
    ),
    # -- derivation/interpretation.py ---------------------------------------------------------------------------
    # from dynamics > section two-gaussians, step 2
    Row(
        "log-variance-general",
        "univariate",
        add(
            log(frac(sigma2, sigma1)),
            mul(Pow(mul(2, sigma2**2), -1, evaluate=False), add(sigma1**2, (sub(mu1, mu2)) ** 2)),
            Rational(-1, 2),
        ),
        add(
            sub(mul(Rational(1, 2), log(sigma2**2)), mul(Rational(1, 2), log(sigma1**2))),
            mul(Pow(mul(2, sigma2**2), -1, evaluate=False), add(sigma1**2, (sub(mu1, mu2)) ** 2)),
            Rational(-1, 2),
        ),
    ),
    # -- derivation/rules/algebra.py ----------------------------------------------------------------------------
    # from standard, step 8
    Row(
        "cancel-and-collect",
        "standard",
        add(
            neg(log(sigma)),
            mul(-1, Pow(mul(2, sigma**2), -1, evaluate=False), sigma**2),
            mul(Pow(2, -1, evaluate=False), Expectation(x**2, q_x_mu_sigma)),
        ),
        add(neg(log(sigma)), mul(Pow(2, -1, evaluate=False), Expectation(x**2, q_x_mu_sigma)), Rational(-1, 2)),
    ),
    # from Bernoulli(p1) against Bernoulli(p1), step 4
    Row("equal-laws", "pair-poisson",
        add(mul(sub(1, Symbol("p1", positive=True)), log(frac(sub(1, Symbol("p1", positive=True)),
                                                              sub(1, Symbol("p1", positive=True))))),
            mul(Symbol("p1", positive=True), log(frac(Symbol("p1", positive=True), Symbol("p1", positive=True))))),
        S.Zero),
    # from pair-numbers, step 11
    Row("collect-like-terms", "pair-numbers", add(neg(log(2)), Rational(5, 2), Rational(-1, 2)), sub(2, log(2))),
    # from dynamics, step 11
    Row(
        "distribute",
        "standard",
        add(
            mul(Rational(-1, 2), log(sigma**2)), mul(Pow(2, -1, evaluate=False), add(sigma**2, mu**2)), Rational(-1, 2)
        ),
        add(
            mul(Rational(-1, 2), log(sigma**2)),
            mul(Rational(1, 2), sigma**2),
            mul(Rational(1, 2), mu**2),
            Rational(-1, 2),
        ),
    ),
    # from full, step 10
    Row(
        "distribute",
        "full",
        add(
            mul(Rational(1, 2), log(frac(Determinant(M_Sigma2), Determinant(M_Sigma1)))),
            mul(Rational(-1, 2), d),
            mul(
                Rational(1, 2),
                add(
                    Trace(mul(Inverse(M_Sigma2, -1), M_Sigma1)),
                    QuadForm(MatAdd(v_mu1, neg(v_mu2)), Inverse(M_Sigma2, -1), MatAdd(v_mu1, neg(v_mu2))),
                ),
            ),
        ),
        add(
            mul(Rational(1, 2), log(frac(Determinant(M_Sigma2), Determinant(M_Sigma1)))),
            mul(Rational(-1, 2), d),
            mul(Rational(1, 2), Trace(mul(Inverse(M_Sigma2, -1), M_Sigma1))),
            mul(Rational(1, 2), QuadForm(MatAdd(v_mu1, neg(v_mu2)), Inverse(M_Sigma2, -1), MatAdd(v_mu1, neg(v_mu2)))),
        ),
    ),
    # from standard, step 11
    Row(
        "vae-form",
        "standard",
        add(
            mul(Rational(-1, 2), log(sigma**2)), mul(Pow(2, -1, evaluate=False), add(sigma**2, mu**2)), Rational(-1, 2)
        ),
        mul(Rational(-1, 2), add(1, log(sigma**2), neg(mu**2), neg(sigma**2))),
    ),
    # -- derivation/rules/calculus.py ---------------------------------------------------------------------------
    # from dynamics > section gradients, step 1
    Row(
        "chain-rule",
        "standard",
        Derivative(
            Subs(
                Named(
                    "K",
                    add(mul(Rational(1, 2), mu**2), mul(Rational(1, 2), add(sigma**2, neg(log(sigma**2)), -1))),
                    Tuple(mu, sigma),
                ),
                Tuple(sigma),
                Tuple(exp(mul(Rational(1, 2), ell))),
            ),
            Tuple(ell, 1),
        ),
        mul(
            Subs(
                Derivative(
                    Named(
                        "K",
                        add(mul(Rational(1, 2), mu**2), mul(Rational(1, 2), add(sigma**2, neg(log(sigma**2)), -1))),
                        Tuple(mu, sigma),
                    ),
                    Tuple(sigma, 1),
                ),
                Tuple(sigma),
                Tuple(exp(mul(Rational(1, 2), ell))),
            ),
            Derivative(exp(mul(Rational(1, 2), ell)), Tuple(ell, 1)),
        ),
    ),
    # from dynamics > section gradients, step 1
    Row(
        "define-named",
        "standard",
        Named(
            "K",
            add(mul(Rational(1, 2), mu**2), mul(Rational(1, 2), add(sigma**2, neg(log(sigma**2)), -1))),
            Tuple(mu, sigma),
        ),
        add(mul(Rational(1, 2), mu**2), mul(Rational(1, 2), add(sigma**2, neg(log(sigma**2)), -1))),
    ),
    # from dynamics > section minimum, step 1
    Row(
        "differentiate-term-by-term",
        "standard",
        Derivative(sub(1, 1 / t), Tuple(t, 1)),
        neg(Derivative(1 / t, Tuple(t, 1))),
    ),
    # from dynamics > section gradients, step 1
    Row("elementary-derivatives", "standard", Derivative(mul(Rational(1, 2), mul(2, mu)), Tuple(ell, 1)), S(0)),
    # from dynamics > section gradients, step 3
    Row(
        "log-of-exp",
        "standard",
        add(mul(Rational(1, 2), mu**2), mul(Rational(1, 2), add(exp(ell), neg(log(exp(ell), evaluate=False)), -1))),
        add(mul(Rational(1, 2), mu**2), mul(Rational(1, 2), add(exp(ell), neg(ell), -1))),
    ),
    # from dynamics > section gradients, step 3
    Row("multiply-out", "standard", add(1, mul(-1, neg(sigma**-2))), add(1, sigma**-2)),
    # from dynamics > section gradients (gradient in the log-variance), step 5
    Row(
        "multiply-exponentials",
        "standard",
        mul(
            sub(exp(mul(Rational(1, 2), ell)), exp(mul(Rational(-1, 2), ell))),
            mul(Rational(1, 2), exp(mul(Rational(1, 2), ell))),
        ),
        mul(Rational(1, 2), sub(exp(ell), S(1))),
    ),
    # from dynamics > section gradients (curvature in the standard deviation), step 1
    Row(
        "differentiate-derived-gradient",
        "standard",
        Derivative(K_named, Tuple(sigma, 2)),
        Partial(sigma - 1 / sigma, Tuple(sigma, 1)),
    ),
    # from dynamics > section gradients (curvature in the standard deviation), step 3: no -(-1/sigma^2)
    Row(
        "elementary-derivatives",
        "standard",
        sub(Partial(sigma, Tuple(sigma, 1)), Derivative(1 / sigma, Tuple(sigma, 1))),
        add(1, sigma**-2),
    ),
    # from dynamics > section gradients, step 1
    Row(
        "second-derivatives",
        "standard",
        Named("H", ImmutableMatrix([[mul(Rational(1, 2), 2), 0], [0, mul(Rational(1, 2), exp(ell))]]), Tuple(mu, ell)),
        ImmutableMatrix([[mul(Rational(1, 2), 2), S(0)], [S(0), mul(Rational(1, 2), exp(ell))]]),
    ),
    # from dynamics > section gradients, step 4
    Row(
        "substitute",
        "standard",
        mul(
            Subs(sub(sigma, 1 / sigma), Tuple(sigma), Tuple(exp(mul(Rational(1, 2), ell)))),
            mul(Rational(1, 2), exp(mul(Rational(1, 2), ell))),
        ),
        mul(
            sub(exp(mul(Rational(1, 2), ell)), exp(mul(Rational(-1, 2), ell))),
            mul(Rational(1, 2), exp(mul(Rational(1, 2), ell))),
        ),
    ),
    # from dynamics > section two-gaussians, step 1
    Row(
        "use-closed-form",
        "univariate",
        KL(q_x_mu1_sigma1, p_x_mu2_sigma2),
        add(
            log(frac(sigma2, sigma1)),
            mul(Pow(mul(2, sigma2**2), -1, evaluate=False), add(sigma1**2, (sub(mu1, mu2)) ** 2)),
            Rational(-1, 2),
        ),
    ),
    # made here: the derivations use it with lemmas of the dynamics document
    Row(
        "use-derived-result",
        "univariate",
        KL(q_x_mu1_sigma1, p_x_mu2_sigma2),
        add(
            log(frac(sigma2, sigma1)),
            mul(Pow(mul(2, sigma2**2), -1, evaluate=False), add(sigma1**2, (sub(mu1, mu2)) ** 2)),
            Rational(-1, 2),
        ),
    ),
    # made here: the rule without a derivation of its own (title: Write out)
    Row(
        "write-out",
        "standard",
        Named(
            "K",
            add(mul(Rational(1, 2), mu**2), mul(Rational(1, 2), add(sigma**2, neg(log(sigma**2)), -1))),
            Tuple(mu, sigma),
        ),
        add(mul(Rational(1, 2), mu**2), mul(Rational(1, 2), add(sigma**2, neg(log(sigma**2)), -1))),
    ),
    # from dynamics > section gradients, step 1
    Row(
        "write-out-as-defined",
        "standard",
        Derivative(
            Named(
                "K",
                add(mul(Rational(1, 2), mu**2), mul(Rational(1, 2), add(sigma**2, neg(log(sigma**2)), -1))),
                Tuple(mu, sigma),
            ),
            Tuple(mu, 1),
        ),
        Derivative(
            add(mul(Rational(1, 2), mu**2), mul(Rational(1, 2), add(sigma**2, neg(log(sigma**2)), -1))), Tuple(mu, 1)
        ),
    ),
    # -- derivation/rules/definition.py -------------------------------------------------------------------------
    # from diagonal-kingma > lemma of negative-entropy, step 1
    Row(
        "integral-as-expectation",
        "diagonal",
        SpaceIntegral(mul(q_x_mu_diag, log(q_x_mu_diag)), Vec(b_x, d)),
        Expectation(log(q_x_mu_diag), q_x_mu_diag),
    ),
    # from full, step 2
    Row(
        "integral-as-expectation",
        "full",
        SpaceIntegral(mul(q_x_mu1_Sigma1, log(frac(q_x_mu1_Sigma1, p_x_mu2_Sigma2))), v_x),
        Expectation(log(frac(q_x_mu1_Sigma1, p_x_mu2_Sigma2)), q_x_mu1_Sigma1),
    ),
    # from standard, step 2
    Row(
        "integral-as-expectation",
        "standard",
        Integral(mul(q_x_mu_sigma, log(frac(q_x_mu_sigma, p_x_0_1))), Tuple(x, -oo, oo)),
        Expectation(log(frac(q_x_mu_sigma, p_x_0_1)), q_x_mu_sigma),
    ),
    # from full, step 1
    Row(
        "kl-definition",
        "full",
        KL(q_x_mu1_Sigma1, p_x_mu2_Sigma2),
        SpaceIntegral(mul(q_x_mu1_Sigma1, log(frac(q_x_mu1_Sigma1, p_x_mu2_Sigma2))), v_x),
    ),
    # from diagonal, step 1
    Row(
        "kl-definition",
        "diagonal",
        KL(q_x_mu_diag, p_x_0_I),
        SpaceIntegral(mul(q_x_mu_diag, log(frac(q_x_mu_diag, p_x_0_I))), Vec(b_x, d)),
    ),
    # from standard, step 1
    Row(
        "kl-definition",
        "standard",
        KL(q_x_mu_sigma, p_x_0_1),
        Integral(mul(q_x_mu_sigma, log(frac(q_x_mu_sigma, p_x_0_1))), Tuple(x, -oo, oo)),
    ),
    # -- derivation/rules/counts.py ------------------------------------------------------------------------------
    # from Poisson(a) vs Poisson(b), steps 4, 5 and 7
    Row(
        "log-masses",
        "pair-poisson",
        Expectation(sub(log(q_pois), log(p_pois)), q_pois),
        Expectation(sub(add(mul(k_int, log(a_c)), neg(a_c), neg(log(factorial(k_int)))),
                        add(mul(k_int, log(b_c)), neg(b_c), neg(log(factorial(k_int))))), q_pois),
    ),
    Row(
        "combine-log-masses",
        "pair-poisson",
        Expectation(sub(add(mul(k_int, log(a_c)), neg(a_c), neg(log(factorial(k_int)))),
                        add(mul(k_int, log(b_c)), neg(b_c), neg(log(factorial(k_int))))), q_pois),
        Expectation(add(mul(k_int, log(frac(a_c, b_c))), neg(a_c), b_c), q_pois),
    ),
    Row(
        "mean-of-count",
        "pair-poisson",
        add(mul(log(frac(a_c, b_c)), Expectation(k_int, q_pois)), neg(a_c), b_c),
        add(mul(a_c, log(frac(a_c, b_c))), neg(a_c), b_c),
    ),
    # from Geometric(a) vs Geometric(b), step 7: the mean (1 - a)/a
    Row(
        "mean-of-count",
        "pair-geometric",
        add(mul(log(frac(sub(1, a_c), sub(1, b_c))), Expectation(k_int, q_geom)), log(frac(a_c, b_c))),
        add(mul(frac(sub(1, a_c), a_c), log(frac(sub(1, a_c), sub(1, b_c)))), log(frac(a_c, b_c))),
    ),
    # -- derivation/rules/cross.py (Normal(m, s) against Laplace(b, c)) ---------------------------------------
    # from pair-normal-laplace, step 4
    Row(
        "pair-log-densities",
        "pair-normal-laplace",
        Expectation(add(log(q_nl, evaluate=False), mul(S.NegativeOne, log(p_nl, evaluate=False))), q_nl),
        Expectation(
            add(
                add(
                    mul(Rational(-1, 2), log(mul(S(2), pi, nl_s**2), evaluate=False)),
                    mul(
                        S.NegativeOne,
                        mul(Pow(x_m, S(2), evaluate=False), Pow(mul(S(2), nl_s**2), S.NegativeOne, evaluate=False)),
                    ),
                ),
                mul(
                    S.NegativeOne,
                    add(
                        mul(S.NegativeOne, log(mul(S(2), c_l), evaluate=False)),
                        mul(S.NegativeOne, mul(Abs(x_b, evaluate=False), Pow(c_l, -1, evaluate=False))),
                    ),
                ),
            ),
            q_nl,
        ),
    ),
    # from pair-normal-laplace, step 5
    Row(
        "combine-normal-laplace-log-densities",
        "pair-normal-laplace",
        Expectation(
            add(
                add(
                    mul(Rational(-1, 2), log(mul(S(2), pi, nl_s**2), evaluate=False)),
                    mul(
                        S.NegativeOne,
                        mul(Pow(x_m, S(2), evaluate=False), Pow(mul(S(2), nl_s**2), S.NegativeOne, evaluate=False)),
                    ),
                ),
                mul(
                    S.NegativeOne,
                    add(
                        mul(S.NegativeOne, log(mul(S(2), c_l), evaluate=False)),
                        mul(S.NegativeOne, mul(Abs(x_b, evaluate=False), Pow(c_l, -1, evaluate=False))),
                    ),
                ),
            ),
            q_nl,
        ),
        Expectation(
            add(
                mul(Rational(-1, 2), log(mul(S(2), pi, nl_s**2), evaluate=False)),
                log(mul(S(2), c_l), evaluate=False),
                mul(
                    S.NegativeOne,
                    mul(Pow(x_m, S(2), evaluate=False), Pow(mul(S(2), nl_s**2), S.NegativeOne, evaluate=False)),
                ),
                mul(Abs(x_b, evaluate=False), Pow(c_l, -1, evaluate=False)),
            ),
            q_nl,
        ),
    ),
    # from pair-normal-laplace, step 8
    Row(
        "gaussian-absolute-moment",
        "pair-normal-laplace",
        add(
            mul(Rational(-1, 2), log(mul(S(2), pi, nl_s**2), evaluate=False)),
            log(mul(S(2), c_l), evaluate=False),
            mul(S.NegativeOne, Pow(mul(S(2), nl_s**2), S.NegativeOne, evaluate=False), nl_s**2),
            mul(Pow(c_l, -1, evaluate=False), Expectation(Abs(x_b, evaluate=False), q_nl)),
        ),
        add(
            mul(Rational(-1, 2), log(mul(S(2), pi, nl_s**2), evaluate=False)),
            log(mul(S(2), c_l), evaluate=False),
            mul(S.NegativeOne, Pow(mul(S(2), nl_s**2), S.NegativeOne, evaluate=False), nl_s**2),
            mul(Pow(c_l, -1, evaluate=False), add(mul(root_2_pi, nl_s, tail_nl), mul(gap_nl, erf_nl))),
        ),
    ),
    # from pair-normal-laplace > lemma Mean distance of a Gaussian variable from a point, step 1
    Row(
        "normal-expectation-as-integral",
        "pair-normal-laplace",
        Expectation(Abs(x_b, evaluate=False), q_nl),
        mul(c_nl, Integral(mul(Abs(x_b, evaluate=False), w_nl), (x, -oo, oo))),
    ),
    # from pair-normal-laplace > lemma Mean distance of a Gaussian variable from a point, step 3
    Row(
        "linear-about-the-mean",
        "pair-normal-laplace",
        add(
            mul(
                S.NegativeOne,
                c_nl,
                Integral(
                    mul(
                        x_b,
                        exp(
                            mul(Rational(-1, 2), Pow(nl_s, S(-2), evaluate=False), Pow(x_m, S(2), evaluate=False)),
                            evaluate=False,
                        ),
                    ),
                    (x, -oo, nl_b),
                ),
            ),
            mul(
                c_nl,
                Integral(
                    mul(
                        x_b,
                        exp(
                            mul(Rational(-1, 2), Pow(nl_s, S(-2), evaluate=False), Pow(x_m, S(2), evaluate=False)),
                            evaluate=False,
                        ),
                    ),
                    (x, nl_b, oo),
                ),
            ),
        ),
        add(
            mul(
                S.NegativeOne,
                c_nl,
                Integral(
                    mul(
                        add(x_m, gap_nl),
                        exp(
                            mul(Rational(-1, 2), Pow(nl_s, S(-2), evaluate=False), Pow(x_m, S(2), evaluate=False)),
                            evaluate=False,
                        ),
                    ),
                    (x, -oo, nl_b),
                ),
            ),
            mul(
                c_nl,
                Integral(
                    mul(
                        add(x_m, gap_nl),
                        exp(
                            mul(Rational(-1, 2), Pow(nl_s, S(-2), evaluate=False), Pow(x_m, S(2), evaluate=False)),
                            evaluate=False,
                        ),
                    ),
                    (x, nl_b, oo),
                ),
            ),
        ),
    ),
    # from pair-normal-laplace > lemma Mean distance of a Gaussian variable from a point, step 4
    Row(
        "integrate-gaussian-pieces",
        "pair-normal-laplace",
        add(
            mul(
                S.NegativeOne,
                c_nl,
                Integral(
                    mul(
                        add(x_m, gap_nl),
                        exp(
                            mul(Rational(-1, 2), Pow(nl_s, S(-2), evaluate=False), Pow(x_m, S(2), evaluate=False)),
                            evaluate=False,
                        ),
                    ),
                    (x, -oo, nl_b),
                ),
            ),
            mul(
                c_nl,
                Integral(
                    mul(
                        add(x_m, gap_nl),
                        exp(
                            mul(Rational(-1, 2), Pow(nl_s, S(-2), evaluate=False), Pow(x_m, S(2), evaluate=False)),
                            evaluate=False,
                        ),
                    ),
                    (x, nl_b, oo),
                ),
            ),
        ),
        add(
            mul(c_nl, nl_s**2, tail_nl),
            mul(S.NegativeOne, Rational(1, 2), gap_nl, add(S(1), mul(S.NegativeOne, erf_nl))),
            mul(c_nl, nl_s**2, tail_nl),
            mul(Rational(1, 2), gap_nl, add(S(1), erf_nl)),
        ),
    ),
    # from pair-normal-laplace > lemma Mean distance of a Gaussian variable from a point, step 5
    Row(
        "collect-folded-mean",
        "pair-normal-laplace",
        add(
            mul(c_nl, nl_s**2, tail_nl),
            mul(S.NegativeOne, Rational(1, 2), gap_nl, add(S(1), mul(S.NegativeOne, erf_nl))),
            mul(c_nl, nl_s**2, tail_nl),
            mul(Rational(1, 2), gap_nl, add(S(1), erf_nl)),
        ),
        add(mul(root_2_pi, nl_s, tail_nl), mul(gap_nl, erf_nl)),
    ),
    # from pair-normal-laplace, step 9
    Row(
        "collect-normal-laplace",
        "pair-normal-laplace",
        add(
            mul(Rational(-1, 2), log(mul(S(2), pi, nl_s**2), evaluate=False)),
            log(mul(S(2), c_l), evaluate=False),
            mul(S.NegativeOne, Pow(mul(S(2), nl_s**2), S.NegativeOne, evaluate=False), nl_s**2),
            mul(Pow(c_l, -1, evaluate=False), add(mul(root_2_pi, nl_s, tail_nl), mul(gap_nl, erf_nl))),
        ),
        add(
            log(mul(c_l, Pow(nl_s, -1, evaluate=False)), evaluate=False),
            mul(root_2_pi, mul(nl_s, Pow(c_l, -1, evaluate=False)), tail_nl),
            mul(mul(gap_nl, Pow(c_l, -1, evaluate=False)), erf_nl),
            mul(Rational(1, 2), log(mul(S(2), Pow(pi, -1, evaluate=False)), evaluate=False)),
            Rational(-1, 2),
        ),
    ),
    # -- derivation/rules/cross.py (Laplace(m, b) against Normal(mu, s)) --------------------------------------
    # from pair-laplace-normal, step 5
    Row(
        "combine-laplace-normal-log-densities",
        "pair-laplace-normal",
        Expectation(
            add(
                add(
                    mul(S.NegativeOne, log(mul(S(2), b_l), evaluate=False)),
                    mul(S.NegativeOne, mul(Abs(x_m, evaluate=False), Pow(b_l, -1, evaluate=False))),
                ),
                mul(
                    S.NegativeOne,
                    add(
                        mul(Rational(-1, 2), log(mul(S(2), pi, nl_s**2), evaluate=False)),
                        mul(
                            S.NegativeOne,
                            mul(
                                Pow(x_mu, S(2), evaluate=False), Pow(mul(S(2), nl_s**2), S.NegativeOne, evaluate=False)
                            ),
                        ),
                    ),
                ),
            ),
            q_laplace,
        ),
        Expectation(
            add(
                mul(S.NegativeOne, log(mul(S(2), b_l), evaluate=False)),
                mul(Rational(1, 2), log(mul(S(2), pi, nl_s**2), evaluate=False)),
                mul(S.NegativeOne, mul(Abs(x_m, evaluate=False), Pow(b_l, -1, evaluate=False))),
                mul(Pow(x_mu, S(2), evaluate=False), Pow(mul(S(2), nl_s**2), S.NegativeOne, evaluate=False)),
            ),
            q_laplace,
        ),
    ),
    # from pair-laplace-normal, step 8
    Row(
        "laplace-shifted-second-moment",
        "pair-laplace-normal",
        add(
            mul(S.NegativeOne, log(mul(S(2), b_l), evaluate=False)),
            mul(Rational(1, 2), log(mul(S(2), pi, nl_s**2), evaluate=False)),
            mul(S.NegativeOne, Pow(b_l, -1, evaluate=False), b_l),
            mul(
                Pow(mul(S(2), nl_s**2), S.NegativeOne, evaluate=False),
                Expectation(Pow(x_mu, S(2), evaluate=False), q_laplace),
            ),
        ),
        add(
            mul(S.NegativeOne, log(mul(S(2), b_l), evaluate=False)),
            mul(Rational(1, 2), log(mul(S(2), pi, nl_s**2), evaluate=False)),
            mul(S.NegativeOne, Pow(b_l, -1, evaluate=False), b_l),
            mul(
                Pow(mul(S(2), nl_s**2), S.NegativeOne, evaluate=False),
                add(mul(S(2), b_l**2), Pow(gap_ln, S(2), evaluate=False)),
            ),
        ),
    ),
    # from pair-laplace-normal > lemma Second moment of a Laplace variable about a point, step 4
    Row(
        "laplace-first-central-moment",
        "pair-laplace-normal",
        add(
            Expectation(Pow(x_m, S(2), evaluate=False), q_laplace),
            mul(S(2), gap_ln, Expectation(x_m, q_laplace)),
            Pow(gap_ln, S(2), evaluate=False),
        ),
        add(Expectation(Pow(x_m, S(2), evaluate=False), q_laplace), Pow(gap_ln, S(2), evaluate=False)),
    ),
    # from pair-laplace-normal > ... > lemma First central moment of a Laplace variable, step 4
    Row(
        "integrate-power-pieces",
        "pair-laplace-normal",
        add(
            mul(
                Pow(mul(S(2), b_l), S.NegativeOne, evaluate=False),
                Integral(mul(t_l, exp(mul(t_l, Pow(b_l, -1, evaluate=False)), evaluate=False)), (t_l, -oo, S(0))),
            ),
            mul(
                Pow(mul(S(2), b_l), S.NegativeOne, evaluate=False),
                Integral(
                    mul(t_l, exp(mul(S.NegativeOne, t_l, Pow(b_l, -1, evaluate=False)), evaluate=False)),
                    (t_l, S(0), oo),
                ),
            ),
        ),
        add(
            mul(Pow(mul(S(2), b_l), S.NegativeOne, evaluate=False), mul(S.NegativeOne, b_l**2)),
            mul(Pow(mul(S(2), b_l), S.NegativeOne, evaluate=False), b_l**2),
        ),
    ),
    # from pair-laplace-normal > lemma Second moment of a Laplace variable about a point, step 5
    Row(
        "laplace-second-central-moment",
        "pair-laplace-normal",
        add(Expectation(Pow(x_m, S(2), evaluate=False), q_laplace), Pow(gap_ln, S(2), evaluate=False)),
        add(mul(S(2), b_l**2), Pow(gap_ln, S(2), evaluate=False)),
    ),
    # from pair-laplace-normal > ... > lemma Second central moment of a Laplace variable, step 4
    Row(
        "integrate-power-pieces",
        "pair-laplace-normal",
        add(
            mul(
                Pow(mul(S(2), b_l), S.NegativeOne, evaluate=False),
                Integral(
                    mul(Pow(t_l, S(2), evaluate=False), exp(mul(t_l, Pow(b_l, -1, evaluate=False)), evaluate=False)),
                    (t_l, -oo, S(0)),
                ),
            ),
            mul(
                Pow(mul(S(2), b_l), S.NegativeOne, evaluate=False),
                Integral(
                    mul(
                        Pow(t_l, S(2), evaluate=False),
                        exp(mul(S.NegativeOne, t_l, Pow(b_l, -1, evaluate=False)), evaluate=False),
                    ),
                    (t_l, S(0), oo),
                ),
            ),
        ),
        add(b_l**2, b_l**2),
    ),
    # from pair-laplace-normal, step 9
    Row(
        "collect-laplace-normal",
        "pair-laplace-normal",
        add(
            mul(S.NegativeOne, log(mul(S(2), b_l), evaluate=False)),
            mul(Rational(1, 2), log(mul(S(2), pi, nl_s**2), evaluate=False)),
            mul(S.NegativeOne, Pow(b_l, -1, evaluate=False), b_l),
            mul(
                Pow(mul(S(2), nl_s**2), S.NegativeOne, evaluate=False),
                add(mul(S(2), b_l**2), Pow(gap_ln, S(2), evaluate=False)),
            ),
        ),
        add(
            log(mul(nl_s, Pow(b_l, -1, evaluate=False)), evaluate=False),
            mul(b_l**2, Pow(nl_s**2, S.NegativeOne, evaluate=False)),
            mul(Pow(gap_ln, S(2), evaluate=False), Pow(mul(S(2), nl_s**2), S.NegativeOne, evaluate=False)),
            mul(Rational(-1, 2), log(mul(S(2), Pow(pi, -1, evaluate=False)), evaluate=False)),
            S.NegativeOne,
        ),
    ),
    # -- derivation/rules/cross.py (Exponential(l) and Gamma(a, rate=b) against each other) ------------------
    # from pair-exponential-gamma, step 5
    Row(
        "combine-exponential-gamma-log-densities",
        "pair-exponential-gamma",
        Expectation(
            add(
                add(log(eg_l, evaluate=False), mul(S.NegativeOne, mul(eg_l, x))),
                mul(
                    S.NegativeOne,
                    add(
                        mul(eg_a, log(b_l, evaluate=False)),
                        mul(S.NegativeOne, log(gamma(eg_a), evaluate=False)),
                        mul(add(eg_a, S.NegativeOne), log(x, evaluate=False)),
                        mul(S.NegativeOne, mul(b_l, x)),
                    ),
                ),
            ),
            q_eg,
        ),
        Expectation(
            add(
                log(eg_l, evaluate=False),
                mul(
                    S.NegativeOne,
                    add(mul(eg_a, log(b_l, evaluate=False)), mul(S.NegativeOne, log(gamma(eg_a), evaluate=False))),
                ),
                mul(S.NegativeOne, mul(eg_l, x)),
                mul(b_l, x),
                mul(S.NegativeOne, mul(add(eg_a, S.NegativeOne), log(x, evaluate=False))),
            ),
            q_eg,
        ),
    ),
    # from pair-exponential-gamma, step 8
    Row(
        "exponential-log-moment",
        "pair-exponential-gamma",
        add(
            log(eg_l, evaluate=False),
            mul(
                S.NegativeOne,
                add(mul(eg_a, log(b_l, evaluate=False)), mul(S.NegativeOne, log(gamma(eg_a), evaluate=False))),
            ),
            mul(S.NegativeOne, eg_l, Pow(eg_l, -1, evaluate=False)),
            mul(b_l, Pow(eg_l, -1, evaluate=False)),
            mul(S.NegativeOne, add(eg_a, S.NegativeOne), Expectation(log(x, evaluate=False), q_eg)),
        ),
        add(
            log(eg_l, evaluate=False),
            mul(
                S.NegativeOne,
                add(mul(eg_a, log(b_l, evaluate=False)), mul(S.NegativeOne, log(gamma(eg_a), evaluate=False))),
            ),
            mul(S.NegativeOne, eg_l, Pow(eg_l, -1, evaluate=False)),
            mul(b_l, Pow(eg_l, -1, evaluate=False)),
            mul(
                S.NegativeOne,
                add(eg_a, S.NegativeOne),
                add(polygamma(S.Zero, S(1), evaluate=False), mul(S.NegativeOne, log(eg_l, evaluate=False))),
            ),
        ),
    ),
    # from pair-exponential-gamma, step 9
    Row(
        "collect-exponential-gamma",
        "pair-exponential-gamma",
        add(
            log(eg_l, evaluate=False),
            mul(
                S.NegativeOne,
                add(mul(eg_a, log(b_l, evaluate=False)), mul(S.NegativeOne, log(gamma(eg_a), evaluate=False))),
            ),
            mul(S.NegativeOne, eg_l, Pow(eg_l, -1, evaluate=False)),
            mul(b_l, Pow(eg_l, -1, evaluate=False)),
            mul(
                S.NegativeOne,
                add(eg_a, S.NegativeOne),
                add(polygamma(S.Zero, S(1), evaluate=False), mul(S.NegativeOne, log(eg_l, evaluate=False))),
            ),
        ),
        add(
            mul(eg_a, log(mul(eg_l, Pow(b_l, -1, evaluate=False)), evaluate=False)),
            mul(b_l, Pow(eg_l, -1, evaluate=False)),
            log(gamma(eg_a), evaluate=False),
            mul(S.NegativeOne, mul(add(eg_a, S.NegativeOne), polygamma(S.Zero, S(1), evaluate=False))),
            S.NegativeOne,
        ),
    ),
    # from pair-gamma-exponential, step 5
    Row(
        "combine-gamma-exponential-log-densities",
        "pair-gamma-exponential",
        Expectation(
            add(
                add(
                    mul(eg_a, log(b_l, evaluate=False)),
                    mul(S.NegativeOne, log(gamma(eg_a), evaluate=False)),
                    mul(add(eg_a, S.NegativeOne), log(x, evaluate=False)),
                    mul(S.NegativeOne, mul(b_l, x)),
                ),
                mul(S.NegativeOne, add(log(eg_l, evaluate=False), mul(S.NegativeOne, mul(eg_l, x)))),
            ),
            q_ge,
        ),
        Expectation(
            add(
                mul(eg_a, log(b_l, evaluate=False)),
                mul(S.NegativeOne, log(gamma(eg_a), evaluate=False)),
                mul(S.NegativeOne, log(eg_l, evaluate=False)),
                mul(S.NegativeOne, mul(b_l, x)),
                mul(add(eg_a, S.NegativeOne), log(x, evaluate=False)),
                mul(eg_l, x),
            ),
            q_ge,
        ),
    ),
    # from pair-gamma-exponential, step 9
    Row(
        "collect-gamma-exponential",
        "pair-gamma-exponential",
        add(
            mul(eg_a, log(b_l, evaluate=False)),
            mul(S.NegativeOne, log(gamma(eg_a), evaluate=False)),
            mul(S.NegativeOne, log(eg_l, evaluate=False)),
            mul(S.NegativeOne, b_l, mul(eg_a, Pow(b_l, -1, evaluate=False))),
            mul(
                add(eg_a, S.NegativeOne),
                add(polygamma(S.Zero, eg_a, evaluate=False), mul(S.NegativeOne, log(b_l, evaluate=False))),
            ),
            mul(eg_l, mul(eg_a, Pow(b_l, -1, evaluate=False))),
        ),
        add(
            log(mul(b_l, Pow(eg_l, -1, evaluate=False)), evaluate=False),
            mul(S.NegativeOne, log(gamma(eg_a), evaluate=False)),
            mul(add(eg_a, S.NegativeOne), polygamma(S.Zero, eg_a, evaluate=False)),
            mul(eg_a, mul(add(eg_l, mul(S.NegativeOne, b_l)), Pow(b_l, -1, evaluate=False))),
        ),
    ),
    # -- derivation/rules/discrete.py --------------------------------------------------------------------------
    # from tests/test_discrete.py (two Bernoulli laws), step 3
    Row(
        "finite-support-expectation",
        "bernoulli",
        Expectation(log(frac(q_bern, p_bern)), q_bern),
        add(mul(sub(1, b_p), log(frac(sub(1, b_p), sub(1, b_r)))), mul(b_p, log(frac(b_p, b_r)))),
    ),
    # from Bernoulli(logits=l1) vs Bernoulli(logits=l2), steps 4 and 5
    Row(
        "bernoulli-log-odds",
        "pair-bernoulli-logits",
        add(mul(sub(1, theta_q), log(frac(sub(1, theta_q), sub(1, theta_p)))),
            mul(theta_q, log(frac(theta_q, theta_p)))),
        add(mul(theta_q, sub(log(frac(theta_q, sub(1, theta_q))), log(frac(theta_p, sub(1, theta_p))))),
            log(frac(sub(1, theta_q), sub(1, theta_p)))),
    ),
    Row(
        "bernoulli-logits",
        "pair-bernoulli-logits",
        add(mul(theta_q, sub(log(frac(theta_q, sub(1, theta_q))), log(frac(theta_p, sub(1, theta_p))))),
            log(frac(sub(1, theta_q), sub(1, theta_p)))),
        add(mul(frac(1, add(1, exp(neg(l_1)))), sub(l_1, l_2)), log(add(1, exp(l_2))), neg(log(add(1, exp(l_1))))),
    ),
    # from Binomial(7, logits=l1) vs Binomial(7, logits=l2), step 8
    Row(
        "binomial-log-odds",
        "pair-binomial-logits",
        add(mul(7, theta_q, log(frac(theta_q, theta_p))), mul(7, log(frac(sub(1, theta_q), sub(1, theta_p)))),
            neg(mul(7, theta_q, log(frac(sub(1, theta_q), sub(1, theta_p)))))),
        add(mul(7, theta_q, sub(log(frac(theta_q, sub(1, theta_q))), log(frac(theta_p, sub(1, theta_p))))),
            mul(7, log(frac(sub(1, theta_q), sub(1, theta_p))))),
    ),
    # from Bernoulli(a) vs Poisson(b), steps 4 and 5
    Row(
        "log-of-exponentials",
        "pair-bernoulli-poisson",
        add(mul(sub(1, a_c), log(frac(sub(1, a_c), exp(neg(b_c))))), mul(a_c, log(frac(a_c, mul(b_c, exp(neg(b_c))))))),
        add(mul(sub(1, a_c), add(log(sub(1, a_c)), b_c)), mul(a_c, add(log(frac(a_c, b_c)), b_c))),
    ),
    Row(
        "weights-sum-to-one",
        "pair-bernoulli-poisson",
        add(mul(sub(1, a_c), add(log(sub(1, a_c)), b_c)), mul(a_c, add(log(frac(a_c, b_c)), b_c))),
        add(mul(sub(1, a_c), log(sub(1, a_c))), mul(a_c, log(frac(a_c, b_c))), b_c),
    ),
    # from Poisson(a) vs Bernoulli(b), step 2: q(2) > 0 = p(2)
    Row(
        "support-mismatch",
        "pair-poisson-bernoulli",
        Sum(mul(q_pois, log(frac(q_pois, Density("p", k_int, BernoulliLaw(b_c))))), (k_int, 0, oo)),
        oo,
    ),
    # from Poisson(a) vs Binomial(n, b), step 2: q(n + 1) > 0 = p(n + 1), the count one past the number of trials
    Row(
        "support-mismatch",
        "pair-poisson-binomial",
        Sum(mul(q_pois, log(frac(q_pois, Density("p", k_int, BinomialLaw(n_trials, b_c))))), (k_int, 0, oo)),
        oo,
    ),
    # from a Bernoulli pair, step 2
    Row(
        "sum-as-expectation",
        "bernoulli",
        Sum(mul(q_bern, log(frac(q_bern, p_bern))), (x_int, 0, 1)),
        Expectation(log(frac(q_bern, p_bern)), q_bern),
    ),
    # -- derivation/rules/expectation.py ------------------------------------------------------------------------
    # from standard > lemma of shifted-second-moment > lemma of first-central-moment, step 2
    Row(
        "linearity-of-expectation", "standard", Expectation(mul(sigma, z), N_z_0_1), mul(sigma, Expectation(z, N_z_0_1))
    ),
    # from diagonal-kingma > lemma of cross-term > lemma of shifted-second-moment > lemma of
    #   first-central-moment, step 2
    Row(
        "linearity-of-expectation",
        "diagonal",
        Expectation(mul(Indexed(b_sigma, j), z), N_z_0_1),
        mul(Indexed(b_sigma, j), Expectation(z, N_z_0_1)),
    ),
    # from full > lemma of shifted-trace-trick > lemma of shifted-covariance, step 3
    Row(
        "linearity-of-expectation",
        "full",
        MatExpectation(
            add(
                mul(MatAdd(v_x, neg(v_mu1)), Transpose(MatAdd(v_x, neg(v_mu1)))),
                mul(MatAdd(v_x, neg(v_mu1)), Transpose(MatAdd(v_mu1, neg(v_mu2)))),
                mul(MatAdd(v_mu1, neg(v_mu2)), Transpose(MatAdd(v_x, neg(v_mu1)))),
                mul(MatAdd(v_mu1, neg(v_mu2)), Transpose(MatAdd(v_mu1, neg(v_mu2)))),
            ),
            q_x_mu1_Sigma1,
        ),
        MatAdd(
            mul(MatAdd(v_mu1, neg(v_mu2)), Transpose(MatAdd(v_mu1, neg(v_mu2)))),
            mul(MatAdd(v_mu1, neg(v_mu2)), MatExpectation(Transpose(MatAdd(v_x, neg(v_mu1))), q_x_mu1_Sigma1)),
            mul(MatExpectation(MatAdd(v_x, neg(v_mu1)), q_x_mu1_Sigma1), Transpose(MatAdd(v_mu1, neg(v_mu2)))),
            MatExpectation(mul(MatAdd(v_x, neg(v_mu1)), Transpose(MatAdd(v_x, neg(v_mu1)))), q_x_mu1_Sigma1),
        ),
    ),
    # -- derivation/rules/gaussian.py ---------------------------------------------------------------------------
    # from standard > lemma of shifted-second-moment, step 1
    Row(
        "add-and-subtract-mean",
        "standard",
        Expectation(x**2, q_x_mu_sigma),
        Expectation((add(sub(x, mu), mu)) ** 2, q_x_mu_sigma),
    ),
    # from diagonal-kingma > lemma of cross-term > lemma of shifted-second-moment, step 1
    Row(
        "add-and-subtract-mean",
        "diagonal",
        Expectation(Indexed(b_x, j) ** 2, q_xj_muj_sigmaj_j),
        Expectation((add(sub(Indexed(b_x, j), Indexed(b_mu, j)), Indexed(b_mu, j))) ** 2, q_xj_muj_sigmaj_j),
    ),
    # from standard, step 5
    Row(
        "combine-log-densities",
        "standard",
        Expectation(
            sub(
                sub(mul(Rational(-1, 2), log(mul(2, pi, sigma**2))), frac((sub(x, mu)) ** 2, mul(2, sigma**2))),
                sub(mul(Rational(-1, 2), log(mul(2, pi))), frac(x**2, 2)),
            ),
            q_x_mu_sigma,
        ),
        Expectation(add(neg(log(sigma)), neg(frac((sub(x, mu)) ** 2, mul(2, sigma**2))), frac(x**2, 2)), q_x_mu_sigma),
    ),
    # from full, step 5
    Row(
        "combine-log-densities",
        "full",
        Expectation(
            sub(
                add(
                    mul(neg(frac(d, 2)), log(mul(2, pi))),
                    mul(Rational(-1, 2), log(Determinant(M_Sigma1))),
                    mul(
                        Rational(-1, 2),
                        QuadForm(MatAdd(v_x, neg(v_mu1)), Inverse(M_Sigma1, -1), MatAdd(v_x, neg(v_mu1))),
                    ),
                ),
                add(
                    mul(neg(frac(d, 2)), log(mul(2, pi))),
                    mul(Rational(-1, 2), log(Determinant(M_Sigma2))),
                    mul(
                        Rational(-1, 2),
                        QuadForm(MatAdd(v_x, neg(v_mu2)), Inverse(M_Sigma2, -1), MatAdd(v_x, neg(v_mu2))),
                    ),
                ),
            ),
            q_x_mu1_Sigma1,
        ),
        Expectation(
            add(
                mul(Rational(1, 2), log(frac(Determinant(M_Sigma2), Determinant(M_Sigma1)))),
                mul(Rational(-1, 2), QuadForm(MatAdd(v_x, neg(v_mu1)), Inverse(M_Sigma1, -1), MatAdd(v_x, neg(v_mu1)))),
                mul(Rational(1, 2), QuadForm(MatAdd(v_x, neg(v_mu2)), Inverse(M_Sigma2, -1), MatAdd(v_x, neg(v_mu2)))),
            ),
            q_x_mu1_Sigma1,
        ),
    ),
    # from standard > lemma of shifted-second-moment, step 2
    Row(
        "expand-square",
        "standard",
        Expectation((add(sub(x, mu), mu)) ** 2, q_x_mu_sigma),
        Expectation(add((sub(x, mu)) ** 2, mul(2, mu, sub(x, mu)), mu**2), q_x_mu_sigma),
    ),
    # from diagonal-kingma > lemma of cross-term > lemma of shifted-second-moment, step 2
    Row(
        "expand-square",
        "diagonal",
        Expectation((add(sub(Indexed(b_x, j), Indexed(b_mu, j)), Indexed(b_mu, j))) ** 2, q_xj_muj_sigmaj_j),
        Expectation(
            add(
                (sub(Indexed(b_x, j), Indexed(b_mu, j))) ** 2,
                mul(2, Indexed(b_mu, j), sub(Indexed(b_x, j), Indexed(b_mu, j))),
                Indexed(b_mu, j) ** 2,
            ),
            q_xj_muj_sigmaj_j,
        ),
    ),
    # from standard > lemma of shifted-second-moment, step 4
    Row(
        "first-central-moment",
        "standard",
        add(Expectation((sub(x, mu)) ** 2, q_x_mu_sigma), mul(2, mu, Expectation(sub(x, mu), q_x_mu_sigma)), mu**2),
        add(Expectation((sub(x, mu)) ** 2, q_x_mu_sigma), mu**2),
    ),
    # from diagonal-kingma > lemma of cross-term > lemma of shifted-second-moment, step 4
    Row(
        "first-central-moment",
        "diagonal",
        add(
            Expectation((sub(Indexed(b_x, j), Indexed(b_mu, j))) ** 2, q_xj_muj_sigmaj_j),
            mul(2, Indexed(b_mu, j), Expectation(sub(Indexed(b_x, j), Indexed(b_mu, j)), q_xj_muj_sigmaj_j)),
            Indexed(b_mu, j) ** 2,
        ),
        add(Expectation((sub(Indexed(b_x, j), Indexed(b_mu, j))) ** 2, q_xj_muj_sigmaj_j), Indexed(b_mu, j) ** 2),
    ),
    # from diagonal-kingma > lemma of cross-term, step 4
    Row(
        "gaussian-log-density",
        "diagonal",
        Expectation(Sum(log(p_xj_0_1_j), Tuple(j, 1, d)), q_x_mu_diag),
        Expectation(
            Sum(sub(mul(Rational(-1, 2), log(mul(2, pi))), frac(Indexed(b_x, j) ** 2, 2)), Tuple(j, 1, d)), q_x_mu_diag
        ),
    ),
    # from full, step 4
    Row(
        "gaussian-log-density",
        "full",
        Expectation(sub(log(q_x_mu1_Sigma1), log(p_x_mu2_Sigma2)), q_x_mu1_Sigma1),
        Expectation(
            sub(
                add(
                    mul(neg(frac(d, 2)), log(mul(2, pi))),
                    mul(Rational(-1, 2), log(Determinant(M_Sigma1))),
                    mul(
                        Rational(-1, 2),
                        QuadForm(MatAdd(v_x, neg(v_mu1)), Inverse(M_Sigma1, -1), MatAdd(v_x, neg(v_mu1))),
                    ),
                ),
                add(
                    mul(neg(frac(d, 2)), log(mul(2, pi))),
                    mul(Rational(-1, 2), log(Determinant(M_Sigma2))),
                    mul(
                        Rational(-1, 2),
                        QuadForm(MatAdd(v_x, neg(v_mu2)), Inverse(M_Sigma2, -1), MatAdd(v_x, neg(v_mu2))),
                    ),
                ),
            ),
            q_x_mu1_Sigma1,
        ),
    ),
    # from standard, step 4
    Row(
        "gaussian-log-density",
        "standard",
        Expectation(sub(log(q_x_mu_sigma), log(p_x_0_1)), q_x_mu_sigma),
        Expectation(
            sub(
                sub(mul(Rational(-1, 2), log(mul(2, pi, sigma**2))), frac((sub(x, mu)) ** 2, mul(2, sigma**2))),
                sub(mul(Rational(-1, 2), log(mul(2, pi))), frac(x**2, 2)),
            ),
            q_x_mu_sigma,
        ),
    ),
    # from standard > lemma of shifted-second-moment, step 5
    Row(
        "gaussian-second-moment",
        "standard",
        add(Expectation((sub(x, mu)) ** 2, q_x_mu_sigma), mu**2),
        add(sigma**2, mu**2),
    ),
    # from diagonal-kingma > lemma of cross-term > lemma of shifted-second-moment, step 5
    Row(
        "gaussian-second-moment",
        "diagonal",
        add(Expectation((sub(Indexed(b_x, j), Indexed(b_mu, j))) ** 2, q_xj_muj_sigmaj_j), Indexed(b_mu, j) ** 2),
        add(Indexed(b_sigma, j) ** 2, Indexed(b_mu, j) ** 2),
    ),
    # from standard, step 9
    Row(
        "shifted-second-moment",
        "standard",
        add(neg(log(sigma)), mul(Pow(2, -1, evaluate=False), Expectation(x**2, q_x_mu_sigma)), Rational(-1, 2)),
        add(neg(log(sigma)), mul(Pow(2, -1, evaluate=False), add(sigma**2, mu**2)), Rational(-1, 2)),
    ),
    # from diagonal-kingma > lemma of cross-term, step 7
    Row(
        "shifted-second-moment",
        "diagonal",
        Sum(
            add(
                mul(Rational(-1, 2), log(mul(2, pi))),
                mul(-1, Pow(2, -1, evaluate=False), Expectation(Indexed(b_x, j) ** 2, q_xj_muj_sigmaj_j)),
            ),
            Tuple(j, 1, d),
        ),
        Sum(
            add(
                mul(Rational(-1, 2), log(mul(2, pi))),
                mul(-1, Pow(2, -1, evaluate=False), add(Indexed(b_sigma, j) ** 2, Indexed(b_mu, j) ** 2)),
            ),
            Tuple(j, 1, d),
        ),
    ),
    # from standard > lemma of shifted-second-moment > lemma of first-central-moment, step 3
    Row("standard-normal-moments", "standard", mul(sigma, Expectation(z, N_z_0_1)), S(0)),
    # from diagonal-kingma > lemma of cross-term > lemma of shifted-second-moment > lemma of
    #   first-central-moment, step 3
    Row("standard-normal-moments", "diagonal", mul(Indexed(b_sigma, j), Expectation(z, N_z_0_1)), S(0)),
    # from standard > lemma of shifted-second-moment > lemma of first-central-moment, step 1
    Row("standardise", "standard", Expectation(sub(x, mu), q_x_mu_sigma), Expectation(mul(sigma, z), N_z_0_1)),
    # from diagonal-kingma > lemma of cross-term > lemma of shifted-second-moment > lemma of
    #   first-central-moment, step 1
    Row(
        "standardise",
        "diagonal",
        Expectation(sub(Indexed(b_x, j), Indexed(b_mu, j)), q_xj_muj_sigmaj_j),
        Expectation(mul(Indexed(b_sigma, j), z), N_z_0_1),
    ),
    # -- derivation/rules/exponential.py and rules/integrals.py ---------------------------------------------------
    # from pair-exponential, step 4
    Row(
        "exponential-log-density",
        "pair-exponential",
        Expectation(sub(log(q_exponential), log(p_exponential)), q_exponential),
        Expectation(sub(sub(log(l1), mul(l1, x)), sub(log(l2), mul(l2, x))), q_exponential),
    ),
    # from pair-exponential, step 5
    Row(
        "combine-exponential-log-densities",
        "pair-exponential",
        Expectation(sub(sub(log(l1), mul(l1, x)), sub(log(l2), mul(l2, x))), q_exponential),
        Expectation(add(log(frac(l1, l2)), neg(mul(l1, x)), mul(l2, x)), q_exponential),
    ),
    # from pair-exponential, step 7
    Row(
        "exponential-mean",
        "pair-exponential",
        add(log(frac(l1, l2)), mul(S(-1), l1, Expectation(x, q_exponential)), mul(l2, Expectation(x, q_exponential))),
        add(log(frac(l1, l2)), mul(S(-1), l1, Pow(l1, -1)), mul(l2, Pow(l1, -1))),
    ),
    # from pair-exponential > lemma Mean of an exponential variable, step 1
    Row(
        "exponential-expectation-as-integral",
        "pair-exponential",
        Expectation(x, q_exponential),
        mul(l1, Integral(mul(x, exp(neg(mul(l1, x)), evaluate=False)), (x, 0, oo))),
    ),
    # from pair-exponential > lemma Mean of an exponential variable, step 2
    Row(
        "integrate-by-parts",
        "pair-exponential",
        mul(l1, Integral(mul(x, exp(neg(mul(l1, x)), evaluate=False)), (x, 0, oo))),
        Pow(l1, -1),
    ),
    # -- derivation/rules/gamma.py -------------------------------------------------------------------------------
    # from pair-gamma, step 4
    Row(
        "gamma-log-density",
        "pair-gamma",
        Expectation(sub(log(q_gamma), log(p_gamma)), q_gamma),
        Expectation(sub(log_q_gamma, log_p_gamma), q_gamma),
    ),
    # from pair-gamma, step 5
    Row(
        "combine-gamma-log-densities",
        "pair-gamma",
        Expectation(sub(log_q_gamma, log_p_gamma), q_gamma),
        Expectation(add(mul(g_a1, log(g_b1)), neg(mul(g_a2, log(g_b2))), log(frac(gamma(g_a2), gamma(g_a1))),
                        neg(mul(g_b1, x)), mul(sub(g_a1, S.One), log(x)), mul(g_b2, x),
                        neg(mul(sub(g_a2, S.One), log(x)))), q_gamma),
    ),
    # from pair-gamma, step 7 (one term of the line)
    Row(
        "gamma-mean",
        "pair-gamma",
        mul(g_b2, Expectation(x, q_gamma)),
        mul(g_b2, g_a1 / g_b1),
    ),
    # from pair-gamma > lemma Mean of a Gamma variable, steps 1 to 4
    Row(
        "gamma-expectation-as-integral",
        "pair-gamma",
        Expectation(x, q_gamma),
        mul(c_gamma, Integral(mul(x, mul(x_a1, w_gamma)), (x, 0, oo))),
    ),
    Row(
        "combine-powers",
        "pair-gamma",
        mul(c_gamma, Integral(mul(x, mul(x_a1, w_gamma)), (x, 0, oo))),
        mul(c_gamma, Integral(mul(Pow(x, g_a1, evaluate=False), w_gamma), (x, 0, oo))),
    ),
    Row(
        "gamma-integral",
        "pair-gamma",
        mul(c_gamma, Integral(mul(Pow(x, g_a1, evaluate=False), w_gamma), (x, 0, oo))),
        mul(c_gamma, frac(gamma(add(g_a1, S.One)), Pow(g_b1, add(g_a1, S.One), evaluate=False))),
    ),
    Row(
        "gamma-recurrence",
        "pair-gamma",
        mul(c_gamma, frac(gamma(add(g_a1, S.One)), Pow(g_b1, add(g_a1, S.One), evaluate=False))),
        g_a1 / g_b1,
    ),
    # from pair-gamma, step 8 (one term of the line)
    Row(
        "gamma-log-moment",
        "pair-gamma",
        mul(sub(g_a1, S.One), Expectation(log(x), q_gamma)),
        mul(sub(g_a1, S.One), sub(psi_a1, log(g_b1))),
    ),
    # from pair-gamma > lemma Expected logarithm of a Gamma variable, steps 2, 3, 5
    Row(
        "log-as-derivative",
        "pair-gamma",
        mul(c_gamma, Integral(mul(log(x), mul(x_a1, w_gamma)), (x, 0, oo))),
        mul(c_gamma, Integral(mul(Partial(x_a1, g_a1), w_gamma), (x, 0, oo))),
    ),
    Row(
        "differentiate-under-integral",
        "pair-gamma",
        mul(c_gamma, Integral(mul(Partial(x_a1, g_a1), w_gamma), (x, 0, oo))),
        mul(c_gamma, Partial(Integral(mul(x_a1, w_gamma), (x, 0, oo)), g_a1)),
    ),
    Row(
        "differentiate-gamma-function",
        "pair-gamma",
        mul(c_gamma, Partial(frac(gamma(g_a1), Pow(g_b1, g_a1, evaluate=False)), g_a1)),
        mul(c_gamma, mul(frac(gamma(g_a1), Pow(g_b1, g_a1, evaluate=False)), sub(psi_a1, log(g_b1)))),
    ),
    # from pair-gamma, step 9
    Row(
        "collect-gamma-terms",
        "pair-gamma",
        add(mul(g_a1, log(g_b1)), neg(mul(g_a2, log(g_b2))), log(frac(gamma(g_a2), gamma(g_a1))),
            neg(mul(g_b1, g_a1 / g_b1)), mul(sub(g_a1, S.One), sub(psi_a1, log(g_b1))), mul(g_b2, g_a1 / g_b1),
            neg(mul(sub(g_a2, S.One), sub(psi_a1, log(g_b1))))),
        add(mul(g_a2, log(frac(g_b1, g_b2))), log(frac(gamma(g_a2), gamma(g_a1))), mul(sub(g_a1, g_a2), psi_a1),
            mul(g_a1, frac(sub(g_b2, g_b1), g_b1))),
    ),
    # -- derivation/rules/laplace.py ----------------------------------------------------------------------------
    # from pair-laplace, step 4
    Row(
        "laplace-log-density",
        "pair-laplace",
        Expectation(sub(log(q_laplace), log(p_laplace)), q_laplace),
        Expectation(
            sub(
                sub(neg(log(mul(2, b_l))), frac(Abs(sub(x, m), evaluate=False), b_l)),
                sub(neg(log(mul(2, c_l))), frac(Abs(sub(x, n_l), evaluate=False), c_l)),
            ),
            q_laplace,
        ),
    ),
    # from pair-laplace, step 5
    Row(
        "combine-laplace-log-densities",
        "pair-laplace",
        Expectation(
            sub(
                sub(neg(log(mul(2, b_l))), frac(Abs(sub(x, m), evaluate=False), b_l)),
                sub(neg(log(mul(2, c_l))), frac(Abs(sub(x, n_l), evaluate=False), c_l)),
            ),
            q_laplace,
        ),
        Expectation(
            add(
                log(frac(c_l, b_l)),
                neg(frac(Abs(sub(x, m), evaluate=False), b_l)),
                frac(Abs(sub(x, n_l), evaluate=False), c_l),
            ),
            q_laplace,
        ),
    ),
    # from pair-laplace, step 7
    Row(
        "laplace-absolute-deviation",
        "pair-laplace",
        add(
            log(frac(c_l, b_l)),
            mul(S(-1), Pow(b_l, S(-1), evaluate=False), Expectation(Abs(sub(x, m), evaluate=False), q_laplace)),
            mul(Pow(c_l, S(-1), evaluate=False), Expectation(Abs(sub(x, n_l), evaluate=False), q_laplace)),
        ),
        add(
            log(frac(c_l, b_l)),
            mul(S(-1), Pow(b_l, S(-1), evaluate=False), b_l),
            mul(Pow(c_l, S(-1), evaluate=False), Expectation(Abs(sub(x, n_l), evaluate=False), q_laplace)),
        ),
    ),
    # from pair-laplace > lemma Mean absolute deviation, step 1
    Row(
        "laplace-expectation-as-integral",
        "pair-laplace",
        Expectation(Abs(sub(x, m), evaluate=False), q_laplace),
        mul(
            Pow(mul(2, b_l), S(-1), evaluate=False),
            Integral(
                mul(Abs(sub(x, m), evaluate=False), exp(neg(frac(Abs(sub(x, m), evaluate=False), b_l)))), (x, -oo, oo)
            ),
        ),
    ),
    # from pair-laplace > lemma Mean absolute deviation, step 2
    Row(
        "centre-at-location",
        "pair-laplace",
        mul(
            Pow(mul(2, b_l), S(-1), evaluate=False),
            Integral(
                mul(Abs(sub(x, m), evaluate=False), exp(neg(frac(Abs(sub(x, m), evaluate=False), b_l)))), (x, -oo, oo)
            ),
        ),
        mul(
            Pow(mul(2, b_l), S(-1), evaluate=False),
            Integral(mul(Abs(t_l), exp(neg(frac(Abs(t_l), b_l)))), (t_l, -oo, oo)),
        ),
    ),
    # from pair-laplace > lemma Mean absolute deviation, step 3
    Row(
        "split-at-kinks",
        "pair-laplace",
        mul(
            Pow(mul(2, b_l), S(-1), evaluate=False),
            Integral(mul(Abs(t_l), exp(neg(frac(Abs(t_l), b_l)))), (t_l, -oo, oo)),
        ),
        add(
            mul(S(-1), Pow(mul(2, b_l), S(-1), evaluate=False), Integral(mul(t_l, exp(frac(t_l, b_l))), (t_l, -oo, 0))),
            mul(
                Pow(mul(2, b_l), S(-1), evaluate=False),
                Integral(mul(t_l, exp(mul(S(-1), t_l, Pow(b_l, S(-1), evaluate=False)))), (t_l, 0, oo)),
            ),
        ),
    ),
    # from pair-laplace > lemma Mean absolute deviation, step 4
    Row(
        "integrate-exponential-pieces",
        "pair-laplace",
        add(
            mul(S(-1), Pow(mul(2, b_l), S(-1), evaluate=False), Integral(mul(t_l, exp(frac(t_l, b_l))), (t_l, -oo, 0))),
            mul(
                Pow(mul(2, b_l), S(-1), evaluate=False),
                Integral(mul(t_l, exp(mul(S(-1), t_l, Pow(b_l, S(-1), evaluate=False)))), (t_l, 0, oo)),
            ),
        ),
        mul(Rational(1, 2), add(b_l, b_l)),
    ),
    # from pair-laplace > lemma Mean absolute deviation, step 5
    Row(
        "expand-and-collect",
        "pair-laplace",
        mul(Rational(1, 2), add(b_l, b_l)),
        b_l,
    ),
    # from pair-laplace, step 9
    Row(
        "laplace-absolute-moment",
        "pair-laplace",
        add(
            log(frac(c_l, b_l)),
            mul(Pow(c_l, S(-1), evaluate=False), Expectation(Abs(sub(x, n_l), evaluate=False), q_laplace)),
            S(-1),
        ),
        add(
            log(frac(c_l, b_l)),
            mul(
                Pow(c_l, S(-1), evaluate=False),
                add(Abs(sub(m, n_l)), mul(b_l, exp(mul(S(-1), Pow(b_l, S(-1), evaluate=False), Abs(sub(m, n_l)))))),
            ),
            S(-1),
        ),
    ),
    # from pair-laplace > lemma Mean distance from another point, step 3
    Row(
        "reflect-symmetric-weight",
        "pair-laplace",
        mul(
            Pow(mul(2, b_l), S(-1), evaluate=False),
            Integral(mul(Abs(add(t_l, m, neg(n_l))), exp(neg(frac(Abs(t_l), b_l)))), (t_l, -oo, oo)),
        ),
        mul(
            Pow(mul(2, b_l), S(-1), evaluate=False),
            Integral(mul(Abs(add(t_l, Abs(sub(m, n_l)))), exp(neg(frac(Abs(t_l), b_l)))), (t_l, -oo, oo)),
        ),
    ),
    # from pair-laplace, step 10
    Row(
        "divide-through",
        "pair-laplace",
        add(
            log(frac(c_l, b_l)),
            mul(
                Pow(c_l, S(-1), evaluate=False),
                add(Abs(sub(m, n_l)), mul(b_l, exp(mul(S(-1), Pow(b_l, S(-1), evaluate=False), Abs(sub(m, n_l)))))),
            ),
            S(-1),
        ),
        add(
            log(frac(c_l, b_l)),
            frac(Abs(sub(m, n_l)), c_l),
            mul(frac(b_l, c_l), exp(mul(S(-1), Pow(b_l, S(-1), evaluate=False), Abs(sub(m, n_l))))),
            S(-1),
        ),
    ),
    # -- derivation/rules/logs.py -------------------------------------------------------------------------------
    # from full, step 3
    Row(
        "log-of-ratio",
        "full",
        Expectation(log(frac(q_x_mu1_Sigma1, p_x_mu2_Sigma2)), q_x_mu1_Sigma1),
        Expectation(sub(log(q_x_mu1_Sigma1), log(p_x_mu2_Sigma2)), q_x_mu1_Sigma1),
    ),
    # from diagonal-kingma, step 2
    Row(
        "log-of-ratio",
        "diagonal",
        SpaceIntegral(mul(q_x_mu_diag, log(frac(q_x_mu_diag, p_x_0_I))), Vec(b_x, d)),
        SpaceIntegral(mul(q_x_mu_diag, sub(log(q_x_mu_diag), log(p_x_0_I))), Vec(b_x, d)),
    ),
    # from standard, step 3
    Row(
        "log-of-ratio",
        "standard",
        Expectation(log(frac(q_x_mu_sigma, p_x_0_1)), q_x_mu_sigma),
        Expectation(sub(log(q_x_mu_sigma), log(p_x_0_1)), q_x_mu_sigma),
    ),
    # from standard, step 10
    Row(
        "log-variance",
        "standard",
        add(neg(log(sigma)), mul(Pow(2, -1, evaluate=False), add(sigma**2, mu**2)), Rational(-1, 2)),
        add(
            mul(Rational(-1, 2), log(sigma**2)), mul(Pow(2, -1, evaluate=False), add(sigma**2, mu**2)), Rational(-1, 2)
        ),
    ),
    # -- derivation/rules/matrix.py -----------------------------------------------------------------------------
    # from full > lemma of shifted-trace-trick > lemma of shifted-covariance, step 1
    Row(
        "add-and-subtract-mean-vector",
        "full",
        MatExpectation(mul(MatAdd(v_x, neg(v_mu2)), Transpose(MatAdd(v_x, neg(v_mu2)))), q_x_mu1_Sigma1),
        MatExpectation(
            mul(
                MatAdd(MatAdd(v_x, neg(v_mu1)), MatAdd(v_mu1, neg(v_mu2))),
                Transpose(MatAdd(MatAdd(v_x, neg(v_mu1)), MatAdd(v_mu1, neg(v_mu2)))),
            ),
            q_x_mu1_Sigma1,
        ),
    ),
    # from full > lemma of trace-trick, step 4
    Row(
        "covariance",
        "full",
        Trace(
            mul(
                Inverse(M_Sigma1, -1),
                MatExpectation(mul(MatAdd(v_x, neg(v_mu1)), Transpose(MatAdd(v_x, neg(v_mu1)))), q_x_mu1_Sigma1),
            )
        ),
        Trace(MatMul(Inverse(M_Sigma1, -1), M_Sigma1)),
    ),
    # from full > lemma of trace-trick, step 2
    Row(
        "cyclic-trace",
        "full",
        Expectation(
            Trace(mul(Transpose(MatAdd(v_x, neg(v_mu1))), Inverse(M_Sigma1, -1), MatAdd(v_x, neg(v_mu1)))),
            q_x_mu1_Sigma1,
        ),
        Expectation(
            Trace(mul(Inverse(M_Sigma1, -1), MatAdd(v_x, neg(v_mu1)), Transpose(MatAdd(v_x, neg(v_mu1))))),
            q_x_mu1_Sigma1,
        ),
    ),
    # from full > lemma of shifted-trace-trick, step 5
    Row(
        "distribute-trace",
        "full",
        Trace(
            mul(
                Inverse(M_Sigma2, -1),
                MatAdd(M_Sigma1, mul(MatAdd(v_mu1, neg(v_mu2)), Transpose(MatAdd(v_mu1, neg(v_mu2))))),
            )
        ),
        add(
            Trace(mul(Inverse(M_Sigma2, -1), M_Sigma1)),
            Trace(mul(Inverse(M_Sigma2, -1), MatAdd(v_mu1, neg(v_mu2)), Transpose(MatAdd(v_mu1, neg(v_mu2))))),
        ),
    ),
    # from full > lemma of shifted-trace-trick > lemma of shifted-covariance, step 2
    Row(
        "expand-outer-product",
        "full",
        MatExpectation(
            mul(
                MatAdd(MatAdd(v_x, neg(v_mu1)), MatAdd(v_mu1, neg(v_mu2))),
                Transpose(MatAdd(MatAdd(v_x, neg(v_mu1)), MatAdd(v_mu1, neg(v_mu2)))),
            ),
            q_x_mu1_Sigma1,
        ),
        MatExpectation(
            MatAdd(
                mul(MatAdd(v_x, neg(v_mu1)), Transpose(MatAdd(v_x, neg(v_mu1)))),
                mul(MatAdd(v_x, neg(v_mu1)), Transpose(MatAdd(v_mu1, neg(v_mu2)))),
                mul(MatAdd(v_mu1, neg(v_mu2)), Transpose(MatAdd(v_x, neg(v_mu1)))),
                mul(MatAdd(v_mu1, neg(v_mu2)), Transpose(MatAdd(v_mu1, neg(v_mu2)))),
            ),
            q_x_mu1_Sigma1,
        ),
    ),
    # from full > lemma of trace-trick, step 3
    Row(
        "expectation-through-trace",
        "full",
        Expectation(
            Trace(mul(Inverse(M_Sigma1, -1), MatAdd(v_x, neg(v_mu1)), Transpose(MatAdd(v_x, neg(v_mu1))))),
            q_x_mu1_Sigma1,
        ),
        Trace(
            mul(
                Inverse(M_Sigma1, -1),
                MatExpectation(mul(MatAdd(v_x, neg(v_mu1)), Transpose(MatAdd(v_x, neg(v_mu1)))), q_x_mu1_Sigma1),
            )
        ),
    ),
    # from full, step 11
    Row(
        "factor-common",
        "full",
        add(
            mul(Rational(1, 2), log(frac(Determinant(M_Sigma2), Determinant(M_Sigma1)))),
            mul(Rational(-1, 2), d),
            mul(Rational(1, 2), Trace(mul(Inverse(M_Sigma2, -1), M_Sigma1))),
            mul(Rational(1, 2), QuadForm(MatAdd(v_mu1, neg(v_mu2)), Inverse(M_Sigma2, -1), MatAdd(v_mu1, neg(v_mu2)))),
        ),
        mul(
            Rational(1, 2),
            add(
                log(mul(1 / (Determinant(M_Sigma1)), Determinant(M_Sigma2))),
                neg(d),
                Trace(mul(Inverse(M_Sigma2, -1), M_Sigma1)),
                QuadForm(MatAdd(v_mu1, neg(v_mu2)), Inverse(M_Sigma2, -1), MatAdd(v_mu1, neg(v_mu2))),
            ),
        ),
    ),
    # from full > lemma of trace-trick, step 1
    Row(
        "scalar-as-trace",
        "full",
        Expectation(QuadForm(MatAdd(v_x, neg(v_mu1)), Inverse(M_Sigma1, -1), MatAdd(v_x, neg(v_mu1))), q_x_mu1_Sigma1),
        Expectation(
            Trace(mul(Transpose(MatAdd(v_x, neg(v_mu1))), Inverse(M_Sigma1, -1), MatAdd(v_x, neg(v_mu1)))),
            q_x_mu1_Sigma1,
        ),
    ),
    # from full > lemma of shifted-trace-trick, step 4
    Row(
        "shifted-covariance",
        "full",
        Trace(
            mul(
                Inverse(M_Sigma2, -1),
                MatExpectation(mul(MatAdd(v_x, neg(v_mu2)), Transpose(MatAdd(v_x, neg(v_mu2)))), q_x_mu1_Sigma1),
            )
        ),
        Trace(
            mul(
                Inverse(M_Sigma2, -1),
                MatAdd(M_Sigma1, mul(MatAdd(v_mu1, neg(v_mu2)), Transpose(MatAdd(v_mu1, neg(v_mu2))))),
            )
        ),
    ),
    # from full, step 8
    Row(
        "shifted-trace-trick",
        "full",
        add(
            mul(Rational(1, 2), log(frac(Determinant(M_Sigma2), Determinant(M_Sigma1)))),
            mul(Rational(-1, 2), Trace(MatMul(Inverse(M_Sigma1, -1), M_Sigma1))),
            mul(
                Rational(1, 2),
                Expectation(
                    QuadForm(MatAdd(v_x, neg(v_mu2)), Inverse(M_Sigma2, -1), MatAdd(v_x, neg(v_mu2))), q_x_mu1_Sigma1
                ),
            ),
        ),
        add(
            mul(Rational(1, 2), log(frac(Determinant(M_Sigma2), Determinant(M_Sigma1)))),
            mul(Rational(-1, 2), Trace(MatMul(Inverse(M_Sigma1, -1), M_Sigma1))),
            mul(
                Rational(1, 2),
                add(
                    Trace(mul(Inverse(M_Sigma2, -1), M_Sigma1)),
                    QuadForm(MatAdd(v_mu1, neg(v_mu2)), Inverse(M_Sigma2, -1), MatAdd(v_mu1, neg(v_mu2))),
                ),
            ),
        ),
    ),
    # from pair-full, step 3
    Row(
        "symmetric-quadratic-form",
        "pair-full",
        mul(
            Rational(1, 2),
            add(Trace(M_S), QuadForm(neg(v_m), Identity(k), neg(v_m)), neg(k), neg(log(Determinant(M_S)))),
        ),
        mul(Rational(1, 2), add(Trace(M_S), QuadForm(v_m, Identity(k), v_m), neg(k), neg(log(Determinant(M_S))))),
    ),
    # from diagonal-full, step 3
    Row(
        "symmetric-quadratic-form",
        "diagonal",
        mul(
            Rational(1, 2),
            add(
                Trace(Diag(Indexed(b_sigma, j) ** 2, j, d)),
                QuadForm(neg(Vec(b_mu, d)), Identity(d), neg(Vec(b_mu, d))),
                neg(d),
                neg(log(Determinant(Diag(Indexed(b_sigma, j) ** 2, j, d)))),
            ),
        ),
        mul(
            Rational(1, 2),
            add(
                Trace(Diag(Indexed(b_sigma, j) ** 2, j, d)),
                QuadForm(Vec(b_mu, d), Identity(d), Vec(b_mu, d)),
                neg(d),
                neg(log(Determinant(Diag(Indexed(b_sigma, j) ** 2, j, d)))),
            ),
        ),
    ),
    # from full, step 12
    Row(
        "textbook-order",
        "full",
        mul(
            Rational(1, 2),
            add(
                log(mul(1 / (Determinant(M_Sigma1)), Determinant(M_Sigma2))),
                neg(d),
                Trace(mul(Inverse(M_Sigma2, -1), M_Sigma1)),
                QuadForm(MatAdd(v_mu1, neg(v_mu2)), Inverse(M_Sigma2, -1), MatAdd(v_mu1, neg(v_mu2))),
            ),
        ),
        mul(
            Rational(1, 2),
            add(
                Trace(mul(Inverse(M_Sigma2, -1), M_Sigma1)),
                QuadForm(MatAdd(v_mu1, neg(v_mu2)), Inverse(M_Sigma2, -1), MatAdd(v_mu1, neg(v_mu2))),
                neg(d),
                log(mul(1 / (Determinant(M_Sigma1)), Determinant(M_Sigma2))),
            ),
        ),
    ),
    # from full, step 9
    Row(
        "trace-of-identity",
        "full",
        add(
            mul(Rational(1, 2), log(frac(Determinant(M_Sigma2), Determinant(M_Sigma1)))),
            mul(Rational(-1, 2), Trace(MatMul(Inverse(M_Sigma1, -1), M_Sigma1))),
            mul(
                Rational(1, 2),
                add(
                    Trace(mul(Inverse(M_Sigma2, -1), M_Sigma1)),
                    QuadForm(MatAdd(v_mu1, neg(v_mu2)), Inverse(M_Sigma2, -1), MatAdd(v_mu1, neg(v_mu2))),
                ),
            ),
        ),
        add(
            mul(Rational(1, 2), log(frac(Determinant(M_Sigma2), Determinant(M_Sigma1)))),
            mul(Rational(-1, 2), d),
            mul(
                Rational(1, 2),
                add(
                    Trace(mul(Inverse(M_Sigma2, -1), M_Sigma1)),
                    QuadForm(MatAdd(v_mu1, neg(v_mu2)), Inverse(M_Sigma2, -1), MatAdd(v_mu1, neg(v_mu2))),
                ),
            ),
        ),
    ),
    # from full > lemma of shifted-trace-trick, step 6
    Row(
        "trace-to-quadratic-form",
        "full",
        add(
            Trace(mul(Inverse(M_Sigma2, -1), M_Sigma1)),
            Trace(mul(Inverse(M_Sigma2, -1), MatAdd(v_mu1, neg(v_mu2)), Transpose(MatAdd(v_mu1, neg(v_mu2))))),
        ),
        add(
            Trace(mul(Inverse(M_Sigma2, -1), M_Sigma1)),
            QuadForm(MatAdd(v_mu1, neg(v_mu2)), Inverse(M_Sigma2, -1), MatAdd(v_mu1, neg(v_mu2))),
        ),
    ),
    # from full, step 7
    Row(
        "trace-trick",
        "full",
        add(
            mul(Rational(1, 2), log(frac(Determinant(M_Sigma2), Determinant(M_Sigma1)))),
            mul(
                Rational(-1, 2),
                Expectation(
                    QuadForm(MatAdd(v_x, neg(v_mu1)), Inverse(M_Sigma1, -1), MatAdd(v_x, neg(v_mu1))), q_x_mu1_Sigma1
                ),
            ),
            mul(
                Rational(1, 2),
                Expectation(
                    QuadForm(MatAdd(v_x, neg(v_mu2)), Inverse(M_Sigma2, -1), MatAdd(v_x, neg(v_mu2))), q_x_mu1_Sigma1
                ),
            ),
        ),
        add(
            mul(Rational(1, 2), log(frac(Determinant(M_Sigma2), Determinant(M_Sigma1)))),
            mul(Rational(-1, 2), Trace(MatMul(Inverse(M_Sigma1, -1), M_Sigma1))),
            mul(
                Rational(1, 2),
                Expectation(
                    QuadForm(MatAdd(v_x, neg(v_mu2)), Inverse(M_Sigma2, -1), MatAdd(v_x, neg(v_mu2))), q_x_mu1_Sigma1
                ),
            ),
        ),
    ),
    # from full > lemma of shifted-trace-trick > lemma of shifted-covariance, step 4
    Row(
        "zero-mean-deviation",
        "full",
        MatAdd(
            mul(MatAdd(v_mu1, neg(v_mu2)), Transpose(MatAdd(v_mu1, neg(v_mu2)))),
            mul(MatAdd(v_mu1, neg(v_mu2)), MatExpectation(Transpose(MatAdd(v_x, neg(v_mu1))), q_x_mu1_Sigma1)),
            mul(MatExpectation(MatAdd(v_x, neg(v_mu1)), q_x_mu1_Sigma1), Transpose(MatAdd(v_mu1, neg(v_mu2)))),
            MatExpectation(mul(MatAdd(v_x, neg(v_mu1)), Transpose(MatAdd(v_x, neg(v_mu1)))), q_x_mu1_Sigma1),
        ),
        MatAdd(
            mul(MatAdd(v_mu1, neg(v_mu2)), Transpose(MatAdd(v_mu1, neg(v_mu2)))),
            MatExpectation(mul(MatAdd(v_x, neg(v_mu1)), Transpose(MatAdd(v_x, neg(v_mu1)))), q_x_mu1_Sigma1),
        ),
    ),
    # -- derivation/rules/specialise.py -------------------------------------------------------------------------
    # from diagonal-full, step 6
    Row(
        "determinant-of-diagonal",
        "diagonal",
        mul(
            Rational(1, 2),
            add(
                Sum(Indexed(b_sigma, j) ** 2, Tuple(j, 1, d)),
                Sum(Indexed(b_mu, j) ** 2, Tuple(j, 1, d)),
                neg(d),
                neg(log(Determinant(Diag(Indexed(b_sigma, j) ** 2, j, d)))),
            ),
        ),
        mul(
            Rational(1, 2),
            add(
                Sum(Indexed(b_sigma, j) ** 2, Tuple(j, 1, d)),
                Sum(Indexed(b_mu, j) ** 2, Tuple(j, 1, d)),
                neg(d),
                neg(log(Product(Indexed(b_sigma, j) ** 2, Tuple(j, 1, d)))),
            ),
        ),
    ),
    # from vae, step 1
    Row(
        "diagonal-result",
        "vae",
        KL(q_x_mu_diag, p_x_0_I),
        mul(
            Rational(-1, 2),
            Sum(
                add(1, log(Indexed(b_sigma, j) ** 2), neg(Indexed(b_mu, j) ** 2), neg(Indexed(b_sigma, j) ** 2)),
                Tuple(j, 1, d),
            ),
        ),
    ),
    # from diagonal-full, step 1
    Row(
        "full-covariance-result",
        "diagonal",
        KL(q_x_mu_diag, p_x_0_I),
        mul(
            Rational(1, 2),
            add(
                Trace(mul(Inverse(Identity(d), -1), Diag(Indexed(b_sigma, j) ** 2, j, d))),
                QuadForm(
                    MatAdd(ZeroMatrix(d, 1), neg(Vec(b_mu, d))),
                    Inverse(Identity(d), -1),
                    MatAdd(ZeroMatrix(d, 1), neg(Vec(b_mu, d))),
                ),
                neg(d),
                log(mul(1 / (Determinant(Diag(Indexed(b_sigma, j) ** 2, j, d))), Determinant(Identity(d)))),
            ),
        ),
    ),
    # from pair-full, step 1
    Row(
        "full-covariance-result",
        "pair-full",
        KL(q_x_m_S, p_x_0_I_2),
        mul(
            Rational(1, 2),
            add(
                Trace(mul(Inverse(Identity(k), -1), M_S)),
                QuadForm(
                    MatAdd(ZeroMatrix(k, 1), neg(v_m)), Inverse(Identity(k), -1), MatAdd(ZeroMatrix(k, 1), neg(v_m))
                ),
                neg(k),
                log(mul(1 / (Determinant(M_S)), Determinant(Identity(k)))),
            ),
        ),
    ),
    # from pair-full, step 2
    Row(
        "identity-matrix",
        "pair-full",
        mul(
            Rational(1, 2),
            add(
                Trace(mul(Inverse(Identity(k), -1), M_S)),
                QuadForm(
                    MatAdd(ZeroMatrix(k, 1), neg(v_m)), Inverse(Identity(k), -1), MatAdd(ZeroMatrix(k, 1), neg(v_m))
                ),
                neg(k),
                log(mul(1 / (Determinant(M_S)), Determinant(Identity(k)))),
            ),
        ),
        mul(
            Rational(1, 2),
            add(Trace(M_S), QuadForm(neg(v_m), Identity(k), neg(v_m)), neg(k), neg(log(Determinant(M_S)))),
        ),
    ),
    # from diagonal-full, step 2
    Row(
        "identity-matrix",
        "diagonal",
        mul(
            Rational(1, 2),
            add(
                Trace(mul(Inverse(Identity(d), -1), Diag(Indexed(b_sigma, j) ** 2, j, d))),
                QuadForm(
                    MatAdd(ZeroMatrix(d, 1), neg(Vec(b_mu, d))),
                    Inverse(Identity(d), -1),
                    MatAdd(ZeroMatrix(d, 1), neg(Vec(b_mu, d))),
                ),
                neg(d),
                log(mul(1 / (Determinant(Diag(Indexed(b_sigma, j) ** 2, j, d))), Determinant(Identity(d)))),
            ),
        ),
        mul(
            Rational(1, 2),
            add(
                Trace(Diag(Indexed(b_sigma, j) ** 2, j, d)),
                QuadForm(neg(Vec(b_mu, d)), Identity(d), neg(Vec(b_mu, d))),
                neg(d),
                neg(log(Determinant(Diag(Indexed(b_sigma, j) ** 2, j, d)))),
            ),
        ),
    ),
    # the vae result, as the code section shows it (a chain of its own, not stored)
    Row(
        "in-code",
        "vae",
        mul(
            Rational(-1, 2),
            Sum(add(1, Indexed(b_ell, j), neg(Indexed(b_mu, j) ** 2), neg(exp(Indexed(b_ell, j)))), Tuple(j, 1, d)),
        ),
        CodeLine(
            mul(
                Rational(-1, 2),
                Sum(add(1, Indexed(b_ell, j), neg(Indexed(b_mu, j) ** 2), neg(exp(Indexed(b_ell, j)))), Tuple(j, 1, d)),
            ),
            "-0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())",
            {"ell": "logvar"},
        ),
    ),
    # from vae, step 2
    Row(
        "log-variance-output",
        "vae",
        mul(
            Rational(-1, 2),
            Sum(
                add(1, log(Indexed(b_sigma, j) ** 2), neg(Indexed(b_mu, j) ** 2), neg(Indexed(b_sigma, j) ** 2)),
                Tuple(j, 1, d),
            ),
        ),
        mul(
            Rational(-1, 2),
            Sum(add(1, Indexed(b_ell, j), neg(Indexed(b_mu, j) ** 2), neg(Indexed(b_sigma, j) ** 2)), Tuple(j, 1, d)),
        ),
    ),
    # from diagonal-full, step 5
    Row(
        "squared-norm",
        "diagonal",
        mul(
            Rational(1, 2),
            add(
                Sum(Indexed(b_sigma, j) ** 2, Tuple(j, 1, d)),
                QuadForm(Vec(b_mu, d), Identity(d), Vec(b_mu, d)),
                neg(d),
                neg(log(Determinant(Diag(Indexed(b_sigma, j) ** 2, j, d)))),
            ),
        ),
        mul(
            Rational(1, 2),
            add(
                Sum(Indexed(b_sigma, j) ** 2, Tuple(j, 1, d)),
                Sum(Indexed(b_mu, j) ** 2, Tuple(j, 1, d)),
                neg(d),
                neg(log(Determinant(Diag(Indexed(b_sigma, j) ** 2, j, d)))),
            ),
        ),
    ),
    # from diagonal-full, step 4
    Row(
        "trace-of-diagonal",
        "diagonal",
        mul(
            Rational(1, 2),
            add(
                Trace(Diag(Indexed(b_sigma, j) ** 2, j, d)),
                QuadForm(Vec(b_mu, d), Identity(d), Vec(b_mu, d)),
                neg(d),
                neg(log(Determinant(Diag(Indexed(b_sigma, j) ** 2, j, d)))),
            ),
        ),
        mul(
            Rational(1, 2),
            add(
                Sum(Indexed(b_sigma, j) ** 2, Tuple(j, 1, d)),
                QuadForm(Vec(b_mu, d), Identity(d), Vec(b_mu, d)),
                neg(d),
                neg(log(Determinant(Diag(Indexed(b_sigma, j) ** 2, j, d)))),
            ),
        ),
    ),
    # made here: the full pair of tests/golden/make.py has nothing trivial
    Row(
        "trivial-terms",
        "full",
        add(
            mul(Rational(1, 2), Trace(Identity(d))),
            mul(Rational(-1, 2), d),
            mul(Rational(1, 2), log(Determinant(M_Sigma1))),
        ),
        mul(Rational(1, 2), log(Determinant(M_Sigma1))),
    ),
    # from vae, step 3
    Row(
        "variance-from-log-variance",
        "vae",
        mul(
            Rational(-1, 2),
            Sum(add(1, Indexed(b_ell, j), neg(Indexed(b_mu, j) ** 2), neg(Indexed(b_sigma, j) ** 2)), Tuple(j, 1, d)),
        ),
        mul(
            Rational(-1, 2),
            Sum(add(1, Indexed(b_ell, j), neg(Indexed(b_mu, j) ** 2), neg(exp(Indexed(b_ell, j)))), Tuple(j, 1, d)),
        ),
    ),
    # -- derivation/rules/sums.py -------------------------------------------------------------------------------
    # from diagonal-kingma, step 6
    Row(
        "cancel-opposites",
        "diagonal",
        sub(
            sub(
                mul(Rational(-1, 2), d, log(mul(2, pi))),
                mul(Rational(1, 2), Sum(add(1, log(Indexed(b_sigma, j) ** 2)), Tuple(j, 1, d))),
            ),
            sub(
                mul(Rational(-1, 2), d, log(mul(2, pi))),
                mul(Rational(1, 2), Sum(add(Indexed(b_sigma, j) ** 2, Indexed(b_mu, j) ** 2), Tuple(j, 1, d))),
            ),
        ),
        add(
            mul(Rational(-1, 2), Sum(add(1, log(Indexed(b_sigma, j) ** 2)), Tuple(j, 1, d))),
            mul(Rational(1, 2), Sum(add(Indexed(b_sigma, j) ** 2, Indexed(b_mu, j) ** 2), Tuple(j, 1, d))),
        ),
    ),
    # from pair-diagonal, step 10
    Row(
        "constant-out-of-sum",
        "pair-diagonal",
        Sum(
            mul(
                Rational(-1, 2),
                add(1, log(Indexed(b_sigma, j) ** 2), neg(Indexed(b_m, j) ** 2), neg(Indexed(b_sigma, j) ** 2)),
            ),
            Tuple(j, 1, d),
        ),
        mul(
            Rational(-1, 2),
            Sum(
                add(1, log(Indexed(b_sigma, j) ** 2), neg(Indexed(b_m, j) ** 2), neg(Indexed(b_sigma, j) ** 2)),
                Tuple(j, 1, d),
            ),
        ),
    ),
    # from diagonal-kingma, step 5
    Row(
        "cross-term",
        "diagonal",
        sub(
            sub(
                mul(Rational(-1, 2), d, log(mul(2, pi))),
                mul(Rational(1, 2), Sum(add(1, log(Indexed(b_sigma, j) ** 2)), Tuple(j, 1, d))),
            ),
            SpaceIntegral(mul(q_x_mu_diag, log(p_x_0_I)), Vec(b_x, d)),
        ),
        sub(
            sub(
                mul(Rational(-1, 2), d, log(mul(2, pi))),
                mul(Rational(1, 2), Sum(add(1, log(Indexed(b_sigma, j) ** 2)), Tuple(j, 1, d))),
            ),
            sub(
                mul(Rational(-1, 2), d, log(mul(2, pi))),
                mul(Rational(1, 2), Sum(add(Indexed(b_sigma, j) ** 2, Indexed(b_mu, j) ** 2), Tuple(j, 1, d))),
            ),
        ),
    ),
    # from diagonal-kingma > lemma of cross-term, step 2
    Row(
        "factorise",
        "diagonal",
        Expectation(log(p_x_0_I), q_x_mu_diag),
        Expectation(log(Product(p_xj_0_1_j, Tuple(j, 1, d))), q_x_mu_diag),
    ),
    # from pair-diagonal, step 8
    Row(
        "kl-of-coordinates",
        "pair-diagonal",
        Sum(Expectation(log(frac(q_xj_mj_sigmaj_j, p_xj_0_1_j)), q_xj_mj_sigmaj_j), Tuple(j, 1, d)),
        Sum(KL(q_xj_mj_sigmaj_j, p_xj_0_1_j), Tuple(j, 1, d)),
    ),
    # from diagonal-kingma > lemma of negative-entropy, step 9
    Row(
        "log-of-product",
        "diagonal",
        Sum(sub(mul(Rational(-1, 2), log(mul(2, pi, Indexed(b_sigma, j) ** 2))), Rational(1, 2)), Tuple(j, 1, d)),
        Sum(
            sub(mul(Rational(-1, 2), add(log(mul(2, pi)), log(Indexed(b_sigma, j) ** 2))), Rational(1, 2)),
            Tuple(j, 1, d),
        ),
    ),
    # from diagonal-kingma > lemma of cross-term, step 6
    Row(
        "marginal",
        "diagonal",
        Sum(
            add(
                mul(Rational(-1, 2), log(mul(2, pi))),
                mul(-1, Pow(2, -1, evaluate=False), Expectation(Indexed(b_x, j) ** 2, q_x_mu_diag)),
            ),
            Tuple(j, 1, d),
        ),
        Sum(
            add(
                mul(Rational(-1, 2), log(mul(2, pi))),
                mul(-1, Pow(2, -1, evaluate=False), Expectation(Indexed(b_x, j) ** 2, q_xj_muj_sigmaj_j)),
            ),
            Tuple(j, 1, d),
        ),
    ),
    # from diagonal-full, step 8
    Row(
        "merge-sums",
        "diagonal",
        mul(
            Rational(1, 2),
            add(
                Sum(Indexed(b_sigma, j) ** 2, Tuple(j, 1, d)),
                Sum(Indexed(b_mu, j) ** 2, Tuple(j, 1, d)),
                neg(d),
                neg(Sum(log(Indexed(b_sigma, j) ** 2), Tuple(j, 1, d))),
            ),
        ),
        mul(
            Rational(1, 2),
            Sum(
                add(Indexed(b_sigma, j) ** 2, Indexed(b_mu, j) ** 2, S(-1), neg(log(Indexed(b_sigma, j) ** 2))),
                Tuple(j, 1, d),
            ),
        ),
    ),
    # from diagonal-kingma, step 7: the first sum's coefficient comes out in front
    Row(
        "merge-sums-factor-out",
        "diagonal",
        add(
            mul(Rational(-1, 2), Sum(add(1, log(Indexed(b_sigma, j) ** 2)), Tuple(j, 1, d))),
            mul(Rational(1, 2), Sum(add(Indexed(b_sigma, j) ** 2, Indexed(b_mu, j) ** 2), Tuple(j, 1, d))),
        ),
        mul(
            Rational(-1, 2),
            Sum(
                add(1, log(Indexed(b_sigma, j) ** 2), neg(Indexed(b_sigma, j) ** 2), neg(Indexed(b_mu, j) ** 2)),
                Tuple(j, 1, d),
            ),
        ),
    ),
    # from diagonal-kingma, step 4
    Row(
        "negative-entropy",
        "diagonal",
        sub(
            SpaceIntegral(mul(q_x_mu_diag, log(q_x_mu_diag)), Vec(b_x, d)),
            SpaceIntegral(mul(q_x_mu_diag, log(p_x_0_I)), Vec(b_x, d)),
        ),
        sub(
            sub(
                mul(Rational(-1, 2), d, log(mul(2, pi))),
                mul(Rational(1, 2), Sum(add(1, log(Indexed(b_sigma, j) ** 2)), Tuple(j, 1, d))),
            ),
            SpaceIntegral(mul(q_x_mu_diag, log(p_x_0_I)), Vec(b_x, d)),
        ),
    ),
    # from pair-diagonal, step 4
    Row(
        "product-of-ratios",
        "pair-diagonal",
        Expectation(
            log(frac(Product(q_xj_mj_sigmaj_j, Tuple(j, 1, d)), Product(p_xj_0_1_j, Tuple(j, 1, d)))), q_x_m_diag
        ),
        Expectation(log(Product(frac(q_xj_mj_sigmaj_j, p_xj_0_1_j), Tuple(j, 1, d))), q_x_m_diag),
    ),
    # from diagonal-kingma, step 3
    Row(
        "split-integral",
        "diagonal",
        SpaceIntegral(mul(q_x_mu_diag, sub(log(q_x_mu_diag), log(p_x_0_I))), Vec(b_x, d)),
        sub(
            SpaceIntegral(mul(q_x_mu_diag, log(q_x_mu_diag)), Vec(b_x, d)),
            SpaceIntegral(mul(q_x_mu_diag, log(p_x_0_I)), Vec(b_x, d)),
        ),
    ),
    # from diagonal-kingma > lemma of negative-entropy, step 11
    Row(
        "split-off-constants",
        "diagonal",
        Sum(
            add(
                mul(Rational(-1, 2), log(mul(2, pi))),
                mul(Rational(-1, 2), log(Indexed(b_sigma, j) ** 2)),
                Rational(-1, 2),
            ),
            Tuple(j, 1, d),
        ),
        sub(
            mul(Rational(-1, 2), d, log(mul(2, pi))),
            mul(Rational(1, 2), Sum(add(1, log(Indexed(b_sigma, j) ** 2)), Tuple(j, 1, d))),
        ),
    ),
    # made here: the diagonal pairs skip it when no sum is constant
    Row(
        "sum-of-constant",
        "diagonal",
        Sum(mul(Rational(1, 2), log(mul(2, pi))), Tuple(j, 1, d)),
        mul(d, mul(Rational(1, 2), log(mul(2, pi)))),
    ),
    # made here: a negative term's sign leads the product (it printed "+ (-d (...))", a Dirichlet pair's last step)
    Row(
        "sum-of-constant",
        "diagonal",
        Sum(mul(-1, add(1, log(mul(2, pi)))), Tuple(j, 1, d)),
        mul(-1, d, add(1, log(mul(2, pi)))),
    ),
    # from pair-diagonal, step 9
    Row(
        "univariate-result",
        "pair-diagonal",
        Sum(KL(q_xj_mj_sigmaj_j, p_xj_0_1_j), Tuple(j, 1, d)),
        Sum(
            mul(
                Rational(-1, 2),
                add(1, log(Indexed(b_sigma, j) ** 2), neg(Indexed(b_m, j) ** 2), neg(Indexed(b_sigma, j) ** 2)),
            ),
            Tuple(j, 1, d),
        ),
    ),
    # from diagonal-kingma, step 8
    Row(
        "vae-order",
        "diagonal",
        mul(
            Rational(-1, 2),
            Sum(
                add(1, log(Indexed(b_sigma, j) ** 2), neg(Indexed(b_sigma, j) ** 2), neg(Indexed(b_mu, j) ** 2)),
                Tuple(j, 1, d),
            ),
        ),
        mul(
            Rational(-1, 2),
            Sum(
                add(1, log(Indexed(b_sigma, j) ** 2), neg(Indexed(b_mu, j) ** 2), neg(Indexed(b_sigma, j) ** 2)),
                Tuple(j, 1, d),
            ),
        ),
    ),
    # -- derivation/rules/terms.py ------------------------------------------------------------------------------
    # from dynamics > section two-gaussians, step 1
    Row(
        "closed-form-at",
        "univariate",
        sub(KL(q_x_0_1, p_x_0_2), KL(p_x_0_2, q_x_0_1)),
        sub(
            Subs(
                add(
                    log(frac(sigma2, sigma1)),
                    mul(Pow(mul(2, sigma2**2), -1, evaluate=False), add(sigma1**2, (sub(mu1, mu2)) ** 2)),
                    Rational(-1, 2),
                ),
                Tuple(mu1, sigma1, mu2, sigma2),
                Tuple(0, 1, 0, 2),
            ),
            Subs(
                add(
                    log(frac(sigma2, sigma1)),
                    mul(Pow(mul(2, sigma2**2), -1, evaluate=False), add(sigma1**2, (sub(mu1, mu2)) ** 2)),
                    Rational(-1, 2),
                ),
                Tuple(mu1, sigma1, mu2, sigma2),
                Tuple(0, 2, 0, 1),
            ),
        ),
    ),
    # from dynamics > section two-gaussians, step 3
    Row(
        "collect",
        "univariate",
        sub(sub(log(2), Rational(3, 8)), sub(Rational(3, 2), log(2))),
        sub(mul(2, log(2)), Rational(15, 8)),
    ),
    # from dynamics > section two-gaussians, step 5
    Row(
        "combine-logs",
        "univariate",
        add(
            frac((sub(mu1, mu2)) ** 2, mul(2, sigma2**2)),
            mul(Rational(1, 2), add(mul(sigma1**2, sigma2**-2), log(sigma2**2), neg(log(sigma1**2)), -1)),
        ),
        add(
            frac((sub(mu1, mu2)) ** 2, mul(2, sigma2**2)),
            mul(Rational(1, 2), add(mul(sigma1**2, sigma2**-2), neg(log(frac(sigma1**2, sigma2**2))), -1)),
        ),
    ),
    # from dynamics > section two-gaussians, step 2
    Row(
        "put-values-in",
        "univariate",
        sub(
            Subs(
                add(
                    log(frac(sigma2, sigma1)),
                    mul(Pow(mul(2, sigma2**2), -1, evaluate=False), add(sigma1**2, (sub(mu1, mu2)) ** 2)),
                    Rational(-1, 2),
                ),
                Tuple(mu1, sigma1, mu2, sigma2),
                Tuple(0, 1, 0, 2),
            ),
            Subs(
                add(
                    log(frac(sigma2, sigma1)),
                    mul(Pow(mul(2, sigma2**2), -1, evaluate=False), add(sigma1**2, (sub(mu1, mu2)) ** 2)),
                    Rational(-1, 2),
                ),
                Tuple(mu1, sigma1, mu2, sigma2),
                Tuple(0, 2, 0, 1),
            ),
        ),
        sub(sub(log(2), Rational(3, 8)), sub(Rational(3, 2), log(2))),
    ),
    # from dynamics > section two-gaussians, step 3
    Row(
        "split-fraction",
        "univariate",
        add(
            sub(mul(Rational(1, 2), log(sigma2**2)), mul(Rational(1, 2), log(sigma1**2))),
            mul(Pow(mul(2, sigma2**2), -1, evaluate=False), add(sigma1**2, (sub(mu1, mu2)) ** 2)),
            Rational(-1, 2),
        ),
        add(
            mul(Rational(1, 2), log(sigma2**2)),
            mul(Rational(-1, 2), log(sigma1**2)),
            frac(sigma1**2, mul(2, sigma2**2)),
            frac((sub(mu1, mu2)) ** 2, mul(2, sigma2**2)),
            Rational(-1, 2),
        ),
    ),
    # from standard > section interpretation, step 1
    Row(
        "split-mean-variance",
        "standard",
        mul(Rational(-1, 2), add(1, log(sigma**2), neg(mu**2), neg(sigma**2))),
        add(mul(Rational(1, 2), mu**2), mul(Rational(1, 2), add(sigma**2, neg(log(sigma**2)), -1))),
    ),
    # from dynamics > section terms, step 1
    Row(
        "sum-term-by-term",
        "standard",
        Sum(
            add(
                mul(Rational(1, 2), Indexed(b_mu, j) ** 2),
                mul(Rational(1, 2), add(Indexed(b_sigma, j) ** 2, neg(log(Indexed(b_sigma, j) ** 2)), -1)),
            ),
            Tuple(j, 1, d),
        ),
        add(
            mul(Rational(1, 2), Sum(Indexed(b_mu, j) ** 2, Tuple(j, 1, d))),
            mul(
                Rational(1, 2),
                Sum(add(Indexed(b_sigma, j) ** 2, neg(log(Indexed(b_sigma, j) ** 2)), -1), Tuple(j, 1, d)),
            ),
        ),
    ),
    # -- derivation/variants.py ---------------------------------------------------------------------------------
    # from pair-numbers, step 10
    Row(
        "evaluate",
        "pair-numbers",
        add(neg(log(2)), mul(Pow(2, -1, evaluate=False), add(4, 1)), Rational(-1, 2)),
        add(neg(log(2)), Rational(5, 2), Rational(-1, 2)),
    ),
    # from pair-diagonal, step 12
    Row(
        "evaluate",
        "pair-diagonal",
        mul(
            Rational(-1, 2),
            Sum(
                add(
                    1,
                    log(Pow(exp(mul(Rational(1, 2), Indexed(b_lv, j))), 2, evaluate=False)),
                    neg(Indexed(b_m, j) ** 2),
                    neg(Pow(exp(mul(Rational(1, 2), Indexed(b_lv, j))), 2, evaluate=False)),
                ),
                Tuple(j, 1, d),
            ),
        ),
        mul(
            Rational(-1, 2),
            Sum(add(1, Indexed(b_lv, j), neg(Indexed(b_m, j) ** 2), neg(exp(Indexed(b_lv, j)))), Tuple(j, 1, d)),
        ),
    ),
    # from pair-diagonal, step 11
    Row(
        "parameterisation",
        "pair-diagonal",
        mul(
            Rational(-1, 2),
            Sum(
                add(1, log(Indexed(b_sigma, j) ** 2), neg(Indexed(b_m, j) ** 2), neg(Indexed(b_sigma, j) ** 2)),
                Tuple(j, 1, d),
            ),
        ),
        mul(
            Rational(-1, 2),
            Sum(
                add(
                    1,
                    log(Pow(exp(mul(Rational(1, 2), Indexed(b_lv, j))), 2, evaluate=False)),
                    neg(Indexed(b_m, j) ** 2),
                    neg(Pow(exp(mul(Rational(1, 2), Indexed(b_lv, j))), 2, evaluate=False)),
                ),
                Tuple(j, 1, d),
            ),
        ),
    ),
    # from pair-logvar, step 10
    Row(
        "parameterisation",
        "pair-logvar",
        add(neg(log(sigma)), mul(Pow(2, -1, evaluate=False), add(sigma**2, m**2)), Rational(-1, 2)),
        add(
            neg(log(exp(mul(Rational(1, 2), v)), evaluate=False)),
            mul(Pow(2, -1, evaluate=False), add(Pow(exp(mul(Rational(1, 2), v)), 2, evaluate=False), m**2)),
            Rational(-1, 2),
        ),
    ),
    # -- derivation/rules/elbo.py: the elbo document -----------------------------------------------------------
    # from elbo, steps 1 to 6
    Row("q-normalised", "elbo", log(evidence), Expectation(log(evidence), q_z)),
    Row("bayes-rule", "elbo", Expectation(log(evidence), q_z), Expectation(log(frac(joint, posterior)), q_z)),
    Row("multiply-divide-by-q", "elbo", Expectation(log(frac(joint, posterior)), q_z),
        Expectation(log(mul(frac(joint, q_z), frac(q_z, posterior)), evaluate=False), q_z)),
    Row("split-log", "elbo", Expectation(log(mul(frac(joint, q_z), frac(q_z, posterior)), evaluate=False), q_z),
        Expectation(add(log(frac(joint, q_z)), log(frac(q_z, posterior))), q_z)),
    Row("elbo-and-kl", "elbo",
        add(Expectation(log(frac(joint, q_z)), q_z), Expectation(log(frac(q_z, posterior)), q_z)),
        add(elbo_q, KL(q_z, posterior))),
    # from elbo > Reconstruction and regulariser
    Row("elbo-definition", "elbo", elbo_q, Expectation(log(frac(joint, q_z)), q_z)),
    Row("factorise-joint", "elbo", Expectation(log(frac(joint, q_z)), q_z),
        Expectation(log(mul(likelihood, frac(prior, q_z))), q_z)),
    Row("divergence-from-prior", "elbo", add(expected_log_likelihood, Expectation(log(frac(prior, q_z)), q_z)),
        sub(expected_log_likelihood, KL(q_z, prior))),
    Row("paper-result", "elbo", sub(expected_log_likelihood, KL(q_z, prior)),
        add(expected_log_likelihood, minus_paper)),
    # from elbo > Jensen's route
    Row("importance-weight", "elbo", log(evidence), log(Integral(mul(q_z, frac(joint, q_z)), (z, -oo, oo)))),
    # from elbo-linear-gaussian, steps 1 to 4
    Row("elbo-decomposition", "elbo-linear-gaussian", elbo_q, sub(expected_log_likelihood, KL(q_z, prior))),
    Row("model-log-densities", "elbo-linear-gaussian", sub(expected_log_likelihood, KL(q_z, prior)),
        sub(Expectation(likelihood_log_density, q_z), KL(q_z, prior))),
    Row("expected-squared-error", "elbo-linear-gaussian",
        sub(add(mul(Rational(-1, 2), log(mul(2, pi, s_m**2))),
                mul(S.NegativeOne, frac(1, mul(2, s_m**2)), Expectation(sub(x, mul(w_m, z)) ** 2, q_z))),
            KL(q_z, prior)),
        add(mul(Rational(-1, 2), log(mul(2, pi, s_m**2))),
            mul(S.NegativeOne, frac(1, mul(2, s_m**2)), add(sub(x, mul(w_m, m)) ** 2, mul(w_m**2, t**2))),
            neg(KL(q_z, prior)))),
    # from elbo-linear-gaussian > The exact posterior and the evidence
    Row("complete-the-square", "elbo-linear-gaussian", add(likelihood_log_density, prior_log_density),
        completed_square(elbo_model)),
    Row("posterior-and-evidence", "elbo-linear-gaussian", completed_square(elbo_model),
        add(log(posterior), log(evidence))),
    # from elbo-linear-gaussian > The identity, exactly
    Row("divergence-between-gaussians", "elbo-linear-gaussian", KL(q_z, posterior),
        # the univariate closed form at q's and the posterior's parameters (SymPy's product), the number last
        add((w_m**2 + s_m**2) * (t**2 + (m - w_m * x / (w_m**2 + s_m**2)) ** 2) / (2 * s_m**2),
            log(s_m / (t * (w_m**2 + s_m**2) ** Rational(1, 2))), Rational(-1, 2))),
    # -- derivation/rules/decoder.py (and the sums and algebra rules it uses): the reconstruction document -----------
    # from reconstruction, steps 1 to 6
    Row("pixels-independent", "reconstruction", neg(log(decoder.likelihood)),
        neg(log(Product(decoder.pixel(), (i_px, 1, D_px))))),
    Row("negate-into-sum", "reconstruction", neg(Sum(log(decoder.pixel()), (i_px, 1, D_px))),
        Sum(neg(log(decoder.pixel())), (i_px, 1, D_px))),
    Row("pixel-result", "reconstruction", Sum(neg(log(decoder.pixel())), (i_px, 1, D_px)),
        Sum(add(mul(HALF, log(mul(2, pi, s_px**2))), pixel_error), (i_px, 1, D_px))),
    Row("factor-out-of-sum", "reconstruction",
        add(mul(D_px, HALF, log(mul(2, pi, s_px**2))),
            mul(HALF, Sum(mul(sub(x_px[i_px], y_px[i_px]) ** 2, Pow(s_px**2, -1)), (i_px, 1, D_px)))),
        add(mul(D_px, HALF, log(mul(2, pi, s_px**2))), sum_error / (2 * s_px**2))),
    # from reconstruction > Lemma (One pixel), both decoders
    Row("pixel-log-density", "reconstruction", neg(log(decoder.pixel())),
        neg(sub(mul(neg(HALF), log(mul(2, pi, s_px**2))), pixel_error))),
    Row("open-negated-bracket", "reconstruction", neg(sub(mul(neg(HALF), log(mul(2, pi, s_px**2))), pixel_error)),
        add(mul(HALF, log(mul(2, pi, s_px**2))), pixel_error)),
    Row("pixel-log-density", "reconstruction-bernoulli", neg(log(bernoulli_decoder.pixel())), neg(pixel_log_mass)),
    # from reconstruction > The noise variance and the weight of the divergence
    Row("multiply-through", "reconstruction",
        Mul(2 * s_px**2, add(mul(D_px, HALF, log(mul(2, pi, s_px**2))), sum_error / (2 * s_px**2), kl_decoder),
            evaluate=False),
        add(D_px * s_px**2 * log(mul(2, pi, s_px**2)), sum_error, 2 * s_px**2 * kl_decoder)),
    # from reconstruction > In the logits (each inside the sum over the pixels)
    Row("logistic-output", "reconstruction-bernoulli", pixel_bce,
        add(mul(x_px[i_px], log(add(1, exp(neg(eta_px[i_px]))))),
            mul(sub(1, x_px[i_px]), log(add(1, exp(eta_px[i_px])))))),
    Row("softplus-of-minus", "reconstruction-bernoulli",
        add(mul(x_px[i_px], log(add(1, exp(neg(eta_px[i_px]))))),
            mul(sub(1, x_px[i_px]), log(add(1, exp(eta_px[i_px]))))),
        add(mul(x_px[i_px], sub(log(add(1, exp(eta_px[i_px]))), eta_px[i_px])),
            mul(sub(1, x_px[i_px]), log(add(1, exp(eta_px[i_px])))))),
    Row("collect-softplus", "reconstruction-bernoulli",
        add(mul(x_px[i_px], sub(log(add(1, exp(eta_px[i_px]))), eta_px[i_px])),
            mul(sub(1, x_px[i_px]), log(add(1, exp(eta_px[i_px]))))),
        add(log(1 + exp(eta_px[i_px])), mul(-1, x_px[i_px], eta_px[i_px]))),
    # the three results as the code sections show them (chains of their own)
    Row("loss-in-code", "reconstruction", add(mul(D_px, HALF, log(mul(2, pi, s_px**2))), sum_error / (2 * s_px**2)),
        CodeLine(add(mul(D_px, HALF, log(mul(2, pi, s_px**2))), sum_error / (2 * s_px**2)),
                 "(F.mse_loss(x_hat, x, reduction='sum') / (2*s**2)\n + D*math.log(2*math.pi*s**2) / 2)",
                 decoder.code_names)),
    Row("loss-in-code", "reconstruction-bernoulli", Sum(pixel_bce, (i_px, 1, D_px)),
        CodeLine(Sum(pixel_bce, (i_px, 1, D_px)), "F.binary_cross_entropy(x_hat, x, reduction='sum')",
                 decoder.code_names)),
    Row("loss-in-code", "reconstruction-bernoulli",
        Sum(add(log(1 + exp(eta_px[i_px])), mul(-1, x_px[i_px], eta_px[i_px])), (i_px, 1, D_px)),
        CodeLine(Sum(add(log(1 + exp(eta_px[i_px])), mul(-1, x_px[i_px], eta_px[i_px])), (i_px, 1, D_px)),
                 "F.binary_cross_entropy_with_logits(logits, x, reduction='sum')", decoder.code_names)),
]

# -- the half-normal family (derivation/rules/halfnormal.py) ----------------------------------------------------
CONFIGURATIONS["pair-halfnormal"] = {"q": "HalfNormal(s1)", "p": "HalfNormal(s2)"}
DERIVED += ({"q": "HalfNormal(s1)", "p": "HalfNormal(s2)"}, {"q": "HalfNormal(2)", "p": "HalfNormal(1)"})
hn_s1, hn_s2 = Symbol("s1", positive=True), Symbol("s2", positive=True)
q_halfnormal, p_halfnormal = Density("q", x, HalfNormalLaw(hn_s1)), Density("p", x, HalfNormalLaw(hn_s2))
#: log q(x), log p(x), q's normaliser and its Gaussian factor.
log_q_halfnormal = sub(sub(mul(HALF, log(frac(2, pi))), log(hn_s1)), frac(x**2, mul(2, hn_s1**2)))
log_p_halfnormal = sub(sub(mul(HALF, log(frac(2, pi))), log(hn_s2)), frac(x**2, mul(2, hn_s2**2)))
c_halfnormal = frac(Pow(2, HALF), mul(Pow(pi, HALF), hn_s1))
w_halfnormal = exp(neg(frac(x**2, mul(2, hn_s1**2))), evaluate=False)
ROWS += [
    # from pair-halfnormal, step 4
    Row("halfnormal-log-density", "pair-halfnormal",
        Expectation(sub(log(q_halfnormal), log(p_halfnormal)), q_halfnormal),
        Expectation(sub(log_q_halfnormal, log_p_halfnormal), q_halfnormal)),
    # from pair-halfnormal, step 5
    Row("combine-halfnormal-log-densities", "pair-halfnormal",
        Expectation(sub(log_q_halfnormal, log_p_halfnormal), q_halfnormal),
        Expectation(add(log(frac(hn_s2, hn_s1)), neg(frac(x**2, mul(2, hn_s1**2))), frac(x**2, mul(2, hn_s2**2))),
                    q_halfnormal)),
    # from pair-halfnormal, step 7 (one term of the line)
    Row("halfnormal-second-moment", "pair-halfnormal",
        mul(frac(1, mul(2, hn_s2**2)), Expectation(x**2, q_halfnormal)),
        mul(frac(1, mul(2, hn_s2**2)), hn_s1**2)),
    # from pair-halfnormal > lemma Second moment of a half-normal variable, steps 1 to 3
    Row("halfnormal-expectation-as-integral", "pair-halfnormal",
        Expectation(x**2, q_halfnormal),
        mul(c_halfnormal, Integral(mul(x**2, w_halfnormal), (x, 0, oo)))),
    Row("gaussian-moment-by-parts", "pair-halfnormal",
        mul(c_halfnormal, Integral(mul(x**2, w_halfnormal), (x, 0, oo))),
        mul(c_halfnormal, mul(hn_s1**2, Integral(w_halfnormal, (x, 0, oo))))),
    Row("half-gaussian-integral", "pair-halfnormal",
        mul(c_halfnormal, mul(hn_s1**2, Integral(w_halfnormal, (x, 0, oo)))),
        mul(c_halfnormal, mul(hn_s1**2, frac(mul(Pow(pi, HALF), hn_s1), Pow(2, HALF))))),
]

# -- the uniform family (derivation/rules/uniform.py) and the support argument (derivation/rules/support.py) -----
CONFIGURATIONS["pair-uniform"] = {"q": "Uniform(a1, b1)", "p": "Uniform(a2, b2)"}
CONFIGURATIONS["pair-uniform-infinite"] = {"q": "Uniform(0, 2)", "p": "Uniform(0, 1)"}
DERIVED += ({"q": "Uniform(a1, b1)", "p": "Uniform(a2, b2)"}, {"q": "Uniform(0, 2)", "p": "Uniform(0, 1)"})
u_a1, u_b1, u_a2, u_b2 = (Symbol(name, real=True) for name in ("a1", "b1", "a2", "b2"))
q_uniform, p_uniform = Density("q", x, UniformLaw(u_a1, u_b1)), Density("p", x, UniformLaw(u_a2, u_b2))
log_q_uniform, log_p_uniform = neg(log(sub(u_b1, u_a1))), neg(log(sub(u_b2, u_a2)))
q_wide, p_unit = Density("q", x, UniformLaw(S(0), S(2))), Density("p", x, UniformLaw(S(0), S(1)))
ROWS += [
    # from pair-uniform, step 4
    Row("uniform-log-density", "pair-uniform",
        Expectation(sub(log(q_uniform), log(p_uniform)), q_uniform),
        Expectation(add(log_q_uniform, mul(S.NegativeOne, log_p_uniform)), q_uniform)),
    # from pair-uniform, step 5
    Row("combine-uniform-log-densities", "pair-uniform",
        Expectation(add(log_q_uniform, mul(S.NegativeOne, log_p_uniform)), q_uniform),
        Expectation(log(frac(sub(u_b2, u_a2), sub(u_b1, u_a1))), q_uniform)),
    # from pair-uniform-infinite, step 2
    Row("continuous-support-mismatch", "pair-uniform-infinite",
        Integral(mul(q_wide, log(frac(q_wide, p_unit))), (x, 0, 2)),
        oo),
]

# -- the Pareto family (derivation/rules/pareto.py) ---------------------------------------------------------------
CONFIGURATIONS["pair-pareto"] = {"q": "Pareto(m1, a1)", "p": "Pareto(m2, a2)"}
DERIVED += ({"q": "Pareto(m1, a1)", "p": "Pareto(m2, a2)"}, {"q": "Pareto(1, 2)", "p": "Pareto(2, 1)"})
pa_m1, pa_a1, pa_m2, pa_a2 = (Symbol(name, positive=True) for name in ("m1", "a1", "m2", "a2"))
q_pareto, p_pareto = Density("q", x, ParetoLaw(pa_m1, pa_a1)), Density("p", x, ParetoLaw(pa_m2, pa_a2))
#: log q(x), log p(x), q's normaliser and weight, and E_q[log x].
log_q_pareto = sub(add(log(pa_a1), mul(pa_a1, log(pa_m1))), mul(add(pa_a1, S.One), log(x)))
log_p_pareto = sub(add(log(pa_a2), mul(pa_a2, log(pa_m2))), mul(add(pa_a2, S.One), log(x)))
c_pareto = mul(pa_a1, Pow(pa_m1, pa_a1, evaluate=False))
w_pareto = Pow(x, neg(add(pa_a1, S.One)), evaluate=False)
m_pow = Pow(pa_m1, -pa_a1, evaluate=False)
ROWS += [
    # from pair-pareto, step 4
    Row("pareto-log-density", "pair-pareto",
        Expectation(sub(log(q_pareto), log(p_pareto)), q_pareto),
        Expectation(sub(log_q_pareto, log_p_pareto), q_pareto)),
    # from pair-pareto, step 5
    Row("combine-pareto-log-densities", "pair-pareto",
        Expectation(sub(log_q_pareto, log_p_pareto), q_pareto),
        Expectation(add(log(frac(pa_a1, pa_a2)), mul(pa_a1, log(pa_m1)), neg(mul(pa_a2, log(pa_m2))),
                        neg(mul(add(pa_a1, S.One), log(x))), mul(add(pa_a2, S.One), log(x))), q_pareto)),
    # from pair-pareto, step 7 (one term of the line)
    Row("pareto-log-moment", "pair-pareto",
        mul(add(pa_a2, S.One), Expectation(log(x), q_pareto)),
        mul(add(pa_a2, S.One), log(pa_m1) + 1 / pa_a1)),
    # from pair-pareto > lemma Expected logarithm of a Pareto variable, steps 1 and 2
    Row("pareto-expectation-as-integral", "pair-pareto",
        Expectation(log(x), q_pareto),
        mul(c_pareto, Integral(mul(log(x), w_pareto), (x, pa_m1, oo)))),
    Row("log-power-by-parts", "pair-pareto",
        mul(c_pareto, Integral(mul(log(x), w_pareto), (x, pa_m1, oo))),
        mul(c_pareto, add(frac(mul(m_pow, log(pa_m1)), pa_a1), frac(m_pow, Pow(pa_a1, 2, evaluate=False))))),
    # from pair-pareto, step 8
    Row("collect-pareto-terms", "pair-pareto",
        add(log(frac(pa_a1, pa_a2)), mul(pa_a1, log(pa_m1)), neg(mul(pa_a2, log(pa_m2))),
            neg(mul(add(pa_a1, S.One), log(pa_m1) + 1 / pa_a1)), mul(add(pa_a2, S.One), log(pa_m1) + 1 / pa_a1)),
        add(log(frac(pa_a1, pa_a2)), mul(pa_a2, log(frac(pa_m1, pa_m2))), frac(pa_a2, pa_a1), S.NegativeOne)),
]

# -- the Beta family (derivation/rules/beta.py: the Gamma lemma's steps with the Beta integral) -----------------
CONFIGURATIONS["pair-beta"] = {"q": "Beta(a1, b1)", "p": "Beta(a2, b2)"}
DERIVED += ({"q": "Beta(a1, b1)", "p": "Beta(a2, b2)"}, {"q": "Beta(2, 3)", "p": "Beta(1, 1)"})
be_a1, be_b1, be_a2, be_b2 = (Symbol(name, positive=True) for name in ("a1", "b1", "a2", "b2"))
q_beta, p_beta = Density("q", x, BetaLaw(be_a1, be_b1)), Density("p", x, BetaLaw(be_a2, be_b2))
one_minus_x = sub(S.One, x)
#: log q(x) and log p(x) as the Beta law writes them, q's normaliser, its two powers, B(a1, b1) and the digammas.
log_q_beta = add(log(frac(gamma(add(be_a1, be_b1)), mul(gamma(be_a1), gamma(be_b1)))),
                 mul(sub(be_a1, S.One), log(x)), mul(sub(be_b1, S.One), log(one_minus_x)))
log_p_beta = add(log(frac(gamma(add(be_a2, be_b2)), mul(gamma(be_a2), gamma(be_b2)))),
                 mul(sub(be_a2, S.One), log(x)), mul(sub(be_b2, S.One), log(one_minus_x)))
c_beta = frac(gamma(add(be_a1, be_b1)), mul(gamma(be_a1), gamma(be_b1)))
x_a1_beta, y_b1_beta = Pow(x, sub(be_a1, S.One), evaluate=False), Pow(one_minus_x, sub(be_b1, S.One), evaluate=False)
beta_function_1 = frac(mul(gamma(be_a1), gamma(be_b1)), gamma(add(be_a1, be_b1)))
log_ratio_beta = log(frac(mul(gamma(add(be_a1, be_b1)), gamma(be_a2), gamma(be_b2)),
                          mul(gamma(be_a1), gamma(be_b1), gamma(add(be_a2, be_b2)))))
psi_beta = {arg: polygamma(S.Zero, arg, evaluate=False) for arg in (be_a1, be_b1, add(be_a1, be_b1))}
ROWS += [
    # from pair-beta, step 4
    Row("beta-log-density", "pair-beta",
        Expectation(sub(log(q_beta), log(p_beta)), q_beta),
        Expectation(sub(log_q_beta, log_p_beta), q_beta)),
    # from pair-beta, step 5
    Row("combine-beta-log-densities", "pair-beta",
        Expectation(sub(log_q_beta, log_p_beta), q_beta),
        Expectation(add(log_ratio_beta, mul(sub(be_a1, S.One), log(x)), mul(sub(be_b1, S.One), log(one_minus_x)),
                        neg(mul(sub(be_a2, S.One), log(x))), neg(mul(sub(be_b2, S.One), log(one_minus_x)))), q_beta)),
    # from pair-beta, steps 7 and 8 (one term of the line each)
    Row("beta-log-moment", "pair-beta",
        mul(sub(be_a2, S.One), Expectation(log(x), q_beta)),
        mul(sub(be_a2, S.One), sub(psi_beta[be_a1], psi_beta[add(be_a1, be_b1)]))),
    Row("beta-log-complement-moment", "pair-beta",
        mul(sub(be_b2, S.One), Expectation(log(one_minus_x), q_beta)),
        mul(sub(be_b2, S.One), sub(psi_beta[be_b1], psi_beta[add(be_a1, be_b1)]))),
    # from pair-beta > lemma Expected logarithm of a Beta variable, step 1
    Row("beta-expectation-as-integral", "pair-beta",
        Expectation(log(x), q_beta),
        mul(c_beta, Integral(mul(log(x), mul(x_a1_beta, y_b1_beta)), (x, 0, 1)))),
    # from pair-beta > lemma Expected logarithm of a Beta variable, step 4
    Row("beta-integral", "pair-beta",
        mul(c_beta, Partial(Integral(mul(x_a1_beta, y_b1_beta), (x, 0, 1)), be_a1)),
        mul(c_beta, Partial(beta_function_1, be_a1))),
    # from pair-beta > lemma Expected logarithm of one minus a Beta variable, step 2
    Row("reflect-unit-interval", "pair-beta",
        mul(c_beta, Integral(mul(log(one_minus_x), mul(x_a1_beta, y_b1_beta)), (x, 0, 1))),
        mul(c_beta, Integral(mul(log(x), Pow(x, sub(be_b1, S.One), evaluate=False),
                                 Pow(one_minus_x, sub(be_a1, S.One), evaluate=False)), (x, 0, 1)))),
    # from pair-beta, step 9
    Row("collect-beta-terms", "pair-beta",
        add(log_ratio_beta, mul(sub(be_a1, be_a2), sub(psi_beta[be_a1], psi_beta[add(be_a1, be_b1)])),
            mul(sub(be_b1, be_b2), sub(psi_beta[be_b1], psi_beta[add(be_a1, be_b1)]))),
        add(log_ratio_beta, mul(sub(be_a1, be_a2), psi_beta[be_a1]), mul(sub(be_b1, be_b2), psi_beta[be_b1]),
            mul(add(be_a2, neg(be_a1), be_b2, neg(be_b1)), psi_beta[add(be_a1, be_b1)]))),
]


# -- one exponential family in general (derivation/rules/expfamily.py, derivation/cases/expfamily.py) ---------------
CONFIGURATIONS["exponential-family"] = {"case": "exponential-family"}
DERIVED += ({"case": "exponential-family"},)
eta_q, eta_p = Symbol("eta_q", real=True), Symbol("eta_p", real=True)
q_ef, p_ef = Density("q", x, ExponentialFamilyLaw(eta_q)), Density("p", x, ExponentialFamilyLaw(eta_p))
A_, dA_, T_, h_ = LOG_NORMALISER, SLOPE, STATISTIC, BASE
#: exp(-A(eta_q)), exp(eta_q T(x)), and the lemma's integral ranges.
inverse_ef = exp(neg(A_(eta_q)), evaluate=False)
tilt_ef = exp(mul(eta_q, T_(x)), evaluate=False)
line_ef = (x, -oo, oo)
mean_term_ef = add(mul(sub(eta_q, eta_p), Expectation(T_(x), q_ef)), neg(A_(eta_q)), A_(eta_p))
slope_term_ef = add(mul(sub(eta_q, eta_p), dA_(eta_q)), neg(A_(eta_q)), A_(eta_p))
bregman_ef = add(A_(eta_p), neg(A_(eta_q)), neg(mul(sub(eta_p, eta_q), dA_(eta_q))))
ROWS += [
    # from exponential-family, step 4
    Row("natural-log-density", "exponential-family", Expectation(sub(log(q_ef), log(p_ef)), q_ef),
        Expectation(sub(add(log(h_(x)), mul(eta_q, T_(x)), neg(A_(eta_q))),
                        add(log(h_(x)), mul(eta_p, T_(x)), neg(A_(eta_p)))), q_ef)),
    # from exponential-family, step 5
    Row("combine-natural-log-densities", "exponential-family",
        Expectation(sub(add(log(h_(x)), mul(eta_q, T_(x)), neg(A_(eta_q))),
                        add(log(h_(x)), mul(eta_p, T_(x)), neg(A_(eta_p)))), q_ef),
        Expectation(add(mul(sub(eta_q, eta_p), T_(x)), neg(A_(eta_q)), A_(eta_p)), q_ef)),
    # from exponential-family, step 7 (the lemma below derives it)
    Row("mean-of-statistic", "exponential-family", mean_term_ef, slope_term_ef),
    # from exponential-family, step 8
    Row("bregman-form", "exponential-family", slope_term_ef, bregman_ef),
    # from exponential-family > Lemma 1, steps 1 to 5
    Row("natural-expectation-as-integral", "exponential-family", Expectation(T_(x), q_ef),
        mul(inverse_ef, Integral(mul(T_(x), mul(h_(x), tilt_ef)), line_ef))),
    Row("statistic-as-derivative", "exponential-family",
        mul(inverse_ef, Integral(mul(T_(x), mul(h_(x), tilt_ef)), line_ef)),
        mul(inverse_ef, Integral(mul(h_(x), Partial(tilt_ef, eta_q)), line_ef))),
    Row("natural-normalising-integral", "exponential-family",
        mul(inverse_ef, Partial(Integral(mul(tilt_ef, h_(x)), line_ef), eta_q)),
        mul(inverse_ef, Partial(exp(A_(eta_q), evaluate=False), eta_q))),
    Row("differentiate-exp-log-normaliser", "exponential-family",
        mul(inverse_ef, Partial(exp(A_(eta_q), evaluate=False), eta_q)), dA_(eta_q)),
]


class _NaturalInstance:
    """A family in natural form (its log-normaliser and natural parameters put in): the setting of its rows."""

    def __init__(self, law):
        self.law = law

    def checker(self) -> Checker:
        return in_natural_form(self.law, setting("exponential-family")).checker


def _natural_rules() -> tuple[Rule, ...]:
    """Each family's two rules (natural form; simplified, its own derivation's result), as its chain makes them."""
    general = derive("exponential-family")
    return tuple(rule for law in NATURAL_FORMS
                 for rule in in_natural_form(law, general.setting).rules(law, agreement(law, general).derived))


lam_q, lam_p = Symbol("lambda_q", positive=True), Symbol("lambda_p", positive=True)
th_q, th_p = Symbol("theta_q", positive=True), Symbol("theta_p", positive=True)
sg_q, sg_p = Symbol("sigma_q", positive=True), Symbol("sigma_p", positive=True)
#: The general result in each family's natural form, as SymPy writes it (A, A' and eta put in, then evaluated).
NATURAL_FORM_LINES = {
    "bernoulli": (log(th_p / (1 - th_p) + 1) - log(th_q / (1 - th_q) + 1)
                  - th_q * (log(th_p / (1 - th_p)) - log(th_q / (1 - th_q))) / ((1 - th_q) * (th_q / (1 - th_q) + 1))),
    "poisson": lam_p - lam_q - lam_q * (log(lam_p) - log(lam_q)),
    "geometric": -log(th_p) + log(th_q) - (1 - th_q) * (log(1 - th_p) - log(1 - th_q)) / th_q,
    "exponential": -log(lam_p) + log(lam_q) - (lam_q - lam_p) / lam_q,
    "halfnormal": (-sg_q**2 * (1 / (2 * sg_q**2) - 1 / (2 * sg_p**2)) - log(sg_p**-2) / 2 + log(sg_q**-2) / 2),
}
ROWS += [
    # from exponential-family > Each family from the Bregman divergence, step 1 of each chain
    *(Row(f"natural-form-{law.family.lower()}", f"natural-{law.family.lower()}", bregman_ef,
          NATURAL_FORM_LINES[law.family.lower()]) for law in NATURAL_FORMS),
    # step 2 of each chain: the family's own derivation's result (its document)
    *(Row(f"as-derived-{law.family.lower()}", f"natural-{law.family.lower()}", NATURAL_FORM_LINES[law.family.lower()],
          agreement(law, derive("exponential-family")).derived) for law in NATURAL_FORMS),
]

# -- derivation/rules/categorical.py: Categorical(logits=a, dim=K) vs Categorical(logits=b, dim=K) ---------------
cat_K = Symbol("K", integer=True, positive=True)
cat_a, cat_b = IndexedBase("a", real=True), IndexedBase("b", real=True)
cat_tq, cat_tp = IndexedBase("theta_q", positive=True), IndexedBase("theta_p", positive=True)
q_cat, p_cat = Density("q", k, CategoricalLaw(cat_tq, cat_K)), Density("p", k, CategoricalLaw(cat_tp, cat_K))
cat_lse_a = log(Sum(exp(cat_a[j]), (j, 1, cat_K)), evaluate=False)
cat_lse_b = log(Sum(exp(cat_b[j]), (j, 1, cat_K)), evaluate=False)
cat_sum = Sum(mul(cat_tq[k], log(frac(cat_tq[k], cat_tp[k]))), (k, 1, cat_K))
cat_split = Sum(mul(cat_tq[k], add(cat_a[k], neg(cat_b[k]), neg(cat_lse_a), cat_lse_b)), (k, 1, cat_K))
cat_out = add(Sum(mul(cat_tq[k], add(cat_a[k], neg(cat_b[k]))), (k, 1, cat_K)), neg(cat_lse_a), cat_lse_b)
ROWS += [
    # steps 2 to 5 of the derivation
    Row("category-probabilities", "pair-categorical-logits",
        Sum(mul(q_cat, log(frac(q_cat, p_cat))), (k, 1, cat_K)), cat_sum),
    Row("log-softmax", "pair-categorical-logits", cat_sum, cat_split),
    Row("category-weights-add-to-one", "pair-categorical-logits", cat_split, cat_out),
    Row("softmax", "pair-categorical-logits", cat_out,
        add(Sum(mul(frac(exp(cat_a[k]), Sum(exp(cat_a[j]), (j, 1, cat_K))), add(cat_a[k], neg(cat_b[k]))),
                (k, 1, cat_K)), neg(cat_lse_a), cat_lse_b)),
]

# -- a uniform categorical law (1/K): no fraction of a fraction, no logarithm of a reciprocal; the weight comes out
cat_ta, cat_tb = IndexedBase("a", positive=True), IndexedBase("b", positive=True)
cat_uniform = CategoricalLaw(1 / cat_K, cat_K)
q_uni, p_uni = Density("q", k, cat_uniform), Density("p", k, cat_uniform)
q_cat_a, p_cat_b = Density("q", k, CategoricalLaw(cat_ta, cat_K)), Density("p", k, CategoricalLaw(cat_tb, cat_K))
cat_uniform_q = Sum(mul(1 / cat_K, neg(log(mul(cat_K, cat_tb[k])))), (k, 1, cat_K))
ROWS += [
    Row("category-probabilities", "pair-categorical-uniform-p",
        Sum(mul(q_cat_a, log(frac(q_cat_a, p_uni))), (k, 1, cat_K)),
        Sum(mul(cat_ta[k], log(mul(cat_K, cat_ta[k]))), (k, 1, cat_K))),
    Row("category-probabilities", "pair-categorical-uniform-q",
        Sum(mul(q_uni, log(frac(q_uni, p_cat_b))), (k, 1, cat_K)), cat_uniform_q),
    Row("equal-weights-out-of-sum", "pair-categorical-uniform-q", cat_uniform_q,
        -Sum(log(mul(cat_K, cat_tb[k])), (k, 1, cat_K)) / cat_K),
]

# -- derivation/rules/dirichlet.py: Dirichlet(a, K) vs Dirichlet(b, K) ---------------------------------------------
CONFIGURATIONS["pair-dirichlet"] = {"q": "Dirichlet(a, K)", "p": "Dirichlet(b, K)"}
DERIVED += ({"q": "Dirichlet(a, K)", "p": "Dirichlet(b, K)"}, {"q": "Dirichlet(2, 3)", "p": "Dirichlet(b, 3)"})
di_K = Symbol("K", integer=True, positive=True)
di_a, di_b, di_x = (IndexedBase(name, positive=True) for name in ("a", "b", "x"))
q_di, p_di = Density("q", di_x, DirichletLaw(di_a, di_K)), Density("p", di_x, DirichletLaw(di_b, di_K))
di_total_a, di_total_b = di_a[0], di_b[0]  # a_0 = sum_j a_j, b_0 = sum_j b_j (the setting's definitions)
#: log q(x) and log p(x) as the Dirichlet law writes them; the four constants of the closed form; psi(a_k), psi(a_0).
log_q_di = add(log(gamma(di_total_a)),
               Sum(sub(mul(sub(di_a[k], S.One), log(di_x[k])), log(gamma(di_a[k]))), (k, 1, di_K)))
log_p_di = add(log(gamma(di_total_b)),
               Sum(sub(mul(sub(di_b[k], S.One), log(di_x[k])), log(gamma(di_b[k]))), (k, 1, di_K)))
di_constants = (log(gamma(di_total_a)), neg(Sum(log(gamma(di_a[k])), (k, 1, di_K))), neg(log(gamma(di_total_b))),
                Sum(log(gamma(di_b[k])), (k, 1, di_K)))
di_psi = sub(polygamma(S.Zero, di_a[k], evaluate=False), polygamma(S.Zero, di_total_a, evaluate=False))
di_marginal = Density("q_k", t, BetaLaw(di_a[k], sub(di_total_a, di_a[k])))
ROWS += [
    # from pair-dirichlet, steps 1 to 4
    Row("dirichlet-kl-definition", "pair-dirichlet", KL(q_di, p_di), Expectation(log(frac(q_di, p_di)), q_di)),
    Row("dirichlet-log-density", "pair-dirichlet",
        Expectation(sub(log(q_di), log(p_di)), q_di), Expectation(sub(log_q_di, log_p_di), q_di)),
    Row("combine-dirichlet-log-densities", "pair-dirichlet",
        Expectation(sub(log_q_di, log_p_di), q_di),
        Expectation(add(*di_constants, Sum(mul(sub(di_a[k], S.One), log(di_x[k])), (k, 1, di_K)),
                        neg(Sum(mul(sub(di_b[k], S.One), log(di_x[k])), (k, 1, di_K)))), q_di)),
    # from pair-dirichlet, step 7 (one term of the line)
    Row("dirichlet-log-moment", "pair-dirichlet",
        Sum(mul(sub(di_a[k], di_b[k]), Expectation(log(di_x[k]), q_di)), (k, 1, di_K)),
        Sum(mul(sub(di_a[k], di_b[k]), di_psi), (k, 1, di_K))),
    # from pair-dirichlet > lemma Expected logarithm of a coordinate of a Dirichlet variable, step 1
    Row("dirichlet-marginal", "pair-dirichlet", Expectation(log(di_x[k]), q_di), Expectation(log(t), di_marginal)),
    # from pair-dirichlet, step 5
    Row("collect-dirichlet-sums", "pair-dirichlet",
        Expectation(add(*di_constants, Sum(mul(sub(di_a[k], S.One), log(di_x[k])), (k, 1, di_K)),
                        neg(Sum(mul(sub(di_b[k], S.One), log(di_x[k])), (k, 1, di_K)))), q_di),
        Expectation(add(*di_constants, Sum(mul(sub(di_a[k], di_b[k]), log(di_x[k])), (k, 1, di_K))), q_di)),
]

# -- derivation/rules/uniform_beta.py: Uniform(a, b) vs Beta(a2, b2) --------------------------------------------
ub_a, ub_b = Symbol("a", real=True), Symbol("b", real=True)
ub_al, ub_be = Symbol("a2", positive=True), Symbol("b2", positive=True)
q_ub, p_ub = Density("q", x, UniformLaw(ub_a, ub_b)), Density("p", x, BetaLaw(ub_al, ub_be))
ub_width = sub(ub_b, ub_a)
ub_const = log(frac(gamma(add(ub_al, ub_be)), mul(gamma(ub_al), gamma(ub_be))))
ub_log_x = mul(sub(ub_al, S.One), log(x))
ub_log_1mx = mul(sub(ub_be, S.One), log(sub(S.One, x)))
ROWS += [
    # step 5 of the derivation: the constants together, the Beta density's log terms kept
    Row("combine-uniform-beta-log-densities", "pair-uniform-beta",
        Expectation(sub(neg(log(ub_width)), add(ub_const, ub_log_x, ub_log_1mx)), q_ub),
        Expectation(add(neg(log(ub_width)), neg(ub_const), neg(ub_log_x), neg(ub_log_1mx)), q_ub)),
    # Lemma 1, steps 1 to 3 (E_q[log x]); step 7 of the derivation cites it
    Row("uniform-expectation-as-integral", "pair-uniform-beta", Expectation(log(x), q_ub),
        mul(Pow(ub_width, -1, evaluate=False), Integral(log(x), (x, ub_a, ub_b)))),
    Row("integrate-logarithm", "pair-uniform-beta",
        mul(Pow(ub_width, -1, evaluate=False), Integral(log(x), (x, ub_a, ub_b))),
        mul(Pow(ub_width, -1, evaluate=False), add(XLogY(ub_b, ub_b), neg(XLogY(ub_a, ub_a)), neg(ub_width)))),
    Row("collect-uniform-log-moment", "pair-uniform-beta",
        mul(Pow(ub_width, -1, evaluate=False), add(XLogY(ub_b, ub_b), neg(XLogY(ub_a, ub_a)), neg(ub_width))),
        add(frac(add(XLogY(ub_b, ub_b), neg(XLogY(ub_a, ub_a))), ub_width), S.NegativeOne)),
    # step 7: the lemmas' results put in, the coefficient multiplied into each u log u term
    Row("uniform-log-moments", "pair-uniform-beta", mul(neg(sub(ub_al, S.One)), Expectation(log(x), q_ub)),
        add(neg(frac(mul(sub(ub_al, S.One), XLogY(ub_b, ub_b)), ub_width)),
            frac(mul(sub(ub_al, S.One), XLogY(ub_a, ub_a)), ub_width), ub_al, S.NegativeOne)),
]


# -- the Gumbel family and the Gumbel-Normal pair (derivation/rules/gumbel.py) --------------------------------------
gu_m1, gu_m2 = Symbol("m1", real=True), Symbol("m2", real=True)
gu_b1, gu_b2 = Symbol("b1", positive=True), Symbol("b2", positive=True)
u_g = Symbol("u", positive=True)
q_gumbel, p_gumbel = Density("q", x, GumbelLaw(gu_m1, gu_b1)), Density("p", x, GumbelLaw(gu_m2, gu_b2))
gn_m, gn_mu = Symbol("m", real=True), Symbol("mu", real=True)
gn_b, gn_s = Symbol("b", positive=True), Symbol("s", positive=True)
q_gn, p_gn = Density("q", x, GumbelLaw(gn_m, gn_b)), Density("p", x, NormalLaw(gn_mu, gn_s))
q_ng, p_ng = Density("q", x, NormalLaw(gn_m, gn_s)), Density("p", x, GumbelLaw(gn_mu, gn_b))

ROWS += [
    # from pair-gumbel, step 4
    Row(
        "gumbel-log-density",
        "pair-gumbel",
        Expectation(
            add(log(q_gumbel, evaluate=False), mul(S.NegativeOne, log(p_gumbel, evaluate=False))), q_gumbel
        ),
        Expectation(
            add(
                add(
                    mul(S.NegativeOne, log(gu_b1, evaluate=False)),
                    mul(
                        S.NegativeOne,
                        add(
                            mul(add(x, mul(S.NegativeOne, gu_m1)), Pow(gu_b1, S.NegativeOne, evaluate=False)),
                            exp(
                                mul(
                                    S.NegativeOne,
                                    mul(
                                        add(x, mul(S.NegativeOne, gu_m1)), Pow(gu_b1, S.NegativeOne, evaluate=False)
                                    ),
                                ),
                                evaluate=False,
                            ),
                        ),
                    ),
                ),
                mul(
                    S.NegativeOne,
                    add(
                        mul(S.NegativeOne, log(gu_b2, evaluate=False)),
                        mul(
                            S.NegativeOne,
                            add(
                                mul(add(x, mul(S.NegativeOne, gu_m2)), Pow(gu_b2, S.NegativeOne, evaluate=False)),
                                exp(
                                    mul(
                                        S.NegativeOne,
                                        mul(
                                            add(x, mul(S.NegativeOne, gu_m2)),
                                            Pow(gu_b2, S.NegativeOne, evaluate=False),
                                        ),
                                    ),
                                    evaluate=False,
                                ),
                            ),
                        ),
                    ),
                ),
            ),
            q_gumbel,
        ),
    ),
    # from pair-gumbel, step 5
    Row(
        "combine-gumbel-log-densities",
        "pair-gumbel",
        Expectation(
            add(
                add(
                    mul(S.NegativeOne, log(gu_b1, evaluate=False)),
                    mul(
                        S.NegativeOne,
                        add(
                            mul(add(x, mul(S.NegativeOne, gu_m1)), Pow(gu_b1, S.NegativeOne, evaluate=False)),
                            exp(
                                mul(
                                    S.NegativeOne,
                                    mul(
                                        add(x, mul(S.NegativeOne, gu_m1)), Pow(gu_b1, S.NegativeOne, evaluate=False)
                                    ),
                                ),
                                evaluate=False,
                            ),
                        ),
                    ),
                ),
                mul(
                    S.NegativeOne,
                    add(
                        mul(S.NegativeOne, log(gu_b2, evaluate=False)),
                        mul(
                            S.NegativeOne,
                            add(
                                mul(add(x, mul(S.NegativeOne, gu_m2)), Pow(gu_b2, S.NegativeOne, evaluate=False)),
                                exp(
                                    mul(
                                        S.NegativeOne,
                                        mul(
                                            add(x, mul(S.NegativeOne, gu_m2)),
                                            Pow(gu_b2, S.NegativeOne, evaluate=False),
                                        ),
                                    ),
                                    evaluate=False,
                                ),
                            ),
                        ),
                    ),
                ),
            ),
            q_gumbel,
        ),
        Expectation(
            add(
                log(mul(gu_b2, Pow(gu_b1, S.NegativeOne, evaluate=False)), evaluate=False),
                mul(
                    S.NegativeOne, mul(add(x, mul(S.NegativeOne, gu_m1)), Pow(gu_b1, S.NegativeOne, evaluate=False))
                ),
                mul(
                    S.NegativeOne,
                    exp(
                        mul(
                            S.NegativeOne,
                            mul(add(x, mul(S.NegativeOne, gu_m1)), Pow(gu_b1, S.NegativeOne, evaluate=False)),
                        ),
                        evaluate=False,
                    ),
                ),
                mul(add(x, mul(S.NegativeOne, gu_m2)), Pow(gu_b2, S.NegativeOne, evaluate=False)),
                exp(
                    mul(
                        S.NegativeOne,
                        mul(add(x, mul(S.NegativeOne, gu_m2)), Pow(gu_b2, S.NegativeOne, evaluate=False)),
                    ),
                    evaluate=False,
                ),
            ),
            q_gumbel,
        ),
    ),
    # from pair-gumbel, step 7
    Row(
        "gumbel-mean",
        "pair-gumbel",
        add(
            log(mul(gu_b2, Pow(gu_b1, S.NegativeOne, evaluate=False)), evaluate=False),
            mul(
                S.NegativeOne,
                Pow(gu_b1, S.NegativeOne, evaluate=False),
                Expectation(add(x, mul(S.NegativeOne, gu_m1)), q_gumbel),
            ),
            mul(
                S.NegativeOne,
                Expectation(
                    exp(
                        mul(
                            S.NegativeOne,
                            mul(add(x, mul(S.NegativeOne, gu_m1)), Pow(gu_b1, S.NegativeOne, evaluate=False)),
                        ),
                        evaluate=False,
                    ),
                    q_gumbel,
                ),
            ),
            mul(
                Pow(gu_b2, S.NegativeOne, evaluate=False), Expectation(add(x, mul(S.NegativeOne, gu_m2)), q_gumbel)
            ),
            Expectation(
                exp(
                    mul(
                        S.NegativeOne,
                        mul(add(x, mul(S.NegativeOne, gu_m2)), Pow(gu_b2, S.NegativeOne, evaluate=False)),
                    ),
                    evaluate=False,
                ),
                q_gumbel,
            ),
        ),
        add(
            log(mul(gu_b2, Pow(gu_b1, S.NegativeOne, evaluate=False)), evaluate=False),
            mul(S.NegativeOne, Pow(gu_b1, S.NegativeOne, evaluate=False), mul(gu_b1, EulerGamma)),
            mul(
                S.NegativeOne,
                Expectation(
                    exp(
                        mul(
                            S.NegativeOne,
                            mul(add(x, mul(S.NegativeOne, gu_m1)), Pow(gu_b1, S.NegativeOne, evaluate=False)),
                        ),
                        evaluate=False,
                    ),
                    q_gumbel,
                ),
            ),
            mul(
                Pow(gu_b2, S.NegativeOne, evaluate=False),
                add(gu_m1, mul(S.NegativeOne, gu_m2), mul(gu_b1, EulerGamma)),
            ),
            Expectation(
                exp(
                    mul(
                        S.NegativeOne,
                        mul(add(x, mul(S.NegativeOne, gu_m2)), Pow(gu_b2, S.NegativeOne, evaluate=False)),
                    ),
                    evaluate=False,
                ),
                q_gumbel,
            ),
        ),
    ),
    # from pair-gumbel > lemma Mean distance of a Gumbel variable from a point, step 1
    Row(
        "gumbel-substitution",
        "pair-gumbel",
        Expectation(add(x, mul(S.NegativeOne, gu_m1)), q_gumbel),
        Integral(
            mul(
                mul(S.NegativeOne, mul(gu_b1, log(u_g, evaluate=False))),
                exp(mul(S.NegativeOne, u_g), evaluate=False),
            ),
            (u_g, S.Zero, oo),
        ),
    ),
    # from pair-gumbel > lemma Mean distance of a Gumbel variable from a point, step 2
    Row(
        "split-log-powers",
        "pair-gumbel",
        Integral(
            mul(
                mul(S.NegativeOne, mul(gu_b1, log(u_g, evaluate=False))),
                exp(mul(S.NegativeOne, u_g), evaluate=False),
            ),
            (u_g, S.Zero, oo),
        ),
        mul(
            S.NegativeOne,
            gu_b1,
            Integral(
                mul(log(u_g, evaluate=False), exp(mul(S.NegativeOne, u_g), evaluate=False)), (u_g, S.Zero, oo)
            ),
        ),
    ),
    # from pair-gumbel > lemma Mean distance of a Gumbel variable from a point, step 3
    Row(
        "gamma-function-at-one",
        "pair-gumbel",
        mul(
            S.NegativeOne,
            gu_b1,
            Integral(
                mul(log(u_g, evaluate=False), exp(mul(S.NegativeOne, u_g), evaluate=False)), (u_g, S.Zero, oo)
            ),
        ),
        mul(gu_b1, EulerGamma),
    ),
    # from pair-gumbel, step 8
    Row(
        "gumbel-exponential-moment",
        "pair-gumbel",
        add(
            log(mul(gu_b2, Pow(gu_b1, S.NegativeOne, evaluate=False)), evaluate=False),
            mul(S.NegativeOne, Pow(gu_b1, S.NegativeOne, evaluate=False), mul(gu_b1, EulerGamma)),
            mul(
                S.NegativeOne,
                Expectation(
                    exp(
                        mul(
                            S.NegativeOne,
                            mul(add(x, mul(S.NegativeOne, gu_m1)), Pow(gu_b1, S.NegativeOne, evaluate=False)),
                        ),
                        evaluate=False,
                    ),
                    q_gumbel,
                ),
            ),
            mul(
                Pow(gu_b2, S.NegativeOne, evaluate=False),
                add(gu_m1, mul(S.NegativeOne, gu_m2), mul(gu_b1, EulerGamma)),
            ),
            Expectation(
                exp(
                    mul(
                        S.NegativeOne,
                        mul(add(x, mul(S.NegativeOne, gu_m2)), Pow(gu_b2, S.NegativeOne, evaluate=False)),
                    ),
                    evaluate=False,
                ),
                q_gumbel,
            ),
        ),
        add(
            log(mul(gu_b2, Pow(gu_b1, S.NegativeOne, evaluate=False)), evaluate=False),
            mul(S.NegativeOne, Pow(gu_b1, S.NegativeOne, evaluate=False), mul(gu_b1, EulerGamma)),
            S.NegativeOne,
            mul(
                Pow(gu_b2, S.NegativeOne, evaluate=False),
                add(gu_m1, mul(S.NegativeOne, gu_m2), mul(gu_b1, EulerGamma)),
            ),
            mul(
                exp(
                    mul(
                        S.NegativeOne,
                        add(gu_m1, mul(S.NegativeOne, gu_m2)),
                        Pow(gu_b2, S.NegativeOne, evaluate=False),
                    ),
                    evaluate=False,
                ),
                gamma(add(mul(gu_b1, Pow(gu_b2, S.NegativeOne, evaluate=False)), S.One), evaluate=False),
            ),
        ),
    ),
    # from pair-gumbel > lemma Exponential moment of a Gumbel variable, step 2
    Row(
        "separate-exponent",
        "pair-gumbel",
        Integral(
            mul(
                exp(
                    mul(
                        S.NegativeOne,
                        mul(
                            mul(S.NegativeOne, mul(gu_b1, log(u_g, evaluate=False))),
                            Pow(gu_b1, S.NegativeOne, evaluate=False),
                        ),
                    ),
                    evaluate=False,
                ),
                exp(mul(S.NegativeOne, u_g), evaluate=False),
            ),
            (u_g, S.Zero, oo),
        ),
        Integral(mul(u_g, exp(mul(S.NegativeOne, u_g), evaluate=False)), (u_g, S.Zero, oo)),
    ),
    # from pair-gumbel, step 9
    Row(
        "collect-gumbel",
        "pair-gumbel",
        add(
            log(mul(gu_b2, Pow(gu_b1, S.NegativeOne, evaluate=False)), evaluate=False),
            mul(S.NegativeOne, Pow(gu_b1, S.NegativeOne, evaluate=False), mul(gu_b1, EulerGamma)),
            S.NegativeOne,
            mul(
                Pow(gu_b2, S.NegativeOne, evaluate=False),
                add(gu_m1, mul(S.NegativeOne, gu_m2), mul(gu_b1, EulerGamma)),
            ),
            mul(
                exp(
                    mul(
                        S.NegativeOne,
                        add(gu_m1, mul(S.NegativeOne, gu_m2)),
                        Pow(gu_b2, S.NegativeOne, evaluate=False),
                    ),
                    evaluate=False,
                ),
                gamma(add(mul(gu_b1, Pow(gu_b2, S.NegativeOne, evaluate=False)), S.One), evaluate=False),
            ),
        ),
        add(
            log(mul(gu_b2, Pow(gu_b1, S.NegativeOne, evaluate=False)), evaluate=False),
            mul(add(gu_m1, mul(S.NegativeOne, gu_m2)), Pow(gu_b2, S.NegativeOne, evaluate=False)),
            mul(mul(gu_b1, Pow(gu_b2, S.NegativeOne, evaluate=False)), EulerGamma),
            mul(S.NegativeOne, EulerGamma),
            mul(
                exp(
                    mul(
                        S.NegativeOne,
                        mul(add(gu_m1, mul(S.NegativeOne, gu_m2)), Pow(gu_b2, S.NegativeOne, evaluate=False)),
                    ),
                    evaluate=False,
                ),
                gamma(add(S.One, mul(gu_b1, Pow(gu_b2, S.NegativeOne, evaluate=False))), evaluate=False),
            ),
            S.NegativeOne,
        ),
    ),
    # from pair-gumbel-normal, step 5
    Row(
        "combine-gumbel-normal-log-densities",
        "pair-gumbel-normal",
        Expectation(
            add(
                add(
                    mul(S.NegativeOne, log(gn_b, evaluate=False)),
                    mul(
                        S.NegativeOne,
                        add(
                            mul(add(x, mul(S.NegativeOne, gn_m)), Pow(gn_b, S.NegativeOne, evaluate=False)),
                            exp(
                                mul(
                                    S.NegativeOne,
                                    mul(add(x, mul(S.NegativeOne, gn_m)), Pow(gn_b, S.NegativeOne, evaluate=False)),
                                ),
                                evaluate=False,
                            ),
                        ),
                    ),
                ),
                mul(
                    S.NegativeOne,
                    add(
                        mul(Rational(-1, 2), log(mul(S(2), pi, Pow(gn_s, S(2), evaluate=False)), evaluate=False)),
                        mul(
                            S.NegativeOne,
                            mul(
                                Pow(add(x, mul(S.NegativeOne, gn_mu)), S(2), evaluate=False),
                                Pow(mul(S(2), Pow(gn_s, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                            ),
                        ),
                    ),
                ),
            ),
            q_gn,
        ),
        Expectation(
            add(
                log(
                    mul(
                        mul(Pow(mul(S(2), pi), S.Half, evaluate=False), gn_s),
                        Pow(gn_b, S.NegativeOne, evaluate=False),
                    ),
                    evaluate=False,
                ),
                mul(S.NegativeOne, mul(add(x, mul(S.NegativeOne, gn_m)), Pow(gn_b, S.NegativeOne, evaluate=False))),
                mul(
                    S.NegativeOne,
                    exp(
                        mul(
                            S.NegativeOne,
                            mul(add(x, mul(S.NegativeOne, gn_m)), Pow(gn_b, S.NegativeOne, evaluate=False)),
                        ),
                        evaluate=False,
                    ),
                ),
                mul(
                    Pow(add(x, mul(S.NegativeOne, gn_mu)), S(2), evaluate=False),
                    Pow(mul(S(2), Pow(gn_s, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                ),
            ),
            q_gn,
        ),
    ),
    # from pair-gumbel-normal, step 9
    Row(
        "gumbel-second-moment",
        "pair-gumbel-normal",
        add(
            log(
                mul(
                    mul(Pow(mul(S(2), pi), S.Half, evaluate=False), gn_s), Pow(gn_b, S.NegativeOne, evaluate=False)
                ),
                evaluate=False,
            ),
            mul(S.NegativeOne, Pow(gn_b, S.NegativeOne, evaluate=False), mul(gn_b, EulerGamma)),
            S.NegativeOne,
            mul(
                Pow(mul(S(2), Pow(gn_s, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                Expectation(Pow(add(x, mul(S.NegativeOne, gn_mu)), S(2), evaluate=False), q_gn),
            ),
        ),
        add(
            log(
                mul(
                    mul(Pow(mul(S(2), pi), S.Half, evaluate=False), gn_s), Pow(gn_b, S.NegativeOne, evaluate=False)
                ),
                evaluate=False,
            ),
            mul(S.NegativeOne, Pow(gn_b, S.NegativeOne, evaluate=False), mul(gn_b, EulerGamma)),
            S.NegativeOne,
            mul(
                Pow(mul(S(2), Pow(gn_s, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                add(
                    Pow(add(gn_m, mul(S.NegativeOne, gn_mu), mul(gn_b, EulerGamma)), S(2), evaluate=False),
                    mul(
                        mul(Pow(pi, S(2), evaluate=False), Pow(S(6), S.NegativeOne, evaluate=False)),
                        Pow(gn_b, S(2), evaluate=False),
                    ),
                ),
            ),
        ),
    ),
    # from pair-gumbel-normal > lemma Second moment of a Gumbel variable about a point, step 4
    Row(
        "collect-gumbel-moment",
        "pair-gumbel-normal",
        add(
            Pow(add(gn_m, mul(S.NegativeOne, gn_mu)), S(2), evaluate=False),
            mul(mul(S(2), add(gn_m, mul(S.NegativeOne, gn_mu)), gn_b), EulerGamma),
            mul(
                Pow(gn_b, S(2), evaluate=False),
                add(
                    Pow(EulerGamma, S(2), evaluate=False),
                    mul(Pow(pi, S(2), evaluate=False), Pow(S(6), S.NegativeOne, evaluate=False)),
                ),
            ),
        ),
        add(
            Pow(add(gn_m, mul(S.NegativeOne, gn_mu), mul(gn_b, EulerGamma)), S(2), evaluate=False),
            mul(
                mul(Pow(pi, S(2), evaluate=False), Pow(S(6), S.NegativeOne, evaluate=False)),
                Pow(gn_b, S(2), evaluate=False),
            ),
        ),
    ),
    # from pair-gumbel-normal, step 10
    Row(
        "collect-gumbel-normal",
        "pair-gumbel-normal",
        add(
            log(
                mul(
                    mul(Pow(mul(S(2), pi), S.Half, evaluate=False), gn_s), Pow(gn_b, S.NegativeOne, evaluate=False)
                ),
                evaluate=False,
            ),
            mul(S.NegativeOne, Pow(gn_b, S.NegativeOne, evaluate=False), mul(gn_b, EulerGamma)),
            S.NegativeOne,
            mul(
                Pow(mul(S(2), Pow(gn_s, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                add(
                    Pow(add(gn_m, mul(S.NegativeOne, gn_mu), mul(gn_b, EulerGamma)), S(2), evaluate=False),
                    mul(
                        mul(Pow(pi, S(2), evaluate=False), Pow(S(6), S.NegativeOne, evaluate=False)),
                        Pow(gn_b, S(2), evaluate=False),
                    ),
                ),
            ),
        ),
        add(
            log(
                mul(
                    mul(Pow(mul(S(2), pi), S.Half, evaluate=False), gn_s), Pow(gn_b, S.NegativeOne, evaluate=False)
                ),
                evaluate=False,
            ),
            mul(
                mul(Pow(pi, S(2), evaluate=False), Pow(gn_b, S(2), evaluate=False)),
                Pow(mul(S(12), Pow(gn_s, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
            ),
            mul(
                Pow(add(gn_m, mul(S.NegativeOne, gn_mu), mul(gn_b, EulerGamma)), S(2), evaluate=False),
                Pow(mul(S(2), Pow(gn_s, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
            ),
            mul(S.NegativeOne, EulerGamma),
            S.NegativeOne,
        ),
    ),
    # from pair-normal-gumbel, step 5
    Row(
        "combine-normal-gumbel-log-densities",
        "pair-normal-gumbel",
        Expectation(
            add(
                add(
                    mul(Rational(-1, 2), log(mul(S(2), pi, Pow(gn_s, S(2), evaluate=False)), evaluate=False)),
                    mul(
                        S.NegativeOne,
                        mul(
                            Pow(add(x, mul(S.NegativeOne, gn_m)), S(2), evaluate=False),
                            Pow(mul(S(2), Pow(gn_s, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                        ),
                    ),
                ),
                mul(
                    S.NegativeOne,
                    add(
                        mul(S.NegativeOne, log(gn_b, evaluate=False)),
                        mul(
                            S.NegativeOne,
                            add(
                                mul(add(x, mul(S.NegativeOne, gn_mu)), Pow(gn_b, S.NegativeOne, evaluate=False)),
                                exp(
                                    mul(
                                        S.NegativeOne,
                                        mul(
                                            add(x, mul(S.NegativeOne, gn_mu)),
                                            Pow(gn_b, S.NegativeOne, evaluate=False),
                                        ),
                                    ),
                                    evaluate=False,
                                ),
                            ),
                        ),
                    ),
                ),
            ),
            q_ng,
        ),
        Expectation(
            add(
                log(
                    mul(
                        gn_b,
                        Pow(mul(Pow(mul(S(2), pi), S.Half, evaluate=False), gn_s), S.NegativeOne, evaluate=False),
                    ),
                    evaluate=False,
                ),
                mul(
                    S.NegativeOne,
                    mul(
                        Pow(add(x, mul(S.NegativeOne, gn_m)), S(2), evaluate=False),
                        Pow(mul(S(2), Pow(gn_s, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                    ),
                ),
                mul(add(x, mul(S.NegativeOne, gn_mu)), Pow(gn_b, S.NegativeOne, evaluate=False)),
                exp(
                    mul(
                        S.NegativeOne,
                        mul(add(x, mul(S.NegativeOne, gn_mu)), Pow(gn_b, S.NegativeOne, evaluate=False)),
                    ),
                    evaluate=False,
                ),
            ),
            q_ng,
        ),
    ),
    # from pair-normal-gumbel, step 8
    Row(
        "gaussian-mean-distance",
        "pair-normal-gumbel",
        add(
            log(
                mul(
                    gn_b, Pow(mul(Pow(mul(S(2), pi), S.Half, evaluate=False), gn_s), S.NegativeOne, evaluate=False)
                ),
                evaluate=False,
            ),
            mul(
                S.NegativeOne,
                Pow(mul(S(2), Pow(gn_s, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                Pow(gn_s, S(2), evaluate=False),
            ),
            mul(Pow(gn_b, S.NegativeOne, evaluate=False), Expectation(add(x, mul(S.NegativeOne, gn_mu)), q_ng)),
            Expectation(
                exp(
                    mul(
                        S.NegativeOne,
                        mul(add(x, mul(S.NegativeOne, gn_mu)), Pow(gn_b, S.NegativeOne, evaluate=False)),
                    ),
                    evaluate=False,
                ),
                q_ng,
            ),
        ),
        add(
            log(
                mul(
                    gn_b, Pow(mul(Pow(mul(S(2), pi), S.Half, evaluate=False), gn_s), S.NegativeOne, evaluate=False)
                ),
                evaluate=False,
            ),
            mul(
                S.NegativeOne,
                Pow(mul(S(2), Pow(gn_s, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                Pow(gn_s, S(2), evaluate=False),
            ),
            mul(Pow(gn_b, S.NegativeOne, evaluate=False), add(gn_m, mul(S.NegativeOne, gn_mu))),
            Expectation(
                exp(
                    mul(
                        S.NegativeOne,
                        mul(add(x, mul(S.NegativeOne, gn_mu)), Pow(gn_b, S.NegativeOne, evaluate=False)),
                    ),
                    evaluate=False,
                ),
                q_ng,
            ),
        ),
    ),
    # from pair-normal-gumbel, step 9
    Row(
        "gaussian-exponential-moment",
        "pair-normal-gumbel",
        add(
            log(
                mul(
                    gn_b, Pow(mul(Pow(mul(S(2), pi), S.Half, evaluate=False), gn_s), S.NegativeOne, evaluate=False)
                ),
                evaluate=False,
            ),
            mul(
                S.NegativeOne,
                Pow(mul(S(2), Pow(gn_s, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                Pow(gn_s, S(2), evaluate=False),
            ),
            mul(Pow(gn_b, S.NegativeOne, evaluate=False), add(gn_m, mul(S.NegativeOne, gn_mu))),
            Expectation(
                exp(
                    mul(
                        S.NegativeOne,
                        mul(add(x, mul(S.NegativeOne, gn_mu)), Pow(gn_b, S.NegativeOne, evaluate=False)),
                    ),
                    evaluate=False,
                ),
                q_ng,
            ),
        ),
        add(
            log(
                mul(
                    gn_b, Pow(mul(Pow(mul(S(2), pi), S.Half, evaluate=False), gn_s), S.NegativeOne, evaluate=False)
                ),
                evaluate=False,
            ),
            mul(
                S.NegativeOne,
                Pow(mul(S(2), Pow(gn_s, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                Pow(gn_s, S(2), evaluate=False),
            ),
            mul(Pow(gn_b, S.NegativeOne, evaluate=False), add(gn_m, mul(S.NegativeOne, gn_mu))),
            exp(
                add(
                    mul(
                        S.NegativeOne,
                        mul(add(gn_m, mul(S.NegativeOne, gn_mu)), Pow(gn_b, S.NegativeOne, evaluate=False)),
                    ),
                    mul(
                        Pow(gn_s, S(2), evaluate=False),
                        Pow(mul(S(2), Pow(gn_b, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                    ),
                ),
                evaluate=False,
            ),
        ),
    ),
    # from pair-normal-gumbel > lemma Exponential moment of a Gaussian variable, step 2
    Row(
        "complete-square-in-exponent",
        "pair-normal-gumbel",
        mul(
            Pow(
                Pow(mul(S(2), pi, Pow(gn_s, S(2), evaluate=False)), S.Half, evaluate=False),
                S.NegativeOne,
                evaluate=False,
            ),
            Integral(
                mul(
                    exp(
                        mul(
                            S.NegativeOne,
                            mul(add(x, mul(S.NegativeOne, gn_mu)), Pow(gn_b, S.NegativeOne, evaluate=False)),
                        ),
                        evaluate=False,
                    ),
                    exp(
                        mul(
                            S.NegativeOne,
                            mul(
                                Pow(add(x, mul(S.NegativeOne, gn_m)), S(2), evaluate=False),
                                Pow(mul(S(2), Pow(gn_s, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                            ),
                        ),
                        evaluate=False,
                    ),
                ),
                (x, -oo, oo),
            ),
        ),
        mul(
            exp(
                add(
                    mul(
                        S.NegativeOne,
                        mul(add(gn_m, mul(S.NegativeOne, gn_mu)), Pow(gn_b, S.NegativeOne, evaluate=False)),
                    ),
                    mul(
                        Pow(gn_s, S(2), evaluate=False),
                        Pow(mul(S(2), Pow(gn_b, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                    ),
                ),
                evaluate=False,
            ),
            Pow(
                Pow(mul(S(2), pi, Pow(gn_s, S(2), evaluate=False)), S.Half, evaluate=False),
                S.NegativeOne,
                evaluate=False,
            ),
            Integral(
                exp(
                    mul(
                        S.NegativeOne,
                        mul(
                            Pow(
                                add(
                                    x,
                                    mul(S.NegativeOne, gn_m),
                                    mul(Pow(gn_s, S(2), evaluate=False), Pow(gn_b, S.NegativeOne, evaluate=False)),
                                ),
                                S(2),
                                evaluate=False,
                            ),
                            Pow(mul(S(2), Pow(gn_s, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                        ),
                    ),
                    evaluate=False,
                ),
                (x, -oo, oo),
            ),
        ),
    ),
    # from pair-normal-gumbel > lemma Exponential moment of a Gaussian variable, step 3
    Row(
        "gaussian-integral",
        "pair-normal-gumbel",
        mul(
            exp(
                add(
                    mul(
                        S.NegativeOne,
                        mul(add(gn_m, mul(S.NegativeOne, gn_mu)), Pow(gn_b, S.NegativeOne, evaluate=False)),
                    ),
                    mul(
                        Pow(gn_s, S(2), evaluate=False),
                        Pow(mul(S(2), Pow(gn_b, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                    ),
                ),
                evaluate=False,
            ),
            Pow(
                Pow(mul(S(2), pi, Pow(gn_s, S(2), evaluate=False)), S.Half, evaluate=False),
                S.NegativeOne,
                evaluate=False,
            ),
            Integral(
                exp(
                    mul(
                        S.NegativeOne,
                        mul(
                            Pow(
                                add(
                                    x,
                                    mul(S.NegativeOne, gn_m),
                                    mul(Pow(gn_s, S(2), evaluate=False), Pow(gn_b, S.NegativeOne, evaluate=False)),
                                ),
                                S(2),
                                evaluate=False,
                            ),
                            Pow(mul(S(2), Pow(gn_s, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                        ),
                    ),
                    evaluate=False,
                ),
                (x, -oo, oo),
            ),
        ),
        exp(
            add(
                mul(
                    S.NegativeOne,
                    mul(add(gn_m, mul(S.NegativeOne, gn_mu)), Pow(gn_b, S.NegativeOne, evaluate=False)),
                ),
                mul(
                    Pow(gn_s, S(2), evaluate=False),
                    Pow(mul(S(2), Pow(gn_b, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                ),
            ),
            evaluate=False,
        ),
    ),
    # from pair-normal-gumbel, step 10
    Row(
        "collect-normal-gumbel",
        "pair-normal-gumbel",
        add(
            log(
                mul(
                    gn_b, Pow(mul(Pow(mul(S(2), pi), S.Half, evaluate=False), gn_s), S.NegativeOne, evaluate=False)
                ),
                evaluate=False,
            ),
            mul(
                S.NegativeOne,
                Pow(mul(S(2), Pow(gn_s, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                Pow(gn_s, S(2), evaluate=False),
            ),
            mul(Pow(gn_b, S.NegativeOne, evaluate=False), add(gn_m, mul(S.NegativeOne, gn_mu))),
            exp(
                add(
                    mul(
                        S.NegativeOne,
                        mul(add(gn_m, mul(S.NegativeOne, gn_mu)), Pow(gn_b, S.NegativeOne, evaluate=False)),
                    ),
                    mul(
                        Pow(gn_s, S(2), evaluate=False),
                        Pow(mul(S(2), Pow(gn_b, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                    ),
                ),
                evaluate=False,
            ),
        ),
        add(
            log(mul(gn_b, Pow(gn_s, S.NegativeOne, evaluate=False)), evaluate=False),
            mul(add(gn_m, mul(S.NegativeOne, gn_mu)), Pow(gn_b, S.NegativeOne, evaluate=False)),
            exp(
                add(
                    mul(
                        S.NegativeOne,
                        mul(add(gn_m, mul(S.NegativeOne, gn_mu)), Pow(gn_b, S.NegativeOne, evaluate=False)),
                    ),
                    mul(
                        Pow(gn_s, S(2), evaluate=False),
                        Pow(mul(S(2), Pow(gn_b, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                    ),
                ),
                evaluate=False,
            ),
            mul(Rational(-1, 2), log(mul(S(2), pi), evaluate=False)),
            Rational(-1, 2),
        ),
    ),
]


# -- exponential and uniform laws against a Gaussian (derivation/rules/against_normal.py) ---------------------------
en_l, un_a, un_b = Symbol("l", positive=True), Symbol("a", real=True), Symbol("b", real=True)
q_en, p_en = Density("q", x, ExponentialLaw(en_l)), Density("p", x, NormalLaw(gn_mu, gn_s))
q_un, p_un = Density("q", x, UniformLaw(un_a, un_b)), Density("p", x, NormalLaw(gn_mu, gn_s))

ROWS += [
    # from pair-exponential-normal, step 5
    Row(
        "combine-exponential-normal-log-densities",
        "pair-exponential-normal",
        Expectation(
            add(
                add(log(en_l, evaluate=False), mul(S.NegativeOne, mul(en_l, x))),
                mul(
                    S.NegativeOne,
                    add(
                        mul(Rational(-1, 2), log(mul(S(2), pi, Pow(gn_s, S(2), evaluate=False)), evaluate=False)),
                        mul(
                            S.NegativeOne,
                            mul(
                                Pow(add(x, mul(S.NegativeOne, gn_mu)), S(2), evaluate=False),
                                Pow(mul(S(2), Pow(gn_s, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                            ),
                        ),
                    ),
                ),
            ),
            q_en,
        ),
        Expectation(
            add(
                log(en_l, evaluate=False),
                mul(S.Half, log(mul(S(2), pi, Pow(gn_s, S(2), evaluate=False)), evaluate=False)),
                mul(S.NegativeOne, mul(en_l, x)),
                mul(
                    Pow(add(x, mul(S.NegativeOne, gn_mu)), S(2), evaluate=False),
                    Pow(mul(S(2), Pow(gn_s, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                ),
            ),
            q_en,
        ),
    ),
    # from pair-exponential-normal, step 8
    Row(
        "exponential-second-moment",
        "pair-exponential-normal",
        add(
            log(en_l, evaluate=False),
            mul(S.Half, log(mul(S(2), pi, Pow(gn_s, S(2), evaluate=False)), evaluate=False)),
            mul(S.NegativeOne, en_l, Pow(en_l, S.NegativeOne, evaluate=False)),
            mul(
                Pow(mul(S(2), Pow(gn_s, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                Expectation(Pow(add(x, mul(S.NegativeOne, gn_mu)), S(2), evaluate=False), q_en),
            ),
        ),
        add(
            log(en_l, evaluate=False),
            mul(S.Half, log(mul(S(2), pi, Pow(gn_s, S(2), evaluate=False)), evaluate=False)),
            mul(S.NegativeOne, en_l, Pow(en_l, S.NegativeOne, evaluate=False)),
            mul(
                Pow(mul(S(2), Pow(gn_s, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                add(
                    Pow(gn_mu, S(2), evaluate=False),
                    mul(S(2), Pow(en_l, S(-2), evaluate=False)),
                    mul(S(-2), gn_mu, Pow(en_l, S.NegativeOne, evaluate=False)),
                ),
            ),
        ),
    ),
    # from pair-exponential-normal, step 9
    Row(
        "collect-exponential-normal",
        "pair-exponential-normal",
        add(
            log(en_l, evaluate=False),
            mul(S.Half, log(mul(S(2), pi, Pow(gn_s, S(2), evaluate=False)), evaluate=False)),
            mul(S.NegativeOne, en_l, Pow(en_l, S.NegativeOne, evaluate=False)),
            mul(
                Pow(mul(S(2), Pow(gn_s, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                add(
                    Pow(gn_mu, S(2), evaluate=False),
                    mul(S(2), Pow(en_l, S(-2), evaluate=False)),
                    mul(S(-2), gn_mu, Pow(en_l, S.NegativeOne, evaluate=False)),
                ),
            ),
        ),
        add(
            log(mul(Pow(mul(S(2), pi), S.Half, evaluate=False), en_l, gn_s), evaluate=False),
            S.NegativeOne,
            mul(
                add(
                    Pow(Pow(en_l, S(2), evaluate=False), S.NegativeOne, evaluate=False),
                    mul(S.NegativeOne, mul(gn_mu, Pow(en_l, S.NegativeOne, evaluate=False))),
                    mul(Pow(gn_mu, S(2), evaluate=False), Pow(S(2), S.NegativeOne, evaluate=False)),
                ),
                Pow(Pow(gn_s, S(2), evaluate=False), S.NegativeOne, evaluate=False),
            ),
        ),
    ),
    # from pair-uniform-normal, step 5
    Row(
        "combine-uniform-normal-log-densities",
        "pair-uniform-normal",
        Expectation(
            add(
                mul(S.NegativeOne, log(add(un_b, mul(S.NegativeOne, un_a)), evaluate=False)),
                mul(
                    S.NegativeOne,
                    add(
                        mul(Rational(-1, 2), log(mul(S(2), pi, Pow(gn_s, S(2), evaluate=False)), evaluate=False)),
                        mul(
                            S.NegativeOne,
                            mul(
                                Pow(add(x, mul(S.NegativeOne, gn_mu)), S(2), evaluate=False),
                                Pow(mul(S(2), Pow(gn_s, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                            ),
                        ),
                    ),
                ),
            ),
            q_un,
        ),
        Expectation(
            add(
                mul(S.NegativeOne, log(add(un_b, mul(S.NegativeOne, un_a)), evaluate=False)),
                mul(S.Half, log(mul(S(2), pi, Pow(gn_s, S(2), evaluate=False)), evaluate=False)),
                mul(
                    Pow(add(x, mul(S.NegativeOne, gn_mu)), S(2), evaluate=False),
                    Pow(mul(S(2), Pow(gn_s, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                ),
            ),
            q_un,
        ),
    ),
    # from pair-uniform-normal, step 7
    Row(
        "uniform-second-moment",
        "pair-uniform-normal",
        add(
            mul(S.NegativeOne, log(add(un_b, mul(S.NegativeOne, un_a)), evaluate=False)),
            mul(S.Half, log(mul(S(2), pi, Pow(gn_s, S(2), evaluate=False)), evaluate=False)),
            mul(
                Pow(mul(S(2), Pow(gn_s, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                Expectation(Pow(add(x, mul(S.NegativeOne, gn_mu)), S(2), evaluate=False), q_un),
            ),
        ),
        add(
            mul(S.NegativeOne, log(add(un_b, mul(S.NegativeOne, un_a)), evaluate=False)),
            mul(S.Half, log(mul(S(2), pi, Pow(gn_s, S(2), evaluate=False)), evaluate=False)),
            mul(
                Pow(mul(S(2), Pow(gn_s, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                add(
                    mul(
                        Pow(add(un_b, mul(S.NegativeOne, un_a)), S(2), evaluate=False),
                        Pow(S(12), S.NegativeOne, evaluate=False),
                    ),
                    Pow(
                        add(
                            mul(add(un_a, un_b), Pow(S(2), S.NegativeOne, evaluate=False)),
                            mul(S.NegativeOne, gn_mu),
                        ),
                        S(2),
                        evaluate=False,
                    ),
                ),
            ),
        ),
    ),
    # from pair-uniform-normal > lemma Second moment of a uniform variable about a point, step 2
    Row(
        "integrate-square",
        "pair-uniform-normal",
        mul(
            Pow(add(un_b, mul(S.NegativeOne, un_a)), S.NegativeOne, evaluate=False),
            Integral(Pow(add(x, mul(S.NegativeOne, gn_mu)), S(2), evaluate=False), (x, un_a, un_b)),
        ),
        mul(
            Pow(add(un_b, mul(S.NegativeOne, un_a)), S.NegativeOne, evaluate=False),
            mul(
                add(
                    Pow(add(un_b, mul(S.NegativeOne, gn_mu)), S(3), evaluate=False),
                    mul(S.NegativeOne, Pow(add(un_a, mul(S.NegativeOne, gn_mu)), S(3), evaluate=False)),
                ),
                Pow(S(3), S.NegativeOne, evaluate=False),
            ),
        ),
    ),
    # from pair-uniform-normal > lemma Second moment of a uniform variable about a point, step 3
    Row(
        "uniform-moment-about-the-mean",
        "pair-uniform-normal",
        mul(
            Pow(add(un_b, mul(S.NegativeOne, un_a)), S.NegativeOne, evaluate=False),
            mul(
                add(
                    Pow(add(un_b, mul(S.NegativeOne, gn_mu)), S(3), evaluate=False),
                    mul(S.NegativeOne, Pow(add(un_a, mul(S.NegativeOne, gn_mu)), S(3), evaluate=False)),
                ),
                Pow(S(3), S.NegativeOne, evaluate=False),
            ),
        ),
        add(
            mul(
                Pow(add(un_b, mul(S.NegativeOne, un_a)), S(2), evaluate=False),
                Pow(S(12), S.NegativeOne, evaluate=False),
            ),
            Pow(
                add(mul(add(un_a, un_b), Pow(S(2), S.NegativeOne, evaluate=False)), mul(S.NegativeOne, gn_mu)),
                S(2),
                evaluate=False,
            ),
        ),
    ),
    # from pair-uniform-normal, step 8
    Row(
        "collect-uniform-normal",
        "pair-uniform-normal",
        add(
            mul(S.NegativeOne, log(add(un_b, mul(S.NegativeOne, un_a)), evaluate=False)),
            mul(S.Half, log(mul(S(2), pi, Pow(gn_s, S(2), evaluate=False)), evaluate=False)),
            mul(
                Pow(mul(S(2), Pow(gn_s, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
                add(
                    mul(
                        Pow(add(un_b, mul(S.NegativeOne, un_a)), S(2), evaluate=False),
                        Pow(S(12), S.NegativeOne, evaluate=False),
                    ),
                    Pow(
                        add(
                            mul(add(un_a, un_b), Pow(S(2), S.NegativeOne, evaluate=False)),
                            mul(S.NegativeOne, gn_mu),
                        ),
                        S(2),
                        evaluate=False,
                    ),
                ),
            ),
        ),
        add(
            log(
                mul(
                    mul(Pow(mul(S(2), pi), S.Half, evaluate=False), gn_s),
                    Pow(add(un_b, mul(S.NegativeOne, un_a)), S.NegativeOne, evaluate=False),
                ),
                evaluate=False,
            ),
            mul(
                add(
                    mul(
                        Pow(add(un_b, mul(S.NegativeOne, un_a)), S(2), evaluate=False),
                        Pow(S(12), S.NegativeOne, evaluate=False),
                    ),
                    Pow(
                        add(
                            mul(add(un_a, un_b), Pow(S(2), S.NegativeOne, evaluate=False)),
                            mul(S.NegativeOne, gn_mu),
                        ),
                        S(2),
                        evaluate=False,
                    ),
                ),
                Pow(mul(S(2), Pow(gn_s, S(2), evaluate=False)), S.NegativeOne, evaluate=False),
            ),
        ),
    ),
]


# -- the rules ------------------------------------------------------------------------------------------------
@cache
def module_rules() -> dict[str, list[tuple[str, Rule]]]:
    """Every :class:`Rule` bound to a name in a module of the package: key -> [(module.NAME, rule)]."""
    found: dict[str, list[tuple[str, Rule]]] = {}
    for info in pkgutil.walk_packages(derivation.__path__, "derivation."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, Rule):
                found.setdefault(value.key, []).append((f"{info.name}.{name}", value))
    return found


def _estimator_rules() -> tuple[Rule, ...]:
    """The estimators document's rules made from its derived chains (the ratio, the log-ratio, the lemmas, the
    estimate), taken from the steps that used them."""
    it = Estimators(derive("estimators"))
    made = {key: rule for key, rule in (("ratio-definition", ratio_definition(it.ratio)),
                                        ("log-ratio-derived", log_ratio_rule(it.log_ratio, it.ratio)),
                                        ("exponential-moments", exponential_moments(it.lemmas, it.t)))}
    estimate = Rule("use-estimate", "The estimate", "Put in the estimate written out above.", it._put_in_estimate)
    return (*made.values(), estimate)


@cache
def factory_rules() -> dict[str, Rule]:
    """The rules made by functions (from a derived result), made here from the univariate closed form."""
    general = derive("univariate")
    made = (
        use_derived(general, "Known gradient", "Use the result derived above."),
        use_derived(general, "Closed form", "The closed form derived above.", cite=False, key="use-closed-form"),
        closed_form_at_rule(general),
        *Interpretation(derive("dynamics")).sum_plan[:2],  # the d-dimensional chain's own two rules
        *_estimator_rules(),
        differentiate_derived((Interpretation(derive("dynamics")).grad_sigma,)),
        paper_result(STANDARD_PLAN, standard_in_latent),
        elbo_decomposed(DECOMPOSITION_PLAN[:-1]),  # as the elbo-linear-gaussian case makes it
        divergence_from_posterior(UNIVARIATE_PLAN),
        pixel_result(PIXEL_PLAN),
        *_natural_rules(),
    )
    return {rule.key: rule for rule in made}


def rule(key: str) -> Rule:
    if key in factory_rules():
        return factory_rules()[key]
    return module_rules()[key][0][1]


def chains(d: Derivation) -> Iterator[Derivation]:
    """``d``, its lemmas and its sections' derivations, recursively."""
    yield d
    for step in d.steps:
        for lemma in step.lemmas:
            yield from chains(lemma)
    for section in d.sections:
        for inner in section.derivations:
            yield from chains(inner)


@cache
def derived_steps() -> tuple[tuple[str, str, str], ...]:
    """(key, title, justification) of every step of every derivation in :data:`DERIVED`."""
    return tuple(
        (step.rule, step.title, step.justification)
        for arguments in DERIVED
        for chain in chains(derive(**arguments))
        for step in chain.steps
    )


# -- the pairs of two families by the laws' moments (derivation/rules/moments.py) ------------------------------------

ue_a, ue_b, ue_l = Symbol("a", real=True), Symbol("b", real=True), Symbol("l", positive=True)
q_ue = Density("q", x, UniformLaw(ue_a, ue_b))
p_ue = Density("p", x, ExponentialLaw(ue_l))
gn_a, gn_r, gn_m, gn_s = (Symbol("a", positive=True), Symbol("r", positive=True), Symbol("m", real=True),
                          Symbol("s", positive=True))
q_gn = Density("q", x, GammaLaw(gn_a, gn_r))
q_eg = Density("q", x, ExponentialLaw(ue_l))

ROWS += [
    # Uniform-Exponential, step 5: the constants together, the exponential law's term in x kept
    Row("combine-cross-log-densities", "pair-uniform-exponential",
        Expectation(sub(neg(log(sub(ue_b, ue_a))), add(neg(mul(ue_l, x)), log(ue_l))), q_ue),
        Expectation(add(neg(log(sub(ue_b, ue_a))), neg(log(ue_l)), mul(ue_l, x)), q_ue)),
    # Uniform-Exponential, step 7: the uniform law's mean
    Row("law-moments", "pair-uniform-exponential", mul(ue_l, Expectation(x, q_ue)),
        mul(ue_l, UniformLaw(ue_a, ue_b).mean)),  # the law's own mean, (a + b)/2
    # Gamma-Normal, step 9: the second moment about the Gaussian's mean, variance plus squared distance of the mean
    Row("law-moments", "pair-gamma-normal", Expectation(Pow(sub(x, gn_m), 2, evaluate=False), q_gn),
        add(GammaLaw(gn_a, gn_r).variance, Pow(sub(GammaLaw(gn_a, gn_r).mean, gn_m), 2, evaluate=False))),
    # Exponential-Gumbel, step 8: the Gumbel law's exponential term by the exponential law's moment generating
    # function at -1/s, shifted by m/s
    Row("law-moments", "pair-exponential-gumbel", Expectation(exp(neg(frac(sub(x, gn_m), gn_s))), q_eg),
        ExponentialLaw(ue_l).exponential_moment(-1 / gn_s, gn_m / gn_s)),
    # Gamma-Normal, step 10: the Gamma mean times the rate cancels
    Row("cancel-monomials", "pair-gamma-normal", add(log(gn_s), neg(frac(mul(gn_r, gn_a), gn_r))),
        add(log(gn_s), neg(gn_a))),
]

# -- a Pareto law against a law whose log-density grows like a power of x (derivation/rules/support.py) -------------
CONFIGURATIONS["pair-pareto-exponential"] = {"q": "Pareto(m1, a1)", "p": "Exponential(l)"}
CONFIGURATIONS["pair-pareto-infinite-moment"] = {"q": "Pareto(m1, 1)", "p": "Exponential(l)"}
DERIVED += ({"q": "Pareto(m1, a1)", "p": "Normal(m, s)"}, {"q": "Pareto(m1, 1)", "p": "Exponential(l)"})
q_pe, q_pe_one = Density("q", x, ParetoLaw(pa_m1, pa_a1)), Density("q", x, ParetoLaw(pa_m1, 1))
p_pe = Density("p", x, ExponentialLaw(ue_l))

ROWS += [
    # Pareto-Exponential, step 8: the Pareto law's mean, a1 m1 / (a1 - 1) (derived under a1 > 1)
    Row("law-moments", "pair-pareto-exponential", Expectation(x, q_pe), frac(mul(pa_a1, pa_m1), sub(pa_a1, S.One))),
    # Pareto-Exponential, step 8: the expected logarithm multiplied out, the logarithms and constants collected, a
    # term of the mean (or the expectation E_q[x] it replaces, one step later) kept
    Row("collect-pareto-logarithms", "pair-pareto-exponential",
        add(neg(log(ue_l)), mul(pa_a1, log(pa_m1)), neg(mul(add(pa_a1, S.One), add(1 / pa_a1, log(pa_m1)))),
            frac(mul(pa_a1, ue_l, pa_m1), sub(pa_a1, S.One)), log(pa_a1)),
        add(log(pa_a1), S.NegativeOne, -1 / pa_a1, neg(log(ue_l)), neg(log(pa_m1)),
            frac(mul(pa_a1, ue_l, pa_m1), sub(pa_a1, S.One)))),
    # Pareto(m1, 1)-Exponential, step 2: the mean of a Pareto law of shape 1 is infinite, and so is the divergence
    Row("infinite-moment", "pair-pareto-infinite-moment",
        Integral(mul(q_pe_one, log(frac(q_pe_one, p_pe))), (x, pa_m1, oo)),
        oo),
]


# -- the tests ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("row", ROWS, ids=[row.key for row in ROWS])
def test_rule_rewrites_before_to_after(row):
    assert rule(row.key)(row.before, setting(row.setting)).expr == row.after


@pytest.mark.parametrize("row", ROWS, ids=[row.key for row in ROWS])
def test_each_row_is_an_identity(row):
    where = setting(row.setting)
    if isinstance(row.before, Named) and row.before.definition.is_Matrix:  # a name for a matrix, entry by entry
        assert all(simplify(a - b) == 0 for a, b in zip(row.before.definition, row.after, strict=True))
        return
    if isinstance(where, CustomSetting) and where.definitions:  # a pair's fresh scales, at their defined values
        checker = DefinitionsChecker(where.user_parameters, where.definitions)
    else:
        checker = where.checker()
    verdict = checker.check(0, row.before, row.after)
    assert verdict.ok, verdict.detail


def test_table_covers_every_rule():
    derived = {key for key, _, _ in derived_steps()}
    assert {row.key for row in ROWS} == set(module_rules()) | derived


#: Rules whose steps may say less than the rule's own justification (``Rewrite.justification``).
NARROWING_RULES = {"law-moments"}


def test_rule_keys_are_unique():
    for key, named in module_rules().items():
        meanings = {(r.title, r.justification, r.apply) for _, r in named}
        assert len(meanings) == 1, f"{key!r} names different rules: {', '.join(where for where, _ in named)}"
    titles: dict[str, set[str]] = {}
    for key, title, justification in derived_steps():
        titles.setdefault(key, set()).add(title)
        if key in module_rules():
            constant = module_rules()[key][0][1]
            assert title == constant.title, key
            # a rule may narrow its words to what one application used (rules.moments: only the moments it used)
            assert justification == constant.justification or key in NARROWING_RULES, key
    assert {key: names for key, names in titles.items() if len(names) > 1} == {}

