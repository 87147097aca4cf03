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
import sympy
from conftest import _require_module as require
from hypothesis import given, settings
from hypothesis import strategies as st

from derivation import cli, derive
from derivation.interpret.families import FAMILY
from derivation.pairs.routes import ROUTES

FORMATS = {"markdown": ".md", "latex": ".tex", "latex-fragment": ".fragment.tex", "beamer": ".slides.tex",
           "ipynb": ".ipynb", "json": ".json", "text": ".txt", "python": ".py", "torch": "_torch.py"}


def _mp_sum(log_mass: Callable[[int, float], object], a: float, b: float, low: int, high: int):
    """``sum_k q(k) log(q(k) / p(k))`` over a finite support by mpmath's direct summation (``log_mass(k,
    parameter)``), 30 digits."""
    with mpmath.workdps(30):
        def term(k: int):
            log_q = log_mass(k, mpmath.mpf(a))
            return mpmath.exp(log_q) * (log_q - log_mass(k, mpmath.mpf(b)))
        return float(mpmath.fsum(term(k) for k in range(low, high + 1)))


def _bernoulli_log_mass(k: int, p):
    return mpmath.log(p if k == 1 else 1 - p)


def _series(family: str, a: float, b: float, count: int) -> float:
    """``sum_k q(k) log(q(k) / p(k))`` over k < count by SciPy's log-masses (``scipy.stats``; the tail beyond count
    is below 1e-15 of the sum for the parameters used here), summed exactly (``math.fsum``)."""
    stats, np = require("scipy.stats"), require("numpy")
    law = {"Poisson": lambda v: stats.poisson(v), "Geometric": lambda v: stats.geom(v, loc=-1)}[family]
    k = np.arange(count)
    log_q, log_p = law(a).logpmf(k), law(b).logpmf(k)
    return math.fsum(np.exp(log_q) * (log_q - log_p))


def _bernoulli_poisson(a: float, b: float) -> float:
    """KL(Bernoulli(a) || Poisson(b)): the two terms at k = 0 and 1, the Poisson log-mass k log b - b - log k!."""
    with mpmath.workdps(30):
        a_, b_ = mpmath.mpf(a), mpmath.mpf(b)
        log_q = [_bernoulli_log_mass(k, a_) for k in (0, 1)]
        return float(sum(mpmath.exp(log_q[k]) * (log_q[k] - (k * mpmath.log(b_) - b_)) for k in (0, 1)))


def _logits_log_mass(k: int, logit):
    return -mpmath.log1p(mpmath.exp(-logit if k == 1 else logit))  # log(1 / (1 + e^-l)) at 1, of 1 / (1 + e^l) at 0


def _binomial_log_mass(k: int, p):
    """log(C(7, k) p^k (1 - p)^(7 - k))."""
    return mpmath.log(mpmath.binomial(7, k)) + k * mpmath.log(p) + (7 - k) * mpmath.log(1 - p)


def _binomial_logits_log_mass(k: int, logit):
    """The binomial log-mass at the logistic function of a logit, each factor without cancellation."""
    return mpmath.log(mpmath.binomial(7, k)) - k * mpmath.log1p(mpmath.exp(-logit)) \
        - (7 - k) * mpmath.log1p(mpmath.exp(logit))


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
    torch_of_p: Callable | None = None  # p's torch distribution, when p is of another family
    parameter_p: st.SearchStrategy | None = None


