"""What the closed form means and what it does to training, derived by the engine.

The sections built here interpret KL(N(mu, sigma^2) || N(0, 1)) term by term: its mean and variance
terms, why it is never negative and where it vanishes (posterior collapse), the gradients an
optimiser sees in each parameterisation, the effect of a beta weight, and, for two arbitrary
Gaussians, the roles of the mean gap and the variance ratio and the asymmetry of the divergence.

Every formula is obtained by the engine: a derivation (a chain of rules, each step checked as it
is made) or a fact that SymPy establishes (a sign from the symbols' assumptions, an equation by
cancellation, a root of a polynomial); a fact that does not hold raises :class:`StepRejected`.
Prose refers to formulas only through ``{name}`` placeholders filled from these results.

Builders (``Case.sections``): :func:`interpretation_sections` (one compact "Interpretation" section,
for the ``standard`` document), :func:`coordinate_interpretation_sections` (the same per coordinate
of a d-dimensional diagonal Gaussian, for the ``vae`` document) and :func:`dynamics_sections` (the
full treatment with figures, for the ``dynamics`` document).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from types import MappingProxyType

from sympy import (
    Add,
    Basic,
    Derivative,
    Eq,
    Expr,
    Float,
    Function,
    Ge,
    Gt,
    IndexedBase,
    Limit,
    Lt,
    Matrix,
    Poly,
    Rational,
    S,
    Subs,
    Sum,
    Symbol,
    exp,
    expand,
    limit,
    log,
    numer,
    oo,
    roots,
    together,
)

from .core import Check, Derivation, Fact, Figure, Rule, Section
from .errors import DerivationError, RuleNotApplicable, StepRejected
from .figures import Axis, Curve, CurvesPlot, FieldPlot, MapPlot
from .forms import HALF, evaluated, mul, neg, sub
from .nodes import KL, Density, Named
from .printing import to_latex
from .rules import LOG_VARIANCE
from .rules.base import factors, rewrite_nodes, terms
from .rules.calculus import (
    CHAIN_RULE,
    ELEMENTARY_DERIVATIVES,
    LOG_OF_EXP,
    MULTIPLY_OUT,
    SUBSTITUTE,
    TERM_BY_TERM,
    UNFOLD,
    use_derived,
)
from .rules.terms import (
    COLLECT,
    COMBINE_LOGS,
    SPLIT_FRACTION,
    SPLIT_MEAN_VARIANCE,
    SUM_TERM_BY_TERM,
    closed_form_rule,
)
from .setting import Setting
from .verify import Checker, is_zero

#: Differentiate a closed form: linearity, the table, then tidy.
DIFFERENTIATE: tuple[Rule, ...] = (TERM_BY_TERM, ELEMENTARY_DERIVATIVES, MULTIPLY_OUT)
#: The same without the final tidying (keeps a factored form such as 1/2 (e^l - 1)).
DIFFERENTIATE_KEEP_FACTOR: tuple[Rule, ...] = (TERM_BY_TERM, ELEMENTARY_DERIVATIVES)
#: Regroup the closed form for two Gaussians into a mean-gap term and a variance-ratio term.
REGROUP_GENERAL: tuple[Rule, ...] = (LOG_VARIANCE, SPLIT_FRACTION, SPLIT_MEAN_VARIANCE, COMBINE_LOGS)

#: Dimensions for which the per-coordinate gradient of a d-dimensional sum is checked (every coordinate).
CHECKED_DIMENSIONS = (1, 2, 3)

_DERIVED = "derived step by step by the differentiation rules; every step checked"


def _established(detail: str) -> Check:
    return Check(0, True, "symbolic", detail)


def sign_fact(relation: Basic, text: str = "") -> Fact:
    """A fact ``a > 0``, ``a >= 0`` or ``a < 0`` that SymPy decides from the symbols' assumptions."""
    value = evaluated(relation.lhs - relation.rhs)
    holds = {Gt: value.is_positive, Ge: value.is_nonnegative, Lt: value.is_negative}[type(relation)]
    if holds is not True:
        raise StepRejected(f"the claimed sign of {value} does not follow from the assumptions")
    return Fact(relation, text, _established("SymPy decides the sign from the assumptions on the symbols"))


def equal_fact(lhs: Basic, rhs: Basic, text: str = "", detail: str = "the difference simplifies to 0",
               meaning: Basic | None = None) -> Fact:
    """A fact ``lhs = rhs`` established by cancelling their difference.

    ``meaning`` is what ``rhs`` stands for when it is written with notation (e.g. ``f(r)`` means ``r - log r - 1``).
    """
    if not is_zero(evaluated(lhs) - evaluated(rhs if meaning is None else meaning)):
        raise StepRejected(f"{lhs} = {rhs} does not hold")
    return Fact(Eq(lhs, rhs, evaluate=False), text, _established(detail))


def limit_statement(expr: Expr, x: Symbol, point: Expr, direction: str = "+") -> Eq:
    """``lim expr = value`` with the value computed by SymPy's ``limit``."""
    return Eq(Limit(expr, x, point, direction), limit(evaluated(expr), x, point, direction), evaluate=False)


