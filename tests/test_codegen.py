"""Code export: the derived closed form as a NumPy / PyTorch function, checked against the derivation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Indexed, Sum, Symbol, exp, log, pi, sqrt

import cli
from derivation import derive, render
from derivation.core.errors import UsageError
from derivation.core.forms import evaluated
from derivation.output.codegen import FUNCTION_NAME, ArrayCodePrinter

PAIRS = [
    ("Normal(a, logvar=w)", "Normal(0, 1)"),
    ("Normal(m1, var=v1)", "Normal(m2, var=v2)"),
    ("Normal(m1, precision=t1)", "Normal(2, var=3)"),
    ("Normal(a, log_scale=l)", "Normal(b, scale=s)"),
    ("Normal(-1, 0.5)", "Normal(0, 1)"),
]

#: The standard deviation in each parameterisation (for torch tensors), written out independently of the engine.
SCALE = {"scale": lambda t: t, "var": lambda t: t.sqrt(), "logvar": lambda t: (t / 2).exp(),
         "log_scale": lambda t: t.exp(), "precision": lambda t: 1 / t.sqrt()}


def _load(source: str) -> dict:
    """Run emitted code (our own output, from SymPy printers) in a fresh namespace."""
    namespace: dict = {}
    exec(compile(source, "<kl-derive output>", "exec"), namespace)  # our own generated code, in a test
    return namespace


def _arguments(derivation, rng, size=5):
    return {s.name: (rng.uniform(0.3, 2.5, size) if s.is_positive else rng.uniform(-2, 2, size))
            for s in derivation.setting.parameters}


def _reference(derivation, arguments):
    """The derivation's result at the arguments, one point at a time, in 30 digits."""
    result = evaluated(derivation.result)
    n = len(next(iter(arguments.values()))) if arguments else 1
    return np.array([float(result.xreplace({s: arguments[s.name][i] for s in derivation.setting.parameters})
                           .evalf(30)) for i in range(n)])


@pytest.mark.parametrize("case", ["univariate", "standard"])
def test_named_cases_export_numpy(case):
    d = derive(case)
    source = render(d, "python")
    function = _load(source)[FUNCTION_NAME]
    args = _arguments(d, np.random.default_rng(1))
    assert np.allclose(function(**args), _reference(d, args), rtol=1e-12, atol=1e-14)
    assert f"def {FUNCTION_NAME}({', '.join(s.name for s in d.setting.parameters)}):" in source


@pytest.mark.parametrize(("q", "p"), PAIRS)
def test_custom_pairs_export_numpy(q, p):
    d = derive(q=q, p=p)
    source = render(d, "python")
    namespace = _load(source)
    args = _arguments(d, np.random.default_rng(2))
    value = namespace[FUNCTION_NAME](**args)
    assert np.allclose(value, _reference(d, args), rtol=1e-12, atol=1e-14)
    assert "import numpy as np" in source and "torch" not in source
    assert "verified" in source and "KL(q || p) = " in source


def test_the_docstring_states_the_derived_identity():
    d = derive(q="Normal(a, logvar=w)", p="Normal(0, 1)")
    source = render(d, "python")
    doc = _load(source)[FUNCTION_NAME].__doc__
    assert "q = N(a, exp(w)), p = N(0, 1); a real, w real." in doc
    assert "KL(q || p) = a**2/2 - w/2 + exp(w)/2 - 1/2" in doc
    assert f"({len(d.steps)} of {len(d.steps)} steps verified)" in doc


def test_printer_uses_math_for_constants_and_the_module_for_parameters():
    w = Symbol("w", real=True)
    for module in ("np", "torch"):
        printer = ArrayCodePrinter(module)
        text = printer.doprint(exp(w) + log(3) / 2 + sqrt(w**2 + 1) + pi + 1 / sqrt(w**2 + 2))
        assert f"{module}.exp(w)" in text and "math.log(3)" in text and f"{module}.sqrt(w**2 + 1)" in text
        assert "math.pi" in text and f"1/{module}.sqrt(w**2 + 2)" in text
        assert printer.modules == {module, "math"}


