"""The checker: correct steps pass, and a deliberately broken rule is rejected (nothing is rendered)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sympy import Symbol, log

from derivation import CASES
from derivation.cases.catalogue import Options
from derivation.check.checker import Checker, is_zero, verify_derivation
from derivation.core.engine import Rewrite, derive_chain
from derivation.core.errors import StepRejected
from derivation.nodes.scalar import KL, Expectation
from derivation.rules import CANCEL_AND_COLLECT, SECOND_MOMENT
from derivation.rules.base import rewrite_or_refuse


def _derive_with(plan_edit):
    case = CASES["univariate"]
    setting = case.setting(Options())
    plan = plan_edit(case.plan(Options()))
    return Checker(setting.parameters).derive(case.name, case.title, KL(setting.q, setting.p), plan, setting)


def _wrong_second_moment(expr, setting):
    """E[(x - mu)^2] -> sigma (forgets the square): a plausible slip."""
    q = setting.q

    def match(e):
        if isinstance(e, Expectation) and e.expr == (q.variable - q.mean) ** 2:
            return q.std
        return None

    return Rewrite(rewrite_or_refuse(expr, match, "moment"))


def _wrong_constant(expr, setting):
    """Collects -sigma^2/(2 sigma^2) as -1 instead of -1/2."""
    out = CANCEL_AND_COLLECT.apply(expr, setting).expr
    return out.func(*out.args[:-1], -1, evaluate=False)


def test_a_broken_expectation_rule_is_rejected_numerically():
    broken = replace(SECOND_MOMENT, key="broken-second-moment", apply=_wrong_second_moment)
    with pytest.raises(StepRejected, match=r"step 7 \(broken-second-moment\)"):
        _derive_with(lambda plan: tuple(broken if r is SECOND_MOMENT else r for r in plan))


def test_a_broken_closed_form_rule_is_rejected():
    broken = replace(CANCEL_AND_COLLECT, key="broken-collect", apply=_wrong_constant)
    with pytest.raises(StepRejected, match="broken-collect"):
        _derive_with(lambda plan: tuple(broken if r is CANCEL_AND_COLLECT else r for r in plan))


def test_the_unbroken_plan_passes():
    assert _derive_with(lambda plan: plan).verified


def test_checker_methods():
    a, b = Symbol("a", positive=True), Symbol("b", positive=True)
    checker = Checker({a, b})
    ok = checker.check(0, log(a * b), log(a) + log(b))
    assert ok.ok and ok.method == "symbolic"
    bad = checker.check(1, log(a * b), log(a) - log(b))
    assert not bad.ok and "before" in bad.detail


def test_is_zero_is_a_proof_not_a_guess():
    a = Symbol("a", real=True)
    assert is_zero(log(a**2 + 1) - log(a**2 + 1))
    assert not is_zero(log(a**2) - 2 * log(a))  # false for negative a: must not be "proved"


def test_is_zero_decides_an_expression_once(monkeypatch):
    """A vector step's difference is asked about twice (as it stands and with traces as numbers): decided once."""
    from derivation.check import checker as module

    calls = []
    decide = module._is_zero
    monkeypatch.setattr(module, "_is_zero", lambda e: calls.append(e) or decide(e))
    a = Symbol("a_decided_once", positive=True)
    assert is_zero(log(a**3) - 3 * log(a)) and is_zero(log(a**3) - 3 * log(a))
    assert not is_zero(log(a**3) - 2 * log(a)) and not is_zero(log(a**3) - 2 * log(a))
    assert len(calls) == 2


def test_products_sharing_factors_are_compared_without_them():
    """``q log A`` against ``q log B``: the shared factor q is left out first (a smaller difference to normalise);
    a wrong step with shared factors is still not proved, and the checker still rejects it."""
    from sympy import exp, pi, sqrt

    from derivation.check.checker import _same_by_normal_forms

    z, m, x = Symbol("z", real=True), Symbol("m", real=True), Symbol("x", real=True)
    s, t = Symbol("s", positive=True), Symbol("t", positive=True)
    q = sqrt(2) * exp(-(z - m) ** 2 / (2 * t**2)) / (2 * sqrt(pi) * t)
    density = exp(-(x - z) ** 2 / (2 * s**2)) / (sqrt(2 * pi) * s)
    assert _same_by_normal_forms(q * log(density), q * (-(x - z) ** 2 / (2 * s**2) - log(2 * pi * s**2) / 2))
    assert not _same_by_normal_forms(q * log(density), q * (-(x - z) ** 2 / (2 * s**2) - log(2 * pi * s**2)))
    assert not _same_by_normal_forms(q * log(s * t), q * log(s) * log(t))
    bad = Checker({z, m, x, s, t}).check(0, q * log(s * t), q * (log(s) - log(t)))
    assert not bad.ok and bad.method == "numeric"


def test_verifying_a_built_derivation_catches_a_wrong_line():
    case = CASES["univariate"]
    setting = case.setting(Options())
    broken = replace(CANCEL_AND_COLLECT, key="broken-collect", apply=_wrong_constant)
    plan = tuple(broken if r is CANCEL_AND_COLLECT else r for r in case.plan(Options()))
    unchecked = derive_chain(case.name, case.title, KL(setting.q, setting.p), plan, setting)
    assert not unchecked.verified
    with pytest.raises(StepRejected, match="step 8"):  # cancel-and-collect is step 8 (before the shifted moment)
        verify_derivation(unchecked)
