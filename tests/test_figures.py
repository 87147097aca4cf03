"""Figures: drawn from the engine's expressions, written next to the document, referenced only when written."""

from __future__ import annotations

import os

import matplotlib  # noqa: F401  (a dependency of kl-derive: missing, the tests fail rather than skip)
import numpy as np
import pytest
from sympy import Symbol, log

import cli
from derivation import derive, render
from derivation.core.errors import UsageError
from derivation.core.forms import evaluated
from derivation.output.figures import (
    CurvesPlot,
    FieldPlot,
    FigureWorker,
    MapPlot,
    draw,
    figure_data,
    figures_of,
    labels,
    without_figures,
    write_figures,
)

mu, s, ell = Symbol("mu", real=True), Symbol("sigma", positive=True), Symbol("ell", real=True)
PNG, PDF = b"\x89PNG\r\n\x1a\n", b"%PDF"


def textbook_kl(m, sd):
    """The closed form typed independently (an oracle for the plotted numbers)."""
    return 0.5 * m**2 + 0.5 * (sd**2 - np.log(sd**2) - 1)


@pytest.fixture(scope="module")
def dynamics():
    return derive("dynamics")


@pytest.fixture(scope="module")
def plots(dynamics):
    return {figure.key: figure.plot for figure in figures_of(dynamics)}


def test_the_dynamics_document_has_three_figures(plots):
    assert isinstance(plots["map"], MapPlot) and isinstance(plots["terms"], CurvesPlot)
    assert isinstance(plots["field"], FieldPlot)


def _sympy_value(expr, point) -> float:
    """The engine expression evaluated by SymPy itself (no lambdify, no NumPy)."""
    return float(evaluated(expr).subs(point).evalf(20))


def test_map_data_is_the_engine_expression_at_every_sampled_point(plots):
    plot = plots["map"]
    data = figure_data(plot)
    X, Y, Z = data["X"], data["Y"], data["Z"]
    for i, j in [(0, 0), (5, 17), (60, 60), (120, 3), (33, 101)]:
        point = {mu: X[i, j], s: Y[i, j]}
        assert Z[i, j] == pytest.approx(_sympy_value(plot.expr, point), rel=1e-12)
        assert Z[i, j] == pytest.approx(textbook_kl(X[i, j], Y[i, j]), rel=1e-12)
    assert data["marks"] == [(0.0, 1.0)]  # the minimum the engine found
    assert np.nanmin(Z) >= 0


def test_curves_and_field_data_are_the_engine_expressions(plots):
    curves = plots["terms"]
    data = figure_data(curves)
    for curve, values in zip(curves.curves, data["curves"], strict=True):
        for k in (0, 40, 120):
            point = {s: data["x"][k], **dict(curve.fixed)}
            assert values[k] == pytest.approx(_sympy_value(curve.expr, point), rel=1e-12)
    field = plots["field"]
    data = figure_data(field)
    for i, j in [(0, 0), (8, 3), (16, 16)]:
        m, e = data["AX"][i, j], data["AY"][i, j]
        assert data["U"][i, j] == pytest.approx(-m, abs=1e-12)  # minus the gradient in the mean
        assert data["V"][i, j] == pytest.approx(-(np.exp(e) - 1) / 2, rel=1e-12, abs=1e-12)
        assert data["V"][i, j] == pytest.approx(_sympy_value(field.field[1], {mu: m, ell: e}), abs=1e-12)


def test_drawn_figures_show_exactly_that_data(plots):
    fig = draw(plots["map"])
    ax, bar = fig.axes
    (image,) = ax.get_images()
    np.testing.assert_allclose(np.asarray(image.get_array()), figure_data(plots["map"])["Z"])
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title() and bar.get_ylabel()
    fig = draw(plots["terms"])
    lines = fig.axes[0].get_lines()
    for line, values in zip(lines, figure_data(plots["terms"])["curves"], strict=True):
        np.testing.assert_allclose(line.get_ydata(), values)
    assert len(fig.axes[0].get_legend().get_texts()) == 3
    fig = draw(plots["field"])
    (quiver,) = [c for c in fig.axes[0].collections if c.__class__.__name__ == "Quiver"]
    data = figure_data(plots["field"])
    angles = np.arctan2(data["V"], data["U"]).ravel()
    assert np.allclose(np.arctan2(quiver.V, quiver.U).ravel(), angles)


