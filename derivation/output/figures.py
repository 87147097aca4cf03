"""Figures: what to plot is data computed by the engine; drawing it is matplotlib's job, done here.

A :class:`~derivation.core.engine.Figure` carries a plot specification (:class:`MapPlot`, :class:`CurvesPlot`,
:class:`FieldPlot`) whose expressions are the engine's own results. :func:`figure_data` evaluates them
on a grid with ``lambdify`` (never a separately typed formula); :func:`draw` lays the data out;
:func:`write_figures` writes every figure of a derivation next to its document.

matplotlib is imported only when a figure is drawn (Agg backend, no display), so deriving and
rendering documents never pays for it (it is a dependency of kl-derive).
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import pickle
import re
import secrets
import signal
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sympy import Basic, Expr, Symbol, exp, lambdify, log

from ..core import interrupts
from ..core.engine import Derivation, Figure
from ..core.errors import UsageError
from ..core.forms import evaluated
from ..core.plots import Axis, Curve, CurvesPlot, FieldPlot, MapPlot, Plot  # noqa: F401 (re-exported)
from ..printing.latex import PLAIN_STYLE, to_latex
from .files import move_into_place

#: Pixels per inch of PNG figures; vector formats ignore it.
DPI = 100
#: Grid points per axis for maps and curves (fields use fewer arrows).
GRID = 121
ARROWS = 17
WIDTH, HEIGHT = 5.0, 3.5
#: Computer Modern for text and mathtext (matplotlib ships it), as in the LaTeX documents the figures sit in;
#: sizes that stay legible when the figure is scaled to 0.8 of the text width.
FONTS = {
    "font.family": "serif",
    "font.serif": ["cmr10", "Latin Modern Roman", "DejaVu Serif"],
    # the slides' (below), set for both: matplotlib caches a font lookup under every list of fonts, so the
    # lookups made for one kind of figure serve the other (and those made in the warm-up serve both)
    "font.sans-serif": ["cmss10", "DejaVu Sans"],
    "mathtext.fontset": "cm",
    # cmr10 has no Unicode minus: the tick labels of an axis with a negative tick are set as mathtext (its minus
    # sign, Computer Modern's); the others as plain text in cmr10, the same digits without the parser's cost
    # (see :func:`_tick_labels`)
    "axes.formatter.use_mathtext": True,
    "axes.unicode_minus": False,
    "font.size": 11,
    "axes.labelsize": 12,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
}
LEGEND_SIZE, TITLE_SIZE = 10.5, 12
#: The figures of slides: sans-serif like Beamer's default text (Computer Modern Sans, which matplotlib ships)
#: and sans-serif formulas (STIX Sans: Computer Modern Sans has no minus sign or Greek letters for mathtext;
#: tick labels are plain text, with a hyphen for the minus sign for the same reason).
SLIDE_FONTS = {
    **FONTS,
    "font.family": "sans-serif",
    "mathtext.fontset": "stixsans",
    "axes.formatter.use_mathtext": False,
}
#: The figure format of slides: a PDF drawn with :data:`SLIDE_FONTS`, written as ``<stem>-slides.pdf``.
SLIDES_PDF = "slides-pdf"


def figure_file(stem: str, fmt: str) -> str:
    """The file name of figure ``stem`` in ``fmt`` (``png``, ``pdf``, or :data:`SLIDES_PDF`)."""
    return f"{stem}-slides.pdf" if fmt == SLIDES_PDF else f"{stem}.{fmt}"
#: Contour lines of maps (in the plotted quantity); also marked on the colour bar.
CONTOUR_LEVELS = (0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0)


@dataclass(frozen=True)
class Labels:
    """The words and formulas on a figure, printed from the engine's display forms (before any pickling)."""

    title: str
    x: str
    y: str
    curves: tuple[str, ...] = ()


def _math(expr: Basic) -> str:
    """An engine expression as matplotlib mathtext (the same printer as the documents)."""
    return f"${to_latex(expr, PLAIN_STYLE)}$"


