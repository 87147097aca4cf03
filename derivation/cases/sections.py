"""The interpretation sections: prose around the engine's derived material, and the figures.

Every formula in the prose is a ``{name}`` placeholder filled from the results that
:class:`~derivation.cases.interpretation.Interpretation` derived and checked; the figures plot those same
expressions. Builders (``Case.sections``): :func:`interpretation_sections` (one compact "Interpretation"
section, for the ``standard`` document), :func:`coordinate_interpretation_sections` (the same per
coordinate of a d-dimensional diagonal Gaussian, for the ``vae`` document) and :func:`dynamics_sections`
(the full treatment with figures, for the ``dynamics`` document).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from sympy import Basic, Derivative, Eq, Float, Ge, Lt, Rational, S, Symbol, log

from ..core.engine import Derivation, Figure, Section
from ..core.forms import HALF, evaluated, mul, neg
from ..core.plots import Axis, Curve, CurvesPlot, FieldPlot, MapPlot
from ..nodes.scalar import Density
from ..rules.calculus import ELEMENTARY_DERIVATIVES
from .interpretation import Interpretation, sign_fact


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
    in_ell = it.in_logvar.start  # K(mu, sigma) at sigma = e^(ell/2): the prose names what the displays name
    values.update(
        f_at_min=Eq(it.f(it.t_star), evaluated(it.f_expr.subs(it.t, it.t_star)), evaluate=False),
        grad_mu_eq=Eq(it.grad_mu.start, it.grad_mu.result, evaluate=False),
        grad_sigma_eq=Eq(it.grad_sigma.start, it.grad_sigma.result, evaluate=False),
        grad_ell_eq=Eq(it.grad_ell.start, it.grad_ell.result, evaluate=False),
        sigma_curvature_eq=Eq(Derivative(it.named, (it.sigma, 2)), it.sigma_curvature.result, evaluate=False),
        ell_curvature=Eq(Derivative(in_ell, (it.ell, 2)), h[1, 1], evaluate=False),
        dsigma_dell=chain_factor,
        beta_kl=it.grad_mu_beta.start.args[0],
        beta_grad_mu_eq=Eq(it.grad_mu_beta.start, it.grad_mu_beta.result, evaluate=False),
        beta_grad_ell_eq=Eq(it.grad_ell_beta.start, it.grad_ell_beta.result, evaluate=False),
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
        "Write {K} for the closed form as a function of the mean and the standard deviation (first display "
        "below). Differentiating it term by term gives the gradients that the optimiser follows on the "
        "regulariser. In the mean it is {grad_mu_eq}, a linear pull towards 0, as in weight decay. In the "
        "standard deviation it is {grad_sigma_eq}, which raises a small standard deviation, lowers a large one "
        "and vanishes at {sigma_at_min}. Encoders output the log-variance {logvar_def} instead, so that "
        "{sigma_of_ell} is positive whatever the network outputs; the chain rule through the standard deviation "
        "gives {grad_ell_eq}.\n\n"
        "The parameterisation decides how tame these gradients are. In the standard deviation the gradient is "
        "unbounded as the standard deviation shrinks, {limit_sigma}; in the log-variance it is bounded below, "
        "{limit_ell}, because the chain rule multiplies the gradient in the standard deviation by {dsigma_dell}, "
        "which shrinks with the standard deviation. The divergence is convex in both parameterisations (facts "
        "below): the Hessian in {mu} and {ell} (displayed below) has positive leading minors, and the "
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
        "q_general": Eq(Symbol(gs.q.name), Density("", x, gs.q.law), evaluate=False),
        "p_general": Eq(Symbol(gs.p.name), Density("", x, gs.p.law), evaluate=False),
        "gap_def": Eq(two["gap"], two["difference"], evaluate=False),
        "ratio_def": Eq(two["ratio"], two["variance_ratio"], evaluate=False),
        "kl_gap_ratio": Eq(general.start, two["in_gap_ratio"], evaluate=False),
        "same_f": two["same_f"].statement,
        "sens_gap": Eq(Derivative(general.start, two["gap"]), two["by_gap"].result, evaluate=False),
        "sens_ratio": Eq(Derivative(general.start, two["ratio"]), two["by_ratio"].result, evaluate=False),
        "ratio_star": Eq(two["ratio"], two["ratio_star"], evaluate=False),
        "q_example": Eq(Symbol(two["q0"].name), Density("", x, two["q0"].law), evaluate=False),
        "p_example": Eq(Symbol(two["p0"].name), Density("", x, two["p0"].law), evaluate=False),
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
        "the value: {asymmetry_eq}, about {asymmetry_value}. Here a {q} narrower than {p} costs less than "
        "the other way round: the direction that the VAE regulariser uses, with the encoder's Gaussian first, "
        "penalises mass where the other density has little, more than it penalises leaving part of the other "
        "density uncovered."
    )
    return (
        _section("terms", "Two terms: the mean and the spread", terms_text, values, (it.sum_split,),
                 figures=(figures["terms"],)),
        _section("minimum", "Never negative, and zero only at the prior", minimum_text, values,
                 (it.f_prime, it.f_second), it.minimum_facts(), (figures["map"],)),
        _section("gradients", "Gradients: what the optimiser sees", gradients_text, values,
                 (it.k_definition, it.grad_mu, it.grad_sigma, it.in_logvar, it.grad_ell, *it.shown_second_derivatives,
                  it.hessian_display),
                 it.convexity_facts(),
                 (figures["field"],)),
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


def code_section(key: str, title: str, text: str, chain: Derivation, values: Mapping[str, Basic] | None = None,
                 derivations: tuple[Derivation, ...] = ()) -> Section:
    """A section showing the result of ``chain`` (whose last rule wrote a line as code, e.g. ``in-code``) as a
    listing after its ``derivations``: the code is printed from the expression and was read back by the parser and
    found equal to it (the chain's last check)."""
    return Section(key, title, text, MappingProxyType(dict(values or {})), derivations, listing=chain.result.text,
                   listing_check=chain.checks[-1])
