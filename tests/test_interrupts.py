"""Ctrl-C during ``build`` or ``derive dynamics`` (issue 10, item 8): one line, exit 130, no worker tracebacks, no
temporary files, no figure without its document, no process left running. SIGINT is sent at several moments, to the
command alone (``kill -INT``) and to its whole process group (what a terminal's Ctrl-C does)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

CLI = Path(__file__).resolve().parent.parent / "cli.py"


def _interrupt(args: list[str], directory: Path, moment: Callable[[Path], bool], group: bool) -> tuple[int, str]:
    """Run the command, wait until ``moment(directory)`` holds (or the command ends), send SIGINT."""
    process = subprocess.Popen([sys.executable, str(CLI), *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True, text=True)
    deadline = time.monotonic() + 120
    while not moment(directory) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    with contextlib.suppress(ProcessLookupError):
        (os.killpg if group else os.kill)(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert _group_ended(process.pid, within=5.0)  # no worker or helper of the command outlived it
    return process.returncode, err


def _group_ended(group: int, within: float) -> bool:
    """Whether the process group is gone within ``within`` seconds (a busy machine may reap late)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def _after(seconds: float) -> Callable[[Path], bool]:
    start = time.monotonic()
    return lambda _: time.monotonic() - start >= seconds


def _files(count: int) -> Callable[[Path], bool]:
    return lambda directory: sum(1 for p in directory.iterdir() if not p.name.startswith(".")) >= count


def _temporary_figure(directory: Path) -> bool:
    return any(p.name.startswith(".dynamics-") for p in directory.iterdir())


def _check_clean(code: int, err: str, directory: Path, documents: dict[str, tuple[str, ...]]) -> None:
    if code == 0:  # finished before the signal arrived (a slow moment on a busy machine): nothing to judge
        return
    assert code == 130 and err == "kl-derive: interrupted\n", err
    names = {p.name for p in directory.iterdir()}
    assert not [name for name in names if name.startswith(".")], names  # no temporary files
    for suffix, needed in documents.items():  # no figure without the documents that show it
        if any(name.startswith("dynamics-") and name.endswith(suffix) for name in names):
            assert set(needed) <= names, (suffix, sorted(names))


BUILD_DOCUMENTS = {".png": ("dynamics.md",), ".pdf": ("dynamics.tex", "dynamics.fragment.tex", "dynamics.slides.tex")}


@pytest.mark.parametrize(("moment", "group"), [
    (lambda: _after(0.3), False),  # still importing
    (lambda: _after(2.5), True),  # deriving, the figure worker importing matplotlib
    (lambda: _temporary_figure, True),  # figures being drawn
    (lambda: _files(8), False),  # documents being written by this process and by the helper
    (lambda: _files(30), True),
], ids=["start-up", "deriving", "drawing", "writing", "writing-more"])
def test_ctrl_c_during_build(moment, group, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    code, err = _interrupt(["build", "--out", str(out)], out, moment(), group)
    _check_clean(code, err, out, BUILD_DOCUMENTS)


@pytest.mark.parametrize(("moment", "group"), [
    (lambda: _after(0.3), True),
    (lambda: _after(2.0), False),
    (lambda: _temporary_figure, False),
    (lambda: _temporary_figure, True),
], ids=["start-up", "deriving", "drawing", "drawing-group"])
def test_ctrl_c_during_derive_dynamics(moment, group, tmp_path):
    code, err = _interrupt(["derive", "dynamics", "-o", str(tmp_path / "d.md")], tmp_path, moment(), group)
    _check_clean(code, err, tmp_path, {".png": ("d.md",)})
    if code == 130:
        assert not (tmp_path / "d.md").exists() or len(list(tmp_path.glob("dynamics-*.png"))) == 3