def _axis_label(axis: Axis) -> str:
    return f"{axis.label}, {_math(axis.symbol)}"


def labels(plot: Plot) -> Labels:
    """The labels of ``plot``: axis names with their symbols, legend entries with their formulas."""
    if isinstance(plot, CurvesPlot):
        entries = []
        for curve in plot.curves:
            fixed = ", ".join(f"${to_latex(s, PLAIN_STYLE)} = {to_latex(v, PLAIN_STYLE)}$" for s, v in curve.fixed)
            shown = f"{curve.label}: {_math(curve.expr)}" if curve.formula else curve.label
            entries.append(shown + (f" at {fixed}" if fixed else ""))
        return Labels(plot.title, _axis_label(plot.x), plot.quantity, tuple(entries))
    title = plot.title if isinstance(plot, MapPlot) else f"{plot.title} ({plot.arrows})"
    return Labels(title, _axis_label(plot.x), _axis_label(plot.y))


def _evaluate(exprs: Sequence[Expr], symbols: list[Symbol], arrays: Sequence[Any],
              fixed: Sequence[tuple[tuple[Symbol, Basic], ...]] = ()) -> list[Any]:
    """The engine expressions ``exprs`` (display forms allowed) at ``arrays``, compiled together by ``lambdify``.

    ``fixed[i]`` holds the values of the other symbols of ``exprs[i]``.
    """
    import numpy as np

    values = [evaluated(e).subs(dict(fixed[i] if i < len(fixed) else ())) for i, e in enumerate(exprs)]
    missing = set().union(*(v.free_symbols for v in values)) - set(symbols)
    if missing:
        raise ValueError(f"the plotted expressions still depend on {sorted(map(str, missing))}")
    compiled = lambdify(symbols, values, modules=[np])  # numpy's own namespace: no "from numpy import *"
    shape = np.broadcast(*arrays).shape
    return [np.broadcast_to(np.asarray(v, dtype=float), shape) for v in compiled(*arrays)]


def _grid(x: Axis, y: Axis, points: int):
    import numpy as np

    return np.meshgrid(np.linspace(x.low, x.high, points), np.linspace(y.low, y.high, points))


def figure_data(plot: Plot) -> dict[str, Any]:
    """The numbers a figure shows, computed from the engine's expressions by ``lambdify``.

    ``MapPlot``: X, Y, Z (grids) and marks; ``CurvesPlot``: x and one array per curve in ``curves``;
    ``FieldPlot``: X, Y, Z for the background and U, V (the field at the arrow grid AX, AY).
    """
    import numpy as np

    if isinstance(plot, CurvesPlot):
        x = np.linspace(plot.x.low, plot.x.high, GRID)
        curves = _evaluate([c.expr for c in plot.curves], [plot.x.symbol], [x], [c.fixed for c in plot.curves])
        return {"x": x, "curves": curves}
    symbols = [plot.x.symbol, plot.y.symbol]
    X, Y = _grid(plot.x, plot.y, GRID)
    at = [dict(mark) for mark in plot.marks]
    data: dict[str, Any] = {"X": X, "Y": Y, "marks": [(float(m[plot.x.symbol]), float(m[plot.y.symbol])) for m in at]}
    if isinstance(plot, MapPlot):
        (data["Z"],) = _evaluate([plot.expr], symbols, [X, Y])
        return data
    AX, AY = _grid(plot.x, plot.y, ARROWS)
    (data["Z"],) = _evaluate([plot.background], symbols, [X, Y])
    data["AX"], data["AY"] = AX, AY
    data["U"], data["V"] = _evaluate(list(plot.field), symbols, [AX, AY])
    return data


