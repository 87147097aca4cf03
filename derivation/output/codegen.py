"""Export a derived closed form as code: a small NumPy or PyTorch function, printed from the SymPy result.

Nothing is typed: the function body is the derivation's result printed by :class:`ArrayCodePrinter`
(a SymPy ``PythonCodePrinter`` whose elementary functions go to the array module, ``np`` or
``torch``, and whose purely numeric parts stay in ``math``), and the docstring states the
derivation's identity, printed by SymPy's ``sstr`` (an infinity as ``inf``). The templates (``python.py.j2``,
``torch.py.j2``) only lay the pieces out.

Vectors and matrices are taken batched: a vector as an array of shape ``(..., d)`` (a float: the same value in
every coordinate), a covariance as ``(..., k, k)``; the generated ``_arrays`` checks the dimension (against the
derivation's N when it is concrete) and raises ``ValueError`` naming the argument. A result written out at a
concrete dimension is folded back into a sum over the coordinates (:func:`folded`, checked against the
written-out result), so the code is ``np.sum(..., axis=-1)`` at every N, not N terms.
"""

from __future__ import annotations

import builtins
import keyword
from typing import Any

from sympy import (
    Abs,
    And,
    Basic,
    Expr,
    Function,
    Indexed,
    IndexedBase,
    Integral,
    Mul,
    Pow,
    S,
    Sum,
    Symbol,
    exp,
    expand_log,
    gamma,
    log,
    loggamma,
    polygamma,
)
from sympy.codegen.numpy_nodes import logaddexp
from sympy.matrices.expressions import Determinant, Inverse, MatAdd, MatMul, MatrixSymbol, Trace, Transpose
from sympy.printing.pycode import PythonCodePrinter
from sympy.printing.str import StrPrinter

from ..core.engine import Derivation
from ..core.errors import DerivationError, UsageError
from ..core.forms import evaluated
from ..core.functions import XLogY
from ..laws import NormalLaw
from ..nodes.families import Instantiation, _rebuild, _signature, index_family
from ..nodes.scalar import KL, Expectation
from ..nodes.vector import CodeLine, QuadForm
from ..rules.base import rewrite_nodes

#: The function name of the emitted code.
FUNCTION_NAME = "kl_divergence"


class _DocstringPrinter(StrPrinter):
    """SymPy's ``sstr``, with an infinity written as Python writes it (``inf``, not SymPy's ``oo``): a docstring
    of a NumPy or PyTorch function reads like the code beside it."""

    def _print_Infinity(self, expr) -> str:
        return "inf"

    def _print_NegativeInfinity(self, expr) -> str:
        return "-inf"


def sstr(expr) -> str:
    """An expression as the exports' docstrings print it (:class:`_DocstringPrinter`)."""
    return _DocstringPrinter().doprint(expr)


