"""The lecturer's review of the printed documents (items about templates, printer and line breaker): each
defect asserted absent from every document that showed it.

The documents read here are the golden files, which ``tests/test_golden.py`` holds byte for byte equal to what
the engine renders today; the line breaker is also tested on every expression of the derivations directly.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from sympy import Eq, Limit, Mul, Rational, Symbol, exp, oo

from derivation import CASES, derive
from derivation.output.readback import check_printed
from derivation.printing.latex import MACRO_STYLE, break_lines, to_latex
from derivation.printing.text import to_text

DOCUMENTS = Path(__file__).resolve().parent / "golden" / "documents"
MARKDOWN = sorted(DOCUMENTS.glob("*.md"))
LATEX = sorted(p for p in DOCUMENTS.glob("*.tex"))  # articles, fragments and slides
FRAGMENTS = sorted(DOCUMENTS.glob("*.fragment.tex"))
TABLE_HEAD = "| Step | Rule | Check |"


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def test_every_document_kind_is_read():
    assert len(MARKDOWN) >= 14 and len(FRAGMENTS) >= 14
    assert {p.name.split(".", 1)[1] for p in LATEX} == {"tex", "fragment.tex", "slides.tex"}


# --- item 1: the verification table renders in Markdown ------------------------------------------------------

@pytest.mark.parametrize("path", MARKDOWN, ids=_ids(MARKDOWN))
def test_markdown_table_follows_a_blank_line(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    index = lines.index(TABLE_HEAD)
    assert lines[index - 1] == "", f"{path.name}: {lines[index - 1]!r} runs into the table"
    assert lines[index - 2].startswith("Every line above was checked equal to the line before it")


@pytest.mark.parametrize("path", MARKDOWN, ids=_ids(MARKDOWN))
def test_pandoc_renders_the_verification_table(path, require_tool):
    html = subprocess.run([require_tool("pandoc"), "-f", "gfm", "-t", "html", str(path)], capture_output=True,
                          text=True, check=True, timeout=60).stdout
    assert "<table>" in html
    assert "<th>Step</th>" in html.replace(' style="text-align: right;"', "")
    assert "| Step | Rule | Check |" not in html


# --- item 2: "Proof." is followed by a space ---------------------------------------------------------------

@pytest.mark.parametrize("path", LATEX, ids=_ids(LATEX))
def test_proof_is_followed_by_a_space_or_a_new_paragraph(path):
    text = path.read_text(encoding="utf-8")
    for match in re.finditer(r"Proof\.\}", text):
        after = text[match.end():match.end() + 20]
        assert after.startswith((r"\enspace", r"\par", " ", "\n")), f"{path.name}: Proof.}}{after}"


def test_a_proof_that_runs_into_its_first_note_has_a_space():
    text = (DOCUMENTS / "diagonal.tex").read_text(encoding="utf-8")
    assert r"\noindent\emph{Proof.}\enspace{\noindent \small\textbf{Standardise.}" in text
    assert r"\emph{Proof.}{" not in text


# --- item 3: no line break inside a product; a continuation line's operator is binary ----------------------

#: A display continuation line: after the row's alignment point (and \uncover), or a note's centred formula,
#: the indentation a broken formula's later lines get.
_CONTINUATION = re.compile(r"^\s*(?:&(?:\\uncover<\d+->\{)?|\$\\displaystyle )((?:\\q?quad\s*)+)(.*)$")


def _continuations(path: Path) -> list[tuple[str, str]]:
    """(start of line, rest after the indentation) of every indented display line of a LaTeX document."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _CONTINUATION.match(line)
        if match:
            out.append((line[:match.start(1)].strip(), match.group(2)))
    return out


@pytest.mark.parametrize("path", LATEX, ids=_ids(LATEX))
def test_continuation_lines_start_with_a_binary_operator(path):
    for opening, rest in _continuations(path):
        if opening.startswith("$"):  # a formula of its own: nothing before the operator makes it binary
            assert rest.startswith(("{} + ", "{} - ")), f"{path.name}: {opening} {rest}"
        else:  # an align/split column: amsmath sets {} at the column's start, so + and - are binary
            assert rest.startswith(("+ ", "- ", "= ", r"\texttt{ + ", r"\texttt{ - ")), f"{path.name}: {rest}"