def zeros(expr: Expr, x: Symbol) -> list[Expr]:
    """The zeros of a rational function of ``x`` admitted by the assumptions on ``x`` (e.g. positive)."""
    found = roots(Poly(numer(together(evaluated(expr))), x))
    admitted = [r for r in found if not (x.is_positive and not r.is_positive)]
    for r in admitted:
        if not is_zero(evaluated(expr).subs(x, r)):
            raise StepRejected(f"{r} is not a zero of {expr}")
    return sorted(admitted, key=float)


class Interpretation:
    """The derived material for ``q = N(mu, sigma^2)`` against ``p = N(0, 1)``, each piece computed once.

    ``derivation`` is the verified derivation of a document whose setting has that shape; its
    result (in any of the forms the cases end in) is where the interpretation starts.
    """

    def __init__(self, derivation: Derivation):
        setting = derivation.setting
        if not (isinstance(setting, Setting) and setting.p.mean == 0 and setting.p.std == 1
                and setting.q.mean.is_Symbol and setting.q.std.is_Symbol):
            raise DerivationError(f"the interpretation needs q = N(mu, sigma^2) against N(0, 1); "
                                  f"{derivation.name!r} is not of that form")
        n = setting.notation
        self.derivation = derivation
        self.setting = setting
        self.kl = setting.start()
        self.mu, self.sigma = setting.q.mean, setting.q.std
        self.ell = Symbol(n.names.get("logvar", "ell"), real=True)
        self.t = n.positive("t")
        self.beta = n.positive("beta")
        self.f = Function("f")
        self.checker = Checker((self.mu, self.sigma, self.ell, self.t, self.beta))

    # -- derivations ------------------------------------------------------------------------------
    def derive(self, key: str, title: str, start: Expr, rules: tuple[Rule, ...],
               setting: Setting | None = None, checker: Checker | None = None) -> Derivation:
        """Apply those of ``rules`` that fit, in order, each step checked as it is made."""
        setting = setting or self.setting
        plan, expr = [], start
        for rule in rules:
            try:
                out = rule(expr, setting).expr
            except RuleNotApplicable:
                continue
            if to_latex(out) == to_latex(expr):  # a line that reads as the one before is no step for a reader
                continue
            plan.append(rule)
            expr = out
        return (checker or self.checker).derive(f"{self.derivation.name}:{key}", title, start, tuple(plan), setting)

    @cached_property
    def decomposition(self) -> Derivation:
        return self.derive("decomposition", "Mean and variance terms", self.derivation.result, (SPLIT_MEAN_VARIANCE,))

    @property
    def closed_form(self) -> Expr:
        """``1/2 mu^2 + 1/2 (sigma^2 - log sigma^2 - 1)`` as the engine derived it."""
        return self.decomposition.result

    @property
    def mean_term(self) -> Expr:
        return terms(self.closed_form)[0]

    @property
    def variance_term(self) -> Expr:
        return terms(self.closed_form)[1]

    @cached_property
    def f_expr(self) -> Expr:
        """``t - log t - 1``: the bracket of the variance term with the variance written t."""
        bracket = next(f for f in factors(self.variance_term) if f.is_Add)
        return rewrite_nodes(bracket, lambda e: self.t if e == self.sigma**2 else None)

    @cached_property
    def f_prime(self) -> Derivation:
        return self.derive("f-prime", "Slope of f", Derivative(self.f_expr, self.t), DIFFERENTIATE)

    @cached_property
    def f_second(self) -> Derivation:
        return self.derive("f-second", "Curvature of f", Derivative(self.f_prime.result, self.t), DIFFERENTIATE)

    @cached_property
    def t_star(self) -> Expr:
        (root,) = zeros(self.f_prime.result, self.t)
        return root

    @cached_property
    def named(self) -> Named:
        """The closed form under a short name, ``K(mu, sigma)``, so that derivative lines stay readable."""
        return Named(self.setting.notation.names.get("K", "K"), self.closed_form, (self.mu, self.sigma))

    @cached_property
    def grad_mu(self) -> Derivation:
        return self.derive("gradient-mu", "Gradient in the mean", Derivative(self.named, self.mu),
                           (UNFOLD, *DIFFERENTIATE))

    @cached_property
    def grad_sigma(self) -> Derivation:
        return self.derive("gradient-sigma", "Gradient in the standard deviation", Derivative(self.named, self.sigma),
                           (UNFOLD, *DIFFERENTIATE))

    @property
    def sigma_of_ell(self) -> Expr:
        """The standard deviation as a function of the log-variance: ``exp(l / 2)``."""
        return exp(self.ell / 2)

    @cached_property
    def in_logvar(self) -> Derivation:
        return self.derive("in-logvar", "In the log-variance", self.at_logvar, (UNFOLD, SUBSTITUTE, LOG_OF_EXP))

    @property
    def at_logvar(self) -> Expr:
        """``[K(mu, sigma)]_{sigma = exp(l / 2)}``: the closed form as a function of the log-variance."""
        return Subs(self.named, self.sigma, self.sigma_of_ell)

    @cached_property
    def grad_ell(self) -> Derivation:
        """``d KL / d l`` by the chain rule through the standard deviation (using the gradient in sigma)."""
        known = use_derived(self.grad_sigma, "Known gradient",
                            "Use the gradient in the standard deviation derived above.")
        start = Derivative(self.at_logvar, self.ell)
        return self.derive("gradient-logvar", "Gradient in the log-variance", start,
                           (CHAIN_RULE, ELEMENTARY_DERIVATIVES, known, SUBSTITUTE, MULTIPLY_OUT))

    @cached_property
    def grad_ell_direct(self) -> Derivation:
        return self.derive("gradient-logvar-direct", "Gradient in the log-variance, directly",
                           Derivative(self.in_logvar.result, self.ell), DIFFERENTIATE_KEEP_FACTOR)

    def second(self, key: str, first: Expr, x: Symbol) -> Expr:
        """A second derivative: the derivative of an already derived first derivative (checked, not shown)."""
        return self.derive(key, "Second derivative", Derivative(first, x), DIFFERENTIATE).result

    @cached_property
    def hessian(self) -> Matrix:
        """The Hessian of the divergence in (mu, l), each entry differentiated by the rules and checked."""
        d_mu = self.derive("gradient-mu-in-logvar", "Gradient in the mean", Derivative(self.in_logvar.result, self.mu),
                           DIFFERENTIATE).result
        d_ell = self.grad_ell_direct.result
        return Matrix([[self.second("h-mu-mu", d_mu, self.mu), self.second("h-mu-logvar", d_mu, self.ell)],
                       [self.second("h-logvar-mu", d_ell, self.mu), self.second("h-logvar-logvar", d_ell, self.ell)]])

    @cached_property
    def sigma_curvature(self) -> Derivation:
        return self.derive("curvature-sigma", "Curvature in the standard deviation",
                           Derivative(self.grad_sigma.result, self.sigma), DIFFERENTIATE)

    @cached_property
    def grad_mu_beta(self) -> Derivation:
        known = use_derived(self.grad_mu, "Known gradient", "Use the gradient in the mean derived above.")
        return self.derive("beta-gradient-mu", "Weighted gradient in the mean",
                           Derivative(mul(self.beta, self.named), self.mu), (TERM_BY_TERM, known))

    @cached_property
    def grad_ell_beta(self) -> Derivation:
        known = use_derived(self.grad_ell, "Known gradient", "Use the gradient in the log-variance derived above.")
        return self.derive("beta-gradient-logvar", "Weighted gradient in the log-variance",
                           Derivative(mul(self.beta, self.at_logvar), self.ell), (TERM_BY_TERM, known))

    # -- d dimensions -----------------------------------------------------------------------------
    @cached_property
    def coordinates(self) -> dict[str, Basic]:
        """Symbols for coordinate j of a d-dimensional diagonal Gaussian (indexed by the notation's names)."""
        n = self.setting.notation
        j, k = Symbol("j", integer=True, positive=True), Symbol("k", integer=True, positive=True)
        d = Symbol(n.names.get("d", "d"), integer=True, positive=True)
        mu = IndexedBase(n.name("mu"), real=True)
        sigma = IndexedBase(n.name("sigma"), positive=True)
        ell = IndexedBase(self.ell.name, real=True)
        return {"j": j, "k": k, "d": d, "mu": mu, "sigma": sigma, "ell": ell}

    def per_coordinate(self, expr: Expr, index: Symbol) -> Expr:
        """``expr`` with mu, sigma and l replaced by coordinate ``index``'s parameters (display form kept)."""
        c = self.coordinates
        table = {self.mu: c["mu"][index], self.sigma: c["sigma"][index], self.ell: c["ell"][index]}
        return rewrite_nodes(expr, lambda e: table.get(e))

    @cached_property
    def total(self) -> Expr:
        c = self.coordinates
        return Sum(self.per_coordinate(self.closed_form, c["j"]), (c["j"], 1, c["d"]))

    @cached_property
    def sum_split(self) -> Derivation:
        return self.derive("sum", "In d dimensions", self.total, (SUM_TERM_BY_TERM,))

    def coordinate_gradient_fact(self, weight: Expr, summand: Expr, gradient: Expr, x: Symbol, text: str) -> Fact:
        """``d/dx_k (weight sum_j summand_j) = gradient_k`` over d coordinates, checked for each small d and every k.

        The sum is expanded for each checked d and differentiated by SymPy in every coordinate's parameter.
        """
        c = self.coordinates
        indices = range(1, max(CHECKED_DIMENSIONS) + 1)
        parts = {i: evaluated(self.per_coordinate(summand, i)) for i in indices}
        expected = {i: evaluated(self.per_coordinate(gradient, i)) for i in indices}
        for dim in CHECKED_DIMENSIONS:
            expanded = evaluated(weight) * Add(*[parts[i] for i in range(1, dim + 1)])
            for index in range(1, dim + 1):
                variable = self.per_coordinate(x, index)
                if expand(expanded.diff(variable) - expected[index]) != 0:
                    raise StepRejected(f"the gradient of the {dim}-dimensional sum in {variable} is not {gradient}")
        objective = mul(weight, Sum(self.per_coordinate(summand, c["j"]), (c["j"], 1, c["d"])))
        statement = Eq(Derivative(objective, self.per_coordinate(x, c["k"])), self.per_coordinate(gradient, c["k"]),
                       evaluate=False)
        dims = ", ".join(map(str, CHECKED_DIMENSIONS))
        return Fact(statement, text, _established(f"SymPy differentiates the expanded sum for d = {dims}, every k"))

    def beta_coordinate_facts(self) -> tuple[Fact, ...]:
        """The weighted gradients of the d-dimensional sum, coordinate by coordinate."""
        return (
            self.coordinate_gradient_fact(self.beta, self.closed_form, self.grad_mu_beta.result, self.mu,
                                          "the pull on the mean of coordinate {k}"),
            self.coordinate_gradient_fact(self.beta, self.in_logvar.result, self.grad_ell_beta.result, self.ell,
                                          "the pull on its log-variance"),
        )

    # -- facts ------------------------------------------------------------------------------------
    def minimum_facts(self) -> tuple[Fact, ...]:
        t, f = self.t, self.f
        return (
            sign_fact(Ge(self.mean_term, 0, evaluate=False), "the mean term is a square"),
            sign_fact(Gt(self.f_second.result, 0, evaluate=False), "the curvature of {f}: {f} is strictly convex"),
            Fact(Eq(Subs(Derivative(f(t), t), t, self.t_star), 0), "{t_star} is the only zero of the slope",
                 _established("the only admissible zero of the slope (a root of its numerator)")),
            self.value_fact(f(self.t_star), self.f_expr.subs(t, self.t_star), "the minimum value of {f}"),
            self.zero_fact(),
        )

    @staticmethod
    def value_fact(shown: Basic, value: Expr, text: str) -> Fact:
        """``shown = v`` where v is ``value`` evaluated (e.g. f(1) = 0 from the definition of f)."""
        return Fact(Eq(shown, evaluated(value), evaluate=False), text, _established("evaluated from the definition"))

    @cached_property
    def minimiser(self) -> dict[Symbol, Expr]:
        """The one stationary point (the zeros of both gradients), where the divergence is checked to vanish."""
        (mu0,) = zeros(self.grad_mu.result, self.mu)
        (sigma0,) = zeros(self.grad_sigma.result, self.sigma)
        point = {self.mu: mu0, self.sigma: sigma0}
        if evaluated(self.closed_form).subs(point) != 0:
            raise StepRejected("the divergence does not vanish at its stationary point")
        return point

    @property
    def ell_at_min(self) -> Expr:
        """The log-variance at the minimum, ``log(sigma0^2)``."""
        return evaluated(log(self.minimiser[self.sigma] ** 2))

    def zero_fact(self) -> Fact:
        """KL = 0 exactly at the stationary point, where both (non-negative) terms vanish."""
        self.minimiser  # noqa: B018 (computing it checks the value there)
        return Fact(Eq(self.kl, 0, evaluate=False), "exactly when {mu_at_min} and {sigma_at_min}",
                    _established("both terms are non-negative and vanish together only at the one stationary point"))

    def gradient_facts(self) -> tuple[Fact, ...]:
        texts = ("the pull on the mean", "on the standard deviation", "on the log-variance (chain rule)")
        pairs = ((self.mu, self.grad_mu), (self.sigma, self.grad_sigma), (self.ell, self.grad_ell))
        return tuple(Fact(Eq(Derivative(self.kl, x), d.result, evaluate=False), text, _established(_DERIVED))
                     for (x, d), text in zip(pairs, texts, strict=True))

    def convexity_facts(self) -> tuple[Fact, ...]:
        h = self.hessian
        minor1, minor2 = evaluated(h[0, 0]), evaluated(h.det())
        return (
            sign_fact(Gt(minor1, 0, evaluate=False), "the first leading minor of the Hessian in {mu} and {ell}"),
            sign_fact(Gt(minor2, 0, evaluate=False), "its determinant, the second leading minor: the Hessian is "
                      "positive definite, so the divergence is convex in {mu} and {ell}"),
            sign_fact(Gt(self.sigma_curvature.result, 0, evaluate=False), "the curvature in {sigma} (and the mixed "
                      "derivative is 0): convex in {mu} and {sigma} too"),
        )

    @cached_property
    def limits(self) -> dict[str, Basic]:
        """How the gradients and the curvature behave at the edges of the parameter range (SymPy's limits)."""
        return {
            "limit_sigma": limit_statement(self.grad_sigma.result, self.sigma, 0, "+"),
            "limit_curvature": limit_statement(self.sigma_curvature.result, self.sigma, 0, "+"),
            "limit_ell": limit_statement(self.grad_ell.result, self.ell, -oo),
        }

    # -- two Gaussians --------------------------------------------------------------------------
    def two_gaussians(self, general: Derivation) -> dict[str, object]:
        """Mean gap, variance ratio and asymmetry, from ``general``: the derived KL of two arbitrary Gaussians."""
        setting = general.setting
        gap, ratio = Symbol("delta", real=True), Symbol("r", positive=True)
        checker = Checker((*setting.parameters, gap, ratio))
        regrouped = self.derive("general-regrouped", "Mean gap and variance ratio", general.result, REGROUP_GENERAL,
                                setting, checker)
        mean_term, variance_term = terms(regrouped.result)
        difference = next(f.args[0] for f in factors(mean_term) if f.is_Pow and f.args[1] == 2)
        bracket = next(f for f in factors(variance_term) if f.is_Add)
        variance_ratio = terms(bracket)[0]
        table = {evaluated(difference): gap, evaluated(variance_ratio): ratio}
        in_gap_ratio = rewrite_nodes(regrouped.result, lambda e: table.get(evaluated(e)) if e.args else None)
        f_of_ratio = rewrite_nodes(self.f_expr, lambda e: ratio if e == self.t else None)
        same_f = equal_fact(terms(in_gap_ratio)[1], mul(HALF, self.f(ratio)), "the same {f} as above",
                            meaning=mul(HALF, f_of_ratio))
        by_gap = self.derive("sensitivity-gap", "Sensitivity to the mean gap", Derivative(in_gap_ratio, gap),
                             DIFFERENTIATE, setting, checker)
        by_ratio = self.derive("sensitivity-ratio", "Sensitivity to the variance ratio",
                               Derivative(in_gap_ratio, ratio), DIFFERENTIATE_KEEP_FACTOR, setting, checker)
        x = setting.x
        q0, p0 = Density(setting.q.name, x, 0, 1), Density(setting.p.name, x, 0, 2)
        counter = self.derive("asymmetry", "Asymmetry", sub(KL(q0, p0), KL(p0, q0)),
                              (closed_form_rule(general), COLLECT), setting, Checker(()))
        return {
            "general": general, "regrouped": regrouped, "gap": gap, "ratio": ratio, "difference": difference,
            "variance_ratio": variance_ratio, "in_gap_ratio": in_gap_ratio, "same_f": same_f,
            "by_gap": by_gap, "by_ratio": by_ratio, "counter": counter, "q0": q0, "p0": p0,
            "ratio_star": zeros(by_ratio.result, ratio)[0],
            "limit_ratio_zero": limit_statement(by_ratio.result, ratio, 0, "+"),
            "limit_ratio_inf": limit_statement(by_ratio.result, ratio, oo, "-"),
        }