def stable_form(expr: Expr) -> tuple[Expr, tuple[str, ...]]:
    """``expr`` with each ``log(1 + e^u)`` (u a parameter) computed as ``logaddexp(0, u)`` (softplus: no overflow
    for a large u) and each ``1/(1 + e^u)`` as ``exp(-logaddexp(0, u))`` (the logistic function, likewise), and one
    line per rewrite for the docstring. Each rewrite is checked: the new node written back
    in logarithms must be the node it replaces (else :class:`DerivationError`)."""
    notes: dict[str, None] = {}

    def one_plus_exp(term: Expr) -> Expr | None:
        """``logaddexp(0, u)`` for ``term = 1 + e^u`` (u depending on a parameter), else None."""
        if not (term.is_Add and len(term.args) == 2):
            return None
        ones = [t for t in term.args if t == 1]
        powers = [t for t in term.args if isinstance(t, exp) and t.free_symbols]
        return logaddexp(S.Zero, powers[0].args[0]) if ones and powers else None

    def checked(node: Expr, new: Expr) -> Expr:
        if evaluated(new.rewrite(log)) != evaluated(node):
            raise DerivationError(f"the stable form {new} is not {node}")
        notes[f"{sstr(node)} computed as {sstr(new)} (checked equal)"] = None
        return new

    def softplus(node: Expr) -> Expr | None:  # log(1 + e^u) as logaddexp(0, u)
        new = one_plus_exp(node.args[0]) if isinstance(node, log) else None
        return None if new is None else checked(node, new)

    def logistic(node: Expr) -> Expr | None:  # 1/(1 + e^u) as exp(-logaddexp(0, u)): no overflow for a large u
        new = one_plus_exp(node.base) if isinstance(node, Pow) and node.exp == -1 else None
        return None if new is None else checked(node, exp(-new))

    def exp_gamma(node: Expr) -> Expr | None:  # e^a Gamma(b) as exp(a + lgamma(b)): no inf * 0 when both are extreme
        if not node.is_Mul:
            return None
        powers = [f for f in node.args if isinstance(f, exp)]
        gammas = [f for f in node.args if isinstance(f, gamma) and f.free_symbols]
        if len(powers) != 1 or len(gammas) != 1:
            return None
        rest = [f for f in node.args if f is not powers[0] and f is not gammas[0]]
        new = Mul(*rest, exp(powers[0].args[0] + loggamma(gammas[0].args[0]), evaluate=False), evaluate=False)
        if evaluated(new.replace(loggamma, lambda arg: log(gamma(arg)))) != evaluated(node):
            raise DerivationError(f"the stable form {new} is not {node}")
        notes[f"{sstr(node)} computed as {sstr(new)} (checked equal)"] = None
        return new

    stable = rewrite_nodes(rewrite_nodes(expr, logistic), softplus)
    return rewrite_nodes(stable, exp_gamma), tuple(notes)


class LogSumExp(Function):
    """``log sum_j e^{l_j}`` over the last axis (``torch.logsumexp``): no overflow for large logits."""

    def _eval_rewrite_as_log(self, logits, index, size, **kwargs):
        return log(Sum(exp(logits[index]), (index, 1, size)))


class Softmax(Function):
    """``e^{l_k} / sum_j e^{l_j}`` as a vector over the last axis (``torch.softmax``): no overflow."""

    def _eval_rewrite_as_log(self, logits, k, index, size, **kwargs):
        return exp(logits[k]) / Sum(exp(logits[index]), (index, 1, size))


def _log_sum_exp(node: Expr) -> tuple[Expr, Expr, Expr] | None:
    """``(l, j, K)`` of ``log sum_{j=1}^{K} e^{l_j}``, else None."""
    if not (isinstance(node, log) and isinstance(node.args[0], Sum)):
        return None
    total = node.args[0]
    (index, low, size), = total.limits
    body = total.function
    if low != 1 or not (isinstance(body, exp) and isinstance(body.args[0], Indexed)
                        and body.args[0].indices == (index,)):
        return None
    return body.args[0].base, index, size


def array_functions(expr: Expr) -> tuple[Expr, tuple[str, ...]]:
    """``expr`` with the library's stable functions where it has them: ``log sum_j e^{l_j}`` as ``logsumexp``,
    ``e^{l_k} / sum_j e^{l_j}`` as ``softmax``, and ``x log(x/y)`` (x an entry of a vector) as ``xlogy(x, x/y)``;
    one line per rewrite for the docstring. Each rewrite is checked: written back, it must be the node it
    replaces (else :class:`DerivationError`)."""
    notes: dict[str, None] = {}

    def checked(node: Expr, new: Expr) -> Expr:
        if evaluated(new.rewrite(log)) != evaluated(node):
            raise DerivationError(f"the stable form {new} is not {node}")
        notes[f"{sstr(node)} computed as {sstr(new)} (checked equal)"] = None
        return new

    def log_sum_exp(node: Expr) -> Expr | None:
        found = _log_sum_exp(node)
        return None if found is None else checked(node, LogSumExp(*found))

    def softmax_or_xlogy(node: Expr) -> Expr | None:
        if not node.is_Mul:
            return None
        parts = list(node.args)
        for power in parts:
            found = _log_sum_exp(log(power.base)) if power.is_Pow and power.exp == -1 else None
            if found is None:
                continue
            logits, index, size = found
            top = next((f for f in parts if isinstance(f, exp) and isinstance(f.args[0], Indexed)
                        and f.args[0].base == logits and f.args[0].indices[0] != index), None)
            if top is not None:
                rest = [f for f in parts if f is not power and f is not top]
                softmax = checked(top * power, Softmax(logits, top.args[0].indices[0], index, size))
                return Mul(softmax, *rest)
        entries = [f for f in parts if isinstance(f, Indexed)]
        logs = [f for f in parts if isinstance(f, log) and any(e in f.args[0].free_symbols or f.args[0].has(e)
                                                                for e in entries)]
        if len(entries) == 1 and len(logs) == 1 and len(parts) == 2:
            return checked(node, XLogY(entries[0], logs[0].args[0]))
        return None

    out = rewrite_nodes(rewrite_nodes(expr, softmax_or_xlogy), log_sum_exp)
    return out, tuple(notes)


