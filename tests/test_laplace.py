"""The Laplace family: KL(Laplace || Laplace) derived from the definition, every rule shown before -> after,
the chain and its lemmas checked, the closed form equal to ``torch.distributions.kl_divergence`` and to quadrature,
and a broken rule refused by the checker."""

from __future__ import annotations

import math

import mpmath
import pytest
from conftest import _require_module as require
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Abs, Integer, Integral, Pow, Rational, Symbol, exp, lambdify, oo

from derivation.cases.laplace import LAPLACE_PLAN, derive_laplace
from derivation.core.engine import Rule, derive_chain
from derivation.core.errors import RuleNotApplicable, StepRejected
from derivation.core.forms import evaluated, mul, neg, sub
from derivation.nodes.scalar import Expectation
from derivation.output.render import render
from derivation.printing.latex import to_latex
from derivation.printing.text import to_text
from derivation.rules.laplace import (
    ABSOLUTE_MOMENT_PLAN,
    COLLECT_TERMS,
    INTEGRATE_PIECES,
    LAPLACE_ABSOLUTE_DEVIATION,
    REFLECT_SYMMETRIC_WEIGHT,
    SPLIT_AT_KINKS,
    absolute_moment_lemma,
    difference,
    magnitude,
)
from derivation.settings.laplace import laplace_pair, two_laplace, user_pair
from derivation.settings.univariate import Notation

SETTING = two_laplace()
MU1, B1, MU2, B2 = SETTING.parameters
T = SETTING.t

