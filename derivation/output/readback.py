r"""Reading printed formulas back: what a document shows is compared with the expression that was verified.

The printers (``printing.py`` for LaTeX, ``pretty.py`` for the terminal) turn verified SymPy expressions into
text. This module reads that text back, with the project's own whitelist LaTeX parser
(:class:`derivation.interpret.parse._LatexParser`) extended to the printers' notation, and compares what it reads with
the expression the text was printed from (:func:`check_printed`). A printer that drops a bracket, a sign or a
term makes the two differ.

What the reader understands, beyond the claims grammar of ``parse.py``: ``\KL(q \| p)`` and ``\E_{q}[...]``
(also spelled out as ``\operatorname{KL}`` and ``\mathbb{E}``), densities ``q(x)`` and
``\mathcal{N}(\mu, \sigma^{2})`` and ``\operatorname{Laplace}(\mu, b)``, ``x \sim \mathcal{N}(...)`` labels, integrals
``\int_{a}^{b} ... dx`` and over ``\mathbb{R}^{k}``, sums and products ``\sum_{j=1}^{d}``, elided runs
``t_1 + t_2 + \cdots + t_N``, traces, ``\operatorname{diag}``, transposes, inverses, determinants
``\left|A\right|``, partial derivatives, evaluations ``[f]_{x = a}``, limits, matrices, code in
``\texttt``, and the relations of statements (``=``, ``>``, ``\geq``, ``\in \mathbb{R}^{k}``, ``\succ 0``,
``j = 1, \ldots, d``). The Unicode text format is read by translating its notation into the same tokens.

Names are resolved against a *lexicon* built from the expected expression: every symbol, indexed symbol,
matrix, density and named function in it, printed by the same printer. A name the lexicon does not know
is an error, so a printer that misprints a name fails too.

Comparison (:func:`same`): both sides are brought to one canonical form (display forms evaluated, custom
nodes as plain trees, long runs elided as the printer elides them) and compared structurally; failing that,
their difference is shown zero by the checker's cheap normal forms (``verify.is_zero``), with what is not
plain algebra held as opaque symbols; failing that, it is evaluated at random admissible points.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sympy
from sympy import (
    Add,
    Basic,
    Derivative,
    Dummy,
    E,
    Eq,
    Expr,
    Float,
    Ge,
    Gt,
    ImmutableMatrix,
    Indexed,
    IndexedBase,
    Integral,
    Interval,
    Le,
    Limit,
    Lt,
    Mul,
    Pow,
    Product,
    Rational,
    S,
    Subs,
    Sum,
    Symbol,
    Tuple,
    erf,
    factorial,
    gamma,
    oo,
    polygamma,
)
from sympy.core.function import AppliedUndef
from sympy.core.symbol import Str
from sympy.matrices.expressions import (
    Determinant,
    Identity,
    Inverse,
    MatAdd,
    MatMul,
    MatrixExpr,
    MatrixSymbol,
    Trace,
    Transpose,
    ZeroMatrix,
)
from sympy.sets.contains import Contains

from ..check.checker import is_zero
from ..core.errors import ParseError
from ..core.forms import is_negative_term
from ..interpret.parse import _Builder, _LatexParser, _NameRef, _Tok, _tokenize_latex
from ..laws import LAWS, NormalLaw
from ..nodes.families import index_family
from ..nodes.model import ModelDensity
from ..nodes.scalar import KL, Density, Expectation, Named
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
)
from ..printing.latex import ELIDE_AFTER, MACRO_STYLE, PrintStyle, TextbookLatexPrinter, _is_fraction, _split_product
from ..printing.text import GREEK_LETTERS, SUBSCRIPTS, SUPERSCRIPTS, THIN, TRANSPOSE, to_text, untt
from .render import _Context

__all__ = ["Mismatch", "check_printed", "join_lines", "read_latex", "read_text", "recording", "same"]


class Mismatch(AssertionError):
    """A printed formula that does not read back as the expression it was printed from."""


# ----------------------------------------------------------------------------------------------------
# Canonical trees: what both sides are compared as
# ----------------------------------------------------------------------------------------------------


class MatOp(MatrixExpr):
    """A matrix-valued custom node as a plain tree: ``MatOp(head, rows, cols, *args)`` (an expectation of a
    matrix, a diagonal matrix as shown)."""

    def __new__(cls, head: str | Str, rows: Basic, cols: Basic, *args: Basic) -> MatOp:
        return Basic.__new__(cls, head if isinstance(head, Str) else Str(head), rows, cols, *args)

    @property
    def shape(self):
        return self.args[1], self.args[2]


class Op(Expr):
    """A custom node as a plain tree: ``Op(head, *args)`` (``E``, ``KL``, ``N``, ``sim``, ``diag``, ``code``)."""

    is_commutative = True

    def __new__(cls, head: str | Str, *args: Basic) -> Op:
        return Expr.__new__(cls, head if isinstance(head, Str) else Str(head), *args)

    @property
    def head(self) -> str:
        return self.args[0].name


#: The elision mark of a run ``t_1 + t_2 + \cdots + t_N`` (and of ``\ldots`` in lists).
CDOTS = Symbol("⋯", real=True)
LDOTS = Symbol("…", real=True)


def _label(density: Basic) -> Basic:
    """How a density is named in a subscript or a KL: its name, or ``x ~ N(mean, var)``; a model's density (and q
    beside it) by its name applied to its variables, ``p(z | x)``."""
    if isinstance(density, ModelDensity):
        return canonical(density)
    if density.name:
        return Symbol("density:" + density.name)
    return Op("sim", canonical(density.variable), _law(density))


#: The families printed by name (``\operatorname{Laplace}(\mu, b)``, ``\operatorname{Bernoulli}(p)``).
_NAMED_LAWS = tuple(family for family, law in LAWS.items() if law is not NormalLaw)
#: The token of each family's ``\operatorname{Family}``, apart from a Greek command of the same name (``\Gamma``).
_LAW_TOKENS = {f"law:{family}": family for family in _NAMED_LAWS}
#: Greek letters read as a function when a bracket follows: ``\Gamma(a)``, ``\psi(a)`` (the digamma function).
_GREEK_FUNCTIONS = {"Gamma": gamma, "psi": lambda arg: polygamma(0, arg)}


def _law(density: Basic) -> Op:
    if isinstance(density, Density) and density.law.family in _NAMED_LAWS:
        return Op(density.law.family, *(canonical(p) for p in density.law.parameters))
    spread = density.var  # a covariance matrix for a density of a vector
    mean = S.Zero if isinstance(density.mean, ZeroMatrix) else density.mean  # printed 0
    return Op("N", canonical(mean), canonical(spread))


def _elided(items: list[Basic]) -> list[Basic] | None:
    """``items`` as the printer shows a long run of one term per coordinate (first, second, mark, last)."""
    if _ELIDE[-1] and len(items) > ELIDE_AFTER and index_family(tuple(items)):
        return [items[0], items[1], CDOTS, items[-1]]
    return None


def _shown_factors(expr: Mul) -> list[Basic]:
    """The factors of a product as the LaTeX printer shows them (a long run of one factor per coordinate
    elided, see ``TextbookLatexPrinter._print_Mul``)."""
    if all(_is_fraction(a) for a in expr.args):  # a product of ratios, printed factor by factor
        return _elided(list(expr.args)) or list(expr.args)
    sign, coefficient, numerator, denominator = _split_product(expr)
    if denominator or (coefficient.p != 1 and coefficient.q == 1):
        return list(expr.args)
    if coefficient.q != 1 and numerator and numerator[0].is_Symbol:  # k/2 x_1 ...: one fraction, then the rest
        head, rest = numerator[:1], numerator[1:]
    else:
        head, rest = [], numerator
    shown = _elided(rest)
    if shown is None:
        return list(expr.args)
    return [sign * coefficient, *head, *shown]


_CANONICAL: dict[tuple[Basic, bool], Basic] = {}
_ELIDE = [True]


def canonical(expr: Basic, elide: bool | None = None) -> Basic:
    """``expr`` as compared: display forms evaluated, custom nodes as :class:`Op` trees, long coordinate runs
    elided as the printers elide them (the printed text shows no more) unless ``elide`` is False. Memoised."""
    if elide is not None and elide != _ELIDE[-1]:
        _ELIDE.append(elide)
        try:
            return canonical(expr)
        finally:
            _ELIDE.pop()
    key = (expr, _ELIDE[-1])
    known = _CANONICAL.get(key)
    if known is None:
        if len(_CANONICAL) > 1 << 16:
            _CANONICAL.clear()
        known = _CANONICAL[key] = _canonical(expr)
    return known


def _canonical(expr: Basic) -> Basic:
    if isinstance(expr, Float):
        return Rational(str(expr))
    if isinstance(expr, ZeroMatrix):  # printed 0
        return S.Zero
    if expr in (CDOTS, LDOTS):
        return expr
    if isinstance(expr, Op):
        return Op(expr.head, *[canonical(a) for a in expr.args[1:]])
    if isinstance(expr, Density):
        if expr.name:
            return Op("density", Symbol("density:" + expr.name), canonical(expr.variable))
        return _law(expr)
    if isinstance(expr, MatExpectation):
        return MatOp("E", *expr.expr.shape, canonical(expr.expr), _label(expr.density))
    if isinstance(expr, MatOp):
        return MatOp(*expr.args[:3], *[canonical(a) for a in expr.args[3:]])
    if isinstance(expr, Expectation):
        return Op("E", canonical(expr.expr), _label(expr.density))
    if isinstance(expr, KL):
        return Op("KL", _label(expr.q), _label(expr.p))
    if isinstance(expr, ModelDensity):
        return Op("model:" + expr.name, Tuple(*[canonical(a) for a in expr.arguments]),
                  Tuple(*[canonical(a) for a in expr.given]))
    if isinstance(expr, Named):
        return Op("named:" + expr.name, *[canonical(a) for a in expr.arguments])
    if isinstance(expr, AppliedUndef):
        return Op("function:" + expr.func.__name__, *[canonical(a) for a in expr.args])
    if isinstance(expr, CodeLine):
        return Op("code", Str(expr.text))
    if isinstance(expr, Diag):
        dim = expr.dim
        if dim.is_Integer and dim <= ELIDE_AFTER:
            entries = [expr.at(i) for i in range(1, int(dim) + 1)]
        elif dim.is_Integer:
            entries = [expr.at(1), expr.at(2), LDOTS, expr.at(dim)]
        else:
            entries = [expr.at(1), LDOTS, expr.at(dim)]
        return MatOp("diag", dim, dim, *[canonical(e) for e in entries])
    if isinstance(expr, SpaceIntegral):
        return Op("spaceintegral", canonical(expr.function), canonical(expr.variable), canonical(expr.dim))
    if isinstance(expr, QuadForm):
        middle = [] if isinstance(expr.matrix, Identity) else [canonical(expr.matrix)]
        return Op("quadform", canonical(expr.left), *middle, canonical(expr.right))
    if isinstance(expr, Contains) and expr.args[1] == S.Reals:
        return InSpace(canonical(expr.args[0]), S.One)
    if isinstance(expr, Contains) and isinstance(expr.args[1], Interval):
        return Op("interval", canonical(expr.args[0]), canonical(expr.args[1].left), canonical(expr.args[1].right))
    if isinstance(expr, Derivative):
        return Derivative(canonical(expr.expr), *[(canonical(v), n) for v, n in expr.variable_count],
                          evaluate=False)
    if not expr.args or expr.is_Atom:
        return expr
    if expr.is_Add and not getattr(expr, "is_Matrix", False):
        terms = list(expr.args)
        shown = _elided(terms)
        if shown is not None:
            shown[2] = -CDOTS if is_negative_term(terms[-1]) else CDOTS
            terms = shown
        return Add(*[canonical(t) for t in terms])
    if expr.is_Mul and not getattr(expr, "is_Matrix", False):
        return Mul(*[canonical(f) for f in _shown_factors(expr)])
    if isinstance(expr, MatAdd | MatMul):
        flat = [g for f in expr.args for g in (f.args if type(f) is type(expr) else (f,))]
        return expr.func(*[f if isinstance(f, ZeroMatrix) else canonical(f) for f in flat])
    if isinstance(expr, sympy.core.relational.Relational):
        return expr.func(canonical(expr.lhs), canonical(expr.rhs), evaluate=False)
    if isinstance(expr, Limit):
        f, v, point, _direction = expr.args
        return Op("limit", canonical(f), v, canonical(point),
                  Str("") if point.is_infinite else Str(str(_direction)))
    if isinstance(expr, sympy.MatrixBase):
        return ImmutableMatrix(expr.shape[0], expr.shape[1], [canonical(e) for e in expr])
    if isinstance(expr, Sum | Product):
        (index, low, high), = expr.limits
        return expr.func(canonical(expr.function), (index, canonical(low), canonical(high)))
    return expr.func(*[canonical(a) for a in expr.args])


# ----------------------------------------------------------------------------------------------------
# Tokens
# ----------------------------------------------------------------------------------------------------

_SPECIAL = re.compile(
    r"!|\\texttt\{|\\begin\{matrix\}|\\end\{matrix\}|&|\\\\|\\,\s*d(?=[A-Za-z\\])|<|>|"
    r"\\operatorname\{(?:tr|diag|erf|" + "|".join(_NAMED_LAWS) + r")\}|\\mathbb\{R\}|"
    r"\\(?:cdots|ldots|geq|leq|sim|succ|in|to|infty|partial|top|int|prod|lim|KL|E|Normal)(?![A-Za-z])"
)
_NAMED_SPECIAL = {r"\operatorname{tr}": "tr", r"\operatorname{diag}": "diag", r"\operatorname{erf}": "erf",
                  r"\mathbb{R}": "Reals",
                  **{rf"\operatorname{{{family}}}": token for token, family in _LAW_TOKENS.items()},
                  "<": "lt", ">": "gt", "&": "amp", "\\\\": "newrow", "!": "factorial"}


def _code_end(tex: str, start: int) -> int:
    """The index of the brace closing the ``\\texttt{`` group opened just before ``start``."""
    depth, i = 1, start
    while i < len(tex):
        if tex[i] == "\\":
            i += 2
            continue
        depth += {"{": 1, "}": -1}.get(tex[i], 0)
        if depth == 0:
            return i
        i += 1
    raise ParseError("unclosed \\texttt group", start)


def tokens(tex: str) -> list[_Tok]:
    """The tokens of printed LaTeX: ``parse.py``'s tokenizer, with the printers' extra notation as commands."""
    out: list[_Tok] = []
    i = 0
    while i < len(tex):
        m = _SPECIAL.search(tex, i)
        end = m.start() if m else len(tex)
        if end > i and tex[i:end].strip():
            out.extend(t for t in _tokenize_latex(tex[i:end], i) if t.kind != "end")
        if m is None:
            break
        text = m.group(0)
        if text == r"\texttt{":
            close = _code_end(tex, m.end())
            code = untt(tex[m.end():close])
            if out and out[-1].kind == "code":  # code broken over lines: one piece per line
                out[-1] = _Tok("code", out[-1].value + code, out[-1].pos)
            else:
                out.append(_Tok("code", code, m.start()))
            i = close + 1
            continue
        if text.startswith(r"\,"):
            out.append(_Tok("cmd", "differential", m.start()))
        elif text in _NAMED_SPECIAL:
            out.append(_Tok("cmd", _NAMED_SPECIAL[text], m.start()))
        elif text.startswith(r"\begin"):
            out.append(_Tok("cmd", "beginmatrix", m.start()))
        elif text.startswith(r"\end"):
            out.append(_Tok("cmd", "endmatrix", m.start()))
        else:
            out.append(_Tok("cmd", text[1:], m.start()))
        i = m.end()
    out.append(_Tok("end", "", len(tex)))
    return out


def _key(toks: list[_Tok]) -> tuple[tuple[str, str], ...]:
    return tuple((t.kind, t.value) for t in toks if t.kind != "end")


# ----------------------------------------------------------------------------------------------------
# The lexicon: the names of the expected expression, as the printer prints them
# ----------------------------------------------------------------------------------------------------


@dataclass
class Lexicon:
    """Printed names (as token sequences) and what they denote."""

    entries: dict[tuple, list[tuple[str, Basic]]] = field(default_factory=dict)
    by_first: dict[tuple[str, str], list[tuple]] = field(default_factory=dict)

    def add(self, key: tuple, value: Basic, role: str = "value") -> None:
        """``key`` prints ``value``: as an expression (role ``value``) or as a density's label (``label``)."""
        if not key:
            return
        known = self.entries.setdefault(key, [])
        if (role, value) not in known:
            known.append((role, value))
        firsts = self.by_first.setdefault(key[0], [])
        if key not in firsts:
            firsts.append(key)
            firsts.sort(key=len, reverse=True)

    def replace(self, toks: list[_Tok]) -> list[_Tok]:
        """``toks`` with each longest run that prints a known name replaced by one ``name`` token."""
        out: list[_Tok] = []
        i = 0
        while i < len(toks):
            tok = toks[i]
            for key in self.by_first.get((tok.kind, tok.value), ()):
                if _key(toks[i:i + len(key)]) == key:
                    out.append(_Tok("name", str(id(self.entries[key])), tok.pos))
                    out[-1].denotes = self.entries[key]  # type: ignore[attr-defined]
                    out[-1].source = key  # type: ignore[attr-defined]
                    i += len(key)
                    break
            else:
                out.append(tok)
                i += 1
        return out


#: Nodes printed as a name: symbols and named objects, and Euler's constant (printed as the letter gamma).
_NAME_TYPES = (Symbol, Indexed, IndexedBase, MatrixSymbol, Vec, Density, Named, AppliedUndef, Identity,
               type(S.EulerGamma))


#: The printed names met so far, per style: node -> tokens.
_KEYS: dict[tuple, dict[Basic, tuple]] = {}


def lexicon(expr: Basic, style: PrintStyle = MACRO_STYLE, translate=None) -> Lexicon:
    """The names in ``expr`` printed in ``style`` (and turned into tokens by ``translate``, for text)."""
    printer = TextbookLatexPrinter(style)
    lex = Lexicon()
    seen: set[Basic] = set()
    known = _KEYS.setdefault((style, translate), {})

    def key_of(node: Basic) -> tuple:
        if node not in known:
            text = _shown(printer, node, translate)
            known[node] = _key(translate(text) if translate else tokens(text))
        return known[node]

    def visit(node: Basic) -> None:
        if node in seen:
            return
        seen.add(node)
        if isinstance(node, Limit):  # its direction is a symbol called + or -, not a name
            for arg in node.args[:3]:
                visit(arg)
            return
        if isinstance(node, _NAME_TYPES) and not isinstance(node, Dummy):
            if isinstance(node, Density):
                if node.name:
                    lex.add(key_of(node), node)
                    lex.add(key_of(Symbol(node.name)), node, "label")
            else:
                lex.add(key_of(node), node)
        if isinstance(node, Named | Str):
            return
        if isinstance(node, Diag):  # the entries it shows
            for i in (1, 2, node.dim):
                visit(node.at(i))
        for arg in node.args:
            if isinstance(arg, Basic):
                visit(arg)

    visit(expr)
    return lex


def _shown(printer: TextbookLatexPrinter, node: Basic, translate) -> str:
    if translate is None:
        return printer.doprint(node)

    return to_text(node)


# ----------------------------------------------------------------------------------------------------
# The reader
# ----------------------------------------------------------------------------------------------------


def _is_matrix(value: Any) -> bool:
    return bool(getattr(value, "is_Matrix", False))


class _ReadBuilder(_Builder):
    """The claims parser's builder, extended to matrix sums and products (kept in the printed order)."""

    def bits(self, expr: Basic) -> int:
        return 0  # printed documents are trusted input: no size budget

    def add(self, terms: list[Expr], pos: int | None) -> Expr:
        if len(terms) > 1 and any(_is_matrix(t) for t in terms):
            shape = next(t for t in terms if _is_matrix(t)).shape
            return MatAdd(*[ZeroMatrix(*shape) if t == 0 else t for t in terms])
        return super().add(terms, pos)

    def mul(self, factors: list[Expr], pos: int | None) -> Expr:
        if len(factors) > 1 and any(_is_matrix(f) for f in factors):
            scalars = [f for f in factors if not _is_matrix(f)]
            matrices = [f for f in factors if _is_matrix(f)]
            product = MatMul(*matrices) if len(matrices) > 1 else matrices[0]
            form = _as_quadform(product)
            if not _is_matrix(form):
                return super().mul([*scalars, form], pos)
            return MatMul(*scalars, *matrices) if scalars else product
        return super().mul(factors, pos)

    def neg(self, value: Expr, pos: int | None) -> Expr:
        if _is_matrix(value):
            return MatMul(S.NegativeOne, value)
        return super().neg(value, pos)

    def power(self, base: Expr, exponent: Expr, pos: int | None) -> Expr:
        if _is_matrix(base):
            if exponent == -1:
                return Inverse(base)
            raise ParseError("a power of a matrix other than -1", pos)
        return Pow(base, exponent)


_D = (("letter", "d"),)


def _is_differential(tok: _Tok) -> str:
    """``partial`` for ``\\partial``, ``d`` for the letter d (also when a symbol d is in the lexicon), else ''."""
    if tok.kind == "cmd" and tok.value == "partial":
        return "partial"
    if (tok.kind == "letter" and tok.value == "d") or (tok.kind == "name" and getattr(tok, "source", None) == _D):
        return "d"
    return ""


def _as_quadform(product: MatrixExpr) -> Basic:
    """``u^T A v`` (a 1 x 1 product from a transposed vector to a vector) as the scalar it prints."""
    if not isinstance(product, MatMul):
        return product
    factors = list(product.args)
    if factors[0] == -1 or not isinstance(factors[0], Transpose) or len(factors) < 2:
        return product
    left, right = factors[0].arg, factors[-1]
    if left.shape[1] != 1 or right.shape[1] != 1:
        return product
    middle = factors[1:-1]
    matrix = Identity(left.shape[0]) if not middle else middle[0] if len(middle) == 1 else MatMul(*middle)
    return QuadForm(left, matrix, right)


_RELATIONS = {"=": Eq, "gt": Gt, "lt": Lt, "geq": Ge, "leq": Le}


class _Reader(_LatexParser):
    """The claims grammar of ``parse.py`` with the printers' notation (see the module docstring)."""

    def __init__(self, toks: list[_Tok]):
        super().__init__(toks, None, _ReadBuilder())  # type: ignore[arg-type]
        self.open_bars = 0  # |...| being read: a bar closes it rather than opening another

    # -- entry: a statement or an expression -------------------------------------------------------------
    def statement(self) -> Basic:
        left = self.expr()
        tok = self.peek()
        if tok.kind == "end":
            return left
        relation = tok.value if tok.kind in ("op", "cmd") else ""
        self.next()
        if relation == "in" and not (self.peek().kind == "cmd" and self.peek().value == "Reals"):
            self.expect_left("(")  # an open interval: p in (0, 1)
            low = self.expr()
            self.expect_op(",", "','")
            high = self.expr()
            self.expect_right(")")
            result = Op("interval", canonical(left), canonical(low), canonical(high))
        elif relation == "in":
            self.expect_cmd("Reals")
            dim = self.arg() if self.is_op(self.peek(), "^") and self.next() else S.One
            result: Basic = InSpace(left, dim)
        elif relation == "succ":
            zero = self.expr()
            if zero != 0:
                raise ParseError("expected '\\succ 0'", tok.pos)
            result = PositiveDefinite(left)
        elif relation in _RELATIONS:
            right = self.expr()
            if relation == "=" and self.is_op(self.peek(), ","):  # j = 1, ..., d or j = 1, 2, 3
                last = right
                while self.is_op(self.peek(), ","):
                    self.next()
                    last = self.expr() if not (self.peek().kind == "cmd" and self.peek().value == "ldots") \
                        else self.next() and LDOTS
                if right != 1 or last == LDOTS:
                    raise ParseError("an index range must run from 1 to its last value", tok.pos)
                result = IndexRange(left, last)
            else:
                result = _RELATIONS[relation](left, right, evaluate=False)
        else:
            raise ParseError(f"unexpected {tok.value!r}", tok.pos)
        if self.peek().kind != "end":
            raise ParseError(f"unexpected {self.peek().value!r} after the statement", self.peek().pos)
        return result

    def expect_cmd(self, name: str) -> _Tok:
        tok = self.next()
        if tok.kind != "cmd" or tok.value != name:
            raise ParseError(f"expected '\\{name}', found {tok.value!r}", tok.pos)
        return tok

    # -- atoms -------------------------------------------------------------------------------------------
    def starts_factor(self, tok: _Tok) -> bool:
        if tok.kind in ("name", "code") or (self.is_op(tok, "|") and not self.open_bars):  # the text format: a |x|
            return True
        if tok.kind == "cmd" and tok.value in ("KL", "E", "Normal", *_LAW_TOKENS, "int", "prod", "tr", "diag", "lim",
                                               "cdots", "infty", "erf"):
            return True
        return super().starts_factor(tok)

    def ends_run(self, tok: _Tok) -> bool:
        if tok.kind == "cmd" and tok.value in ("KL", "E", "int", "prod", "lim", "cdots"):
            return True
        return super().ends_run(tok)

    def arg(self):
        tok = self.peek()
        if tok.kind == "name":
            self.next()
            return self.name(tok)
        if self.is_op(tok, "("):  # the text format: √(x)
            return self.atom()
        return super().arg()

    def atom(self):
        tok = self.peek()
        if self.is_op(tok, "|", "["):  # the text format: |Σ|, [f]_{x = a}
            self.next()
            return self.bracketed(tok.value, tok)
        if tok.kind == "cmd" and tok.value == "partial":  # the text format: ∂f/∂x, ∂/∂x (f)
            self.next()
            return self.text_derivative(tok)
        if tok.kind == "name":
            self.next()
            return self.name(tok)
        if tok.kind == "code":
            self.next()
            return Op("code", Str(tok.value))
        return super().atom()

    def name(self, tok: _Tok, *, label: bool = False) -> Basic:
        role = "label" if label else "value"
        wanted = [value for r, value in tok.denotes if r == role]  # type: ignore[attr-defined]
        if not wanted:
            raise ParseError(f"a {'density' if label else 'name'} was expected at this name", tok.pos)
        return wanted[0]

    def command(self, tok: _Tok):
        name = tok.value
        if name == "KL":
            self.expect_left("(")
            q = self.density_label()
            self.expect_op("|", "'\\|'")
            p = self.density_label()
            self.expect_right(")")
            return Op("KL", q, p)
        if name == "E":
            self.expect_op("_", "'_' after \\E")
            if self.is_op(self.peek(), "{"):
                self.next()
                label = self.density_label()
                self.expect_op("}", "'}'")
            else:  # the text format: E_q[...]
                label = self.density_label()
            self.expect_left("[")
            body = self.expr()
            self.expect_right("]")
            if _is_matrix(body):
                return MatOp("E", *body.shape, canonical(body), label)
            return Op("E", canonical(body), label)
        if name == "Normal":
            mean, spread = self.arguments(2)
            return Op("N", mean, spread)
        if name in _LAW_TOKENS:
            family = _LAW_TOKENS[name]
            return Op(family, *self.arguments(len(LAWS[family].parameter_names)))
        if name == "erf":
            (arg,) = self.arguments(1)
            return erf(arg)
        if name in _GREEK_FUNCTIONS and self.bracket_follows():
            (arg,) = self.arguments(1)
            return _GREEK_FUNCTIONS[name](arg)
        if name == "int":
            return self.integral(tok)
        if name == "prod":
            return self.big(tok, Product)
        if name == "sum":
            return self.big(tok, Sum)
        if name == "tr":
            (arg,) = self.arguments(1)
            return Trace(arg.as_matrix() if isinstance(arg, QuadForm) else arg)
        if name == "diag":
            entries = [canonical(a) for a in self.arguments(None)]
            indices = [i.indices[-1] for i in entries[-1].atoms(Indexed)] or [Symbol("k")]
            return MatOp("diag", indices[0], indices[0], *entries)
        if name == "frac" and self.is_op(self.peek(), "{") and self.derivative_ahead():
            return self.derivative(tok)
        if name == "lim":
            return self.limit(tok)
        if name == "cdots":
            return CDOTS
        if name == "ldots":
            return LDOTS
        if name == "infty":
            return oo
        if name == "left":
            return self.left(tok)
        return super().command(tok)

    def bracket_follows(self) -> bool:
        """Whether the next token opens a bracket (``(`` or ``\\left(``)."""
        tok = self.peek()
        return self.is_op(tok, "(") or (tok.kind == "cmd" and tok.value == "left"
                                        and self.is_op(self.toks[self.i + 1], "("))

    def arguments(self, count: int | None) -> list[Basic]:
        """``\\left(a, b, ...\\right)``."""
        self.expect_left("(")
        values = [self.expr()]
        while self.is_op(self.peek(), ","):
            self.next()
            values.append(self.expr())
        self.expect_right(")")
        if count is not None and len(values) != count:
            raise ParseError(f"expected {count} arguments, found {len(values)}", self.peek().pos)
        return values

    def expect_left(self, delimiter: str) -> None:
        tok = self.peek()
        if tok.kind == "cmd" and tok.value == "left":
            self.next()
        self.expect_op(delimiter, f"'{delimiter}'")

    def expect_right(self, delimiter: str) -> None:
        tok = self.peek()
        if tok.kind == "cmd" and tok.value == "right":
            self.next()
        self.expect_op(delimiter, f"'{delimiter}'")

    def density_label(self) -> Basic:
        tok = self.peek()
        if tok.kind == "name" and any(role == "label" for role, _ in tok.denotes):  # type: ignore[attr-defined]
            self.next()
            return _label(self.name(tok, label=True))
        applied = [v for role, v in getattr(tok, "denotes", ())
                   if role == "value" and isinstance(v, Density | ModelDensity)]
        if tok.kind == "name" and applied:  # KL(q(z) || p(z | x)): densities written applied to their variables
            self.next()
            return _label(applied[0])
        variable = self.power()
        self.expect_cmd("sim")
        law = self.atom()
        if not (isinstance(law, Op) and law.head in ("N", *_NAMED_LAWS)):
            raise ParseError("expected a law after '\\sim'", tok.pos)
        return Op("sim", canonical(variable), law)

    def integral(self, tok: _Tok) -> Basic:
        self.expect_op("_", "'_' after \\int")
        whole_line = True
        if self.is_op(self.peek(), "{") and self.toks[self.i + 1].kind == "cmd" and \
                self.toks[self.i + 1].value == "Reals":
            self.next()
            self.next()
            dim = S.One
            if self.is_op(self.peek(), "^"):
                self.next()
                dim = self.arg()
            self.expect_op("}", "'}'")
            whole_line = False
        else:
            low = self.arg()
            self.expect_op("^", "'^'")
            high = self.arg()
        body = self.expr()
        self.expect_cmd("differential")
        variable = self.power()
        if whole_line:
            return Integral(body, (variable, low, high))
        return Op("spaceintegral", canonical(body), canonical(variable), dim)

    def big(self, tok: _Tok, kind: type) -> Basic:
        self.expect_op("_", "'_'")
        self.expect_op("{", "'{'")
        index = self.power()
        self.expect_op("=", "'='")
        low = self.expr()
        self.expect_op("}", "'}'")
        self.expect_op("^", "'^'")
        high = self.arg()
        body = self.term()
        return kind(body, (index, low, high))

    def derivative_ahead(self) -> bool:
        """After ``\\frac``: ``{\\partial ...}{\\partial ...}`` or ``{d ...}{d ...}`` (not ``\\frac{d}{2}``)."""
        top = self.toks[self.i + 1]
        if _is_differential(top) != "d":
            return _is_differential(top) == "partial"
        j, depth = self.i + 1, 1
        while depth:  # the token after the numerator's closing brace
            j += 1
            depth += {"{": 1, "}": -1}.get(self.toks[j].value, 0) if self.toks[j].kind == "op" else 0
            if self.toks[j].kind == "end":
                return False
        return self.is_op(self.toks[j + 1], "{") and _is_differential(self.toks[j + 2]) == "d"

    def differential(self) -> None:
        tok = self.next()
        if not _is_differential(tok):
            raise ParseError(f"expected a differential, found {tok.value!r}", tok.pos)

    def derivative(self, tok: _Tok) -> Basic:
        self.expect_op("{", "'{'")
        self.differential()
        order = 1
        if self.is_op(self.peek(), "^"):
            self.next()
            order = int(self.arg())
        inner = None if self.is_op(self.peek(), "}") else self.expr()
        self.expect_op("}", "'}'")
        self.expect_op("{", "'{'")
        variables: list[tuple[Basic, int]] = []
        while not self.is_op(self.peek(), "}"):
            self.differential()
            variable = self.atom()
            if isinstance(variable, _NameRef):
                variable = self.resolve(variable, None, False)
            count = 1
            if self.is_op(self.peek(), "^"):
                self.next()
                count = int(self.arg())
            variables.append((variable, count))
        self.next()
        if sum(n for _, n in variables) != order:
            raise ParseError("the orders of a derivative do not match", tok.pos)
        if inner is None:
            inner = self.power()
        return Derivative(inner, *reversed(variables), evaluate=False)

    def function(self, fname: str, tok: _Tok) -> Basic:
        if self.is_op(self.peek(), "^"):  # \log^{2} x: a power of the function's value
            self.next()
            exponent = self.arg()
            return self.b.power(self.function(fname, tok), exponent, tok.pos)
        if self.is_op(self.peek(), "|"):  # the text format: log |Σ|
            return self.b.apply(fname, self.atom(), tok.pos)
        return super().function(fname, tok)

    def text_derivative(self, tok: _Tok) -> Basic:
        """``∂f/∂x``, ``∂²f/∂x²`` or ``∂/∂x (f)`` (the text format's fractions are slashes)."""
        order = 1
        if self.is_op(self.peek(), "^"):
            self.next()
            order = int(self.arg())
        factors = []
        while not self.is_op(self.peek(), "/"):
            factors.append(self.power())
        self.next()
        variables: list[tuple[Basic, int]] = []
        while self.peek().kind == "cmd" and self.peek().value == "partial":
            self.next()
            variable = self.atom()
            count = 1
            if self.is_op(self.peek(), "^"):
                self.next()
                count = int(self.arg())
            variables.append((variable, count))
        if sum(n for _, n in variables) != order:
            raise ParseError("the orders of a derivative do not match", tok.pos)
        inner = self.b.mul(factors, tok.pos) if factors else self.power()
        return Derivative(inner, *reversed(variables), evaluate=False)

    def limit(self, tok: _Tok) -> Basic:
        self.expect_op("_", "'_'")
        self.expect_op("{", "'{'")
        variable = self.power()
        self.expect_cmd("to")
        point = self.factor()
        direction = ""
        if isinstance(point, Pow) and point.args[1] in (Symbol("+"), Symbol("-")):
            point, direction = point.args[0], str(point.args[1])
        self.expect_op("}", "'}'")
        body = self.term()  # a bracketed sum, or a product (printed without a bracket of its own)
        return Op("limit", canonical(body), variable, canonical(point), Str("" if point.is_infinite else direction))

    def power(self):
        start = self.peek()
        if start.kind == "cmd" and start.value == "to":
            raise ParseError("unexpected '\\to'", start.pos)
        value = self.atom()
        sub: str | None = None
        while self.is_op(self.peek(), "_", "^"):
            tok = self.next()
            if tok.value == "_":
                if not isinstance(value, _NameRef):
                    raise ParseError("a subscript must follow a name", tok.pos)
                sub = self.subscript()
                continue
            if isinstance(value, _NameRef):
                value = self.resolve(value, sub, True)
            if self.is_op(self.peek(), "{") and self.toks[self.i + 1].kind == "cmd" and \
                    self.toks[self.i + 1].value == "top":
                self.next()
                self.next()
                self.expect_op("}", "'}'")
                value = Transpose(value)
            elif self.is_op(self.peek(), "+", "-"):  # a one-sided limit point, 0^+
                value = Pow(value, Symbol(self.next().value), evaluate=False)
            else:
                exponent = self.arg()
                value = self.b.power(value, exponent, tok.pos)
        if isinstance(value, _NameRef):
            value = self.resolve(value, sub, False)
        while self.peek().kind == "cmd" and self.peek().value == "factorial":  # k!
            self.next()
            value = factorial(value)
        return value

    def resolve(self, ref: _NameRef, sub: str | None, has_power: bool) -> Basic:
        if sub is None and ref.name == "pi":
            return sympy.pi
        if sub is None and ref.name == "e":  # a name the lexicon does not know: Euler's number
            return E
        shown = ref.name if sub is None else f"{ref.name}_{sub}"
        raise ParseError(f"unknown name '{shown}'", ref.pos)

    def left(self, tok: _Tok) -> Basic:
        delimiter = self.next()
        if self.is_op(delimiter, "[") and self.peek().kind == "cmd" and self.peek().value == "beginmatrix":
            self.next()
            rows: list[list[Basic]] = [[]]
            while True:
                rows[-1].append(self.expr())
                nxt = self.next()
                if (nxt.kind == "cmd" and nxt.value == "amp") or self.is_op(nxt, ","):
                    continue
                if nxt.kind == "cmd" and nxt.value == "newrow":
                    rows.append([])
                    continue
                if nxt.kind == "cmd" and nxt.value == "endmatrix":
                    break
                raise ParseError("unexpected token in a matrix", nxt.pos)
            self.expect_right("]")
            return ImmutableMatrix(rows)
        if not (delimiter.kind == "op" and delimiter.value in ("(", "[", "|")):
            raise ParseError(f"unsupported delimiter after '\\left': {delimiter.value!r}", delimiter.pos)
        return self.bracketed(delimiter.value, tok)

    def bracketed(self, opening: str, tok: _Tok) -> Basic:
        """What follows an opening bracket: a determinant or absolute value, ``[f]_{x = a}``, or a bracket."""
        self.open_bars += opening == "|"
        try:
            value = self.expr()
        finally:
            self.open_bars -= opening == "|"
        closing = {"(": ")", "[": "]", "|": "|"}[opening]
        self.expect_right(closing)
        if opening == "|":
            return Determinant(value) if _is_matrix(value) else self.b.apply("abs", value, tok.pos)
        if opening == "[" and self.is_op(self.peek(), "_"):  # [f]_{x = a}: evaluated at a point
            self.next()
            self.expect_op("{", "'{'")
            olds, news = [], []
            while True:
                olds.append(self.power())
                self.expect_op("=", "'='")
                news.append(self.expr())
                if not self.is_op(self.peek(), ","):
                    break
                self.next()
            self.expect_op("}", "'}'")
            return Subs(value, olds, news)
        return value


def join_lines(lines: list[str]) -> str:
    """A formula broken over display lines, joined back: each ``\\right.`` closing a line must be reopened by
    a ``\\left.`` on the next."""
    joined = lines[0]
    for line in lines[1:]:
        tail = re.search(r"(\s*\\right\.)*\s*$", joined)
        head = re.match(r"\s*(\\left\.\s*)*", line)
        closes = tail.group(0).count(r"\right.")
        opens = head.group(0).count(r"\left.")
        if closes != opens:
            raise Mismatch(f"a line break closes {closes} and the next line opens {opens} delimiters")
        joined = joined[:tail.start()] + " " + line[head.end():]
    return joined


def _unspell(tex: str, style: PrintStyle) -> str:
    """``tex`` with the style's spelled-out operators written as the printer's commands again."""
    for command, definition in style.macros():
        tex = tex.replace(definition, command)
    if style.normal != r"\Normal":
        tex = tex.replace(style.normal, r"\Normal")
    return tex


def read_latex(tex: str, expected: Basic, style: PrintStyle = MACRO_STYLE) -> Basic:
    """The expression that printed LaTeX ``tex`` denotes, names resolved against ``expected``'s names."""
    toks = lexicon(expected, style).replace(tokens(_unspell(tex, style)))
    return _Reader(toks).statement()


# ----------------------------------------------------------------------------------------------------
# Comparison
# ----------------------------------------------------------------------------------------------------

_OPAQUE_TYPES = (Op, MatOp, Integral, Sum, Product, Derivative, Subs, MatrixExpr, QuadForm, Trace, Determinant,
                 InSpace, PositiveDefinite, IndexRange, ImmutableMatrix, Indexed)


def _opaque(a: Basic, b: Basic) -> tuple[Basic, Basic, dict]:
    """Both sides with every node that is not plain algebra replaced by one symbol per distinct node."""
    table: dict[Basic, Dummy] = {}

    def walk(e: Basic) -> Basic:
        if isinstance(e, _OPAQUE_TYPES):
            if e not in table:
                table[e] = Dummy(positive=isinstance(e, Determinant), real=True)
            return table[e]
        if not e.args:
            return e
        return e.func(*[walk(x) for x in e.args])

    return walk(a), walk(b), table


def same(read: Basic, expected: Basic, points: int = 3) -> bool:
    """Whether a formula read back equals the expression it was printed from (see the module docstring)."""
    a = canonical(read)
    if a == canonical(expected, elide=False):  # every run written out in full
        return True
    b = canonical(expected)
    if a == b:
        return True
    if not (isinstance(a, Expr) and isinstance(b, Expr)):  # statements: side by side
        if type(a) is not type(b) or len(a.args) != len(b.args):
            return False
        return all(same(x, y, points) for x, y in zip(a.args, b.args, strict=True))
    if _is_matrix(a) or _is_matrix(b):
        return False
    x, y, _table = _opaque(a, b)
    difference = x - y
    if is_zero(difference):
        return True
    return _numerically_zero(difference, points)


def _numerically_zero(difference: Expr, points: int) -> bool:
    symbols = sorted(difference.free_symbols, key=str)
    rng = random.Random(2604_11744)
    for _ in range(points):
        values = {s: (rng.uniform(0.4, 2.5) if s.is_positive else rng.uniform(-2, 2)) for s in symbols}
        try:
            value = complex(difference.evalf(30, subs=values))
        except (TypeError, ValueError, ArithmeticError):
            return False
        if abs(value) > 1e-12:
            return False
    return True


def check_printed(text: str | list[str], expected: Basic, style: PrintStyle | None = MACRO_STYLE) -> Basic:
    """Read ``text`` (LaTeX in ``style``, or Unicode text when ``style`` is None; a list is display lines to
    join) and raise :class:`Mismatch` unless it equals ``expected``. Returns what was read."""
    if isinstance(text, list):
        text = join_lines(text) if style is not None else " ".join(text)
    try:
        read = read_latex(text, expected, style) if style is not None else read_text(text, expected)
    except ParseError as error:
        raise Mismatch(f"cannot read back {text!r}: {error.message}") from None
    except (TypeError, ValueError, AttributeError, IndexError) as error:  # e.g. a trace of a scalar
        raise Mismatch(f"cannot read back {text!r}: {type(error).__name__}: {error}") from None
    if not same(read, expected):
        raise Mismatch(f"{text!r} reads back as {canonical(read)}, but it was printed from {canonical(expected)}")
    return read


def read_text(text: str, expected: Basic) -> Basic:
    """The expression that the Unicode text ``text`` denotes (see ``pretty.py``)."""

    toks = lexicon(expected, MACRO_STYLE, translate=text_tokens).replace(text_tokens(text))
    return _Reader(toks).statement()


# ----------------------------------------------------------------------------------------------------
# What a document printed
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Printed:
    """One formula a render printed: the expression, the style (None for text), and the text or lines."""

    expr: Basic
    style: PrintStyle | None
    text: str | tuple[str, ...]


@contextmanager
def recording() -> Iterator[list[Printed]]:
    """Within this block, every formula a render prints (each ``show`` and each broken ``lines``) is recorded."""
    ledger: list[Printed] = []
    show, lines = _Context.show, _Context.lines

    def recorded_show(self, expr):
        text = show(self, expr)
        ledger.append(Printed(expr, self.style, text))
        return text

    def recorded_lines(self, expr, width, small=False):
        broken = lines(self, expr, width, small=small)
        ledger.append(Printed(expr, self.style, tuple(broken)))
        return broken

    _Context.show, _Context.lines = recorded_show, recorded_lines
    try:
        yield ledger
    finally:
        _Context.show, _Context.lines = show, lines


# -- reading the notation back ----------------------------------------------------------------------------------

_GREEK_COMMANDS = {v: k for k, v in GREEK_LETTERS.items()}
_UNSUPER = {v: k for k, v in SUPERSCRIPTS.items()}
_UNSUB = {v: k for k, v in SUBSCRIPTS.items()}
_UNSYMBOLS = {"∑": r"\sum", "∏": r"\prod", "∫": r"\int", "∞": r"\infty", "~": r"\sim", "∈": r"\in",
              "≻": r"\succ", "≥": r"\geq", "≤": r"\leq", "→": r"\to", "⋯": r"\cdots", "…": r"\ldots",
              "∂": r"\partial", "·": r"\cdot", "‖": r"\|", "∣": r"\mid", "ℝ": r"\mathbb{R}", "√": r"\sqrt"}
_MATRIX = {"[[": r"\left[\begin{matrix}", "]]": r"\end{matrix}\right]", "], [": r" \\ "}
_WORDS = {"log": r"\log", "ln": r"\ln", "exp": r"\exp"}
_HEADS = {"KL": (r"\KL", "("), "E": (r"\E", "_"), "N": (r"\Normal", "("), "tr": (r"\operatorname{tr}", "("),
          "erf": (r"\operatorname{erf}", "("),
          "diag": (r"\operatorname{diag}", "("), "lim": (r"\lim", "_"),
          **{family: (rf"\operatorname{{{family}}}", "(") for family in _NAMED_LAWS}}


def _as_latex(text: str) -> str:
    """Text notation as the LaTeX the reader's tokenizer reads (code excepted)."""
    text = re.sub(r"(?<![A-Za-z])d([⁰¹²³⁴⁵⁶⁷⁸⁹]*)/d(?=\S)", r"∂\1/∂", text)  # d/dt reads as ∂/∂t: the same derivative
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        matrix = next((m for m in _MATRIX if text.startswith(m, i)), None)
        if matrix is not None:
            out.append(_MATRIX[matrix])
            i += len(matrix)
        elif c == THIN and text[i + 1:i + 2] == "d":
            out.append(r"\, d")
            i += 2
        elif c in _UNSUPER or c == TRANSPOSE:
            j = i
            while j < len(text) and (text[j] in _UNSUPER or text[j] == TRANSPOSE):
                j += 1
            run = text[i:j]
            if run == TRANSPOSE:
                out.append(r"^{\top}")
            elif run in ("⁺", "⁻"):
                out.append("^" + _UNSUPER[run])
            else:
                out.append("^{" + "".join(_UNSUPER[c] for c in run) + "}")
            i = j
        elif c in _UNSUB:
            j = i
            while j < len(text) and text[j] in _UNSUB:
                j += 1
            out.append("_{" + "".join(_UNSUB[c] for c in text[i:j]) + "}")
            i = j
        elif c in _GREEK_COMMANDS:
            out.append("\\" + _GREEK_COMMANDS[c] + " ")
            i += 1
        elif c in _UNSYMBOLS:
            out.append(_UNSYMBOLS[c] + " ")
            i += 1
        elif c.isascii() and c.isalpha():
            j = i
            while j < len(text) and text[j].isascii() and text[j].isalpha():
                j += 1
            word = text[i:j]
            follower = text[j:j + 1]
            if word in _WORDS:
                out.append(_WORDS[word] + " ")
            elif word in _HEADS and follower == _HEADS[word][1]:
                out.append(_HEADS[word][0] + " ")
            elif len(word) > 1:
                out.append(rf"\mathrm{{{word}}}")
            else:
                out.append(word)
            i = j
        elif c == ",":
            out.append(",")
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def text_tokens(text: str) -> list[_Tok]:
    """The tokens of the LaTeX reader (``readback.tokens``) for Unicode ``text``; code between backticks is
    one code token."""
    out: list[_Tok] = []
    for k, part in enumerate(text.split("`")):
        if k % 2:
            out.append(_Tok("code", part, 0))
        elif part.strip():
            out.extend(t for t in tokens(_as_latex(part)) if t.kind != "end")
    out.append(_Tok("end", "", len(text)))
    return out

