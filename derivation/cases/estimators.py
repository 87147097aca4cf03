"""The ``estimators`` document: the reparameterisation trick, the single-sample Monte Carlo estimate of the KL term
and its variance, and Schulman's three estimators k1, k2, k3 with their means and variances.

Every chain is made by named rules and checked step by step (the checker of ``settings.estimators``: Gauss-Hermite
quadrature over the noise at random points, the arbitrary function f replaced by test functions, derivatives of
expectations by the score-function form). The table and the figure are computed from the derived results.
"""

from __future__ import annotations

from functools import cached_property
from types import MappingProxyType

from sympy import Basic, Derivative, Eq, Expr, Float, Rational, S, Symbol, exp, factor, log, sqrt

from ..check.checker import Checker, reused
from ..core.engine import Derivation, Figure, Rule, Section, Table, derive_chain
from ..core.errors import DerivationError
from ..core.forms import HALF, add, evaluated, frac, mul, neg, sub
from ..core.plots import Axis, Curve, CurvesPlot
from ..nodes.scalar import KL, Density, Expectation, Named
from ..printing.latex import to_latex
from ..rules import COMBINE_LOG_DENSITIES, GAUSSIAN_LOG_DENSITY, LINEARITY, LOG_OF_RATIO, STANDARD_NORMAL_MOMENTS
from ..rules.base import rewrite_or_refuse, terms
from ..rules.estimators import (
    CHAIN_THROUGH_SAMPLE,
    COLLECT_POWERS,
    COLLECT_TERMS,
    DIFFERENTIATE_INSIDE,
    EXPAND_POWERS,
    EXPECTATION_IS_KL,
    EXPONENTIAL_TILT,
    REPARAMETERISE,
    exponential_moments,
    log_ratio_rule,
    ratio_definition,
    shown,
)
from ..settings.estimators import EstimatorSetting, SameLawChecker
from ..settings.univariate import Notation, Setting, gaussian_pair
from .interpretation import limit_statement
from .univariate import STANDARD_PLAN

#: How the titles name Schulman's estimators.
ORDINALS = {"k1": "first", "k2": "second", "k3": "third"}
#: The values of m at which the table compares the three estimators.
TABLE_POINTS = (Rational(1, 10), Rational(1))


def standard_derivation(notation: Notation) -> Derivation:
    """The ``standard`` case's derivation in ``notation`` (derived once per build: the same chain as that case's)."""
    n = notation
    setting = gaussian_pair(n, n.real("mu"), n.positive("sigma"), S.Zero, S.One)
    return setting.checker().derive("standard", "standard", setting.start(), STANDARD_PLAN, setting)


def _closed_form(expr: Expr, setting) -> Expr:
    """``KL(q || p) -> closed form``: the result of the standard document (the same two laws, whatever the name of
    the variable), cited, not derived again here."""
    standard = standard_derivation(setting.notation)
    laws = (standard.start.q.law, standard.start.p.law)
    return rewrite_or_refuse(expr, lambda e: standard.result if isinstance(e, KL) and (e.q.law, e.p.law) == laws
                             else None, "divergence of the standard document")


CLOSED_FORM = Rule("closed-form-of-standard", "Closed form", "The closed form derived in the standard document.",
                   _closed_form)

#: The mean of the single-sample estimate: the divergence by definition, then its closed form.
MAIN_PLAN: tuple[Rule, ...] = (EXPECTATION_IS_KL, CLOSED_FORM)