#: (rule key, line before, line after) of every step of the general chain and of its two lemmas, in reading order.
BEFORE_AFTER = [
    ("kl-definition",
     r"\KL(q \,\|\, p)",
     r"\int_{-\infty}^{\infty} q(x) \log \frac{q(x)}{p(x)}\, dx"),
    ("integral-as-expectation",
     r"\int_{-\infty}^{\infty} q(x) \log \frac{q(x)}{p(x)}\, dx",
     r"\E_{q}\left[\log \frac{q(x)}{p(x)}\right]"),
    ("log-of-ratio",
     r"\E_{q}\left[\log \frac{q(x)}{p(x)}\right]",
     r"\E_{q}[\log q(x) - \log p(x)]"),
    ("laplace-log-density",
     r"\E_{q}[\log q(x) - \log p(x)]",
     r"\E_{q}\left[\left(- \log(2 b_{1}) - \frac{|x - \mu_{1}|}{b_{1}}\right) - \left(- \log(2 b_{2}) "
     r"- \frac{|x - \mu_{2}|}{b_{2}}\right)\right]"),
    ("combine-laplace-log-densities",
     r"\E_{q}\left[\left(- \log(2 b_{1}) - \frac{|x - \mu_{1}|}{b_{1}}\right) - \left(- \log(2 b_{2}) "
     r"- \frac{|x - \mu_{2}|}{b_{2}}\right)\right]",
     r"\E_{q}\left[\log \frac{b_{2}}{b_{1}} - \frac{|x - \mu_{1}|}{b_{1}} + \frac{|x - "
     r"\mu_{2}|}{b_{2}}\right]"),
    ("linearity-of-expectation",
     r"\E_{q}\left[\log \frac{b_{2}}{b_{1}} - \frac{|x - \mu_{1}|}{b_{1}} + \frac{|x - "
     r"\mu_{2}|}{b_{2}}\right]",
     r"\log \frac{b_{2}}{b_{1}} - \frac{1}{b_{1}} \E_{q}[|x - \mu_{1}|] + \frac{1}{b_{2}} \E_{q}[|x - "
     r"\mu_{2}|]"),
    ("laplace-absolute-deviation",
     r"\log \frac{b_{2}}{b_{1}} - \frac{1}{b_{1}} \E_{q}[|x - \mu_{1}|] + \frac{1}{b_{2}} \E_{q}[|x - "
     r"\mu_{2}|]",
     r"\log \frac{b_{2}}{b_{1}} - \frac{b_{1}}{b_{1}} + \frac{1}{b_{2}} \E_{q}[|x - \mu_{2}|]"),
    ("laplace-expectation-as-integral",
     r"\E_{q}[|x - \mu_{1}|]",
     r"\frac{1}{2 b_{1}} \int_{-\infty}^{\infty} |x - \mu_{1}| e^{-|x - \mu_{1}|/b_{1}}\, dx"),
    ("centre-at-location",
     r"\frac{1}{2 b_{1}} \int_{-\infty}^{\infty} |x - \mu_{1}| e^{-|x - \mu_{1}|/b_{1}}\, dx",
     r"\frac{1}{2 b_{1}} \int_{-\infty}^{\infty} |t| e^{-|t|/b_{1}}\, dt"),
    ("split-at-kinks",
     r"\frac{1}{2 b_{1}} \int_{-\infty}^{\infty} |t| e^{-|t|/b_{1}}\, dt",
     r"- \frac{1}{2 b_{1}} \int_{-\infty}^{0} t e^{t/b_{1}}\, dt + \frac{1}{2 b_{1}} \int_{0}^{\infty} "
     r"t e^{-t/b_{1}}\, dt"),
    ("integrate-exponential-pieces",
     r"- \frac{1}{2 b_{1}} \int_{-\infty}^{0} t e^{t/b_{1}}\, dt + \frac{1}{2 b_{1}} \int_{0}^{\infty} "
     r"t e^{-t/b_{1}}\, dt",
     r"\frac{1}{2} (b_{1} + b_{1})"),
    ("expand-and-collect",
     r"\frac{1}{2} (b_{1} + b_{1})",
     r"b_{1}"),
    ("cancel-and-collect",
     r"\log \frac{b_{2}}{b_{1}} - \frac{b_{1}}{b_{1}} + \frac{1}{b_{2}} \E_{q}[|x - \mu_{2}|]",
     r"\log \frac{b_{2}}{b_{1}} + \frac{1}{b_{2}} \E_{q}[|x - \mu_{2}|] - 1"),
    ("laplace-absolute-moment",
     r"\log \frac{b_{2}}{b_{1}} + \frac{1}{b_{2}} \E_{q}[|x - \mu_{2}|] - 1",
     r"\log \frac{b_{2}}{b_{1}} + \frac{|\mu_{1} - \mu_{2}| + b_{1} e^{-|\mu_{1} - "
     r"\mu_{2}|/b_{1}}}{b_{2}} - 1"),
    ("laplace-expectation-as-integral",
     r"\E_{q}[|x - \mu_{2}|]",
     r"\frac{1}{2 b_{1}} \int_{-\infty}^{\infty} |x - \mu_{2}| e^{-|x - \mu_{1}|/b_{1}}\, dx"),
    ("centre-at-location",
     r"\frac{1}{2 b_{1}} \int_{-\infty}^{\infty} |x - \mu_{2}| e^{-|x - \mu_{1}|/b_{1}}\, dx",
     r"\frac{1}{2 b_{1}} \int_{-\infty}^{\infty} |t + \mu_{1} - \mu_{2}| e^{-|t|/b_{1}}\, dt"),
    ("reflect-symmetric-weight",
     r"\frac{1}{2 b_{1}} \int_{-\infty}^{\infty} |t + \mu_{1} - \mu_{2}| e^{-|t|/b_{1}}\, dt",
     r"\frac{1}{2 b_{1}} \int_{-\infty}^{\infty} \bigl|t + |\mu_{1} - \mu_{2}|\bigr| e^{-|t|/b_{1}}\, "
     r"dt"),
    ("split-at-kinks",
     r"\frac{1}{2 b_{1}} \int_{-\infty}^{\infty} \bigl|t + |\mu_{1} - \mu_{2}|\bigr| e^{-|t|/b_{1}}\, "
     r"dt",
     r"- \frac{1}{2 b_{1}} \int_{-\infty}^{- |\mu_{1} - \mu_{2}|} (t + |\mu_{1} - \mu_{2}|) "
     r"e^{t/b_{1}}\, dt + \frac{1}{2 b_{1}} \int_{- |\mu_{1} - \mu_{2}|}^{0} (t + |\mu_{1} - \mu_{2}|) "
     r"e^{t/b_{1}}\, dt + \frac{1}{2 b_{1}} \int_{0}^{\infty} (t + |\mu_{1} - \mu_{2}|) e^{-t/b_{1}}\, "
     r"dt"),
    ("integrate-exponential-pieces",
     r"- \frac{1}{2 b_{1}} \int_{-\infty}^{- |\mu_{1} - \mu_{2}|} (t + |\mu_{1} - \mu_{2}|) "
     r"e^{t/b_{1}}\, dt + \frac{1}{2 b_{1}} \int_{- |\mu_{1} - \mu_{2}|}^{0} (t + |\mu_{1} - \mu_{2}|) "
     r"e^{t/b_{1}}\, dt + \frac{1}{2 b_{1}} \int_{0}^{\infty} (t + |\mu_{1} - \mu_{2}|) e^{-t/b_{1}}\, "
     r"dt",
     r"\frac{1}{2} (b_{1} e^{-|\mu_{1} - \mu_{2}|/b_{1}} + |\mu_{1} - \mu_{2}| - b_{1} + b_{1} "
     r"e^{-|\mu_{1} - \mu_{2}|/b_{1}} + b_{1} + |\mu_{1} - \mu_{2}|)"),
    ("expand-and-collect",
     r"\frac{1}{2} (b_{1} e^{-|\mu_{1} - \mu_{2}|/b_{1}} + |\mu_{1} - \mu_{2}| - b_{1} + b_{1} "
     r"e^{-|\mu_{1} - \mu_{2}|/b_{1}} + b_{1} + |\mu_{1} - \mu_{2}|)",
     r"|\mu_{1} - \mu_{2}| + b_{1} e^{-|\mu_{1} - \mu_{2}|/b_{1}}"),
    ("divide-through",
     r"\log \frac{b_{2}}{b_{1}} + \frac{|\mu_{1} - \mu_{2}| + b_{1} e^{-|\mu_{1} - "
     r"\mu_{2}|/b_{1}}}{b_{2}} - 1",
     r"\log \frac{b_{2}}{b_{1}} + \frac{|\mu_{1} - \mu_{2}|}{b_{2}} + \frac{b_{1}}{b_{2}} e^{-|\mu_{1} "
     r"- \mu_{2}|/b_{1}} - 1"),
]


