"""The LaTeX documents compile with a real pdflatex (required in CI: KL_DERIVE_REQUIRE_TOOLS=1)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from derivation import CASES, derive, render
from derivation.output.figures import write_figures


def compile_latex(pdflatex: str, tex: str, directory: Path, name: str = "doc") -> str:
    """Run pdflatex twice (labels resolve on the second run); return the log; fail on any error."""
    (directory / f"{name}.tex").write_text(tex)
    for _ in range(2):
        done = subprocess.run(
            [pdflatex, "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
            cwd=directory, capture_output=True, text=True, timeout=120,
        )
        assert done.returncode == 0, done.stdout[-3000:]
    assert (directory / f"{name}.pdf").stat().st_size > 1000
    return (directory / f"{name}.log").read_text(errors="replace")


#: Every case with its defaults, and the other routes and written-out dimensions of the diagonal case.
DOCUMENTS = [(name, {}) for name in CASES] + [
    ("diagonal", {"route": "full"}),
    ("diagonal", {"route": "kingma"}),
    ("diagonal", {"dim": 3}),
    ("diagonal", {"dim": 3, "route": "kingma"}),
    ("diagonal", {"dim": 1024}),
]


@pytest.mark.parametrize(("name", "options"), DOCUMENTS,
                         ids=[name + "".join(f"-{v}" for v in options.values()) for name, options in DOCUMENTS])
def test_latex_document_compiles_cleanly(name, options, tmp_path, require_tool):
    derivation = derive(name, **options)
    written = write_figures(derivation, tmp_path, ["pdf"])  # the document includes its figures
    log = compile_latex(require_tool("pdflatex"), render(derivation, "latex"), tmp_path, name)
    assert "Undefined control sequence" not in log
    assert "undefined" not in log.lower().replace("undefined references", "")
    assert "Overfull" not in log, [line for line in log.splitlines() if "Overfull" in line]
    for path in written:
        assert f"<{path.name}" in log.replace("\n", "")  # pdflatex read each figure


def test_a_slide_counts_binary_signs_wider_when_it_decides_a_line_fits():
    """Seven terms with subscripts fit 44 characters at one character a sign but ran 22 pt past a Beamer frame:
    counted with their spaces (1.3) the line is broken; the joined lines are the unbroken print."""
    from sympy import Symbol, log

    from derivation.printing.latex import SLIDE_SIGN_WIDTH, break_lines, visual_width
    a, b, m, r = (Symbol(n, positive=True) for n in ("alpha_q", "alpha_p", "m_q", "beta_p"))
    expr = -1 - b / a - b * log(r) - b * log(m) + a * r * m / (a - 1) + log(a) + log(b)
    whole = break_lines(expr, width=44)[0]
    assert visual_width("a + b - c") == 5 and visual_width("a + b - c", SLIDE_SIGN_WIDTH) == 3 + 2 * SLIDE_SIGN_WIDTH
    assert visual_width("x^{a + b}", SLIDE_SIGN_WIDTH) == visual_width("x^{a + b}")  # no space in a script
    width = visual_width(whole) + 1  # fits at one character a sign
    assert break_lines(expr, width=width) == [whole]
    lines = break_lines(expr, width=width, sign=SLIDE_SIGN_WIDTH)
    assert len(lines) == 2 and " ".join(lines).replace("  ", " ") == whole