# -- figures ----------------------------------------------------------------------------------------
def _figures(it: Interpretation, stem: str) -> dict[str, Figure]:
    """The three figures, each plotting the engine's own expressions."""
    q = it.setting.q.name
    mu_axis = Axis(it.mu, -2.5, 2.5, f"mean of ${q}$")
    sigma_axis = Axis(it.sigma, 0.1, 3.0, f"standard deviation of ${q}$")
    ell_axis = Axis(it.ell, -3.0, 2.0, f"log-variance of ${q}$")
    kl_label = "KL divergence (nats)"
    at_mu = ((it.mu, Rational(1)),)
    return {
        "terms": Figure(
            "terms", "The two terms against the standard deviation of {q}. The variance term vanishes at "
            "{sigma_at_min} and rises steeply as the standard deviation shrinks; the mean term does not depend on "
            "the standard deviation and only lifts the sum.", f"{stem}-terms",
            CurvesPlot(sigma_axis, (Curve(it.variance_term, "variance term"),
                                    Curve(it.mean_term, "mean term", at_mu, "--"),
                                    Curve(it.closed_form, "their sum", at_mu, ":", formula=False)),
                       kl_label, "The two terms of the divergence")),
        "map": Figure(
            "map", "The divergence over the mean and the standard deviation of {q}. Its minimum (the star) is at "
            "{mu_at_min}, {sigma_at_min}, where {q} is the prior.", f"{stem}-map",
            MapPlot(it.closed_form, mu_axis, sigma_axis, kl_label, "KL divergence to the standard normal prior",
                    (tuple(it.minimiser.items()),), f"minimum: ${it.setting.q.name}$ is the prior")),
        "field": Figure(
            "field", "Directions of steepest descent (arrows of unit length) in the coordinates an encoder outputs, "
            "over the divergence itself; they all lead to the minimum at {mu_at_min}, {ell_at_min}.", f"{stem}-field",
            FieldPlot(it.in_logvar.result, (neg(it.grad_mu.result), neg(it.grad_ell_direct.result)), mu_axis, ell_axis,
                      kl_label, "arrows: direction of the negative gradient", "Gradient descent on the divergence",
                      (((it.mu, it.minimiser[it.mu]), (it.ell, it.ell_at_min)),), "minimum")),
    }


