"""Whitelist parser of full-covariance claims in Python syntax (NumPy / PyTorch matrix code), for MvNormal pairs.

Nothing is executed: the claim is parsed with ``ast.parse(mode="eval")`` and walked against this whitelist, which
builds SymPy matrix expressions over the given ``MatrixSymbol`` s (vectors are ``k x 1`` columns, read with NumPy's
1-D semantics: ``m @ m`` and ``m.T @ S @ m`` are numbers):

* ``+ - * /`` between numbers (and ``**`` of a number), ``+ -`` between matrices, a number times a matrix;
* ``@`` chains: matrix products, matrix times vector, and ``u @ M @ ... @ v`` (a number: a quadratic form);
* ``.T`` and ``.transpose()`` (a vector's is itself), ``torch.eye(k)``/``np.eye(k)`` (the identity);
* ``trace`` (``torch.trace``, ``np.trace``, ``X.trace()``), ``det``/``logdet``, ``torch.linalg.slogdet(X)[1]``,
  ``inv``/``inverse``/``pinv`` (of a positive-definite matrix), ``solve(A, B)`` (A^{-1} B), ``dot(u, v)``,
  ``sum(u * v)`` / ``sum(u ** 2)`` (inner products), and ``log exp sqrt abs`` of numbers;
* sizes: ``m.shape[0]``, ``S.shape[-1]``, ``len(m)``, ``m.numel()`` and the dimension's own name.

LaTeX (a claim with a backslash, ``^{`` or ``_{``; optionally in ``$...$`` and after ``\\mathrm{KL}(q\\|p) =``):
``\\operatorname{tr}``/``\\mathrm{tr}``/``\\tr``, ``\\log|S|``, ``\\log\\det S``, ``|S|`` (a determinant),
``^{-1}``, ``^\\top``/``^T``, ``\\frac``, ``\\left( \\right)``, subscripts naming symbols (``S_2`` is ``S2``), Greek
letters (``\\Sigma`` is ``Sigma``), ``\\boldsymbol``/``\\mathbf`` (transparent); juxtaposed factors multiply in
order (``m^\\top S^{-1} m`` is a quadratic form).

Anything else is a :class:`~derivation.core.errors.ParseError` naming the position.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import NoReturn

import sympy
from sympy import (
    Determinant,
    Expr,
    Identity,
    Integer,
    Inverse,
    MatAdd,
    MatMul,
    MatrixSymbol,
    Rational,
    Trace,
    Transpose,
)

from ..core.errors import ParseError
from .parse import dotted_name

#: Longest accepted claim, in characters.
MAX_LENGTH = 2000
#: Deepest accepted nesting.
MAX_DEPTH = 60

_PREFIXES = frozenset({"torch", "np", "numpy", "torch.linalg", "np.linalg", "numpy.linalg", "jnp", "jnp.linalg",
                       "jax.numpy", "jax.numpy.linalg", "math", "scipy.linalg", "la"})

_FUNCTIONS = frozenset({"len", "numel", "size", "eye", "solve", "dot", "inner", "vdot", "sum", "cholesky", "trace",
                        "det", "logdet", "inv", "inverse", "pinv", "transpose", "t", "log", "exp", "sqrt", "abs"})

QuadForm = Callable[[object, object, object], Expr]


@dataclass(frozen=True)
class _Value:
    """A parsed piece: ``kind`` is "scalar", "vector" (a column) or "matrix"; ``expr`` its SymPy expression."""

    kind: str
    expr: object


class _MatrixClaim:
    def __init__(self, symbols: Mapping[str, MatrixSymbol], dim: Expr, dim_name: str | None, base: int,
                 quad: QuadForm):
        self.symbols = symbols
        self.dim = dim
        self.dim_name = dim_name
        self.base = base
        self.quad = quad

    def refuse(self, node: ast.AST, message: str) -> NoReturn:
        on_first_line = getattr(node, "lineno", 1) == 1
        raise ParseError(message, self.base + getattr(node, "col_offset", 0) if on_first_line else None)

    def scalar(self, node: ast.AST, value: _Value) -> Expr:
        if value.kind != "scalar":
            self.refuse(node, f"a {value.kind} where a number belongs (take its trace, determinant or a quadratic "
                        "form)")
        return value.expr  # type: ignore[return-value]

    def matrix(self, node: ast.AST, value: _Value) -> object:
        if value.kind != "matrix":
            self.refuse(node, f"a {value.kind} where a matrix belongs")
        return value.expr

    def visit(self, node: ast.AST, depth: int = 0) -> _Value:
        if depth > MAX_DEPTH:
            self.refuse(node, "nested too deeply")
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = self.visit(node.operand, depth + 1)
            return inner if isinstance(node.op, ast.UAdd) else self.times(node, _Value("scalar", Integer(-1)), inner)
        if isinstance(node, ast.BinOp):
            return self.binop(node, depth)
        if isinstance(node, ast.Attribute):
            if node.attr == "T":
                return self.transpose(self.visit(node.value, depth + 1))
            self.refuse(node, f"attribute '{node.attr}' is not allowed")
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.Subscript):
            return self.subscript(node, depth)
        self.refuse(node, f"{type(node).__name__} is not allowed in a matrix claim")

    def constant(self, node: ast.Constant) -> _Value:
        if type(node.value) is int and abs(node.value) < 10**12:
            return _Value("scalar", Integer(node.value))
        if type(node.value) is float:
            try:
                exact = Decimal(repr(node.value))
            except InvalidOperation:
                self.refuse(node, "invalid number")
            if not exact.is_finite():
                self.refuse(node, "invalid number")
            return _Value("scalar", Rational(*exact.as_integer_ratio()))
        self.refuse(node, f"the constant {node.value!r} is not allowed")

    def name(self, node: ast.Name) -> _Value:
        if node.id in self.symbols:
            m = self.symbols[node.id]
            return _Value("vector" if m.shape[1] == 1 else "matrix", m)
        if self.dim_name is not None and node.id == self.dim_name:
            return _Value("scalar", self.dim)
        if node.id == "pi":
            return _Value("scalar", sympy.pi)
        self.refuse(node, f"unknown symbol '{node.id}'")

    @staticmethod
    def transpose(value: _Value) -> _Value:
        if value.kind == "matrix":
            return _Value("matrix", Transpose(value.expr).doit())
        return value  # a number's or a 1-D vector's transpose is itself

    def times(self, node: ast.AST, left: _Value, right: _Value) -> _Value:
        if left.kind == "scalar" and right.kind == "scalar":
            return _Value("scalar", left.expr * right.expr)  # type: ignore[operator]
        if left.kind == "scalar" or right.kind == "scalar":
            scalar, other = (left, right) if left.kind == "scalar" else (right, left)
            return _Value(other.kind, scalar.expr * other.expr)  # type: ignore[operator]
        self.refuse(node, "'*' between vectors or matrices is elementwise: write @ for a product, or sum(u * v) "
                    "for an inner product")

    def binop(self, node: ast.BinOp, depth: int) -> _Value:
        if isinstance(node.op, ast.MatMult):
            return self.matmul(node, depth)
        left, right = self.visit(node.left, depth + 1), self.visit(node.right, depth + 1)
        if isinstance(node.op, (ast.Add, ast.Sub)):
            if left.kind != right.kind:
                self.refuse(node, f"adding a {left.kind} and a {right.kind}")
            other = right.expr if isinstance(node.op, ast.Add) else -right.expr  # type: ignore[operator]
            if left.kind == "scalar":
                return _Value("scalar", left.expr + other)  # type: ignore[operator]
            return _Value(left.kind, MatAdd(left.expr, other).doit())
        if isinstance(node.op, ast.Mult):
            return self.times(node, left, right)
        if isinstance(node.op, ast.Div):
            denominator = self.scalar(node.right, right)
            if denominator == 0:
                self.refuse(node, "division by zero")
            return self.times(node, left, _Value("scalar", 1 / denominator))
        if isinstance(node.op, ast.Pow):
            base, exponent = self.scalar(node.left, left), self.scalar(node.right, right)
            if any(abs(a) > 100 for a in exponent.atoms(Rational)):
                self.refuse(node, "exponent too large")
            return _Value("scalar", base**exponent)
        self.refuse(node, "this operator is not allowed")

    def matmul(self, node: ast.BinOp, depth: int) -> _Value:
        factors: list[ast.AST] = []
        current: ast.AST = node
        while isinstance(current, ast.BinOp) and isinstance(current.op, ast.MatMult):
            factors.append(current.right)
            current = current.left
        factors.append(current)
        values = [self.visit(f, depth + 1) for f in reversed(factors)]
        if any(v.kind == "scalar" for v in values):
            self.refuse(node, "@ takes vectors and matrices, not numbers")
        return self.chain(node, values)

    def chain(self, node: ast.AST, values: list[_Value]) -> _Value:
        """The product of vectors and matrices in order: u^T M ... v (a number), M ... v (a vector), M ... (a
        matrix)."""
        if len(values) == 1:
            return values[0]
        first, last, middle = values[0], values[-1], values[1:-1]
        if any(v.kind != "matrix" for v in middle):
            self.refuse(node, "a vector inside a product: u @ M @ v is a number, with vectors only at its ends")
        inner = MatMul(*(v.expr for v in middle)).doit() if middle else Identity(self.dim)
        if first.kind == "vector" and last.kind == "vector":
            return _Value("scalar", self.quad(first.expr, inner, last.expr))
        if first.kind == "vector":
            self.refuse(node, "a row vector (u @ M) is not a number: end the product with a vector")
        kind = "vector" if last.kind == "vector" else "matrix"
        return _Value(kind, MatMul(first.expr, inner, last.expr).doit())

    def call(self, node: ast.Call, depth: int) -> _Value:
        if node.keywords:
            self.refuse(node, "keyword arguments are not allowed in a matrix claim")
        func = node.func
        receiver = None
        if isinstance(func, ast.Name):
            name, prefix = func.id, ""
        elif isinstance(func, ast.Attribute):
            name = func.attr
            prefix = dotted_name(func.value) or ""
            if prefix not in _PREFIXES:
                receiver, prefix = func.value, ""
        else:
            self.refuse(node, "only named functions can be called")
        if name.startswith("_"):
            self.refuse(node, f"attribute '{name}' is not allowed")
        if name not in _FUNCTIONS:
            shown = f".{name}()" if receiver is not None else f"{prefix + '.' if prefix else ''}{name}"
            self.refuse(node, f"unknown {'method' if receiver is not None else 'function'} '{shown}'")
        args = ([receiver] if receiver is not None else []) + list(node.args)
        if name in ("len", "numel") or (name == "size" and receiver is not None):
            return _Value("scalar", self.dim)
        if name == "eye":
            return _Value("matrix", Identity(self.dim))
        if name == "solve" and len(args) == 2:
            a, b = (self.visit(x, depth + 1) for x in args)
            if a.kind != "matrix" or b.kind == "scalar":
                self.refuse(node, "solve(A, B) takes a matrix and a vector or matrix")
            return _Value(b.kind, MatMul(Inverse(a.expr), b.expr).doit())
        if name in ("dot", "inner", "vdot") and len(args) == 2:
            a, b = (self.visit(x, depth + 1) for x in args)
            if a.kind != "vector" or b.kind != "vector":
                self.refuse(node, f"{name}() takes two vectors")
            return _Value("scalar", self.quad(a.expr, Identity(self.dim), b.expr))
        if name == "sum" and len(args) == 1:
            return self.inner_product(args[0], node, depth)
        if len(args) != 1:
            self.refuse(node, f"{name}() takes one argument here")
        if name == "cholesky":
            self.refuse(node, "cholesky factors are not supported in claims yet: use logdet, inv or solve")
        value = self.visit(args[0], depth + 1)
        if name == "trace":
            return _Value("scalar", Trace(self.matrix(node, value)))
        if name == "det":
            return _Value("scalar", Determinant(self.matrix(node, value)))
        if name == "logdet":
            return _Value("scalar", sympy.log(Determinant(self.matrix(node, value))))
        if name in ("inv", "inverse", "pinv"):
            return _Value("matrix", Inverse(self.matrix(node, value)).doit())
        if name in ("transpose", "t"):
            return self.transpose(value)
        functions = {"log": sympy.log, "exp": sympy.exp, "sqrt": sympy.sqrt, "abs": sympy.Abs}
        if name in functions:
            return _Value("scalar", functions[name](self.scalar(args[0], value)))
        self.refuse(node, f"unknown function '{prefix + '.' if prefix else ''}{name}'")

    def inner_product(self, arg: ast.AST, node: ast.AST, depth: int) -> _Value:
        """``sum(u * v)`` and ``sum(u ** 2)``: inner products of vectors (a number's sum is itself)."""
        if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Mult):
            a, b = self.visit(arg.left, depth + 1), self.visit(arg.right, depth + 1)
            if a.kind == "scalar" or b.kind == "scalar":
                return self.times(node, a, b) if a.kind == b.kind else self.refuse(
                    node, "sum() of a vector or matrix is taken only as an inner product sum(u * v)")
        elif isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Pow) and isinstance(arg.right, ast.Constant) \
                and arg.right.value == 2:
            a = b = self.visit(arg.left, depth + 1)
        else:
            value = self.visit(arg, depth + 1)
            if value.kind == "scalar":
                return value
            self.refuse(node, "sum() of a vector or matrix is taken only as an inner product sum(u * v)")
        if a.kind != "vector" or b.kind != "vector":
            self.refuse(node, "sum(u * v) takes two vectors")
        return _Value("scalar", self.quad(a.expr, Identity(self.dim), b.expr))

    def subscript(self, node: ast.Subscript, depth: int) -> _Value:
        key = node.slice
        index = key.value if isinstance(key, ast.Constant) and type(key.value) is int else None
        if isinstance(key, ast.UnaryOp) and isinstance(key.op, ast.USub) and isinstance(key.operand, ast.Constant) \
                and type(key.operand.value) is int:
            index = -key.operand.value
        if isinstance(node.value, ast.Attribute) and node.value.attr == "shape" and index in (0, 1, -1):
            return _Value("scalar", self.dim)
        call = node.value
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "slogdet" \
                and index == 1 and len(call.args) == 1 and not call.keywords:
            value = self.visit(call.args[0], depth + 1)
            return _Value("scalar", sympy.log(Determinant(self.matrix(node, value))))
        self.refuse(node, "subscripts are not allowed, except x.shape[0] and slogdet(X)[1]")


