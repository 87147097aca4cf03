"""The public entry points: :func:`derive` a case (every step verified), then render it."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

from .cases import CASES, Options
from .core import Derivation
from .errors import UsageError
from .setting import Notation
from .verify import Checker


def derive(case: str, *, notation: Notation | None = None, dim: int | None = None,
           route: str | None = None) -> Derivation:
    """Derive ``case`` step by step, checking each step as it is made.

    Raises :class:`~derivation.errors.UsageError` for an unknown case or options the case does not
    take, and :class:`~derivation.errors.StepRejected` if a rule produced a wrong line.
    """
    if case not in CASES:
        raise UsageError(f"unknown case {case!r} (choose from: {', '.join(CASES)})")
    spec = CASES[case]
    options = Options(notation or Notation(), dim, route)
    plan = spec.plan(options)
    setting = spec.setting(options)
    checker = Checker(setting.parameters)
    derivation = checker.derive(spec.name, spec.title, setting.start(), plan, setting, spec.description)
    recipe = {"case": case, "notation": options.notation.as_dict(), "dim": dim, "route": route}
    derivation = replace(derivation, options=MappingProxyType({k: v for k, v in recipe.items() if v}))
    if spec.sections is not None:
        derivation = replace(derivation, sections=spec.sections(derivation))
    return derivation
