"""Rules of the ``estimators`` document: the reparameterisation trick, expectations of polynomials and exponentials
of a standard normal variable, and the tidy forms of the results.

Identities used:
- reparameterisation: ``z = mu + sigma eps`` with ``eps ~ N(0, 1)`` has law N(mu, sigma^2), so
  ``E_{z ~ q}[g(z)] = E_eps[g(mu + sigma eps)]``;
- differentiation under the expectation: ``d/dv E_eps[g] = E_eps[dg/dv]`` when the law of eps does not depend on v;
- the chain rule through the sample: ``d/dv f(u(v)) = f'(u) du/dv``;
- completing the square: ``e^{tz} phi(z) = e^{t^2/2} phi(z - t)`` for the standard normal density phi, so
  ``E[g(z) e^{tz}] = e^{t^2/2} E[g(z + t)]``.
"""

from __future__ import annotations

from collections.abc import Sequence

from sympy import (
    Add,
    Derivative,
    Eq,
    Expr,
    Function,
    Mul,
    Pow,
    S,
    Symbol,
    count_ops,
    exp,
    expand,
    expand_log,
    factor_terms,
    log,
    powsimp,
)

from ..core.engine import Derivation, Rewrite, Rule
from ..core.errors import RuleNotApplicable
from ..core.forms import HALF, add, evaluated, is_negative_term, mul, neg, negate_term, sub
from ..nodes.scalar import KL, Density, Expectation, Named, derivative_like
from ..settings.estimators import slope_of
from .base import factors, rewrite_nodes, rewrite_or_refuse

# -- display forms of collected polynomials -------------------------------------------------------------------


def _degree(term: Expr, x: Symbol) -> int:
    """The power of ``x`` in a product (0 if it does not occur as a power)."""
    for f in Mul.make_args(term):
        if f == x:
            return 1
        if f.is_Pow and f.args[0] == x and f.args[1].is_Integer:
            return int(f.args[1])
    return 0


def _has_exp(term: Expr) -> bool:
    return any(isinstance(f, exp) for f in Mul.make_args(term))


def shown(expr: Expr, x: Symbol) -> Expr:
    """An evaluated expression as a textbook writes it, as a display form: in a sum the exponentials first, then
    the terms by decreasing power of ``x``, then by decreasing number of symbols, constants last; in a product the
    number first, then the symbols, the brackets, the powers of ``x`` and its exponentials; a bracket whose first
    term is negative is negated and its sign moved to the factor before it (``-1/2 (sigma^2 - 1)``)."""
    if expr.is_Atom:
        return expr
    if expr.is_Add:
        parts = [shown(t, x) for t in Add.make_args(expr)]
        order = sorted(range(len(parts)), key=lambda i: (not _has_exp(parts[i]), -_degree(parts[i], x),
                                                          -len(parts[i].free_symbols), parts[i].is_Number, i))
        return add(*[parts[i] for i in order])
    if expr.is_Mul:
        parts = [shown(f, x) for f in factors(expr)]
        number = Mul(*[f for f in parts if f.is_Number])
        flipped = []
        for f in (f for f in parts if not f.is_Number):
            if f.is_Number:
                number *= f
                continue
            if f.is_Mul:  # a product that came out of shown(): its number joins this one's
                number *= Mul(*[g for g in f.args if g.is_Number])
                flipped.extend(g for g in f.args if not g.is_Number)
                continue
            if f.is_Add and is_negative_term(f.args[0]):
                number = -number
                f = add(*[negate_term(t) if is_negative_term(t) else neg(t) for t in f.args])
            flipped.append(f)
        flipped.sort(key=lambda f: (f.has(x), isinstance(f, exp), f.is_Add or (f.is_Pow and f.args[0].is_Add)))
        return mul(number, *flipped)
    if expr.is_Pow:
        base = shown(expr.args[0], x)
        if base.is_Add and expr.args[1].is_even and is_negative_term(base.args[0]):  # (-a + b)^2 = (a - b)^2
            base = add(*[negate_term(t) if is_negative_term(t) else neg(t) for t in base.args])
        return Pow(base, expr.args[1], evaluate=False)
    if isinstance(expr, exp):
        return exp(shown(expr.args[0], x), evaluate=False)
    return expr.func(*[shown(a, x) for a in expr.args])


def _tidy(coefficient: Expr) -> Expr:
    """The shorter of the coefficient as computed and its expanded, cancelled form with common factors out."""
    if coefficient.is_Atom:
        return coefficient
    candidates = [coefficient, factor_terms(coefficient)]
    if coefficient.has(exp):
        candidates.append(powsimp(coefficient, combine="exp"))
    if coefficient.has(log) or coefficient.is_Add:
        candidates.append(factor_terms(expand(expand_log(coefficient, force=True))))
    return min(candidates, key=count_ops)


