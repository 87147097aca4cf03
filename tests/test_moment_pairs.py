"""Torch's finite cross pairs derived by the shared plan of the laws' moments (issue 12): Gamma-Normal, Beta-Normal,
Beta-Exponential, Beta-Gamma, Uniform-Exponential, Uniform-Gamma, Beta-Uniform, Uniform-Pareto, the Gumbel
targets Exponential-Gumbel, Gamma-Gumbel, Uniform-Gumbel (by the moment generating function), and Pareto-Exponential,
Pareto-Gamma, Pareto-Normal (finite where the Pareto shape exceeds the order of the moment needed, +oo elsewhere).
Each derived and checked; its result equal to the KL integral by mpmath quadrature (30 digits, densities written
here) at random points; its torch export equal to ``torch.distributions.kl_divergence``; a support condition
(0 <= a for a uniform law against a law on the positive half-line) stated in the setting."""

from __future__ import annotations

import random
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from conftest import _require_module as require
from sympy import Integral, S, Symbol, lambdify, log

from derivation import derive
from derivation.cases.cross import MOMENT_PAIRS
from derivation.check.numeric import Evaluator
from derivation.laws import GammaLaw
from derivation.nodes.scalar import Density, Expectation
from derivation.output.render import render

SPECS = {"Gamma": "Gamma(a1, rate=r1)", "Beta": "Beta(a1, b1)", "Uniform": "Uniform(lo, hi)",
         "Exponential": "Exponential(r1)", "Pareto": "Pareto(c1, k1)"}
P_SPECS = {"Gamma": "Gamma(a2, rate=r2)", "Uniform": "Uniform(lo2, hi2)", "Normal": "Normal(m2, s2)",
           "Exponential": "Exponential(r2)", "Gumbel": "Gumbel(m2, s2)", "Pareto": "Pareto(c2, k2)"}
IDS = [f"{q}-{p}" for q, p in MOMENT_PAIRS]


def _log_pdf(family: str, v: dict[str, mpmath.mpf], second: bool):
    """The log-density, written with mpmath apart from the laws."""
    if family == "Gamma":
        a, r = (v["a2"], v["r2"]) if second else (v["a1"], v["r1"])
        return lambda x: a * mpmath.log(r) - mpmath.loggamma(a) + (a - 1) * mpmath.log(x) - r * x
    if family == "Beta":
        a, b = v["a1"], v["b1"]
        return lambda x: (a - 1) * mpmath.log(x) + (b - 1) * mpmath.log1p(-x) - mpmath.log(mpmath.beta(a, b))
    if family == "Uniform":
        lo, hi = (v["lo2"], v["hi2"]) if second else (v["lo"], v["hi"])
        return lambda x: -mpmath.log(hi - lo)
    if family == "Gumbel":
        return lambda x: -(x - v["m2"]) / v["s2"] - mpmath.exp(-(x - v["m2"]) / v["s2"]) - mpmath.log(v["s2"])
    if family == "Pareto":
        c, k = (v["c2"], v["k2"]) if second else (v["c1"], v["k1"])
        return lambda x: mpmath.log(k) + k * mpmath.log(c) - (k + 1) * mpmath.log(x)
    if family == "Exponential" and not second:
        return lambda x: mpmath.log(v["r1"]) - v["r1"] * x
    if family == "Normal":
        return lambda x: -(x - v["m2"]) ** 2 / (2 * v["s2"] ** 2) - mpmath.log(2 * mpmath.pi * v["s2"] ** 2) / 2
    return lambda x: mpmath.log(v["r2"]) - v["r2"] * x  # Exponential


def _support(family: str, v: dict[str, mpmath.mpf]) -> list[mpmath.mpf]:
    return {"Gamma": [0, 1, mpmath.inf], "Exponential": [0, 1, mpmath.inf], "Beta": [0, 0.5, 1],
            "Uniform": [v["lo"], v["hi"]]}[family]


def _point(rng: random.Random) -> dict[str, mpmath.mpf]:
    """Random parameters with the support conditions holding (c2 <= lo, 0 <= lo; lo2 <= 0 and 1 <= hi2)."""
    values = {"a1": rng.uniform(1.2, 4), "r1": rng.uniform(0.5, 2), "b1": rng.uniform(1.2, 4),
              "lo": rng.uniform(0.3, 1), "c2": rng.uniform(0.05, 0.3), "k2": rng.uniform(0.5, 3),
              "hi": rng.uniform(1.5, 3), "m2": rng.uniform(-2, 2), "s2": rng.uniform(0.5, 2), "r2": rng.uniform(0.5, 2),
              "a2": rng.uniform(0.5, 3), "lo2": rng.uniform(-2, 0), "hi2": rng.uniform(1, 3),
              "c1": rng.uniform(0.2, 3), "k1": rng.uniform(2.5, 5)}  # a Pareto shape above 2: its variance exists
    return {k: mpmath.mpf(x) for k, x in values.items()}


