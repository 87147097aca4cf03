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

from sympy import (
    Add,
    Basic,
    Derivative,
    Eq,
    Expr,
    Indexed,
    IndexedBase,
    Integral,
    Mul,
    Pow,
    Product,
    Rational,
    S,
    Subs,
    Sum,
    Symbol,
    exp,
    log,
)
from sympy.matrices.expressions import Determinant, Identity, Inverse, MatAdd, MatMul, MatrixSymbol, Trace, Transpose
from sympy.printing.latex import LatexPrinter

from .families import index_family
from .forms import is_negative_term, mul, negate_term
from .mvnodes import (
    CodeLine,
    Diag,
    IndexRange,
    InSpace,
    MatExpectation,
    MvDensity,
    PositiveDefinite,
    QuadForm,
    SpaceIntegral,
    Vec,
    mneg,
)
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

    def spell_out(self, tex: str) -> str:
        """``tex`` printed in this (macro) style with each macro replaced by its definition: exactly what the
        printer writes in the same style without macros (it emits these commands for nothing else)."""
        for command, definition in self.macros():
            tex = re.sub(re.escape(command) + r"(?![A-Za-z])", lambda _m, d=definition: d, tex)
        return tex

    def macros(self) -> tuple[tuple[str, str], ...]:
        """``(command, definition)`` pairs a document must provide when ``use_macros`` is set."""
        return ((r"\KL", self.kl_symbol), (r"\E", self.expectation_symbol))


#: For documents that define ``\KL`` and ``\E`` in their preamble.
MACRO_STYLE = PrintStyle(use_macros=True)
#: For Markdown and notebooks: no preamble, so only commands MathJax and KaTeX know.
PLAIN_STYLE = PrintStyle(use_macros=False)

