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
from functools import lru_cache

from sympy import (
    Abs,
    Add,
    Basic,
    Derivative,
    Eq,
    Expr,
    Indexed,
    IndexedBase,
    Integral,
    Limit,
    Mul,
    Pow,
    Product,
    Rational,
    S,
    Subs,
    Sum,
    Symbol,
    exp,
    gamma,
    log,
)
from sympy.core.function import AppliedUndef
from sympy.matrices.expressions import Determinant, Identity, Inverse, MatAdd, MatMul, MatrixSymbol, Trace, Transpose
from sympy.printing.latex import LatexPrinter

from ..core.forms import is_negative_term, mul, negate_term
from ..laws import Law, MvNormalLaw, NormalLaw
from ..nodes.families import index_family
from ..nodes.model import ModelDensity
from ..nodes.scalar import KL, Density, Expectation, Named, is_partial
from ..nodes.vector import (
    CodeLine,
    Diag,
    IndexRange,
    InSpace,
    MatExpectation,
    PositiveDefinite,
    QuadForm,
    SpaceIntegral,
    Vec,
    mneg,
)


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

    def paren(self, text: str, opening: str = "(", closing: str = ")") -> str:
        """``text`` in delimiters: plain around a flat line (``\\KL(q \\| p)``, ``\\log(2 \\pi \\sigma^{2})``: no
        ``\\left`` gap or oversized bracket), ``\\left``/``\\right`` around a fraction or big operator."""
        if _height(text) == 2:
            return rf"\left{opening}{text}\right{closing}"
        rank = _nesting_rank(text)
        if rank > 0:
            left, right = _SIZES[min(rank, len(_SIZES) - 1)]
            return f"{left}{opening}{text}{right}{closing}"
        return opening + text + closing

    def _add_parens(self, s: str) -> str:
        return self.paren(s)

    def _add_parens_lspace(self, s: str) -> str:
        return self.paren(s)

    # -- custom nodes -------------------------------------------------------------------------
    def _print_Density(self, expr: Density) -> str:
        if expr.name:
            return rf"{self._print(Symbol(expr.name))}({self._print(expr.variable)})"
        return self._print(expr.law)

    def _print_NormalLaw(self, law: NormalLaw) -> str:
        return self._normal_law(law)

    def _print_MvNormalLaw(self, law: MvNormalLaw) -> str:
        return self._normal_law(law)

    def _normal_law(self, law: NormalLaw | MvNormalLaw) -> str:
        """``N(mean, variance)`` (a covariance matrix for a density over vectors)."""
        return self.style.normal + self.paren(f"{self._print(law.mean)}, {self._print(law.var)}")

    def _print_Law(self, law: Law) -> str:
        r"""A law printed by its family's name: ``\operatorname{Laplace}(\mu, b)``, ``\operatorname{Poisson}(a)``."""
        return rf"\operatorname{{{law.family}}}" + self.paren(", ".join(self._print(p) for p in law.parameters))

    def _density_label(self, density: Density) -> str:
        if density.name:
            return self._print(Symbol(density.name))
        return rf"{self._print(density.variable)} \sim {self._print(density.law)}"

    def _print_Expectation(self, expr: Expectation) -> str:
        label = self._density_label(expr.density)
        return rf"{self.style.expectation}_{{{label}}}" + self.paren(self._print(expr.expr), "[", "]")

    def _print_KL(self, expr: KL) -> str:
        if isinstance(expr.p, ModelDensity):  # KL(q(z) || p(z | x)): a model's densities are named with their variables
            q, p = (self._print(d) for d in (expr.q, expr.p))
        else:
            q, p = (self._density_label(d) for d in (expr.q, expr.p))
        return self.style.kl + self.paren(rf"{q} \,\|\, {p}")

    def _print_Named(self, expr: Named) -> str:
        arguments = ", ".join(self._print(a) for a in expr.arguments)
        return rf"{self._name(Symbol(expr.name))}({arguments})"

    def _print_ModelDensity(self, expr: ModelDensity) -> str:
        arguments = ", ".join(self._print(a) for a in expr.arguments)
        given = (r" \mid " + ", ".join(self._print(a) for a in expr.given)) if expr.given else ""
        return rf"{self._print(Symbol(expr.name))}({arguments}{given})"

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
        if expr.function.is_Add or is_negative_term(expr.function) or body.startswith("-"):
            body = self.paren(body)
        return rf"{command}_{{{self._print(index)}={self._print(low)}}}^{{{self._print(high)}}} {body}"

    # -- vectors, matrices and indexed symbols ---------------------------------------------------------
    def _name(self, label: Basic) -> str:
        """A symbol's name as a textbook writes it; several plain letters read as one word (``\\mathrm{logvar}``)."""
        name = str(label)
        if len(name) > 1 and name.isalpha() and name.lower() not in _GREEK and name != "ell":  # ell: \ell
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
        return r"\operatorname{diag}" + self.paren(", ".join(entries))

    def _print_Identity(self, expr) -> str:
        return "I"

    def _print_ZeroMatrix(self, expr) -> str:
        return "0"

    def _bracketed(self, expr: Basic) -> str:
        """A matrix factor, in parentheses unless it is a single symbol."""
        text = self._print(expr)
        atomic = expr.is_Symbol or isinstance(expr, MatrixSymbol | Vec | Identity | Inverse | MatExpectation)
        return text if atomic else self.paren(text)

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
            texts.append(self.paren(text) if isinstance(factor, MatAdd) or factor.is_Add else text)
        return prefix + " ".join(texts)

    def _print_Transpose(self, expr: Transpose) -> str:
        return rf"{self._bracketed(expr.arg)}^{{\top}}"

    def _print_Inverse(self, expr: Inverse) -> str:
        return rf"{self._bracketed(expr.arg)}^{{-1}}"

    def _print_QuadForm(self, expr: QuadForm) -> str:
        middle = "" if isinstance(expr.matrix, Identity) else f" {self._print(expr.matrix)}"
        return rf"{self._bracketed(expr.left)}^{{\top}}{middle} {self._bracketed(expr.right)}"

    def _print_Trace(self, expr: Trace) -> str:
        return r"\operatorname{tr}" + self.paren(self._print(expr.arg))

    def _print_Determinant(self, expr: Determinant) -> str:
        return self.paren(self._print(expr.arg), "|", "|")

    def _print_Integral(self, expr) -> str:
        """``\\int_{-\\infty}^{\\infty}``: the limits beside the sign, as textbooks set them (SymPy writes
        ``\\int\\limits``, which stacks them above and below)."""
        return super()._print_Integral(expr).replace(r"\int\limits", r"\int")

    def _print_Limit(self, expr: Limit) -> str:
        """``\\lim_{\\ell \\to -\\infty} \\frac{1}{2} (e^{\\ell} - 1)``: a limit of a product needs no bracket
        around it (SymPy brackets every sum and product); a sum or a negative term keeps its bracket."""
        body = expr.args[0]
        if body.is_Mul and not is_negative_term(body):
            head = super()._print_Limit(Limit(Symbol("x"), *expr.args[1:])).removesuffix(" x")
            return f"{head} {self._print(body)}"
        return super()._print_Limit(expr)

    def _print_SpaceIntegral(self, expr: SpaceIntegral) -> str:
        space = r"\mathbb{R}" if expr.dim == 1 else rf"\mathbb{{R}}^{{{self._print(expr.dim)}}}"
        return rf"\int_{{{space}}} {self._print(expr.function)}\, d{self._print(expr.variable)}"

    def _print_MatExpectation(self, expr: MatExpectation) -> str:
        label = self._density_label(expr.density)
        return rf"{self.style.expectation}_{{{label}}}" + self.paren(self._print(expr.expr), "[", "]")

    def _print_InSpace(self, expr: InSpace) -> str:
        element, dim = expr.args
        space = r"\mathbb{R}" if dim == 1 else rf"\mathbb{{R}}^{{{self._print(dim)}}}"
        return rf"{self._print(element)} \in {space}"

    def _print_PositiveDefinite(self, expr: PositiveDefinite) -> str:
        return rf"{self._print(expr.args[0])} \succ 0"

    def _print_IndexRange(self, expr: IndexRange) -> str:
        index, dim = expr.args
        if dim.is_Integer and dim <= 4:  # j = 1, 2, 3: every value, never "1, ..., 3"
            return rf"{self._print(index)} = " + ", ".join(str(i) for i in range(1, int(dim) + 1))
        return rf"{self._print(index)} = 1, \ldots, {self._print(dim)}"

    def _print_CodeLine(self, expr: CodeLine) -> str:
        return rf"\texttt{{{_tt_escape(expr.text)}}}"

    # -- logarithms ---------------------------------------------------------------------------
    def _print_log(self, expr: log, exp: str | None = None) -> str:
        (arg,) = expr.args
        head = self.style.log if exp is None else rf"{self.style.log}^{{{exp}}}"
        if getattr(self, "_bracket_log", False):
            self._bracket_log = False
            return head + self.paren(self._print(arg))
        text = self._print(arg)
        # without brackets only an argument that cannot be read as more or less: no function inside it
        bare = not re.search(r"\\(?:log|ln|exp|sum|prod|KL|E|int)(?![A-Za-z])", text)
        if bare and _is_simple_log_argument(arg):
            return rf"{head} {text}"
        if bare and _fraction_parts(arg) is not None and \
                not (len(arg.args) > 1 and all(_is_fraction(a) for a in arg.args)):
            return rf"{head} {text}"
        return head + self.paren(text)

    # -- special functions ----------------------------------------------------------------------
    def _print_gamma(self, expr: Expr, exp: str | None = None) -> str:
        """``\\Gamma(\\alpha)``: the Gamma function with plain brackets, as a textbook writes it."""
        return self._do_exponent(r"\Gamma" + self.paren(self._print(expr.args[0])), exp)

    def _print_XLogY(self, expr: Expr, exp: str | None = None) -> str:
        """``x \\log y`` (0 where x is 0, computed with ``xlogy``), as a textbook writes ``b log b``."""
        x, y = expr.args
        return self._do_exponent(self._print(Mul(x, log(y, evaluate=False), evaluate=False)), exp)

    def _print_polygamma(self, expr: Expr, exp: str | None = None) -> str:
        """``\\psi(\\alpha)`` for the digamma function ``polygamma(0, alpha) = Gamma'(alpha) / Gamma(alpha)``."""
        order, arg = expr.args
        if order != 0:
            return super()._print_polygamma(expr, exp)
        return self._do_exponent(r"\psi" + self.paren(self._print(arg)), exp)

    def _print_erf(self, expr: Expr, exp: str | None = None) -> str:
        """``\\operatorname{erf}(u)``: the error function ``erf(u) = 2/sqrt(pi) int_0^u e^(-t**2) dt`` with plain
        brackets."""
        return self._do_exponent(r"\operatorname{erf}" + self.paren(self._print(expr.args[0])), exp)

    # -- exponentials ---------------------------------------------------------------------------
    def _print_ExpBase(self, expr: Expr, exp: str | None = None) -> str:
        """``e^{w/2}`` rather than ``e^{\\frac{1}{2} w}``: a fractional coefficient in an exponent is a slash."""
        coefficient, rest = expr.args[0].as_coeff_Mul()
        if coefficient.is_Rational and coefficient.q != 1 and rest != 1:
            numerator = self._print(mul(abs(coefficient.p), rest) if abs(coefficient.p) != 1 else rest)
            if rest.is_Add:
                numerator = self.paren(numerator)
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
        if any(isinstance(f, exp) for f in numerator):  # \frac{b}{c} e^{-|m|/b}: the exponential beside the ratio
            small = [f for f in numerator if not isinstance(f, exp)]
            num = self._product(([Rational(p)] if p != 1 else []) + small) or "1"
            return prefix + rf"\frac{{{num}}}{{{den}}} {self._product([f for f in numerator if isinstance(f, exp)])}"
        num = self._product(([Rational(p)] if p != 1 else []) + numerator) or "1"
        return prefix + rf"\frac{{{num}}}{{{den}}}"

    def _product(self, factors: list[Expr], bracket_single_add: bool = False) -> str:
        """Factors side by side; sums are bracketed unless one sum stands alone."""
        shown = list(factors)
        elided = len(shown) > ELIDE_AFTER and index_family(tuple(shown))
        if elided:
            shown = [shown[0], shown[1], shown[-1]]
        texts = []
        for i, factor in enumerate(shown):
            # a logarithm with more factors after it brackets its argument: \log(a) b, not \log a b
            self._bracket_log = i < len(shown) - 1 and isinstance(factor.args[0] if factor.is_Pow else factor, log)
            text = self._print(factor)
            self._bracket_log = False
            if factor.is_Add and (len(factors) > 1 or bracket_single_add):
                text = self.paren(text)
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
        """``d/dx`` of a function of one variable, ``\\partial/\\partial x`` of several (or as part of such).

        A single factor is written over the differential (``\\partial \\sigma^{2} / \\partial \\sigma``); a
        sum or product follows the operator in brackets, a fraction, a big operator (``\\sum``) or an
        evaluation at a point without (a tall numerator would wreck an inline formula's line).
        """
        inner = expr.expr
        # A function of one variable has an ordinary derivative: d/dt, never a partial one; a derivative taken as
        # part of a partial one is partial too (``nodes.scalar.Partial``).
        d = r"\partial" if is_partial(expr) else "d"
        variables = "".join(rf"{d} {self._print(x)}" if n == 1 else rf"{d} {self._print(x)}^{{{n}}}"
                            for x, n in reversed(expr.variable_count))
        order = sum(n for _, n in expr.variable_count)
        top = d if order == 1 else rf"{d}^{{{order}}}"
        if d == "d" and not inner.is_Add and not inner.is_Mul:
            return rf"\frac{{{top}}}{{{variables}}} {self._print(inner)}"
        if inner.is_Add:
            return rf"\frac{{{top}}}{{{variables}}} " + self.paren(self._print(inner))
        if inner.is_Mul:
            return rf"\frac{{{top}}}{{{variables}}} " + self.paren(self._print(inner), "[", "]")
        if isinstance(inner, Subs) or (inner.is_Pow and inner.args[1].is_negative):
            return rf"\frac{{{top}}}{{{variables}}} {self._print(inner)}"
        printed = self._print(inner)
        if isinstance(inner, Sum | Product) or _height(printed) == 2:  # a tall function is no numerator
            return rf"\frac{{{top}}}{{{variables}}} {printed}"
        return rf"\frac{{{top} {printed}}}{{{variables}}}"

    def _print_Subs(self, expr: Subs) -> str:
        """``[f]_{x = a}``: the expression evaluated at the point (brackets make its extent plain)."""
        inner, old, new = expr.args
        at = ", ".join(f"{self._print(o)} = {self._print(n)}" for o, n in zip(old, new, strict=True))
        return self.paren(self._print(inner), "[", "]") + f"_{{{at}}}"

    def _print_exp(self, expr: Expr, exp: str | None = None) -> str:  # the printer passes the power as exp=
        """``e^{\\ell/2}``: a rational multiple of one symbol is written as a short fraction in the exponent."""
        (arg,) = expr.args
        coefficient, rest = arg.as_coeff_Mul()
        if coefficient.is_Rational and coefficient.q != 1 and (rest.is_Symbol or isinstance(rest, Indexed)):
            sign = "-" if coefficient < 0 else ""
            numerator = self._print(rest) if abs(coefficient.p) == 1 else f"{abs(coefficient.p)} {self._print(rest)}"
            tex = rf"e^{{{sign}{numerator}/{coefficient.q}}}"
        elif (slashed := self._slashed_exponent(arg)) is not None:
            tex = rf"e^{{{slashed}}}"
        else:
            tex = rf"e^{{{self._print(arg)}}}"
        return tex if exp is None else self.paren(tex) + f"^{{{exp}}}"

    def _slashed_exponent(self, arg: Expr) -> str | None:
        """``-|x - \\mu|/b`` and ``t/b``: an exponent that is a symbol or an absolute value over one symbol is
        written with a slash (a ``\\frac`` in an exponent is set too small to read), else None."""
        if arg.is_Rational and arg.q != 1:
            return f"{'-' if arg < 0 else ''}{abs(arg.p)}/{arg.q}"
        if not arg.is_Mul:
            return None
        sign, coefficient, numerator, denominator = _split_product(arg)
        if (coefficient.q != 1 or len(numerator) > 1 or len(denominator) != 1 or not denominator[0].is_Symbol
                or (numerator and (coefficient != 1 or not isinstance(numerator[0], Abs | Symbol)))):
            return None
        top = self._print(numerator[0]) if numerator else str(coefficient.p)
        return f"{'-' if sign < 0 else ''}{top}/{self._print(denominator[0])}"

    def _print_Abs(self, expr: Expr, exp: str | None = None) -> str:
        """``|x - \\mu|`` with plain bars; ``\\bigl|t + |a|\\bigr|`` around bars (so the pairs read apart) and
        ``\\left|...\\right|`` only around a fraction or big operator (SymPy writes ``\\left|{...}\\right|``)."""
        text = self._print(expr.args[0])
        if _height(text) < 2 and "|" in _strip_scripts(text) and not _SIZED.search(text):
            tex = rf"\bigl|{text}\bigr|"
        else:
            tex = self.paren(text, "|", "|")
        return tex if exp is None else self.paren(tex) + f"^{{{exp}}}"

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
    """Symbols, numbers and powers of them, and a named function of symbols (``\\log h(x)``): arguments a textbook
    writes without parentheses."""
    if arg.is_Symbol or isinstance(arg, Density | ModelDensity | Determinant | Indexed | exp | gamma):
        return True
    if isinstance(arg, AppliedUndef) and all(a.is_Symbol for a in arg.args):
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
            # a product in the denominator is flattened: its numbers join the coefficient (and the sign)
            parts = list(Mul.make_args(inverse)) if inverse.is_Mul and exponent == -1 else [inverse]
            while parts:
                part = parts.pop(0)
                if part.is_Mul:
                    parts[0:0] = list(part.args)
                elif part.is_Pow and part.args[0].is_Rational and part.args[1].is_Integer:
                    parts.insert(0, Rational(part.args[0]) ** int(part.args[1]))  # 1/(-3/4)**-1 is -3/4: a number
                elif part.is_Rational:
                    sign = -sign if part.is_negative else sign
                    coefficient /= abs(part)
                else:
                    denominator.append(part)
        else:
            numerator.append(factor)
    return sign, coefficient, numerator, denominator


