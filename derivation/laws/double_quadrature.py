"""A double-precision quadrature for the checker's first look at an integral over a law's support (it can only
accept a step: values that disagree are decided again in 30 digits).

Double-exponential (tanh-sinh) rules: on ``[a, b]``, ``x = c + r tanh(pi/2 sinh t)``; on ``[a, oo)``,
``x = a + exp(pi/2 sinh t)``; on ``(-oo, oo)``, ``x = sinh(pi/2 sinh t)``. The transformed integrand decays doubly
exponentially in ``t``, so the trapezoidal sum with step ``h`` converges as fast as ``h`` halves, end singularities
such as ``x**(a - 1)`` near 0 included. A sum is taken when two successive steps agree to
:data:`AGREEMENT`; the sum stops outward where its terms become negligible. Where the rule cannot be trusted (a term
that is not finite, an integrand that raises, terms still large where the nodes reach the end of the floating-point
range or where the integrand stops being computable, no agreement by the finest step) it raises ``ValueError``,
and the 30-digit quadrature decides.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from itertools import pairwise

#: Two successive steps' sums agreeing to this (relative, absolute below 1) are taken: the later one is far closer.
AGREEMENT = 1e-13
#: The first step ``2**-k`` whose sum is compared with the one before (the coarsest two may agree by chance).
FIRST_COMPARED = 3
#: Steps ``2**-k`` for k up to this (at most about 2 * 7 * 2**FINEST nodes a piece).
FINEST = 7
#: A term below this share of the sum so far, three times in a row, ends the sum in that direction.
NEGLIGIBLE = 1e-18
#: Where a sum stopped at the end of the floating-point range, its last term must be below this share of it.
TRUNCATION = 1e-13
#: The farthest node, in t.
T_MAX = 7.0

HALF_PI = math.pi / 2


def double_quadrature(function: Callable[[float], float], low: float, high: float,
                      breakpoints: Sequence[float] = ()) -> float:
    """``int_low^high function(x) dx`` in double precision, split at the breakpoints inside (ends may be
    infinite); ``ValueError`` where the rule cannot be trusted (see the module)."""
    inside = sorted({float(b) for b in breakpoints if low < float(b) < high})
    ends = [float(low), *inside, float(high)]
    return math.fsum(_piece(function, a, b) for a, b in pairwise(ends))


def _piece(function: Callable[[float], float], a: float, b: float) -> float:
    node = _change_of_variable(a, b)
    values: dict[int, float] = {}  # the terms w(t) f(x(t)) by t in units of the finest step
    unit = 2.0 ** -FINEST

    def term(j: int) -> float | None:
        """The term at ``t = j * unit``; None where the nodes have reached an end of the floating-point range, or
        the integrand cannot be computed there in double precision (an overflow, the log of an underflowed 0)."""
        if j not in values:
            x, weight = node(j * unit)
            value = None
            if x is not None:
                try:
                    value = weight * function(x) if weight else 0.0
                except (ArithmeticError, ValueError, TypeError):
                    value = None
                if value is not None and not math.isfinite(value):
                    value = None
            values[j] = value
        return values[j]

    previous, reach = None, {1: 0, -1: 0}
    for level in range(1, FINEST + 1):
        stride = 2 ** (FINEST - level)
        total = _sum(term, stride, reach)
        estimate = total * stride * unit
        if level >= FIRST_COMPARED and abs(estimate - previous) <= AGREEMENT * max(1.0, abs(estimate)):
            return estimate
        previous = estimate
    raise ValueError("the double-precision quadrature did not settle")


def _sum(term: Callable[[int], float | None], stride: int, reach: dict[int, int]) -> float:
    """The trapezoidal sum of the terms at every ``stride``-th node, outward from t = 0 in both directions, each
    direction at least as far as the coarser steps went (``reach``, updated): a sum stops where its terms have become
    negligible against the largest seen, never before it has seen one that is not 0."""
    centre = term(0)
    if centre is None:
        raise ValueError("the double-precision quadrature cannot compute its integrand at the centre")
    parts = [centre]
    size = abs(centre)
    for direction in (1, -1):
        quiet, j = 0, direction * stride
        while (quiet < 3 or abs(j) <= reach[direction]) and abs(j) * 2.0 ** -FINEST <= T_MAX:
            value = term(j)
            if value is None:  # the end of the range (or of double precision): the terms there must be negligible
                if abs(_last_term(term, j, direction)) > TRUNCATION * max(size, 1e-300):
                    raise ValueError("the double-precision quadrature was cut off where its terms are not small")
                break
            parts.append(value)
            size = max(size, abs(value))
            quiet = quiet + 1 if size > 0 and abs(value) <= NEGLIGIBLE * size else 0
            j += direction * stride
        else:
            if quiet < 3:
                raise ValueError("the double-precision quadrature's terms are not small at its farthest node")
        reach[direction] = max(reach[direction], abs(j))
    if size == 0:
        raise ValueError("the integrand is 0 at every node of the double-precision quadrature")
    return math.fsum(parts)


def _last_term(term: Callable[[int], float | None], j: int, direction: int) -> float:
    """The term at the last node (in steps of the finest unit) before ``j``, where the nodes reach an end."""
    while term(j) is None and j != 0:
        j -= direction
    return term(j)


def _change_of_variable(a: float, b: float) -> Callable[[float], tuple[float | None, float]]:
    """``t -> (x(t), dx/dt)`` of the double-exponential substitution for ``[a, b]``; x None past the last node the
    floating-point numbers can tell from an end."""
    if math.isfinite(a) and math.isfinite(b):
        half = (b - a) / 2

        def finite(t: float) -> tuple[float | None, float]:
            u = HALF_PI * math.sinh(t)
            small = math.exp(-2 * abs(u))  # 1 - tanh|u| = 2 small / (1 + small), without cancelling
            distance = 2 * half * small / (1 + small)
            x = b - distance if u > 0 else a + distance
            if x in (a, b) and t != 0:
                return None, 0.0
            return x, half * HALF_PI * math.cosh(t) * 4 * small / (1 + small) ** 2
        return finite
    if math.isfinite(a) or math.isfinite(b):
        end, sign = (a, 1.0) if math.isfinite(a) else (b, -1.0)

        def half_line(t: float) -> tuple[float | None, float]:
            v = HALF_PI * math.sinh(t)
            if v > 700:
                return None, 0.0
            distance = math.exp(v)
            x = end + sign * distance
            if x == end:
                return None, 0.0
            return x, HALF_PI * math.cosh(t) * distance
        return half_line

    def line(t: float) -> tuple[float | None, float]:
        v = HALF_PI * math.sinh(t)
        if abs(v) > 700:
            return None, 0.0
        return math.sinh(v), HALF_PI * math.cosh(t) * math.cosh(v)
    return line
