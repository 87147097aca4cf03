"""One exponential family in general: KL derived once as the Bregman divergence of the log-normaliser, checked at
two Gaussian families put in for h, T and A, refused when a rule is broken, equal to an independent quadrature for a
family the checker never sees (the hyperbolic secant family), and turned into each one-parameter family kl-derive
derives from its definition (that family's own result, and torch's value)."""

from __future__ import annotations

import json
import math
import random

import mpmath
import pytest
from conftest import _require_module as require
from sympy import Float, Lambda, Rational, Symbol, cos, lambdify, log, pi

from derivation import derive, render
from derivation.cases.expfamily import _FAMILY_CASES, EXPONENTIAL_FAMILY_PLAN, agreement
from derivation.core.engine import Rule
from derivation.core.errors import StepRejected
from derivation.core.forms import add, mul, neg, sub
from derivation.laws import BernoulliLaw, ExponentialLaw, GeometricLaw, HalfNormalLaw, PoissonLaw
from derivation.laws.expfamily import INSTANCES, LOG_NORMALISER, NATURAL_FORMS, SLOPE, STATISTIC
from derivation.nodes.scalar import Expectation
from derivation.settings.expfamily import natural_pair
from derivation.settings.univariate import Notation, parse_notation

GENERAL = derive("exponential-family")
SETTING = GENERAL.setting
ETA_Q, ETA_P = SETTING.q.law.natural, SETTING.p.law.natural


def bregman(a: Lambda, eta_q: float, eta_p: float) -> float:
    """``A(eta_p) - A(eta_q) - (eta_p - eta_q) A'(eta_q)`` for a concrete log-normaliser, in floats."""
    (eta,) = a.variables
    value, slope = lambdify(eta, a.expr, "mpmath"), lambdify(eta, a.expr.diff(eta), "mpmath")
    return float(value(eta_p) - value(eta_q) - (eta_p - eta_q) * slope(eta_q))


def test_the_chain_ends_in_the_bregman_divergence_of_the_log_normaliser():
    assert [s.rule for s in GENERAL.steps] == [rule.key for rule in EXPONENTIAL_FAMILY_PLAN]
    assert GENERAL.result == add(LOG_NORMALISER(ETA_P), neg(LOG_NORMALISER(ETA_Q)),
                                 neg(mul(sub(ETA_P, ETA_Q), SLOPE(ETA_Q))))
    assert GENERAL.verified and all(check.ok for check in GENERAL.checks)
    (lemma,) = GENERAL.steps[6].lemmas
    assert lemma.start.expr == STATISTIC(SETTING.x) and lemma.result == SLOPE(ETA_Q)
    assert [s.rule for s in lemma.steps] == ["natural-expectation-as-integral", "statistic-as-derivative",
                                             "differentiate-under-integral", "natural-normalising-integral",
                                             "differentiate-exp-log-normaliser"]


def test_lines_with_h_t_and_a_are_checked_at_both_instances():
    numeric = [c for c in GENERAL.checks if c.method == "numeric"]
    assert numeric and all(all(i.name in c.detail for i in INSTANCES) for c in numeric)


def _broken(key: str, apply) -> tuple[Rule, ...]:
    return tuple(Rule(key, "Broken", "A wrong step.", apply) if rule.key == key else rule
                 for rule in EXPONENTIAL_FAMILY_PLAN)


def test_a_bregman_form_with_the_wrong_sign_is_refused():
    def wrong(expr, setting):
        eq, ep = setting.q.law.natural, setting.p.law.natural
        return add(LOG_NORMALISER(ep), neg(LOG_NORMALISER(eq)), mul(sub(ep, eq), SLOPE(eq)))

    with pytest.raises(StepRejected, match="bregman-form"):
        SETTING.checker().derive("broken", "broken", SETTING.start(), _broken("bregman-form", wrong), SETTING)


def test_the_log_normaliser_in_place_of_its_slope_is_refused():
    def wrong(expr, setting):
        return expr.replace(lambda n: isinstance(n, Expectation), lambda n: LOG_NORMALISER(setting.q.law.natural))

    with pytest.raises(StepRejected, match="mean-of-statistic"):
        SETTING.checker().derive("broken", "broken", SETTING.start(), _broken("mean-of-statistic", wrong), SETTING)


def _sech_density(x, n):
    """The hyperbolic secant family at natural parameter ``n``: ``sech(x) exp(n x) cos(pi n / 2) / pi``."""
    return mpmath.sech(x) * mpmath.exp(n * x) * mpmath.cos(mpmath.pi * n / 2) / mpmath.pi


def _kl_by_quadrature(eq, ep):
    return mpmath.quad(lambda x: _sech_density(x, eq) * mpmath.log(_sech_density(x, eq) / _sech_density(x, ep)),
                       [-mpmath.inf, 0, mpmath.inf])