class Estimators:
    """The derived material of the document, each chain computed once (and once per build)."""

    def __init__(self, derivation: Derivation):
        self.derivation = derivation
        self.setting: EstimatorSetting = derivation.setting
        s = self.setting
        self.mu, self.sigma, self.eps, self.z, self.m, self.t, self.f = s.mu, s.sigma, s.z, s.x, s.m, s.t, s.f
        self.checker = s.checker()
        self.pair: Setting = s.schulman()
        self.schulman_checker = SameLawChecker((self.m, self.t), ranges={self.m: (-1.5, 1.5), self.t: (-1.5, 1.5)})

    def derive(self, key: str, title: str, start: Expr, plan: tuple[Rule, ...], setting=None,
               checker: Checker | None = None, closed: bool = True) -> Derivation:
        """The rules of ``plan`` that fit, in order, each step checked as it is made (once per build); a chain meant
        to end in a ``closed`` form that does not is an error (a rule that stopped fitting)."""
        setting = setting or self.setting
        checker = checker or self.checker
        name = f"{self.derivation.name}:{key}"
        same = ("estimators", key, start, tuple(r.key for r in plan), self.setting.notation.as_dict().__repr__())
        chain = reused(same, lambda: derive_chain(
            name, title, start, plan, setting, check=lambda i, before, step: checker.check_step(i, before, step, title),
            skip_unfit=True))
        if closed and chain.result.has(Expectation, KL, Named, Derivative):
            raise DerivationError(f"{name}: the chain stopped before a closed form, at {chain.result}")
        return chain

    # -- the reparameterisation trick -------------------------------------------------------------------------
    def gradient(self, v: Symbol, key: str, title: str) -> Derivation:
        start = Derivative(Expectation(self.f(self.z), self.setting.q), v)
        return self.derive(key, title, start, (REPARAMETERISE, DIFFERENTIATE_INSIDE, CHAIN_THROUGH_SAMPLE),
                           closed=False)

    @cached_property
    def gradient_mu(self) -> Derivation:
        return self.gradient(self.mu, "gradient-mean", "Gradient in the mean")

    @cached_property
    def gradient_sigma(self) -> Derivation:
        return self.gradient(self.sigma, "gradient-scale", "Gradient in the standard deviation")

    # -- the single-sample estimate ---------------------------------------------------------------------------
    @cached_property
    def estimate(self) -> Derivation:
        """``log q(z) - log p(z)`` written out."""
        s = self.setting
        start = sub(log(s.q), log(s.p))
        return self.derive("estimate", "The single-sample estimate", start,
                           (GAUSSIAN_LOG_DENSITY, COMBINE_LOG_DENSITIES))

    @property
    def kl(self) -> Expr:
        return self.derivation.result

    @cached_property
    def named_kl(self) -> Named:
        return Named("K", self.kl, (self.mu, self.sigma))

    def _put_in_estimate(self, expr: Expr, setting) -> Expr:
        """``log q(z) - log p(z) + c -> (the estimate written out) + c`` inside a sum."""
        wanted = terms(self.estimate.start)

        def match(e: Expr) -> Expr | None:
            if not e.is_Add:
                return None
            parts = terms(e)
            if not all(w in parts for w in wanted):
                return None
            at = parts.index(wanted[0])
            rest = [t for t in parts if t not in wanted]
            return add(*rest[:at], *terms(self.estimate.result), *rest[at:])

        return rewrite_or_refuse(expr, match, "single-sample estimate")

    @cached_property
    def variance(self) -> Derivation:
        """``E_q[(log q - log p - K)^2] = mu^2 sigma^2 + 1/2 (sigma^2 - 1)^2``."""
        s = self.setting
        start = Expectation(add(log(s.q), neg(log(s.p)), neg(self.named_kl)) ** 2, s.q)
        known = Rule("use-estimate", "The estimate", "Put in the estimate written out above.", self._put_in_estimate)
        return self.derive("variance", "Variance of the single-sample estimate", start,
                           (known, REPARAMETERISE, COLLECT_POWERS, EXPAND_POWERS, LINEARITY, STANDARD_NORMAL_MOMENTS,
                            COLLECT_TERMS))

    # -- Schulman's estimators ---------------------------------------------------------------------------------
    @cached_property
    def ratio(self) -> Named:
        q, p = self.pair.q, self.pair.p
        return Named("r", frac(p, q), (self.z,))

    @cached_property
    def log_ratio(self) -> Derivation:
        return self.derive("log-ratio", "The log-ratio", log(self.ratio),
                           (ratio_definition(self.ratio), LOG_OF_RATIO, GAUSSIAN_LOG_DENSITY, COLLECT_POWERS),
                           self.pair, self.schulman_checker)

    @cached_property
    def lemmas(self) -> tuple[Derivation, ...]:
        """``E[e^{tz}] = e^{t^2/2}`` and ``E[z e^{tz}] = t e^{t^2/2}`` for z ~ N(0, 1)."""
        law = self.law
        plan = (EXPONENTIAL_TILT, LINEARITY, STANDARD_NORMAL_MOMENTS, COLLECT_TERMS)
        return tuple(self.derive(key, title, Expectation(mul(g, exp(mul(self.t, self.z))), law), plan, self.pair,
                                 self.schulman_checker)
                     for key, title, g in (("mgf", "Exponential moment", 1),
                                           ("mgf-first", "First exponential moment", self.z)))

    @property
    def law(self) -> Density:
        return Density("", self.z, self.pair.q.law)

    @cached_property
    def estimators(self) -> dict[str, Expr]:
        """k1, k2, k3 in terms of the density ratio r(z)."""
        r = self.ratio
        return {
            "k1": mul(-1, log(r)),
            "k2": mul(HALF, log(r) ** 2),
            "k3": add(r, S.NegativeOne, neg(log(r))),
        }

    def _plan(self) -> tuple[Rule, ...]:
        return (log_ratio_rule(self.log_ratio, self.ratio), COLLECT_POWERS, EXPAND_POWERS, LINEARITY,
                STANDARD_NORMAL_MOMENTS, exponential_moments(self.lemmas, self.t), COLLECT_TERMS)

    @cached_property
    def means(self) -> dict[str, Derivation]:
        return {key: self.derive(f"{key}-mean", f"Mean of the {ORDINALS[key]} estimator", Expectation(k, self.law),
                                 self._plan(), self.pair,
                                 self.schulman_checker)
                for key, k in self.estimators.items()}

    @cached_property
    def variances(self) -> dict[str, Derivation]:
        return {key: self.derive(f"{key}-variance", f"Variance of the {ORDINALS[key]} estimator",
                                 Expectation(add(*terms(k), neg(self.means[key].result)) ** 2, self.law), self._plan(),
                                 self.pair,
                                 self.schulman_checker)
                for key, k in self.estimators.items()}

    @property
    def schulman_kl(self) -> Expr:
        """KL(N(0, 1) || N(m, 1)): the mean of k1, which is the single-sample estimate log q - log p."""
        return self.means["k1"].result

    def bias(self, key: str) -> Derivation:
        """The mean of estimator ``key`` minus the divergence, collected."""
        return self.derive(f"{key}-bias", f"Bias of {key}", sub(self.means[key].result, self.schulman_kl),
                           (COLLECT_TERMS,), self.pair, self.schulman_checker)

    @cached_property
    def k3_sample_gradient(self) -> Expr:
        """``d k3 / dm`` at a fixed sample: SymPy's derivative of k3 with the log-ratio put in, factored."""
        written = self.means["k3"].steps[0].expr.expr  # k3(z) with the derived log-ratio put in
        return shown(factor(evaluated(written).diff(self.m)), self.z)

    @cached_property
    def kl_gradient(self) -> Expr:
        """``d KL / dm`` of the divergence derived for Schulman's pair."""
        return shown(evaluated(self.schulman_kl).diff(self.m), self.z)

    def ratios(self, key: str) -> tuple[Expr, Expr]:
        """(bias / KL, sd / KL) of estimator ``key`` as expressions of m."""
        kl = self.schulman_kl
        return (frac(sub(self.means[key].result, kl), kl), frac(sqrt(self.variances[key].result), kl))


