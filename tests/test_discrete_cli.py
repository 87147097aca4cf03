"""Discrete families through the same door as a Gaussian pair: specs on the command line, the chain checked, every
format written (the PDFs compile without overfull boxes, the exported code computes the result), the result equal to
``torch.distributions.kl_divergence`` and to an independent oracle (SciPy's ``rel_entr`` summed over the support, or
mpmath's direct summation) at random points and edges, bad specs refused in one line."""

from __future__ import annotations

import json
import math
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import mpmath
import nbformat
import pytest
from conftest import _require_module as require
from hypothesis import given, settings
from hypothesis import strategies as st

from derivation import cli, derive

FORMATS = {"markdown": ".md", "latex": ".tex", "latex-fragment": ".fragment.tex", "beamer": ".slides.tex",
           "ipynb": ".ipynb", "json": ".json", "text": ".txt", "python": ".py", "torch": "_torch.py"}


def _mp_sum(log_mass: Callable[[int, float], object], a: float, b: float, low: int, high=mpmath.inf):
    """``sum_k q(k) log(q(k) / p(k))`` by mpmath's direct summation (``log_mass(k, parameter)``), 30 digits."""
    with mpmath.workdps(30):
        def term(k):
            log_q = log_mass(int(k), mpmath.mpf(a))
            return mpmath.exp(log_q) * (log_q - log_mass(int(k), mpmath.mpf(b)))
        return float(mpmath.nsum(term, [low, high]))


def _bernoulli_log_mass(k: int, p):
    return mpmath.log(p if k == 1 else 1 - p)


@dataclass(frozen=True)
class Family:
    """A family's two spec pairs (symbols; numbers), how torch builds it, its oracle and its random parameters."""

    name: str
    symbols: tuple[str, str]
    numbers: tuple[str, str]
    numbers_values: tuple[float, float]  # a value of q's symbol in the numbers pair, and p's number
    torch_of: Callable  # (distributions, tensor) -> a distribution
    oracle: Callable[[float, float], float]
    parameter: st.SearchStrategy
    edges: tuple[float, ...]
    title: str


FAMILIES = {
    "bernoulli": Family(
        "Bernoulli", ("Bernoulli(p1)", "Bernoulli(p2)"), ("Bernoulli(probs=a)", "Bernoulli(0.25)"), (0.7, 0.25),
        lambda dist, t: dist.Bernoulli(probs=t), lambda a, b: _mp_sum(_bernoulli_log_mass, a, b, 0, 1),
        st.floats(1e-9, 1 - 1e-9), (1e-12, 1e-6, 0.5, 1 - 1e-6, 1 - 1e-12),
        "KL divergence between two Bernoulli distributions"),
}


def run(args, capsys):
    code = cli.run(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("q", "message"), [
    ("Bernoulli(1.5)", "probs must be a probability strictly between 0 and 1 (got 3/2)"),
    ("Bernoulli(0)", "probs must be a probability strictly between 0 and 1 (got 0)"),
    ("Bernoulli(1)", "probs must be a probability strictly between 0 and 1 (got 1)"),
    ("Bernoulli(-0.2)", "probs must be a probability strictly between 0 and 1 (got -1/5)"),
    ("Bernoulli(p, r)", "too many positional arguments for Bernoulli"),
    ("Bernoulli(rate=2)", "unknown keyword 'rate' for Bernoulli (it takes probs= or logits=)"),
    ("Bernoulli()", "Bernoulli needs its parameter: probs= or logits="),
    ("Bernoulli(0.3, logits=l)", "two parameterisations given (probs and logits)"),
])
def test_bad_specs_are_one_line_errors(q, message, capsys, tmp_path):
    target = tmp_path / "kl.md"
    code, out, err = run(["derive", "--q", q, "--p", "Bernoulli(0.5)", "-o", str(target)], capsys)
    assert code == 2 and out == "" and not target.exists()
    assert err.startswith("kl-derive: error: q: ") and message in err and err.count("\n") == 1


