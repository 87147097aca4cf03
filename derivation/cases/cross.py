"""KL divergences between laws of two families (torch's cross-family pairs): the plans from the definition to the
closed form, with the title and description of each document (``cases.discrete.PAIR_CASES`` holds them)."""

from __future__ import annotations

from ..core.engine import Rule
from ..rules import INTEGRAL_AS_EXPECTATION, KL_DEFINITION, LINEARITY, LOG_OF_RATIO
from ..rules.cross import (
    COLLECT_LAPLACE_NORMAL,
    COLLECT_NORMAL_LAPLACE,
    COMBINE_LAPLACE_NORMAL,
    COMBINE_NORMAL_LAPLACE,
    GAUSSIAN_ABSOLUTE_MOMENT,
    LAPLACE_SECOND_MOMENT,
    LAPLACE_SHIFTED_SECOND_MOMENT,
    PAIR_LOG_DENSITIES,
)
from ..rules.gaussian import SECOND_MOMENT
from ..rules.laplace import LAPLACE_ABSOLUTE_DEVIATION

_CHECKED = " Every line follows from the one before by the rule named beside it, and every line has been checked."

#: From the definition to ``log(c/s) + (sqrt(2/pi) s exp(-(m - b)**2/(2 s**2)) + (m - b) erf((m - b)/(sqrt(2) s)))
#: / c - (1 + log(pi/2)) / 2`` for q = N(m, s**2), p = Laplace(b, c).
NORMAL_LAPLACE_PLAN: tuple[Rule, ...] = (
    KL_DEFINITION,
    INTEGRAL_AS_EXPECTATION,
    LOG_OF_RATIO,
    PAIR_LOG_DENSITIES,
    COMBINE_NORMAL_LAPLACE,
    LINEARITY,
    SECOND_MOMENT,
    GAUSSIAN_ABSOLUTE_MOMENT,
    COLLECT_NORMAL_LAPLACE,
)
NORMAL_LAPLACE_TITLE = "KL divergence of a Gaussian distribution from a Laplace distribution"
NORMAL_LAPLACE_DESCRIPTION = (
    "The divergence of a Gaussian distribution from a Laplace distribution, derived from the definition: the "
    "log-ratio of the densities holds the squared distance from the Gaussian's mean and the absolute distance from "
    "the Laplace location, so the Gaussian's variance and its mean distance from a point are needed; the latter is "
    "integrated on each side of the point and gives the error function." + _CHECKED)

#: From the definition to ``log(s/b) + b**2/s**2 + (m - mu)**2/(2 s**2) - log(2/pi)/2 - 1`` for q = Laplace(m, b),
#: p = N(mu, s**2).
LAPLACE_NORMAL_PLAN: tuple[Rule, ...] = (
    KL_DEFINITION,
    INTEGRAL_AS_EXPECTATION,
    LOG_OF_RATIO,
    PAIR_LOG_DENSITIES,
    COMBINE_LAPLACE_NORMAL,
    LINEARITY,
    LAPLACE_ABSOLUTE_DEVIATION,
    LAPLACE_SHIFTED_SECOND_MOMENT,
    LAPLACE_SECOND_MOMENT,
    COLLECT_LAPLACE_NORMAL,
)
LAPLACE_NORMAL_TITLE = "KL divergence of a Laplace distribution from a Gaussian distribution"
LAPLACE_NORMAL_DESCRIPTION = (
    "The divergence of a Laplace distribution from a Gaussian distribution, derived from the definition: the "
    "log-ratio of the densities holds the absolute distance from the Laplace location and the squared distance from "
    "the Gaussian's mean, so the Laplace law's mean absolute deviation and its second moment about a point are "
    "needed, each integrated on both sides of the location." + _CHECKED)