# ----------------------------------------------------------------------------------------------------
# LaTeX
# ----------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\\[A-Za-z]+|\\[,;:! ]|\\\||\\[{}]|[0-9]+(?:\.[0-9]+)?|[A-Za-z][A-Za-z0-9]*|\S")
_SKIPPED = frozenset({"\\,", "\\;", "\\:", "\\!", "\\ ", "\\quad", "\\qquad", "\\left", "\\right", "\\bigl", "\\bigr",
                      "\\Bigl", "\\Bigr", "\\big", "\\Big", "\\displaystyle"})
_WRAPPERS = frozenset({"\\boldsymbol", "\\mathbf", "\\bm", "\\vec", "\\mathrm", "\\operatorname", "\\text",
                       "\\mathit", "\\pmb"})
_TRANSPOSES = frozenset({"\\top", "T", "\\intercal", "\\mathsf"})
_GREEK = frozenset({"alpha", "beta", "gamma", "delta", "epsilon", "eta", "theta", "kappa", "lambda", "mu", "nu",
                    "xi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda",
                    "Sigma", "Phi", "Psi", "Omega", "Xi", "Pi"})


class _LatexMatrix:
    """Recursive descent over LaTeX tokens; juxtaposed factors multiply (vectors and matrices in order)."""

    def __init__(self, text: str, reader: _MatrixClaim):
        self.tokens = [(m.group(), m.start()) for m in _TOKEN.finditer(text) if m.group() not in _SKIPPED]
        self.i = 0
        self.reader = reader

    def fail(self, message: str, pos: int | None = None) -> NoReturn:
        if pos is None:
            pos = self.tokens[self.i][1] if self.i < len(self.tokens) else None
        raise ParseError(message, pos)

    def node(self) -> ast.AST:
        pos = self.tokens[min(self.i, len(self.tokens) - 1)][1] if self.tokens else 0
        return ast.Constant(value=0, lineno=1, col_offset=pos)

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None:
            self.fail("the formula ends too early")
        if expected is not None and token != expected:
            self.fail(f"expected '{expected}', found '{token}'")
        self.i += 1
        return token

    def parse(self) -> _Value:
        value = self.expr()
        if self.peek() is not None:
            self.fail(f"unexpected '{self.peek()}'")
        return value

    def expr(self) -> _Value:
        sign = -1 if self.peek() == "-" else 1
        if self.peek() in ("+", "-"):
            self.take()
        value = self.product()
        if sign < 0:
            value = self.reader.times(self.node(), _Value("scalar", Integer(-1)), value)
        while self.peek() in ("+", "-"):
            op = self.take()
            right = self.product()
            if right.kind != value.kind:
                self.fail(f"adding a {value.kind} and a {right.kind}")
            other = right.expr if op == "+" else -right.expr  # type: ignore[operator]
            value = _Value("scalar", value.expr + other) if value.kind == "scalar" else \
                _Value(value.kind, MatAdd(value.expr, other).doit())  # type: ignore[operator]
        return value

    def product(self) -> _Value:
        factors = [self.power()]
        while True:
            token = self.peek()
            if token in ("\\cdot", "\\times", "*"):
                self.take()
                factors.append(self.power())
            elif token == "/":
                self.take()
                divisor = self.power()
                if divisor.kind != "scalar" or divisor.expr == 0:
                    self.fail("division by a vector, a matrix or zero")
                factors.append(_Value("scalar", 1 / divisor.expr))  # type: ignore[operator]
            elif token is not None and token not in ("+", "-", ")", "]", "}", "|", "\\}"):
                factors.append(self.power())
            else:
                break
        scalar = Integer(1)
        ordered = []
        for f in factors:
            if f.kind == "scalar":
                scalar = scalar * f.expr  # type: ignore[operator]
            else:
                ordered.append(f)
        if not ordered:
            return _Value("scalar", scalar)
        return self.reader.times(self.node(), _Value("scalar", scalar), self.reader.chain(self.node(), ordered))

    def group(self) -> list[tuple[str, int]]:
        """The tokens of a braced group (or one token) after ^ or _ or a command."""
        if self.peek() == "{":
            self.take()
            start, depth = self.i, 1
            while depth:
                token = self.take()
                depth += {"{": 1, "}": -1}.get(token, 0)
            return self.tokens[start:self.i - 1]
        self.take()
        return [self.tokens[self.i - 1]]

    def power(self) -> _Value:
        value = self.atom()
        while self.peek() == "^":
            self.take()
            script = [t for t, _ in self.group()]
            if script in (["-", "1"],):
                value = _Value("matrix", Inverse(self.reader.matrix(self.node(), value)).doit())
            elif len(script) >= 1 and script[0] in _TRANSPOSES:
                if script == ["\\mathsf"]:
                    self.group()  # ^\mathsf{T}
                value = self.reader.transpose(value)
            else:
                exponent = self.sub(script)
                if value.kind != "scalar" or exponent.kind != "scalar":
                    self.fail("a power of a vector or matrix (only ^{-1} and ^\\top are)")
                value = _Value("scalar", value.expr**exponent.expr)  # type: ignore[operator]
        return value

    def sub(self, tokens: list[str]) -> _Value:
        inner = _LatexMatrix("", self.reader)
        inner.tokens = [(t, self.tokens[self.i - 1][1]) for t in tokens]
        return inner.parse()

    def argument(self) -> _Value:
        if self.peek() == "(":
            self.take()
            value = self.expr()
            self.take(")")
            return value
        if self.peek() == "|":
            return self.power()
        return self.power()

    def atom(self) -> _Value:
        token = self.peek()
        if token is None:
            self.fail("the formula ends too early")
        pos = self.tokens[self.i][1]
        if token in ("(", "["):
            self.take()
            value = self.expr()
            self.take(")" if token == "(" else "]")
            return value
        if token == "{":
            self.take()
            value = self.expr()
            self.take("}")
            return value
        if token == "|":
            self.take()
            value = self.expr()
            self.take("|")
            return _Value("scalar", Determinant(self.reader.matrix(self.node(), value)))
        if token[0].isdigit():
            self.take()
            exact = Decimal(token)
            return _Value("scalar", Rational(*exact.as_integer_ratio()))
        if token in ("\\frac", "\\dfrac", "\\tfrac"):
            self.take()
            numerator, denominator = self.braced(), self.braced()
            if denominator.kind != "scalar" or denominator.expr == 0:
                self.fail("a fraction's denominator must be a nonzero number", pos)
            return self.reader.times(self.node(), numerator, _Value("scalar", 1 / denominator.expr))  # type: ignore
        if token in ("\\log", "\\ln"):
            self.take()
            return _Value("scalar", sympy.log(self.reader.scalar(self.node(), self.argument())))
        if token == "\\exp":
            self.take()
            return _Value("scalar", sympy.exp(self.reader.scalar(self.node(), self.argument())))
        if token in ("\\det", "\\tr", "\\Tr", "\\trace"):
            self.take()
            return self.function(token[1:].lower(), pos)
        if token in _WRAPPERS:
            self.take()
            name = "".join(t for t, _ in self.group())
            if name.lower() in ("tr", "trace", "det", "logdet"):
                return self.function(name.lower(), pos)
            return self.name(name.replace("\\", ""), pos)
        if token.startswith("\\") and token[1:] in _GREEK:
            self.take()
            return self.name(token[1:], pos)
        if token[0].isalpha():
            pieces = self.split(token)
            if len(pieces) > 1:  # a run of names written together: Sk is S k
                self.tokens[self.i:self.i + 1] = [(piece, pos) for piece in pieces]
                token = pieces[0]
            self.take()
            return self.name(token, pos)
        self.fail(f"'{token}' is not allowed in a matrix claim", pos)

    def split(self, run: str) -> list[str]:
        """``run`` as known names (longest first), if it is not one itself and can be read so; else [run]."""
        known = set(self.reader.symbols) | ({self.reader.dim_name} if self.reader.dim_name else set())
        if run in known or self.peek_after() == "_":
            return [run]
        pieces, rest = [], run
        while rest:
            match = next((rest[:n] for n in range(len(rest), 0, -1) if rest[:n] in known), None)
            if match is None:
                return [run]
            pieces.append(match)
            rest = rest[len(match):]
        return pieces

    def peek_after(self) -> str | None:
        return self.tokens[self.i + 1][0] if self.i + 1 < len(self.tokens) else None

    def braced(self) -> _Value:
        token = self.peek()
        if token is not None and token[0].isdigit() and len(token) > 1:  # \frac12: TeX takes one character
            pos = self.tokens[self.i][1]
            self.tokens[self.i:self.i + 1] = [(token[0], pos), (token[1:], pos + 1)]
            return self.atom()
        if token != "{":
            return self.power()
        self.take("{")
        value = self.expr()
        self.take("}")
        return value

    def function(self, name: str, pos: int) -> _Value:
        value = self.argument()
        matrix = self.reader.matrix(self.node(), value)
        if name in ("tr", "trace"):
            return _Value("scalar", Trace(matrix))
        if name == "logdet":
            return _Value("scalar", sympy.log(Determinant(matrix)))
        return _Value("scalar", Determinant(matrix))

    def name(self, name: str, pos: int) -> _Value:
        if self.peek() == "_":
            self.take()
            subscript = "".join(t for t, _ in self.group()).replace("\\", "")
            for candidate in (f"{name}{subscript}", f"{name}_{subscript}"):
                if candidate in self.reader.symbols:
                    return self.reader.name(ast.Name(id=candidate, lineno=1, col_offset=pos))
        known = set(self.reader.symbols) | ({self.reader.dim_name} if self.reader.dim_name else set())
        if name in known or name == "pi":
            return self.reader.name(ast.Name(id=name, lineno=1, col_offset=pos))
        self.fail(f"unknown symbol '{name}'", pos)


