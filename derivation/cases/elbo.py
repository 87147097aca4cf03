"""The ``elbo`` case: the evidence, the evidence lower bound and the divergence from the posterior.

Plans and sections. The main chain derives ``log p(x) = ELBO(q) + KL(q(z) || p(z | x))`` from the definitions;
the sections derive the bound (the divergence is never negative), the same bound by Jensen's inequality, and the
ELBO as an expected log-likelihood minus the divergence from the prior, whose closed form is the paper's result
(the ``standard`` plan, cited as a lemma). Every line is checked on the linear-Gaussian model the setting carries.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

from sympy import Basic, Eq, Expr, Ge, Le, S, Symbol, log

from ..check.checker import Checker, is_zero
from ..core.engine import Check, Derivation, Fact, Figure, Rule, Section
from ..core.errors import StepRejected
from ..core.forms import evaluated, square, sub
from ..core.plots import Axis, Curve, CurvesPlot
from ..nodes.scalar import KL, Density
from ..rules import INTEGRAL_AS_EXPECTATION, LINEARITY
from ..rules.elbo import (
    BAYES_RULE,
    COMPLETE_SQUARE,
    DIVERGENCE_FROM_PRIOR,
    ELBO_AND_KL,
    ELBO_DEFINITION,
    EXPECTED_SQUARED_ERROR,
    FACTORISE_JOINT,
    IMPORTANCE,
    MODEL_LOG_DENSITIES,
    NORMALISATION,
    POSTERIOR_AND_EVIDENCE,
    SPLIT_LOG,
    THROUGH_Q,
    divergence_from_posterior,
    elbo_decomposed,
    paper_result,
)
from ..settings.model import ModelSetting
from ..settings.univariate import Setting, gaussian_pair
from .univariate import STANDARD_PLAN, UNIVARIATE_PLAN

#: ``log p(x) = ELBO(q) + KL(q(z) || p(z | x))``.
ELBO_PLAN: tuple[Rule, ...] = (NORMALISATION, BAYES_RULE, THROUGH_Q, SPLIT_LOG, LINEARITY, ELBO_AND_KL)


def standard_in_latent(setting: ModelSetting) -> Setting:
    """The ``standard`` case's setting over the latent variable: q = N(m, t**2) against p(z) = N(0, 1)."""
    n = setting.notation
    names = {**n.names, "x": setting.z.name, "mu": setting.m.name, "sigma": setting.t.name}
    return gaussian_pair(replace(n, names=MappingProxyType(names)), setting.m, setting.t, S.Zero, S.One)


#: KL(q(z) || p(z)) -> the paper's closed form (the standard case's chain, in z and q's parameters, as the lemma).
PAPER_RESULT = paper_result(STANDARD_PLAN, standard_in_latent)
#: ``ELBO(q) = E_q[log p(x | z)] - KL(q(z) || p(z))``, the divergence then in the paper's closed form.
DECOMPOSITION_PLAN: tuple[Rule, ...] = (ELBO_DEFINITION, FACTORISE_JOINT, SPLIT_LOG, LINEARITY, DIVERGENCE_FROM_PRIOR,
                                        PAPER_RESULT)
#: ``log p(x) = log E_q[p(x, z) / q(z)]``: the start of Jensen's route.
JENSEN_PLAN: tuple[Rule, ...] = (IMPORTANCE, INTEGRAL_AS_EXPECTATION)


def checked_inequality(relation: Basic, setting: ModelSetting, text: str = "", checker: Checker | None = None,
                       lhs: Expr | None = None) -> Fact:
    """A fact ``a >= b`` (or ``a <= b``) that holds for any model, checked on the setting's linear-Gaussian model at
    the checker's random points, each side by Gauss-Hermite quadrature under q (exact for the log-density lines);
    :class:`StepRejected` if it fails at one. ``lhs`` (optional) is an expression a verified chain showed equal to
    the left-hand side, evaluated in its place (``log p(x)`` for the log of an average of importance weights, which
    the quadrature under q does not integrate exactly)."""
    evaluator = (checker or setting.checker()).fast
    sign = 1 if isinstance(relation, Ge) else -1
    left = evaluator.values(relation.lhs if lhs is None else lhs)
    for a, b in zip(left, evaluator.values(relation.rhs), strict=True):
        if sign * (a - b) < -1e-12 * max(1, abs(a), abs(b)):
            raise StepRejected(f"{relation} fails on the linear-Gaussian model: {float(a):.12g} against "
                               f"{float(b):.12g}")
    count = len(evaluator.points)
    return Fact(relation, text, Check(0, True, "numeric",
                                      f"holds at {count} random points of the linear-Gaussian model (quadrature)"))


