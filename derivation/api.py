"""The public entry points: :func:`derive` a case (every step verified), then render it."""

from __future__ import annotations

import re
from dataclasses import replace

from .cases import CASES, Options
from .core import Derivation
from .errors import UsageError
from .setting import Notation

#: The largest dimension a derivation is written out at (its cost grows linearly with it).
MAX_DIM = 10_000


def dimension(value: int | str | None) -> int | None:
    """``value`` as a positive whole number (a Python int, or its decimal text as given on a command line).

    Raises :class:`~derivation.errors.UsageError` for anything else, and above :data:`MAX_DIM`.
    """
    if value is None:
        return None
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?[0-9]{1,12}\s*", value):
        number = int(value)
    if number is None or number < 1:
        raise UsageError(f"the dimension (--dim) must be a positive integer, got {value!r}")
    if number > MAX_DIM:
        raise UsageError(f"the dimension (--dim) must be at most {MAX_DIM}, got {number}")
    return number


def derive(case: str, *, notation: Notation | None = None, dim: int | str | None = None,
           route: str | None = None) -> Derivation:
    """Derive ``case`` step by step, checking each step as it is made.

    ``dim`` is a positive integer (for the cases that take one); ``route`` names one of the case's
    routes (the first is the default). Raises :class:`~derivation.errors.UsageError` for an unknown
    case, a bad dimension or route, or options the case does not take, and
    :class:`~derivation.errors.StepRejected` if a rule produced a wrong line.
    """
    if case not in CASES:
        raise UsageError(f"unknown case {case!r} (choose from: {', '.join(CASES)})")
    spec = CASES[case]
    options = Options(notation or Notation(), dimension(dim), route)
    plan = spec.plan(options)
    setting = spec.setting(options)
    checker = setting.checker()
    derivation = checker.derive(spec.name, spec.title, setting.start(), plan, setting, spec.description)
    if spec.sections is not None:
        derivation = replace(derivation, sections=spec.sections(derivation))
    return derivation
