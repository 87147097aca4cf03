"""Which plan a pair of specs takes: the families of q and p decide (:data:`ROUTES`), each route a builder."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from sympy import Expr, IndexedBase, S, Symbol

from ..cases.beta import BETA
from ..cases.catalogue import CASES
from ..cases.categorical import CATEGORICAL
from ..cases.dirichlet import DIRICHLET
from ..cases.discrete import FAMILY_CASES, PAIR_CASES
from ..cases.exponential import EXPONENTIAL
from ..cases.gamma import GAMMA
from ..cases.gumbel import GUMBEL
from ..cases.halfnormal import HALFNORMAL
from ..cases.laplace import DESCRIPTION as LAPLACE_DESCRIPTION
from ..cases.laplace import LAPLACE_PLAN
from ..cases.laplace import TITLE as LAPLACE_TITLE
from ..cases.multivariate import DIAGONAL_PLAN, FULL_PLAN
from ..cases.pareto import PARETO
from ..cases.uniform import UNIFORM
from ..core.engine import Derivation, Rule
from ..core.errors import ParseError, UsageError
from ..core.limits import MAX_DIM
from ..interpret.parse import DistSpec
from ..laws import LAWS
from ..rules.algebra import COLLECT_LIKE_TERMS
from ..rules.categorical import EQUAL_WEIGHTS_OUT
from ..rules.sums import SUM_OF_CONSTANT
from ..settings.categorical import categorical_pair
from ..settings.dirichlet import dirichlet_pair
from ..settings.laplace import user_pair
from ..settings.laws import spec_pair
from .univariate import EVALUATE, PARAMETERISATION, Variant, _dim, _parse, _position_of, _unify, _univariate
from .vectors import SPECIALISED_FULL_PLAN, diagonal_pair, full_pair


def _diagonal(q: DistSpec, p: DistSpec) -> Variant:
    """Two ``DiagNormal`` specs: the ``diagonal`` case's plan (the paper's route) in scale vectors, then the
    parameterisation; at general d, written out at a concrete one (see :mod:`derivation.pairs.vectors`)."""
    setting = diagonal_pair(q, p)
    fresh = bool(setting.fresh)
    return Variant(
        "diagonal", setting, DIAGONAL_PLAN, (q, p), _diagonal, finish=(SUM_OF_CONSTANT, PARAMETERISATION, EVALUATE,
                                                                  COLLECT_LIKE_TERMS),
        title="KL divergence between two Gaussians with diagonal covariance",
        description=(
            "We derive the Kullback-Leibler divergence between the two Gaussian densities with diagonal covariance "
            "below, in the parameters they were given in, by the same plan as for a diagonal Gaussian against the "
            "standard normal: the densities factorise over the coordinates, so the divergence is a sum of "
            "univariate divergences, each given by the univariate result"
            + (", which the last steps then write in the given parameters." if fresh else ".")
            + " Every line follows from the one before by the rule named beside it, and every line has been "
            "checked."
        ),
        dim=q.dim,  # type: ignore[arg-type]
        vectors=MappingProxyType({v.name: v for v in setting.vectors}),
    )


def _full(q: DistSpec, p: DistSpec) -> Variant:
    """Two ``MvNormal`` specs: the ``full`` case's plan (the trace trick), in the user's names."""
    case = CASES["full"]
    setting = full_pair(q, p)
    if setting.general:
        return Variant("full", setting, FULL_PLAN, (q, p), _full, finish=(), title=case.title,
                       description=case.description, dim=q.dim)  # type: ignore[arg-type]
    return Variant(
        "full", setting, SPECIALISED_FULL_PLAN, (q, p), _full, finish=(), title=case.title,
        description="We derive the Kullback-Leibler divergence between the two Gaussians below by specialising the "
                    "result for two Gaussians with arbitrary means and covariance matrices, derived in the lemma by "
                    "the trace trick; the identity and the zero vector then drop out. Every line follows from the "
                    "one before by the rule named beside it, and every line has been checked.",
        dim=q.dim)  # type: ignore[arg-type]


def _laplace(q: DistSpec, p: DistSpec) -> Variant:
    """Two ``Laplace`` specs: the Laplace plan, from the definition (the absolute values split at their kinks)."""
    setting = user_pair(q.loc, q.param, p.loc, p.param)
    return Variant("laplace", setting, LAPLACE_PLAN, (q, p), _laplace, finish=(), title=LAPLACE_TITLE,
                   description=LAPLACE_DESCRIPTION)


#: The families given in their own parameters whose same-family pairs :func:`_same_law` derives.
_LAW_CASES = {**FAMILY_CASES, "Exponential": EXPONENTIAL, "Gamma": GAMMA}
_LAW_CASES.update({"HalfNormal": HALFNORMAL, "Uniform": UNIFORM, "Pareto": PARETO, "Beta": BETA, "Gumbel": GUMBEL})


#: Largest ratio of two Gumbel scales given as numbers: the result holds Gamma(1 + ratio) exactly (Gamma(101) has
#: 158 digits already; far beyond, an exact Gamma function does not finish).
MAX_GUMBEL_SCALE_RATIO = 100


def _gumbel_scales_in_range(q_scale: Expr, p_scale: Expr) -> None:
    """Refuse, in one line, two Gumbel scales given as numbers whose ratio is too large for an exact result."""
    ratio = q_scale / p_scale
    if ratio.is_Number and ratio > MAX_GUMBEL_SCALE_RATIO:
        raise UsageError(f"the ratio of the Gumbel scales is {float(ratio):g}, more than {MAX_GUMBEL_SCALE_RATIO}: "
                         f"its divergence holds Gamma(1 + {float(ratio):g}) exactly (give the scales as names to "
                         f"derive it in general)")


def _support_witness_exists(setting) -> None:
    """Refuse, in one line, two continuous laws whose supports decide the divergence is infinite where no point of
    q's support outside p's can be named for every value of the symbols (``Uniform(-1, b)`` against an exponential
    law: the support argument needs one)."""
    q, p = setting.q.law, setting.p.law
    if q.discrete or p.discrete or q.within(p) is not S.false or q.outside_point(p) is not None:
        return
    raise UsageError(f"the divergence of {setting.q.name} from {setting.p.name} is infinite (part of q's support lies "
                     f"outside p's), but no point of it outside p's support can be named for every value of its "
                     f"symbols: give the ends of q's support as numbers")


def _same_law(q: DistSpec, p: DistSpec) -> Variant:
    """Two specs of families given in their own parameters (``Bernoulli``, ...): the plan of that family, or of
    that pair of families (:data:`~derivation.cases.discrete.PAIR_CASES`)."""
    case = _LAW_CASES[q.family] if q.family == p.family else PAIR_CASES.get((q.family, p.family))
    if case is None:  # the reverse of a derived pair (verify's diagnoses ask for it)
        _mixed_families(q, p)
    if q.family == p.family == "Binomial" and q.loc != p.loc:
        raise UsageError(f"two binomial laws are derived for one number of trials (torch registers only that): got "
                         f"total_count {q.loc} and {p.loc}")
    if q.family == p.family == "Gumbel":
        _gumbel_scales_in_range(q.param, p.param)
    setting = spec_pair(q, p)
    if setting.definitions and not (case.parameterised or case.any_parameterisation):
        kinds = ", ".join(f"{kind}=" for _, kind, _ in setting.sources)
        raise UsageError(f"{q.family} against {p.family} is derived in the laws' own parameters: give "
                         f"{' and '.join(f'{s.family}({LAWS[s.family].parameter_names[0]}=...)' for s in (q, p))} "
                         f"rather than {kinds}")
    _support_witness_exists(setting)
    finish = case.parameterised if setting.definitions else ()
    return Variant(q.family.lower(), setting, case.plan, (q, p), _same_law, finish=finish, title=case.title,
                   description=case.description_for(setting.q.law, setting.p.law))


def _categorical(q: DistSpec, p: DistSpec) -> Variant:
    """Two ``Categorical`` specs over the same K categories: the sum over the categories in probabilities, then, for
    a law given in logits, the log-softmax form."""
    taken = {s.name for spec in (q, p) for s in (spec.param, spec.dim) if isinstance(s, Symbol)}
    if not (q.param.is_Symbol or p.param.is_Symbol):
        raise UsageError("two uniform categorical laws: their divergence is 0 (give one of them by its probabilities "
                         "or logits)")
    vectors: dict[str, IndexedBase] = {}
    probs, sources = [], []
    for role, spec in (("q", q), ("p", p)):
        if not isinstance(spec.param, Symbol):  # equal probabilities, 1/K
            probs.append(spec.param)
            continue
        vector = vectors.setdefault(spec.param.name, IndexedBase(spec.param.name, **spec.param.assumptions0))
        if spec.param_kind == "probs":
            probs.append(vector)
            continue
        fresh = IndexedBase(_unused_name((f"theta_{role}", f"vartheta_{role}", f"pi_{role}"), taken), positive=True)
        taken.add(str(fresh.label))
        probs.append(fresh)
        sources.append((fresh, "logits", vector))
    variable = _unused_name(("k", "c", "i", "l"), taken)
    index = _unused_name(("j", "i", "l", "n"), taken | {variable})
    setting = categorical_pair(probs[0], probs[1], q.dim, tuple(sources), variable, index)  # type: ignore[arg-type]
    return Variant("categorical", setting, CATEGORICAL.plan, (q, p), _categorical,
                   finish=(*(CATEGORICAL.parameterised if sources else ()), *_uniform_weight_out(probs[0])),
                   title=CATEGORICAL.title,
                   description=CATEGORICAL.description, dim=q.dim,  # type: ignore[arg-type]
                   vectors=MappingProxyType(vectors))


def _dirichlet(q: DistSpec, p: DistSpec) -> Variant:
    """Two ``Dirichlet`` specs over the same K coordinates: from the definition, the expected logarithm of each
    coordinate by its Beta marginal."""
    taken = {s.name for spec in (q, p) for s in (spec.param, spec.dim) if isinstance(s, Symbol)}
    clash = taken & {"k", "j"}
    if clash:
        raise UsageError(f"rename {sorted(clash)[0]}: the sums over the coordinates use k and j")
    vectors: dict[str, IndexedBase] = {}
    concentrations = [spec.param if not isinstance(spec.param, Symbol) else
                      vectors.setdefault(spec.param.name, IndexedBase(spec.param.name, positive=True))
                      for spec in (q, p)]
    setting = dirichlet_pair(concentrations[0], concentrations[1], q.dim,  # type: ignore[arg-type]
                             _unused_name(("x", "y", "z", "u"), taken), _unused_name(("t", "s", "v", "w"), taken))
    both_symmetric = not vectors  # the last sum's terms are then all the same
    return Variant("dirichlet", setting, DIRICHLET.plan, (q, p), _dirichlet,
                   finish=(SUM_OF_CONSTANT,) if both_symmetric else (), title=DIRICHLET.title,
                   description=DIRICHLET.description, dim=q.dim,  # type: ignore[arg-type]
                   vectors=MappingProxyType(vectors))


def _uniform_weight_out(q_probs: Expr) -> tuple[Rule, ...]:
    """A uniform q's probability ``1/K`` weighs every term of the sum alike: the step that takes it out."""
    return () if isinstance(q_probs, IndexedBase) else (EQUAL_WEIGHTS_OUT,)


