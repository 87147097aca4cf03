"""KL(Uniform(a, b) || Beta(alpha, beta)), 0 <= a < b <= 1 (issue 12): derived from the definition with the uniform
law's expected logarithms as lemmas, x log x finite at the ends (xlogy), so Uniform(0, 1) || Beta(1, 1) is 0, not
NaN; equal to 30-digit quadrature and to torch at random and edge parameters; +oo where the numbers leave [0, 1];
the historic x * log(x) formula flagged against it."""

from __future__ import annotations

import math

import pytest
from conftest import _require_module as require
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import S, Symbol, lambdify

from derivation import derive
from derivation.audit import FIXTURES, PAIRS, audit
from derivation.core.forms import evaluated
from derivation.core.functions import XLogY
from derivation.laws import kl_reference as ref
from derivation.output.render import render


@pytest.fixture(scope="module")
def general():
    return derive(q="Uniform(a, b)", p="Beta(x1, x2)")


def _closed(general):
    names = [Symbol("a", real=True), Symbol("b", real=True), Symbol("x1", positive=True), Symbol("x2", positive=True)]
    return lambdify(names, evaluated(general.result), "mpmath")


def _reference(a, b, x1, x2) -> float:
    return float(ref.kl_quadrature(ref.uniform(a, b), ref.beta(x1, x2)))


def test_the_chain(general):
    assert general.verified and all(check.ok for check in general.checks)
    assert [step.rule for step in general.steps][-2:] == ["linearity-of-expectation", "uniform-log-moments"]
    lemmas = general.steps[-1].lemmas
    assert [[s.rule for s in lemma.steps] for lemma in lemmas] == [
        ["uniform-expectation-as-integral", "integrate-logarithm", "collect-uniform-log-moment"]] * 2
    assert general.result.has(XLogY)
    text = render(general, "text")
    assert "a < b, 0 ≤ a, b ≤ 1" in text
    assert "E_q[log x] = (b log b - a log a)/(b - a) - 1" in text


@settings(max_examples=15, deadline=None)
@given(a=st.floats(0, 0.45), b=st.floats(0.55, 1), x1=st.floats(0.3, 8), x2=st.floats(0.3, 8))
def test_the_result_is_the_quadrature(general, a, b, x1, x2):
    value = float(_closed(general)(a, b, x1, x2))
    assert value == pytest.approx(_reference(a, b, x1, x2), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(("q", "p", "expected"), [
    ("Uniform(0, 1)", "Beta(1, 1)", S.Zero),
    ("Uniform(0, 1/2)", "Beta(1, 1)", -math.log(1 / 2)),
    ("Uniform(-1, 1/2)", "Beta(2, 3)", S.Infinity),
    ("Uniform(1/2, 3/2)", "Beta(2, 3)", S.Infinity),
])
def test_numbers_at_the_ends(q, p, expected):
    result = derive(q=q, p=p).result
    if expected in (S.Zero, S.Infinity):
        assert result == expected
    else:
        assert float(result) == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("fmt", ["python", "torch"])
def test_the_exports_are_finite_at_the_ends_and_equal_torch(general, fmt):
    torch = require("torch")
    source = render(general, fmt)
    assert ("torch.xlogy(" if fmt == "torch" else "special.xlogy(") in source
    namespace: dict = {}
    exec(compile(source, "<kl-derive output>", "exec"), namespace)  # our own generated code, in a test
    rows = [(0.0, 1.0, 1.0, 1.0), (0.0, 0.3, 0.5, 2.0), (0.2, 1.0, 3.0, 0.7), (0.1, 0.7, 2.0, 3.0)]
    columns = [torch.tensor(c, dtype=torch.float64) for c in zip(*rows, strict=True)]
    value = namespace["kl_divergence"](*(columns if fmt == "torch" else [c.numpy() for c in columns]))
    value = torch.as_tensor(value)
    assert float(value[0]) == 0.0
    for got, row in zip(value.tolist(), rows, strict=True):
        assert got == pytest.approx(_reference(*row), rel=1e-10, abs=1e-12)
    reference = torch.distributions.kl_divergence(torch.distributions.Uniform(columns[0], columns[1]),
                                                  torch.distributions.Beta(columns[2], columns[3]))
    assert torch.allclose(value, reference, rtol=1e-9, atol=1e-12)


def test_the_historic_fixture_is_flagged_against_it(general):
    (fixture,) = [f for f in FIXTURES if f.name.startswith("Uniform-Beta")]
    point = fixture.point
    assert math.isnan(fixture.formula(*point.values()))
    assert float(_closed(general)(*point.values())) == 0.0
    (pair,) = [p for p in PAIRS if p.name == "Uniform-Beta"]
    report = audit(samples=12, pairs=[pair], fixtures=[fixture])
    assert all(row.ok for row in report.rows)
    (flagged,) = report.fixtures
    assert not flagged.ok and flagged.nonfinite > 0


def test_every_format_renders(general):
    for fmt in ("latex", "beamer", "latex-fragment", "markdown", "ipynb", "json"):
        assert "Beta" in render(general, fmt)
    assert "KL(q ‖ p) = 0\n" in render(derive(q="Uniform(0, 1)", p="Beta(1, 1)"), "text")
