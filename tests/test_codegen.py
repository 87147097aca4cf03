"""Code export: the derived closed form as a NumPy / PyTorch function, checked against the derivation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sympy import Symbol, exp, log, pi, sqrt

import cli
from derivation import derive, render
from derivation.codegen import FUNCTION_NAME, ArrayCodePrinter
from derivation.errors import UsageError
from derivation.forms import evaluated

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

    from derivation.parse import parse_spec

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