def _section(key: str, title: str, text: str, values: dict[str, Basic], derivations=(), facts=()) -> Section:
    return Section(key, title, text, MappingProxyType(values), tuple(derivations), tuple(facts))


def elbo_sections(derivation: Derivation) -> tuple[Section, ...]:
    """The bound, Jensen's route, the ELBO as reconstruction minus regulariser, and how the lines were checked."""
    setting: ModelSetting = derivation.setting
    checker = setting.checker()
    q, evidence, elbo = setting.q, setting.evidence, setting.elbo
    kl_posterior = KL(q, setting.posterior)
    log_evidence = log(evidence)
    jensen = checker.derive("jensen", "Jensen's route", log_evidence, JENSEN_PLAN, setting)
    decomposition = checker.derive("decomposition", "Reconstruction and regulariser", elbo, DECOMPOSITION_PLAN,
                                   setting)
    average_log = elbo.definition  # E_q[log(p(x, z) / q(z))]: the average of the log of Jensen's average
    values: dict[str, Basic] = {
        "q": Symbol(q.name), "q_z": q, "elbo": elbo, "log_evidence": log_evidence, "kl_posterior": kl_posterior,
        "identity": Eq(log_evidence, derivation.result, evaluate=False),
        "kl_nonnegative": Ge(kl_posterior, 0, evaluate=False),
        "bound": Le(elbo, log_evidence, evaluate=False),
        "gap": Eq(sub(log_evidence, elbo), kl_posterior, evaluate=False),
        "q_is_posterior": Eq(q, setting.posterior, evaluate=False),
        "jensen_start": Eq(log_evidence, jensen.result, evaluate=False),
        "jensen": Ge(jensen.result, average_log, evaluate=False),
        "elbo_def": Eq(elbo, average_log, evaluate=False),
        "reconstruction": decomposition.steps[3].expr.args[0],
        "kl_prior": KL(q, setting.prior),
        "decomposed": Eq(elbo, decomposition.steps[4].expr, evaluate=False),
        "prior": setting.prior, "likelihood": setting.likelihood,
        **{f"instance{i}": s for i, s in enumerate(setting.instance())},
        "x": setting.x, "w": setting.w, "s": setting.s, "m": setting.m, "t": setting.t,
    }
    bound_text = (
        "The divergence of {q} from the posterior is never negative, {kl_nonnegative}: Gibbs' inequality, which "
        "the dynamics document derives for two Gaussians (the divergence is zero only where they agree) and "
        "Jensen's route below gives for any densities. Dropping it from the identity {identity} leaves "
        "{bound}: the ELBO is a lower bound on the log-evidence, and the gap {gap} is the divergence itself. The "
        "divergence is zero exactly when the two densities agree, so the bound is tight exactly when "
        "{q_is_posterior}. Maximising the ELBO over {q} therefore raises the bound and pulls {q} towards the "
        "posterior at once, without ever evaluating the evidence."
    )
    jensen_text = (
        "The same bound follows without naming the posterior. The evidence is the joint density with the latent "
        "variable integrated out; multiplying and dividing the integrand by {q} makes the integral an average under "
        "{q} (the chain below): {jensen_start}. The logarithm is concave, so by Jensen's inequality the logarithm "
        "of an average is at least the average of the logarithm, {jensen}, and the right-hand side is the ELBO by its "
        "definition, {elbo_def}. With the log-ratio of {q} to any density in place of the joint, the same "
        "inequality shows that a divergence is never negative."
    )
    decomposition_text = (
        "Writing the joint density as the likelihood times the prior splits the ELBO in two (the chain below): "
        "{decomposed}. The first term, {reconstruction}, rewards latent values under {q} that explain the "
        "observation: in a variational autoencoder it is the reconstruction term. The second is the divergence of "
        "{q} from the prior, {kl_prior}, the regulariser. For the Gaussian encoder {instance2} and the standard "
        "normal prior {instance0} of a VAE it is the paper's closed form, derived step by step in the standard "
        "document and cited here (last line), so only the reconstruction term has to be estimated by sampling."
    )
    check_text = (
        "The identities above hold for any model and any {q}, so no formula for the densities enters them. To "
        "check each line, the engine gives every density one: the linear-Gaussian model {instance0}, "
        "{instance1}, with {instance2}, in which the posterior and the evidence are Gaussian too. Each line is "
        "compared with the line before at three random values of {x}, {w}, {s}, {m} and {t}; an average under "
        "{q} is computed by Gauss-Hermite quadrature, and where that is not exact (an average of a ratio of "
        "densities) by adaptive quadrature to 30 digits. The inequalities are checked at the same points. The "
        "elbo-linear-gaussian document derives every term of this model in closed form and checks the identity "
        "exactly."
    )
    bound_facts = (
        checked_inequality(values["kl_nonnegative"], setting, "Gibbs' inequality", checker),
        checked_inequality(values["bound"], setting, "the evidence lower bound", checker),
    )
    jensen_facts = (checked_inequality(values["jensen"], setting, "Jensen's inequality: the logarithm is concave",
                                       checker, jensen.start),)
    return (
        _section("bound", "A lower bound on the evidence", bound_text, values, (), bound_facts),
        _section("jensen", "Jensen's route to the same bound", jensen_text, values, (jensen,), jensen_facts),
        _section("decomposition", "Reconstruction and regulariser", decomposition_text, values, (decomposition,)),
        _section("checked", "How the lines were checked", check_text, values),
    )