# -- sections ---------------------------------------------------------------------------------------
def _values(it: Interpretation) -> dict[str, Basic]:
    """The formulas the prose refers to, each printed from the engine's results."""
    t, f = it.t, it.f
    return {
        "kl": it.kl, "mu": it.mu, "sigma": it.sigma, "ell": it.ell, "t": t, "beta": it.beta, "f": Symbol(f.__name__),
        "q": Symbol(it.setting.q.name), "p": Symbol(it.setting.p.name),
        "mean_term": it.mean_term, "variance_term": it.variance_term,
        "variance_as_f": Eq(it.variance_term, mul(HALF, f(it.sigma**2)), evaluate=False),
        "f_def": Eq(f(t), it.f_expr, evaluate=False),
        "f_prime_eq": Eq(Derivative(f(t), t), it.f_prime.result, evaluate=False),
        "f_second_eq": Eq(Derivative(f(t), (t, 2)), it.f_second.result, evaluate=False),
        "t_star": Eq(t, it.t_star, evaluate=False),
        "f_nonnegative": Ge(f(t), 0, evaluate=False),
        "mu_at_min": Eq(it.mu, it.minimiser[it.mu], evaluate=False),
        "sigma_at_min": Eq(it.sigma, it.minimiser[it.sigma], evaluate=False),
        "ell_at_min": Eq(it.ell, it.ell_at_min, evaluate=False),
        "grad_mu_eq": Eq(Derivative(it.kl, it.mu), it.grad_mu.result, evaluate=False),
        "grad_sigma_eq": Eq(Derivative(it.kl, it.sigma), it.grad_sigma.result, evaluate=False),
        "grad_ell_eq": Eq(Derivative(it.kl, it.ell), it.grad_ell.result, evaluate=False),
        "logvar_def": Eq(it.ell, log(it.sigma**2), evaluate=False),
        "K": it.named, "K_def": Eq(it.named, it.closed_form, evaluate=False),
        "sigma_of_ell": Eq(it.sigma, it.sigma_of_ell, evaluate=False),
        "beta_kl": mul(it.beta, it.kl),
        "beta_grad_mu": it.grad_mu_beta.result,
        "beta_grad_ell": it.grad_ell_beta.result,
    }


