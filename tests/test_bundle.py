"""Issue 13 item 5: the ``vae-lecture`` bundle, one book (a chapter per case) and one beamer deck (a section per
case) written by ``kl-derive build`` beside the per-case documents, and by ``kl-derive derive vae-lecture``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_latex import compile_latex
from test_roundtrip import _latex_formulas, _made_of

from derivation import build as build_module
from derivation.build import build
from derivation.cases.bundles import BUNDLES
from derivation.cases.catalogue import CASES
from derivation.check.checker import Checker
from derivation.output.readback import Mismatch, check_printed, join_lines, recording
from derivation.output.render import Renderer, tex_escape

ROOT = Path(__file__).resolve().parent.parent
LECTURE = BUNDLES["vae-lecture"]
#: The lecture's order (issue 13 item 5); a case not (yet) in the catalogue is left out.
ORDER = ["elbo", "reconstruction", "standard", "vae", "estimators", "dynamics"]


def test_the_lecture_takes_the_cases_in_the_issue_order():
    assert LECTURE.cases == tuple(case for case in ORDER if case in CASES)
    assert LECTURE.cases == ("elbo", "reconstruction", "standard", "vae", "estimators", "dynamics")


def test_a_chapter_whose_case_is_not_in_the_catalogue_is_left_out(monkeypatch):
    from derivation.cases import bundles

    monkeypatch.setattr(bundles, "CASES", {k: v for k, v in CASES.items() if k != "reconstruction"})
    assert LECTURE.cases[:2] == ("elbo", "standard")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    """A build of the lecture's cases in the LaTeX formats, counting how often each case is derived."""
    out = tmp_path_factory.mktemp("lecture")
    calls: dict[str, int] = {}
    derive = build_module.derive

    def counting(case, *args, **kwargs):
        calls[case] = calls.get(case, 0) + 1
        return derive(case, *args, **kwargs)

    build_module.derive = counting
    try:
        report = build(out, cases=LECTURE.cases, formats=["latex", "beamer", "markdown"])
    finally:
        build_module.derive = derive
    assert report.ok, report.failed
    assert {out / "vae-lecture.tex", out / "vae-lecture.slides.tex"} <= set(report.written)
    return out, calls


def test_build_writes_the_book_and_the_deck_and_lists_them(built):
    out, calls = built
    assert calls == {case: 1 for case in LECTURE.cases}  # the bundle derives nothing of its own
    index = (out / "index.md").read_text()
    assert "[latex](vae-lecture.tex), [beamer](vae-lecture.slides.tex), [markdown](vae-lecture.md)" in index
    for case in LECTURE.cases:  # the per-case documents are still written
        assert (out / f"{case}.tex").exists() and (out / f"{case}.slides.tex").exists()


def test_a_build_without_all_of_its_cases_writes_no_bundle(tmp_path):
    report = build(tmp_path, cases=["standard"], formats=["latex"])
    assert report.ok and not (tmp_path / "vae-lecture.tex").exists()
    assert "vae-lecture" not in (tmp_path / "index.md").read_text()


def test_rendering_the_bundle_derives_nothing(monkeypatch):
    from derivation import derive

    derivations = [derive(case) for case in ("standard", "dynamics")]

    def refuse(*args, **kwargs):
        raise AssertionError("the bundle derived a chain")

    monkeypatch.setattr(Checker, "derive", refuse)
    assert r"\chapter" in Renderer().render_bundle("T", "D", derivations, "latex")
    assert "## Derivation" in Renderer().render_bundle("T", "D", derivations, "markdown")


def _chapters(book: str) -> list[tuple[str, str]]:
    """(case, text) of each chapter of the book, in order."""
    parts = re.split(r"\\chapter\{[^\n]*\}\\label\{chapter:([\w-]+)\}", book.split(r"\end{document}")[0])
    return list(zip(parts[1::2], parts[2::2], strict=True))


