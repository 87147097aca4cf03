"""Issue 13 item 3: the ``reconstruction`` case.

A Gaussian decoder's ``-log p(x | z)`` is the squared error over ``2 s**2`` plus ``D/2 log(2 pi s**2)``, and ``beta =
2 s**2`` is read off the loss multiplied by ``2 s**2``; a Bernoulli decoder's is the binary cross-entropy, and in the
logits ``log(1 + e^eta) - x eta``; each result is a line of PyTorch read back by the claim parser. The chains are
checked as they are made; here: what they say, that a wrong step or a wrong line of code is rejected, and the closed
forms against independent oracles: the densities themselves (SciPy), PyTorch's losses run on random tensors,
normalisation by quadrature (mpmath, D = 1), and the mean of the loss under the decoder by Monte Carlo (fixed seed,
tolerance from the sample variance).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from sympy import Float, Integer, Symbol, exp, lambdify, log, pi

from derivation import derive, render
from derivation.check.checker import reusing_chains
from derivation.core.errors import ParseError, StepRejected
from derivation.core.forms import add, evaluated
from derivation.interpret.parse import parse_claim
from derivation.nodes.vector import CodeLine
from derivation.rules.base import terms
from derivation.settings.decoder import decoder_setting
from derivation.settings.univariate import Notation

GAUSSIAN = decoder_setting(Notation(), "gaussian")
BERNOULLI = decoder_setting(Notation(), "bernoulli")


@pytest.fixture(scope="module")
def document():
    return derive("reconstruction")


def _section(document, key):
    return next(s for s in document.sections if s.key == key)


def _values(expr, setting, x, y, s=1.0, eta=None):
    """``expr`` (a sum over the pixels) at data ``x`` and output ``y`` (or logits ``eta``), D = len(x)."""
    data = {setting.dim: Integer(len(x)), setting.s: Float(s)}
    written = evaluated(expr).xreplace({setting.dim: Integer(len(x))}).doit()
    values = {**{setting.data[k + 1]: Float(v) for k, v in enumerate(x)},
              **{setting.output[k + 1]: Float(v) for k, v in enumerate(y)}}
    if eta is not None:
        values.update({setting.logits[k + 1]: Float(v) for k, v in enumerate(eta)})
    return float(written.xreplace(data).xreplace(values).evalf(30))


# -- the chains ---------------------------------------------------------------------------------------------


def test_the_gaussian_chain_goes_pixel_by_pixel_to_squared_error_plus_a_constant(document):
    assert [s.rule for s in document.steps] == ["pixels-independent", "log-of-product", "negate-into-sum",
                                                "pixel-result", "split-off-constants", "factor-out-of-sum"]
    assert all(c.ok for c in document.checks)
    (lemma,) = document.steps[3].lemmas
    assert [s.rule for s in lemma.steps] == ["pixel-log-density", "open-negated-bracket"]
    x, y, s, i, D = GAUSSIAN.data, GAUSSIAN.output, GAUSSIAN.s, GAUSSIAN.index, GAUSSIAN.dim
    from sympy import Sum
    expected = Sum((x[i] - y[i]) ** 2, (i, 1, D)) / (2 * s**2) + D * log(2 * pi * s**2) / 2
    assert (evaluated(document.result) - expected).simplify() == 0


def test_the_beta_of_the_gaussian_decoder_is_read_off_a_derived_line(document):
    section = _section(document, "beta")
    (chain,) = section.derivations
    assert [s.rule for s in chain.steps] == ["multiply-through"]
    (fact,) = section.facts
    assert fact.statement.lhs == Symbol("beta", positive=True)
    assert fact.statement.rhs == 2 * GAUSSIAN.s**2
    markdown = render(document, "markdown")
    assert r"$\beta = 2 s^{2}$" in markdown
    assert "noise variance is half of $\\beta$" in markdown


def test_the_bernoulli_chain_ends_in_binary_cross_entropy_and_the_logits_in_softplus(document):
    pixel, bernoulli = _section(document, "bernoulli").derivations
    assert [s.rule for s in pixel.steps] == ["pixel-log-density", "open-negated-bracket"]
    assert bernoulli.steps[-1].rule == "pixel-result"
    (logits,) = _section(document, "logits").derivations
    assert [s.rule for s in logits.steps] == ["logistic-output", "softplus-of-minus", "collect-softplus"]
    markdown = render(document, "markdown")
    assert (r"- \log p(x \mid z) = \sum_{i=1}^{D} \bigl(- x_{i} \log y_{i} - (1 - x_{i}) \log(1 - y_{i})\bigr)"
            in markdown)
    assert r"\sum_{i=1}^{D} \bigl(\log(1 + e^{\eta_{i}}) - x_{i} \eta_{i}\bigr)" in markdown


def test_each_result_ends_in_a_line_of_pytorch_read_back_and_compared(document):
    listings = {key: _section(document, key) for key in ("code", "bernoulli-code", "logits-code")}
    assert listings["code"].listing == ("(F.mse_loss(x_hat, x, reduction='sum') / (2*s**2)\n"
                                        " + D*math.log(2*math.pi*s**2) / 2)")
    assert listings["bernoulli-code"].listing == "F.binary_cross_entropy(x_hat, x, reduction='sum')"
    assert listings["logits-code"].listing == "F.binary_cross_entropy_with_logits(logits, x, reduction='sum')"
    for section in listings.values():
        assert section.listing_check.ok and "parses back" in section.listing_check.detail
    markdown = render(document, "markdown")
    assert "```python\nF.binary_cross_entropy(x_hat, x, reduction='sum')\n```" in markdown


@pytest.mark.parametrize("text", [
    "F.mse_loss(x_hat, x, reduction='mean') / (2*s**2) + D*math.log(2*math.pi*s**2) / 2",  # a mean: divided by D
    "F.mse_loss(x_hat, x, reduction='sum') / s**2 + D*math.log(2*math.pi*s**2) / 2",  # the 2 dropped
])
def test_a_wrong_line_of_code_is_rejected(document, text):
    checker = GAUSSIAN.checker()
    verdict = checker.check(0, document.result, CodeLine(document.result, text, GAUSSIAN.code_names))
    assert not verdict.ok


def test_a_wrong_step_is_rejected():
    from derivation.core.engine import Rule
    from derivation.rules.base import rewrite_or_refuse

    pixel = GAUSSIAN.pixel()
    wrong = Rule("wrong", "Wrong", "The variance forgotten.", lambda e, st: rewrite_or_refuse(
        e, lambda n: -(GAUSSIAN.data[GAUSSIAN.index] - GAUSSIAN.output[GAUSSIAN.index]) ** 2 / 2
        if n == log(pixel) else None, "pixel"))
    with reusing_chains(), pytest.raises(StepRejected):
        GAUSSIAN.checker().derive("bad", "bad", -log(pixel), (wrong,), GAUSSIAN)


# -- the closed forms against independent oracles ------------------------------------------------------------

POINTS = [([0.3, -1.2, 2.0], [0.1, -0.4, 1.1], 0.7), ([1.5, 0.2], [-0.3, 0.9], 1.8), ([-0.6], [0.4], 0.35)]


@pytest.mark.parametrize(("x", "y", "s"), POINTS)
def test_the_gaussian_result_is_minus_the_log_density(document, x, y, s):
    from scipy.stats import norm

    assert _values(document.result, GAUSSIAN, x, y, s) == pytest.approx(-norm.logpdf(x, y, s).sum(), rel=1e-12)


@pytest.mark.parametrize(("x", "y", "s"), POINTS)
def test_the_lines_of_code_compute_the_results_in_pytorch(document, x, y, s):
    import torch
    import torch.nn.functional as F

    tx, ty = torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    namespace = {"F": F, "math": math, "torch": torch, "x": tx, "x_hat": ty, "s": s, "D": len(x)}
    code = eval(_section(document, "code").listing, namespace)
    assert float(code) == pytest.approx(_values(document.result, GAUSSIAN, x, y, s), rel=1e-12)

    rng = np.random.default_rng(13)
    eta = rng.uniform(-3, 3, len(x))
    bits = rng.integers(0, 2, len(x)).astype(float)
    probs = 1 / (1 + np.exp(-eta))
    namespace.update(x=torch.tensor(bits), x_hat=torch.tensor(probs), logits=torch.tensor(eta))
    _, bernoulli = _section(document, "bernoulli").derivations
    (logits,) = _section(document, "logits").derivations
    bce = eval(_section(document, "bernoulli-code").listing, namespace)
    with_logits = eval(_section(document, "logits-code").listing, namespace)
    expected = _values(bernoulli.result, BERNOULLI, bits, probs)
    assert float(bce) == pytest.approx(expected, rel=1e-10)
    assert float(with_logits) == pytest.approx(expected, rel=1e-10)
    assert _values(logits.result, BERNOULLI, bits, probs, eta=eta) == pytest.approx(expected, rel=1e-10)


def test_the_decoder_density_integrates_to_one_by_quadrature(document):
    """D = 1: exp(-result) is a density in x (mpmath quadrature) and the two Bernoulli masses add to 1."""
    x1, y1, s = GAUSSIAN.data[1], GAUSSIAN.output[1], GAUSSIAN.s
    one = evaluated(document.result).xreplace({GAUSSIAN.dim: 1}).doit()
    f = lambdify((x1, y1, s), one, "mpmath")
    mpmath.mp.dps = 30
    for y, sd in ((0.3, 0.7), (-1.1, 1.9)):
        total = mpmath.quad(lambda t, y=y, sd=sd: mpmath.exp(-f(t, y, sd)), [-mpmath.inf, y, mpmath.inf])
        assert abs(total - 1) < mpmath.mpf(10) ** -25
    _, bernoulli = _section(document, "bernoulli").derivations
    mass = evaluated(bernoulli.result).xreplace({BERNOULLI.dim: 1}).doit()
    for p in (0.2, 0.93):
        total = sum(math.exp(-float(mass.xreplace({BERNOULLI.data[1]: v, BERNOULLI.output[1]: p}))) for v in (0, 1))
        assert total == pytest.approx(1, abs=1e-14)


def test_the_mean_loss_under_the_decoder_agrees_with_monte_carlo(document):
    """E_{x ~ p(x | z)}[-log p(x | z)]: the derived result at its mean (each (x_i - y_i)**2 at s**2, D/2 log(2 pi e
    s**2)) against the derived result averaged over 200 000 samples of x (fixed seed), within five standard errors
    from the sample variance; likewise the Bernoulli decoder's mean, the sum of the pixels' entropies (the result is
    linear in each x_i, so its mean is its value at x_i = y_i)."""
    rng = np.random.default_rng(2026)
    n = 200_000
    i = GAUSSIAN.index
    per_pixel = lambdify((GAUSSIAN.data[i], GAUSSIAN.output[i], GAUSSIAN.s),
                         evaluated(document.steps[3].expr.function), "numpy")  # the summand the lemma derived
    y, s = np.array([0.4, -1.3, 2.2]), 0.6
    losses = per_pixel(rng.normal(y, s, size=(n, len(y))), y, s).sum(axis=1)
    mean = _values(document.result, GAUSSIAN, list(y + s), list(y), s)
    assert abs(losses.mean() - mean) < 5 * losses.std() / math.sqrt(n)
    assert mean == pytest.approx(len(y) / 2 * math.log(2 * math.pi * math.e * s**2), rel=1e-12)

    _, bernoulli = _section(document, "bernoulli").derivations
    per_pixel = lambdify((BERNOULLI.data[i], BERNOULLI.output[i]), evaluated(bernoulli.result.function), "numpy")
    p = np.array([0.15, 0.5, 0.8])
    losses = per_pixel((rng.random((n, len(p))) < p).astype(float), p).sum(axis=1)
    entropy = _values(bernoulli.result, BERNOULLI, list(p), list(p))
    assert abs(losses.mean() - entropy) < 5 * losses.std() / math.sqrt(n)
    assert entropy == pytest.approx(-sum(q * math.log(q) + (1 - q) * math.log(1 - q) for q in p), rel=1e-12)


def test_the_logits_form_is_stable_where_the_probability_form_is_not(document):
    """At a logit of 800 the probability rounds to 1 and log(1 - y) to -inf; the derived form, its log(1 + e^eta)
    computed as softplus (as code computes it) and the rest as derived, stays finite and equals PyTorch's."""
    import torch
    import torch.nn.functional as F

    (logits,) = _section(document, "logits").derivations
    i = BERNOULLI.index
    eta_i, x_i = BERNOULLI.logits[i], BERNOULLI.data[i]
    softplus_term = log(1 + exp(eta_i))
    parts = terms(logits.result.function)
    assert evaluated(parts[0]) == softplus_term
    eta, bit = 800.0, 0.0
    rest = float(evaluated(add(*parts[1:])).xreplace({eta_i: Float(eta), x_i: Float(bit)}))
    derived = float(F.softplus(torch.tensor(eta, dtype=torch.float64))) + rest
    expected = F.binary_cross_entropy_with_logits(torch.tensor([eta], dtype=torch.float64),
                                                  torch.tensor([bit], dtype=torch.float64), reduction="sum")
    assert math.isfinite(derived) and derived == pytest.approx(float(expected), rel=1e-15)
    with np.errstate(divide="ignore"):
        assert not math.isfinite(-(1 - bit) * np.log(1 - 1 / (1 + np.exp(-eta))))


