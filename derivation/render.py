"""Rendering: a derivation becomes a context of printed LaTeX strings, which a Jinja template lays out.

Templates never compute mathematics: every formula in the context is printed here from the
engine's SymPy expressions by the textbook printer. LaTeX templates use nbconvert-style delimiters
(``((* *))``, ``((( )))``, ``((= =))``) so that Jinja never collides with TeX braces.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jinja2
from sympy import Eq

from .core import Derivation, Section
from .errors import RenderError, UsageError
from .printing import MACRO_STYLE, PLAIN_STYLE, PrintStyle, break_lines, to_latex, visual_width


@dataclass(frozen=True)
class Format:
    """An output format: its template, its printing style and the file extension it is written with.

    ``figure_format`` is the image format its documents refer to (``derivation.figures.write_figures``).
    """

    name: str
    template: str
    style: PrintStyle
    extension: str
    latex_syntax: bool
    figure_format: str = "png"


FORMATS: Mapping[str, Format] = MappingProxyType({
    f.name: f
    for f in (
        Format("markdown", "markdown.md.j2", PLAIN_STYLE, ".md", False),
        Format("latex", "latex.tex.j2", MACRO_STYLE, ".tex", True, "pdf"),
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


#: Width of a display line in the units of :func:`visual_width` (an A4 article at 11pt, 2.2 cm margins),
#: less the room for the equation number and the column gaps.
DISPLAY_WIDTH = 58


class _Context:
    """Builds the template context: every formula printed once, here, from the engine's expressions."""

    def __init__(self, derivation: Derivation, style: PrintStyle, latex_syntax: bool):
        self.derivation = derivation
        self.style = style
        self.escape = tex_escape if latex_syntax else str
        self.lemmas = list(derivation.lemmas())
        self.numbers = {(lm.start, lm.result): i + 1 for i, lm in enumerate(self.lemmas)}
        self.figure_count = 0

    def tex(self, expr) -> str:
        return to_latex(expr, self.style)

    def chain(self, d: Derivation, label_prefix: str) -> dict[str, Any]:
        """A derivation chain: its statement and its steps, each broken into display lines."""
        lhs = self.tex(d.start)
        longest_title = max((len(step.title) for step in d.steps), default=0)
        width = max(DISPLAY_WIDTH - visual_width(lhs) - 0.8 * longest_title, 20)
        steps = []
        for index, step in enumerate(d.steps):
            check = d.checks[index] if index < len(d.checks) else None
            steps.append({
                "number": index + 1,
                "rule": step.rule,
                "title": step.title,
                "justification": step.justification,
                "latex": self.tex(step.expr),
                "lines": break_lines(step.expr, self.style, width),
                "identities": [self.tex(i) for i in step.identities],
                "lemmas": [self.numbers[(lm.start, lm.result)] for lm in step.lemmas
                           if (lm.start, lm.result) in self.numbers],
                "label": f"{label_prefix}-{index + 1}",
                "check": None if check is None else {"ok": check.ok, "method": check.method, "detail": check.detail},
            })
        return {
            "name": d.name,
            "title": d.title,
            "lhs": lhs,
            "statement": self.tex(Eq(d.start, d.result, evaluate=False)),
            "result": self.tex(d.result),
            "steps": steps,
        }

    def prose(self, text: str, values) -> str:
        """``text`` with each ``{name}`` replaced by inline math printed from ``values[name]``."""
        out = []
        for literal, name, _, _ in string.Formatter().parse(text):
            out.append(self.escape(literal))
            if name is not None:
                if name not in values:
                    raise RenderError(f"prose refers to {{{name}}}, which the section does not define")
                out.append(f"${self.tex(values[name])}$")
        return "".join(out)

    def section(self, section: Section, index: int) -> dict[str, Any]:
        case = self.derivation.name
        return {
            "key": section.key,
            "title": section.title,
            "text": self.prose(section.text, section.values),
            "derivations": [self.chain(d, f"eq:{case}:{section.key}-{i + 1}:step")
                            for i, d in enumerate(section.derivations)],
            "facts": [{"latex": self.tex(f.statement), "text": self.prose(f.text, section.values),
                       "method": f.check.method if f.check else None} for f in section.facts],
            "figures": [self.figure(f, section) for f in section.figures],
        }

    def figure(self, figure, section: Section) -> dict[str, Any]:
        """A figure: numbered through the document; its caption is prose with formulas from the section."""
        self.figure_count += 1
        return {"key": figure.key, "number": self.figure_count, "stem": figure.stem,
                "caption": self.prose(figure.caption, section.values)}

    def document(self) -> dict[str, Any]:
        d = self.derivation
        setting = d.setting
        extra = [sd for s in d.sections for sd in s.derivations]
        methods = ([c.method for c in d.checks] + [c.method for lm in self.lemmas for c in lm.checks]
                   + [c.method for sd in extra for c in sd.checks])
        main = self.chain(d, f"eq:{d.name}:step")
        return {
            "case": d.name,
            "title": d.title,
            "description": d.description,
            "densities": [self.tex(statement) for statement in setting.statements()],
            "assumptions": [self.tex(assumption) for assumption in setting.assumptions()],
            "lhs": main["lhs"],
            "steps": main["steps"],
            "result": main["result"],
            "statement": main["statement"],
            "lemmas": [
                {"number": self.numbers[(lm.start, lm.result)],
                 **self.chain(lm, f"eq:{d.name}:lemma-{self.numbers[(lm.start, lm.result)]}:step")}
                for lm in self.lemmas
            ],
            "sections": [self.section(s, i) for i, s in enumerate(d.sections)],
            "checks": {
                "total": len(methods),
                "symbolic": methods.count("symbolic"),
                "numeric": methods.count("numeric"),
                "all_passed": d.verified and all(x.verified for x in (*self.lemmas, *extra)),
                "facts": sum(1 for s in d.sections for f in s.facts if f.check is not None and f.check.ok),
            },
        }


def context(derivation: Derivation, style: PrintStyle = PLAIN_STYLE, latex_syntax: bool = False) -> dict[str, Any]:
    """Everything a template may use (documented in the README); formulas are printed LaTeX strings."""
    return _Context(derivation, style, latex_syntax).document()


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
        return compiled.render(**context(derivation, spec.style, spec.latex_syntax))
    except jinja2.TemplateNotFound as error:
        raise UsageError(f"template not found: {error.name}") from None
    except jinja2.UndefinedError as error:
        raise RenderError(f"template error: {error.message}") from None
    except jinja2.TemplateSyntaxError as error:
        raise RenderError(f"template syntax error in {error.name or 'template'} line {error.lineno}: "
                          f"{error.message}") from None