def to_latex(expr: Basic, style: PrintStyle = MACRO_STYLE) -> str:
    """The textbook LaTeX of a display form."""
    return TextbookLatexPrinter(style).doprint(expr)


__all__ = ["MACRO_STYLE", "PLAIN_STYLE", "PrintStyle", "TextbookLatexPrinter", "break_lines", "mul", "reads_the_same",
           "same_formula", "to_latex"]


# -- line breaking for display environments ---------------------------------------------------------
_ZERO_WIDTH = {r"\left", r"\right", r"\middle", r"\,", r"\;", r"\!", r"\limits", r"\displaystyle"}
_COMMAND = re.compile(r"\\([A-Za-z]+|.)")
#: ``\log``, ``\ln``: three (two) upright letters and the thin space TeX sets after an operator name.
_LOGS = {r"\log", r"\ln"}
_LOG_WIDTH = 2.4
#: The width of a binary + or - with its spaces when a slide decides whether a line fits (at one character a
#: Pareto-Gamma result of seven terms ran 22 pt past the frame); the parts are then joined as before.
SLIDE_SIGN_WIDTH = 1.3
_WIDE = {r"\log", r"\ln", r"\exp", r"\KL", r"\E", r"\operatorname", r"\cdots", r"\ldots"}


@lru_cache(maxsize=8192)
def visual_width(tex: str, sign: float = 1.0) -> float:
    """A rough width of typeset LaTeX in character units (fractions stack, scripts are small); ``sign`` is the
    width of a binary ``+`` or ``-`` with its spaces outside scripts (on slides they take more than a character)."""
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
                width += max(visual_width(top, sign), visual_width(bottom, sign)) + 0.5
            elif command in _ZERO_WIDTH:
                continue
            else:
                width += _LOG_WIDTH if command in _LOGS else 2.0 if command in _WIDE else 1.0
        elif c in "^_":
            group, i = _group(tex, i + 1)
            width += 0.7 * visual_width(group)
        elif c in "{} ":
            i += 1
        elif c in "+-" and tex[i - 1:i] == " " and tex[i + 1:i + 2] == " ":  # a binary sign and its spaces
            width += sign
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
            text = printer.paren(text)
        out.append(sign + text)
    return out


