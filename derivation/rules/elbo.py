"""Rules of variational inference: the evidence, Bayes' rule, the ELBO and the divergence from the posterior.

They rewrite lines written with the model's densities (``settings.model.ModelSetting``): ``p(x)``, ``p(x, z)``,
``p(x | z)``, ``p(z)``, ``p(z | x)`` and ``q(z)``. Each identity they use holds for any model and any q; the
checker verifies every line on the setting's concrete (linear-Gaussian) model.
"""

from __future__ import annotations

from collections.abc import Callable

from sympy import Eq, Expr, Integral, S, Symbol, log, oo

from ..core.engine import Derivation, Rewrite, Rule, derive_chain
from ..core.errors import RuleNotApplicable
from ..core.forms import add, frac, mul, neg, square, sub
from ..core.placeholders import placeholders
from ..nodes.scalar import KL, Density, Expectation
from ..settings.model import ModelSetting
from ..settings.univariate import Notation, gaussian_pair
from .base import rewrite_or_refuse, terms

_A, _B = placeholders("a b", positive=True)


def _normalisation(expr: Expr, setting: ModelSetting) -> Rewrite:
    """``c -> E_q[c]`` for a line ``c`` free of z: q integrates to one (``E_q[c] = c Integral(q) = c``)."""
    if expr.has(setting.z) or expr.has(Expectation):
        raise_unfit("a line free of the latent variable")
    q = setting.q
    return Rewrite(Expectation(expr, q), (Eq(Integral(q, (setting.z, -oo, oo)), S.One, evaluate=False),))


def raise_unfit(what: str) -> None:
    raise RuleNotApplicable(f"no {what} in the expression")


def _bayes(expr: Expr, setting: ModelSetting) -> Rewrite:
    """``p(x) -> p(x, z) / p(z | x)`` (Bayes' rule: ``p(z | x) = p(x, z) / p(x)``)."""
    ratio = frac(setting.joint, setting.posterior)
    out = rewrite_or_refuse(expr, lambda e: ratio if e == setting.evidence else None, "evidence p(x)")
    return Rewrite(out, (Eq(setting.posterior, frac(setting.joint, setting.evidence), evaluate=False),))


def _through_q(expr: Expr, setting: ModelSetting) -> Rewrite:
    """``a / b -> (a / q) (q / b)`` inside a logarithm, for the ratio of the joint to the posterior."""
    joint, posterior, q = setting.joint, setting.posterior, setting.q

    def match(e: Expr) -> Expr | None:
        if isinstance(e, log) and e.args[0] == frac(joint, posterior):
            return log(mul(frac(joint, q), frac(q, posterior)), evaluate=False)
        return None

    out = rewrite_or_refuse(expr, match, "log of the joint over the posterior")
    identity = Eq(frac(_A, _B), mul(frac(_A, Symbol(q.name)), frac(Symbol(q.name), _B)), evaluate=False)
    return Rewrite(out, (identity,))


def _split_log(expr: Expr, setting: ModelSetting) -> Rewrite:
    """``log(a b) -> log a + log b`` for a product of two factors (each a density or a ratio of densities)."""

    def match(e: Expr) -> Expr | None:
        if isinstance(e, log) and e.args[0].is_Mul and len(e.args[0].args) == 2 and not e.args[0].args[0].is_Number:
            first, second = e.args[0].args
            return add(log(first), log(second))
        return None

    out = rewrite_or_refuse(expr, match, "log of a product of two factors")
    return Rewrite(out, (Eq(log(mul(_A, _B)), add(log(_A), log(_B)), evaluate=False),))


def _elbo_and_kl(expr: Expr, setting: ModelSetting) -> Rewrite:
    """``E_q[log(p(x, z) / q(z))] -> ELBO(q)`` and ``E_q[log(q(z) / p(z | x))] -> KL(q(z) || p(z | x))``."""
    q, elbo = setting.q, setting.elbo
    kl = KL(q, setting.posterior)
    known = {elbo.definition: elbo, Expectation(log(frac(q, setting.posterior)), q): kl}
    out = rewrite_or_refuse(expr, lambda e: known.get(e), "ELBO or divergence from the posterior")
    return Rewrite(out, (Eq(elbo, elbo.definition, evaluate=False),
                         Eq(kl, Expectation(log(frac(q, setting.posterior)), q), evaluate=False)))