#: ``log p(x, z) = log p(z | x) + log p(x)``: the posterior and the evidence of the linear-Gaussian model.
POSTERIOR_PLAN: tuple[Rule, ...] = (FACTORISE_JOINT, SPLIT_LOG, MODEL_LOG_DENSITIES, COMPLETE_SQUARE,
                                    POSTERIOR_AND_EVIDENCE)
#: The ELBO of the linear-Gaussian model in closed form.
#: (The divergence from the prior stays named: its closed form is the paper's, cited in the sections.)
LINEAR_GAUSSIAN_PLAN: tuple[Rule, ...] = (elbo_decomposed(DECOMPOSITION_PLAN[:-1]), MODEL_LOG_DENSITIES, LINEARITY,
                                          EXPECTED_SQUARED_ERROR)


def _figures(setting: ModelSetting, elbo: Expr, log_evidence: Expr, best: dict, stem: str) -> list[Figure]:
    """The ELBO and the log-evidence against the mean of q (its scale at the posterior's) and against its standard
    deviation (its mean at the posterior's): two curves touching where q is the posterior."""
    m, t = setting.m, setting.t
    q = setting.q.name
    quantity = "nats"
    by_mean = CurvesPlot(Axis(m, float(best[m]) - 2.5, float(best[m]) + 2.5, f"mean of ${q}$"),
                         (Curve(log_evidence, "log-evidence", formula=False),
                          Curve(elbo, "ELBO", ((t, best[t]),), "--", formula=False)),
                         quantity, f"The ELBO against the mean of ${q}$")
    by_scale = CurvesPlot(Axis(t, 0.15, 2.5, f"standard deviation of ${q}$"),
                          (Curve(log_evidence, "log-evidence", formula=False),
                           Curve(elbo, "ELBO", ((m, best[m]),), "--", formula=False)),
                          quantity, f"The ELBO against the standard deviation of ${q}$")
    return [Figure("by-mean", "The ELBO (dashed) and the log-evidence against the mean of {q}, with the standard "
                   "deviation at the posterior's; they touch at {m_best}.", f"{stem}-mean", by_mean),
            Figure("by-scale", "The ELBO (dashed) and the log-evidence against the standard deviation of {q}, with "
                   "the mean at the posterior's; they touch at {t_best}.", f"{stem}-scale", by_scale)]


def _exact(lhs: Basic, rhs: Basic, value: Basic, text: str) -> Fact:
    """A fact ``lhs = rhs`` whose two sides, in closed form, differ by ``value``: established when that difference
    simplifies to 0 (symbolically, for every value of the parameters)."""
    if not is_zero(evaluated(value)):
        raise StepRejected(f"{lhs} = {rhs} does not hold exactly")
    return Fact(Eq(lhs, rhs, evaluate=False), text, Check(0, True, "symbolic", "the difference simplifies to 0"))


#: Where the figures hold the model: an observation x = 2 of the model with w = 1 and s = 1.
FIGURE_POINT = (2, 1, 1)


