"""Numeric evaluation of derivation lines at parameter points, integrals by quadrature.

Used by the checker as an independent witness: a line's value is computed without any of the
rules, at random admissible points, with every expectation and integral done by the quadrature of
the law that weights it (``derivation.laws``): Gauss-Hermite in 30-digit arithmetic centred on a
Gaussian (exact for polynomial times Gaussian integrands, which is what those lines hold), adaptive
quadrature split at the kinks for the others. Integrals without a density fall back to ``mpmath.quad``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence

import mpmath
from sympy import Abs, Basic, Derivative, Expr, Float, Integral, Poly, Symbol, Tuple, lambdify

from ..core.forms import evaluated
from ..laws.base import quadrature
from ..laws.normal import DIGITS, NormalLaw
from ..nodes.scalar import KL, Density, Expectation

INTEGRAL_NODES = (KL, Expectation, Integral)

Point = dict[Symbol, mpmath.mpf]
#: The most random points drawn to find the admissible ones (a condition holding on 1/24 of the draws, such as
#: the ordering of four ends of two nested intervals, needs about 24 a point).
MAX_DRAWS = 10_000


def sample_points(symbols: Iterable[Symbol], count: int, seed: int = 2604_11744,
                  ranges: Mapping[Symbol, tuple[float, float]] | None = None,
                  admissible: Callable[[Point], bool] | None = None) -> list[Point]:
    """``count`` random admissible points: positive symbols in [0.4, 2.5], real ones in [-2, 2], a symbol given a
    range (a probability, say) uniformly in it; a point ``admissible`` refuses (the ends of a uniform law in the
    wrong order) is drawn again."""
    rng = random.Random(seed)
    ordered = sorted(set(symbols), key=str)
    ranges = ranges or {}
    points: list[Point] = []
    for _ in range(MAX_DRAWS if count else 0):
        point: Point = {}
        for s in ordered:
            if s in ranges:
                point[s] = mpmath.mpf(rng.uniform(*ranges[s]))
            elif s.is_integer and s.is_positive:
                point[s] = mpmath.mpf(rng.randint(1, 4))
            elif s.is_positive:
                point[s] = mpmath.mpf(rng.uniform(0.4, 2.5))
            else:
                point[s] = mpmath.mpf(rng.uniform(-2.0, 2.0))
        if admissible is None or admissible(point):
            points.append(point)
            if len(points) == count:
                return points
    if not count:
        return points
    raise ValueError("no admissible parameter values were found for the checker's random points")


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
        #: integrals by what is integrated (integrand with densities written out, limits, weighting law): one integral
        #: met in several lines, or in two forms that evaluate alike (d/da under or outside the sign), is done once
        self._integrals: dict[tuple, list] = {}

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
        if any(d.has(*INTEGRAL_NODES) for d in expr.atoms(Derivative)):  # d/da of an integral: under the sign
            expr = evaluated(expr)
        integrals = _outer_integrals(expr)
        dummies = fresh_symbols(len(integrals), expr, "I")
        outer = _with_pdfs(expr.xreplace(dict(zip(integrals, dummies, strict=False))))
        params = sorted(outer.free_symbols - set(dummies), key=str)
        function = compiled([*params, *dummies], outer, self.exact)
        inner = [self.values_of_integral(node) for node in integrals]
        return [
            self._number(function(*(point[s] for s in params), *(values[i] for values in inner)))
            for i, point in enumerate(self.points)
        ]

    def values_of_integral(self, node: Expr, centre: Density | None = None) -> list:
        """Quadrature of one KL, expectation or integral at each point, by the law of the density that weights
        the integrand (q for KL(q || p)): Gauss-Hermite for a Gaussian, adaptive quadrature split at every kink
        ``|x - a|`` of the integrand for the others.
        """
        if isinstance(node, KL):
            return self.values_of_integral(node.as_integral(), node.q)
        if isinstance(node, Expectation):
            node, centre = node.as_integral(), node.density
        (variable, low, high), = node.limits
        densities = [centre] if centre is not None else (
            _weights(node.function) or sorted(node.atoms(Density), key=lambda d: d.name != "" and d.name))
        law = densities[0].law if densities else None
        if law is not None and (low, high) != (law.support.inf, law.support.sup):
            law = None  # a part of the support: adaptive quadrature over the limits
        if law is None and not self.exact:
            raise ValueError("no density to integrate against: left to the exact evaluator")
        integrand = _with_pdfs(node.function)
        key = (integrand, variable, low, high, law)
        if key not in self._integrals:
            self._integrals[key] = self._quadratures(integrand, variable, low, high, law)
        return self._integrals[key]

    def _quadratures(self, integrand: Expr, variable: Symbol, low: Expr, high: Expr, law) -> list:
        """``int integrand d(variable)`` from ``low`` to ``high`` at each point, by ``law``'s quadrature (adaptive
        over the limits when ``law`` is None)."""
        kinks = _kinks(integrand, variable)
        if law is None or kinks or not isinstance(law, NormalLaw):  # adaptive: hundreds of nodes a point
            integrand, constants = hoisted(integrand, variable)
        else:  # Gauss-Hermite's 24 nodes: compiling the constant parts apart costs more than it saves
            constants = {}
        params = sorted(integrand.free_symbols - {variable} - set(constants), key=str)
        outer = sorted(set().union(*(c.free_symbols for c in constants.values())), key=str)
        # compiled when first called: a law without a double-precision quadrature refuses before calling it
        function = _OnFirstCall(lambda: compiled([variable, *params, *constants], integrand, self.exact))
        constant_values = _OnFirstCall(lambda: compiled(outer, Tuple(*constants.values()), self.exact))

        def at(point: Point) -> Callable:
            arguments: list = []

            def value(t):
                if not arguments:  # the parts free of the variable: once per point, not at every node
                    arguments.extend(point[s] for s in params)
                    if constants:
                        arguments.extend(self._number(v) for v in constant_values(*(point[s] for s in outer)))
                return function(t, *arguments)
            return value

        results = []
        for point in self.points:
            breakpoints = [self._number(number_at(k, point)) for k in kinks]
            if law is not None:
                values = [self._number(number_at(v, point)) for v in law.parameters]
                results.append(law.integrate(at(point), values, self.exact, breakpoints))
            else:
                ends = [self._number(number_at(limit, point)) if limit.is_finite else float(limit)
                        for limit in (low, high)]
                results.append(quadrature(at(point), *ends, breakpoints))
        return results


class _OnFirstCall:
    """A function made by ``make`` when it is first called."""

    def __init__(self, make: Callable[[], Callable]):
        self._make, self._function = make, None

    def __call__(self, *arguments):
        if self._function is None:
            self._function = self._make()
        return self._function(*arguments)


def fresh_symbols(count: int, expr: Basic, stem: str) -> list[Symbol]:
    """``count`` symbols ``_<stem>0``, ``_<stem>1``, ... that ``expr`` does not use: placeholders for ``lambdify``
    (a ``Dummy`` argument makes it rebuild the whole expression once per argument)."""
    taken = {s.name for s in expr.free_symbols}
    names = (f"_{stem}{i}" for i in range(count + len(taken)))
    return [Symbol(name) for name in names if name not in taken][:count]


def hoisted(integrand: Expr, variable: Symbol) -> tuple[Expr, dict[Symbol, Expr]]:
    """``integrand`` with each largest part free of ``variable`` (a normalising constant ``Gamma(a + b) /
    (Gamma(a) Gamma(b))``, ``log sigma``, an exponent ``a - 1``) replaced by a symbol, and those parts: a quadrature
    computes them once per point instead of at every node (the integrand's value is unchanged)."""
    parts: dict[Expr, Symbol] = {}
    taken = {s.name for s in integrand.free_symbols}
    names = (Symbol(name) for name in (f"_c{i}" for i in range(10**6)) if name not in taken)

    def walk(expr: Expr) -> Expr:
        if not expr.has(variable):
            if expr.is_Atom:
                return expr
            if expr not in parts:
                parts[expr] = next(names)
            return parts[expr]
        if not expr.args:
            return expr
        if expr.is_Add or expr.is_Mul:
            free = [a for a in expr.args if not a.has(variable)]
            bound = [walk(a) for a in expr.args if a.has(variable)]
            return expr.func(*bound, *([walk(expr.func(*free))] if free else []))
        return expr.func(*(walk(a) for a in expr.args))

    try:
        rewritten = walk(integrand)
    except (TypeError, ValueError):  # a node that cannot be rebuilt from new arguments: compute it as it is
        return integrand, {}
    return rewritten, {dummy: part for part, dummy in parts.items()}


def _kinks(integrand: Expr, variable: Symbol) -> list[Expr]:
    """The points ``a`` of every ``|x - a|`` (linear in x) in the integrand: where a quadrature splits."""
    kinks = []
    for node in integrand.atoms(Abs):
        polynomial = Poly(node.args[0], variable) if node.args[0].is_polynomial(variable) else None
        if polynomial is not None and polynomial.degree() == 1:
            slope, offset = polynomial.all_coeffs()
            kinks.append(-offset / slope)
    return kinks


def _weights(integrand: Expr) -> list[Density]:
    """The densities the integrand is a multiple of (``q`` in ``q(x) log(q(x)/p(x))``): the ones to centre on."""
    parts = integrand.args if integrand.is_Mul else (integrand,)
    return [f for f in parts if isinstance(f, Density)]


def compiled(arguments: list[Symbol], expr: Expr, exact: bool = True):
    """``lambdify`` with mpmath (or ``math`` for double precision); a parameter named like a name of that
    module (``pi``, ``e``, ``exp``) is renamed first, so it cannot shadow it in the generated function.

    Made once per process for the same arguments, expression and precision (a line's parts met by several
    evaluators: the checker's two precisions, a lemma and the step that cites it)."""
    key = (tuple(arguments), expr, exact)
    if key not in _COMPILED:
        if len(_COMPILED) >= 4096:
            _COMPILED.clear()
        _COMPILED[key] = _compile(arguments, expr, exact)
    return _COMPILED[key]


_COMPILED: dict[tuple, Callable] = {}


def _compile(arguments: list[Symbol], expr: Expr, exact: bool):
    module = mpmath if exact else math
    renamed = [s for s in arguments if hasattr(module, s.name) or s.name == "polygamma"]
    clashing = dict(zip(renamed, fresh_symbols(len(renamed), Tuple(*arguments, expr), "p"), strict=True))
    if clashing:
        expr, arguments = expr.xreplace(clashing), [clashing.get(s, s) for s in arguments]
    modules = "mpmath" if exact else [{"polygamma": float_polygamma}, "math"]
    return lambdify(arguments, expr, modules=modules, docstring_limit=0)


#: The asymptotic series' coefficients: ``psi(x) ~ log x - 1/(2x) - sum B_2k / (2k x^2k)`` and
#: ``psi'(x) ~ 1/x + 1/(2 x^2) + sum B_2k / x^(2k+1)`` (Bernoulli numbers B_2 ... B_12), used from x = 12 on.
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730)


