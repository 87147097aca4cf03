"""Unevaluated SymPy nodes of the derivations: densities, expectations and the KL divergence.

They stay symbolic (and print as a textbook writes them, see ``printing.py``) until a rule
rewrites them; ``doit()`` gives their meaning as integrals, which the tests use as an oracle.
"""

from __future__ import annotations

from sympy import Derivative, Expr, Integral, Sum, Tuple, log
from sympy.core.basic import Basic
from sympy.core.symbol import Str, Symbol

from ..core.forms import as_expr, frac, log_ratio, mul
from ..laws import Law, MvNormalLaw
from .vector import SpaceIntegral


class Density(Expr):
    """A named density ``q(x)`` of a law (``NormalLaw(mu, sigma)``, ``LaplaceLaw(mu, b)``, see ``derivation.laws``).

    Printed as its name applied to the variable (``q(x)``) until a rule substitutes the formula.
    A density without a name (``name=""``) is printed as its law, e.g. ``N(0, 1)``.

    The variable of a law of a vector (``MvNormalLaw(m, S)``, :attr:`~derivation.laws.base.Law.vector`) is a
    column vector (a k x 1 matrix expression): its integrals run over all of R^k (:class:`.vector.SpaceIntegral`),
    and its ``srepr`` is written ``MvDensity(name, x, m, S)`` (:func:`.vector.MvDensity` builds the same density),
    the form the JSON documents have always had.
    """

    is_commutative = True
    is_extended_real = True

    def __new__(cls, name: str | Str, variable: Symbol, law: Law) -> Density:
        name = name if isinstance(name, Str) else Str(name)
        if not isinstance(law, Law):
            raise TypeError(f"a density's law is a derivation.laws.Law, got {type(law).__name__}")
        return Expr.__new__(cls, name, variable, law)

    @property
    def name(self) -> str:
        return self.args[0].name

    @property
    def variable(self) -> Symbol:
        return self.args[1]

    @property
    def law(self) -> Law:
        return self.args[2]

    @property
    def mean(self) -> Expr:
        """A Gaussian density's mean (``law.mean``)."""
        return self.law.mean

    @property
    def std(self) -> Expr:
        """A Gaussian density's standard deviation (``law.std``)."""
        return self.law.std

    @property
    def var(self) -> Expr:
        """A Gaussian density's variance ``std**2`` (the covariance matrix of a density of a vector)."""
        return self.law.var

    @property
    def cov(self) -> Expr:
        """The covariance matrix of a density of a vector (``law.cov``)."""
        return self.law.cov

    @property
    def dim(self) -> Expr:
        """The dimension of a density of a vector (``law.dim``)."""
        return self.law.dim

    def centred(self) -> Expr:
        """``x - mean`` for a density of a vector."""
        return self.law.centred(self.variable)

    def _eval_is_positive(self) -> bool | None:
        return True if self.law.vector else None

    @property
    def free_symbols(self) -> set:
        return self.variable.free_symbols | self.law.free_symbols

    def pdf(self) -> Expr:
        """The explicit density, e.g. ``exp(-(x - mean)**2 / (2 std**2)) / sqrt(2 pi std**2)``."""
        return self.law.pdf(self.variable)

    def log_pdf_form(self) -> Expr:
        """``log q(x) = log_normaliser - energy``, as a display form (for a Gaussian
        ``-1/2 log(2 pi s**2) - (x - m)**2 / (2 s**2)``)."""
        return self.law.log_pdf_form(self.variable)

    def log_normaliser(self) -> Expr:
        """The part of the log-density free of x (``-1/2 log(2 pi s**2)`` for a Gaussian)."""
        return self.law.log_normaliser()

    def energy(self) -> Expr:
        """Minus the part of the log-density that depends on x (``(x - m)**2 / (2 s**2)`` for a Gaussian)."""
        return self.law.energy(self.variable)

    def log_normaliser_ratio(self, other: Density) -> Expr:
        """``log_normaliser(self) - log_normaliser(other) = log(s_other / s_self)`` for two Gaussians, combined
        as a textbook writes it (:func:`~derivation.core.forms.log_ratio`); ``1/2 log(|S_other| / |S_self|)`` for
        two Gaussians of a vector (``law.normaliser_difference``)."""
        if self.law.vector:
            return self.law.normaliser_difference(other.law)
        return log_ratio(self.std, other.std)

    def integral(self, integrand: Expr) -> Integral | Sum | SpaceIntegral:
        """``Integral(integrand, (x, low, high))`` over the support of this density's law; for a discrete law
        the sum ``Sum(integrand, (x, low, high))`` over the integers of its support; for a law of a vector the
        integral over all of R^k."""
        if self.law.vector:
            return SpaceIntegral(integrand, self.variable)
        if self.law.discrete:
            return Sum(integrand, self.law.limits(self.variable))
        return Integral(integrand, self.law.limits(self.variable))

    def doit(self, **hints) -> Expr:
        return self.pdf()

    def _sympystr(self, printer) -> str:
        if not self.law.vector:
            return printer._print_Basic(self)
        return f"{self.name}({printer._print(self.variable)})" if self.name else \
            f"N({printer._print(self.law.mean)}, {printer._print(self.law.cov)})"

    def _sympyrepr(self, printer) -> str:
        if not self.law.vector:
            return printer.emptyPrinter(self)
        return f"MvDensity({', '.join(printer._print(a) for a in (self.args[0], self.variable, *self.law.args))})"


