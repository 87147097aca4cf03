"""The Gumbel family (issue 12): KL(Gumbel || Gumbel) derived from the definition, the lemmas it needs (the mean
``mu + beta gamma`` with Euler's constant, the exponential moment ``Gamma(1 + t)``) derived by the substitution
``u = exp(-(x - mu)/beta)``, every line checked and read back; the closed form equal to mpmath quadrature (30
digits) and to ``torch.distributions.kl_divergence`` at random points and edges; every format written, the PDFs
compiled, the exports computing torch's value; the audit agreeing; specs and ``kl-derive list``. KL(Gumbel || Normal)
is in tests/test_cross.py's table (its historic wrong formula flagged against the derived pair here)."""

from __future__ import annotations

import json
import math
import subprocess

import mpmath
import nbformat
import pytest
from conftest import _require_module as require
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import EulerGamma, Rational, Symbol, gamma, lambdify, pi

from derivation import cli, derive
from derivation.audit import FIXTURES, PAIRS, audit
from derivation.core.errors import ParseError
from derivation.core.forms import evaluated
from derivation.interpret.parse import parse_spec
from derivation.laws import GumbelLaw
from derivation.laws import kl_reference as ref
from derivation.laws.base import QUADRATURE_ERROR
from derivation.output.readback import check_printed, read_text
from derivation.printing.latex import to_latex
from derivation.printing.text import to_text

Q, P = "Gumbel(m1, b1)", "Gumbel(m2, b2)"
FORMATS = {"markdown": ".md", "latex": ".tex", "latex-fragment": ".fragment.tex", "beamer": ".slides.tex",
           "ipynb": ".ipynb", "json": ".json", "text": ".txt", "python": ".py", "torch": "_torch.py"}
TITLE = "KL divergence between two Gumbel distributions"


@pytest.fixture(scope="module")
def general():
    return derive(q=Q, p=P)


def _keys(derivation):
    return [step.rule for step in derivation.steps]


def _lines(derivation):
    lines = [derivation.start, *(step.expr for step in derivation.steps)]
    for lemma in derivation.lemmas():
        lines += [lemma.start, *(step.expr for step in lemma.steps)]
        lines += [i for step in lemma.steps for i in step.identities]
    return lines


def test_the_chain_and_the_lemmas_are_derived_and_checked(general):
    assert general.verified and general.title == TITLE
    assert _keys(general) == ["kl-definition", "integral-as-expectation", "log-of-ratio", "gumbel-log-density",
                              "combine-gumbel-log-densities", "linearity-of-expectation", "gumbel-mean",
                              "gumbel-exponential-moment", "collect-gumbel"]
    lemmas = {to_text(lemma.start): lemma for lemma in general.lemmas()}
    assert all(lemma.verified for lemma in lemmas.values())
    mean = lemmas["E_q[x - m₂]"]
    assert _keys(mean) == ["gumbel-substitution", "split-log-powers", "gamma-function-at-one"]
    assert to_text(mean.steps[0].expr) == "∫₀^∞ (m₁ - m₂ - b₁ log u) e^{-u}\u2009du"
    assert to_latex(mean.result) == r"m_{1} - m_{2} + b_{1} \gamma"
    moment = lemmas["E_q[e^{-(x - m₂)/b₂}]"]
    assert _keys(moment) == ["gumbel-substitution", "separate-exponent", "gamma-integral"]
    assert to_text(moment.steps[1].expr) == "e^{-(m₁ - m₂)/b₂} ∫₀^∞ u^{b₁/b₂} e^{-u}\u2009du"
    assert to_text(moment.result) == "e^{-(m₁ - m₂)/b₂} Γ(b₁/b₂ + 1)"
    assert to_text(lemmas["E_q[e^{-(x - m₁)/b₁}]"].result) == "1"


def test_the_result_prints_as_torch_writes_it_with_eulers_constant(general):
    assert to_text(general.result) == "log(b₂/b₁) + (m₁ - m₂)/b₂ + b₁γ/b₂ - γ + e^{-(m₁ - m₂)/b₂} Γ(1 + b₁/b₂) - 1"
    assert r"\gamma" in to_latex(general.result) and general.result.has(EulerGamma)


def test_every_line_and_identity_reads_back(general):
    for line in _lines(general):
        check_printed(to_latex(line), line)
        read_text(to_text(line), line)


def _closed(general):
    symbols = sorted(general.result.free_symbols, key=str)  # b1, b2, m1, m2
    function = lambdify(symbols, evaluated(general.result), "mpmath")
    return lambda m1, b1, m2, b2: function(b1, b2, m1, m2)


