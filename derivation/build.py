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

from sympy import oo

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
from .pairs.catalogue import FAMILY_PAIRS, FamilyPair


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
    whose cases are all chosen (in the chosen formats a bundle is written in), ``out/families/<pair><extension>``
    for every chosen pair of families (``laplace-laplace``; ``families`` chooses them all) with
    ``out/families/index.md``, and ``out/index.md``. By default everything is chosen."""
    if not os.fspath(out).strip():
        raise UsageError("the output directory is an empty name (give --out DIR; '.' is the current directory)")
    chosen = None if cases is None else [c.strip() for c in cases]
    if chosen is not None and "families" in chosen:
        chosen = [c for c in chosen if c != "families"] + [c for c in FAMILY_PAIRS if c not in chosen]
    names = _choose("case", chosen, [*CASES, *FAMILY_PAIRS])
    format_names = _choose("format", formats, FORMATS)
    directory = Path(out)
    _check_writable(directory)
    jobs = [_case_job(name) for name in names if name in CASES] + [_pair_job(FAMILY_PAIRS[name]) for name in names
                                                                   if name in FAMILY_PAIRS]
    if any(job.pair is not None for job in jobs):
        _check_writable(directory / FAMILIES)
    # Cases with figures first: their figures are drawn by a worker process while the other cases are done.
    jobs.sort(key=lambda job: not job.figures)
    report, derived = BuildReport(), {}
    with reusing_chains():  # a chain that one case derives for another (e.g. for its sections) is derived once
        _build_cases(jobs, format_names, directory, progress, report, derived)
    pairs = {job: derived[job] for job in jobs if job.pair is not None and job in derived}
    if pairs:
        _write_index(_families_index(pairs, format_names), directory / FAMILIES / "index.md",
                     f"{FAMILIES}/index.md", report)
    titles = {job.name: derived[job].title for job in jobs if job.pair is None and job in derived}
    _write_index(_index(list(titles), titles, format_names, report.written, families=bool(pairs)),
                 directory / "index.md", "index.md", report)
    return report


#: The subdirectory of a build that holds the family pairs' documents.
FAMILIES = "families"


@dataclass(frozen=True)
class _Job:
    """One document to derive and write: a named case, or a pair of families (``pair``) in its example specs."""

    name: str
    figures: bool
    code: bool
    pair: FamilyPair | None = None

    @property
    def stem(self) -> str:
        """The documents' path in the build, without extension: ``univariate``, ``families/laplace-laplace``."""
        return self.name if self.pair is None else f"{FAMILIES}/{self.name}"

    def derive(self) -> Derivation:
        if self.pair is None:
            return derive(self.name)
        q, p = self.pair.specs()
        return derive(q=q, p=p)


def _case_job(name: str) -> _Job:
    return _Job(name, bool(CASES[name].figures), CASES[name].code)


def _pair_job(pair: FamilyPair) -> _Job:
    return _Job(pair.name, figures=False, code=True, pair=pair)


def _write_index(text: str, target: Path, label: str, report: BuildReport) -> None:
    try:
        write_text(text, target)
    except DerivationError as error:
        report.failed.append((label, str(error)))
    else:
        report.written.append(target)


def _build_cases(jobs: list[_Job], format_names: list[str], directory: Path,
                 progress: Callable[[str], None] | None, report: BuildReport,
                 derived: dict[_Job, Derivation]) -> None:
    """Derive each case once, draw its figures, write it in every format.

    Figures are drawn by one worker process (matplotlib imported once), started before the first case with
    figures is derived and handed each such case's figures as soon as it is derived; they are moved into place right
    after their case's documents are written (a case whose figures cannot be drawn is written without them,
    and the failure reported). Once every case is derived, the formats that print no LaTeX (Unicode text,
    code; they show no figures) are written by a forked process while this one writes the LaTeX-based ones,
    which share their printed formulas.
    """
    figure_formats = sorted({get_format(fmt).figure_format for fmt in format_names})
    shown: dict[str, Derivation] = {}  # each case as its documents show it (without figures that failed)
    with contextlib.ExitStack() as stack:  # on any exit (Ctrl-C included) every process is stopped, temporaries go
        worker: FigureWorker | None = None  # one process draws the figures of every case, in turn
        drawing: dict[_Job, int] = {}  # case -> its batch of figures, drawn while further cases are derived
        for job in jobs:
            if job.figures and worker is None:
                worker = stack.enter_context(FigureWorker(figure_formats))
            try:
                derived[job] = job.derive()
            except DerivationError as error:
                report.failed.append((job.stem, str(error)))
                continue
            if job.figures:
                drawing[job] = worker.write(derived[job], directory, figure_formats)
        elsewhere = [fmt for fmt in format_names if get_format(fmt).style is None]
        if len(elsewhere) == len(format_names) or "fork" not in multiprocessing.get_all_start_methods():
            elsewhere = []
        helper = None
        if elsewhere and derived:
            helper = stack.enter_context(_RenderHelper(derived, elsewhere, directory, progress))
        here = [fmt for fmt in format_names if fmt not in elsewhere]
        renderer = Renderer()
        for job in sorted(derived, key=lambda job: job in drawing):  # figures get the most time to be drawn
            derivation, batch = derived[job], drawing.get(job)
            if batch is not None:
                try:
                    worker.wait(batch)
                except DerivationError as error:
                    report.failed.append((f"{job.name} figures", str(error)))
                    derivation, batch = without_figures(derivation), None
            with interrupts.blocked() if batch is not None else contextlib.nullcontext():
                for fmt in _formats_of(job, here):
                    _write_one(renderer, derivation, fmt, directory / f"{job.stem}{get_format(fmt).extension}",
                               report, progress)
                if batch is not None:
                    report.written.extend(worker.commit(batch))
            if job.pair is None:
                shown[job.name] = derivation
        _write_bundles(renderer, shown, here, directory, report, progress)
        if helper is not None:
            helper.collect(report)