def _elbo_definition(expr: Expr, setting: ModelSetting) -> Rewrite:
    """``ELBO(q) -> E_q[log(p(x, z) / q(z))]`` (the line is the definition: no identity shown beside it)."""
    elbo = setting.elbo
    return rewrite_or_refuse(expr, lambda e: elbo.definition if e == elbo else None, "ELBO")


def _factorise_joint(expr: Expr, setting: ModelSetting) -> Rewrite:
    """``p(x, z) / q(z) -> p(x | z) p(z) / q(z)``: the model is the likelihood times the prior."""
    joint, q = setting.joint, setting.q
    product = mul(setting.likelihood, setting.prior)

    def match(e: Expr) -> Expr | None:
        if e == frac(joint, q):
            return mul(setting.likelihood, frac(setting.prior, q))
        return product if e == joint else None

    out = rewrite_or_refuse(expr, match, "joint density p(x, z)")
    return Rewrite(out, (Eq(joint, product, evaluate=False),))


def _divergence_from_prior(expr: Expr, setting: ModelSetting) -> Rewrite:
    """``E_q[log(p(z) / q(z))] -> -KL(q(z) || p(z))``: the expected log-ratio the other way round."""
    q, prior = setting.q, setting.prior
    kl = KL(q, prior)
    target = Expectation(log(frac(prior, q)), q)
    out = rewrite_or_refuse(expr, lambda e: neg(kl) if e == target else None, "expected log of prior over q")
    if out.is_Add:
        out = add(*terms(out))
    return Rewrite(out, (Eq(kl, Expectation(log(frac(q, prior)), q), evaluate=False),
                         Eq(log(frac(_B, _A)), neg(log(frac(_A, _B))), evaluate=False)))


def _importance(expr: Expr, setting: ModelSetting) -> Rewrite:
    """``p(x) -> Integral(q(z) p(x, z) / q(z), (z, -oo, oo))``: the evidence is the joint density with z integrated
    out, and the integrand is multiplied and divided by q (q > 0 where the joint is)."""
    q, joint = setting.q, setting.joint
    marginal = Integral(joint, (setting.z, -oo, oo))
    weighted = Integral(mul(q, frac(joint, q)), (setting.z, -oo, oo))
    out = rewrite_or_refuse(expr, lambda e: weighted if e == setting.evidence else None, "evidence p(x)")
    return Rewrite(out, (Eq(setting.evidence, marginal, evaluate=False),
                         Eq(joint, mul(q, frac(joint, q)), evaluate=False)))


def paper_result(plan: tuple[Rule, ...], lemma_setting: Callable[[ModelSetting], object]) -> Rule:
    """A rule replacing ``KL(q(z) || p(z))`` (q Gaussian, p(z) standard normal) by the paper's closed form, with the
    lemma that derives it by ``plan`` (the ``standard`` case's plan) in the setting ``lemma_setting`` builds."""

    def apply(expr: Expr, setting: ModelSetting) -> Rewrite:
        kl = KL(setting.q, setting.prior)
        if not expr.has(kl):
            raise_unfit("divergence of q from the prior")
        inner = lemma_setting(setting)
        lemma: Derivation = derive_chain("paper", "The divergence from the standard normal prior",
                                         inner.start(), plan, inner)
        out = add(*[neg(lemma.result) if term == neg(kl) else term.xreplace({kl: lemma.result})
                    for term in terms(expr)])
        return Rewrite(out, (Eq(kl, lemma.result, evaluate=False),), (lemma,))

    return Rule("paper-result", "The paper's result",
                "For a Gaussian q and the standard normal prior the divergence is the paper's closed form, derived "
                "in the standard document.", apply)


NORMALISATION = Rule(
    "q-normalised",
    "Normalisation",
    "The line does not depend on the latent variable, and q integrates to one, so it equals its own average "
    "under q.",
    _normalisation,
)

BAYES_RULE = Rule(
    "bayes-rule",
    "Bayes' rule",
    "The posterior is the joint density divided by the evidence, so the evidence is the joint divided by the "
    "posterior (for every z).",
    _bayes,
)

