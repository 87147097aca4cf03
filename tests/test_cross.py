"""Pairs of two families (issue 12, torch's cross-family KL divergences), each derived from the definition, every step
and lemma checked: the result equal to mpmath quadrature (30 digits) and to torch at random points and edges; every
format written, the PDFs compiled, the exports computing torch's value; the audit agreeing on each pair and flagging
the historic formulas. KL(Normal || Laplace) needs the mean distance of a Gaussian variable from a point (split at the
point, the error function from its definition); KL(Laplace || Normal) the Laplace law's moments about its location
(centred, split at the kink, integrated by parts)."""

from __future__ import annotations

import json
import subprocess

import mpmath
import nbformat
import pytest
from conftest import _require_module as require
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Derivative, Integral, Symbol, erf, lambdify, oo

from derivation import cli, derive
from derivation.audit import FIXTURES, PAIRS, audit
from derivation.core.forms import evaluated
from derivation.laws import kl_reference as ref
from derivation.output.readback import check_printed, read_text
from derivation.printing.latex import to_latex
from derivation.printing.text import to_text

Q, P = "Normal(m, s)", "Laplace(b, c)"
FORMATS = {"markdown": ".md", "latex": ".tex", "latex-fragment": ".fragment.tex", "beamer": ".slides.tex",
           "ipynb": ".ipynb", "json": ".json", "text": ".txt", "python": ".py", "torch": "_torch.py"}


@pytest.fixture(scope="module")
def general():
    return derive(q=Q, p=P)


def _keys(derivation):
    return [step.rule for step in derivation.steps]


def test_the_chain_and_the_lemmas_are_derived_and_checked(general):
    assert general.verified and general.title == "KL divergence of a Gaussian distribution from a Laplace distribution"
    assert _keys(general) == ["kl-definition", "integral-as-expectation", "log-of-ratio", "pair-log-densities",
                              "combine-normal-laplace-log-densities", "linearity-of-expectation",
                              "gaussian-second-moment", "gaussian-absolute-moment", "collect-normal-laplace"]
    lemmas = {lemma.title: lemma for lemma in general.lemmas()}
    folded = lemmas["Mean distance of a Gaussian variable from a point"]
    assert folded.verified
    assert _keys(folded) == ["normal-expectation-as-integral", "split-at-kinks", "linear-about-the-mean",
                             "integrate-gaussian-pieces", "collect-folded-mean"]
    assert to_latex(folded.start) == r"\E_{q}[|x - b|]"
    assert to_latex(folded.result) == (r"\sqrt{\frac{2}{\pi}} s e^{- \frac{(m - b)^{2}}{2 s^{2}}} + (m - b) "
                                       r"\operatorname{erf}\left(\frac{m - b}{\sqrt{2} s}\right)")
    # split at b: one integral from -oo to b, one from b to oo
    b = Symbol("b", real=True)
    assert {integral.limits[0][1:] for integral in folded.steps[1].expr.atoms(Integral)} == {(-oo, b), (b, oo)}
    assert general.result.has(erf)


def test_the_result_prints_as_torch_writes_it(general):
    assert to_text(general.result) == ("log(c/s) + (√(2/π) s)/c e^{-(m - b)²/(2s²)} + (m - b) erf((m - b)/(√(2) s))/c"
                                       " + 1/2 log(2/π) - 1/2")


def test_every_line_reads_back(general):
    lines = [general.start, *(step.expr for step in general.steps)]
    for lemma in general.lemmas():
        lines += [lemma.start, *(step.expr for step in lemma.steps)]
    for line in lines:
        check_printed(to_latex(line), line)
        read_text(to_text(line), line)


def _closed(general):
    symbols = sorted(general.result.free_symbols, key=str)  # b, c, m, s
    function = lambdify(symbols, evaluated(general.result), "mpmath")
    return lambda m, s, b, c: function(b, c, m, s)


def _torch_kl(m, s, b, c):
    torch = require("torch")
    t = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    d = torch.distributions
    return float(d.kl_divergence(d.Normal(t(m), t(s)), d.Laplace(t(b), t(c))))


