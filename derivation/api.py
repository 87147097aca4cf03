"""The public entry points: :func:`derive` a case, then render it."""

from __future__ import annotations

from .cases import CASES
from .core import Derivation
from .errors import UsageError
from .nodes import KL
from .setting import Notation
from .verify import Checker


def derive(case: str, *, notation: Notation | None = None) -> Derivation:
    """Derive ``case`` step by step and verify every step (raises ``StepRejected`` on a wrong step)."""
    if case not in CASES:
        raise UsageError(f"unknown case {case!r} (choose from: {', '.join(CASES)})")
    spec = CASES[case]
    setting = spec.setting(notation or Notation())
    checker = Checker(setting.parameters)
    return checker.derive(spec.name, spec.title, KL(setting.q, setting.p), spec.plan, setting, spec.description)
