"""Filling Beamer frames: how tall a step is on a slide, which steps share a frame, where prose may break.

Heights are estimates in TeX points for an 11pt Beamer frame (a display row, a row with a displayed
fraction, a line of ``\\small`` text); :func:`frames` packs steps so that a frame's rows plus the tallest
justification shown under them (one at a time, as the steps are revealed) stay within :data:`FRAME_ROOM`.
The compile test (``tests/test_layout.py``) holds the estimates to pdflatex's verdict: no overfull box.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..printing.latex import display_height, visual_width

#: The room under a frame's title, in points (Beamer 11pt: ``\textheight`` 269pt less the title and margins).
FRAME_ROOM = 200.0
#: Characters of ``\small`` prose on a line of a frame (``\textwidth`` 307pt).
CHARS_PER_LINE = 58
#: Height of a line of ``\small`` prose, and the space around a display, in points.
TEXT_LINE = 12.0
DISPLAY_SKIP = 14.0


def rows_height(lines: Sequence[str]) -> float:
    """The height of display rows."""
    return sum(display_height(line) for line in lines)


def prose_width(text: str) -> float:
    """The width of prose with inline math, in characters."""
    width = 0.0
    for i, piece in enumerate(re.split(r"(?<!\\)\$", text)):
        width += visual_width(piece) if i % 2 else len(piece)
    return width


def prose_height(text: str) -> float:
    """The height of a paragraph of ``\\small`` prose with inline math."""
    return TEXT_LINE * max(1, math.ceil(prose_width(text) / CHARS_PER_LINE))


#: Widest row of identities under a frame's lines, in the display width's characters (Beamer: 44, plus the
#: room the identities' \\small type gives).
IDENTITY_ROW = 46.0
#: The space between two identities that share a row (``\qquad``), in characters.
IDENTITY_GAP = 4.0


def identity_rows(step: Mapping[str, Any]) -> list[list[str]]:
    """A step's identities as the rows of its note: an identity broken into lines keeps its lines; identities
    of one line each share a row (``\\qquad`` apart) while they fit side by side, so that a step using several
    short identities (a factorisation: four densities) does not stack them down the frame."""
    rows: list[list[str]] = []
    used = 0.0
    for lines in step["identity_lines"]:
        width = visual_width(lines[0]) if len(lines) == 1 else IDENTITY_ROW
        shared = rows and len(rows[-1]) == 1 and used and used + IDENTITY_GAP + width <= IDENTITY_ROW
        if shared:
            rows[-1] = [rows[-1][0] + r" \qquad " + lines[0]]
            used += IDENTITY_GAP + width
        else:
            rows.append(list(lines))
            used = width if len(lines) == 1 else 0.0
    return rows


def note_height(step: Mapping[str, Any]) -> float:
    """The height of a step's justification under the rows: its name and text, then its identities."""
    height = prose_height(f"{step['title']}. {step['justification']} Lemma 1.")
    if step["identities"]:
        height += DISPLAY_SKIP + sum(rows_height(lines) + 3 for lines in identity_rows(step))
    return height


class Frame(list):
    """The steps of one frame; ``tall`` when even alone they are estimated not to fit (nothing is shrunk: the
    estimate errs on the tall side, and the compile test holds the frame to pdflatex's verdict);
    ``carry`` whether it repeats the last step of the frame before (else it opens with the left-hand side)."""

    tall = False
    carry = True


def frames(steps: Sequence[Mapping[str, Any]], room: float = FRAME_ROOM) -> list[Frame]:
    """Steps grouped for slides: each frame shows the previous frame's last step again, its own steps' rows,
    and under them the tallest justification."""
    groups: list[Frame] = []
    rows = notes = 0.0
    for step in steps:
        own, note = rows_height(step["lines"]), note_height(step)
        if groups and rows + own + max(notes, note) + DISPLAY_SKIP <= room:
            groups[-1].append(step)
            rows, notes = rows + own, max(notes, note)
            continue
        opening = rows_height(["x"])  # the left-hand side's row
        carried = rows_height(groups[-1][-1]["lines"]) if groups else opening
        groups.append(Frame([step]))
        if carried + own + note + DISPLAY_SKIP > room and carried > opening:
            # rather than shrink the frame, show the left-hand side instead of the previous step again
            groups[-1].carry, carried = False, opening
        rows, notes = carried + own, note
        groups[-1].tall = rows + notes + DISPLAY_SKIP > room
    return groups