def break_lines(expr: Basic, style: PrintStyle = MACRO_STYLE, width: float = 60, whole: str | None = None,
                strict: bool = False, sign: float = 1.0) -> list[str]:
    """The LaTeX of ``expr`` as one or more lines of at most ``width`` (see :func:`visual_width`).

    Long sums break between terms, also inside brackets: of an expectation, of a numeric multiple
    of a sum, of a bracketed term, of the logarithm of a product (which breaks between factors);
    a bracket split across lines gets one explicit size on both halves (``\\bigl( ... \\bigr)``).
    What cannot split stays on one line. ``whole`` is ``expr`` already printed in ``style``, if the
    caller has it. The lines joined back are always the unbroken print (:func:`same_formula`): a split
    that would change the formula is not made, or with ``strict`` raises ``AssertionError`` (for tests).
    """
    printer = TextbookLatexPrinter(style)
    if whole is None:
        whole = printer.doprint(expr)
    if visual_width(whole, sign) <= width:
        return [whole]
    lines = _break(printer, expr, width, whole=whole, strict=strict)
    extra = max(visual_width(line, sign) - visual_width(line) for line in lines)
    if extra and any(visual_width(line, sign) > width - (i == 0) for i, line in enumerate(lines)):  # a line that
        lines = _break(printer, expr, width - extra, whole=whole, strict=strict)  # fits only with its signs counted
    return lines                                                                   # narrow: less room