FAMILIES = {
    "bernoulli": Family(
        "Bernoulli", ("Bernoulli(p1)", "Bernoulli(p2)"), ("Bernoulli(probs=a)", "Bernoulli(0.25)"), (0.7, 0.25),
        lambda dist, t: dist.Bernoulli(probs=t), lambda a, b: _mp_sum(_bernoulli_log_mass, a, b, 0, 1),
        st.floats(1e-9, 1 - 1e-9), (1e-12, 1e-6, 0.5, 1 - 1e-6, 1 - 1e-12),
        "KL divergence between two Bernoulli distributions"),
    "bernoulli-logits": Family(
        "Bernoulli", ("Bernoulli(logits=l1)", "Bernoulli(logits=l2)"), ("Bernoulli(logits=a)", "Bernoulli(logits=-1)"),
        (0.7, -1.0), lambda dist, t: dist.Bernoulli(logits=t), lambda a, b: _mp_sum(_logits_log_mass, a, b, 0, 1),
        st.floats(-30, 30), (-30.0, -5.0, 0.0, 5.0, 30.0), "KL divergence between two Bernoulli distributions"),
    "bernoulli-poisson": Family(
        "Bernoulli", ("Bernoulli(a)", "Poisson(b)"), ("Bernoulli(probs=a)", "Poisson(2)"), (0.3, 2.0),
        lambda dist, t: dist.Bernoulli(probs=t), _bernoulli_poisson, st.floats(1e-9, 1 - 1e-9),
        (1e-12, 1e-6, 0.5, 1 - 1e-6), "KL divergence of a Bernoulli distribution from a Poisson distribution",
        torch_of_p=lambda dist, t: dist.Poisson(t), parameter_p=st.floats(1e-3, 50.0)),
    "poisson": Family(
        "Poisson", ("Poisson(a)", "Poisson(b)"), ("Poisson(rate=a)", "Poisson(3)"), (2.0, 3.0),
        lambda dist, t: dist.Poisson(t), lambda a, b: _series("Poisson", a, b, int(a + 40 * math.sqrt(a) + 60)),
        st.floats(1e-3, 50.0), (1e-6, 1e-2, 1.0, 30.0, 200.0), "KL divergence between two Poisson distributions"),
    "geometric": Family(
        "Geometric", ("Geometric(a)", "Geometric(b)"), ("Geometric(probs=a)", "Geometric(0.5)"), (0.2, 0.5),
        lambda dist, t: dist.Geometric(probs=t), lambda a, b: _series("Geometric", a, b, int(40 / a) + 10),
        st.floats(1e-2, 1 - 1e-3), (1e-2, 0.1, 0.5, 0.9, 1 - 1e-6),
        "KL divergence between two geometric distributions"),
    "binomial": Family(
        "Binomial", ("Binomial(7, p1)", "Binomial(7, p2)"), ("Binomial(7, probs=a)", "Binomial(7, 0.25)"), (0.6, 0.25),
        lambda dist, t: dist.Binomial(7, probs=t), lambda a, b: _mp_sum(_binomial_log_mass, a, b, 0, 7),
        st.floats(1e-9, 1 - 1e-9), (1e-12, 1e-6, 0.5, 1 - 1e-6, 1 - 1e-12),
        "KL divergence between two binomial distributions"),
    "binomial-logits": Family(
        "Binomial", ("Binomial(7, logits=l1)", "Binomial(7, logits=l2)"),
        ("Binomial(7, logits=a)", "Binomial(7, logits=-1)"), (0.7, -1.0), lambda dist, t: dist.Binomial(7, logits=t),
        lambda a, b: _mp_sum(_binomial_logits_log_mass, a, b, 0, 7), st.floats(-8, 8), (-30.0, -5.0, 0.0, 5.0, 30.0),
        "KL divergence between two binomial distributions"),
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
    ("Poisson(-1)", "rate must be positive (got -1)"),
    ("Poisson(0)", "rate must be positive (got 0)"),
    ("Poisson(a, b)", "too many positional arguments for Poisson (it takes one: rate=)"),
    ("Poisson(scale=2)", "unknown keyword 'scale' for Poisson (it takes rate=)"),
    ("Geometric(1)", "probs must be a probability strictly between 0 and 1 (got 1)"),
    ("Geometric(1.2)", "probs must be a probability strictly between 0 and 1 (got 6/5)"),
])
def test_bad_specs_are_one_line_errors(q, message, capsys, tmp_path):
    target = tmp_path / "kl.md"
    p = q[:q.index("(")] + "(0.5)"
    code, out, err = run(["derive", "--q", q, "--p", p, "-o", str(target)], capsys)
    assert code == 2 and out == "" and not target.exists()
    assert err.startswith("kl-derive: error: q: ") and message in err and err.count("\n") == 1