Terms = dict[tuple[int, Expr], Expr]  # (power of x, exponent coefficient a of e^{a x}) -> coefficient


def _product(a: Terms, b: Terms) -> Terms:
    out: Terms = {}
    for (k1, a1), c1 in a.items():
        for (k2, a2), c2 in b.items():
            key = (k1 + k2, evaluated(a1 + a2))
            out[key] = out.get(key, S.Zero) + c1 * c2
    return out


def _terms(expr: Expr, x: Symbol) -> Terms:
    """``expr`` as a sum of ``c x^k e^{a x}`` (c and a free of x); RuleNotApplicable for anything else."""
    if not expr.has(x):
        return {(0, S.Zero): evaluated(expr)}
    if expr == x:
        return {(1, S.Zero): S.One}
    if isinstance(expr, Named):
        return _terms(expr.definition, x)
    if expr.is_Add:
        out: Terms = {}
        for t in expr.args:
            for key, c in _terms(t, x).items():
                out[key] = out.get(key, S.Zero) + c
        return out
    if expr.is_Mul:
        out = {(0, S.Zero): S.One}
        for f in expr.args:
            out = _product(out, _terms(f, x))
        return out
    if expr.is_Pow and expr.args[1].is_Integer and expr.args[1] >= 0:
        out = {(0, S.Zero): S.One}
        base = _terms(expr.args[0], x)
        for _ in range(int(expr.args[1])):
            out = _product(out, base)
        return out
    if isinstance(expr, exp):
        inner = _terms(expr.args[0], x)
        if set(inner) - {(0, S.Zero), (1, S.Zero)}:
            raise RuleNotApplicable("an exponential of more than a linear function")
        return {(0, inner.get((1, S.Zero), S.Zero)): exp(inner.get((0, S.Zero), S.Zero))}
    raise RuleNotApplicable(f"{expr} is not a polynomial times exponentials in {x}")


def collected(expr: Expr, x: Symbol) -> Expr:
    """``expr`` as ``sum_k c_k x^k e^{a_k x}``, exponentials first, then by decreasing power, each coefficient
    tidied; terms with a zero coefficient dropped."""
    groups = _terms(expr, x)
    parts = []
    for (k, a), c in groups.items():
        c = _tidy(powsimp(c))
        if c == 0:
            continue
        parts.append(mul(c, Pow(x, k) if k > 1 else (x if k == 1 else S.One),
                         exp(mul(a, x)) if a != 0 else S.One))
    order = sorted(parts, key=lambda t: (not _has_exp(t), -_degree(evaluated(t), x)))
    return shown(add(*order), x) if order else S.Zero


def _sampled_variable(e: Expectation) -> Symbol | None:
    """The variable of an expectation under an unnamed standard normal law (the noise or Schulman's z)."""
    d = e.density
    if d.name or d.mean != 0 or d.std != 1:
        return None
    return d.variable


def _collect_inside(expr: Expr, setting, keep_square: bool) -> Expr:
    def integrand(body: Expr, x: Symbol) -> Expr:
        if keep_square and body.is_Pow and body.args[1] == 2:
            return Pow(collected(body.args[0], x), 2, evaluate=False)
        if keep_square:
            return collected(body, x)
        return collected(body, x)

    def match(e: Expr) -> Expr | None:
        if isinstance(e, Expectation):
            x = _sampled_variable(e)
            if x is None:
                return None
            body = integrand(e.expr, x)
            return None if body == e.expr else Expectation(body, e.density)
        return None

    if not expr.has(Expectation):
        x = setting.x
        out = integrand(expr, x)
        if out == expr:
            raise RuleNotApplicable("nothing to collect")
        return out
    return rewrite_or_refuse(expr, match, "expectation of a polynomial in a standard normal variable")


COLLECT_POWERS = Rule(
    "collect-powers",
    "Collect",
    "Write out what the line names and collect the terms by powers of the sampled variable; what cancels drops out.",
    lambda expr, setting: _collect_inside(expr, setting, keep_square=True),
)

EXPAND_POWERS = Rule(
    "expand-powers",
    "Multiply out",
    "Multiply out and collect the terms by powers (and exponentials) of the sampled variable.",
    lambda expr, setting: _collect_inside(expr, setting, keep_square=False),
)


def _collect_terms(expr: Expr, setting) -> Expr:
    """``e^{-m^2} e^{2 m^2} - 2 + ... -> e^{m^2} - ...``: the evaluated sum, exponentials multiplied, as a display."""
    if expr.has(Expectation):
        raise RuleNotApplicable("expectations left")
    x = getattr(setting, "x", None)
    value = _tidy(evaluated(expr))
    out = shown(value, x) if x is not None else value
    if out == expr:
        raise RuleNotApplicable("nothing to collect")
    return out


