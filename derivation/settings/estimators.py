"""The setting of the ``estimators`` document: q = N(mu, sigma^2) over the latent z, the standard normal noise eps,
an arbitrary differentiable test function f, and Schulman's pair q = N(0, 1), p = N(m, 1).

Its checker checks lines the plain checker cannot evaluate:

- a line with the arbitrary function ``f`` is checked for each of :data:`TEST_FUNCTIONS` put in for ``f`` (a
  polynomial, which Gauss-Hermite integrates exactly, and an exponential): every one must agree;
- the derivative of an expectation, ``d/dv E_{x ~ d}[g(x)]``, is evaluated by the score-function form
  ``E_{x ~ d}[dg/dv + g d(log d(x))/dv]`` (the derivative moved onto the density and the integrand, under the
  integral), so that moving a derivative inside an expectation is compared with an independent computation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sympy import Derivative, Expr, Function, Lambda, Symbol, exp, expand, log
from sympy.core.function import AppliedUndef

from ..check.checker import Checker
from ..core.engine import Check
from ..core.forms import add, evaluated, mul, sub
from ..laws import NormalLaw
from ..nodes.scalar import Density, Expectation
from .univariate import Notation, Setting

_U = Symbol("u", real=True)
#: What the checker puts in for the arbitrary function f: a cubic and an exponential.
TEST_FUNCTIONS: tuple[Lambda, ...] = (Lambda(_U, _U**3 - 2 * _U + 1), Lambda(_U, exp(_U / 2)))


def slope_of(f: Function) -> Function:
    """The derivative of the one-variable function ``f``, as a function of its own (printed ``f'``)."""
    return Function(f"{f.__name__}'")


def score_form(expr: Expr) -> Expr:
    """Each ``d/dv E_{x ~ d}[g]`` in ``expr`` written as ``E_{x ~ d}[dg/dv + g d log d / dv]`` (Leibniz's rule
    under the integral, the derivative falling on the density as well as on the integrand)."""

    def rewrite(e: Expr) -> Expr:
        if isinstance(e, Derivative) and e.expr.has(Expectation):
            inner = rewrite(e.expr)
            for v, n in e.variable_count:
                for _ in range(n):
                    inner = _differentiate(inner, v)
            return inner
        if not e.args or e.is_Atom:
            return e
        return e.func(*[rewrite(a) for a in e.args])

    return rewrite(expr)


def _differentiate(expr: Expr, v: Symbol) -> Expr:
    """``d/dv expr`` where expectations are differentiated under the integral (score-function form)."""
    if isinstance(expr, Expectation):
        d = expr.density
        score = Derivative(log(d.pdf()), v).doit()
        return Expectation(add(Derivative(expr.expr, v), mul(expr.expr, score)), d)
    if not expr.has(Expectation):
        return Derivative(expr, v)
    if expr.is_Add:
        return add(*[_differentiate(t, v) for t in expr.args])
    if expr.is_Mul:
        parts = list(expr.args)
        return add(*[mul(*parts[:i], _differentiate(f, v), *parts[i + 1:]) for i, f in enumerate(parts)])
    raise ValueError(f"cannot differentiate {expr} under the integral")


class SameLawChecker(Checker):
    """A :class:`Checker` that first compares two expectations under the same law by their integrands alone (the
    density is the same factor on both sides; one cheap expansion, else the general checks)."""

    def check(self, index: int, before: Expr, after: Expr) -> Check:
        if (isinstance(before, Expectation) and isinstance(after, Expectation) and before.density == after.density
                and expand(evaluated(before.expr) - evaluated(after.expr)) == 0):
            return Check(index, True, "symbolic", "the integrands are identical")
        return super().check(index, before, after)


class FunctionChecker(SameLawChecker):
    """A checker for lines that hold an arbitrary function ``f`` and derivatives of expectations (see the module)."""

    def __init__(self, symbols, function: Function, **options):
        super().__init__(symbols, **options)
        self.function = function

    def check(self, index: int, before: Expr, after: Expr) -> Check:
        before, after = score_form(before), score_form(after)
        if not any(e.atoms(AppliedUndef) for e in (before, after)):
            return super().check(index, before, after)
        verdicts = []
        slope = slope_of(self.function)
        for g in TEST_FUNCTIONS:
            g_slope = Lambda(_U, g.expr.diff(_U))
            a, b = (e.replace(slope, g_slope).replace(self.function, g) for e in (before, after))
            verdict = super().check(index, a, b)
            if not verdict.ok:
                return Check(index, False, verdict.method, f"with f(u) = {g.expr}: {verdict.detail}")
            verdicts.append(verdict)
        shown = " and ".join(f"f(u) = {g.expr}" for g in TEST_FUNCTIONS)
        return Check(index, True, "numeric", f"{verdicts[-1].detail}, for {shown}")


@dataclass(frozen=True)
class EstimatorSetting(Setting):
    """q = N(mu, sigma^2) and p = N(0, 1) over the latent ``x`` (named z), the noise ``z`` (named eps), the test
    function ``f``, and the parameter ``m`` and exponent ``t`` of Schulman's pair (q = N(0, 1), p = N(m, 1))."""

    m: Symbol = field(default_factory=lambda: Symbol("m", real=True))
    t: Symbol = field(default_factory=lambda: Symbol("t", real=True))
    f: Function = field(default_factory=lambda: Function("f"))

    @property
    def mu(self) -> Symbol:
        return self.q.mean

    @property
    def sigma(self) -> Symbol:
        return self.q.std

    def start(self) -> Expr:
        """The mean of the single-sample estimate: ``E_{z ~ q}[log q(z) - log p(z)]``."""
        return Expectation(sub(log(self.q), log(self.p)), self.q)

    def checker(self) -> FunctionChecker:
        return FunctionChecker((*self.parameters, self.m, self.t), self.f)

    def schulman(self) -> Setting:
        """Schulman's pair over the same variable: q = N(0, 1) and p = N(m, 1)."""
        x = self.x
        return Setting(Density(self.q.name, x, NormalLaw(0, 1)), Density(self.p.name, x, NormalLaw(self.m, 1)),
                       x, self.notation)

    def standard(self) -> Density:
        """The noise's law, N(0, 1), unnamed (printed as the law)."""
        return Density("", self.z, NormalLaw(0, 1))


def estimator_setting(notation: Notation) -> EstimatorSetting:
    """q = N(mu, sigma^2), p = N(0, 1) over z, with noise eps (the roles ``x`` and ``z`` of the notation name
    them; by default z and epsilon)."""
    n = notation
    z = Symbol(n.names.get("x", "z"), real=True)
    eps = Symbol(n.names.get("z", "epsilon"), real=True)
    mu, sigma = n.real("mu"), n.positive("sigma")
    return EstimatorSetting(Density(n.name("q"), z, NormalLaw(mu, sigma)), Density(n.name("p"), z, NormalLaw(0, 1)),
                            eps, n)
