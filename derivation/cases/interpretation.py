"""What the closed form means and what it does to training, derived by the engine.

The material derived here interprets KL(N(mu, sigma^2) || N(0, 1)) term by term: its mean and variance
terms, why it is never negative and where it vanishes (posterior collapse), the gradients an
optimiser sees in each parameterisation, the effect of a beta weight, and, for two arbitrary
Gaussians, the roles of the mean gap and the variance ratio and the asymmetry of the divergence.

Every formula is obtained by the engine: a derivation (a chain of rules, each step checked as it
is made) or a fact that SymPy establishes (a sign from the symbols' assumptions, an equation by
cancellation, a root of a polynomial); a fact that does not hold raises :class:`StepRejected`.
The prose and figures around this material, and the section builders, are in ``sections.py``.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property

from sympy import (
    Add,
    Basic,
    Derivative,
    Eq,
    Expr,
    Function,
    Ge,
    Gt,
    ImmutableMatrix,
    IndexedBase,
    Limit,
    Lt,
    Matrix,
    Poly,
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

from ..check.checker import Checker, is_zero, reused
from ..core.engine import Check, Derivation, Fact, Rewrite, Rule, Step
from ..core.errors import DerivationError, RuleNotApplicable, StepRejected
from ..core.forms import HALF, evaluated, mul, sub
from ..laws import NormalLaw
from ..nodes.scalar import KL, Density, Named
from ..printing.latex import reads_the_same, to_latex
from ..rules import LOG_VARIANCE
from ..rules.base import factors, rewrite_nodes, terms
from ..rules.calculus import (
    CHAIN_RULE,
    DEFINE_NAMED,
    ELEMENTARY_DERIVATIVES,
    LOG_OF_EXP,
    MULTIPLY_EXPONENTIALS,
    MULTIPLY_OUT,
    SECOND_DERIVATIVES,
    SUBSTITUTE,
    TERM_BY_TERM,
    UNFOLD_DEFINED,
    differentiate_derived,
    use_derived,
)
from ..rules.terms import (
    COLLECT,
    COMBINE_LOGS,
    PUT_VALUES_IN,
    SPLIT_FRACTION,
    SPLIT_MEAN_VARIANCE,
    SUM_TERM_BY_TERM,
    closed_form_at_rule,
)
from ..settings.multivariate import DiagonalPair, marginal, preset_pair
from ..settings.univariate import Setting
from .multivariate import DIAGONAL_PRESET

#: Differentiate a closed form: linearity, the table, then tidy.
DIFFERENTIATE: tuple[Rule, ...] = (TERM_BY_TERM, ELEMENTARY_DERIVATIVES, MULTIPLY_OUT)
#: The same without the final tidying (keeps a factored form such as 1/2 (e^l - 1)).
DIFFERENTIATE_KEEP_FACTOR: tuple[Rule, ...] = (TERM_BY_TERM, ELEMENTARY_DERIVATIVES)
#: Regroup the closed form for two Gaussians into a mean-gap term and a variance-ratio term.
#: Log-variances for two arbitrary Gaussians: no encoder in sight, so only what the step does (its own key: a key
#: names one title and one justification).
LOG_VARIANCES_GENERAL = replace(LOG_VARIANCE, key="log-variance-general",
                                justification="Write the logarithms of the standard deviations with the logarithms "
                                "of the variances.")
REGROUP_GENERAL: tuple[Rule, ...] = (LOG_VARIANCES_GENERAL, SPLIT_FRACTION, SPLIT_MEAN_VARIANCE, COMBINE_LOGS)

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


def _without_echo(before: Expr, step: Step) -> Step:
    """``step`` without the identity it uses when that identity reads as the step itself (``d/dmu mu = 1``
    shown under the line ``d/dmu mu = 1``): a reader would see the same equation twice."""
    shown = to_latex(Eq(before, step.expr, evaluate=False))
    if step.identities and all(to_latex(identity) == shown for identity in step.identities):
        return replace(step, identities=())
    return step


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
        self.ell = Symbol(n.name("logvar"), real=True)
        self.t = n.positive("t")
        self.beta = n.positive("beta")
        self.f = Function("f")
        self.checker = Checker((self.mu, self.sigma, self.ell, self.t, self.beta))

    # -- derivations ------------------------------------------------------------------------------
    def derive(self, key: str, title: str, start: Expr, rules: tuple[Rule, ...],
               setting: Setting | None = None, checker: Checker | None = None) -> Derivation:
        """Apply those of ``rules`` that fit, in order, each step checked as it is made (once per build for the
        same chain: documents that show the same interpretation share it)."""
        setting = setting or self.setting
        notation = getattr(setting, "notation", None)
        same = ("interpretation", key, title, start, tuple(r.key for r in rules), type(setting).__name__,
                getattr(setting, "z", None), tuple(sorted(notation.as_dict().items())) if notation else ())
        chain = reused(same, lambda: self._derive(key, title, start, rules, setting, checker))
        return replace(chain, name=f"{self.derivation.name}:{key}")

    def _derive(self, key: str, title: str, start: Expr, rules: tuple[Rule, ...], setting: Setting,
                checker: Checker | None) -> Derivation:
        plan, expr, shown = [], start, to_latex(start)
        for rule in rules:
            try:
                rewrite = rule(expr, setting)
            except RuleNotApplicable:
                continue
            printed = to_latex(rewrite.expr)
            if reads_the_same(shown, printed):  # a line that reads as the one before is no step:
                if not plan:  # at the start, the chain starts from the plainer form
                    start = expr = rewrite.expr
                    shown = printed
                continue
            # the rule has fired: the checked chain replays its rewrite rather than computing it again
            plan.append(replace(rule, apply=lambda e, s, done=rewrite: done))
            expr, shown = rewrite.expr, printed
        chain = (checker or self.checker).derive(f"{self.derivation.name}:{key}", title, start, tuple(plan), setting)
        befores = (chain.start, *(s.expr for s in chain.steps))[:len(chain.steps)]
        return replace(chain, steps=tuple(_without_echo(before, step)
                                          for before, step in zip(befores, chain.steps, strict=True)))

    @cached_property
    def decomposition(self) -> Derivation:
        return self.derive("decomposition", "The two terms", self.derivation.result, (SPLIT_MEAN_VARIANCE,))

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
    def k_definition(self) -> Derivation:
        """``K(mu, sigma) = 1/2 mu^2 + 1/2 (sigma^2 - log sigma^2 - 1)``: the name the gradient lines use, defined."""
        return self.derive("k-definition", "The closed form as a function", self.named, (DEFINE_NAMED,))

    @cached_property
    def grad_mu(self) -> Derivation:
        return self.derive("gradient-mu", "Gradient in the mean", Derivative(self.named, self.mu),
                           (UNFOLD_DEFINED, *DIFFERENTIATE))

    @cached_property
    def grad_sigma(self) -> Derivation:
        return self.derive("gradient-sigma", "Gradient in the standard deviation", Derivative(self.named, self.sigma),
                           (UNFOLD_DEFINED, *DIFFERENTIATE))

    @property
    def sigma_of_ell(self) -> Expr:
        """The standard deviation as a function of the log-variance: ``exp(l / 2)``."""
        return exp(self.ell / 2)

    @cached_property
    def in_logvar(self) -> Derivation:
        return self.derive("in-logvar", "In the log-variance", self.at_logvar,
                           (UNFOLD_DEFINED, SUBSTITUTE, LOG_OF_EXP))

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
                           (CHAIN_RULE, ELEMENTARY_DERIVATIVES, known, SUBSTITUTE, MULTIPLY_EXPONENTIALS))

    @cached_property
    def grad_ell_direct(self) -> Derivation:
        return self.derive("gradient-logvar-direct", "Gradient in the log-variance, directly",
                           Derivative(self.in_logvar.result, self.ell), DIFFERENTIATE_KEEP_FACTOR)

    @cached_property
    def grad_mu_logvar(self) -> Derivation:
        """``d/dmu [K(mu, sigma)]_{sigma = e^{l/2}} = mu``: the gradient in the mean with the log-variance."""
        return self.derive("gradient-mu-in-logvar", "Gradient in the mean", Derivative(self.at_logvar, self.mu),
                           (UNFOLD_DEFINED, SUBSTITUTE, LOG_OF_EXP, *DIFFERENTIATE))

    @cached_property
    def second_derivatives(self) -> dict[str, Derivation]:
        """The second derivatives in (mu, l), each starting from what it computes (``d^2/dmu^2 [K]_{sigma =
        e^{l/2}}``), written as the derivative of a derived first derivative, then differentiated; all checked."""
        f, mu, ell = self.at_logvar, self.mu, self.ell
        known = differentiate_derived((self.grad_mu_logvar, self.grad_ell))
        entries = (("h-mu-mu", "Second derivative in the mean", Derivative(f, (mu, 2))),
                   ("h-mu-logvar", "Mixed second derivative", Derivative(f, mu, ell)),
                   ("h-logvar-mu", "Mixed second derivative, in the other order", Derivative(f, ell, mu)),
                   ("h-logvar-logvar", "Second derivative in the log-variance", Derivative(f, (ell, 2))))
        return {key: self.derive(key, title, start, (known, *DIFFERENTIATE)) for key, title, start in entries}

    @property
    def shown_second_derivatives(self) -> tuple[Derivation, ...]:
        """The second derivatives displayed before the Hessian (the mixed one once: the two orders agree)."""
        h = self.second_derivatives
        if not is_zero(evaluated(h["h-mu-logvar"].result) - evaluated(h["h-logvar-mu"].result)):
            raise StepRejected(f"{self.derivation.name}: the mixed second derivatives differ")
        return h["h-mu-mu"], h["h-logvar-logvar"], h["h-mu-logvar"], self.sigma_curvature

    @cached_property
    def hessian(self) -> Matrix:
        """The Hessian of the divergence in (mu, l), each entry differentiated by the rules and checked."""
        h = {key: d.result for key, d in self.second_derivatives.items()}
        return Matrix([[h["h-mu-mu"], h["h-mu-logvar"]], [h["h-logvar-mu"], h["h-logvar-logvar"]]])

    @cached_property
    def hessian_display(self) -> Derivation:
        """``H(mu, ell) = [[1, 0], [0, e^ell / 2]]``: the Hessian in mean and log-variance, shown as a display.

        Each entry is a second derivative derived and checked by :meth:`second`; the one step writes out the
        name, and its check compares the matrix entry by entry with what the name stands for.
        """
        matrix = ImmutableMatrix(self.hessian)
        named = Named("H", matrix, (self.mu, self.ell))
        rewrite = SECOND_DERIVATIVES(named, self.setting)
        shown = rewrite.expr
        if not all(is_zero(evaluated(a) - evaluated(b)) for a, b in zip(named.definition, shown, strict=True)):
            raise StepRejected(f"{self.derivation.name}:hessian: the matrix shown is not the Hessian derived")
        step = Step(SECOND_DERIVATIVES.key, SECOND_DERIVATIVES.title, SECOND_DERIVATIVES.justification, shown)
        check = Check(0, True, "symbolic", "the entries are the second derivatives derived above, entry by entry")
        return Derivation(f"{self.derivation.name}:hessian", "Hessian in the mean and the log-variance", self.setting,
                          named, (step,), (check,))

    @cached_property
    def sigma_curvature(self) -> Derivation:
        return self.derive("curvature-sigma", "Curvature in the standard deviation",
                           Derivative(self.named, (self.sigma, 2)),
                           (differentiate_derived((self.grad_sigma,)), *DIFFERENTIATE))

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
    def diagonal(self) -> DiagonalPair:
        """The d-dimensional setting whose coordinates this interpretation reads: q = N(mu, diag(sigma^2))
        against N(0, I), in the same notation (its checker evaluates sums over the coordinates, d = 2 and 3)."""
        return preset_pair(DIAGONAL_PRESET, self.setting.notation)

    @cached_property
    def coordinates(self) -> dict[str, Basic]:
        """Symbols for coordinate j of a d-dimensional diagonal Gaussian (the diagonal setting's own)."""
        n, diagonal = self.setting.notation, self.diagonal
        k = Symbol(n.names.get("k", "k"), integer=True, positive=True)
        return {"j": diagonal.index, "k": k, "d": diagonal.dim_symbol, "mu": diagonal.mean,
                "sigma": diagonal.scale, "ell": IndexedBase(n.name("logvar"), real=True)}

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
    def sum_plan(self) -> tuple[Rule, ...]:
        """The rules of :attr:`sum_split`: factorise over the coordinates, the closed form per coordinate, sum."""
        diagonal, c = self.diagonal, self.coordinates
        j = c["j"]

        def factorise(expr: Expr, setting) -> Rewrite:
            if not (isinstance(expr, KL) and expr == diagonal.start()):
                raise RuleNotApplicable("not the divergence of the diagonal Gaussian from N(0, I)")
            return Rewrite(Sum(KL(marginal(diagonal.q, j), marginal(diagonal.p, j)), (j, 1, c["d"])))

        closed_j = self.per_coordinate(self.closed_form, j)

        def per_coordinate(expr: Expr, setting) -> Rewrite:
            used: list[Eq] = []

            def match(e: Expr) -> Expr | None:
                if isinstance(e, KL) and e == KL(marginal(diagonal.q, j), marginal(diagonal.p, j)):
                    used.append(Eq(e, closed_j, evaluate=False))
                    return closed_j
                return None

            out = rewrite_nodes(expr, match)
            if not used:
                raise RuleNotApplicable("no divergence between the coordinate densities")
            return Rewrite(out, (used[0],))

        plan = (
            Rule("sum-over-coordinates", "Factorise", "With diagonal covariance the densities factorise over the "
                 "coordinates, so the divergence is the sum of the divergences between the coordinate densities "
                 "(derived step by step in the diagonal case).", factorise),
            Rule("closed-form-per-coordinate", "Closed form", "Each term is the closed form above, with its mean "
                 "term and its variance term, for one coordinate.", per_coordinate),
            SUM_TERM_BY_TERM,
        )
        return plan

    @cached_property
    def sum_split(self) -> Derivation:
        """``KL(q || p) = sum_j KL(q_j || p_j) = sum_j (mean term + variance term) = ...`` for the d-dimensional
        diagonal Gaussian: the factorisation (the diagonal case's argument), then the closed form above for each
        coordinate, then the sum term by term; each line checked at d = 2 and 3 (quadrature over R^d)."""
        diagonal = self.diagonal
        return self.derive("sum", "In d dimensions", diagonal.start(), self.sum_plan, diagonal, diagonal.checker())

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
            Fact(Eq(Derivative(f(t), (t, 2)), self.f_second.result, evaluate=False),
                 "the curvature of {f}, positive for every positive {t}: {f} is strictly convex",
                 sign_fact(Gt(self.f_second.result, 0, evaluate=False)).check),
            Fact(Eq(Subs(Derivative(f(t), t), t, self.t_star), 0),
                 "the slope vanishes at {t_star}, and only there: its derivative, the curvature, is positive, so "
                 "the slope is increasing",
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
        closed = use_derived(general, "Closed form", "The closed form for two Gaussians, derived in the univariate "
                             "document.", cite=False, key="use-closed-form")
        regrouped = self.derive("general-regrouped", "Mean gap and variance ratio", general.start,
                                (closed, *REGROUP_GENERAL), setting, checker)
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
        q0, p0 = Density(setting.q.name, x, NormalLaw(0, 1)), Density(setting.p.name, x, NormalLaw(0, 2))
        counter = self.derive("asymmetry", "Asymmetry", sub(KL(q0, p0), KL(p0, q0)),
                              (closed_form_at_rule(general), PUT_VALUES_IN, COLLECT), setting, Checker(()))
        return {
            "general": general, "regrouped": regrouped, "gap": gap, "ratio": ratio, "difference": difference,
            "variance_ratio": variance_ratio, "in_gap_ratio": in_gap_ratio, "same_f": same_f,
            "by_gap": by_gap, "by_ratio": by_ratio, "counter": counter, "q0": q0, "p0": p0,
            "ratio_star": zeros(by_ratio.result, ratio)[0],
            "limit_ratio_zero": limit_statement(by_ratio.result, ratio, 0, "+"),
            "limit_ratio_inf": limit_statement(by_ratio.result, ratio, oo, "-"),
        }


__all__ = ["Interpretation", "equal_fact", "limit_statement", "sign_fact", "zeros"]