class ArrayCodePrinter(PythonCodePrinter):
    """Prints expressions as Python over arrays of ``module`` (``np`` or ``torch``).

    ``exp``, ``log``, ``sqrt`` and ``abs`` of anything that depends on a parameter call the array
    module; numeric constants (``log(2)``, ``sqrt(3)``, ``pi``) are computed with ``math``, which
    works for both modules (``torch.log`` does not take a Python number). ``modules`` records what
    the printed code uses, for the imports.
    """

    def __init__(self, module: str) -> None:
        super().__init__({"fully_qualified_modules": True, "standard": "python3"})
        self.module = module
        self.modules: set[str] = set()

    def _owner(self, expr: Basic) -> str:
        """The array module for an expression of the parameters; ``math`` for numbers and the dimension alone (an
        int: ``math.log(1/_dim)``)."""
        owner = self.module if expr.free_symbols - set(getattr(self, "dimensions", {})) else "math"
        self.modules.add(owner)
        return owner

    def _call(self, name: str, expr: Basic, arg: Basic) -> str:
        return f"{self._owner(expr)}.{name}({self._print(arg)})"

    def _print_logaddexp(self, expr: logaddexp) -> str:
        """``log(e^a + e^b)`` without overflow (``np.logaddexp``; torch's takes two tensors)."""
        self.modules.add(self.module)
        a, b = (self._print(arg) for arg in expr.args)
        if self.module == "torch" and expr.args[0] == 0:
            a = f"torch.zeros_like({b})"
        return f"{self.module}.logaddexp({a}, {b})"

    def _print_exp(self, expr: exp) -> str:
        return self._call("exp", expr, expr.args[0])

    def _print_And(self, expr: And) -> str:
        """``(a2 <= a1) & (b1 <= b2)``: elementwise over arrays and tensors (Python's ``and`` asks an array for
        one truth value)."""
        return " & ".join(self._print(arg) if arg.is_Relational else f"({self._print(arg)})" for arg in expr.args)

    def _print_log(self, expr: log) -> str:
        if expr.args[0].has(gamma):  # log(Gamma(a) / Gamma(b)) as lgamma(a) - lgamma(b): no overflow
            if isinstance(expr.args[0], gamma):
                return self._special("lgamma", "gammaln", expr, expr.args[0].args[0])
            expanded = expand_log(expr, force=True)
            if expanded != expr:
                return self._print(expanded)
        return self._call("log", expr, expr.args[0])

    def parenthesize(self, item: Basic, level: int, strict: bool = False) -> str:
        """As SymPy's, and a logarithm of Gamma functions (printed as a sum of ``lgamma`` terms, :meth:`_print_log`)
        in brackets where it is a factor or negated: ``-(lgamma(a) + lgamma(b) - lgamma(a + b))``."""
        if isinstance(item, log) and item.args[0].has(gamma) and not isinstance(item.args[0], gamma) \
                and expand_log(item, force=True).is_Add:
            return f"({self._print(item)})"
        return super().parenthesize(item, level, strict)

    def _special(self, torch_name: str, scipy_name: str, expr: Basic, arg: Basic) -> str:
        """A special function: ``torch.lgamma`` / ``special.gammaln`` (SciPy) of a parameter, ``math`` of a number
        (or of a dimension: an integer in the code)."""
        if not expr.free_symbols:
            self.modules.add("math")
            return f"math.{torch_name}({self._print(arg)})"
        if not expr.free_symbols - set(getattr(self, "dimensions", {})):  # of a dimension: an integer in the code
            if torch_name in ("lgamma", "erf"):
                self.modules.add("math")
                return f"math.{torch_name}({self._print(arg)})"
            if self.module == "torch":
                self.modules.add("torch")
                return f"torch.{torch_name}(torch.tensor(float({self._print(arg)}), dtype=torch.float64))"
        if self.module == "torch":
            self.modules.add("torch")
            return f"torch.{torch_name}({self._print(arg)})"
        self.modules.add("special")
        return f"special.{scipy_name}({self._print(arg)})"

    def _print_loggamma(self, expr: loggamma) -> str:
        return self._special("lgamma", "gammaln", expr, expr.args[0])

    def _print_XLogY(self, expr: XLogY) -> str:
        x, y = (self._print(a) for a in expr.args)
        if self.module == "torch":
            self.modules.add("torch")
            return f"torch.xlogy({x}, {y})"
        self.modules.add("special")
        return f"special.xlogy({x}, {y})"

    def _axis_call(self, name: str, logits: Basic) -> str:
        """``torch.<name>(l, dim=-1)`` / ``special.<name>(l, axis=-1)`` (SciPy) of a vector of logits."""
        if self.module == "torch":
            self.modules.add("torch")
            return f"torch.{name}({logits.label}, dim=-1)"
        self.modules.add("special")
        return f"special.{name}({logits.label}, axis=-1)"

    def _print_LogSumExp(self, expr: LogSumExp) -> str:
        return self._axis_call("logsumexp", expr.args[0])

    def _print_Softmax(self, expr: Softmax) -> str:
        if expr.args[1] != self.summing:
            raise UsageError(f"no code for the softmax entry {expr.args[1]} outside a sum over the categories")
        return self._axis_call("softmax", expr.args[0])

    def _print_gamma(self, expr: gamma) -> str:
        return f"{self._owner(expr)}.exp({self._special('lgamma', 'gammaln', expr, expr.args[0])})"

    def _print_polygamma(self, expr: polygamma) -> str:
        order, arg = expr.args
        if order != 0 or not expr.free_symbols:
            return self._print(evaluated(expr).evalf(17))
        return self._special("digamma", "digamma", expr, arg)

    def _print_erf(self, expr: Basic) -> str:
        """The error function: ``torch.erf`` / ``special.erf`` (SciPy) of a parameter, ``math.erf`` of a number."""
        return self._special("erf", "erf", expr, expr.args[0])

    def _print_Abs(self, expr: Abs) -> str:
        return self._call("abs", expr, expr.args[0]) if expr.free_symbols else f"abs({self._print(expr.args[0])})"

    def _print_Pow(self, expr: Pow, rational: bool = False) -> str:
        if expr.exp == S.Half:
            return self._call("sqrt", expr, expr.base)
        if expr.exp == -S.Half:
            return f"1/{self._call('sqrt', expr, expr.base)}"
        return super()._print_Pow(expr, rational=False)

    # -- vectors and matrices (the multivariate cases) ------------------------------------------------
    #: Code for the dimension symbols (``d -> mu_q.shape[0]``), set from the setting by :func:`code_context`.
    dimensions: dict[Basic, str]
    #: The index of the sum being printed: its indexed symbols print as whole vectors.
    summing: Basic | None = None

    def _print_Symbol(self, expr: Symbol) -> str:
        dimension = getattr(self, "dimensions", {}).get(expr)
        return dimension if dimension is not None else super()._print_Symbol(expr)

    def _print_MatrixSymbol(self, expr: Basic) -> str:
        return str(expr.name)

    def _print_IndexedBase(self, expr: IndexedBase) -> str:
        return str(expr.label)

    def _print_Indexed(self, expr: Indexed) -> str:
        (index,) = expr.indices
        if index == self.summing:
            return str(expr.base.label)
        if index.is_Integer:
            return f"{expr.base.label}[..., {int(index) - 1}]"
        raise UsageError(f"no code for the entry {expr} outside a sum over its index")

    def _print_Sum(self, expr: Sum) -> str:
        (index, _, _), = expr.limits
        outer, self.summing = self.summing, index
        try:
            body = self._print(expr.function)
        finally:
            self.summing = outer
        self.modules.add(self.module)
        axis = "dim" if self.module == "torch" else "axis"
        if outer is not None and outer != index:  # inside another sum: kept as an axis, to broadcast against it
            keep = "keepdim" if self.module == "torch" else "keepdims"
            return f"{self.module}.sum({body}, {axis}=-1, {keep}=True)"
        return f"{self.module}.sum({body}, {axis}=-1)"

    def _print_CodeLine(self, expr: CodeLine) -> str:
        return self._print(expr.expr)

    def _linalg(self, name: str, arg: Basic) -> str:
        self.modules.add(self.module)
        return f"{self.module}.linalg.{name}({self._print(arg)})"

    def _print_Trace(self, expr: Trace) -> str:
        self.modules.add(self.module)
        if self.module == "torch":  # torch.trace takes one matrix: the diagonal of a batch, summed
            return f"torch.diagonal({self._print(expr.arg)}, dim1=-2, dim2=-1).sum(-1)"
        return f"np.trace({self._print(expr.arg)}, axis1=-2, axis2=-1)"

    def _print_Determinant(self, expr: Determinant) -> str:
        return self._linalg("det", expr.arg)

    def _print_Inverse(self, expr: Inverse) -> str:
        return self._linalg("inv", expr.arg)

    def _print_Transpose(self, expr: Transpose) -> str:
        if self.module == "torch":
            return f"({self._print(expr.arg)}).transpose(-1, -2)"
        self.modules.add(self.module)
        return f"np.swapaxes({self._print(expr.arg)}, -1, -2)"

    def _print_MatMul(self, expr: MatMul) -> str:
        scalars = [self._print(f) for f in expr.args if not getattr(f, "is_Matrix", False)]
        matrices = [self._print(f) if not isinstance(f, MatAdd) else f"({self._print(f)})"
                    for f in expr.args if getattr(f, "is_Matrix", False)]
        product = " @ ".join(matrices)
        return f"{'*'.join(scalars)}*({product})" if scalars else product

    def _print_MatAdd(self, expr: MatAdd) -> str:
        return " + ".join(self._print(t) for t in expr.args).replace("+ -1*", "- ")

    def _print_QuadForm(self, expr: QuadForm) -> str:
        return f"({self._print(expr.as_matrix())})[..., 0, 0]"

    def _print_Pi(self, expr: Basic) -> str:
        self.modules.add("math")
        return "math.pi"

    def _print_Infinity(self, expr: Basic) -> str:
        self.modules.add("math")
        return "math.inf"

    def _print_Exp1(self, expr: Basic) -> str:
        self.modules.add("math")
        return "math.e"