# -- the document's sections ----------------------------------------------------------------------------------
def _eq(lhs: Expr, rhs: Expr) -> Eq:
    return Eq(lhs, rhs, evaluate=False)


def _figure(it: Estimators, stem: str) -> Figure:
    """sd / KL against m for the three estimators, each curve the derived variance and KL."""
    axis = Axis(it.m, 0.1, 2.0, f"mean of ${it.pair.p.name}$")
    curves = tuple(Curve(it.ratios(key)[1], f"${to_latex(Symbol(name))}$", (), style, formula=False)
                   for key, name, style in (("k1", "k_1", "-"), ("k2", "k_2", "--"), ("k3", "k_3", ":")))
    return Figure("spread", "Standard deviation of one sample of each estimator relative to the divergence, against "
                  "{m}, drawn from the derived variances and divergence.",
                  f"{stem}-spread",
                  CurvesPlot(axis, curves, "standard deviation / KL", "Relative spread of one sample"))


def _table(it: Estimators) -> Table:
    """bias / KL and sd / KL of each estimator at each of :data:`TABLE_POINTS`, evaluated from the derived results."""
    keys = tuple(it.estimators)
    rows = []
    for i, point in enumerate(TABLE_POINTS):
        for j, what in enumerate(("bias / KL", "sd / KL")):
            cells = []
            for key in keys:
                value = evaluated(it.ratios(key)[j]).subs(it.m, point).evalf(3)
                cells.append(Float(value, 3) if value != 0 else S.Zero)
            rows.append((f"{what} at {{m_at_{i}}}", tuple(cells)))
    header = ("", *(f"{{{key}}}" for key in keys))
    return Table(header, tuple(rows), "Bias and standard deviation of one sample relative to the divergence "
                 "{kl_pair}, each evaluated from the derived mean and variance (rounded to three digits).")