def test_names_that_would_shadow_the_code_are_refused():
    d = derive(q="Normal(np, 1)", p="Normal(0, 1)")
    with pytest.raises(UsageError, match="'np' would shadow"):
        render(d, "python")


def test_cli_writes_a_module(tmp_path, capsys):
    target = tmp_path / "kl.py"
    code = cli.run(["derive", "--q", "Normal(mu, logvar=lv)", "--p", "Normal(0, 1)", "-f", "python", "-o", str(target)])
    assert code == 0
    function = _load(target.read_text())[FUNCTION_NAME]
    assert function(0.0, 0.0) == 0.0
    assert function(1.0, 0.0) == pytest.approx(0.5)


# -- PyTorch: against torch.distributions (skipped cleanly when torch is not installed) --------------------


@pytest.mark.parametrize(("q", "p"), PAIRS)
def test_torch_export_matches_torch_distributions(q, p, require_module):
    torch = require_module("torch")
    from torch.distributions import Normal, kl_divergence

    from derivation.interpret.parse import parse_spec

    d = derive(q=q, p=p)
    function = _load(render(d, "torch"))[FUNCTION_NAME]
    args = {name: torch.tensor(value, dtype=torch.float64) for name, value in
            _arguments(d, np.random.default_rng(3)).items()}
    value = function(**args) if args else torch.tensor(function(), dtype=torch.float64)

    def tensor(value):
        return args[value.name] if isinstance(value, Symbol) else torch.tensor(float(value), dtype=torch.float64)

    def law(text):
        spec = parse_spec(text)
        return Normal(tensor(spec.loc), SCALE[spec.param_kind](tensor(spec.param)))

    expected = kl_divergence(law(q), law(p))
    assert torch.allclose(value * torch.ones_like(expected), expected, rtol=1e-10, atol=1e-12)


def test_torch_export_is_differentiable(require_module):
    torch = require_module("torch")
    d = derive(q="Normal(mu, logvar=lv)", p="Normal(0, 1)")
    function = _load(render(d, "torch"))[FUNCTION_NAME]
    mu = torch.tensor([0.3, -1.2], dtype=torch.float64, requires_grad=True)
    lv = torch.tensor([0.1, -0.4], dtype=torch.float64, requires_grad=True)
    function(mu, lv).sum().backward()
    assert torch.allclose(mu.grad, mu.detach())  # d/dmu (mu**2 / 2) = mu
    assert torch.allclose(lv.grad, (torch.exp(lv.detach()) - 1) / 2)
    assert math.isfinite(float(function(mu, lv).sum().detach()))


# -- every export on batches, against torch.distributions (issue 10, item 7) --------------------------------

#: The named cases as the pairs of specs they derive (the test reads the laws from these, independently).
NAMED = {
    "univariate": ("Normal(mu_q, sigma_q)", "Normal(mu_p, sigma_p)"),
    "standard": ("Normal(mu, sigma)", "Normal(0, 1)"),
    "diagonal": ("DiagNormal(mu, sigma, dim=d)", "DiagNormal(0, 1, dim=d)"),
    "vae": ("DiagNormal(mu, logvar=logvar, dim=d)", "DiagNormal(0, 1, dim=d)"),
    "full": ("MvNormal(mu_q, cov=Sigma_q, dim=d)", "MvNormal(mu_p, cov=Sigma_p, dim=d)"),
}

EXPORTS = [
    *[((case,), {}) for case in NAMED],
    (("diagonal",), {"dim": 4}),
    (("diagonal",), {"dim": 1}),
    (("diagonal",), {"route": "kingma"}),
    (("diagonal",), {"route": "full", "dim": 2}),
    ((), {"q": "DiagNormal(m, logvar=lv, dim=5)", "p": "DiagNormal(0, 1, dim=5)"}),
    ((), {"q": "DiagNormal(m1, var=v1, dim=d)", "p": "DiagNormal(m2, s2, dim=d)"}),
    ((), {"q": "DiagNormal(m, log_scale=ls, dim=3)", "p": "DiagNormal(1, precision=4, dim=3)"}),
    ((), {"q": "MvNormal(m1, cov=S1, dim=k)", "p": "MvNormal(m2, cov=S2, dim=k)"}),
    ((), {"q": "MvNormal(m, cov=S, dim=k)", "p": "MvNormal(0, cov=1, dim=k)"}),
    ((), {"q": "MvNormal(0, cov=S, dim=3)", "p": "MvNormal(m, cov=1, dim=3)"}),
    ((), {"q": "Normal(a, logvar=w)", "p": "Normal(b, var=v)"}),
]