#: ``(head, opening delimiter, parts, closing delimiter)``: an expression printed as head + opening + parts +
#: closing, where each part is ``(lead, sub-expression or text, bracketed?)`` and the delimiters are ``(``, ``[``,
#: ``|`` and their partners (or empty, for a sum or product that splits without brackets of its own).
Split = tuple[str, str, list[tuple[str, "Basic | str", bool]], str]


def _factors(expr: Basic) -> bool:
    """Whether the parts of ``expr``'s split are the factors of a product (a matrix product, alone or in a
    trace): a line never breaks between two factors, only inside a bracketed sum among them, so that every
    continuation line starts with a binary ``+`` or ``-`` and no product is torn apart."""
    return isinstance(expr, MatMul) or (isinstance(expr, Trace) and isinstance(expr.arg, MatMul))


def _matmul_parts(expr: MatMul) -> list[tuple[str, Basic | str, bool]] | None:
    """The factors of a matrix product as :meth:`TextbookLatexPrinter._print_MatMul` prints them."""
    if expr.args and expr.args[0] == -1:
        return None
    return [("", f, isinstance(f, MatAdd) or f.is_Add) for f in expr.args]


def _split(printer: TextbookLatexPrinter, expr: Basic) -> Split | None:
    """How ``expr`` may split across lines, or None. Each split mirrors how the printer writes ``expr``:
    joined back (:func:`same_formula`), the lines are exactly the unbroken print."""
    if expr.is_Add:
        return "", "", _signed_parts(expr), ""
    if isinstance(expr, Eq):
        return rf"{printer._print(expr.lhs)} = ", "", [("", expr.rhs, False)], ""
    if isinstance(expr, Sum | Product) and expr.function.is_Add:  # as _big_operator prints it
        (index, low, high), = expr.limits
        command = r"\sum" if isinstance(expr, Sum) else r"\prod"
        head = rf"{command}_{{{printer._print(index)}={printer._print(low)}}}^{{{printer._print(high)}}} "
        return head, "(", _signed_parts(expr.function), ")"
    if isinstance(expr, Expectation | MatExpectation):
        return rf"{printer.style.expectation}_{{{printer._density_label(expr.density)}}}", "[", \
            [("", expr.expr, False)], "]"
    if isinstance(expr, Trace):
        inner = _matmul_parts(expr.arg) if isinstance(expr.arg, MatMul) else \
            _signed_parts(expr.arg) if isinstance(expr.arg, MatAdd) else None
        return None if inner is None else (r"\operatorname{tr}", "(", inner, ")")
    if isinstance(expr, MatMul):
        parts = _matmul_parts(expr)
        return None if parts is None else ("", "", parts, "")
    if isinstance(expr, CodeLine):  # break the code before its top-level + and - operators
        pieces = re.split(r" (?=[+-] )", expr.text)
        return "", "", [("", rf"\texttt{{{_tt_escape(p if i == 0 else ' ' + p)}}}", False)
                        for i, p in enumerate(pieces)], ""
    if expr.is_Mul and not getattr(expr, "is_Matrix", False) and len(expr.args) == 2 and \
            expr.args[0].is_Rational and expr.args[1].is_Add:
        coefficient = printer._print(expr.args[0]) if abs(expr.args[0]) != 1 else \
            ("- " if expr.args[0] < 0 else "")
        return coefficient, "(", [("", expr.args[1], False)], ")"
    return None


