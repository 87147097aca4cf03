"""Writing documents: atomically for regular files, through symbolic links to their targets, directly for
the standard streams and special files. A link, a device or a pipe is never replaced by a file."""

from __future__ import annotations

import os
import re
import secrets
import stat
import sys
from pathlib import Path

from ..core import interrupts
from ..core.errors import UsageError

#: Names of the process's own streams: ``/dev/stdout``, ``/dev/fd/1``, ``/proc/self/fd/1`` and the like.
_STREAM = re.compile(r"/dev/(?:std(?P<name>in|out|err)|fd/(?P<fd>\d+))|/proc/(?:self|thread-self)/fd/(?P<pfd>\d+)")
_NAMED = {"in": 0, "out": 1, "err": 2}


def stream_descriptor(destination: str | os.PathLike[str]) -> int | None:
    """The file descriptor that ``destination`` names (``-`` and ``/dev/stdout`` are 1), or None for a path."""
    text = os.fspath(destination)
    if text == "-":
        return 1
    match = _STREAM.fullmatch(os.path.normpath(text)) if text.startswith(("/dev/", "/proc/")) else None
    if match is None:
        return None
    return _NAMED[match["name"]] if match["name"] else int(match["fd"] or match["pfd"])


def real_target(destination: str | os.PathLike[str]) -> Path | None:
    """Where writing ``destination`` puts a regular file: the path with every symbolic link followed (a link's
    target, created if it does not exist yet), or None when it names a stream, a device, a pipe or a socket,
    which are written in place. A directory is a :class:`UsageError`."""
    if stream_descriptor(destination) is not None:
        return None
    if not os.fspath(destination).strip():
        raise UsageError("the output file is an empty name (use -o - for the standard output)")
    target = Path(os.path.realpath(destination))
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        return target
    except OSError as error:
        raise UsageError(f"cannot write {destination}: {error.strerror or error}") from None
    if stat.S_ISDIR(mode):
        raise UsageError(f"cannot write {destination}: it is a directory")
    return target if stat.S_ISREG(mode) else None


def write_text(text: str, destination: str | os.PathLike[str]) -> None:
    """Write ``text`` (UTF-8) to ``destination``: ``-`` or ``/dev/stdout`` is the standard output stream.

    A regular file is replaced atomically (temporary file in its directory, then rename), so a failure
    never leaves a half-written or emptied document; a symbolic link is followed and its target replaced,
    the link kept. A special file that exists (``/dev/null``, a pipe) is written in place, never renamed over.
    """
    descriptor = stream_descriptor(destination)
    if descriptor in (1, 2):
        stream = sys.stdout if descriptor == 1 else sys.stderr
        stream.write(text)
        stream.flush()
        return
    write_bytes(text.encode("utf-8"), destination)


def write_bytes(data: bytes, destination: str | os.PathLike[str]) -> None:
    """Write ``data`` to ``destination`` as :func:`write_text` does (a stream is written through its descriptor)."""
    try:
        descriptor = stream_descriptor(destination)
        if descriptor is not None:
            _write_all(descriptor, data)
            return
        target = real_target(destination)
        if target is None:  # a device, a pipe, a socket: written in place
            with open(destination, "wb") as handle:
                handle.write(data)
            return
        _replace(target, data)
    except UsageError:
        raise
    except OSError as error:
        raise UsageError(f"cannot write {destination}: {error.strerror or error}") from None


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view):]


def _replace(target: Path, data: bytes) -> None:
    """Replace (or create) the regular file ``target`` atomically, keeping its permissions."""
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    # Ctrl-C waits until the file is in place. The temporary file's name is chosen before it exists, so that an
    # interrupt delivered anyway (to another thread of the process, which the mask does not cover) at any point
    # after its creation still removes it: never a temporary file left behind.
    temporary = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
    with interrupts.blocked():
        try:
            handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.chmod(temporary, mode)
            os.replace(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise


def move_into_place(temporary: Path, destination: str | os.PathLike[str]) -> None:
    """Put the finished file ``temporary`` at ``destination`` (following links, as :func:`write_bytes` does):
    renamed when it is already in the target's directory, else copied there atomically and removed."""
    target = real_target(destination)
    try:
        if target is not None and target.parent == temporary.parent.resolve():
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
            return
        write_bytes(temporary.read_bytes(), destination)
        temporary.unlink(missing_ok=True)
    except UsageError:
        raise
    except OSError as error:
        raise UsageError(f"cannot write {destination}: {error.strerror or error}") from None
