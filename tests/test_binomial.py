"""Binomial pairs of one number of trials (issue 12): the count by name or as a number, probs or logits, derived
from the definition (a sum over k = 0, ..., n whose binomial coefficients cancel), checked, equal to mpmath's
direct sum and to ``torch.distributions.kl_divergence``; specs refused in one line; claims about it decided."""

from __future__ import annotations

import math

import mpmath
import pytest
from conftest import _require_module as require
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Symbol

from derivation import cli, derive, verify
from derivation.api import verify_code
from derivation.core.forms import evaluated
from derivation.laws import BinomialLaw
from derivation.pairs.routes import variant


def _direct_sum(n: int, a: float, b: float, logits: bool = False) -> float:
    """``sum_{k=0}^{n} q(k) log(q(k)/p(k))`` by mpmath (30 digits), from the masses themselves."""
    with mpmath.workdps(30):
        def probability(v):
            return 1 / (1 + mpmath.exp(-mpmath.mpf(v))) if logits else mpmath.mpf(v)

        def log_mass(k, v):
            x = probability(v)
            return mpmath.log(mpmath.binomial(n, k)) + k * mpmath.log(x) + (n - k) * mpmath.log(1 - x)

        return float(mpmath.fsum(mpmath.exp(log_mass(k, a)) * (log_mass(k, a) - log_mass(k, b))
                                 for k in range(n + 1)))


def test_the_chain_with_a_count_by_name_is_checked():
    derivation = derive(q="Binomial(n, a)", p="Binomial(n, b)")
    assert derivation.verified and all(check.ok for check in derivation.checks)
    assert [step.rule for step in derivation.steps] == [
        "kl-definition", "sum-as-expectation", "log-of-ratio", "log-masses", "combine-log-masses",
        "linearity-of-expectation", "mean-of-count"]
    n = Symbol("n", integer=True, positive=True)
    assert derivation.steps[0].expr.limits[0][1:] == (0, n)  # a finite sum up to the count


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 40), a=st.floats(1e-6, 1 - 1e-6), b=st.floats(1e-6, 1 - 1e-6))
def test_the_result_is_the_direct_sum(n, a, b):
    result = _RESULT()
    symbols = {s.name: s for s in result.free_symbols}
    value = float(result.evalf(30, subs={symbols["n"]: n, symbols["a"]: a, symbols["b"]: b}))
    assert math.isclose(value, _direct_sum(n, a, b), rel_tol=1e-9, abs_tol=1e-12)


def _RESULT():
    if not hasattr(_RESULT, "value"):
        _RESULT.value = derive(q="Binomial(n, a)", p="Binomial(n, b)").result
    return _RESULT.value


@pytest.mark.parametrize(("logits", "values"), [
    (False, [(3, 0.2, 0.7), (12, 1e-6, 0.5), (5, 0.5, 0.5), (40, 0.999, 0.001)]),
    (True, [(3, 0.5, -1.5), (12, -6.0, 4.0), (5, 2.0, 2.0), (40, 9.0, -9.0)]),
])
def test_the_result_equals_torch(logits, values):
    torch = require("torch")
    kind = "logits" if logits else "probs"
    result = derive(q=f"Binomial(n, {kind}=x1)", p=f"Binomial(n, {kind}=x2)").result
    symbols = {s.name: s for s in result.free_symbols}
    for n, a, b in values:
        value = float(result.evalf(30, subs={symbols["n"]: n, symbols["x1"]: a, symbols["x2"]: b}))
        q = torch.distributions.Binomial(n, **{kind: torch.tensor(a, dtype=torch.float64)})
        p = torch.distributions.Binomial(n, **{kind: torch.tensor(b, dtype=torch.float64)})
        expected = float(torch.distributions.kl_divergence(q, p))
        assert math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-12), (n, a, b)
        assert math.isclose(value, _direct_sum(n, a, b, logits), rel_tol=1e-9, abs_tol=1e-12)
        if a == b:
            assert value == pytest.approx(0, abs=1e-15)  # equal laws


def test_logits_end_in_the_logits():
    derivation = derive(q="Binomial(n, logits=l1)", p="Binomial(n, logits=l2)")
    assert derivation.verified and [s.rule for s in derivation.steps][-2:] == ["binomial-log-odds",
                                                                               "bernoulli-logits"]
    assert {s.name for s in derivation.result.free_symbols} == {"n", "l1", "l2"}


def test_the_law():
    n, p = Symbol("n", integer=True, positive=True), Symbol("p", positive=True)
    law = BinomialLaw(n, p)
    assert law.support.inf == 0 and law.support.sup == n and evaluated(law.mean) == n * p
    assert BinomialLaw(n, p).outside_support(BinomialLaw(n, Symbol("r", positive=True))) is None
    assert law.integrate(lambda k: k, [4, 0.5], exact=False) == 10.0  # 0 + 1 + 2 + 3 + 4


@pytest.mark.parametrize(("q", "p", "message"), [
    ("Binomial(2.5, a)", "Binomial(2, b)", "total_count must be a name or a whole number of trials"),
    ("Binomial(0, a)", "Binomial(2, b)", "total_count must be a name or a whole number of trials"),
    ("Binomial(probs=a)", "Binomial(2, b)", "Binomial needs its total_count first"),
    ("Binomial(n, n)", "Binomial(n, b)", "name 'n' is used for both total_count and probs"),
    ("Binomial(n, 1.5)", "Binomial(n, b)", "probs must be a probability strictly between 0 and 1"),
    ("Binomial(n, a)", "Binomial(m, b)", "two binomial laws are derived for one number of trials"),
])
def test_bad_specs_are_one_line_errors(q, p, message, capsys):
    assert cli.run(["derive", "--q", q, "--p", p]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kl-derive: error: ") and message in err and err.count("\n") == 1


def test_list_shows_the_family(capsys):
    assert cli.run(["list"]) == 0
    out = capsys.readouterr().out
    assert "Binomial(total_count, probs) or Binomial(total_count, logits=...)" in out
    assert "  Binomial || Binomial" in out


@pytest.mark.parametrize(("claim", "holds", "words"), [
    ("n*(a*torch.log(a/b) + (1-a)*torch.log((1-a)/(1-b)))", True, ""),
    ("n*(torch.special.xlogy(a, a/b) + torch.special.xlogy(1-a, (1-a)/(1-b)))", True, ""),
    ("a*torch.log(a/b) + (1-a)*torch.log((1-a)/(1-b))", False, ""),
    ("n*(b*torch.log(b/a) + (1-b)*torch.log((1-b)/(1-a)))", False, "the direction is reversed"),
])
def test_verify_decides_claims(claim, holds, words):
    verdict = verify("Binomial(n, a)", "Binomial(n, b)", claim)
    assert verdict.holds is holds, verdict.describe()
    assert words in (verdict.diagnosis or "")
    if not holds:
        assert verdict.counterexample.point["n"] == int(verdict.counterexample.point["n"])


def test_verify_code_of_a_binomial_logits_kl():
    source = ("def binomial_kl(n, l1, l2):\n    q = torch.sigmoid(l1)\n"
              "    return n * (q * (l1 - l2) + F.softplus(l2) - F.softplus(l1))\n")
    verdict = verify_code(source, q="Binomial(n, logits=l1)", p="Binomial(n, logits=l2)")
    assert verdict.holds is True, verdict.describe()


def test_the_variant_names_its_parameters():
    v = variant("Binomial(7, logits=l1)", "Binomial(7, logits=l2)")
    assert [s.name for s in v.setting.user_parameters] == ["l1", "l2"]
