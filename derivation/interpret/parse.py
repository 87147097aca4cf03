"""Whitelist parsers for the two kinds of user string: distribution specs and claimed KL formulas.

Nothing in a user string is ever executed. Python-syntax input is parsed with
``ast.parse(text, mode="eval")`` and walked against a strict whitelist that builds SymPy objects
directly; LaTeX input goes through a small tokenizer and recursive-descent parser of our own. Every
refusal, and every unexpected failure underneath (syntax errors, null bytes, deep nesting, numbers
that would take too long to build), surfaces as :class:`~derivation.core.errors.ParseError` with a
one-line message and, where known, the 0-based character position of the problem.

Specs (:func:`parse_spec`) are Python calls such as ``Normal(mu, sigma)``, ``Normal(m, logvar=lv)``,
``DiagNormal(0, 1, dim=d)`` or ``MvNormal(m, cov=S, dim=k)``; a number may be a quotient (``1/2``), a
name is ASCII or has Greek letters (spelled out: ``σ`` is ``sigma``), and names the documents use for
something else (:data:`RESERVED_NAMES`: ``pi``, ``e``, ``q``, ``p``, function names) are refused.

Claims (:func:`parse_claim`) are formulas in either syntax, detected by :func:`claim_syntax`:

* **Python / NumPy / PyTorch**: ``+ - * / **``, unary signs, parentheses, numbers (floats are
  converted exactly from their decimal text: ``0.1`` is 1/10, ``1e-20`` is 10**-20), names, the
  functions ``exp log sqrt expm1 log1p softplus abs square sum mean pow power`` (optionally prefixed by
  ``torch.``, ``np.``, ``numpy.``, ``F.``, ``math.`` or ``torch.nn.functional.``), the tensor methods
  ``.pow(n) .exp() .log() .sqrt() .abs() .square() .log1p() .expm1() .sum() .mean()``, and the
  constants ``pi`` (when no symbol is called ``pi``), ``math.pi``/``np.pi``/``torch.pi`` and
  ``math.e``/``np.e``. ``sum``/``mean`` accept (and ignore) one axis given as an integer, positionally
  or as ``dim=``/``axis=``.
  With vectors, the losses ``F.mse_loss``, ``F.binary_cross_entropy`` and ``F.binary_cross_entropy_with_logits``
  (:data:`LOSSES`, under ``F.`` or ``torch.nn.functional.``; the prediction, then the target, and
  ``reduction='sum'`` or ``'mean'``, the default) are the sum or the mean over the coordinates of
  ``(a - b)**2``, ``-(b log a + (1 - b) log(1 - a))`` and ``log(1 + exp(a)) - b a``.
  ``lambda`` is a name (a lambda expression is still refused); Greek letters in names are spelled out
  (``μ`` is ``mu``). In a reduction over a reduction, ``torch.mean(x.sum(dim=1), dim=0)`` (every vector
  inside the inner one), the inner one runs over the latent coordinates and the outer one over a batch
  of examples: for the one example a claim is about, it is the inner value.
* **LaTeX** (see :class:`_LatexParser` for the grammar), optionally wrapped in ``$...$``, ``$$...$$``,
  ``\\(...\\)`` or ``\\[...\\]`` and after ``\\mathrm{KL}(q \\| p) =``. Reading conventions:

  - A run of adjacent letters and digits that is one of the claim's names reads as that name (the
    longest such run: ``lv`` is ``lv`` when there is a symbol ``lv``); other plain letters are
    one-letter names (``ab`` is ``a*b``); a multi-letter name may also be written
    ``\\mathrm{logvar}``, ``\\operatorname{logvar}`` or ``\\text{logvar}``. Greek commands map through
    :data:`GREEK` (``\\mu`` -> ``mu``); ``\\pi`` is the constant pi unless a symbol ``pi`` exists, and
    ``e`` followed by ``^`` is Euler's number unless a symbol ``e`` exists.
  - A subscripted name ``\\sigma_1`` / ``\\sigma_{1}`` resolves to the symbol ``sigma1`` or, failing
    that, ``sigma_1``; inside a ``\\sum`` whose index letter is the subscript it is the vector element.
  - ``x^23`` is ``x**2 * 3`` and ``\\frac12`` is ``1/2``, as TeX reads them: an unbraced script or
    ``\\frac`` argument is a single character or command.
  - Implicit multiplication binds like ``*`` (``2\\sigma^2``, ``\\mu^{2}\\sigma``). ``/``, ``\\cdot`` and
    ``\\times`` are the explicit operators.
  - A function without parentheses (``\\log``, ``\\ln``, ``\\exp`` or a function-named ``\\mathrm``)
    applies to the whole run of implicitly multiplied factors that follows it, powers included, up to
    the next ``+``, ``-``, explicit operator, closing bracket or next function: ``\\log\\sigma^{2}`` is
    ``log(sigma**2)``, ``\\log\\frac{a}{b}`` is ``log(a/b)`` and ``\\log 2\\pi\\sigma^2`` is
    ``log(2*pi*sigma**2)``. With a bracketed argument the function takes just that bracket and a
    following power applies to the result: ``\\log(x)^2`` is ``log(x)**2``.
  - ``\\sum_{j=1}^{d}`` / ``\\sum_{j}`` / ``\\sum_j`` sums over the latent dimension; its body is the rest
    of the product it starts (it ends at the next top-level ``+`` or ``-``), so
    ``\\sum_j \\mu_j^2 - 1`` is ``(sum of mu_j**2) - 1``. The index letter may differ from ``index``
    (it is substituted); a lower limit must be 1 and an upper limit must be ``dim``.
  - ``|x|`` and ``\\left| x \\right|`` are absolute values; ``\\boldsymbol{\\mu}``/``\\mathbf{x}`` are
    transparent; spacing (``\\, \\; \\! \\quad``) and size commands (``\\bigl``...) are ignored.

A formula with neither a backslash nor ``^{``/``_{`` is Python, so ``x^2`` is refused with a hint to
write ``x**2`` (or ``x^{2}``).

Limits (each a ParseError): input over :data:`MAX_LENGTH` characters; nesting deeper than
:data:`MAX_DEPTH`; a number of magnitude over :data:`MAX_EXPONENT` inside an exponent or the
argument of ``exp``/``expm1``/``softplus`` (``x**10**10``, ``2**99999``); number literals with more
than :data:`MAX_DIGITS` significant digits; and exact numbers that would grow past
:data:`MAX_NUMBER_BITS` bits (``1000**1000``), which keeps SymPy's exact arithmetic fast.

Name resolution (both syntaxes): a name must be a key of ``symbols`` (it maps to that exact object)
or of ``vectors``. As conveniences, the name of ``dim`` (when it is a Symbol) means ``dim``, and
``pi`` means the constant. Inside a reduction (``sum``/``mean``/``\\sum``) a name that is a key of
``vectors`` means the element ``vectors[name][index]``, even if ``symbols`` also has it; outside, a
vector name is refused.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import NoReturn, TypeVar

import sympy
from sympy import Abs, Dummy, E, Expr, IndexedBase, Integer, Rational, S, Sum, Symbol

from ..core.errors import ParseError
from ..core.functions import XLogY
from .families import DOMAINS, FAMILIES, FAMILY, LOCATION, ONE, PARAMETERS, VECTOR, Family

__all__ = [
    "ALIASES",
    "FUNCTIONS",
    "GREEK",
    "MAX_DEPTH",
    "MAX_DIGITS",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "MAX_NUMBER_BITS",
    "RESERVED_NAMES",
    "DistSpec",
    "Literal",
    "ParsedClaim",
    "Requirement",
    "claim_syntax",
    "parse_claim",
    "parse_spec",
    "read_claim",
]

MAX_LENGTH = 2000
"""Longest accepted input, in characters."""
MAX_DEPTH = 100
"""Deepest accepted nesting (brackets, calls, unary signs, powers)."""
MAX_EXPONENT = 1000
"""Largest magnitude of any number inside an exponent (or the argument of exp)."""
MAX_DIGITS = 30
"""Most significant digits in a number literal."""
MAX_NUMBER_BITS = 3000
"""Budget for the bits of all numbers in an expression; keeps SymPy's exact arithmetic fast."""

GREEK: Mapping[str, str] = {
    **{
        f"\\{name}": name
        for name in (
            *("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"),
            *("lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi"),
            *("chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma"),
            *("Upsilon", "Phi", "Psi", "Omega"),
        )
    },
    "\\varepsilon": "epsilon",
    "\\vartheta": "theta",
    "\\varpi": "pi",
    "\\varrho": "rho",
    "\\varsigma": "sigma",
    "\\varphi": "phi",
}
"""LaTeX greek commands (with their backslash) and the symbol names they denote."""

UNICODE_GREEK: Mapping[str, str] = {
    **dict(zip("αβγδεζηθικλμνξοπρστυφχψω", (
        *("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda"),
        *("mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega"),
    ), strict=True)),
    **dict(zip("ΓΔΘΛΞΠΣΥΦΨΩ", ("Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi",
                             "Omega"), strict=True)),
    "ς": "sigma", "ϵ": "epsilon", "ϑ": "theta", "ϕ": "phi", "ϱ": "rho", "ϖ": "pi", "µ": "mu",
}
"""Greek letters written as Unicode characters and the names they stand for (``μ`` is ``mu``): a document
prints ``mu`` as ``\\mu``, so a spec ``Normal(μ, σ)`` reads as ``Normal(mu, sigma)``."""

RESERVED_NAMES: Mapping[str, str] = {
    "pi": "the constant pi", "e": "Euler's number e", "E": "Euler's number e", "I": "the imaginary unit",
    "q": "the first density q", "p": "the second density p",
    **{name: f"the function {name}" for name in ("exp", "log", "ln", "sqrt", "expm1", "log1p", "softplus",
                                                  "abs", "square", "pow", "power", "sum", "mean")},
}
"""Names a parameter may not have, because a document already uses them for something else (a formula with a
parameter called ``e`` or ``q`` would print ambiguously, ``log(2 pi e^2)`` or ``q = N(q, p^2)``)."""


def ascii_name(name: str, pos: int | None = None) -> str:
    """``name`` with its Greek letters spelled out (``μ1`` -> ``mu1``); a name with any other character that is
    not an ASCII letter, digit or ``_`` cannot be printed and is refused."""
    if name.isascii():
        return name
    spelled = "".join(UNICODE_GREEK.get(ch, ch) for ch in name)
    if not spelled.isascii():
        bad = next(ch for ch in spelled if not ch.isascii())
        raise ParseError(f"name {name!r} has the character {bad!r}, which a document cannot print: use ASCII "
                         "letters, digits and _, or Greek letters", pos)
    return spelled


FUNCTIONS: tuple[str, ...] = (
    "exp",
    "log",
    "sqrt",
    "expm1",
    "log1p",
    "softplus",
    "abs",
    "square",
    "pow",
    "power",
    "sum",
    "mean",
    "sigmoid",
    "logsigmoid",
    "lgamma",
    "digamma",
    "xlogy",
    "gammaln",
    "expit",
    "softmax",
    "log_softmax",
    "logsumexp",
)
"""Function names a Python-syntax claim may call."""

#: Other libraries' names of whitelisted functions (``scipy.special.gammaln`` is ``lgamma``); ``psi`` only under a
#: module prefix (a parameter may be called psi).
ALIASES: Mapping[str, str] = MappingProxyType({
    "gammaln": "lgamma", "expit": "sigmoid", "log_sigmoid": "logsigmoid", "log_expit": "logsigmoid",
    "psi": "digamma", "loggamma": "lgamma",
})

