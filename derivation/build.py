"""``kl-derive build``: every case in every format, written into one directory with an index.

Each case is derived (and verified) once and rendered many times; figures are drawn by a worker process
while the other documents are derived and rendered. Documents are written atomically; a failure in one
document is reported and the others (and any earlier files) are left intact.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .api import derive
from .cases import CASES
from .core import Derivation
from .errors import DerivationError, UsageError
from .figures import FigureWorker
from .output import write_text
from .render import FORMATS, Renderer, get_format
from .verify import reusing_chains


@dataclass
class BuildReport:
    """What a build wrote and what failed (``(document, one-line reason)``)."""

    written: list[Path] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def _choose(kind: str, chosen: Iterable[str] | None, known: Iterable[str]) -> list[str]:
    known = list(known)
    names = known if chosen is None else [c.strip() for c in chosen if c.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(f"unknown {kind} {', '.join(map(repr, unknown))} (choose from: {', '.join(known)})")
    if not names:
        raise UsageError(f"no {kind} chosen")
    return list(dict.fromkeys(names))


def _check_writable(directory: Path) -> None:
    """Fail early, with one line, if ``directory`` cannot be created or written (root included)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(prefix=".kl-derive-probe-", dir=directory)
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        raise UsageError(f"cannot write into {directory}: {error.strerror or error}") from None


def build(out: str | os.PathLike[str], *, cases: Iterable[str] | None = None, formats: Iterable[str] | None = None,
          progress: Callable[[str], None] | None = None) -> BuildReport:
    """Write ``out/<case><extension>`` for every chosen case and format, and ``out/index.md``."""
    case_names = _choose("case", cases, CASES)
    format_names = _choose("format", formats, FORMATS)
    directory = Path(out)
    _check_writable(directory)
    # Cases with figures first: their figures are drawn by a worker process while the other cases are done.
    order = sorted(case_names, key=lambda case: not CASES[case].figures)
    report, titles = BuildReport(), {}
    with reusing_chains():  # a chain that one case derives for another (e.g. for its sections) is derived once
        _build_cases(order, format_names, directory, progress, report, titles)
    index = directory / "index.md"
    try:
        write_text(_index([c for c in case_names if c in titles], titles, format_names), index)
        report.written.append(index)
    except DerivationError as error:
        report.failed.append((index.name, str(error)))
    return report


def _build_cases(cases: list[str], format_names: list[str], directory: Path,
                 progress: Callable[[str], None] | None, report: BuildReport, titles: dict[str, str]) -> None:
    """Derive each case once, draw its figures, write it in every format."""
    renderer = Renderer()
    figure_formats = sorted({get_format(fmt).figure_format for fmt in format_names})
    with contextlib.ExitStack() as stack:
        drawing: list[tuple[str, FigureWorker]] = []  # figures being drawn while further cases are taken
        for case in cases:
            # A worker process imports matplotlib and draws while this process derives and renders.
            worker = stack.enter_context(FigureWorker()) if CASES[case].figures else None
            try:
                derivation = derive(case)
            except DerivationError as error:
                report.failed.append((case, str(error)))
                continue
            titles[case] = derivation.title
            if worker is not None:
                worker.write(derivation, directory, figure_formats)
                drawing.append((case, worker))
            for fmt in format_names:
                _write_one(renderer, derivation, fmt, directory / f"{case}{get_format(fmt).extension}", report,
                           progress)
        for case, worker in drawing:
            try:
                report.written.extend(worker.wait())
            except DerivationError as error:
                report.failed.append((f"{case} figures", str(error)))


def _write_one(renderer: Renderer, derivation: Derivation, fmt: str, target: Path, report: BuildReport,
               progress: Callable[[str], None] | None) -> None:
    try:
        write_text(renderer.render(derivation, fmt), target)
    except DerivationError as error:
        report.failed.append((target.name, str(error)))
        return
    report.written.append(target)
    if progress is not None:
        progress(f"wrote {target}")


def _index(cases: list[str], titles: dict[str, str], format_names: list[str]) -> str:
    """``index.md``: one line per case with links to its documents."""
    lines = ["# kl-derive documents", "", "Every line of every document was derived by a named rule and checked.", ""]
    for case in cases:
        links = ", ".join(f"[{fmt}]({case}{FORMATS[fmt].extension})" for fmt in format_names)
        lines.append(f"- **{titles[case]}** (`{case}`): {links}")
    return "\n".join(lines) + "\n"
