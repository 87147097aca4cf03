"""The named cases: each is a setting (built from the user's options) and a plan (a tuple of rules) per route."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sympy import sstr

from ..check.checker import Checker
from ..core.engine import Derivation, Rule, Section
from ..core.errors import UsageError
from ..printing.text import to_text
from ..rules import (
    DISTRIBUTE,
    LOG_VARIANCE,
)
from ..rules.terms import SPLIT_MEAN_VARIANCE
from ..settings.estimators import estimator_setting
from ..settings.expfamily import natural_pair
from ..settings.model import model_setting
from ..settings.multivariate import FULL_PRESET
from ..settings.univariate import Notation, Setting, preset_gaussians
from .elbo import ELBO_PLAN, LINEAR_GAUSSIAN_PLAN, elbo_sections, linear_gaussian_sections
from .estimators import MAIN_PLAN as ESTIMATORS_PLAN
from .estimators import estimator_sections
from .expfamily import DESCRIPTION as EXPONENTIAL_FAMILY_DESCRIPTION
from .expfamily import EXPONENTIAL_FAMILY_PLAN, family_sections
from .expfamily import SUMMARY as EXPONENTIAL_FAMILY_SUMMARY
from .expfamily import TITLE as EXPONENTIAL_FAMILY_TITLE
from .multivariate import (
    CODE_PLAN,
    DIAGONAL_PRESET,
    DIAGONAL_ROUTES,
    FULL_ROUTES,
    VAE_PRESET,
    VAE_ROUTES,
    diagonal_setting,
    full_setting,
    vae_setting,
)
from .reconstruction import GAUSSIAN_PLAN, reconstruction_sections, reconstruction_setting
from .sections import code_section, coordinate_interpretation_sections, dynamics_sections, interpretation_sections
from .univariate import STANDARD_PLAN, UNIVARIATE_PLAN


@dataclass(frozen=True)
class Options:
    """What a user chooses for a case: notation, and where the case allows them a dimension and a route."""

    notation: Notation = field(default_factory=Notation)
    dim: int | None = None
    route: str | None = None


#: Builds a document's extra sections (e.g. the interpretation) from the verified derivation.
SectionsBuilder = Callable[[Derivation], "tuple[Section, ...]"]


@dataclass(frozen=True)
class Case:
    """A named derivation: ``summary`` is one line for ``kl-derive list``; ``description`` opens the document.

    ``plans`` maps a route name to its plan; the first route is the default. ``route_descriptions``
    (optional) gives a route its own opening paragraph when its argument differs from the default's
    (a route not listed opens with ``description``). ``takes_dim`` says
    whether ``--dim`` applies. ``sections`` (optional) adds sections after the derivation; ``figures``
    says how many figures they draw (0: none; so that a command can prepare to draw them before deriving, and a
    bundle derives the chapter with the most first).
    """

    name: str
    title: str
    summary: str
    description: str
    setting: Callable[[Options], Setting]
    plans: Mapping[str, tuple[Rule, ...]]
    takes_dim: bool = False
    sections: SectionsBuilder | None = None
    figures: int = 0
    route_descriptions: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: Whether the result is a closed form the code formats (python, torch) can export as a function.
    code: bool = True
    #: The user's pair this case is the named form of, ``(q, p)`` specs: ``kl-derive derive --q Q --p P`` derives
    #: the same divergence (``tests/test_presets.py``); the case adds its notation, route and sections.
    preset: tuple[str, str] | None = None

    def describe(self, options: Options) -> str:
        """The opening paragraph for the chosen route (which describes that route's own argument)."""
        return self.route_descriptions.get(options.route or "", self.description)

    def plan(self, options: Options) -> tuple[Rule, ...]:
        """The plan for the chosen route, after checking the options fit this case."""
        if options.dim is not None and not self.takes_dim:
            raise UsageError(f"case {self.name!r} does not take --dim")
        if options.route is None:
            return next(iter(self.plans.values()))
        if options.route not in self.plans:
            raise UsageError(f"unknown route {options.route!r} for case {self.name!r} "
                             f"(choose from: {', '.join(self.plans)})")
        return self.plans[options.route]


#: The univariate plan against the standard normal, then the split into a mean term and a variance term.
DYNAMICS_PLAN: tuple[Rule, ...] = (*UNIVARIATE_PLAN, LOG_VARIANCE, DISTRIBUTE, SPLIT_MEAN_VARIANCE)


#: The univariate cases' pairs, as a user writes them (``kl-derive derive --q Q --p P``).
TWO_GAUSSIANS = ("Normal(mu_q, sigma_q)", "Normal(mu_p, sigma_p)")
AGAINST_STANDARD_PRIOR = ("Normal(mu, sigma)", "Normal(0, 1)")


def _two_gaussians(options: Options) -> Setting:
    return preset_gaussians(TWO_GAUSSIANS, options.notation)


def _against_standard_prior(options: Options) -> Setting:
    return preset_gaussians(AGAINST_STANDARD_PRIOR, options.notation)


def _derived(setting: Setting, plan: tuple[Rule, ...], name: str) -> Derivation:
    return Checker(setting.parameters).derive(name, name, setting.start(), plan, setting)


def _dynamics(derivation: Derivation) -> tuple[Section, ...]:
    """The dynamics sections, with the two-Gaussian closed form derived in the same notation."""
    general = _derived(_two_gaussians(Options(derivation.setting.notation)), UNIVARIATE_PLAN, "univariate")
    return dynamics_sections(derivation, general)


def code_listing(derivation: Derivation) -> Section:
    """An "In code" section: the result as the line of PyTorch VAE code computes, as a listing.

    The line is printed from the result by ``code.torch_code`` (rule ``in-code``) and checked like a step:
    the whitelist parser reads it back and it must equal the result, else :class:`StepRejected`.
    """
    setting = derivation.setting
    chain = setting.checker().derive("vae-code", "In code", derivation.result, CODE_PLAN, setting)
    line = chain.result
    names = " and ".join(line.names.get(str(v.label), str(v.label)) for v in setting.parameters)
    return code_section(
        "code", "In code",
        f"The result is one line of PyTorch over the vectors {names} the encoder outputs "
        "(printed from the result and read back by the parser, which found it equal to the result):", chain)


def _vae_sections(derivation: Derivation) -> tuple[Section, ...]:
    """The code listing, then the per-coordinate interpretation."""
    return (code_listing(derivation), *per_coordinate_interpretation(derivation))


def per_coordinate_interpretation(derivation: Derivation) -> tuple[Section, ...]:
    """An "Interpretation" section for a d-dimensional diagonal Gaussian against N(0, I) (e.g. the ``vae`` case).

    Attach with ``sections=per_coordinate_interpretation``: it derives one coordinate's closed form in the
    derivation's notation and interprets it, with the sum over coordinates and the per-coordinate gradients.
    """
    notation = getattr(derivation.setting, "notation", None) or Notation()
    coordinate = _derived(_against_standard_prior(Options(notation)), STANDARD_PLAN, derivation.name)
    return coordinate_interpretation_sections(coordinate)


CASES: Mapping[str, Case] = MappingProxyType({
    case.name: case
    for case in (
        Case(
            "univariate",
            "KL divergence between two univariate Gaussians",
            "two arbitrary univariate Gaussians, from the definition to the closed form",
            "We derive the Kullback-Leibler divergence between two arbitrary univariate Gaussian densities, "
            "starting from its definition as an integral and using only the Gaussian log-density and the "
            "first two moments of a Gaussian. Every line follows from the one before by the rule named beside "
            "it, and every line has been checked.",
            _two_gaussians,
            MappingProxyType({"definition": UNIVARIATE_PLAN}),
            preset=TWO_GAUSSIANS,
        ),
        Case(
            "standard",
            "KL divergence to the standard normal prior (the VAE regulariser)",
            "a Gaussian against the standard normal prior, ending in the form VAE losses use",
            "The regulariser of a variational autoencoder is the KL divergence from the encoder's Gaussian "
            "to the standard normal prior. We follow the same plan as for two arbitrary Gaussians, then "
            "rewrite the result into the form that VAE code implements. Every line has been checked.",
            _against_standard_prior,
            MappingProxyType({"definition": STANDARD_PLAN}),
            sections=interpretation_sections,
            preset=AGAINST_STANDARD_PRIOR,
        ),
        Case(
            "dynamics",
            "What the VAE regulariser does: interpretation and training dynamics",
            "the standard-prior divergence term by term: minimum, gradients, beta-weighting, asymmetry, figures",
            "The regulariser of a variational autoencoder is the KL divergence from the encoder's Gaussian to "
            "the standard normal prior. We derive it once more from the definition, split it into a mean term "
            "and a variance term, and then derive what each term means for training: where the divergence "
            "vanishes, the gradients an optimiser sees in each parameterisation, the effect of weighting the "
            "regulariser, and how the divergence between two arbitrary Gaussians depends on their mean gap and "
            "variance ratio. Every line and every stated fact has been checked; the figures are drawn from the "
            "derived expressions.",
            _against_standard_prior,
            MappingProxyType({"definition": DYNAMICS_PLAN}),
            sections=_dynamics,
            figures=3,
            preset=AGAINST_STANDARD_PRIOR,
        ),
        Case(
            "full",
            "KL divergence between two multivariate Gaussians",
            "two Gaussians in d dimensions with full covariance, by the trace trick",
            "We derive the Kullback-Leibler divergence between two Gaussians in d dimensions with arbitrary means "
            "and covariance matrices. After the log-densities, the only tool is the trace trick for the expected "
            "quadratic form, derived as a lemma each time it is used. Every line follows from the one before by "
            "the rule named beside it, and every line has been checked.",
            full_setting,
            FULL_ROUTES,
            preset=FULL_PRESET,
        ),
        Case(
            "diagonal",
            "KL divergence of a diagonal Gaussian from the standard normal",
            "a Gaussian with diagonal covariance against N(0, I) in d dimensions (routes: paper, full, kingma)",
            "The encoder of a variational autoencoder outputs a Gaussian with diagonal covariance; the prior is "
            "the standard normal. With diagonal covariance the densities factorise over the coordinates, so the "
            "divergence is a sum of univariate divergences, each given by the univariate result. Every line "
            "follows from the one before by the rule named beside it, and every line has been checked.",
            diagonal_setting,
            DIAGONAL_ROUTES,
            takes_dim=True,
            preset=DIAGONAL_PRESET,
            route_descriptions=MappingProxyType({
                "full": "The encoder of a variational autoencoder outputs a Gaussian with diagonal covariance; the "
                        "prior is the standard normal. Both are Gaussians in d dimensions, so the divergence is a "
                        "special case of the one between two Gaussians with arbitrary means and covariance "
                        "matrices, derived in the lemma by the trace trick. We specialise that result to the "
                        "diagonal covariance and the standard normal: the identity matrices drop out, the trace "
                        "and the determinant of a diagonal matrix become a sum and a product over the "
                        "coordinates, and the logarithm of the product becomes a sum. Every line follows from the "
                        "one before by the rule named beside it, and every line has been checked.",
                "kingma": "The encoder of a variational autoencoder outputs a Gaussian with diagonal covariance; the "
                          "prior is the standard normal. We follow Kingma and Welling (Auto-Encoding Variational "
                          "Bayes, appendix B): the divergence is the integral of q log q minus the integral of "
                          "q log p. Each of the two integrals is computed in a lemma from the Gaussian "
                          "log-density and the first two moments of each coordinate; their normalising constants "
                          "cancel when they are subtracted, and the two sums over the coordinates merge into one. "
                          "Every line follows from the one before by the rule named beside it, and every line has "
                          "been checked.",
            }),
        ),
        Case(
            "vae",
            "The VAE regulariser in the log-variance parameterisation",
            "the diagonal result in terms of the log-variances an encoder outputs, down to the line of code",
            "A VAE encoder outputs, for each latent coordinate, a mean and a log-variance. We take the divergence "
            "of the diagonal Gaussian from the standard normal prior, derived in the lemma, and rewrite it step by "
            "step in those outputs; the result is what VAE code computes, and the line of code that does so "
            "follows it. Every line has been checked, the code by parsing it back.",
            vae_setting,
            VAE_ROUTES,
            sections=_vae_sections,
            preset=VAE_PRESET,
        ),
        Case(
            "elbo",
            "The evidence lower bound",
            "the log-evidence as the ELBO plus the divergence from the posterior; the bound, Jensen's route, "
            "the two terms",
            "A variational autoencoder is trained by maximising the evidence lower bound (ELBO); the KL divergence "
            "of the other documents is one of its two terms. We derive from the definitions that the log-evidence "
            "of an observation is the ELBO plus the divergence of the approximate posterior q from the true "
            "posterior, for any model and any q. Since a divergence is never negative, the ELBO is a lower bound "
            "on the log-evidence; Jensen's inequality gives the same bound, and writing the joint density as "
            "likelihood times prior splits the ELBO into a reconstruction term and the divergence from the "
            "prior. Every line follows from the one before by the rule named beside it, and every line has been "
            "checked.",
            lambda options: model_setting(options.notation),
            MappingProxyType({"definition": ELBO_PLAN}),
            sections=elbo_sections,
            code=False,
        ),
        Case(
            "elbo-linear-gaussian",
            "The evidence lower bound of a linear-Gaussian model",
            "the ELBO, the exact posterior and the log-evidence of a linear-Gaussian model; the identity, exactly",
            "In the linear-Gaussian model a standard normal latent variable is observed through a linear map plus "
            "Gaussian noise, and q is a Gaussian over the latent variable. Every term of the evidence lower bound is "
            "then in closed form. We derive the ELBO from its decomposition into reconstruction and "
            "regulariser, then the exact posterior and the log-evidence by completing the square, and check the "
            "identity of the elbo document exactly: the log-evidence is the ELBO plus the divergence of q from "
            "the posterior. Every line follows from the one before by the rule named beside it, and every line "
            "has been checked; the figures are drawn from the derived expressions.",
            lambda options: model_setting(options.notation, concrete=True),
            MappingProxyType({"definition": LINEAR_GAUSSIAN_PLAN}),
            sections=linear_gaussian_sections,
            figures=2,
            code=False,
        ),
        Case(
            "reconstruction",
            "The reconstruction term: squared error and binary cross-entropy",
            "a Gaussian decoder's -log p(x | z) as squared error plus a constant (and beta), a Bernoulli decoder's as "
            "binary cross-entropy, each down to the line of PyTorch",
            "The other term of a VAE's loss is the reconstruction term, minus the log-density of the observation "
            "under the decoder, averaged under the encoder's q. We derive it for a Gaussian decoder, where it is the "
            "squared error between the image and the decoder's output plus a constant, and say what the noise "
            "variance means for the weight of the KL term; then for a Bernoulli decoder, where it is the binary "
            "cross-entropy, also in the logits a decoder outputs. Each result ends in the line of PyTorch that "
            "computes it, printed from the result and read back by the parser. Every line follows from the one before "
            "by the rule named beside it, and every line has been checked.",
            reconstruction_setting,
            MappingProxyType({"gaussian": GAUSSIAN_PLAN}),
            sections=reconstruction_sections,
            code=False,
        ),
        Case(
            "estimators",
            "Sampled estimates of the KL term: reparameterisation, variance, Schulman's estimators",
            "the reparameterisation trick, the single-sample KL estimate and its variance, Schulman's k1, k2, k3",
            "A VAE's KL term can be computed in closed form or estimated from the sample the encoder draws. We derive "
            "the reparameterisation trick that makes the sample differentiable, the mean and the variance of the "
            "single-sample estimate of the divergence, and the means and variances of Schulman's three estimators; "
            "the derivation below shows that the estimate is unbiased. Every line and every stated fact has been "
            "checked; the table and the figure are computed from the derived expressions.",
            lambda options: estimator_setting(options.notation),
            MappingProxyType({"definition": ESTIMATORS_PLAN}),
            sections=estimator_sections,
            figures=1,
        ),
        Case(
            "exponential-family",
            EXPONENTIAL_FAMILY_TITLE,
            EXPONENTIAL_FAMILY_SUMMARY,
            EXPONENTIAL_FAMILY_DESCRIPTION,
            lambda options: natural_pair(options.notation),
            MappingProxyType({"definition": EXPONENTIAL_FAMILY_PLAN}),
            sections=family_sections,
            code=False,
        ),
    )
})


# The multivariate cases' plans and settings (imported here, after the univariate plans they reuse).


def describe_setting(case: Case, options: Options | None = None) -> str:
    """The case's densities in plain text, printed from its setting (e.g. for ``kl-derive list``)."""
    setting = case.setting(options or Options())
    if not hasattr(setting, "p") or not hasattr(setting.q, "var"):  # a model's densities (the elbo cases), a
        # family in general: its statements, as the text format prints
        return ", ".join(to_text(statement) for statement in setting.statements())
    return ", ".join(f"{d.name} = N({sstr(d.mean)}, {sstr(d.var)})" for d in (setting.q, setting.p))
