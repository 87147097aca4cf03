"""Command-line options that the probe of issue 10 (item 9) and the quick start of issue 9 (item 12) tried."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import cli

ROOT = Path(__file__).resolve().parent.parent


def run(args, capsys):
    code = cli.run(args)
    out, err = capsys.readouterr()
    return code, out, err


def one_line(code: int, out: str, err: str) -> str:
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("kl-derive: error:") and "Traceback" not in err
    return err.strip()


@pytest.mark.parametrize(("value", "expected"), [
    ("9999999999999999999999", "kl-derive: error: the dimension (--dim) 9999999999999999999999 is above the limit "
                               "of 10000"),
    ("10001", "kl-derive: error: the dimension (--dim) 10001 is above the limit of 10000"),
    ("0", "kl-derive: error: the dimension (--dim) must be a positive integer, got '0'"),
    ("-99999999999999999999", "kl-derive: error: the dimension (--dim) must be a positive integer, "
                              "got '-99999999999999999999'"),
    ("1e3", "kl-derive: error: the dimension (--dim) must be a positive integer, got '1e3'"),
])
def test_dimension_messages(value, expected, capsys):
    assert one_line(*run(["derive", "diagonal", "--dim", value], capsys)) == expected


def test_a_huge_dimension_is_shortened(capsys):
    line = one_line(*run(["derive", "diagonal", "--dim", "9" * 5000], capsys))
    assert "above the limit of 10000" in line and "(5000 digits)" in line and len(line) < 200


def test_notation_given_twice(capsys):
    line = one_line(*run(["derive", "standard", "--notation", "mu=a", "--notation", "mu=b"], capsys))
    assert line == "kl-derive: error: notation mu is given twice (mu=a and mu=b): give it once"
    line = one_line(*run(["derive", "standard", "--notation", "log=ln", "--notation", "log=log"], capsys))
    assert "notation log is given twice" in line


@pytest.mark.parametrize(("q", "p"), [("Normal(mu, logvar=lv)", "Normal(0, 1)"),
                                      ("DiagNormal(m, s, dim=d)", "DiagNormal(0, 1, dim=d)")])
def test_custom_pairs_take_log_ln(q, p, capsys):
    code, out, err = run(["derive", "--q", q, "--p", p, "--notation", "log=ln", "-f", "latex"], capsys)
    assert code == 0, err
    assert r"\ln" in out and r"\log" not in out
    code, out, err = run(["derive", "--q", q, "--p", p, "--notation", "expectation=E", "-f", "markdown"], capsys)
    assert code == 0, err and r"\mathbb{E}" not in out


def test_custom_pairs_refuse_renaming_with_a_clear_message(capsys):
    line = one_line(*run(["derive", "--q", "Normal(mu, logvar=lv)", "--p", "Normal(0, 1)", "--notation", "mu=m"],
                         capsys))
    assert "takes its names from the specs" in line and "'mu'" in line


def test_a_notebook_of_a_custom_pair_rebuilds_it_with_its_notation(capsys):
    code, out, _ = run(["derive", "--q", "Normal(mu, logvar=lv)", "--p", "Normal(0, 1)", "--notation", "log=ln",
                        "-f", "ipynb"], capsys)
    assert code == 0 and "notation=parse_notation([" in out and "log=ln" in out


# -- issue 9, item 12: the quick start on a fresh machine -----------------------------------------------------------
def test_matplotlib_is_a_regular_dependency():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(d.startswith("matplotlib") for d in project["dependencies"])


_WITHOUT_MATPLOTLIB = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError("no matplotlib here")
sys.meta_path.insert(0, Block())
import cli
sys.exit(cli.run(sys.argv[1:]))
"""


def test_build_without_matplotlib_never_refers_to_missing_figures(tmp_path):
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-c", _WITHOUT_MATPLOTLIB, "build", "--out", str(out), "--cases",
                           "dynamics,univariate", "--formats", "markdown,latex,beamer"],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "kl-derive: failed: dynamics figures: the figures need matplotlib (a dependency of kl-derive), which is not "
        "installed: pip install matplotlib"]
    assert "--no-figures" not in done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["dynamics.md", "dynamics.slides.tex", "dynamics.tex", "index.md",
                                                    "univariate.md", "univariate.slides.tex", "univariate.tex"]
    assert ".png" not in (out / "dynamics.md").read_text()
    assert "includegraphics" not in (out / "dynamics.tex").read_text() + (out / "dynamics.slides.tex").read_text()


def test_derive_without_matplotlib_writes_nothing(tmp_path):
    done = subprocess.run([sys.executable, "-c", _WITHOUT_MATPLOTLIB, "derive", "dynamics", "-o",
                           str(tmp_path / "d.md")], capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "pip install matplotlib" in done.stderr and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("extra", "option"), [
    (["--q-params", "mu,logvar"], "--q-params"),
    (["--latent-dim", "0"], "--latent-dim"),
    (["--loss"], "--loss"),
])
def test_code_options_without_code_are_refused(extra, option, capsys):
    """An option that only a loss function reads is not silently ignored beside a formula."""
    args = ["verify", "--q", "Normal(m, s)", "--p", "Normal(0, 1)", "--claim", "log(1/s)", *extra]
    assert one_line(*run(args, capsys)) == (f"kl-derive: error: {option} applies to --code (a loss function), "
                                            "not to a formula")


@pytest.mark.parametrize("size", ["K", "3"])
def test_a_dirichlet_claim_is_refused_in_one_line(size, capsys):
    """verify stopped with a KeyError traceback on a Dirichlet pair (its vectors are not drawn at random points)."""
    args = ["verify", "--q", f"Dirichlet(a, {size})", "--p", f"Dirichlet(b, {size})", "--claim", "1"]
    assert one_line(*run(args, capsys)) == ("kl-derive: error: verify does not decide claims about Dirichlet pairs "
                                            "yet: derive the pair instead")
