"""Unicode pretty printing for the terminal (the ``text`` format), with the custom nodes read as in print."""

from __future__ import annotations

from sympy import Basic, Indexed, IndexedBase, Symbol
from sympy.matrices.expressions import Identity, Inverse, MatAdd, MatMul, MatrixSymbol, Transpose
from sympy.printing.pretty.pretty import PrettyPrinter
from sympy.printing.pretty.stringpict import prettyForm, stringPict

from .families import index_family
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
)
from .nodes import KL, Density, Expectation
from .printing import ELIDE_AFTER, _signed_parts


class TextbookPrettyPrinter(PrettyPrinter):
    """``pretty`` in the order the rules built, with ``q(x)``, ``E_q[...]`` and ``KL(q ‖ p)``."""

    def __init__(self, width: int | None = None) -> None:
        super().__init__({"order": "none", "use_unicode": True, "wrap_line": width is not None,
                          "num_columns": width})

    def _label(self, density: Density) -> str:
        if density.name:
            return self._print(Symbol(density.name)).render(**self._settings)
        variable = self._print(density.variable).render(**self._settings)
        mean, var = (self._print(a).render(**self._settings) for a in (density.mean, density.var))
        return f"{variable} ~ N({mean}, {var})"

    def _print_Density(self, expr: Density) -> prettyForm:
        if expr.name:
            return prettyForm(f"{self._label(expr)}({self._print(expr.variable).render(**self._settings)})")
        label = self._label(expr)
        if "\n" not in label:
            return prettyForm(label)
        # a tall mean or variance (e.g. e^w): composed as pictures, so it keeps its shape
        variable = self._print(expr.variable).render(**self._settings)
        parts = (prettyForm(f"{variable} ~ N("), self._print(expr.mean), prettyForm(", "), self._print(expr.var),
                 prettyForm(")"))
        return prettyForm(*stringPict.next(*parts))

    def _print_Expectation(self, expr: Expectation) -> prettyForm:
        body = self._print(expr.expr)
        body = prettyForm(*body.parens("[", "]"))
        return prettyForm(*body.left(f"E_{self._label(expr.density)}"))

    def _print_KL(self, expr: KL) -> prettyForm:
        return prettyForm(f"KL({self._label(expr.q)} ‖ {self._label(expr.p)})")

    def _print_Add(self, expr, order=None) -> prettyForm:
        pieces: list[prettyForm] = []
        for lead, term, bracketed in _signed_parts(expr):  # long coordinate sums: t_1 + t_2 + ⋯ + t_N
            sign = lead.strip()
            form = prettyForm("⋯") if isinstance(term, str) else self._print(term)
            if bracketed:
                form = prettyForm(*form.parens())
            if sign:
                form = prettyForm(*form.left(f" {sign} " if pieces else sign), binding=prettyForm.NEG)
            pieces.append(form)
        return prettyForm(*stringPict.next(*pieces), binding=prettyForm.ADD) if len(pieces) > 1 else pieces[0]

    _print_MatAdd = _print_Add

    def _print_Mul(self, expr) -> prettyForm:
        factors = list(expr.args)
        if len(factors) > ELIDE_AFTER and index_family(tuple(factors)):
            shown = [self._print(factors[0]), self._print(factors[1]), prettyForm("⋯"), self._print(factors[-1])]
            joined = [shown[0]]
            for form in shown[1:]:
                joined.extend((prettyForm("⋅"), form))
            return prettyForm(*stringPict.next(*joined), binding=prettyForm.MUL)
        return super()._print_Mul(expr)

    # -- vectors, matrices and indexed symbols ---------------------------------------------------------
    def _print_Symbol(self, expr: Symbol, bold_name: bool = False) -> prettyForm:
        """The log-variance ``ell`` as the letter the other formats print, ``ℓ`` (``ell_j`` as ``ℓ_j``)."""
        if expr.name == "ell" or expr.name.startswith("ell_"):
            return prettyForm("ℓ" + expr.name[3:])
        return super()._print_Symbol(expr, bold_name)

    def _text(self, expr: Basic) -> str:
        return self._print(expr).render(**self._settings)

    def _print_Indexed(self, expr: Indexed) -> prettyForm:
        index = ",".join(str(i) for i in expr.indices)
        return self._print(Symbol(f"{expr.base.label}_{index}"))

    def _print_IndexedBase(self, expr: IndexedBase) -> prettyForm:
        return self._print(expr.label)

    def _print_Vec(self, expr: Vec) -> prettyForm:
        return self._print(expr.base.label)

    def _print_Diag(self, expr: Diag) -> prettyForm:
        dim = expr.dim
        if dim.is_Integer and dim <= ELIDE_AFTER:
            entries = [self._print(expr.at(i)) for i in range(1, int(dim) + 1)]
        else:
            entries = [self._print(expr.at(1)), prettyForm("…"), self._print(expr.at(dim))]
        pieces = [entries[0]]
        for entry in entries[1:]:
            pieces.extend((prettyForm(", "), entry))
        body = prettyForm(*prettyForm(*stringPict.next(*pieces)).parens())
        return prettyForm(*body.left("diag"))

    def _print_Identity(self, expr) -> prettyForm:
        return prettyForm("I")

    def _print_ZeroMatrix(self, expr) -> prettyForm:
        return prettyForm("0")

    def _factor(self, expr: Basic) -> prettyForm:
        form = self._print(expr)
        atomic = isinstance(expr, MatrixSymbol | Vec | Identity | Inverse | MatExpectation) or expr.is_Symbol
        return form if atomic else prettyForm(*form.parens())

    def _print_Transpose(self, expr: Transpose) -> prettyForm:
        return prettyForm(*self._factor(expr.arg).right("ᵀ"))

    def _print_Inverse(self, expr: Inverse) -> prettyForm:
        return prettyForm(*self._factor(expr.arg).right("⁻¹"))

    def _print_MatMul(self, expr: MatMul) -> prettyForm:
        factors = list(expr.args)
        sign = ""
        if factors and factors[0] == -1:
            sign, factors = "-", factors[1:]
        forms = [self._factor(f) if isinstance(f, MatAdd) else self._print(f) for f in factors]
        joined = [forms[0]]
        for form in forms[1:]:
            joined.extend((prettyForm("⋅"), form))
        out = prettyForm(*stringPict.next(*joined))
        return prettyForm(*out.left(sign)) if sign else out

    def _print_QuadForm(self, expr: QuadForm) -> prettyForm:
        parts = [prettyForm(*self._factor(expr.left).right("ᵀ"))]
        if not isinstance(expr.matrix, Identity):
            parts.extend((prettyForm("⋅"), self._print(expr.matrix)))
        parts.extend((prettyForm("⋅"), self._factor(expr.right)))
        return prettyForm(*stringPict.next(*parts))

    def _print_MvDensity(self, expr: MvDensity) -> prettyForm:
        if expr.name:
            return prettyForm(f"{self._text(Symbol(expr.name))}({self._text(expr.variable)})")
        parts = (prettyForm(f"{self._text(expr.variable)} ~ N("), self._print(expr.mean), prettyForm(", "),
                 self._print(expr.cov), prettyForm(")"))
        return prettyForm(*stringPict.next(*parts))

    def _print_SpaceIntegral(self, expr: SpaceIntegral) -> prettyForm:
        space = "ℝ" if expr.dim == 1 else f"ℝ^{self._text(expr.dim)}"
        body = prettyForm(*self._print(expr.function).left(f"∫_{space} "))
        return prettyForm(*body.right(f" d{self._text(expr.variable)}"))

    def _print_MatExpectation(self, expr: MatExpectation) -> prettyForm:
        body = prettyForm(*self._print(expr.expr).parens("[", "]"))
        return prettyForm(*body.left(f"E_{self._label(expr.density)}"))

    def _print_CodeLine(self, expr: CodeLine) -> prettyForm:
        return prettyForm(expr.text)

    def _print_InSpace(self, expr: InSpace) -> prettyForm:
        element, dim = expr.args
        space = "ℝ" if dim == 1 else f"ℝ^{self._text(dim)}"
        return prettyForm(f"{self._text(element)} ∈ {space}")

    def _print_PositiveDefinite(self, expr: PositiveDefinite) -> prettyForm:
        return prettyForm(f"{self._text(expr.args[0])} ≻ 0")

    def _print_IndexRange(self, expr: IndexRange) -> prettyForm:
        index, dim = expr.args
        if dim.is_Integer and dim <= 4:  # j = 1, 2, 3: every value, never "1, …, 3"
            return prettyForm(f"{self._text(index)} = " + ", ".join(str(i) for i in range(1, int(dim) + 1)))
        return prettyForm(f"{self._text(index)} = 1, …, {self._text(dim)}")


def to_text(expr: Basic, width: int | None = None) -> str:
    """The Unicode pretty print of a display form."""
    return TextbookPrettyPrinter(width).doprint(expr)