#: Explicit delimiter sizes by rank (``\Bigl`` is as tall as ``\left(`` around a displayed fraction).
_SIZES = [("", ""), (r"\bigl", r"\bigr"), (r"\Bigl", r"\Bigr"), (r"\biggl", r"\biggr"), (r"\Biggl", r"\Biggr")]
_SIZE_RANK = {r"\bigl": 1, r"\Bigl": 2, r"\biggl": 3, r"\Biggl": 4, r"\left": 2}
_SIZED = re.compile(r"\\(?:bigl|Bigl|biggl|Biggl|left)(?![A-Za-z])(?!\.)")
_TALL = re.compile(r"\\(?:frac|sum|prod|int|begin|binom)(?![A-Za-z])")


@lru_cache(maxsize=8192)
def _height(tex: str) -> int:
    """How tall a delimiter around ``tex`` must be: 2 for a displayed fraction or big operator, 1 for
    nested brackets, 0 for a flat line (scripts do not count: they are set small)."""
    flat = _strip_scripts(tex)
    if _TALL.search(flat):
        return 2
    return 1 if re.search(r"[()\[\]|]", flat) else 0


_APPLIED = re.compile(r"(?<=[A-Za-z])\((?:\\[A-Za-z]+|\w)\)")


@lru_cache(maxsize=8192)
def _nesting_rank(tex: str) -> int:
    """The size rank a bracket around ``tex`` needs to be larger than every bracket inside it: 0 (plain)
    around no bracket, 1 (``\\bigl``) around plain ones, one more than the largest sized one inside
    (``\\operatorname{tr}\\Bigl(\\Sigma^{-1} \\bigl(\\Sigma + (\\mu - m)(\\mu - m)^{\\top}\\bigr)\\Bigr)``)."""
    flat = _APPLIED.sub("", _strip_scripts(tex))  # q(x), g(x): a function applied to a symbol is no bracket
    sized = [_SIZE_RANK[m] for m in _SIZED.findall(flat)]
    if sized:
        return max(sized) + 1
    return 1 if re.search(r"(?<!\\)[(\[]", flat) else 0