def MvDensity(name: str | Str, variable: Expr, mean: Expr, cov: Expr) -> Density:
    """``Density(name, variable, MvNormalLaw(mean, cov))``: a Gaussian density ``q(x) = N(x; mean, cov)`` of a column
    vector ``x``. Not a class (the one density node is :class:`Density`): the constructor a density of a vector's
    ``srepr`` names, so that a JSON document's ``srepr`` reads back to the same density."""
    return Density(name, variable, MvNormalLaw(mean, cov))


def is_vector_density(expr: Basic) -> bool:
    """Whether ``expr`` is a density of a vector (its law's ``vector``)."""
    return isinstance(expr, Density) and expr.law.vector


class Marginal(Density):
    """The j-th coordinate density ``q_j(x_j) = N(x_j; m_j, s_j**2)`` of a diagonal Gaussian ``q``.

    A univariate :class:`Density` (every univariate rule applies to it) whose name carries the coordinate index as
    an argument, so that substituting ``j = 3`` gives ``q_3(x_3)``.
    """

    def __new__(cls, name: str | Str, variable: Expr, law: Law, index: Expr | int) -> Marginal:
        name = name if isinstance(name, Str) else Str(name)
        return Expr.__new__(cls, name, variable, law, as_expr(index))

    @property
    def family(self) -> str:
        """The name of the joint density (``q`` for ``q_j``)."""
        return self.args[0].name

    @property
    def index(self) -> Expr:
        return self.args[3]

    @property
    def name(self) -> str:
        return f"{self.family}_{self.index}"

    @property
    def free_symbols(self) -> set:
        return super().free_symbols | self.index.free_symbols


class Expectation(Expr):
    """``E_{x ~ density}[expr] = Integral(expr * density(x), (x, support))``."""

    is_commutative = True

    def __new__(cls, expr: Expr, density: Density) -> Expectation:
        return Expr.__new__(cls, expr, density)

    @property
    def expr(self) -> Expr:
        return self.args[0]

    @property
    def density(self) -> Density:
        return self.args[1]

    @property
    def free_symbols(self) -> set:
        bound = {self.density.variable}
        return (self.expr.free_symbols - bound) | (self.density.free_symbols - bound)

    def as_integral(self) -> Integral:
        """The defining integral, with the density still a named node."""
        return self.density.integral(mul(self.density, self.expr))

    def doit(self, **hints) -> Expr:
        return self.density.integral(self.expr.doit(**hints) * self.density.pdf()).doit(**hints)