@pytest.mark.parametrize(("q", "p"), [("Bernoulli(a)", "Normal(0, 1)"), ("Laplace(m, b)", "Bernoulli(a)"),
                                      ("Poisson(a)", "Geometric(b)")])
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
    p_of = family.torch_of_p or family.torch_of
    return float(dist.kl_divergence(family.torch_of(dist, torch.tensor(a, dtype=torch.float64)),
                                    p_of(dist, torch.tensor(b, dtype=torch.float64))))


def _agree(value: float, expected: float) -> bool:
    return math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize("key", FAMILIES)
def test_the_exports_equal_torch_and_the_oracle_at_random_points_and_edges(written, key):
    torch = require("torch")
    family = FAMILIES[key]
    numpy_kl, torch_kl = _load(written / f"{key}-symbols.py"), _load(written / f"{key}-symbols_torch.py")

    @settings(max_examples=30, deadline=None)
    @given(a=family.parameter, b=family.parameter if family.parameter_p is None else family.parameter_p)
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
        if family.torch_of_p is None:
            assert float(numpy_kl(a, a)) == pytest.approx(0, abs=1e-12)  # equal laws: no divergence


@pytest.mark.parametrize("key", FAMILIES)
def test_the_numbers_pair_computes_its_value(written, key):
    family = FAMILIES[key]
    numpy_kl = _load(written / f"{key}-numbers.py")
    value, constant = family.numbers_values
    assert _agree(float(numpy_kl(value)), _torch_kl(family, value, constant))


def test_list_shows_the_families_with_their_specs_and_the_pairs_derived(capsys):
    code, out, err = run(["list"], capsys)
    assert code == 0 and err == ""
    blocks = out.split("\n\n")
    cases = blocks[0]
    families = next(b for b in blocks if b.startswith("Families"))
    pairs = next(b for b in blocks if b.startswith("Pairs derived"))
    assert cases.startswith("Named cases (kl-derive derive CASE):\nunivariate  ")
    assert families.splitlines()[0] == "Families (specs for --q and --p):"
    rows = {line.split()[0]: line for line in families.splitlines()[1:]}
    assert list(rows) == list(FAMILY)
    assert rows["Normal"].split()[1] == "Normal(loc," and "logvar=" in rows["Normal"]
    assert "Bernoulli(probs) or Bernoulli(logits=...)" in rows["Bernoulli"]
    assert rows["Bernoulli"].endswith("probs in (0, 1); logits real")
    assert "Poisson(rate)" in rows["Poisson"] and rows["Poisson"].endswith("rate > 0")
    assert rows["Geometric"].split()[1:] == ["Geometric(probs)", "probs", "in", "(0,", "1)"]
    lines = pairs.splitlines()
    assert lines[0] == "Pairs derived, KL(q || p) (kl-derive derive --q Q --p P):"
    listed = [tuple(line.strip().split(" || ")) for line in lines[1:]]
    assert listed == [pair for pair, route in ROUTES.items() if route.__name__ != "_mixed"]
    assert {("Bernoulli", "Bernoulli"), ("Poisson", "Poisson"), ("Geometric", "Geometric"),
            ("Bernoulli", "Poisson")} <= set(listed)
    assert ("DiagNormal", "MvNormal") not in listed  # routed only to be refused


