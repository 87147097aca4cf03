"""Signals held back while something must not be cut in two (a document and its figures, a clean-up)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def blocked(*signals: signal.Signals) -> Iterator[None]:
    """Hold ``signals`` (default: SIGINT) back inside the block; one that arrived meanwhile is delivered at its end.

    A process forked inside the block starts with them blocked too. Outside the main thread (where Python
    runs no signal handlers anyway), and where signals cannot be masked, this does nothing.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, set(signals or (signal.SIGINT,)))
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
