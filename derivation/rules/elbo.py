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
from ..core.forms import add, frac, mul, neg
from ..nodes.scalar import KL, Expectation
from ..settings.model import ModelSetting
from .base import rewrite_or_refuse, terms

_A, _B = Symbol("a", positive=True), Symbol("b", positive=True)


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


def _marginal(expr: Expr, setting: ModelSetting) -> Rewrite:
    """``p(x) -> Integral(p(x, z), (z, -oo, oo))``: the evidence is the joint with z integrated out."""
    marginal = Integral(setting.joint, (setting.z, -oo, oo))
    out = rewrite_or_refuse(expr, lambda e: marginal if e == setting.evidence else None, "evidence p(x)")
    return Rewrite(out, (Eq(setting.evidence, marginal, evaluate=False),))


def _importance(expr: Expr, setting: ModelSetting) -> Rewrite:
    """``Integral(p(x, z)) -> Integral(q(z) p(x, z) / q(z))``: multiply and divide by q (q > 0 where p is)."""
    q, joint = setting.q, setting.joint

    def match(e: Expr) -> Expr | None:
        if isinstance(e, Integral) and e.function == joint:
            return Integral(mul(q, frac(joint, q)), *e.limits)
        return None

    out = rewrite_or_refuse(expr, match, "integral of the joint density")
    return Rewrite(out, (Eq(joint, mul(q, frac(joint, q)), evaluate=False),))


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
    "Average over q",
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
    "Multiply and divide by q",
    "Multiply and divide the ratio by q(z), which is positive wherever the posterior is.",
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

MARGINAL_LIKELIHOOD = Rule(
    "evidence-as-marginal",
    "Marginal",
    "The evidence is the joint density with the latent variable integrated out.",
    _marginal,
)

IMPORTANCE = Rule(
    "importance-weight",
    "Multiply and divide by q",
    "Multiply and divide the integrand by q(z), which is positive wherever the joint density is.",
    _importance,
)

__all__ = ["BAYES_RULE", "DIVERGENCE_FROM_PRIOR", "ELBO_AND_KL", "ELBO_DEFINITION", "FACTORISE_JOINT", "IMPORTANCE",
           "MARGINAL_LIKELIHOOD", "NORMALISATION", "SPLIT_LOG", "THROUGH_Q", "paper_result"]