@pytest.fixture(scope="module")
def general():
    return derive_laplace(SETTING)


def _steps(derivation):
    before = derivation.start
    for step in derivation.steps:
        yield step.rule, before, step.expr
        before = step.expr
        for lemma in step.lemmas:
            yield from _steps(lemma)


def test_every_rule_before_and_after(general):
    shown = [(key, to_latex(before), to_latex(after)) for key, before, after in _steps(general)]
    assert shown == BEFORE_AFTER


def test_the_chain_and_its_lemmas_are_checked(general):
    assert general.verified
    lemmas = list(general.lemmas())
    assert [lemma.title for lemma in lemmas] == ["Mean absolute deviation", "Mean distance from another point"]
    assert all(lemma.verified for lemma in lemmas)
    assert [to_latex(lemma.result) for lemma in lemmas] == [
        r"b_{1}", r"|\mu_{1} - \mu_{2}| + b_{1} e^{-|\mu_{1} - \mu_{2}|/b_{1}}"]


def test_rule_keys_are_unique():
    rules = {id(rule): rule for rule in (*LAPLACE_PLAN, *ABSOLUTE_MOMENT_PLAN)}.values()
    keys = [rule.key for rule in rules]
    assert len(keys) == len(set(keys)) == 16


def test_the_result_is_the_known_closed_form(general):
    known = math.log(1.7 / 0.6) + abs(0.3 + 1.1) / 1.7 + 0.6 / 1.7 * math.exp(-abs(0.3 + 1.1) / 0.6) - 1
    assert _value(general.result, (0.3, 0.6, -1.1, 1.7)) == pytest.approx(known, rel=1e-13)


def _value(expr, values) -> float:
    return float(lambdify((MU1, B1, MU2, B2), evaluated(expr), "math")(*values))


def _torch_kl(m1: float, s1: float, m2: float, s2: float) -> float:
    torch = require("torch")
    Laplace = torch.distributions.Laplace
    q = Laplace(torch.tensor(m1, dtype=torch.float64), torch.tensor(s1, dtype=torch.float64))
    p = Laplace(torch.tensor(m2, dtype=torch.float64), torch.tensor(s2, dtype=torch.float64))
    return float(torch.distributions.kl_divergence(q, p))


def _quadrature_kl(m1: float, s1: float, m2: float, s2: float) -> float:
    with mpmath.workdps(30):
        m1, s1, m2, s2 = map(mpmath.mpf, (m1, s1, m2, s2))

        def log_density(x, m, s):
            return -mpmath.log(2 * s) - abs(x - m) / s

        def integrand(x):
            return mpmath.exp(log_density(x, m1, s1)) * (log_density(x, m1, s1) - log_density(x, m2, s2))

        return float(mpmath.quad(integrand, [-mpmath.inf, min(m1, m2), max(m1, m2), mpmath.inf]))


