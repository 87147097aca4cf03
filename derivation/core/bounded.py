"""Running a computation that might not finish (SymPy simplification, huge expansions) under a time limit.

On systems with ``fork`` the computation runs in a forked child that is killed when the time is up:
nothing keeps running afterwards, and the parent's state is untouched. Elsewhere it runs in a daemon
thread, which is abandoned (not stopped) on timeout.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class TimedOut(Exception):
    """The computation did not finish within its time limit."""


class Failed(Exception):
    """The computation raised; ``args[0]`` describes the exception (its traceback stays in the child)."""


def run_bounded(function: Callable[[], T], timeout: float) -> T:
    """``function()`` if it returns within ``timeout`` seconds; else :class:`TimedOut`.

    The result must be picklable (it crosses a pipe from the child). An exception in ``function``
    becomes :class:`Failed`.
    """
    if timeout <= 0:
        raise TimedOut("no time left")
    if not hasattr(os, "fork"):
        return _in_thread(function, timeout)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, and leave without running the parent's exit handlers
        code = 0
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle (it kills the child)
            os.close(read_end)
            try:
                payload = pickle.dumps((True, function()))
            except BaseException as error:
                payload = pickle.dumps((False, f"{type(error).__name__}: {error}"))
            view = memoryview(payload)
            while view:
                view = view[os.write(write_end, view):]
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    data = None  # also when the wait is interrupted (Ctrl-C): the child is killed
    try:
        data = _read_until(read_end, time.monotonic() + timeout)
    finally:
        os.close(read_end)
        if data is None:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    if data is None:
        raise TimedOut(f"not finished within {timeout:.1f} s")
    if not data:
        raise Failed("the computation ended without a result")
    finished, value = pickle.loads(data)  # our own child's bytes, never user input
    if not finished:
        raise Failed(value)
    return value


def _read_until(fd: int, deadline: float) -> bytes | None:
    """Everything written to ``fd`` until it closes, or None if ``deadline`` passes first."""
    chunks: list[bytes] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            return None
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _in_thread(function: Callable[[], T], timeout: float) -> T:
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = function()
        except BaseException as error:
            box["error"] = f"{type(error).__name__}: {error}"

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimedOut(f"not finished within {timeout:.1f} s")
    if "error" in box:
        raise Failed(box["error"])
    return box["value"]  # type: ignore[return-value]