def test_the_book_has_a_chapter_per_case_in_order(built):
    book = (built[0] / "vae-lecture.tex").read_text()
    assert r"\documentclass[11pt,a4paper]{report}" in book
    chapters = _chapters(book)
    assert [case for case, _ in chapters] == list(LECTURE.cases)
    for case, text in chapters:  # each chapter is the case's article body: its derivation, result, verification
        assert text.count(r"\section{Derivation}") == 1 and text.count(r"\section{Verification}") == 1
        assert rf"\label{{eq:{case}:result}}" in text
    deck = (built[0] / "vae-lecture.slides.tex").read_text()
    sections = re.findall(r"^\\section\{(.*)\}$", deck, re.M)
    assert sections == [tex_escape(CASES[case].title) for case in LECTURE.cases]


def test_labels_are_unique_and_lemmas_numbered_per_chapter(built):
    book = (built[0] / "vae-lecture.tex").read_text()
    labels = re.findall(r"\\label\{([^{}]*)\}", book)
    assert len(labels) == len(set(labels)) and len(labels) > 40
    numbers = re.findall(r"\\textbf\{Lemma~([\d.]+)\}", book)
    assert numbers and len(numbers) == len(set(numbers))
    assert all(re.fullmatch(r"\d+\.\d+", n) for n in numbers)
    for label in re.findall(r"\\ref\{([^{}]*)\}", book):  # every reference has its label
        assert label in labels, label


def test_a_lemma_an_earlier_chapter_derived_is_cited_there(built):
    """The dynamics chapter uses the moment lemmas the standard chapter derived: it cites them by \\ref and does
    not derive them again; prose naming another document of the bundle refers to its chapter."""
    chapters = dict(_chapters((built[0] / "vae-lecture.tex").read_text()))
    standard, dynamics = chapters["standard"], chapters["dynamics"]
    assert r"\label{lemma:standard:1}" in standard
    assert r"(Lemma~\ref{lemma:standard:1})" in dynamics
    assert "lemma:dynamics:" not in dynamics and r"\section{Lemmas}" not in dynamics
    assert r"derived in Chapter~\ref{chapter:standard}" in chapters["elbo"]
    assert "the standard document" not in chapters["elbo"]


def test_the_reconstruction_chapter_comes_second_and_refers_to_its_neighbours(built):
    """Issue 13 item 3 in the lecture: the reconstruction chapter after the ELBO, in the book, the deck and the
    Markdown, its prose naming other documents as their chapters (the elbo, vae and dynamics chapters)."""
    out = built[0]
    chapters = dict(_chapters((out / "vae-lecture.tex").read_text()))
    assert list(chapters)[:2] == ["elbo", "reconstruction"]
    text = chapters["reconstruction"]
    for case in ("elbo", "vae", "dynamics"):
        assert rf"Chapter~\ref{{chapter:{case}}}" in text, case
        assert f"the {case} document" not in text
    assert r"\label{lemma:reconstruction:1}" in text and "F.binary_cross_entropy_with_logits" in text
    deck = (out / "vae-lecture.slides.tex").read_text()
    sections = re.findall(r"^\\section\{(.*)\}$", deck, re.M)
    assert sections[:2] == [tex_escape(CASES["elbo"].title), tex_escape(CASES["reconstruction"].title)]
    markdown = (out / "vae-lecture.md").read_text()
    assert markdown.index("## " + CASES["reconstruction"].title) < markdown.index("## " + CASES["standard"].title)
    assert "F.mse_loss(x_hat, x, reduction='sum')" in markdown


def test_every_formula_in_the_book_is_one_the_engine_printed():
    """The round-trip tests' mechanism on the book: each display row and inline formula is made of formulas the
    engine printed, and each of those reads back as the expression it was printed from."""
    from derivation import derive

    derivations = [derive(case) for case in LECTURE.cases]
    with recording() as printed:
        book = Renderer().render_bundle(LECTURE.title, LECTURE.description, derivations, "latex")
    pieces = {e.text if isinstance(e.text, str) else join_lines(list(e.text)) for e in printed}
    formulas = _latex_formulas(book)
    assert len(formulas) > 500
    unaccounted = [f for f in formulas if not _made_of(f, pieces)]
    assert not unaccounted, unaccounted[:3]
    failures, seen = [], set()
    for entry in printed:
        key = (id(entry.expr), entry.style, entry.text)
        if key in seen:
            continue
        seen.add(key)
        try:
            check_printed(list(entry.text) if isinstance(entry.text, tuple) else entry.text, entry.expr, entry.style)
        except Mismatch as error:
            failures.append(str(error))
    assert not failures, failures[:3]


