"""The plan loop on toy rules: steps recorded in order, refusals surface, nothing changes silently."""

from __future__ import annotations

import pytest
from sympy import Symbol, cos, sin

from derivation.core.engine import Rewrite, Rule, apply_plan, derive_chain
from derivation.core.errors import RuleNotApplicable

x = Symbol("x")


def _double(expr, setting):
    return 2 * expr


def _sin_to_cos(expr, setting):
    if not expr.has(sin):
        raise RuleNotApplicable("no sine")
    return Rewrite(expr.replace(sin, cos), (sin(x),))


DOUBLE = Rule("double", "Double", "Multiply by two.", _double)
SIN_TO_COS = Rule("sin-to-cos", "Cosine", "Replace sine by cosine.", _sin_to_cos)
IDENTITY = Rule("identity", "Nothing", "Changes nothing.", lambda e, s: e)


def test_each_rule_records_one_step_in_order():
    steps, checks = apply_plan(sin(x), (SIN_TO_COS, DOUBLE, DOUBLE), None)
    assert checks == ()
    assert [s.rule for s in steps] == ["sin-to-cos", "double", "double"]
    assert [s.expr for s in steps] == [cos(x), 2 * cos(x), 4 * cos(x)]
    assert steps[0].identities == (sin(x),)
    assert steps[0].title == "Cosine"


def test_a_rule_that_does_not_fit_stops_the_plan():
    with pytest.raises(RuleNotApplicable, match="no sine"):
        apply_plan(cos(x), (SIN_TO_COS,), None)


def test_a_rule_that_changes_nothing_is_refused():
    with pytest.raises(RuleNotApplicable, match="unchanged"):
        apply_plan(x, (IDENTITY,), None)


def test_derivation_result_is_the_last_line():
    d = derive_chain("toy", "Toy", x, (DOUBLE, DOUBLE), None)
    assert d.result == 4 * x
    assert d.start == x
    assert not d.verified  # no checks attached yet
    empty = derive_chain("toy", "Toy", x, (), None)
    assert empty.result == x
