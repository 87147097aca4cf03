"""An independent reference for KL divergences: ``int q(x) (log q(x) - log p(x)) dx`` by mpmath quadrature.

The densities here are written directly with mpmath, apart from the laws the derivations use, so that
``kl-derive audit`` compares every closed form (derived here, torch's, a historic one) with a value computed
from the definition alone. Each :class:`RefDensity` knows its log-density, its support, where its mass is (a
centre and a width) and its kinks; :func:`kl_quadrature` integrates in the standardised variable
``t = (x - centre) / width``, over panels split at every kink of either density, to :data:`DIGITS` digits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import pairwise

import mpmath
from mpmath import mpf
from mpmath.calculus.quadrature import GaussLegendre

#: The working precision of the reference (decimal digits).
DIGITS = 30

Real = float | mpf
ZERO = mpf(0)
#: mpmath's degree of the Gauss-Legendre rule on each panel: ``3 * 2**(degree - 1)`` nodes.
LEGENDRE_DEGREE = 4


def _last_value(function: Callable[[mpf], mpf]) -> Callable[[mpf], mpf]:
    """``function``, remembering its last argument (by identity, at the working precision) and value.

    :func:`kl_quadrature` evaluates q's and p's log-densities at the same node object in turn; in the logarithm
    or the log-odds both need ``e^u`` or ``log(1 + e^-u)`` there (:func:`log_gamma`, :func:`in_log`,
    :func:`logit_beta`, :func:`in_logit`), computed once so. The argument is held, so its identity is not reused."""
    last: list = [None, None, 0]

    def remembered(u: mpf) -> mpf:
        if u is last[0] and last[2] == mpmath.mp.prec:
            return last[1]
        value = function(u)
        last[:] = [u, value, mpmath.mp.prec]
        return value

    return remembered


#: ``e^u``, ``e^-u`` and ``log(1 + e^-u)``, remembered at their last node (:func:`_last_value`).
_exp = _last_value(mpmath.exp)
_exp_of_minus = _last_value(lambda u: mpmath.exp(-u))
_softplus_of_minus = _last_value(lambda u: mpmath.log1p(_exp_of_minus(u)))


@dataclass(frozen=True)
class RefDensity:
    """A density for the reference: ``log_pdf(x)``, its support ``[low, high]`` (infinite ends allowed), where
    its mass lies (``centre``, ``width``), its kinks, and the panel ends (in units of ``width`` from ``centre``)
    over which its mass is integrated: beyond the outermost its mass is below ``10**-DIGITS``.

    A law of a location-scale family in ``centre`` and ``width`` also gives its log-density in the standardised
    variable ``t = (x - centre) / width`` as ``offset + standard(t)``, ``standard`` a module-level function of ``t``
    alone (``-t**2 / 2`` for a Gaussian): :func:`kl_quadrature` then computes ``standard`` and its exponential once
    per node of a panel for every law of the family, and needs only p's log-density at each point. Such a law
    names itself in ``law`` (its family and parameters): KL of a law against itself is 0."""

    family: str
    log_pdf: Callable[[mpf], mpf]
    low: mpf
    high: mpf
    centre: mpf
    width: mpf
    kinks: tuple[mpf, ...] = ()
    panels: tuple[float, ...] = ()
    standard: Callable[[mpf], mpf] | None = None
    offset: mpf = ZERO
    law: tuple = ()

    def contains(self, other: RefDensity) -> bool:
        """Whether ``other``'s support lies inside this one's (else KL(other || self) is infinite)."""
        return self.low <= other.low and other.high <= self.high


def _minus_half_square(t: mpf) -> mpf:
    return -t * t / 2


def _minus_abs(t: mpf) -> mpf:
    return -abs(t)


def _minus(t: mpf) -> mpf:
    return -t


def _minus_gumbel(t: mpf) -> mpf:
    return -t - mpmath.exp(-t)


def _mp(*values: Real) -> list[mpf]:
    return [mpf(v) for v in values]


def normal(loc: Real, scale: Real) -> RefDensity:
    """``N(loc, scale**2)``: ``log pdf = -(x - loc)**2 / (2 scale**2) - log(2 pi scale**2) / 2``."""
    loc, scale = _mp(loc, scale)
    constant = -mpmath.log(2 * mpmath.pi * scale**2) / 2

    def log_pdf(x: mpf) -> mpf:
        z = (x - loc) / scale
        return constant - z * z / 2

    return RefDensity("Normal", log_pdf, -mpmath.inf, mpmath.inf, loc, scale,
                      panels=(-13, -9, -6, -4, -2, 0, 2, 4, 6, 9, 13), standard=_minus_half_square, offset=constant,
                      law=("Normal", loc, scale))


def laplace(loc: Real, scale: Real) -> RefDensity:
    """``Laplace(loc, scale)``: ``log pdf = -|x - loc| / scale - log(2 scale)``; a kink at ``loc``."""
    loc, scale = _mp(loc, scale)
    constant = -mpmath.log(2 * scale)

    def log_pdf(x: mpf) -> mpf:
        return constant - abs(x - loc) / scale

    ends = (0, 2, 5, 10, 20, 40, 75)
    return RefDensity("Laplace", log_pdf, -mpmath.inf, mpmath.inf, loc, scale, kinks=(loc,),
                      panels=tuple(sorted({-e for e in ends} | set(ends))), standard=_minus_abs, offset=constant,
                      law=("Laplace", loc, scale))


#: Panel ends of a law on ``[0, oo)`` whose mass decays like ``exp(-x / width)``, in widths from 0: beyond the last
#: its mass is below ``10**-DIGITS`` relative to the mass near 0.
_HALF_LINE_PANELS = (0, 0.25, 0.5, 1, 1.5, 2, 3, 4, 5.5, 7, 9, 11.5, 14.5, 18, 22, 27, 33, 40, 48, 57, 67, 78, 90)


def exponential(rate: Real) -> RefDensity:
    """``Exponential(rate)`` on ``[0, oo)``: ``log pdf = log(rate) - rate x``."""
    (rate,) = _mp(rate)
    constant = mpmath.log(rate)

    def log_pdf(x: mpf) -> mpf:
        return constant - rate * x

    return RefDensity("Exponential", log_pdf, mpf(0), mpmath.inf, mpf(0), 1 / rate, panels=_HALF_LINE_PANELS,
                      standard=_minus, offset=constant, law=("Exponential", rate))


def half_normal(scale: Real) -> RefDensity:
    """``HalfNormal(scale)`` on ``[0, oo)``: ``log pdf = log(2 / pi) / 2 - log(scale) - x**2 / (2 scale**2)``."""
    (scale,) = _mp(scale)
    constant = mpmath.log(2 / mpmath.pi) / 2 - mpmath.log(scale)

    def log_pdf(x: mpf) -> mpf:
        z = x / scale
        return constant - z * z / 2

    return RefDensity("HalfNormal", log_pdf, mpf(0), mpmath.inf, mpf(0), scale,
                      panels=(0, 0.5, 1, 1.5, 2, 3, 4, 5, 6, 7.5, 9, 11, 13), standard=_minus_half_square,
                      offset=constant, law=("HalfNormal", scale))


def log_pareto(scale: Real, alpha: Real) -> RefDensity:
    """The logarithm ``u = log x`` of a ``Pareto(scale, alpha)`` variable: ``log pdf = log alpha + alpha log scale -
    alpha u`` on ``[log scale, oo)`` (an exponential law shifted to ``log scale``). KL is unchanged by a bijection
    applied to both laws, so ``KL(Pareto || Pareto) = KL(log_pareto || log_pareto)``, whose integrand decays
    exponentially (in x it decays only like a power)."""
    m, a = _mp(scale, alpha)
    low = mpmath.log(m)
    constant = mpmath.log(a) + a * low

    def log_pdf(u: mpf) -> mpf:
        return constant - a * u

    # in t = a (u - log scale): log pdf = log alpha - t
    return RefDensity("Pareto", log_pdf, low, mpmath.inf, low, 1 / a, panels=_HALF_LINE_PANELS, standard=_minus,
                      offset=mpmath.log(a), law=("log Pareto", m, a))


def log_gamma(concentration: Real, rate: Real) -> RefDensity:
    """The logarithm ``u = log x`` of a ``Gamma(concentration, rate)`` variable: ``log pdf = alpha log beta -
    log Gamma(alpha) + alpha u - beta exp(u)`` on the real line. KL is unchanged by a bijection applied to both laws,
    so ``KL(Gamma || Gamma) = KL(log_gamma || log_gamma)``, whose integrand is smooth (``x**(alpha - 1)`` is not at
    0 when alpha < 1).

    Its mass has three scales, so its panels are given as absolute points (centre 0, width 1): around the
    mode ``log(alpha / beta)`` in standard deviations ``sqrt(psi'(alpha))``; a left tail decaying like
    ``exp(alpha u)``, cut into pieces over which it falls by ``e**8``; and a right tail falling doubly exponentially
    past ``u = -log beta``."""
    a, b = _mp(concentration, rate)
    constant = a * mpmath.log(b) - mpmath.loggamma(a)

    def log_pdf(u: mpf) -> mpf:
        return constant + a * u - b * _exp(u)

    mode, sd, cliff = mpmath.log(a / b), mpmath.sqrt(mpmath.psi(1, a)), -mpmath.log(b)
    around = [mode + sign * k * sd for k in (0.75, 1.5, 3, 5, 8, 12, 18) for sign in (-1, 1)]
    near = [min(mode, cliff) - 2.0**k for k in range(10)]  # where exp(u) fades out of the density, left of both
    left = [min(mode, cliff) - 8 * k / a for k in range(1, 11)]
    right = [cliff + k for k in (-4, -2, -1, -0.5, 0, 0.5, 1, 2, 3, 5)]
    points = sorted({mode, *around, *near, *left, *right})
    ends = (points[0] - 1, *points, max(points[-1], mode + 25 * sd) + 1)
    # the panel ends are absolute (centre 0, width 1), not kinks: p's panels need not split q's integral
    return RefDensity("Gamma", log_pdf, -mpmath.inf, mpmath.inf, mpf(0), mpf(1), panels=tuple(float(e) for e in ends))


def logit_beta(a: Real, b: Real) -> RefDensity:
    """The log-odds ``u = log(x / (1 - x))`` of a ``Beta(a, b)`` variable: ``log pdf = a log sigma(u) + b log
    sigma(-u) - log B(a, b)`` on the real line (``sigma`` the logistic function). KL is unchanged by a bijection
    applied to both laws, so ``KL(Beta || Beta) = KL(logit_beta || logit_beta)``, whose integrand is smooth with
    exponential tails (``e^{a u}`` on the left, ``e^{-b u}`` on the right: pieces over which it falls by
    ``e**20``), where in x it piles up at an end of
    [0, 1] for a concentration below 1. With ``L = log(1 + e^-u)``, ``log sigma(-u) = -u - L``: ``log pdf = -(a + b) L
    - b u - log B(a, b)``, one logarithm for both factors (its rounding, ``|u|`` units of the last of 30 digits
    where ``L ~ -u``, is far below the audit's needs).

    Its panels are absolute points (centre 0, width 1): around the mode ``log(a / b)`` in standard deviations
    ``sqrt(psi'(a) + psi'(b))``, each tail cut into pieces over which it falls by ``e**20``, and around the points
    ``log a`` and ``-log b`` where a factor of the density switches on."""
    a, b = _mp(a, b)
    constant, total = -mpmath.log(mpmath.beta(a, b)), a + b

    def log_pdf(u: mpf) -> mpf:
        return constant - total * _softplus_of_minus(u) - b * u

    mode, sd = mpmath.log(a / b), mpmath.sqrt(mpmath.psi(1, a) + mpmath.psi(1, b))
    around = [mode + sign * k * sd for k in (1, 3, 8) for sign in (-1, 1)]
    left = [mode - 20 * k / a for k in range(1, 5)]
    right = [mode + 20 * k / b for k in range(1, 5)]
    # where each factor switches on: (1 + e^-u)**-a falls doubly exponentially left of log a, (1 + e^u)**-b right
    # of -log b (far from the mode when a concentration is small)
    cliffs = [c + k for c in (mpmath.log(a), -mpmath.log(b)) for k in (-3, -1, 0, 1, 3)]
    points = sorted({mode, *around, *left, *right, *cliffs})
    ends = (points[0] - 1, *points, points[-1] + 1)
    return RefDensity("Beta", log_pdf, -mpmath.inf, mpmath.inf, mpf(0), mpf(1), panels=tuple(float(e) for e in ends))


def gumbel(loc: Real, scale: Real, growth: Real | None = None) -> RefDensity:
    """``Gumbel(loc, scale)``: with ``z = (x - loc) / scale``, ``log pdf = -z - exp(-z) - log(scale)``.

    Unit panels far into the left tail: there the density falls like ``exp(-e^{-z})``, but p's log-density may grow
    like ``e^{-r z}`` (``r = scale / p's scale`` for a Gumbel p, up to ``10**12`` at the audit's edges), so the
    integrand ``exp(-z - e^{-z} - r z)`` peaks at ``z* = -log(1 + r)``, a peak one unit wide; ``k`` units left of it
    it has fallen by ``e^{(1 + r)(k + 1 - e^k)}``, by ``e^-396`` at ``k = 6``. ``growth`` is ``r`` when the caller
    knows it (0 for a p whose log-density is a polynomial in x, a Gaussian's): the unit panels then start 6 units left
    of ``z*`` (of 0 for ``r = 0``); unknown (None), they start at -45, left of the peak for any ``r`` up to
    ``10**16``."""
    loc, scale = _mp(loc, scale)
    constant = -mpmath.log(scale)

    def log_pdf(x: mpf) -> mpf:
        z = (x - loc) / scale
        return constant - z - mpmath.exp(-z)

    start = -45 if growth is None else max(-45, int(mpmath.floor(-mpmath.log1p(growth))) - 6)
    return RefDensity("Gumbel", log_pdf, -mpmath.inf, mpmath.inf, loc, scale,
                      panels=(*range(start, 1), 1, 2, 3, 4.5, 6, 9, 12, 18, 25, 35, 45, 60, 75), standard=_minus_gumbel,
                      offset=constant, law=("Gumbel", loc, scale))


def uniform(low: Real, high: Real) -> RefDensity:
    """``Uniform(low, high)``: ``log pdf = -log(high - low)`` on ``[low, high]``."""
    low, high = _mp(low, high)
    constant = -mpmath.log(high - low)
    return RefDensity("Uniform", lambda x: constant, low, high, (low + high) / 2, (high - low) / 2)


def gamma(concentration: Real, rate: Real) -> RefDensity:
    """``Gamma(concentration, rate)`` in x, on ``[0, oo)``: ``log pdf = alpha log beta - log Gamma(alpha) +
    (alpha - 1) log x - beta x`` (for supports: a divergence from a law on a bounded set is infinite)."""
    a, b = _mp(concentration, rate)
    constant = a * mpmath.log(b) - mpmath.loggamma(a)

    def log_pdf(x: mpf) -> mpf:
        return constant + (a - 1) * mpmath.log(x) - b * x

    return RefDensity("Gamma", log_pdf, mpf(0), mpmath.inf, a / b, mpmath.sqrt(a) / b, panels=_HALF_LINE_PANELS)


def pareto(scale: Real, alpha: Real) -> RefDensity:
    """``Pareto(scale, alpha)`` in x, on ``[scale, oo)``: ``log pdf = log alpha + alpha log scale - (alpha + 1) log x``
    (for supports; :func:`log_pareto` integrates a pair of Pareto laws)."""
    m, a = _mp(scale, alpha)
    constant = mpmath.log(a) + a * mpmath.log(m)

    def log_pdf(x: mpf) -> mpf:
        return constant - (a + 1) * mpmath.log(x)

    return RefDensity("Pareto", log_pdf, m, mpmath.inf, m, m, panels=_HALF_LINE_PANELS)


def beta(a: Real, b: Real) -> RefDensity:
    """``Beta(a, b)`` on ``[0, 1]``: ``log pdf = (a - 1) log x + (b - 1) log(1 - x) - log B(a, b)``
    (a term whose coefficient is 0 is left out: it is 0 on the whole open interval)."""
    a, b = _mp(a, b)
    constant = -mpmath.log(mpmath.beta(a, b))

    def log_pdf(x: mpf) -> mpf:
        value = constant
        if a != 1:
            value += (a - 1) * mpmath.log(x)
        if b != 1:
            value += (b - 1) * mpmath.log1p(-x)
        return value

    return RefDensity("Beta", log_pdf, mpf(0), mpf(1), mpf("0.5"), mpf("0.5"))


def in_log(p: RefDensity) -> RefDensity:
    """``p`` pulled back to ``u = log x`` (for x > 0): ``log pdf(u) = log p(e^u) + u`` on the real line. With q given
    in u too (:func:`log_gamma`), ``KL(q || p)`` is unchanged and smooth where q's mass piles up at 0 in x; only for
    a ``p`` whose support holds (0, oo), where q lives."""
    def log_pdf(u: mpf) -> mpf:
        return p.log_pdf(_exp(u)) + u

    return RefDensity(p.family, log_pdf, -mpmath.inf, mpmath.inf, mpf(0), mpf(1))


def in_logit(p: RefDensity) -> RefDensity:
    """``p`` pulled back to the log-odds ``u = log(x / (1 - x))`` (for 0 < x < 1): ``log pdf(u) = log p(sigma(u)) +
    log sigma(u) + log sigma(-u)``, for q given in u (:func:`logit_beta`); only for a ``p`` whose support holds
    (0, 1). With ``L = log(1 + e^-u)`` (shared with q's :func:`logit_beta`), ``log sigma(u) + log sigma(-u) = -2L -
    u``."""
    def log_pdf(u: mpf) -> mpf:
        return p.log_pdf(1 / (1 + _exp_of_minus(u))) - 2 * _softplus_of_minus(u) - u

    return RefDensity(p.family, log_pdf, -mpmath.inf, mpmath.inf, mpf(0), mpf(1))


def kl_quadrature(q: RefDensity, p: RefDensity) -> mpf:
    """``KL(q || p) = int q(x) (log q(x) - log p(x)) dx`` over q's support, to :data:`DIGITS` digits.

    Infinite when q's support is not inside p's. With ``x = centre + width * t`` (q's), the integral is
    ``int exp(log q(x) + log width) (log q(x) - log p(x)) dt`` (on panels: ``width`` times the integral of
    ``exp(log q(x)) (log q(x) - log p(x))``); on an infinite support it runs over q's panels
    (its mass beyond them is negligible), on a finite one over the whole support; either way split at every
    kink of q and p, so that each piece is smooth (Gauss-Legendre on the panels, tanh-sinh on a finite
    support, whose ends may carry integrable singularities such as ``log x`` at 0).
    """
    if not p.contains(q):
        return mpmath.inf
    with mpmath.workdps(DIGITS):
        centre, width, low, high, log_q_at, log_p_at = q.centre, q.width, q.low, q.high, q.log_pdf, p.log_pdf

        whole_line = mpmath.isinf(low) and mpmath.isinf(high)

        def integrand(x: mpf, log_width: mpf) -> mpf:
            """``width q(x) (log q(x) - log p(x))``, given ``log width``."""
            if not (whole_line or low < x < high):  # a node next to an end, rounded onto it (or past it: log(1 - x)
                return mpf(0)                       # complex); its weight is below the working precision
            log_q = log_q_at(x)
            difference = log_q - log_p_at(x)
            return mpmath.exp(log_q + log_width) * difference if difference else mpf(0)

        kinks = [(k - centre) / width for k in (*q.kinks, *p.kinks)]
        if mpmath.isinf(low) or mpmath.isinf(high):
            ends = [mpf(e) for e in q.panels]
            points = sorted({*ends, *(k for k in kinks if ends[0] < k < ends[-1])})
            if q.standard is None:
                # the width taken out of the sum: one product, not an addition per node
                if centre == 0 and width == 1:  # given in its own variable (log_gamma, logit_beta)
                    return +gauss_legendre(lambda t: integrand(t, ZERO), points)
                return +(width * gauss_legendre(lambda t: integrand(centre + width * t, ZERO), points))
            if q.law == p.law:
                return mpf(0)
            # q(x) dx = width e^offset e^standard(t) dt: the weights times e^standard(t), and standard(t), per panel
            nodes, masses, logs = _standard_rule(tuple(points), mpmath.mp.prec, q.standard)
            offset = q.offset
            differences = [offset + log_q - log_p_at(centre + width * t) for t, log_q in zip(nodes, logs, strict=True)]
            return +(width * mpmath.exp(offset) * mpmath.fdot(masses, differences))
        log_width = mpmath.log(width)
        ends = [(low - centre) / width, (high - centre) / width]
        points = sorted({*ends, *(k for k in kinks if ends[0] < k < ends[-1])})
        return +mpmath.quad(lambda t: integrand(centre + width * t, log_width), points, method="tanh-sinh")


#: How far past q's panels :func:`kl_heavy_tail` continues, in widths, before it calls the integral divergent.
HEAVY_TAIL_WIDTHS = 10**7


def kl_heavy_tail(q: RefDensity, p: RefDensity) -> mpf:
    """``KL(q || p)`` for a q on ``[low, oo)`` whose log-ratio against p may grow as fast as q's density falls: a
    Pareto law in ``u = log x`` (:func:`log_pareto`, mass ``e^{-alpha u}``) against p pulled back (:func:`in_log`),
    whose log-density grows like ``e^{k u}`` (``lambda x``, ``(x - mu)**2``), so the integrand falls like
    ``e^{-(alpha - k) u}``, slowly when alpha is near k and not at all when ``alpha <= k``.

    Integrated over q's panels, then over further panels, each a quarter longer than the one before (a
    Gauss-Legendre rule on each: the integrand changes by a bounded factor across a panel where it matters), until
    a panel adds less than ``10**-DIGITS`` of the total so far and the integrand at its end is as small. +oo when
    the integrand :data:`HEAVY_TAIL_WIDTHS` widths out, times that length, is not below ``10**-DIGITS`` of the
    integral over q's panels (decided first, from that one value): the integral diverges (its integrand does not
    fall, or so slowly, ``e^{-t / 10**5}`` in widths t or slower, that no panel holds its tail)."""
    if not p.contains(q) or not mpmath.isinf(q.high):
        return kl_quadrature(q, p)
    with mpmath.workdps(DIGITS):
        log_width = mpmath.log(q.width)

        def integrand(t: mpf) -> mpf:
            x = q.centre + q.width * t
            if not q.low < x:
                return mpf(0)
            log_q = q.log_pdf(x)
            difference = log_q - p.log_pdf(x)
            return mpmath.exp(log_q + log_width) * difference if difference else mpf(0)

        points = [mpf(e) for e in q.panels]
        total = gauss_legendre(integrand, points)
        low, size, small = points[-1], mpf(points[-1] - points[-2]), mpf(10) ** -DIGITS
        if abs(integrand(mpf(HEAVY_TAIL_WIDTHS))) * HEAVY_TAIL_WIDTHS > small * abs(total):
            return mpmath.inf  # not negligible that far out: the tail's integral is not
        while low < HEAVY_TAIL_WIDTHS:
            size *= mpf("1.25")
            piece = gauss_legendre(integrand, [low, low + size])
            total += piece
            low += size
            if abs(piece) <= small * abs(total) and abs(integrand(low)) * size <= small * abs(total):
                return +total
        return mpmath.inf


def gauss_legendre(function: Callable[[mpf], mpf], points: Sequence[mpf]) -> mpf:
    """``int function`` over ``[points[0], points[-1]]``: the Gauss-Legendre rule of :data:`LEGENDRE_DEGREE` on each
    panel between consecutive points (the panels are narrow
    enough that a smooth piece of a density is one to well beyond :data:`DIGITS` digits). A fixed rule, not an
    adaptive one: mpmath's adaptive rules test convergence in absolute terms, which never holds for a divergence
    of size ``10**23`` (a tiny q against a huge p) until their maximal degree."""
    nodes, weights = _panel_rule(tuple(points), mpmath.mp.prec)
    return +mpmath.fdot(weights, [function(t) for t in nodes])


@lru_cache(maxsize=64)
def _panel_rule(points: tuple[mpf, ...], prec: int) -> tuple[tuple[mpf, ...], tuple[mpf, ...]]:
    """The nodes and weights of :func:`gauss_legendre` over the panels between consecutive ``points``, at the
    working precision ``prec`` (a density's panels are mostly the same at every point of the audit: computed once)."""
    rule = _legendre_rule()
    nodes, weights = [], []
    for low, high in pairwise(points):
        half, middle = (high - low) / 2, (high + low) / 2
        nodes += [middle + half * x for x, _ in rule]
        weights += [half * w for _, w in rule]
    return tuple(nodes), tuple(weights)


def _standard_rule(points: tuple[mpf, ...], prec: int, standard: Callable[[mpf], mpf]) -> tuple[list[mpf], ...]:
    """The nodes of :func:`gauss_legendre` over the panels between consecutive ``points``, the weights times
    ``e^standard(t)`` and ``standard(t)`` at them (:func:`_standard_panel`, panel by panel)."""
    nodes: list[mpf] = []
    masses: list[mpf] = []
    logs: list[mpf] = []
    for low, high in pairwise(points):
        panel = _standard_panel(low, high, prec, standard)
        nodes += panel[0]
        masses += panel[1]
        logs += panel[2]
    return nodes, masses, logs


@lru_cache(maxsize=1024)
def _standard_panel(low: mpf, high: mpf, prec: int, standard: Callable[[mpf], mpf]) -> tuple[tuple[mpf, ...], ...]:
    """One panel of :func:`_standard_rule`: the same for every law of the family (its panels are fixed in ``t``;
    only those p's kinks split differ from point to point)."""
    nodes, weights = _panel_rule((low, high), prec)
    logs = tuple(standard(t) for t in nodes)
    return nodes, tuple(w * mpmath.exp(g) for w, g in zip(weights, logs, strict=True)), logs


@cache
def _legendre_rule() -> tuple[tuple[mpf, mpf], ...]:
    """Nodes and weights of the Gauss-Legendre rule on ``[-1, 1]`` (mpmath's, at :data:`DIGITS` + 10 digits)."""
    with mpmath.workdps(DIGITS + 10):
        rule = GaussLegendre(mpmath.mp).calc_nodes(LEGENDRE_DEGREE, mpmath.mp.prec)
    return tuple((mpf(x), mpf(w)) for x, w in rule)


def kl_sum(pairs: Sequence[tuple[RefDensity, RefDensity]]) -> mpf:
    """The KL divergence of two product densities: the sum of the coordinates' divergences."""
    with mpmath.workdps(DIGITS):
        return +mpmath.fsum(kl_quadrature(q, p) for q, p in pairs)


def mv_normal_kl(m1: Sequence[Real], s1: Sequence[Sequence[Real]], m2: Sequence[Real],
                 s2: Sequence[Sequence[Real]]) -> mpf:
    """KL(N(m1, S1) || N(m2, S2)) for full covariances, reduced to univariate quadratures by invariance.

    KL is unchanged by a bijection applied to both densities. ``x -> U^T L^-1 (x - m2)``, with ``S2 = L L^T``
    (Cholesky) and ``L^-1 S1 L^-T = U diag(lambda) U^T`` (eigendecomposition), maps p to ``N(0, I)`` and q to
    ``N(b, diag(lambda))`` with ``b = U^T L^-1 (m1 - m2)``: both products, so the divergence is the sum over the
    coordinates of ``KL(N(b_i, lambda_i) || N(0, 1))``, each by :func:`kl_quadrature`.
    """
    with mpmath.workdps(DIGITS + 10):
        chol = mpmath.cholesky(mpmath.matrix(s2))
        inverse = chol**-1
        whitened = inverse * mpmath.matrix(s1) * inverse.T
        whitened = (whitened + whitened.T) / 2
        eigenvalues, vectors = mpmath.eigsy(whitened)
        shift = vectors.T * (inverse * (mpmath.matrix(m1) - mpmath.matrix(m2)))
        pairs = [(normal(shift[i], mpmath.sqrt(eigenvalues[i])), normal(0, 1)) for i in range(len(eigenvalues))]
    return kl_sum(pairs)


def kl_finite(q: Sequence[Real], p: Sequence[Real]) -> mpf:
    """KL of two laws on the same finite set, from their masses: ``sum_k q_k (log q_k - log p_k)``, a term with
    ``q_k = 0`` being 0 (``x log x -> 0``) and one with ``q_k > 0 = p_k`` making the divergence infinite."""
    with mpmath.workdps(DIGITS):
        total = []
        for a, b in zip(_mp(*q), _mp(*p), strict=True):
            if a == 0:
                continue
            if b == 0:
                return mpmath.inf
            total.append(a * (mpmath.log(a) - mpmath.log(b)))
        return +mpmath.fsum(total)


def kl_series(log_mass_q: Callable[[int], mpf], log_mass_p: Callable[[int], mpf], start: int, stop: int) -> mpf:
    """KL of two laws of a count, from their log-masses: ``sum_k q_k (log q_k - log p_k)`` over ``start <= k <
    stop``, a window the caller chooses to hold all but ``10**-DIGITS`` of q's mass (the log-ratio grows at most
    polynomially in k, so the terms outside are negligible too)."""
    with mpmath.workdps(DIGITS):
        total = []
        for k in range(start, stop):
            log_q = log_mass_q(k)
            total.append(mpmath.exp(log_q) * (log_q - log_mass_p(k)))
        return +mpmath.fsum(total)


def poisson_kl(q_rate: Real, p_rate: Real) -> mpf:
    """KL(Poisson(q_rate) || Poisson(p_rate)) by :func:`kl_series` over q's mass: ``rate +- 16 sqrt(rate) + 80``."""
    with mpmath.workdps(DIGITS):
        a, b = _mp(q_rate, p_rate)
        spread = 16 * mpmath.sqrt(a) + 80
        start, stop = max(0, int(a - spread)), int(a + spread) + 1

        def log_mass(rate: mpf) -> Callable[[int], mpf]:
            log_rate = mpmath.log(rate)
            return lambda k: k * log_rate - rate - mpmath.loggamma(k + 1)

        return kl_series(log_mass(a), log_mass(b), start, stop)


def geometric_kl(q_probs: Real, p_probs: Real) -> mpf:
    """KL(Geometric(q_probs) || Geometric(p_probs)) (failures before the first success: mass ``p (1 - p)**k``) as the
    sum ``sum_k q_k (log q_k - log p_k)`` over ``k < 75 / q_probs``, beyond which q's mass ``(1 - p)**k`` is below
    ``e**-75``. The log-ratio is ``log(a / b) + k log((1 - a) / (1 - b))``; the masses are multiplied along, ``q_{k+1}
    = q_k (1 - a)`` (up to 75 000 terms at the audit's edge 1e-3: a rounding of ``k`` units of the last of 30
    digits, not an exponential per term)."""
    with mpmath.workdps(DIGITS):
        a, b = _mp(q_probs, p_probs)
        fail = 1 - a
        ratio, step = mpmath.log(a) - mpmath.log(b), mpmath.log1p(-a) - mpmath.log1p(-b)
        total, mass = [], a
        for k in range(int(75 / a) + 2):
            total.append(mass * (ratio + k * step))
            mass *= fail
        return +mpmath.fsum(total)


def kl_dirichlet(a: Sequence[Real], b: Sequence[Real]) -> mpf:
    """KL of two Dirichlet laws over K coordinates by stick-breaking: ``x_1 = v_1``, ``x_i = v_i prod_{j<i}
    (1 - v_j)`` maps independent ``v_i ~ Beta(a_i, a_{i+1} + ... + a_K)`` (i < K) one to one onto the simplex with
    the Dirichlet law, for both laws alike, so the divergence is the sum of the K - 1 Beta divergences of the
    sticks (each by :func:`kl_quadrature` of the log-odds densities, :func:`logit_beta`). At K = 2 it is the one
    Beta divergence of ``x_1``."""
    with mpmath.workdps(DIGITS):
        a, b = [mpf(v) for v in a], [mpf(v) for v in b]
        return mpmath.fsum(kl_quadrature(logit_beta(a[i], mpmath.fsum(a[i + 1:])),
                                         logit_beta(b[i], mpmath.fsum(b[i + 1:]))) for i in range(len(a) - 1))