THROUGH_Q = Rule(
    "multiply-divide-by-q",
    "Multiply and divide",
    "The density q is positive wherever the posterior is, so the ratio can be multiplied and divided by it.",
    _through_q,
)

SPLIT_LOG = Rule(
    "split-log",
    "Split the log",
    "The logarithm of a product is the sum of the logarithms of its factors.",
    _split_log,
)

ELBO_AND_KL = Rule(
    "elbo-and-kl",
    "ELBO and divergence",
    "The first average is the evidence lower bound by its definition; the second is the divergence of q from "
    "the posterior by the definition of the KL divergence.",
    _elbo_and_kl,
)

ELBO_DEFINITION = Rule(
    "elbo-definition",
    "Definition",
    "The evidence lower bound is the average under q of the log-ratio of the joint density to q.",
    _elbo_definition,
)

FACTORISE_JOINT = Rule(
    "factorise-joint",
    "The model",
    "The joint density is the likelihood times the prior.",
    _factorise_joint,
)

DIVERGENCE_FROM_PRIOR = Rule(
    "divergence-from-prior",
    "Divergence from the prior",
    "The average log-ratio of the prior to q is minus the divergence of q from the prior (the log of a ratio "
    "changes sign when the ratio is inverted).",
    _divergence_from_prior,
)

IMPORTANCE = Rule(
    "importance-weight",
    "Marginal",
    "The evidence is the joint density with the latent variable integrated out; multiply and divide the integrand "
    "by the density q, which is positive wherever the joint density is.",
    _importance,
)



# -- the linear-Gaussian model in closed form -----------------------------------------------------------------


def _model_log_densities(expr: Expr, setting: ModelSetting) -> Rewrite:
    """``log p(x | z) -> -1/2 log(2 pi s**2) - (x - w z)**2 / (2 s**2)`` and ``log p(z) -> -1/2 log(2 pi) - z**2 / 2``:
    the Gaussian log-densities of the likelihood and the prior."""
    forms = {setting.likelihood: setting.likelihood_law.log_pdf_form(setting.x),
             setting.prior: setting.prior_law.log_pdf_form(setting.z)}
    used: dict[Expr, Eq] = {}

    def match(e: Expr) -> Expr | None:
        if isinstance(e, log) and e.args[0] in forms:
            used[e] = Eq(e, forms[e.args[0]], evaluate=False)
            return forms[e.args[0]]
        return None

    out = rewrite_or_refuse(expr, match, "log-density of the likelihood or the prior")
    return Rewrite(out, tuple(used.values()))


def completed_square(setting: ModelSetting) -> Expr:
    """``-(w**2 + s**2) / (2 s**2) (z - w x / (w**2 + s**2))**2 - x**2 / (2 (w**2 + s**2))`` and the two
    log-normalisers: ``log p(x | z) + log p(z)`` as a quadratic in z around the posterior mean."""
    w, s, x, z = setting.w, setting.s, setting.x, setting.z
    precision = frac(add(square(w), square(s)), mul(2, square(s)))
    return add(neg(mul(precision, square(sub(z, setting.posterior_mean)))),
               neg(frac(square(x), mul(2, setting.evidence_variance))),
               setting.likelihood_law.log_normaliser(), setting.prior_law.log_normaliser())


def _complete_square(expr: Expr, setting: ModelSetting) -> Expr:
    """The sum of the two Gaussian log-densities -> :func:`completed_square` (a quadratic in z, the square completed
    around ``w x / (w**2 + s**2)``; what is left over is free of z)."""
    model = add(setting.likelihood_law.log_pdf_form(setting.x), setting.prior_law.log_pdf_form(setting.z))
    if expr != model:
        raise_unfit("sum of the likelihood's and the prior's log-densities")
    return completed_square(setting)


def _posterior_and_evidence(expr: Expr, setting: ModelSetting) -> Rewrite:
    """:func:`completed_square` -> ``log p(z | x) + log p(x)``: up to terms free of z it is a Gaussian log-density in
    z, so the posterior is that Gaussian, and what is left is the log-evidence."""
    if expr != completed_square(setting):
        raise_unfit("completed square in the latent variable")
    identities = tuple(Eq(node, Density("", node.variable, law), evaluate=False)
                       for node, law in ((setting.posterior, setting.posterior_law),
                                         (setting.evidence, setting.evidence_law)))
    return Rewrite(add(log(setting.posterior), log(setting.evidence)), identities)