@settings(max_examples=15, deadline=None)
@given(m=st.floats(-5, 5), s=st.floats(0.05, 20), b=st.floats(-5, 5), c=st.floats(0.05, 20))
def test_the_result_equals_quadrature_and_torch_at_random_points(general, m, s, b, c):
    with mpmath.workdps(30):
        ours = _closed(general)(mpmath.mpf(m), mpmath.mpf(s), mpmath.mpf(b), mpmath.mpf(c))
        reference = ref.kl_quadrature(ref.normal(m, s), ref.laplace(b, c))
        assert abs(ours - reference) <= mpmath.mpf(10) ** -25 * max(1, abs(reference))
    assert float(ours) == pytest.approx(_torch_kl(m, s, b, c), rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("values", [(-1.0, 2.0, -3.0, 4.0), (0.0, 1.0, 0.0, 1.0), (3.0, 1e-3, -2.0, 1e3),
                                    (1e3, 1.0, -1e3, 1.0), (0.0, 1e3, 0.0, 1e-3)])
def test_edges_agree_with_torch(general, values):
    with mpmath.workdps(30):
        ours = float(_closed(general)(*map(mpmath.mpf, values)))
    assert ours == pytest.approx(_torch_kl(*values), rel=1e-9, abs=1e-12)


def test_the_issue_point_is_0_5507_and_the_old_formula_gave_0_3663():
    derived = derive(q="Normal(-1, 2)", p="Laplace(-3, 4)")
    assert float(evaluated(derived.result)) == pytest.approx(0.5507, abs=5e-5)
    (fixture,) = [f for f in FIXTURES if f.name.startswith("Normal-Laplace")]
    assert fixture.formula(**fixture.point) == pytest.approx(0.3663, abs=5e-5)


def test_the_audit_agrees_on_the_pair_and_flags_the_historic_formula():
    pair = [p for p in PAIRS if p.name == "Normal-Laplace"]
    fixture = [f for f in FIXTURES if f.name.startswith("Normal-Laplace")]
    report = audit(samples=12, seed=5, pairs=pair, fixtures=fixture)
    assert report.ok and len(report.rows) == 2 and all(row.agreed == 12 for row in report.rows)
    assert len(report.fixtures) == 1 and not report.fixtures[0].ok and not report.unflagged


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("normal-laplace")
    for fmt, suffix in FORMATS.items():
        assert cli.run(["derive", "--q", Q, "--p", P, "-f", fmt, "-o", str(out / f"nl{suffix}")]) == 0
    return out


def test_every_format_is_written(written):
    title = "KL divergence of a Gaussian distribution from a Laplace distribution"
    assert (written / "nl.md").read_text().startswith(f"# {title}")
    nbformat.validate(nbformat.reads((written / "nl.ipynb").read_text(), as_version=4))
    document = json.loads((written / "nl.json").read_text())
    assert document["checks"]["all_passed"] is True and document["title"] == title
    assert (written / "nl.txt").read_text().startswith(title)


def test_the_pdfs_compile(written, require_tool):
    tool = require_tool("pdflatex")
    for document in ("nl.tex", "nl.slides.tex"):
        for _ in range(2):
            done = subprocess.run([tool, "-interaction=nonstopmode", "-halt-on-error", document], cwd=written,
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stdout[-3000:]
    log = (written / "nl.log").read_text(errors="replace")
    assert "Overfull \\hbox" not in log and "??" not in (written / "nl.tex").read_text()


def _load(path):
    namespace: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # our own generated code, in a test
    return namespace["kl_divergence"]


def test_the_exports_compute_torchs_value(written):
    torch = require("torch")
    values = (-1.0, 2.0, -3.0, 4.0)
    expected = _torch_kl(*values)
    assert float(_load(written / "nl.py")(*values)) == pytest.approx(expected, rel=1e-12)
    tensors = [torch.tensor(v, dtype=torch.float64) for v in values]
    assert float(_load(written / "nl_torch.py")(*tensors)) == pytest.approx(expected, rel=1e-12)


# -- every pair: the same checks, from a table --------------------------------------------------------------------

#: name -> (q, p, title, the chain's rule keys, (torch's q, p from the parameters, in the export's order), the
#: reference from the same parameters, a parameter point (random points are drawn around it))
CROSS = {
    "laplace-normal": (
        "Laplace(m, b)", "Normal(mu, s)", "KL divergence of a Laplace distribution from a Gaussian distribution",
        ["kl-definition", "integral-as-expectation", "log-of-ratio", "pair-log-densities",
         "combine-laplace-normal-log-densities", "linearity-of-expectation", "laplace-absolute-deviation",
         "laplace-shifted-second-moment", "collect-laplace-normal"],
        lambda d, m, b, mu, s: (d.Laplace(m, b), d.Normal(mu, s)),
        lambda m, b, mu, s: ref.kl_quadrature(ref.laplace(m, b), ref.normal(mu, s)),
        (0.3, 1.7, -1.1, 0.8)),
    "exponential-gamma": (
        "Exponential(l)", "Gamma(a, rate=b)", "KL divergence of an exponential distribution from a Gamma distribution",
        ["kl-definition", "integral-as-expectation", "log-of-ratio", "pair-log-densities",
         "combine-exponential-gamma-log-densities", "linearity-of-expectation", "exponential-mean",
         "exponential-log-moment", "collect-exponential-gamma"],
        lambda d, rate, a, b: (d.Exponential(rate), d.Gamma(a, b)),
        lambda rate, a, b: ref.kl_quadrature(ref.log_gamma(1, rate), ref.log_gamma(a, b)),
        (1.3, 0.7, 2.1)),
    "gamma-exponential": (
        "Gamma(a, rate=b)", "Exponential(l)", "KL divergence of a Gamma distribution from an exponential distribution",
        ["kl-definition", "integral-as-expectation", "log-of-ratio", "pair-log-densities",
         "combine-gamma-exponential-log-densities", "linearity-of-expectation", "gamma-mean", "gamma-log-moment",
         "collect-gamma-exponential"],
        lambda d, a, b, rate: (d.Gamma(a, b), d.Exponential(rate)),
        lambda a, b, rate: ref.kl_quadrature(ref.log_gamma(a, b), ref.log_gamma(1, rate)),
        (0.6, 1.9, 0.8)),
    "gumbel-normal": (
        "Gumbel(m, b)", "Normal(mu, s)", "KL divergence of a Gumbel distribution from a Gaussian distribution",
        ["kl-definition", "integral-as-expectation", "log-of-ratio", "pair-log-densities",
         "combine-gumbel-normal-log-densities", "linearity-of-expectation", "gumbel-mean",
         "gumbel-exponential-moment", "gumbel-second-moment", "collect-gumbel-normal"],
        lambda d, m, b, mu, s: (d.Gumbel(m, b), d.Normal(mu, s)),
        lambda m, b, mu, s: ref.kl_quadrature(ref.gumbel(m, b), ref.normal(mu, s)),
        (-0.4, 1.3, 0.9, 1.7)),
    "normal-gumbel": (
        "Normal(m, s)", "Gumbel(mu, b)", "KL divergence of a Gaussian distribution from a Gumbel distribution",
        ["kl-definition", "integral-as-expectation", "log-of-ratio", "pair-log-densities",
         "combine-normal-gumbel-log-densities", "linearity-of-expectation", "gaussian-second-moment",
         "gaussian-mean-distance", "gaussian-exponential-moment", "collect-normal-gumbel"],
        lambda d, m, s, mu, b: (d.Normal(m, s), d.Gumbel(mu, b)),
        lambda m, s, mu, b: ref.kl_quadrature(ref.normal(m, s), ref.gumbel(mu, b)),
        (-0.4, 0.8, 0.9, 1.7)),
    "exponential-normal": (
        "Exponential(l)", "Normal(mu, s)", "KL divergence of an exponential distribution from a Gaussian distribution",
        ["kl-definition", "integral-as-expectation", "log-of-ratio", "pair-log-densities",
         "combine-exponential-normal-log-densities", "linearity-of-expectation", "exponential-mean",
         "exponential-second-moment", "collect-exponential-normal"],
        lambda d, rate, mu, s: (d.Exponential(rate), d.Normal(mu, s)),
        lambda rate, mu, s: ref.kl_quadrature(ref.exponential(rate), ref.normal(mu, s)),
        (1.3, -0.7, 1.9)),
    "uniform-normal": (
        "Uniform(a, b)", "Normal(mu, s)", "KL divergence of a uniform distribution from a Gaussian distribution",
        ["kl-definition", "integral-as-expectation", "log-of-ratio", "pair-log-densities",
         "combine-uniform-normal-log-densities", "linearity-of-expectation", "uniform-second-moment",
         "collect-uniform-normal"],
        lambda d, a, b, mu, s: (d.Uniform(a, b), d.Normal(mu, s)),
        lambda a, b, mu, s: ref.kl_quadrature(ref.uniform(a, b), ref.normal(mu, s)),
        (0.2, 5.0, 0.4, 1.1)),  # random points: a in (0.06, 0.6), b in (1.5, 15), so a < b
}


def _export_names(derivation) -> list[str]:
    return [str(s) for s in derivation.setting.parameters]


@pytest.mark.parametrize("name", CROSS)
def test_the_chain_is_derived_and_checked(name):
    q, p, title, keys, *_ = CROSS[name]
    derivation = derive(q=q, p=p)
    assert derivation.verified and derivation.title == title and _keys(derivation) == keys
    assert all(lemma.verified for lemma in derivation.lemmas())
    lines = [derivation.start, *(step.expr for step in derivation.steps)]
    for lemma in derivation.lemmas():
        lines += [lemma.start, *(step.expr for step in lemma.steps)]
    for line in lines:
        if line.has(Derivative):  # d/dalpha in a Gamma lemma: read back through the documents (test_roundtrip)
            continue
        check_printed(to_latex(line), line)
        read_text(to_text(line), line)


@pytest.mark.parametrize("name", CROSS)
def test_each_result_equals_quadrature_and_torch_at_random_points(name):
    torch = require("torch")
    q, p, _, _, laws, reference, point = CROSS[name]
    derivation = derive(q=q, p=p)
    symbols = derivation.setting.parameters
    function = lambdify(symbols, evaluated(derivation.result), "mpmath")
    rng = __import__("random").Random(12)
    points = [point] + [tuple(v * rng.uniform(0.3, 3) if v > 0 else v + rng.uniform(-3, 3) for v in point)
                        for _ in range(6)]
    for values in points:
        with mpmath.workdps(30):
            ours = function(*map(mpmath.mpf, values))
            expected = reference(*values)
            assert abs(ours - expected) <= mpmath.mpf(10) ** -25 * max(1, abs(expected)), values
        tensors = [torch.tensor(v, dtype=torch.float64) for v in values]
        assert float(ours) == pytest.approx(float(torch.distributions.kl_divergence(
            *laws(torch.distributions, *tensors))), rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("name", CROSS)
def test_the_audit_agrees_on_the_pair(name):
    pairs = [pair for pair in PAIRS if pair.name.lower().replace("-", "") == name.replace("-", "")]
    assert len(pairs) == 1
    report = audit(samples=12, seed=5, pairs=pairs, fixtures=[])
    assert report.ok and len(report.rows) == 2 and all(row.agreed == 12 for row in report.rows)


@pytest.fixture(scope="module")
def cross_written(tmp_path_factory):
    out = tmp_path_factory.mktemp("cross")
    for name, (q, p, *_) in CROSS.items():
        for fmt, suffix in FORMATS.items():
            assert cli.run(["derive", "--q", q, "--p", p, "-f", fmt, "-o", str(out / f"{name}{suffix}")]) == 0
    return out


@pytest.mark.parametrize("name", CROSS)
def test_every_format_is_written_and_the_pdfs_compile(cross_written, name, require_tool):
    title = CROSS[name][2]
    assert (cross_written / f"{name}.md").read_text().startswith(f"# {title}")
    nbformat.validate(nbformat.reads((cross_written / f"{name}.ipynb").read_text(), as_version=4))
    document = json.loads((cross_written / f"{name}.json").read_text())
    assert document["checks"]["all_passed"] is True and document["title"] == title
    assert (cross_written / f"{name}.txt").read_text().startswith(title)
    tool = require_tool("pdflatex")
    for document in (f"{name}.tex", f"{name}.slides.tex"):
        for _ in range(2):
            done = subprocess.run([tool, "-interaction=nonstopmode", "-halt-on-error", document], cwd=cross_written,
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stdout[-3000:]
    assert "Overfull \\hbox" not in (cross_written / f"{name}.log").read_text(errors="replace")


@pytest.mark.parametrize("name", CROSS)
def test_each_export_computes_torchs_value(cross_written, name):
    torch = require("torch")
    *_, laws, _, point = CROSS[name]
    tensors = [torch.tensor(v, dtype=torch.float64) for v in point]
    expected = float(torch.distributions.kl_divergence(*laws(torch.distributions, *tensors)))
    assert float(_load(cross_written / f"{name}.py")(*point)) == pytest.approx(expected, rel=1e-12)
    assert float(_load(cross_written / f"{name}_torch.py")(*tensors)) == pytest.approx(expected, rel=1e-12)


def test_the_moments_step_names_only_the_moments_it_uses():
    """A Pareto law against a Gaussian uses its second moment about the Gaussian's mean; against an exponential or a
    Gamma law, only its mean: the step's justification names what it used (it named a moment generating function
    too)."""
    from derivation.pairs.routes import variant
    from derivation.rules.moments import LAW_MOMENTS

    def said(q, p):
        steps = [s for s in variant(q, p).derive().steps if s.rule == LAW_MOMENTS.key]
        assert len(steps) == 1
        return steps[0].justification

    assert said("Pareto(m, a)", "Normal(mu, s)") == (
        "The second moment of the first law about a point is its variance plus the squared distance of its mean "
        "from the point.")
    assert said("Pareto(m, a)", "Exponential(l)") == said("Pareto(m, a)", "Gamma(c, rate=r)") == (
        "The mean of the first law is known.")
    assert "moment generating function" in LAW_MOMENTS.justification  # the rule's own words cover every kind


@pytest.mark.parametrize("q, p, says, never", [
    ("Pareto(m, a)", "Exponential(l)", "through x and its logarithm, so only the first law's mean and expected "
                                       "logarithm are needed.", "square"),
    ("Exponential(l)", "Gumbel(m, b)", "an exponential of x", "logarithm"),
    ("Gamma(a, rate=b)", "Normal(mu, s)", "x, its square about a point and its logarithm", "exponential"),
    ("Beta(a, b)", "Normal(mu, s)", "its square about a point and its logarithms", "lemma"),
    ("Uniform(a, b)", "Exponential(l)", "the first law's mean is needed.", "is the law's mean"),
    ("Pareto(m, 1)", "Exponential(l)", "is infinite for these parameters", "needed"),
    ("Uniform(0.5, 3)", "Pareto(1, 2)", "outside the support of the second", "needed"),
])
def test_a_moment_pairs_opening_names_what_its_densities_hold(q, p, says, never):
    """The pairs of the shared moment plan open with what their two log-densities hold x through, computed from the
    laws (one paragraph spoke of a square about a point and of logarithms for every pair)."""
    from derivation.pairs.routes import variant

    description = variant(q, p).derive().description
    assert says in description and never not in description


@pytest.mark.parametrize("q, p", [("Uniform(0.5, 3)", "Pareto(1, 2)"), ("Uniform(-1, 1)", "Exponential(l)"),
                                  ("Beta(2, 2)", "Uniform(0.5, 2)"), ("Uniform(-1, 1)", "Gamma(c, rate=d)")])
def test_a_moment_pair_whose_numbers_put_q_outside_p_is_infinite(q, p):
    """The shared moment plan derived a finite value (Uniform(0.5, 3) against Pareto(1, 2): about -0.24, "checked")
    where part of q's support lies outside p's; the supports' step now ends it in +oo, as torch has it."""
    from sympy import oo

    from derivation.pairs.routes import variant
    from derivation.rules.support import CONTINUOUS_SUPPORT_MISMATCH

    derivation = variant(q, p).derive()
    assert derivation.verified and derivation.result == oo
    assert [s.rule for s in derivation.steps][-1] == CONTINUOUS_SUPPORT_MISMATCH.key


@pytest.mark.parametrize("q, p", [("Uniform(-1, b1)", "Exponential(l)"), ("Uniform(a1, 3)", "Beta(c, d)")])
def test_an_infinite_pair_without_a_nameable_witness_is_refused_in_one_line(q, p, tmp_path, capsys):
    """Infinite by the supports, but no point outside p's support holds for every value of the symbols: one line,
    exit 2 (it stopped with a traceback from a complex logarithm)."""
    code = cli.run(["derive", "--q", q, "--p", p, "-o", str(tmp_path / "d.md")])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("kl-derive: error: the divergence of q from p is infinite")
    assert not (tmp_path / "d.md").exists()