def _latex(text: str, reader: _MatrixClaim) -> _Value:
    body = text.strip()
    for start, end in (("$$", "$$"), ("$", "$"), ("\\[", "\\]"), ("\\(", "\\)")):
        if body.startswith(start) and body.endswith(end) and len(body) > len(start) + len(end):
            body = body[len(start):len(body) - len(end)]
            break
    head = re.match(r"\s*(?:D_\{?\\mathrm\{KL\}\}?|\\mathrm\{KL\}|KL)\s*(?:\\left)?\(.*?\)\s*=", body)
    offset = text.find(body)
    if head is not None:
        offset += head.end()
        body = body[head.end():]
    parser = _LatexMatrix(body, reader)
    parser.tokens = [(t, p + offset) for t, p in parser.tokens]
    return parser.parse()


def parse_matrix_claim(text: str, symbols: Mapping[str, MatrixSymbol], dim: Expr, dim_name: str | None,
                       quad_form: QuadForm) -> Expr:
    """The SymPy expression of a Python-syntax matrix claim over ``symbols`` (see the module docstring).

    ``quad_form(u, M, v)`` builds the number ``u^T M v`` (the derivations' own node, passed by the caller).
    """
    if not isinstance(text, str) or not text.strip():
        raise ParseError("empty claim", 0)
    if len(text) > MAX_LENGTH:
        raise ParseError(f"claim too long ({len(text)} characters; the limit is {MAX_LENGTH})", MAX_LENGTH)
    if "\x00" in text:
        raise ParseError("null byte in the claim", text.index("\x00"))
    if "\\" in text or "^{" in text or "_{" in text:
        try:
            value = _latex(text, _MatrixClaim(symbols, dim, dim_name, 0, quad_form))
        except ParseError:
            raise
        except RecursionError:
            raise ParseError("claim nested too deeply", None) from None
        except Exception as error:  # the contract: nothing but ParseError escapes
            raise ParseError(f"could not read the LaTeX claim ({type(error).__name__})", None) from None
        if value.kind != "scalar":
            raise ParseError(f"the claim is a {value.kind}, not a number", 0)
        return value.expr  # type: ignore[return-value]
    base = len(text) - len(text.lstrip())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise ParseError(f"invalid syntax: {(error.msg or '').splitlines()[0]}",
                         base + max((error.offset or 1) - 1, 0)) from None
    except (ValueError, RecursionError, MemoryError):
        raise ParseError("could not parse the claim", None) from None
    try:
        value = _MatrixClaim(symbols, dim, dim_name, base, quad_form).visit(tree.body)
    except RecursionError:
        raise ParseError("claim nested too deeply", None) from None
    except ParseError:
        raise
    except Exception as error:  # the contract: nothing but ParseError escapes
        raise ParseError(f"could not read the claim ({type(error).__name__})", None) from None
    if value.kind != "scalar":
        raise ParseError(f"the claim is a {value.kind}, not a number", base)
    return value.expr  # type: ignore[return-value]


__all__ = ["parse_matrix_claim"]