# -- the parser reads the three losses ----------------------------------------------------------------------


def test_the_parser_reads_the_losses_of_torch_nn_functional():
    from sympy import Sum

    x, y, i, D = GAUSSIAN.data, GAUSSIAN.output, GAUSSIAN.index, GAUSSIAN.dim
    vectors = {"x": x, "x_hat": y}
    read = parse_claim("F.mse_loss(x_hat, x)", {}, vectors=vectors, index=i, dim=D)
    assert (evaluated(read) - Sum((y[i] - x[i]) ** 2, (i, 1, D)) / D).simplify() == 0
    read = parse_claim("torch.nn.functional.binary_cross_entropy(x_hat, x, reduction='sum')", {}, vectors=vectors,
                       index=i, dim=D)
    assert read == Sum(-(x[i] * log(y[i]) + (1 - x[i]) * log(1 - y[i])), (i, 1, D))


@pytest.mark.parametrize(("text", "message"), [
    ("F.mse_loss(x_hat, x, size_average=True)", "only reduction='sum' or 'mean'"),
    ("F.mse_loss(x_hat, x, reduction='none')", "only reduction='sum' or 'mean'"),
    ("F.mse_loss(x_hat)", "takes the prediction and the target"),
    ("np.mse_loss(x_hat, x)", "unknown function 'np.mse_loss'"),
    ("torch.sum(F.mse_loss(x_hat, x))", "nested reduction"),
])
def test_the_parser_refuses_other_uses_of_the_losses(text, message):
    vectors = {"x": GAUSSIAN.data, "x_hat": GAUSSIAN.output}
    with pytest.raises(ParseError, match=message):
        parse_claim(text, {}, vectors=vectors, index=GAUSSIAN.index, dim=GAUSSIAN.dim)
    with pytest.raises(ParseError):
        parse_claim("F.mse_loss(a, b)", {"a": GAUSSIAN.s, "b": GAUSSIAN.z})


@pytest.mark.parametrize("fmt", ["python", "torch"])
def test_code_formats_refuse_a_result_that_is_no_divergence(capsys, fmt):
    """The code formats export a KL divergence as a function; the reconstruction term's code is its listings."""
    from derivation import cli

    code = cli.run(["derive", "reconstruction", "-f", fmt])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("kl-derive: error: the result of 'reconstruction' is not a KL divergence")
    assert err.count("\n") == 1


def test_notation_renames_the_data_and_refuses_a_name_used_twice(capsys):
    from derivation import cli

    code = cli.run(["derive", "reconstruction", "--notation", "x=u", "-f", "markdown"])
    out, _ = capsys.readouterr()
    assert code == 0 and r"p(u_{i} \mid z) = \mathcal{N}(y_{i}, s^{2})" in out
    assert "F.mse_loss(x_hat, x, reduction='sum')" in out  # the code keeps the names VAE code uses
    code = cli.run(["derive", "reconstruction", "--notation", "x=y", "-f", "text"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "notation: 'y' names both 'x' and 'y'" in err
