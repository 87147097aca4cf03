"""Every format for every case: documents that compile, convert, validate and run."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import nbformat
import pytest

import cli
from derivation import CASES, FORMATS, derive, render
from derivation.build import build
from derivation.core.errors import RenderError, UsageError
from derivation.settings.univariate import parse_notation


@pytest.fixture(scope="module")
def derived():
    return {name: derive(name) for name in CASES}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    report = build(out)
    assert report.ok, report.failed
    return out


def pdflatex(tool: str, directory: Path, name: str) -> str:
    for _ in range(2):
        done = subprocess.run([tool, "-interaction=nonstopmode", "-halt-on-error", name], cwd=directory,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout[-3000:]
    log = (directory / Path(name).with_suffix(".log")).read_text(errors="replace")
    assert "Overfull \\hbox" not in log, [line for line in log.splitlines() if "Overfull" in line]
    assert "undefined" not in log.lower() or "Reference" not in log
    return log


def test_build_writes_every_case_in_every_format_and_an_index(built):
    for case in CASES:
        for spec in FORMATS.values():
            path = built / f"{case}{spec.extension}"
            if spec.code is not None and not CASES[case].code:  # an identity between expectations: no code
                assert not path.exists(), path
                continue
            assert path.is_file() and path.stat().st_size > 500, path
    index = (built / "index.md").read_text()
    for case in CASES:
        assert f"({case}.md)" in index and f"({case}.tex)" in index


@pytest.mark.parametrize("case", list(CASES))
def test_latex_and_beamer_compile_without_overfull_boxes(case, built, require_tool):
    tool = require_tool("pdflatex")
    pdflatex(tool, built, f"{case}.tex")
    pdflatex(tool, built, f"{case}.slides.tex")
    pages = (built / f"{case}.slides.pdf").stat().st_size
    assert pages > 5000


def test_fragments_input_into_existing_notes(built, require_tool):
    tool = require_tool("pdflatex")
    inputs = "\n".join(rf"\input{{{case}.fragment.tex}}" for case in CASES)
    refs = " ".join(rf"\eqref{{eq:{case}:step-2}}" for case in CASES)
    packages = {"amsmath", "amssymb"}
    for case in CASES:  # what each fragment's header says it needs
        header = (built / f"{case}.fragment.tex").read_text().splitlines()[2]
        packages |= set(header.split(r"\usepackage{")[1].rstrip("}").split(","))
    (built / "notes.tex").write_text(
        f"\\documentclass{{article}}\n\\usepackage{{{','.join(sorted(packages))}}}\n"
        "\\newcommand{\\E}{\\mathrm{E}}\n"  # the notes' own macro must win over the fragment's
        f"\\begin{{document}}\nSee {refs}.\n{inputs}\n\\end{{document}}\n"
    )
    log = pdflatex(tool, built, "notes.tex")
    assert "multiply defined" not in log


def test_fragment_header_lists_packages_and_macros(built):
    head = (built / "univariate.fragment.tex").read_text().splitlines()[:6]
    assert any("amsmath" in line for line in head)
    assert any(r"\KL" in line and r"\E" in line for line in head)
    text = (built / "univariate.fragment.tex").read_text()
    assert r"\providecommand{\KL}" in text and r"\documentclass" not in text


@pytest.mark.parametrize("case", list(CASES))
def test_pandoc_converts_markdown_with_math_without_warnings(case, built, require_tool):
    tool = require_tool("pandoc")
    done = subprocess.run([tool, "--from", "markdown", "--to", "html", "--mathjax", f"{case}.md", "-o",
                           f"{case}.html"], cwd=built, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    html = (built / f"{case}.html").read_text()
    assert html.count('class="math display"') >= len(derive(case).steps)


@pytest.mark.parametrize("case", list(CASES))
def test_notebooks_validate_and_their_code_runs(case, built):
    nb = nbformat.read(built / f"{case}.ipynb", as_version=4)
    nbformat.validate(nb)
    d = derive(case)
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert len(markdown) >= len(d.steps) + 2
    namespace: dict = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, f"<{case} notebook>", "exec"), namespace)  # our own generated code
    assert namespace["d"].result == d.result and namespace["d"].verified


def test_json_has_rule_keys_latex_srepr_and_checks(built, derived):
    for case, d in derived.items():
        data = json.loads((built / f"{case}.json").read_text())
        assert data["case"] == case
        assert [s["rule"] for s in data["steps"]] == [s.rule for s in d.steps]
        assert all(s["check"]["ok"] and s["check"]["method"] in ("symbolic", "numeric") for s in data["steps"])
        assert all("Symbol(" in s["srepr"] for s in data["steps"])
        assert data["assumptions"] and data["result"]["latex"]


def test_text_format_is_unicode_pretty_print(derived):
    text = render(derived["standard"], "text")
    assert "KL(q ‖ p)" in text and "E_q" in text and "σ" in text
    assert "\\" not in text  # no LaTeX in the terminal format


def test_equation_labels_are_stable(derived):
    tex = render(derived["univariate"], "latex")
    assert r"\label{eq:univariate:step-4}" in tex and r"\label{eq:univariate:result}" in tex


def test_notation_reaches_every_format():
    d = derive("univariate", notation=parse_notation(["mu=m", "sigma=s", "letters=p,q", "log=ln"]))
    for fmt in ("markdown", "latex", "latex-fragment", "beamer", "json"):
        text = render(d, fmt)
        assert r"\mu" not in text and r"\sigma" not in text and r"\log" not in text, fmt
        assert r"\ln" in text and "m_{p}" in text and "s_{q}" in text  # subscripts follow the letters
    assert r"\KL(p \,\|\, q)" in render(d, "latex")


def test_expectation_notation_changes_the_macro_definition():
    d = derive("standard", notation=parse_notation(["expectation=E"]))
    assert r"\providecommand{\E}{\mathrm{E}}" in render(d, "latex")
    assert r"\mathrm{E}_{q}" in render(d, "markdown")


def test_brief_steps_keep_the_main_chain_only(derived):
    d = derived["univariate"]
    full, brief = render(d, "markdown"), render(d, "markdown", steps="brief")
    assert "## Lemmas" in full and "## Lemmas" not in brief
    for step in d.steps:
        assert step.title in brief


def test_bad_notation_and_steps_are_usage_errors(derived):
    with pytest.raises(UsageError):
        parse_notation(["mu"])
    with pytest.raises(UsageError):
        parse_notation(["log=lg"])
    with pytest.raises(UsageError):
        render(derived["univariate"], "markdown", steps="some")


def test_build_reports_a_failing_document_and_keeps_the_others(tmp_path, monkeypatch):
    from derivation import build as build_module

    original = build_module.Renderer.render

    def flaky(self, derivation, fmt="markdown", **kwargs):
        if fmt == "json" and derivation.name == "standard":
            raise RenderError("simulated failure")
        return original(self, derivation, fmt, **kwargs)

    earlier = tmp_path / "standard.json"
    earlier.write_text("earlier build")
    monkeypatch.setattr(build_module.Renderer, "render", flaky)
    report = build(tmp_path, formats=["markdown", "json"])
    assert report.failed == [("standard.json", "simulated failure")]
    assert earlier.read_text() == "earlier build"
    assert (tmp_path / "univariate.json").is_file() and (tmp_path / "standard.md").is_file()


def test_build_cli_into_unwritable_directory(tmp_path, capsys):
    target = "/proc/kl-derive-build" if os.geteuid() == 0 else str(tmp_path / "ro" / "out")
    if os.geteuid() != 0:
        (tmp_path / "ro").mkdir(mode=0o500)
    code = cli.run(["build", "--out", target])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "cannot write" in err


def test_build_cli_options(tmp_path, capsys):
    code = cli.run(["build", "--out", str(tmp_path), "--cases", "standard", "--formats", "markdown,json"])
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.md", "standard.json", "standard.md"]
    code = cli.run(["build", "--out", str(tmp_path), "--formats", "docx"])
    err = capsys.readouterr().err
    assert code == 2 and "unknown format" in err


def test_derive_cli_template_notation_steps(tmp_path, capsys):
    template = tmp_path / "mine.md.j2"
    template.write_text("{% for s in steps %}{{ s.number }}:{{ s.rule }}\n{% endfor %}{{ result }}\n")
    code = cli.run(["derive", "standard", "--template", str(template), "--notation", "mu=m"])
    out = capsys.readouterr().out
    assert code == 0 and out.startswith("1:kl-definition\n") and "m^{2}" in out
    code = cli.run(["derive", "standard", "--template", str(tmp_path / "missing.j2")])
    assert code == 2