def _quadrature(q: str, p: str, v: dict[str, mpmath.mpf]) -> mpmath.mpf:
    log_q, log_p = _log_pdf(q, v, False), _log_pdf(p, v, True)
    with mpmath.workdps(30):
        if q == "Pareto":  # in u = log x, where the integrand falls exponentially (in x only like a power)
            return mpmath.quad(lambda u: mpmath.exp(log_q(mpmath.exp(u)) + u) * (log_q(mpmath.exp(u))
                               - log_p(mpmath.exp(u))), [mpmath.log(v["c1"]) + k for k in (0, 1, 4, 16)] + [mpmath.inf])
        return mpmath.quad(lambda x: mpmath.exp(log_q(x)) * (log_q(x) - log_p(x)), _support(q, v))


@pytest.mark.parametrize(("q", "p"), MOMENT_PAIRS, ids=IDS)
def test_derived_checked_and_equal_to_the_integral(q, p):
    derivation = derive(q=SPECS[q], p=P_SPECS[p])
    assert derivation.verified and all(check.ok for check in derivation.checks)
    assert not derivation.result.has(Integral, Expectation)
    assert "combine-cross-log-densities" in [step.rule for step in derivation.steps]
    symbols = sorted(derivation.result.free_symbols, key=str)
    value = lambdify(symbols, derivation.result, modules="mpmath")
    rng = random.Random(f"{q}-{p}")
    for _ in range(3):
        point = _point(rng)
        with mpmath.workdps(30):
            derived = value(*(point[str(s)] for s in symbols))
        assert mpmath.almosteq(derived, _quadrature(q, p, point), rel_eps=mpmath.mpf(10) ** -20), point


@pytest.mark.parametrize(("q", "p"), MOMENT_PAIRS, ids=IDS)
def test_the_torch_export_is_torch_s_value(q, p):
    torch = require("torch")
    derivation = derive(q=SPECS[q], p=P_SPECS[p])
    namespace: dict = {}
    exec(compile(render(derivation, "torch"), "<kl-derive output>", "exec"), namespace)  # our own generated code
    point = _point(random.Random(7))
    tensors = {k: torch.tensor(float(x), dtype=torch.float64) for k, x in point.items()}
    d, t = torch.distributions, tensors
    first = {"Gamma": lambda: d.Gamma(t["a1"], t["r1"]), "Beta": lambda: d.Beta(t["a1"], t["b1"]),
             "Uniform": lambda: d.Uniform(t["lo"], t["hi"]), "Exponential": lambda: d.Exponential(t["r1"]),
             "Pareto": lambda: d.Pareto(t["c1"], t["k1"])}[q]()
    second = {"Gamma": lambda: d.Gamma(t["a2"], t["r2"]), "Uniform": lambda: d.Uniform(t["lo2"], t["hi2"]),
              "Normal": lambda: d.Normal(t["m2"], t["s2"]), "Exponential": lambda: d.Exponential(t["r2"]),
              "Gumbel": lambda: d.Gumbel(t["m2"], t["s2"]), "Pareto": lambda: d.Pareto(t["c2"], t["k2"])}[p]()
    expected = torch.distributions.kl_divergence(first, second)
    arguments = [tensors[name] for name in namespace["kl_divergence"].__code__.co_varnames[
        :namespace["kl_divergence"].__code__.co_argcount]]
    assert float(namespace["kl_divergence"](*arguments)) == pytest.approx(float(expected), rel=1e-10)


@pytest.mark.parametrize(("spec", "condition"), [("Uniform(lo, hi)", "0 ≤ lo")])
def test_the_support_condition_is_in_the_setting(spec, condition):
    text = render(derive(q=spec, p="Exponential(r2)"), "text")
    pareto = render(derive(q=spec, p="Pareto(c2, k2)"), "text")
    assert "c₂ ≤ lo" in pareto.split("Setting:")[1].splitlines()[0]
    assert condition in text.split("Setting:")[1].splitlines()[0]
    beta_uniform = render(derive(q="Beta(a1, b1)", p="Uniform(lo2, hi2)"), "text")
    assert "lo₂ ≤ 0, 1 ≤ hi₂" in beta_uniform.split("Setting:")[1].splitlines()[0]


