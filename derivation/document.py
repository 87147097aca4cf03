"""One document written to a destination, with its figures next to it: what ``kl-derive derive`` does."""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
from pathlib import Path

from .api import derive
from .cases.bundles import BUNDLES
from .cases.catalogue import CASES
from .check.checker import reusing_chains
from .core import interrupts
from .core.errors import UsageError
from .output.figures import FigureWorker, without_figures
from .output.files import real_target, write_text
from .output.render import BUNDLE_TEMPLATES, BundleChapters, Renderer, get_format, render
from .settings.univariate import Notation


def figure_directory(output: str) -> Path | None:
    """Where figures go: next to the file a document is written to (a symbolic link's target, since the
    document refers to its figures by relative names); nowhere for a stream or a device."""
    target = real_target(output)
    return None if target is None else target.parent


def write_document(output: str, fmt: str, *, case: str | None = None, q: str | None = None, p: str | None = None,
                   notation: Notation | None = None, template: str | None = None, steps: str = "full",
                   figures: bool = True, dim: int | str | None = None, route: str | None = None,
                   jobs: int | None = None) -> None:
    """Derive (every step checked), render and write one document; its figures, if it has any, beside it.

    Figures are drawn by a worker process that imports matplotlib while the derivation runs, and moved into
    place together with the document. A document written to stdout or a device, or with ``figures=False``,
    refers to no figure files.
    """
    spec = get_format(fmt)  # an unknown format fails before any work
    if case in BUNDLES:
        given = [name for name, value in (("--q", q), ("--p", p), ("--template", template), ("--dim", dim),
                                          ("--route", route)) if value is not None]
        if steps != "full":
            given.append("--steps brief")
        if given:
            raise UsageError(f"the bundle {case!r} takes no {', '.join(given)} (its chapters are the named cases "
                             f"{', '.join(BUNDLES[case].cases)})")
        write_bundle(output, case, fmt, notation=notation, figures=figures, jobs=jobs)
        return
    directory = figure_directory(output) if figures else None
    drawn = directory is not None and case in CASES and CASES[case].figures
    if not drawn:
        derivation = without_figures(derive(case, q=q, p=p, notation=notation, dim=dim, route=route))
        write_text(render(derivation, fmt, template=template, steps=steps), output)
        return

    with FigureWorker((spec.figure_format,)) as worker:  # starts importing matplotlib while the derivation runs
        derivation = derive(case, q=q, p=p, notation=notation, dim=dim, route=route)
        worker.write(derivation, directory, (spec.figure_format,))
        text = render(derivation, fmt, template=template, steps=steps)
        worker.wait()  # a figure that cannot be drawn: an error, and no document referring to it
        with interrupts.blocked():  # the document and its figures, or (Ctrl-C before this) neither
            write_text(text, output)
            worker.commit()


