"""Dirichlet pairs over K coordinates (issue 12): concentrations by name (or one number for every coordinate), K by
name or as a number, derived from the definition (the log-densities combined, linearity, each coordinate's expected
logarithm from its Beta marginal with the Beta lemma), every step checked by quadrature over the simplex; the result
equal to an independent quadrature at K = 2 (mpmath, 30 digits), to the stick-breaking reference at K = 3 and to
``torch.distributions.kl_divergence`` at random and edge concentrations; specs refused in one line."""

from __future__ import annotations

import mpmath
import pytest
from conftest import _require_module as require
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Indexed, S, Sum, Symbol, lambdify, polygamma

from derivation import cli, derive
from derivation.cases.dirichlet import DIRICHLET_PLAN
from derivation.core.engine import Rule
from derivation.core.errors import ParseError, StepRejected
from derivation.core.forms import evaluated
from derivation.interpret.parse import parse_spec
from derivation.laws.kl_reference import kl_dirichlet
from derivation.output.render import render
from derivation.pairs.catalogue import FAMILY_PAIRS
from derivation.pairs.routes import variant
from derivation.rules.dirichlet import DIRICHLET_LOG_MOMENT

K = Symbol("K", integer=True, positive=True)
j = Symbol("j", integer=True, positive=True)


def _by_quadrature(a: list[float], b: list[float]) -> mpmath.mpf:
    """KL of two Dirichlet laws at K = 2 from the densities on the simplex ``(x, 1 - x)``, 30 digits: the
    integral of ``q log(q / p)`` over (0, 1), written here from the Dirichlet density alone."""
    with mpmath.workdps(30):
        a1, a2, b1, b2 = (mpmath.mpf(v) for v in (*a, *b))

        def log_density(c1, c2, x, y):  # at (x, y), y = 1 - x
            return (mpmath.loggamma(c1 + c2) - mpmath.loggamma(c1) - mpmath.loggamma(c2)
                    + (c1 - 1) * mpmath.log(x) + (c2 - 1) * mpmath.log(y))

        def integrand(x, y):
            lq = log_density(a1, a2, x, y)
            return mpmath.exp(lq) * (lq - log_density(b1, b2, x, y))

        # each half with its small coordinate e^-u exact (near 1, 1 - x would lose the digits of a density like
        # y**-0.75), so the integrand decays exponentially in u instead of piling up at an end
        def small(u):
            return mpmath.exp(-u)

        ends = [mpmath.log(2), mpmath.inf]
        return (mpmath.quad(lambda u: integrand(small(u), 1 - small(u)) * small(u), ends)
                + mpmath.quad(lambda u: integrand(1 - small(u), small(u)) * small(u), ends))


def _value(result, size: int, **vectors: list[float]) -> float:
    """The derived result at concrete vectors: every sum written out (``a_0`` the sum of a's entries)."""
    expr = evaluated(result)
    expr = expr.xreplace({e: Sum(e.base[j], (j, 1, K)) for e in expr.atoms(Indexed) if e.indices == (0,)})
    expr = expr.subs(K, size).doit()
    entries = {e: vectors[str(e.base.label)][int(e.indices[0]) - 1] for e in expr.atoms(Indexed)}
    return float(lambdify([], expr.xreplace(entries), "mpmath")())


def _module(source: str) -> dict:
    namespace: dict = {}
    exec(compile(source, "<kl-derive output>", "exec"), namespace)  # our own generated code, in a test
    return namespace


@pytest.fixture(scope="module")
def general():
    return derive(q="Dirichlet(a, K)", p="Dirichlet(b, K)")


def test_the_chain_is_derived_from_the_definition_and_checked(general):
    assert general.verified
    assert [s.rule for s in general.steps] == ["dirichlet-kl-definition", "log-of-ratio", "dirichlet-log-density",
                                               "combine-dirichlet-log-densities", "collect-dirichlet-sums",
                                               "linearity-of-expectation", "dirichlet-log-moment"]
    (lemma,) = general.steps[6].lemmas
    assert [s.rule for s in lemma.steps] == ["dirichlet-marginal", "beta-log-moment"]
    assert lemma.steps[1].lemmas[0].name == "beta-log-moment"  # the Beta lemma, from the log-normaliser
    assert any(c.method == "numeric" and "quadrature over the simplex" in c.detail for c in general.checks)


