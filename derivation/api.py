"""The public entry points: :func:`derive` a case or a pair of specs (every step verified); :func:`verify` a claim."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType
from typing import TYPE_CHECKING

from .cases import CASES, Options
from .core import Derivation
from .errors import UsageError
from .setting import Notation
from .verify import Checker

if TYPE_CHECKING:
    from .claims import Verdict


def derive(case: str | None = None, *, q: str | None = None, p: str | None = None,
           notation: Notation | None = None, dim: int | None = None, route: str | None = None) -> Derivation:
    """Derive ``case`` (or KL(q || p) for spec strings ``q`` and ``p``) step by step, checking each step.

    ``derive("univariate")`` derives a named case; ``derive(q="Normal(a, logvar=w)", p="Normal(0, 1)")``
    derives a pair of specs (see :mod:`derivation.variants`) by the same rules, in the specs' symbols.

    Raises :class:`~derivation.errors.UsageError` for an unknown case, a bad spec or options that do
    not apply, and :class:`~derivation.errors.StepRejected` if a rule produced a wrong line.
    """
    if q is not None or p is not None:
        if case is not None:
            raise UsageError("give either a case or the specs --q and --p, not both")
        if q is None or p is None:
            raise UsageError("a custom pair needs both specs, q and p")
        if notation is not None or dim is not None or route is not None:
            raise UsageError("a custom pair takes its names and dimension from the specs (no notation, dim "
                             "or route)")
        from .variants import derive_variant

        return replace(derive_variant(q, p), options=MappingProxyType({"q": q, "p": p}))
    if case is None:
        raise UsageError("give a case name, or the specs q and p")
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


def verify(q: str, p: str, claim: str) -> Verdict:
    """Decide whether ``claim`` equals KL(q || p) for every admissible parameter value (a :class:`Verdict`).

    ``q`` and ``p`` are spec strings, ``claim`` a formula in Python, NumPy, PyTorch or LaTeX syntax over
    their symbols. ``verdict.holds`` is True (proved), False (with ``counterexample`` and, when the claim is a
    recognised slip, ``diagnosis``) or None (undecided in the time budget). Invalid input raises
    :class:`~derivation.errors.ParseError`. See :mod:`derivation.claims`.
    """
    from .claims import verify as decide  # loaded on first use: deriving a case does not need it

    return decide(q, p, claim)