def _new_figure(colour_bar: bool = False, fonts: dict[str, Any] = FONTS):
    """A matplotlib Figure on the Agg canvas (no pyplot, no display), with fixed margins (no layout engine)."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update(fonts)
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(WIDTH, HEIGHT))
    fig.subplots_adjust(left=0.13, right=0.87 if colour_bar else 0.97, bottom=0.145, top=0.9)
    return fig


def _tick_labels(axis, fonts: dict[str, Any]) -> None:
    """Tick labels of ``axis`` as mathtext only where the axis has a negative tick (for the minus sign), if
    ``fonts`` sets tick labels as mathtext; the labels of one axis are all set alike, so they line up."""
    if not fonts.get("axes.formatter.use_mathtext"):
        return
    from matplotlib.ticker import ScalarFormatter

    class SignedMathText(ScalarFormatter):
        def set_locs(self, locs) -> None:
            self.set_useMathText(any(loc < 0 for loc in locs))
            super().set_locs(locs)

    axis.set_major_formatter(SignedMathText())


def _colour_map(fig, ax, plot: MapPlot | FieldPlot, data: dict[str, Any], fonts: dict[str, Any]) -> None:
    import numpy as np

    X, Y, Z = data["X"], data["Y"], data["Z"]
    top = float(np.nanpercentile(Z, 97))
    image = ax.imshow(Z, origin="lower", aspect="auto", cmap="viridis", vmin=0.0, vmax=top,
                      extent=(X[0, 0], X[0, -1], Y[0, 0], Y[-1, 0]), interpolation="bilinear")
    levels = [v for v in CONTOUR_LEVELS if v < top]
    ax.contour(X, Y, Z, levels=levels, colors="white", linewidths=0.6, alpha=0.7)
    bar = fig.colorbar(image, ax=ax, label=plot.quantity, extend="max", fraction=0.05, pad=0.02)
    _tick_labels(bar.ax.yaxis, fonts)
    bar.add_lines(levels=levels, colors=["white"] * len(levels), linewidths=[0.6] * len(levels))
    for mx, my in data["marks"]:
        ax.plot([mx], [my], marker="*", markersize=14, color="#d62728", markeredgecolor="white",
                linestyle="none", label=plot.mark_label)
    if data["marks"] and plot.mark_label:
        ax.legend(loc="upper right", fontsize=LEGEND_SIZE, framealpha=0.9)


def draw(plot: Plot, text: Labels | None = None, fonts: dict[str, Any] = FONTS,
         data: dict[str, Any] | None = None):
    """The figure for ``plot`` as a matplotlib ``Figure`` (not yet written anywhere), its text in ``fonts``
    (:data:`FONTS` for articles, :data:`SLIDE_FONTS` for slides); ``data`` is its :func:`figure_data` when
    already computed (the two variants of a figure plot the same values)."""
    import numpy as np

    text = text or labels(plot)
    data = data if data is not None else figure_data(plot)
    fig = _new_figure(colour_bar=not isinstance(plot, CurvesPlot), fonts=fonts)
    ax = fig.add_subplot()
    for axis in (ax.xaxis, ax.yaxis):
        _tick_labels(axis, fonts)
    if isinstance(plot, CurvesPlot):
        for curve, values, label in zip(plot.curves, data["curves"], text.curves, strict=True):
            ax.plot(data["x"], values, curve.style, linewidth=1.8, label=label)
        low = float(np.nanmin([np.nanmin(v) for v in data["curves"]]))
        if low >= 0:  # a divergence: from 0 to the bulk of the curves
            ax.set_ylim(bottom=0.0, top=float(np.nanmax([np.nanpercentile(v, 90) for v in data["curves"]])) * 1.05)
        else:  # e.g. a log-density and its lower bound: the curves' peak and their bulk below it
            high = float(np.nanmax([np.nanmax(v) for v in data["curves"]]))
            bulk = float(np.nanmin([np.nanpercentile(v, 10) for v in data["curves"]]))
            margin = 0.08 * (high - bulk or 1.0)
            ax.set_ylim(bottom=bulk - margin, top=high + 2.5 * margin)
        ax.set_xlim(plot.x.low, plot.x.high)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="upper center" if low >= 0 else "lower center", fontsize=LEGEND_SIZE, framealpha=0.95)
    else:
        _colour_map(fig, ax, plot, data, fonts)
        if isinstance(plot, FieldPlot):
            U, V = data["U"], data["V"]
            length = np.hypot(U, V)
            scale = np.divide(1.0, length, out=np.zeros_like(length), where=length > 0)
            ax.quiver(data["AX"], data["AY"], U * scale, V * scale, color="white", pivot="mid",
                      angles="xy", scale_units="width", scale=ARROWS * 1.15, width=0.004)
    ax.set_xlabel(text.x)
    ax.set_ylabel(text.y)
    title = wrap_title(text.title)
    ax.set_title(title, fontsize=TITLE_SIZE)
    if "\n" in title:  # room above the axes for the second line
        fig.subplots_adjust(top=0.85)
    return fig


#: Characters of a figure's title on one line at :data:`TITLE_SIZE` across the figure's width.
TITLE_CHARS = 58


def wrap_title(title: str, width: int = TITLE_CHARS) -> str:
    """``title`` on as few lines of at most ``width`` characters as it needs, broken only at spaces outside
    mathtext (``$...$``)."""
    lines: list[str] = []
    for word in re.split(r" (?=(?:[^$]*\$[^$]*\$)*[^$]*$)", title):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)


def _save(fig, path: Path, fmt: str) -> None:
    """Write ``fig`` to ``path`` (a temporary file: see :func:`temporary`), with reproducible metadata."""
    options: dict[str, Any] = {"metadata": {"Software": None}, "pil_kwargs": {"compress_level": 2}}
    if fmt == "pdf":
        options = {"metadata": {"Creator": None, "Producer": None, "CreationDate": None}}
    fig.savefig(path, format=fmt, dpi=DPI, **options)


def temporary(path: Path, token: str) -> Path:
    """Where a figure bound for ``path`` is drawn first: a hidden file beside it, named by the writer's ``token``.
    It is moved into place by :func:`commit` (after the document that refers to it) or removed by :func:`discard`."""
    return path.parent / f".{path.name}.{token}.tmp"


def commit(paths: Iterable[Path], token: str) -> list[Path]:
    """Move each drawn figure into place (through a symbolic link to its target); the paths written."""
    written = []
    for path in paths:
        move_into_place(temporary(path, token), path)
        written.append(path)
    return written


def discard(paths: Iterable[Path], token: str) -> None:
    """Remove the temporary files of figures that were not committed (an interrupt, a failure)."""
    for path in paths:
        with contextlib.suppress(OSError):
            temporary(path, token).unlink()


def _new_token() -> str:
    return f"{os.getpid()}-{secrets.token_hex(4)}"


def figures_of(derivation: Derivation) -> list[Figure]:
    """Every figure the derivation's sections show (those with a plot), in document order."""
    return [figure for section in derivation.sections for figure in section.figures if figure.plot is not None]


