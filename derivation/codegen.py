"""Export a derived closed form as code: a small NumPy or PyTorch function, printed from the SymPy result.

Nothing is typed: the function body is the derivation's result printed by :class:`ArrayCodePrinter`
(a SymPy ``PythonCodePrinter`` whose elementary functions go to the array module, ``np`` or
``torch``, and whose purely numeric parts stay in ``math``), and the docstring states the
derivation's identity, printed by SymPy's ``sstr``. The templates (``python.py.j2``, ``torch.py.j2``)
only lay the pieces out.
"""

from __future__ import annotations

import builtins
from typing import Any

from sympy import Abs, Basic, Expr, Indexed, IndexedBase, Pow, S, Sum, Symbol, exp, log, sstr
from sympy.matrices.expressions import Determinant, Inverse, MatAdd, MatMul, MatrixSymbol, Trace, Transpose
from sympy.printing.pycode import PythonCodePrinter

from .core import Derivation
from .errors import UsageError
from .forms import evaluated
from .mvnodes import CodeLine, MvDensity, QuadForm

#: The function name of the emitted code.
FUNCTION_NAME = "kl_divergence"


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
        owner = self.module if expr.free_symbols else "math"
        self.modules.add(owner)
        return owner

    def _call(self, name: str, expr: Basic, arg: Basic) -> str:
        return f"{self._owner(expr)}.{name}({self._print(arg)})"

    def _print_exp(self, expr: exp) -> str:
        return self._call("exp", expr, expr.args[0])

    def _print_log(self, expr: log) -> str:
        return self._call("log", expr, expr.args[0])

    def _print_Abs(self, expr: Abs) -> str:
        return self._call("abs", expr, expr.args[0]) if expr.free_symbols else f"abs({self._print(expr.args[0])})"

    def _print_Pow(self, expr: Pow, rational: bool = False) -> str:
        if expr.exp == S.Half:
            return self._call("sqrt", expr, expr.base)
        if expr.exp == -S.Half:
            return f"1/{self._call('sqrt', expr, expr.base)}"
        return super()._print_Pow(expr, rational=False)

    # -- vectors and matrices (the multivariate cases) ------------------------------------------------
    #: Code for the dimension symbols (``k -> mu1.shape[0]``), set from the setting by :func:`code_context`.
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
        return f"{self.module}.sum({body}, {axis}=-1)"

    def _print_CodeLine(self, expr: CodeLine) -> str:
        return self._print(expr.expr)

    def _linalg(self, name: str, arg: Basic) -> str:
        self.modules.add(self.module)
        return f"{self.module}.linalg.{name}({self._print(arg)})"

    def _print_Trace(self, expr: Trace) -> str:
        self.modules.add(self.module)
        return f"{self.module}.trace({self._print(expr.arg)})"

    def _print_Determinant(self, expr: Determinant) -> str:
        return self._linalg("det", expr.arg)

    def _print_Inverse(self, expr: Inverse) -> str:
        return self._linalg("inv", expr.arg)

    def _print_Transpose(self, expr: Transpose) -> str:
        return f"({self._print(expr.arg)}).T"

    def _print_MatMul(self, expr: MatMul) -> str:
        scalars = [self._print(f) for f in expr.args if not getattr(f, "is_Matrix", False)]
        matrices = [self._print(f) if not isinstance(f, MatAdd) else f"({self._print(f)})"
                    for f in expr.args if getattr(f, "is_Matrix", False)]
        product = " @ ".join(matrices)
        return f"{'*'.join(scalars)}*({product})" if scalars else product

    def _print_MatAdd(self, expr: MatAdd) -> str:
        return " + ".join(self._print(t) for t in expr.args).replace("+ -1*", "- ")

    def _print_QuadForm(self, expr: QuadForm) -> str:
        return f"({self._print(expr.as_matrix())})[0, 0]"

    def _print_Pi(self, expr: Basic) -> str:
        self.modules.add("math")
        return "math.pi"

    def _print_Exp1(self, expr: Basic) -> str:
        self.modules.add("math")
        return "math.e"


_RESERVED = frozenset({"np", "numpy", "torch", "math", FUNCTION_NAME}) | frozenset(dir(builtins))


def _law(setting: Any, density: Any) -> str:
    """``N(a, exp(w))``: a density in the user's parameters (fresh scales substituted where defined)."""
    in_user_terms = getattr(setting, "in_user_terms", evaluated)
    if isinstance(density, MvDensity):
        return f"N({sstr(density.mean)}, {sstr(in_user_terms(density.cov))})"
    return f"N({sstr(evaluated(density.mean))}, {sstr(in_user_terms(density.std) ** 2)})"


def _domain(symbol: Basic) -> str:
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


def code_context(derivation: Derivation, module: str) -> dict[str, Any]:
    """What the code templates lay out: the signature, the docstring's statements and the body."""
    setting = derivation.setting
    parameters = tuple(setting.parameters)
    clashes = [str(s.name) for s in parameters if str(s.name) in _RESERVED]
    if clashes:
        raise UsageError(f"the symbol name {clashes[0]!r} would shadow a name the generated code uses; rename it")
    shown = derivation.result
    result: Expr = evaluated(shown.expr if isinstance(shown, CodeLine) else shown)
    printer = ArrayCodePrinter(module)
    printer.dimensions = dict(getattr(setting, "code_dimensions", dict)())
    body = printer.doprint(result)
    checked = sum(1 for c in derivation.checks if c.ok)
    return {
        "name": FUNCTION_NAME,
        "arguments": ", ".join(str(s.name) for s in parameters),
        "densities": [f"{d.name} = {_law(setting, d)}" for d in (setting.q, setting.p)],
        "domains": [_domain(s) for s in parameters],
        "identity": f"KL({setting.q.name} || {setting.p.name}) = {sstr(result)}",
        "title": derivation.title,
        "steps": len(derivation.steps),
        "checked": checked,
        "verified": derivation.verified,
        "body": body,
        "imports": sorted(printer.modules),
        "module": module,
    }


__all__ = ["FUNCTION_NAME", "ArrayCodePrinter", "code_context"]