class KL(Expr):
    """``KL(q || p) = Integral(q(x) log(q(x) / p(x)), (x, support of q))``.

    The integral is taken over the whole space of q's variable (``q.integral``), so the same node
    serves densities of one variable and of a vector (a law with ``vector = True``).
    """

    is_commutative = True

    def __new__(cls, q: Density, p: Density) -> KL:
        return Expr.__new__(cls, q, p)

    @property
    def q(self) -> Density:
        return self.args[0]

    @property
    def p(self) -> Density:
        return self.args[1]

    @property
    def free_symbols(self) -> set:
        bound = {self.q.variable}
        return (self.q.free_symbols | self.p.free_symbols) - bound

    def as_integral(self) -> Integral:
        """The definition, with the densities still named nodes."""
        return self.q.integral(mul(self.q, log(frac(self.q, self.p))))

    def doit(self, **hints) -> Expr:
        q, p = self.q.pdf(), self.p.pdf()
        return self.q.integral(q * log(q / p)).doit(**hints)


class Named(Expr):
    """A derived closed form under a name, e.g. ``K(mu, sigma)`` for ``1/2 mu**2 + 1/2 (sigma**2 - ...)``.

    Printed as the name applied to its arguments, so lines that use it stay short; compared and
    evaluated (``forms.evaluated``, the checker) as the expression it stands for.
    """

    is_commutative = True
    evaluates_to_definition = True

    def __new__(cls, name: str | Str, definition: Expr, arguments) -> Named:
        name = name if isinstance(name, Str) else Str(name)
        return Expr.__new__(cls, name, definition, Tuple(*arguments))

    @property
    def name(self) -> str:
        return self.args[0].name

    @property
    def definition(self) -> Expr:
        return self.args[1]

    @property
    def arguments(self) -> tuple[Expr, ...]:
        return tuple(self.args[2])

    @property
    def free_symbols(self) -> set:
        return self.definition.free_symbols

    def doit(self, **hints) -> Expr:
        return self.definition.doit(**hints) if hints.get("deep", True) else self.definition


def variables_of(expr: Basic) -> set:
    """The variables an expression depends on, a named closed form's arguments included."""
    found = set(expr.free_symbols)
    for node in expr.atoms(Named):
        found |= {a for arg in node.arguments for a in arg.free_symbols}
    return found


class Partial(Derivative):
    """A derivative taken as part of a partial derivative (``1/2 d/dmu mu**2`` from ``d/dmu K(mu, sigma)``):
    printed with ``\\partial`` although what it differentiates depends on one variable, so that a chain that
    differentiates a function of several variables writes the same sign throughout."""


class Ordinary(Derivative):
    """A derivative of a function of one variable whatever else appears in it (the constants of an identity,
    ``d/dx (a u(x) + b v(x) + c)``): printed with an upright ``d``."""


def is_partial(derivative: Derivative) -> bool:
    """Whether ``derivative`` prints as a partial one: marked so, or of something that depends on more than the
    variables it is taken in (unless marked ordinary)."""
    if isinstance(derivative, Partial | Ordinary):
        return isinstance(derivative, Partial)
    differentials = {x for x, _ in derivative.variable_count}
    return not (len(differentials) == 1 and variables_of(derivative.expr) <= differentials)


def derivative_like(model: Derivative, expr: Expr, *variables) -> Derivative:
    """``d/dx expr`` taken as part of ``model``: partial when ``model`` is, so that one chain keeps one sign.
    (A derivative that prints as partial by itself stays a plain ``Derivative``: one form for one thing.)"""
    plain = Derivative(expr, *variables)
    if is_partial(model) and not is_partial(plain):
        return Partial(expr, *variables)
    return plain
