"""A distribution's divergence from itself is written 0, in every family: the last step of a pair whose closed
form cancels as it stands is the ``equal-laws`` rule (it was left as ``p log(p/p)``, ``(l - l)/(1 + e^{-l})``)."""

from __future__ import annotations

import pytest

from derivation import derive, render

SAME = [
    "Normal(m, s)", "Normal(m, logvar=v)", "Laplace(m, b)", "Gamma(a, b)", "Beta(a, b)", "Gumbel(m, b)",
    "Poisson(l)", "Bernoulli(r)", "Bernoulli(logits=l)", "Geometric(r)", "Binomial(n, r)", "Binomial(n, logits=l)",
    "Exponential(l)", "Uniform(a, b)", "Pareto(a, b)", "HalfNormal(s)", "Categorical(w, K)",
    "DiagNormal(m, s, dim=d)", "MvNormal(m, cov=S, dim=d)",
]


@pytest.mark.parametrize("spec", SAME)
def test_a_law_against_itself_ends_in_zero(spec: str):
    derivation = derive(q=spec, p=spec)
    assert derivation.result == 0 and derivation.verified
    assert render(derivation, "text").split("Result:", 1)[1].split("\n")[2].strip() == "KL(q ‖ p) = 0"


def test_the_rule_does_not_touch_a_divergence_that_is_not_zero():
    derivation = derive(q="Bernoulli(r)", p="Bernoulli(t)")
    assert "equal-laws" not in [s.rule for s in derivation.steps] and derivation.result != 0


def test_the_exports_of_a_law_against_itself_return_zeros_of_the_batch_shape():
    """``return 0`` was a plain int: no batch shape, no tensor to call ``backward`` through."""
    import numpy as np
    import torch

    def load_function(source: str):
        namespace: dict = {}
        exec(compile(source, "<kl-derive output>", "exec"), namespace)  # our own generated code, in a test
        return namespace["kl_divergence"]

    scalar = load_function(render(derive(q="Normal(m, s)", p="Normal(m, s)"), "torch"))
    value = scalar(torch.zeros(3), torch.ones(2, 3, requires_grad=True))
    assert isinstance(value, torch.Tensor) and value.shape == (2, 3) and not value.any()
    vector = load_function(render(derive(q="DiagNormal(m, s, dim=d)", p="DiagNormal(m, s, dim=d)"), "python"))
    zeros = vector(np.zeros((5, 3)), np.ones((5, 3)))
    assert zeros.shape == (5,) and zeros.dtype == float and not zeros.any()