def test_labels_are_printed_from_the_engine(plots):
    text = labels(plots["terms"])
    assert text.x == r"standard deviation of $q$, $\sigma$"
    assert r"\frac{1}{2} (\sigma^{2} - \log \sigma^{2} - 1)" in text.curves[0]
    assert labels(plots["field"]).y.endswith(r"$\ell$")


def test_write_figures_png_and_pdf(dynamics, tmp_path):
    written = write_figures(dynamics, tmp_path, ["png", "pdf"])
    assert sorted(p.name for p in written) == sorted(
        f"dynamics-{k}.{fmt}" for k in ("terms", "map", "field") for fmt in ("png", "pdf"))
    for path in written:
        head = path.read_bytes()[:8]
        assert path.stat().st_size > 5000 and head.startswith(PNG if path.suffix == ".png" else PDF)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left
    with pytest.raises(UsageError, match="not a directory"):
        write_figures(dynamics, tmp_path / "missing", ["png"])


def test_cases_without_figures_write_none(univariate, standard, tmp_path):
    assert write_figures(univariate, tmp_path) == [] and write_figures(standard, tmp_path) == []
    assert list(tmp_path.iterdir()) == []


def test_without_figures_drops_every_reference(dynamics):
    plain = without_figures(dynamics)
    assert figures_of(plain) == [] and len(plain.sections) == len(dynamics.sections)
    assert ".png" not in render(plain, "markdown") and "includegraphics" not in render(plain, "latex")