#: The generated module's own names besides the function: the argument checker and the dimension it returns.
HELPER, DIMENSION = "_arrays", "_dim"

_RESERVED = frozenset({"np", "numpy", "torch", "math", FUNCTION_NAME, HELPER, DIMENSION}) | frozenset(dir(builtins))


def _law(setting: Any, density: Any) -> str:
    """``N(a, exp(w))``, ``Laplace(m, b)``: a density as its setting states it (``as_stated``: the vae case keeps
    its variances), else in the user's parameters (fresh scales substituted)."""
    in_user_terms = getattr(setting, "as_stated", None) or getattr(setting, "in_user_terms", evaluated)
    if density.law.vector:
        return f"N({sstr(density.mean)}, {sstr(in_user_terms(density.cov))})"
    if isinstance(density.law, NormalLaw):
        return f"N({sstr(evaluated(density.mean))}, {sstr(in_user_terms(density.std) ** 2)})"
    return f"{density.law.family}({', '.join(sstr(in_user_terms(p)) for p in density.law.parameters)})"


#: How many trailing axes of an argument are its own, not the batch's, by its kind (see :func:`_kind`).
_OWN_AXES = {"vector": 1, "column": 2, "matrix": 2}


def _constant_body(number: str, names: list[str], kinds: dict[str, str], module: str, modules: set[str]) -> str:
    """A divergence that is a constant (``number``, printed: +inf by the supports, 0 for a law against itself) in the
    batch shape of the arguments (the number itself when there are none): the same shape, dtype and, in torch, a
    tensor as any other result."""
    modules.add("math")
    if not names:
        return number
    modules.add(module)
    shapes = [f"torch.as_tensor({name}).shape" if module == "torch" else f"np.shape({name})" for name in names]
    shapes = [f"{shape}[:-{_OWN_AXES[kinds[name]]}]" if name in kinds else shape
              for shape, name in zip(shapes, names, strict=True)]
    if module == "torch":
        return f"torch.full(torch.broadcast_shapes({', '.join(shapes)}), {number}, dtype=torch.get_default_dtype())"
    dtype = "" if number == "math.inf" else ", dtype=float"  # np.full(shape, 0) would be an array of ints
    if not kinds:
        return f"np.full(np.broadcast({', '.join(names)}).shape, {number}{dtype})"
    return f"np.full(np.broadcast_shapes({', '.join(shapes)}), {number}{dtype})"