def test_an_expectation_recurring_in_a_chain_is_integrated_once(monkeypatch):
    x, a, r = Symbol("x", positive=True), Symbol("a", positive=True), Symbol("r", positive=True)
    mean_log = Expectation(log(x), Density("q", x, GammaLaw(a, r)))
    evaluator = Evaluator([{a: mpmath.mpf(2), r: mpmath.mpf(1)}])
    calls = []
    integral = Evaluator._quadratures
    monkeypatch.setattr(Evaluator, "_quadratures", lambda self, *args: calls.append(args) or integral(self, *args))
    first = evaluator.values(2 * mean_log + a)
    second = evaluator.values(mean_log - r)
    assert len(calls) == 1
    assert mpmath.almosteq(first[0], 2 * mpmath.digamma(2) + 2, rel_eps=1e-12)
    assert mpmath.almosteq(second[0], mpmath.digamma(2) - 1, rel_eps=1e-12)


#: A Pareto law against a law whose log-density grows like x**k: the shape k the divergence needs exceeded.
PARETO_ORDERS = {"Exponential": 1, "Gamma": 1, "Normal": 2}


@pytest.mark.parametrize("p", list(PARETO_ORDERS))
def test_a_pareto_law_is_derived_under_its_moment_condition(p):
    order = PARETO_ORDERS[p]
    text = render(derive(q="Pareto(c1, k1)", p=P_SPECS[p]), "text")
    assert text.split("Setting:")[1].splitlines()[0].endswith(f"k₁ > {order}.")
    code = render(derive(q="Pareto(c1, k1)", p=P_SPECS[p]), "python")
    assert f"k1 > {order}" in code and f"np.where((k1 > {order}), " in code and code.rstrip().endswith(", math.inf)")


@pytest.mark.parametrize("p", list(PARETO_ORDERS))
@pytest.mark.parametrize("shape", ["1/2", "1", "3/2", "2"])
def test_a_pareto_law_whose_moment_is_infinite_gives_infinity(p, shape):
    derivation = derive(q=f"Pareto(c1, {shape})", p=P_SPECS[p])
    if Fraction(shape) > PARETO_ORDERS[p]:  # 3/2 against an exponential law: finite
        assert derivation.result.is_finite is not False and "infinite-moment" not in [s.rule for s in derivation.steps]
        return
    assert derivation.result == S.Infinity
    assert [step.rule for step in derivation.steps] == ["kl-definition", "infinite-moment"]
    assert derivation.verified and all(check.ok for check in derivation.checks)
    assert "infinite moment" in derivation.checks[-1].detail
    (identity,) = derivation.steps[-1].identities
    x = derivation.setting.q.variable
    assert identity.lhs == Expectation(x if PARETO_ORDERS[p] == 1 else x**2, derivation.setting.q)
    assert identity.rhs == S.Infinity


@pytest.mark.parametrize("p", list(PARETO_ORDERS))
def test_the_pareto_exports_are_infinite_where_torch_s_are(p):
    torch = require("torch")
    derivation = derive(q="Pareto(c1, k1)", p=P_SPECS[p])
    namespace: dict = {}
    exec(compile(render(derivation, "torch"), "<kl-derive output>", "exec"), namespace)  # our own generated code
    order = PARETO_ORDERS[p]
    shapes = torch.tensor([0.5, 1.0, 1.5, 2.0, order + 1e-3, 2.5, 7.0], dtype=torch.float64)
    size = len(shapes)
    t = {"c1": torch.full((size,), 0.7, dtype=torch.float64), "k1": shapes,
         "a2": torch.full((size,), 1.7, dtype=torch.float64), "r2": torch.full((size,), 0.8, dtype=torch.float64),
         "m2": torch.full((size,), -0.4, dtype=torch.float64), "s2": torch.full((size,), 1.3, dtype=torch.float64)}
    d = torch.distributions
    second = {"Exponential": lambda: d.Exponential(t["r2"]), "Gamma": lambda: d.Gamma(t["a2"], t["r2"]),
              "Normal": lambda: d.Normal(t["m2"], t["s2"])}[p]()
    expected = torch.distributions.kl_divergence(d.Pareto(t["c1"], t["k1"]), second)
    function = namespace["kl_divergence"]
    arguments = [t[name] for name in function.__code__.co_varnames[:function.__code__.co_argcount]]
    values = function(*arguments)
    assert torch.equal(torch.isinf(values), shapes <= order) and torch.equal(torch.isinf(expected), shapes <= order)
    finite = shapes > order
    assert torch.allclose(values[finite], expected[finite], rtol=1e-10)
    numpy_namespace: dict = {}
    exec(compile(render(derivation, "python"), "<kl-derive output>", "exec"), numpy_namespace)  # our own code
    with np.errstate(divide="ignore", invalid="ignore"):  # the finite branch at the shapes it is not taken at
        plain = numpy_namespace["kl_divergence"](*(a.numpy() for a in arguments))
    assert np.array_equal(np.isinf(plain), (shapes <= order).numpy())
    assert np.allclose(plain[finite.numpy()], expected[finite].numpy(), rtol=1e-10)