def write_bundle(output: str, name: str, fmt: str = "latex", *, notation: Notation | None = None,
                 figures: bool = True, jobs: int | None = None) -> None:
    """Derive every case of bundle ``name`` (each chain once), render them as one document (a chapter each) and
    write it, with the chapters' figures beside it: what ``kl-derive derive vae-lecture -f latex`` does.

    With ``jobs`` above 1 (default: the number of CPUs) a forked process derives and renders the leading chapters
    (:func:`chapters_ahead`) while this one derives the others; the document is the same byte for byte."""
    if fmt not in BUNDLE_TEMPLATES:
        raise UsageError(f"a bundle is written in {', '.join(BUNDLE_TEMPLATES)}, not {fmt!r}")
    bundle, spec = BUNDLES[name], get_format(fmt)
    directory = figure_directory(output) if figures else None
    ahead = chapters_ahead(bundle.cases, (os.cpu_count() or 1) if jobs is None else jobs)
    chapters = bundle.cases[len(ahead):]
    # the chapter with the most figures first: its figures take longest to draw, and are drawn while the rest derive
    drawn = sorted((case for case in chapters if directory is not None and CASES[case].figures),
                   key=lambda case: -CASES[case].figures)
    if ahead or drawn:  # NumPy (the vector checks and the figures use it) imported once, before the forks below
        import numpy  # noqa: F401
    with contextlib.ExitStack() as stack, reusing_chains():
        helper = stack.enter_context(_ChaptersAhead(ahead, fmt, notation, bundle.cases)) if ahead else None
        derived, batches = {}, []
        worker: FigureWorker | None = None  # one process draws every chapter's figures, in turn
        # The chapters with figures are derived first: their figures are drawn while the others are derived, one
        # after another (this process and the one deriving ahead already keep the cores busy).
        for case in [*drawn, *(case for case in chapters if case not in drawn)]:
            if case in drawn and worker is None:
                worker = stack.enter_context(FigureWorker((spec.figure_format,), parallel=False))
            derivation = derive(case, notation=notation)
            if case in drawn:
                batches.append(worker.write(derivation, directory, (spec.figure_format,)))
            else:
                derivation = without_figures(derivation)
            derived[case] = derivation
        derivations = [derived[case] for case in chapters]
        done = helper.result() if helper is not None else None
        if done is None:  # no helper, or it failed: its chapters here (an error in them is reported as always)
            derivations = [without_figures(derive(case, notation=notation)) for case in ahead] + derivations
        text = Renderer().render_bundle(bundle.title, bundle.description, derivations, fmt, done)
        for batch in batches:
            worker.wait(batch)  # a figure that cannot be drawn: an error, and no document referring to it
        with interrupts.blocked():  # the document and its figures, or (Ctrl-C before this) neither
            write_text(text, output)
            for batch in batches:
                worker.commit(batch)


#: A second process takes the leading chapters without figures, up to this share of a bundle's chapters: the
#: lecture's first two (the ELBO and the decoders) take about as long to derive as its last four together, whose
#: chains share the Gaussian KL's.
AHEAD_SHARE = 1 / 3


def chapters_ahead(cases: tuple[str, ...], jobs: int) -> tuple[str, ...]:
    """The leading chapters a second process derives and renders (none for one job, or where it cannot fork)."""
    if jobs < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return ()
    ahead: list[str] = []
    for case in cases[:int(len(cases) * AHEAD_SHARE)]:
        if CASES[case].figures:
            break
        ahead.append(case)
    return tuple(ahead)


class _ChaptersAhead:
    """A forked process deriving and rendering a bundle's leading chapters; :meth:`result` is what it rendered
    (:class:`BundleChapters`), or None if it failed (its chapters are then done by the caller).

    Ctrl-C is left to the parent, which stops the process (SIGTERM) on leaving the ``with`` block early."""

    def __init__(self, cases: tuple[str, ...], fmt: str, notation: Notation | None, chapters: tuple[str, ...]):
        context = multiprocessing.get_context("fork")
        self._receiver, sender = context.Pipe(duplex=False)
        gc.freeze()  # a collection in either process would otherwise copy every shared page
        self._process = context.Process(target=self._serve, args=(sender, cases, fmt, notation, chapters),
                                        daemon=True)
        with interrupts.blocked(signal.SIGINT, signal.SIGTERM):  # until the process has its own handlers
            self._process.start()
        sender.close()

    @staticmethod
    def _serve(sender, cases, fmt, notation, chapters) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda signum, frame: os._exit(128 + signum))
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            with reusing_chains():
                derivations = [without_figures(derive(case, notation=notation)) for case in cases]
            done = Renderer().render_chapters(derivations, fmt, chapters)
        except Exception:  # the parent derives these chapters itself, and reports what fails there
            done = None
        sender.send(done)
        sender.close()

    def result(self) -> BundleChapters | None:
        try:
            return self._receiver.recv()
        except EOFError:
            return None

    def __enter__(self) -> _ChaptersAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        with interrupts.blocked():
            if self._process.is_alive() and exc[0] is not None:
                self._process.terminate()
            self._process.join()
            self._receiver.close()
            gc.unfreeze()
