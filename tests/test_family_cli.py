"""The families given in their own parameters (Exponential, Gamma) through the same door as a user's Gaussian pair:
specs on the command line, every format written (the PDFs compile without overfull boxes, the code computes
torch's value), claims decided, bad specs and mixed pairs refused in one line with exit code 2."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import nbformat
import pytest

from derivation import cli

FORMATS = {"markdown": ".md", "latex": ".tex", "latex-fragment": ".fragment.tex", "beamer": ".slides.tex",
           "ipynb": ".ipynb", "json": ".json", "text": ".txt", "python": ".py", "torch": "_torch.py"}
#: name -> (q, p, title's family words, the export's arguments, torch's q and p at those arguments (and a
#: float64 constant maker))
PAIRS = {
    "exponential": ("Exponential(l1)", "Exponential(l2)", "exponential distributions", (0.3, 2.2),
                    lambda d, a, t: (d.Exponential(a[0]), d.Exponential(a[1]))),
    "exponential-scale": ("Exponential(scale=s)", "Exponential(2)", "exponential distributions", (1.7,),
                          lambda d, a, t: (d.Exponential(1 / a[0]), d.Exponential(2.0))),
    "gamma": ("Gamma(a1, rate=b1)", "Gamma(a2, rate=b2)", "Gamma distributions", (2.3, 0.7, 0.9, 1.9),
              lambda d, a, t: (d.Gamma(a[0], a[1]), d.Gamma(a[2], a[3]))),
    "gamma-numbers": ("Gamma(2, rate=3)", "Gamma(1, rate=1)", "Gamma distributions", (),
                      lambda d, a, t: (d.Gamma(t(2.0), t(3.0)), d.Gamma(t(1.0), t(1.0)))),
    "gamma-scale": ("Gamma(a, scale=s)", "Gamma(2, scale=1)", "Gamma distributions", (1.7, 0.4),
                    lambda d, a, t: (d.Gamma(a[0], 1 / a[1]), d.Gamma(2.0, 1.0))),
}


def run(args, capsys):
    code = cli.run(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("spec", "message"), [
    ("Exponential(-1)", "rate must be positive (got -1)"),
    ("Exponential(0)", "rate must be positive (got 0)"),
    ("Exponential(scale=-2)", "scale must be positive (got -2)"),
    ("Exponential()", "Exponential needs its parameter: rate= or scale="),
    ("Exponential(l, m)", "too many positional arguments for Exponential"),
    ("Exponential(rate=l, scale=s)", "two parameterisations given (rate and scale)"),
    ("Exponential(loc=1)", "unknown keyword 'loc' for Exponential"),
    ("Exponential(pi)", "would be read as"),
    ("Exponential(__import__)", "is not allowed"),
])
def test_bad_exponential_specs_are_one_line_errors(spec, message, capsys):
    code, out, err = run(["derive", "--q", spec, "--p", "Exponential(1)"], capsys)
    assert code == 2 and out == ""
    assert err.startswith("kl-derive: error: q: ") and message in err and err.count("\n") == 1


@pytest.mark.parametrize(("spec", "message"), [
    ("Gamma(a)", "Gamma needs a rate: a second argument or one of rate=, scale="),
    ("Gamma(rate=b)", "Gamma needs a concentration"),
    ("Gamma(-1, rate=2)", "concentration must be positive (got -1)"),
    ("Gamma(1, rate=0)", "rate must be positive (got 0)"),
    ("Gamma(1, scale=-2)", "scale must be positive (got -2)"),
    ("Gamma(a, b, c)", "too many positional arguments for Gamma (expected concentration, rate)"),
    ("Gamma(a, rate=b, scale=s)", "two parameterisations given (rate and scale)"),
    ("Gamma(a, a)", "name 'a' is used for both concentration and rate"),
    ("Gamma(a, loc=1)", "unknown keyword 'loc' for Gamma"),
])
def test_bad_gamma_specs_are_one_line_errors(spec, message, capsys):
    code, out, err = run(["derive", "--q", spec, "--p", "Gamma(1, rate=1)"], capsys)
    assert code == 2 and out == ""
    assert err.startswith("kl-derive: error: q: ") and message in err and err.count("\n") == 1


@pytest.mark.parametrize(("q", "p"), [("Gumbel(0, 1)", "Laplace(1, 2)"), ("Laplace(0, 1)", "Gumbel(m, s)"),
                                      ("Gamma(a, rate=b)", "Laplace(0, 1)")])
def test_a_mixed_pair_is_refused_in_one_line(q, p, capsys, tmp_path):
    target = tmp_path / "kl.md"
    code, out, err = run(["derive", "--q", q, "--p", p, "-o", str(target)], capsys)
    assert code == 2 and out == "" and not target.exists()
    assert err.startswith("kl-derive: error: ") and "is not supported" in err and err.count("\n") == 1


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("families")
    for name, (q, p, *_) in PAIRS.items():
        for fmt, suffix in FORMATS.items():
            assert cli.run(["derive", "--q", q, "--p", p, "-f", fmt, "-o", str(out / f"{name}{suffix}")]) == 0
    return out


@pytest.mark.parametrize("name", PAIRS)
def test_every_format_is_written(written, name):
    words = PAIRS[name][2]
    assert (written / f"{name}.md").read_text().startswith(f"# KL divergence between two {words}")
    nbformat.validate(nbformat.reads((written / f"{name}.ipynb").read_text(), as_version=4))
    document = json.loads((written / f"{name}.json").read_text())
    assert document["checks"]["all_passed"] is True and document["title"].endswith(words)
    assert (written / f"{name}.txt").read_text().startswith(f"KL divergence between two {words}")


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


@pytest.mark.parametrize("name", PAIRS)
def test_the_exported_code_computes_torchs_value(written, name, require_module):
    torch = require_module("torch")
    *_, values, laws = PAIRS[name]
    tensors = [torch.tensor(v, dtype=torch.float64) for v in values]
    constant = lambda value: torch.tensor(value, dtype=torch.float64)  # noqa: E731
    expected = float(torch.distributions.kl_divergence(*laws(torch.distributions, tensors, constant)))
    assert float(_load(written / f"{name}.py")["kl_divergence"](*values)) == pytest.approx(expected, rel=1e-12)
    assert float(_load(written / f"{name}_torch.py")["kl_divergence"](*tensors)) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("q", "p", "claim", "code", "words"), [
    ("Exponential(l1)", "Exponential(l2)", "log(l1/l2) + l2/l1 - 1", 0, "holds"),
    ("Exponential(l1)", "Exponential(l2)", r"\log\frac{l_1}{l_2} + \frac{l_2}{l_1} - 1", 0, "holds"),
    ("Exponential(l1)", "Exponential(l2)", "torch.log(l1/l2) + l2/l1 - 1", 0, "holds"),
    ("Exponential(l1)", "Exponential(l2)", "log(l2/l1) + l1/l2 - 1", 1, "the direction is reversed"),
    ("Exponential(l1)", "Exponential(l2)", "log(l1/l2) + l1/l2 - 1", 1, "does not hold"),
    ("Exponential(scale=s)", "Exponential(scale=r)", "log(r/s) + s/r - 1", 0, "holds"),
])

def test_verify_decides_claims(q, p, claim, code, words, capsys):
    status, out, err = run(["verify", "--q", q, "--p", p, "--claim", claim], capsys)
    assert status == code and err == ""
    assert words in out


def test_a_gamma_claim_with_special_functions_is_decided(capsys):
    """The claim reader knows lgamma and digamma (issue 14): the Gamma KL as torch writes it holds."""
    status, out, err = run(["verify", "--q", "Gamma(a1, rate=b1)", "--p", "Gamma(a2, rate=b2)", "--claim",
                            "a2*log(b1/b2) + lgamma(a2) - lgamma(a1) + (a1 - a2)*digamma(a1) + a1*(b2 - b1)/b1"],
                           capsys)
    assert status == 0 and err == "" and out.startswith("holds: the claim equals KL(q || p)")
