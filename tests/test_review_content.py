"""The lecturer's review of the built documents (12:20 UTC), items 6, 7, 12 and 15: what the printed documents
say, asserted in every format and every case that shows it, so that none of it comes back."""

from __future__ import annotations

import re

import pytest

from derivation import derive
from derivation.output.render import render

#: The formats that print the sections' derivation chains (the text format and the notebook leave them out).
CHAIN_FORMATS = ("markdown", "latex", "latex-fragment", "beamer")


@pytest.fixture(scope="module")
def dynamics() -> dict[str, str]:
    d = derive("dynamics")
    return {fmt: render(d, fmt) for fmt in CHAIN_FORMATS}


# -- item 6: d for a function of one variable, the partial sign for several, one sign within one identity -------
@pytest.mark.parametrize("fmt", CHAIN_FORMATS)
def test_partial_derivatives_stay_partial_through_their_chain(dynamics, fmt):
    """Review item 6: "∂K/∂μ = ... = ½ d/dμ μ²"; "Term by term" read ∂/∂x(au(x)+bv(x)+c) = a d/dx u(x) + ...;
    the sensitivities "∂/∂δ(...) = 1/(2σp²) d/dδ δ²". A derivative split off a partial one stays partial; the
    linearity identity (functions of one variable) has d on both sides."""
    text = dynamics[fmt]
    assert r"\frac{1}{2} \frac{\partial \mu^{2}}{\partial \mu}" in text
    assert r"\frac{\partial \sigma^{2}}{\partial \sigma} - \frac{\partial \log \sigma^{2}}{\partial \sigma}" in text
    assert r"\frac{1}{2 \sigma_{p}^{2}} \frac{\partial \delta^{2}}{\partial \delta}" in text
    for mixed in (r"\frac{d}{d \mu} \mu^{2}", r"\frac{d}{d \sigma} \sigma^{2}", r"\frac{d}{d \delta} \delta^{2}",
                  r"\frac{d}{d r} r", r"\frac{\partial}{\partial x} (a u(x)"):
        assert mixed not in text, mixed
    if fmt != "markdown":  # the LaTeX formats print the identities a step uses
        assert (r"\frac{d}{d x} (a u(x) + b v(x) + c) = a \frac{d}{d x} u(x) + b \frac{d}{d x} v(x)") in text
    # a function of one variable keeps its d: f(t), and the standard deviation as a function of the log-variance
    assert r"\frac{d}{d t} t - \frac{d}{d t} \log t" in text
    assert r"\frac{d}{d \ell} e^{\ell/2}" in text


@pytest.mark.parametrize("fmt", CHAIN_FORMATS)
def test_second_derivatives_say_what_they_compute(dynamics, fmt):
    """Review item 6: "Second derivative in the mean: d/dμ μ = 1", "d/dℓ[½(e^ℓ−1)]", "∂/∂ℓ[μ] = 0",
    "d/dσ(σ−1/σ)" said nothing of what was computed. Each starts from the second derivative it computes and
    writes it as the derivative of the gradient derived above."""
    text = dynamics[fmt]
    at = r"\bigl[K(\mu, \sigma)\bigr]_{\sigma = e^{\ell/2}}"
    for start, first in ((rf"\frac{{\partial^{{2}}}}{{\partial \mu^{{2}}}} {at}", r"\frac{\partial \mu}{\partial \mu}"),
                         (rf"\frac{{\partial^{{2}}}}{{\partial \ell^{{2}}}} {at}",
                          r"\frac{\partial}{\partial \ell} \left[\frac{1}{2} (e^{\ell} - 1)\right]"),
                         (rf"\frac{{\partial^{{2}}}}{{\partial \ell\partial \mu}} {at}",
                          r"\frac{\partial \mu}{\partial \ell}"),
                         (r"\frac{\partial^{2} K(\mu, \sigma)}{\partial \sigma^{2}}",
                          r"\frac{\partial}{\partial \sigma} \left(\sigma - \frac{1}{\sigma}\right)")):
        assert start in text, start
        assert re.search(re.escape(start) + r".{0,900}?= " + re.escape(first), text, re.S), first
    assert "Differentiate the gradient" in text
    for old in (r"\frac{d}{d \mu} \mu &= 1", r"\frac{d}{d \ell} \left[\frac{1}{2} (e^{\ell} - 1)\right]",
                r"\frac{\partial}{\partial \ell} [\mu]", r"\frac{d}{d \sigma} \left(\sigma - \frac{1}{\sigma}\right)"):
        assert old not in text, old


