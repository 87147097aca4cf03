"""Multivariate cases: full covariance (trace trick), diagonal (three routes, symbolic or concrete d), VAE.

Final forms are compared with the known closed forms (symbolically, or numerically against an
independent NumPy computation for full covariance); routes agree; a concrete dimension equals the
symbolic result at that dimension; broken rules and lemmas are rejected.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
from sympy import (
    Add,
    ImmutableMatrix,
    Indexed,
    IndexedBase,
    Integer,
    Product,
    Rational,
    Sum,
    Symbol,
    exp,
    log,
    pi,
    simplify,
)
from sympy.matrices.expressions import Identity, MatrixSymbol, ZeroMatrix

from derivation import CASES, derive, render
from derivation.cases.multivariate import (
    DIAGONAL_PLAN,
    DIAGONAL_PRESET,
    FULL_PLAN,
    KINGMA_PLAN,
    UNIVARIATE_RESULT,
    VAE_PLAN,
    VAE_PRESET,
)
from derivation.check.vector_numeric import MvEvaluator, random_spd
from derivation.core.engine import Rewrite
from derivation.core.errors import StepRejected, UsageError
from derivation.core.forms import evaluated
from derivation.laws import NormalLaw
from derivation.nodes.families import Instantiation, _indexed, index_family
from derivation.nodes.scalar import Marginal, MvDensity
from derivation.nodes.vector import CodeLine, Diag, QuadForm, Vec
from derivation.printing.latex import PLAIN_STYLE, to_latex
from derivation.rules import kingma, matrix, specialise
from derivation.settings.multivariate import preset_full, preset_pair
from derivation.settings.univariate import Notation

ROUTES = ("paper", "full", "kingma")
d, j = (Symbol(n, integer=True, positive=True) for n in "dj")
mu, sigma = IndexedBase("mu", real=True), IndexedBase("sigma", positive=True)
logvar = IndexedBase("logvar", real=True)


@pytest.fixture(scope="module")
def full():
    return derive("full")


@pytest.fixture(scope="module")
def diagonal():
    return {route: derive("diagonal", route=route) for route in ROUTES}


def _kl_gaussians(m1, s1, m2, s2) -> float:
    """The closed form from the literature, computed with NumPy only."""
    k = len(m1)
    diff = m2 - m1
    return 0.5 * (np.trace(np.linalg.solve(s2, s1)) + (diff.T @ np.linalg.solve(s2, diff)).item() - k
                  + np.log(np.linalg.det(s2) / np.linalg.det(s1)))


def _kl_by_quadrature(m1, s1, m2, s2, nodes: int = 8) -> float:
    """An independent oracle: E_q[log q - log p] by tensor Gauss-Hermite quadrature (NumPy only)."""
    k = len(m1)
    t, w = np.polynomial.hermite.hermgauss(nodes)
    chol = np.linalg.cholesky(s1)
    total = 0.0
    for index in itertools.product(range(nodes), repeat=k):
        z = np.sqrt(2.0) * t[list(index)]
        x = m1[:, 0] + chol @ z
        weight = np.prod(w[list(index)]) / np.pi ** (k / 2)

        def logpdf(x, m, s):
            diff = x - m[:, 0]
            return -0.5 * (k * np.log(2 * np.pi) + np.log(np.linalg.det(s)) + diff @ np.linalg.solve(s, diff))

        total += weight * (logpdf(x, m1, s1) - logpdf(x, m2, s2))
    return total


# -- full covariance --------------------------------------------------------------------------------------


def test_full_follows_the_trace_trick_plan(full):
    assert full.verified
    assert [s.rule for s in full.steps] == [r.key for r in FULL_PLAN]
    titles = [lm.title for lm in full.lemmas()]
    assert titles == ["Expected quadratic form", "Shifted second moment",
                      "Expected quadratic form about another point"]
    for lemma in full.lemmas():
        assert lemma.verified and len(lemma.steps) >= 4  # derived, not asserted


@pytest.mark.parametrize("seed", range(6))
def test_full_result_matches_numpy(full, seed):
    rng = np.random.default_rng(seed)
    k = 2 + seed % 3
    m1, m2 = rng.normal(size=(k, 1)), rng.normal(size=(k, 1))
    s1, s2 = random_spd(rng, k), random_spd(rng, k)
    setting = full.setting
    values = {setting.q.mean: ImmutableMatrix(m1), setting.q.cov: ImmutableMatrix(s1),
              setting.p.mean: ImmutableMatrix(m2), setting.p.cov: ImmutableMatrix(s2), setting.dim: Integer(k)}
    derived = float(full.result.xreplace(values).doit())
    assert derived == pytest.approx(_kl_gaussians(m1, s1, m2, s2), rel=1e-10)
    if k <= 3:
        assert derived == pytest.approx(_kl_by_quadrature(m1, s1, m2, s2), rel=1e-8)


def test_full_result_reads_as_the_textbook_form(full):
    tex = to_latex(full.result, PLAIN_STYLE)
    assert tex == (r"\frac{1}{2} \left(\operatorname{tr}(\Sigma_{p}^{-1} \Sigma_{q}) + (\mu_{p} - "
                   r"\mu_{q})^{\top} \Sigma_{p}^{-1} (\mu_{p} - \mu_{q}) - d + \log \frac{|"
                   r"\Sigma_{p}|}{|\Sigma_{q}|}\right)")


def test_matrix_steps_are_checked_numerically_at_d_2_and_3(full):
    numeric = [c for c in full.checks if c.method == "numeric"]
    assert numeric and all("d = 2 and 3" in c.detail for c in numeric)
    assert any(c.method == "symbolic" for c in full.checks)  # scalar algebra over traces is proved


def _derive_full_with(plan_edit):
    setting = preset_full(Notation())
    return setting.checker().derive("full", "Full", setting.start(), plan_edit(FULL_PLAN), setting)


def _trace_trick_without_mean_term(expr, setting):
    """The shifted trace trick with the mean term forgotten: E[(x-m)^T A (x-m)] -> tr(A S)."""
    out = matrix.SHIFTED_TRACE_TRICK.apply(expr, setting)
    dropped = out.expr.replace(lambda e: e.is_Add and any(isinstance(t, QuadForm) for t in e.args),
                               lambda e: Add(*[t for t in e.args if not isinstance(t, QuadForm)]))
    return Rewrite(dropped, out.identities, out.lemmas)


def test_a_trace_trick_without_the_mean_term_is_rejected():
    broken = replace(matrix.SHIFTED_TRACE_TRICK, key="broken-trace-trick", apply=_trace_trick_without_mean_term)
    with pytest.raises(StepRejected, match=r"broken-trace-trick"):
        _derive_full_with(lambda plan: tuple(broken if r is matrix.SHIFTED_TRACE_TRICK else r for r in plan))


def _back_to_scalar_without_mean_term(expr, setting):
    """The last step of the shifted trace-trick lemma, dropping the mean term instead of rotating it."""
    from derivation.core.forms import add
    from derivation.rules.base import terms

    kept = [t for t in terms(expr) if not t.has(matrix.Transpose)]
    return add(*kept)


def test_a_trace_trick_lemma_without_the_mean_term_is_rejected(monkeypatch):
    """The lemma itself is broken (its last step forgets the mean term): rejected at that step of the lemma."""
    broken = replace(matrix.TRACE_TO_QUADRATIC_FORM, key="broken-back-to-scalar",
                     apply=_back_to_scalar_without_mean_term)
    monkeypatch.setattr(matrix, "_SHIFTED_PLAN", tuple(broken if r is matrix.TRACE_TO_QUADRATIC_FORM else r
                                                       for r in matrix._SHIFTED_PLAN))
    with pytest.raises(StepRejected, match=r"about another point: step 6 \(broken-back-to-scalar\)"):
        _derive_full_with(lambda plan: plan)


def test_trace_of_identity_off_by_one_is_rejected():
    def wrong(expr, setting):
        out = matrix.TRACE_OF_IDENTITY.apply(expr, setting)
        k = setting.dim
        return Rewrite(out.expr.xreplace({k: k + 1}), out.identities)

    broken = replace(matrix.TRACE_OF_IDENTITY, key="broken-trace", apply=wrong)
    with pytest.raises(StepRejected, match="broken-trace"):
        _derive_full_with(lambda plan: tuple(broken if r is matrix.TRACE_OF_IDENTITY else r for r in plan))


# -- diagonal --------------------------------------------------------------------------------------------

CLOSED_FORM = Rational(-1, 2) * Sum(1 + log(sigma[j] ** 2) - mu[j] ** 2 - sigma[j] ** 2, (j, 1, d))


@pytest.mark.parametrize("route", ROUTES)
def test_diagonal_result_is_the_vae_closed_form(diagonal, route):
    result = diagonal[route]
    assert result.verified
    assert simplify(evaluated(result.result) - CLOSED_FORM) == 0
    assert to_latex(result.result, PLAIN_STYLE) == (
        r"- \frac{1}{2} \sum_{j=1}^{d} (1 + \log \sigma_{j}^{2} - \mu_{j}^{2} - \sigma_{j}^{2})")


def test_all_routes_meet_in_the_same_expression(diagonal):
    paper, full, kingma = (diagonal[r].result for r in ROUTES)
    assert paper == full == kingma


def test_route_plans_and_default(diagonal):
    assert [s.rule for s in diagonal["paper"].steps] == [r.key for r in DIAGONAL_PLAN]
    assert [s.rule for s in diagonal["kingma"].steps] == [r.key for r in KINGMA_PLAN]
    assert [s.rule for s in derive("diagonal").steps] == [r.key for r in DIAGONAL_PLAN]
    assert list(CASES["diagonal"].plans) == list(ROUTES)


def test_paper_route_reuses_the_univariate_derivation(diagonal):
    step = next(s for s in diagonal["paper"].steps if s.rule == "univariate-result")
    (lemma,) = step.lemmas
    standard = derive("standard")
    assert [s.rule for s in lemma.steps] == [s.rule for s in standard.steps]  # the same plan, reused
    assert lemma.verified


def test_full_route_cites_the_full_covariance_derivation(diagonal, full):
    step = diagonal["full"].steps[0]
    assert step.rule == "full-covariance-result"
    (lemma,) = step.lemmas
    assert lemma.result == full.result and lemma.verified


def test_kingma_route_derives_both_integrals(diagonal):
    """Kingma and Welling, appendix B: both integrals as they state them."""
    results = {lm.title: lm.result for lm in diagonal["kingma"].lemmas()}
    negative_entropy = -d * log(2 * pi) / 2 - Sum(1 + log(sigma[j] ** 2), (j, 1, d)) / 2
    cross = -d * log(2 * pi) / 2 - Sum(mu[j] ** 2 + sigma[j] ** 2, (j, 1, d)) / 2
    assert simplify(evaluated(results["The negative entropy of q"]) - negative_entropy) == 0
    assert simplify(evaluated(results["The cross-entropy term"]) - cross) == 0


@pytest.mark.parametrize("route", ROUTES)
def test_concrete_dimension_equals_the_symbolic_result_at_that_dimension(diagonal, route):
    concrete = derive("diagonal", dim=3, route=route)
    assert concrete.verified
    at_three = CLOSED_FORM.subs(d, 3).doit()
    assert simplify(evaluated(concrete.result) - at_three) == 0
    assert simplify(evaluated(concrete.result) - evaluated(diagonal[route].result).subs(d, 3).doit()) == 0
    for step in concrete.steps:
        assert not step.expr.has(Sum, Product, d)  # every term explicit
    assert all("d = 3" in c.detail for c in concrete.checks if c.method == "numeric")  # checked directly


def test_one_dimension_leaves_out_the_vacuous_steps():
    one = derive("diagonal", dim=1)
    assert one.verified
    assert "log-of-product" not in [s.rule for s in one.steps]
    sigma1, mu1 = sigma[1], mu[1]
    assert simplify(evaluated(one.result) - Rational(-1, 2) * (1 + log(sigma1**2) - mu1**2 - sigma1**2)) == 0


def test_a_large_dimension_is_written_out_and_printed_readably():
    large = derive("diagonal", dim=64)
    assert large.verified
    assert len(large.result.args[1].args) == 64  # -1/2 (t_1 + ... + t_64)
    text = render(large, "markdown")
    assert r"+ \cdots +" in text and r"\sigma_{64}^{2}" in text and r"\sigma_{17}" not in text
    assert all("written out at d = 64" in c.detail for c in large.checks)


def test_broken_univariate_result_is_rejected():
    setting = preset_pair(DIAGONAL_PRESET, Notation())

    def wrong_sign(expr, setting):
        out = UNIVARIATE_RESULT.apply(expr, setting)
        return Rewrite(out.expr.replace(lambda e: e == Rational(-1, 2), lambda e: Rational(1, 2)), out.identities,
                       out.lemmas)

    broken = replace(UNIVARIATE_RESULT, key="broken-univariate", apply=wrong_sign)
    plan = tuple(broken if r is UNIVARIATE_RESULT else r for r in DIAGONAL_PLAN)
    with pytest.raises(StepRejected, match="broken-univariate"):
        setting.checker().derive("diagonal", "Diagonal", setting.start(), plan, setting)


def test_broken_concrete_route_is_rejected_directly():
    setting = preset_pair(DIAGONAL_PRESET, Notation(), 2)

    def forget_cross_term(expr, setting):
        out = kingma.CROSS_TERM.apply(expr, setting)
        return Rewrite(out.expr.replace(lambda e: isinstance(e, Sum) and e.function.has(mu[j]),
                                        lambda e: Sum(sigma[j] ** 2, *e.limits)), out.identities, out.lemmas)

    broken = replace(kingma.CROSS_TERM, key="broken-cross", apply=forget_cross_term)
    plan = tuple(broken if r is kingma.CROSS_TERM else r for r in KINGMA_PLAN)
    with pytest.raises(StepRejected, match="broken-cross"):
        setting.checker().derive("diagonal", "Diagonal", setting.start(), plan, setting)


# -- vae --------------------------------------------------------------------------------------------------


def test_vae_result_is_mathematics_and_the_code_is_a_checked_listing_after_it():
    vae = derive("vae")
    assert vae.verified
    assert [s.rule for s in vae.steps] == [r.key for r in VAE_PLAN]
    assert not isinstance(vae.result, CodeLine)  # before: the Result was "KL = -0.5 * torch.sum(...)"
    ell = IndexedBase("ell", real=True)
    expected = Rational(-1, 2) * Sum(1 + ell[j] - mu[j] ** 2 - exp(ell[j]), (j, 1, d))
    assert simplify(evaluated(vae.result) - expected) == 0
    code = next(s for s in vae.sections if s.key == "code")
    assert code.listing == "-0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())"
    assert code.listing_check.ok and code.listing_check.detail == "the code parses back to the line before"
    assert any(lm.name == "diagonal" for lm in vae.lemmas())
    markdown = render(vae, "markdown")
    result = markdown.split("**Result.**", 1)[1].split("## In code", 1)[0]
    assert "torch" not in result and "texttt" not in result
    assert "```python\n-0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())\n```" in markdown


def test_wrong_code_is_rejected():
    setting = preset_pair(VAE_PRESET, Notation(), code_names={'ell': 'logvar'}, in_variances=True)

    def wrong_code(expr, setting):
        return CodeLine(expr, "-0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar)", setting.code_names)

    broken = replace(specialise.IN_CODE, key="broken-code", apply=wrong_code)
    plan = (*VAE_PLAN, broken)
    with pytest.raises(StepRejected, match="broken-code"):
        setting.checker().derive("vae", "VAE", setting.start(), plan, setting)


# -- options -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dim", [0, -3, "abc", "2.5", True, 10**9, "", None.__class__])
def test_bad_dimensions_are_usage_errors(dim):
    with pytest.raises(UsageError, match="dimension"):
        derive("diagonal", dim=dim)


def test_bad_routes_and_options_are_usage_errors():
    with pytest.raises(UsageError, match=r"unknown route 'nonsense'.*paper, full, kingma"):
        derive("diagonal", route="nonsense")
    with pytest.raises(UsageError, match="does not take --dim"):
        derive("full", dim=3)
    with pytest.raises(UsageError, match="does not take --dim"):
        derive("univariate", dim="3")


def test_dimension_given_as_text_is_accepted():
    assert derive("diagonal", dim="2").result == derive("diagonal", dim=2).result


def test_notation_reaches_the_multivariate_lines():
    text = derive("full", notation=Notation({"mu": "m", "Sigma": "S", "k": "n"})).render("markdown")
    assert r"\mu" not in text and r"\Sigma" not in text
    assert "m_{q}" in text and "S_{p}" in text and r"\mathbb{R}^{n}" in text
    text = derive("diagonal", notation=Notation({"sigma": "s", "j": "i"})).render("latex")
    assert r"\sigma" not in text and r"s_{i}^{2}" in text and r"\sum_{i=1}^{d}" in text


# -- the pieces --------------------------------------------------------------------------------------------


def test_printing_of_vectors_and_matrices():
    k = Symbol("k", integer=True, positive=True)
    x, m = MatrixSymbol("x", k, 1), MatrixSymbol("mu1", k, 1)
    s = MatrixSymbol("Sigma1", k, k)
    from derivation.nodes.vector import inv, msub

    form = QuadForm(msub(x, m), inv(s), msub(x, m))
    assert to_latex(form) == r"(x - \mu_{1})^{\top} \Sigma_{1}^{-1} (x - \mu_{1})"
    assert to_latex(QuadForm(Vec(mu, d), Identity(d), Vec(mu, d))) == r"\mu^{\top} \mu"
    diagonal_tex = r"\operatorname{diag}(\sigma_{1}^{2}, \ldots, \sigma_{d}^{2})"
    assert to_latex(Diag(sigma[j] ** 2, j, d)) == diagonal_tex
    assert to_latex(Indexed(logvar, j)) == r"\mathrm{logvar}_{j}"
    q = MvDensity("q", Vec(IndexedBase("x", real=True), d), Vec(mu, d), Diag(sigma[j] ** 2, j, d))
    assert to_latex(q) == "q(x)"
    assert to_latex(Marginal("q", IndexedBase("x", real=True)[3], NormalLaw(mu[3], sigma[3]), 3)) == "q_{3}(x_{3})"
    p = MvDensity("", Vec(IndexedBase("x", real=True), d), ZeroMatrix(d, 1), Identity(d))
    assert to_latex(p) == r"\mathcal{N}(0, I)"


def test_long_coordinate_sums_are_elided_only_when_every_term_fits_the_pattern():
    terms = [mu[i] ** 2 for i in range(1, 9)]
    assert index_family(tuple(terms))
    assert to_latex(Add(*terms, evaluate=False)) == r"\mu_{1}^{2} + \mu_{2}^{2} + \cdots + \mu_{8}^{2}"
    broken = list(terms)
    broken[4] = mu[5] ** 3
    assert not index_family(tuple(broken))
    assert r"\mu_{5}^{3}" in to_latex(Add(*broken, evaluate=False))
    swapped = list(terms)
    swapped[2], swapped[3] = swapped[3], swapped[2]
    assert not index_family(tuple(swapped))
    assert not index_family(tuple(mu[1] * sigma[i] for i in range(1, 9)))  # index 1 everywhere: not a family


def test_writing_out_equals_evaluating_the_sum():
    expr = Rational(-1, 2) * Sum(1 + log(sigma[j] ** 2) - mu[j] ** 2, (j, 1, d))
    written = Instantiation(d, 4)(expr)
    assert not written.has(Sum)
    assert simplify(written - expr.subs(d, 4).doit()) == 0
    assert _indexed(mu, Integer(3)) == mu[3] and hash(_indexed(mu, Integer(3))) == hash(mu[3])
    assert _indexed(sigma, Integer(2)).is_positive


def test_numeric_witness_on_a_known_moment():
    """E_q[x^T A x] = tr(A S) + m^T A m, by the evaluator's quadrature, against NumPy."""
    k = Symbol("k", integer=True, positive=True)
    x, m, s, a = MatrixSymbol("x", k, 1), MatrixSymbol("m", k, 1), MatrixSymbol("S", k, k), MatrixSymbol("A", k, k)
    from derivation.nodes.scalar import Expectation

    line = Expectation(QuadForm(x, a, x), MvDensity("q", x, m, s))
    rng = np.random.default_rng(7)
    points = []
    for size in (2, 3):
        points.append({k: np.asarray(size), m: rng.normal(size=(size, 1)), s: random_spd(rng, size),
                       a: rng.normal(size=(size, size))})
    values = MvEvaluator(points).values(line)
    for point, value in zip(points, values, strict=True):
        expected = np.trace(point[a] @ point[s]) + (point[m].T @ point[a] @ point[m]).item()
        assert float(value) == pytest.approx(expected, rel=1e-10)


