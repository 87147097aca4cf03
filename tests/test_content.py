"""Lecturer review of the built documents: citations, substitutions and wording read as a textbook would.

Each test states the defect it keeps away (before -> after) and scans the rendered documents for it.
"""

from __future__ import annotations

import json
import re
from functools import cache

import pytest

from derivation import CASES, derive
from derivation.render import Renderer


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
