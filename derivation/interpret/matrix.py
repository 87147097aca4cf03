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

Anything else is a :class:`~derivation.core.errors.ParseError` naming the position.
"""

from __future__ import annotations

import ast
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


def _dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


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
            prefix = _dotted(func.value) or ""
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
    if "\\" in text:
        raise ParseError("LaTeX claims about MvNormal pairs are not supported yet: write the claim in Python "
                         "(torch.trace, torch.logdet, @, .T, torch.linalg.inv/solve)", text.index("\\"))
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
