"""verify of other families' KL formulas (issue 14): Bernoulli (probs and logits), Laplace, Gamma, Exponential.

The claim parser's special functions (sigmoid, logsigmoid, lgamma, digamma, xlogy and their other libraries'
names), the decider on parameters of a bounded domain (a probability in (0, 1): sampled, searched and proved
there), and the slips it names for these families.
"""

from __future__ import annotations

import json
import math

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Interval, Symbol

from derivation import verify
from derivation.claims.decide import _inside, _proved, grid, value_at
from derivation.cli import run
from derivation.core.errors import ParseError
from derivation.interpret.parse import Requirement, parse_claim, read_claim

BERNOULLI = ("Bernoulli(p1)", "Bernoulli(p2)")
LOGITS = ("Bernoulli(logits=l1)", "Bernoulli(logits=l2)")
LAPLACE = ("Laplace(m1, b1)", "Laplace(m2, b2)")
GAMMA = ("Gamma(a1, rate=b1)", "Gamma(a2, rate=b2)")
GAMMA_SCALE = ("Gamma(a1, scale=s1)", "Gamma(a2, scale=s2)")
EXPONENTIAL = ("Exponential(l1)", "Exponential(l2)")
EXPONENTIAL_SCALE = ("Exponential(scale=s1)", "Exponential(scale=s2)")
GEOMETRIC = ("Geometric(p1)", "Geometric(p2)")

GAMMA_TRUE = ("(a1 - a2)*torch.digamma(a1) - torch.lgamma(a1) + torch.lgamma(a2) + a2*(torch.log(b1) - "
              "torch.log(b2)) + a1*(b2 - b1)/b1")

#: (q, p), claim, holds, words the diagnosis must contain (None: none expected)
CLAIMS = [
    (BERNOULLI, "p1*torch.log(p1/p2) + (1-p1)*torch.log((1-p1)/(1-p2))", True, None),
    (BERNOULLI, "p1*np.log(p1/p2) + (1-p1)*np.log(1-p1) - (1-p1)*np.log(1-p2)", True, None),
    (BERNOULLI, "p1*(np.log(p1) - np.log(p2)) + (1-p1)*(np.log1p(-p1) - np.log1p(-p2))", True, None),
    (BERNOULLI, "torch.special.xlogy(p1, p1/p2) + torch.special.xlogy(1-p1, (1-p1)/(1-p2))", True, None),
    (BERNOULLI, "p1*log(p1/p2) + (1-p1)*log((p1-1)/(p2-1))", True, None),
    (BERNOULLI, "p2*torch.log(p2/p1) + (1-p2)*torch.log((1-p2)/(1-p1))", False, "the direction is reversed"),
    (BERNOULLI, "p1*torch.log(p1/p2) + torch.log((1-p1)/(1-p2))", False,
     "claim - KL(q || p) = p1*log(1 - p1) - p1*log(1 - p2), which is not 0"),
    (BERNOULLI, "torch.sigmoid(p1)*(p1-p2) + F.softplus(p2) - F.softplus(p1)", False,
     "p1 is used as a logit (log-odds) but the spec makes it the probability; p2 is used as a logit"),
    (BERNOULLI, "-(p1*torch.log(p1/p2) + (1-p1)*torch.log((1-p1)/(1-p2)))", False, "the sign is flipped"),
    (LOGITS, "torch.sigmoid(l1)*(l1 - l2) + F.softplus(l2) - F.softplus(l1)", True, None),
    (LOGITS, "torch.sigmoid(l1)*(F.logsigmoid(l1) - F.logsigmoid(l2)) + torch.sigmoid(-l1)*(F.logsigmoid(-l1) "
             "- F.logsigmoid(-l2))", True, None),
    (LOGITS, "jax.nn.sigmoid(l1)*(l1 - l2) + jax.nn.softplus(l2) - jax.nn.softplus(l1)", True, None),
    (LOGITS, "torch.sigmoid(l1)*(l1 - l2) + F.softplus(l1) - F.softplus(l2)", False,
     "claim - KL(q || p) = 2*log(exp(l1) + 1) - 2*log(exp(l2) + 1), which is not 0"),
    (LAPLACE, "torch.log(b2/b1) + torch.abs(m1-m2)/b2 + b1/b2*torch.exp(-torch.abs(m1-m2)/b1) - 1", True, None),
    (LAPLACE, "torch.log(b2/b1) + torch.abs(m1-m2)/b2 + b1/b2*torch.exp(-torch.abs(m1-m2)/b1)", False,
     "differs from KL(q || p) by the constant 1"),
    (GAMMA, GAMMA_TRUE, True, None),
    (GAMMA, "(a1 - a2)*scipy.special.psi(a1) - scipy.special.gammaln(a1) + scipy.special.gammaln(a2) + "
            "a2*np.log(b1/b2) + a1*(b2 - b1)/b1", True, None),
    (GAMMA, GAMMA_TRUE.replace("/b1", "/b2"), False, "claim - KL(q || p) = "),
    (GAMMA, "(a1 - a2)*torch.digamma(a1) - torch.lgamma(a1) + torch.lgamma(a2) + a2*torch.log(b2/b1) + "
            "a1*(b1/b2 - 1)", False, "b1 is used as a scale but the spec makes it the rate"),
    (GAMMA_SCALE, "(a1 - a2)*torch.digamma(a1) - torch.lgamma(a1) + torch.lgamma(a2) + a2*torch.log(s2/s1) + "
                  "a1*(s1/s2 - 1)", True, None),
    (EXPONENTIAL, "torch.log(l1/l2) + l2/l1 - 1", True, None),
    (EXPONENTIAL, "torch.log(l2/l1) + l1/l2 - 1", False, "the direction is reversed"),
    (EXPONENTIAL_SCALE, "torch.log(s2/s1) + s1/s2 - 1", True, None),
    (EXPONENTIAL_SCALE, "torch.log(s1/s2) + s2/s1 - 1", False, "the direction is reversed"),
    (GEOMETRIC, "log(p1/p2) + (1-p1)*log((1-p1)/(1-p2))/p1", True, None),
]