def _unused_name(candidates: tuple[str, ...], taken: set[str]) -> str:
    name = next((c for c in candidates if c not in taken), None)
    if name is None:
        raise UsageError(f"rename a parameter: the names {', '.join(candidates)} are all taken")
    return name


def _mixed(q: DistSpec, p: DistSpec) -> Variant:
    raise UsageError(f"{q.family} against {p.family} is not supported: give both as DiagNormal (diagonal "
                     "covariance) or both as MvNormal (write the diagonal one as MvNormal(m, cov=S, dim=k))")


#: Families of (q, p) -> the builder of their variant (each uses the plan of a named case).
ROUTES: Mapping[tuple[str, str], Callable[[DistSpec, DistSpec], Variant]] = MappingProxyType({
    ("Normal", "Normal"): _univariate,
    ("DiagNormal", "DiagNormal"): _diagonal,
    ("DiagNormal", "MvNormal"): _mixed,
    ("MvNormal", "DiagNormal"): _mixed,
    ("MvNormal", "MvNormal"): _full,
    ("Laplace", "Laplace"): _laplace,
    ("Categorical", "Categorical"): _categorical,
    ("Dirichlet", "Dirichlet"): _dirichlet,
    **{(family, family): _same_law for family in _LAW_CASES},
    **dict.fromkeys(PAIR_CASES, _same_law),
})
#: The Gaussian families: a pair of two of them that has no route is told apart by its dimensions first.
_GAUSSIAN = frozenset({"Normal", "DiagNormal", "MvNormal"})


