"""Categorical pairs over K categories (issue 12): probabilities or logits, K by name or as a number, derived from
the definition (a sum over the categories), every step checked at probability vectors on the simplex, the result
equal to an exact 30-digit sum and to ``torch.distributions.kl_divergence`` at random and edge parameters; the
exports stable (xlogy, logsumexp, softmax); specs refused in one line."""

from __future__ import annotations

import mpmath
import pytest
from conftest import _require_module as require
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Eq, Indexed, IndexedBase, Integer, Sum, Symbol, lambdify, log

from derivation import cli, derive
from derivation.core.engine import Rule
from derivation.core.errors import ParseError, StepRejected, UsageError
from derivation.core.forms import evaluated
from derivation.interpret.parse import parse_spec
from derivation.output.render import render
from derivation.pairs.routes import variant
from derivation.rules import KL_DEFINITION
from derivation.rules.categorical import CATEGORY_PROBABILITIES, LOG_SOFTMAX

K = Symbol("K", integer=True, positive=True)


def _exact(q: list[float], p: list[float]) -> mpmath.mpf:
    """``sum_k q_k log(q_k / p_k)`` in 30 digits, a term with ``q_k = 0`` being 0."""
    with mpmath.workdps(30):
        return mpmath.fsum(mpmath.mpf(a) * (mpmath.log(a) - mpmath.log(b)) for a, b in zip(q, p, strict=True) if a)


def _softmax(logits: list[float]) -> list[mpmath.mpf]:
    with mpmath.workdps(30):
        weights = [mpmath.exp(mpmath.mpf(v)) for v in logits]
        return [w / mpmath.fsum(weights) for w in weights]


def _value(result, size: int, **vectors: list[float]) -> float:
    """The derived result (a SymPy expression with sums over K) at concrete vectors: every sum written out."""
    expr = evaluated(result).subs(K, size).doit()
    entries = {e: vectors[str(e.base.label)][int(e.indices[0]) - 1] for e in expr.atoms(Indexed)}
    return float(lambdify([], expr.xreplace(entries), "mpmath")())


def _module(source: str) -> dict:
    namespace: dict = {}
    exec(compile(source, "<kl-derive output>", "exec"), namespace)  # our own generated code, in a test
    return namespace


@pytest.fixture(scope="module")
def probs():
    return derive(q="Categorical(t, K)", p="Categorical(u, K)")


@pytest.fixture(scope="module")
def logits():
    return derive(q="Categorical(logits=a, dim=K)", p="Categorical(logits=b, dim=K)")


def test_the_chain_in_probabilities_is_a_sum_over_the_categories(probs):
    assert probs.verified and all(check.ok for check in probs.checks)
    assert [step.rule for step in probs.steps] == ["kl-definition", "category-probabilities"]
    t, u = IndexedBase("t", positive=True), IndexedBase("u", positive=True)
    k = probs.steps[-1].expr.limits[0][0]
    assert probs.steps[0].expr.limits[0][1:] == (1, K)
    assert evaluated(probs.result) == evaluated(Sum(t[k] * log(t[k] / u[k]), (k, 1, K)))
    assert "Probabilities" in [step.title for step in probs.steps]


def test_the_chain_in_logits_is_the_log_softmax_form(logits):
    assert logits.verified and all(check.ok for check in logits.checks)
    assert [step.rule for step in logits.steps] == ["kl-definition", "category-probabilities", "log-softmax",
                                                    "category-weights-add-to-one", "softmax"]
    numeric = [c for c in logits.checks if c.method == "numeric"]
    assert numeric and all("random probability vectors" in c.detail for c in numeric)
    text = render(logits, "text")
    assert "log θ_{q, k} = aₖ - log(∑ⱼ₌₁^K e^{aⱼ})" in text
    assert "∑ₖ₌₁^K θ_{q, k} = 1" in text


@settings(max_examples=30, deadline=None)
@given(size=st.integers(2, 6), data=st.data())
def test_the_results_are_the_exact_sum(probs, logits, size, data):
    weights = st.floats(1e-9, 1.0)
    raw_q = data.draw(st.lists(weights, min_size=size, max_size=size))
    raw_p = data.draw(st.lists(weights, min_size=size, max_size=size))
    q, p = [v / sum(raw_q) for v in raw_q], [v / sum(raw_p) for v in raw_p]
    assert _value(probs.result, size, t=q, u=p) == pytest.approx(float(_exact(q, p)), rel=1e-9, abs=1e-12)
    reals = st.floats(-20, 20)
    a = data.draw(st.lists(reals, min_size=size, max_size=size))
    b = data.draw(st.lists(reals, min_size=size, max_size=size))
    expected = float(_exact(_softmax(a), _softmax(b)))
    assert _value(logits.result, size, a=a, b=b) == pytest.approx(expected, rel=1e-9, abs=1e-12)