def test_worker_writes_figures_and_stops_cleanly(dynamics, tmp_path):
    with FigureWorker() as worker:
        worker.write(dynamics, tmp_path, ["png"])
        paths = worker.wait()
        assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == []  # drawn, not yet in place
        assert worker.commit() == paths
    assert sorted(p.name for p in paths) == ["dynamics-field.png", "dynamics-map.png", "dynamics-terms.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)  # no temporary left
    (tmp_path / "sub").mkdir()
    with FigureWorker() as worker:  # drawn but never committed (the document failed, or Ctrl-C): nothing stays
        worker.write(dynamics, tmp_path / "sub", ["png"])
        worker.wait()
    assert list((tmp_path / "sub").iterdir()) == []
    with FigureWorker():
        pass  # never given work: stopped at once


def test_a_worker_drawing_one_figure_after_another_draws_the_same_bytes(dynamics, tmp_path):
    """``parallel=False`` (a bundle's worker: no forked figure processes, no warm-up figure) changes only how the
    figures are drawn, not one byte of them."""
    written = {}
    for parallel in (True, False):
        directory = tmp_path / str(parallel)
        directory.mkdir()
        with FigureWorker(("png", "pdf"), parallel=parallel) as worker:
            worker.write(dynamics, directory, ["png", "pdf"])
            worker.wait()
            written[parallel] = {p.name: p.read_bytes() for p in worker.commit()}
    assert sorted(written[False]) == sorted(f"dynamics-{stem}.{fmt}" for stem in ("field", "map", "terms")
                                            for fmt in ("png", "pdf"))
    assert written[False] == written[True]


# -- the command line ------------------------------------------------------------------------------
def run(args, capsys):
    code = cli.run(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_writes_figures_next_to_the_document(tmp_path, capsys):
    code, _, err = run(["derive", "dynamics", "-o", str(tmp_path / "d.md")], capsys)
    assert code == 0, err
    text = (tmp_path / "d.md").read_text()
    for key in ("terms", "map", "field"):
        assert (tmp_path / f"dynamics-{key}.png").read_bytes().startswith(PNG)
        assert f"(dynamics-{key}.png)" in text
    code, _, err = run(["derive", "dynamics", "-f", "latex", "-o", str(tmp_path / "d.tex")], capsys)
    assert code == 0, err
    assert (tmp_path / "dynamics-map.pdf").read_bytes().startswith(PDF)


def test_cli_no_figures_and_stdout_write_no_files_and_refer_to_none(tmp_path, capsys, monkeypatch):
    code, _, _ = run(["derive", "dynamics", "--no-figures", "-o", str(tmp_path / "d.md")], capsys)
    assert code == 0 and [p.name for p in tmp_path.iterdir()] == ["d.md"]
    assert ".png" not in (tmp_path / "d.md").read_text()
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(["derive", "dynamics"], capsys)
    assert code == 0 and out.startswith("# What the VAE regulariser does") and ".png" not in out
    assert [p.name for p in tmp_path.iterdir()] == ["d.md"]


def test_cli_figure_errors_are_one_line_and_leave_no_document(tmp_path, capsys):
    target = "/proc/kl-derive-test.md" if os.geteuid() == 0 else str(tmp_path / "ro" / "d.md")
    if os.geteuid() != 0:
        (tmp_path / "ro").mkdir()
        (tmp_path / "ro").chmod(0o500)
    try:
        code, out, err = run(["derive", "dynamics", "-o", target], capsys)
    finally:
        if os.geteuid() != 0:
            (tmp_path / "ro").chmod(0o700)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "cannot write" in err
    assert not os.path.exists(target)


def test_figures_are_drawn_from_the_derivation_in_the_chosen_notation(tmp_path):
    from derivation.settings.univariate import Notation

    d = derive("dynamics", notation=Notation({"mu": "m", "sigma": "s"}))
    plot = next(f.plot for f in figures_of(d) if f.key == "map")
    m, sd = Symbol("m", real=True), Symbol("s", positive=True)
    assert plot.x.symbol == m and plot.y.symbol == sd
    assert evaluated(plot.expr) == evaluated(m**2 / 2 + (sd**2 - log(sd**2) - 1) / 2)
    assert labels(plot).x.endswith("$m$")


def test_a_failed_derivation_writes_no_figures_and_stops_the_worker(tmp_path, capsys, monkeypatch):
    from derivation.core.errors import StepRejected

    def failing(case, **options):
        raise StepRejected("dynamics: step 3 (broken) does not follow from the line before")

    from derivation import document

    monkeypatch.setattr(document, "derive", failing)
    code, out, err = run(["derive", "dynamics", "-o", str(tmp_path / "d.md")], capsys)
    assert code == 1 and out == "" and "step 3" in err
    assert list(tmp_path.iterdir()) == []
    import multiprocessing

    assert not [p for p in multiprocessing.active_children() if p.is_alive()]


def _tick_texts(figure, axis) -> list[str]:
    figure.canvas.draw()
    return [label.get_text() for label in axis.get_ticklabels() if label.get_text()]


def test_tick_labels_are_mathtext_only_on_an_axis_with_a_negative_tick(plots):
    """cmr10 has no minus sign: an axis with a negative tick sets all its labels as mathtext (Computer Modern's
    minus, labels aligned alike); an axis without one sets them as plain cmr10 text (the same digits, no parsing)."""
    from derivation.output.figures import FONTS, SLIDE_FONTS

    figure = draw(plots["map"])
    ax, bar = figure.axes
    x, y, colours = (_tick_texts(figure, a) for a in (ax.xaxis, ax.yaxis, bar.yaxis))
    assert r"$\mathdefault{-1}$" in x and all(t.startswith(r"$\mathdefault{") for t in x)  # mu from -2.5 to 2.5
    assert "1.0" in y and not any("$" in t for t in y + colours)  # sigma and the divergence are positive
    terms = draw(plots["terms"])
    assert not any("$" in t for a in (terms.axes[0].xaxis, terms.axes[0].yaxis) for t in _tick_texts(terms, a))
    assert FONTS["font.serif"][0] == "cmr10" and FONTS["axes.formatter.use_mathtext"]
    slides = draw(plots["map"], fonts=SLIDE_FONTS)  # the slides' labels are plain text throughout
    assert not any("$" in t for t in _tick_texts(slides, slides.axes[0].xaxis))


def test_after_the_warm_up_drawing_a_figure_looks_no_font_up(plots, tmp_path):
    """The worker's warm-up draws the figures' own text in both font sets, and both sets share their lists of fonts,
    so a figure process (a fork of the worker) finds every font in matplotlib's cache."""
    from matplotlib.font_manager import FontManager

    from derivation.output.figures import _warm_up, _write_jobs, jobs

    formats = ("pdf", "png", "slides-pdf")
    _warm_up(formats)
    before = FontManager._findfont_cached.cache_info().misses
    work = [job for job in jobs(derive("dynamics")) if job[0].endswith("field")]
    _write_jobs(work, tmp_path, formats, "token")
    assert FontManager._findfont_cached.cache_info().misses == before