def variant(q: str, p: str) -> Variant:
    """The variant for spec strings ``q`` and ``p``: parsed, checked for matching dimensions, routed.

    Raises :class:`ParseError` (a :class:`UsageError`) for a bad spec or mismatched dimensions and
    :class:`UsageError` for a pair that is not supported.
    """
    q_spec, p_spec = _parse("q", q), _parse("p", p)
    route = ROUTES.get((q_spec.family, p_spec.family))
    if route is None and not {q_spec.family, p_spec.family} <= _GAUSSIAN:
        _mixed_families(q_spec, p_spec)
    if _dim(q_spec) != _dim(p_spec):
        named = [str(d) for d in (_dim(q_spec), _dim(p_spec)) if isinstance(d, Symbol)]
        why = f" (the dimension {named[0]} is any size, so it cannot be matched with a number)" \
            if len(named) == 1 else ""
        raise ParseError(f"p: dimension mismatch: q has dimension {_dim(q_spec)} but p has dimension "
                         f"{_dim(p_spec)}{why}", _position_of(p, "dim") if p_spec.dim is not None else 0, p)
    if isinstance(q_spec.dim, int) and q_spec.dim > MAX_DIM:
        raise ParseError(f"q: the dimension must be at most {MAX_DIM}, got {q_spec.dim}", _position_of(q, "dim"), q)
    if route is None:
        _mixed_families(q_spec, p_spec)
    replacements = _unify(q_spec, p_spec)
    if replacements:
        q_spec, p_spec = (_replace_symbols(s, replacements) for s in (q_spec, p_spec))
    return route(q_spec, p_spec)


def derivable_pairs() -> tuple[tuple[str, str], ...]:
    """The families (q, p) whose divergence KL(q || p) is derived (``kl-derive list``)."""
    return tuple(pair for pair, route in ROUTES.items() if route is not _mixed)


def _mixed_families(q: DistSpec, p: DistSpec) -> None:
    raise UsageError(f"{q.family} against {p.family} is not supported: its divergence is not derived here "
                     "(`kl-derive list` shows the pairs that are)")


def _replace_symbols(spec: DistSpec, replacements: Mapping[Symbol, Symbol]) -> DistSpec:
    def swap(v):
        return replacements.get(v, v) if isinstance(v, Symbol) else v

    return DistSpec(spec.family, swap(spec.loc), spec.param_kind, swap(spec.param), swap(spec.dim), spec.text)


def derive_variant(q: str, p: str) -> Derivation:
    """KL(q || p) for two spec strings, derived step by step and checked (see :func:`variant`)."""
    return variant(q, p).derive()


__all__ = ["ROUTES", "derivable_pairs", "derive_variant", "variant"]
