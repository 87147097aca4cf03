"""The interface every law (distribution family) implements, and the quadratures the checker uses."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import ClassVar

import mpmath
from sympy import (
    Abs,
    Add,
    And,
    Basic,
    Expr,
    Integer,
    Interval,
    Poly,
    S,
    Symbol,
    Union,
    exp,
    expand,
    factor,
    lambdify,
    log,
)
from sympy.logic.boolalg import Boolean

from ..core.forms import add, as_expr, evaluated, neg, sub
from .double_quadrature import double_quadrature

Number = float | mpmath.mpf
Integrand = Callable[[Number], Number]


class Law(Basic):
    """A distribution family with its parameters as SymPy expressions (``NormalLaw(mu, sigma)``).

    A law supplies what the engine asks of a family: the density ``pdf(x)`` and its log split into a part
    free of ``x`` (:meth:`log_normaliser`) and the rest (:meth:`energy`, so that
    ``log pdf(x) = log_normaliser - energy(x)``), its support (the limits of every integral against it), the
    moments it knows, and a quadrature for the checker's numeric witness. Printing is the printer's
    ``_print_<Law>``; exports use :attr:`family` and :attr:`parameter_names` (torch's names).
    """

    #: The family's name in specs and in ``torch.distributions`` (``"Normal"``).
    family: ClassVar[str]
    #: The parameters' names in ``torch.distributions``, in order (``("loc", "scale")``).
    parameter_names: ClassVar[tuple[str, ...]]
    #: Where the density is positive: every integral against the law runs over it (a sum for a discrete law). A
    #: family whose support depends on its parameters (Uniform, Pareto) makes it a property of the law.
    support: ClassVar[Interval] = S.Reals
    #: Where the checker draws each parameter, when its symbol's assumptions say too little (None: by them).
    parameter_ranges: ClassVar[tuple[tuple[float, float] | None, ...] | None] = None
    #: Each parameter's domain when its symbol's assumptions say too little (a probability: the open unit interval).
    parameter_domains: ClassVar[tuple[Interval | None, ...] | None] = None
    #: The family's other parameterisations: kind -> the law's parameter in terms of it (Bernoulli's logits).
    parameterisations: ClassVar[Mapping[str, Callable[[Expr], Expr]]] = MappingProxyType({})
    #: A law of an integer variable: its "integrals" are sums over the integers of the support.
    discrete: ClassVar[bool] = False
    #: A law of a column vector (``MvNormalLaw``): its integrals run over all of R^k.
    vector: ClassVar[bool] = False
    #: The letters a textbook gives the parameters (``("mu", "b")``), which example specs (``kl-derive build``'s
    #: family documents) suffix with ``_q`` and ``_p``; None: :attr:`parameter_names`.
    symbols: ClassVar[tuple[str, ...] | None] = None

    def __new__(cls, *parameters: Expr | int) -> Law:
        if len(parameters) != len(cls.parameter_names):
            raise TypeError(f"{cls.family} takes {len(cls.parameter_names)} parameters, got {len(parameters)}")
        return Basic.__new__(cls, *(as_expr(p) for p in parameters))

    @classmethod
    def given(cls, kind: str, value: Expr, *leading: Expr) -> Law:
        """The law of a spec, its last parameter given as ``kind`` (``Bernoulli(probs=p)``) after the ``leading``
        ones (a Gamma spec's concentration); a family whose other parameterisation is another expression of its
        parameter overrides this (``Exponential``'s scale is the rate ``1/s``)."""
        if leading or (kind,) != cls.parameter_names:
            raise ValueError(f"{cls.family} is not parameterised by {kind}")
        return cls(value)

    @property
    def parameters(self) -> tuple[Expr, ...]:
        return self.args

    @property
    def free_symbols(self) -> set:
        return set().union(*(p.free_symbols for p in self.args))

    def ranges(self) -> dict[Symbol, tuple[float, float]]:
        """Where the checker draws the symbols that are this law's parameters (see :attr:`parameter_ranges`)."""
        if self.parameter_ranges is None:
            return {}
        return {p: span for p, span in zip(self.args, self.parameter_ranges, strict=True)
                if span is not None and isinstance(p, Symbol)}

    def tail_ranges(self, order: int) -> dict[Symbol, tuple[float, float]]:
        """Where the checker draws the parameters against a law whose log-density grows like ``x**order``: as
        :meth:`ranges` for most families; a heavy-tailed law (Pareto) draws its shape where that moment exists and
        the quadrature of an integrand of that growth converges quickly."""
        return self.ranges()

    def domains(self) -> dict[Symbol, Interval]:
        """The domains of the symbols that are this law's parameters (see :attr:`parameter_domains`)."""
        if self.parameter_domains is None:
            return {}
        return {p: domain for p, domain in zip(self.args, self.parameter_domains, strict=True)
                if domain is not None and isinstance(p, Symbol)}

    def limits(self, variable: Symbol) -> tuple[Symbol, Expr, Expr]:
        """``(x, low, high)``: the integration limits of an integral against this law."""
        return variable, self.support.inf, self.support.sup

    def pdf(self, variable: Symbol) -> Expr:
        """The density at ``variable``, as one closed form (what the checker evaluates)."""
        return exp(-self.energy(variable)) * exp(self.log_normaliser())

    def mass(self, value: int | Expr) -> Expr:
        """A discrete law's probability of ``value`` (its mass function there, evaluated: ``lambda e^-lambda``;
        0 outside its support). ``value`` may be a symbolic count (``n + 1``) whose place SymPy decides."""
        at = as_expr(value)
        return self.pdf(at) if at in self.support else S.Zero

    def moment_exists(self, order: int) -> Boolean:
        """Whether ``E[x**order]`` is finite (``order`` a natural number): ``S.true`` for most families; a law with a
        heavy tail states what its parameters must satisfy (``alpha > order`` for a Pareto law)."""
        return S.true

    def outside_support(self, other: Law, search: int = 64) -> Expr | None:
        """The first integer of this (discrete) law's support outside ``other``'s (None if none is found below
        ``search``): where this law has mass and ``other`` none. When ``other``'s support ends at a symbol
        (``Binomial(n, p)``: ``0, ..., n``), the count one past that end (``n + 1``), if SymPy decides that it is in
        this law's support and outside ``other``'s (None otherwise)."""
        if other.support.free_symbols:
            past = _shifted(other.support.sup, 1)
            return past if inside(past, self.support) is True and inside(past, other.support) is False else None
        start = int(self.support.inf)
        return next((Integer(k) for k in range(start, start + search)
                     if Integer(k) in self.support and Integer(k) not in other.support), None)

    def admissible(self) -> Boolean:
        """What the parameters must satisfy beyond their symbols' assumptions (``low < high`` for a uniform law):
        ``S.true`` for most families."""
        return S.true

    def within(self, other: Law) -> Boolean:
        """The condition that this (continuous) law's support lies inside ``other``'s: ``True`` or ``False`` when the
        parameters decide it, else a relation between them. Where it fails, ``KL(self || other)`` is infinite
        (this law gives positive probability to a set where ``other``'s density is 0)."""
        return And(*self.containment(other))

    def containment(self, other: Law) -> tuple[Boolean, Boolean]:
        """``(other's lower end <= this one's, this upper end <= other's)``: :meth:`within`, its two ends in order."""
        inner, outer = self.support, other.support
        return outer.inf <= inner.inf, inner.sup <= outer.sup

    def outside_point(self, other: Law) -> Expr | None:
        """A point of this (continuous) law's support outside ``other``'s, where this density is positive and the
        other's 0 (the middle of the first interval of the difference, or 1 past its end if it is unbounded); None
        when the supports' ends are not numbers or the difference has no length."""
        rest = self.support - other.support
        piece = rest.args[0] if isinstance(rest, Union) else rest
        if isinstance(piece, Interval) and not piece.free_symbols and piece.measure > 0:
            if piece.inf == S.NegativeInfinity:
                return piece.sup - 1
            return (piece.inf + piece.sup) / 2 if piece.sup.is_finite else piece.inf + 1
        return self._beyond(other)

    def _beyond(self, other: Law) -> Expr | None:
        """A point of this law's support outside ``other``'s when the ends are symbols, the first candidate whose
        place SymPy decides: 1 past p's upper end or past q's lower end where q's support is unbounded above
        (``b + 1`` for a Gaussian against ``Uniform(a, b)``, ``m + 1`` for ``Pareto(m, alpha)`` against a Beta law),
        1 before p's lower end where q's is unbounded below, the middle of q's lower end and p's (``m/2`` for an
        exponential law against ``Pareto(m, alpha)``); None when none is decided."""
        inner, outer = self.support, other.support
        candidates = []
        if inner.sup == S.Infinity:  # display forms: ``b + 1``, ``c - 1`` (numbers evaluated)
            candidates += [_shifted(outer.sup, 1), _shifted(inner.inf, 1)]
        if inner.inf == S.NegativeInfinity:
            candidates.append(_shifted(outer.inf, -1))
        if inner.inf.is_finite and outer.inf.is_finite:
            candidates.append((inner.inf + outer.inf) / 2)
        if inner.sup == S.Infinity and outer.sup.is_finite and inner.inf.is_finite:  # ``b + |b| + 1``
            candidates.append(add(outer.sup, Abs(sub(outer.sup, inner.inf)), Integer(1)))
        if inner.inf == 0 and inner.sup.is_positive and outer.inf.is_positive:  # ``c/(c + 1)``, below both
            candidates.append(outer.inf * inner.sup / (outer.inf + inner.sup))
        for point in candidates:
            if point.is_finite and inside(point, inner) is True and inside(point, outer) is False:
                return point
        return None

    def log_normaliser(self) -> Expr:
        """The part of the log-density free of the variable (``-1/2 log(2 pi sigma**2)`` for a Gaussian)."""
        raise NotImplementedError

    def normaliser_difference(self, other: Law) -> Expr:
        """``log_normaliser(self) - log_normaliser(other)`` combined as a textbook writes it (one logarithm of a
        ratio where the two are logarithms), as a display form."""
        return sub(self.log_normaliser(), other.log_normaliser())

    def joint_constant(self, other: Law, first: bool) -> Expr | None:
        """``log_normaliser(q) - log_normaliser(p)`` as one logarithm, when this law writes it so against ``other``
        (``first``: this law is q), else None: the Gumbel law against a Gaussian, either way round (a law of another
        family consults it from its :meth:`normaliser_difference`)."""
        return None

    def energy(self, variable: Symbol) -> Expr:
        """Minus the part of the log-density that depends on the variable (``(x - mu)**2 / (2 sigma**2)``)."""
        raise NotImplementedError

    def normaliser(self) -> Expr:
        """The density's constant factor as a display form (``1/(2 b)`` for Laplace, ``lambda`` for the exponential
        law): the density is ``normaliser() * weight(x)``."""
        raise NotImplementedError

    def weight(self, variable: Symbol) -> Expr:
        """The density over its constant factor, as a display form: ``exp(-energy(x))``."""
        return exp(neg(self.energy(variable)), evaluate=False)

    def log_pdf_form(self, variable: Symbol) -> Expr:
        """``log pdf(x) = log_normaliser - energy(x)``, as a display form."""
        return sub(self.log_normaliser(), self.energy(variable))

    def log_pdf(self, variable: Symbol) -> Expr:
        """The log-density as an ordinary expression."""
        return log(self.pdf(variable))

    @property
    def mean(self) -> Expr:
        """The law's mean, as a closed form in its parameters."""
        raise NotImplementedError

    @property
    def variance(self) -> Expr:
        """The law's variance, as a closed form in its parameters."""
        raise NotImplementedError

    def sample(self, values: Sequence[float], rng: random.Random) -> float:
        """One draw at numeric parameter ``values`` (Monte Carlo witnesses and estimators use it)."""
        raise NotImplementedError

    def integrate(self, function: Integrand, values: Sequence[Number], exact: bool,
                  breakpoints: Sequence[Number] = ()) -> Number:
        """``int function(x) dx`` over the support (``sum function(k)`` for a discrete law), for integrands that
        are this law's density times a function of moderate growth; ``values`` are the parameters' numeric values.

        The default is adaptive quadrature (``mpmath.quad``) split at ``breakpoints`` (where the integrand
        has a kink); in double precision, the double-exponential rule of :mod:`.double_quadrature`, which raises
        ``ValueError`` where it cannot be trusted (the exact evaluator then decides).
        """
        if self.discrete:
            return exact_sum(function, self.support, exact)
        low, high = float(self.support.inf), float(self.support.sup)
        breakpoints = [*breakpoints, *self.landmarks(values)]
        if not exact:
            return double_quadrature(function, low, high, breakpoints)
        return quadrature(function, low, high, breakpoints)

    def landmarks(self, values: Sequence[Number]) -> list[float]:
        """Where this law's mass lies at numeric parameter ``values``: its mean and the mean plus and minus
        :data:`LANDMARK_SPREAD` standard deviations (where the law states them and they are finite), the points a
        quadrature splits at so that a narrow peak far from the support's ends is not missed (a Gamma law of shape
        400 has its mass within 400 +- 60, where a rule over [0, oo) puts few nodes)."""
        moments = _moments_of(type(self))
        if moments is None:
            return []
        try:
            mean, variance = (complex(v) for v in moments(*values))
        except (ArithmeticError, ValueError, TypeError):
            return []
        if mean.imag or variance.imag or not (math.isfinite(mean.real) and math.isfinite(variance.real)) \
                or variance.real <= 0:
            return []
        spread = LANDMARK_SPREAD * math.sqrt(variance.real)
        return [mean.real - spread, mean.real, mean.real + spread]


#: How many standard deviations from the mean a quadrature over a law's support also splits (:meth:`Law.landmarks`).
LANDMARK_SPREAD = 6

_MOMENTS: dict[type, Callable | None] = {}


def _moments_of(family: type) -> Callable | None:
    """``(parameter values) -> (mean, variance)`` of a family, compiled once (None where the law does not state
    them)."""
    if family not in _MOMENTS:
        stand_ins = [Symbol(f"_theta{i}", positive=True) for i in range(len(family.parameter_names))]
        try:
            generic = family(*stand_ins)
            _MOMENTS[family] = lambdify(stand_ins, (evaluated(generic.mean), evaluated(generic.variance)), "mpmath")
        except (NotImplementedError, TypeError, ValueError, AttributeError):
            _MOMENTS[family] = None
    return _MOMENTS[family]


def tail_order(energy: Expr, variable: Symbol) -> tuple[int, Expr]:
    """``(k, c)``: the highest power ``x**k`` of the terms of ``energy`` (minus a log-density) that are polynomials
    in ``x``, and its coefficient ``c`` (``(0, 0)`` when there is none): ``(2, 1/(2 sigma**2))`` for a Gaussian,
    ``(1, beta)`` for a Gamma law. Against it, ``E_q[-log p(x)]`` is finite only if q's moment of order k is
    (the other terms, logarithms, grow more slowly)."""
    terms = Add.make_args(expand(evaluated(energy)))
    polynomial = Add(*(t for t in terms if t.is_polynomial(variable) and t.has(variable)))
    if polynomial == 0:
        return 0, S.Zero
    degree = Poly(polynomial, variable).degree()
    return degree, polynomial.coeff(variable, degree)


def tail_condition(q: Law, p: Law, variable: Symbol) -> Boolean:
    """Where ``E_q[-log p(x)]`` is finite: q's moment of the order of p's :func:`tail_order` exists (``alpha > 2``
    for a Pareto law against a Gaussian); ``S.true`` for q of a law whose moments all exist, ``S.false`` when the
    parameters decide the moment is infinite."""
    return q.moment_exists(tail_order(p.energy(variable), variable)[0])


def _lower_bounds(point: Expr) -> list[Expr]:
    """``point`` and the expressions made by putting ``u`` or ``-u`` in for an ``|u|`` it holds with a positive
    coefficient, each at most ``point``: ``b + |b| + 1 >= 1``."""
    bounds = [point]
    for modulus in point.atoms(Abs):
        coefficient = point.coeff(modulus)
        if coefficient.is_positive and not (point - coefficient * modulus).has(modulus):
            bounds += [point.subs(modulus, sign * modulus.args[0]) for sign in (1, -1)]
    return bounds


def _sign(difference: Expr) -> tuple[bool | None, bool | None]:
    """Whether ``difference`` is positive and whether it is nonnegative, as SymPy decides them of its factored
    form (``c - c/(c + 1) = c**2/(c + 1)``)."""
    if difference in (S.Infinity, S.NegativeInfinity):
        return difference is S.Infinity, difference is S.Infinity
    factored = factor(difference)
    return factored.is_positive, factored.is_nonnegative


def inside(point: Expr, interval: Interval) -> bool | None:
    """Whether ``point`` lies in ``interval`` for every value of the symbols (True), outside it for every value
    (False), or neither is decided (None); where SymPy's membership does not decide, by the signs of the
    differences to the ends, factored, and of an ``|u|`` in the point replaced by ``u`` or ``-u``
    (:func:`_lower_bounds`). The checker decides a witness of the support argument by it too."""
    try:
        return bool(point in interval)
    except TypeError:  # not decided by SymPy alone
        pass
    lower = _lower_bounds(point)
    if any(_sign(bound - interval.sup)[0] for bound in lower) or _sign(interval.inf - point)[0]:
        return False
    if any(_sign(bound - interval.inf)[1] for bound in lower) and _sign(interval.sup - point)[1]:
        return True
    return None


def _shifted(end: Expr, by: int) -> Expr:
    """``end + by`` as a textbook writes it (``c - 1``, never ``-1 + c``); a number evaluated."""
    if end.is_Number or not end.is_finite:
        return end + by
    return add(end, Integer(by)) if by > 0 else sub(end, Integer(-by))


def quadrature(function: Integrand, low: float, high: float, breakpoints: Sequence[Number] = ()) -> mpmath.mpf:
    """``int_low^high function(x) dx`` by mpmath's adaptive quadrature, split at the breakpoints inside."""
    inside = sorted({mpmath.mpf(b) for b in breakpoints if low < b < high})
    ends = [mpmath.mpf(low) if math.isfinite(low) else -mpmath.inf, *inside,
            mpmath.mpf(high) if math.isfinite(high) else mpmath.inf]
    return tanh_sinh(function, ends)


#: The error at which :func:`tanh_sinh` stops refining (absolute, each piece): five orders below what a check asks
#: of two values (``1e-15`` relative, absolute below 1: ``check.numeric.close``), far above 30 digits' rounding,
#: where ``mpmath.quad`` stops. (At 1e-24 a Laplace pair's checks took a third more nodes.)
QUADRATURE_ERROR = mpmath.mpf("1e-20")


def tanh_sinh(function: Integrand, ends: Sequence[mpmath.mpf]) -> mpmath.mpf:
    """``mpmath.quad(function, ends)`` (tanh-sinh, in the working precision plus 20 bits, degree by degree, each
    piece between consecutive ends), stopping once the estimated error is below :data:`QUADRATURE_ERROR` rather
    than below the working precision's epsilon: the last degree costs as many evaluations as all before it."""
    context = mpmath.mp
    rule, prec = context._tanh_sinh, context.prec
    error = max(QUADRATURE_ERROR, context.eps / 8)
    points = [mpmath.mpf(end) for end in ends]
    context.prec += 20
    try:
        value, _ = rule.summation(function, points, prec, error, rule.guess_degree(prec))
    finally:
        context.prec = prec
    return +value


def exact_sum(function: Integrand, support, exact: bool) -> Number:
    """``sum function(k)`` over the integers of a finite support (an infinite one by mpmath's ``nsum``)."""
    low, high = support.inf, support.sup
    if high.is_finite:
        terms = (function(mpmath.mpf(k) if exact else float(k)) for k in range(int(low), int(high) + 1))
        return mpmath.fsum(terms) if exact else math.fsum(terms)
    if not exact:
        raise ValueError("an infinite series is left to the exact evaluator")
    return mpmath.nsum(function, [int(low), mpmath.inf])
