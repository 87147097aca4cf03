"""kl-derive's console script (and ``python cli.py`` in a checkout): a shim over :mod:`derivation.cli`.

It is here, outside the package, so that Ctrl-C while the package loads (a second or so: SymPy) is one line
too; :func:`derivation.cli.run` hands Ctrl-C back to Python once it is in charge.
"""

from __future__ import annotations

import gc
import os
import signal
import sys


def _interrupted_while_starting(signum: int, frame: object) -> None:
    """Ctrl-C while the modules below load: nothing has been written yet, so just leave."""
    os.write(2, b"kl-derive: interrupted\n")
    os._exit(130)


# As the program (the console script or ``python cli.py``), not when imported by other code. The cyclic collector
# is off while the modules load (they make few cycles, and a collection would scan every object made so far: a tenth
# of the start-up); :func:`derivation.cli.run` freezes what they made and turns it back on.
if __name__ == "__main__" or os.path.basename(sys.argv[0] if sys.argv else "") == "kl-derive":
    signal.signal(signal.SIGINT, _interrupted_while_starting)
    gc.disable()

from derivation.cli import main, run  # noqa: E402

__all__ = ["main", "run"]

if __name__ == "__main__":
    sys.exit(run())
