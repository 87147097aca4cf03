"""Differentiation step by step: term by term, a table of elementary derivatives, the chain rule.

Derivatives are SymPy ``Derivative`` nodes kept unevaluated in the display forms; each rule
rewrites them by one idea and states the identity it used. The checker evaluates the
derivatives with SymPy (``forms.evaluated``), so every line is compared with an independent
differentiation, never with the rule's own table.
"""

from __future__ import annotations

from collections.abc import Sequence

from sympy import Derivative, Eq, Expr, Function, Mul, S, Subs, Symbol, exp, expand, log, preorder_traversal

from ..core.engine import Derivation, Rewrite, Rule
from ..core.errors import RuleNotApplicable
from ..core.forms import add, evaluated, frac, is_negative_term, mul, neg, negate_term
from ..core.placeholders import placeholders
from ..nodes.scalar import Named, Ordinary, derivative_like
from ..printing.latex import to_latex
from ..settings.univariate import Setting
from .base import factors, rewrite_nodes, rewrite_or_refuse, terms


def _by_linearity(expr: Expr, x: Symbol, model: Derivative) -> Expr:
    """``d/dx`` of a display form by linearity: sums split, factors free of x come out, terms free of x vanish;
    each derivative left is partial when ``model``, the derivative split, is."""
    if not expr.has(x):
        return derivative_like(model, expr, x)  # a constant: its derivative is 0, which the caller drops
    if expr.is_Add:
        return add(*[_by_linearity(t, x, model) for t in terms(expr) if t.has(x)])
    if expr.is_Mul:
        parts = factors(expr)
        constant = [f for f in parts if not f.has(x)]
        varying = [f for f in parts if f.has(x)]
        if constant and len(varying) == 1:
            return mul(*constant, _by_linearity(varying[0], x, model))
    return derivative_like(model, expr, x)


def _term_by_term(expr: Expr, setting: Setting) -> Rewrite:
    """``d/dx (a f + b g + c) -> a df/dx + b dg/dx`` (a, b, c free of x)."""

    def match(e: Expr) -> Expr | None:
        if not isinstance(e, Derivative) or len(e.variables) != 1:
            return None
        (x,) = e.variables
        out = _by_linearity(e.expr, x, e)
        return None if out == e else out

    out = rewrite_or_refuse(expr, match, "derivative of a sum or of a scaled term")
    a, b, c, x = (Symbol(n, real=True) for n in "abcx")
    u, v = Function("u"), Function("v")
    # the identity is about functions of one variable (a, b, c are constants): ordinary derivatives throughout
    identity = Eq(Ordinary(add(mul(a, u(x)), mul(b, v(x)), c), x),
                  add(mul(a, Derivative(u(x), x)), mul(b, Derivative(v(x), x))), evaluate=False)
    return Rewrite(out, (identity,))


def _slope(u: Expr, x: Symbol) -> Expr | None:
    """``a`` when ``u`` is ``a x + b`` with a, b free of x (None otherwise)."""
    u = evaluated(u)
    a = expand(u).coeff(x)
    if a == 0 or expand(u - a * x).has(x):
        return None
    return a


def _monomial_power(u: Expr, x: Symbol) -> Expr | None:
    """``n`` when ``u`` is ``c x**n`` with c free of x (None otherwise)."""
    n = None
    for f in factors(u):
        if not f.has(x):
            continue
        if f == x and n is None:
            n = 1
        elif f.is_Pow and f.args[0] == x and f.args[1].is_Rational and n is None:
            n = f.args[1]
        else:
            return None
    return n


def elementary_derivative(f: Expr, x: Symbol) -> Expr | None:
    """The derivative of ``f`` by the table (None when ``f`` is not in it), as a display form.

    ``c -> 0``; ``x -> 1``; ``(a x + b)**n -> n a (a x + b)**(n-1)``; ``log(c x**n) -> n / x``;
    ``exp(a x + b) -> a exp(a x + b)``.
    """
    if not f.has(x):
        return S.Zero
    if f == x:
        return S.One
    if f.is_Pow and f.args[1].is_Rational:
        base, n = f.args
        a = _slope(base, x)
        if a is None:
            return None
        lowered = base if n - 1 == 1 else (S.One if n - 1 == 0 else base ** (n - 1))
        return mul(n * a, lowered) if n * a != -1 else neg(lowered)
    if isinstance(f, log):
        n = _monomial_power(f.args[0], x)
        return None if n is None else frac(n, x)
    if isinstance(f, exp):
        a = _slope(f.args[0], x)
        return None if a is None else mul(a, f)
    return None