@pytest.mark.parametrize(("specs", "claim", "holds", "words"), CLAIMS,
                         ids=[f"{q}-{i}" for i, ((q, _), *_) in enumerate(CLAIMS)])
def test_family_claims(specs, claim, holds, words):
    verdict = verify(*specs, claim)
    text = verdict.describe()
    assert verdict.holds is holds, text
    if words:
        assert words in (verdict.diagnosis or ""), text
    if holds is False:
        assert verdict.counterexample is not None and verdict.exit_code == 1


def test_an_unlisted_function_is_refused_with_its_position():
    with pytest.raises(ParseError, match=r"unknown function 'np.logaddexp'"):
        verify(*LOGITS, "scipy.special.expit(l1)*(l1 - l2) + np.logaddexp(0, l2) - np.logaddexp(0, l1)")


def test_a_probability_counterexample_stays_inside_its_domain():
    verdict = verify(*BERNOULLI, "p2*torch.log(p2/p1) + (1-p2)*torch.log((1-p2)/(1-p1))")
    assert all(0 < v < 1 for v in verdict.counterexample.point.values())


def test_code_undefined_somewhere_in_the_domain_is_refuted_there():
    verdict = verify(*BERNOULLI, "p1*torch.log(p1/p2) + (1-p1)*torch.log((1-p1)/(1-p2)) + 0*torch.log(p1 - 0.5)")
    assert verdict.holds is False
    assert verdict.counterexample.point["p1"] < 0.5 and "logarithm of" in verdict.diagnosis


def test_a_probability_reads_as_u_over_one_plus_u():
    p = Symbol("p", positive=True)
    u_form = _inside(Interval.open(0, 1))
    assert u_form.free_symbols and (1 - u_form).together().is_positive
    assert _proved(Requirement(1 - p, ">0", "the logarithm of"), Symbol("j"), {p: Interval.open(0, 1)})
    assert not _proved(Requirement(p - Symbol("q", positive=True), ">0", "the logarithm of"), Symbol("j"),
                       {p: Interval.open(0, 1)})
    assert not _proved(Requirement(1 - p, ">0", "the logarithm of"), Symbol("j"))


