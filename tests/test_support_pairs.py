"""Pairs torch registers as infinite (``_infinite_like``) among the continuous families (issue 12): derived from the
definition as +oo with the support argument as the step, at a point of the first support outside the second that is
decided for every value of the parameters; the exports return +inf in the arguments' shape; torch agrees."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import _require_module as require
from sympy import S

from derivation import derive
from derivation.audit import PAIRS
from derivation.cases.discrete import INFINITE_CONTINUOUS
from derivation.laws.base import inside
from derivation.output.render import render

SPECS = {
    "Normal": "Normal(m, s)", "Laplace": "Laplace(m, s)", "Exponential": "Exponential(l)",
    "Gamma": "Gamma(al, rate=be)", "Pareto": "Pareto(c, k)", "Beta": "Beta(x1, x2)", "Uniform": "Uniform(a, b)",
    "Gumbel": "Gumbel(m, s)",
}


@pytest.mark.parametrize(("q", "p"), INFINITE_CONTINUOUS, ids=[f"{q}-{p}" for q, p in INFINITE_CONTINUOUS])
def test_derived_infinite_by_the_support(q, p):
    derivation = derive(q=SPECS[q], p=SPECS[p])
    assert derivation.result == S.Infinity
    assert [step.rule for step in derivation.steps] == ["kl-definition", "continuous-support-mismatch"]
    assert derivation.verified and all(check.ok for check in derivation.checks)
    assert "support" in derivation.checks[-1].detail
    _, second = derivation.steps[-1].identities
    assert second.rhs == 0  # p's density at the witness
    witness = second.lhs.variable
    setting = derivation.setting
    assert inside(witness, setting.q.law.support) is True and inside(witness, setting.p.law.support) is False


def test_the_export_is_infinite_in_the_batch_shape():
    torch = require("torch")
    namespace: dict = {}
    exec(compile(render(derive(q="Normal(m, s)", p="Uniform(a, b)"), "torch"), "<kl-derive output>", "exec"),
         namespace)  # our own generated code, in a test
    value = namespace["kl_divergence"](torch.zeros(3), torch.ones(3), torch.zeros(3), torch.ones(3))
    assert value.shape == (3,) and bool(torch.isinf(value).all())


def test_torch_agrees():
    torch = require("torch")
    names = {f"{q}-{p} (infinite)" for q, p in INFINITE_CONTINUOUS}
    pairs = [pair for pair in PAIRS if pair.name in names]
    assert len(pairs) == len(INFINITE_CONTINUOUS)
    rng = np.random.default_rng(0)
    for pair in pairs:
        values = {a.name: torch.tensor([a.kind.draw(rng, ()) for _ in range(2)], dtype=torch.float64)
                  for a in (*pair.q_parameters, *pair.p_parameters)}
        q, p = pair.torch(torch.distributions, values)
        assert bool(torch.isinf(torch.distributions.kl_divergence(q, p)).all()), pair.name
