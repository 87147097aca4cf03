"""LaTeX printing that reads like a textbook.

A :class:`TextbookLatexPrinter` prints display forms in the order they were built (``order='none'``),
with fractions where a textbook writes them, ``\\log \\sigma^{2}`` instead of
``\\log{\\left(\\sigma^{2} \\right)}``, and the custom nodes (``q(x)``, ``\\E_{q}[...]``, ``\\KL(q \\| p)``).
Which macros it emits (``\\KL`` or ``\\operatorname{KL}``, ``\\log`` or ``\\ln``) comes from a
:class:`PrintStyle`, so documents with a preamble and bare Markdown math can differ.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sympy import Add, Basic, Derivative, Expr, Indexed, Integral, Mul, Pow, Rational, S, Subs, Symbol, exp, log
from sympy.printing.latex import LatexPrinter

from .forms import mul, signed_terms
from .nodes import KL, Density, Expectation, Named


@dataclass(frozen=True)
class PrintStyle:
    r"""How the printer writes the operators it does not spell out itself.

    With ``use_macros`` it emits ``\KL`` and ``\E`` (defined by the document, see :meth:`macros`);
    without, their definitions inline (for Markdown and notebooks, which have no preamble).
    """

    use_macros: bool = True
    kl_symbol: str = r"\operatorname{KL}"
    expectation_symbol: str = r"\mathbb{E}"
    log: str = r"\log"
    normal: str = r"\mathcal{N}"

    @property
    def kl(self) -> str:
        return r"\KL" if self.use_macros else self.kl_symbol

    @property
    def expectation(self) -> str:
        return r"\E" if self.use_macros else self.expectation_symbol

    def macros(self) -> tuple[tuple[str, str], ...]:
        """``(command, definition)`` pairs a document must provide when ``use_macros`` is set."""
        return ((r"\KL", self.kl_symbol), (r"\E", self.expectation_symbol))


#: For documents that define ``\KL`` and ``\E`` in their preamble.
MACRO_STYLE = PrintStyle(use_macros=True)
#: For Markdown and notebooks: no preamble, so only commands MathJax and KaTeX know.
PLAIN_STYLE = PrintStyle(use_macros=False)

_BIG_NODES = (Expectation, Integral, KL, Derivative, Subs)


class TextbookLatexPrinter(LatexPrinter):
    """A ``LatexPrinter`` for display forms; see the module docstring."""

    def __init__(self, style: PrintStyle = MACRO_STYLE, **settings) -> None:
        settings.setdefault("order", "none")
        super().__init__(settings)
        self.style = style

    # -- custom nodes -------------------------------------------------------------------------
    def _print_Density(self, expr: Density) -> str:
        if expr.name:
            return rf"{self._print(Symbol(expr.name))}({self._print(expr.variable)})"
        return self._normal_law(expr)

    def _normal_law(self, density: Density) -> str:
        return rf"{self.style.normal}\left({self._print(density.mean)}, {self._print(density.var)}\right)"

    def _density_label(self, density: Density) -> str:
        if density.name:
            return self._print(Symbol(density.name))
        return rf"{self._print(density.variable)} \sim {self._normal_law(density)}"

    def _print_Expectation(self, expr: Expectation) -> str:
        label = self._density_label(expr.density)
        return rf"{self.style.expectation}_{{{label}}}\left[{self._print(expr.expr)}\right]"

    def _print_KL(self, expr: KL) -> str:
        q, p = (self._density_label(d) for d in (expr.q, expr.p))
        return rf"{self.style.kl}\left({q} \,\middle\|\, {p}\right)"

    def _print_Named(self, expr: Named) -> str:
        arguments = ", ".join(self._print(a) for a in expr.arguments)
        return rf"{self._print(Symbol(expr.name))}({arguments})"

    def _print_AppliedUndef(self, expr: Expr, exp: str | None = None) -> str:
        args = ", ".join(self._print(a) for a in expr.args)
        head = self._print(Symbol(expr.func.__name__))
        return f"{head}({args})" if exp is None else f"{head}^{{{exp}}}({args})"

    # -- logarithms ---------------------------------------------------------------------------
    def _print_log(self, expr: log, exp: str | None = None) -> str:
        (arg,) = expr.args
        head = self.style.log if exp is None else rf"{self.style.log}^{{{exp}}}"
        if _is_simple_log_argument(arg):
            return rf"{head} {self._print(arg)}"
        if _fraction_parts(arg) is not None:
            return rf"{head} {self._print(arg)}"
        return rf"{head}\left({self._print(arg)}\right)"

    # -- exponentials ---------------------------------------------------------------------------
    def _print_ExpBase(self, expr: Expr, exp: str | None = None) -> str:
        """``e^{w/2}`` rather than ``e^{\\frac{1}{2} w}``: a fractional coefficient in an exponent is a slash."""
        coefficient, rest = expr.args[0].as_coeff_Mul()
        if coefficient.is_Rational and coefficient.q != 1 and rest != 1:
            numerator = self._print(mul(abs(coefficient.p), rest) if abs(coefficient.p) != 1 else rest)
            if rest.is_Add:
                numerator = rf"\left({numerator}\right)"
            sign = "-" if coefficient < 0 else ""
            return self._do_exponent(rf"e^{{{sign}{numerator}/{coefficient.q}}}", exp)
        return super()._print_ExpBase(expr, exp)

    # -- sums and products as built --------------------------------------------------------------
    def _print_Add(self, expr: Add, order: str | None = None) -> str:
        return " ".join(self.signed_terms(expr))

    def signed_terms(self, expr: Add) -> list[str]:
        """The printed terms of a sum, each with its sign (``a``, ``- b``, ``+ c``); sums in terms bracketed."""
        out = []
        for sign, term in signed_terms(expr):
            text = self._print(term)
            if term.is_Add or (sign and text.startswith("-")):  # a - (-b): keep the inner sign visible
                text = rf"\left({text}\right)"
            out.append(f"{sign} {text}" if sign else text)
        return out

    def _print_Mul(self, expr: Mul) -> str:
        sign, coefficient, numerator, denominator = _split_product(expr)
        prefix = "- " if sign < 0 else ""
        p, q = coefficient.p, coefficient.q
        den_factors = ([Rational(q)] if q != 1 else []) + denominator
        if not den_factors:
            body = self._product(([Rational(p)] if p != 1 else []) + numerator)
            return prefix + body
        if not denominator:  # a purely numeric denominator: \frac{p}{q} times the rest
            rest = self._product(numerator, bracket_single_add=True) if numerator else ""
            return prefix + rf"\frac{{{p}}}{{{q}}} {rest}".rstrip()
        den = self._product(den_factors)
        if any(f.has(*_BIG_NODES) for f in numerator):
            small = [f for f in numerator if not f.has(*_BIG_NODES)]
            big = [f for f in numerator if f.has(*_BIG_NODES)]
            num = self._product(([Rational(p)] if p != 1 else []) + small) or "1"
            return prefix + rf"\frac{{{num}}}{{{den}}} {self._product(big, bracket_single_add=True)}"
        num = self._product(([Rational(p)] if p != 1 else []) + numerator) or "1"
        return prefix + rf"\frac{{{num}}}{{{den}}}"

    def _product(self, factors: list[Expr], bracket_single_add: bool = False) -> str:
        """Factors side by side; sums are bracketed unless one sum stands alone."""
        texts = []
        for factor in factors:
            text = self._print(factor)
            if factor.is_Add and (len(factors) > 1 or bracket_single_add):
                text = rf"\left({text}\right)"
            texts.append(text)
        joined = ""
        for i, text in enumerate(texts):
            if i and (texts[i - 1][-1].isdigit() and text[0].isdigit()):
                joined += r" \cdot "
            elif i:
                joined += " "
            joined += text
        return joined

    # -- calculus ---------------------------------------------------------------------------------
    def _print_Derivative(self, expr: Derivative) -> str:
        """Always a partial derivative (the engine differentiates functions of several parameters).

        A single factor is written over the differential (``\\partial \\sigma^{2} / \\partial \\sigma``); a
        sum or product follows the operator in brackets, a fraction or an evaluation at a point without.
        """
        variables = "".join(rf"\partial {self._print(x)}" if n == 1 else rf"\partial {self._print(x)}^{{{n}}}"
                            for x, n in reversed(expr.variable_count))
        order = sum(n for _, n in expr.variable_count)
        top = r"\partial" if order == 1 else rf"\partial^{{{order}}}"
        inner = expr.expr
        if inner.is_Add:
            return rf"\frac{{{top}}}{{{variables}}} \left({self._print(inner)}\right)"
        if inner.is_Mul:
            return rf"\frac{{{top}}}{{{variables}}} \left[{self._print(inner)}\right]"
        if isinstance(inner, Subs) or (inner.is_Pow and inner.args[1].is_negative):
            return rf"\frac{{{top}}}{{{variables}}} {self._print(inner)}"
        return rf"\frac{{{top} {self._print(inner)}}}{{{variables}}}"

    def _print_Subs(self, expr: Subs) -> str:
        """``[f]_{x = a}``: the expression evaluated at the point (brackets make its extent plain)."""
        inner, old, new = expr.args
        at = ", ".join(f"{self._print(o)} = {self._print(n)}" for o, n in zip(old, new, strict=True))
        return rf"\left[{self._print(inner)}\right]_{{{at}}}"

    def _print_exp(self, expr: Expr, exp: str | None = None) -> str:  # the printer passes the power as exp=
        """``e^{\\ell/2}``: a rational multiple of one symbol is written as a short fraction in the exponent."""
        (arg,) = expr.args
        coefficient, rest = arg.as_coeff_Mul()
        if coefficient.is_Rational and coefficient.q != 1 and rest.is_Symbol:
            sign = "-" if coefficient < 0 else ""
            numerator = self._print(rest) if abs(coefficient.p) == 1 else f"{abs(coefficient.p)} {self._print(rest)}"
            tex = rf"e^{{{sign}{numerator}/{coefficient.q}}}"
        else:
            tex = rf"e^{{{self._print(arg)}}}"
        return tex if exp is None else rf"\left({tex}\right)^{{{exp}}}"

    def _print_Pow(self, expr: Pow) -> str:
        _base, exponent = expr.args
        if exponent.is_Number and exponent.is_negative:
            return self._print_Mul(Mul(S.One, expr, evaluate=False))
        return super()._print_Pow(expr)


def _is_simple_log_argument(arg: Basic) -> bool:
    """Symbols, numbers and powers of them: arguments a textbook writes without parentheses."""
    if arg.is_Symbol or isinstance(arg, Density | Indexed | exp):
        return True
    if arg.is_Number and arg.is_positive and arg.is_Integer:
        return True
    base = arg.args[0] if arg.is_Pow else None
    return bool(base is not None and (base.is_Symbol or isinstance(base, Indexed)) and arg.args[1].is_Integer
                and arg.args[1] > 0)


def _fraction_parts(arg: Basic) -> tuple | None:
    if not (arg.is_Mul or arg.is_Pow or arg.is_Rational):
        return None
    if arg.is_Rational:
        return (arg.p, arg.q) if arg.q != 1 else None
    _, coefficient, _, denominator = _split_product(arg if arg.is_Mul else Mul(S.One, arg, evaluate=False))
    return (coefficient, denominator) if denominator or coefficient.q != 1 else None


def _split_product(expr: Mul) -> tuple[int, Rational, list[Expr], list[Expr]]:
    """(sign, |numeric coefficient|, numerator factors, denominator factors) of a product, flattened."""
    sign = 1
    coefficient: Rational = S.One
    numerator: list[Expr] = []
    denominator: list[Expr] = []
    stack = list(expr.args)
    while stack:
        factor = stack.pop(0)
        if factor.is_Mul:
            stack[0:0] = list(factor.args)
        elif factor.is_Rational:
            if factor.is_negative:
                sign = -sign
            coefficient *= abs(factor)
        elif factor.is_Pow and factor.args[1].is_Number and factor.args[1].is_negative:
            base, exponent = factor.args
            inverse = base if exponent == -1 else Pow(base, -exponent)
            if inverse.is_Rational:
                coefficient /= inverse
            else:
                denominator.append(inverse)
        else:
            numerator.append(factor)
    return sign, coefficient, numerator, denominator


def to_latex(expr: Basic, style: PrintStyle = MACRO_STYLE) -> str:
    """The textbook LaTeX of a display form."""
    return TextbookLatexPrinter(style).doprint(expr)


__all__ = ["MACRO_STYLE", "PLAIN_STYLE", "PrintStyle", "TextbookLatexPrinter", "mul", "to_latex"]


# -- line breaking for display environments ---------------------------------------------------------
_ZERO_WIDTH = {r"\left", r"\right", r"\middle", r"\,", r"\;", r"\!", r"\limits", r"\displaystyle"}
_COMMAND = re.compile(r"\\([A-Za-z]+|.)")


def visual_width(tex: str) -> float:
    """A rough width of typeset LaTeX in character units (fractions stack, scripts are small)."""
    width, i = 0.0, 0
    while i < len(tex):
        c = tex[i]
        if c == "\\":
            match = _COMMAND.match(tex, i)
            command = match.group(0)
            i = match.end()
            if command == r"\frac":
                top, i = _group(tex, i)
                bottom, i = _group(tex, i)
                width += max(visual_width(top), visual_width(bottom)) + 0.5
            elif command in _ZERO_WIDTH:
                continue
            else:
                width += 2.0 if command in (r"\log", r"\ln", r"\exp", r"\KL", r"\operatorname") else 1.0
        elif c in "^_":
            group, i = _group(tex, i + 1)
            width += 0.7 * visual_width(group)
        elif c in "{} ":
            i += 1
        else:
            width += 1.0
            i += 1
    return width


def _group(tex: str, i: int) -> tuple[str, int]:
    """The braced group (or single token) starting at ``i`` and the index after it."""
    while i < len(tex) and tex[i] == " ":
        i += 1
    if i >= len(tex):
        return "", i
    if tex[i] != "{":
        match = _COMMAND.match(tex, i) if tex[i] == "\\" else None
        end = match.end() if match else i + 1
        return tex[i:end], end
    depth, start = 0, i
    for j in range(i, len(tex)):
        depth += {"{": 1, "}": -1}.get(tex[j], 0)
        if depth == 0:
            return tex[start + 1:j], j + 1
    return tex[start + 1:], len(tex)


def _pack(pieces: list[str], width: float) -> list[str]:
    lines: list[str] = []
    for piece in pieces:
        if lines and visual_width(lines[-1] + piece) <= width:
            lines[-1] += " " + piece
        else:
            lines.append(piece)
    return lines


def break_lines(expr: Basic, style: PrintStyle = MACRO_STYLE, width: float = 60) -> list[str]:
    """The LaTeX of ``expr`` as one or more lines of at most ``width`` (see :func:`visual_width`).

    Long sums break between terms; a long sum inside an expectation breaks inside the brackets
    (``\\left[ ... \\right.`` / ``\\left. ... \\right]``). Anything else stays on one line.
    """
    printer = TextbookLatexPrinter(style)
    whole = printer.doprint(expr)
    if visual_width(whole) <= width:
        return [whole]
    if expr.is_Add:
        return _pack(printer.signed_terms(expr), width)
    if isinstance(expr, Expectation) and expr.expr.is_Add:
        label = printer._density_label(expr.density)
        head = rf"{style.expectation}_{{{label}}}"
        lines = _pack(printer.signed_terms(expr.expr), width - visual_width(head) - 1)
        if len(lines) > 1:
            first = rf"{head}\left[{lines[0]}\right."
            middle = [rf"\left.{line}\right." for line in lines[1:-1]]
            return [first, *middle, rf"\left.{lines[-1]}\right]"]
    return [whole]
