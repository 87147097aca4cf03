r"""Unicode text for the terminal (the ``text`` format): the textbook LaTeX, written in linear Unicode.

Every formula is first printed by the LaTeX printer (``printing.py``), so both formats show the same
expression with the same brackets, order and elisions; this module only changes the notation:
Greek letters and operators as Unicode (``μ``, ``∑``, ``∫``, ``ℝ``, ``‖``), simple scripts as Unicode
superscripts and subscripts (``σ₁²``, ``Σ⁻¹``, ``(x - μ)ᵀ``), other scripts in braces (``e^{ℓ/2}``),
fractions with a slash (``(x - μ)²/(2σ²)``: a numerator or denominator that is not a single factor is
bracketed), ``KL(q ‖ p)``, ``E_q[...]``, ``N(μ, σ²)``, matrices as ``[[a, b], [c, d]]`` and code between
backticks. The text reads back (``readback.read_text``) as the expression it was printed from.

:func:`derivation.output.readback.text_tokens` is the inverse of the notation: it turns the text back into the
LaTeX reader's tokens.
"""

from __future__ import annotations

import re
from typing import Any

from sympy import Basic

from ..interpret.parse import GREEK
from .latex import MACRO_STYLE, to_latex

GREEK_LETTERS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "zeta": "ζ", "eta": "η",
    "theta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "omicron": "ο",
    "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ", "phi": "φ", "chi": "χ", "psi": "ψ",
    "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ",
    "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω", "ell": "ℓ", "vartheta": "ϑ", "varphi": "ϕ",
    "varepsilon": "ϵ",
}
SUPERSCRIPTS = dict(zip("0123456789+-=()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾", strict=True))
SUBSCRIPTS = dict(zip("0123456789+-=()aeoxhklmnpstijruv", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼᵣᵤᵥ", strict=True))
#: The subscripts printed as glyphs: numbers and the index letters (``σ₁``, ``μⱼ``). Any other letter, such as a
#: density's letter on its parameters, keeps the underscore (``μ_q``, ``μ_p``: Unicode has no subscript q, and
#: the two densities' parameters should look alike); every glyph above is still read back.
PRINTED_SUBSCRIPTS = {c: g for c, g in SUBSCRIPTS.items() if not c.isalpha() or c in "ijklmn"}
TRANSPOSE = "ᵀ"
SCRIPT_GLYPHS = frozenset(SUPERSCRIPTS.values()) | frozenset(SUBSCRIPTS.values()) | {TRANSPOSE}
#: Marks the differential of an integral (``∫ f(x) dx``): a thin space before the d.
THIN = "\u2009"

_SYMBOLS = {
    "sum": "∑", "prod": "∏", "int": "∫", "infty": "∞", "sim": "~", "in": "∈", "succ": "≻", "geq": "≥",
    "leq": "≤", "mid": "∣", "to": "→", "cdots": "⋯", "ldots": "…", "partial": "∂", "cdot": "·", "KL": "KL", "E": "E",
    "log": "log", "ln": "ln", "exp": "exp", "lim": "lim", "top": TRANSPOSE,
}
_WORD_COMMANDS = {"mathrm", "operatorname", "text", "mathit"}
_FUNCTIONS = {"log", "ln", "exp"}
#: What ends the argument of a function written without brackets (as the LaTeX reader takes it).
_RUN_ENDS = {"log", "ln", "exp", "sum", "prod", "int", "KL", "E", "lim", "cdots", "cdot", "times", "geq", "leq",
             "in", "sim", "succ", "to", "middle", "\\"}


# -- LaTeX as a tree -------------------------------------------------------------------------------------------


def _parse(tex: str, i: int = 0, closing: str = "") -> tuple[list, int]:
    """The printer's LaTeX as nodes: ``("cmd", name)``, ``("group", nodes)``, ``("char", c)``, ``("space",)``,
    ``("raw", name, text)`` for the argument of a word command, ``("code", text)``."""
    nodes: list = []
    while i < len(tex):
        c = tex[i]
        if c == closing:
            return nodes, i + 1
        if c == "{":
            inner, i = _parse(tex, i + 1, "}")
            nodes.append(("group", inner))
        elif c == "\\":
            m = re.match(r"\\([A-Za-z]+|.)", tex[i:])
            name = m.group(1)
            i += m.end()
            if name in _WORD_COMMANDS or name in ("mathbb", "mathcal", "texttt"):
                depth, start = 1, i + 1
                j = start
                while depth:
                    if tex[j] == "\\":
                        j += 2
                        continue
                    depth += {"{": 1, "}": -1}.get(tex[j], 0)
                    j += 1
                nodes.append(("raw", name, tex[start:j - 1]))
                i = j
            elif name in (",", ";", " ", "!", ":"):
                nodes.append(("space", name))
            else:
                nodes.append(("cmd", name))
        elif c == " ":
            nodes.append(("space", " "))
            i += 1
        else:
            nodes.append(("char", c))
            i += 1
    return nodes, i


# -- rendering ---------------------------------------------------------------------------------------------


def _is_letter(c: str) -> bool:
    return c.isalpha() and c not in SUPERSCRIPTS.values() and c not in SUBSCRIPTS.values() and c != TRANSPOSE


#: Commands that size the delimiter after them (nothing to print in text: the delimiter is printed as it is).
_OPENERS = frozenset(("left", "bigl", "Bigl", "biggl", "Biggl"))
_CLOSERS = frozenset(("right", "bigr", "Bigr", "biggr", "Biggr"))


def _join(left: str, right: str, spaced: bool) -> str:
    """Two pieces side by side. The space the LaTeX printer puts between factors is dropped before a Greek
    letter (``2πσ²``) and between a number and a one-letter name (``2x``); kept where letters would run
    together (``a b``, ``log σ``)."""
    if not (left and right and spaced):
        return left + right
    a, b = left[-1], right[0]
    if b in ",;" or a == "∂":
        return left + right
    if a == "-" and (len(left) == 1 or left[-2] in "([{" or left[-3:-1] in ("= ", ", ")):  # a sign: -1/2
        return left + right
    if "/" in left.rsplit(" ", 1)[-1]:  # after a fraction: 1/2 σ², not 1/2σ²
        return left + " " + right
    glyph = a in SCRIPT_GLYPHS
    tight = (not b.isascii() and _is_letter(b) and b not in "∑∏∫ℝ") and \
        (a.isdigit() or (not a.isascii() and _is_letter(a)) or glyph or a == ")")
    tight = tight or (a.isdigit() and re.match(r"[A-Za-z](?![A-Za-z])", right) is not None)
    return left + right if tight else left + " " + right


def _script(text: str, table: dict[str, str], mark: str) -> str:
    """A super- or subscript: Unicode glyphs if it has them, else ``^x`` for one token or ``^{...}``."""
    if text in (r"\top", TRANSPOSE):
        return TRANSPOSE
    if table and text and all(c in table for c in text):
        return "".join(table[c] for c in text)
    if _single_token(text) and not (mark == "^" and any(c in SCRIPT_GLYPHS for c in text)):  # e^{ℓⱼ}
        return mark + text
    return f"{mark}{{{text}}}"


def _single_token(text: str) -> bool:
    return bool(re.fullmatch(r"\d+|[^\W\d_](?:[₀-₉ᵢⱼₖ]*)|[+\-∞]", text))


_NAME = r"(?:[A-Za-z]+|[α-ωΑ-Ωℓ])(?:[₀-₉ₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼᵣᵤᵥ₊₋₌₍₎]+|_[A-Za-z0-9α-ωΑ-Ωℓ]+|_\{[^{}]*\})?"


def _atomic(text: str) -> bool:
    """Whether ``text`` is one factor: a number, a name with scripts, a bracket, an application ``q(x)``."""
    core = text.rstrip("".join(SUPERSCRIPTS.values()) + TRANSPOSE)
    if re.fullmatch(r"\d+(\.\d+)?", core) or re.fullmatch(_NAME, core) or _balanced_whole(core):
        return True
    m = re.fullmatch(f"({_NAME})(\\(.*\\))", core)
    return bool(m and _balanced_whole(m.group(2)))


def _balanced_whole(text: str) -> bool:
    """``(...)``, ``[...]`` or ``|...|`` enclosing the whole of ``text``."""
    pairs = {"(": ")", "[": "]", "|": "|"}
    if len(text) < 2 or text[0] not in pairs or text[-1] != pairs[text[0]]:
        return False
    if text[0] == "|":
        return "|" not in text[1:-1]
    depth = 0
    for i, c in enumerate(text):
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(c, 0)
        if depth == 0 and i < len(text) - 1:
            return False
    return True


def _top_level(text: str) -> str:
    """``text`` with everything inside brackets and braces removed."""
    out, depth = [], 0
    for c in text:
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0:
            out.append(c)
    return "".join(out)


class _Renderer:
    def __init__(self, nodes: list):
        self.nodes = nodes
        self.i = 0

    def take(self):
        node = self.nodes[self.i]
        self.i += 1
        return node

    def _root_index(self) -> str | None:
        """The index ``n`` of ``\\sqrt[n]{...}`` (taken from the nodes), or None for a square root."""
        if not (self.i < len(self.nodes) and self.nodes[self.i] == ("char", "[")):
            return None
        end = next(j for j in range(self.i, len(self.nodes)) if self.nodes[j] == ("char", "]"))
        index = render(self.nodes[self.i + 1:end])
        self.i = end + 1
        return index

    def argument(self) -> str:
        while self.i < len(self.nodes) and self.nodes[self.i][0] == "space":
            self.i += 1
        node = self.take()
        return render(node[1]) if node[0] == "group" else render([node])

    def run(self) -> str:
        out = ""
        spaced = False
        while self.i < len(self.nodes):
            node = self.nodes[self.i]
            if node[0] == "space":
                self.i += 1
                if node[1] == "," and self._differential_follows():
                    out += THIN
                    spaced = False
                elif not out.endswith(THIN):
                    spaced = True
                continue
            if node[0] == "char" and node[1] in "^_":
                self.i += 1
                table, mark = (SUPERSCRIPTS, "^") if node[1] == "^" else (PRINTED_SUBSCRIPTS, "_")
                if out.endswith("E") and mark == "_":  # the density of an expectation: E_p, not Eₚ
                    table = {}
                out += _script(self.argument(), table, mark)
                continue
            piece = self.function(node) if node[0] == "cmd" and node[1] in _FUNCTIONS else self.piece(node)
            out = _join(out, piece, spaced)
            spaced = False
        return out

    def _differential_follows(self) -> bool:
        rest = self.nodes[self.i:]
        while rest and rest[0][0] == "space":
            rest = rest[1:]
        return bool(rest) and rest[0] == ("char", "d")

    def function(self, node) -> str:
        """``log x``: the argument is what the LaTeX reader takes, a bracket or the run of factors up to the next
        sign, relation or function; in brackets unless it is one factor (``log σ²``, ``log(9/16 σ)``)."""
        self.i += 1
        name = _SYMBOLS[node[1]]
        if self.i < len(self.nodes) and self.nodes[self.i] == ("char", "^"):  # log²(x)
            self.i += 1
            name += _script(self.argument(), SUPERSCRIPTS, "^")
        start = self.i
        while start < len(self.nodes) and self.nodes[start][0] == "space":
            start += 1
        end, depth = start, 0
        bracketed = bool(self.nodes[start:start + 1]) and (
            (self.nodes[start][0] == "cmd" and self.nodes[start][1] in _OPENERS)
            or self.nodes[start] in (("char", "("), ("char", "[")))
        while end < len(self.nodes):
            kind, value = self.nodes[end][0], self.nodes[end][1] if len(self.nodes[end]) > 1 else ""
            opens = (kind == "cmd" and value in _OPENERS) or (kind == "char" and value in "([")
            closes = (kind == "cmd" and value in _CLOSERS) or (kind == "char" and value in ")]")
            if opens:
                depth += 1
            elif closes:
                if depth == 0:
                    break
                depth -= 1
                if depth == 0 and bracketed:  # a bracketed argument: that bracket
                    end += 2 if kind == "cmd" else 1
                    break
            elif depth == 0 and ((kind in ("char", "space") and value in "+-=<>,;/&") or
                                 (kind == "cmd" and value in _RUN_ENDS)):
                break
            end += 1
        while end > start and self.nodes[end - 1][0] == "space":
            end -= 1
        argument = render(self.nodes[start:end])
        self.i = end
        if bracketed and _balanced_whole(argument):
            return name + argument if argument[0] == "(" else f"{name} {argument}"
        return f"{name} {argument}" if _atomic(argument) else f"{name}({argument})"

    def piece(self, node) -> str:
        kind = node[0]
        self.i += 1
        if kind == "char":
            return node[1]
        if kind == "group":
            return render(node[1])
        if kind == "raw":
            name, text = node[1], node[2]
            if name == "mathbb":
                return "ℝ" if text == "R" else "E"
            if name == "mathcal":
                return "N"
            if name == "texttt":
                return "`" + untt(text) + "`"
            return text
        name = node[1]
        if name == "frac":
            top, bottom = self.argument(), self.argument()
            ordinary = re.fullmatch(r"d[⁰¹²³⁴⁵⁶⁷⁸⁹]*", top) is not None and bottom.startswith("d ")
            if ordinary:  # d/dt, d²/dt²: an ordinary derivative (its operand follows)
                return f"{top}/{bottom.replace('d ', 'd')}"
            derivative = top.startswith("∂")
            if derivative:  # ∂f/∂x, with f bracketed unless it is one factor: ∂(∑ⱼ tⱼ)/∂x
                order, inner = re.match(r"∂([⁰¹²³⁴⁵⁶⁷⁸⁹]*)\s*(.*)", top).groups()
                top = f"∂{order}{inner if not inner or _atomic(inner) else f'({inner})'}"
            if not derivative and not _atomic(top) and (" " in _top_level(top).strip()
                                                         or re.search(r"[+\-/]", _top_level(top)[1:])):
                top = f"({top})"
            if not (derivative and "+" not in bottom) and not _atomic(bottom):
                bottom = f"({bottom})"
            return f"{top}/{bottom}"
        if name == "sqrt":
            index = self._root_index()
            if index is None:
                return f"√({self.argument()})"
            radicand = self.argument()  # \sqrt[n]{a}: the n-th root, written as the power a^{1/n}
            return f"{radicand if _atomic(radicand) else f'({radicand})'}^{{1/{index}}}"
        if name in _OPENERS or name in _CLOSERS or name == "middle":
            delimiter = self.take()
            if delimiter[0] == "cmd" and delimiter[1] == "|":
                return "‖"
            value = delimiter[1]
            if value == "." or delimiter[0] == "space":
                return ""
            return value
        if name == "begin":
            self.argument()
            return "["
        if name == "end":
            self.argument()
            return "]"
        if name == "\\":
            return "], ["
        if name == "amp":
            return ","
        if name in ("limits", "displaystyle"):
            return ""
        if name in GREEK_LETTERS:
            return GREEK_LETTERS[name]
        if name in _SYMBOLS:
            return _SYMBOLS[name]
        if name == "|":
            return "‖"
        raise ValueError(f"the text printer does not know \\{name}")


def render(nodes: list) -> str:
    return _Renderer(nodes).run()


_TT = re.compile(r"\\textbackslash\{\}|\\textasciitilde\{\}|\\textasciicircum\{\}|\\([{}_#%&$])")


def untt(text: str) -> str:
    """The text of code printed in ``\\texttt`` (TeX specials unescaped)."""
    words = {r"\textbackslash{}": "\\", r"\textasciitilde{}": "~", r"\textasciicircum{}": "^"}
    return _TT.sub(lambda m: words.get(m.group(0)) or m.group(1), text)


def latex_to_text(tex: str) -> str:
    """The printer's LaTeX in linear Unicode (see the module docstring)."""
    return render(_parse(tex.replace("&", r"\amp "))[0]).strip()


def to_text(expr: Basic, width: int | None = None, style: Any = None) -> str:
    """The Unicode text of a display form, translated from its LaTeX in ``style`` (the notation's, e.g.
    ``log=ln``; the default macro style if None). ``width`` is accepted for compatibility; lines are not broken."""
    return latex_to_text(to_latex(expr, MACRO_STYLE if style is None else style))


__all__ = ["GREEK", "latex_to_text", "to_text"]
