"""Writing documents: atomically for regular files, directly for stdout and special files."""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

from .errors import UsageError


def write_text(text: str, destination: str | os.PathLike[str]) -> None:
    """Write ``text`` to ``destination`` (``-`` is stdout).

    A regular file is replaced atomically (temporary file in the same directory, then rename), so a
    failure never leaves a half-written or emptied document. A special file that exists (``/dev/null``,
    a pipe) is written in place, never renamed over.
    """
    if str(destination) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    path = Path(destination)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        if mode is not None and not stat.S_ISREG(mode):
            if stat.S_ISDIR(mode):
                raise UsageError(f"cannot write {path}: it is a directory")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
            return
        directory = path.parent if str(path.parent) else Path(".")
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            if mode is not None:
                os.chmod(temporary, stat.S_IMODE(mode))
            else:
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(temporary, 0o666 & ~umask)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except UsageError:
        raise
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None