@pytest.mark.parametrize("name", ["vae-lecture", "vae-lecture.slides"])
def test_the_bundle_compiles_cleanly_with_its_figures(built, name, require_tool):
    out = built[0]
    log = compile_latex(require_tool("pdflatex"), (out / f"{name}.tex").read_text(), out, name)
    assert "multiply defined" not in log
    assert "undefined" not in log.lower().replace("undefined references", "")
    assert "Undefined control sequence" not in log
    assert "Overfull" not in log, [line for line in log.splitlines() if "Overfull" in line]
    suffix = "-slides.pdf" if name.endswith("slides") else ".pdf"
    stems = [f.stem for case in LECTURE.cases for section in _derived_sections(case) for f in section.figures]
    assert stems
    flat = log.replace("\n", "")
    for stem in stems:
        assert f"<{stem}{suffix}" in flat  # pdflatex read each figure


def _derived_sections(case: str):
    from derivation import derive

    return derive(case).sections


def test_derive_writes_the_same_book_as_build(built, tmp_path):
    target = tmp_path / "book.tex"
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "derive", "vae-lecture", "-f", "latex",
                           "-o", str(target)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert target.read_text() == (built[0] / "vae-lecture.tex").read_text()
    assert (tmp_path / "dynamics-terms.pdf").exists() and (tmp_path / "estimators-spread.pdf").exists()


@pytest.mark.parametrize("fmt", ["latex", "beamer", "markdown"])
def test_the_bundle_is_the_same_on_one_process_and_on_two(fmt, tmp_path):
    """``--jobs 2``: a forked process derives and renders the leading chapters (the ELBO and the decoders) while
    the command derives the others; the document is byte for byte the one of ``--jobs 1``."""
    from derivation.document import chapters_ahead

    assert chapters_ahead(LECTURE.cases, 2) == ("elbo", "reconstruction")
    assert chapters_ahead(LECTURE.cases, 1) == ()
    texts = []
    for jobs in ("1", "2"):
        target = tmp_path / jobs / "book"
        target.parent.mkdir()
        done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "derive", "vae-lecture", "-f", fmt,
                               "--no-figures", "--jobs", jobs, "-o", str(target)],
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        texts.append(target.read_bytes())
    assert texts[0] == texts[1]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_chapter_that_fails_is_reported_on_any_number_of_processes(jobs, tmp_path, monkeypatch, capsys):
    """A failing chapter (here the first, which the second process derives with two jobs) is the same one-line error
    and no document, whether it failed in the forked process or in this one."""
    from derivation import cli, document
    from derivation.core.errors import DerivationError

    derive = document.derive

    def failing(case, **kwargs):
        if case == "elbo":
            raise DerivationError("elbo: step 3 (split-log) does not follow from the line before")
        return derive(case, **kwargs)

    monkeypatch.setattr(document, "derive", failing)
    target = tmp_path / "book.tex"
    code = cli.run(["derive", "vae-lecture", "--no-figures", "--jobs", str(jobs), "-o", str(target)])
    assert code == 2
    message = "kl-derive: error: elbo: step 3 (split-log) does not follow from the line before\n"
    assert capsys.readouterr().err == message
    assert not target.exists()


@pytest.mark.parametrize(("arguments", "message"), [
    (["-f", "text"], "kl-derive: error: a bundle is written in latex, beamer, markdown, not 'text'\n"),
    (["--dim", "3"], "kl-derive: error: the bundle 'vae-lecture' takes no --dim"),
])
def test_bad_bundle_options_are_one_line(arguments, message, tmp_path):
    target = tmp_path / "out.tex"
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "derive", "vae-lecture", *arguments,
                           "-o", str(target)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.startswith(message) and done.stderr.count("\n") == 1
    assert not target.exists()