def test_the_result_reads_as_torch_writes_it(general):
    text = render(general, "text")
    assert ("KL(q ‖ p) = log Γ(a₀) - ∑ₖ₌₁^K log Γ(aₖ) - log Γ(b₀) + ∑ₖ₌₁^K log Γ(bₖ) "
            "+ ∑ₖ₌₁^K (aₖ - bₖ) (ψ(aₖ) - ψ(a₀))") in text
    assert "E_q[log xₖ] = ψ(aₖ) - ψ(a₀)" in text
    assert ("q = Dirichlet(a, K), p = Dirichlet(b, K); aₖ ∈ (0, ∞), bₖ ∈ (0, ∞), a₀ = ∑ⱼ₌₁^K aⱼ, b₀ = ∑ⱼ₌₁^K bⱼ, "
            "xₖ ∈ (0, 1), ∑ₖ₌₁^K xₖ = 1, k = 1, …, K") in text


@settings(max_examples=15, deadline=None)
@given(st.lists(st.floats(0.05, 40.0), min_size=4, max_size=4))
def test_the_result_equals_an_independent_quadrature_at_k_2(general, values):
    a, b = values[:2], values[2:]
    expected = _by_quadrature(a, b)
    assert _value(general.result, 2, a=a, b=b) == pytest.approx(float(expected), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(("a", "b"), [([0.3, 2.0, 7.5], [1.0, 1.0, 1.0]), ([12.0, 0.5, 3.0], [0.2, 4.0, 9.0])])
def test_the_result_equals_the_stick_breaking_reference_at_k_3(general, a, b):
    assert _value(general.result, 3, a=a, b=b) == pytest.approx(float(kl_dirichlet(a, b)), rel=1e-10)


@pytest.mark.parametrize("fmt", ["python", "torch"])
def test_the_exports_agree_with_torch_at_random_and_edge_points(general, fmt):
    torch = require("torch")
    source = render(general, fmt)
    assert ("torch.lgamma" in source and "torch.digamma" in source) if fmt == "torch" else "special.gammaln" in source
    kl = _module(source)["kl_divergence"]
    generator = torch.Generator().manual_seed(12)
    a = 10 ** (torch.rand(8, 3, generator=generator, dtype=torch.float64) * 3 - 1.5)
    b = 10 ** (torch.rand(8, 3, generator=generator, dtype=torch.float64) * 3 - 1.5)
    a[0], b[0] = torch.full((3,), 1e-3, dtype=torch.float64), torch.full((3,), 1e3, dtype=torch.float64)  # tiny/huge
    a[1], b[1] = torch.full((3,), 1e3, dtype=torch.float64), torch.full((3,), 1e-3, dtype=torch.float64)
    b[2] = a[2]  # equal laws: 0
    value = kl(a, b) if fmt == "torch" else torch.as_tensor(kl(a.numpy(), b.numpy()))
    reference = torch.distributions.kl_divergence(torch.distributions.Dirichlet(a), torch.distributions.Dirichlet(b))
    assert value.shape == (8,)
    assert torch.allclose(value, reference, rtol=1e-9, atol=1e-9)
    assert abs(float(value[2])) < 1e-10


@pytest.mark.parametrize(("q", "p", "a", "b"), [
    ("Dirichlet(a, 3)", "Dirichlet(b, 3)", [0.5, 1.5, 4.0], [2.0, 2.0, 0.7]),
    ("Dirichlet(2, K)", "Dirichlet(b, K)", [2.0, 2.0, 2.0], [0.4, 3.0, 1.1]),
    ("Dirichlet(a, K)", "Dirichlet(1/2, K)", [0.4, 3.0, 1.1], [0.5, 0.5, 0.5]),
])
def test_numbers_of_coordinates_and_symmetric_laws(q, p, a, b):
    torch = require("torch")
    derivation = derive(q=q, p=p)
    assert derivation.verified
    kl = _module(render(derivation, "torch"))["kl_divergence"]
    given_vectors = [torch.tensor(v, dtype=torch.float64) for v, spec in ((a, q), (b, p))
                     if "(a" in spec or "(b" in spec]
    reference = torch.distributions.kl_divergence(torch.distributions.Dirichlet(torch.tensor(a, dtype=torch.float64)),
                                                  torch.distributions.Dirichlet(torch.tensor(b, dtype=torch.float64)))
    assert float(kl(*given_vectors)) == pytest.approx(float(reference), rel=1e-10)


def test_two_symmetric_laws_read_without_a_bracketed_negative_term():
    """Both laws symmetric: the sum of a constant (negative) term is -K (...), not + (-K (...))."""
    derivation = derive(q="Dirichlet(2, K)", p="Dirichlet(3, K)")
    assert derivation.verified
    result = render(derivation, "text").split("Result:")[1].strip().splitlines()[0].strip()
    assert result == "KL(q ‖ p) = log Γ(2K) - log Γ(3K) + K log 2 - K (ψ(2) - ψ(2K))"


def test_a_wrong_step_is_rejected():
    setting = variant("Dirichlet(a, K)", "Dirichlet(b, K)").setting

    def drop_the_total(expr, setting):  # the expected logarithm without psi(a_0): wrong
        out = DIRICHLET_LOG_MOMENT.apply(expr, setting)
        return out.expr.replace(lambda e: isinstance(e, polygamma) and e.args[1].is_Indexed
                                and e.args[1].indices == (0,), lambda e: S.Zero)

    broken = Rule("dirichlet-log-moment", "Expected logarithm", "wrong on purpose", drop_the_total)
    with pytest.raises(StepRejected, match="step 7"):
        setting.derive("d", "Dirichlet", (*DIRICHLET_PLAN[:-1], broken))


@pytest.mark.parametrize(("spec", "message"), [
    ("Dirichlet(0, K)", "concentration must be positive (got 0)"),
    ("Dirichlet(-1, 3)", "concentration must be positive (got -1)"),
    ("Dirichlet(a)", "Dirichlet needs its number of categories: dim=K"),
    ("Dirichlet(a, 0)", "dim must be a positive integer or a name"),
    ("Dirichlet(a + 1, K)", "concentration must be the name of a vector, or one positive number"),
    ("Dirichlet(K, K)", "name 'K' is used for both concentration and dim"),
    ("Dirichlet(probs=a, dim=2)", "unknown keyword 'probs' for Dirichlet"),
])
def test_bad_specs_are_one_line_errors(spec, message):
    with pytest.raises(ParseError, match=message.replace("(", r"\(").replace(")", r"\)").replace("+", r"\+")):
        parse_spec(spec)


@pytest.mark.parametrize(("q", "p", "message"), [
    ("Dirichlet(a, 3)", "Dirichlet(b, 4)", "dimension mismatch"),
    ("Dirichlet(a, K)", "Dirichlet(-2, K)", "concentration must be positive (got -2)"),
    ("Dirichlet(k, K)", "Dirichlet(b, K)", "rename k"),
    ("Dirichlet(a, 3)", "Categorical(b, 3)", "Dirichlet against Categorical is not supported"),
])
def test_the_cli_refuses_in_one_line(capsys, q, p, message):
    code = cli.run(["derive", "--q", q, "--p", p, "-f", "text"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("kl-derive: error: ") and message in err


@pytest.mark.parametrize("spec", ["Dirichlet(a, K)", "Dirichlet(a, 3)", "Dirichlet(2, K)"])
def test_a_law_against_itself_ends_in_zero(spec):
    derivation = derive(q=spec, p=spec)
    assert derivation.result == 0 and derivation.verified


def test_list_shows_the_family_and_the_pair(capsys):
    assert cli.run(["list"]) == 0
    out = capsys.readouterr().out
    assert "Dirichlet    Dirichlet(concentration, K)" in out and "Dirichlet || Dirichlet" in out


@pytest.mark.parametrize("fmt", ["latex", "beamer", "latex-fragment", "markdown", "ipynb", "json", "text"])
def test_every_format_renders(general, fmt):
    assert "Dirichlet" in render(general, fmt)


def test_build_writes_a_dirichlet_document_in_the_families_index(tmp_path):
    assert FAMILY_PAIRS["dirichlet-dirichlet"].specs() == ("Dirichlet(alpha_q, K)", "Dirichlet(alpha_p, K)")
    assert cli.run(["build", "--out", str(tmp_path), "--cases", "dirichlet-dirichlet", "--formats", "markdown"]) == 0
    index = (tmp_path / "families" / "index.md").read_text()
    assert "[markdown](dirichlet-dirichlet.md)" in index
    assert "KL divergence between two Dirichlet distributions" in index
    document = (tmp_path / "families" / "dirichlet-dirichlet.md").read_text()
    assert r"\psi(\alpha_{q, k}) - \psi(\alpha_{q, 0})" in document
