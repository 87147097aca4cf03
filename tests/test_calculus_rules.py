"""The differentiation and regrouping rules: each states a true identity, fits its target, refuses elsewhere,
and a deliberately broken one is caught by the checker."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Derivative, Integer, Subs, Sum, Symbol, diff, exp, log, simplify

from derivation.check.checker import Checker, symbolic_reason
from derivation.core.engine import Rule
from derivation.core.errors import RuleNotApplicable, StepRejected
from derivation.core.forms import HALF, add, evaluated, frac, mul, neg
from derivation.nodes.scalar import Partial
from derivation.printing.latex import to_latex
from derivation.rules.calculus import (
    CHAIN_RULE,
    ELEMENTARY_DERIVATIVES,
    LOG_OF_EXP,
    MULTIPLY_EXPONENTIALS,
    MULTIPLY_OUT,
    SUBSTITUTE,
    TERM_BY_TERM,
    elementary_derivative,
)
from derivation.rules.terms import COMBINE_LOGS, SPLIT_FRACTION, SPLIT_MEAN_VARIANCE, SUM_TERM_BY_TERM
from derivation.settings.univariate import Notation, gaussian_pair

x, a_, b_ = Symbol("x", positive=True), Symbol("a", real=True), Symbol("b", real=True)
mu, s, ell = Symbol("mu", real=True), Symbol("sigma", positive=True), Symbol("ell", real=True)
SETTING = gaussian_pair(Notation(), mu, s, Integer(0), Integer(1))
K = add(mul(HALF, mu**2), mul(HALF, add(s**2, neg(log(s**2)), -1)))


def holds(before, after) -> bool:
    return simplify(evaluated(before) - evaluated(after)) == 0


def test_term_by_term_splits_sums_moves_constants_out_and_drops_free_terms():
    out = TERM_BY_TERM(Derivative(K, s), SETTING)
    # K depends on mu and sigma: the derivatives split off it stay partial (review item 6)
    assert out.expr == mul(HALF, add(Partial(s**2, s), neg(Partial(log(s**2), s))))
    assert to_latex(out.expr) == (r"\frac{1}{2} \left(\frac{\partial \sigma^{2}}{\partial \sigma} - "
                                  r"\frac{\partial \log \sigma^{2}}{\partial \sigma}\right)")
    # the identity is about functions of one variable: d/dx on both sides (a, b, c are constants)
    assert to_latex(out.identities[0]) == (r"\frac{d}{d x} (a u(x) + b v(x) + c) = a \frac{d}{d x} u(x) + "
                                           r"b \frac{d}{d x} v(x)")
    # a function of one variable keeps d/dt
    one = TERM_BY_TERM(Derivative(add(x, neg(log(x))), x), SETTING).expr
    assert to_latex(one) == r"\frac{d}{d x} x - \frac{d}{d x} \log x"
    assert holds(Derivative(K, s), out.expr) and out.identities
    with pytest.raises(RuleNotApplicable):
        TERM_BY_TERM(Derivative(s**2, s), SETTING)  # nothing to split
    with pytest.raises(RuleNotApplicable):
        TERM_BY_TERM(K, SETTING)  # no derivative at all


def test_elementary_derivatives_replace_each_table_entry():
    line = add(Derivative(s**2, s), neg(Derivative(log(s**2), s)))
    out = ELEMENTARY_DERIVATIVES(line, SETTING)
    assert to_latex(out.expr) == r"2 \sigma - \frac{2}{\sigma}"
    assert holds(line, out.expr) and len(out.identities) == 2
    with pytest.raises(RuleNotApplicable):
        ELEMENTARY_DERIVATIVES(Derivative(s * log(s), s), SETTING)  # a product is not in the table


def test_a_negative_derivative_after_a_minus_sign_is_written_as_a_plus():
    """Review item 7: "1 - (-1/sigma^2)" was printed, then "Multiply out" made it "1 + 1/sigma^2"."""
    line = add(Partial(s, s), neg(Partial(1 / s, s)))
    out = ELEMENTARY_DERIVATIVES(line, SETTING)
    assert out.expr == add(1, s**-2) and to_latex(out.expr) == r"1 + \frac{1}{\sigma^{2}}"
    assert holds(line, out.expr)
    assert [to_latex(i) for i in out.identities] == [
        r"\frac{\partial \sigma}{\partial \sigma} = 1", r"\frac{\partial}{\partial \sigma} \frac{1}{\sigma} = - "
        r"\frac{1}{\sigma^{2}}", r"b - (- a) = b + a"]


def test_multiplying_exponentials_is_its_own_step():
    """Review item 7: 1/2 (e^{l/2} - e^{-l/2}) e^{l/2} -> 1/2 (e^l - 1) was "Multiply out and cancel the constant
    factors"; it multiplies exponentials, and says so."""
    line = mul(add(exp(ell / 2), neg(exp(-ell / 2))), mul(HALF, exp(ell / 2)))
    out = MULTIPLY_EXPONENTIALS(line, SETTING)
    assert to_latex(out.expr) == r"\frac{1}{2} (e^{\ell} - 1)" and holds(line, out.expr)
    assert [to_latex(i) for i in out.identities] == [r"e^{a} e^{b} = e^{a + b}"]
    assert "exponentials" in MULTIPLY_EXPONENTIALS.justification
    with pytest.raises(RuleNotApplicable):
        MULTIPLY_OUT(line, SETTING)
    with pytest.raises(RuleNotApplicable):
        MULTIPLY_EXPONENTIALS(mul(HALF, add(mul(2, s), neg(frac(2, s)))), SETTING)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(-4, 5), a=st.integers(-3, 3).filter(bool), b=st.integers(-3, 3),
       c=st.integers(1, 5))