_BIG_NODES = (Expectation, Integral, KL, Derivative, Subs, SpaceIntegral, MatExpectation)
#: A sum or product of more same-shaped terms than this, one per coordinate, prints as ``t_1 + t_2 + \cdots + t_N``.
ELIDE_AFTER = 5


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

    # -- sums and products over an index ---------------------------------------------------------------
    def _print_Sum(self, expr: Sum) -> str:
        return self._big_operator(r"\sum", expr)

    def _print_Product(self, expr: Product) -> str:
        return self._big_operator(r"\prod", expr)

    def _big_operator(self, command: str, expr: Sum | Product) -> str:
        (index, low, high), = expr.limits
        body = self._print(expr.function)
        if expr.function.is_Add or is_negative_term(expr.function):
            body = rf"\left({body}\right)"
        return rf"{command}_{{{self._print(index)}={self._print(low)}}}^{{{self._print(high)}}} {body}"

    # -- vectors, matrices and indexed symbols ---------------------------------------------------------
    def _name(self, label: Basic) -> str:
        """A symbol's name as a textbook writes it; several plain letters read as one word (``\\mathrm{logvar}``)."""
        name = str(label)
        if len(name) > 1 and name.isalpha() and name.lower() not in _GREEK:
            return rf"\mathrm{{{name}}}"
        return self._print(Symbol(name))

    def _print_IndexedBase(self, expr: IndexedBase) -> str:
        return self._name(expr.label)

    def _print_Indexed(self, expr: Indexed) -> str:
        indices = ", ".join(self._print(i) for i in expr.indices)
        base = self._name(expr.base.label)
        own = re.fullmatch(r"(.*)_\{([^{}]*)\}", base)
        if own is not None:  # a name with its own subscript (m1 -> m_{1}): m_{1, j}, not a double subscript
            return rf"{own.group(1)}_{{{own.group(2)}, {indices}}}"
        if "_" in base:
            base = f"{{{base}}}"
        return rf"{base}_{{{indices}}}"

    def _print_Vec(self, expr: Vec) -> str:
        return self._name(expr.base.label)

    def _print_Diag(self, expr: Diag) -> str:
        dim = expr.dim
        if dim.is_Integer and dim <= ELIDE_AFTER:
            entries = [self._print(expr.at(i)) for i in range(1, int(dim) + 1)]
        elif dim.is_Integer:
            entries = [self._print(expr.at(1)), self._print(expr.at(2)), r"\ldots", self._print(expr.at(dim))]
        else:
            entries = [self._print(expr.at(1)), r"\ldots", self._print(expr.at(dim))]
        return rf"\operatorname{{diag}}\left({', '.join(entries)}\right)"

    def _print_Identity(self, expr) -> str:
        return "I"

    def _print_ZeroMatrix(self, expr) -> str:
        return "0"

    def _bracketed(self, expr: Basic) -> str:
        """A matrix factor, in parentheses unless it is a single symbol."""
        text = self._print(expr)
        atomic = expr.is_Symbol or isinstance(expr, MatrixSymbol | Vec | Identity | Inverse | MatExpectation)
        return text if atomic else rf"\left({text}\right)"

    def _print_MatAdd(self, expr: MatAdd) -> str:
        return " ".join(self.signed_terms(expr))

    def _print_MatMul(self, expr: MatMul) -> str:
        factors = list(expr.args)
        prefix = ""
        if factors and factors[0] == -1:
            prefix, factors = "- ", factors[1:]
        texts = []
        for factor in factors:
            text = self._print(factor)
            texts.append(rf"\left({text}\right)" if isinstance(factor, MatAdd) or factor.is_Add else text)
        return prefix + " ".join(texts)

    def _print_Transpose(self, expr: Transpose) -> str:
        return rf"{self._bracketed(expr.arg)}^{{\top}}"

    def _print_Inverse(self, expr: Inverse) -> str:
        return rf"{self._bracketed(expr.arg)}^{{-1}}"

    def _print_QuadForm(self, expr: QuadForm) -> str:
        middle = "" if isinstance(expr.matrix, Identity) else f" {self._print(expr.matrix)}"
        return rf"{self._bracketed(expr.left)}^{{\top}}{middle} {self._bracketed(expr.right)}"

    def _print_Trace(self, expr: Trace) -> str:
        return rf"\operatorname{{tr}}\left({self._print(expr.arg)}\right)"

    def _print_Determinant(self, expr: Determinant) -> str:
        return rf"\left|{self._print(expr.arg)}\right|"

    def _print_MvDensity(self, expr: MvDensity) -> str:
        if expr.name:
            return rf"{self._print(Symbol(expr.name))}({self._print(expr.variable)})"
        return self._normal_law(expr)

    def _print_SpaceIntegral(self, expr: SpaceIntegral) -> str:
        space = r"\mathbb{R}" if expr.dim == 1 else rf"\mathbb{{R}}^{{{self._print(expr.dim)}}}"
        return rf"\int_{{{space}}} {self._print(expr.function)}\, d{self._print(expr.variable)}"

    def _print_MatExpectation(self, expr: MatExpectation) -> str:
        label = self._density_label(expr.density)
        return rf"{self.style.expectation}_{{{label}}}\left[{self._print(expr.expr)}\right]"

    def _print_InSpace(self, expr: InSpace) -> str:
        element, dim = expr.args
        space = r"\mathbb{R}" if dim == 1 else rf"\mathbb{{R}}^{{{self._print(dim)}}}"
        return rf"{self._print(element)} \in {space}"

    def _print_PositiveDefinite(self, expr: PositiveDefinite) -> str:
        return rf"{self._print(expr.args[0])} \succ 0"

    def _print_IndexRange(self, expr: IndexRange) -> str:
        index, dim = expr.args
        return rf"{self._print(index)} = 1, \ldots, {self._print(dim)}"

    def _print_CodeLine(self, expr: CodeLine) -> str:
        return rf"\texttt{{{_tt_escape(expr.text)}}}"

    # -- logarithms ---------------------------------------------------------------------------
    def _print_log(self, expr: log, exp: str | None = None) -> str:
        (arg,) = expr.args
        head = self.style.log if exp is None else rf"{self.style.log}^{{{exp}}}"
        if _is_simple_log_argument(arg):
            return rf"{head} {self._print(arg)}"
        if _fraction_parts(arg) is not None and not (len(arg.args) > 1 and all(_is_fraction(a) for a in arg.args)):
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
        """The printed terms of a sum, each with its sign (``a``, ``- b``, ``+ c``); sums in terms bracketed,
        one term per coordinate elided past the second (``t_1 + t_2 + \\cdots + t_N``)."""
        return _signed_terms(self, expr)

    def _print_Mul(self, expr: Mul) -> str:
        if len(expr.args) > 1 and all(_is_fraction(a) for a in expr.args):  # a product of ratios stays one
            return self._product(list(expr.args))
        sign, coefficient, numerator, denominator = _split_product(expr)
        prefix = "- " if sign < 0 else ""
        p, q = coefficient.p, coefficient.q
        den_factors = ([Rational(q)] if q != 1 else []) + denominator
        if not den_factors:  # a lone sum after a minus sign keeps its brackets; a product of numbers may be 1
            body = self._product(([Rational(p)] if p != 1 else []) + numerator, bracket_single_add=bool(prefix))
            return prefix + (body or "1")
        if not denominator:  # a purely numeric denominator: \frac{p}{q} times the rest
            if p == 1 and numerator and numerator[0].is_Symbol:  # a count such as k/2 reads as one fraction
                head, numerator = rf"\frac{{{self._print(numerator[0])}}}{{{q}}}", numerator[1:]
            else:
                head = rf"\frac{{{p}}}{{{q}}}"
            rest = self._product(numerator, bracket_single_add=True) if numerator else ""
            return prefix + f"{head} {rest}".rstrip()
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
        shown = list(factors)
        elided = len(shown) > ELIDE_AFTER and index_family(tuple(shown))
        if elided:
            shown = [shown[0], shown[1], shown[-1]]
        texts = []
        for factor in shown:
            text = self._print(factor)
            if factor.is_Add and (len(factors) > 1 or bracket_single_add):
                text = rf"\left({text}\right)"
            texts.append(text)
        if elided:
            texts.insert(2, r"\cdots")
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


