"""The exponential family: its log-densities combined, and its mean derived from the definition.

``KL(Exponential(lambda1) || Exponential(lambda2))`` needs one expectation under ``q = Exponential(lambda1)``,
its mean ``E_q[x] = 1 / lambda1``: a lemma derived from the definition (the expectation as an integral against the
density, integrated by parts; the exponential vanishes at infinity).
"""

from __future__ import annotations

from ..core.engine import Rule
from ..laws import ExponentialLaw
from .families import combine_log_densities, log_density_rule, moment_rule
from .integrals import COLLECT_TERMS, INTEGRATE_BY_PARTS, expectation_as_integral

EXPONENTIAL_LOG_DENSITY = log_density_rule("exponential-log-density", "exponential")

COMBINE_EXPONENTIAL_LOG_DENSITIES = combine_log_densities(
    "combine-exponential-log-densities",
    "The two log-rates combine into one logarithm.",
    (ExponentialLaw,),
)

EXPONENTIAL_EXPECTATION_AS_INTEGRAL = expectation_as_integral("exponential-expectation-as-integral", (ExponentialLaw,))

#: From ``E_q[x]`` to ``1 / lambda``: the integral against the density, integrated by parts.
MEAN_PLAN: tuple[Rule, ...] = (EXPONENTIAL_EXPECTATION_AS_INTEGRAL, INTEGRATE_BY_PARTS, COLLECT_TERMS)

EXPONENTIAL_MEAN = moment_rule(
    "exponential-mean",
    "Mean",
    "The mean of an exponential variable is the reciprocal of its rate (lemma below).",
    (ExponentialLaw,),
    lambda e: e.expr == e.density.variable,
    ("exponential-mean", "Mean of an exponential variable", MEAN_PLAN),
)
