"""Slides are never shrunk (frames split by estimated height instead), their notes start flush under the lines,
identities share rows, and their figures are set in sans-serif like Beamer's text (issue 9, item 3 and 9)."""

from __future__ import annotations

import re

import pytest

from derivation import CASES, derive
from derivation.output.figures import SLIDES_PDF, figure_file, write_figures
from derivation.output.render import render
from derivation.output.slides import TITLE_CHARS, identity_rows, prose_width

#: Every case and route, --dim 3, and custom pairs.
SLIDE_DOCUMENTS: dict[str, dict] = {
    **{f"{name}-{route}": {"case": name, "route": route} for name, case in CASES.items() for route in case.plans},
    "diagonal-dim3": {"case": "diagonal", "dim": 3},
    "pair-logvar": {"q": "Normal(m, logvar=v)", "p": "Normal(0, 1)"},
    "pair-diag": {"q": "DiagNormal(m1, logvar=w1, dim=d)", "p": "DiagNormal(m2, var=v2, dim=d)"},
    "pair-mv": {"q": "MvNormal(a, cov=A, dim=n)", "p": "MvNormal(b, cov=B, dim=n)"},
}


@pytest.fixture(scope="module", params=list(SLIDE_DOCUMENTS))
def slides(request) -> str:
    return render(derive(**SLIDE_DOCUMENTS[request.param]), "beamer")


def test_no_frame_is_shrunk(slides):
    assert "shrink" not in re.findall(r"\\begin\{frame\}\[([^\]]*)\]", slides).__str__()
    for shrinking in (r"\resizebox", r"\scalebox", r"\tiny", "squeeze"):
        assert shrinking not in slides, shrinking


def test_every_lemma_frame_names_its_lemma(slides):
    """Review item 4: full slides read "Lemma 3 (1/2)", diagonal and vae "Lemma 4 (k/6)": a lemma's frames lost
    its name when the title was too long to take the counter. Every lemma frame reads "Lemma n: Name", the
    counter tied to the name's last word so that it never stands on a line of its own."""
    titles = re.findall(r"^\\begin\{frame\}\[t\]\{(Lemma \d+.*)\}$", slides, re.M)
    assert titles or "Lemma" not in slides
    for title in titles:
        assert re.fullmatch(r"Lemma \d+: \S.*", title), title
        if re.search(r" \(\d+/\d+\)$", title):  # a counter after a space only where the title fits on one line
            assert prose_width(title) <= TITLE_CHARS, title


def test_a_long_lemma_name_with_a_counter_keeps_its_name_and_wraps():
    from derivation.output.slides import FRAME_ROOM, frame_title, title_room

    title = "Lemma 3: Expected quadratic form about another point"
    assert frame_title(title, 1, 2, wrap=True) == title + "~(1/2)"
    assert frame_title(title, wrap=True) == title
    assert title_room(title) < FRAME_ROOM == title_room("Lemma 1: Second central moment")
    slides = render(derive("full"), "beamer")
    assert r"\begin{frame}[t]{Lemma 3: Expected quadratic form about another point~(1/2)}" in slides


def test_every_note_ends_with_a_comment_so_none_is_indented(slides):
    """A line end between two overlays' notes set a space before every note but the first."""
    notes = slides.split(r"\only<")[1:]
    assert all(re.search(r"\n\}%\n", "\\only<" + note) for note in notes)


def test_the_issue_frames_are_split_or_packed_not_shrunk():
    vae = render(derive("vae"), "beamer")
    lemma5 = vae[vae.index("{Lemma 5: "):]
    lemma5 = lemma5[lemma5.index("standard normal~(2/"):]
    lemma5 = lemma5[:lemma5.index(r"\end{frame}")]
    assert r"q(x) = \prod_{j=1}^{d} q_{j}(x_{j}) \qquad q_{j} = \mathcal{N}(\mu_{j}, \sigma_{j}^{2}) \\" in lemma5
    diagonal = render(derive("diagonal"), "beamer")
    assert "[t,shrink]" not in diagonal and "[t,shrink]" not in vae


def test_identities_share_a_row_only_when_they_fit():
    short = {"identity_lines": [["a = b"], ["c = d"], [r"e = \frac{f}{g}"]]}
    assert identity_rows(short) == [[r"a = b \qquad c = d \qquad e = \frac{f}{g}"]]
    wide = {"identity_lines": [["x" * 30], ["y" * 30], ["z", "+ w"]]}
    assert identity_rows(wide) == [["x" * 30], ["y" * 30], ["z", "+ w"]]


def test_slides_refer_to_their_own_sans_serif_figures(tmp_path):
    d = derive("dynamics")
    slides, article = render(d, "beamer"), render(d, "latex")
    assert slides.count("-slides.pdf}") == 3 and "-slides.pdf" not in article
    written = write_figures(d, tmp_path, ["pdf", SLIDES_PDF])
    names = sorted(p.name for p in written)
    assert names == sorted(figure_file(f"dynamics-{k}", fmt) for k in ("terms", "map", "field")
                           for fmt in ("pdf", SLIDES_PDF))
    for path in written:
        fonts = set(re.findall(rb"/BaseFont /[A-Z]{6}\+(\w+)", path.read_bytes()))
        if path.name.endswith("-slides.pdf"):
            assert b"Cmss10" in fonts and b"Cmr10" not in fonts, fonts
        else:
            assert b"Cmr10" in fonts and b"Cmss10" not in fonts, fonts
