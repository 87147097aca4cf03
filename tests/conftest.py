"""Shared fixtures. External tools (pdflatex, pandoc) skip on a laptop that lacks them, but fail
when ``KL_DERIVE_REQUIRE_TOOLS=1`` (set by ``.ci/run``): in CI a missing tool is a failure."""

from __future__ import annotations

import os
import shutil

import pytest

from derivation import derive


def _require_tool(name: str) -> str:
    """The path of an external tool, or skip (fail under ``KL_DERIVE_REQUIRE_TOOLS=1``)."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed"
        if os.environ.get("KL_DERIVE_REQUIRE_TOOLS") == "1":
            pytest.fail(f"{message}, and KL_DERIVE_REQUIRE_TOOLS=1 requires it")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def univariate():
    return derive("univariate")


@pytest.fixture(scope="session")
def standard():
    return derive("standard")


@pytest.fixture
def require_tool():
    """``require_tool("pdflatex")``: the tool's path, or skip (fail in CI)."""
    return _require_tool
