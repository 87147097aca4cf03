"""Rendering: a derivation becomes a context of printed formulas, which a template lays out.

Templates never compute mathematics: every formula in the context is printed here from the
engine's SymPy expressions (LaTeX by the textbook printer, or Unicode for the terminal). LaTeX
templates use nbconvert-style delimiters (``((* *))``, ``((( )))``, ``((= =))``) so that Jinja never
collides with TeX braces. Data formats (``ipynb``, ``json``) are built from the same context in code.
"""

from __future__ import annotations

import re
import string
import textwrap
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from sympy import Basic, Eq, srepr
from sympy.core.parameters import evaluate

from ..core.engine import Derivation, Section
from ..core.errors import DerivationError, RenderError, UsageError
from ..core.placeholders import Placeholder
from ..core.version import __version__
from ..printing.latex import (
    MACRO_STYLE,
    PLAIN_STYLE,
    SLIDE_SIGN_WIDTH,
    PrintStyle,
    break_lines,
    continued,
    to_latex,
    visual_width,
)
from ..printing.text import to_text
from .codegen import code_context
from .notebook import SharedRepr, json_document, notebook
from .slides import fact_frames, frame_title, frames, identity_rows, sentence_pages, title_room

#: The width, in :func:`~derivation.printing.latex.visual_width`'s units, of ``\\quad =`` that starts each line of a
#: chain whose left-hand side has a row of its own (a quad is about two letters wide, and TeX puts a thick space on
#: either side of the equals sign).
QUAD_EQUALS = 4.0


@dataclass(frozen=True)
class Format:
    """An output format.

    ``template`` is a Jinja template in ``templates/`` (or None for a format built in code by
    ``builder`` from the context); ``style`` is the LaTeX printing style, or None for Unicode text;
    ``latex_syntax`` selects the LaTeX-safe Jinja delimiters; ``display_width`` bounds a display line
    (see :func:`derivation.printing.latex.visual_width`).
    ``figure_format`` is the image format its documents refer to (``derivation.output.figures.write_figures``;
    slides refer to their own sans-serif PDFs, ``<stem>-slides.pdf``).
    """

    name: str
    extension: str
    summary: str
    template: str | None
    style: PrintStyle | None
    latex_syntax: bool
    display_width: float = 58
    #: How wide a binary sign with its spaces counts when deciding that a line must break (:func:`visual_width`).
    sign_width: float = 1.0
    #: Whether the step titles sit beside the chain's lines (taking room from them), and whether the
    #: left-hand side always has a row of its own (slides: the lines below use the frame's whole width).
    chain_titles: bool = True
    lhs_row: bool = False
    #: Room taken from a display line by the indentation of a justification's identities (negative: given, as on
    #: slides, where identities are set in the justification's \\small type and a line holds more).
    identity_indent: float = 6
    #: Whether lemmas are cited by ``\\ref`` to their labels (``lemma:<case>:<n>``) rather than by number.
    cross_references: bool = False
    figure_format: str = "png"
    builder: Callable[[dict[str, Any]], str] | None = None
    #: For the code formats: builds the template's context from the derivation (instead of the document's).
    code: Callable[[Derivation], dict[str, Any]] | None = None


def _code(module: str) -> Callable[[Derivation], dict[str, Any]]:
    """The context of a code format: the result as a function over ``module`` arrays (see ``codegen.py``)."""

    def build(derivation: Derivation) -> dict[str, Any]:
        return code_context(derivation, module)

    return build


def _notebook(ctx: dict[str, Any]) -> str:
    return notebook(ctx)


def _json(ctx: dict[str, Any]) -> str:
    return json_document(ctx)


FORMATS: Mapping[str, Format] = MappingProxyType({
    f.name: f
    for f in (
        Format("markdown", ".md", "Markdown with $$ display math (GitHub, Jupyter, Pandoc)",
               "markdown.md.j2", PLAIN_STYLE, False),
        Format("latex", ".tex", "standalone LaTeX article (pdflatex)", "latex.tex.j2", MACRO_STYLE, True,
               figure_format="pdf", chain_titles=False, cross_references=True),
        Format("latex-fragment", ".fragment.tex", "align blocks and text to \\input into notes",
               "fragment.tex.j2", MACRO_STYLE, True, display_width=42, figure_format="pdf", chain_titles=False,
               cross_references=True),
        Format("beamer", ".slides.tex", "Beamer slides, one step per overlay", "beamer.tex.j2", MACRO_STYLE, True,
               display_width=44, sign_width=SLIDE_SIGN_WIDTH, figure_format="slides-pdf", chain_titles=False,
               lhs_row=True,
               identity_indent=-4),
        Format("ipynb", ".ipynb", "Jupyter notebook: a cell per step, code that rebuilds it", None, PLAIN_STYLE,
               False, builder=_notebook),
        Format("json", ".json", "machine-readable steps, LaTeX, srepr and checks", None, PLAIN_STYLE, False,
               builder=_json),
        Format("text", ".txt", "Unicode for the terminal", "text.txt.j2", None, False),
        Format("python", ".py", "the closed form as a NumPy function, the derived identity in its docstring",
               "python.py.j2", None, False, code=_code("np")),
        Format("torch", "_torch.py", "the closed form as a PyTorch function, the derived identity in its docstring",
               "torch.py.j2", None, False, code=_code("torch")),
    )
})
#: The formats a bundle of derivations is written in: the template of the whole document, the template that
#: renders one chapter's body from the chapter's own context, and what prose calls a chapter.
BUNDLE_TEMPLATES = MappingProxyType({"latex": ("book.tex.j2", "_chapter.tex.j2", "Chapter"),
                                     "beamer": ("lecture.slides.tex.j2", "_slides_body.tex.j2", "Section"),
                                     "markdown": ("lecture.md.j2", "markdown.md.j2", "Chapter")})
