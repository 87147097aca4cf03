"""Rendering: every line printed from the engine, textbook forms, strict templates."""

from __future__ import annotations

import re

import pytest

from derivation import render
from derivation.core.errors import RenderError, UsageError
from derivation.printing.latex import PLAIN_STYLE, to_latex


def test_markdown_shows_every_step_and_the_result(univariate):
    text = render(univariate, "markdown")
    for step in univariate.steps:
        assert to_latex(step.expr, PLAIN_STYLE) in text
        assert step.title in text
    assert to_latex(univariate.result, PLAIN_STYLE) in text
    assert text.count("$$") % 2 == 0
    assert "## Lemmas" in text and "## Verification" in text


def test_no_computer_algebra_artefacts(univariate, standard):
    for d in (univariate, standard):
        for fmt in ("markdown", "latex"):
            text = render(d, fmt)
            assert r"\log{\left(" not in text  # SymPy's default log printing
            assert r"{\left(x \right)}" not in text  # applied-function printing
            assert "NegativeInfinity" not in text and r"\text{\Pi}" not in text
            assert not re.search(r"e\^\{[^}]*\} e\^\{", text)  # no exp(..) exp(..) products


def test_textbook_forms(univariate, standard):
    md = render(univariate, "markdown")
    assert r"\log \frac{\sigma_{p}}{\sigma_{q}}" in md
    assert r"\frac{\sigma_{q}^{2} + (\mu_{q} - \mu_{p})^{2}}{2 \sigma_{p}^{2}} - \frac{1}{2}" in md
    assert r"- \frac{1}{2} (1 + \log \sigma^{2} - \mu^{2} - \sigma^{2})" in render(standard, "markdown")


def test_latex_has_stable_labels_and_macros(univariate):
    tex = render(univariate, "latex")
    for i in range(1, len(univariate.steps) + 1):
        assert rf"\label{{eq:univariate:step-{i}}}" in tex
    assert r"\KL(q" in tex and r"\E_{q}" in tex
    assert r"\providecommand{\KL}" in tex


def test_repr_latex_for_jupyter(univariate):
    shown = univariate._repr_latex_()
    assert shown.startswith("$$") and r"\begin{aligned}" in shown
    assert to_latex(univariate.result, PLAIN_STYLE) in shown


def test_unknown_format_is_a_usage_error(univariate):
    with pytest.raises(UsageError, match="unknown format"):
        render(univariate, "docx")


def test_a_custom_template_sees_the_context_and_missing_names_fail(univariate, tmp_path):
    good = tmp_path / "good.md.j2"
    good.write_text("{{ title }}: {{ steps | length }} steps; {{ result }}")
    text = render(univariate, "markdown", template=good)
    assert text.startswith(univariate.title) and f"{len(univariate.steps)} steps" in text
    bad = tmp_path / "bad.md.j2"
    bad.write_text("{{ no_such_variable }}")
    with pytest.raises(RenderError, match="no_such_variable"):
        render(univariate, "markdown", template=bad)


def test_sections_fill_prose_from_values_and_render_in_both_formats(univariate):
    from dataclasses import replace

    from sympy import Eq, Gt, Symbol

    from derivation.core.engine import Fact, Section

    s = Symbol("sigma", positive=True)
    section = Section("meaning", "Interpretation", "The minimum is at {where} (50% of cases & more).",
                      {"where": Eq(s, 1)}, facts=(Fact(Gt(s, 0, evaluate=False), "by assumption"),))
    d = replace(univariate, sections=(section,))
    md = render(d, "markdown")
    assert "## Interpretation" in md and r"The minimum is at $\sigma = 1$ (50% of cases & more)." in md
    assert r"- $\sigma > 0$ — by assumption" in md
    tex = render(d, "latex")
    assert r"\section*{Interpretation}" in tex and r"$\sigma = 1$ (50\% of cases \& more)" in tex
    broken = replace(univariate, sections=(Section("x", "X", "uses {missing}"),))
    with pytest.raises(RenderError, match="missing"):
        render(broken, "markdown")


@pytest.mark.parametrize("case", ["univariate", "standard", "full", "vae"])
def test_spelling_out_macros_is_printing_without_them(case):
    """Documents without a preamble reuse the macro printing with the macros spelled out: it must be exact."""
    from derivation import derive
    from derivation.printing.latex import MACRO_STYLE

    d = derive(case)
    exprs = [d.start, *(s.expr for s in d.steps), *(i for s in d.steps for i in s.identities)]
    exprs += [x for lm in d.lemmas() for x in (lm.start, *(s.expr for s in lm.steps))]
    for expr in exprs:
        assert MACRO_STYLE.spell_out(to_latex(expr, MACRO_STYLE)) == to_latex(expr, PLAIN_STYLE)
