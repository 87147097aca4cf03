"""What the hostile review of the constrained claims found: a difference of logarithms under the pair's condition
is proved; an infinite divergence or an empty parameter set is said so in one line; a condition random values
rarely meet is undecided (exit 3), not invalid input; a verdict's claim and point print plainly (j, not _j;
d = 2, not 2.0); the vae case's code follows a renamed log-variance."""

from __future__ import annotations

import json

import pytest

from derivation import derive, render, verify
from derivation.cli import run
from derivation.core.errors import UsageError
from derivation.settings.univariate import Notation


@pytest.mark.parametrize("claim", ["log(f-c)-log(b-a)", "torch.log(f-c) - torch.log(b-a)",
                                   r"\log(f-c)-\log(b-a)", "log(1/(b-a)) + log(f-c)"])
def test_a_difference_of_logarithms_holds_under_the_condition(claim: str):
    verdict = verify("Uniform(a, b)", "Uniform(c, f)", claim)
    assert verdict.holds is True and "where the pair's condition holds" in verdict.method


@pytest.mark.parametrize(("q", "p", "says"), [
    ("Uniform(0, 3)", "Uniform(0, 2)", "infinite for every value"),
    ("Normal(m, s)", "Uniform(a, b)", "infinite for every value"),
    ("Uniform(a, b)", "Uniform(b, a)", "no parameter values make both"),
])
def test_an_infinite_or_empty_pair_is_said_so(q: str, p: str, says: str):
    with pytest.raises(UsageError, match=says):
        verify(q, p, "0")


def test_a_rarely_met_condition_is_undecided(capsys):
    assert run(["verify", "--q", "Uniform(a, b)", "--p", "Beta(a, b)", "--claim", "0"]) == 3
    out = capsys.readouterr().out
    assert out.startswith("undecided") and "rarely satisfy the pair's condition (a < b, b <= 1)" in out


def test_a_verdict_prints_the_index_and_the_dimension_plainly(capsys):
    claim = "-0.5*torch.sum(1 + v - m**2 - v.exp(), dim=-1) + 1"
    assert run(["verify", "--q", "DiagNormal(m, logvar=v, dim=d)", "--p", "DiagNormal(0, 1, dim=d)", "--claim", claim,
                "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert "_j" not in data["claim"] and "(j, 1, d)" in data["claim"]
    assert isinstance(data["counterexample"]["point"]["d"], int)


def test_the_vae_code_follows_a_renamed_log_variance():
    vae = derive("vae", notation=Notation({"mu": "m", "logvar": "v"}))
    markdown = render(vae, "markdown")
    assert "-0.5 * torch.sum(1 + v - m.pow(2) - v.exp())" in markdown and "over the vectors m and v" in markdown
    assert "def kl_divergence(m, v):" in render(vae, "python")
    default = render(derive("vae"), "markdown")
    assert "-0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())" in default and "vectors mu and logvar" in default