def test_random_covariances_are_symmetric_positive_definite():
    rng = np.random.default_rng(0)
    for size in (2, 3, 5):
        matrix_ = random_spd(rng, size)
        assert np.allclose(matrix_, matrix_.T) and np.all(np.linalg.eigvalsh(matrix_) > 0.2)


@pytest.mark.parametrize(("name", "options"), [("full", {}), ("diagonal", {}), ("diagonal", {"dim": 3}),
                                               ("diagonal", {"route": "kingma"}), ("vae", {})])
@pytest.mark.parametrize("fmt", ["markdown", "latex"])
def test_documents_have_no_computer_algebra_artefacts(name, options, fmt):
    text = render(derive(name, **options), fmt)
    for artefact in (r"{\mu}_", r"{\sigma}_", r"\mathbb{I}", "^{T}", r"\log{\left(", "MatrixSymbol", "Indexed(",
                     "Marginal(", "Density(", r"\operatorname{tr}\left(" + " ", "Dummy"):
        assert artefact not in text, artefact
    assert text.count(r"\left") == text.count(r"\right")
    if fmt == "markdown":
        assert text.count("$$") % 2 == 0


def _exported(derivation, fmt: str = "python"):
    namespace: dict = {}
    exec(compile(render(derivation, fmt), "<kl-derive output>", "exec"), namespace)  # our own generated code
    return namespace["kl_divergence"]