def display_height(tex: str) -> float:
    """A rough height in points of a display row at 11pt: taller with a displayed fraction or big operator."""
    return 30.0 if _height(tex) == 2 else 17.0


def _strip_scripts(tex: str) -> str:
    """``tex`` without its super- and subscript groups."""
    out, i = [], 0
    while i < len(tex):
        if tex[i] in "^_":
            _, i = _group(tex, i + 1)
            continue
        if tex[i] == "\\":
            match = _COMMAND.match(tex, i)
            out.append(match.group(0))
            i = match.end()
            continue
        out.append(tex[i])
        i += 1
    return "".join(out)


def _break(printer: TextbookLatexPrinter, expr: Basic, width: float, bracketed: bool = False,
           whole: str | None = None, strict: bool = False) -> list[str]:
    """``expr`` (in brackets if ``bracketed``) as lines of at most ``width`` where it can split.

    A bracket that opens on one line and closes on another gets one explicit size (``\\bigl( ... \\bigr)``)
    chosen from everything it encloses, so both halves match. A split that would not give back the
    unbroken print when joined is not made: the formula stays on one line rather than change."""
    text = whole if whole is not None else printer._print(expr)
    unbroken = printer.paren(text) if bracketed else text
    split = _split(printer, expr) if visual_width(unbroken) > width else None
    if split is None:
        return [unbroken]
    head, opening, parts, closing = split
    delimiters = [(opening, closing)] if opening else []
    if bracketed:
        delimiters.insert(0, ("(", ")"))
    # the first line follows the head; the lines after it start at the display's indentation
    first_room = max(width - visual_width(head) - 1 - len(delimiters), 12)
    # continuation lines inside a bracket are set a \\qquad further in (see :func:`continued`)
    room = max(width - 2 - (2 if delimiters else 0) - len(delimiters), first_room)
    lines: list[str] = []
    joinable = False  # whether the last line may take more parts
    glued = _factors(expr)  # factors of a product: each part continues the line the one before it ends
    for lead, item, inner_bracket in parts:
        if isinstance(item, str):
            piece = [lead + item]
        else:
            shown = printer._print(item)
            inner_bracket = inner_bracket or bool(lead.strip() and shown.startswith("-"))
            piece = _break(printer, item, (room if lines else first_room) - visual_width(lead), inner_bracket,
                           whole=shown, strict=strict)
            piece = [lead + piece[0], *piece[1:]]
        if glued and lines:
            lines[-1] += " " + piece[0]
            lines.extend(piece[1:])
        elif len(piece) == 1 and joinable and \
                visual_width(lines[-1] + piece[0]) <= (room if len(lines) > 1 else first_room):
            lines[-1] += " " + piece[0]
        else:
            lines.extend(piece)
        joinable = len(piece) == 1
    if len(lines) == 1:
        return [unbroken]
    # one size for both halves of each split bracket, larger than every bracket inside it
    inner = max(max((_SIZE_RANK[m] for m in _SIZED.findall(line)), default=-1) for line in lines)
    size = max(min(_height(line), 2) for line in lines)
    if inner >= 0:
        size = max(size, inner + 1)
    sizes = [min(size + k, len(_SIZES) - 1) for k in range(len(delimiters))][::-1]  # outermost first
    if bracketed:
        head = _SIZES[sizes[0]][0] + "(" + head
    if opening:
        head += _SIZES[sizes[-1]][0] + opening
    tail = "".join(_SIZES[k][1] + c for k, (_, c) in reversed(list(zip(sizes, delimiters, strict=True))))
    out = [head + lines[0], *lines[1:-1], lines[-1] + tail]
    if same_formula(out, unbroken):
        return out
    if strict:
        raise AssertionError(f"split changes the formula: {out} from {unbroken}")
    return [unbroken]