#: Largest number of trials of a Binomial spec given as a number (its sum has that many terms).
MAX_TRIALS = 10_000


def _parameters_form(family: Family) -> tuple[str, str]:
    """How a spec of a family read by its own parameters is written (``Gamma(concentration, rate)``), and its
    parameterisations' domains."""
    first, *others = family.parameterisations
    written = f"{family.name}({', '.join(p.name for p in (*family.leading, first))})"
    if family.ordered:
        return written, f"{family.leading[0].name} < {first.name}, both real"
    alternatives = "".join(f" (or {p.name}= {DOMAINS[p.domain]})" for p in others)
    return written, "; ".join([*(f"{p.name} {DOMAINS[p.domain]}" for p in family.leading),
                               f"{first.name} {DOMAINS[first.domain]}{alternatives}"])


def _one_form(family: Family) -> tuple[str, str]:
    """How a spec of a family of one parameter is written (``Bernoulli(probs) or Bernoulli(logits=...)``), and the
    domains of its leading count and parameterisations."""
    lead = "".join(f"{p.name}, " for p in family.leading)
    first, *others = family.kinds
    written = " or ".join([f"{family.name}({lead}{first})", *(f"{family.name}({lead}{kind}=...)" for kind in others)])
    return written, "; ".join(f"{p.name} {DOMAINS[p.domain]}" for p in (*family.leading, *family.parameterisations))


def spec_forms() -> tuple[tuple[str, str, str], ...]:
    """``(family, how a spec is written, its parameterisations)`` for every family the spec parser takes
    (:data:`~.families.FAMILIES`, in its order)."""
    forms = []
    for family in FAMILIES:
        written, described = _one_form(family) if family.reader == ONE else _parameters_form(family)
        forms.append((family.name, family.written or written, family.described or described))
    return tuple(forms)


_MODULES = frozenset({"torch", "np", "numpy", "F", "math", "torch.nn.functional", "torch.special", "special",
                      "scipy.special", "jnp", "jax.numpy", "jax.nn", "jax.scipy.special", "nn.functional", "tf.math"})
_REDUCTIONS = frozenset({"sum", "mean"})
#: Losses of ``torch.nn.functional`` a claim may call as ``F.<name>(prediction, target, reduction=...)``: each is a
#: reduction (``'mean'`` by default, ``'sum'``) over the coordinates of what it computes per coordinate.
LOSSES: tuple[str, ...] = ("mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div")
#: Functions of a whole vector over the categories (a categorical law's logits): ``softmax``/``log_softmax`` (a
#: vector, so inside a sum), ``logsumexp`` (a number).
_CATEGORY_FUNCTIONS = frozenset({"softmax", "log_softmax", "logsumexp"})
_BINARY = frozenset({"pow", "power", "xlogy"})
_METHODS = frozenset({"pow", "exp", "log", "sqrt", "abs", "square", "log1p", "expm1", "sum", "mean", "sigmoid",
                      "lgamma", "digamma", "xlogy", "softmax", "log_softmax", "logsumexp"})
_MODULE_CONSTANTS = {"pi": sympy.pi, "e": E}
_UNDEFINED = (S.ComplexInfinity, S.NaN, S.Infinity, S.NegativeInfinity)


# ----------------------------------------------------------------------------------------------------
# Specs
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DistSpec:
    """A parsed distribution spec such as ``Normal(mu, sigma)``.

    ``loc`` and ``param`` are Symbols (with assumptions: loc real; scale, var, precision and cov
    positive; logvar and log_scale real) or exact numbers. ``dim`` is ``None`` for ``Normal`` and a
    positive ``int`` or a positive-integer Symbol otherwise. A family read by its own parameters keeps its leading
    parameter in ``loc`` (Gamma's concentration; None for Exponential) and its rate or scale in ``param``.
    ``text`` is the string as given.
    """

    family: str
    loc: Expr | None  # a family of one parameter: its leading count, or None (no location)
    param_kind: str
    param: Expr
    dim: int | Symbol | None
    text: str


def parse_spec(text: str) -> DistSpec:
    """Parse a spec: ``Normal(LOC, SCALE)``, ``Normal(LOC, var=V)`` (or ``scale=``, ``logvar=``,
    ``log_scale=``, ``precision=``), ``DiagNormal(LOC, SCALE-or-keyword, dim=D)``,
    ``MvNormal(LOC, cov=SIGMA, dim=K)``, ``Laplace(LOC, SCALE)``, ``Exponential(RATE)`` (or ``scale=``) or
    ``Gamma(CONCENTRATION, RATE)`` (or ``scale=``). ``loc=`` (and ``scale=``) may also be given as keywords.

    Raises :class:`ParseError` for anything else.
    """
    return _guarded(text, lambda src, base: _SpecParser(text, src, base).parse())


def claim_syntax(text: str) -> str:
    """``"latex"`` if ``text`` contains a backslash, ``^{`` or ``_{``; otherwise ``"python"``."""
    return "latex" if ("\\" in text or "^{" in text or "_{" in text) else "python"


def parse_claim(
    text: str,
    symbols: Mapping[str, Symbol],
    *,
    vectors: Mapping[str, IndexedBase] | None = None,
    index: Symbol | None = None,
    dim: Expr | None = None,
) -> Expr:
    """Parse a claimed formula (Python or LaTeX syntax, see :func:`claim_syntax`) into a SymPy expression.

    ``symbols`` maps the names the claim may use to the exact Symbols to use. ``vectors`` maps the
    names of per-dimension parameters to IndexedBases; inside a reduction they become
    ``vectors[name][index]`` and the reduction becomes ``Sum(body, (index, 1, dim))`` (a mean divides
    that by ``dim``). When ``vectors`` is given, ``index`` and ``dim`` must be too (``ValueError``
    otherwise: that is a programming error, not bad user input).
    """
    return read_claim(text, symbols, vectors=vectors, index=index, dim=dim).expr


@dataclass(frozen=True)
class Literal:
    """A float literal of a Python-syntax claim: its text, its exact decimal value and its position."""

    text: str
    value: Rational
    pos: int


@dataclass(frozen=True)
class ParsedClaim:
    """A claim as :func:`read_claim` returns it: the expression, where the code it stands for is defined
    over the reals (its :class:`Requirement` s, inner operations first), its syntax (``"python"`` or
    ``"latex"``) and the float literals of a Python-syntax claim (in order)."""

    expr: Expr
    requirements: tuple[Requirement, ...]
    syntax: str
    literals: tuple[Literal, ...] = ()


def read_claim(
    text: str,
    symbols: Mapping[str, Symbol],
    *,
    vectors: Mapping[str, IndexedBase] | None = None,
    index: Symbol | None = None,
    dim: Expr | None = None,
    literal_symbols: Mapping[int, Symbol] | None = None,
) -> ParsedClaim:
    """:func:`parse_claim`, with the claim's real domain and float literals (a :class:`ParsedClaim`).

    ``literal_symbols`` maps the positions of float literals to symbols that stand in their place (so a
    literal can be solved for). A LaTeX claim may be wrapped in ``$...$``, ``$$...$$``, ``\\(...\\)`` or
    ``\\[...\\]`` and may start with ``\\mathrm{KL}(q \\| p) =`` (or ``D_{\\mathrm{KL}}(...) =``, ``KL(...) =``).
    """
    if vectors is not None and (index is None or dim is None):
        raise ValueError("parse_claim: vectors need both index and dim")
    if isinstance(dim, int):
        dim = Integer(dim)
    names = _Names(symbols, vectors or {}, vectors is not None, index, dim)

    def run(src: str, base: int) -> ParsedClaim:
        builder = _Builder()
        src, base, math = _unwrapped(src, base)
        literals: list[Literal] = []
        if math or claim_syntax(src) == "latex":
            syntax = "latex"
            tokens = _tokenize_latex(src, base)
            result = _LatexParser(tokens, names, builder).parse()
        else:
            syntax = "python"
            result = _PythonClaim(text, src, base, names, builder, literals, literal_symbols or {}).parse()
        if not isinstance(result, Expr):
            raise ParseError("the claim is not an expression")
        if result.has(*_UNDEFINED):
            raise ParseError("the claim is undefined or infinite (division by zero or log(0)?)")
        return ParsedClaim(result, tuple(builder.requirements), syntax, tuple(literals))

    return _guarded(text, run)


_MATH_WRAPPERS = (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]"))
_KL_HEAD = re.compile(r"\s*(?:D_\{?(?:\\mathrm\{KL\}|\\operatorname\{KL\}|\\text\{KL\}|KL)\}?|\\mathrm\{KL\}|"
                      r"\\operatorname\{KL\}|\\text\{KL\}|\\mathrm\{D\}_\{?\\mathrm\{KL\}\}?|KL)\s*(?:\\left\s*)?\(")


def _unwrapped(src: str, base: int) -> tuple[str, int, bool]:
    """``src`` without a math-mode wrapper (``$...$``) and a leading ``\\mathrm{KL}(q \\| p) =``; the offset of
    what is left, and whether it was marked as mathematics (then it is read as LaTeX)."""
    math = False
    for start, end in _MATH_WRAPPERS:
        if len(src) >= len(start) + len(end) and src.startswith(start) and src.endswith(end):
            inner = src[len(start): len(src) - len(end)]
            if start == "$" and "$" in inner:
                continue
            src, base, math = inner, base + len(start), True
            break
    head = _KL_HEAD.match(src)
    if head is not None:
        depth, i = 1, head.end()
        while i < len(src) and depth:
            depth += {"(": 1, ")": -1}.get(src[i], 0)
            i += 1
        rest = re.match(r"\s*=", src[i:]) if not depth else None
        if rest is not None:  # the formula after it is LaTeX if the head was (KL(q||p) = ... may be Python)
            math = math or "\\" in src[:i]
            src, base = src[i + rest.end():], base + i + rest.end()
    stripped = src.lstrip()
    base += len(src) - len(stripped)
    src = stripped.rstrip()
    if not src:
        raise ParseError("empty formula", base)
    return src, base, math


# ----------------------------------------------------------------------------------------------------
# Shared plumbing
# ----------------------------------------------------------------------------------------------------


_T = TypeVar("_T")


def _guarded(text: object, run: Callable[[str, int], _T]) -> _T:
    """Common checks, then ``run(stripped_text, offset_of_stripped_text)``; every failure -> ParseError."""
    if not isinstance(text, str):
        raise ParseError(f"expected a string, got {type(text).__name__}")
    try:
        if len(text) > MAX_LENGTH:
            message = f"input too long ({len(text)} characters; the limit is {MAX_LENGTH})"
            raise ParseError(message, MAX_LENGTH)
        if "\x00" in text:
            raise ParseError("null byte in input", text.index("\x00"))
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as err:
            raise ParseError("invalid character (a lone surrogate)", err.start) from None
        src = text.strip()
        if not src:
            raise ParseError("empty input", 0)
        base = len(text) - len(text.lstrip())
        _check_bracket_depth(src, base)
        return run(src, base)
    except ParseError as err:
        if err.text is None:
            raise ParseError(err.message, err.position, text) from None
        raise
    except (RecursionError, MemoryError):
        raise ParseError("expression nested too deeply or too large", None, text) from None
    except Exception as err:  # the contract: nothing but ParseError escapes
        raise ParseError(f"could not parse the input ({type(err).__name__})", None, text) from None


