"""``kl-derive build``: every case in every format, written into one directory with an index.

Each case is derived (and verified) once and rendered many times, by this process and a forked one that
take the cases in turn; figures are drawn by a worker process while the case's documents are rendered.
Documents are written atomically; a failure in
one document is reported and the others (and any earlier files) are left intact.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
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
          progress: Callable[[str], None] | None = None, parallel: bool = True) -> BuildReport:
    """Write ``out/<case><extension>`` for every chosen case and format, and ``out/index.md``.

    With ``parallel`` (and where processes can be forked) a second process takes cases too: each
    process takes the next case not yet taken, derives it once and writes all its documents.
    """
    case_names = _choose("case", cases, CASES)
    format_names = _choose("format", formats, FORMATS)
    directory = Path(out)
    _check_writable(directory)
    # Cases with figures first: they take longest, and the other process fills in around them.
    order = sorted(case_names, key=lambda case: not CASES[case].figures)
    report, titles = BuildReport(), {}
    if parallel and len(order) > 1 and "fork" in multiprocessing.get_all_start_methods():
        _build_in_two_processes(order, format_names, directory, progress, report, titles)
    else:
        iterator = iter(order)
        _build_cases(lambda: next(iterator, None), format_names, directory, progress, report, titles)
    index = directory / "index.md"
    try:
        write_text(_index([c for c in case_names if c in titles], titles, format_names), index)
        report.written.append(index)
    except DerivationError as error:
        report.failed.append((index.name, str(error)))
    return report


NextCase = Callable[[], "str | None"]


def _build_cases(next_case: NextCase, format_names: list[str], directory: Path,
                 progress: Callable[[str], None] | None, report: BuildReport, titles: dict[str, str]) -> None:
    """Take cases until none is left: derive each once, draw its figures, write it in every format."""
    renderer = Renderer()
    figure_formats = sorted({get_format(fmt).figure_format for fmt in format_names})
    with contextlib.ExitStack() as stack:
        drawing: list[tuple[str, FigureWorker]] = []  # figures being drawn while further cases are taken
        while (case := next_case()) is not None:
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


def _build_in_two_processes(order: list[str], format_names: list[str], directory: Path,
                            progress: Callable[[str], None] | None, report: BuildReport,
                            titles: dict[str, str]) -> None:
    """This process and a forked one share the cases through a counter; the other reports back by pipe."""
    context = multiprocessing.get_context("fork")
    taken = context.Value("i", 0)

    def next_case() -> str | None:
        with taken.get_lock():
            index = taken.value
            taken.value += 1
        return order[index] if index < len(order) else None

    receiver, sender = context.Pipe(duplex=False)
    gc.freeze()  # a collection in either process would otherwise copy every shared page
    helper = context.Process(target=_helper, args=(sender, next_case, format_names, directory, progress),
                             daemon=True)
    helper.start()
    sender.close()
    try:
        _build_cases(next_case, format_names, directory, progress, report, titles)
        try:
            written, failed, helper_titles = receiver.recv()
        except EOFError:
            report.failed.append(("build", "the second build process stopped before it finished"))
        else:
            report.written.extend(Path(p) for p in written)
            report.failed.extend(failed)
            titles.update(helper_titles)
    finally:
        helper.join()
        receiver.close()
        gc.unfreeze()


def _helper(sender, next_case: NextCase, format_names: list[str], directory: Path,
            progress: Callable[[str], None] | None) -> None:
    """The forked build process: take cases like the parent, then send back what was written."""
    report, titles = BuildReport(), {}
    try:
        _build_cases(next_case, format_names, directory, progress, report, titles)
    except Exception as error:  # report it: the parent names the failure, the documents written stay
        report.failed.append(("build", f"{type(error).__name__}: {error}"))
    sender.send(([str(p) for p in report.written], report.failed, titles))
    sender.close()


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