_SPLIT_OPEN = re.compile(r"\\(?:bigl|Bigl|biggl|Biggl)(?![A-Za-z])")
_SPLIT_CLOSE = re.compile(r"\\(?:bigr|Bigr|biggr|Biggr)(?![A-Za-z])")
#: The indentation of a continuation line: one quad after a top-level break, a further qquad when the line
#: continues a bracket opened on an earlier line, so the reader sees it is still inside the bracket.
CONTINUE, CONTINUE_INSIDE = r"\quad ", r"\quad\qquad "


def continued(lines: list[str]) -> list[str]:
    """Display lines with their continuation indentation: the first line as it is, each later line after
    ``\\quad`` (a break between top-level terms) or ``\\quad\\qquad`` (a break inside a bracket that an
    earlier line opened: only split brackets are sized ``\\bigl``/``\\bigr``..., so counting those tells)."""
    out, depth = [], 0
    for index, line in enumerate(lines):
        out.append(line if index == 0 else (CONTINUE_INSIDE if depth > 0 else CONTINUE) + line)
        depth += len(_SPLIT_OPEN.findall(line)) - len(_SPLIT_CLOSE.findall(line))
    return out


_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\S")
_SIZE_COMMANDS = frozenset("\\" + name for name in ("left", "right", "middle", "big", "Big", "bigg", "Bigg", "bigl",
                                                     "bigr", "Bigl", "Bigr", "biggl", "biggr", "Biggl", "Biggr"))