COLLECT_TERMS = Rule(
    "collect-terms",
    "Collect",
    "Add up the like terms; exponentials multiply by adding their exponents.",
    _collect_terms,
)

# -- the reparameterisation trick -----------------------------------------------------------------------------


def _reparameterise(expr: Expr, setting) -> Rewrite:
    """``E_{z ~ N(mu, sigma^2)}[g(z)] -> E_{eps ~ N(0, 1)}[g(mu + sigma eps)]``, the sample written as a display."""
    eps = setting.z
    noise = Density("", eps, type(setting.q.law)(0, 1))
    found: list[Density] = []

    def match(e: Expr) -> Expr | None:
        if isinstance(e, Expectation) and e.density.name:
            d = e.density
            found.append(d)
            sample, deviation = add(d.mean, mul(d.std, eps)), sub(d.variable, d.mean)
            table = {d.variable: sample, deviation: mul(d.std, eps)}  # z - mu is sigma eps, written so at once
            return Expectation(rewrite_nodes(e.expr, lambda a: table.get(a)), noise)
        return None

    out = rewrite_or_refuse(expr, match, "expectation under a named Gaussian")
    d = found[0]
    return Rewrite(out, (Eq(d.variable, add(d.mean, mul(d.std, eps)), evaluate=False),))


REPARAMETERISE = Rule(
    "reparameterise",
    "Reparameterise",
    "Draw the sample as the mean plus the standard deviation times a standard normal variable: it has the same "
    "law, and the law of the noise does not depend on the parameters.",
    _reparameterise,
)


def _inside(expr: Expr, setting) -> Rewrite:
    """``d/dv E_eps[g] -> E_eps[dg/dv]`` when the law of eps does not depend on v."""

    def match(e: Expr) -> Expr | None:
        if isinstance(e, Derivative) and isinstance(e.expr, Expectation) and len(e.variables) == 1:
            (v,) = e.variables
            inner = e.expr
            if inner.density.free_symbols & {v}:
                return None
            return Expectation(derivative_like(e, inner.expr, v), inner.density)
        return None

    out = rewrite_or_refuse(expr, match, "derivative of an expectation under a law free of the parameter")
    g, v = Function("g"), Symbol("v", real=True)
    noise = next(iter(out.atoms(Expectation))).density
    identity = Eq(Derivative(Expectation(g(noise.variable, v), noise), v),
                  Expectation(Derivative(g(noise.variable, v), v), noise), evaluate=False)
    return Rewrite(out, (identity,))


DIFFERENTIATE_INSIDE = Rule(
    "differentiate-inside",
    "Differentiate inside",
    "The law of the noise does not depend on the parameter, so the derivative of the expectation is the "
    "expectation of the derivative.",
    _inside,
)


def _chain_through_sample(expr: Expr, setting) -> Rewrite:
    """``d/dv f(u) -> f'(u) du/dv`` with du/dv worked out (1 for the mean, eps for the scale)."""
    used: list[Eq] = []

    def match(e: Expr) -> Expr | None:
        if not (isinstance(e, Derivative) and len(e.variables) == 1 and e.expr.is_Function
                and len(e.expr.args) == 1 and not e.expr.args[0].is_Symbol):
            return None
        (v,) = e.variables
        f, u = e.expr.func, e.expr.args[0]
        slope = evaluated(Derivative(u, v)).doit()
        used.append(Eq(derivative_like(e, u, v), slope, evaluate=False))
        return mul(slope_of(f)(u), slope)

    out = rewrite_or_refuse(expr, match, "derivative of a function at the sample")
    h, w, v = Function("f"), Function("u"), Symbol("v", real=True)
    rule = Eq(Derivative(h(w(v)), v), mul(slope_of(h)(w(v)), Derivative(w(v), v)), evaluate=False)
    return Rewrite(out, (rule, *dict.fromkeys(used)))


CHAIN_THROUGH_SAMPLE = Rule(
    "chain-rule-through-sample",
    "Chain rule",
    "The derivative of f at the sample is the slope of f there times the derivative of the sample in the "
    "parameter.",
    _chain_through_sample,
)

# -- the exponential moments of a standard normal variable ---------------------------------------------------