# -- item 7: each justification names what its step does ---------------------------------------------------
@pytest.mark.parametrize("fmt", CHAIN_FORMATS)
def test_no_double_negation_is_printed_and_exponentials_are_named(dynamics, fmt):
    """Review item 7: "= 1 − (−1/σ²)" then "= 1 + 1/σ²" labelled "Multiply out and cancel the constant factors";
    "½(e^{ℓ/2} − e^{−ℓ/2})e^{ℓ/2} → ½(e^ℓ − 1)" under the same label though it multiplies exponentials."""
    text = dynamics[fmt]
    assert r"1 - \left(- \frac{1}{\sigma^{2}}\right)" not in text
    assert re.search(r"\\frac\{\\partial\}\{\\partial \\sigma\} \\frac\{1\}\{\\sigma\}.{0,900}?= 1 \+ "
                     r"\\frac\{1\}\{\\sigma\^\{2\}\}", text, re.S)
    if fmt == "beamer":  # the step's name stands in the note under the frame's lines
        frame = next(f for f in text.split(r"\begin{frame}") if r"{\quad = \frac{1}{2} (e^{\ell} - 1)}" in f)
        assert r"\textbf{Multiply exponentials.}" in frame and r"\textbf{Multiply out.}" not in frame
        return
    # the step's name stands before its line (LaTeX) or beside it (Markdown)
    exponentials = re.search(r"\\frac\{1\}\{2\} \(e\^\{\\ell/2\} - e\^\{-\\ell/2\}\) e\^\{\\ell/2\}(.{0,700}?"
                             r"= \\frac\{1\}\{2\} \(e\^\{\\ell\} - 1\)[^\n]*)", text, re.S)
    assert exponentials and "Multiply exponentials" in exponentials.group(1)
    assert "cancel the constant factors" not in exponentials.group(1)
    assert "Multiply out}" not in exponentials.group(1)


KINGMA_FORMATS = ("markdown", "latex", "latex-fragment", "beamer", "text")


@pytest.fixture(scope="module")
def kingma() -> dict[str, str]:
    d = derive("diagonal", route="kingma")
    return {fmt: render(d, fmt) for fmt in KINGMA_FORMATS}


@pytest.mark.parametrize("fmt", KINGMA_FORMATS)
def test_kingma_one_sum_says_it_takes_out_the_coefficient(kingma, fmt):
    """Review item 7: Kingma's step "One sum" cited Σa + Σb = Σ(a + b) but also took −½ out and flipped signs."""
    text = kingma[fmt]
    assert "the coefficient of the first sum comes out in front" in text
    if fmt != "text":
        assert (r"- \frac{1}{2} \sum_{j=1}^{d} a_{j} + \frac{1}{2} \sum_{j=1}^{d} b_{j} = "
                r"- \frac{1}{2} \sum_{j=1}^{d} (a_{j} - b_{j})") in text


def test_a_plain_merge_of_sums_only_merges():
    """The full route's "One sum" has nothing to take out: it states only the merge."""
    text = render(derive("diagonal", route="full"), "markdown")
    assert "The sums run over the same coordinates, so they merge into one. Used:" in text
    assert "comes out in front" not in text


# -- item 12: distinct rules in one chain have distinct names ------------------------------------------------
#: Every configuration of the golden documents (tests/golden/make.py).
CONFIGURATIONS = (
    *({"case": case} for case in ("univariate", "standard", "dynamics", "full", "diagonal", "vae")),
    {"case": "diagonal", "dim": 3},
    {"case": "diagonal", "route": "kingma"},
    {"case": "diagonal", "route": "full"},
    {"q": "Normal(m, logvar=v)", "p": "Normal(0, 1)"},
    {"q": "Normal(m, precision=t)", "p": "Normal(1, precision=u)"},
    {"q": "Normal(1, 2)", "p": "Normal(0, 1)"},
    {"q": "DiagNormal(m, logvar=lv, dim=d)", "p": "DiagNormal(0, 1, dim=d)"},
    {"q": "MvNormal(m, cov=S, dim=k)", "p": "MvNormal(0, cov=1, dim=k)"},
)


def _chains(d):
    yield d
    for step in d.steps:
        for lemma in step.lemmas:
            yield from _chains(lemma)
    for section in d.sections:
        for inner in section.derivations:
            yield from _chains(inner)


@pytest.mark.parametrize("arguments", CONFIGURATIONS, ids=lambda a: "-".join(map(str, a.values())))
def test_a_step_title_names_one_rule_within_a_chain(arguments):
    """Review item 12: diagonal used "Definition." for step 1 and step 8, full "Trace trick." for steps 7 and 8.
    Within one chain a title names one rule (a rule applied twice keeps its name)."""
    for chain in _chains(derive(**arguments)):
        rules: dict[str, set[str]] = {}
        for step in chain.steps:
            rules.setdefault(step.title, set()).add(step.rule)
        assert all(len(keys) == 1 for keys in rules.values()), (chain.name, rules)


def test_the_reviewed_steps_have_their_own_names():
    diagonal = render(derive("diagonal"), "markdown")
    assert "**1. Definition.**" in diagonal
    assert "**8. Coordinate divergences.** Each term is the KL divergence" in diagonal
    full = render(derive("full"), "markdown")
    assert "**7. Trace trick.**" in full and "**8. Shifted trace trick.** About another point" in full
    full_slides = render(derive("full"), "beamer")
    assert r"\textbf{Shifted trace trick.}" in full_slides


# -- item 15: the Kingma step is named as the lemma it cites --------------------------------------------------
@pytest.mark.parametrize("fmt", KINGMA_FORMATS)
def test_kingma_negative_entropy_step_is_named_as_its_lemma(kingma, fmt):
    """Review item 15: the step "Entropy term" cited Lemma 2, "The negative entropy of q"."""
    text = kingma[fmt]
    assert "Entropy term" not in text
    q = r"\$?q\$?"
    assert re.search(rf"Negative entropy\W{{1,6}}The integral of {q} times its own log-density is the negative entropy "
                     rf"of {q}, computed in Lemma", text), fmt
    assert re.search(rf"The negative entropy of {q}", text)