def _section(key: str, title: str, text: str, values: Mapping[str, Basic], derivations=(), facts=(),
             figures=()) -> Section:
    return Section(key, title, text, MappingProxyType(dict(values)), tuple(derivations), tuple(facts), tuple(figures))


def interpretation_sections(derivation: Derivation) -> tuple[Section, ...]:
    """One compact "Interpretation" section: the two terms, the minimum, the gradients (no figures).

    For documents of q = N(mu, sigma^2) against N(0, 1) (the ``standard`` case). The ``dynamics``
    document derives each statement step by step and draws the figures.
    """
    it = Interpretation(derivation)
    values = _values(it)
    text = (
        "The divergence is the sum of a mean term {mean_term} and a variance term {variance_term}. The mean term "
        "is a square. The variance term is {variance_as_f} with {f_def}, whose slope {f_prime_eq} vanishes only at "
        "{t_star} and whose curvature {f_second_eq} is positive, so {f_nonnegative} with equality only there. "
        "Hence the divergence is zero exactly when {mu_at_min} and {sigma_at_min}: the posterior is the prior "
        "and the latent coordinate carries no information about the input; a coordinate that training drives "
        "there has collapsed (posterior collapse).\n\n"
        "During training the regulariser pulls the mean towards 0 with gradient {grad_mu_eq} and the spread "
        "towards 1 with {grad_sigma_eq}; encoders output the log-variance {logvar_def}, in which the gradient "
        "is {grad_ell_eq}. A {beta}-VAE weights the regulariser as {beta_kl}, which multiplies each of these "
        "gradients by {beta}. The engine derived and checked each of these statements; the dynamics document "
        "shows the derivations step by step, with figures."
    )
    facts = (*it.minimum_facts(), *it.gradient_facts())
    return (_section("interpretation", "Interpretation", text, values, (it.decomposition,) if it.decomposition.steps
                     else (), facts),)