def _domain(symbol: Basic, interval: Any = None) -> str:
    """The docstring's statement of where ``symbol`` lies (``interval``: a law's domain for it, ``(0, 1)``)."""
    if interval is not None:
        return f"{interval.left} < {symbol} < {interval.right}"
    if isinstance(symbol, MatrixSymbol):
        rows, cols = symbol.shape
        return f"{symbol.name} a vector of length {rows}" if cols == 1 else \
            f"{symbol.name} a symmetric positive-definite {rows} x {cols} matrix"
    if isinstance(symbol, IndexedBase):
        kind = "positive" if symbol.is_positive else "real"
        return f"{symbol.label} an array of {kind} entries (coordinates on the last axis)"
    if symbol.is_integer and symbol.is_positive:
        return f"{symbol} a positive integer"
    return f"{symbol} > 0" if symbol.is_positive else f"{symbol} real"


# -- a written-out result folded back into a sum over the coordinates -----------------------------------------


class _Fold:
    """Folds each run ``t_1 + t_2 + ... + t_N`` of one term per coordinate (the k-th term is the first with
    coordinate index 1 replaced by k) of a line written out at d = N back into ``Sum_{j=1}^{N} t_j``.

    The inverse of :class:`~derivation.nodes.families.Instantiation` on such runs; at N = 1 the smallest piece
    that carries the coordinate index becomes a sum of one term. Pieces are rebuilt without evaluation,
    so that writing the folded line out again gives the line itself, node for node.
    """

    def __init__(self, size: int, index: Symbol):
        self.size, self.index = size, index

    def __call__(self, expr: Basic) -> Basic:
        if not expr.args:
            return expr
        carried = _signature(expr)[1]
        if carried is None:
            return expr
        if self.size > 1 and expr.is_Add and len(expr.args) == self.size and \
                _signature(expr.args[0])[1] == 1 and index_family(expr.args):
            return Sum(self._entry(expr.args[0]), (self.index, 1, self.size))
        if self.size == 1 and carried == 1 and not ((expr.is_Add or expr.is_Mul) and
                                                    sum(_signature(a)[1] is not None for a in expr.args) == 1):
            return Sum(self._entry(expr), (self.index, 1, 1))
        args = tuple(self(a) for a in expr.args)
        return expr if all(a is b for a, b in zip(args, expr.args, strict=True)) else _rebuild(expr, args)

    def _entry(self, expr: Basic) -> Basic:
        """``expr`` with coordinate index 1 replaced by the summation index."""
        if isinstance(expr, Indexed):
            return _rebuild(expr, (expr.base, self.index)) if expr.indices == (1,) else expr
        if not expr.args:
            return expr
        args = tuple(self._entry(a) for a in expr.args)
        return expr if all(a is b for a, b in zip(args, expr.args, strict=True)) else _rebuild(expr, args)


