"""verify's verdict, read by people: its KL line printed as the text documents print the result (not SymPy's
``(-c + f)/(-a + b)`` or ``sqrt(2)*sqrt(pi)``), a claim of 0 said to be 0 (not "0 times the right value"), and the
reversed direction diagnosed only where KL(p || q) is what the claim equals (not for Pareto against Pareto, whose
reversed divergence is infinite wherever the pair's own is finite)."""

from __future__ import annotations

import json

import mpmath
import pytest
from sympy import S, Symbol, sstr

from derivation import derive, render, verify
from derivation.claims.decide import ZERO_CLAIM, Relative, diagnose
from derivation.cli import run
from derivation.core.forms import evaluated


def _kl_line(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("  KL(q || p) = "))


def _document_result(q: str, p: str) -> str:
    """The result as the text document prints it: ``KL(q ‖ p) = ...`` after "Result:"."""
    return render(derive(q=q, p=p), "text").split("Result:", 1)[1].strip().splitlines()[0].split(" = ", 1)[1]


@pytest.mark.parametrize(("q", "p", "shown"), [
    ("Uniform(a, b)", "Uniform(c, f)", "log((f - c)/(b - a))"),
    ("Gumbel(m, s)", "Normal(mu, t)", "log((√(2π) t)/s) + π²s²/(12t²) + (m - μ + s γ)²/(2t²) - γ - 1"),
    ("Normal(m, s)", "Normal(0, 1)", "-log s + 1/2 (s² + m²) - 1/2"),
])
def test_the_kl_line_is_printed_as_the_text_document_prints_the_result(q, p, shown, capsys):
    assert run(["verify", "--q", q, "--p", p, "--claim", "1"]) == 1
    line = _kl_line(capsys.readouterr().out)
    assert line == f"  KL(q || p) = {shown}" and shown == _document_result(q, p)
    assert "sqrt(" not in line and "(-" not in line and "**" not in line


def test_a_holding_verdict_prints_its_kl_line_alike_and_json_keeps_sympy_syntax(capsys):
    claim = "log((f - c)/(b - a))"
    assert run(["verify", "--q", "Uniform(a, b)", "--p", "Uniform(c, f)", "--claim", claim]) == 0
    assert _kl_line(capsys.readouterr().out) == "  KL(q || p) = log((f - c)/(b - a))"
    assert run(["verify", "--q", "Uniform(a, b)", "--p", "Uniform(c, f)", "--claim", claim, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["kl"] == sstr(evaluated(derive(q="Uniform(a, b)", p="Uniform(c, f)").result))


@pytest.mark.parametrize(("q", "p"), [
    ("Normal(m, s)", "Normal(0, 1)"),
    ("Pareto(a, b)", "Pareto(c, f)"),  # under the pair's condition c <= a
    ("DiagNormal(m, s, dim=d)", "DiagNormal(0, 1, dim=d)"),
    ("Bernoulli(a)", "Bernoulli(b)"),
])
def test_a_claim_of_zero_is_said_to_be_zero(q, p, capsys):
    verdict = verify(q, p, "0")
    assert verdict.holds is False and verdict.diagnosis == ZERO_CLAIM
    assert ZERO_CLAIM == "the claim is 0, but KL(q || p) is not: it is 0 only where q and p are the same distribution"
    assert run(["verify", "--q", q, "--p", p, "--claim", "0"]) == 1
    out = capsys.readouterr().out
    assert f"  diagnosis: {ZERO_CLAIM}\n" in out and "times the right value" not in out


def test_a_nonzero_multiple_is_still_a_factor():
    verdict = verify("Normal(m, s)", "Normal(0, 1)", "0.7*(m**2/2 + s**2/2 - log(s) - 1/2)")
    assert verdict.holds is False and "it is 7/10 times the right value" in verdict.diagnosis


PARETO_REVERSED = "a1*log(m2/m1) + a1/a2 + log(a2/a1) - 1"  # KL(p || q) where m1 <= m2 (it is finite only there)


def test_the_reversed_pareto_formula_is_not_called_kl_p_q_where_that_is_infinite(capsys):
    verdict = verify("Pareto(m1, a1)", "Pareto(m2, a2)", PARETO_REVERSED)
    assert verdict.holds is False
    point = verdict.counterexample.point
    assert point["m2"] < point["m1"]  # KL(q || p) finite, KL(p || q) infinite
    assert "KL(p || q)" not in verdict.diagnosis and "reversed" not in verdict.diagnosis
    assert verdict.diagnosis.startswith("claim - KL(q || p) = ")
    assert run(["verify", "--q", "Pareto(m1, a1)", "--p", "Pareto(m2, a2)", "--claim", PARETO_REVERSED]) == 1
    assert "KL(p || q)" not in capsys.readouterr().out


@pytest.mark.parametrize(("q", "p", "claim"), [
    ("Exponential(l1)", "Exponential(l2)", "log(l2/l1) + l1/l2 - 1"),
    ("Normal(m1, s1)", "Normal(m2, s2)", "log(s1/s2) + (s2**2 + (m1 - m2)**2)/(2*s1**2) - 1/2"),
])
def test_the_reversed_direction_is_still_diagnosed_where_it_holds(q, p, claim):
    verdict = verify(q, p, claim)
    assert verdict.diagnosis == "the claim is KL(p || q), not KL(q || p): the direction is reversed"


def test_a_relative_is_offered_only_where_its_condition_holds_at_every_point():
    x, y = Symbol("x", positive=True), Symbol("y", positive=True)
    points = [{x: mpmath.mpf(2), y: mpmath.mpf(1)}, {x: mpmath.mpf(3), y: mpmath.mpf(1)}]
    claim, truth = [mpmath.mpf(5), mpmath.mpf(7)], [mpmath.mpf(1), mpmath.mpf(2)]
    relative = (2 * x + y, "the relative")
    offered = diagnose(claim, [Relative(x, ""), Relative(*relative, x > y)], points, truth_values=truth)
    assert offered == "the relative"
    refused = diagnose(claim, [Relative(x, ""), Relative(*relative, x < y)], points, truth_values=truth)
    assert refused is None
    assert diagnose(claim, [Relative(x, ""), Relative(*relative, S.false)], points, truth_values=truth) is None