def dynamics_sections(derivation: Derivation, general: Derivation) -> tuple[Section, ...]:
    """The full interpretation, for the ``dynamics`` document: five sections, three figures.

    ``derivation`` is the verified derivation of KL(N(mu, sigma^2) || N(0, 1)); ``general`` the verified
    derivation of the divergence between two arbitrary univariate Gaussians (the ``univariate`` case).
    """
    it = Interpretation(derivation)
    figures = _figures(it, derivation.name)
    c = it.coordinates
    values = {**_values(it), "d": c["d"], "j": c["j"], "k": c["k"]}
    h = it.hessian
    chain_factor = next(i for s in it.grad_ell.steps if s.rule == ELEMENTARY_DERIVATIVES.key for i in s.identities)
    values.update(
        f_at_min=Eq(it.f(it.t_star), evaluated(it.f_expr.subs(it.t, it.t_star)), evaluate=False),
        hessian_eq=Eq(Symbol("H"), h, evaluate=False),
        sigma_curvature_eq=Eq(Derivative(it.kl, (it.sigma, 2)), it.sigma_curvature.result, evaluate=False),
        ell_curvature=Eq(Derivative(it.kl, (it.ell, 2)), h[1, 1], evaluate=False),
        dsigma_dell=chain_factor,
        beta_grad_mu_eq=Eq(Derivative(values["beta_kl"], it.mu), it.grad_mu_beta.result, evaluate=False),
        beta_grad_ell_eq=Eq(Derivative(values["beta_kl"], it.ell), it.grad_ell_beta.result, evaluate=False),
        **it.limits,
    )
    terms_text = (
        "The closed form is the sum of two terms. The mean term {mean_term} depends only on the mean of {q}, and "
        "the variance term {variance_term} only on its standard deviation, so the regulariser penalises the two "
        "separately. An encoder with {d} latent coordinates outputs a Gaussian with a diagonal covariance; it and "
        "the standard normal prior both factorise over the coordinates, so the divergence is the sum of one such "
        "closed form per coordinate {j}, and the two kinds of term add up separately."
    )
    minimum_text = (
        "The mean term is a square, so it is never negative and vanishes only at {mu_at_min}. The variance term "
        "is {variance_as_f} with {f_def}. Differentiating {f} twice (below) gives the slope {f_prime_eq} and the "
        "curvature {f_second_eq}. The curvature is positive for every positive {t}, so {f} is strictly convex, "
        "and the slope vanishes only at {t_star}, where {f_at_min}. A strictly convex function is smallest where "
        "its slope vanishes, so {f_nonnegative}, with equality only at {t_star}, that is at {sigma_at_min} (the "
        "standard deviation is positive).\n\n"
        "So the divergence is never negative, and it is zero exactly when {mu_at_min} and {sigma_at_min}: when "
        "the encoder's posterior for the coordinate is the prior itself. Such a coordinate carries no "
        "information about the input, so the decoder cannot use it, and the regulariser has no reason to move "
        "it. When a coordinate gains the reconstruction less than it costs the regulariser, training drives it "
        "to this point: that is what posterior collapse of a latent dimension means."
    )
    gradients_text = (
        "Differentiating the closed form term by term gives the gradients that the optimiser follows on the "
        "regulariser. In the mean it is {grad_mu_eq}, a linear pull towards 0, as in weight decay. In the "
        "standard deviation it is {grad_sigma_eq}, which raises a small standard deviation, lowers a large one "
        "and vanishes at {sigma_at_min}. Encoders output the log-variance {logvar_def} instead, so that "
        "{sigma_of_ell} is positive whatever the network outputs; the chain rule through the standard deviation "
        "gives {grad_ell_eq}.\n\n"
        "The parameterisation decides how tame these gradients are. In the standard deviation the gradient is "
        "unbounded as the standard deviation shrinks, {limit_sigma}; in the log-variance it is bounded below, "
        "{limit_ell}, because the chain rule multiplies the gradient in the standard deviation by {dsigma_dell}, "
        "which shrinks with the standard deviation. The divergence is convex in both parameterisations (facts "
        "below): the Hessian in {mu} and {ell} is {hessian_eq}, whose leading minors are positive, and the "
        "curvature in {sigma} is {sigma_curvature_eq}, positive as well. The difference is conditioning. Near a "
        "standard deviation of 0 the curvature in {sigma} is unbounded too, {limit_curvature}, so plain gradient "
        "steps in it become arbitrarily large there, and a standard deviation must be kept positive by hand; "
        "every log-variance is admissible, and the curvature in it, {ell_curvature}, is small for small variances."
    )
    beta_text = (
        "A {beta}-VAE multiplies the regulariser by a constant weight: {beta_kl}. Differentiation is linear, so "
        "every gradient of the regulariser is multiplied by the same weight: {beta_grad_mu_eq} and "
        "{beta_grad_ell_eq}. The minimum and the convexity stay where they are; what changes is the strength of "
        "the pull towards the prior relative to the reconstruction term: a weight above 1 pulls every coordinate "
        "harder towards the prior, and so towards the collapsed state described above, and a weight below 1 "
        "pulls more weakly.\n\n"
        "The pull acts on each coordinate separately. In {d} dimensions the weighted regulariser is a sum over "
        "the coordinates, and its gradient in the parameters of coordinate {k} involves that coordinate alone "
        "(facts below): nothing couples one coordinate's pull towards the prior to another's."
    )
    two = it.two_gaussians(general)
    gs = general.setting
    x = gs.x
    counter = two["counter"]
    asymmetry = sign_fact(Lt(counter.result, 0, evaluate=False), "so the two directions differ")
    values_two = {
        **values,
        "q_general": Eq(Symbol(gs.q.name), Density("", x, gs.q.mean, gs.q.std), evaluate=False),
        "p_general": Eq(Symbol(gs.p.name), Density("", x, gs.p.mean, gs.p.std), evaluate=False),
        "gap_def": Eq(two["gap"], two["difference"], evaluate=False),
        "ratio_def": Eq(two["ratio"], two["variance_ratio"], evaluate=False),
        "kl_gap_ratio": Eq(general.start, two["in_gap_ratio"], evaluate=False),
        "same_f": two["same_f"].statement,
        "sens_gap": Eq(Derivative(general.start, two["gap"]), two["by_gap"].result, evaluate=False),
        "sens_ratio": Eq(Derivative(general.start, two["ratio"]), two["by_ratio"].result, evaluate=False),
        "ratio_star": Eq(two["ratio"], two["ratio_star"], evaluate=False),
        "q_example": Eq(Symbol(two["q0"].name), Density("", x, two["q0"].mean, two["q0"].std), evaluate=False),
        "p_example": Eq(Symbol(two["p0"].name), Density("", x, two["p0"].mean, two["p0"].std), evaluate=False),
        "asymmetry_eq": Eq(counter.start, counter.result, evaluate=False),
        "asymmetry_value": Float(evaluated(counter.result).evalf(3), 3),
        "p_var": gs.p.var,
        "limit_ratio_zero": two["limit_ratio_zero"],
        "limit_ratio_inf": two["limit_ratio_inf"],
    }
    two_text = (
        "For two arbitrary Gaussians {q_general} and {p_general}, the closed form (derived in the univariate "
        "document) regroups in the same way (below). With the mean gap {gap_def} and the variance ratio "
        "{ratio_def} it reads {kl_gap_ratio}, where {same_f} with the same {f} as above. So the divergence "
        "depends on the means only through their gap, measured against the variance {p_var} of {p}, and on "
        "the spreads through their ratio.\n\n"
        "Its sensitivities are {sens_gap} and {sens_ratio}. The mean gap costs its square, so its slope grows "
        "in proportion to the gap, the more steeply the narrower {p} is. The variance ratio costs nothing to "
        "first order at {ratio_star}; in the ratio itself the slope falls without bound as the ratio shrinks, "
        "{limit_ratio_zero}, and levels off as it grows, {limit_ratio_inf}.\n\n"
        "The divergence is not symmetric. For {q_example} and {p_example}, swapping the two arguments changes "
        "the value: {asymmetry_eq}, about {asymmetry_value}. Here the {q} narrower than {p} costs less than "
        "the other way round: the direction that the VAE regulariser uses, with the encoder's Gaussian first, "
        "penalises mass where the other density has little more than it penalises leaving part of the other "
        "density uncovered."
    )
    return (
        _section("terms", "Two terms: the mean and the spread", terms_text, values, (it.sum_split,),
                 figures=(figures["terms"],)),
        _section("minimum", "Never negative, and zero only at the prior", minimum_text, values,
                 (it.f_prime, it.f_second), it.minimum_facts(), (figures["map"],)),
        _section("gradients", "Gradients: what the optimiser sees", gradients_text, values,
                 (it.grad_mu, it.grad_sigma, it.in_logvar, it.grad_ell), it.convexity_facts(), (figures["field"],)),
        _section("beta", "Weighting the regulariser", beta_text, values, (it.grad_mu_beta, it.grad_ell_beta),
                 it.beta_coordinate_facts()),
        _section("two-gaussians", "Two Gaussians: mean gap, variance ratio, asymmetry", two_text, values_two,
                 (two["regrouped"], two["by_gap"], two["by_ratio"], counter), (two["same_f"], asymmetry)),
    )