def _check_bracket_depth(src: str, base: int) -> None:
    depth = 0
    for i, ch in enumerate(src):
        if ch in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise ParseError(f"nested too deeply (more than {MAX_DEPTH} levels of brackets)", base + i)
        elif ch in ")]}":
            depth -= 1


def _decimal_to_rational(literal: str, pos: int | None) -> Rational:
    """The exact value of a decimal literal (``0.5`` -> 1/2, ``1e-3`` -> 1/1000)."""
    try:
        value = Decimal(literal.replace("_", ""))
    except InvalidOperation:
        raise ParseError(f"invalid number {literal!r}", pos) from None
    if not value.is_finite():
        raise ParseError(f"invalid number {literal!r}", pos)
    digits = value.as_tuple().digits
    significant = len("".join(map(str, digits)).lstrip("0"))
    if significant > MAX_DIGITS:
        raise ParseError(f"number literal too long (more than {MAX_DIGITS} digits)", pos)
    if value != 0 and abs(value.adjusted()) > 100:
        raise ParseError("number literal too large or too small (exponent beyond 1e±100)", pos)
    num, den = value.as_integer_ratio()
    return Rational(num, den)


@dataclass(frozen=True)
class Requirement:
    """Where the code a claim stands for is defined over the reals: ``expr`` must be ``> 0`` (a logarithm's
    argument, a base under a negative non-integer power), ``>= 0`` (a square root's argument, a base under a
    non-integer power) or ``!= 0`` (a divisor). ``what`` names the operation, e.g. ``"the logarithm of"``.

    SymPy's own arithmetic is complex-valued (``sqrt(x)**2`` is ``x``, ``0*log(x)`` is ``0``), so the
    parser records these conditions as it builds, before SymPy simplifies them away; NumPy and PyTorch
    give NaN or infinity wherever one fails.
    """

    expr: Expr
    relation: str  # ">0", ">=0" or "!=0"
    what: str


class _Builder:
    """Builds SymPy objects with size guards, so that exact arithmetic never runs away; records where the
    result is defined over the reals (:class:`Requirement`)."""

    def __init__(self) -> None:
        self._bits: dict[sympy.Basic, int] = {}
        self.requirements: list[Requirement] = []

    def require(self, expr: Expr, relation: str, what: str) -> None:
        """Record that ``expr`` must satisfy ``relation`` (unless that is plainly true of a number)."""
        if expr.is_number and {">0": expr.is_positive, ">=0": expr.is_nonnegative, "!=0": expr.is_nonzero}[relation]:
            return
        self.requirements.append(Requirement(expr, relation, what))

    def bits(self, expr: sympy.Basic) -> int:
        """Total bit length of the numbers in ``expr`` (memoised)."""
        cached = self._bits.get(expr)
        if cached is not None:
            return cached
        if isinstance(expr, Rational):
            n = int(expr.p).bit_length() + (int(expr.q).bit_length() if expr.q != 1 else 0)
        else:
            n = sum(self.bits(a) for a in expr.args)
        self._bits[expr] = n
        return n

    def _checked(self, result: Expr, pos: int | None) -> Expr:
        if self.bits(result) > MAX_NUMBER_BITS:
            raise ParseError("numbers in the expression are too large", pos)
        return result

    def _budget(self, operands: list[Expr], pos: int | None) -> None:
        if sum(self.bits(o) for o in operands) > MAX_NUMBER_BITS:
            raise ParseError("numbers in the expression are too large", pos)

    def add(self, terms: list[Expr], pos: int | None) -> Expr:
        if len(terms) == 1:
            return terms[0]
        self._budget(terms, pos)
        return self._checked(sympy.Add(*terms), pos)

    def mul(self, factors: list[Expr], pos: int | None) -> Expr:
        if len(factors) == 1:
            return factors[0]
        self._budget(factors, pos)
        return self._checked(sympy.Mul(*factors), pos)

    def neg(self, value: Expr, pos: int | None) -> Expr:
        return self._checked(-value, pos)

    def reciprocal(self, value: Expr, pos: int | None) -> Expr:
        if value == 0:
            raise ParseError("division by zero", pos)
        self.require(value, "!=0", "division by")
        return self._checked(sympy.Pow(value, -1), pos)

    def div(self, num: Expr, den: Expr, pos: int | None) -> Expr:
        return self.mul([num, self.reciprocal(den, pos)], pos)

    def check_exponent(self, exponent: Expr, pos: int | None) -> None:
        """Refuse exponents (and exp arguments) containing a number of magnitude over MAX_EXPONENT."""
        if exponent.has(*_UNDEFINED):
            raise ParseError("undefined exponent", pos)
        for atom in exponent.atoms(Rational):
            if abs(atom) > MAX_EXPONENT:
                raise ParseError(f"exponent too large (a number of magnitude over {MAX_EXPONENT})", pos)

    def power(self, base: Expr, exponent: Expr, pos: int | None) -> Expr:
        self.check_exponent(exponent, pos)
        if base == 0 and exponent.is_negative:
            raise ParseError("division by zero (0 to a negative power)", pos)
        base_bits = self.bits(base)
        distributes = isinstance(base, (Rational, sympy.Mul, sympy.Pow))
        if (
            isinstance(exponent, Rational)
            and distributes
            and base_bits * max(1, abs(float(exponent))) > (MAX_NUMBER_BITS)
        ):
            raise ParseError("power too large", pos)
        self._budget([base, exponent], pos)
        if exponent.is_Integer:
            if exponent.is_negative:
                self.require(base, "!=0", "division by")
        elif exponent.is_number and exponent.is_positive:
            self.require(base, ">=0", "a non-integer power of" if exponent != S.Half else "the square root of")
        else:
            self.require(base, ">0", "a non-integer power of")
        return self._checked(sympy.Pow(base, exponent), pos)

    def apply(self, name: str, arg: Expr, pos: int | None) -> Expr:
        """Apply a whitelisted function by name."""
        if name == "exp":
            self.check_exponent(arg, pos)
            return self._checked(sympy.exp(arg), pos)
        if name in ("log", "ln"):
            self.require(arg, ">0", "the logarithm of")
            return self._checked(sympy.log(arg), pos)
        if name == "sqrt":
            return self.power(arg, Rational(1, 2), pos)
        if name == "square":
            return self.power(arg, Integer(2), pos)
        if name == "abs":
            return self._checked(Abs(arg), pos)
        if name == "expm1":
            self.check_exponent(arg, pos)
            return self._checked(sympy.exp(arg) - 1, pos)
        if name == "log1p":
            self.require(1 + arg, ">0", "the logarithm of")
            return self._checked(sympy.log(1 + arg), pos)
        if name == "softplus":
            self.check_exponent(arg, pos)
            return self._checked(sympy.log(1 + sympy.exp(arg)), pos)
        if name in ("sigmoid", "expit"):  # the logistic function 1/(1 + e^-x)
            self.check_exponent(arg, pos)
            return self._checked(1 / (1 + sympy.exp(-arg)), pos)
        if name == "logsigmoid":  # log(1/(1 + e^-x)) = -softplus(-x)
            self.check_exponent(arg, pos)
            return self._checked(-sympy.log(1 + sympy.exp(-arg)), pos)
        if name in ("lgamma", "gammaln"):  # log|Gamma(x)|, as torch.lgamma and scipy.special.gammaln compute it
            return self._checked(sympy.log(Abs(sympy.gamma(arg))), pos)
        if name == "digamma":
            return self._checked(sympy.polygamma(0, arg), pos)
        raise ParseError(f"unknown function '{name}'", pos)

    def xlogy(self, x: Expr, y: Expr, pos: int | None) -> Expr:
        """``xlogy(x, y) = x log(y)`` (torch, SciPy and JAX define it as 0 where x = 0): ``x log x`` is defined for
        x >= 0 (an :class:`~derivation.core.functions.XLogY`, 0 at 0), ``x log y`` otherwise where y > 0."""
        if x == y and not x.has(sympy.Indexed):  # (a vector's entries: x log x, as the sums over them are proved)
            self.require(y, ">=0", "x log x of")
            return self._checked(XLogY(x, y), pos)
        self.require(y, ">0", "the logarithm of")
        return self._checked(x * sympy.log(y), pos)


class _Names:
    """Name resolution shared by both syntaxes."""

    def __init__(
        self,
        symbols: Mapping[str, Symbol],
        vectors: Mapping[str, IndexedBase],
        has_vectors: bool,
        index: Symbol | None,
        dim: Expr | None,
    ) -> None:
        self.symbols = symbols
        self.vectors = vectors
        self.has_vectors = has_vectors
        self.index = index
        self.dim = dim

    def known(self, name: str) -> bool:
        return name in self.symbols or name in self.vectors

    def resolve(self, name: str, pos: int | None, *, reducing: bool, latex: bool) -> Expr:
        if reducing and name in self.vectors:
            return self.vectors[name][self.index]
        if name in self.symbols:
            return self.symbols[name]
        if name in self.vectors:
            hint = "\\sum_{j=1}^{d} ..." if latex else "sum(...)"
            raise ParseError(f"'{name}' is a vector over the latent dimension; sum it, e.g. {hint}", pos)
        if isinstance(self.dim, Symbol) and name == self.dim.name:
            return self.dim
        if name == "pi":
            return sympy.pi
        if not latex and name in FUNCTIONS:
            raise ParseError(f"'{name}' is a function; call it, e.g. {name}(x)", pos)
        raise ParseError(f"unknown symbol '{name}'", pos)

    def reduce(self, kind: str, body: Expr, builder: _Builder, pos: int | None) -> Expr:
        assert self.index is not None and self.dim is not None
        total = Sum(body, (self.index, 1, self.dim))
        if kind == "mean":
            return builder.div(total, self.dim, pos)
        return total


# ----------------------------------------------------------------------------------------------------
# Python syntax (ast whitelist)
# ----------------------------------------------------------------------------------------------------

_NEWLINE = re.compile(r"\r\n|\r|\n")

_REFUSED_NODES: dict[type, str] = {
    ast.Lambda: "lambda expressions are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.Subscript: "subscripts (x[...]) are not allowed",
    ast.Slice: "slices are not allowed",
    ast.IfExp: "conditional expressions (a if c else b) are not allowed",
    ast.Compare: "comparisons are not allowed",
    ast.BoolOp: "boolean operators (and/or) are not allowed",
    ast.NamedExpr: "assignment expressions (:=) are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.FormattedValue: "f-strings are not allowed",
    ast.Starred: "starred arguments are not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
    ast.List: "lists are not allowed",
    ast.Tuple: "tuples are not allowed",
    ast.Set: "sets are not allowed",
    ast.Dict: "dicts are not allowed",
}

_BINOP_SYMBOLS: dict[type, str] = {
    ast.BitXor: "^",
    ast.MatMult: "@",
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
}


