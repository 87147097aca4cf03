"""Lecturer review of the built documents: citations, substitutions and wording read as a textbook would.

Each test states the defect it keeps away (before -> after) and scans the rendered documents for it.
"""

from __future__ import annotations

import json
import re
from functools import cache

import pytest

from derivation import CASES, derive
from derivation.output.render import Renderer


@cache
def rendered(name: str, fmt: str, **options) -> str:
    return Renderer().render(derive(name, **options), fmt)


def _notebook_text(name: str) -> str:
    cells = json.loads(rendered(name, "ipynb"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


@pytest.mark.parametrize("name", sorted(CASES))
def test_citations_say_lemma_n_once_and_never_below(name):
    """Item 6: "(lemma below). Used: ... (Lemma 1.)" -> "(Lemma 1). Used: ..." in Markdown, notebooks, text."""
    for text in (rendered(name, "markdown"), _notebook_text(name), rendered(name, "text")):
        assert "lemma below" not in text
        assert not re.search(r"\(Lemma [\d, ]+\.\)", text)
        for paragraph in text.split("\n\n"):
            assert len(re.findall(r"\bLemmas? \d", paragraph.split("###")[-1])) <= 2


def test_lemma_three_cites_lemma_two_by_number():
    """Item 6: inside Lemma 3 the citation of Lemma 2 (above it) is "Lemma 2", not "lemma below"."""
    lemma3 = _notebook_text("univariate").split("Lemma 3 (Second moment about another point)")[1]
    assert "(Lemma 2)" in lemma3 and "(Lemma 1)" in lemma3
    assert "(Lemma 1). Used:" in rendered("standard", "markdown")


def test_kingma_one_sum_states_only_what_it_does_and_lemma_titles_differ():
    """Item 5: "...; the dimension is a sum of ones" (no d left) -> only the merge; "The cross term" (Lemma 5)
    no longer clashes with "the cross term vanishes" (Lemma 4) -> "The cross-entropy term"."""
    d = derive("diagonal", route="kingma")
    merge = next(s for s in d.steps if s.rule == "merge-sums-factor-out")
    assert "sum of ones" not in merge.justification
    titles = [lm.title for lm in d.lemmas()]
    assert "The cross term" not in titles and "The cross-entropy term" in titles


def test_wording_of_the_interpretation():
    """Item 8: "1/t² > 0 — the curvature of f" -> "f''(t) = 1/t² — the curvature of f, positive ...";
    no encoder in the two-Gaussians section; "Here a q narrower"; one notation (K) in dynamics prose."""
    standard = rendered("standard", "markdown")
    assert r"- $\frac{d^{2}}{d t^{2}} f(t) = \frac{1}{t^{2}}$ — the curvature of $f$, positive" in standard
    dynamics = rendered("dynamics", "markdown")
    two = dynamics.split("## Two Gaussians")[1]
    assert "encoder outputs" not in two and "Log-variances" in two
    assert "Here a $q$ narrower than $p$ costs less" in two
    gradients = dynamics.split("## Gradients")[1].split("**The closed form")[0].split("**")[0]
    assert r"\partial \operatorname{KL}" not in gradients
    assert r"\frac{\partial K(\mu, \sigma)}{\partial \mu} = \mu" in gradients
    weighted = dynamics.split("## Weighting")[1].split("**")[0]
    assert r"\operatorname{KL}" not in weighted and r"$\beta K(\mu, \sigma)$" in weighted


def test_asymmetry_shows_the_substitution():
    """Item 2: the chain began with the numbers (log 2 - 3/8) - (3/2 - log 2) -> it first shows the general closed
    form at sigma_1 = 1, sigma_2 = 2 (and swapped), then puts the values in."""
    dynamics = rendered("dynamics", "markdown")
    chain = dynamics.split("**Asymmetry.**")[1].split(r"\end{aligned}")[0]
    lines = [line for line in chain.splitlines() if line.lstrip().startswith(("&", r"\operatorname"))]
    assert r"\right]_{\mu_{q} = 0, \sigma_{q} = 1, \mu_{p} = 0, \sigma_{p} = 2}" in lines[0]
    assert r"\right]_{\mu_{q} = 0, \sigma_{q} = 2, \mu_{p} = 0, \sigma_{p} = 1}" in chain
    assert r"\left(\log 2 - \frac{3}{8}\right) - \left(\frac{3}{2} - \log 2\right)" not in lines[0]
    assert r"&= \left(\log 2 - \frac{3}{8}\right) - \left(\frac{3}{2} - \log 2\right) && \text{Substitute}" in chain


def test_mean_gap_chain_starts_with_what_it_computes():
    """Item 7: "Mean gap and variance ratio" began with a bare expression -> KL(q || p) = (closed form) = ...;
    the first step's identity is not repeated beside the line that shows it."""
    dynamics = rendered("dynamics", "markdown")
    chain = dynamics.split("**Mean gap and variance ratio.**")[1].split(r"\end{aligned}")[0]
    first = next(line for line in chain.splitlines() if "&=" in line)
    assert first.startswith(r"\operatorname{KL}(q \,\|\, p) &= \log \frac{\sigma_{p}}{\sigma_{q}}")
    assert first.endswith(r"&& \text{Closed form} \\")
    d = derive("dynamics")
    regrouped = next(c for s in d.sections for c in s.derivations if c.title == "Mean gap and variance ratio")
    assert regrouped.steps[0].identities == ()


def test_the_named_closed_form_is_displayed_once():
    """Item 4: "Write out. K(mu, sigma) = ..." displayed four times -> defined once, cited after that; the
    one-line definition does not repeat its own line as its justification."""
    d = derive("dynamics")
    chains = {c.title: c for s in d.sections for c in s.derivations}
    first_steps = [c.steps[0] for c in chains.values() if c.steps and c.steps[0].title in ("Write out", "Definition")]
    assert len(first_steps) == 4
    assert all(step.identities == () for step in first_steps)
    assert chains["The closed form as a function"].steps[0].title == "Definition"
    tex = rendered("dynamics", "latex")
    assert tex.count(r"\textbf{Write out.} Write out the closed form as defined above.") == 3


def test_vae_diagonal_step_does_not_repeat_equation_one():
    """Item 4: vae step 1 "Diagonal" displayed the same formula as equation (1) beneath it -> cites Lemma 5 only."""
    step = derive("vae").steps[0]
    assert step.rule == "diagonal-result" and step.identities == () and step.lemmas
    tex = rendered("vae", "latex")
    justification = tex.split(r"\textbf{Diagonal.}")[1].split(r"\begin{align}")[0]
    assert r"Lemma~\ref{lemma:vae:5}" in justification and r"\displaystyle" not in justification


@pytest.mark.parametrize(("name", "options", "chain", "number"), [
    ("diagonal", {}, None, 6), ("vae", {}, "KL divergence of a diagonal Gaussian from the standard normal", 6),
    ("diagonal", {"dim": 3}, None, 6), ("diagonal", {"route": "kingma"}, "The negative entropy of q", 5),
])
def test_swapping_expectation_and_sum_shows_that_identity(name, options, chain, number):
    """Item 3: a Linearity step that swaps E and a sum displayed E[a + b g] = a + b E[g] -> E[Sum_j g_j] =
    Sum_j E[g_j] (at a concrete dimension, written out)."""
    from derivation.printing.latex import to_latex

    d = derive(name, **options)
    c = d if chain is None else next(lm for lm in d.lemmas() if lm.title == chain)
    step = c.steps[number - 1]
    assert step.rule == "linearity-of-expectation"
    shown = [to_latex(i) for i in step.identities]
    if options.get("dim") == 3:
        assert shown[0] == r"\E_{q}[g_{1} + g_{2} + g_{3}] = \E_{q}[g_{1}] + \E_{q}[g_{2}] + \E_{q}[g_{3}]"
    else:
        assert shown[0] == r"\E_{q}\left[\sum_{j=1}^{d} g_{j}\right] = \sum_{j=1}^{d} \E_{q}[g_{j}]"
    assert (len(shown) == 2) == (chain == "The negative entropy of q")  # kingma also pulls constants out


def test_the_hessian_entries_are_derived_before_the_hessian():
    """Item 1: "Collect the second derivatives derived above" with none derived -> each second derivative (in the
    mean, in the log-variance, mixed) and the curvature in sigma is a checked display before H(mu, l)."""
    d = derive("dynamics")
    gradients = next(s for s in d.sections if s.key == "gradients")
    titles = [c.title for c in gradients.derivations]
    hessian = titles.index("Hessian in the mean and the log-variance")
    for title in ("Second derivative in the mean", "Second derivative in the log-variance",
                  "Mixed second derivative", "Curvature in the standard deviation"):
        assert titles.index(title) < hessian
    shown = {c.title: c.result for c in gradients.derivations}
    h = gradients.derivations[hessian].result
    assert (h[0, 0], h[1, 1], h[0, 1], h[1, 0]) == (shown["Second derivative in the mean"],
                                                    shown["Second derivative in the log-variance"],
                                                    shown["Mixed second derivative"], shown["Mixed second derivative"])
    assert all(check.ok for c in gradients.derivations for check in c.checks)


def test_custom_pair_collects_constants_and_states_a_numeric_scale():
    """Item 9: "log 2 - v/2 + 1/8 (e^v + (m - 1)^2) - 1/2" -> the constants together at the end; the Setting
    of Normal(1, 2) states sigma_p = 2 beside p = N(1, 4) (2 is the scale)."""
    from derivation.printing.latex import to_latex

    d = derive(q="Normal(m, logvar=v)", p="Normal(1, 2)")
    assert to_latex(d.result) == (r"\frac{1}{8} \bigl(e^{v} + (m - 1)^{2}\bigr) - \frac{v}{2} + \log 2"
                                  r" - \frac{1}{2}")
    statements = [to_latex(s) for s in d.setting.statements()]
    assert statements[:3] == [r"q = \mathcal{N}(m, e^{v})", r"p = \mathcal{N}(1, 4)", r"\sigma_{p} = 2"]
    assert r"\sigma_{q} = 2" not in statements
    unit = derive(q="Normal(m, s)", p="Normal(0, 1)")
    assert len(unit.setting.statements()) == 2  # a unit scale needs no word


@pytest.mark.parametrize("case", ["univariate", "standard", "full", "diagonal", "vae"])
def test_no_justification_points_below_where_no_lemma_follows(case):
    """JSON justifications cite "Lemma N" as the documents do; --steps brief, which shows no lemma, says "lemma below"
    nowhere (before: "(lemma below)" in both)."""
    document = json.loads(Renderer().render(derive(case), "json"))
    assert not [s for s in document["steps"] if "below" in s["justification"]]
    brief = Renderer().render(derive(case), "markdown", steps="brief")
    assert "lemma below" not in brief


def test_the_text_format_follows_the_notation():
    """Before: the text format printed log and 𝔼 whatever --notation said; now log=ln gives ln in text too."""
    from derivation.settings.univariate import parse_notation

    text = Renderer().render(derive("standard", notation=parse_notation(["log=ln"])), "text")
    assert " ln " in text and not re.search(r"\blog(?=[ (][^a-z])", text)  # formulas: log σ², log(2π…)


def test_text_memo_keeps_notations_apart():
    """One renderer (a build shares its printed formulas) renders log and ln texts of the same expressions apart."""
    from derivation.settings.univariate import parse_notation

    renderer = Renderer()
    plain = renderer.render(derive("standard"), "text")
    with_ln = renderer.render(derive("standard", notation=parse_notation(["log=ln"])), "text")
    assert re.search(r"\blog(?=[ (][^a-z])", plain) and not re.search(r"\blog(?=[ (][^a-z])", with_ln)