def test_the_full_trace_trick_keeps_the_quadratic_form_whole():
    """Review item 3: full.fragment.tex step (8) broke ``(mu_q - mu_p)^T Sigma_p^{-1} (mu_q - mu_p)``."""
    text = (DOCUMENTS / "full.fragment.tex").read_text(encoding="utf-8")
    assert (r"$\displaystyle \quad {} + (\mu_{q} - \mu_{p})^{\top} \Sigma_{p}^{-1} (\mu_{q} - \mu_{p})$"
            in text)
    assert r"$\displaystyle \quad {} - \frac{1}{2} (x - \mu_{q})^{\top} \Sigma_{q}^{-1} (x - \mu_{q})$" in text
    assert r"$\displaystyle \quad (\mu_{q} - \mu_{p})$" not in text
    assert r"$\displaystyle \quad - " not in text and r"$\displaystyle \quad + " not in text


def _expressions(derivation) -> list:
    """Every expression a document of ``derivation`` displays: lines, identities, results, of the chain,
    its lemmas and its sections' derivations."""
    chains = [derivation, *derivation.lemmas(), *(d for s in derivation.sections for d in s.derivations)]
    out = []
    for chain in chains:
        out.append(Eq(chain.start, chain.result, evaluate=False))
        for step in chain.steps:
            out.extend([step.expr, *step.identities])
    return out


@pytest.fixture(scope="module")
def displayed() -> list:
    arguments = [{"case": case} for case in CASES] + [{"case": "diagonal", "route": "full"},
                                                      {"case": "diagonal", "route": "kingma"}]
    seen: dict = {}
    for kwargs in arguments:
        for expr in _expressions(derive(**kwargs)):
            seen.setdefault(expr, None)
    return list(seen)


@pytest.mark.parametrize("width", [16, 24, 38, 44, 60])
def test_lines_break_only_between_terms(displayed, width):
    """Every later line of a broken formula starts with the + or - of a sum (or continues code before one):
    no break between two factors of a product, a quadratic form, a trace of a product."""
    broken = 0
    for expr in displayed:
        lines = break_lines(expr, MACRO_STYLE, width, strict=True)
        broken += len(lines) > 1
        for line in lines[1:]:
            assert line.startswith(("+ ", "- ", r"\texttt{ + ", r"\texttt{ - ")), (line, lines)
    assert broken  # the widths do break formulas


# --- item 5: run-in headings end with a full stop ------------------------------------------------------

@pytest.mark.parametrize("path", FRAGMENTS, ids=_ids(FRAGMENTS))
def test_fragment_run_in_headings_end_with_a_full_stop(path):
    text = path.read_text(encoding="utf-8")
    headings = re.findall(r"\\paragraph\{((?:[^{}]|\{[^{}]*\})*)\}", text)
    assert headings
    for heading in headings:
        assert heading.endswith("."), f"{path.name}: \\paragraph{{{heading}}}"
    assert r"\paragraph{Verification.}" in text and r"\paragraph{Derivation.}" in text


def test_dynamics_fragment_section_headings_have_their_stop():
    text = (DOCUMENTS / "dynamics.fragment.tex").read_text(encoding="utf-8")
    for heading in ("Gradients: what the optimiser sees.", "Weighting the regulariser.",
                    "Never negative, and zero only at the prior."):
        assert rf"\paragraph{{{heading}}}" in text


# --- item 8: a limit of a product has no outer bracket -------------------------------------------------

_LIMITS = {  # the dynamics limits the review quoted, as every LaTeX-syntax document prints them
    r"\lim_{\ell \to -\infty} \frac{1}{2} (e^{\ell} - 1) = - \frac{1}{2}",
    r"\lim_{r \to 0^+} \frac{1}{2} \left(1 - \frac{1}{r}\right) = -\infty",
    r"\lim_{r \to \infty} \frac{1}{2} \left(1 - \frac{1}{r}\right) = \frac{1}{2}",
}
DYNAMICS = [DOCUMENTS / f"dynamics{suffix}" for suffix in (".tex", ".fragment.tex", ".slides.tex", ".md")]


@pytest.mark.parametrize("path", DYNAMICS, ids=_ids(DYNAMICS))
def test_limits_of_products_have_no_outer_bracket(path):
    text = path.read_text(encoding="utf-8")
    for limit in _LIMITS:
        assert limit in text, f"{path.name}: {limit}"
    assert not re.search(r"\\lim_\{[^}]*\}\\left\(\\frac", text)  # no \lim (\frac12 ...) left anywhere
    assert r"\lim_{\sigma \to 0^+}\left(\sigma - \frac{1}{\sigma}\right)" in text  # a sum keeps its bracket