#: Formats used internally (Jupyter display), not offered on the command line.
_INTERNAL = MappingProxyType({
    "latex-display": Format("latex-display", ".tex", "Jupyter display", "display.tex.j2", PLAIN_STYLE, True),
})


def get_format(name: str) -> Format:
    """The format called ``name``, or a :class:`UsageError` listing the choices."""
    spec = FORMATS.get(name) or _INTERNAL.get(name)
    if spec is None:
        raise UsageError(f"unknown format {name!r} (choose from: {', '.join(FORMATS)})")
    return spec


def templates_directory() -> Path:
    """Installed next to the package (``derivation/templates``) or, in a checkout, ``templates/``."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "templates", package.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise RenderError("the templates directory is missing from this installation")


_TEX_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def tex_escape(text: str) -> str:
    """Prose made safe for LaTeX text mode."""
    return "".join(_TEX_ESCAPES.get(c, c) for c in str(text))


#: A lone letter in prose that names a density, a dimension, a variable or an index ("under q", "in k
#: dimensions", "the variable z"): set as math, as the formulas set it. English one-letter words (a, I, A)
#: are not among them.
_MATH_LETTER = re.compile(r"(?<!\d )(?<![\w$\\{}'’-])([qpkdxzjNft](?:\([a-z]\))?)(?![\w}$'’(-])")


_LETTER_LOG_LETTER = re.compile(r"(?<![\w$\\])([qp]) log ([qp])(?![\w$])")
#: Names of the PyTorch code's arguments where prose mentions them ("over the vectors mu and logvar"): set as
#: code, as the listing sets them.
_CODE_NAMES = re.compile(r"(?<=\bvectors )(mu)(?= and logvar\b)|(?<=\bmu and )(logvar)(?=\b)")


def tex_code(text: str) -> str:
    """Code set line by line in a typewriter group: each line escaped, its leading spaces kept (``\\ `` each), lines
    joined by ``\\\\`` (a newline in ``\\texttt`` would be a space), and straight quotes kept straight (the
    typewriter font's upright quote, ``\\char13`` in OT1, as ``upquote`` sets it) and
    underscores the font's own glyph (not a rule), so the lines read as the code
    they are."""
    lines = []
    for line in str(text).splitlines():
        body = line.lstrip(" ")
        escaped = tex_escape(body).replace("'", r"{\char13}").replace(r"\_", r"{\char95}")
        lines.append("\\ " * (len(line) - len(body)) + escaped)
    return "\\\\\n".join(lines)


def tex_prose(text: str) -> str:
    """Prose made safe for LaTeX text mode, with its lone math letters set as math (``in $k$ dimensions``)."""
    text = re.sub(r"\b(\d+) x (\d+)\b", r"$\1 \\times \2$", tex_escape(text))  # a 1 x 1 matrix
    text = _LETTER_LOG_LETTER.sub(r"$\1 \\log \2$", text)  # "q log q": one formula, not $q$ log $q$
    text = _CODE_NAMES.sub(lambda m: rf"\texttt{{{m.group(0)}}}", text)
    return _MATH_LETTER.sub(r"$\1$", text)


def math_letters(text: str) -> str:
    """Markdown prose with its lone math letters set as math, as :func:`tex_prose` sets them in LaTeX
    (``**In $d$ dimensions.**``, ``## Slope of $f$``); nothing else changes."""
    return _MATH_LETTER.sub(r"$\1$", text)


_TEX_SAFE_DELIMITERS = dict(block_start_string="((*", block_end_string="*))", variable_start_string="(((",
                            variable_end_string=")))", comment_start_string="((=", comment_end_string="=))")


def _options(loader: jinja2.BaseLoader, latex_syntax: bool) -> dict[str, Any]:
    options: dict[str, Any] = dict(loader=loader, undefined=jinja2.StrictUndefined, autoescape=False,
                                   keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    if latex_syntax:
        options.update(_TEX_SAFE_DELIMITERS)
    return options


def _with_filters(env: jinja2.Environment) -> jinja2.Environment:
    env.filters["tex"] = tex_escape
    env.filters["prose"] = tex_prose
    env.filters["tex_code"] = tex_code
    env.filters["math_letters"] = math_letters
    env.filters["frames"] = frames
    env.filters["sentence_pages"] = sentence_pages
    env.filters["continued"] = continued
    env.filters["fact_frames"] = fact_frames
    env.filters["identity_rows"] = identity_rows
    env.filters["format_math"] = lambda latex: f"${latex}$"
    env.globals["frame_title"] = frame_title
    env.globals["title_room"] = title_room
    return env


def _environment(loader: jinja2.BaseLoader, latex_syntax: bool) -> jinja2.Environment:
    """The environment of the built-in templates (trusted: they ship with the package)."""
    return _with_filters(jinja2.Environment(**_options(loader, latex_syntax)))


class TemplateSandbox(ImmutableSandboxedEnvironment):
    """The environment of a user's template: Jinja's immutable sandbox (no attribute starting with ``_``, no
    mutation of the context, no unsafe callables), with ``*`` and ``**`` bounded so that a template cannot
    exhaust memory with ``"x" * 10**12``."""

    intercepted_binops = frozenset(["*", "**"])
    #: The longest string or list a ``*`` may build, and the largest exponent ``**`` accepts.
    MAX_REPEAT = 1_000_000
    MAX_EXPONENT = 1_000

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > self.MAX_EXPONENT:
            raise SecurityError(f"exponent {right} is above the sandbox's limit ({self.MAX_EXPONENT})")
        if operator == "*":
            for sequence, count in ((left, right), (right, left)):
                if (isinstance(sequence, (str, list, tuple)) and isinstance(count, int)
                        and len(sequence) * count > self.MAX_REPEAT):
                    raise SecurityError(f"a repetition longer than the sandbox's limit ({self.MAX_REPEAT})")
        return super().call_binop(context, operator, left, right)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """A private name (``x.__code__``) is refused before the object is even asked for it."""
        if attribute.startswith("_"):
            raise SecurityError(f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe.")
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        """``x["__code__"]`` is ``x.__code__`` in Jinja: refused the same way."""
        if isinstance(argument, str) and argument.startswith("_"):
            return self.getattr(obj, argument)
        return super().getitem(obj, argument)


def _uses_tex_safe_delimiters(source: str) -> bool:
    return any(source.find(opening) >= 0 for opening in ("((*", "(((", "((="))


def _uses_jinja_delimiters(source: str) -> bool:
    return any(source.find(opening) >= 0 for opening in ("{{", "{%", "{#"))


#: A lemma's statement wider than this share of a display line is displayed (broken into lines), not set inline
#: after the lemma's title.
INLINE_SHARE = 0.65


class Lazy(Mapping):
    """A mapping whose ``deferred`` entries are computed (once) when first looked up."""

    def __init__(self, items: dict[str, Any], deferred: tuple[str, ...] = ()):
        self._items = items
        self._pending = set(deferred)

    def __getitem__(self, key: str) -> Any:
        if key in self._pending:
            self._items[key] = self._items[key]()
            self._pending.discard(key)
        return self._items[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._items[key] = value
        self._pending.discard(key)

    def __iter__(self):
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


#: A lemma as a bundle's later chapters cite it: ``(start, result)`` of its chain.
LemmaKey = tuple[Any, Any]


def lemma_text(key: LemmaKey) -> str:
    """A lemma's key (its first and last line) as text: the same for the same lines in any process."""
    return srepr(key)


class _ByText(Mapping):
    """Lemmas of earlier chapters (label and number) looked up by their key, stored by :func:`lemma_text`."""

    def __init__(self, by_text: dict[str, tuple[str, int | str]]):
        self._by_text = by_text

    def __getitem__(self, key: LemmaKey) -> tuple[str, int | str]:
        return self._by_text[lemma_text(key)]

    def __contains__(self, key: object) -> bool:
        return lemma_text(key) in self._by_text

    def __iter__(self):
        return iter(self._by_text)

    def __len__(self) -> int:
        return len(self._by_text)


@dataclass(frozen=True)
class BundleChapters:
    """The chapters of a bundle rendered so far, as plain data (a process rendering the leading chapters sends it):
    each chapter's template values, the macros they define, and their lemmas (label and number) by
    :func:`lemma_text`."""

    chapters: list[dict[str, Any]] = field(default_factory=list)
    macros: dict[str, str] = field(default_factory=dict)
    earlier: dict[str, tuple[str, int | str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Chapter:
    """A document's place in a bundle of documents (a lecture: one book, one slide deck).

    ``number`` prefixes the numbers of its lemmas and figures (Lemma 3.1); ``earlier`` holds the lemmas the
    chapters before it derived (their label and number), which it cites there instead of deriving them again;
    ``cases`` are the bundle's chapters in order, which prose naming "the <case> document" refers to.
    """

    number: int
    cases: tuple[str, ...]
    earlier: Mapping[LemmaKey, tuple[str, int | str]] = field(default_factory=dict)
    #: What prose calls a chapter ("Section" in a slide deck).
    unit: str = "Chapter"

    def refer(self, text: str, cross_references: bool) -> str:
        """Prose with "the <case> document" of a chapter in the bundle as a reference to that chapter."""
        def chapter(match: re.Match[str]) -> str:
            case = match.group(1)
            if cross_references:
                return rf"{self.unit}~\ref{{chapter:{case}}}"
            return f"{self.unit} {self.cases.index(case) + 1}"

        names = "|".join(re.escape(case) for case in sorted(self.cases, key=len, reverse=True))
        return re.sub(rf"\bthe ({names}) document\b", chapter, text) if names else text


#: Letters for a general identity's placeholders where its own (``a``, ``b``) name a symbol of the document.
SPARE_LETTERS = ("u", "v", "w", "s", "t", "c", "d", "r", "h", "k")


def generic_letters(identity: Basic, symbols: set[Basic]) -> Basic:
    """``identity`` with its letters (:class:`~derivation.core.placeholders.Placeholder`: the ``a`` and ``b`` of
    ``E[a + b g(x)] = a + b E[g(x)]``) renamed to spare ones where one of them has the name of a symbol of the
    document (a Pareto law's shape ``a``), so that a reader does not take the general law for a statement about it."""
    letters = sorted(identity.atoms(Placeholder), key=lambda s: s.name)
    names = {s.name for s in symbols}
    if not any(s.name in names for s in letters):
        return identity
    taken = names | {s.name for s in identity.free_symbols}
    spare = [letter for letter in SPARE_LETTERS if letter not in taken]
    if len(spare) < len(letters):
        return identity
    with evaluate(False):  # the identity's display forms kept as written (``log a - log b``, not reordered)
        return identity.xreplace({s: Placeholder(letter, **s.assumptions0) for s, letter in zip(letters, spare,
                                                                                                  strict=False)})


class _Context:
    """Builds the template context: every formula printed once, here, from the engine's expressions."""

    def __init__(self, derivation: Derivation, fmt: Format, brief: bool,
                 printed: dict[tuple[Any, PrintStyle | None], str] | None = None, with_srepr: bool = True,
                 chapter: Chapter | None = None):
        self.derivation = derivation
        self.with_srepr = with_srepr
        self._repr = None  # the srepr printer, made when first needed
        self.printed = {} if printed is None else printed
        self.broken: dict[tuple[Any, PrintStyle, float], list[str]] = self.printed.setdefault("lines", {})
        self.fmt = fmt
        notation = getattr(derivation.setting, "notation", None)
        styled = notation.style if notation else (lambda base: base)  # log=ln, expectation=E
        self.style = None if fmt.style is None else styled(fmt.style)
        self.escape = tex_prose if fmt.latex_syntax else str
        self.chapter = chapter
        if chapter is not None:
            escape = self.escape
            self.escape = lambda text: chapter.refer(escape(text), fmt.cross_references)
        #: the LaTeX style the text format translates from (the notation's)
        self.text_style = styled(MACRO_STYLE)
        self.brief = brief
        earlier = {} if chapter is None else chapter.earlier
        self.earlier = earlier
        self.lemmas = [] if brief else [lm for lm in derivation.lemmas() if (lm.start, lm.result) not in earlier]
        self.numbers = {(lm.start, lm.result): i + 1 for i, lm in enumerate(self.lemmas)}
        self.figure_count = 0

    def show(self, expr) -> str:
        """The formula as this format prints it: LaTeX, or Unicode text for the terminal (memoised)."""
        # text is memoised apart from LaTeX printed in the same style
        key = (expr, self.style) if self.style is not None else (expr, "text", self.text_style)
        if key not in self.printed:
            if self.style is None:
                self.printed[key] = to_text(expr, style=self.text_style)
            elif not self.style.use_macros:
                # The same formula with its macros spelled out: printed once for both kinds of document.
                with_macros = replace(self.style, use_macros=True)
                self.printed[key] = with_macros.spell_out(self._shown(expr, with_macros))
            else:
                self.printed[key] = to_latex(expr, self.style)
        return self.printed[key]

    def _shown(self, expr, style: PrintStyle) -> str:
        key = (expr, style)
        if key not in self.printed:
            self.printed[key] = to_latex(expr, style)
        return self.printed[key]

    def srepr(self, expr) -> str:
        """The expression's ``srepr`` in the order it was built (empty when no template or builder reads it:
        for a long written-out line it costs more than the whole document)."""
        if not self.with_srepr:
            return ""
        if self._repr is None:
            self._repr = SharedRepr()
        return self._repr.doprint(expr)

    def lines(self, expr, width: float, small: bool = False) -> list[str]:
        """The formula broken into display lines of at most ``width`` (memoised with the printed formulas); a
        ``small`` one (an identity under a slide's lines, in ``\\small`` type) counts its signs one character."""
        if self.style is None:
            return [self.show(expr)]
        sign = 1.0 if small else self.fmt.sign_width
        key = (expr, self.style, width, sign)
        if key not in self.broken:
            self.broken[key] = break_lines(expr, self.style, width, self.show(expr), sign=sign)
        return self.broken[key]

    def chain(self, d: Derivation, label_prefix: str) -> dict[str, Any]:
        """A derivation chain: its statement and its steps, each broken into display lines."""
        lhs = self.show(d.start)
        longest_title = max((len(step.title) for step in d.steps), default=0) if self.fmt.chain_titles else 0
        # A wide left-hand side gets a row of its own, so the lines below can use the whole display.
        lhs_alone = self.style is not None and (self.fmt.lhs_row or visual_width(lhs) > 0.3 * self.fmt.display_width)
        room = QUAD_EQUALS if lhs_alone else visual_width(lhs)
        width = max(self.fmt.display_width - room - 0.8 * longest_title, 16)
        steps = []
        symbols = set().union(*(line.free_symbols for line in (d.start, *(step.expr for step in d.steps))))
        for index, step in enumerate(d.steps):
            check = d.checks[index] if index < len(d.checks) else None
            identities = tuple(generic_letters(i, symbols) for i in step.identities)
            steps.append(Lazy({
                "number": index + 1,
                "rule": step.rule,
                "title": step.title,
                "justification": step.justification,
                # printed when a template first asks for them: a format that shows less prints less
                "latex": partial(self.show, step.expr),
                "lines": partial(self.lines, step.expr, width),
                "srepr": partial(self.srepr, step.expr),
                "identities": partial(lambda ids: [self.show(i) for i in ids], identities),
                "identity_lines": partial(lambda ids: [self.lines(i, self.fmt.display_width - self.fmt.identity_indent,
                                                                  small=True) for i in ids], identities),
                "lemmas": [self.numbers[(lm.start, lm.result)] for lm in step.lemmas
                           if (lm.start, lm.result) in self.numbers],
                "cited": partial(self.cite, step.justification,
                                 [(lm.start, lm.result) for lm in step.lemmas
                                  if (lm.start, lm.result) in self.numbers or (lm.start, lm.result) in self.earlier]),
                "label": f"{label_prefix}-{index + 1}",
                "check": None if check is None else {"ok": check.ok, "method": check.method, "detail": check.detail},
            }, deferred=("latex", "lines", "srepr", "identities", "identity_lines", "cited")))
        statement = self.show(Eq(d.start, d.result, evaluate=False))
        return {
            "name": d.name,
            "title": d.title,
            "lhs": lhs,
            "lhs_alone": lhs_alone,
            "statement": statement,
            # inline after the lemma's heading only when heading and statement share one line
            "statement_inline": self.style is None or (visual_width(statement) <= INLINE_SHARE * self.fmt.display_width
                                                       and visual_width(statement) + 0.6 * len(d.title) + 8
                                                       <= self.fmt.display_width),
            "result": self.show(d.result),
            "result_lines": self.lines(d.result, max(self.fmt.display_width - visual_width(lhs) - 6, 20)),
            "steps": steps,
        }

    def lemma_label(self, number: int) -> str:
        """The label a LaTeX document gives lemma ``number``."""
        return f"lemma:{self.derivation.name}:{number}"

    def shown(self, number: int) -> int | str:
        """How lemma or figure ``number`` of this document is numbered: within its chapter in a bundle (3.1)."""
        return number if self.chapter is None else f"{self.chapter.number}.{number}"

    def cited_as(self, key: LemmaKey) -> tuple[str, int | str]:
        """The label and the number of a lemma this document cites (its own, or an earlier chapter's)."""
        if key in self.numbers:
            return self.lemma_label(self.numbers[key]), self.shown(self.numbers[key])
        return self.earlier[key]

    def cite(self, justification: str, keys: list[LemmaKey]) -> str:
        """A step's justification (escaped for the format) citing the lemmas it uses where it says "lemma
        below", else at its end: ``Lemma~\\ref{lemma:full:1}`` in LaTeX documents, ``Lemma 1`` elsewhere."""
        text = self.escape(justification)
        if self.brief:  # the lemmas are not shown: nothing is "below"
            return text.replace(" (lemma below)", "").replace("the lemma below", "a lemma (not shown in brief)")
        if not keys:
            return text
        found = [self.cited_as(key) for key in keys]
        if self.fmt.cross_references:
            refs = [rf"\ref{{{label}}}" for label, _ in found]
        else:
            refs = [str(number) for _, number in found]
        space = "~" if self.fmt.latex_syntax else " "
        cited = ("Lemmas" if len(refs) > 1 else "Lemma") + space + " and ".join(refs)
        for phrase in ("the lemma below", "lemma below"):
            if phrase in text:
                return text.replace(phrase, cited, 1)
        stop = "." if text.endswith(".") else ""
        return f"{text.removesuffix('.')} ({cited}){stop}"

    def describe(self, text: str, steps: list) -> str:
        """The description with "the lemma" it mentions cited by number ("derived in Lemma 5") when the chain
        cites exactly one lemma: a document with several lemmas leaves no doubt which one is meant."""
        numbers = sorted({n for step in steps for n in step["lemmas"]})
        if self.brief or len(numbers) != 1:
            return text
        return text.replace("in the lemma", f"in Lemma {self.shown(numbers[0])}")

    def prose(self, text: str, values) -> str:
        """``text`` with each ``{name}`` replaced by inline math printed from ``values[name]`` (for the
        terminal, a two-dimensional Unicode formula is displayed on lines of its own instead)."""
        out: list[str] = []
        after_display = False
        for literal, name, _, _ in string.Formatter().parse(text):
            literal = self.escape(literal)
            out.append(literal.lstrip() if after_display else literal)
            after_display = False
            if name is None:
                continue
            if name not in values:
                raise RenderError(f"prose refers to {{{name}}}, which the section does not define")
            shown = self.show(values[name])
            if self.style is not None:
                out.append(f"${shown}$")
            elif "\n" in shown:
                out[-1] = out[-1].rstrip()
                out.append("\n\n" + textwrap.indent(shown, "    ") + "\n\n")
                after_display = True
            else:
                out.append(shown)
        return "".join(out)

    def section(self, section: Section) -> dict[str, Any]:
        case = self.derivation.name
        return {
            "key": section.key,
            "title": section.title,
            "text": self.prose(section.text, section.values),
            "derivations": [self.chain(d, f"eq:{case}:{section.key}-{i + 1}:step")
                            for i, d in enumerate(section.derivations)],
            "facts": [{"latex": self.show(f.statement), "text": self.prose(f.text, section.values),
                       "method": f.check.method if f.check else None} for f in section.facts],
            "figures": [self.figure(f, section) for f in section.figures],
            "listing": section.listing,
            "table": self.table(section),
        }

    def table(self, section: Section) -> dict[str, Any] | None:
        """A section's table: its header and caption as prose, its cells printed (``None`` for no table)."""
        table = section.table
        if table is None:
            return None
        return {"header": [self.prose(h, section.values) for h in table.header],
                "rows": [{"label": self.prose(label, section.values), "cells": [self.show(c) for c in cells]}
                         for label, cells in table.rows],
                "caption": self.prose(table.caption, section.values)}

    def figure(self, figure, section: Section) -> dict[str, Any]:
        """A figure: numbered through the document; its caption is prose with formulas from the section."""
        self.figure_count += 1
        return {"key": figure.key, "number": self.shown(self.figure_count), "stem": figure.stem,
                "caption": self.prose(figure.caption, section.values)}

    def document(self) -> dict[str, Any]:

        d = self.derivation
        setting = d.setting
        extra = [sd for s in d.sections for sd in s.derivations]
        methods = ([c.method for c in d.checks] + [c.method for lm in self.lemmas for c in lm.checks]
                   + [c.method for sd in extra for c in sd.checks])
        main = self.chain(d, f"eq:{d.name}:step")
        if self.brief:
            for step in main["steps"]:
                step["lemmas"] = []
        return {
            "case": d.name,
            "title": d.title,
            "description": self.describe(d.description, main["steps"]),
            "format": self.fmt.name,
            "version": __version__,
            "brief": self.brief,
            "options": dict(d.options),
            "macros": [] if self.style is None else [list(m) for m in self.style.macros()],
            "densities": [self.show(statement) for statement in setting.statements()],
            "assumptions": [self.show(assumption) for assumption in setting.assumptions()],
            "lhs": main["lhs"],
            "lhs_alone": main["lhs_alone"],
            "steps": main["steps"],
            "result": main["result"],
            "result_lines": main["result_lines"],
            "result_srepr": self.srepr(d.result),
            "statement": main["statement"],
            "lemmas": [
                {"number": self.shown(self.numbers[(lm.start, lm.result)]),
                 "label": self.lemma_label(self.numbers[(lm.start, lm.result)]),
                 **self.chain(lm, f"eq:{d.name}:lemma-{self.numbers[(lm.start, lm.result)]}:step")}
                for lm in self.lemmas
            ],
            "sections": [self.section(s) for s in d.sections],
            "checks": {
                "total": len(methods),
                "symbolic": methods.count("symbolic"),
                "numeric": methods.count("numeric"),
                "all_passed": d.verified and all(x.verified for x in (*self.lemmas, *extra)),
                # a discrete pair's averages are sums, evaluated as series; a continuous one's by quadrature
                "summed": bool(getattr(getattr(getattr(d.setting, "q", None), "law", None), "discrete", False)),
                "facts": sum(1 for s in d.sections for f in s.facts if f.check is not None and f.check.ok),
                "facts_numeric": sum(1 for s in d.sections for f in s.facts
                                     if f.check is not None and f.check.ok and f.check.method == "numeric"),
            },
        }


def context(derivation: Derivation, fmt: str = "markdown", *, brief: bool = False) -> dict[str, Any]:
    """Everything a template may use (documented in the README); formulas are printed strings."""
    return _Context(derivation, get_format(fmt), brief).document()


class Renderer:
    """Renders derivations. It keeps its Jinja environments and the formulas it has printed, so rendering
    many documents (``kl-derive build``) compiles each template once and prints each formula once per style."""

    def __init__(self) -> None:
        self._environments: dict[bool, jinja2.Environment] = {}
        self._printed: dict[tuple[Any, PrintStyle | None], str] = {}  # formulas printed so far, per style

    def _environment(self, latex_syntax: bool) -> jinja2.Environment:
        if latex_syntax not in self._environments:
            loader = jinja2.FileSystemLoader(str(templates_directory()))
            self._environments[latex_syntax] = _environment(loader, latex_syntax)
        return self._environments[latex_syntax]

    def render(self, derivation: Derivation, fmt: str = "markdown", *, template: str | Path | None = None,
               steps: str = "full") -> str:
        """The derivation as a document in format ``fmt``, or through a user's own ``template`` file.

        ``steps="brief"`` keeps the main chain and leaves out the lemmas' derivations.
        """
        spec = get_format(fmt)
        if steps not in ("full", "brief"):
            raise UsageError(f"unknown steps level {steps!r} (choose from: full, brief)")
        if template is not None:
            return self._render_user_template(Path(template), derivation, spec, steps == "brief")
        if spec.code is not None:
            ctx = spec.code(derivation)
        else:  # the built-in templates do not read srepr; the data formats do
            ctx = _Context(derivation, spec, steps == "brief", self._printed, spec.builder is not None).document()
        if spec.builder is not None:
            return spec.builder(ctx)
        try:
            return self._environment(spec.latex_syntax).get_template(spec.template).render(**ctx)
        except jinja2.UndefinedError as error:
            raise RenderError(f"template error: {error.message}") from None
        except jinja2.TemplateSyntaxError as error:
            raise RenderError(f"template syntax error in {error.name or 'template'} line {error.lineno}: "
                              f"{error.message}") from None

    def render_bundle(self, title: str, description: str, derivations: list[Derivation], fmt: str = "latex",
                      done: BundleChapters | None = None) -> str:
        """Several derivations as one document in ``fmt`` (see :data:`BUNDLE_TEMPLATES`): a chapter per derivation,
        each rendered from its own context by the template that renders the body of its own document, so a
        bundle prints nothing its chapters' documents do not. Lemmas and figures are numbered within their chapter;
        a lemma an earlier chapter derived is cited there, not derived again; "the <case> document" in prose
        refers to the chapter. ``done``: the leading chapters, already rendered (:meth:`render_chapters`, e.g. by
        another process); ``derivations`` are the chapters after them."""
        spec, (whole, _, _) = self._bundle_format(fmt)
        done = self.render_chapters(derivations, fmt, tuple(d.name for d in derivations), done)
        return self._template(self._environment(spec.latex_syntax), whole).render(
            title=title, description=description, version=__version__, macros=[list(m) for m in done.macros.items()],
            chapters=done.chapters, with_figures=any(c["figures"] for c in done.chapters))

    def render_chapters(self, derivations: list[Derivation], fmt: str, later: tuple[str, ...] = (),
                        done: BundleChapters | None = None) -> BundleChapters:
        """The chapters of ``derivations`` after those ``done`` (numbered on from them, citing their lemmas);
        ``later`` names every chapter after ``done`` (prose naming "the <case> document" refers to it)."""
        spec, (_, body, unit) = self._bundle_format(fmt)
        environment = self._environment(spec.latex_syntax)
        done = BundleChapters() if done is None else done
        cases = tuple(c["case"] for c in done.chapters) + later
        chapters, macros, earlier = list(done.chapters), dict(done.macros), dict(done.earlier)
        for number, derivation in enumerate(derivations, len(chapters) + 1):
            chapter = Chapter(number, cases, _ByText(dict(earlier)), unit)
            builder = _Context(derivation, spec, False, self._printed, with_srepr=False, chapter=chapter)
            ctx = builder.document()
            earlier.update((lemma_text(key), builder.cited_as(key)) for key in builder.numbers)
            for command, definition in ctx["macros"]:
                if macros.setdefault(command, definition) != definition:
                    raise RenderError(f"the chapters of the bundle define {command} differently "
                                      f"({macros[command]} and {definition})")
            chapters.append({"case": derivation.name, "number": number, "title": derivation.title,
                             "figures": any(s["figures"] for s in ctx["sections"]),
                             "body": self._template(environment, body).render(**ctx, in_bundle=True)})
        return BundleChapters(chapters, macros, earlier)

    @staticmethod
    def _bundle_format(fmt: str) -> tuple[Format, tuple[str, str, str]]:
        if fmt not in BUNDLE_TEMPLATES:
            raise UsageError(f"a bundle is written in {', '.join(BUNDLE_TEMPLATES)}, not {fmt!r}")
        return get_format(fmt), BUNDLE_TEMPLATES[fmt]

    @staticmethod
    def _template(environment: jinja2.Environment, name: str) -> jinja2.Template:
        try:
            return environment.get_template(name)
        except jinja2.TemplateSyntaxError as error:
            raise RenderError(f"template syntax error in {error.name or 'template'} line {error.lineno}: "
                              f"{error.message}") from None

    def _render_user_template(self, path: Path, derivation: Derivation, spec: Format, brief: bool) -> str:
        """A user's template, in the sandbox, with the document's context in every format (a code format
        adds its function as ``code``). Any failure is one line naming the file and the line."""
        source = _read_template(path)
        ctx = _Context(derivation, spec, brief, self._printed, with_srepr=True).document()
        if spec.code is not None:
            ctx["code"] = spec.code(derivation)
        # A LaTeX format reads the TeX-safe delimiters, unless the template uses only Jinja's usual ones.
        tex_safe = spec.latex_syntax and (_uses_tex_safe_delimiters(source) or not _uses_jinja_delimiters(source))
        # The file is read once (above); what it includes comes from its directory or the built-in templates.
        loader = jinja2.ChoiceLoader([
            jinja2.FunctionLoader(lambda name: (source, str(path), lambda: True) if name == path.name else None),
            jinja2.FileSystemLoader([str(path.parent), str(templates_directory())]),
        ])
        env = _with_filters(TemplateSandbox(**_options(loader, tex_safe)))
        try:
            return env.get_template(path.name).render(**ctx)
        except DerivationError:
            raise
        except jinja2.TemplateSyntaxError as error:
            where = _template_name(error.filename, path)
            raise RenderError(f"template syntax error in {where} line {error.lineno}: {error.message}") from None
        except jinja2.TemplateNotFound as error:
            raise RenderError(f"template error in {path}: it includes {error.name!r}, which is not found") from None
        except (Exception, RecursionError) as error:
            raise RenderError(_runtime_error(error, path)) from None


def _read_template(path: Path) -> str:
    """The template's text; a missing, unreadable or non-UTF-8 file is a :class:`UsageError`."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"template not found: {path}") from None
    except OSError as error:
        raise UsageError(f"cannot read the template {path}: {error.strerror or error}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise UsageError(f"template {path} line {line} is not UTF-8 text "
                         f"(byte 0x{data[error.start]:02x}); save it as UTF-8") from None


def _template_name(filename: str | None, path: Path) -> str:
    """How an error names a template file: the user's template as given, another one by its path."""
    if filename is None:
        return str(path)
    try:
        if Path(filename).resolve() == path.resolve():
            return str(path)
    except OSError:
        pass
    return filename


def _runtime_error(error: BaseException, path: Path) -> str:
    """One line for an error raised while a template ran: the file and line (from Jinja's rewritten traceback
    frames, which carry the template's own file and line numbers) and what went wrong."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if frame.name in ("template", "top-level template code") or frame.name.startswith("block ")]
    where = f"{_template_name(frames[-1].filename, path)} line {frames[-1].lineno}" if frames else str(path)
    if isinstance(error, SecurityError):
        what = f"not allowed in a template: {error}"
    elif isinstance(error, jinja2.UndefinedError):
        what = error.message or str(error)
    elif isinstance(error, RecursionError):
        what = "recursion too deep (a macro that calls itself without end?)"
    else:
        what = f"{type(error).__name__}: {error}"
    what = " ".join(str(what).split())  # one line
    return f"template error in {where}: {what}"


def render(derivation: Derivation, fmt: str = "markdown", *, template: str | Path | None = None,
           steps: str = "full") -> str:
    """The derivation as a document in format ``fmt`` (see :class:`Renderer`)."""
    return Renderer().render(derivation, fmt, template=template, steps=steps)
