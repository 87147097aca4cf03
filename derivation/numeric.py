"""Numeric evaluation of derivation lines at parameter points, integrals by quadrature.

Used by the checker as an independent witness: a line's value is computed without any of the
rules, at random admissible points, with every expectation and integral over the real line done
by Gauss-Hermite quadrature in 30-digit arithmetic, centred on the Gaussian density in the
integrand (exact for polynomial times Gaussian integrands, which is what these lines hold).
Integrals without a Gaussian to centre on fall back to ``mpmath.quad``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from functools import cache

import mpmath
from sympy import Basic, Dummy, Expr, Float, Integral, Symbol, lambdify, oo

from .forms import evaluated
from .nodes import KL, Density, Expectation

DIGITS = 30
HERMITE_NODES = 24
INTEGRAL_NODES = (KL, Expectation, Integral)

Point = dict[Symbol, mpmath.mpf]


@cache
def hermite_rule(n: int = HERMITE_NODES) -> tuple[tuple[mpmath.mpf, mpmath.mpf], ...]:
    """Nodes and weights of n-point Gauss-Hermite quadrature: ``int f(t) exp(-t**2) dt ~ sum w f(t)``.

    Newton's method on the orthonormal Hermite recurrence, from the usual asymptotic first guesses.
    """
    with mpmath.workdps(DIGITS + 10):
        roots: list[mpmath.mpf] = []
        weights: list[mpmath.mpf] = []
        quarter = mpmath.pi ** mpmath.mpf(-0.25)
        z = mpmath.mpf(0)
        for i in range((n + 1) // 2):
            if i == 0:
                z = mpmath.sqrt(2 * n + 1) - 1.85575 * (2 * n + 1) ** (-1 / 6)
            elif i == 1:
                z -= 1.14 * n**0.426 / z
            elif i == 2:
                z = 1.86 * z - 0.86 * roots[0]
            elif i == 3:
                z = 1.91 * z - 0.91 * roots[1]
            else:
                z = 2 * z - roots[i - 2]
            for _ in range(100):
                p1, p2 = quarter, mpmath.mpf(0)
                for j in range(1, n + 1):
                    p1, p2 = z * mpmath.sqrt(mpmath.mpf(2) / j) * p1 - mpmath.sqrt(mpmath.mpf(j - 1) / j) * p2, p1
                derivative = mpmath.sqrt(2 * n) * p2
                step = p1 / derivative
                z -= step
                if abs(step) < mpmath.mpf(10) ** (-(DIGITS + 5)):
                    break
            roots.append(z)
            weights.append(2 / derivative**2)
        pairs = list(zip(roots, weights, strict=True))
        rule = pairs + [(-r, w) for r, w in pairs if r != 0]
        return tuple(sorted(rule))


def sample_points(symbols: Iterable[Symbol], count: int, seed: int = 2604_11744) -> list[Point]:
    """``count`` random admissible points: positive symbols in [0.4, 2.5], real ones in [-2, 2]."""
    rng = random.Random(seed)
    ordered = sorted(set(symbols), key=str)
    points = []
    for _ in range(count):
        point: Point = {}
        for s in ordered:
            if s.is_integer and s.is_positive:
                point[s] = mpmath.mpf(rng.randint(1, 4))
            elif s.is_positive:
                point[s] = mpmath.mpf(rng.uniform(0.4, 2.5))
            else:
                point[s] = mpmath.mpf(rng.uniform(-2.0, 2.0))
        points.append(point)
    return points


def _with_pdfs(expr: Expr) -> Expr:
    """Named densities replaced by their formulas, display forms evaluated."""
    return evaluated(expr).replace(lambda e: isinstance(e, Density), lambda e: e.pdf())


def _outer_integrals(expr: Basic) -> list[Expr]:
    """The integral-like nodes of ``expr`` that are not inside another one."""
    if isinstance(expr, INTEGRAL_NODES):
        return [expr]
    found: list[Expr] = []
    for arg in expr.args:
        found.extend(n for n in _outer_integrals(arg) if n not in found)
    return found


class Evaluator:
    """Values of expressions at fixed points; each expression is compiled once per evaluator.

    ``exact`` evaluators work in :data:`DIGITS`-digit arithmetic (mpmath); the others in double
    precision (the ``math`` module, about ten times faster), which the checker tries first. A double
    evaluation that overflows or leaves the reals raises ``ArithmeticError``/``ValueError``/``TypeError``.
    """

    def __init__(self, points: Sequence[Point], exact: bool = True):
        self.exact = exact
        self.points = list(points) if exact else [{s: float(v) for s, v in p.items()} for p in points]
        self._values: dict[Expr, list] = {}

    def _number(self, value) -> mpmath.mpf | float:
        return mpmath.mpf(value) if self.exact else float(value)

    def values(self, expr: Expr) -> list:
        """The value of ``expr`` at each point."""
        if expr not in self._values:
            if self.exact:
                with mpmath.workdps(DIGITS):
                    self._values[expr] = self._compute(expr)
            else:
                self._values[expr] = self._compute(expr)
        return self._values[expr]

    def _compute(self, expr: Expr) -> list:
        integrals = _outer_integrals(expr)
        dummies = [Dummy("I") for _ in integrals]
        outer = _with_pdfs(expr.xreplace(dict(zip(integrals, dummies, strict=False))))
        params = sorted(outer.free_symbols - set(dummies), key=str)
        function = _compiled([*params, *dummies], outer, self.exact)
        inner = [self.values_of_integral(node) for node in integrals]
        return [
            self._number(function(*(point[s] for s in params), *(values[i] for values in inner)))
            for i, point in enumerate(self.points)
        ]

    def values_of_integral(self, node: Expr, centre: Density | None = None) -> list[mpmath.mpf]:
        """Quadrature of one KL, expectation or whole-line integral at each point.

        The nodes are centred on the density that weights the integrand (q for KL(q || p)).
        """
        if isinstance(node, KL):
            return self.values_of_integral(node.as_integral(), node.q)
        if isinstance(node, Expectation):
            node, centre = node.as_integral(), node.density
        (variable, low, high), = node.limits
        if (low, high) != (-oo, oo):
            raise NotImplementedError("only integrals over the whole real line are evaluated")
        densities = [centre] if centre is not None else (
            _weights(node.function) or sorted(node.atoms(Density), key=lambda d: d.name != "" and d.name))
        integrand = _with_pdfs(node.function)
        params = sorted(integrand.free_symbols - {variable}, key=str)
        function = _compiled([variable, *params], integrand, self.exact)
        results = []
        for point in self.points:
            args = [point[s] for s in params]
            if densities:
                centre = tuple(self._number(v) for v in _density_centre(densities[0], point))
                quadrature = _gauss_hermite if self.exact else _gauss_hermite_double
                results.append(quadrature(lambda t, a=args: function(t, *a), *centre))
            elif self.exact:
                results.append(mpmath.quad(lambda t, a=args: function(t, *a), [-mpmath.inf, mpmath.inf]))
            else:
                raise ValueError("no Gaussian to centre the quadrature on: left to the exact evaluator")
        return results


def _weights(integrand: Expr) -> list[Density]:
    """The densities the integrand is a multiple of (``q`` in ``q(x) log(q(x)/p(x))``): the ones to centre on."""
    parts = integrand.args if integrand.is_Mul else (integrand,)
    return [f for f in parts if isinstance(f, Density)]


def _compiled(arguments: list[Symbol], expr: Expr, exact: bool = True):
    """``lambdify`` with mpmath (or ``math`` for double precision); a parameter named like a name of that
    module (``pi``, ``e``, ``exp``) is renamed first, so it cannot shadow it in the generated function."""
    module = mpmath if exact else math
    clashing = {s: Dummy() for s in arguments if hasattr(module, s.name)}
    if clashing:
        expr, arguments = expr.xreplace(clashing), [clashing.get(s, s) for s in arguments]
    return lambdify(arguments, expr, modules="mpmath" if exact else "math", docstring_limit=0)


def _density_centre(density: Density, point: Point) -> tuple[mpmath.mpf, mpmath.mpf]:
    return number_at(density.mean, point), number_at(density.std, point)


def number_at(expr: Expr, point: Point) -> mpmath.mpf:
    """The value of a closed-form expression at ``point``."""
    values = {s: Float(point[s], DIGITS) for s in expr.free_symbols}
    return mpmath.mpf(evaluated(expr).xreplace(values).evalf(DIGITS))


def _gauss_hermite(function, mean: mpmath.mpf, std: mpmath.mpf) -> mpmath.mpf:
    """``int function(x) dx`` with nodes ``x = mean + sqrt(2) std t``, for integrands ~ N(mean, std**2)."""
    scale = mpmath.sqrt(2) * std
    return scale * mpmath.fsum(w * mpmath.exp(t * t) * function(mean + scale * t) for t, w in hermite_rule())


def _gauss_hermite_double(function, mean: float, std: float) -> float:
    """:func:`_gauss_hermite` in double precision."""
    scale = math.sqrt(2) * std
    return scale * math.fsum(w * math.exp(t * t) * function(mean + scale * t) for t, w in hermite_rule_double())


@cache
def hermite_rule_double() -> tuple[tuple[float, float], ...]:
    """:func:`hermite_rule` rounded to doubles."""
    return tuple((float(t), float(w)) for t, w in hermite_rule())


def close(a: mpmath.mpf, b: mpmath.mpf, tolerance: float = 1e-15) -> bool:
    """Equal to ``tolerance`` relative to the larger magnitude (absolute near zero)."""
    return abs(a - b) <= tolerance * max(1, abs(a), abs(b))
