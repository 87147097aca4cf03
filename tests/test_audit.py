"""``kl-derive audit`` (issue 12): closed forms against the KL integral by quadrature; historic bugs flagged.

The audit's runtime (all pairs at the default 100 points, <= 60 s) is measured by ``bench/run.py audit``, not here.
"""

from __future__ import annotations

import builtins
import json
import math
from dataclasses import replace

import mpmath
import pytest
from conftest import _require_module as require
from hypothesis import given, settings
from hypothesis import strategies as st

import cli
from derivation import audit as audit_module
from derivation.audit import FIXTURES, PAIRS, SCALE, audit, markdown
from derivation.cases.cross import MOMENT_PAIRS
from derivation.laws import kl_reference as ref
from derivation.pairs.routes import ROUTES


def run(args, capsys):
    code = cli.run(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def report():
    return audit(samples=16, seed=3)


def _fixture(name_start):
    return next(f for f in FIXTURES if f.name.startswith(name_start))


# -- the reference ---------------------------------------------------------------------------------------------

def _normal_closed(m1, s1, m2, s2):
    m1, s1, m2, s2 = map(mpmath.mpf, (m1, s1, m2, s2))
    return mpmath.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - mpmath.mpf(1) / 2


def _laplace_closed(m1, b1, m2, b2):
    m1, b1, m2, b2 = map(mpmath.mpf, (m1, b1, m2, b2))
    gap = abs(m1 - m2)
    return mpmath.log(b2 / b1) + gap / b2 + b1 / b2 * mpmath.exp(-gap / b1) - 1


locations = st.floats(-50, 50)
scales = st.floats(1e-3, 1e3)


@settings(max_examples=25, deadline=None)
@given(locations, scales, locations, scales)
def test_reference_quadrature_matches_the_textbook_closed_forms_to_25_digits(m1, s1, m2, s2):
    with mpmath.workdps(30):
        for density, closed in ((ref.normal, _normal_closed), (ref.laplace, _laplace_closed)):
            value = ref.kl_quadrature(density(m1, s1), density(m2, s2))
            exact = closed(m1, s1, m2, s2)
            assert abs(value - exact) <= mpmath.mpf(10) ** -25 * max(abs(exact), 1)


def test_reference_at_the_edges_of_scale():
    with mpmath.workdps(30):
        for args in ((1, 1e-6, 2, 1e6), (1, 1e6, 2, 1e-6), (1e3, 1e-3, -1e3, 1e-3)):
            exact = _normal_closed(*args)
            value = ref.kl_quadrature(ref.normal(*args[:2]), ref.normal(*args[2:]))
            assert abs(value - exact) <= mpmath.mpf(10) ** -25 * abs(exact)
        assert ref.kl_quadrature(ref.normal(0.3, 2), ref.normal(0.3, 2)) == 0


def test_the_audit_computes_the_reference_at_30_digits_throughout():
    """The densities' constants (log rate, 1 / rate) at the working precision too: at mpmath's default 15 digits
    they limited the Exponential reference to 1.4e-16 here; now it is the closed form to 25 digits."""
    def exponential(r1, r2):
        return mpmath.log(r1 / r2) + r2 / r1 - 1

    def pareto(m1, a1, m2, a2):
        return a2 * mpmath.log(m1 / m2) + mpmath.log(a1 / a2) + a2 / a1 - 1

    for name, point, closed in (("Exponential (rate)", {"x1": 15.443284879938131, "x2": 49.17363155174878},
                                 exponential),
                                ("Pareto", {"m1": 2.6821375332802435, "a1": 100.0, "m2": 0.04404979216654293,
                                            "a2": 1.1542469624598175}, pareto)):
        pair = next(p for p in PAIRS if p.name == name)
        value = audit_module._reference(pair.reference, point)
        with mpmath.workdps(40):
            exact = closed(*map(mpmath.mpf, point.values()))
        assert abs(value - exact) < mpmath.mpf(10) ** -25 * abs(exact), name


def test_a_gumbel_reference_with_its_peak_known_equals_the_one_with_every_panel():
    """A Gumbel q's left-tail unit panels start 6 units left of the integrand's peak -log(1 + r) when r is known
    (the audit's Gumbel pairs): the value is the one with every unit panel from -45, to 25 digits, at r from 1e-12
    to 1e12 and against a Gaussian (r = 0)."""
    with mpmath.workdps(30):
        for m1, b1, m2, b2 in ((1e3, 1e-6, -1e3, 1e6), (-1e3, 1e6, 1e3, 1e-6), (0.3, 2.0, -1.0, 0.5),
                               (1.0, 1.0, 1.0, 1.0), (2.0, 30.0, -4.0, 0.02)):
            growth = mpmath.mpf(b1) / b2
            for p in (ref.gumbel(m2, b2), ref.normal(m2, b2)):
                full = ref.kl_quadrature(ref.gumbel(m1, b1), p)
                known = ref.kl_quadrature(ref.gumbel(m1, b1, growth=growth if p.family == "Gumbel" else 0), p)
                assert abs(known - full) <= mpmath.mpf(10) ** -25 * max(abs(full), 1), (m1, b1, m2, b2, p.family)


def test_beta_reference_in_the_log_odds_matches_the_closed_form_to_20_digits():
    """logit_beta's log-density with one logarithm for both factors (-(a + b) log(1 + e^-u) - b u), q's and p's
    sharing it at each node: the Beta closed form (digammas) at the audit's edges of the concentrations."""
    def closed(a1, b1, a2, b2):
        return (mpmath.log(mpmath.beta(a2, b2)) - mpmath.log(mpmath.beta(a1, b1)) + (a1 - a2) * mpmath.digamma(a1)
                + (b1 - b2) * mpmath.digamma(b1) + (a2 - a1 + b2 - b1) * mpmath.digamma(a1 + b1))

    with mpmath.workdps(30):
        for point in ((0.1, 50.0, 50.0, 0.1), (1.6, 50.0, 0.104, 3.8), (0.125, 13.9, 0.34, 0.186), (2, 3, 2, 3)):
            a1, b1, a2, b2 = map(mpmath.mpf, point)
            value = ref.kl_quadrature(ref.logit_beta(a1, b1), ref.logit_beta(a2, b2))
            assert abs(value - closed(a1, b1, a2, b2)) <= mpmath.mpf(10) ** -20 * max(abs(value), 1), point


def test_full_covariance_reference_by_whitening_matches_the_closed_form():
    s1 = [[2, 0.3], [0.3, 1]]
    s2 = [[1, -0.2], [-0.2, 3]]
    m1, m2 = [1, 2], [-0.5, 0.25]
    with mpmath.workdps(40):
        a, b = mpmath.matrix(s1), mpmath.matrix(s2)
        gap = mpmath.matrix(m2) - mpmath.matrix(m1)
        exact = (mpmath.log(mpmath.det(b) / mpmath.det(a)) + (gap.T * b**-1 * gap)[0]
                 + sum((b**-1 * a)[i, i] for i in range(2)) - 2) / 2
    assert abs(ref.mv_normal_kl(m1, s1, m2, s2) - exact) < 1e-25


def test_support_mismatch_is_infinite():
    assert ref.kl_quadrature(ref.normal(0, 1), ref.uniform(0, 1)) == mpmath.inf


# -- the fixtures: the historic bugs, with their correct values ------------------------------------------------

def test_normal_laplace_fixture_correct_value_and_old_value():
    fixture = _fixture("Normal-Laplace")
    correct = fixture.reference({k: mpmath.mpf(v) for k, v in fixture.point.items()})
    assert round(float(correct), 4) == 0.5507
    assert round(fixture.formula(**fixture.point), 4) == 0.3663 == fixture.reported


def test_gumbel_normal_fixture_correct_value_and_old_value():
    fixture = _fixture("Gumbel-Normal")
    correct = fixture.reference({k: mpmath.mpf(v) for k, v in fixture.point.items()})
    assert round(float(correct), 4) == 0.5514
    assert round(fixture.formula(**fixture.point), 4) == 0.4767 == fixture.reported


def test_uniform_beta_fixture_is_zero_where_the_old_formula_is_nan():
    fixture = _fixture("Uniform-Beta")
    assert fixture.reference({k: mpmath.mpf(v) for k, v in fixture.point.items()}) == 0
    assert math.isnan(fixture.formula(**fixture.point))


def test_every_fixture_is_flagged_at_its_reported_point(report):
    assert len(report.fixtures) == len(FIXTURES) == 3
    for row, fixture in zip(report.fixtures, FIXTURES, strict=True):
        assert row.pair == fixture.name and row.candidate == fixture.source
        assert not row.ok and row.agreed < row.samples
        assert row.worst_error > 0.1
    normal_laplace, gumbel_normal, uniform_beta = report.fixtures
    assert uniform_beta.nonfinite >= 1 and uniform_beta.worst_error == math.inf
    assert uniform_beta.worst_point == {"low": 0.0, "high": 1.0, "a": 1.0, "b": 1.0}
    assert normal_laplace.nonfinite == gumbel_normal.nonfinite == 0


def test_a_fixture_that_is_not_flagged_fails_the_audit():
    fixture = _fixture("Normal-Laplace")

    def fixed(m1, s1, m2, b2):  # torch's corrected formula
        gap = m1 - m2
        return (-math.log(s1 / b2) + (math.sqrt(2 / math.pi) * s1 * math.exp(-0.5 * (gap / s1) ** 2)
                                      + gap * math.erf(gap / (s1 * math.sqrt(2)))) / b2
                - 0.5 * (1 + math.log(0.5 * math.pi)))

    result = audit(samples=6, pairs=(), fixtures=(replace(fixture, formula=fixed),))
    assert result.fixtures[0].ok and result.unflagged and result.exit_code == 1
    assert "was not flagged" in markdown(result)


# -- the real pairs ---------------------------------------------------------------------------------------------

def test_every_derived_pair_and_torch_agree(report):
    assert report.ok and report.exit_code == 0
    assert report.torch_version is not None
    audited = {row.pair for row in report.rows}
    skipped = {name for name, _ in report.skipped}
    assert audited | skipped == {pair.name for pair in PAIRS} and not audited & skipped
    assert {"Normal (scale)", "Normal (log-variance)", "DiagNormal (scale), d = 2", "MvNormal, d = 3"} <= audited
    with_scipy = {pair.name for pair in PAIRS if pair.scipy is not None}
    for pair in audited:
        assert [r.candidate for r in report.rows if r.pair == pair] == ["kl-derive", "torch"] + \
            (["scipy"] if pair in with_scipy else [])
    # the cross pairs' reference for a Beta q is a quadrature in its log-odds with the other law pulled back: at a
    # concentration of 0.01 it is good to about 1e-10 (the closed form at 30 digits differs from it by 6e-11 there)
    cross = {f"{q}-{p}" for q, p in MOMENT_PAIRS}
    for row in report.rows:
        assert row.samples == row.agreed == 16 and row.nonfinite == 0
        assert row.worst_error < (1e-9 if row.pair in cross else 1e-12), row.pair


@pytest.mark.parametrize("family", ["Laplace", "Bernoulli", "Poisson", "Geometric"])
def test_a_family_is_audited_exactly_when_it_is_derived(report, family):
    audited = {row.pair for row in report.rows}
    assert (family in audited) == ((family, family) in ROUTES)


def test_bernoulli_reference_and_torch_agree_at_probabilities_near_0_and_1():
    torch = require("torch")
    pair = next(p for p in PAIRS if p.name == "Bernoulli")
    points = audit_module._points(pair.q_parameters, pair.p_parameters, 40, audit_module.np.random.default_rng(1),
                                  equal=True)
    assert {1e-12, 1 - 1e-12} <= {point["p1"] for point in points}
    references = [pair.reference({k: audit_module._mp(v) for k, v in point.items()}) for point in points]
    row = audit_module.compare(audit_module.Row(pair.name, pair.q, pair.p, "torch"),
                               audit_module._torch_values(torch, pair, points), references, points, 1e-9)
    assert row.ok, row


def test_scipy_is_audited_where_it_has_the_quantity(monkeypatch):
    require("scipy")
    pair = next(p for p in PAIRS if p.name == "Bernoulli")

    def bernoulli(p1, p2):  # the textbook form, standing in for the derivation until a Bernoulli spec is derived
        np = audit_module.np
        return p1 * np.log(p1 / p2) + (1 - p1) * np.log((1 - p1) / (1 - p2))

    derived = audit_module._derived
    monkeypatch.setattr(audit_module, "_derived", lambda pair: bernoulli if pair.name == "Bernoulli" else derived(pair))
    result = audit(samples=12, pairs=(pair, PAIRS[0]), fixtures=())
    assert [(r.pair, r.candidate) for r in result.rows][:3] == [("Bernoulli", "kl-derive"), ("Bernoulli", "torch"),
                                                                ("Bernoulli", "scipy")]
    assert result.ok and result.scipy_pairs == 1 and result.scipy_version
    assert f"SciPy {result.scipy_version}: scipy.special.rel_entr is audited too" in markdown(result)
    monkeypatch.setattr(audit_module, "_scipy_version", lambda: None)
    result = audit(samples=2, pairs=(pair,), fixtures=())
    assert "scipy" not in [r.candidate for r in result.rows]
    assert "SciPy is not installed: the discrete pairs were not compared with it." in markdown(result)


def test_no_scipy_line_for_continuous_pairs(report):
    assert report.scipy_version is None or report.scipy_pairs
    if not report.scipy_pairs:
        assert "SciPy has no KL of the continuous pairs audited here: not compared." in markdown(report)


def test_a_wrong_derived_closed_form_is_flagged(monkeypatch):
    def wrong(m1, x1, m2, x2):  # the -1/2 dropped
        return audit_module.np.log(x2 / x1) + (x1**2 + (m1 - m2) ** 2) / (2 * x2**2)

    monkeypatch.setattr(audit_module, "_derived", lambda pair: wrong)
    result = audit(samples=5, pairs=PAIRS[:1], fixtures=())
    derived = next(r for r in result.rows if r.candidate == "kl-derive")
    assert derived.agreed < derived.samples and derived.worst_error == pytest.approx(0.5) and result.exit_code == 1
    assert next(r for r in result.rows if r.candidate == "torch").ok


def test_finite_reference():
    assert ref.kl_finite([0.3, 0.7], [0.6, 0.4]) == pytest.approx(0.3 * math.log(0.5) + 0.7 * math.log(1.75), 1e-15)
    assert float(ref.kl_finite([0, 1], [0.5, 0.5])) == pytest.approx(math.log(2), 1e-15)
    assert ref.kl_finite([0.5, 0.5], [0, 1]) == mpmath.inf


def test_edges_come_first():
    rng = audit_module.np.random.default_rng(0)
    pair = PAIRS[0]
    points = audit_module._points(pair.q_parameters, pair.p_parameters, 20, rng, equal=True)
    assert points[0]["m1"] == points[0]["m2"] and points[0]["x1"] == points[0]["x2"]  # equal distributions
    scales = [point["x1"] for point in points] + [point["x2"] for point in points]
    assert 1e-6 in scales and 1e6 in scales
    assert {"m1": 1e3}.items() <= points[1].items()
    assert SCALE.edges[0](rng, ()) == 1e-6


#: Every pair the audit covered when its speed was worked on (issue 12's 60 s bar): a faster audit must not come
#: from auditing fewer pairs or fewer points. A pair added later only adds to this.
AUDITED_PAIRS = (
    "Normal (scale)", "Normal (variance)", "Normal (log-variance)", "DiagNormal (scale), d = 2",
    "DiagNormal (log-variance), d = 3", "MvNormal, d = 2", "MvNormal, d = 3", "Laplace", "Exponential (rate)",
    "Exponential (scale)", "Gamma (rate)", "Gamma (scale)", "Bernoulli", "Bernoulli (logits)", "Poisson", "Geometric",
    "Bernoulli-Poisson", "Poisson-Bernoulli", "HalfNormal", "Uniform", "Pareto", "Beta", "Normal-Laplace",
    "Laplace-Normal", "Exponential-Gamma", "Gamma-Exponential", "Gumbel", "Gumbel-Normal", "Normal-Gumbel",
    "Exponential-Normal", "Uniform-Normal", "Binomial (probs), n = 7", "Categorical (probs), K = 5",
    "Categorical (logits), K = 5", "Dirichlet, K = 3", "Normal-Uniform (infinite)", "Normal-Pareto (infinite)",
    "Normal-Beta (infinite)", "Laplace-Uniform (infinite)", "Laplace-Pareto (infinite)", "Laplace-Beta (infinite)",
    "Exponential-Pareto (infinite)", "Exponential-Beta (infinite)", "Gamma-Pareto (infinite)", "Gamma-Beta (infinite)",
    "Pareto-Beta (infinite)", "Beta-Pareto (infinite)", "Exponential-Uniform (infinite)", "Gamma-Uniform (infinite)",
    "Gumbel-Beta (infinite)", "Gumbel-Exponential (infinite)", "Gumbel-Gamma (infinite)", "Gumbel-Pareto (infinite)",
    "Gumbel-Uniform (infinite)", "Laplace-Exponential (infinite)", "Laplace-Gamma (infinite)",
    "Normal-Exponential (infinite)", "Normal-Gamma (infinite)", "Gamma-Normal", "Beta-Normal", "Beta-Exponential",
    "Beta-Gamma", "Uniform-Exponential", "Uniform-Gamma", "Beta-Uniform", "Uniform-Pareto", "Exponential-Gumbel",
    "Gamma-Gumbel", "Uniform-Gumbel", "Uniform-Beta")


def test_the_default_audit_loses_no_pair_and_no_point():
    """The default run's plan (no quadrature here): every pair above, 100 points each with its edges first (16 for
    the cross pairs whose reference is a quadrature in the logarithm or log-odds), the fixtures at 24 points, the
    tolerance 1e-6 against a 30-digit reference."""
    assert (audit_module.SAMPLES, audit_module.FIXTURE_SAMPLES, audit_module.TOLERANCE) == (100, 24, 1e-6)
    assert ref.DIGITS == 30 and audit_module.CROSS_SAMPLES >= 16
    rng = audit_module.np.random.default_rng(0)
    work = audit_module._plan(audit_module.SAMPLES, rng, PAIRS)
    names = [pair.name for pair, _ in work]
    assert names == [pair.name for pair in PAIRS] and len(set(names)) == len(names)
    assert set(AUDITED_PAIRS) <= set(names)
    for pair, points in work:
        assert len(points) == (100 if pair.most is None else pair.most) >= 16, pair.name
        # every edge scenario among the points: q = p, each parameter at each edge, q's first edges against p's last
        scenarios = 1 + sum(len(a.kind.edges) for a in (*pair.q_parameters, *pair.p_parameters)) + 2
        assert len(points) >= scenarios, pair.name
    assert sum(len(points) for _, points in work) >= 6412
    assert len(FIXTURES) == 3


@settings(max_examples=6, deadline=None)
@given(st.integers(0, 2**32))
def test_any_seed_agrees(seed):
    result = audit(samples=3, seed=seed, pairs=PAIRS[:3] + PAIRS[5:6], fixtures=())
    assert result.ok, markdown(result)


def test_a_disagreement_is_reported_with_its_worst_point():
    result = audit(samples=5, seed=0, tolerance=1e-30, pairs=PAIRS[:1], fixtures=())
    assert not result.ok and result.exit_code == 1
    row = result.disagreements[0]
    assert row.worst_error > 0 and set(row.worst_point) == {"m1", "x1", "m2", "x2"}
    assert "Disagreement: kl-derive disagrees on Normal (scale)" in markdown(result)


def test_error_measure():
    assert audit_module.error(2.0, mpmath.mpf(2)) == 0
    assert audit_module.error(0.5, mpmath.mpf("0.25")) == 0.25  # absolute below 1
    assert audit_module.error(30.0, mpmath.mpf(20)) == 0.5  # relative above
    assert audit_module.error(math.nan, mpmath.mpf(0)) == math.inf
    assert audit_module.error(math.inf, mpmath.inf) == 0
    assert audit_module.error(1.0, mpmath.inf) == math.inf


# -- without torch ----------------------------------------------------------------------------------------------

def test_without_torch_the_audit_says_so_in_one_line(monkeypatch):
    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("No module named 'torch'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    result = audit(samples=2, pairs=PAIRS[:2], fixtures=FIXTURES[:1])
    assert result.torch_version is None and result.ok
    assert [r.candidate for r in result.rows] == ["kl-derive", "kl-derive"]
    text = markdown(result)
    assert [line for line in text.splitlines() if "torch" in line.lower() and "installed" in line] == [
        "torch is not installed: only kl-derive's closed forms were audited."]
    assert json.loads(audit_module.as_json(result))["torch"] is None


# -- the report's formats ---------------------------------------------------------------------------------------

def test_json_schema(report):
    data = json.loads(audit_module.as_json(report))
    assert set(data) == {"tolerance", "samples", "seed", "error", "reference", "torch", "scipy", "pairs",
                         "fixtures", "skipped", "ok"}
    assert data["ok"] is True and data["samples"] == 16 and data["seed"] == 3 and data["tolerance"] == 1e-6
    row_keys = {"pair", "q", "p", "candidate", "samples", "agreed", "nonfinite_disagreements",
                "worst_relative_error", "worst_point", "worst_value", "worst_reference"}
    for row in data["pairs"]:
        assert set(row) == row_keys
        assert isinstance(row["worst_relative_error"], float)
    mv = next(r for r in data["pairs"] if r["pair"] == "MvNormal, d = 2")
    assert len(mv["worst_point"]["S1"]) == 2 and len(mv["worst_point"]["S1"][0]) == 2
    for row in data["fixtures"]:
        assert set(row) == row_keys | {"flagged"} and row["flagged"] is True
    assert data["fixtures"][2]["worst_relative_error"] == "inf" and data["fixtures"][2]["worst_value"] == "nan"
    for skipped in data["skipped"]:
        assert set(skipped) == {"pair", "reason"}


def test_markdown_tables(report):
    text = markdown(report)
    assert "| pair | q | p | closed form | samples | agreed | NaN/inf | worst error | worst at |" in text
    assert text.count("| yes |") == 3
    assert "| Normal (scale) | `Normal(m1, x1)` | `Normal(m2, x2)` | torch | 16 | 16 | 0 |" in text
    assert text.rstrip().endswith("every fixture is flagged.")


# -- the command --------------------------------------------------------------------------------------------------

def test_cli_writes_the_report_and_exits_0(tmp_path, capsys):
    target = tmp_path / "audit.json"
    code, out, err = run(["audit", "--samples", "2", "--seed", "5", "-f", "json", "-o", str(target)], capsys)
    assert code == 0 and out == "" and err == ""
    data = json.loads(target.read_text())
    assert data["ok"] is True and data["samples"] == 2 and data["seed"] == 5


def test_cli_exits_1_on_a_disagreement(capsys):
    code, out, _ = run(["audit", "--samples", "2", "--tolerance", "1e-30"], capsys)
    assert code == 1 and "Disagreement:" in out


@pytest.mark.parametrize("args", [["--samples", "0"], ["--samples", "x"], ["--tolerance", "0"],
                                  ["--tolerance", "nan"], ["--seed", "-1"], ["--format", "xml"]])
def test_cli_bad_input_is_one_line_and_exit_2(args, tmp_path, capsys):
    target = tmp_path / "kept.md"
    target.write_text("kept")
    code, out, err = run(["audit", *args, "-o", str(target)], capsys)
    assert code == 2 and out == ""
    assert err.startswith("kl-derive: error: ") and err.count("\n") == 1
    assert target.read_text() == "kept"


def test_cli_unwritable_output_fails_before_auditing(tmp_path, capsys):
    code, _, err = run(["audit", "-o", str(tmp_path)], capsys)
    assert code == 2 and err == f"kl-derive: error: cannot write {tmp_path}: it is a directory\n"


def test_a_quadrature_node_rounded_onto_an_end_adds_nothing():
    """Uniform(0.158, 1) against Beta: a tanh-sinh node rounded just past x = 1 made log(1 - x) complex (the audit
    failed with a TypeError on an mpc); the reference is real and equals torch's value."""
    from derivation.laws import kl_reference as ref

    value = ref.kl_quadrature(ref.uniform(0.15832925261885697, 1.0), ref.beta(0.8120115167896826, 3.471682502360102))
    assert not isinstance(value, mpmath.mpc) and abs(float(value) - 2.09853232937552) < 1e-12


def test_an_overflow_in_a_closed_form_is_reported_not_warned(monkeypatch):
    """The Gumbel closed form overflows to inf at its huge-scale edges: the audit compares that value (and reports
    it if it disagrees); NumPy's RuntimeWarning must not reach the user's terminal from the workers."""
    import warnings

    import numpy as np

    gumbel = next(pair for pair in PAIRS if pair.name == "Gumbel")
    work = audit_module._plan(100, np.random.default_rng(0), [gumbel])
    monkeypatch.setattr(audit_module, "_WORK", work)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        skipped, values, references = audit_module._computed(0)
    assert skipped is None and len(values) == len(references) == 100
    assert not all(math.isfinite(v) for v in values)  # the edge this test is about is among the points