BATCH = 4


def _export_id(export) -> str:
    args, options = export
    return "-".join([*args, *(f"{k}={v}" for k, v in options.items())])


def _specs(args, options):
    from derivation.interpret.parse import parse_spec

    q, p = NAMED[args[0]] if args else (options["q"], options["p"])
    return parse_spec(q), parse_spec(p)


def _draw_arguments(specs, n, rng):
    """Batched random arguments, by name: vectors (B, n), matrices (B, n, n) SPD, numbers (B,)."""
    from derivation.check.vector_numeric import random_spd

    ranges = {"scale": (0.4, 2.0), "var": (0.3, 3.0), "precision": (0.3, 3.0), "logvar": (-1.5, 1.5),
              "log_scale": (-0.8, 0.8)}
    values = {}
    for spec in specs:
        vector = spec.family != "Normal"
        for value, kind in ((spec.loc, "loc"), (spec.param, spec.param_kind)):
            if not isinstance(value, Symbol):
                continue
            shape = (BATCH, n) if vector else (BATCH,)
            if kind == "cov":
                values[value.name] = np.stack([random_spd(rng, n) for _ in range(BATCH)])
            else:
                values[value.name] = rng.uniform(*ranges.get(kind, (-2.0, 2.0)), size=shape)
    return values


def _torch_law(spec, tensors, n, torch):
    from torch.distributions import Independent, MultivariateNormal, Normal

    vector = spec.family != "Normal"

    def tensor(value):
        if isinstance(value, Symbol):
            return tensors[value.name]
        return torch.full((BATCH, n) if vector else (BATCH,), float(value), dtype=torch.float64)

    if spec.family == "MvNormal":
        cov = tensors[spec.param.name] if isinstance(spec.param, Symbol) else \
            float(spec.param) * torch.eye(n, dtype=torch.float64).expand(BATCH, n, n)
        return MultivariateNormal(tensor(spec.loc), covariance_matrix=cov)
    scale = {"scale": lambda t: t, "var": torch.sqrt, "logvar": lambda t: torch.exp(t / 2),
             "log_scale": torch.exp, "precision": lambda t: 1 / torch.sqrt(t)}[spec.param_kind](tensor(spec.param))
    law = Normal(tensor(spec.loc), scale)
    return Independent(law, 1) if vector else law