def folded(result: Basic, setting: Any) -> Basic:
    """``result`` (written out at the setting's concrete dimension N) with its runs of one term per coordinate
    folded back into sums over j = 1, ..., N, checked: written out again, the folded line is ``result``.

    Code over arrays sums the coordinates on an axis (``np.sum(..., axis=-1)``) instead of writing N terms
    out: it imports and runs at every N. Without a concrete dimension, ``result`` itself.
    """
    size, index = getattr(setting, "size", None), getattr(setting, "index", None)
    if size is None or index is None:
        return result
    fold = _Fold(size, index)
    out = fold(result)
    if out is not result and Instantiation(setting.dim_symbol, size)(out) != result:
        raise DerivationError(f"the code over the coordinates does not write out to the derived result at d = {size}")
    return out


# -- the arguments: shapes and the docstring's account of them ------------------------------------------------


def _kind(symbol: Basic) -> str | None:
    """How the generated code takes a parameter: ``vector`` (coordinates on the last axis), ``column``
    (a vector in matrix products), ``matrix`` (the last two axes), or None (a number, broadcast elementwise)."""
    if isinstance(symbol, IndexedBase):
        return "vector"
    if isinstance(symbol, MatrixSymbol):
        return "column" if symbol.shape[1] == 1 else "matrix"
    return None