def _elementary(expr: Expr, setting: Setting) -> Rewrite:
    """Each derivative of a constant, a power, a logarithm or an exponential replaced by its value; a negative
    value after a minus sign is written as a plus (``- d/ds (1/s) -> + 1/s^2``, never ``-(-1/s^2)``), and the
    step then shows ``b - (-a) = b + a`` among its identities."""
    used: list[Eq] = []

    def value_of(e: Expr) -> Expr | None:
        if not isinstance(e, Derivative) or len(e.variables) != 1:
            return None
        value = elementary_derivative(e.expr, e.variables[0])
        if value is not None:
            used.append(Eq(e, value, evaluate=False))
        return value

    def match(e: Expr) -> Expr | None:
        if e.is_Mul and len(e.args) == 2 and e.args[0].is_Number and e.args[0].is_negative:
            inner = e.args[1]
            value = elementary_derivative(inner.expr, inner.variables[0]) if (
                isinstance(inner, Derivative) and len(inner.variables) == 1) else None
            if value is not None and is_negative_term(value):
                a, b = placeholders("a b", real=True)
                used.extend((Eq(inner, value, evaluate=False),
                             Eq(add(b, mul(S.NegativeOne, neg(a))), add(b, a), evaluate=False)))
                return mul(-e.args[0], negate_term(value))
            return None  # the derivative inside is rewritten on its own
        return value_of(e)

    out = rewrite_or_refuse(expr, match, "derivative of an elementary function")
    return Rewrite(out, tuple(dict.fromkeys(used)))


def _integer_multiple(value: Expr) -> bool:
    return bool(value.is_Rational and value.q == 1)


def _in_reading_order(value: Expr, shown: Expr) -> Expr:
    """The evaluated product ``value`` with its factors in the order their symbols appear in ``shown``."""
    order = {s: i for i, s in reversed(list(enumerate(a for a in preorder_traversal(shown) if a.is_Symbol)))}
    parts = factors(value)
    number = mul(*[f for f in parts if f.is_Number])
    rest = sorted((f for f in parts if not f.is_Number),
                  key=lambda f: min((order.get(s, len(order)) for s in f.free_symbols), default=0))
    return mul(number, *rest)


def _multiply_out(expr: Expr, setting: Setting, exponentials: bool = False) -> Expr:
    """``c (a_1 + a_2) g -> c' (a_1 g + a_2 g)``, each term multiplied out and its powers combined.

    The numeric factor goes into the sum only when it cancels every denominator there; other
    factors are always multiplied in. A sum is tidied term by term, a product without a sum
    is evaluated. An exponential multiplied into a sum (``exponentials``) is :data:`MULTIPLY_EXPONENTIALS`'
    step, not this one.
    """
    if expr.is_Add:
        out = add(*[evaluated(t) for t in terms(expr)])
        if out == expr:
            raise RuleNotApplicable("nothing to multiply out")
        return out
    parts = factors(expr)
    number = evaluated(mul(*[f for f in parts if f.is_Number]))
    sums = [f for f in parts if f.is_Add]
    others = [f for f in parts if not f.is_Number and not f.is_Add]
    if not sums:
        out = _in_reading_order(evaluated(expr), expr)
        if out == expr:
            raise RuleNotApplicable("nothing to multiply out")
        return out
    if len(sums) != 1:
        raise RuleNotApplicable("more than one sum in the product")
    inner = terms(sums[0])
    if any(f.has(exp) for f in others) != exponentials:
        raise RuleNotApplicable("exponentials to multiply" if not exponentials else "no exponential to multiply")
    if others:
        return mul(number, add(*[evaluated(mul(t, *others)) for t in inner]))
    coefficients = [evaluated(mul(number, t)).as_coeff_Mul()[0] for t in inner]
    if not all(_integer_multiple(c) for c in coefficients):
        raise RuleNotApplicable("the numeric factor does not cancel")
    return add(*[evaluated(mul(number, t)) for t in inner])


