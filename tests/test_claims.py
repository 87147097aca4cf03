"""verify: true claims are proved, false ones refuted with a counterexample and a diagnosis, bad input refused."""

from __future__ import annotations

import json
import os
import time

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sympy import Symbol

import cli
from derivation import verify
from derivation.claims import decide as claims
from derivation.claims.decide import Relative, diagnose, sample, tame, value_at, values
from derivation.core.errors import ParseError, UsageError
from derivation.pairs.routes import variant

VAE = ("Normal(mu, logvar=lv)", "Normal(0, 1)")
STD = ("Normal(mu, sigma)", "Normal(0, 1)")
TWO = ("Normal(m1, s1)", "Normal(m2, s2)")
VAR = ("Normal(m1, var=v1)", "Normal(m2, var=v2)")
LOGSTD = ("Normal(mu, log_scale=ls)", "Normal(0, 1)")

DVAE = ("DiagNormal(mu, logvar=lv, dim=d)", "DiagNormal(0, 1, dim=d)")
DSTD = ("DiagNormal(mu, sigma, dim=d)", "DiagNormal(0, 1, dim=d)")
DTWO = ("DiagNormal(m1, s1, dim=d)", "DiagNormal(m2, s2, dim=d)")
DLOGSTD = ("DiagNormal(mu, log_scale=ls, dim=d)", "DiagNormal(0, 1, dim=d)")
D8 = ("DiagNormal(mu, logvar=lv, dim=8)", "DiagNormal(0, 1, dim=8)")

