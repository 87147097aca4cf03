"""The lecturer's review of the built PDFs: continuation lines read as inside their bracket, nested brackets
grow, a justification stays with its step, slides are packed and legible, fragments find their figures."""

from __future__ import annotations

import re

from derivation import derive
from derivation.output.render import render, tex_code
from derivation.printing.latex import CONTINUE, CONTINUE_INSIDE, continued


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
    derivation = fragment[fragment.index(r"\paragraph{Derivation.}"):]
    assert derivation.split("\n", 2)[1].startswith(r"{\noindent \small\textbf{")


def test_an_outer_bracket_holding_brackets_is_a_size_larger():
    """full (8)–(9): ½\\bigl(tr(Σ_p⁻¹Σ_q) + (μ_q−μ_p)ᵀ…\\bigr);
    Lemma 3: tr\\Bigl(Σ_p⁻¹\\bigl(Σ_q + (μ_q−μ_p)(μ_q−μ_p)ᵀ\\bigr)\\Bigr);
    a function applied to a symbol (q(x)) is no bracket: 𝔼_q[log q(x) − log p(x)] stays plain."""
    tex = render(derive("full"), "latex")
    assert (r"\frac{1}{2} \bigl(\operatorname{tr}(\Sigma_{p}^{-1} \Sigma_{q}) + (\mu_{q} - \mu_{p})^{\top} "
            r"\Sigma_{p}^{-1} (\mu_{q} - \mu_{p})\bigr)") in tex
    assert (r"\operatorname{tr}\Bigl(\Sigma_{p}^{-1} \bigl(\Sigma_{q} + (\mu_{q} - \mu_{p}) "
            r"(\mu_{q} - \mu_{p})^{\top}\bigr)\Bigr)") in tex
    assert r"\E_{q}[\log q(x) - \log p(x)]" in tex
    assert r"\log(2 \pi \sigma_{q}^{2})" in render(derive("univariate"), "latex")


def _frame_titles(tex: str) -> list[str]:
    return re.findall(r"\\begin\{frame\}(?:\[[^]]*\])?\{(.*)\}$", tex, re.M)


def test_checked_facts_are_packed_into_few_frames():
    """standard.slides had three frames of two or three bullets each (¾ blank): now one frame holds them."""
    titles = _frame_titles(render(derive("standard"), "beamer"))
    assert [t for t in titles if "facts" in t] == ["Interpretation: checked facts"]


def test_frame_titles_with_a_counter_fit_on_one_line():
    """dynamics "Two Gaussians: mean gap, variance ratio, asymmetry (1 of 2)" wrapped its counter onto a second
    line: a long title keeps its head before the colon, and the counter is short."""
    from derivation.output.slides import TITLE_CHARS, frame_title, prose_width

    title = "Two Gaussians: mean gap, variance ratio, asymmetry"
    assert frame_title(title, 1, 2) == "Two Gaussians (1/2)"
    assert frame_title(title) == title
    assert frame_title("Derivation", 3, 9) == "Derivation (3/9)"
    assert frame_title("Never negative, and zero only at the prior", 1, 1, ": checked facts",
                       "Checked facts") == "Checked facts"
    for title in _frame_titles(render(derive("dynamics"), "beamer")):
        if re.search(r"\(\d+/\d+\)$|checked facts$", title):
            assert prose_width(title) <= TITLE_CHARS, title


def test_fragment_names_its_figures_and_lets_notes_in_another_folder_find_them(tmp_path):
    """dynamics.fragment.tex \\input from another folder found none of its figures: its header names them and a
    \\kldfigurepath prefix (empty by default) says where they are."""
    import shutil
    import subprocess

    from derivation.output.figures import write_figures

    d = derive("dynamics")
    fragment = render(d, "latex-fragment")
    head = fragment[:fragment.index(r"\begingroup")]
    assert "% Figures: dynamics-terms.pdf, dynamics-map.pdf, dynamics-field.pdf" in head
    assert r"\providecommand{\kldfigurepath}{}" in head
    assert fragment.count(r"{\kldfigurepath dynamics-") == 3
    assert r"\kldfigurepath" not in render(d, "latex")
    if shutil.which("pdflatex") is None:
        return
    built, notes = tmp_path / "built", tmp_path / "notes"
    built.mkdir()
    notes.mkdir()
    write_figures(d, built, formats=("pdf",))
    (built / "dynamics.fragment.tex").write_text(fragment)
    (notes / "notes.tex").write_text("\\documentclass{article}\\usepackage{amsmath,amssymb,graphicx}\n"
                                     "\\newcommand{\\kldfigurepath}{../built/}\n\\begin{document}\n"
                                     "\\input{../built/dynamics.fragment.tex}\n\\end{document}\n")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "notes.tex"], cwd=notes,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "not found" not in run.stdout, run.stdout[-2000:]


def test_integral_limits_sit_beside_the_sign():
    tex = render(derive("diagonal"), "latex")
    assert r"\int_{-\infty}^{\infty} q_{j}(x_{j})" in tex
    assert r"\limits" not in tex