def test_the_domain_grid_keeps_a_probability_inside():
    p, x = Symbol("p", positive=True), Symbol("x", real=True)
    points = grid((p, x), domains={p: Interval.open(0, 1)})
    assert all(0 < point[p] < 1 for point in points)
    assert {float(point[p]) for point in points} >= {0.001, 0.999, 0.5}
    assert any(point[x] < 0 for point in points)


X = Symbol("x", real=True)
Y = Symbol("y", positive=True)


@settings(max_examples=40, deadline=None)
@given(st.floats(-20, 20), st.floats(0.05, 30))
def test_special_functions_mean_what_the_libraries_compute(x, y):
    """sigmoid, logsigmoid, softplus, lgamma, digamma and xlogy, read by the parser, at random points."""
    point = {X: mpmath.mpf(x), Y: mpmath.mpf(y)}
    expected = {
        "torch.sigmoid(x)": 1 / (1 + math.exp(-x)),
        "scipy.special.expit(x)": 1 / (1 + math.exp(-x)),
        "F.logsigmoid(x)": -math.log1p(math.exp(-x)),
        "jax.nn.log_sigmoid(x)": -math.log1p(math.exp(-x)),
        "F.softplus(x)": math.log1p(math.exp(x)),
        "torch.lgamma(y)": math.lgamma(y),
        "scipy.special.gammaln(y)": math.lgamma(y),
        "torch.digamma(y)": float(mpmath.digamma(y)),
        "torch.special.psi(y)": float(mpmath.digamma(y)),
        "torch.special.xlogy(x, y)": x * math.log(y),
        "x.sigmoid()": 1 / (1 + math.exp(-x)),
        "y.lgamma()": math.lgamma(y),
    }
    for text, value in expected.items():
        got = float(value_at(parse_claim(text, {"x": X, "y": Y}), point))
        assert math.isclose(got, value, rel_tol=1e-12, abs_tol=1e-12), text


def test_xlogy_requires_a_positive_argument():
    parsed = read_claim("xlogy(x, y - 1)", {"x": X, "y": Y})
    assert [(r.expr, r.relation) for r in parsed.requirements] == [(Y - 1, ">0")]
    verdict = verify(*BERNOULLI, "torch.special.xlogy(p1, p1/p2) + torch.special.xlogy(1-p1, (1-p1)/(1-p2))"
                                 " + 0*torch.special.xlogy(p1, 0.5 - p2)")
    assert verdict.holds is False and "logarithm of" in verdict.diagnosis
    assert verdict.counterexample.point["p2"] >= 0.5


def test_cli_json_verdict_of_a_family_claim(capsys):
    assert run(["verify", "--q", GAMMA[0], "--p", GAMMA[1], "--claim", GAMMA_TRUE, "--json"]) == 0
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["holds"] is True and "polygamma(0, a1)" in verdict["kl"] and "gamma(a1)" in verdict["claim"]
    wrong = "torch.sigmoid(l1)*(l1 - l2) + F.softplus(l1) - F.softplus(l2)"
    assert run(["verify", "--q", LOGITS[0], "--p", LOGITS[1], "--claim", wrong, "--json"]) == 1
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["holds"] is False and set(verdict["counterexample"]["point"]) == {"l1", "l2"}


def test_a_pair_with_constrained_parameters_is_decided_at_points_that_satisfy_its_condition(capsys):
    """Uniform's ends (low < high, q's interval inside p's) are respected by the decider's random points (they
    were refused in one line before): the true claim holds, a wrong one is refuted at an admissible point."""
    assert run(["verify", "--q", "Uniform(a1, b1)", "--p", "Uniform(a2, b2)", "--claim", "log((b2-a2)/(b1-a1))"]) == 0
    assert capsys.readouterr().out.startswith("holds")
    verdict = verify("Uniform(a1, b1)", "Uniform(a2, b2)", "log((b2-a2)/(b1-a1+1))")
    point = verdict.counterexample.point
    assert verdict.holds is False and point["a2"] <= point["a1"] < point["b1"] <= point["b2"]