def float_polygamma(order: float, x: float) -> float:
    """The digamma (``order`` 0) or trigamma (1) function in double precision, for the checker's first look (the
    math module has neither): the recurrences ``psi(x) = psi(x + 1) - 1/x``, ``psi'(x) = psi'(x + 1) + 1/x^2`` up to
    x >= 12, then the asymptotic series (error below 1e-15 there). ``ValueError`` at x <= 0 or another order (the
    exact evaluator decides)."""
    if x <= 0 or order not in (0, 1):
        raise ValueError("polygamma in double precision: left to the exact evaluator")
    shift = 0.0
    while x < 12:
        shift += 1 / x if order == 0 else 1 / (x * x)
        x += 1
    square = 1 / (x * x)
    if order == 0:
        series = math.fsum(b / (2 * k) * square**k for k, b in enumerate(_BERNOULLI, 1))
        return math.log(x) - 1 / (2 * x) - series - shift
    series = math.fsum(b * square**k / x for k, b in enumerate(_BERNOULLI, 1))
    return 1 / x + square / 2 + series + shift


def number_at(expr: Expr, point: Point) -> mpmath.mpf:
    """The value of a closed-form expression at ``point``."""
    values = {s: Float(point[s], DIGITS) for s in expr.free_symbols}
    return mpmath.mpf(evaluated(expr).xreplace(values).evalf(DIGITS))


def close(a: mpmath.mpf, b: mpmath.mpf, tolerance: float = 1e-15) -> bool:
    """Equal to ``tolerance`` relative to the larger magnitude (absolute near zero); an infinity is close only to
    itself (``inf - x <= tolerance * inf`` would hold for every finite x)."""
    if mpmath.isinf(a) or mpmath.isinf(b):
        return a == b
    return abs(a - b) <= tolerance * max(1, abs(a), abs(b))
