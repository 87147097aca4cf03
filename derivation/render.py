"""Rendering: a derivation becomes a context of printed LaTeX strings, which a Jinja template lays out.

Templates never compute mathematics: every formula in the context is printed here from the
engine's SymPy expressions by the textbook printer. LaTeX templates use nbconvert-style delimiters
(``((* *))``, ``((( )))``, ``((= =))``) so that Jinja never collides with TeX braces.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jinja2
from sympy import Contains, Eq, Gt, S, Symbol

from .core import Derivation, Step
from .errors import RenderError, UsageError
from .nodes import Density
from .printing import MACRO_STYLE, PLAIN_STYLE, PrintStyle, break_lines, to_latex, visual_width


@dataclass(frozen=True)
class Format:
    """An output format: its template, its printing style and the file extension it is written with."""

    name: str
    template: str
    style: PrintStyle
    extension: str
    latex_syntax: bool


FORMATS: Mapping[str, Format] = MappingProxyType({
    f.name: f
    for f in (
        Format("markdown", "markdown.md.j2", PLAIN_STYLE, ".md", False),
        Format("latex", "latex.tex.j2", MACRO_STYLE, ".tex", True),
    )
})
#: Formats used internally (Jupyter display), not offered on the command line.
_INTERNAL = MappingProxyType({"latex-display": Format("latex-display", "display.tex.j2", PLAIN_STYLE, ".tex", True)})


def templates_directory() -> Path:
    """Installed next to the package (``derivation/templates``) or, in a checkout, ``templates/``."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise RenderError("the templates directory is missing from this installation")


_TEX_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def tex_escape(text: str) -> str:
    """Prose made safe for LaTeX text mode."""
    return "".join(_TEX_ESCAPES.get(c, c) for c in str(text))


def _environment(directory: Path, latex_syntax: bool) -> jinja2.Environment:
    options: dict[str, Any] = dict(
        loader=jinja2.FileSystemLoader(str(directory)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    if latex_syntax:
        options.update(block_start_string="((*", block_end_string="*))", variable_start_string="(((",
                       variable_end_string=")))", comment_start_string="((=", comment_end_string="=))")
    env = jinja2.Environment(**options)
    env.filters["tex"] = tex_escape
    return env


def _assumption(symbol: Symbol):
    return Gt(symbol, 0, evaluate=False) if symbol.is_positive else Contains(symbol, S.Reals, evaluate=False)


def context(derivation: Derivation, style: PrintStyle) -> dict[str, Any]:
    """Everything a template may use; each formula is a LaTeX string printed from the engine's result."""

    def tex(expr) -> str:
        return to_latex(expr, style)

    lemmas = list(derivation.lemmas())
    numbers = {(lm.start, lm.result): i + 1 for i, lm in enumerate(lemmas)}

    def lines(d: Derivation, label_prefix: str) -> list[dict[str, Any]]:
        width = _expression_width(d, tex(d.start))
        out = []
        for index, step in enumerate(d.steps):
            check = d.checks[index] if index < len(d.checks) else None
            out.append(_line(step, index, check, label_prefix, numbers, tex))
            out[-1]["lines"] = break_lines(step.expr, style, width)
        return out

    setting = derivation.setting
    densities = [d for d in (getattr(setting, "q", None), getattr(setting, "p", None)) if isinstance(d, Density)]
    parameters = getattr(setting, "parameters", ())
    methods = [c.method for c in derivation.checks] + [c.method for lm in lemmas for c in lm.checks]
    return {
        "case": derivation.name,
        "title": derivation.title,
        "description": derivation.description,
        "densities": [tex(Eq(Symbol(d.name), Density("", d.variable, d.mean, d.std), evaluate=False))
                      for d in densities],
        "assumptions": [tex(_assumption(s)) for s in parameters],
        "lhs": tex(derivation.start),
        "steps": lines(derivation, f"eq:{derivation.name}:step"),
        "result": tex(derivation.result),
        "statement": tex(Eq(derivation.start, derivation.result, evaluate=False)),
        "lemmas": [
            {
                "number": numbers[(lm.start, lm.result)],
                "title": lm.title,
                "lhs": tex(lm.start),
                "statement": tex(Eq(lm.start, lm.result, evaluate=False)),
                "steps": lines(lm, f"eq:{derivation.name}:lemma-{numbers[(lm.start, lm.result)]}:step"),
            }
            for lm in lemmas
        ],
        "checks": {
            "total": len(methods),
            "symbolic": methods.count("symbolic"),
            "numeric": methods.count("numeric"),
            "all_passed": derivation.verified and all(lm.verified for lm in lemmas),
        },
    }


#: Width of a display line in the units of :func:`visual_width` (an A4 article at 11pt, 2.2 cm margins),
#: less the room for the equation number and the column gaps.
DISPLAY_WIDTH = 58


def _expression_width(d: Derivation, lhs: str) -> float:
    """Room for the expression column: the display less the left-hand side and the widest title."""
    longest_title = max((len(step.title) for step in d.steps), default=0)
    return max(DISPLAY_WIDTH - visual_width(lhs) - 0.8 * longest_title, 20)


def _line(step: Step, index: int, check, label_prefix: str, numbers, tex) -> dict[str, Any]:
    return {
        "number": index + 1,
        "rule": step.rule,
        "title": step.title,
        "justification": step.justification,
        "latex": tex(step.expr),
        "identities": [tex(i) for i in step.identities],
        "lemmas": [numbers[(lm.start, lm.result)] for lm in step.lemmas if (lm.start, lm.result) in numbers],
        "label": f"{label_prefix}-{index + 1}",
        "check": None if check is None else {"ok": check.ok, "method": check.method, "detail": check.detail},
    }


def render(derivation: Derivation, fmt: str = "markdown", *, template: str | Path | None = None) -> str:
    """The derivation as a document in format ``fmt`` (or through a user's own ``template`` file)."""
    spec = FORMATS.get(fmt) or _INTERNAL.get(fmt)
    if spec is None:
        raise UsageError(f"unknown format {fmt!r} (choose from: {', '.join(FORMATS)})")
    try:
        if template is None:
            env = _environment(templates_directory(), spec.latex_syntax)
            compiled = env.get_template(spec.template)
        else:
            path = Path(template)
            env = _environment(path.parent, spec.latex_syntax)
            compiled = env.get_template(path.name)
        return compiled.render(**context(derivation, spec.style))
    except jinja2.TemplateNotFound as error:
        raise UsageError(f"template not found: {error.name}") from None
    except jinja2.UndefinedError as error:
        raise RenderError(f"template error: {error.message}") from None
    except jinja2.TemplateSyntaxError as error:
        raise RenderError(f"template syntax error in {error.name or 'template'} line {error.lineno}: "
                          f"{error.message}") from None
