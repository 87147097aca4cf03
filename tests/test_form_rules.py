"""Before -> after for each rule changed so that the derivations read like a textbook (issue 9, item 4)."""

from __future__ import annotations

import re

import pytest
from sympy import Determinant, MatrixSymbol, Rational, Symbol, log, sqrt

from derivation.cases.catalogue import CASES, Options
from derivation.core.errors import RuleNotApplicable
from derivation.core.forms import HALF, add, evaluated, frac, mul, neg, square
from derivation.laws import NormalLaw
from derivation.nodes.scalar import Density
from derivation.printing.latex import to_latex
from derivation.rules import LOG_VARIANCE, VAE_FORM
from derivation.rules.algebra import COLLECT_LIKE_TERMS
from derivation.rules.logs import without_reciprocal_logs

x = Symbol("x", real=True)
mu = Symbol("mu", real=True)
sigma, s1, s2 = (Symbol(n, positive=True) for n in ("sigma", "sigma1", "sigma2"))


@pytest.fixture(scope="module")
def standard_setting():
    return CASES["standard"].setting(Options())


def plain(tex: str) -> str:
    """``tex`` without bracket sizing (``\\left(`` and ``(`` read the same; the layout chooses between them)."""
    return re.sub(r"\\(left|right|bigl|bigr|Bigl|Bigr|big|Big)(?=[()\[\]|.]|\\[{}|])", "", tex)


def _tex(expr) -> str:
    return plain(to_latex(expr))


def test_log_normaliser_ratio_against_a_unit_scale_is_minus_log():
    """Before: log(1/sigma). After: -log sigma."""
    q, p = Density("q", x, NormalLaw(mu, sigma)), Density("p", x, NormalLaw(0, 1))
    assert _tex(q.log_normaliser_ratio(p)) == r"- \log \sigma"
    assert _tex(p.log_normaliser_ratio(q)) == r"\log \sigma"
    general = Density("q", x, NormalLaw(mu, s1)).log_normaliser_ratio(Density("p", x, NormalLaw(0, s2)))
    assert _tex(general) == r"\log \frac{\sigma_{2}}{\sigma_{1}}"


def test_log_normaliser_ratio_of_equal_scales_vanishes():
    """Before: log(s/s). After: nothing."""
    q, p = Density("q", x, NormalLaw(mu, sigma)), Density("p", x, NormalLaw(0, sigma))
    assert q.log_normaliser_ratio(p) == 0


def test_log_variance_of_a_scale(standard_setting):
    """Before: log(1/sigma) -> -1/2 log sigma^2 by the ratio law. After: -log sigma -> -1/2 log sigma^2."""
    line = add(neg(log(sigma)), mul(HALF, add(square(sigma), square(mu))), Rational(-1, 2))
    out = LOG_VARIANCE(line, standard_setting)
    assert _tex(out.expr) == (r"- \frac{1}{2} \log \sigma^{2} + \frac{1}{2} (\sigma^{2} + \mu^{2})"
                              r" - \frac{1}{2}")
    assert [_tex(i) for i in out.identities] == [r"\log a = \frac{1}{2} \log a^{2}"]
    ratio = LOG_VARIANCE(log(frac(s2, s1)), standard_setting)
    assert _tex(ratio.expr) == r"\frac{1}{2} \log \sigma_{2}^{2} - \frac{1}{2} \log \sigma_{1}^{2}"


def test_vae_form_in_one_step(standard_setting):
    """Before: distribute, factor out to -1/2 (log s^2 - s^2 - mu^2 + 1), reorder. After: one step."""
    line = add(mul(Rational(-1, 2), log(square(sigma))), mul(HALF, add(square(sigma), square(mu))), Rational(-1, 2))
    out = VAE_FORM(line, standard_setting).expr
    assert _tex(out) == r"- \frac{1}{2} (1 + \log \sigma^{2} - \mu^{2} - \sigma^{2})"
    assert (evaluated(out) - evaluated(line)).expand() == 0
    with pytest.raises(RuleNotApplicable):
        VAE_FORM(out, standard_setting)


def test_collect_like_terms(standard_setting):
    """Before: log s - 1/2 log s + s / (2 s^2) - 1/2. After: 1/2 (log s + 1/s - 1)."""
    s = Symbol("s", positive=True)
    line = add(log(s), mul(Rational(-1, 2), log(s)), frac(s, mul(2, square(s))), Rational(-1, 2))
    out = COLLECT_LIKE_TERMS(line, standard_setting).expr
    assert _tex(out) == r"\frac{1}{2} (\log s + \frac{1}{s} - 1)"
    numbers = add(neg(log(2)), Rational(5, 2), Rational(-1, 2))
    assert _tex(COLLECT_LIKE_TERMS(numbers, standard_setting).expr) == r"2 - \log 2"
    d = Symbol("d", integer=True, positive=True)
    sign = mul(-1, d, add(Rational(-3, 2), log(2)))
    assert _tex(COLLECT_LIKE_TERMS(sign, standard_setting).expr) == r"d (\frac{3}{2} - \log 2)"


def test_collect_leaves_a_line_with_nothing_to_collect(standard_setting):
    v, m = Symbol("v", positive=True), Symbol("m", real=True)
    line = add(mul(HALF, log(3)), mul(Rational(-1, 2), log(v)), mul(Rational(1, 6), add(v, square(m))),
               Rational(-1, 2))
    with pytest.raises(RuleNotApplicable):
        COLLECT_LIKE_TERMS(line, standard_setting)


def test_reciprocal_logs_are_written_as_minus_log():
    """Before: 1/2 log(1/|S|), log(1/sqrt(t)), log((1/sqrt(u)) / (1/sqrt(t))). After: no log of a reciprocal."""
    S = MatrixSymbol("S", 3, 3)
    out, used = without_reciprocal_logs(mul(HALF, log(frac(1, Determinant(S)))))
    assert _tex(out) == r"- \frac{1}{2} \log |S|" and len(used) == 2
    t, u = Symbol("t", positive=True), Symbol("u", positive=True)
    out, _ = without_reciprocal_logs(neg(log(1 / sqrt(t))))
    assert r"\frac{1}{" not in _tex(out) and evaluated(out) == evaluated(log(sqrt(t)))
    out, used = without_reciprocal_logs(log(frac(1 / sqrt(u), 1 / sqrt(t))))
    assert r"\frac{1}{" not in _tex(out) and used == ()


def test_identity_step_drops_a_subtracted_zero_mean_and_the_unit_determinant():
    """Before: (m - 0)^T S^-1 (m - 0), then "Change sign" to (-m)^T S^-1 (-m), and log(|S|) bracketed.
    After: m^T S^-1 m and log |S| in the Identity step itself."""
    from derivation import derive, render

    d = derive(q="MvNormal(0, cov=1, dim=3)", p="MvNormal(m, cov=S, dim=3)")
    assert [s.rule for s in d.steps] == ["full-covariance-result", "identity-matrix"]
    markdown = plain(render(d, "markdown"))
    result = markdown.split("**Result.**")[1].split("$$")[1].strip()
    assert result.endswith(r"(\operatorname{tr}(S^{-1}) + m^{\top} S^{-1} m - 3 "
                           r"+ \log |S|)")
    assert r"(- m)" not in markdown and r"\log(|S|)" not in markdown