def _torch_kl(m1, b1, m2, b2):
    torch = require("torch")
    t = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    d = torch.distributions
    return float(d.kl_divergence(d.Gumbel(t(m1), t(b1)), d.Gumbel(t(m2), t(b2))))


@settings(max_examples=12, deadline=None)
@given(m1=st.floats(-5, 5), b1=st.floats(0.2, 5), m2=st.floats(-5, 5), b2=st.floats(0.2, 5))
def test_the_result_equals_quadrature_and_torch_at_random_points(general, m1, b1, m2, b2):
    with mpmath.workdps(30):
        ours = _closed(general)(*map(mpmath.mpf, (m1, b1, m2, b2)))
        reference = ref.kl_quadrature(ref.gumbel(m1, b1), ref.gumbel(m2, b2))
        assert abs(ours - reference) <= mpmath.mpf(10) ** -20 * max(1, abs(reference))
    assert float(ours) == pytest.approx(_torch_kl(m1, b1, m2, b2), rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("values", [(0.0, 1.0, 0.0, 1.0), (-1.0, 2.0, -3.0, 4.0), (3.0, 1e-3, -2.0, 1e2),
                                    (1e3, 1.0, -1e3, 1e3), (0.0, 30.0, 0.0, 1.0), (2.0, 0.5, 2.0, 0.5)])
def test_edges_agree_with_quadrature_and_torch(general, values):
    with mpmath.workdps(30):
        ours = _closed(general)(*map(mpmath.mpf, values))
        reference = ref.kl_quadrature(ref.gumbel(*values[:2]), ref.gumbel(*values[2:]))
        assert abs(ours - reference) <= mpmath.mpf(10) ** -20 * max(1, abs(reference))  # Gamma(31): 2.7e32
    assert float(ours) == pytest.approx(_torch_kl(*values), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(("q", "p", "text"), [
    ("Gumbel(0, 1)", "Gumbel(0, 1)", "0"),
    ("Gumbel(m, b)", "Gumbel(0, b)", "m/b + e^{-m/b} - 1"),
    ("Gumbel(m, b)", "Gumbel(m, c)", "log(c/b) + (b γ)/c - γ + Γ(1 + b/c) - 1"),
])
def test_users_pairs(q, p, text):
    derivation = derive(q=q, p=p)
    assert derivation.verified and to_text(derivation.result) == text


def test_specs_and_the_law():
    spec = parse_spec("Gumbel(loc=m, scale=2)")
    assert (spec.family, spec.param_kind, spec.param) == ("Gumbel", "scale", 2) and spec.loc.is_real
    for bad in ("Gumbel(m, -1)", "Gumbel(m)", "Gumbel(m, b, c)", "Gumbel(m, rate=b)"):
        with pytest.raises(ParseError):
            parse_spec(bad)
    m, b = Symbol("m", real=True), Symbol("b", positive=True)
    law = GumbelLaw(m, b)
    assert law.mean == m + b * EulerGamma and law.variance == pi**2 * b**2 / 6
    x = Symbol("x", real=True)
    with mpmath.workdps(30):  # the law's quadrature (in u = exp(-(x - mu)/beta)) against the mean and variance
        loc, scale = mpmath.mpf(3) / 10, mpmath.mpf(17) / 10
        density = lambdify(x, law.pdf(x).subs({m: Rational(3, 10), b: Rational(17, 10)}), "mpmath")
        mean = law.integrate(lambda t: t * density(t), (loc, scale), True)
        second = law.integrate(lambda t: (t - mean) ** 2 * density(t), (loc, scale), True)
        assert abs(mean - (loc + scale * mpmath.euler)) < QUADRATURE_ERROR  # where the quadrature stops
        assert abs(second - mpmath.pi**2 * scale**2 / 6) < QUADRATURE_ERROR
    assert evaluated(gamma(2)) == 1


def test_kl_derive_list_names_the_pairs(capsys):
    assert cli.run(["list"]) == 0
    out = capsys.readouterr().out
    assert "Gumbel(loc, scale)" in out and "Gumbel" in out


def test_the_audit_agrees_on_the_pair():
    pairs = [pair for pair in PAIRS if pair.name == "Gumbel"]
    report = audit(samples=12, seed=5, pairs=pairs, fixtures=[])
    assert report.ok and len(report.rows) == 2 and all(row.agreed == 12 for row in report.rows)


def test_the_issue_point_is_0_5514_and_the_old_gumbel_normal_formula_is_flagged_against_the_derived_pair():
    derived = derive(q="Gumbel(-1, 2)", p="Normal(-3, 4)")
    assert derived.verified and float(evaluated(derived.result)) == pytest.approx(0.5514, abs=5e-5)
    (fixture,) = [f for f in FIXTURES if f.name.startswith("Gumbel-Normal")]
    assert fixture.formula(**fixture.point) == pytest.approx(0.4767, abs=5e-5)
    pair = [p for p in PAIRS if p.name == "Gumbel-Normal"]
    report = audit(samples=12, seed=5, pairs=pair, fixtures=[fixture])
    assert report.ok and len(report.rows) == 2 and all(row.agreed == 12 for row in report.rows)
    assert len(report.fixtures) == 1 and not report.fixtures[0].ok and not report.unflagged


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("gumbel")
    for fmt, suffix in FORMATS.items():
        assert cli.run(["derive", "--q", Q, "--p", P, "-f", fmt, "-o", str(out / f"g{suffix}")]) == 0
    return out


def test_every_format_is_written_and_the_pdfs_compile(written, require_tool):
    assert (written / "g.md").read_text().startswith(f"# {TITLE}")
    nbformat.validate(nbformat.reads((written / "g.ipynb").read_text(), as_version=4))
    document = json.loads((written / "g.json").read_text())
    assert document["checks"]["all_passed"] is True and document["title"] == TITLE
    tool = require_tool("pdflatex")
    for name in ("g.tex", "g.slides.tex"):
        for _ in range(2):
            done = subprocess.run([tool, "-interaction=nonstopmode", "-halt-on-error", name], cwd=written,
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stdout[-3000:]
        log = (written / name.replace(".tex", ".log")).read_text(errors="replace")
        assert "Overfull \\hbox" not in log


def _load(path):
    namespace: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # our own generated code, in a test
    return namespace["kl_divergence"]


def test_the_exports_compute_torchs_value_without_overflow(written):
    torch = require("torch")
    values = (-1.0, 2.0, -3.0, 4.0)
    expected = _torch_kl(*values)
    assert float(_load(written / "g.py")(*values)) == pytest.approx(expected, rel=1e-12)
    tensors = [torch.tensor(v, dtype=torch.float64) for v in values]
    assert float(_load(written / "g_torch.py")(*tensors)) == pytest.approx(expected, rel=1e-12)
    assert "lgamma(b1/b2 + 1) - (m1 - m2)/b2" in (written / "g_torch.py").read_text()  # one exponential
    # e^a Gamma(b) with e^a = e^-82000 (0 in doubles) and Gamma(10001) = e^82109 (inf): one exponential, finite
    # (about 2e47; a product would be 0 * inf)
    far = (4.1e4, 1e4, -4.1e4, 1.0)
    value = float(_load(written / "g.py")(*far))
    assert math.isfinite(value) and value == pytest.approx(_torch_kl(*far), rel=1e-9)


@pytest.mark.parametrize(("q", "p", "q_ref", "p_ref"), [
    ("Normal(0, 1)", "Gumbel(0, 1)", ref.normal(0, 1), ref.gumbel(0, 1)),
    ("Normal(0, 2)", "Gumbel(1, 1)", ref.normal(0, 2), ref.gumbel(1, 1)),
    ("Gumbel(0, 1)", "Gumbel(1, 0.5)", ref.gumbel(0, 1), ref.gumbel(1, 0.5)),
])
def test_pairs_given_in_numbers_are_derived_and_right(q, p, q_ref, p_ref):
    """Numbers where names stood (a mean of 0 used to reach the rules as a Python int, and fail)."""
    derivation = derive(q=q, p=p)
    assert derivation.verified
    value = float(evaluated(derivation.result).evalf(30))
    assert value == pytest.approx(float(ref.kl_quadrature(q_ref, p_ref)), rel=1e-10)


@pytest.mark.parametrize(("q", "p", "message"), [
    ("Normal(m, var=v)", "Gumbel(a, b)", "q: a Normal against another family is given by its loc and scale"),
    ("Gumbel(m, s)", "Normal(a, logvar=w)", "p: a Normal against another family is given by its loc and scale"),
    ("Gumbel(0, 1)", "Gumbel(0, 1e-8)", "the ratio of the Gumbel scales is 1e+08, more than 100"),
])
def test_what_a_pair_cannot_take_is_a_one_line_error(q, p, message, capsys, tmp_path):
    target = tmp_path / "kl.md"
    assert cli.run(["derive", "--q", q, "--p", p, "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kl-derive: error: ") and message in err and err.count("\n") == 1
    assert not target.exists()


def test_fresh_probabilities_named_vartheta_print_as_text():
    text = to_text(Symbol("vartheta_q"))
    assert text == "ϑ_q"
