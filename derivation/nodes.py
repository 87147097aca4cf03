"""Unevaluated SymPy nodes of the derivations: densities, expectations and the KL divergence.

They stay symbolic (and print as a textbook writes them, see ``printing.py``) until a rule
rewrites them; ``doit()`` gives their meaning as integrals, which the tests use as an oracle.
"""

from __future__ import annotations

from sympy import Expr, Integral, S, Tuple, exp, log, oo, pi, sqrt
from sympy.core.symbol import Str, Symbol

from .forms import HALF, as_expr, frac, mul, neg, square, sub


class Density(Expr):
    """A named Gaussian density ``q(x) = N(x; mean, std**2)``.

    Printed as its name applied to the variable (``q(x)``) until a rule substitutes the formula.
    A density without a name (``name=""``) is printed through its parameters, e.g. ``N(0, 1)``.
    """

    is_commutative = True
    is_extended_real = True

    def __new__(cls, name: str | Str, variable: Symbol, mean: Expr | int, std: Expr | int) -> Density:
        name = name if isinstance(name, Str) else Str(name)
        return Expr.__new__(cls, name, variable, as_expr(mean), as_expr(std))

    @property
    def name(self) -> str:
        return self.args[0].name

    @property
    def variable(self) -> Symbol:
        return self.args[1]

    @property
    def mean(self) -> Expr:
        return self.args[2]

    @property
    def std(self) -> Expr:
        return self.args[3]

    @property
    def var(self) -> Expr:
        """The variance ``std**2``."""
        return square(self.std)

    @property
    def free_symbols(self) -> set:
        return self.variable.free_symbols | self.mean.free_symbols | self.std.free_symbols

    def pdf(self) -> Expr:
        """The explicit density ``exp(-(x - mean)**2 / (2 std**2)) / sqrt(2 pi std**2)``."""
        x = self.variable
        return exp(-((x - self.mean) ** 2) / (2 * self.std**2)) / sqrt(2 * pi * self.std**2)

    def log_pdf_form(self) -> Expr:
        """``log N(x; m, s**2) = -1/2 log(2 pi s**2) - (x - m)**2 / (2 s**2)``, as a display form."""
        return sub(self.log_normaliser(), self.energy())

    def log_normaliser(self) -> Expr:
        """The part of the log-density free of x: ``-1/2 log(2 pi s**2)``."""
        return mul(neg(HALF), log(mul(2, pi, self.var)))

    def energy(self) -> Expr:
        """The part of minus the log-density that depends on x: ``(x - m)**2 / (2 s**2)``."""
        return frac(square(sub(self.variable, self.mean)), mul(2, self.var))

    def log_normaliser_ratio(self, other: Density) -> Expr:
        """``log_normaliser(self) - log_normaliser(other) = log(s_other / s_self)``, combined.

        Written as a textbook would: ``-log s_self`` when ``s_other = 1`` (never ``log(1/s)``),
        ``log s_other`` when ``s_self = 1``, and nothing when the scales are equal (never ``log(s/s)``).
        """
        if other.std == self.std:
            return S.Zero
        if other.std == 1:
            return neg(log(self.std))
        if self.std == 1:
            return log(other.std)
        return log(frac(other.std, self.std))

    def integral(self, integrand: Expr) -> Integral:
        """``Integral(integrand, (x, -oo, oo))``: an integral over the whole range of this density's variable."""
        return Integral(integrand, (self.variable, -oo, oo))

    def doit(self, **hints) -> Expr:
        return self.pdf()


class Expectation(Expr):
    """``E_{x ~ density}[expr] = Integral(expr * density(x), (x, -oo, oo))``."""

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
        x = self.density.variable
        return Integral(self.expr.doit(**hints) * self.density.pdf(), (x, -oo, oo)).doit(**hints)


class KL(Expr):
    """``KL(q || p) = Integral(q(x) log(q(x) / p(x)), (x, -oo, oo))``.

    The integral is taken over the whole space of q's variable (``q.integral``), so the same node
    serves densities of one variable and of a vector (``mvnodes.MvDensity``).
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
        return Integral(q * log(q / p), (self.q.variable, -oo, oo)).doit(**hints)


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