@pytest.mark.parametrize("fmt", ["python", "torch"])
@pytest.mark.parametrize("export", EXPORTS, ids=_export_id)
def test_every_export_matches_torch_distributions_on_batches(export, fmt, require_module):
    torch = require_module("torch")
    from torch.distributions import kl_divergence

    args, options = export
    d = derive(*args, **options)
    function = _load(render(d, fmt))[FUNCTION_NAME]
    specs = _specs(args, options)
    n = options.get("dim") or getattr(d.setting, "size", None) or 3
    values = _draw_arguments(specs, n, np.random.default_rng(7))
    tensors = {name: torch.tensor(value, dtype=torch.float64) for name, value in values.items()}
    expected = kl_divergence(_torch_law(specs[0], tensors, n, torch), _torch_law(specs[1], tensors, n, torch))
    assert expected.shape == (BATCH,)
    got = function(**(tensors if fmt == "torch" else values))
    got = got.detach().numpy() if fmt == "torch" else np.asarray(got)
    assert got.shape == (BATCH,)
    assert np.allclose(got, expected.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("fmt", ["python", "torch"])
def test_multivariate_export_takes_one_dimensional_means(fmt, require_module):
    """The README's pair: 1-D means (k,) and (k, k) covariances give a number; batches give the batch shape."""
    torch = require_module("torch")
    from torch.distributions import MultivariateNormal, kl_divergence

    function = _load(render(derive("full"), fmt))[FUNCTION_NAME]
    m1, m2 = np.array([0.5, -1.0, 2.0]), np.array([0.0, 1.0, 1.5])
    s1, s2 = np.diag([1.0, 2.0, 0.5]), np.array([[2.0, 0.3, 0.0], [0.3, 1.0, 0.1], [0.0, 0.1, 1.5]])
    arrays = (m1, s1, m2, s2)
    got = function(*(map(torch.tensor, arrays) if fmt == "torch" else arrays))
    expected = kl_divergence(MultivariateNormal(torch.tensor(m1), torch.tensor(s1)),
                             MultivariateNormal(torch.tensor(m2), torch.tensor(s2)))
    assert float(got) == pytest.approx(float(expected), rel=1e-12)
    # a batch of 2 against one prior: broadcast over the leading axes
    batch = function(np.stack([m1, m2]), s1, m2, s2) if fmt == "python" else \
        function(torch.tensor(np.stack([m1, m2])), torch.tensor(s1), torch.tensor(m2), torch.tensor(s2))
    assert tuple(batch.shape) == (2,)
    assert float(batch[0]) == pytest.approx(float(expected), rel=1e-12) and abs(float(batch[1])) > 0


# -- the concrete-dimension export: the last axis is checked, floats are accepted (issue 10, item 7) --------


@pytest.mark.parametrize("fmt", ["python", "torch"])
def test_dim_1_on_five_vectors_is_refused_with_a_clear_error(fmt, require_module):
    """The probe: `derive diagonal --dim 1 -f python` on 5-vectors returned 0.5 where the KL is 2.5."""
    module = np if fmt == "python" else require_module("torch")
    function = _load(render(derive("diagonal", dim=1), fmt))[FUNCTION_NAME]
    vector = (np.ones(5), np.ones(5)) if fmt == "python" else \
        (module.ones(5, dtype=module.float64), module.ones(5, dtype=module.float64))
    with pytest.raises(ValueError, match=r"^kl_divergence: mu has 5 coordinates on its last axis; expected 1, "
                                         r"the dimension it was derived for$"):
        function(*vector)
    # the same vectors, one coordinate each (shape (5, 1)): a batch of five, KL 0.5 each
    got = function(vector[0][:, None], vector[1][:, None])
    assert np.allclose(np.asarray(got), 0.5)
    # and at dim 5 the five coordinates add up to 2.5
    assert float(_load(render(derive("diagonal", dim=5), fmt))[FUNCTION_NAME](*vector)) == pytest.approx(2.5)


@pytest.mark.parametrize("fmt", ["python", "torch"])
def test_arguments_that_disagree_on_the_dimension_are_refused(fmt):
    function = _load(render(derive("vae"), fmt))[FUNCTION_NAME]
    with pytest.raises(ValueError, match="logvar has 4 coordinates on its last axis; expected 3, as mu has"):
        function(np.zeros(3), np.zeros(4)) if fmt == "python" else function(*(__import__("torch").zeros(k)
                                                                                for k in (3, 4)))
    full = _load(render(derive("full"), fmt))[FUNCTION_NAME]
    with pytest.raises(ValueError, match=r"Sigma_q must be an? (array|tensor) of shape \(\.\.\., d, d\)"):
        full(np.zeros(2), np.zeros(2), np.zeros(2), np.eye(2))


def test_floats_are_accepted_where_the_docstring_says_so():
    """A float is the same value in every coordinate: at d = 3, three times the univariate value."""
    one = _load(render(derive("standard"), "python"))[FUNCTION_NAME](0.5, 1.5)
    for options in ({"dim": 3}, {}):
        function = _load(render(derive("diagonal", **options), "python"))[FUNCTION_NAME]
        assert "A float is the same value in every coordinate." in function.__doc__
        coordinates = 3 if options else 1  # no argument gives d: one coordinate
        assert function(0.5, 1.5) == pytest.approx(coordinates * one, rel=1e-12)
        assert function(0.5, np.full(3, 1.5)) == pytest.approx(3 * one, rel=1e-12)
        assert function(np.array([0.5, 0.5, 0.5]), 1.5) == pytest.approx(3 * one, rel=1e-12)
    # integers are fine too
    function = _load(render(derive("diagonal", dim=2), "python"))[FUNCTION_NAME]
    assert function([0, 1], [1, 1]) == pytest.approx(0.5)
    # a float mean of a full-covariance pair: the same value in every coordinate (d from the covariances)
    full = _load(render(derive("full"), "python"))[FUNCTION_NAME]
    assert full(1.0, np.eye(3), 0.0, np.eye(3)) == pytest.approx(1.5)  # |mu_q - mu_p|^2 / 2 with mu_q = (1, 1, 1)


# -- exports at large dimension: array code over the coordinates (issue 10, item 6) --------------------------


def _diagonal_kl(m, s):
    """-1/2 sum_j (1 + log s_j^2 - m_j^2 - s_j^2), written out independently of the engine."""
    return -0.5 * np.sum(1 + np.log(s**2) - m**2 - s**2, axis=-1)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 1000, 10000])