def coordinate_interpretation_sections(coordinate: Derivation) -> tuple[Section, ...]:
    """The compact interpretation for a d-dimensional diagonal Gaussian against N(0, I) (the ``vae`` document).

    ``coordinate`` is the verified derivation for one coordinate (q = N(mu, sigma^2) against N(0, 1)); the
    section adds the sum over coordinates and the per-coordinate gradients to :func:`interpretation_sections`.
    """
    it = Interpretation(coordinate)
    c = it.coordinates
    values = {**_values(it), "d": c["d"], "j": c["j"], "k": c["k"]}
    (compact,) = interpretation_sections(coordinate)
    text = (
        "The prior and a posterior with a diagonal covariance both factorise over the {d} coordinates, so the "
        "divergence is a sum of one closed form per coordinate {j} (below), and each coordinate can be read on "
        "its own; for one coordinate we drop the index. " + compact.text + "\n\n"
        "The gradient in the parameters of coordinate {k} involves that coordinate alone (facts below), so the "
        "regulariser pulls every coordinate towards the prior independently of the others."
    )
    facts = (*compact.facts, it.coordinate_gradient_fact(S.One, it.closed_form, it.grad_mu.result, it.mu,
                                                          "the pull on the mean of coordinate {k}"))
    return (_section("interpretation", "Interpretation", text, {**compact.values, **values},
                     (*compact.derivations, it.sum_split), facts),)