def _shapes_doc(kinds: dict[str, str], size: Any, dimension: str, array: str) -> str:
    """The docstring's sentence on the arguments' shapes (``dimension``: the name of the dimension)."""
    d = str(size) if size is not None else dimension
    groups = {"vector": [], "column": [], "matrix": []}
    for name, kind in kinds.items():
        groups[kind].append(name)
    parts = [f"{', '.join(names)}: {array}s of shape (..., {d}{', ' + d if kind == 'matrix' else ''})"
             for kind, names in groups.items() if names]
    fixed = f"{dimension} = {size} (checked)" if size is not None else \
        f"{dimension} is the same for every argument (checked)"
    floats = " A float is the same value in every coordinate." if groups["vector"] or groups["column"] else ""
    return (f"Arguments: {'; '.join(parts)}; {fixed}. Leading axes are a batch (broadcast); the result has "
            f"the batch shape.{floats}")


def _renamed(symbol: Basic, renames: dict[str, str]) -> Basic:
    """``symbol`` under its name in code (the log-variance ``ell`` is ``logvar`` there), assumptions kept."""
    if isinstance(symbol, IndexedBase) and str(symbol.label) in renames:
        return IndexedBase(renames[str(symbol.label)], **symbol.assumptions0)
    if isinstance(symbol, Symbol) and symbol.name in renames:
        return Symbol(renames[symbol.name], **symbol.assumptions0)
    return symbol