_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu",
          "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega"}

_TT_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "_": r"\_", "#": r"\#", "%": r"\%",
               "&": r"\&", "$": r"\$", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def _tt_escape(text: str) -> str:
    """Code for ``\\texttt``: TeX specials escaped."""
    return "".join(_TT_ESCAPES.get(c, c) for c in text)


def _is_simple_log_argument(arg: Basic) -> bool:
    """Symbols, numbers and powers of them: arguments a textbook writes without parentheses."""
    if arg.is_Symbol or isinstance(arg, Density | MvDensity | Determinant | Indexed | exp):
        return True
    if arg.is_Number and arg.is_positive and arg.is_Integer:
        return True
    base = arg.args[0] if arg.is_Pow else None
    return bool(base is not None and (base.is_Symbol or isinstance(base, Indexed)) and arg.args[1].is_Integer
                and arg.args[1] > 0)


def _is_fraction(factor: Basic) -> bool:
    """A product with a symbolic denominator, e.g. ``q_1(x_1) / p_1(x_1)``."""
    return factor.is_Mul and any(f.is_Pow and f.args[1].is_negative and not f.args[0].is_Number
                                 for f in factor.args)


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


def _signed_parts(expr: Add) -> list[tuple[str, Basic | str, bool]]:
    """The terms of a sum as ``(sign, term shown without its sign, bracketed?)``; one term per coordinate
    elided past the second (the elision is the string ``\\cdots``)."""
    terms = list(expr.args)
    elided = len(terms) > ELIDE_AFTER and index_family(tuple(terms))
    if elided:
        terms = [terms[0], terms[1], terms[-1]]
    out: list[tuple[str, Basic | str, bool]] = []
    for i, term in enumerate(terms):
        if getattr(term, "is_Matrix", False):
            negative = isinstance(term, MatMul) and term.args[0].is_Number and term.args[0].is_negative
            shown = mneg(term) if negative else term
        else:
            negative = is_negative_term(term)
            shown = negate_term(term) if negative else term
        out.append(("- " if negative else ("+ " if i else ""), shown, bool(shown.is_Add)))
    if elided:
        out.insert(2, ("- " if is_negative_term(terms[-1]) else "+ ", r"\cdots", False))
    return out


def _signed_terms(printer: TextbookLatexPrinter, expr: Add) -> list[str]:
    """The terms of a sum as printed, each with its sign (`+ a`, `- b`)."""
    out = []
    for sign, shown, bracketed in _signed_parts(expr):
        text = shown if isinstance(shown, str) else printer._print(shown)
        if bracketed or (sign and text.startswith("-")):  # a - (-b): keep the inner sign visible
            text = rf"\left({text}\right)"
        out.append(sign + text)
    return out