#: (q, p), claim, holds, words the diagnosis must contain (None: no diagnosis expected)
CLAIMS = [
    # -- DiagNormal: true, in every syntax (sums over the latent dimension)
    (DVAE, "-0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp())", True, None),
    (DVAE, "-0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp(), dim=-1)", True, None),
    (DVAE, "-0.5 * np.sum(1 + lv - np.square(mu) - np.exp(lv), axis=-1)", True, None),
    (DVAE, "0.5 * (mu.pow(2).sum() + lv.exp().sum() - lv.sum()) - d / 2", True, None),
    (DVAE, "torch.sum(-0.5 * (1 + lv - mu ** 2 - torch.exp(lv)))", True, None),
    (DVAE, r"-\frac{1}{2}\sum_{j=1}^{d}\left(1 + \mathrm{lv}_j - \mu_j^2 - e^{\mathrm{lv}_j}\right)", True, None),
    (DSTD, r"-\frac{1}{2}\sum_{j=1}^{d}\left(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\right)", True, None),
    (DSTD, "torch.sum(0.5 * (sigma**2 + mu**2 - 1) - torch.log(sigma))", True, None),
    (DTWO, "torch.sum(torch.log(s2 / s1) + (s1**2 + (m1 - m2)**2) / (2 * s2**2) - 0.5)", True, None),
    (D8, "-0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp())", True, None),
    # -- DiagNormal: the classic mistakes
    (DVAE, "-0.5 * torch.mean(1 + lv - mu.pow(2) - lv.exp())", False, "mean over latent dimensions, not the sum"),
    (D8, "-0.5 * torch.mean(1 + lv - mu.pow(2) - lv.exp())", False, "divided by the dimension 8"),
    (DVAE, "0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp())", False, "sign is flipped"),
    (DVAE, "-torch.sum(1 + lv - mu.pow(2) - lv.exp())", False, "factor 1/2 is missing"),
    (DSTD, r"-\frac{1}{2}\sum_{j=1}^{d}\left(1 + \log\sigma_j - \mu_j^2 - \sigma_j\right)", False,
     "std/variance swapped"),
    (DSTD, "torch.sum(0.5 * (sigma**2 + mu**2 - 1 - torch.log(sigma)))", False, "log(sigma) where log(sigma**2)"),
    (DLOGSTD, "-0.5 * torch.sum(1 + ls - mu.pow(2) - ls.exp())", False, "log-std used as log-variance"),
    (DVAE, "-0.5 * torch.sum(1 + 2 * lv - mu.pow(2) - torch.exp(2 * lv))", False, "log-variance used as log-std"),
    (DTWO, "torch.sum(torch.log(s1 / s2) + (s2**2 + (m1 - m2)**2) / (2 * s1**2) - 0.5)", False, "KL(p || q)"),

    # -- true, in every syntax
    (VAE, "-0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp())", True, None),
    (VAE, "-0.5 * np.sum(1 + lv - np.square(mu) - np.exp(lv), axis=-1)", True, None),
    (VAE, "0.5 * (mu**2 + exp(lv) - lv - 1)", True, None),
    (VAE, "torch.mean(-0.5 * (1 + lv - mu ** 2 - lv.exp()))", True, None),
    (VAE, r"-\frac{1}{2}\left(1 + \mathrm{lv} - \mu^{2} - e^{\mathrm{lv}}\right)", True, None),
    (STD, r"\frac{1}{2}\left(\sigma^2 + \mu^2 - 1 - \log\sigma^2\right)", True, None),
    (STD, "0.5 * (sigma**2 + mu**2 - 1) - math.log(sigma)", True, None),
    (TWO, r"\log\frac{s_2}{s_1} + \frac{s_1^2 + (m_1 - m_2)^2}{2 s_2^2} - \frac{1}{2}", True, None),
    (TWO, "torch.log(s2 / s1) + (s1**2 + (m1 - m2)**2) / (2 * s2**2) - 0.5", True, None),
    (VAR, "0.5 * (log(v2 / v1) + (v1 + (m1 - m2)**2) / v2 - 1)", True, None),
    (LOGSTD, "-ls + 0.5 * (exp(2 * ls) + mu**2 - 1)", True, None),
    (("Normal(0, 1)", "Normal(0, 1)"), "0", True, None),
    (("Normal(2, var=3)", "Normal(0, 1)"), "(3 + 4 - 1 - log(3)) / 2", True, None),
    # -- the classic mistakes
    (VAE, "0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp())", False, "sign is flipped"),
    (VAE, "-torch.sum(1 + lv - mu.pow(2) - lv.exp())", False, "factor 1/2 is missing"),
    (VAE, "-0.25 * (1 + lv - mu**2 - exp(lv))", False, "extra factor 1/2"),
    (STD, "0.5 * (sigma + mu**2 - 1 - log(sigma))", False, "std/variance swapped"),
    (STD, "0.5 * (sigma**2 + mu**2 - 1 - log(sigma))", False, "log(sigma) where log(sigma**2) belongs"),
    (STD, r"\frac{1}{2}\left(\sigma^2 + \mu^2 - 1 - \log\sigma\right)", False, "log(sigma) where log(sigma**2)"),
    (LOGSTD, "-0.5 * (1 + ls - mu**2 - exp(ls))", False, "log-std used as log-variance"),
    (VAE, "-0.5 * (1 + 2 * lv - mu**2 - exp(2 * lv))", False, "log-variance used as log-std"),
    (VAR, "0.5 * (log(v2 / v1) + (v1 + (m1 - m2)**2) / v2)", False, "constant 1/2"),
    (TWO, r"\log\frac{s_1}{s_2} + \frac{s_2^2 + (m_1 - m_2)^2}{2 s_1^2} - \frac{1}{2}", False, "KL(p || q)"),
    (TWO, "-(log(s1 / s2) + (s2**2 + (m1 - m2)**2) / (2 * s1**2) - 0.5)", False, "reversed; and the sign"),
    (STD, "log(mu) + sigma", False, "not defined there: the logarithm of mu"),  # not real for mu < 0
]


@pytest.mark.parametrize(("pair", "claim", "holds", "words"), CLAIMS)
def test_claims(pair, claim, holds, words):
    verdict = verify(*pair, claim)
    assert verdict.holds is holds, verdict.describe()
    if holds:
        assert "symbolic proof" in verdict.method and "numeric agreement" in verdict.method
        assert verdict.counterexample is None and verdict.diagnosis is None
        return
    example = verdict.counterexample
    assert example is not None
    assert example.claim != example.kl
    if words is None:
        assert verdict.diagnosis is None
    else:
        assert words in (verdict.diagnosis or ""), verdict.diagnosis


