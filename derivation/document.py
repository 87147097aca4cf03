"""One document written to a destination, with its figures next to it: what ``kl-derive derive`` does."""

from __future__ import annotations

import contextlib
from pathlib import Path

from .api import derive
from .cases.bundles import BUNDLES
from .cases.catalogue import CASES
from .check.checker import reusing_chains
from .core import interrupts
from .core.errors import UsageError
from .output.figures import FigureWorker, without_figures
from .output.files import real_target, write_text
from .output.render import BUNDLE_TEMPLATES, Renderer, get_format, render
from .settings.univariate import Notation


def figure_directory(output: str) -> Path | None:
    """Where figures go: next to the file a document is written to (a symbolic link's target, since the
    document refers to its figures by relative names); nowhere for a stream or a device."""
    target = real_target(output)
    return None if target is None else target.parent


def write_document(output: str, fmt: str, *, case: str | None = None, q: str | None = None, p: str | None = None,
                   notation: Notation | None = None, template: str | None = None, steps: str = "full",
                   figures: bool = True, dim: int | str | None = None, route: str | None = None) -> None:
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
        write_bundle(output, case, fmt, notation=notation, figures=figures)
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
                 figures: bool = True) -> None:
    """Derive every case of bundle ``name`` (each chain once), render them as one document (a chapter each) and
    write it, with the chapters' figures beside it: what ``kl-derive derive vae-lecture -f latex`` does."""
    if fmt not in BUNDLE_TEMPLATES:
        raise UsageError(f"a bundle is written in {', '.join(BUNDLE_TEMPLATES)}, not {fmt!r}")
    bundle, spec = BUNDLES[name], get_format(fmt)
    directory = figure_directory(output) if figures else None
    with contextlib.ExitStack() as stack, reusing_chains():
        derivations, batches = [], []
        worker: FigureWorker | None = None  # one process draws every chapter's figures, in turn
        for case in bundle.cases:
            if directory is not None and CASES[case].figures and worker is None:
                worker = stack.enter_context(FigureWorker((spec.figure_format,)))
            derivation = derive(case, notation=notation)
            if directory is None or not CASES[case].figures:
                derivation = without_figures(derivation)
            else:
                batches.append(worker.write(derivation, directory, (spec.figure_format,)))
            derivations.append(derivation)
        text = Renderer().render_bundle(bundle.title, bundle.description, derivations, fmt)
        for batch in batches:
            worker.wait(batch)  # a figure that cannot be drawn: an error, and no document referring to it
        with interrupts.blocked():  # the document and its figures, or (Ctrl-C before this) neither
            write_text(text, output)
            for batch in batches:
                worker.commit(batch)