def test_elementary_table_agrees_with_sympy(n, a, b, c):
    power = (a * x + b) ** n  # a sum when n == 1: that is the term-by-term rule's business, not the table's
    for f in ((power,) if power.is_Pow else ()) + (log(c * x**n) if n else log(c * x), exp(a * x + b), Integer(b), x):
        value = elementary_derivative(f, x)
        assert value is not None, f
        assert simplify(evaluated(value) - diff(f, x)) == 0, f


def test_chain_rule_substitute_and_log_of_exp():
    h = exp(ell / 2)
    start = Derivative(Subs(K, s, h), ell)
    chained = CHAIN_RULE(start, SETTING).expr
    assert chained == mul(Subs(Derivative(K, s), s, h), Derivative(h, ell)) and holds(start, chained)
    with pytest.raises(RuleNotApplicable):
        CHAIN_RULE(Derivative(K, s), SETTING)
    placed = SUBSTITUTE(Subs(K, s, h), SETTING)
    assert to_latex(placed.expr) == r"\frac{1}{2} \mu^{2} + \frac{1}{2} (e^{\ell} - \log e^{\ell} - 1)"
    assert holds(Subs(K, s, h), placed.expr)
    plain = LOG_OF_EXP(placed.expr, SETTING).expr
    assert to_latex(plain) == r"\frac{1}{2} \mu^{2} + \frac{1}{2} (e^{\ell} - \ell - 1)"
    with pytest.raises(RuleNotApplicable):
        LOG_OF_EXP(K, SETTING)


def test_multiply_out_cancels_only_when_the_factor_cancels():
    assert MULTIPLY_OUT(mul(HALF, add(mul(2, s), neg(mul(2, s**-1)))), SETTING).expr == add(s, -1 / s)
    with pytest.raises(RuleNotApplicable):
        MULTIPLY_OUT(mul(HALF, add(exp(ell), -1)), SETTING)  # 1/2 (e^l - 1) stays factored


def test_regrouping_rules():
    split = SPLIT_MEAN_VARIANCE(add(mul(-HALF, log(s**2)), mul(HALF, s**2), mul(HALF, mu**2), -HALF), SETTING)
    assert split.expr == K
    with pytest.raises(RuleNotApplicable):
        SPLIT_MEAN_VARIANCE(K, SETTING)  # already separated
    with pytest.raises(RuleNotApplicable):
        SPLIT_MEAN_VARIANCE(add(s**2, -1), SETTING)  # no mean term
    fraction = frac(add(s**2, mu**2), mul(2, s**2))
    with pytest.raises(RuleNotApplicable):
        SPLIT_FRACTION(mu, SETTING)
    assert holds(add(fraction, 1), SPLIT_FRACTION(add(fraction, 1), SETTING).expr)
    combined = COMBINE_LOGS(add(s**2, log(mu**2 + 1), neg(log(s**2))), SETTING).expr
    assert holds(add(s**2, log(mu**2 + 1), neg(log(s**2))), combined) and combined.count(log) == 1
    j, d = Symbol("j", integer=True, positive=True), Symbol("d", integer=True, positive=True)
    total = Sum(add(mul(HALF, mu**2), s), (j, 1, d))
    assert symbolic_reason(total, SUM_TERM_BY_TERM(total, SETTING).expr)


def test_a_broken_derivative_rule_is_rejected_by_the_checker():
    def wrong(expr, setting):  # claims d/dt log t = t
        return expr.replace(lambda e: isinstance(e, Derivative), lambda e: e.variables[0])

    broken = Rule("broken-derivative", "Broken", "Claims that the derivative of log t is t.", wrong)
    t = Symbol("t", positive=True)
    with pytest.raises(StepRejected, match="broken-derivative"):
        Checker((t,)).derive("f", "f", Derivative(log(t), t), (broken,), SETTING)
    Checker((t,)).derive("f", "f", Derivative(log(t), t), (ELEMENTARY_DERIVATIVES,), SETTING)  # the true rule passes