@pytest.mark.parametrize(("q", "p"), [("Bernoulli(a)", "Normal(0, 1)"), ("Laplace(m, b)", "Bernoulli(a)")])
def test_a_pair_of_two_families_without_a_route_is_refused(q, p, capsys):
    code, out, err = run(["derive", "--q", q, "--p", p], capsys)
    assert code == 2 and out == "" and "is not supported" in err and err.count("\n") == 1


@pytest.mark.parametrize("key", FAMILIES)
def test_the_chain_is_checked(key):
    family = FAMILIES[key]
    derivation = derive(q=family.symbols[0], p=family.symbols[1])
    assert derivation.verified and all(check.ok for check in derivation.checks)
    assert derivation.steps[0].rule == "kl-definition"


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("discrete")
    for key, family in FAMILIES.items():
        for pair in ("symbols", "numbers"):
            q, p = getattr(family, pair)
            for fmt, suffix in FORMATS.items():
                assert cli.run(["derive", "--q", q, "--p", p, "-f", fmt, "-o", str(out / f"{key}-{pair}{suffix}")]) == 0
    return out


@pytest.mark.parametrize("key", FAMILIES)
@pytest.mark.parametrize("pair", ["symbols", "numbers"])
def test_every_format_is_written(written, key, pair):
    stem, title = f"{key}-{pair}", FAMILIES[key].title
    assert (written / f"{stem}.md").read_text().startswith(f"# {title}")
    nbformat.validate(nbformat.reads((written / f"{stem}.ipynb").read_text(), as_version=4))
    document = json.loads((written / f"{stem}.json").read_text())
    assert document["checks"]["all_passed"] is True and document["title"] == title
    assert (written / f"{stem}.txt").read_text().startswith(title)


@pytest.mark.parametrize("key", FAMILIES)
def test_the_pdfs_compile_without_overfull_boxes(written, key, require_tool):
    tool = require_tool("pdflatex")
    for document in (f"{key}-symbols.tex", f"{key}-symbols.slides.tex", f"{key}-numbers.tex"):
        for _ in range(2):
            done = subprocess.run([tool, "-interaction=nonstopmode", "-halt-on-error", document], cwd=written,
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stdout[-3000:]
        log = (written / Path(document).with_suffix(".log")).read_text(errors="replace")
        assert "Overfull \\hbox" not in log, [line for line in log.splitlines() if "Overfull" in line]


def _load(path: Path) -> Callable:
    namespace: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # our own generated code, in a test
    return namespace["kl_divergence"]


def _torch_kl(family: Family, a: float, b: float) -> float:
    torch = require("torch")
    dist = torch.distributions
    return float(dist.kl_divergence(family.torch_of(dist, torch.tensor(a, dtype=torch.float64)),
                                    family.torch_of(dist, torch.tensor(b, dtype=torch.float64))))


def _agree(value: float, expected: float) -> bool:
    return math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize("key", FAMILIES)
def test_the_exports_equal_torch_and_the_oracle_at_random_points_and_edges(written, key):
    torch = require("torch")
    family = FAMILIES[key]
    numpy_kl, torch_kl = _load(written / f"{key}-symbols.py"), _load(written / f"{key}-symbols_torch.py")

    @settings(max_examples=30, deadline=None)
    @given(a=family.parameter, b=family.parameter)
    def agree(a, b):
        expected = _torch_kl(family, a, b)
        assert _agree(family.oracle(a, b), expected)
        assert _agree(float(numpy_kl(a, b)), expected)
        assert _agree(float(torch_kl(torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64))),
                      expected)

    agree()
    for a in family.edges:
        for b in family.edges:
            expected = family.oracle(a, b)
            assert math.isclose(float(numpy_kl(a, b)), expected, rel_tol=1e-6, abs_tol=1e-9), (a, b)
        assert float(numpy_kl(a, a)) == pytest.approx(0, abs=1e-12)  # equal laws: no divergence


@pytest.mark.parametrize("key", FAMILIES)
def test_the_numbers_pair_computes_its_value(written, key):
    family = FAMILIES[key]
    numpy_kl = _load(written / f"{key}-numbers.py")
    value, constant = family.numbers_values
    assert _agree(float(numpy_kl(value)), _torch_kl(family, value, constant))
