"""Torch's finite cross pairs derived by the shared plan of the laws' moments (issue 12): Gamma-Normal, Beta-Normal,
Beta-Exponential, Beta-Gamma, Uniform-Exponential, Uniform-Gamma, Beta-Uniform, Uniform-Pareto, and the Gumbel
targets Exponential-Gumbel, Gamma-Gumbel, Uniform-Gumbel (by the moment generating function). Each derived and
checked; its result equal to the KL integral by mpmath quadrature (30 digits, densities written here) at random
points; its torch export equal to ``torch.distributions.kl_divergence``; a support condition (0 <= a for a uniform
law against a law on the positive half-line) stated in the setting."""

from __future__ import annotations

import random

import mpmath
import pytest
from conftest import _require_module as require
from sympy import Integral, Symbol, lambdify, log

from derivation import derive
from derivation.cases.cross import MOMENT_PAIRS
from derivation.check.numeric import Evaluator
from derivation.laws import GammaLaw
from derivation.nodes.scalar import Density, Expectation
from derivation.output.render import render

SPECS = {"Gamma": "Gamma(a1, rate=r1)", "Beta": "Beta(a1, b1)", "Uniform": "Uniform(lo, hi)",
         "Exponential": "Exponential(r1)"}
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
        return lambda x: mpmath.log(v["k2"]) + v["k2"] * mpmath.log(v["c2"]) - (v["k2"] + 1) * mpmath.log(x)
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
              "a2": rng.uniform(0.5, 3), "lo2": rng.uniform(-2, 0), "hi2": rng.uniform(1, 3)}
    return {k: mpmath.mpf(x) for k, x in values.items()}


def _quadrature(q: str, p: str, v: dict[str, mpmath.mpf]) -> mpmath.mpf:
    log_q, log_p = _log_pdf(q, v, False), _log_pdf(p, v, True)
    with mpmath.workdps(30):
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
             "Uniform": lambda: d.Uniform(t["lo"], t["hi"]), "Exponential": lambda: d.Exponential(t["r1"])}[q]()
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