#: Space between two items of a list, in points.
ITEM_SKIP = 3.0
#: Characters of a frame title (Beamer's \\Large) before it wraps onto a second line.
TITLE_CHARS = 50


def fact_frames(facts: Sequence[Mapping[str, Any]], room: float = FRAME_ROOM) -> list[list[Mapping[str, Any]]]:
    """Checked facts packed into as few frames as their estimated heights allow (a bullet: its formula,
    taller with a fraction, and its prose), rather than a fixed few per frame that leaves most of it blank."""
    pages: list[list[Mapping[str, Any]]] = []
    used = 0.0
    for fact in facts:
        text = f"${fact['latex']}$ --- {fact['text']}" if fact["text"] else f"${fact['latex']}$"
        height = prose_height(text) + ITEM_SKIP + (display_height(fact["latex"]) - 17.0) / 4
        if pages and used + height <= room - DISPLAY_SKIP:
            pages[-1].append(fact)
            used += height
        else:
            pages.append([fact])
            used = height
    return pages


#: Height of a line of a frame title (Beamer's \\Large), in points: a title on two lines takes this from the room.
TITLE_LINE = 18.0
#: The widest counter a run of frames adds to its title, `` (9/9)``.
COUNTER_CHARS = 6


def frame_title(title: str, number: int = 1, count: int = 1, tail: str = "", alone: str = "",
                wrap: bool = False) -> str:
    """A frame's title with ``tail`` (``: checked facts``) and its place in a run of frames, ``(2/3)``; a title
    too long to take those on one line keeps only its head (the part before a colon), or else gives way to
    ``alone`` (``Checked facts``), so the counter never wraps onto a line of its own. With ``wrap`` (a chain's
    frames: ``Lemma 4: <its name>``) the title keeps its whole name and may wrap, the counter tied to the last
    word by a non-breaking space; :func:`title_room` gives such frames the room a second title line leaves."""
    if wrap and count > 1 and prose_width(title + tail) + COUNTER_CHARS > TITLE_CHARS:
        return f"{title}{tail}~({number}/{count})"
    counter = f" ({number}/{count})" if count > 1 else ""
    tail += counter
    if tail and prose_width(title) + len(tail) > TITLE_CHARS:
        if ":" in title:
            title = title.split(":", 1)[0]
        elif alone:
            return alone + counter
    return title + tail


def title_room(title: str, room: float = FRAME_ROOM) -> float:
    """The room under a frame's title, less a title line when the title with a counter wraps onto two."""
    return room - TITLE_LINE if prose_width(title) + COUNTER_CHARS > TITLE_CHARS else room


def sentence_pages(text: str, lines: int = 11) -> list[str]:
    """Prose cut into pieces of about ``lines`` lines of a frame, only between sentences (never inside inline
    math)."""
    masked = re.sub(r"\$[^$]*\$", lambda m: "x" * len(m.group(0)), text)
    starts = [0] + [m.end() for m in re.finditer(r"[.!?)]\s+(?=[A-Z(])", masked)]
    sentences = [text[a:b].strip() for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]
    pages: list[str] = []
    used = 0.0  # characters on the last page
    for sentence in sentences:
        width = prose_width(sentence) + 1
        if pages and math.ceil((used + width) / CHARS_PER_LINE) <= lines:
            pages[-1] += " " + sentence
            used += width
        else:
            pages.append(sentence)
            used = width
    return [p for p in pages if p]