EDGES = [
    ([0.25, 0.25, 0.25, 0.25], [0.25, 0.25, 0.25, 0.25]),  # equal laws: 0
    ([1 - 3e-12, 1e-12, 1e-12, 1e-12], [0.1, 0.2, 0.3, 0.4]),  # near a corner (near 0 and near 1)
    ([0.1, 0.2, 0.3, 0.4], [1 - 3e-12, 1e-12, 1e-12, 1e-12]),
    ([1.0, 0.0, 0.0, 0.0], [0.4, 0.3, 0.2, 0.1]),  # exactly 0: the term is 0 (xlogy), not NaN
]


@pytest.mark.parametrize(("q", "p"), EDGES)
@pytest.mark.parametrize("fmt", ["python", "torch"])
def test_the_exports_agree_with_torch_and_the_exact_sum_at_the_edges(probs, fmt, q, p):
    torch = require("torch")
    kl = _module(render(probs, fmt))["kl_divergence"]
    args = (torch.tensor(q, dtype=torch.float64), torch.tensor(p, dtype=torch.float64))
    value = float(kl(*args) if fmt == "torch" else kl(q, p))
    expected = float(_exact(q, p))
    assert value == pytest.approx(expected, rel=1e-12, abs=1e-15)
    reference = torch.distributions.kl_divergence(torch.distributions.Categorical(probs=args[0]),
                                                  torch.distributions.Categorical(probs=args[1]))
    assert value == pytest.approx(float(reference), rel=1e-10, abs=1e-14)


@pytest.mark.parametrize("fmt", ["python", "torch"])
def test_the_logits_exports_are_stable_and_batched(logits, fmt):
    torch = require("torch")
    source = render(logits, fmt)
    assert ("torch.logsumexp(a, dim=-1)" in source and "torch.softmax(a, dim=-1)" in source) if fmt == "torch" \
        else ("special.logsumexp(a, axis=-1)" in source and "special.softmax(a, axis=-1)" in source)
    kl = _module(source)["kl_divergence"]
    generator = torch.Generator().manual_seed(3)
    a = torch.randn(6, 4, generator=generator, dtype=torch.float64) * 3
    b = torch.randn(6, 4, generator=generator, dtype=torch.float64)
    a[0] = torch.tensor([1000.0, 0.0, -1000.0, 5.0])  # exp(1000) overflows; logsumexp does not
    value = kl(a, b) if fmt == "torch" else torch.as_tensor(kl(a.numpy(), b.numpy()))
    reference = torch.distributions.kl_divergence(torch.distributions.Categorical(logits=a),
                                                  torch.distributions.Categorical(logits=b))
    assert value.shape == (6,)
    assert torch.allclose(value, reference, rtol=1e-10, atol=1e-12)
    assert float(value[0]) == pytest.approx(float(_exact(_softmax([1000, 0, -1000, 5]), _softmax(b[0].tolist()))),
                                            rel=1e-10)


def test_mixed_parameterisations_and_a_number_of_categories():
    derivation = derive(q="Categorical(t, 3)", p="Categorical(logits=b, dim=3)")
    assert derivation.verified and [s.rule for s in derivation.steps][-2:] == ["log-softmax",
                                                                                 "category-weights-add-to-one"]
    q, b = [0.2, 0.5, 0.3], [1.0, -2.0, 0.5]
    expr = evaluated(derivation.result).doit()
    entries = {e: {"t": q, "b": b}[str(e.base.label)][int(e.indices[0]) - 1] for e in expr.atoms(Indexed)}
    assert float(expr.xreplace(entries)) == pytest.approx(float(_exact(q, _softmax(b))), rel=1e-12)
    assert derivation.steps[0].expr.limits[0][1:] == (1, Integer(3))


def test_a_wrong_step_is_rejected():
    setting = variant("Categorical(logits=a, dim=K)", "Categorical(logits=b, dim=K)").setting

    def drop_the_normalisers(expr, setting):  # the log-softmax without its log-sum-exp terms: wrong
        out = LOG_SOFTMAX.apply(expr, setting)
        out = out.expr if hasattr(out, "expr") else out
        return out.replace(lambda e: e.func.__name__ == "log" and isinstance(e.args[0], Sum), lambda e: 0)

    broken = Rule("log-softmax", "Log-softmax", "wrong on purpose", drop_the_normalisers)
    with pytest.raises(StepRejected, match="step 3"):
        setting.derive("c", "Categorical", (KL_DEFINITION, CATEGORY_PROBABILITIES, broken))


