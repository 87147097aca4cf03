"""The public entry points: :func:`derive` a case or a pair of specs (every step verified); :func:`verify` a claim."""

from __future__ import annotations

import re
from dataclasses import replace
from types import MappingProxyType

from .cases.catalogue import CASES, Options
from .claims.decide import Verdict
from .claims.decide import verify as decide
from .core.engine import Derivation
from .core.errors import UsageError
from .core.limits import MAX_DIM
from .pairs.routes import derive_variant
from .settings.univariate import Notation


def dimension(value: int | str | None) -> int | None:
    """``value`` as a positive whole number (a Python int, or its decimal text as given on a command line).

    Raises :class:`~derivation.core.errors.UsageError` for anything else, and above :data:`MAX_DIM`.
    """
    if value is None:
        return None
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and (digits := re.fullmatch(r"\s*([+-]?)0*([0-9]+)\s*", value)):
        if digits[1] != "-" and len(digits[2]) > len(str(MAX_DIM)):  # a positive integer, and a long one
            raise UsageError(f"the dimension (--dim) {_shorten(value.strip())} is above the limit of {MAX_DIM}")
        number = int(digits[1] + digits[2])
    if number is None or number < 1:
        raise UsageError(f"the dimension (--dim) must be a positive integer, got {value!r}")
    if number > MAX_DIM:
        raise UsageError(f"the dimension (--dim) {number} is above the limit of {MAX_DIM}")
    return number


def _shorten(text: str, keep: int = 30) -> str:
    return text if len(text) <= keep else f"{text[:keep]}… ({len(text)} digits)"



def derive(case: str | None = None, *, q: str | None = None, p: str | None = None,
           notation: Notation | None = None, dim: int | str | None = None, route: str | None = None) -> Derivation:
    """Derive ``case`` (or KL(q || p) for spec strings ``q`` and ``p``) step by step, checking each step.

    ``derive("univariate")`` derives a named case; ``derive(q="Normal(a, logvar=w)", p="Normal(0, 1)")``
    derives a pair of specs (see :mod:`derivation.pairs.univariate`) by the same rules, in the specs' symbols.

    ``dim`` is a positive integer (for the cases that take one, every term is then written out);
    ``route`` names one of the case's routes (the first is the default). Raises
    :class:`~derivation.core.errors.UsageError` for an unknown case, a bad spec, dimension or route, or
    options that do not apply, and :class:`~derivation.core.errors.StepRejected` if a rule produced a wrong line.
    """
    if q is not None or p is not None:
        if case is not None:
            raise UsageError("give either a case or the specs --q and --p, not both")
        if q is None or p is None:
            raise UsageError("a custom pair needs both specs, q and p")
        if dim is not None or route is not None:
            raise UsageError("a custom pair takes its dimension from the specs (no dim or route)")
        if notation is not None and notation.names:
            raise UsageError(f"a custom pair takes its names from the specs: rename {next(iter(notation.names))!r} "
                             "there (with specs, notation takes only log=... and expectation=...)")
        derivation = derive_variant(q, p)
        recipe: dict[str, object] = {"q": q, "p": p}
        if notation is not None and notation.as_dict():
            conventions = replace(derivation.setting.notation, log=notation.log, expectation=notation.expectation)
            derivation = replace(derivation, setting=replace(derivation.setting, notation=conventions))
            recipe["notation"] = notation.as_dict()
        return replace(derivation, options=MappingProxyType(recipe))
    if case is None:
        raise UsageError("give a case name, or the specs q and p")
    if case not in CASES:
        raise UsageError(f"unknown case {case!r} (choose from: {', '.join(CASES)})")
    spec = CASES[case]
    options = Options(notation or Notation(), dimension(dim), route)
    plan = spec.plan(options)
    setting = spec.setting(options)
    checker = setting.checker()
    derivation = checker.derive(spec.name, spec.title, setting.start(), plan, setting, spec.describe(options))
    recipe = {"case": case, "notation": options.notation.as_dict(), "dim": options.dim, "route": route}
    derivation = replace(derivation, options=MappingProxyType({k: v for k, v in recipe.items() if v}))
    if spec.sections is not None:
        derivation = replace(derivation, sections=spec.sections(derivation))
    return derivation


def verify(q: str, p: str, claim: str) -> Verdict:
    """Decide whether ``claim`` equals KL(q || p) for every admissible parameter value (a :class:`Verdict`).

    ``q`` and ``p`` are spec strings, ``claim`` a formula in Python, NumPy, PyTorch or LaTeX syntax over
    their symbols. ``verdict.holds`` is True (proved), False (with ``counterexample`` and, when the claim is a
    recognised slip, ``diagnosis``) or None (undecided in the time budget). Invalid input raises
    :class:`~derivation.core.errors.ParseError`. See :mod:`derivation.claims.decide`.
    """
    return decide(q, p, claim)
