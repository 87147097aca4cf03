"""Unicode pretty printing for the terminal (the ``text`` format), with the custom nodes read as in print."""

from __future__ import annotations

from sympy import Basic, Symbol
from sympy.printing.pretty.pretty import PrettyPrinter
from sympy.printing.pretty.stringpict import prettyForm, stringPict

from .forms import signed_terms
from .nodes import KL, Density, Expectation


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
        for sign, term in signed_terms(expr):
            form = self._print(term)
            if term.is_Add:
                form = prettyForm(*form.parens())
            if sign:
                form = prettyForm(*form.left(f" {sign} " if pieces else sign), binding=prettyForm.NEG)
            pieces.append(form)
        return prettyForm(*stringPict.next(*pieces), binding=prettyForm.ADD) if len(pieces) > 1 else pieces[0]


def to_text(expr: Basic, width: int | None = None) -> str:
    """The Unicode pretty print of a display form."""
    return TextbookPrettyPrinter(width).doprint(expr)