def test_prose_sets_q_log_q_as_one_formula_and_code_names_as_code():
    from derivation.output.render import tex_prose

    assert tex_prose("the integral of q log q minus the integral of q log p.") == \
        r"the integral of $q \log q$ minus the integral of $q \log p$."
    assert r"over the vectors \texttt{mu} and \texttt{logvar} the encoder" in render(derive("vae"), "latex")
    assert "$q$ log $q$" not in render(derive("diagonal", route="kingma"), "beamer")


def test_the_derivative_of_a_sum_is_written_as_an_operator_before_it():
    """vae interpretation: ∂Σⱼ(½μⱼ² + …)/∂μₖ as one inline fraction was huge and collided with the next line:
    the operator ∂/∂μₖ stands before the sum."""
    tex = render(derive("vae"), "latex")
    assert r"\frac{\partial}{\partial \mu_{k}} \sum_{j=1}^{d}" in tex
    assert r"\frac{\partial \sum" not in tex


def test_slide_figures_are_drawn_legible():
    """dynamics.slides figures had ~5pt tick labels: figures are drawn smaller for the same font sizes (so
    both the article's 0.8 text width and a frame's 0.7 text height keep labels legible), and a long title
    wraps rather than running off the figure."""
    from derivation.output.figures import FONTS, HEIGHT, TITLE_CHARS, wrap_title

    slide_scale = 0.7 * 269 / (HEIGHT * 72)  # a frame's \textheight is 269pt
    assert FONTS["xtick.labelsize"] * slide_scale >= 7
    title = "Gradient descent on the divergence (arrows: direction of the negative gradient)"
    lines = wrap_title(title).split("\n")
    assert len(lines) == 2 and all(len(line) <= TITLE_CHARS for line in lines) and " ".join(lines) == title
    assert wrap_title("$a + b$ and " * 8).count("$") == 16 and all(
        line.count("$") % 2 == 0 for line in wrap_title("$a + b$ and " * 8).split("\n"))


def test_kingma_slides_split_rule_on_one_line():
    """The "Split" rule's identity fits a frame's width in \\small type: it is not broken."""
    tex = render(derive("diagonal", route="kingma"), "beamer")
    note = tex[tex.index(r"\textbf{Split.}"):]
    note = note[:note.index(r"\end{gather*}")]
    assert r"\begin{split}" not in note


def test_a_tall_step_opens_its_frame_with_the_left_hand_side_rather_than_shrink():
    """full "Derivation (3 of 9)" was shrunk by 10% to fit the previous step repeated above its own: such a
    frame opens with the left-hand side instead (five shrunk frames in full.slides became one)."""
    from derivation.output.slides import Frame, frames

    step = {"lines": ["x"] * 6, "title": "T", "justification": "J.", "identities": [], "identity_lines": []}
    groups = frames([step, step, step])
    assert all(isinstance(g, Frame) for g in groups) and not any(g.tall for g in groups)
    assert [g.carry for g in groups] == [True, False, False]
    tex = render(derive("full"), "beamer")
    assert tex.count(",shrink]") <= 1
    assert r"\begin{frame}[t,shrink]{Derivation (3/" not in tex


def test_a_lemma_proof_opening_with_its_left_hand_side_stays_with_its_first_note():
    """full.fragment: "Proof." ended a page, then the left-hand side ended the next with its justification
    overleaf; a run-in "Lemmas" heading was left alone at a page's foot."""
    fragment = render(derive("full"), "latex-fragment")
    assert "\\noindent\\emph{Proof.}\\par\\nopagebreak\n\\begin{align*}\n& " in fragment
    assert re.search(r"\n& [^\n]*\\\\\*\n\\noalign\{\\xdef\\kldpostdisplaypenalty", fragment)
    assert r"\paragraph{Lemmas.}\mbox{}\par\nopagebreak" in fragment


def test_slide_listings_keep_their_lines_and_straight_quotes():
    """A listing on a slide is set line by line (a newline inside ``\\texttt`` would be a space), its continuation
    indent kept and its quotes straight, so the slide reads as the code it is."""
    assert tex_code("f(a, 'sum')\n  + b_c") == "f(a, {\\char13}sum{\\char13})\\\\\n\\ \\ + b{\\char95}c"
    deck = render(derive("reconstruction"), "beamer")
    listing = deck.split(r"\footnotesize\ttfamily\raggedright ", 1)[1].split(r"\par}", 1)[0]
    assert "\\\\\n\\ + D*math.log" in listing
    assert "'" not in listing
    read_back = (listing.replace("{\\char13}", "'").replace("{\\char95}", "_").replace("\\\\\n", "\n")
                 .replace("\\ ", " ").replace("\\_", "_"))
    section = next(s for s in derive("reconstruction").sections if s.key == "code")
    assert read_back == section.listing


def test_one_fact_is_named_in_the_singular():
    for fmt in ("markdown", "latex"):
        text = render(derive("reconstruction"), fmt)
        assert "The 1 facts" not in text
        assert "The fact listed in the sections was established symbolically." in text


def test_the_log_of_a_named_function_of_a_variable_is_written_without_brackets():
    from sympy import Function, Symbol, log

    from derivation.printing.latex import to_latex

    x, h = Symbol("x"), Function("h")
    assert to_latex(log(h(x))) == r"\log h(x)"
    assert to_latex(x * log(h(x))) == r"x \log h(x)"
    assert to_latex(log(x * h(x))) == r"\log(x h(x))"  # a product keeps its brackets