def without_figures(derivation: Derivation) -> Derivation:
    """The derivation with its figures left out (so a document refers to no figure files)."""
    return replace(derivation, sections=tuple(replace(s, figures=()) for s in derivation.sections))


#: One figure to write: its file stem, what to plot, and its labels (printed before the plot is pickled).
Job = tuple[str, Plot, Labels]


def jobs(derivation: Derivation) -> list[Job]:
    return [(f.stem, f.plot, labels(f.plot)) for f in figures_of(derivation)]


def _check_directory(directory: str | os.PathLike[str]) -> Path:
    target = Path(directory)
    if not target.is_dir():
        raise UsageError(f"cannot write figures into {target}: not a directory")
    return target


def targets(work: Sequence[Job], directory: Path, formats: Sequence[str]) -> list[Path]:
    """The figure files that ``work`` writes into ``directory``, in order."""
    return [directory / figure_file(stem, fmt) for stem, _, _ in work for fmt in formats]


def _write_jobs(work: Sequence[Job], directory: Path, formats: Sequence[str], token: str) -> list[Path]:
    """Draw every figure of ``work`` into its temporary file (see :func:`temporary`); the final paths."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError("the figures need matplotlib (a dependency of kl-derive), which is not installed: "
                         "pip install matplotlib") from None
    written = []
    for stem, plot, text in work:
        drawn: dict[bool, Any] = {}  # the figure in the articles' fonts and in the slides' (each drawn once)
        data = figure_data(plot)
        for fmt in formats:
            slides = fmt == SLIDES_PDF
            if slides not in drawn:
                drawn[slides] = draw(plot, text, SLIDE_FONTS if slides else FONTS, data)
            path = directory / figure_file(stem, fmt)
            try:
                _save(drawn[slides], temporary(path, token), "pdf" if slides else fmt)
            except OSError as error:
                raise UsageError(f"cannot write {path}: {error.strerror or error}") from None
            written.append(path)
    return written


def write_figures(derivation: Derivation, directory: str | os.PathLike[str],
                  formats: Iterable[str] = ("png",)) -> list[Path]:
    """Draw every figure of ``derivation`` and write ``<directory>/<stem>.<format>`` for each format.

    Documents refer to figures by stem: Markdown to ``.png``, LaTeX to ``.pdf``. Returns the paths
    written (none for a derivation without figures). Raises :class:`~derivation.core.errors.UsageError`
    if the directory cannot be written or matplotlib is missing.
    """
    work = jobs(derivation)
    if not work:
        return []
    target, token = _check_directory(directory), _new_token()
    try:
        return commit(_write_jobs(work, target, tuple(formats), token), token)
    finally:
        discard(targets(work, target, tuple(formats)), token)


def _warm_up(formats: Sequence[str] = ("png",)) -> None:
    """Draw a small figure of every kind once in each figure format to come, with the text sizes and fonts of the
    real ones, so that modules (the PDF backend and fontTools' subsetter included), fonts (matplotlib looks a font
    up once per size) and the mathtext parser are loaded in the worker, before the derivation is done, rather than
    in each figure process."""
    import numpy

    x, y = Symbol("x", positive=True), Symbol("y", real=True)
    values = _evaluate([x**2 / 2 - log(x) + exp(y)], [x, y], numpy.meshgrid([1.0, 2.0], [-1.0, 1.0]))[0]
    kinds = {SLIDES_PDF: [fmt for fmt in formats if fmt == SLIDES_PDF],
             "article": list(dict.fromkeys(fmt for fmt in formats if fmt != SLIDES_PDF))}
    for kind, saved in kinds.items():
        if not saved:
            continue
        fonts = SLIDE_FONTS if kind == SLIDES_PDF else FONTS
        fig = _new_figure(colour_bar=True, fonts=fonts)
        fig.set_size_inches(1.0, 1.0)  # the same text, little to paint
        ax = fig.add_subplot()
        for axis in (ax.xaxis, ax.yaxis):
            _tick_labels(axis, fonts)
        image = ax.imshow(values, origin="lower", aspect="auto", extent=(-1.0, 1.0, -1.0, 1.0),
                          interpolation="bilinear")
        ax.contour(numpy.linspace(-1.0, 1.0, 2), numpy.linspace(-1.0, 1.0, 2), values, levels=[values.mean()],
                   colors="white")
        bar = fig.colorbar(image, ax=ax, label=r"$\mu$", extend="max")
        _tick_labels(bar.ax.yaxis, fonts)
        bar.add_lines(levels=[values.mean()], colors=["white"], linewidths=[0.5])
        ax.quiver([0.0], [0.0], [1.0], [1.0], angles="xy", scale_units="width")
        ax.set_xlabel(r"$\mu$")
        ax.set_ylabel(r"$\sigma$")
        ax.set_title(r"$\frac{1}{2} \mu^{2} - \log \sigma^{2} + e^{\ell}$", fontsize=TITLE_SIZE)
        ax.legend(handles=ax.plot([0], [0], marker="*", label=r"$\mu$"), fontsize=LEGEND_SIZE)
        for fmt in saved:  # at the figures' own resolution: mathtext is laid out (and cached) per resolution
            fig.savefig(io.BytesIO(), format="pdf" if fmt == SLIDES_PDF else fmt, dpi=DPI)


def _outcome(work: Sequence[Job], directory: Path, formats: Sequence[str], token: str) -> tuple[str, Any]:
    """``("ok", paths)`` or ``("error", one line)``: what a worker reports."""
    try:
        return "ok", [str(p) for p in _write_jobs(work, directory, formats, token)]
    except UsageError as error:
        return "error", str(error)
    except Exception as error:  # reported to the parent as one line
        return "error", f"could not draw the figures: {type(error).__name__}: {error}"


#: The processes a figure worker has forked (each draws one figure); stopped with it.
_children: list[int] = []


def _stop_worker(signum: int, frame: Any) -> None:
    """SIGTERM in the worker (its parent was interrupted or is done): stop the figure processes and leave at
    once, silently. The parent removes the temporary files afterwards, so none is left behind."""
    for pid in _children:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    os._exit(128 + signum)


def _write_in_parallel(work: Sequence[Job], directory: Path, formats: Sequence[str], token: str) -> tuple[str, Any]:
    """The first job here, every other one in a forked copy of this (warmed-up) process; outcomes combined."""
    children = []
    for job in work[1:]:
        read, write = os.pipe()
        with interrupts.blocked(signal.SIGTERM):  # a SIGTERM now would miss the child being forked
            pid = os.fork()
            if pid == 0:  # the copy: draw one figure, report, leave without running any exit handlers
                try:
                    signal.signal(signal.SIGTERM, signal.SIG_DFL)
                    _children.clear()
                    os.close(read)
                    with os.fdopen(write, "wb") as stream:
                        pickle.dump(_outcome([job], directory, formats, token), stream)
                finally:
                    os._exit(0)
            _children.append(pid)
        os.close(write)
        children.append((pid, read))
    outcomes = [_outcome(work[:1], directory, formats, token)]
    for pid, read in children:
        with os.fdopen(read, "rb") as stream:
            try:
                outcomes.append(pickle.load(stream))
            except EOFError:
                outcomes.append(("error", "a figure process stopped before writing its figure"))
        os.waitpid(pid, 0)
        _children.remove(pid)
    errors = [value for status, value in outcomes if status != "ok"]
    if errors:
        return "error", errors[0]
    return "ok", [path for _, paths in outcomes for path in paths]


def _import_drawing(formats: Sequence[str]) -> None:
    """Import what drawing figures in ``formats`` needs (matplotlib's Figure, and the PDF backend for PDF figures),
    drawing nothing: the first figure loads the fonts and the mathtext parser, and the figures after it reuse them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.figure

    if any(fmt in ("pdf", SLIDES_PDF) for fmt in formats):
        import matplotlib.backends.backend_pdf
    else:
        import matplotlib.backends.backend_agg


def _serve(connection, formats: Sequence[str], parallel: bool = True) -> None:
    """The worker process: warm up, then write the figures of each request it is sent, in order, until None
    (``parallel``: each figure of a request after the first in a forked copy; else one after another, after
    importing matplotlib rather than warming up).

    Ctrl-C is left to the parent (which stops the worker with SIGTERM), so an interrupt prints nothing here."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_worker)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})  # blocked by the parent's fork
    gc.disable()  # a short-lived process: collecting would only copy the pages it shares with its parent
    with contextlib.suppress(Exception):  # a missing or broken matplotlib is reported when figures are written
        (_warm_up if parallel else _import_drawing)(formats)
    write = _write_in_parallel if parallel else _outcome
    while (request := connection.recv()) is not None:
        work, directory, formats, token = request
        connection.send(write(work, Path(directory), formats, token))


@dataclass
class _Batch:
    """The figures of one :meth:`FigureWorker.write`: their final paths, and whether they are drawn."""

    pending: list[Path]
    drawn: bool = False
    error: str | None = None


class FigureWorker:
    """Draws a derivation's figures in a separate process started early, so that importing matplotlib
    overlaps with deriving (the command line uses it; :func:`write_figures` is the plain synchronous way).

    ::

        with FigureWorker() as worker:        # the worker starts importing matplotlib now
            derivation = derive("dynamics")
            worker.write(derivation, directory, ["png"])
            worker.wait()                     # UsageError if a figure could not be drawn
            ...                               # write the document that refers to the figures
            paths = worker.commit()           # the figures, moved into place

    Figures are drawn into temporary files and moved into place by :meth:`commit`, after their document is
    written: leaving the block without committing (an error, Ctrl-C) removes them, so no figure is left
    without its document and no temporary file is left at all. Where processes cannot be forked, ``write``
    draws in this process.

    ``parallel=False`` is for a caller whose own processes already keep every core busy (a bundle, whose chapters
    are derived in two processes): the worker then draws the figures one after another, and draws no warm-up
    figure, since forked figure processes and a warm-up drawing would only take CPU time from those processes
    (the figures are the same byte for byte).
    """

    def __init__(self, formats: Iterable[str] = ("png",), *, parallel: bool = True) -> None:
        """Start the worker; ``formats`` are the figure formats it will be asked for (it warms up for them)."""
        import multiprocessing

        self._process = None
        self._connection = None
        self._token = _new_token()
        self._batches: list[_Batch] = []
        self._unanswered: deque[_Batch] = deque()  # sent to the worker, in order; its answers come in that order
        if "fork" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("fork")
            self._connection, child = context.Pipe()
            self._process = context.Process(target=_serve, args=(child, tuple(formats), parallel),
                                            daemon=True)
            # Objects that exist now are left out of garbage collection while the worker lives: a collection
            # would write to every one of them and so copy every shared memory page into both processes.
            gc.freeze()
            with interrupts.blocked(signal.SIGINT, signal.SIGTERM):  # until the worker has its own handlers
                self._process.start()
            child.close()

    def write(self, derivation: Derivation, directory: str | os.PathLike[str], formats: Iterable[str]) -> int:
        """Hand the figures over (or, without a worker, draw them now); their batch number."""
        work, target, formats = jobs(derivation), _check_directory(directory), tuple(formats)
        batch = _Batch(targets(work, target, formats))
        self._batches.append(batch)
        if self._process is None:
            _write_jobs(work, target, formats, self._token)
            batch.drawn = True
        else:
            self._connection.send((work, str(target), formats, self._token))
            self._unanswered.append(batch)
        return len(self._batches) - 1

    def wait(self, batch: int = -1) -> list[Path]:
        """The paths the figures of ``batch`` will have once committed; raises :class:`UsageError` if drawing
        them failed."""
        waited = self._batches[batch]
        while not waited.drawn and waited.error is None:
            try:
                status, value = self._connection.recv()
            except EOFError:
                raise UsageError("the figure worker stopped before writing the figures") from None
            answered = self._unanswered.popleft()
            if status == "ok":
                answered.drawn = True
            else:
                answered.error = value
        if waited.error is not None:
            raise UsageError(waited.error)
        return list(waited.pending)

    def commit(self, batch: int = -1) -> list[Path]:
        """Move the drawn figures of ``batch`` into place (call it once their document is written); the paths
        written."""
        self.wait(batch)
        committed = self._batches[batch]
        written, committed.pending = commit(committed.pending, self._token), []
        return written

    def close(self) -> None:
        """Stop the worker (at once if it is still drawing) and remove the figures not committed."""
        with interrupts.blocked(signal.SIGINT):  # a second Ctrl-C must not cut the clean-up short
            if self._process is not None:
                if self._process.is_alive():
                    self._process.terminate()
                self._process.join()
                self._connection.close()
                self._process = None
                gc.unfreeze()
            for batch in self._batches:
                discard(batch.pending, self._token)
                batch.pending = []

    def __enter__(self) -> FigureWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
