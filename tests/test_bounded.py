"""``core.bounded.run_bounded``: a computation in a forked child, killed when its time is up; Ctrl-C is the
parent's (a child that took it turned it into a failed check, and a step was rejected with "before nan")."""

from __future__ import annotations

import os
import signal
import time

import pytest

from derivation.core.bounded import Failed, TimedOut, run_bounded


def test_a_result_crosses_from_the_child():
    assert run_bounded(lambda: {"value": 42}, 10) == {"value": 42}


def test_an_error_in_the_child_is_a_failure_and_a_slow_one_times_out():
    with pytest.raises(Failed, match="ZeroDivisionError"):
        run_bounded(lambda: 1 / 0, 10)
    with pytest.raises(TimedOut):
        run_bounded(lambda: time.sleep(5), 0.3)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the child is a forked process only where fork exists")
def test_the_child_ignores_ctrl_c():
    """A SIGINT that reaches the child (Ctrl-C goes to the whole process group) does not end its computation."""

    def interrupted_then_done() -> int:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)
        return 7

    assert run_bounded(interrupted_then_done, 10) == 7
