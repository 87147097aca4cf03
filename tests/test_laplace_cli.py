"""The Laplace family through the same door as a user's Gaussian pair: specs on the command line, every format
written (the PDFs compile without overfull boxes, the code computes the result), claims decided, a mixed pair
refused in one line."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import nbformat
import pytest

from derivation import cli, derive
from derivation.core.errors import UsageError
from derivation.interpret.parse import parse_spec

FORMATS = {"markdown": ".md", "latex": ".tex", "latex-fragment": ".fragment.tex", "beamer": ".slides.tex",
           "ipynb": ".ipynb", "json": ".json", "text": ".txt", "python": ".py", "torch": "_torch.py"}
PAIRS = {"symbols": ("Laplace(m, b)", "Laplace(n, c)"), "numbers": ("Laplace(loc=m, scale=b)", "Laplace(0, 1)")}


def run(args, capsys):
    code = cli.run(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_specs_parse_positionally_and_by_keyword():
    positional, keywords = parse_spec("Laplace(m, b)"), parse_spec("Laplace(loc=m, scale=b)")
    assert (positional.family, positional.loc, positional.param) == ("Laplace", keywords.loc, keywords.param)
    assert positional.param.is_positive and positional.loc.is_real


@pytest.mark.parametrize(("spec", "message"), [
    ("Laplace(m, var=v)", "unknown keyword 'var' for Laplace"),
    ("Laplace(m)", "Laplace needs a scale"),
    ("Laplace(m, -1)", "scale must be positive"),
    ("Laplace(m, b, dim=3)", "unknown keyword 'dim' for Laplace"),
    ("Laplace(m, b, c)", "too many positional arguments"),
])
def test_bad_laplace_specs_are_one_line_errors(spec, message, capsys):
    code, out, err = run(["derive", "--q", spec, "--p", "Laplace(0, 1)"], capsys)
    assert code == 2 and out == ""
    assert err.startswith("kl-derive: error: q: ") and message in err and err.count("\n") == 1


@pytest.mark.parametrize(("q", "p"), [("Laplace(m, b)", "Poisson(2)"), ("Gamma(a, rate=b)", "Laplace(0, 1)"),
                                      ("Laplace(m, b)", "DiagNormal(0, 1, dim=3)")])
def test_a_mixed_pair_is_refused_in_one_line(q, p, capsys, tmp_path):
    target = tmp_path / "kl.md"
    code, out, err = run(["derive", "--q", q, "--p", p, "-o", str(target)], capsys)
    assert code == 2 and out == "" and not target.exists()
    assert err.startswith("kl-derive: error: ") and "is not supported" in err and err.count("\n") == 1
    with pytest.raises(UsageError, match="not derived here"):
        derive(q=q, p=p)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("laplace")
    for name, (q, p) in PAIRS.items():
        for fmt, suffix in FORMATS.items():
            assert cli.run(["derive", "--q", q, "--p", p, "-f", fmt, "-o", str(out / f"{name}{suffix}")]) == 0
    return out


@pytest.mark.parametrize("name", PAIRS)
def test_every_format_is_written(written, name):
    text = (written / f"{name}.md").read_text()
    assert text.startswith("# KL divergence between two Laplace distributions")
    assert "Split at the kinks" in text and "Lemma 2" in text
    nbformat.validate(nbformat.reads((written / f"{name}.ipynb").read_text(), as_version=4))
    document = json.loads((written / f"{name}.json").read_text())
    assert document["checks"]["all_passed"] is True and document["title"].endswith("Laplace distributions")
    assert (written / f"{name}.txt").read_text().startswith("KL divergence between two Laplace distributions")


@pytest.mark.parametrize("name", PAIRS)
def test_the_pdfs_compile_without_overfull_boxes(written, name, require_tool):
    tool = require_tool("pdflatex")
    for document in (f"{name}.tex", f"{name}.slides.tex"):
        for _ in range(2):
            done = subprocess.run([tool, "-interaction=nonstopmode", "-halt-on-error", document], cwd=written,
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stdout[-3000:]
        log = (written / Path(document).with_suffix(".log")).read_text(errors="replace")
        assert "Overfull \\hbox" not in log, [line for line in log.splitlines() if "Overfull" in line]


def _load(path: Path) -> dict:
    namespace: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # our own generated code, in a test
    return namespace


def test_the_exported_code_computes_the_result(written, require_module):
    torch = require_module("torch")
    laplace = torch.distributions.Laplace
    for name, values in (("symbols", (0.3, 0.6, -1.1, 1.7)), ("numbers", (-0.8, 1.9))):
        numpy_kl = _load(written / f"{name}.py")["kl_divergence"]
        torch_kl = _load(written / f"{name}_torch.py")["kl_divergence"]
        m, b, n, c = values if len(values) == 4 else (*values, 0.0, 1.0)
        expected = float(torch.distributions.kl_divergence(
            laplace(torch.tensor(m, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)),
            laplace(torch.tensor(n, dtype=torch.float64), torch.tensor(c, dtype=torch.float64))))
        assert float(numpy_kl(*values)) == pytest.approx(expected, rel=1e-12)
        tensors = [torch.tensor(v, dtype=torch.float64) for v in values]
        assert float(torch_kl(*tensors)) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("claim", "code", "words"), [
    ("log(c/b) + abs(m - n)/c + b/c*exp(-abs(m - n)/b) - 1", 0, "holds"),
    (r"\log\frac{c}{b} + \frac{|m-n|}{c} + \frac{b}{c} e^{-|m-n|/b} - 1", 0, "holds"),
    ("torch.log(c/b) + torch.abs(m - n)/c + b/c*torch.exp(-torch.abs(m - n)/b) - 1", 0, "holds"),
    ("log(c/b) + abs(m - n)/c + b/c*exp(-abs(m - n)/c) - 1", 1, "does not hold"),
    ("log(b/c) + abs(m - n)/b + c/b*exp(-abs(m - n)/c) - 1", 1, "the direction is reversed"),
])
def test_verify_decides_claims_about_a_laplace_pair(claim, code, words, capsys):
    status, out, err = run(["verify", "--q", "Laplace(m, b)", "--p", "Laplace(n, c)", "--claim", claim], capsys)
    assert status == code and err == ""
    assert words in out