def estimator_sections(derivation: Derivation) -> tuple[Section, ...]:
    """The reparameterisation trick, the variance of the single-sample estimate, Schulman's estimators (table,
    figure), and where the derivation stops being exact."""
    it = Estimators(derivation)
    s, pair = it.setting, it.pair
    k = {key: Symbol(f"k_{key[1]}") for key in it.estimators}
    values: dict[str, Basic] = {
        "z": it.z, "eps": it.eps, "mu": it.mu, "sigma": it.sigma, "m": it.m, "f": Symbol(it.f.__name__),
        "q": Symbol(s.q.name), "p": Symbol(s.p.name),
        "sample": _eq(it.z, add(it.mu, mul(it.sigma, it.eps))),
        "noise": s.standard(),
        "grad_mu": _eq(it.gradient_mu.start, it.gradient_mu.result),
        "grad_sigma": _eq(it.gradient_sigma.start, it.gradient_sigma.result),
        "estimate": sub(log(s.q), log(s.p)),
        "K_def": _eq(it.named_kl, it.kl),
        "variance": it.variance.result,
        "variance_eq": _eq(it.variance.start, it.variance.result),
        "q_pair": _eq(Symbol(pair.q.name), Density("", it.z, pair.q.law)),
        "p_pair": _eq(Symbol(pair.p.name), Density("", it.z, pair.p.law)),
        "r_def": _eq(it.ratio, it.ratio.definition),
        "log_r": _eq(it.log_ratio.start, it.log_ratio.result),
        "kl_pair": _eq(KL(pair.q, pair.p), it.schulman_kl),
        **{f"limit_{key}": limit_statement(it.ratios(key)[1], it.m, S.Zero) for key in ("k1", "k2")},
        **{f"m_at_{i}": _eq(it.m, point) for i, point in enumerate(TABLE_POINTS)},
        **{key: k[key] for key in it.estimators},
        **{f"{key}_def": _eq(k[key], it.estimators[key]) for key in it.estimators},
        **{f"{key}_mean": it.means[key].result for key in it.estimators},
        **{f"{key}_var": it.variances[key].result for key in it.estimators},
        "k2_bias": it.bias("k2").result,
        "k3_grad": _eq(Derivative(it.estimators["k3"], it.m), it.k3_sample_gradient),
        "kl_grad": _eq(Derivative(it.schulman_kl, it.m), it.kl_gradient),
    }
    reparameterisation = (
        "A VAE is trained by gradients of an expectation under the encoder's {q}, whose parameters {mu} and {sigma} "
        "also shape the law the sample is drawn from. The reparameterisation trick draws the sample as {sample} with "
        "{eps} drawn from {noise}: it has the same law, and the law of the noise does not depend on the parameters, "
        "so the derivative moves inside the expectation. For any differentiable {f} (below): {grad_mu} and "
        "{grad_sigma}. Each gradient is an expectation again, so one sample of {eps} gives an unbiased estimate of "
        "it. The checker compared each line with the derivative of the expectation computed the other way, by "
        "differentiating the density of {q} under the integral, for two functions put in for {f}."
    )
    single = (
        "The KL term of the loss can be computed in closed form or estimated from the sample: the single-sample "
        "estimate is {estimate} at a sample of {q}. Its mean is the divergence (the derivation at the top, which "
        "ends in the closed form of the standard document). Write {K_def}. Its variance (below) is {variance_eq}. "
        "The closed form is a number, with variance 0; the estimate adds noise that vanishes only where the "
        "variance above does, and it grows with the mean and with a standard deviation away from 1."
    )
    schulman = (
        "Schulman's three estimators of the divergence use the density ratio {r_def} at a sample of {q}. Take "
        "{q_pair} and {p_pair}; then {log_r} (below). The estimators are {k1_def}, {k2_def} and {k3_def}. The "
        "first is the single-sample estimate above; the third adds {k3_minus_k1}, whose mean is 0, and is "
        "never negative. Their means (below) are {k1_mean}, {k2_mean} and {k3_mean}: the divergence is {kl_pair}, "
        "so {k1} and {k3} are unbiased, and {k2} is biased by {k2_bias}. Their variances (below) are {k1_var}, "
        "{k2_var} and {k3_var}. The moments of the ratio come from the exponential moments of a standard normal "
        "variable, derived first. Relative to the divergence, the spread of one sample of {k1} grows without bound "
        "as {m} shrinks, {limit_k1}, while that of {k2} tends to a constant, {limit_k2}, and that of {k3} levels "
        "off as well (table and figure below)."
    )
    values["k3_minus_k1"] = sub(it.ratio, S.One)
    exactness = (
        "Every expression above is exact: the means and variances are identities for these Gaussians, and the "
        "numbers in the table are those identities evaluated. What is not exact is what a training loop does with "
        "them. First, the average of n samples has the mean above and the variance above divided by n: a Monte "
        "Carlo estimate is exact only in expectation. Second, the unbiasedness of {k3} is a statement about its "
        "value, not its gradient: differentiating one sample of {k3} in {m} with the sample held fixed gives "
        "{k3_grad}, whereas {kl_grad}; the two agree in expectation here only because {q}, the law of the "
        "sample, does not depend on {m}. When the sample is drawn from a distribution whose parameters are being "
        "trained and the sample is held fixed (not reparameterised), the gradient of the estimate is not the "
        "gradient of the divergence. Third, the moments used here exist because both laws are Gaussian with the "
        "same variance; for heavier-tailed ratios the variance of {k3} can be infinite, and nothing above applies."
    )
    return (
        Section("reparameterisation", "The reparameterisation trick", reparameterisation, MappingProxyType(values),
                (it.gradient_mu, it.gradient_sigma)),
        Section("single-sample", "The single-sample estimate and its variance", single, MappingProxyType(values),
                (it.estimate, it.variance)),
        Section("schulman", "Three estimators of the divergence", schulman, MappingProxyType(values),
                (it.log_ratio, *it.lemmas, *it.means.values(), *it.variances.values()),
                table=_table(it), figures=(_figure(it, derivation.name),)),
        Section("exactness", "Where the derivation stops being exact", exactness, MappingProxyType(values)),
    )