def test_full_exports_a_numpy_function(full):
    function = _exported(full)
    rng = np.random.default_rng(3)
    for k in (2, 3, 5):
        m1, m2 = rng.normal(size=k), rng.normal(size=k)  # means are (..., k) arrays
        s1, s2 = random_spd(rng, k), random_spd(rng, k)
        expected = _kl_gaussians(m1[:, None], s1, m2[:, None], s2)
        assert function(m1, s1, m2, s2) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("options", [{}, {"dim": 3}, {"route": "kingma"}])
def test_diagonal_exports_a_numpy_function_over_batches(options):
    function = _exported(derive("diagonal", **options))
    rng = np.random.default_rng(4)
    m, s = rng.normal(size=(5, 3)), rng.uniform(0.3, 2.0, size=(5, 3))
    expected = -0.5 * np.sum(1 + np.log(s**2) - m**2 - s**2, axis=-1)
    assert np.allclose(function(m, s), expected, rtol=1e-12)


def test_vae_exports_the_torch_loss(require_module):
    torch = require_module("torch")
    function = _exported(derive("vae"), "torch")
    mu = torch.randn(4, 6, dtype=torch.float64, requires_grad=True)
    logvar = torch.randn(4, 6, dtype=torch.float64)
    expected = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=-1)
    value = function(mu, logvar)
    assert torch.allclose(value, expected)
    value.sum().backward()
    assert torch.allclose(mu.grad, mu.detach())  # d/dmu of the KL is mu


def test_deriving_the_vae_case_does_not_import_numpys_test_and_build_tools():
    """The scale definitions are compiled with NumPy's own namespace: SymPy's ``"numpy"`` module runs ``from numpy
    import *``, which imports ``numpy.f2py`` (and unittest, email, every codec): a sixth of a second."""
    import subprocess
    import sys
    from pathlib import Path

    program = "import sys; from derivation import derive; derive('vae'); print('numpy.f2py' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False"]