def test_the_counterexample_is_a_real_disagreement():
    verdict = verify(*STD, "0.5 * (sigma + mu**2 - 1 - log(sigma))")
    point = verdict.counterexample.point
    mu, sigma = point["mu"], point["sigma"]
    truth = 0.5 * (sigma**2 + mu**2 - 1) - mpmath.log(sigma)
    claim = 0.5 * (sigma + mu**2 - 1 - mpmath.log(sigma))
    assert float(truth) == pytest.approx(verdict.counterexample.kl)
    assert float(claim) == pytest.approx(verdict.counterexample.claim)


def test_a_tiny_constant_difference_is_not_missed():
    verdict = verify(*STD, "0.5 * (sigma**2 + mu**2 - 1 - log(sigma**2)) + 1e-25")
    assert verdict.holds is False and "by the constant 1e-25" in verdict.diagnosis, verdict.describe()


def test_cancellation_is_never_a_counterexample():
    """Huge terms that cancel exactly: 30-digit arithmetic alone would call this wrong."""
    claim = "0.5 * (sigma**2 + mu**2 - 1 - log(sigma**2)) + (mu**2 + 2*mu + 1)**50 - (mu + 1)**100"
    verdict = verify(*STD, claim)
    assert verdict.holds is True, verdict.describe()


def test_value_at_raises_precision_until_settled():
    mu = Symbol("mu", real=True)
    point = {mu: mpmath.mpf("2.3")}
    expr = (mu**2 + 2 * mu + 1) ** 300 - (mu + 1) ** 600 + 2
    assert value_at(expr, point) == 2
    from sympy import exp

    assert value_at(exp(exp(exp(exp(exp(mu))))), point) == claims.UNSTABLE


def test_undecided_when_the_budget_runs_out():
    claim = "0.5 * (sigma**2 + mu**2 - 1 - log(sigma**2)) + sqrt(sigma**2 + 2*sigma + 1) - sigma - 1"
    assert verify(*STD, claim).holds is True  # needs the second (bounded) proof attempt
    verdict = claims.verify(*STD, claim, budget=0)
    assert verdict.holds is None and verdict.exit_code == 3
    assert "numeric agreement" in verdict.method and "time budget" in verdict.method


def test_a_pathological_claim_finishes_in_time():
    """Expanding this would take far longer than the budget: the call still ends, within 10 s."""
    claim = "0.5 * (sigma**2 + mu**2 - 1 - log(sigma**2)) + (mu**2 + 2*mu + 1)**500 - (mu + 1)**1000"
    assert not tame(variant(*STD).parse_claim(claim))
    start = time.monotonic()
    verdict = verify(*STD, claim)
    assert time.monotonic() - start < 10
    assert verdict.holds in (True, None)  # never refuted: it is true


def test_diagnose_mean_instead_of_sum():
    d = Symbol("d", integer=True, positive=True)
    mu = Symbol("mu", real=True)
    points = sample((mu, d), 6)
    truth = d * mu**2 + d
    claimed = values(mu**2 + 1, points)
    assert "mean over latent dimensions, not the sum" in diagnose(claimed, [Relative(truth, "")], points, d)
    assert "mean over latent" in diagnose(values((4 * mu**2 + 4) / 4, points), [Relative(4 * mu**2 + 4, "")],
                                          points, 4)


def test_verdict_dict_is_json():
    verdict = verify(*VAE, "0.5 * (1 + lv - mu**2 - exp(lv))")
    data = json.loads(json.dumps(verdict.as_dict()))
    assert data["holds"] is False and data["status"] == "does not hold"
    assert set(data) >= {"holds", "method", "counterexample", "diagnosis", "claim", "kl"}
    assert set(data["counterexample"]["point"]) == {"mu", "lv"}


# -- invalid input: one line, exit 2, nothing runs ---------------------------------------------------------


