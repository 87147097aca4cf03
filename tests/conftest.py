"""Shared fixtures. External tools (pdflatex, pandoc) skip on a laptop that lacks them, but fail
when ``KL_DERIVE_REQUIRE_TOOLS=1`` (set by ``.ci/run``): in CI a missing tool is a failure."""

from __future__ import annotations

import importlib
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


def _require_module(name: str):
    """The imported module, or skip (fail when ``KL_DERIVE_REQUIRE_<NAME>=1``, which .ci/run sets once it
    has installed the optional package)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        variable = f"KL_DERIVE_REQUIRE_{name.upper()}"
        if os.environ.get(variable) == "1":
            pytest.fail(f"{name} is not importable, and {variable}=1 requires it")
        pytest.skip(f"{name} is not installed (optional)")


@pytest.fixture
def require_module():
    """``require_module("torch")``: the module, or skip (fail in CI when CI installed it)."""
    return _require_module


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