def code_context(derivation: Derivation, module: str) -> dict[str, Any]:
    """What the code templates lay out: the signature, the argument check, the docstring's statements and the body."""
    setting = derivation.setting
    if derivation.result.has(Expectation, KL, Integral):
        raise UsageError(f"the result of {derivation.name!r} is an identity between expectations, not a closed form: "
                         "it has no code to export (choose a document format)")
    if not hasattr(setting, "p"):
        raise UsageError(f"the result of {derivation.name!r} is not a KL divergence between two densities, the only "
                         "closed form the code formats export (choose a document format)")
    renames = dict(getattr(setting, "code_names", {}))
    # a Python keyword is not a parameter name: SymPy's code printer writes ``lambda`` as ``lambda_``
    renames.update({str(s.name): f"{s.name}_" for s in setting.parameters
                    if keyword.iskeyword(str(s.name)) and str(s.name) not in renames})
    parameters = tuple(_renamed(s, renames) for s in setting.parameters)
    laws = [d.law for d in (setting.q, setting.p) if hasattr(d, "law") and not d.law.vector]
    domains = {s: domain for law in laws for s, domain in law.domains().items()}
    names = [str(s.name) for s in parameters]
    clashes = [name for name in names if name in _RESERVED]
    if clashes:
        raise UsageError(f"the symbol name {clashes[0]!r} would shadow a name the generated code uses; rename it")
    shown = derivation.result
    result: Expr = evaluated(folded(shown.expr if isinstance(shown, CodeLine) else shown, setting))
    result = getattr(setting, "code_terms", lambda e: e)(result)  # named quantities as the code computes them
    result = result.xreplace({atom: _renamed(atom, renames) for atom in result.atoms(Symbol, IndexedBase)})
    derived = result
    kinds = {name: kind for name, kind in ((n, _kind(s)) for n, s in zip(names, parameters, strict=True)) if kind}
    printer = ArrayCodePrinter(module)
    dimensions = dict(getattr(setting, "code_dimensions", dict)())
    printer.dimensions = {symbol: DIMENSION for symbol in dimensions} if kinds else dimensions
    result, stable = stable_form(result) if module in ("np", "torch") else (result, ())
    if module in ("np", "torch"):
        result, array_notes = array_functions(result)
        stable += array_notes
    conversions, quiet = "", False
    if result == S.Infinity:
        body = _constant_body("math.inf", names, kinds, module, printer.modules)
    elif result.is_number and names and module in ("np", "torch"):  # a law against itself: zeros, batch-shaped
        body = _constant_body(printer.doprint(result), names, kinds, module, printer.modules)
    else:
        body = printer.doprint(result)
        finite = getattr(setting, "finite_where", lambda: S.true)()
        if finite not in (S.true, S.false) and module in ("np", "torch"):  # +inf where a needed moment is infinite
            printer.modules.update({module, "math"})
            finite = finite.xreplace({a: _renamed(a, renames) for a in finite.free_symbols})
            body = f"{module}.where({printer.doprint(finite)}, {body}, math.inf)"
            if module == "np":  # where.. evaluates both branches: at a = 1, 1/(a - 1) is inf (quietly), not an error
                guarded = sorted(str(a) for a in finite.free_symbols)
                conversions = "\n    ".join(f"{name} = np.asarray({name}, dtype=float)" for name in guarded)
                quiet = True
    checked = sum(1 for c in derivation.checks if c.ok)
    size = getattr(setting, "size", None)
    array = "tensor" if module == "torch" else "array"
    prologue = ""
    if kinds:
        targets = ", ".join([*kinds, DIMENSION if DIMENSION in body else "_"])
        pairs = ", ".join(f'{name}=({name}, "{kind}")' for name, kind in kinds.items())
        prologue = f"{targets} = {HELPER}({size}, {pairs})"
    prologue = "\n    ".join(line for line in (prologue, conversions) if line)
    return {
        "name": FUNCTION_NAME,
        "arguments": ", ".join(names),
        "densities": [f"{d.name} = {_law(setting, d)}" for d in (setting.q, setting.p)],
        "domains": [*(_domain(s, domains.get(original)) for s, original in zip(parameters, setting.parameters,
                                                                                strict=True)),
                    # where a law's support depends on its parameters: what the result was derived under
                    *(sstr(c.xreplace({a: _renamed(a, renames) for a in c.free_symbols}))
                      for c in getattr(setting, "conditions", tuple)())],
        "identity": f"KL({setting.q.name} || {setting.p.name}) = {sstr(derived)}",
        "stable": stable,
        "title": derivation.title,
        "steps": len(derivation.steps),
        "checked": checked,
        "verified": derivation.verified,
        "body": body,
        "prologue": prologue,
        "quiet": quiet,
        "helper": HELPER if kinds else None,
        "shapes": _shapes_doc(kinds, size, str(next(iter(dimensions), "d")), array) if kinds else None,
        "imports": sorted(printer.modules),
        "module": module,
    }


__all__ = ["FUNCTION_NAME", "ArrayCodePrinter", "code_context", "folded"]