@pytest.mark.parametrize(("q", "p", "claim", "message"), [
    (*STD, "sigma +", "claim: invalid syntax"),
    (*STD, "mu + s", "claim: unknown symbol 's'"),
    (*STD, "mu.__class__", "claim: attribute '__class__' is not allowed"),
    (*STD, "(lambda: 1)()", "claim: "),
    (*STD, "[m for m in ()]", "claim: comprehensions are not allowed"),
    (*STD, "__import__('os').system('touch pwned')", "claim: "),
    (*STD, "open('pwned', 'w')", "claim: unknown function 'open'"),
    (*STD, "mu ** 10 ** 10", "claim: exponent too large"),
    (*STD, "mu + " * 500 + "mu", "claim: input too long"),
    (*STD, r"\input{/etc/passwd}", "claim: "),
    (*STD, r"\write18{touch pwned}", "claim: "),
    ("Normal(mu, -1)", "Normal(0, 1)", "mu", "q: scale must be positive"),
    ("Normal(mu, 0)", "Normal(0, 1)", "mu", "q: scale must be positive"),
    ("Normal(0, 1)", "Cauchy(1, 1)", "mu", "p: unknown family"),
    ("Normal(0, 1)", "Normal(0, var=-2)", "mu", "p: var must be positive"),
    ("Normal(mu, sigma", "Normal(0, 1)", "mu", "q: invalid syntax"),
    ("DiagNormal(m, s, dim=2)", "DiagNormal(0, 1, dim=3)", "m", "dimension mismatch"),
])
def test_invalid_input_is_exit_2_and_one_line(q, p, claim, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = cli.run(["verify", "--q", q, "--p", p, "--claim", claim])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert message in err
    assert list(tmp_path.iterdir()) == []  # nothing was created


def test_errors_name_the_position():
    with pytest.raises(ParseError) as info:
        verify(*STD, "mu + sigma * unknown")
    assert info.value.position == len("mu + sigma * ")
    assert "(at position 13)" in str(info.value)


# -- the command -------------------------------------------------------------------------------------------


def test_cli_exit_codes_and_output(capsys, monkeypatch):
    args = ["verify", "--q", VAE[0], "--p", VAE[1]]
    assert cli.run([*args, "--claim", "-0.5*(1 + lv - mu**2 - exp(lv))"]) == 0
    out, _ = capsys.readouterr()
    assert out.startswith("holds") and "symbolic proof" in out

    assert cli.run([*args, "--claim", "0.5*(1 + lv - mu**2 - exp(lv))"]) == 1
    out, _ = capsys.readouterr()
    assert out.startswith("does not hold") and "counterexample: at mu = " in out and "sign is flipped" in out

    assert cli.run([*args, "--claim", "0.5*(1 + lv - mu**2 - exp(lv))", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["holds"] is False and data["diagnosis"] == "the sign is flipped"

    monkeypatch.setattr(claims, "BUDGET", 0.0)
    claim = "0.5 * (mu**2 + exp(lv) - lv - 1) + sqrt(exp(2*lv) + 2*exp(lv) + 1) - exp(lv) - 1"
    assert cli.run([*args, "--claim", claim, "--json"]) == 3
    assert json.loads(capsys.readouterr().out)["status"] == "undecided"


def test_cli_derive_custom_pair(tmp_path, capsys):
    target = tmp_path / "kl.md"
    assert cli.run(["derive", "--q", "Normal(a, logvar=w)", "--p", "Normal(0, 1)", "-o", str(target)]) == 0
    assert "Parameterisation" in target.read_text()
    assert cli.run(["derive", "--q", "Normal(a, logvar=w)"]) == 2
    assert "both specs" in capsys.readouterr().err


# -- properties --------------------------------------------------------------------------------------------

_TOKENS = [*"mu sigma lv 0123456789.+-*/()[]{}_^\\,='\"", "mu", "sigma", "exp(", "log(", "sqrt(", "**", r"\frac",
           r"\log", r"\sigma", "torch.", "np.", ".pow(", ".exp()", "__", "lambda", "import", "1e300", "0.5"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_TOKENS), max_size=25).map("".join))
def test_random_claims_give_a_verdict_or_a_parse_error(text):
    try:
        verdict = verify(*STD, text)
    except ParseError:
        return
    assert verdict.holds in (True, False, None)


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.text(max_size=60), st.builds("Normal({}, {})".format, st.text(max_size=8), st.text(max_size=8))))
def test_random_specs_never_escape_the_usage_error(text):
    try:
        verdict = verify(text, "Normal(0, 1)", "0")
    except UsageError:  # ParseError is a UsageError; "not supported yet" too
        return
    assert verdict.holds in (True, False, None)