def _chain_rule(expr: Expr, setting: Setting) -> Rewrite:
    """``d/dl [F(s)]_{s = h(l)} -> [dF/ds]_{s = h(l)} dh/dl``."""
    used: list[Eq] = []

    def match(e: Expr) -> Expr | None:
        if not (isinstance(e, Derivative) and isinstance(e.expr, Subs) and len(e.variables) == 1):
            return None
        inner, (s,), (h,) = e.expr.args
        (l_,) = e.variables
        if inner.has(l_) or not h.has(l_):
            return None
        g = Function("g")
        used.append(Eq(Derivative(Subs(g(s), s, h), l_), mul(Subs(Derivative(g(s), s), s, h), Derivative(h, l_)),
                       evaluate=False))
        return mul(Subs(Derivative(inner, s), s, h), Derivative(h, l_))

    out = rewrite_or_refuse(expr, match, "derivative of a function evaluated at a function")
    return Rewrite(out, tuple(used))


def _exp_power(e: Expr) -> Expr | None:
    """``(e^a)^n -> e^{n a}``."""
    if e.is_Pow and isinstance(e.args[0], exp) and e.args[1].is_Rational:
        return exp(e.args[1] * e.args[0].args[0])
    return None


def _substitute(expr: Expr, setting: Setting) -> Rewrite:
    """``[F(s)]_{s = h} -> F(h)``; a power of an exponential is written as one exponential."""
    used: list[Eq] = []

    def put_in(e: Expr) -> Expr | None:
        if not isinstance(e, Subs):
            return None
        inner, (s,), (h,) = e.args
        placed = rewrite_nodes(inner, lambda a: h if a == s else None)

        def merge(a: Expr) -> Expr | None:
            merged = _exp_power(a)
            if merged is not None:
                used.append(Eq(a, merged, evaluate=False))
            return merged

        return rewrite_nodes(placed, merge)

    out = rewrite_or_refuse(expr, put_in, "expression evaluated at a point")
    return Rewrite(out, tuple(dict.fromkeys(used)))


def _log_of_exp(expr: Expr, setting: Setting) -> Rewrite:
    """``log(e^a) -> a`` for real a."""

    def match(e: Expr) -> Expr | None:
        if isinstance(e, log) and isinstance(e.args[0], exp) and e.args[0].args[0].is_real:
            return e.args[0].args[0]
        return None

    out = rewrite_or_refuse(expr, match, "logarithm of an exponential")
    a, = placeholders("a", real=True)
    return Rewrite(out, (Eq(log(exp(a), evaluate=False), a, evaluate=False),))


def _unfold(expr: Expr, setting: Setting) -> Rewrite:
    """``K(mu, sigma) -> 1/2 mu**2 + ...``: a named closed form written out."""
    used: list[Eq] = []

    def match(e: Expr) -> Expr | None:
        if isinstance(e, Named):
            used.append(Eq(e, e.definition, evaluate=False))
            return e.definition
        return None

    out = rewrite_or_refuse(expr, match, "named closed form")
    return Rewrite(out, tuple(dict.fromkeys(used)))


def use_derived(lemma: Derivation, title: str, justification: str, cite: bool = True,
                key: str = "use-derived-result") -> Rule:
    """A rule that replaces ``lemma.start`` by ``lemma.result`` (a result derived earlier), citing the lemma;
    with ``cite=False`` the line itself is the identity (a chain that starts from it), so nothing is repeated.

    ``key`` names the rule; rules made with different titles need different keys (a key means one rule).
    """

    def apply(expr: Expr, setting: Setting) -> Rewrite:
        out = rewrite_or_refuse(expr, lambda e: lemma.result if e == lemma.start else None, lemma.title.lower())
        if not cite:
            return Rewrite(out)
        return Rewrite(out, (Eq(lemma.start, lemma.result, evaluate=False),), (lemma,))

    return Rule(key, title, justification, apply)


def _first_and_last(e: Derivative) -> tuple[Derivative, Symbol] | None:
    """``(d/dy F, x)`` for ``d^2/dx dy F`` (any order at least 2): the derivative taken first, and the variable of
    the last differentiation."""
    counts = list(e.variable_count)
    if sum(n for _, n in counts) < 2:
        return None
    last, n = counts[-1]
    counts[-1:] = [(last, n - 1)] if n > 1 else []
    return Derivative(e.expr, *counts), last


def _as_printed(expr: Expr) -> Expr:
    """``expr`` evaluated where that prints the same (``1/2 (2 mu)`` prints as mu: differentiated, it is mu)."""
    plain = evaluated(expr)
    return plain if to_latex(plain) == to_latex(expr) else expr