def linear_gaussian_sections(derivation: Derivation) -> tuple[Section, ...]:
    """The posterior and the evidence, the identity checked exactly, and the figures."""
    setting: ModelSetting = derivation.setting
    checker = setting.checker()
    q, x, w, s, m, t = setting.q, setting.x, setting.w, setting.s, setting.m, setting.t
    posterior = checker.derive("posterior", "Posterior and evidence", log(setting.joint), POSTERIOR_PLAN, setting)
    divergence = checker.derive("divergence", "Divergence from the posterior", KL(q, setting.posterior),
                                (divergence_from_posterior(UNIVARIATE_PLAN),), setting)
    kl_closed = divergence.result
    law = setting.posterior_law
    log_evidence = setting.evidence_law.log_pdf_form(x)
    paper = checker.derive("paper", "The paper's result", derivation.result, (PAPER_RESULT,), setting)
    elbo_closed = paper.result
    (standard,) = paper.steps[0].lemmas
    kl_prior = KL(q, setting.prior)
    kl_posterior = KL(q, setting.posterior)
    gap = sub(log(setting.evidence), setting.elbo)
    tight = {m: law.mean, t: law.std}
    values: dict[str, Basic] = {
        "q": Symbol(q.name), "z": setting.z, "x": x, "m": m, "t": t,
        "posterior_law": Eq(setting.posterior, Density("", setting.z, law), evaluate=False),
        "evidence_law": Eq(setting.evidence, Density("", x, setting.evidence_law), evaluate=False),
        "log_evidence": Eq(log(setting.evidence), log_evidence, evaluate=False),
        "at_posterior": Eq(q, setting.posterior, evaluate=False),
        "m_star": Eq(m, law.mean, evaluate=False), "t_star": Eq(square(t), law.var, evaluate=False),
        "elbo": setting.elbo,
    }
    closed_facts = (
        Fact(Eq(kl_prior, standard.result, evaluate=False), "the paper's result, derived in the standard document",
             checker.check(0, kl_prior, standard.result)),
        Fact(Eq(setting.elbo, elbo_closed, evaluate=False), "the result above with the paper's closed form",
             paper.checks[0]),
    )
    posterior_facts = (
        Fact(values["posterior_law"], "the chain above", posterior.checks[-1]),
        _exact(log(setting.evidence), log_evidence, sub(log(setting.evidence), log_evidence),
               "the log of the evidence's Gaussian density"),
    )
    facts = (
        _exact(gap, kl_posterior, sub(sub(log_evidence, elbo_closed), kl_closed),
               "the identity of the elbo document, exactly: with the closed forms the difference simplifies to 0"),
        _exact(setting.elbo, log(setting.evidence), sub(elbo_closed.xreplace(tight), log_evidence),
               "at the posterior the bound is tight"),
    )
    x0, w0, s0 = (S(v) for v in FIGURE_POINT)
    point = {x: x0, w: w0, s: s0}
    best = {k: v.xreplace(point) for k, v in tight.items()}
    figures = _figures(setting, elbo_closed.xreplace(point), log_evidence.xreplace(point), best, derivation.name)
    values.update({f"{symbol}_value": Eq(symbol, value, evaluate=False) for symbol, value in point.items()})
    values.update(m_best=Eq(m, best[m], evaluate=False), t_best=Eq(square(t), law.var.xreplace(point), evaluate=False))
    posterior_text = (
        "Bayes' rule gives the posterior up to its normalising constant: as a function of {z}, the joint density is "
        "proportional to it. Completing the square in {z} (the chain below) shows the joint's log as a Gaussian "
        "log-density in {z} plus a term free of {z}: the posterior is that Gaussian, and the term left over is "
        "the log-evidence, a Gaussian log-density of {x} (facts below)."
    )
    identity_text = (
        "The divergence of {q} from this posterior is the closed form between two univariate Gaussians (the "
        "univariate document) at the two densities' parameters (below). With the ELBO derived above and the "
        "log-evidence, the identity of the elbo document holds exactly, for every value of the parameters (first "
        "fact below). The bound is tight where {q} is the posterior, at {m_star} and {t_star} (second fact)."
    )
    figure_text = (
        "The figures show the ELBO and the log-evidence for the observation {x_value} of the model with {w_value} and "
        "{s_value}. Along the "
        "mean of {q}, with its standard deviation at the posterior's, and along the standard deviation, with the "
        "mean at the posterior's, the ELBO stays below the log-evidence and touches it only at {m_best} and "
        "{t_best}, where {q} is the posterior; the gap between the curves is the divergence of {q} from the "
        "posterior."
    )
    closed_text = (
        "The divergence of {q} from the prior is the paper's result, the closed form of the standard document "
        "(its chain is not repeated here; the first fact below is checked again, by quadrature). With it the ELBO "
        "of this model is in closed form (second fact): the expected reconstruction term, in which the spread of "
        "{q} adds to the squared error at its mean, and the regulariser."
    )
    return (
        _section("closed-form", "The ELBO in closed form", closed_text, values, (), closed_facts),
        _section("posterior", "The exact posterior and the evidence", posterior_text, values, (posterior,),
                 posterior_facts),
        _section("identity", "The identity, exactly", identity_text, values, (divergence,), facts),
        Section("figures", "The bound in pictures", figure_text, MappingProxyType(values),
                figures=tuple(figures)),
    )