def test_the_setting_states_the_simplex():
    text = render(derive(q="Categorical(t, K)", p="Categorical(u, K)"), "text")
    assert "tₖ ∈ (0, 1), ∑ₖ₌₁^K tₖ = 1" in text and "k = 1, …, K" in text


@pytest.mark.parametrize(("spec", "message"), [
    ("Categorical(0.3, K)", "probs must be the name of a vector over the categories"),
    ("Categorical(t)", "Categorical needs its number of categories: dim=K"),
    ("Categorical(t, K, 3)", "too many positional arguments for Categorical"),
    ("Categorical(logits=a, probs=b, dim=2)", "two parameterisations given (logits and probs)"),
    ("Categorical(t, 0)", "dim must be a positive integer or a name"),
    ("Categorical(K, K)", "name 'K' is used for both probs and dim"),
    ("Categorical(scale=t, dim=2)", "unknown keyword 'scale' for Categorical"),
])
def test_bad_specs_are_one_line_errors(spec, message):
    with pytest.raises(ParseError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_spec(spec)


def test_the_cli_refuses_different_numbers_of_categories_in_one_line(capsys):
    code = cli.run(["derive", "--q", "Categorical(t, 3)", "--p", "Categorical(u, 4)", "-f", "text"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "dimension mismatch" in err


def test_a_categorical_against_another_family_is_refused():
    with pytest.raises(UsageError, match="Categorical against Bernoulli is not supported"):
        variant("Categorical(t, 2)", "Bernoulli(b)")


@pytest.mark.parametrize("fmt", ["latex", "beamer", "latex-fragment", "markdown", "ipynb", "json", "text"])
def test_every_format_renders(logits, fmt):
    assert "Categorical" in render(logits, fmt)


def test_the_definitions_are_stated(logits):
    setting = logits.setting
    a = IndexedBase("a", real=True)
    k = setting.q.variable
    assert any(isinstance(s, Eq) and s.lhs == setting.q.law.probs[k] and s.rhs.has(a[k]) for s in setting.statements())


UNIFORM_PAIRS = [
    # (q, p, rules, the result in LaTeX)
    ("Categorical(a, K)", "Categorical(1/K, K)", ["kl-definition", "category-probabilities"],
     r"\sum_{k=1}^{K} a_{k} \log(K a_{k})"),
    ("Categorical(1/K, K)", "Categorical(b, K)", ["kl-definition", "category-probabilities",
                                                  "equal-weights-out-of-sum"],
     r"- \frac{\sum_{k=1}^{K} \log(K b_{k})}{K}"),
    ("Categorical(logits=a, dim=K)", "Categorical(1/K, K)", ["kl-definition", "category-probabilities", "log-softmax",
                                                             "category-weights-add-to-one", "softmax"], None),
]


@pytest.mark.parametrize(("q", "p", "rules", "result"), UNIFORM_PAIRS)
def test_a_uniform_law_prints_no_fraction_of_a_fraction_and_no_log_of_a_reciprocal(q, p, rules, result):
    """A uniform law's probability 1/K: ``log(a_k / (1/K))`` is ``log(K a_k)``, ``log(1/K)`` is ``-log K``, and a
    uniform q's weight comes out of the sum; every result is still the exact sum."""
    derivation = derive(q=q, p=p)
    assert derivation.verified and [step.rule for step in derivation.steps] == rules
    latex = render(derivation, "latex-fragment")
    assert r"\frac{1}{K}}" not in latex and r"\log \frac{1}{K}" not in latex and r"\log(\frac{1}{K}" not in latex
    if result is not None:
        assert rf"\KL(q \,\|\, p) = {result} \label" in latex
    else:
        assert r"+ \log K" in latex
    size, a, b = 4, [0.1, 0.2, 0.3, 0.4], [0.4, 0.1, 0.3, 0.2]
    uniform = [0.25] * size
    q_probs = uniform if "1/K" in q else (_softmax(a) if "logits" in q else a)
    p_probs = uniform if "1/K" in p else b
    assert _value(derivation.result, size, a=a, b=b) == pytest.approx(float(_exact(q_probs, p_probs)), rel=1e-12)
