"""KL(Poisson || Binomial) (issue 12; torch's ``_kl_poisson_infinity``): +oo by the support, the witness the count
n + 1 one past the binomial law's number of trials, symbolic when n is a name. Derived and checked, in every format,
listed, built into the families index, exported as +inf in the batch shape (as torch), audited."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import _require_module as require
from sympy import Integer, S, Sum, Symbol, exp, factorial, log

from derivation import cli, derive
from derivation.audit import PAIRS, audit
from derivation.build import build
from derivation.core.forms import evaluated
from derivation.laws import BernoulliLaw, BinomialLaw, GeometricLaw, PoissonLaw
from derivation.nodes.scalar import Density
from derivation.output.render import render
from derivation.printing.latex import to_latex

FORMATS = {"markdown": ".md", "latex": ".tex", "latex-fragment": ".fragment.tex", "beamer": ".slides.tex",
           "ipynb": ".ipynb", "json": ".json", "text": ".txt", "python": ".py", "torch": "_torch.py"}
n = Symbol("n", integer=True, positive=True)
r, b = Symbol("r", positive=True), Symbol("b", positive=True)
k = Symbol("k", integer=True, nonnegative=True)


def _load(path: Path):
    namespace: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # our own generated code, in a test
    return namespace["kl_divergence"]


def test_the_witness_is_one_past_the_number_of_trials():
    assert evaluated(PoissonLaw(r).outside_support(BinomialLaw(n, b))) == n + 1
    assert evaluated(GeometricLaw(b).outside_support(BinomialLaw(n, b))) == n + 1
    assert PoissonLaw(r).outside_support(BinomialLaw(Integer(7), b)) == 8
    assert PoissonLaw(r).outside_support(BernoulliLaw(b)) == 2
    assert BinomialLaw(n, b).outside_support(BinomialLaw(n, r)) is None  # the same support
    assert BinomialLaw(n, b).outside_support(PoissonLaw(r)) is None  # inside every count


def test_the_masses_at_a_symbolic_count():
    assert BinomialLaw(n, b).mass(n + 1) == 0
    assert BinomialLaw(n, b).mass(n) == b**n
    assert PoissonLaw(r).mass(n + 1) == r ** (n + 1) * exp(-r) / factorial(n + 1)
    assert PoissonLaw(r).mass(2) == r**2 * exp(-r) / 2


@pytest.mark.parametrize("p", ["Binomial(n, b)", "Binomial(n, logits=b)", "Binomial(total_count=n, probs=b)"])
def test_derived_infinite_by_the_support_at_n_plus_1(p):
    derivation = derive(q="Poisson(r)", p=p)
    assert derivation.verified and derivation.result == S.Infinity
    assert [step.rule for step in derivation.steps] == ["kl-definition", "support-mismatch"]
    first, second = derivation.steps[-1].identities
    assert [i.lhs.name for i in (first, second)] == ["q", "p"]
    assert [evaluated(i.lhs.variable) for i in (first, second)] == [n + 1, n + 1]
    assert evaluated(first.rhs) == r ** (n + 1) * exp(-r) / factorial(n + 1) and second.rhs == 0
    assert derivation.checks[-1].ok and derivation.checks[-1].detail == (
        "support: q(n + 1) > 0 = p(n + 1) at 3 random points, and the terms where both have mass are finite")


def test_a_number_of_trials_given_as_a_number_has_the_witness_one_past_it():
    derivation = derive(q="Poisson(r)", p="Binomial(7, b)")
    assert derivation.result == S.Infinity
    assert [i.lhs.variable for i in derivation.steps[-1].identities] == [8, 8]
    assert derivation.checks[-1].detail.startswith("support: q(8) > 0 = p(8)")


def test_the_printed_witness_is_the_identity_printed():
    derivation = derive(q="Poisson(r)", p="Binomial(n, b)")
    first, second = derivation.steps[-1].identities
    markdown = render(derivation, "markdown")
    assert f"Used: ${to_latex(first)}$; ${to_latex(second)}$." in markdown
    assert to_latex(first) == r"q(n + 1) = \frac{r^{n + 1}}{(n + 1)!} e^{- r}" and to_latex(second) == "p(n + 1) = 0"


def test_the_checker_refuses_infinity_for_two_binomial_laws_of_one_count():
    """The same support: no value where the first has mass and the second none."""
    setting = derive(q="Poisson(r)", p="Binomial(n, b)").setting
    q, p = Density("q", k, BinomialLaw(n, r)), Density("p", k, BinomialLaw(n, b))
    verdict = setting.checker().check(0, Sum(q * log(q / p), (k, 0, n)), S.Infinity)
    assert not verdict.ok and "no value outside the support" in verdict.detail


def test_the_shared_terms_of_a_symbolic_support_are_summed_at_each_count():
    """The terms where both laws have mass, k = 0, ..., n at each random point's n: the sum of p's own support."""
    setting = derive(q="Poisson(r)", p="Binomial(n, b)").setting
    checker = setting.checker()
    values = checker._shared_terms(setting.q, setting.p, setting.q.variable)
    for point, value in zip(checker.evaluator.points, values, strict=True):
        trials, rate, prob = int(point[n]), point[r], point[b]
        expected = math.fsum(
            float(rate**j * math.exp(-rate) / math.factorial(j)
                  * (j * math.log(rate) - rate - math.lgamma(j + 1)
                     - math.log(math.comb(trials, j)) - j * math.log(prob) - (trials - j) * math.log(1 - prob)))
            for j in range(trials + 1))
        assert math.isclose(float(value), expected, rel_tol=1e-12)


def test_every_format_and_the_exports_are_infinite_in_the_batch_shape(tmp_path):
    torch = require("torch")
    for p, kind in (("Binomial(n, b)", "probs"), ("Binomial(n, logits=b)", "logits")):
        for fmt, suffix in FORMATS.items():
            out = tmp_path / f"{kind}{suffix}"
            assert cli.run(["derive", "--q", "Poisson(r)", "--p", p, "-f", fmt, "-o", str(out)]) == 0
        assert json.loads((tmp_path / f"{kind}.json").read_text())["result"]["srepr"] == "oo"
        assert "= \\infty" in (tmp_path / f"{kind}.md").read_text()
        numpy_kl, torch_kl = _load(tmp_path / f"{kind}.py"), _load(tmp_path / f"{kind}_torch.py")
        assert numpy_kl(0.7, 3, 0.4) == math.inf
        assert numpy_kl(np.ones(4), 3, 0.4).shape == (4,) and np.isinf(numpy_kl(np.ones(4), 3, 0.4)).all()
        rates, counts = torch.tensor([0.5, 2.0, 30.0], dtype=torch.float64), torch.tensor([1.0, 5.0, 7.0])
        probs = torch.tensor([0.3, 0.5, 0.9], dtype=torch.float64)
        theirs = torch.distributions.kl_divergence(torch.distributions.Poisson(rates),
                                                   torch.distributions.Binomial(counts, **{kind: probs}))
        ours = torch_kl(rates, counts, probs)
        assert ours.shape == theirs.shape == (3,) and bool(torch.isinf(ours).all()) and bool(torch.isinf(theirs).all())


def test_listed(capsys):
    assert cli.run(["list"]) == 0
    assert "  Poisson || Binomial" in capsys.readouterr().out.splitlines()


def test_built_into_the_families_index_with_its_document(tmp_path):
    report = build(tmp_path, cases=["poisson-binomial"], formats=["markdown"])
    assert report.ok, report.failed
    document = (tmp_path / "families" / "poisson-binomial.md").read_text()
    assert document.startswith("# KL divergence of a Poisson distribution from a binomial distribution")
    assert "q(n + 1)" in document and "= \\infty" in document
    index = (tmp_path / "families" / "index.md").read_text()
    assert "(poisson-binomial.md)" in index.split("the divergence is infinite", 1)[1]
    assert "`kl-derive derive --q 'Poisson(lambda_q)' --p 'Binomial(n, theta_p)'`" in index


def test_audited_and_torch_agrees():
    require("torch")
    pairs = [pair for pair in PAIRS if pair.name.startswith("Poisson-Binomial")]
    assert [pair.name for pair in pairs] == ["Poisson-Binomial (probs), n = 7", "Poisson-Binomial (logits), n = 7"]
    report = audit(samples=12, pairs=pairs, fixtures=())
    assert {(row.pair, row.candidate) for row in report.rows} == {
        (pair.name, candidate) for pair in pairs for candidate in ("kl-derive", "torch")}
    for row in report.rows:
        assert row.agreed == row.samples == 12 and row.worst_value == math.inf == row.worst_reference, row
