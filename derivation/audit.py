"""``kl-derive audit``: every closed form derived here, and torch's, against an independent quadrature reference.

For each pair in :data:`PAIRS` the audit draws parameter values (edges first: equal distributions, tiny and
huge scales, far-apart locations, ill-conditioned covariances, probabilities near 0 and 1; then random ones),
computes the reference ``KL(q || p)`` from the densities alone by mpmath quadrature
(:mod:`derivation.laws.kl_reference`), and compares with it every candidate: the closed form kl-derive derives
(its ``-f python`` export, evaluated in float64) and ``torch.distributions.kl_divergence`` (float64) when torch
is installed. The historic buggy formulas in :data:`FIXTURES` are audited the same way: each must be flagged.

A candidate agrees at a point when ``|value - reference| / max(|reference|, 1)`` (a relative error, absolute
below 1: a float64 closed form keeps absolute, not relative, precision when the divergence is near 0) is at most
the tolerance; a NaN or an infinity where the reference is finite (or the reverse) is a disagreement of its own.
Adding a pair is one :class:`AuditPair` entry: the two specs, the parameters' kinds (which know their random
values and edges), torch's two distributions, and the reference densities.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import metadata
from typing import Any

import mpmath

from .api import derive
from .cases.cross import MOMENT_PAIRS
from .cases.discrete import INFINITE_CONTINUOUS
from .core.errors import UsageError
from .core.lazy import LazyModule
from .laws import kl_reference as ref
from .output.render import render

np = LazyModule("numpy")
special = LazyModule("scipy.special")

#: Default agreement tolerance (relative error, absolute below 1).
TOLERANCE = 1e-6
#: Default number of parameter points per pair (edges included); fixtures take at most :data:`FIXTURE_SAMPLES`.
SAMPLES = 100
FIXTURE_SAMPLES = 24
#: The most points per pair a run may ask for (the reference costs about 10 ms a coordinate).
MAX_SAMPLES = 10_000

Values = dict[str, Any]


# -- parameters: random values and edges ----------------------------------------------------------------------

@dataclass(frozen=True)
class Kind:
    """What a parameter is: how to draw a random value (a float, or an array of ``shape``) and its edges."""

    name: str
    draw: Callable[[Any, tuple[int, ...]], Any]
    edges: tuple[Callable[[Any, tuple[int, ...]], Any], ...]


def _constant(value: float) -> Callable[[Any, tuple[int, ...]], Any]:
    return lambda rng, shape: np.full(shape, value) if shape else value


def _uniform(low: float, high: float) -> Callable[[Any, tuple[int, ...]], Any]:
    return lambda rng, shape: rng.uniform(low, high, shape) if shape else float(rng.uniform(low, high))


def _log_uniform(low: float, high: float) -> Callable[[Any, tuple[int, ...]], Any]:
    return lambda rng, shape: 10.0 ** rng.uniform(low, high, shape) if shape else float(10.0 ** rng.uniform(low, high))


def _spd(eigen_low: float, eigen_high: float) -> Callable[[Any, tuple[int, ...]], Any]:
    """A random symmetric positive-definite matrix with eigenvalues ``10**U(eigen_low, eigen_high)``, rotated."""
    def draw(rng: Any, shape: tuple[int, ...]) -> Any:
        size = shape[0]
        rotation, _ = np.linalg.qr(rng.standard_normal((size, size)))
        eigenvalues = 10.0 ** rng.uniform(eigen_low, eigen_high, size)
        matrix = rotation @ np.diag(eigenvalues) @ rotation.T
        return (matrix + matrix.T) / 2
    return draw


LOC = Kind("location", _uniform(-5, 5), (_constant(1e3), _constant(-1e3)))
SCALE = Kind("scale", _log_uniform(-2, 2), (_constant(1e-6), _constant(1e6)))
RATE = Kind("rate", _log_uniform(-2, 2), (_constant(1e-6), _constant(1e6)))
SHAPE = Kind("Gamma concentration", _log_uniform(-1.5, 1.5), (_constant(1e-2), _constant(1e2)))
VARIANCE = Kind("variance", _log_uniform(-3, 3), (_constant(1e-12), _constant(1e12)))
LOGVAR = Kind("log-variance", _uniform(-6, 6), (_constant(-27.6), _constant(27.6)))
PROBABILITY = Kind("probability", _uniform(0.001, 0.999), (_constant(1e-12), _constant(1 - 1e-12)))
LOGIT = Kind("logit", _uniform(-8, 8), (_constant(-27.6), _constant(27.6)))
RATE = Kind("rate", _log_uniform(-2, 2), (_constant(1e-6), _constant(1e3)))
#: A geometric law's probability (its reference sums about 75 / p terms: the smallest edge is 1e-3).
SUCCESS = Kind("probability", _uniform(0.01, 0.999), (_constant(1e-3), _constant(1 - 1e-12)))
COV = Kind("covariance", _spd(-1, 1), (_spd(-12, -11), _spd(11, 12), _spd(-3, 3)))


@dataclass(frozen=True)
class Parameter:
    """One parameter of q or p: its name (the spec's symbol), kind and shape (``()`` for a number)."""

    name: str
    kind: Kind
    shape: tuple[int, ...] = ()


def _points(q: Sequence[Parameter], p: Sequence[Parameter], count: int, rng: Any, equal: bool) -> list[Values]:
    """``count`` parameter points: edges first (q = p when ``equal``; each parameter at each of its edges; all of
    q at its first edges against all of p at its last, and the reverse), then random points."""
    parameters = [*q, *p]

    def random_point() -> Values:
        return {a.name: a.kind.draw(rng, a.shape) for a in parameters}

    scenarios: list[Callable[[Values], None]] = []
    if equal:
        scenarios.append(lambda v: v.update({b.name: v[a.name] for a, b in zip(q, p, strict=True)}))
    for a in parameters:
        for edge in a.kind.edges:
            scenarios.append(lambda v, a=a, edge=edge: v.update({a.name: edge(rng, a.shape)}))
    for first, last in ((q, p), (p, q)):
        scenarios.append(lambda v, first=first, last=last: v.update(
            {a.name: a.kind.edges[0](rng, a.shape) for a in first} | {a.name: a.kind.edges[-1](rng, a.shape)
                                                                     for a in last}))
    points = []
    for index in range(count):
        point = random_point()
        if index < len(scenarios):
            scenarios[index](point)
        points.append(point)
    return points


# -- pairs and fixtures ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditPair:
    """A pair derived here: its specs, parameters, torch's two distributions and the reference at a point."""

    name: str
    q: str
    p: str
    q_parameters: tuple[Parameter, ...]
    p_parameters: tuple[Parameter, ...]
    #: ``(torch.distributions, tensors by name) -> (q, p)`` (batched: a leading axis of samples).
    torch: Callable[[Any, Mapping[str, Any]], tuple[Any, Any]]
    #: ``values (mpf or lists of mpf) -> KL(q || p)`` from the densities by quadrature.
    reference: Callable[[Mapping[str, Any]], mpmath.mpf]
    #: ``(scipy.special, arrays by name) -> KL values``, where SciPy has the quantity (a discrete pair's
    #: ``rel_entr``); SciPy has no KL of continuous distributions.
    scipy: Callable[[Any, Mapping[str, Any]], Any] | None = None
    #: At most this many points (edges first), where the reference is slow (a quadrature in the log-odds of a
    #: Beta law against a law of another family); None: as many as asked.
    most: int | None = None


@dataclass(frozen=True)
class Fixture:
    """A historic buggy closed form (a plain Python function of one point), audited like a pair: it must be
    flagged. ``point`` is where the bug was reported, ``reported`` the wrong value given there."""

    name: str
    q: str
    p: str
    source: str
    q_parameters: tuple[Parameter, ...]
    p_parameters: tuple[Parameter, ...]
    formula: Callable[..., float]
    reference: Callable[[Mapping[str, Any]], mpmath.mpf]
    point: Mapping[str, float]
    reported: float


def _scale_of_logvar(value: Any) -> Any:
    return mpmath.exp(value / 2)


def _coordinates(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _normal_pair(q_scale: Callable[[Any], Any], p_scale: Callable[[Any], Any]) -> Callable[[Mapping[str, Any]],
                                                                                          mpmath.mpf]:
    """The reference for two (product) Gaussians with parameters ``m1, x1, m2, x2``: ``x`` to a scale by the
    given maps; coordinates of vectors summed (KL of product densities is the sum over the coordinates)."""
    def reference(v: Mapping[str, Any]) -> mpmath.mpf:
        m1, x1, m2, x2 = (_coordinates(v[name]) for name in ("m1", "x1", "m2", "x2"))
        return ref.kl_sum([(ref.normal(a, q_scale(b)), ref.normal(c, p_scale(d)))
                           for a, b, c, d in zip(m1, x1, m2, x2, strict=True)])
    return reference


def _same(value: Any) -> Any:
    return value


def _sqrt(value: Any) -> Any:
    return mpmath.sqrt(value)


def _pair_normal(name: str, keyword: str, kind: Kind, scale: Callable[[Any], Any],
                 torch_scale: Callable[[Any], Any], dim: int | None = None) -> AuditPair:
    """Two Gaussians (univariate, or diagonal of dimension ``dim``) in one parameterisation of the scale."""
    shape = () if dim is None else (dim,)
    family = "Normal" if dim is None else "DiagNormal"
    given = "" if keyword == "scale" else f"{keyword}="
    tail = "" if dim is None else f", dim={dim}"

    def torch_pair(dist: Any, t: Mapping[str, Any]) -> tuple[Any, Any]:
        q = dist.Normal(t["m1"], torch_scale(t["x1"]))
        p = dist.Normal(t["m2"], torch_scale(t["x2"]))
        return (q, p) if dim is None else (dist.Independent(q, 1), dist.Independent(p, 1))

    return AuditPair(
        name, f"{family}(m1, {given}x1{tail})", f"{family}(m2, {given}x2{tail})",
        (Parameter("m1", LOC, shape), Parameter("x1", kind, shape)),
        (Parameter("m2", LOC, shape), Parameter("x2", kind, shape)),
        torch_pair, _normal_pair(scale, scale))


def _pair_full(dim: int) -> AuditPair:
    def torch_pair(dist: Any, t: Mapping[str, Any]) -> tuple[Any, Any]:
        return (dist.MultivariateNormal(t["m1"], covariance_matrix=t["S1"]),
                dist.MultivariateNormal(t["m2"], covariance_matrix=t["S2"]))

    def reference(v: Mapping[str, Any]) -> mpmath.mpf:
        return ref.mv_normal_kl(v["m1"], v["S1"], v["m2"], v["S2"])

    return AuditPair(
        f"MvNormal, d = {dim}", f"MvNormal(m1, cov=S1, dim={dim})", f"MvNormal(m2, cov=S2, dim={dim})",
        (Parameter("m1", LOC, (dim,)), Parameter("S1", COV, (dim,))),
        (Parameter("m2", LOC, (dim,)), Parameter("S2", COV, (dim,))),
        torch_pair, reference)


def _pair_laplace() -> AuditPair:
    return AuditPair(
        "Laplace", "Laplace(m1, b1)", "Laplace(m2, b2)",
        (Parameter("m1", LOC), Parameter("b1", SCALE)), (Parameter("m2", LOC), Parameter("b2", SCALE)),
        lambda dist, t: (dist.Laplace(t["m1"], t["b1"]), dist.Laplace(t["m2"], t["b2"])),
        lambda v: ref.kl_quadrature(ref.laplace(v["m1"], v["b1"]), ref.laplace(v["m2"], v["b2"])))


def _pair_exponential(keyword: str) -> AuditPair:
    """Two exponential laws, given by their rates or (``keyword="scale"``) their scales."""
    to_rate = _same if keyword == "rate" else (lambda value: 1 / value)
    given, kind = ("", RATE) if keyword == "rate" else ("scale=", SCALE)
    return AuditPair(
        f"Exponential ({keyword})", f"Exponential({given}x1)", f"Exponential({given}x2)",
        (Parameter("x1", kind),), (Parameter("x2", kind),),
        lambda dist, t: (dist.Exponential(to_rate(t["x1"])), dist.Exponential(to_rate(t["x2"]))),
        lambda v: ref.kl_quadrature(ref.exponential(to_rate(v["x1"])), ref.exponential(to_rate(v["x2"]))))


def _pair_gamma(keyword: str) -> AuditPair:
    """Two Gamma laws, each a concentration and a rate or (``keyword="scale"``) a scale."""
    to_rate = _same if keyword == "rate" else (lambda value: 1 / value)
    return AuditPair(
        f"Gamma ({keyword})", f"Gamma(a1, {keyword}=x1)", f"Gamma(a2, {keyword}=x2)",
        (Parameter("a1", SHAPE), Parameter("x1", RATE if keyword == "rate" else SCALE)),
        (Parameter("a2", SHAPE), Parameter("x2", RATE if keyword == "rate" else SCALE)),
        lambda dist, t: (dist.Gamma(t["a1"], to_rate(t["x1"])), dist.Gamma(t["a2"], to_rate(t["x2"]))),
        lambda v: ref.kl_quadrature(ref.log_gamma(v["a1"], to_rate(v["x1"])), ref.log_gamma(v["a2"], to_rate(v["x2"]))))


def _pair_bernoulli() -> AuditPair:
    return AuditPair(
        "Bernoulli", "Bernoulli(p1)", "Bernoulli(p2)", (Parameter("p1", PROBABILITY),), (Parameter("p2", PROBABILITY),),
        lambda dist, t: (dist.Bernoulli(probs=t["p1"]), dist.Bernoulli(probs=t["p2"])),
        lambda v: ref.kl_finite([1 - v["p1"], v["p1"]], [1 - v["p2"], v["p2"]]),
        scipy=lambda special, a: special.rel_entr(a["p1"], a["p2"]) + special.rel_entr(1 - a["p1"], 1 - a["p2"]))


def _pair_bernoulli_logits() -> AuditPair:
    def masses(logit):  # 1 / (1 + e^l) and 1 / (1 + e^-l), each without cancellation
        return [1 / (1 + mpmath.exp(logit)), 1 / (1 + mpmath.exp(-logit))]

    return AuditPair(
        "Bernoulli (logits)", "Bernoulli(logits=l1)", "Bernoulli(logits=l2)", (Parameter("l1", LOGIT),),
        (Parameter("l2", LOGIT),), lambda dist, t: (dist.Bernoulli(logits=t["l1"]), dist.Bernoulli(logits=t["l2"])),
        lambda v: ref.kl_finite(masses(v["l1"]), masses(v["l2"])))


def _pair_poisson() -> AuditPair:
    return AuditPair(
        "Poisson", "Poisson(r1)", "Poisson(r2)", (Parameter("r1", RATE),), (Parameter("r2", RATE),),
        lambda dist, t: (dist.Poisson(t["r1"]), dist.Poisson(t["r2"])), lambda v: ref.poisson_kl(v["r1"], v["r2"]))


def _pair_geometric() -> AuditPair:
    return AuditPair(
        "Geometric", "Geometric(p1)", "Geometric(p2)", (Parameter("p1", SUCCESS),), (Parameter("p2", SUCCESS),),
        lambda dist, t: (dist.Geometric(probs=t["p1"]), dist.Geometric(probs=t["p2"])),
        lambda v: ref.geometric_kl(v["p1"], v["p2"]))


def _pair_bernoulli_poisson() -> AuditPair:
    def reference(v: Mapping[str, Any]) -> mpmath.mpf:
        rate = v["r2"]
        return ref.kl_finite([1 - v["p1"], v["p1"]], [mpmath.exp(-rate), rate * mpmath.exp(-rate)])

    return AuditPair(
        "Bernoulli-Poisson", "Bernoulli(p1)", "Poisson(r2)", (Parameter("p1", PROBABILITY),), (Parameter("r2", RATE),),
        lambda dist, t: (dist.Bernoulli(probs=t["p1"]), dist.Poisson(t["r2"])), reference)


def _pair_poisson_bernoulli() -> AuditPair:
    def reference(v: Mapping[str, Any]) -> mpmath.mpf:  # the values 0, 1, 2: q(2) > 0 = p(2) makes it infinite
        rate = v["r1"]
        return ref.kl_finite([mpmath.exp(-rate), rate * mpmath.exp(-rate), rate**2 * mpmath.exp(-rate) / 2],
                             [1 - v["p2"], v["p2"], 0])

    return AuditPair(
        "Poisson-Bernoulli", "Poisson(r1)", "Bernoulli(p2)", (Parameter("r1", RATE),), (Parameter("p2", PROBABILITY),),
        lambda dist, t: (dist.Poisson(t["r1"]), dist.Bernoulli(probs=t["p2"])), reference)


#: The number of trials of the audited binomial pairs (torch registers the pair for equal counts only).
BINOMIAL_TRIALS = 7


def _pair_binomial(keyword: str) -> AuditPair:
    """Two binomial laws of :data:`BINOMIAL_TRIALS` trials, given by their probabilities or their logits."""
    n = BINOMIAL_TRIALS

    def masses(value: Any) -> list[mpmath.mpf]:  # the logistic of a logit: 1/(1 + e^-l), 1 - it = 1/(1 + e^l)
        up, down = (value, 1 - value) if keyword == "probs" else (1 / (1 + mpmath.exp(-value)),
                                                                  1 / (1 + mpmath.exp(value)))
        return [mpmath.binomial(n, k) * mpmath.power(up, k) * mpmath.power(down, n - k) for k in range(n + 1)]

    kind = PROBABILITY if keyword == "probs" else LOGIT
    given = "" if keyword == "probs" else "logits="
    return AuditPair(
        f"Binomial ({keyword}), n = {n}", f"Binomial({n}, {given}x1)", f"Binomial({n}, {given}x2)",
        (Parameter("x1", kind),), (Parameter("x2", kind),),
        lambda dist, t: (dist.Binomial(n, **{keyword: t["x1"]}), dist.Binomial(n, **{keyword: t["x2"]})),
        lambda v: ref.kl_finite(masses(mpmath.mpf(v["x1"])), masses(mpmath.mpf(v["x2"]))))


def _pair_poisson_binomial(keyword: str) -> AuditPair:
    """A Poisson law against a binomial law of :data:`BINOMIAL_TRIALS` trials, given by its probability or its
    logit: the reference from the masses of the counts 0, ..., n + 1, where q(n + 1) > 0 = p(n + 1) makes it
    infinite."""
    n = BINOMIAL_TRIALS

    def reference(v: Mapping[str, Any]) -> mpmath.mpf:
        rate, value = mpmath.mpf(v["r1"]), mpmath.mpf(v["x2"])
        up = value if keyword == "probs" else 1 / (1 + mpmath.exp(-value))
        down = 1 - value if keyword == "probs" else 1 / (1 + mpmath.exp(value))
        poisson = [mpmath.power(rate, k) * mpmath.exp(-rate) / mpmath.factorial(k) for k in range(n + 2)]
        binomial = [mpmath.binomial(n, k) * mpmath.power(up, k) * mpmath.power(down, n - k) for k in range(n + 1)]
        return ref.kl_finite(poisson, [*binomial, 0])

    given, kind = ("", PROBABILITY) if keyword == "probs" else ("logits=", LOGIT)
    return AuditPair(
        f"Poisson-Binomial ({keyword}), n = {n}", "Poisson(r1)", f"Binomial({n}, {given}x2)",
        (Parameter("r1", RATE),), (Parameter("x2", kind),),
        lambda dist, t: (dist.Poisson(t["r1"]), dist.Binomial(n, **{keyword: t["x2"]})), reference)


def _pair_halfnormal() -> AuditPair:
    return AuditPair(
        "HalfNormal", "HalfNormal(x1)", "HalfNormal(x2)", (Parameter("x1", SCALE),), (Parameter("x2", SCALE),),
        lambda dist, t: (dist.HalfNormal(t["x1"]), dist.HalfNormal(t["x2"])),
        lambda v: ref.kl_quadrature(ref.half_normal(v["x1"]), ref.half_normal(v["x2"])))


#: The ends of two nested intervals, q's inside p's (where the divergence is finite; the derivation assumes it):
#: tiny against huge intervals (all of q at its first edges, p at its last) and equal ones (the reverse).
Q_LOW = Kind("lower end of q", _uniform(-1, -0.5), (_constant(-1e-6), _constant(-1.0)))
Q_HIGH = Kind("upper end of q", _uniform(0.5, 1), (_constant(1e-6), _constant(1.0)))
P_LOW = Kind("lower end of p", _uniform(-3, -1), (_constant(-1.0), _constant(-1e6)))
P_HIGH = Kind("upper end of p", _uniform(1, 3), (_constant(1.0), _constant(1e6)))


def _pair_uniform() -> AuditPair:
    return AuditPair(
        "Uniform", "Uniform(a1, b1)", "Uniform(a2, b2)", (Parameter("a1", Q_LOW), Parameter("b1", Q_HIGH)),
        (Parameter("a2", P_LOW), Parameter("b2", P_HIGH)),
        lambda dist, t: (dist.Uniform(t["a1"], t["b1"]), dist.Uniform(t["a2"], t["b2"])),
        lambda v: ref.kl_quadrature(ref.uniform(v["a1"], v["b1"]), ref.uniform(v["a2"], v["b2"])))
def _pair_normal_laplace() -> AuditPair:
    return AuditPair(
        "Normal-Laplace", "Normal(m1, s1)", "Laplace(m2, b2)",
        (Parameter("m1", LOC), Parameter("s1", SCALE)), (Parameter("m2", LOC), Parameter("b2", SCALE)),
        lambda dist, t: (dist.Normal(t["m1"], t["s1"]), dist.Laplace(t["m2"], t["b2"])),
        lambda v: ref.kl_quadrature(ref.normal(v["m1"], v["s1"]), ref.laplace(v["m2"], v["b2"])))


def _pair_laplace_normal() -> AuditPair:
    return AuditPair(
        "Laplace-Normal", "Laplace(m1, b1)", "Normal(m2, s2)",
        (Parameter("m1", LOC), Parameter("b1", SCALE)), (Parameter("m2", LOC), Parameter("s2", SCALE)),
        lambda dist, t: (dist.Laplace(t["m1"], t["b1"]), dist.Normal(t["m2"], t["s2"])),
        lambda v: ref.kl_quadrature(ref.laplace(v["m1"], v["b1"]), ref.normal(v["m2"], v["s2"])))


#: The scales of two Pareto laws, q's at least p's (where the divergence is finite; the derivation assumes it): tiny
#: against huge (q at its first edges, p at its last) and equal ones (the reverse); the shapes tiny to huge.
Q_PARETO_SCALE = Kind("scale of q", _log_uniform(0, 2), (_constant(1e6), _constant(1.0)))
P_PARETO_SCALE = Kind("scale of p", _log_uniform(-2, 0), (_constant(1e-6), _constant(1.0)))
PARETO_ALPHA = Kind("Pareto shape", _log_uniform(-1, 1), (_constant(1e-2), _constant(1e2)))


def _pair_pareto() -> AuditPair:
    return AuditPair(
        "Pareto", "Pareto(m1, a1)", "Pareto(m2, a2)", (Parameter("m1", Q_PARETO_SCALE), Parameter("a1", PARETO_ALPHA)),
        (Parameter("m2", P_PARETO_SCALE), Parameter("a2", PARETO_ALPHA)),
        lambda dist, t: (dist.Pareto(t["m1"], t["a1"]), dist.Pareto(t["m2"], t["a2"])),
        lambda v: ref.kl_quadrature(ref.log_pareto(v["m1"], v["a1"]), ref.log_pareto(v["m2"], v["a2"])))


#: A Beta law's concentration (near 0 its density piles up at an end: the smallest edge is 0.1).
BETA_CONCENTRATION = Kind("Beta concentration", _log_uniform(-1, 1.5), (_constant(0.1), _constant(50.0)))


def _pair_beta() -> AuditPair:
    return AuditPair(
        "Beta", "Beta(a1, b1)", "Beta(a2, b2)",
        (Parameter("a1", BETA_CONCENTRATION), Parameter("b1", BETA_CONCENTRATION)),
        (Parameter("a2", BETA_CONCENTRATION), Parameter("b2", BETA_CONCENTRATION)),
        lambda dist, t: (dist.Beta(t["a1"], t["b1"]), dist.Beta(t["a2"], t["b2"])),
        lambda v: ref.kl_quadrature(ref.logit_beta(v["a1"], v["b1"]), ref.logit_beta(v["a2"], v["b2"])))
def _pair_gumbel() -> AuditPair:
    return AuditPair(
        "Gumbel", "Gumbel(m1, b1)", "Gumbel(m2, b2)",
        (Parameter("m1", LOC), Parameter("b1", SCALE)), (Parameter("m2", LOC), Parameter("b2", SCALE)),
        lambda dist, t: (dist.Gumbel(t["m1"], t["b1"]), dist.Gumbel(t["m2"], t["b2"])),
        lambda v: ref.kl_quadrature(ref.gumbel(v["m1"], v["b1"], growth=v["b1"] / v["b2"]),
                                    ref.gumbel(v["m2"], v["b2"])))


def _pair_gumbel_normal() -> AuditPair:
    return AuditPair(
        "Gumbel-Normal", "Gumbel(m1, b1)", "Normal(m2, s2)",
        (Parameter("m1", LOC), Parameter("b1", SCALE)), (Parameter("m2", LOC), Parameter("s2", SCALE)),
        lambda dist, t: (dist.Gumbel(t["m1"], t["b1"]), dist.Normal(t["m2"], t["s2"])),
        lambda v: ref.kl_quadrature(ref.gumbel(v["m1"], v["b1"], growth=0), ref.normal(v["m2"], v["s2"])))


def _normal_towards_gumbel(loc: Any, scale: Any, gumbel_scale: Any) -> ref.RefDensity:
    """``N(loc, scale**2)`` for the reference against a Gumbel law of scale ``b``: besides its own panels, panels
    around ``loc - scale**2 / b``, where the Gaussian density times the Gumbel term ``e^{-x/b}`` has its mass (13
    widths away and more when the Gaussian is wider than the Gumbel law)."""
    density = ref.normal(loc, scale)
    peak = -mpmath.mpf(scale) / mpmath.mpf(gumbel_scale)  # in widths from loc
    around = (float(peak) + k for k in (-13, -9, -6, -4, -2, -1, 0, 1, 2, 4, 6, 9, 13))
    return replace(density, panels=tuple(sorted({*density.panels, *around})))


def _pair_normal_gumbel() -> AuditPair:
    return AuditPair(
        "Normal-Gumbel", "Normal(m1, s1)", "Gumbel(m2, b2)",
        (Parameter("m1", LOC), Parameter("s1", SCALE)), (Parameter("m2", LOC), Parameter("b2", SCALE)),
        lambda dist, t: (dist.Normal(t["m1"], t["s1"]), dist.Gumbel(t["m2"], t["b2"])),
        lambda v: ref.kl_quadrature(_normal_towards_gumbel(v["m1"], v["s1"], v["b2"]), ref.gumbel(v["m2"], v["b2"])))


def _pair_exponential_normal() -> AuditPair:
    return AuditPair(
        "Exponential-Normal", "Exponential(x1)", "Normal(m2, s2)",
        (Parameter("x1", RATE),), (Parameter("m2", LOC), Parameter("s2", SCALE)),
        lambda dist, t: (dist.Exponential(t["x1"]), dist.Normal(t["m2"], t["s2"])),
        lambda v: ref.kl_quadrature(ref.exponential(v["x1"]), ref.normal(v["m2"], v["s2"])))


def _pair_uniform_normal() -> AuditPair:
    return AuditPair(
        "Uniform-Normal", "Uniform(a1, b1)", "Normal(m2, s2)",
        (Parameter("a1", Q_LOW), Parameter("b1", Q_HIGH)), (Parameter("m2", LOC), Parameter("s2", SCALE)),
        lambda dist, t: (dist.Uniform(t["a1"], t["b1"]), dist.Normal(t["m2"], t["s2"])),
        lambda v: ref.kl_quadrature(ref.uniform(v["a1"], v["b1"]), ref.normal(v["m2"], v["s2"])))


def _pair_gamma_exponential() -> AuditPair:
    return AuditPair(
        "Gamma-Exponential", "Gamma(a1, rate=x1)", "Exponential(x2)",
        (Parameter("a1", SHAPE), Parameter("x1", RATE)), (Parameter("x2", RATE),),
        lambda dist, t: (dist.Gamma(t["a1"], t["x1"]), dist.Exponential(t["x2"])),
        lambda v: ref.kl_quadrature(ref.log_gamma(v["a1"], v["x1"]), ref.log_gamma(1, v["x2"])))


def _pair_exponential_gamma() -> AuditPair:
    return AuditPair(
        "Exponential-Gamma", "Exponential(x1)", "Gamma(a2, rate=x2)",
        (Parameter("x1", RATE),), (Parameter("a2", SHAPE), Parameter("x2", RATE)),
        lambda dist, t: (dist.Exponential(t["x1"]), dist.Gamma(t["a2"], t["x2"])),
        lambda v: ref.kl_quadrature(ref.log_gamma(1, v["x1"]), ref.log_gamma(v["a2"], v["x2"])))


#: Each continuous family's spec (its parameters named ``<letter>1`` or ``<letter>2``), parameters, torch law and
#: reference density in x (for the pairs whose divergence is infinite by the supports).
_FAMILIES: dict[str, tuple[str, tuple[tuple[str, Kind], ...], Callable[..., Any], Callable[..., Any]]] = {
    "Normal": ("Normal(m{i}, s{i})", (("m", LOC), ("s", SCALE)), lambda d, a, b: d.Normal(a, b), ref.normal),
    "Laplace": ("Laplace(m{i}, s{i})", (("m", LOC), ("s", SCALE)), lambda d, a, b: d.Laplace(a, b), ref.laplace),
    "Exponential": ("Exponential(r{i})", (("r", RATE),), lambda d, a: d.Exponential(a), ref.exponential),
    "Gamma": ("Gamma(a{i}, rate=r{i})", (("a", SHAPE), ("r", RATE)), lambda d, a, b: d.Gamma(a, b), ref.gamma),
    "Pareto": ("Pareto(m{i}, a{i})", (("m", SCALE), ("a", SHAPE)), lambda d, a, b: d.Pareto(a, b), ref.pareto),
    "Beta": ("Beta(a{i}, b{i})", (("a", SHAPE), ("b", SHAPE)), lambda d, a, b: d.Beta(a, b), ref.beta),
    "Uniform": ("Uniform(a{i}, b{i})", (("a", Kind("lower end", _uniform(-5, 0), (_constant(-1e6),))),
                                         ("b", Kind("upper end", _uniform(0.5, 5), (_constant(1e6),)))),
                lambda d, a, b: d.Uniform(a, b), ref.uniform),
    "Gumbel": ("Gumbel(m{i}, s{i})", (("m", LOC), ("s", SCALE)), lambda d, a, b: d.Gumbel(a, b), ref.gumbel),
}


def _pair_infinite(q: str, p: str) -> AuditPair:
    """A pair whose divergence is infinite by the supports: every candidate must be +inf, as the reference is."""
    (q_spec, q_kinds, q_torch, q_ref), (p_spec, p_kinds, p_torch, p_ref) = _FAMILIES[q], _FAMILIES[p]
    q_names, p_names = [f"{n}1" for n, _ in q_kinds], [f"{n}2" for n, _ in p_kinds]
    return AuditPair(
        f"{q}-{p} (infinite)", q_spec.format(i=1), p_spec.format(i=2),
        tuple(Parameter(name, kind) for name, (_, kind) in zip(q_names, q_kinds, strict=True)),
        tuple(Parameter(name, kind) for name, (_, kind) in zip(p_names, p_kinds, strict=True)),
        lambda dist, t: (q_torch(dist, *(t[n] for n in q_names)), p_torch(dist, *(t[n] for n in p_names))),
        lambda v: ref.kl_quadrature(q_ref(*(v[n] for n in q_names)), p_ref(*(v[n] for n in p_names))))


#: The ends of a uniform law inside the positive half-line (q against an exponential or Gamma law: 0 <= low), of a
#: uniform law around [0, 1] (p against a Beta law: low <= 0, 1 <= high), of a uniform law right of a Pareto scale.
NONNEGATIVE_LOW = Kind("lower end >= 0", _uniform(0, 2), (_constant(0.0), _constant(1e-6)))
HIGH_ABOVE_TWO = Kind("upper end > 2", _uniform(2.5, 6), (_constant(1e6), _constant(2.5)))
HIGH_ABOVE_ONE = Kind("upper end >= 1", _uniform(1, 5), (_constant(1.0), _constant(1e6)))
_ENDS = {("Uniform", "Exponential"): ((NONNEGATIVE_LOW, HIGH_ABOVE_TWO), None),
         ("Uniform", "Gamma"): ((NONNEGATIVE_LOW, HIGH_ABOVE_TWO), None),
         ("Beta", "Uniform"): (None, (_FAMILIES["Uniform"][1][0][1], HIGH_ABOVE_ONE)),
         # torch's form is inf - inf (NaN) where the true value overflows (a Gumbel location right of the interval at
         # a tiny scale): the location is kept inside the interval; the derived form is inf there (one exponential)
         ("Uniform", "Gumbel"): (None, (Kind("location in [-1/2, 1/2]", _uniform(-0.5, 0.5), (_constant(0.0),)),
                                        _FAMILIES["Gumbel"][1][1][1])),
         ("Uniform", "Pareto"): ((Kind("lower end >= 1/2", _uniform(0.5, 2), (_constant(0.5),)), HIGH_ABOVE_TWO),
                                 # not 1e-6: torch's scale**alpha underflows to 0 at alpha = 100 (its log: -inf)
                                 (Kind("scale <= 1/2", _log_uniform(-3, -0.31), (_constant(0.5), _constant(1e-2))),
                                  _FAMILIES["Pareto"][1][1][1])),
         # a Pareto law against a law whose log-density grows like x**k: its shape on both sides of k (+inf at and
         # below), near k from above, tiny and huge
         ("Pareto", "Exponential"): ((SCALE, Kind("Pareto shape about 1", _log_uniform(-0.5, 1.5),
                                                  (_constant(1 + 1e-3), _constant(1.0), _constant(0.5),
                                                   _constant(1e2)))), None),
         ("Pareto", "Gamma"): ((SCALE, Kind("Pareto shape about 1", _log_uniform(-0.5, 1.5),
                                            (_constant(1 + 1e-3), _constant(1.0), _constant(0.5), _constant(1e2)))),
                               None),
         ("Pareto", "Normal"): ((SCALE, Kind("Pareto shape about 2", _log_uniform(-0.2, 1.5),
                                             (_constant(2 + 1e-3), _constant(2.0), _constant(1.5), _constant(1e2)))),
                                None)}


def _pair_cross(q: str, p: str) -> AuditPair:
    """A pair of two families with a finite divergence, each family's parameters drawn as :data:`_FAMILIES` draws
    them, the ends of a uniform law where its support condition holds (:data:`_ENDS`)."""
    (q_spec, q_kinds, q_torch, q_ref), (p_spec, p_kinds, p_torch, p_ref) = _FAMILIES[q], _FAMILIES[p]
    q_ends, p_ends = _ENDS.get((q, p), (None, None))
    q_kinds = tuple((n, k) for (n, _), k in zip(q_kinds, q_ends, strict=True)) if q_ends else q_kinds
    p_kinds = tuple((n, k) for (n, _), k in zip(p_kinds, p_ends, strict=True)) if p_ends else p_kinds
    q_names, p_names = [f"{n}1" for n, _ in q_kinds], [f"{n}2" for n, _ in p_kinds]
    return AuditPair(
        f"{q}-{p}", q_spec.format(i=1), p_spec.format(i=2),
        tuple(Parameter(name, kind) for name, (_, kind) in zip(q_names, q_kinds, strict=True)),
        tuple(Parameter(name, kind) for name, (_, kind) in zip(p_names, p_kinds, strict=True)),
        lambda dist, t: (q_torch(dist, *(t[n] for n in q_names)), p_torch(dist, *(t[n] for n in p_names))),
        lambda v: _cross_reference(q, q_ref(*(v[n] for n in q_names)), p_ref(*(v[n] for n in p_names)),
                                   [v[n] for n in q_names]),
        most=CROSS_SAMPLES if q in ("Gamma", "Beta", "Exponential") else None)


#: The points of a pair of two families whose reference is a quadrature in the logarithm or the log-odds of q (30
#: digits over many panels: about 70 ms a point on this machine; 16 keeps the whole audit near its 60 s).
CROSS_SAMPLES = 16


def _cross_reference(family: str, q: ref.RefDensity, p: ref.RefDensity, values: list[Any]) -> mpmath.mpf:
    """KL(q || p) by quadrature; a Gamma or Beta q (whose density piles up at an end for a concentration below 1)
    in its logarithm or log-odds, a Pareto q in its logarithm (its tail against p's log-density:
    :func:`~derivation.laws.kl_reference.kl_heavy_tail`), p pulled back to the same variable (KL is unchanged by a
    bijection)."""
    if family in ("Gamma", "Exponential") and p.low <= 0:  # an exponential law: the Gamma law of concentration 1
        return ref.kl_quadrature(ref.log_gamma(*([1] if family == "Exponential" else []), *values), ref.in_log(p))
    if family == "Pareto" and p.low <= values[0]:  # in u = log x, its tail against p's log-density (+inf if heavier)
        return ref.kl_heavy_tail(ref.log_pareto(*values), ref.in_log(p))
    if family == "Beta" and p.low <= 0 and p.high >= 1:
        return ref.kl_quadrature(ref.logit_beta(*values), ref.in_logit(p))
    return ref.kl_quadrature(q, p)


#: The number of categories of the audited categorical pairs.
CATEGORIES = 5


def _simplex(rng: Any, shape: tuple[int, ...]) -> Any:
    """A random probability vector (a Dirichlet(0.7) draw: some entries small), no entry below 1e-300."""
    raw = rng.gamma(0.7, size=shape) + 1e-300
    return raw / raw.sum()


def _corner(rng: Any, shape: tuple[int, ...]) -> Any:
    """Near a corner of the simplex: one probability 1 - 4e-12, the others 1e-12 (near 0 and near 1)."""
    vector = np.full(shape, 1e-12)
    vector[int(rng.integers(shape[0]))] = 1 - 1e-12 * (shape[0] - 1)
    return vector


def _tiny_and_huge_logits(rng: Any, shape: tuple[int, ...]) -> Any:
    """Logits at +-27.6 (probabilities about 1e-24 and 1), in a random order."""
    return rng.permutation(np.linspace(-27.6, 27.6, shape[0]))


SIMPLEX = Kind("probability vector", _simplex, (_corner, _constant(1 / CATEGORIES)))
LOGITS = Kind("logit vector", lambda rng, shape: rng.normal(0.0, 3.0, shape), (_tiny_and_huge_logits,
                                                                                 _constant(0.0)))


def _softmax(logits: Sequence[Any]) -> list[mpmath.mpf]:
    top = max(logits)
    weights = [mpmath.exp(value - top) for value in logits]
    total = mpmath.fsum(weights)
    return [w / total for w in weights]


def _pair_categorical(keyword: str) -> AuditPair:
    """Two categorical laws over :data:`CATEGORIES` categories, given by their probabilities or their logits."""
    given, kind = ("", SIMPLEX) if keyword == "probs" else ("logits=", LOGITS)
    masses = _same if keyword == "probs" else _softmax
    shape = (CATEGORIES,)
    return AuditPair(
        f"Categorical ({keyword}), K = {CATEGORIES}", f"Categorical({given}x1, dim={CATEGORIES})",
        f"Categorical({given}x2, dim={CATEGORIES})", (Parameter("x1", kind, shape),), (Parameter("x2", kind, shape),),
        lambda dist, t: (dist.Categorical(**{keyword: t["x1"]}), dist.Categorical(**{keyword: t["x2"]})),
        lambda v: ref.kl_finite(masses(v["x1"]), masses(v["x2"])),
        scipy=None if keyword == "logits" else lambda special, a: special.rel_entr(a["x1"], a["x2"]).sum(-1))


#: A Dirichlet law's concentrations: from 0.1 to 30, edges tiny (0.01) and huge (1000).
DIRICHLET_CONCENTRATION = Kind("Dirichlet concentration vector", _log_uniform(-1, 1.5),
                               (_constant(1e-2), _constant(1e3)))


def _pair_dirichlet(size: int) -> AuditPair:
    """Two Dirichlet laws over ``size`` coordinates; the reference by stick-breaking into Beta laws."""
    shape = (size,)
    return AuditPair(
        f"Dirichlet, K = {size}", f"Dirichlet(c1, dim={size})", f"Dirichlet(c2, dim={size})",
        (Parameter("c1", DIRICHLET_CONCENTRATION, shape),), (Parameter("c2", DIRICHLET_CONCENTRATION, shape),),
        lambda dist, t: (dist.Dirichlet(t["c1"]), dist.Dirichlet(t["c2"])),
        lambda v: ref.kl_dirichlet(v["c1"], v["c2"]))


#: Infinite pairs audited after all the others (the points are drawn pair after pair from one seed: a pair added
#: later comes last, so that a seed keeps giving every earlier pair the same points).
_LATER = (("Pareto", "Uniform"),)

#: Every pair audited, in report order; a pair whose specs kl-derive does not derive (yet) is listed as skipped.
PAIRS: tuple[AuditPair, ...] = (
    _pair_normal("Normal (scale)", "scale", SCALE, _same, _same),
    _pair_normal("Normal (variance)", "var", VARIANCE, _sqrt, lambda t: t.sqrt()),
    _pair_normal("Normal (log-variance)", "logvar", LOGVAR, _scale_of_logvar, lambda t: (t / 2).exp()),
    _pair_normal("DiagNormal (scale), d = 2", "scale", SCALE, _same, _same, dim=2),
    _pair_normal("DiagNormal (log-variance), d = 3", "logvar", LOGVAR, _scale_of_logvar,
                 lambda t: (t / 2).exp(), dim=3),
    _pair_full(2),
    _pair_full(3),
    _pair_laplace(),
    _pair_exponential("rate"),
    _pair_exponential("scale"),
    _pair_gamma("rate"),
    _pair_gamma("scale"),
    _pair_bernoulli(),
    _pair_bernoulli_logits(),
    _pair_poisson(),
    _pair_geometric(),
    _pair_bernoulli_poisson(),
    _pair_poisson_bernoulli(),
    _pair_poisson_binomial("probs"),
    _pair_poisson_binomial("logits"),
    _pair_halfnormal(),
    _pair_uniform(),
    _pair_pareto(),
    _pair_beta(),
    _pair_normal_laplace(),
    _pair_laplace_normal(),
    _pair_exponential_gamma(),
    _pair_gamma_exponential(),
    _pair_gumbel(),
    _pair_gumbel_normal(),
    _pair_normal_gumbel(),
    _pair_exponential_normal(),
    _pair_uniform_normal(),
    # the logits pair is not audited: torch computes it through the probabilities and loses digits at large
    # logits (a relative error of 4e-5 at logits 27.6, where the derived form and the reference agree to 1e-14)
    _pair_binomial("probs"),
    _pair_categorical("probs"),
    _pair_categorical("logits"),
    _pair_dirichlet(3),  # K = 2 too in tests/test_dirichlet.py: here K = 3 only, its reference two Beta quadratures
    *(_pair_infinite(q, p) for q, p in INFINITE_CONTINUOUS if (q, p) not in _LATER),
    *(_pair_cross(q, p) for q, p in MOMENT_PAIRS),
)


def _x_log_x(x: float) -> float:
    """``x * log(x)`` as the old torch helper computed it: ``0 * -inf``, NaN, at 0."""
    return x * (math.log(x) if x > 0 else -math.inf)


def _old_normal_laplace(m1: float, s1: float, m2: float, b2: float) -> float:
    """The Normal-Laplace KL of torch's first KL registry (2018): no location term at all, so it is the value
    at equal locations, ``log(b2 / s1) + sqrt(2 / pi) s1 / b2 - (1 + log(pi / 2)) / 2``, wherever they are."""
    ratio = s1 / b2
    return 0.5 * math.log(2 / math.pi) - 0.5 - math.log(ratio) + math.sqrt(2 / math.pi) * ratio


def _old_gumbel_normal(m1: float, b1: float, m2: float, s2: float) -> float:
    """The Gumbel-Normal KL with ``pi r / 12`` where ``pi**2 r**2 / 12`` belongs (``r = b1 / s2``)."""
    ratio, gamma = b1 / s2, float(mpmath.euler)
    return (-math.log(ratio / math.sqrt(2 * math.pi)) + math.pi * ratio / 12
            + 0.5 * ((m1 + b1 * gamma - m2) / s2) ** 2 - (gamma + 1))


def _old_uniform_beta(low: float, high: float, a: float, b: float) -> float:
    """The Uniform-Beta KL with ``x log x`` computed as ``x * log(x)`` (NaN at 0 and 1)."""
    width = high - low
    t2 = (a - 1) * (_x_log_x(high) - _x_log_x(low) - width) / width
    t3 = (b - 1) * (_x_log_x(1 - high) - _x_log_x(1 - low) + width) / width
    t4 = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    return t3 + t4 - math.log(width) - t2


UNIT_LOW = Kind("lower end in [0, 1)", _uniform(0, 0.45), (_constant(0.0),))
UNIT_HIGH = Kind("upper end in (0, 1]", _uniform(0.55, 1), (_constant(1.0),))
CONCENTRATION = Kind("concentration", _log_uniform(-0.5, 1), (_constant(1.0),))

def _pair_uniform_beta() -> AuditPair:
    return AuditPair(
        "Uniform-Beta", "Uniform(low, high)", "Beta(a, b)", (Parameter("low", UNIT_LOW), Parameter("high", UNIT_HIGH)),
        (Parameter("a", CONCENTRATION), Parameter("b", CONCENTRATION)),
        lambda dist, t: (dist.Uniform(t["low"], t["high"]), dist.Beta(t["a"], t["b"])),
        lambda v: ref.kl_quadrature(ref.uniform(v["low"], v["high"]), ref.beta(v["a"], v["b"])))


#: The Uniform-Beta pair is audited after the others (its kinds are the historic fixture's, defined here).
PAIRS += (_pair_uniform_beta(), *(_pair_infinite(q, p) for q, p in _LATER))

#: The historic buggy formulas (issue 12): the audit must flag each of them.
FIXTURES: tuple[Fixture, ...] = (
    Fixture("Normal-Laplace ignoring the location gap", "Normal(m1, s1)", "Laplace(m2, b2)",
            "torch _kl_normal_laplace of 2018 (PR #4638: its test at this point failed; replaced by PR #68807)",
            (Parameter("m1", LOC), Parameter("s1", SCALE)), (Parameter("m2", LOC), Parameter("b2", SCALE)),
            _old_normal_laplace,
            lambda v: ref.kl_quadrature(ref.normal(v["m1"], v["s1"]), ref.laplace(v["m2"], v["b2"])),
            {"m1": -1.0, "s1": 2.0, "m2": -3.0, "b2": 4.0}, 0.3663),
    Fixture("Gumbel-Normal with pi r / 12 for pi^2 r^2 / 12", "Gumbel(m1, b1)", "Normal(m2, s2)",
            "an old torch _kl_gumbel_normal (the point: a Gumbel-Normal test of PR #4638)",
            (Parameter("m1", LOC), Parameter("b1", SCALE)), (Parameter("m2", LOC), Parameter("s2", SCALE)),
            _old_gumbel_normal,
            lambda v: ref.kl_quadrature(ref.gumbel(v["m1"], v["b1"], growth=0), ref.normal(v["m2"], v["s2"])),
            {"m1": -1.0, "b1": 2.0, "m2": -3.0, "s2": 4.0}, 0.4767),
    Fixture("Uniform-Beta with x log x NaN at 0", "Uniform(low, high)", "Beta(a, b)",
            "torch _kl_uniform_beta with its old _x_log_x(x) = x * x.log()",
            (Parameter("low", UNIT_LOW), Parameter("high", UNIT_HIGH)),
            (Parameter("a", CONCENTRATION), Parameter("b", CONCENTRATION)),
            _old_uniform_beta,
            lambda v: ref.kl_quadrature(ref.uniform(v["low"], v["high"]), ref.beta(v["a"], v["b"])),
            {"low": 0.0, "high": 1.0, "a": 1.0, "b": 1.0}, math.nan),
)


# -- comparing ------------------------------------------------------------------------------------------------

@dataclass
class Row:
    """One candidate on one pair (or one fixture): how many points agreed, the NaN/inf disagreements, and the
    point of the worst relative error."""

    pair: str
    q: str
    p: str
    candidate: str
    samples: int = 0
    agreed: int = 0
    nonfinite: int = 0
    worst_error: float = 0.0
    worst_point: Values = field(default_factory=dict)
    worst_value: float = 0.0
    worst_reference: float = 0.0

    @property
    def ok(self) -> bool:
        return self.agreed == self.samples

    def as_dict(self) -> dict[str, Any]:
        return {"pair": self.pair, "q": self.q, "p": self.p, "candidate": self.candidate, "samples": self.samples,
                "agreed": self.agreed, "nonfinite_disagreements": self.nonfinite,
                "worst_relative_error": _number(self.worst_error),
                "worst_point": {k: _plain(v) for k, v in self.worst_point.items()},
                "worst_value": _number(self.worst_value), "worst_reference": _number(self.worst_reference)}


def error(value: float, reference: mpmath.mpf) -> float:
    """``|value - reference| / max(|reference|, 1)``; 0 when both are the same infinity (or the value is the
    infinity a reference beyond the largest double rounds to in float64: ``KL(Gumbel || Gumbel)`` reaches
    ``e**(10**9)`` at the edges), infinite when exactly one is not finite (or the value is NaN)."""
    if math.isnan(value):
        return math.inf
    if math.isinf(value) and abs(reference) > sys.float_info.max:
        return 0.0 if (value > 0) == (reference > 0) else math.inf
    if math.isinf(value) or mpmath.isinf(reference):
        return 0.0 if mpmath.mpf(value) == reference else math.inf
    return float(abs(mpmath.mpf(value) - reference) / max(abs(reference), 1))


def compare(row: Row, values: Sequence[float], references: Sequence[mpmath.mpf], points: Sequence[Values],
            tolerance: float) -> Row:
    """Fill ``row`` from the candidate's ``values`` and the ``references`` at ``points``."""
    row.samples = len(values)
    worst = -1
    for index, (value, reference) in enumerate(zip(values, references, strict=True)):
        value = float(value)
        err = error(value, reference)
        row.agreed += err <= tolerance
        row.nonfinite += err > tolerance and (not math.isfinite(value) or mpmath.isinf(reference))
        if worst < 0 or err > row.worst_error:
            worst, row.worst_error = index, err
            row.worst_point, row.worst_value, row.worst_reference = points[index], value, float(reference)
    return row


def _number(x: float) -> float | str:
    """A float for JSON: NaN and the infinities as the strings ``"nan"``, ``"inf"``, ``"-inf"``."""
    return x if math.isfinite(x) else str(x)


def _plain(value: Any) -> Any:
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return _number(float(value))


def _mp(value: Any) -> Any:
    """A point's value for the reference: a float (exactly) as an mpf, an array as nested lists of them."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    return [_mp(v) for v in value] if isinstance(value, list) else mpmath.mpf(value)


def _reference(reference: Callable[[Mapping[str, Any]], mpmath.mpf], point: Values) -> mpmath.mpf:
    """The reference at ``point``, computed at its working precision throughout: the densities' constants (``log``
    of a rate, ``1 / rate``) and the parameters' maps (a scale from a log-variance, masses from logits) too, not
    only the quadrature (at mpmath's default 15 digits they limited it to about 1e-16)."""
    with mpmath.workdps(ref.DIGITS):
        return reference({k: _mp(v) for k, v in point.items()})


def _batched(points: Sequence[Values]) -> dict[str, Any]:
    return {name: np.asarray([point[name] for point in points], dtype=float) for name in points[0]}


def _torch() -> Any:
    """torch, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def _scipy_version() -> str | None:
    """SciPy's version, or None when it is not installed (SciPy is optional: not a dependency of kl-derive)."""
    try:
        return metadata.version("scipy")
    except metadata.PackageNotFoundError:
        return None


def _derived(pair: AuditPair) -> Callable[..., Any]:
    """kl-derive's closed form for the pair as its ``-f python`` export (our own code, printed from the
    derivation's result; no user input reaches it)."""
    code = render(derive(q=pair.q, p=pair.p), "python")
    namespace: dict[str, Any] = {}
    exec(compile(code, f"<kl-derive python export: {pair.name}>", "exec"), namespace)
    return namespace["kl_divergence"]


def _torch_values(torch: Any, pair: AuditPair, points: Sequence[Values]) -> list[float]:
    tensors = {name: torch.as_tensor(array, dtype=torch.float64) for name, array in _batched(points).items()}
    q, p = pair.torch(torch.distributions, tensors)
    return torch.distributions.kl_divergence(q, p).detach().numpy().tolist()


@dataclass
class AuditReport:
    """The rows of every pair and fixture, and what was audited with what."""

    tolerance: float
    samples: int
    seed: int
    torch_version: str | None
    #: SciPy's version when an audited pair has a SciPy form and SciPy is installed.
    scipy_version: str | None = None
    #: How many audited pairs have a SciPy form (SciPy has the quantity for discrete pairs only).
    scipy_pairs: int = 0
    rows: list[Row] = field(default_factory=list)
    fixtures: list[Row] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def disagreements(self) -> list[Row]:
        """Rows of real pairs where a candidate disagreed somewhere."""
        return [r for r in self.rows if not r.ok]

    @property
    def unflagged(self) -> list[Row]:
        """Fixtures the audit failed to flag (each must be flagged)."""
        return [r for r in self.fixtures if r.ok]

    @property
    def ok(self) -> bool:
        return not self.disagreements and not self.unflagged

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "tolerance": self.tolerance, "samples": self.samples, "seed": self.seed,
            "error": "|value - reference| / max(|reference|, 1)",
            "reference": f"KL integral by mpmath quadrature, {ref.DIGITS} digits",
            "torch": self.torch_version,
            "scipy": self.scipy_version,
            "pairs": [r.as_dict() for r in self.rows],
            "fixtures": [r.as_dict() | {"flagged": not r.ok} for r in self.fixtures],
            "skipped": [{"pair": name, "reason": reason} for name, reason in self.skipped],
            "ok": self.ok,
        }


def check_options(samples: int, tolerance: float, seed: int) -> None:
    """Raise :class:`UsageError` for a sample count outside ``1..MAX_SAMPLES``, a tolerance that is not a
    positive finite number, or a negative seed."""
    if isinstance(samples, bool) or not isinstance(samples, int) or not 1 <= samples <= MAX_SAMPLES:
        raise UsageError(f"the number of samples must be a whole number from 1 to {MAX_SAMPLES}, got {samples!r}")
    if not (isinstance(tolerance, float | int) and math.isfinite(tolerance) and tolerance > 0):
        raise UsageError(f"the tolerance must be a positive number, got {tolerance!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise UsageError(f"the seed must be a whole number >= 0, got {seed!r}")


#: What a worker computes for a pair: why it is skipped (None: derived), kl-derive's values, the references.
Computed = tuple[str | None, list[float], list[mpmath.mpf]]
#: The pairs and their points while :func:`audit` computes them, read by the forked workers (:func:`_computed`).
_WORK: list[tuple[AuditPair, list[Values]]] = []


def _computed(index: int) -> Computed:
    """Pair ``index`` of :data:`_WORK`: ``(why it is skipped, kl-derive's values, the references)``, the skip reason
    None when kl-derive derives the pair."""
    pair, points = _WORK[index]
    try:
        closed_form = _derived(pair)
    except UsageError as why:
        return str(why), [], []
    references = [_reference(pair.reference, point) for point in points]
    with np.errstate(all="ignore"):  # an overflow to inf is a value the audit compares and reports, not a warning
        values = closed_form(**_batched(points)).tolist()
    return None, values, references


def _compute_all(count: int, meanwhile: Callable[[], Any]) -> tuple[list[Computed], Any]:
    """:func:`_computed` for every pair of :data:`_WORK`, on every core there is (forked processes, one pair at a
    time each: the derivations and the 30-digit quadratures are independent), else one after the other; and
    ``meanwhile()`` here while the workers compute (its value returned with theirs)."""
    workers = min(os.cpu_count() or 1, count)
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [_computed(i) for i in range(count)], meanwhile()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pending = pool.map_async(_computed, range(count), chunksize=1)
        other = meanwhile()
        return pending.get(), other


def _plan(samples: int, rng: Any, pairs: Sequence[AuditPair]) -> list[tuple[AuditPair, list[Values]]]:
    """Each pair with its points drawn from ``rng``, in order: ``samples`` of them (at most ``pair.most``), edges
    first, q = p among them where q's and p's parameters are of the same kinds."""
    work = []
    for pair in pairs:
        same_kinds = [a.kind for a in pair.q_parameters] == [b.kind for b in pair.p_parameters]  # q = p possible
        count = samples if pair.most is None else min(samples, pair.most)
        work.append((pair, _points(pair.q_parameters, pair.p_parameters, count, rng, equal=same_kinds)))
    return work


def _fixture_rows(fixtures: Sequence[Fixture], points: Sequence[list[Values]], tolerance: float) -> list[Row]:
    """Each fixture's row: its formula against the reference at its points."""
    rows = []
    for fixture, at in zip(fixtures, points, strict=True):
        references = [_reference(fixture.reference, point) for point in at]
        values = [fixture.formula(**point) for point in at]
        rows.append(compare(Row(fixture.name, fixture.q, fixture.p, fixture.source), values, references, at,
                            tolerance))
    return rows


def audit(samples: int = SAMPLES, seed: int = 0, tolerance: float = TOLERANCE,
          pairs: Sequence[AuditPair] = PAIRS, fixtures: Sequence[Fixture] = FIXTURES) -> AuditReport:
    """Audit ``pairs`` and ``fixtures`` at ``samples`` points each (fixtures: at most :data:`FIXTURE_SAMPLES`,
    the reported point first), drawn from ``seed``. See the module's docstring.

    The points are drawn first, in order (so a seed gives the same points however the work is shared); each pair's
    derivation and references are then computed by :func:`_compute_all`, while torch is imported and the fixtures
    are audited here; torch's values afterwards."""
    check_options(samples, tolerance, seed)
    rng = np.random.default_rng(seed)
    work = _plan(samples, rng, pairs)
    count = min(samples, FIXTURE_SAMPLES)
    fixture_points = [[dict(fixture.point), *_points(fixture.q_parameters, fixture.p_parameters, count - 1, rng,
                                                     equal=False)] for fixture in fixtures]
    _WORK[:] = work
    try:
        computed, (torch, fixture_rows) = _compute_all(
            len(work), lambda: (_torch(), _fixture_rows(fixtures, fixture_points, tolerance)))
    finally:
        _WORK.clear()
    report = AuditReport(tolerance, samples, seed, None if torch is None else str(torch.__version__))
    for (pair, points), (skipped, derived, references) in zip(work, computed, strict=True):
        if skipped is not None:
            report.skipped.append((pair.name, skipped))
            continue
        report.rows.append(compare(Row(pair.name, pair.q, pair.p, "kl-derive"), derived, references, points,
                                   tolerance))
        if torch is not None:
            report.rows.append(compare(Row(pair.name, pair.q, pair.p, "torch"), _torch_values(torch, pair, points),
                                       references, points, tolerance))
        if pair.scipy is not None:
            report.scipy_pairs += 1
            report.scipy_version = _scipy_version()
            if report.scipy_version is not None:
                values = np.asarray(pair.scipy(special, _batched(points)), dtype=float).tolist()
                report.rows.append(compare(Row(pair.name, pair.q, pair.p, "scipy"), values, references, points,
                                           tolerance))
    report.fixtures = fixture_rows
    return report


# -- the report -----------------------------------------------------------------------------------------------

def _short(x: float) -> str:
    return f"{x:.3g}" if math.isfinite(x) else str(x)


def _point_text(point: Values) -> str:
    def show(value: Any) -> str:
        plain = _plain(value)
        if isinstance(plain, list):
            return "[" + ", ".join(show(v) for v in plain) + "]"
        return _short(plain) if isinstance(plain, float) else str(plain)
    return ", ".join(f"{name}={show(value)}" for name, value in point.items())


def markdown(report: AuditReport) -> str:
    """The report as Markdown: a table of pairs, a table of fixtures, one line each on torch and SciPy, a
    verdict."""
    lines = ["# kl-derive audit", "",
             f"Reference: the KL integral of the two densities by mpmath quadrature ({ref.DIGITS} digits). "
             f"A value agrees when its error, relative and absolute below 1, is at most {report.tolerance:g}. "
             f"{report.samples} points per pair (seed {report.seed}), edges first: equal distributions, tiny and "
             "huge scales, far-apart locations, ill-conditioned covariances, probabilities near 0 and 1.", ""]
    lines.append(f"torch {report.torch_version}: torch.distributions.kl_divergence in float64 is audited too."
                 if report.torch_version else
                 "torch is not installed: only kl-derive's closed forms were audited.")
    lines += ["", _scipy_line(report)]
    lines += ["", "## Pairs", "",
              "| pair | q | p | closed form | samples | agreed | NaN/inf | worst error | worst at |",
              "|---|---|---|---|---:|---:|---:|---:|---|"]
    lines += [f"| {r.pair} | `{r.q}` | `{r.p}` | {r.candidate} | {r.samples} | {r.agreed} | {r.nonfinite} | "
              f"{_short(r.worst_error)} | {_point_text(r.worst_point)} |" for r in report.rows]
    lines += [f"| {name} | | | skipped: {reason} | | | | | |" for name, reason in report.skipped]
    lines += ["", "## Regression fixtures (historic formulas: each must be flagged)", "",
              "| fixture | q | p | formula | samples | agreed | NaN/inf | worst error | worst at | flagged |",
              "|---|---|---|---|---:|---:|---:|---:|---|---|"]
    lines += [f"| {r.pair} | `{r.q}` | `{r.p}` | {r.candidate} | {r.samples} | {r.agreed} | {r.nonfinite} | "
              f"{_short(r.worst_error)} | {_point_text(r.worst_point)} | {'yes' if not r.ok else 'NO'} |"
              for r in report.fixtures]
    lines += ["", _verdict(report), ""]
    return "\n".join(lines)


def _scipy_line(report: AuditReport) -> str:
    if not report.scipy_pairs:
        return "SciPy has no KL of the continuous pairs audited here: not compared."
    if report.scipy_version is None:
        return "SciPy is not installed: the discrete pairs were not compared with it."
    return f"SciPy {report.scipy_version}: scipy.special.rel_entr is audited too, for the discrete pairs."


def _verdict(report: AuditReport) -> str:
    if report.ok:
        return "Every closed form agrees with the reference at every point; every fixture is flagged."
    parts = [f"{r.candidate} disagrees on {r.pair} at {r.samples - r.agreed} of {r.samples} points"
             for r in report.disagreements]
    parts += [f"the fixture {r.pair} was not flagged" for r in report.unflagged]
    return "Disagreement: " + "; ".join(parts) + "."


def as_json(report: AuditReport) -> str:
    return json.dumps(report.as_dict(), indent=2, allow_nan=False) + "\n"


#: ``--format`` -> the function writing the report.
REPORT_FORMATS: Mapping[str, Callable[[AuditReport], str]] = {"markdown": markdown, "json": as_json}