def formula_tokens(tex: str) -> list[str]:
    """The TeX tokens of a formula without what only sizes its delimiters (``\\left``, ``\\bigl``, ...; a
    null delimiter ``\\left.`` disappears): two prints with equal tokens show the same formula."""
    out: list[str] = []
    tokens = _TOKEN.findall(re.sub(r"\}\s*\\texttt\{", "", tex))  # code broken into pieces reads as one
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in _SIZE_COMMANDS:
            if i + 1 < len(tokens) and tokens[i + 1] == ".":
                i += 1
            i += 1
            continue
        out.append(token)
        i += 1
    return out


def same_formula(lines: list[str], whole: str) -> bool:
    """Whether display ``lines``, joined back, are the formula ``whole`` (only delimiter sizes may differ)."""
    return formula_tokens(" ".join(lines)) == formula_tokens(whole)


_BRACKETS = frozenset({"(", ")", "[", "]", r"\{", r"\}", r"\lbrack", r"\rbrack", "{", "}"})


def reads_the_same(before: str, after: str) -> bool:
    """Whether two printed formulas differ only in brackets, their sizes and spacing (``d/dmu [mu]`` and
    ``d/dmu mu``). For two lines of a chain (checked equal), one that does so makes no mathematical change
    and is no step for a reader. The square brackets of an expectation hold its argument (``E[z + t]`` is not
    ``E[z] + t``), so they count."""
    def bare(tex: str) -> list[str]:
        tokens = [t for t in formula_tokens(tex) if not t.isspace()]
        return [t for t in _expectation_brackets_marked(tokens) if t not in _BRACKETS]
    return bare(before) == bare(after)


def _expectation_brackets_marked(tokens: list[str]) -> list[str]:
    """``tokens`` with the square brackets that enclose an expectation's argument (``\\E_{...}[ ... ]``) made
    markers that are no bracket."""
    marked = list(tokens)
    for start, token in enumerate(tokens):
        if token != r"\E" and tokens[start:start + 4] != [r"\mathbb", "{", "E", "}"]:
            continue
        i = start + (1 if token == r"\E" else 4)
        if tokens[i:i + 2] == ["_", "{"]:  # the subscript: a braced group or one token
            i = _closing(tokens, i + 1, "{", "}") + 1
        elif tokens[i:i + 1] == ["_"]:
            i += 2
        if tokens[i:i + 1] == ["["]:
            end = _closing(tokens, i, "[", "]")
            if end < len(tokens):
                marked[i], marked[end] = "E[", "]E"
    return marked


def _closing(tokens: list[str], i: int, opening: str, closing: str) -> int:
    """The index of the token closing the ``opening`` at ``i`` (``len(tokens)`` if it is never closed)."""
    depth = 0
    for j in range(i, len(tokens)):
        depth += {opening: 1, closing: -1}.get(tokens[j], 0)
        if depth == 0:
            return j
    return len(tokens)