def test_the_logits_exports_are_stable_at_huge_logits(written):
    """log(1 + e^l) is computed as logaddexp(0, l) (softplus) and 1/(1 + e^-l) as exp(-logaddexp(0, -l)) (the
    logistic function), each rewrite checked: no overflow, not even a warning, at |l| = 800."""
    torch = require("torch")
    family = FAMILIES["bernoulli-logits"]
    for suffix in (".py", "_torch.py"):
        text = (written / f"bernoulli-logits-symbols{suffix}").read_text()
        assert "log(exp(l1) + 1) computed as logaddexp(0, l1) (checked equal)" in text
        assert "1/(1 + exp(-l1)) computed as exp(-logaddexp(0, -l1)) (checked equal)" in text
        assert "logaddexp(" in text.split('"""')[-1]  # in the body
    numpy_kl = _load(written / "bernoulli-logits-symbols.py")
    torch_kl = _load(written / "bernoulli-logits-symbols_torch.py")
    import numpy as np

    for a, b in ((-800.0, 790.0), (700.0, -750.0), (30.0, -700.0)):
        expected = family.oracle(a, b)
        assert math.isfinite(expected) and expected > 100
        with np.errstate(over="raise", invalid="raise", divide="raise"):  # an overflow would raise here
            assert math.isclose(float(numpy_kl(np.float64(a), np.float64(b))), expected, rel_tol=1e-12)
        value = torch_kl(torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64))
        assert math.isclose(float(value), expected, rel_tol=1e-12)


@pytest.mark.parametrize(("q", "p", "torch_pair"), [
    ("Poisson(a)", "Bernoulli(b)", lambda dist, a, b: (dist.Poisson(a), dist.Bernoulli(probs=b))),
    ("Geometric(a)", "Bernoulli(b)", None),  # torch registers no Geometric-Bernoulli pair
])
def test_a_support_mismatch_is_derived_infinite_by_the_support(q, p, torch_pair, tmp_path):
    derivation = derive(q=q, p=p)
    assert derivation.verified and derivation.result == sympy.oo
    step = derivation.steps[-1]
    assert step.rule == "support-mismatch" and derivation.checks[-1].detail.startswith("support: q(2) > 0 = p(2)")
    assert [(i.lhs.name, i.lhs.variable) for i in step.identities] == [("q", 2), ("p", 2)]
    assert step.identities[1].rhs == 0 and step.identities[0].rhs.free_symbols == {derivation.setting.parameters[0]}
    for fmt, suffix in FORMATS.items():
        assert cli.run(["derive", "--q", q, "--p", p, "-f", fmt, "-o", str(tmp_path / f"kl{suffix}")]) == 0
    assert (tmp_path / "kl.md").read_text().count("= \\infty") >= 1
    assert _load(tmp_path / "kl.py")(0.7, 0.4) == math.inf
    if torch_pair is not None:
        torch = require("torch")
        for a, b in ((0.3, 0.5), (1e-6, 1 - 1e-9), (40.0, 1e-9)):
            tensors = (torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64))
            assert float(torch.distributions.kl_divergence(*torch_pair(torch.distributions, *tensors))) == math.inf


def test_an_infinite_line_without_a_support_mismatch_is_rejected():
    """The support check refuses +oo where p has mass wherever q has (Bernoulli against Poisson)."""
    variant_setting = derive(q="Bernoulli(a)", p="Poisson(b)").setting
    before = derive(q="Bernoulli(a)", p="Poisson(b)").steps[0].expr
    verdict = variant_setting.checker().check(0, before, sympy.oo)
    assert not verdict.ok and "no value outside the support" in verdict.detail


@pytest.mark.parametrize(("claim", "code", "words"), [
    ("a*log(a/b) - a + b", 0, "holds"),
    (r"a \log\frac{a}{b} - a + b", 0, "holds"),
    ("a*torch.log(a/b) - a + b", 0, "holds"),
    ("b*log(b/a) - b + a", 1, "the direction is reversed"),
    ("a*log(a/b) - a", 1, "does not hold"),
])
def test_verify_decides_claims_about_a_poisson_pair(claim, code, words, capsys):
    status, out, err = run(["verify", "--q", "Poisson(a)", "--p", "Poisson(b)", "--claim", claim], capsys)
    assert status == code and err == "" and words in out


@pytest.mark.parametrize(("q", "p", "why"), [
    ("Poisson(a)", "Bernoulli(b)", "its divergence is infinite by the supports"),
])
def test_verify_refuses_in_one_line_what_it_cannot_decide(q, p, why, capsys):
    status, out, err = run(["verify", "--q", q, "--p", p, "--claim", "a + b"], capsys)
    assert status == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("kl-derive: error: claims about ") and why in err and "derive the pair instead" in err