class _RenderHelper:
    """A forked process writing some formats of the derived cases; :meth:`collect` adds what it did to a report.

    Ctrl-C is left to the parent, which stops the helper (SIGTERM) on leaving the ``with`` block early; the
    helper then removes the temporary file of the document it was writing and leaves silently.
    """

    def __init__(self, derived: dict[_Job, Derivation], format_names: list[str], directory: Path,
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


def _write_all(derived: dict[_Job, Derivation], format_names: list[str], directory: Path,
               progress: Callable[[str], None] | None, report: BuildReport) -> None:
    renderer = Renderer()
    for job, derivation in derived.items():
        for fmt in _formats_of(job, format_names):
            _write_one(renderer, derivation, fmt, directory / f"{job.stem}{get_format(fmt).extension}", report,
                       progress)


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


def _formats_of(job: _Job, format_names: list[str]) -> list[str]:
    """The chosen formats that apply to ``job``: the code formats only where the result is a closed form."""
    return [fmt for fmt in format_names if job.code or get_format(fmt).code is None]


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


def _links(stem: str, format_names: Iterable[str]) -> str:
    return ", ".join(f"[{fmt}]({stem}{FORMATS[fmt].extension})" for fmt in format_names)


def _index(cases: list[str], titles: dict[str, str], format_names: list[str], written: Iterable[Path] = (),
           families: bool = False) -> str:
    """``index.md``: one line per case with links to its documents, then one per bundle written, then the
    family pairs' index."""
    lines = ["# kl-derive documents", "", "Every line of every document was derived by a named rule and checked.", ""]
    for case in cases:
        lines.append(f"- **{titles[case]}** (`{case}`): {_links(case, _formats_of(_case_job(case), format_names))}")
    names = {path.name for path in written}
    for bundle in BUNDLES.values():
        links = _links(bundle.name, [fmt for fmt in format_names if fmt in BUNDLE_TEMPLATES
                                     and f"{bundle.name}{FORMATS[fmt].extension}" in names])
        if links:
            chapters = ", ".join(f"`{case}`" for case in bundle.cases)
            lines += ["", f"- **{bundle.title}** (`{bundle.name}`: {chapters}, one document): {links}"]
    if families:
        lines += ["", f"- **Other distribution families**: KL(q ‖ p) for each pair of families derived, one document "
                      f"each: [index]({FAMILIES}/index.md)"]
    return "\n".join(lines) + "\n"


#: The groups of the families' index: heading, and which pairs (by their derivation) belong to it.
_FAMILY_GROUPS: tuple[tuple[str, Callable[[_Job, Derivation], bool]], ...] = (
    ("Same family, continuous: integrals", lambda job, d: job.pair.same_family and not job.pair.discrete),
    ("Same family, discrete: sums over the integers", lambda job, d: job.pair.same_family and job.pair.discrete),
    ("Two families", lambda job, d: not job.pair.same_family and d.result != oo),
    ("Two families with different supports: the divergence is infinite",
     lambda job, d: not job.pair.same_family and d.result == oo),
)


def _families_index(pairs: dict[_Job, Derivation], format_names: list[str]) -> str:
    """``families/index.md``: the family pairs' documents grouped (same family, two families, infinite), each
    with the command that derives it."""
    lines = ["# KL divergences between distribution families", "",
             "Each document derives KL(q ‖ p) for one pair of families from the definition, step by step; every line "
             "was derived by a named rule and checked. The Gaussian pairs are the named cases of the "
             "[main index](../index.md).", ""]
    for heading, belongs in _FAMILY_GROUPS:
        members = [(job, d) for job, d in pairs.items() if belongs(job, d)]
        if not members:
            continue
        lines += [f"## {heading}", ""]
        for job, derivation in members:
            q, p = job.pair.specs()
            lines.append(f"- **{derivation.title}**: `kl-derive derive --q '{q}' --p '{p}'`: "
                         f"{_links(job.name, _formats_of(job, format_names))}")
        lines.append("")
    return "\n".join(lines)