class _PyText:
    """Maps ast (line, UTF-8 byte column) positions back to character offsets in the original text."""

    def __init__(self, src: str, base: int) -> None:
        self.src = src
        self.base = base
        starts = [0]
        for m in _NEWLINE.finditer(src):
            starts.append(m.end())
        self.starts = starts

    def pos(self, node: ast.AST) -> int | None:
        return self._offset(getattr(node, "lineno", None), getattr(node, "col_offset", None))

    def end_pos(self, node: ast.AST) -> int | None:
        return self._offset(getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None))

    def _offset(self, lineno: int | None, col: int | None) -> int | None:
        """The character offset of an ast (line, UTF-8 byte column) position in the original string."""
        if lineno is None or col is None or not 1 <= lineno <= len(self.starts):
            return None
        start = self.starts[lineno - 1]
        end = self.starts[lineno] if lineno < len(self.starts) else len(self.src)
        line = self.src[start:end].encode("utf-8")
        return self.base + start + len(line[:col].decode("utf-8", errors="ignore"))

    def segment(self, node: ast.AST) -> str:
        start, end = self.pos(node), self.end_pos(node)
        if start is None or end is None:
            return ""
        return self.src[start - self.base : end - self.base]

    def parse(self) -> ast.expr:
        # ``lambda`` as a name (a Greek letter): spelled with U+2113, which Python's NFKC normalisation of
        # identifiers reads back as "lambda" (one character for one, so every position stays)
        source = self.src = _LAMBDA_NAME.sub("\u2113ambda", self.src)  # positions are read from what is parsed
        try:
            tree = _ast_eval(source)
        except SyntaxError as err:
            pos = None
            known = err.lineno is not None and err.offset is not None and err.offset >= 1
            if known and 1 <= err.lineno <= len(self.starts):
                pos = self.base + self.starts[err.lineno - 1] + max(err.offset - 1, 0)
                pos = min(pos, self.base + len(self.src))
            msg = (err.msg or "invalid syntax").splitlines()[0]
            if _incomplete(source):
                msg, pos = "the formula ends too early (an operand is missing at the end)", self.base + len(self.src)
            elif pos is None:
                pos = self.base
            raise ParseError(f"invalid syntax: {msg}", pos) from None
        return tree.body


_LAMBDA_NAME = re.compile(r"(?<![\w.])lambda\b(?![\w\s,*=]*:)")


def _ast_eval(source: str) -> ast.Expression:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source, mode="eval")


def _incomplete(source: str) -> bool:
    """Whether ``source`` is a valid expression once an operand is put at its end (``mu +``)."""
    try:
        _ast_eval(source + " 0")
    except (SyntaxError, ValueError):
        return False
    return True


def _refuse_node(node: ast.AST, where: _PyText) -> NoReturn:
    if isinstance(node, ast.Attribute):
        if node.attr.startswith("_"):
            raise ParseError(f"attribute '{node.attr}' is not allowed", where.pos(node))
        raise ParseError("attribute access is not allowed", where.pos(node))
    if isinstance(node, ast.Call):
        raise ParseError("only whitelisted functions may be called", where.pos(node))
    message = _REFUSED_NODES.get(type(node), f"{type(node).__name__} is not allowed")
    raise ParseError(message, where.pos(node))


def dotted_name(node: ast.AST) -> str | None:
    """``torch.nn.functional`` for a chain of plain names and attributes, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _int_literal(node: ast.AST) -> int | None:
    """The value of ``3`` or ``-1`` (an int literal, optionally negated), else None."""
    negative = False
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        negative = isinstance(node.op, ast.USub)
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) is int and abs(node.value) < 10**MAX_DIGITS:
        return -node.value if negative else node.value
    return None


class _PythonClaim:
    """Walks the ast of a Python-syntax claim against the whitelist, building SymPy objects."""

    def __init__(self, text: str, src: str, base: int, names: _Names, builder: _Builder,
                 literals: list[Literal] | None = None, literal_symbols: Mapping[int, Symbol] | None = None) -> None:
        self.text = text
        self.where = _PyText(src, base)
        self.names = names
        self.b = builder
        self.reducing = False
        self.literals = literals if literals is not None else []
        self.literal_symbols = literal_symbols or {}

    def parse(self) -> Expr:
        return self.visit(self.where.parse(), 0)

    def pos(self, node: ast.AST) -> int | None:
        return self.where.pos(node)

    def visit(self, node: ast.AST, depth: int) -> Expr:
        if depth > MAX_DEPTH:
            raise ParseError(f"expression nested too deeply (more than {MAX_DEPTH} levels)", self.pos(node))
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            name = node.id if self.names.known(node.id) else ascii_name(node.id, self.pos(node))
            return self.names.resolve(name, self.pos(node), reducing=self.reducing, latex=False)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return self.b.neg(self.visit(node.operand, depth + 1), self.pos(node))
            if isinstance(node.op, ast.UAdd):
                return self.visit(node.operand, depth + 1)
            op = "not" if isinstance(node.op, ast.Not) else "~"
            raise ParseError(f"operator '{op}' is not allowed", self.pos(node))
        if isinstance(node, ast.BinOp):
            return self.binop(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.Attribute):
            return self.attribute(node)
        _refuse_node(node, self.where)

    def constant(self, node: ast.Constant) -> Expr:
        value = node.value
        pos = self.pos(node)
        if type(value) is int:
            if abs(value) >= 10**MAX_DIGITS:
                raise ParseError(f"integer literal too long (more than {MAX_DIGITS} digits)", pos)
            return Integer(value)
        if type(value) is float:
            literal = self.where.segment(node) or repr(value)
            exact = _decimal_to_rational(literal, pos)
            if pos is not None:
                self.literals.append(Literal(literal, exact, pos))
                if pos in self.literal_symbols:
                    return self.literal_symbols[pos]
            return exact
        if type(value) is complex:
            raise ParseError("complex numbers are not allowed", pos)
        if isinstance(value, (str, bytes)):
            raise ParseError("strings are not allowed", pos)
        raise ParseError(f"the constant {value!r} is not allowed", pos)

    def _flatten(self, node: ast.BinOp, ops: tuple[type, ...], inverse_op: type,
                 invert: Callable[[Expr, int | None], Expr], depth: int) -> list[Expr]:
        """The operands of a left-leaning chain ``a + b - c ...`` (or ``a * b / c ...``), inverted where
        the operator is the inverse one; a long chain is not counted as nesting."""
        pieces: list[tuple[bool, ast.AST]] = []
        cur: ast.AST = node
        while isinstance(cur, ast.BinOp) and isinstance(cur.op, ops):
            pieces.append((isinstance(cur.op, inverse_op), cur.right))
            cur = cur.left
        operands = [self.visit(cur, depth + 1)]
        for inverted, right in reversed(pieces):
            value = self.visit(right, depth + 1)
            operands.append(invert(value, self.pos(right)) if inverted else value)
        return operands

    def binop(self, node: ast.BinOp, depth: int) -> Expr:
        op = node.op
        pos = self.pos(node)
        if isinstance(op, (ast.Add, ast.Sub)):
            return self.b.add(self._flatten(node, (ast.Add, ast.Sub), ast.Sub, self.b.neg, depth), pos)
        if isinstance(op, (ast.Mult, ast.Div)):
            return self.b.mul(self._flatten(node, (ast.Mult, ast.Div), ast.Div, self.b.reciprocal, depth), pos)
        if isinstance(op, ast.Pow):
            base = self.visit(node.left, depth + 1)
            exponent = self.visit(node.right, depth + 1)
            return self.b.power(base, exponent, self.pos(node.right))
        symbol = _BINOP_SYMBOLS.get(type(op), type(op).__name__)
        hint = " (use ** for powers)" if symbol == "^" else ""
        raise ParseError(f"operator '{symbol}' is not allowed{hint}", pos)

    def attribute(self, node: ast.Attribute) -> Expr:
        if node.attr.startswith("_"):
            raise ParseError(f"attribute '{node.attr}' is not allowed", self.pos(node))
        prefix = dotted_name(node.value)
        if prefix in _MODULES and node.attr in _MODULE_CONSTANTS:
            return _MODULE_CONSTANTS[node.attr]
        raise ParseError(f"attribute '{node.attr}' is not allowed outside a call", self.pos(node))

    def call(self, node: ast.Call, depth: int) -> Expr:
        pos = self.pos(node)
        func = node.func
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise ParseError("starred arguments are not allowed", self.pos(arg))
        for kw in node.keywords:
            if kw.arg is None:
                raise ParseError("**keyword arguments are not allowed", self.pos(kw.value))
        receiver: ast.AST | None = None
        if isinstance(func, ast.Name):
            name = func.id
            if name not in FUNCTIONS:
                if self.names.known(name):
                    raise ParseError(f"'{name}' is a symbol, not a function", pos)
                raise ParseError(f"unknown function '{name}'", pos)
        elif isinstance(func, ast.Attribute):
            name = func.attr
            end = self.where.end_pos(func)
            attr_pos = end - len(name) if end is not None else pos
            if name.startswith("_"):
                raise ParseError(f"attribute '{name}' is not allowed", attr_pos)
            prefix = dotted_name(func.value)
            if prefix in _MODULES:
                name = ALIASES.get(name, name)
                if name not in FUNCTIONS and not (name in LOSSES and prefix in ("F", "torch.nn.functional")):
                    raise ParseError(f"unknown function '{prefix}.{name}'", pos)
            elif prefix is not None and "." in prefix and prefix.split(".")[0] in _MODULES:
                raise ParseError(f"unknown function '{prefix}.{name}'", pos)
            else:
                if name not in _METHODS:
                    raise ParseError(f"unknown method '.{name}()'", attr_pos)
                receiver = func.value
        else:
            raise ParseError("only named functions can be called", pos)
        return self.apply(name, receiver, node, depth)

    def apply(self, name: str, receiver: ast.AST | None, node: ast.Call, depth: int) -> Expr:
        pos = self.pos(node)
        args: list[ast.AST] = ([receiver] if receiver is not None else []) + list(node.args)
        shown = f".{name}()" if receiver is not None else f"{name}()"
        if name in _REDUCTIONS:
            return self.reduction(name, args, node, depth)
        if name in LOSSES and receiver is None:
            return self.loss(name, args, node, depth)
        if name in _CATEGORY_FUNCTIONS:
            return self.category_function(name, args, node, depth)
        if node.keywords:
            kw = node.keywords[0]
            raise ParseError(f"keyword arguments are not allowed ({kw.arg}=)", self.pos(kw.value))
        wanted = 2 if name in _BINARY else 1
        if len(args) != wanted:
            extra = " besides the tensor" if receiver is not None else ""
            raise ParseError(
                f"{shown} takes {wanted - (receiver is not None)} argument(s){extra}, got "
                f"{len(args) - (receiver is not None)}",
                pos,
            )
        values = [self.visit(a, depth + 1) for a in args]
        if name == "xlogy":
            return self.b.xlogy(values[0], values[1], pos)
        if name in _BINARY:
            return self.b.power(values[0], values[1], self.pos(args[1]))
        return self.b.apply(name, values[0], pos)

    def reduction(self, name: str, args: list[ast.AST], node: ast.Call, depth: int) -> Expr:
        pos = self.pos(node)
        if not self.names.has_vectors:
            raise ParseError(
                f"{name}() reduces over the latent dimension, but this case has no vector parameters", pos
            )
        if not args:
            raise ParseError(f"{name}() needs an argument", pos)
        if len(args) > 2:
            raise ParseError(f"{name}() takes a tensor and at most one axis", pos)
        if len(args) == 2 and _int_literal(args[1]) is None:
            raise ParseError(f"the axis of {name}() must be an integer", self.pos(args[1]))
        if len(node.keywords) > (2 - len(args)) or (len(args) == 2 and node.keywords):
            raise ParseError(f"{name}() takes at most one axis", pos)
        for kw in node.keywords:
            if kw.arg not in ("dim", "axis"):
                raise ParseError(f"keyword '{kw.arg}' is not allowed (only dim=, axis=)", self.pos(kw.value))
            if _int_literal(kw.value) is None:
                raise ParseError(f"{kw.arg}= must be an integer", self.pos(kw.value))
        if not self.reducing and _has_reduction(args[0]) and not _bare(args[0], self.names.vectors):
            # the batch idiom torch.mean(kl.sum(dim=1), dim=0): the inner reduction runs over the latent
            # coordinates (one KL per example), the outer one over a batch of examples; for the one example
            # the claim is about, a sum or mean over its batch of one is that example's value
            return self.visit(args[0], depth + 1)
        if self.reducing:
            raise ParseError("nested reduction: only one sum/mean over the latent dimension is allowed", pos)
        self.reducing = True
        try:
            body = self.visit(args[0], depth + 1)
        finally:
            self.reducing = False
        return self.names.reduce(name, body, self.b, pos)


    def category_function(self, name: str, args: list[ast.AST], node: ast.Call, depth: int) -> Expr:
        """``softmax(l)``: ``e^{l_j} / sum_i e^{l_i}`` (inside a sum over the categories j); ``log_softmax(l)``:
        ``l_j - log sum_i e^{l_i}``; ``logsumexp(l)``: ``log sum_i e^{l_i}``; over the last axis only."""
        pos = self.pos(node)
        if not self.names.has_vectors:
            raise ParseError(f"{name}() runs over the categories, but this case has no vectors", pos)
        axes = list(args[1:]) + [kw.value for kw in node.keywords]
        if not args or len(axes) > 1 or any(kw.arg not in ("dim", "axis") for kw in node.keywords):
            raise ParseError(f"{name}() takes a tensor and at most its axis (dim=-1)", pos)
        if axes and _int_literal(axes[0]) not in (-1, 1):
            raise ParseError(f"{name}() runs over the categories: its axis must be -1 (the last)", self.pos(axes[0]))
        if name != "logsumexp" and not self.reducing:
            raise ParseError(f"{name}() is a vector over the categories; sum it, e.g. sum({name}(l) * ...)", pos)
        was, self.reducing = self.reducing, True
        try:
            body = self.visit(args[0], depth + 1)
        finally:
            self.reducing = was
        other = Dummy("i", integer=True, positive=True)
        assert self.names.index is not None and self.names.dim is not None
        total = Sum(sympy.exp(body.xreplace({self.names.index: other})), (other, 1, self.names.dim))
        if name == "logsumexp":
            return sympy.log(total)
        if name == "softmax":
            return sympy.exp(body) / total
        return body - sympy.log(total)

    def loss(self, name: str, args: list[ast.AST], node: ast.Call, depth: int) -> Expr:
        """``F.mse_loss(a, b)``: ``(a_j - b_j)**2``; ``F.binary_cross_entropy(a, b)``:
        ``-(b_j log a_j + (1 - b_j) log(1 - a_j))``; ``F.binary_cross_entropy_with_logits(a, b)``:
        ``log(1 + exp(a_j)) - b_j a_j`` (softplus), each summed over the coordinates (``reduction='sum'``) or
        averaged (``'mean'``, the default)."""
        pos = self.pos(node)
        if not self.names.has_vectors:
            raise ParseError(f"{name}() reduces over the coordinates, but this case has no vectors", pos)
        if len(args) != 2:
            raise ParseError(f"{name}() takes the prediction and the target", pos)
        reduction = "mean"
        # kl_div's 'batchmean' divides the sum by the batch size: for one example, the sum over its coordinates
        allowed = ("sum", "mean", "batchmean") if name == "kl_div" else ("sum", "mean")
        for kw in node.keywords:
            if kw.arg != "reduction" or not (isinstance(kw.value, ast.Constant) and kw.value.value in allowed):
                raise ParseError(f"keyword '{kw.arg}=' of {name}() is not allowed (only reduction="
                                 f"{' or '.join(repr(a) for a in allowed)})", self.pos(kw.value))
            reduction = "sum" if kw.value.value == "batchmean" else kw.value.value
        if self.reducing:
            raise ParseError("nested reduction: only one sum/mean over the coordinates is allowed", pos)
        self.reducing = True
        try:
            prediction, target = (self.visit(a, depth + 1) for a in args)
        finally:
            self.reducing = False
        b = self.b
        if name == "mse_loss":
            body = b.power(b.add([prediction, b.neg(target, pos)], pos), Integer(2), pos)
        elif name == "binary_cross_entropy":
            complement = b.add([Integer(1), b.neg(prediction, pos)], pos)
            body = b.neg(b.add([b.mul([target, b.apply("log", prediction, pos)], pos),
                                b.mul([b.add([Integer(1), b.neg(target, pos)], pos), b.apply("log", complement, pos)],
                                      pos)], pos), pos)
        elif name == "kl_div":  # F.kl_div(input, target): target (log target - input), input a log-probability
            body = b.mul([target, b.add([b.apply("log", target, pos), b.neg(prediction, pos)], pos)], pos)
        else:
            body = b.add([b.apply("softplus", prediction, pos), b.neg(b.mul([target, prediction], pos), pos)], pos)
        return self.names.reduce(reduction, body, b, pos)


def _is_reduction(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else "") \
        in _REDUCTIONS


def _has_reduction(node: ast.AST) -> bool:
    """Whether ``node`` calls ``sum``/``mean`` (a function or a method) somewhere inside."""
    return any(_is_reduction(inner) for inner in ast.walk(node))


def _bare(node: ast.AST, vectors: Mapping[str, IndexedBase]) -> bool:
    """Whether a vector's name occurs in ``node`` outside every ``sum``/``mean`` in it."""
    if isinstance(node, ast.Name):
        return node.id in vectors
    if _is_reduction(node):
        return False
    return any(_bare(child, vectors) for child in ast.iter_child_nodes(node))