def _tilt(expr: Expr, setting) -> Rewrite:
    """``E_{z ~ N(0,1)}[g(z) e^{a z}] -> E[g(z + a)] e^{a^2/2}`` (a free of z)."""

    def match(e: Expr) -> Expr | None:
        if not isinstance(e, Expectation):
            return None
        z = _sampled_variable(e)
        if z is None:
            return None
        parts = Mul.make_args(e.expr)
        tilts = [f for f in parts if isinstance(f, exp) and f.has(z)]
        if len(tilts) != 1:
            return None
        a = evaluated(tilts[0].args[0] / z)
        if a.has(z):
            return None
        rest = mul(*[f for f in parts if f is not tilts[0]])
        shifted = rewrite_nodes(rest, lambda s: add(z, a) if s == z else None)
        return mul(Expectation(shifted, e.density), exp(mul(HALF, Pow(a, 2))))

    out = rewrite_or_refuse(expr, match, "expectation of an exponential of a standard normal variable")
    z, t, g = Symbol("z", real=True), Symbol("t", real=True), Function("g")
    law = Density("", z, next(iter(out.atoms(Expectation))).density.law.func(0, 1))
    identity = Eq(Expectation(mul(g(z), exp(mul(t, z))), law),
                  mul(Expectation(g(add(z, t)), law), exp(mul(HALF, Pow(t, 2)))), evaluate=False)
    return Rewrite(out, (identity,))


EXPONENTIAL_TILT = Rule(
    "exponential-tilt",
    "Complete the square",
    "Completing the square, the exponential times the standard normal density is a constant times the normal "
    "density centred at the exponent's coefficient: the variable is shifted by that coefficient.",
    _tilt,
)


def exponential_moments(lemmas: Sequence[Derivation], t: Symbol) -> Rule:
    """A rule replacing each ``E[z^k e^{a z}]`` by the derived lemma ``E[z^k e^{t z}] = ...`` at ``t = a``."""

    def apply(expr: Expr, setting) -> Rewrite:
        used: list[Derivation] = []

        def match(e: Expr) -> Expr | None:
            if not isinstance(e, Expectation) or _sampled_variable(e) is None:
                return None
            z = e.density.variable
            tilts = [f for f in Mul.make_args(e.expr) if isinstance(f, exp)]
            if len(tilts) != 1:
                return None
            a = evaluated(tilts[0].args[0] / z)
            if a.has(z):
                return None
            for lemma in lemmas:
                pattern = lemma.start.xreplace({lemma.start.density.variable: z, t: a})
                if evaluated(pattern.expr) == evaluated(e.expr):
                    used.append(lemma)
                    return shown(evaluated(lemma.result.xreplace({t: a})), z)
            return None

        out = rewrite_or_refuse(expr, match, "exponential moment of a standard normal variable")
        shown_lemmas = {id(lm): lm for lm in used}.values()
        return Rewrite(out, tuple(Eq(lm.start, lm.result, evaluate=False) for lm in shown_lemmas))

    return Rule("exponential-moments", "Exponential moments",
                "Use the exponential moments of a standard normal variable derived above, at this line's exponents.",
                apply)


# -- the estimate and the divergence --------------------------------------------------------------------------


def _expectation_is_kl(expr: Expr, setting) -> Expr:
    """``E_q[log q(z) - log p(z)] -> KL(q || p)``."""
    q, p = setting.q, setting.p
    target = Expectation(sub(log(q), log(p)), q)
    return rewrite_or_refuse(expr, lambda e: KL(q, p) if e == target else None, "expected log-ratio")


EXPECTATION_IS_KL = Rule(
    "expectation-is-kl",
    "Definition",
    "The expectation under q of the log-ratio of the two densities is, by definition, the divergence.",
    _expectation_is_kl,
)


def ratio_definition(ratio: Named) -> Rule:
    """``r(z) -> p(z) / q(z)``: the density ratio written out (a rule for the named ratio of a setting)."""

    def apply(expr: Expr, setting) -> Expr:
        return rewrite_or_refuse(expr, lambda e: ratio.definition if e == ratio else None, "density ratio")

    return Rule("ratio-definition", "Definition", "The ratio of the two densities at the sample.", apply)


def log_ratio_rule(chain: Derivation, ratio: Named) -> Rule:
    """Replace ``log r(z)`` by the derived ``chain.result`` and ``r(z)`` by its exponential."""

    def apply(expr: Expr, setting) -> Rewrite:
        value = chain.result
        table = {log(ratio): value, ratio: exp(value, evaluate=False)}
        out = rewrite_or_refuse(expr, lambda e: table.get(e), "density ratio")
        used = [Eq(chain.start, value, evaluate=False)]
        if out.has(exp(value, evaluate=False)):
            used.append(Eq(ratio, exp(value, evaluate=False), evaluate=False))
        return Rewrite(out, tuple(used))

    return Rule("log-ratio-derived", "Log-ratio", "Put in the log-ratio derived above (and the ratio, its "
                "exponential).", apply)


__all__ = [
    "CHAIN_THROUGH_SAMPLE",
    "COLLECT_POWERS",
    "COLLECT_TERMS",
    "DIFFERENTIATE_INSIDE",
    "EXPAND_POWERS",
    "EXPECTATION_IS_KL",
    "EXPONENTIAL_TILT",
    "REPARAMETERISE",
    "collected",
    "exponential_moments",
    "log_ratio_rule",
    "ratio_definition",
    "shown",
    "slope_of",
]
