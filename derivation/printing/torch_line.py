"""Printing a closed form as the line of PyTorch that computes it (e.g. the VAE's KL term).

A sum over the coordinates ``Sum_j f(mu_j, logvar_j)`` becomes ``torch.sum(f(mu, logvar))`` with
the vectors in place of their entries, written the way VAE code writes it (``mu.pow(2)``,
``logvar.exp()``). Only what such lines need is supported; anything else raises ``ValueError``.
The printed text is never trusted: the checker parses it back (``parse.parse_claim``) and compares.
"""

from __future__ import annotations

from collections.abc import Mapping

from sympy import Add, Basic, Indexed, IndexedBase, Mul, Rational, Sum, exp, expand, log
from sympy.printing.pycode import pycode

from ..core.forms import is_negative_term, negate_term
from ..interpret.parse import parse_claim


def _number(value: Rational) -> str:
    if value.q == 1:
        return str(value.p)
    decimal = float(value)
    if Rational(repr(decimal)) != value:
        return f"{value.p} / {value.q}"
    return repr(decimal)


def _code(expr: Basic, index, names: Mapping[str, str]) -> str:
    if isinstance(expr, Indexed):
        if expr.indices != (index,):
            raise ValueError(f"{expr} is not an entry of the summed index")
        return names.get(str(expr.base.label), str(expr.base.label))
    if expr.is_Rational:
        return _number(expr)
    if expr.is_Add:
        parts = []
        for i, term in enumerate(expr.args):
            negative = is_negative_term(term)
            text = _code(negate_term(term) if negative else term, index, names)
            parts.append(("- " if negative else "+ " if i else "") + text)
        return " ".join(parts)
    if expr.is_Pow and expr.args[1].is_Integer and expr.args[1] > 0:
        return f"{_code(expr.args[0], index, names)}.pow({expr.args[1]})"
    if isinstance(expr, exp | log):
        return f"{_atom(expr.args[0], index, names)}.{type(expr).__name__}()"
    if expr.is_Mul:
        factors = list(expr.args)
        coefficient = [f for f in factors if f.is_Rational]
        rest = [f for f in factors if not f.is_Rational]
        if len(coefficient) == 1 and len(rest) == 1:
            return f"{_number(coefficient[0])} * {_atom(rest[0], index, names)}"
    raise ValueError(f"no code form for {type(expr).__name__}")


def _atom(expr: Basic, index, names: Mapping[str, str]) -> str:
    text = _code(expr, index, names)
    return f"({text})" if expr.is_Add else text


def torch_code(expr: Basic, names: Mapping[str, str] | None = None) -> str:
    """``c * torch.sum(...)`` for ``expr = c Sum_j (...)`` (or ``torch.sum(...)`` alone).

    ``names`` maps a vector's name in the mathematics to its name in the code (``ell -> logvar``).
    """
    names = names or {}
    if isinstance(expr, Sum):
        coefficient, total = None, expr
    elif isinstance(expr, Mul) and len(expr.args) == 2 and expr.args[0].is_Rational and isinstance(expr.args[1], Sum):
        coefficient, total = expr.args
    else:
        raise ValueError("expected a (multiple of a) sum over the coordinates")
    (index, _, _), = total.limits
    body = f"torch.sum({_code(total.function, index, names)})"
    return body if coefficient is None else f"{_number(coefficient)} * {body}"


#: The losses of ``torch.nn.functional`` a line of code may call, each the sum over the coordinates of a summand
#: in (prediction, target); what each one means is the whitelist reader's (``parse.LOSSES``), not restated here.
LOSS_CALLS = ("mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits")
#: The longest line of code printed on one line (a listing must fit a document's column).
LINE_WIDTH = 64


def _loss_call(total: Sum, names: Mapping[str, str], target: str) -> str:
    """``F.<loss>(prediction, target, reduction='sum')`` for the sum ``total`` over the coordinates: the loss (and
    the prediction, a vector in ``total`` other than the target) whose reading by the parser is ``total``."""
    (index, _, dim), = total.limits
    vectors = {names.get(str(b.label), str(b.label)): b for b in total.atoms(IndexedBase)}
    if target not in vectors:
        raise ValueError(f"no target {target!r} in the sum")
    for prediction in sorted(set(vectors) - {target}):
        for loss in LOSS_CALLS:
            text = f"F.{loss}({prediction}, {target}, reduction='sum')"
            meaning = parse_claim(text, {}, vectors=vectors, index=index, dim=dim)
            if isinstance(meaning, Sum) and expand(meaning.function - total.function) == 0:
                return text
    raise ValueError("the sum is none of the losses of torch.nn.functional")


def loss_code(expr: Basic, names: Mapping[str, str] | None = None, target: str = "x") -> str:
    """One line of PyTorch for ``expr``, a sum of terms: each multiple ``c Sum_i (...)`` of a sum over the coordinates
    that a loss of ``torch.nn.functional`` computes becomes that loss, ``F.mse_loss(x_hat, x, reduction='sum') /
    (2*s**2)``; any other term is printed by SymPy's Python printer (``math.log``, ``math.pi``).

    ``names`` maps a vector's name in the mathematics to its name in the code; ``target`` is the data's name in
    the code. A line longer than :data:`LINE_WIDTH` breaks before each term, inside brackets. The text is never
    trusted: the checker parses it back and compares.
    """
    names = names or {}
    parts = []
    for term in sorted(Add.make_args(expr), key=lambda t: not t.has(Sum)):  # the loss first, then the constants
        sums = [f for f in Mul.make_args(term) if isinstance(f, Sum)]
        if len(sums) == 1:
            call = _loss_call(sums[0], names, target)
            numerator, denominator = (term / sums[0]).as_numer_denom()
            text = call if numerator == 1 else f"{pycode(numerator)} * {call}"
            text = text if denominator == 1 else f"{text} / ({pycode(denominator)})"
        elif not sums:
            numerator, denominator = term.as_numer_denom()
            text = pycode(numerator) if denominator == 1 else f"{pycode(numerator)} / {pycode(denominator)}"
        else:
            raise ValueError("a product of sums")
        parts.append(text)
    if not expr.has(Sum):
        raise ValueError("no sum over the coordinates that a loss computes")
    line = " + ".join(parts)
    if len(line) <= LINE_WIDTH:
        return line
    return "(" + "\n + ".join(parts) + ")"  # a long line breaks before each term, inside brackets