# ----------------------------------------------------------------------------------------------------
# LaTeX syntax
# ----------------------------------------------------------------------------------------------------


@dataclass
class _Tok:
    kind: str  # "num" | "letter" | "cmd" | "op" | "end"
    value: str
    pos: int


_SKIPPED_COMMANDS = frozenset(
    {
        *("quad", "qquad", "displaystyle", "textstyle", "scriptstyle", "limits", "nolimits", "middle"),
        *("big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "Biggl"),
        *("Biggr", "bigm", "Bigm"),
    }
)
_FRAC = frozenset({"frac", "dfrac", "tfrac"})
_FUNCTION_COMMANDS = {"log": "log", "ln": "log", "exp": "exp"}
_NAME_COMMANDS = frozenset({"mathrm", "operatorname", "text", "textrm", "mathit", "textit", "mathsf"})
_BOLD_COMMANDS = frozenset({"boldsymbol", "mathbf", "bm", "vec", "pmb", "mathbb"})
_MULT_COMMANDS = frozenset({"cdot", "times"})
_LATEX_FUNCTIONS = {
    "log": "log",
    "ln": "log",
    "exp": "exp",
    "sqrt": "sqrt",
    "softplus": "softplus",
    "expm1": "expm1",
    "log1p": "log1p",
    "abs": "abs",
}
_OPEN = {"(": ")", "[": "]", "\\{": "\\}"}
_CLOSE = frozenset({")", "]", "\\}", "|", "."})
_DIGITS = "0123456789"


def _tokenize_latex(src: str, base: int) -> list[_Tok]:
    """Split LaTeX into tokens (positions are offsets in the original text)."""
    toks: list[_Tok] = []
    i, n = 0, len(src)
    while i < n:
        ch = src[i]
        if ch.isspace() or ch == "~":
            i += 1
            continue
        if ch == "\\":
            j = i + 1
            if j < n and src[j].isascii() and src[j].isalpha():
                k = j
                while k < n and src[k].isascii() and src[k].isalpha():
                    k += 1
                name = src[j:k]
                if name not in _SKIPPED_COMMANDS:
                    toks.append(_Tok("cmd", name, base + i))
                    if name in ("left", "right"):
                        m = k
                        while m < n and src[m].isspace():
                            m += 1
                        if m < n and src[m] == ".":
                            toks.append(_Tok("op", ".", base + m))
                            k = m + 1
                i = k
                continue
            if j < n and src[j] in ",;:! >":
                i = j + 1
                continue
            if j < n and src[j] in "{}|":
                toks.append(_Tok("op", "|" if src[j] == "|" else "\\" + src[j], base + i))
                i = j + 1
                continue
            shown = src[i : j + 1]
            raise ParseError(f"unsupported LaTeX control sequence {shown!r}", base + i)
        if ch in _DIGITS or (ch == "." and i + 1 < n and src[i + 1] in _DIGITS):
            k = i
            while k < n and src[k] in _DIGITS:
                k += 1
            if k + 1 < n and src[k] == "." and src[k + 1] in _DIGITS:
                k += 1
                while k < n and src[k] in _DIGITS:
                    k += 1
            literal = src[i:k]
            if len(literal.replace(".", "").lstrip("0")) > MAX_DIGITS:
                raise ParseError(f"number literal too long (more than {MAX_DIGITS} digits)", base + i)
            toks.append(_Tok("num", literal, base + i))
            i = k
            continue
        if ch in UNICODE_GREEK:
            toks.append(_Tok("cmd", UNICODE_GREEK[ch], base + i))
            i += 1
            continue
        if ch.isascii() and ch.isalpha():
            toks.append(_Tok("letter", ch, base + i))
            i += 1
            continue
        if ch in "+-*/^_()[]{}|=,'":
            toks.append(_Tok("op", ch, base + i))
            i += 1
            continue
        raise ParseError(f"unexpected character {ch!r}", base + i)
    toks.append(_Tok("end", "", base + n))
    return toks


@dataclass
class _NameRef:
    """A name-like atom awaiting its subscript (``\\sigma``, ``x``, ``\\mathrm{logvar}``)."""

    name: str
    pos: int


class _LatexParser:
    r"""Recursive-descent parser for LaTeX claims.

    Grammar (``{}`` are literal braces; ``[...]`` optional; ``*`` repetition)::

        expr    := [+|-] term ((+|-) term)*
        term    := factor ((\cdot | \times | * | /) factor | implicit-factor)*
        factor  := (+|-) factor | power
        power   := atom [_ sub] [^ arg]          (scripts in either order; subscripts on names only)
        atom    := number | letter | greek | \frac arg arg | \sqrt [[expr]] arg
                 | \log / \ln / \exp  (bracket | implicit run of powers)
                 | \sum [_ {j[=1]}] [^ arg] term
                 | ( expr ) | [ expr ] | { expr } | \{ expr \} | \left D expr \right D | | expr |
                 | \mathrm{name} | \operatorname{name} | \text{name} | \boldsymbol{name}
        arg     := { expr } | single digit | letter | command atom
    """

    def __init__(self, tokens: list[_Tok], names: _Names, builder: _Builder) -> None:
        self.toks = tokens
        self.i = 0
        self.names = names
        self.b = builder
        self.depth = 0
        self.sum_letter: str | None = None

    # -- token helpers -------------------------------------------------------------------------

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def next(self) -> _Tok:
        tok = self.toks[self.i]
        if tok.kind != "end":
            self.i += 1
        return tok

    def is_op(self, tok: _Tok, *values: str) -> bool:
        return tok.kind == "op" and tok.value in values

    def expect_op(self, value: str, what: str) -> _Tok:
        tok = self.peek()
        if not self.is_op(tok, value):
            raise ParseError(f"expected {what}, found {_describe(tok)}", tok.pos)
        return self.next()

    def enter(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError(f"expression nested too deeply (more than {MAX_DEPTH} levels)", pos)

    def starts_factor(self, tok: _Tok) -> bool:
        """Can ``tok`` begin an implicitly multiplied factor?"""
        if tok.kind in ("num", "letter"):
            return True
        if tok.kind == "op":
            return tok.value in ("(", "[", "{", "\\{")
        if tok.kind == "cmd":
            v = tok.value
            return (
                f"\\{v}" in GREEK
                or v in _FRAC
                or v in _FUNCTION_COMMANDS
                or v in _NAME_COMMANDS
                or v in _BOLD_COMMANDS
                or v in ("sqrt", "sum", "left")
            )
        return False

    # -- grammar ---------------------------------------------------------------------------------

    def parse(self) -> Expr:
        result = self.expr()
        tok = self.peek()
        if tok.kind != "end":
            raise ParseError(f"unexpected {_describe(tok)}", tok.pos)
        return result

    def expr(self) -> Expr:
        start = self.peek()
        self.enter(start.pos)
        try:
            negate = False
            if self.is_op(start, "+", "-"):
                negate = start.value == "-"
                self.next()
            first = self.term()
            terms = [self.b.neg(first, start.pos) if negate else first]
            while self.is_op(self.peek(), "+", "-"):
                op = self.next()
                value = self.term()
                terms.append(self.b.neg(value, op.pos) if op.value == "-" else value)
            return self.b.add(terms, start.pos)
        finally:
            self.depth -= 1

    def term(self) -> Expr:
        start = self.peek()
        factors = [self.factor()]
        while True:
            tok = self.peek()
            if self.is_op(tok, "*") or (tok.kind == "cmd" and tok.value in _MULT_COMMANDS):
                self.next()
                factors.append(self.factor())
            elif self.is_op(tok, "/") or (tok.kind == "cmd" and tok.value == "div"):
                self.next()
                factors.append(self.b.reciprocal(self.factor(), tok.pos))
            elif self.starts_factor(tok):
                factors.append(self.power())
            else:
                break
        return self.b.mul(factors, start.pos)

    def factor(self) -> Expr:
        tok = self.peek()
        if self.is_op(tok, "+", "-"):
            self.next()
            self.enter(tok.pos)
            try:
                value = self.factor()
            finally:
                self.depth -= 1
            return self.b.neg(value, tok.pos) if tok.value == "-" else value
        return self.power()

    def power(self) -> Expr:
        start = self.peek()
        value = self.atom()
        sub: str | None = None
        sup: Expr | None = None
        sup_pos = start.pos
        while self.is_op(self.peek(), "_", "^"):
            tok = self.next()
            if tok.value == "_":
                if not isinstance(value, _NameRef):
                    raise ParseError("a subscript must follow a name", tok.pos)
                if sub is not None:
                    raise ParseError("double subscript", tok.pos)
                sub = self.subscript()
            else:
                if sup is not None:
                    raise ParseError("double superscript (use braces: x^{a^b})", tok.pos)
                sup_pos = self.peek().pos
                sup = self.arg()
        if isinstance(value, _NameRef):
            value = self.resolve(value, sub, sup is not None)
        if sup is not None:
            value = self.b.power(value, sup, sup_pos)
        return value

    def atom(self) -> Expr | _NameRef:
        tok = self.next()
        if tok.kind == "num":
            return _decimal_to_rational(tok.value, tok.pos)
        if tok.kind == "letter":
            return self.letters(tok)
        if tok.kind == "op":
            if tok.value in _OPEN:
                value = self.expr()
                self.expect_op(_OPEN[tok.value], f"'{_OPEN[tok.value]}' to close the '{tok.value}'")
                return value
            if tok.value == "{":
                value = self.expr()
                self.expect_op("}", "'}'")
                return value
            if tok.value == "|":
                value = self.expr()
                self.expect_op("|", "'|' to close the absolute value")
                return self.b.apply("abs", value, tok.pos)
            raise ParseError(f"unexpected {_describe(tok)}", tok.pos)
        if tok.kind == "cmd":
            return self.command(tok)
        raise ParseError("unexpected end of input", tok.pos)

    def letters(self, tok: _Tok) -> _NameRef:
        """A letter, or the longest run of adjacent letters and digits starting with it that is one of the
        claim's names (``lv`` is the parameter ``lv`` when there is one, else ``l`` times ``v``)."""
        run, end, j = tok.value, tok.pos + 1, self.i
        best: tuple[str, int] | None = None
        while self.names is not None and self.toks[j].kind in ("letter", "num") and self.toks[j].pos == end:
            run += self.toks[j].value
            end += len(self.toks[j].value)
            j += 1
            if self.names.known(run) or (isinstance(self.names.dim, Symbol) and run == self.names.dim.name):
                best = (run, j)
        if best is None:
            return _NameRef(tok.value, tok.pos)
        self.i = best[1]
        return _NameRef(best[0], tok.pos)

    def command(self, tok: _Tok) -> Expr | _NameRef:
        name = tok.value
        if f"\\{name}" in GREEK:
            return _NameRef(GREEK[f"\\{name}"], tok.pos)
        if name in _FRAC:
            num = self.arg()
            den = self.arg()
            return self.b.div(num, den, tok.pos)
        if name == "sqrt":
            if self.is_op(self.peek(), "["):
                self.next()
                index_pos = self.peek().pos
                root = self.expr()
                self.expect_op("]", "']' to close the root index")
                radicand = self.arg()
                if root == 0:
                    raise ParseError("zeroth root", index_pos)
                return self.b.power(radicand, self.b.reciprocal(root, index_pos), index_pos)
            return self.b.apply("sqrt", self.arg(), tok.pos)
        if name in _FUNCTION_COMMANDS:
            return self.function(_FUNCTION_COMMANDS[name], tok)
        if name == "sum":
            return self.summation(tok)
        if name == "left":
            return self.left(tok)
        if name in _NAME_COMMANDS:
            word, pos = self.braced_word(tok)
            if word in _LATEX_FUNCTIONS:
                return self.function(_LATEX_FUNCTIONS[word], tok)
            return _NameRef(word, pos)
        if name in _BOLD_COMMANDS:
            return self.bold(tok)
        if name == "right":
            raise ParseError("'\\right' without a matching '\\left'", tok.pos)
        if name in _MULT_COMMANDS or name == "div":
            raise ParseError(f"'\\{name}' needs something on its left", tok.pos)
        raise ParseError(f"unknown LaTeX command '\\{name}'", tok.pos)

    def arg(self) -> Expr:
        """A TeX macro argument: a braced group, or a single character or command."""
        tok = self.peek()
        if self.is_op(tok, "{"):
            self.next()
            value = self.expr()
            self.expect_op("}", "'}'")
            return value
        if tok.kind == "num":
            digit = tok.value[0]
            if digit == ".":
                raise ParseError("expected a digit or a braced group", tok.pos)
            if len(tok.value) > 1:
                self.toks[self.i] = _Tok("num", tok.value[1:], tok.pos + 1)
            else:
                self.next()
            return Integer(int(digit))
        if tok.kind in ("letter", "cmd"):
            self.enter(tok.pos)
            try:
                value = self.atom()
            finally:
                self.depth -= 1
            if isinstance(value, _NameRef):
                value = self.resolve(value, None, False)
            return value
        raise ParseError(f"expected an argument, found {_describe(tok)}", tok.pos)

    def subscript(self) -> str:
        """The text of a subscript: ``1``, ``j``, ``{12}``, ``{\\theta}``."""
        tok = self.next()
        if tok.kind == "num":
            if len(tok.value) > 1:
                self.i -= 1
                self.toks[self.i] = _Tok("num", tok.value[1:], tok.pos + 1)
            return tok.value[0]
        if tok.kind == "letter":
            return tok.value
        if tok.kind == "cmd" and f"\\{tok.value}" in GREEK:
            return GREEK[f"\\{tok.value}"]
        if self.is_op(tok, "{"):
            parts: list[str] = []
            while not self.is_op(self.peek(), "}"):
                part = self.next()
                if part.kind in ("num", "letter"):
                    parts.append(part.value)
                elif part.kind == "cmd" and f"\\{part.value}" in GREEK:
                    parts.append(GREEK[f"\\{part.value}"])
                elif part.kind == "cmd" and part.value in _NAME_COMMANDS:
                    parts.append(self.braced_word(part)[0])
                else:
                    raise ParseError(f"unsupported subscript content {_describe(part)}", part.pos)
            self.next()
            if not parts:
                raise ParseError("empty subscript", tok.pos)
            return "".join(parts)
        raise ParseError(f"unsupported subscript {_describe(tok)}", tok.pos)

    def braced_word(self, cmd: _Tok) -> tuple[str, int]:
        """The name inside ``\\mathrm{...}``: letters, digits and underscores."""
        self.expect_op("{", f"'{{' after '\\{cmd.value}'")
        start = self.peek().pos
        parts: list[str] = []
        while not self.is_op(self.peek(), "}"):
            part = self.next()
            if part.kind in ("num", "letter"):
                parts.append(part.value)
            elif self.is_op(part, "_"):
                parts.append("_")
            else:
                where = f"'\\{cmd.value}{{...}}'"
                raise ParseError(f"unsupported content in {where}: {_describe(part)}", part.pos)
        self.next()
        word = "".join(parts)
        if not word or not (word[0].isalpha() or word[0] == "_"):
            raise ParseError(f"'\\{cmd.value}{{...}}' must contain a name", start)
        return word, start

    def bold(self, cmd: _Tok) -> _NameRef:
        """``\\boldsymbol{\\mu}``, ``\\mathbf{x}``: a transparent wrapper around one name."""
        braced = self.is_op(self.peek(), "{")
        if braced:
            self.next()
        tok = self.next()
        if tok.kind == "letter":
            ref = _NameRef(tok.value, tok.pos)
        elif tok.kind == "cmd" and f"\\{tok.value}" in GREEK:
            ref = _NameRef(GREEK[f"\\{tok.value}"], tok.pos)
        elif tok.kind == "cmd" and tok.value in _NAME_COMMANDS:
            word, pos = self.braced_word(tok)
            ref = _NameRef(word, pos)
        else:
            raise ParseError(f"'\\{cmd.value}' must wrap a single name", tok.pos)
        if braced:
            self.expect_op("}", f"'}}' to close '\\{cmd.value}'")
        return ref

    def left(self, tok: _Tok) -> Expr:
        delim = self.next()
        if not (delim.kind == "op" and (delim.value in _OPEN or delim.value in ("|", "."))):
            raise ParseError(f"unsupported delimiter after '\\left': {_describe(delim)}", delim.pos)
        value = self.expr()
        right = self.next()
        if not (right.kind == "cmd" and right.value == "right"):
            raise ParseError(f"expected '\\right' to close the '\\left', found {_describe(right)}", right.pos)
        closing = self.next()
        if not (closing.kind == "op" and closing.value in _CLOSE):
            raise ParseError(f"unsupported delimiter after '\\right': {_describe(closing)}", closing.pos)
        if (delim.value == "|") != (closing.value == "|"):
            raise ParseError("'\\left|' must be closed by '\\right|'", closing.pos)
        if delim.value == "|":
            return self.b.apply("abs", value, tok.pos)
        return value

    def function(self, fname: str, tok: _Tok) -> Expr:
        nxt = self.peek()
        if self.is_op(nxt, "_"):
            raise ParseError("logarithms with a base are not supported", nxt.pos)
        if self.is_op(nxt, "^"):
            raise ParseError("write a power of a function as (\\log x)^2", nxt.pos)
        if self.is_op(nxt, "(", "[", "{", "\\{") or (nxt.kind == "cmd" and nxt.value == "left"):
            arg = self.atom()
            assert not isinstance(arg, _NameRef)
            return self.b.apply(fname, arg, tok.pos)
        if not self.starts_factor(nxt):
            raise ParseError(f"expected an argument for '\\{tok.value}', found {_describe(nxt)}", nxt.pos)
        self.enter(tok.pos)
        try:
            factors = [self.power()]
            while self.starts_factor(self.peek()) and not self.ends_run(self.peek()):
                factors.append(self.power())
        finally:
            self.depth -= 1
        return self.b.apply(fname, self.b.mul(factors, nxt.pos), tok.pos)

    def ends_run(self, tok: _Tok) -> bool:
        """Does ``tok`` end the argument run of an unbracketed function (another function or a sum)?"""
        if tok.kind != "cmd":
            return False
        if tok.value in _FUNCTION_COMMANDS or tok.value == "sum":
            return True
        return tok.value in _NAME_COMMANDS and self.word_ahead() in _LATEX_FUNCTIONS

    def word_ahead(self) -> str:
        """The word inside the ``\\mathrm{...}`` starting at the current token, without consuming it."""
        j = self.i + 1
        if not self.is_op(self.toks[j], "{"):
            return ""
        parts: list[str] = []
        j += 1
        while self.toks[j].kind in ("letter", "num") or self.is_op(self.toks[j], "_"):
            parts.append(self.toks[j].value)
            j += 1
        return "".join(parts)

    def summation(self, tok: _Tok) -> Expr:
        names = self.names
        if not names.has_vectors:
            raise ParseError(
                "a sum over the latent dimension needs vector parameters, and this case has none", tok.pos
            )
        if self.sum_letter is not None:
            raise ParseError("nested sums are not supported", tok.pos)
        letter: str | None = None
        lower: Expr | None = None
        upper: Expr | None = None
        seen: set[str] = set()
        while self.is_op(self.peek(), "_", "^") and self.peek().value not in seen:
            script = self.next()
            seen.add(script.value)
            if script.value == "_":
                letter, lower = self.sum_index()
            else:
                upper_pos = self.peek().pos
                try:
                    upper = self.arg()
                except ParseError:
                    upper = None
                if upper is None or upper != names.dim:
                    raise ParseError(f"the sum must run up to the latent dimension {names.dim}", upper_pos)
        if letter is None:
            raise ParseError("a sum needs its index, e.g. \\sum_{j=1}^{d}", tok.pos)
        if lower is not None and lower != 1:
            raise ParseError("the sum over the latent dimension must start at 1", tok.pos)
        self.sum_letter = letter
        try:
            body = self.term()
        finally:
            self.sum_letter = None
        return names.reduce("sum", body, self.b, tok.pos)

    def sum_index(self) -> tuple[str, Expr | None]:
        tok = self.next()
        if tok.kind == "letter":
            return tok.value, None
        if not self.is_op(tok, "{"):
            raise ParseError(f"expected the sum index, found {_describe(tok)}", tok.pos)
        var = self.next()
        if var.kind != "letter":
            raise ParseError(f"the sum index must be a letter, found {_describe(var)}", var.pos)
        lower: Expr | None = None
        if self.is_op(self.peek(), "="):
            self.next()
            lower = self.expr()
        self.expect_op("}", "'}' to close the sum index")
        return var.value, lower

    def resolve(self, ref: _NameRef, sub: str | None, has_power: bool) -> Expr:
        names = self.names
        letter = self.sum_letter
        if letter is not None:
            if sub is None and ref.name == letter and ref.name not in names.vectors:
                return names.index  # type: ignore[return-value]
            if sub == letter and ref.name in names.vectors:
                return names.vectors[ref.name][names.index]
        if sub is not None:
            for candidate in (f"{ref.name}{sub}", f"{ref.name}_{sub}"):
                if candidate in names.symbols:
                    return names.symbols[candidate]
            if ref.name in names.vectors:
                if letter is not None:
                    raise ParseError(f"subscript '{sub}' does not match the sum index '{letter}'", ref.pos)
                raise ParseError(
                    f"'{ref.name}_{sub}' indexes a vector outside a sum; write \\sum_{{{sub}=1}}^{{d}} ...",
                    ref.pos,
                )
            raise ParseError(f"unknown symbol '{ref.name}_{sub}'", ref.pos)
        if ref.name == "e" and has_power and not names.known("e"):
            return E
        return names.resolve(ref.name, ref.pos, reducing=letter is not None, latex=True)


def _describe(tok: _Tok) -> str:
    if tok.kind == "end":
        return "end of input"
    if tok.kind == "cmd":
        return f"'\\{tok.value}'"
    return f"'{tok.value}'"


# ----------------------------------------------------------------------------------------------------
# Spec parser
# ----------------------------------------------------------------------------------------------------


class _SpecParser:
    """Turns ``Normal(mu, sigma)``-style calls into a :class:`DistSpec`."""

    def __init__(self, text: str, src: str, base: int) -> None:
        self.text = text
        self.where = _PyText(src, base)

    def pos(self, node: ast.AST) -> int | None:
        return self.where.pos(node)

    def parse(self) -> DistSpec:
        node = self.where.parse()
        if not isinstance(node, ast.Call):
            raise ParseError("a spec must be a call such as Normal(mu, sigma)", self.pos(node))
        family = dotted_name(node.func)
        if family is None:
            raise ParseError("a spec must be a call such as Normal(mu, sigma)", self.pos(node.func))
        if family not in FAMILY:
            known = tuple(FAMILY)
            raise ParseError(f"unknown family '{family}' (expected {', '.join(known[:-1])} or {known[-1]})",
                             self.pos(node.func))
        entry = FAMILY[family]
        if entry.reader == PARAMETERS:
            return self.own_parameters(node, entry)
        if entry.reader == VECTOR:
            return self.vector_law(node, family)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise ParseError("starred arguments are not allowed", self.pos(arg))
        if entry.reader == ONE:
            return self.law(node, entry)
        return self.location(node, entry)

    def location(self, node: ast.Call, entry: Family) -> DistSpec:
        """A spec of a :data:`~.families.LOCATION` family: ``loc``, one parameterisation (positionally unless
        ``keyword_only``), and ``dim=`` when the family is a vector's; a keyword of a family of the same
        vocabulary is refused by naming that family."""
        family = entry.name
        siblings = [f for f in FAMILIES
                    if f.reader == LOCATION and entry.vocabulary and f.vocabulary == entry.vocabulary] or [entry]
        allowed = ("loc", *(("dim",) if any(f.dim for f in siblings) else ()), *entry.keywords)
        keywords: dict[str, ast.keyword] = {}
        for kw in node.keywords:
            if kw.arg is None:
                raise ParseError("**keyword arguments are not allowed", self.pos(kw.value))
            if kw.arg in keywords:
                raise ParseError(f"keyword '{kw.arg}' given twice", self.pos(kw.value))
            if kw.arg not in allowed:
                raise ParseError(f"unknown keyword '{kw.arg}' for {family}", self.pos(kw.value))
            keywords[kw.arg] = kw

        max_positional = 1 if entry.keyword_only else 2
        if len(node.args) > max_positional:
            extra = node.args[max_positional]
            if entry.keyword_only:
                raise ParseError(f"{family} takes {entry.keyword_only}", self.pos(extra))
            message = f"too many positional arguments for {family} (expected loc, {entry.kinds[0]})"
            raise ParseError(message, self.pos(extra))

        # loc
        loc_nodes: list[ast.AST] = []
        if node.args:
            loc_nodes.append(node.args[0])
        if "loc" in keywords:
            loc_nodes.append(keywords["loc"].value)
        if not loc_nodes:
            raise ParseError(f"{family} needs a loc (its mean)", self.pos(node))
        if len(loc_nodes) > 1:
            raise ParseError("loc given twice", self.pos(loc_nodes[1]))
        loc_node = loc_nodes[0]

        # the one parameterisation
        params: list[tuple[str, ast.AST]] = []
        if len(node.args) > 1:
            params.append((entry.kinds[0], node.args[1]))
        for kind in entry.keywords:
            if kind in keywords:
                params.append((kind, keywords[kind].value))
        if not params:
            first = entry.kinds[0]
            if entry.keyword_only:
                raise ParseError(f"{family} needs {first}=...", self.pos(node))
            options = f"{first}=" if len(entry.kinds) == 1 else f"one of {', '.join(f'{k}=' for k in entry.kinds)}"
            raise ParseError(f"{family} needs a {first}: a second argument or {options}", self.pos(node))
        if len(params) > 1:
            (k1, _), (k2, n2) = params[0], params[1]
            if k1 == k2:
                raise ParseError(f"{k1} given twice", self.pos(n2))
            raise ParseError(f"two parameterisations given ({k1} and {k2}); give exactly one", self.pos(n2))
        kind, param_node = params[0]
        if kind not in entry.kinds:
            if entry.keyword_only:
                raise ParseError(f"{family} takes {entry.kinds[0]}=..., not {kind}=", self.pos(param_node))
            taker = next(f.name for f in siblings if kind in f.kinds)
            raise ParseError(f"{family} does not take {kind}= (use {taker})", self.pos(param_node))

        # dim
        dim: int | Symbol | None = None
        dim_kw = keywords.get("dim")
        if not entry.dim:
            if dim_kw is not None:
                meant = next(f.name for f in siblings if f.dim and f.kinds == entry.kinds)
                raise ParseError(f"{family} takes no dim (did you mean {meant}?)", self.pos(dim_kw.value))
        else:
            if dim_kw is None:
                raise ParseError(f"{family} needs dim=D (a positive integer or a name)", self.pos(node))
            dim = self.dim(dim_kw.value)

        loc = self.value(loc_node, "loc", "real")
        param = self.value(param_node, kind, entry.domain(kind))
        roles = [("loc", loc_node), (kind, param_node)]
        if dim_kw is not None:
            roles.append(("dim", dim_kw.value))
        seen: dict[str, str] = {}
        for role, role_node in roles:
            if isinstance(role_node, ast.Name):
                name = self.name(role_node)
                if name in seen:
                    raise ParseError(f"name '{name}' is used for both {seen[name]} and {role}", self.pos(role_node))
                seen[name] = role
        return DistSpec(family=family, loc=loc, param_kind=kind, param=param, dim=dim, text=self.text)

    def own_parameters(self, node: ast.Call, entry: Family) -> DistSpec:
        """A :data:`~.families.PARAMETERS` family: its leading parameters, then one parameterisation,
        positionally or by keyword; each a name or a number of its domain, no name used twice."""
        family, leading, choices = entry.name, tuple(p.name for p in entry.leading), entry.kinds
        names = (*leading, choices[0])
        if any(isinstance(arg, ast.Starred) for arg in node.args) or any(kw.arg is None for kw in node.keywords):
            raise ParseError("starred arguments are not allowed", self.pos(node))
        if len(node.args) > len(names):
            raise ParseError(f"too many positional arguments for {family} (expected {', '.join(names)})",
                             self.pos(node.args[len(names)]))
        given: dict[str, ast.AST] = dict(zip(names, node.args, strict=False))
        for kw in node.keywords:
            if kw.arg not in (*leading, *choices):
                raise ParseError(f"unknown keyword '{kw.arg}' for {family}", self.pos(kw.value))
            if kw.arg in given:
                raise ParseError(f"{kw.arg} given twice", self.pos(kw.value))
            given[kw.arg] = kw.value
        missing = [name for name in leading if name not in given]
        if missing:
            raise ParseError(f"{family} needs a {missing[0]}", self.pos(node))
        kinds = [kind for kind in choices if kind in given]
        if not kinds:
            raise ParseError(f"{family} needs a {choices[0]}: {'an argument' if not leading else 'a second argument'}"
                             f" or one of {', '.join(f'{c}=' for c in choices)}", self.pos(node))
        if len(kinds) > 1:
            raise ParseError(f"two parameterisations given ({kinds[0]} and {kinds[1]}); give exactly one",
                             self.pos(given[kinds[1]]))
        seen: dict[str, str] = {}
        values = {}
        for role, role_node in given.items():
            if isinstance(role_node, ast.Name):
                name = self.name(role_node)
                if name in seen:
                    raise ParseError(f"name '{name}' is used for both {seen[name]} and {role}", self.pos(role_node))
                seen[name] = role
            values[role] = self.value(role_node, role, entry.domain(role))
        first = values[leading[0]] if leading else None
        if entry.ordered:
            low_name, high_name = leading[0], choices[0]
            low, high = values[low_name], values[high_name]
            if low.is_Number and high.is_Number and not low < high:
                raise ParseError(f"{family} needs {low_name} < {high_name} (got {low} and {high})",
                                 self.pos(given[high_name]))
        return DistSpec(family=family, loc=first, param_kind=kinds[0], param=values[kinds[0]],  # type: ignore[arg-type]
                        dim=None, text=self.text)

    def law(self, node: ast.Call, entry: Family) -> DistSpec:
        """A spec of a :data:`~.families.ONE` family: its one parameter, positionally (the first
        parameterisation) or by the keyword of any parameterisation (``Bernoulli(0.3)``, ``Bernoulli(logits=l)``),
        after its leading count if it has one."""
        family = entry.name
        kinds = {p.name: p.domain for p in entry.parameterisations}
        names = " or ".join(f"{kind}=" for kind in kinds)
        args, keywords, leading = list(node.args), list(node.keywords), None
        if entry.leading:
            args, keywords, leading = self.leading(node, entry)
        given: list[tuple[str, ast.AST]] = [(next(iter(kinds)), arg) for arg in args[:1]]
        if len(args) > 1:
            raise ParseError(f"too many positional arguments for {family} (it takes one: {names})",
                             self.pos(args[1]))
        for kw in keywords:
            if kw.arg is None:
                raise ParseError("**keyword arguments are not allowed", self.pos(kw.value))
            if kw.arg not in kinds:
                raise ParseError(f"unknown keyword '{kw.arg}' for {family} (it takes {names})", self.pos(kw.value))
            given.append((kw.arg, kw.value))
        if not given:
            raise ParseError(f"{family} needs its parameter: {names}", self.pos(node))
        if len(given) > 1:
            (k1, _), (k2, n2) = given[0], given[1]
            message = f"{k1} given twice" if k1 == k2 else f"two parameterisations given ({k1} and {k2}); give one"
            raise ParseError(message, self.pos(n2))
        kind, value_node = given[0]
        domain = kinds[kind]
        if isinstance(value_node, ast.Name):
            name = self.name(value_node)
            value: Expr = Symbol(name, real=True) if domain == "real" else Symbol(name, positive=True)
        else:
            number = self.number(value_node)
            if number is None:
                raise ParseError(f"{kind} must be a name or a number", self.pos(value_node))
            if domain == "probability" and not 0 < number < 1:
                raise ParseError(f"{kind} must be a probability strictly between 0 and 1 (got {number})",
                                 self.pos(value_node))
            if domain == "positive" and not number > 0:
                raise ParseError(f"{kind} must be positive (got {number})", self.pos(value_node))
            value = number
        if isinstance(leading, Symbol) and isinstance(value, Symbol) and leading.name == value.name:
            raise ParseError(f"name '{value}' is used for both {entry.leading[0].name} and {kind}",
                             self.pos(value_node))
        return DistSpec(family=family, loc=leading, param_kind=kind, param=value, dim=None, text=self.text)

    def vector_law(self, node: ast.Call, family: str) -> DistSpec:
        """A family of the :data:`~.families.VECTOR` reader: its vector parameter by name (``Categorical(theta, K)``,
        ``Categorical(logits=a, dim=K)``), the first parameterisation positionally, and the number of categories."""
        kinds = {p.name: p.domain for p in FAMILY[family].parameterisations}
        if any(isinstance(arg, ast.Starred) for arg in node.args) or any(kw.arg is None for kw in node.keywords):
            raise ParseError("starred arguments are not allowed", self.pos(node))
        if len(node.args) > 2:
            raise ParseError(f"too many positional arguments for {family} (expected {next(iter(kinds))}, dim)",
                             self.pos(node.args[2]))
        given: list[tuple[str, ast.AST]] = [(next(iter(kinds)), arg) for arg in node.args[:1]]
        dims = list(node.args[1:2])
        for kw in node.keywords:
            if kw.arg == "dim":
                dims.append(kw.value)
            elif kw.arg in kinds:
                given.append((kw.arg, kw.value))
            else:
                raise ParseError(f"unknown keyword '{kw.arg}' for {family} (it takes "
                                 f"{', '.join(f'{k}=' for k in kinds)} and dim=)", self.pos(kw.value))
        if not given:
            raise ParseError(f"{family} needs its {' or '.join(kinds)}", self.pos(node))
        if len(given) > 1:
            raise ParseError(f"two parameterisations given ({given[0][0]} and {given[1][0]}); give one",
                             self.pos(given[1][1]))
        if not dims:
            raise ParseError(f"{family} needs its number of categories: dim=K (a positive integer or a name)",
                             self.pos(node))
        if len(dims) > 1:
            raise ParseError("dim given twice", self.pos(dims[1]))
        kind, value_node = given[0]
        dim = self.dim(dims[0])
        if not isinstance(value_node, ast.Name):
            return DistSpec(family=family, loc=None, param_kind=kind, param=self.equal_probabilities(
                kind, value_node, dim), dim=dim, text=self.text)
        name = self.name(value_node)
        if isinstance(dim, Symbol) and dim.name == name:
            raise ParseError(f"name '{name}' is used for both {kind} and dim", self.pos(dims[0]))
        value = Symbol(name, positive=True) if kinds[kind] in ("probability", "positive") else Symbol(name, real=True)
        return DistSpec(family=family, loc=None, param_kind=kind, param=value, dim=dim, text=self.text)

    def equal_probabilities(self, kind: str, node: ast.AST, dim: int | Symbol) -> Expr:
        """The uniform law's probabilities, every category the same: ``1/K`` (K the dim's name) or the number 1/K;
        for a positive parameterisation (Dirichlet's concentration) one positive number for every coordinate."""
        if kind == "concentration":
            number = self.number(node)
            if number is None:
                raise ParseError(f"{kind} must be the name of a vector, or one positive number for every coordinate",
                                 self.pos(node))
            if not number > 0:
                raise ParseError(f"{kind} must be positive (got {number})", self.pos(node))
            return number
        message = f"{kind} must be the name of a vector over the categories, or 1/K for equal probabilities"
        if kind != "probs":
            raise ParseError(message, self.pos(node))
        if isinstance(dim, Symbol):
            if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and self.number(node.left) == 1
                    and isinstance(node.right, ast.Name) and node.right.id == dim.name):
                raise ParseError(message, self.pos(node))
            return 1 / dim
        number = self.number(node)
        if number is None or number * dim != 1:
            raise ParseError(message + f" (1/{dim} here)", self.pos(node))
        return number

    def leading(self, node: ast.Call, entry: Family) -> tuple[list[ast.AST], list[ast.keyword], Expr]:
        """A family's leading count (Binomial's ``total_count``: the first positional argument or its keyword;
        a name is a positive integer, a number must be one), and the arguments left."""
        family, name = entry.name, entry.leading[0].name
        args, keywords = list(node.args), [kw for kw in node.keywords if kw.arg != name]
        given = [kw.value for kw in node.keywords if kw.arg == name]
        if not given:
            if not args:
                raise ParseError(f"{family} needs its {name} first: {family}({name}, {entry.kinds[0]})",
                                 self.pos(node))
            given, args = [args[0]], args[1:]
        elif len(given) > 1:
            raise ParseError(f"{name} given twice", self.pos(given[1]))
        value_node = given[0]
        if isinstance(value_node, ast.Name):
            return args, keywords, Symbol(self.name(value_node), integer=True, positive=True)
        number = self.number(value_node)
        if number is None or not number.is_Integer or number <= 0 or number > MAX_TRIALS:
            raise ParseError(f"{name} must be a name or a whole number of trials from 1 to {MAX_TRIALS}",
                             self.pos(value_node))
        return args, keywords, number

    def number(self, node: ast.AST) -> Rational | None:
        """The value of a number literal, optionally signed, or of a product or quotient of such (``1/2``,
        ``-3/4``, ``2*0.5``); None if ``node`` is not one."""
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.Mult)):
            left, right = self.number(node.left), self.number(node.right)
            if left is None or right is None:
                return None
            if isinstance(node.op, ast.Mult):
                return left * right
            if right == 0:
                raise ParseError("division by zero", self.pos(node.right))
            return left / right
        sign = 1
        inner = node
        if isinstance(inner, ast.UnaryOp) and isinstance(inner.op, (ast.USub, ast.UAdd)):
            sign = -1 if isinstance(inner.op, ast.USub) else 1
            inner = inner.operand
        if not isinstance(inner, ast.Constant) or type(inner.value) not in (int, float):
            return None
        if type(inner.value) is int:
            if abs(inner.value) >= 10**MAX_DIGITS:
                raise ParseError(f"integer literal too long (more than {MAX_DIGITS} digits)", self.pos(inner))
            value: Rational = Integer(inner.value)
        else:
            value = _decimal_to_rational(self.where.segment(inner) or repr(inner.value), self.pos(inner))
        return sign * value

    def name(self, node: ast.Name) -> str:
        """The parameter name ``node`` gives (Greek letters spelled out), unless it is not allowed."""
        if node.id.startswith("__"):
            raise ParseError(f"name '{node.id}' is not allowed", self.pos(node))
        name = ascii_name(node.id, self.pos(node))
        if name in RESERVED_NAMES:
            raise ParseError(f"the name '{node.id}' would be read as {RESERVED_NAMES[name]} in the documents; "
                             "choose another name", self.pos(node))
        return name

    def value(self, node: ast.AST, name: str, domain: str) -> Expr:
        """The parameter ``name`` given by ``node``: a Symbol (positive if its domain is ``positive``, else real)
        or a number (positive if its domain is)."""
        if isinstance(node, ast.Name):
            symbol = self.name(node)
            if domain == "positive":
                return Symbol(symbol, positive=True)
            return Symbol(symbol, real=True)
        number = self.number(node)
        if number is None:
            raise ParseError(f"{name} must be a name or a number", self.pos(node))
        if domain == "positive" and not number > 0:
            raise ParseError(f"{name} must be positive (got {number})", self.pos(node))
        return number

    def dim(self, node: ast.AST) -> int | Symbol:
        if isinstance(node, ast.Name):
            return Symbol(self.name(node), integer=True, positive=True)
        value = _int_literal(node)
        if value is None or value <= 0:
            shown = self.where.segment(node) or "?"
            raise ParseError(f"dim must be a positive integer or a name (got {shown})", self.pos(node))
        return value
