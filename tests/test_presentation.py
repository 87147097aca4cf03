"""The lecturer's review of the built PDFs: continuation lines read as inside their bracket, nested brackets
grow, a justification stays with its step, slides are packed and legible, fragments find their figures."""

from __future__ import annotations

import re

from derivation import derive
from derivation.printing import CONTINUE, CONTINUE_INSIDE, continued
from derivation.render import render


def test_a_line_continuing_a_bracket_is_indented_further_than_a_top_level_break():
    lines = [r"a + \bigl(b", "+ c", r"+ d\bigr)", "+ e"]
    assert continued(lines) == [lines[0], CONTINUE_INSIDE + "+ c", CONTINUE_INSIDE + r"+ d\bigr)", CONTINUE + "+ e"]
    assert len(CONTINUE_INSIDE) > len(CONTINUE)


def test_dim3_continuation_inside_the_half_bracket_is_indented():
    """``derive diagonal --dim 3 -f latex`` eq. (10): ``−½((…) + (…)`` / ``+ (…))``, the second line inside."""
    tex = render(derive("diagonal", dim=3), "latex")
    rows = tex.splitlines()
    opened = next(i for i, row in enumerate(rows) if r"\frac{1}{2}\bigl(" in row or r"\frac{1}{2}\Bigl(" in row)
    assert rows[opened + 1].lstrip().startswith("&" + CONTINUE_INSIDE)


def test_full_slides_result_continues_inside_its_bracket():
    tex = render(derive("full"), "beamer")
    frame = tex[tex.index("{Result}"):]
    frame = frame[:frame.index(r"\end{frame}")]
    rows = [row for row in frame.splitlines() if row.startswith("&")]
    assert rows and all(row.startswith("&" + CONTINUE_INSIDE) for row in rows), rows


def test_a_justification_stays_with_its_line_and_a_lemma_heading_with_its_proof():
    """No page break between a step's note (text and identities) and its display, nor after a lemma's
    statement; the first note after a run-in heading is not indented (the others, in \\intertext, are not)."""
    for fmt in ("latex", "latex-fragment"):
        tex = render(derive("diagonal"), fmt)
        assert "Standardise." in tex
        for note in re.findall(r"\{\\noindent \\small\\textbf\{[^}]*\}\..*?\\endgraf\}(.{12})", tex, re.S):
            assert note == r"\nopagebreak", note
        identity = r"\\endgraf\\nopagebreak\\smallskip\{\\centering\n\$[^$]*\$\\endgraf(?!\\nopagebreak)"
        assert not re.search(identity, tex)
        assert re.search(r"\\emph\{\$.*\$\.\}\\par\\nopagebreak", tex)  # inline lemma statement
    full = render(derive("full"), "latex")
    assert r"\[\postdisplaypenalty=10000" in full or "\\par\\nopagebreak" in full
    fragment = render(derive("full"), "latex-fragment")
    derivation = fragment[fragment.index(r"\paragraph{Derivation}"):]
    assert derivation.split("\n", 2)[1].startswith(r"{\noindent \small\textbf{")


def test_an_outer_bracket_holding_brackets_is_a_size_larger():
    """full (8)–(9): ½\\bigl(tr(Σ₂⁻¹Σ₁) + (μ₁−μ₂)ᵀ…\\bigr);
    Lemma 3: tr\\Bigl(Σ₂⁻¹\\bigl(Σ₁ + (μ₁−μ₂)(μ₁−μ₂)ᵀ\\bigr)\\Bigr);
    a function applied to a symbol (q(x)) is no bracket: 𝔼_q[log q(x) − log p(x)] stays plain."""
    tex = render(derive("full"), "latex")
    assert (r"\frac{1}{2} \bigl(\operatorname{tr}(\Sigma_{2}^{-1} \Sigma_{1}) + (\mu_{1} - \mu_{2})^{\top} "
            r"\Sigma_{2}^{-1} (\mu_{1} - \mu_{2})\bigr)") in tex
    assert (r"\operatorname{tr}\Bigl(\Sigma_{2}^{-1} \bigl(\Sigma_{1} + (\mu_{1} - \mu_{2}) "
            r"(\mu_{1} - \mu_{2})^{\top}\bigr)\Bigr)") in tex
    assert r"\E_{q}[\log q(x) - \log p(x)]" in tex
    assert r"\log(2 \pi \sigma_{1}^{2})" in render(derive("univariate"), "latex")