def _expected_squared_error(expr: Expr, setting: ModelSetting) -> Rewrite:
    """``E_q[(x - w z)**2] -> (x - w m)**2 + w**2 t**2``: a mean square is the squared mean plus the variance."""
    q, w, x, z = setting.q, setting.w, setting.x, setting.z
    target = Expectation(square(sub(x, mul(w, z))), q)
    value = add(square(sub(x, mul(w, setting.m))), mul(square(w), square(setting.t)))
    out = rewrite_or_refuse(expr, lambda e: value if e == target else None, "expected squared error")
    out = add(*terms(out))  # one sum: the brackets of the log-density's terms are no longer needed
    return Rewrite(out, (Eq(Expectation(mul(w, z), q), mul(w, setting.m), evaluate=False),
                         Eq(Expectation(square(sub(mul(w, z), mul(w, setting.m))), q),
                            mul(square(w), square(setting.t)), evaluate=False)))


def elbo_decomposed(plan: tuple[Rule, ...]) -> Rule:
    """A rule replacing ``ELBO(q)`` by the end of its decomposition (expected log-likelihood minus the divergence
    from the prior, in closed form), with the lemma that derives it by ``plan`` (the ``elbo`` document's)."""

    def apply(expr: Expr, setting: ModelSetting) -> Rewrite:
        elbo = setting.elbo
        if not expr.has(elbo):
            raise_unfit("ELBO")
        lemma = derive_chain("decomposition", "Reconstruction and regulariser", elbo, plan, setting)
        return Rewrite(expr.xreplace({elbo: lemma.result}), (), (lemma,))

    return Rule("elbo-decomposition", "Reconstruction and regulariser",
                "The ELBO is the expected log-likelihood minus the divergence of q from the prior (lemma below).",
                apply)


MODEL_LOG_DENSITIES = Rule(
    "model-log-densities",
    "Log-densities",
    "Substitute the Gaussian log-densities of the likelihood and the prior.",
    _model_log_densities,
)

COMPLETE_SQUARE = Rule(
    "complete-the-square",
    "Complete the square",
    "Collect the powers of z and complete the square around the point where the quadratic peaks; what is left "
    "over does not depend on z.",
    _complete_square,
)

POSTERIOR_AND_EVIDENCE = Rule(
    "posterior-and-evidence",
    "Posterior and evidence",
    "As a function of z the line is a Gaussian log-density up to a constant, so the posterior is that Gaussian; "
    "the rest, free of z, is the log-evidence, a Gaussian density of x.",
    _posterior_and_evidence,
)

EXPECTED_SQUARED_ERROR = Rule(
    "expected-squared-error",
    "Mean and variance",
    "The average of a square is the square of the average plus the variance, both under q.",
    _expected_squared_error,
)


def divergence_from_posterior(plan: tuple[Rule, ...]) -> Rule:
    """A rule replacing ``KL(q(z) || p(z | x))`` (two univariate Gaussians) by the closed form that ``plan`` (the
    ``univariate`` case's) derives for two arbitrary Gaussians, at q's parameters and the posterior's."""

    def apply(expr: Expr, setting: ModelSetting) -> Rewrite:
        kl = KL(setting.q, setting.posterior)
        if not expr.has(kl):
            raise_unfit("divergence of q from the posterior")
        n = Notation()
        general = gaussian_pair(n, n.real("mu", of="q"), n.positive("sigma", of="q"), n.real("mu", of="p"),
                                n.positive("sigma", of="p"))
        result = derive_chain("univariate", "Two Gaussians", general.start(), plan, general).result
        law = setting.posterior_law
        mu_q, sigma_q, mu_p, sigma_p = general.parameters
        closed = result.xreplace({mu_q: setting.m, sigma_q: setting.t, mu_p: law.mean, sigma_p: law.std})
        closed = add(*[a for a in terms(closed) if not a.is_Number], *[a for a in terms(closed) if a.is_Number])
        return Rewrite(expr.xreplace({kl: closed}))

    return Rule("divergence-between-gaussians", "Two Gaussians",
                "q and the posterior are Gaussians: put their means and variances into the divergence between two "
                "univariate Gaussians, derived in the univariate document.", apply)