def test_no_injection_creates_a_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    attacks = [
        "__import__('os').system('touch pwned')",
        "eval(\"open('pwned','w')\")",
        "exec('import os')",
        "mu.__class__.__bases__[0].__subclasses__()",
        "(lambda: open('pwned', 'w'))()",
        "torch.load('pwned')",
        "np.save('pwned', mu)",
        r"\immediate\write18{touch pwned}",
        r"\input{pwned}",
        "globals()['__builtins__']",
        "mu if open('pwned', 'w') else sigma",
    ]
    for attack in attacks:
        for q in (STD[0], f"Normal({attack}, 1)"):
            code = cli.run(["verify", "--q", q, "--p", STD[1], "--claim", attack])
            assert code == 2
    capsys.readouterr()
    assert list(tmp_path.iterdir()) == []
    assert not os.path.exists(os.path.join(tmp_path, "pwned"))


@pytest.mark.parametrize("args", [
    ["derive", "--q", "Normal(a, -1)", "--p", "Normal(0, 1)"],
    ["derive", "--q", "Normal(a.__class__, 1)", "--p", "Normal(0, 1)"],
    ["derive", "--q", "DiagNormal(a, 1, dim=2)", "--p", "DiagNormal(0, 1, dim=3)"],
    ["derive", "--q", "DiagNormal(a, 1, dim=2)", "--p", "MvNormal(0, cov=S, dim=2)"],
    ["derive", "--q", "DiagNormal(a, 1, dim=d)", "--p", "DiagNormal(0, 1, dim=2)"],
    ["verify", "--q", "MvNormal(m, cov=S, dim=k)", "--p", "MvNormal(0, cov=1, dim=k)", "--claim", "S"],
    ["verify", "--q", "DiagNormal(mu, s, dim=d)", "--p", "DiagNormal(0, 1, dim=d)", "--claim", "mu**2"],
    ["derive", "univariate", "--q", "Normal(a, 1)", "--p", "Normal(0, 1)"],
    ["derive", "--q", "Normal(a, 1)", "--p", "Normal(0, 1)", "--format", "docx"],
    ["derive", "--q", "Normal(a, 1)", "--p", "Normal(0, 1)", "--notation", "mu=m"],
    ["verify", "--q", "Normal(a, 1)", "--p", "Normal(0, 1)"],
    ["verify", "--q", "Normal(a, 1)", "--claim", "a"],
])
def test_bad_derive_and_verify_commands(args, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = cli.run(args)
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and err.startswith("kl-derive: error:")
    assert list(tmp_path.iterdir()) == []


def test_help_mentions_the_new_options(capsys):
    assert cli.run(["derive", "--help"]) == 0
    assert "--q SPEC" in capsys.readouterr().out
    assert cli.run(["verify", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--claim EXPR" in out and "--json" in out


# -- issue 10 item 4: the claim means what its code computes over the reals --------------------------------

REAL_VALUED = [
    "-0.5*(1 + lv - np.sqrt(mu)**2 * mu - np.exp(lv))",
    "-0.5*(1 + lv - torch.sqrt(mu).pow(2)*mu - torch.exp(lv))",
    "-0.5*(1 + lv - mu**2 - np.exp(lv)) + 0*log(mu)",
]


@pytest.mark.parametrize("claim", REAL_VALUED)
def test_code_undefined_for_negative_mu_does_not_hold(claim):
    """NumPy returns NaN for mu < 0: the claim does not hold, and the counterexample is such a point."""
    verdict = verify(*VAE, claim)
    assert verdict.holds is False and verdict.exit_code == 1, verdict.describe()
    example = verdict.counterexample
    assert example.claim == "undefined" and example.point["mu"] < 0
    assert "not defined there" in verdict.diagnosis and "mu = " in verdict.diagnosis
    assert ("square root" if "sqrt" in claim else "logarithm") in verdict.diagnosis
    with np.errstate(invalid="ignore", divide="ignore"):  # what the code really computes at that point
        mu, lv = np.float64(example.point["mu"]), np.float64(example.point["lv"])
        assert np.isnan(-0.5 * (1 + lv - np.sqrt(mu) ** 2 * mu - np.exp(lv)) + 0 * np.log(mu))


@pytest.mark.parametrize(("claim", "where"), [
    ("0.5*(mu**2 + exp(lv) - lv - 1) + 0*log(mu**2)", 0.0),   # only at mu = 0: no random point finds it
    ("0.5*(mu**2 + exp(lv) - lv - 1) * mu / mu", 0.0),
    ("0.5*(mu**2 + exp(lv) - lv - 1) + 0*np.sqrt(mu + 10)", -10.0),   # from the exact solution of mu + 10 < 0
    ("0.5*(mu**2 + exp(lv) - lv - 1) + 0*np.log((mu**2+2*mu+1)**5 - (mu+1)**10)", 2.5),  # the log of 0
    ("0.5*(mu**2 + exp(lv) - lv - 1) + 0*mu**(1/3)", 0.0),   # NumPy: a negative number to the power 1/3 is NaN
    ("0.5*(mu**2 + exp(lv) - lv - 1) + 0*mu**lv", 0.0),
])
def test_a_point_where_the_code_is_undefined_is_searched_for(claim, where):
    verdict = verify(*VAE, claim)
    assert verdict.holds is False, verdict.describe()
    assert verdict.counterexample.claim == "undefined" and verdict.counterexample.point["mu"] <= where
    assert "not defined" in verdict.method + verdict.diagnosis


@pytest.mark.parametrize("claim", [
    "0.5*(mu**2 + np.sqrt(np.exp(lv))**2 - lv - 1)",           # the square root of a positive number
    "0.5*(mu**2 + exp(lv) - lv - 1) + 0*log(mu**2 + 1)",
    "0.5*(mu**2 + exp(lv) - lv - 1) + 0*log(mu**2 - mu + 1)",  # positive, but only a proof on R shows it
    "0.5*(mu**2 + exp(lv) - np.log(np.exp(lv)) - 1)",
    "0.5*(mu**2 + exp(lv) - lv - 1) + 0*sqrt((mu**2+2*mu+1)**5 - (mu+1)**10)",  # the root of what is 0
    "0.5*(mu**2 + exp(lv) - lv - 1) + 0*np.log((mu**2+2*mu+1)**5 - (mu+1)**10 + 1)",  # the log of 1
    "0.5*(mu**2 + exp(lv) - lv - 1) + 0*2**lv",
])
def test_code_defined_everywhere_still_holds(claim):
    verdict = verify(*VAE, claim)
    assert verdict.holds is True, verdict.describe()


def test_vector_code_undefined_in_one_coordinate():
    verdict = verify(*DVAE, "-0.5 * torch.sum(1 + lv - torch.sqrt(mu)**2 * mu - lv.exp())")
    assert verdict.holds is False and verdict.counterexample.claim == "undefined"
    assert "the square root of mu[" in verdict.diagnosis and min(verdict.counterexample.point["mu"]) < 0


@settings(max_examples=6, deadline=None, derandomize=True)
@given(st.integers(-3, 3), st.sampled_from(["log", "np.sqrt", "torch.log"]))
def test_property_code_with_an_undefined_region_never_holds(shift, function):
    """KL + 0*f(mu - a), f undefined below a: never proved, whatever SymPy does with 0*f(...)."""
    verdict = verify(*VAE, f"0.5*(mu**2 + exp(lv) - lv - 1) + 0*{function}(mu - {shift})")
    assert verdict.holds is False and verdict.counterexample.claim == "undefined", verdict.describe()


# -- issue 10 item 5: diagnoses never vacuous; float literals judged at double precision --------------------

#: A pair whose KL is the constant 2 - log 2: log(1/2) + (2**2 + 1**2)/2 - 1/2.
CONSTANT = ("Normal(1, 2)", "Normal(0, 1)")


def test_constant_claim_holds_to_double_precision():
    verdict = verify(*CONSTANT, "1.3068528194400547")
    assert float(mpmath.mpf(2) - mpmath.log(2)) == 1.3068528194400547  # 2 - log 2, correctly rounded
    assert verdict.holds is True and verdict.exit_code == 0, verdict.describe()
    assert verdict.status == "holds to double precision" and verdict.precision == "double precision"
    assert "1.3068528194400547 is 2 - log(2) rounded to double precision" in verdict.method
    assert verdict.describe().startswith("holds to double precision: ")
    assert verdict.as_dict()["status"] == "holds to double precision"


@pytest.mark.parametrize("claim", ["1.30685281944005", "1.306852819440055"])
def test_constant_claim_off_by_more_than_rounding_does_not_hold(claim):
    verdict = verify(*CONSTANT, claim)
    assert verdict.holds is False, verdict.describe()
    assert "constant" in verdict.diagnosis and "constant 0 " not in verdict.diagnosis


def test_a_literal_equal_in_double_precision_holds_to_double_precision():
    verdict = verify(*VAE, "0.5*(mu**2 + exp(lv) - lv - 1.0000000000000001)")
    assert verdict.holds is True and verdict.precision == "double precision", verdict.describe()


def test_a_relative_error_of_1e_14_is_not_the_constant_0():
    verdict = verify(*VAE, "0.5*(mu**2 + exp(lv)*(1+1e-14) - lv - 1)")
    assert verdict.holds is False, verdict.describe()
    assert "constant 0" not in verdict.diagnosis
    assert verdict.diagnosis == "claim - KL(q || p) = 5.0e-15*exp(lv), which is not 0"
    assert verdict.counterexample.difference == pytest.approx(5e-15 * np.exp(verdict.counterexample.point["lv"]))
    assert "claim - KL(q || p) = " in verdict.counterexample.describe()  # the values agree in 10 digits


@pytest.mark.parametrize(("claim", "words"), [
    ("1e-14 * 0.5*(mu**2 + exp(lv) - lv - 1)", "it is 1e-14 times the right value"),
    ("0.7 * 0.5*(mu**2 + exp(lv) - lv - 1)", "it is 7/10 times the right value"),
    ("0.5*(mu**2 + exp(lv) - lv - 1) + 1e-14", "by the constant 1e-14"),
])
def test_factors_and_offsets_are_named_with_their_value(claim, words):
    verdict = verify(*VAE, claim)
    assert verdict.holds is False and words in verdict.diagnosis, verdict.describe()


def test_an_error_of_1e_25_exp_lv_is_not_undecided():
    verdict = verify(*VAE, "0.5*(mu**2 + exp(lv) - lv - 1) + 1e-25*exp(lv)")
    assert verdict.holds is False and verdict.exit_code == 1, verdict.describe()
    assert verdict.diagnosis == "claim - KL(q || p) = 1.0e-25*exp(lv), which is not 0"
    assert "30 digits" in verdict.method


@settings(max_examples=8, deadline=None, derandomize=True)
@given(st.integers(1, 26), st.sampled_from(["exp(lv)", "mu**2", "1", "lv"]))
def test_property_a_small_difference_is_refuted_with_a_diagnosis(power, term):
    """KL + 10**-k * term: refuted (never undecided), with a diagnosis that names a nonzero difference."""
    verdict = verify(*VAE, f"0.5*(mu**2 + exp(lv) - lv - 1) + 1e-{power}*{term}")
    assert verdict.holds is False, verdict.describe()
    assert verdict.diagnosis and "constant 0 " not in verdict.diagnosis and "constant 0." not in verdict.diagnosis
    assert "which is not 0" in verdict.diagnosis or "by the constant" in verdict.diagnosis


# -- issue 10 item 9: names and syntax a user writes ------------------------------------------------------


@pytest.mark.parametrize(("pair", "claim"), [
    (("Normal(mu, lambda)", "Normal(0, 1)"), "0.5*(lambda**2 + mu**2 - 1) - log(lambda)"),
    (("Normal(mu, lambda)", "Normal(0, 1)"), r"\frac12(\lambda^2 + \mu^2 - 1) - \log\lambda"),
    (("Normal(0, 1/2)", "Normal(0, 1)"), "0.5*(1/4 - 1) + log(2)"),
    (VAE, r"$\frac12(\mu^2 + e^{lv} - lv - 1)$"),
    (VAE, r"$$-\frac{1}{2}\left(1 + lv - \mu^2 - e^{lv}\right)$$"),
    (VAE, r"\mathrm{KL}(q\|p) = \frac12(\mu^2 + e^{lv} - lv - 1)"),
    (VAE, r"D_{\mathrm{KL}}(q \parallel p) = \frac12\left(\mu^2 + e^{lv} - lv - 1\right)"),
    (DVAE, "torch.mean(x.sum(dim=1), dim=0)".replace("x", "(-0.5 * (1 + lv - mu.pow(2) - lv.exp()))")),
    (DVAE, "torch.mean(torch.sum(-0.5 * (1 + lv - mu ** 2 - lv.exp()), dim=1), dim=0)"),
    (DVAE, r"\frac12\sum_{j=1}^{d}\left(\mu_j^2 + e^{lv_j} - lv_j - 1\right)"),
])
def test_the_claims_a_user_writes_hold(pair, claim):
    verdict = verify(*pair, claim)
    assert verdict.holds is True, verdict.describe()


def test_batch_idiom_with_a_mean_over_the_latents_is_diagnosed():
    """The outer reduction runs over the batch; a mean over the latents inside is still the classic slip."""
    verdict = verify(*DVAE, "torch.mean((-0.5 * (1 + lv - mu.pow(2) - lv.exp())).mean(dim=1), dim=0)")
    assert verdict.holds is False and "mean over latent dimensions" in verdict.diagnosis


def test_lv_in_latex_reads_as_the_spec_name():
    assert variant(*VAE).parse_claim(r"e^{lv} - lv") == variant(*VAE).parse_claim("exp(lv) - lv")
    with pytest.raises(ParseError) as info:  # without such a name, l and v are two letters
        variant(*STD).parse_claim(r"e^{lv}")
    assert "unknown symbol 'l'" in info.value.message


def test_an_incomplete_claim_names_its_position():
    with pytest.raises(ParseError) as info:
        verify(*VAE, "mu +")
    assert info.value.position == 4 and "(at position 4)" in str(info.value)


def test_a_long_counterexample_vector_is_abbreviated_in_text_not_in_json():
    pair = ("DiagNormal(mu, logvar=lv, dim=20)", "DiagNormal(0, 1, dim=20)")
    verdict = verify(*pair, "-0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp()) + 0*torch.sum(torch.log(mu))")
    assert verdict.holds is False and verdict.counterexample.claim == "undefined"
    assert "(20 entries; all of them with --json)" in verdict.describe()
    assert len(verdict.as_dict()["counterexample"]["point"]["mu"]) == 20


def test_a_float_constant_written_twice_is_read_as_one_number():
    """Euler's constant as a float, in two places of a Gumbel KL: read at double precision together, it holds."""
    claim = ("log(b/s) + (m-a)/b + 0.5772156649015329*s/b - 0.5772156649015329 + exp(-(m-a)/b + lgamma(1+s/b))"
             " - 1")
    verdict = verify("Gumbel(m, s)", "Gumbel(a, b)", claim)
    assert verdict.holds is True and verdict.status == "holds to double precision", verdict.describe()
    assert "0.5772156649015329 is EulerGamma rounded to double precision" in verdict.method
    wrong = verify("Gumbel(m, s)", "Gumbel(a, b)", claim.replace("- 0.5772156649015329", "- 0.5772"))
    assert wrong.holds is False


def test_cli_verify_over_the_reals_and_at_double_precision(capsys):
    """The probe's invocations: kl-derive verify ... --claim '...'."""
    args = ["verify", "--q", "Normal(mu, logvar=lv)", "--p", "Normal(0, 1)", "--claim"]
    assert cli.run([*args, "-0.5*(1 + lv - np.sqrt(mu)**2 * mu - np.exp(lv))"]) == 1
    out, _ = capsys.readouterr()
    assert out.startswith("does not hold") and "claim = undefined" in out and "square root of mu" in out
    assert cli.run(["verify", "--q", CONSTANT[0], "--p", CONSTANT[1], "--claim", "1.3068528194400547", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "holds to double precision" and data["precision"] == "double precision"