def test_the_markdown_bundle_has_the_chapters_one_level_deeper(built):
    """The Markdown bundle: a contents list, then each case's Markdown document with its headings one level deeper,
    its lemmas numbered within the chapter and the figures it shows written beside it."""
    out = built[0]
    text = (out / "vae-lecture.md").read_text()
    titles = re.findall(r"^## (.*)$", text, re.M)
    chapters = [title for title in titles if title in {CASES[case].title for case in LECTURE.cases}]
    assert chapters == [CASES[case].title for case in LECTURE.cases]
    assert not re.search(r"^# ", text.split("\n", 1)[1], re.M)  # one title; no chapter heading at the top level
    standard = LECTURE.cases.index("standard") + 1  # the chapter whose lemmas the dynamics chapter cites
    assert f"#### Lemma {standard}.1 (" in text
    assert f"(Lemma {standard}.1)" in text.split("## " + CASES["dynamics"].title)[1]
    for stem in re.findall(r"\]\(([\w-]+\.png)\)", text):
        assert (out / stem).exists()


def _unpaged(frames: str) -> str:
    """Frames as one text, their boundaries and page numbers left out: prose that names a section instead of a
    document ("Section 1", "the elbo document") may fill its pages differently, never print anything else."""
    text = re.sub(r"\\end\{frame\}\s*\\begin\{frame\}(\[t\])?\{[^\n]*\}\n", "", frames)
    return re.sub(r"\s+", " ", text.replace("\\small ", ""))


def _frames_after_title(slides: str) -> str:
    """A case's slides without their preamble and title frame: the frames the deck's section holds."""
    body = slides.split("\\titlepage\n\\end{frame}\n", 1)[1]
    return body.rsplit("\\end{document}", 1)[0].strip()


def test_each_section_of_the_deck_is_the_cases_own_slides(built):
    """Nothing in the deck is printed anew: each section is the case's own slides after their title frame, with the
    lemmas numbered within the section; a section citing an earlier section's lemmas only leaves their frames out."""
    from derivation import derive

    deck = (built[0] / "vae-lecture.slides.tex").read_text().rsplit("\\end{document}", 1)[0]
    parts = re.split(r"^\\section\{.*\}\n\\begin\{frame\}\n.*\n\\end\{frame\}\n", deck, flags=re.M)[1:]
    assert len(parts) == len(LECTURE.cases)
    renderer = Renderer()
    for number, (case, part) in enumerate(zip(LECTURE.cases, parts, strict=True), 1):
        own = _frames_after_title(renderer.render(derive(case), "beamer"))
        own = re.sub(r"\b(Lemmas?[~ ])(\d+(?: and \d+)*)",
                     lambda m, n=number: m[1] + re.sub(r"(\d+)", rf"{n}.\1", m[2]), own)
        own = re.sub(r"Figure (\d+)\. ", rf"Figure {number}.\1. ", own)
        own = re.sub(r"\bthe ([\w-]+) document\b",
                     lambda m: f"Section {LECTURE.cases.index(m[1]) + 1}" if m[1] in LECTURE.cases else m[0], own)
        if case == "dynamics":  # the moment lemmas are the standard section's: cited there, not derived again
            standard = LECTURE.cases.index("standard") + 1
            assert f"(Lemma~{standard}.1)" in part and f"Lemma~{number}." not in part
            continue
        assert _unpaged(part.strip()) == _unpaged(own), case


def test_the_chapters_with_figures_are_derived_first(tmp_path, monkeypatch):
    """``derive vae-lecture`` derives the chapters with figures before the others, the one with the most first, so
    their figures are drawn while the others are derived (the book keeps the chapter order: the same bytes as the
    build's, tested above)."""
    from derivation import document

    class Stop(Exception):
        pass

    class NoWorker:  # nothing is drawn: only the order of the derivations is looked at
        def __init__(self, formats, **options):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

        def write(self, derivation, directory, formats):
            return 0

    order: list[str] = []

    def recorded(case, **kwargs):
        order.append(case)
        if len(order) == len(LECTURE.cases):
            raise Stop
        return univariate  # a derivation without figures stands in for each chapter

    univariate = document.derive("univariate")
    monkeypatch.setattr(document, "derive", recorded)
    monkeypatch.setattr(document, "FigureWorker", NoWorker)
    with pytest.raises(Stop):
        document.write_bundle(str(tmp_path / "book.tex"), "vae-lecture", "latex", jobs=1)
    with_figures = sorted((case for case in LECTURE.cases if CASES[case].figures), key=lambda c: -CASES[c].figures)
    others = [case for case in LECTURE.cases if case not in with_figures]
    assert with_figures == ["dynamics", "estimators"] and order == with_figures + others