def test_the_result_is_the_divergence_of_a_family_the_checker_never_sees():
    """The hyperbolic secant family, h(x) = sech(x)/pi, T(x) = x, A(eta) = -log cos(pi eta / 2): the Bregman
    divergence of its A against KL(q || p) by mpmath quadrature of the two densities (30 digits)."""
    eta = Symbol("eta")
    a = Lambda(eta, -log(cos(pi * eta / 2)))
    rng = random.Random(7)
    with mpmath.workdps(30):
        for _ in range(4):
            eq, ep = (mpmath.mpf(rng.uniform(-0.6, 0.6)) for _ in range(2))
            assert math.isclose(bregman(a, eq, ep), float(_kl_by_quadrature(eq, ep)), rel_tol=1e-9, abs_tol=1e-12)


def _mean_of_statistic(instance, value: float) -> float:
    x = Symbol("x", real=True)
    pdf = lambdify(x, instance.law(Rational(value)).pdf(x), "mpmath")
    statistic = lambdify(x, instance.statistic(x), "mpmath")
    return float(mpmath.quad(lambda t: statistic(t) * pdf(t), [-mpmath.inf, mpmath.inf]))


def test_the_checkers_instances_have_the_slope_of_their_log_normaliser_as_mean():
    """E[T] = A'(eta) at each instance, by quadrature: the lemma's statement, independently."""
    for instance in INSTANCES:
        low, high = instance.natural_range
        for value in ((low + high) / 2, high):
            assert math.isclose(_mean_of_statistic(instance, value), float(instance.slope(Rational(value))),
                                rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize("law", list(NATURAL_FORMS), ids=lambda law: law.family)
def test_each_family_from_the_bregman_divergence_is_its_own_result(law):
    found = agreement(law, GENERAL)
    assert found.chain.verified and all(c.ok for c in found.chain.checks)
    assert found.chain.start == GENERAL.result
    assert found.chain.result == found.derived
    assert [s.rule for s in found.chain.steps] == [f"natural-form-{law.family.lower()}",
                                                    f"as-derived-{law.family.lower()}"]


@pytest.mark.parametrize("law", list(NATURAL_FORMS), ids=lambda law: law.family)
def test_the_result_each_family_chain_ends_at_is_its_own_checked_derivations(law):
    """The family's result is taken from its plan's rules, unchecked in this document (its own checks every step):
    the same plan, every step checked, ends at the same expression."""
    found = agreement(law, GENERAL)
    case = _FAMILY_CASES[law.family]
    checked = found.pair.derive(law.family.lower(), case.title, case.plan)
    assert checked.verified and all(c.ok for c in checked.checks)
    assert checked.result == found.derived


#: Random parameters per family (torch's parameterisation) and the torch distribution of one.
TORCH = {
    BernoulliLaw: (lambda r: r.uniform(0.05, 0.95), lambda d, v: d.Bernoulli(probs=v)),
    PoissonLaw: (lambda r: r.uniform(0.2, 5.0), lambda d, v: d.Poisson(v)),
    GeometricLaw: (lambda r: r.uniform(0.05, 0.95), lambda d, v: d.Geometric(probs=v)),
    ExponentialLaw: (lambda r: r.uniform(0.2, 5.0), lambda d, v: d.Exponential(v)),
    HalfNormalLaw: (lambda r: r.uniform(0.2, 5.0), lambda d, v: d.HalfNormal(v)),
}


@pytest.mark.parametrize("law", list(NATURAL_FORMS), ids=lambda law: law.family)
def test_the_bregman_divergence_in_natural_form_is_torchs_value(law):
    torch = require("torch")
    form = NATURAL_FORMS[law]
    draw, make = TORCH[law]
    rng = random.Random(11)
    for _ in range(5):
        a, b = draw(rng), draw(rng)
        eq, ep = (float(form.natural(law(Float(v)))) for v in (a, b))
        expected = torch.distributions.kl_divergence(make(torch.distributions, torch.tensor(a, dtype=torch.float64)),
                                                     make(torch.distributions, torch.tensor(b, dtype=torch.float64)))
        assert math.isclose(bregman(form.log_normaliser, eq, ep), float(expected), rel_tol=1e-9, abs_tol=1e-12)


def test_the_document_shows_one_chain_per_family_and_the_lemma():
    markdown = render(GENERAL, "markdown")
    assert markdown.count("&& \\text{Natural form}") == len(NATURAL_FORMS)
    assert "### Lemma 1 (Mean of the sufficient statistic)" in markdown
    for form in NATURAL_FORMS.values():
        assert f"**{form.name[0].upper() + form.name[1:]}.**" in markdown
    data = json.loads(render(GENERAL, "json"))
    assert data["steps"][-1]["rule"] == "bregman-form"


def test_renamed_letters_follow_into_every_step():
    d = derive("exponential-family", notation=parse_notation(("eta=theta", "x=y")))
    text = render(d, "text")
    assert "A'(θ_q)" in text and "T(y)" in text and "η" not in text
    assert natural_pair(Notation()).x.name == "x"