@settings(max_examples=60, deadline=None)
@given(m1=st.floats(-5, 5), s1=st.floats(0.05, 20), m2=st.floats(-5, 5), s2=st.floats(0.05, 20))
def test_the_result_equals_torch_kl_divergence(general, m1, s1, m2, s2):
    assert _value(general.result, (m1, s1, m2, s2)) == pytest.approx(_torch_kl(m1, s1, m2, s2), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("values", [
    (0.7, 1.3, 0.7, 2.9),      # equal locations
    (-1.0, 1.5, 2.0, 1.5),     # equal scales
    (0.4, 0.8, 0.4, 0.8),      # equal laws: 0
    (0.0, 1e-3, 1.0, 1e3),     # very different scales
    (3.0, 1e3, -2.0, 1e-2),
    (0.0, 1.0, 40.0, 1.0),     # far apart: the exponential term underflows to nothing
])
def test_edge_parameters_agree_with_torch_and_quadrature(general, values):
    ours = _value(general.result, values)
    assert ours == pytest.approx(_torch_kl(*values), rel=1e-9, abs=1e-12)
    assert ours == pytest.approx(_quadrature_kl(*values), rel=1e-9, abs=1e-12)


def test_equal_laws_give_zero():
    m, b = Symbol("m", real=True), Symbol("b", positive=True)
    derivation = derive_laplace(laplace_pair(Notation(), m, b, m, b))
    assert derivation.verified and derivation.result == 0


@pytest.mark.parametrize(("parameters", "steps", "result"), [
    ((Symbol("m", real=True), Symbol("b", positive=True), Symbol("m", real=True), Symbol("c", positive=True)),
     8, r"\log \frac{c}{b} + \frac{b}{c} - 1"),
    ((Symbol("m", real=True), Symbol("b", positive=True), Symbol("n", real=True), Symbol("b", positive=True)),
     10, r"\frac{|m - n|}{b} + e^{-|m - n|/b} - 1"),
    ((Symbol("m", real=True), Symbol("b", positive=True), Integer(0), Integer(1)),
     9, r"- \log b + |m| + b e^{-|m|/b} - 1"),
    ((Integer(1), Integer(2), Integer(0), Integer(1)), 10, r"- \log 2 + 2 e^{-1/2}"),
])
def test_special_pairs_skip_the_steps_that_do_not_fit(parameters, steps, result):
    derivation = derive_laplace(laplace_pair(Notation(), *parameters))
    assert derivation.verified
    assert len(derivation.steps) == steps
    assert to_latex(derivation.result) == result
    values = {s: v for s, v in zip(parameters, (0.3, 0.9, -0.4, 1.6), strict=True) if isinstance(s, Symbol)}
    numbers = [float(values.get(p, p)) for p in parameters]
    assert float(evaluated(derivation.result).subs(values)) == pytest.approx(_torch_kl(*numbers), rel=1e-12)


def test_text_format_writes_absolute_values_without_extra_brackets():
    assert to_text(SETTING.q.energy()) == "|x - μ₁|/b₁"
    assert to_text(SETTING.q.log_pdf_form()) == "-log(2b₁) - |x - μ₁|/b₁"


def test_distances_read_as_a_textbook_writes_them():
    m = Symbol("m", real=True)
    assert to_latex(magnitude(difference(MU1, MU2))) == r"|\mu_{1} - \mu_{2}|"
    assert to_latex(magnitude(difference(Integer(0), m))) == r"|m|"
    assert magnitude(difference(Integer(1), Integer(4))) == 3
    assert magnitude(difference(B1, Integer(0))) == B1


def test_split_at_kinks_on_its_own():
    line = Integral(mul(Abs(T), exp(neg(mul(Abs(T), B1 ** -1)))), (T, -oo, oo))
    out = SPLIT_AT_KINKS(line, SETTING).expr
    assert to_latex(out) == (r"- \int_{-\infty}^{0} t e^{t/b_{1}}\, dt + "
                             r"\int_{0}^{\infty} t e^{-t/b_{1}}\, dt")
    scaled = SPLIT_AT_KINKS(mul(Pow(2 * B1, -1, evaluate=False), line), SETTING).expr  # the constant goes to each piece
    assert to_latex(scaled) == (r"- \frac{1}{2 b_{1}} \int_{-\infty}^{0} t e^{t/b_{1}}\, dt + "
                                r"\frac{1}{2 b_{1}} \int_{0}^{\infty} t e^{-t/b_{1}}\, dt")
    assert to_latex(INTEGRATE_PIECES(scaled, SETTING).expr) == r"\frac{1}{2} (b_{1} + b_{1})"
    with pytest.raises(RuleNotApplicable):
        SPLIT_AT_KINKS(Integral(exp(-T / B1), (T, 0, oo)), SETTING)  # no absolute value: nothing to split


def test_integrate_pieces_on_its_own():
    piece = Integral(mul(T, exp(-T / B1)), (T, 0, oo))
    assert to_latex(INTEGRATE_PIECES(piece, SETTING).expr) == r"b_{1}^{2}"
    finite = Integral(exp(T / B1), (T, -Rational(1), 0))
    assert to_latex(INTEGRATE_PIECES(finite, SETTING).expr) == r"b_{1} - b_{1} e^{-1/b_{1}}"
    with pytest.raises(RuleNotApplicable):
        INTEGRATE_PIECES(Integral(exp(T / B1), (T, 0, oo)), SETTING)  # diverges


def test_rules_refuse_lines_they_do_not_fit():
    with pytest.raises(RuleNotApplicable):
        REFLECT_SYMMETRIC_WEIGHT(Integral(Abs(T + B1) * exp(-Abs(T)), (T, -oo, oo)), SETTING)  # already |c| = c
    with pytest.raises(RuleNotApplicable):
        COLLECT_TERMS(Integral(T, (T, 0, 1)), SETTING)
    with pytest.raises(RuleNotApplicable):
        LAPLACE_ABSOLUTE_DEVIATION(Expectation(Abs(SETTING.x - MU2), SETTING.q), SETTING)  # not q's location


def test_the_checker_rejects_a_broken_laplace_rule():
    def twice_the_scale(expr, setting):
        q = setting.q
        return expr.xreplace({Expectation(Abs(setting.x - q.law.loc, evaluate=False), q): 2 * q.law.scale})

    broken = Rule("broken-absolute-deviation", "Broken", "Claims twice the scale.", twice_the_scale)
    plan = tuple(broken if rule is LAPLACE_ABSOLUTE_DEVIATION else rule for rule in LAPLACE_PLAN)
    checker = SETTING.checker()
    with pytest.raises(StepRejected, match="broken-absolute-deviation"):
        derive_chain("laplace", "KL", SETTING.start(), plan, SETTING,
                     check=lambda i, before, step: checker.check_step(i, before, step, "KL"), skip_unfit=True)


def test_the_checker_rejects_a_broken_piece_in_a_lemma():
    def dropped_sign(expr, setting):  # the negative half-line counted with the wrong sign
        return SPLIT_AT_KINKS.apply(expr, setting).xreplace({Integer(-1): Integer(1)})

    broken = Rule("split-at-kinks", "Split", "Forgets a sign.", dropped_sign)
    plan = tuple(broken if rule is SPLIT_AT_KINKS else rule for rule in ABSOLUTE_MOMENT_PLAN)
    lemma = derive_chain("mad", "Mean absolute deviation", Expectation(Abs(SETTING.x - MU1, evaluate=False),
                                                                        SETTING.q), plan, SETTING, skip_unfit=True)
    with pytest.raises(StepRejected, match="split-at-kinks"):
        SETTING.checker().verify(lemma)
    assert absolute_moment_lemma(lemma.start, SETTING).result == B1


def _load(source: str) -> dict:
    namespace: dict = {}
    exec(compile(source, "<kl-derive output>", "exec"), namespace)  # our own generated code, in a test
    return namespace


@pytest.mark.parametrize("fmt", ["python", "torch"])
def test_the_exports_compute_the_derived_result(general, fmt):
    torch = require("torch")
    source = render(general, fmt)
    assert "q = Laplace(mu1, b1), p = Laplace(mu2, b2)" in source
    kl = _load(source)["kl_divergence"]
    values = (0.3, 0.6, -1.1, 1.7)
    if fmt == "torch":
        tensors = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
        out = kl(*tensors)
        out.backward()  # differentiable in every parameter
        assert all(t.grad is not None for t in tensors)
        value = float(out.detach())
    else:
        value = float(kl(*values))
    assert value == pytest.approx(_value(general.result, values), rel=1e-13)
    assert value == pytest.approx(_torch_kl(*values), rel=1e-12)


def test_a_users_pair_keeps_its_names_apart_from_the_variables():
    x, t = Symbol("x", real=True), Symbol("t", positive=True)
    setting = user_pair(x, t, Integer(0), Integer(1))
    assert (setting.x.name, setting.t.name) == ("y", "s")
    assert setting.user_parameters == (x, t)
    derivation = derive_laplace(setting)
    assert derivation.verified
    assert to_latex(derivation.result) == r"- \log t + |x| + t e^{-|x|/t} - 1"


@settings(max_examples=25, deadline=None)
@given(loc=st.fractions(-3, 3, max_denominator=4), scale=st.fractions(1, 3, max_denominator=4).filter(lambda s: s > 0),
       point=st.fractions(-3, 3, max_denominator=4))
def test_the_lemma_rules_integrate_any_numeric_pair_correctly(loc, scale, point):
    """The lemma's rules alone (no checker) give E|x - point| under Laplace(loc, scale), as quadrature does."""
    loc, scale, point = (Rational(v.numerator, v.denominator) for v in (loc, scale, point))
    setting = laplace_pair(Notation(), loc, scale, Integer(0), Integer(1))
    start = Expectation(Abs(sub(setting.x, point), evaluate=False), setting.q)
    lemma = absolute_moment_lemma(start, setting)
    assert not lemma.result.has(Integral, Expectation)
    with mpmath.workdps(30):
        m, b, a = (mpmath.mpf(v.p) / v.q for v in (loc, scale, point))
        expected = mpmath.quad(lambda x: abs(x - a) * mpmath.exp(-abs(x - m) / b) / (2 * b),
                               [-mpmath.inf, min(m, a), max(m, a), mpmath.inf])
    assert float(evaluated(lemma.result)) == pytest.approx(float(expected), rel=1e-12, abs=1e-14)


# ----------------------------------------------------------------------------------------------------
# The checker's quadrature against a Laplace density: Gauss-Laguerre on each side of the location
# ----------------------------------------------------------------------------------------------------

def test_the_laguerre_rules_are_mpmaths():
    from derivation.laws.laplace import LAGUERRE_NODES, laguerre_rule
    for n in LAGUERRE_NODES:
        with mpmath.workdps(40):
            nodes, weights = mpmath.gauss_quadrature(n, "laguerre")
            rule = laguerre_rule(n)
            assert len(rule) == n
            assert max(abs(t - x) / x for (t, _), x in zip(rule, nodes, strict=True)) < mpmath.mpf("1e-35")
            assert max(abs(w - v) / v for (_, w), v in zip(rule, weights, strict=True)) < mpmath.mpf("1e-35")


@settings(max_examples=20, deadline=None)
@given(st.floats(-5, 5), st.floats(0.05, 20), st.floats(-5, 5))
def test_a_polynomial_against_the_density_is_integrated_exactly(loc, scale, centre):
    """E[(x - c)**2] = 2 b**2 + (m - c)**2 and E|x - m| = b, to 25 digits."""
    from derivation.laws.laplace import LaplaceLaw
    law = LaplaceLaw(Integer(0), Integer(1))
    with mpmath.workdps(30):
        m, b, c = (mpmath.mpf(v) for v in (loc, scale, centre))

        def density(x):
            return mpmath.exp(-abs(x - m) / b) / (2 * b)

        second = law.integrate(lambda x: density(x) * (x - c) ** 2, [m, b], True, [m])
        assert abs(second - (2 * b**2 + (m - c) ** 2)) <= mpmath.mpf("1e-24") * max(1, abs(second))
        deviation = law.integrate(lambda x: density(x) * abs(x - m), [m, b], True, [m])
        assert abs(deviation - b) <= mpmath.mpf("1e-24") * max(1, b)


def test_other_integrands_still_get_the_right_value():
    """A kink away from the location, or a function that is not a polynomial (the two rules disagree): adaptive
    quadrature, the value as before."""
    from derivation.laws.laplace import LaplaceLaw
    law = LaplaceLaw(Integer(0), Integer(1))
    with mpmath.workdps(30):
        m, b, c = mpmath.mpf("0.3"), mpmath.mpf("0.7"), mpmath.mpf("1.9")

        def density(x):
            return mpmath.exp(-abs(x - m) / b) / (2 * b)

        kinked = law.integrate(lambda x: density(x) * abs(x - c), [m, b], True, [m, c])
        expected = (c - m) + b * mpmath.exp(-(c - m) / b)  # E|x - c| for c > m
        assert abs(kinked - expected) < mpmath.mpf("1e-18")
        moment = law.integrate(lambda x: density(x) * mpmath.exp(x), [m, b], True, [m])
        assert abs(moment - mpmath.exp(m) / (1 - b**2)) < mpmath.mpf("1e-18")
