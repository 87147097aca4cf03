"""The README stays true: its excerpt is what the tool prints, its format table lists every format."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from derivation import FORMATS, render

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture(scope="module")
def readme() -> str:
    if not README.is_file():
        pytest.fail("README.md is missing next to tests/")
    return README.read_text()


def test_excerpt_is_current_output(readme, standard):
    match = re.search(r"<!-- excerpt:standard:start -->\n```\n(.*?)```\n<!-- excerpt:standard:end -->", readme, re.S)
    assert match, "the README excerpt markers are missing"
    assert match.group(1) in render(standard, "markdown")


def test_every_format_is_documented(readme):
    for name in FORMATS:
        assert f"| `{name}` |" in readme


def test_quick_start_is_two_commands(readme):
    block = readme.split("## Quick start", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    lines = [line for line in block.splitlines() if line.strip()]
    assert lines == ["pip install . && kl-derive build", "pip install '.[test]' && pytest"]