def test_concrete_dimension_exports_are_array_code_at_every_size(n):
    d = derive("diagonal", dim=n)
    source = render(d, "python")
    assert len(source) < 5000  # the same short module at every N: no term written out
    assert "return -1/2*np.sum(np.log(sigma**2) - mu**2 - sigma**2 + 1, axis=-1)" in source
    assert f"mu, sigma, _ = _arrays({n}, " in source
    function = _load(source)[FUNCTION_NAME]  # compiles and imports (N >= 1000 gave RecursionError)
    rng = np.random.default_rng(n)
    m, s = rng.normal(size=(3, n)), rng.uniform(0.4, 2.0, size=(3, n))
    assert np.allclose(function(m, s), _diagonal_kl(m, s), rtol=1e-12)


def test_concrete_dimension_torch_export_at_the_limit(require_module):
    torch = require_module("torch")
    source = render(derive("diagonal", dim=10000), "torch")
    assert "return -1/2*torch.sum(torch.log(sigma**2) - mu**2 - sigma**2 + 1, dim=-1)" in source
    function = _load(source)[FUNCTION_NAME]
    m = torch.randn(2, 10000, dtype=torch.float64)
    s = torch.rand(2, 10000, dtype=torch.float64) + 0.5
    assert torch.allclose(function(m, s), torch.tensor(_diagonal_kl(m.numpy(), s.numpy())))


@pytest.mark.parametrize("options", [{"dim": 1}, {"dim": 4}, {"dim": 50}, {"route": "kingma", "dim": 6},
                                     {"route": "full", "dim": 3}])
def test_the_folded_sum_writes_out_to_the_derived_result(options):
    from derivation.nodes.families import Instantiation
    from derivation.output.codegen import folded

    d = derive("diagonal", **options)
    out = folded(d.result, d.setting)
    assert out.has(Sum) and not any(i.indices[0].is_Integer for i in out.atoms(Indexed))
    assert Instantiation(d.setting.dim_symbol, options["dim"])(out) == d.result


def test_custom_concrete_pair_folds_too():
    from derivation.output.codegen import folded

    d = derive(q="DiagNormal(m1, s1, dim=6)", p="DiagNormal(m2, var=v2, dim=6)")
    source = render(d, "python")
    assert source.count("np.sum(") == 1 and "[..., 0]" not in source
    assert folded(d.result, d.setting).has(Sum)


def test_a_fold_that_does_not_write_out_to_the_result_is_an_error(monkeypatch):
    from derivation.core.errors import DerivationError
    from derivation.output import codegen

    d = derive("diagonal", dim=3)
    monkeypatch.setattr(codegen._Fold, "_entry", lambda self, expr: expr.xreplace({Symbol("mu"): Symbol("mu")}) * 2)
    with pytest.raises(DerivationError, match="does not write out to the derived result at d = 3"):
        codegen.folded(d.result, d.setting)


def test_cli_python_export_at_dim_10000_imports(tmp_path):
    target = tmp_path / "kl.py"
    assert cli.run(["derive", "diagonal", "--dim", "10000", "-f", "python", "-o", str(target)]) == 0
    function = _load(target.read_text())[FUNCTION_NAME]
    assert function(np.zeros(10000), np.ones(10000)) == 0


