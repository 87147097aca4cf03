"""The public entry points: :func:`derive` a case or a pair of specs (every step verified); :func:`verify` a claim."""

from __future__ import annotations

import re
from dataclasses import replace
from types import MappingProxyType

from .cases.catalogue import CASES, Options
from .claims.code import CodeVerdict
from .claims.code import verify_code as decide_code
from .claims.decide import Verdict
from .claims.decide import verify as decide
from .claims.family_code import GAUSSIAN, verify_family_code
from .claims.matrix import verify_matrix
from .core.engine import Derivation
from .core.errors import UsageError
from .core.limits import MAX_DIM
from .interpret.parse import parse_spec
from .pairs.routes import derive_variant, variant
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
    if _full_covariance(q, p):  # matrices: read and decided by claims.matrix
        return verify_matrix(variant(q, p), claim)
    return decide(q, p, claim)


def _full_covariance(q: str, p: str) -> bool:
    """Whether both specs parse and one is an MvNormal (an invalid spec is left to the verifier's own message)."""
    try:
        return "MvNormal" in (parse_spec(q).family, parse_spec(p).family)
    except UsageError:
        return False


#: A spec's scale keyword -> the kind of an encoder output in ``verify --code``.
_CODE_KINDS = {"logvar": "logvar", "log_scale": "log_std", "scale": "std", "var": "var"}


def verify_code(source: str, function: str | None = None, *, q: str | None = None, p: str | None = None,
                q_params: str | None = None, latent_dim: int = -1, loss: bool = False) -> CodeVerdict:
    """Decide whether the KL term of a loss function (Python source, parsed and never executed) is KL(q || p)
    per example, its batch mean or its batch sum (a :class:`~derivation.claims.code.CodeVerdict`).

    q is the encoder's diagonal Gaussian and p = N(0, I). The encoder's outputs are found by their names, by
    ``q_params`` (``"mu,logvar"`` or ``"m,s:log_std"``) or by a ``q`` spec in their names
    (``DiagNormal(mu, logvar=lv, dim=d)``); ``p``, if given, must be the standard normal. See
    :mod:`derivation.claims.code`.

    With two specs of another family (``Bernoulli(logits=l1)``, ``Gamma(a1, rate=b1)``, ...) the function's KL
    term is decided entry by entry as KL(q || p) in those specs' parameter names
    (:mod:`derivation.claims.family_code`).
    """
    if q is not None and parse_spec(q).family not in GAUSSIAN:
        if p is None or q_params is not None:
            raise UsageError("with --code, a --q of another family than the Gaussian needs --p (and no --q-params)")
        return verify_family_code(source, function, q, p, latent_dim=latent_dim)
    if q is not None:
        if q_params is not None:
            raise UsageError("give the encoder's outputs with --q or with --q-params, not both")
        spec = parse_spec(q)
        kind = _CODE_KINDS.get(spec.param_kind)
        if spec.family not in ("Normal", "DiagNormal") or kind is None or not spec.loc.is_Symbol \
                or not spec.param.is_Symbol:
            raise UsageError("with --code, --q must be Normal or DiagNormal(MEAN, PARAM) with two names and a scale, "
                             "var, logvar or log_scale parameter")
        q_params = f"{spec.loc},{spec.param}:{kind}"
    if p is not None:
        prior = parse_spec(p)
        if prior.family not in ("Normal", "DiagNormal") or prior.loc != 0 or prior.param != 1 \
                or prior.param_kind not in ("scale", "var", "precision"):
            raise UsageError("with --code the prior p must be the standard normal (Normal(0, 1) or "
                             "DiagNormal(0, 1, dim=d))")
    return decide_code(source, function, q_params=q_params, latent_dim=latent_dim, loss=loss)
