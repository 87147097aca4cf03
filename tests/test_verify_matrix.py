"""Full-covariance claims (issue 14): matrix code about MvNormal pairs, decided on random SPD matrices and by the
checker's matrix normal forms."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derivation import verify
from derivation.cli import run
from derivation.core.errors import ParseError

STD = ("MvNormal(m, cov=S, dim=k)", "MvNormal(0, cov=1, dim=k)")
TWO = ("MvNormal(m1, cov=S1, dim=k)", "MvNormal(m2, cov=S2, dim=k)")
THREE = ("MvNormal(m, cov=S, dim=3)", "MvNormal(0, cov=1, dim=3)")

#: (pair, claim, holds, words of the diagnosis)
CLAIMS = [
    (STD, "0.5 * (torch.trace(S) + m @ m - k - torch.logdet(S))", True, None),
    (STD, "0.5 * (torch.trace(S) + m.T @ m - m.shape[0] - torch.log(torch.det(S)))", True, None),
    (STD, "0.5 * (np.trace(S) + np.dot(m, m) - len(m) - np.linalg.slogdet(S)[1])", True, None),
    (STD, "0.5 * (S.trace() + torch.sum(m * m) - k - torch.linalg.slogdet(S)[1])", True, None),
    (STD, "(torch.trace(S) + m @ torch.eye(k) @ m - k - torch.logdet(S)) / 2", True, None),
    (THREE, "0.5 * (np.trace(S) + m @ m - 3 - np.linalg.slogdet(S)[1])", True, None),
    (TWO, "0.5 * (torch.trace(torch.linalg.inv(S2) @ S1) + (m2 - m1) @ torch.linalg.solve(S2, m2 - m1) - k "
          "+ torch.logdet(S2) - torch.logdet(S1))", True, None),
    (TWO, "0.5 * (torch.trace(torch.linalg.solve(S2, S1)) + (m2 - m1).T @ torch.linalg.inv(S2) @ (m2 - m1) - k "
          "+ torch.log(torch.det(S2) / torch.det(S1)))", True, None),
    # -- LaTeX
    (STD, r"\frac{1}{2}\left(\operatorname{tr}(S) + m^\top m - k - \log|S|\right)", True, None),
    (STD, r"\frac12\left(\mathrm{tr}(S) + m^{\top} m - k - \log\det S\right)", True, None),
    (TWO, r"\mathrm{KL}(q\|p) = \frac{1}{2}\left[\operatorname{tr}(S_2^{-1} S_1) + (m_2 - m_1)^\top S_2^{-1} "
          r"(m_2 - m_1) - k + \log\frac{|S_2|}{|S_1|}\right]", True, None),
    (("MvNormal(mu, cov=Sigma, dim=d)", "MvNormal(0, cov=1, dim=d)"),
     r"$\frac{1}{2}\left(\operatorname{tr}(\Sigma) + \boldsymbol{\mu}^\top\boldsymbol{\mu} - d - \log|\Sigma|\right)$",
     True, None),
    (STD, r"\frac{1}{2}\left(\operatorname{tr}(S) + m^\top m - \log|S|\right)", False, "the constant -k/2 is missing"),
    (TWO, r"\frac{1}{2}\left(\operatorname{tr}(S_1^{-1} S_2) + (m_2 - m_1)^\top S_1^{-1} (m_2 - m_1) - k "
          r"+ \log\frac{|S_1|}{|S_2|}\right)", False, "KL(p || q)"),
    # -- slips
    (STD, "-0.5 * (torch.trace(S) + m @ m - k - torch.logdet(S))", False, "the sign is flipped"),
    (STD, "0.5 * (torch.trace(S) + m @ m - torch.logdet(S))", False, "the constant -k/2 is missing"),
    (STD, "torch.trace(S) + m @ m - k - torch.logdet(S)", False, "a factor 1/2 is missing"),
    (TWO, "0.5 * (torch.trace(torch.linalg.inv(S1) @ S2) + (m2 - m1) @ torch.linalg.inv(S1) @ (m2 - m1) - k "
          "+ torch.logdet(S1) - torch.logdet(S2))", False, "KL(p || q)"),
    (TWO, "0.5 * (torch.trace(S2 @ S1) + (m2 - m1) @ torch.linalg.inv(S2) @ (m2 - m1) - k "
          "+ torch.logdet(S2) - torch.logdet(S1))", False, None),
]


@pytest.mark.parametrize(("pair", "claim", "holds", "words"), CLAIMS)
def test_matrix_claims(pair, claim, holds, words):
    verdict = verify(*pair, claim)
    assert verdict.holds is holds, verdict.describe()
    if holds:
        assert "symbolic proof" in verdict.method and "random symmetric positive-definite" in verdict.method
        return
    assert verdict.counterexample is not None
    assert verdict.counterexample.claim != pytest.approx(verdict.counterexample.kl)
    if words is not None:
        assert words in (verdict.diagnosis or ""), verdict.describe()


def test_the_counterexample_is_a_real_disagreement():
    verdict = verify(*STD, "0.5 * (torch.trace(S) + m @ m - torch.logdet(S))")
    point = verdict.counterexample.point
    k = int(point["k"])
    m, cov = np.array(point["m"]), np.array(point["S"]).reshape(k, k)
    truth = 0.5 * (np.trace(cov) + m @ m - k - np.linalg.slogdet(cov)[1])
    assert verdict.counterexample.kl == pytest.approx(truth)
    assert verdict.counterexample.claim == pytest.approx(truth + k / 2)


@pytest.mark.parametrize(("claim", "message"), [
    ("S", "the claim is a matrix, not a number"),
    ("m", "the claim is a vector, not a number"),
    ("m * S", "'*' between vectors or matrices is elementwise"),
    ("m @ S", "a row vector"),
    ("torch.trace(m)", "a vector where a matrix belongs"),
    ("torch.linalg.cholesky(S)", "cholesky factors are not supported"),
    (r"\operatorname{tr}(S) + \log|m|", "a vector where a matrix belongs"),
    (r"m^\top S", "a row vector"),
    (r"\frac{1}{2}\left(\operatorname{tr}(S)", "the formula ends too early"),
    (r"\operatorname{tr}(X)", "unknown symbol 'X'"),
    ("__import__('os').system('x')", "unknown method '.system()'"),
    ("os.system('x')", "unknown method '.system()'"),
    ("S.__class__", "attribute '__class__' is not allowed"),
    ("torch.trace(X)", "unknown symbol 'X'"),
])
def test_bad_matrix_claims_are_one_line_exit_2(claim, message, capsys):
    assert run(["verify", "--q", STD[0], "--p", STD[1], "--claim", claim]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("kl-derive: error: claim: ") and message in err, err


def test_cli_json_and_exit_codes(capsys):
    assert run(["verify", "--q", STD[0], "--p", STD[1], "--claim", CLAIMS[0][1], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["holds"] is True
    assert run(["verify", "--q", STD[0], "--p", STD[1], "--claim", CLAIMS[15][1], "--json"]) == 1
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["diagnosis"] == "the constant -k/2 is missing"
    assert len(verdict["counterexample"]["point"]["S"]) in (4, 9)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(["m", "S", "k", "@", "+", "-", "*", "/", "(", ")", ".T", "torch.trace(",
                                 "torch.logdet(", "torch.linalg.inv(", "0.5", "2", " ", ",", "[1]", "np.dot(",
                                 r"\frac{", "}", "{", r"\operatorname{tr}(", r"^\top", "^{-1}", "|", r"\log", "_1",
                                 r"\left(", r"\right)", r"\det"]),
                max_size=20))
def test_random_matrix_claims_give_a_verdict_or_a_parse_error(tokens):
    try:
        verdict = verify(*STD, "".join(tokens))
    except ParseError as error:
        assert "\n" not in str(error)
        return
    assert verdict.holds in (True, False, None)
