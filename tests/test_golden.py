"""The engine's documents are what tests/golden holds, byte for byte (see tests/golden/make.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"
_spec = importlib.util.spec_from_file_location("golden_make", GOLDEN / "make.py")
make = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make)


CONFIGURATIONS = list(make.configurations())


@pytest.mark.parametrize(("name", "arguments"), CONFIGURATIONS, ids=[name for name, _ in CONFIGURATIONS])
def test_documents_equal_the_golden_files(name, arguments):
    for suffix, text in make.documents(arguments):
        path = make.DOCUMENTS / f"{name}{suffix}"
        assert path.is_file(), f"{path.name} is missing: run python tests/golden/make.py"
        assert text == path.read_text(encoding="utf-8"), (
            f"{path.name} changed; if intended, rewrite the goldens (python tests/golden/make.py) in their own commit")