# -- JSON at large dimension: srepr memoised by node, SymPy's text character for character -------------------


@pytest.mark.parametrize("options", [{"case": "diagonal", "dim": 40}, {"case": "full"}, {"case": "dynamics"},
                                     {"q": "DiagNormal(m, logvar=lv, dim=5)", "p": "DiagNormal(0, 1, dim=5)"},
                                     {"q": "MvNormal(m, cov=S, dim=k)", "p": "MvNormal(0, cov=1, dim=k)"}])
def test_json_srepr_is_sympys_srepr(options):
    import json

    from sympy import Derivative, Function, Integral, Matrix, srepr

    from derivation.output.notebook import SharedRepr

    options = dict(options)
    d = derive(options.pop("case", None), **options)
    document = json.loads(render(d, "json"))
    assert [s["srepr"] for s in document["steps"]] == [srepr(s.expr, order="none") for s in d.steps]
    assert document["result"]["srepr"] == srepr(d.result, order="none")
    printer = SharedRepr()
    f, x = Function("f"), Symbol("x")
    lines = [*(s.expr for lm in d.lemmas() for s in lm.steps), *(i for s in d.steps for i in s.identities),
             f(x) + Derivative(f(x), x), Integral(f(x), (x, 0, 1)), Matrix([[1, x], [x, 2]])]
    for line in lines:
        assert printer.doprint(line) == srepr(line, order="none")


# -- properties: any batch shape, any dimension ----------------------------------------------------------------


@pytest.fixture(scope="module")
def diagonal_exports():
    """The NumPy export of the diagonal case at general d and at d = 1, ..., 6."""
    return {n: _load(render(derive("diagonal", **({"dim": n} if n else {})), "python"))[FUNCTION_NAME]
            for n in (None, 1, 2, 3, 4, 5, 6)}


@settings(max_examples=40, deadline=None)
@given(batch=st.lists(st.integers(1, 3), max_size=2), n=st.integers(1, 6), concrete=st.booleans(),
       seed=st.integers(0, 2**16), wrong=st.integers(1, 7))
def test_diagonal_export_on_any_batch(diagonal_exports, batch, n, concrete, seed, wrong):
    rng = np.random.default_rng(seed)
    m, s = rng.normal(size=(*batch, n)), rng.uniform(0.4, 2.0, size=(*batch, n))
    function = diagonal_exports[n if concrete else None]
    got = function(m, s)
    assert np.shape(got) == tuple(batch)
    assert np.allclose(got, _diagonal_kl(m, s), rtol=1e-12)
    if concrete and wrong != n:  # another length on the last axis: refused, naming the argument
        with pytest.raises(ValueError, match=f"mu has {wrong} coordinates on its last axis; expected {n}"):
            function(rng.normal(size=(*batch, wrong)), s)


@settings(max_examples=8, deadline=None)
@given(n=st.integers(1, 40), route=st.sampled_from(["paper", "kingma", "full"]))
def test_fold_writes_out_to_the_result_at_any_dimension(n, route):
    from derivation.nodes.families import Instantiation
    from derivation.output.codegen import folded

    d = derive("diagonal", dim=n, route=route)
    out = folded(d.result, d.setting)
    assert not any(i.indices[0].is_Integer for i in out.atoms(Indexed))
    assert Instantiation(d.setting.dim_symbol, n)(out) == d.result


@pytest.mark.parametrize("fmt", ["python", "torch"])
@pytest.mark.parametrize(("q", "p"), [("Normal(lambda, 1)", "Normal(0, 1)"),
                                      ("DiagNormal(lambda, 1, dim=3)", "DiagNormal(0, 1, dim=3)")])
def test_a_keyword_named_parameter_is_a_valid_argument(q, p, fmt, require_module):
    """A spec may name a parameter ``lambda``; the exported function calls it ``lambda_`` (signature and body)."""
    if fmt == "torch":
        require_module("torch")
    function = _load(render(derive(q=q, p=p), fmt))[FUNCTION_NAME]
    value = function(lambda_=[2.0, 2.0, 2.0] if "Diag" in q else 2.0)
    assert float(value) == pytest.approx(6.0 if "Diag" in q else 2.0)
