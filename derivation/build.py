"""``kl-derive build``: every case in every format, written into one directory with an index.

Each case is derived (and verified) once and rendered many times; figures are drawn by a worker process
while the other documents are derived and rendered. Documents are written atomically; a failure in one
document is reported and the others (and any earlier files) are left intact.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .api import derive
from .cases.bundles import BUNDLES
from .cases.catalogue import CASES
from .check.checker import reusing_chains
from .core import interrupts
from .core.engine import Derivation
from .core.errors import DerivationError, UsageError
from .output.figures import FigureWorker, without_figures
from .output.files import write_text
from .output.render import BUNDLE_TEMPLATES, FORMATS, Renderer, get_format


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
        with interrupts.blocked():
            handle, probe = tempfile.mkstemp(prefix=".kl-derive-probe-", dir=directory)
            os.close(handle)
            os.unlink(probe)
    except OSError as error:
        raise UsageError(f"cannot write into {directory}: {error.strerror or error}") from None


def build(out: str | os.PathLike[str], *, cases: Iterable[str] | None = None, formats: Iterable[str] | None = None,
          progress: Callable[[str], None] | None = None) -> BuildReport:
    """Write ``out/<case><extension>`` for every chosen case and format, ``out/<bundle><extension>`` for every bundle
    whose cases are all chosen (in the chosen formats a bundle is written in), and ``out/index.md``."""
    if not os.fspath(out).strip():
        raise UsageError("the output directory is an empty name (give --out DIR; '.' is the current directory)")
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
        write_text(_index([c for c in case_names if c in titles], titles, format_names, report.written), index)
        report.written.append(index)
    except DerivationError as error:
        report.failed.append((index.name, str(error)))
    return report


def _build_cases(cases: list[str], format_names: list[str], directory: Path,
                 progress: Callable[[str], None] | None, report: BuildReport, titles: dict[str, str]) -> None:
    """Derive each case once, draw its figures, write it in every format.

    Figures are drawn by one worker process (matplotlib imported once), started before the first case with
    figures is derived and handed each such case's figures as soon as it is derived; they are moved into place right
    after their case's documents are written (a case whose figures cannot be drawn is written without them,
    and the failure reported). Once every case is derived, the formats that print no LaTeX (Unicode text,
    code; they show no figures) are written by a forked process while this one writes the LaTeX-based ones,
    which share their printed formulas.
    """
    figure_formats = sorted({get_format(fmt).figure_format for fmt in format_names})
    derived: dict[str, Derivation] = {}
    shown: dict[str, Derivation] = {}  # each case as its documents show it (without figures that failed)
    with contextlib.ExitStack() as stack:  # on any exit (Ctrl-C included) every process is stopped, temporaries go
        worker: FigureWorker | None = None  # one process draws the figures of every case, in turn
        drawing: dict[str, int] = {}  # case -> its batch of figures, drawn while further cases are derived
        for case in cases:
            if CASES[case].figures and worker is None:
                worker = stack.enter_context(FigureWorker(figure_formats))
            try:
                derived[case] = derive(case)
            except DerivationError as error:
                report.failed.append((case, str(error)))
                continue
            titles[case] = derived[case].title
            if CASES[case].figures:
                drawing[case] = worker.write(derived[case], directory, figure_formats)
        elsewhere = [fmt for fmt in format_names if get_format(fmt).style is None]
        if len(elsewhere) == len(format_names) or "fork" not in multiprocessing.get_all_start_methods():
            elsewhere = []
        helper = None
        if elsewhere and derived:
            helper = stack.enter_context(_RenderHelper(derived, elsewhere, directory, progress))
        here = [fmt for fmt in format_names if fmt not in elsewhere]
        renderer = Renderer()
        for case in sorted(derived, key=lambda name: name in drawing):  # figures get the most time to be drawn
            derivation, batch = derived[case], drawing.get(case)
            if batch is not None:
                try:
                    worker.wait(batch)
                except DerivationError as error:
                    report.failed.append((f"{case} figures", str(error)))
                    derivation, batch = without_figures(derivation), None
            with interrupts.blocked() if batch is not None else contextlib.nullcontext():
                for fmt in _formats_of(case, here):
                    _write_one(renderer, derivation, fmt, directory / f"{case}{get_format(fmt).extension}", report,
                               progress)
                if batch is not None:
                    report.written.extend(worker.commit(batch))
            shown[case] = derivation
        _write_bundles(renderer, shown, here, directory, report, progress)
        if helper is not None:
            helper.collect(report)


class _RenderHelper:
    """A forked process writing some formats of the derived cases; :meth:`collect` adds what it did to a report.

    Ctrl-C is left to the parent, which stops the helper (SIGTERM) on leaving the ``with`` block early; the
    helper then removes the temporary file of the document it was writing and leaves silently.
    """

    def __init__(self, derived: dict[str, Derivation], format_names: list[str], directory: Path,
                 progress: Callable[[str], None] | None):
        context = multiprocessing.get_context("fork")
        self._receiver, sender = context.Pipe(duplex=False)
        gc.freeze()  # a collection in either process would otherwise copy every shared page
        self._process = context.Process(target=self._serve, args=(sender, derived, format_names, directory, progress),
                                        daemon=True)
        with interrupts.blocked(signal.SIGINT, signal.SIGTERM):  # until the helper has its own handlers
            self._process.start()
        sender.close()

    @staticmethod
    def _serve(sender, derived, format_names, directory, progress) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, _leave)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
        report = BuildReport()
        try:
            _write_all(derived, format_names, directory, progress, report)
        except Exception as error:  # reported by the parent; the documents written stay
            report.failed.append(("build", f"{type(error).__name__}: {error}"))
        sender.send(([str(p) for p in report.written], report.failed))
        sender.close()

    def collect(self, report: BuildReport) -> None:
        try:
            written, failed = self._receiver.recv()
        except EOFError:
            report.failed.append(("build", "the process writing the text and code formats stopped early"))
        else:
            report.written.extend(Path(p) for p in written)
            report.failed.extend(failed)

    def __enter__(self) -> _RenderHelper:
        return self

    def __exit__(self, *exc: object) -> None:
        with interrupts.blocked():
            if self._process.is_alive() and exc[0] is not None:
                self._process.terminate()
            self._process.join()
            self._receiver.close()
            gc.unfreeze()


def _leave(signum: int, frame: object) -> None:
    """SIGTERM in a helper process: unwind (so a document being written removes its temporary file), silently."""
    raise SystemExit(128 + signum)


def _write_all(derived: dict[str, Derivation], format_names: list[str], directory: Path,
               progress: Callable[[str], None] | None, report: BuildReport) -> None:
    renderer = Renderer()
    for case, derivation in derived.items():
        for fmt in _formats_of(case, format_names):
            _write_one(renderer, derivation, fmt, directory / f"{case}{get_format(fmt).extension}", report, progress)


def _write_bundles(renderer: Renderer, derived: dict[str, Derivation], format_names: list[str], directory: Path,
                   report: BuildReport, progress: Callable[[str], None] | None) -> None:
    """Each bundle whose cases were all derived, in the chosen formats it is written in: rendering only (the cases'
    derivations, figures and printed formulas are those of their own documents)."""
    for bundle in BUNDLES.values():
        if not all(case in derived for case in bundle.cases):
            continue
        for fmt in (fmt for fmt in format_names if fmt in BUNDLE_TEMPLATES):
            target = directory / f"{bundle.name}{get_format(fmt).extension}"
            try:
                write_text(renderer.render_bundle(bundle.title, bundle.description,
                                                  [derived[case] for case in bundle.cases], fmt), target)
            except DerivationError as error:
                report.failed.append((target.name, str(error)))
                continue
            report.written.append(target)
            if progress is not None:
                progress(f"wrote {target}")


def _formats_of(case: str, format_names: list[str]) -> list[str]:
    """The chosen formats that apply to ``case``: the code formats only where the result is a closed form."""
    return [fmt for fmt in format_names if CASES[case].code or get_format(fmt).code is None]


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


def _index(cases: list[str], titles: dict[str, str], format_names: list[str], written: Iterable[Path] = ()) -> str:
    """``index.md``: one line per case with links to its documents, then one per bundle written."""
    lines = ["# kl-derive documents", "", "Every line of every document was derived by a named rule and checked.", ""]
    for case in cases:
        links = ", ".join(f"[{fmt}]({case}{FORMATS[fmt].extension})" for fmt in _formats_of(case, format_names))
        lines.append(f"- **{titles[case]}** (`{case}`): {links}")
    names = {path.name for path in written}
    for bundle in BUNDLES.values():
        links = ", ".join(f"[{fmt}]({bundle.name}{FORMATS[fmt].extension})" for fmt in format_names
                          if fmt in BUNDLE_TEMPLATES and f"{bundle.name}{FORMATS[fmt].extension}" in names)
        if links:
            chapters = ", ".join(f"`{case}`" for case in bundle.cases)
            lines += ["", f"- **{bundle.title}** (`{bundle.name}`: {chapters}, one document): {links}"]
    return "\n".join(lines) + "\n"