def differentiate_derived(firsts: Sequence[Derivation], key: str = "differentiate-derived-gradient",
                          title: str = "Differentiate the gradient",
                          justification: str = "A second derivative is the derivative of a first derivative: "
                          "put in the gradient derived above.") -> Rule:
    """``d^2 F / dx dy -> d/dx (dF/dy)`` with ``dF/dy`` one of the first derivatives derived in ``firsts`` (a
    chain from ``dF/dy`` each), so that a second derivative's line says what it computes before it is worked out.
    The identity shown is the first derivative used."""
    known = {first.start: first for first in firsts}

    def apply(expr: Expr, setting: Setting) -> Rewrite:
        used: list[Eq] = []

        def match(e: Expr) -> Expr | None:
            split = _first_and_last(e) if isinstance(e, Derivative) else None
            if split is None or split[0] not in known:
                return None
            first = known[split[0]]
            used.append(Eq(first.start, first.result, evaluate=False))
            return derivative_like(e, _as_printed(first.result), split[1])

        out = rewrite_or_refuse(expr, match, "second derivative of a function whose first derivative is derived")
        return Rewrite(out, tuple(dict.fromkeys(used)))

    return Rule(key, title, justification, apply)


UNFOLD = Rule(
    "write-out",
    "Write out",
    "Write out the closed form derived above.",
    _unfold,
)


def _unfold_defined(expr: Expr, setting: Setting) -> Rewrite:
    """``K(mu, sigma) -> 1/2 mu**2 + ...`` where the document has displayed the definition once already: the
    step cites it and does not print it again."""
    return Rewrite(_unfold(expr, setting).expr)


#: The named closed form written out, its definition displayed once (at its first use) and cited after that.
UNFOLD_DEFINED = Rule(
    "write-out-as-defined",
    "Write out",
    "Write out the closed form as defined above.",
    _unfold_defined,
)

#: The first display of a named closed form: the line is the definition, so it is not repeated beside it.
DEFINE_NAMED = Rule(
    "define-named",
    "Definition",
    "The closed form derived above, as a function of the mean and the standard deviation.",
    _unfold_defined,
)

#: A matrix of second derivatives (a named Hessian) written out entry by entry.
SECOND_DERIVATIVES = Rule(
    "second-derivatives",
    "Second derivatives",
    "Collect the second derivatives derived above into the Hessian.",
    _unfold,
)

TERM_BY_TERM = Rule(
    "differentiate-term-by-term",
    "Term by term",
    "Differentiation is linear: constant factors come out, and terms that do not involve the variable "
    "contribute nothing.",
    _term_by_term,
)

ELEMENTARY_DERIVATIVES = Rule(
    "elementary-derivatives",
    "Derivatives",
    "Differentiate each power, logarithm and exponential by the usual rules.",
    _elementary,
)

MULTIPLY_OUT = Rule(
    "multiply-out",
    "Multiply out",
    "Multiply out and cancel the constant factors.",
    _multiply_out,
)

def _multiply_exponentials(expr: Expr, setting: Setting) -> Rewrite:
    """``c (e^a - e^b) e^g -> c (e^{a+g} - e^{b+g})``: an exponential multiplied into a sum, exponents added."""
    out = _multiply_out(expr, setting, exponentials=True)
    a, b = placeholders("a b", real=True)
    return Rewrite(out, (Eq(Mul(exp(a), exp(b), evaluate=False), exp(add(a, b), evaluate=False), evaluate=False),))


MULTIPLY_EXPONENTIALS = Rule(
    "multiply-exponentials",
    "Multiply exponentials",
    "Multiply out: exponentials multiply by adding their exponents.",
    _multiply_exponentials,
)

CHAIN_RULE = Rule(
    "chain-rule",
    "Chain rule",
    "The derivative of a function of the standard deviation, which in turn is a function of the "
    "log-variance, is the derivative in the standard deviation times the derivative of the standard deviation.",
    _chain_rule,
)

SUBSTITUTE = Rule(
    "substitute",
    "Substitute",
    "Put the value in; a power of an exponential is a single exponential.",
    _substitute,
)

LOG_OF_EXP = Rule(
    "log-of-exp",
    "Log of exp",
    "The logarithm undoes the exponential.",
    _log_of_exp,
)

__all__ = [
    "CHAIN_RULE",
    "DEFINE_NAMED",
    "ELEMENTARY_DERIVATIVES",
    "LOG_OF_EXP",
    "MULTIPLY_EXPONENTIALS",
    "MULTIPLY_OUT",
    "SECOND_DERIVATIVES",
    "SUBSTITUTE",
    "TERM_BY_TERM",
    "UNFOLD",
    "UNFOLD_DEFINED",
    "differentiate_derived",
    "elementary_derivative",
    "use_derived",
]