def test_text_limits_of_products_have_no_outer_bracket():
    text = (DOCUMENTS / "dynamics.txt").read_text(encoding="utf-8")
    assert "lim_{r → 0⁺} 1/2 (1 - 1/r) = -∞" in text
    assert "(1/2 (" not in text


def test_a_limit_reads_back_with_and_without_its_bracket():
    ell = Symbol("ell", real=True)
    product = Limit(Mul(Rational(1, 2), exp(ell) - 1, evaluate=False), ell, -oo)
    assert to_latex(product, MACRO_STYLE).startswith(r"\lim_{\ell \to -\infty} \frac{1}{2} (")
    total = Limit(exp(ell) - 1, ell, -oo)
    assert to_latex(total, MACRO_STYLE).startswith(r"\lim_{\ell \to -\infty}\left(")
    for limit in (product, total):
        check_printed(to_latex(limit, MACRO_STYLE), limit)
        check_printed(to_text(limit), limit, None)


# --- item 10: Markdown headings set their math letters as math ---------------------------------------

def test_markdown_headings_set_lone_letters_as_math():
    dynamics = (DOCUMENTS / "dynamics.md").read_text(encoding="utf-8")
    for heading in ("**In $d$ dimensions.**", "**Slope of $f$.**", "**Curvature of $f$.**"):
        assert heading in dynamics
    assert "**In $d$ dimensions.**" in (DOCUMENTS / "vae.md").read_text(encoding="utf-8")
    assert "### Lemma 2 (The negative entropy of $q$)" in \
        (DOCUMENTS / "diagonal-kingma.md").read_text(encoding="utf-8")
    for path in MARKDOWN:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith(("#", "**")):
                assert not re.search(r"(?<![\w$\\{])[dfqp](?![\w$}(])", line.split(".**")[0]), f"{path.name}: {line}"


# --- item 11: no nested brackets in a lemma's title ---------------------------------------------------

@pytest.mark.parametrize("path", [*MARKDOWN, *LATEX], ids=_ids([*MARKDOWN, *LATEX]))
def test_lemma_titles_have_no_nested_brackets(path):
    text = path.read_text(encoding="utf-8")
    titles = re.findall(r"### Lemma \d+ \((.*)\)$", text, re.M) + \
        re.findall(r"\\textbf\{Lemma~\d+\} \{\(\}(.*?)\{\)\}", text)
    for title in titles:
        assert "(" not in re.sub(r"\$[^$]*\$", "", title), f"{path.name}: {title}"
    if path.name.startswith(("diagonal.", "vae.")) and not path.name.endswith(".slides.tex"):
        assert any(t == "The univariate result for one coordinate against the standard normal" for t in titles)


# --- item 13: "the lemma" of a description is cited by number ----------------------------------------

@pytest.mark.parametrize(("name", "number"), [("vae", 5), ("diagonal-full", 4)])
def test_description_cites_its_lemma_by_number(name, number):
    for suffix in (".md", ".tex", ".fragment.tex", ".slides.tex", ".txt"):
        text = (DOCUMENTS / f"{name}{suffix}").read_text(encoding="utf-8")
        assert f"derived in Lemma {number}" in text, f"{name}{suffix}"
        assert "derived in the lemma" not in text


# --- item 14: the comma after "little" ----------------------------------------------------------------

def test_asymmetry_sentence_has_its_comma():
    for suffix in (".md", ".tex", ".txt"):
        text = (DOCUMENTS / f"dynamics{suffix}").read_text(encoding="utf-8")
        assert "where the other density has little, more than it penalises leaving part" in text


def test_a_setting_without_assumptions_ends_with_its_densities():
    """A pair given in numbers has no assumptions to state: its Setting ended in a dangling 'with' (Markdown,
    LaTeX, slides) or '; .' (text)."""
    for path in sorted(DOCUMENTS.glob("*")):
        if path.suffix not in (".md", ".tex", ".txt"):
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r", with\s*\n\s*\n|with \\par|; \.$", text, re.M), path.name
    assert "**Setting.** $q = \\mathcal{N}(1, 4)$, $p = \\mathcal{N}(0, 1)$, $\\sigma_{q} = 2$.\n" in \
        (DOCUMENTS / "pair-numbers.md").read_text(encoding="utf-8")
    # on a slide the displays still end their paragraph before the skip (else the skip falls inside the next line)
    slides = (DOCUMENTS / "pair-numbers.slides.tex").read_text(encoding="utf-8")
    assert "\\[ \\sigma_{q} = 2 \\]\n\\par\n\\bigskip\n" in slides