def break_lines(expr: Basic, style: PrintStyle = MACRO_STYLE, width: float = 60, whole: str | None = None) -> list[str]:
    """The LaTeX of ``expr`` as one or more lines of at most ``width`` (see :func:`visual_width`).

    Long sums break between terms, also inside brackets: of an expectation, of a numeric multiple
    of a sum, of a bracketed term, of the logarithm of a product (which breaks between factors);
    every line keeps its delimiters balanced (``\\left[ ... \\right.`` / ``\\left. ... \\right]``).
    What cannot split stays on one line. ``whole`` is ``expr`` already printed in ``style``, if the
    caller has it.
    """
    printer = TextbookLatexPrinter(style)
    if whole is None:
        whole = printer.doprint(expr)
    if visual_width(whole) <= width:
        return [whole]
    return _break(printer, expr, width, whole=whole)


#: ``(opening, parts, closing, depth)``: an expression printed as opening + parts + closing, where each part
#: is ``(lead, sub-expression or text, bracketed?)`` and the opening leaves ``depth`` delimiters open.
Split = tuple[str, list[tuple[str, "Basic | str", bool]], str, int]


def _split(printer: TextbookLatexPrinter, expr: Basic) -> Split | None:
    """How ``expr`` may split across lines, or None."""
    if expr.is_Add:
        return "", _signed_parts(expr), "", 0
    if isinstance(expr, Eq):
        return rf"{printer._print(expr.lhs)} = ", [("", expr.rhs, False)], "", 0
    if isinstance(expr, Expectation | MatExpectation):
        head = rf"{printer.style.expectation}_{{{printer._density_label(expr.density)}}}\left["
        return head, [("", expr.expr, False)], r"\right]", 1
    if isinstance(expr, log) and expr.args[0].is_Mul and len(expr.args[0].args) > 1 and \
            all(_is_fraction(f) for f in expr.args[0].args):
        return rf"{printer.style.log}\left(", [("", f, False) for f in expr.args[0].args], r"\right)", 1
    if isinstance(expr, Trace) and isinstance(expr.arg, MatMul):
        return r"\operatorname{tr}\left(", [("", f, False) for f in expr.arg.args], r"\right)", 1
    if isinstance(expr, MatMul) and expr.args[0] != -1:
        return "", [("", f, isinstance(f, MatAdd)) for f in expr.args], "", 0
    if isinstance(expr, QuadForm):
        parts = [("", rf"{printer._bracketed(expr.left)}^{{\top}}", False), ("", expr.right, False)]
        if not isinstance(expr.matrix, Identity):
            parts.insert(1, ("", expr.matrix, False))
        return "", parts, "", 0
    if isinstance(expr, CodeLine):  # break the code before its top-level + and - operators
        pieces = re.split(r" (?=[+-] )", expr.text)
        return "", [("", rf"\texttt{{{_tt_escape(p if i == 0 else ' ' + p)}}}", False)
                    for i, p in enumerate(pieces)], "", 0
    if expr.is_Mul and not getattr(expr, "is_Matrix", False) and len(expr.args) == 2 and \
            expr.args[0].is_Rational and expr.args[1].is_Add:
        coefficient = printer._print(expr.args[0]) if abs(expr.args[0]) != 1 else \
            ("- " if expr.args[0] < 0 else "")
        return rf"{coefficient} \left(", [("", expr.args[1], False)], r"\right)", 1
    return None


def _break(printer: TextbookLatexPrinter, expr: Basic, width: float, bracketed: bool = False,
           whole: str | None = None) -> list[str]:
    """``expr`` (in brackets if ``bracketed``) as balanced lines of at most ``width`` where it can split."""
    text = whole if whole is not None else printer._print(expr)
    if bracketed:
        text = rf"\left({text}\right)"
    split = _split(printer, expr) if visual_width(text) > width else None
    if split is None:
        return [text]
    opening, parts, closing, depth = split
    if bracketed:
        opening, closing, depth = rf"\left({opening}", rf"{closing}\right)", depth + 1
    room = max(width - visual_width(opening) - 1, 12)
    lines: list[str] = []
    joinable = False  # whether the last line may take more parts
    for lead, item, inner_bracket in parts:
        if isinstance(item, str):
            piece = [lead + item]
        else:
            piece = _break(printer, item, room - visual_width(lead), inner_bracket)
            piece = [lead + piece[0], *piece[1:]]
        if len(piece) == 1 and joinable and visual_width(lines[-1] + piece[0]) <= room:
            lines[-1] += " " + piece[0]
        else:
            lines.extend(piece)
        joinable = len(piece) == 1
    if len(lines) == 1:
        return [opening + lines[0] + closing]
    right, left = r"\right." * depth, r"\left." * depth
    return [opening + lines[0] + right, *[left + line + right for line in lines[1:-1]], left + lines[-1] + closing]
