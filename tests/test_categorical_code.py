"""``verify --code`` and ``--claim`` of categorical KL code (issue 14's last family): the usual ways of writing it
(probabilities, a logarithm of a ratio, ``F.kl_div``, log-softmax of logits, log-sum-exp, xlogy, a uniform prior)
decided, and its slips named with a counterexample: ``1/K`` for ``log(1/K)``, ``F.kl_div``'s arguments swapped or
given probabilities, its ``reduction='mean'``, logits used as log-probabilities, a flipped sign. The functions are
in tests/data/losses/categorical_kl.py (read, never run)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from derivation import verify
from derivation.api import verify_code
from derivation.cli import run

SOURCE = (Path(__file__).parent / "data" / "losses" / "categorical_kl.py").read_text()
PROBS = ("Categorical(t, K)", "Categorical(u, K)")
LOGITS = ("Categorical(logits=a, dim=K)", "Categorical(logits=b, dim=K)")
UNIFORM = ("Categorical(logits=logits, dim=K)", "Categorical(1/K, K)")

#: (function, (q, p), holds, words of the verdict or of its slip)
TABLE = [
    ("kl_probs", PROBS, True, "a sum over the categories (line 16)"),
    ("kl_ratio", PROBS, True, "KL(q || p) of each pair of entries"),
    ("kl_div_sum", PROBS, True, "F.kl_div with reduction='sum'"),
    ("kl_div_swapped", PROBS, False, "the claim is KL(p || q), not KL(q || p): the direction is reversed"),
    ("kl_div_probabilities", PROBS, False, "F.kl_div's input must be log-probabilities, but it is given probabilities"),
    ("kl_div_mean", PROBS, False, "a mean over the categories, not their sum"),
    ("kl_logits", LOGITS, True, "a mean over the batch"),
    ("kl_logits_logsumexp", LOGITS, True, "a logsumexp over the categories"),
    ("kl_logits_unnormalised", LOGITS, False, "per example: the per-entry term is not KL(q || p)"),
    ("gumbel_softmax_kl", UNIFORM, True, "a sum over the categories"),
    ("gumbel_softmax_kl_slip", UNIFORM, False, "1/K where the uniform law's log-probability log(1/K) belongs"),
    ("kl_numpy", PROBS, True, "KL(q || p) of each pair of entries"),
    ("kl_jax_logits", LOGITS, True, "a sum over the categories"),
    ("kl_sign_flipped", PROBS, False, "the sign is flipped"),
]


@pytest.mark.parametrize(("function", "specs", "holds", "words"), TABLE, ids=[row[0] for row in TABLE])
def test_categorical_code_table(function, specs, holds, words):
    start = time.perf_counter()
    verdict = verify_code(SOURCE, function, q=specs[0], p=specs[1])
    assert time.perf_counter() - start < 3.0
    text = verdict.describe()
    assert verdict.holds is holds, text
    assert words in text, text
    assert verdict.computes[0] == "per example: the KL of one pair of probability vectors"
    if holds:
        assert not verdict.slips and "symbolic proof" in verdict.method, text
    else:
        assert verdict.slips and verdict.exit_code == 1 and "counterexample: at K = " in text, text


def test_the_table_has_true_and_false_rows_of_each_parameterisation():
    for specs in (PROBS, LOGITS, UNIFORM):
        assert {row[2] for row in TABLE if row[1] == specs} == {True, False}


def test_the_one_over_k_slip_names_its_line(capsys):
    code = run(["verify", "--code", "tests/data/losses/categorical_kl.py:gumbel_softmax_kl_slip", "--q", UNIFORM[0],
                "--p", UNIFORM[1], "--json"])
    verdict = json.loads(capsys.readouterr().out)
    assert code == 1 and verdict["holds"] is False
    (slip,) = verdict["slips"]
    assert slip["slip"] == "per example: 1/K where the uniform law's log-probability log(1/K) belongs"
    assert slip["lines"] == [{"line": 75, "text": "return torch.sum(q_y * (torch.log(q_y) - 1.0 / K), dim=-1).mean()"}]


@pytest.mark.parametrize(("specs", "claim", "holds"), [
    (PROBS, "(t * (t.log() - u.log())).sum(-1)", True),
    (PROBS, "torch.sum(t * torch.log(t / u))", True),
    (PROBS, "F.kl_div(u.log(), t, reduction='sum')", True),
    (PROBS, "F.kl_div(u.log(), t, reduction='batchmean')", True),
    (PROBS, "F.kl_div(t.log(), u, reduction='sum')", False),
    (PROBS, "sum(t * log(t)) + log(K)", False),  # true only against the uniform law
    (LOGITS, "sum(softmax(a) * (log_softmax(a) - log_softmax(b)))", True),
    (LOGITS, "sum(softmax(a) * (a - b)) - logsumexp(a) + logsumexp(b)", True),
    (LOGITS, "sum(softmax(a) * (a - b))", False),
    (UNIFORM, "sum(softmax(logits) * log_softmax(logits)) + log(K)", True),  # uses sum q = 1
    (UNIFORM, "sum(softmax(logits) * (log_softmax(logits) - 1/K))", False),
])
def test_claims(specs, claim, holds):
    verdict = verify(q=specs[0], p=specs[1], claim=claim)
    assert verdict.holds is holds, verdict.describe()
    if not holds:
        assert verdict.counterexample is not None


def test_claims_are_drawn_on_the_simplex():
    """A claim true only because the probabilities add to one is not refuted (the points are on the simplex)."""
    verdict = verify(q="Categorical(t, K)", p="Categorical(1/K, K)", claim="sum(t * log(t)) + log(K)")
    assert verdict.holds is not False, verdict.describe()


@pytest.mark.parametrize(("claim", "message"), [
    ("softmax(a)", "softmax() is a vector over the categories; sum it"),
    ("sum(softmax(a, dim=0) * a)", "its axis must be -1"),
    ("F.kl_div(a, b, reduction='none')", "only reduction='sum' or 'mean' or 'batchmean'"),
])
def test_bad_claims_are_one_line(claim, message, capsys):
    assert run(["verify", "--q", LOGITS[0], "--p", LOGITS[1], "--claim", claim]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err
