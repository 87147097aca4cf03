"""The uniform family: on the support of q, which lies inside that of p, both densities are constant.

``KL(Uniform(a1, b1) || Uniform(a2, b2))`` is ``log((b2 - a2) / (b1 - a1))`` when ``a2 <= a1`` and ``b1 <= b2``
(the log-ratio of the densities is constant on q's support, so its expectation is itself), and infinite otherwise
(``rules.support.CONTINUOUS_SUPPORT_MISMATCH``).
"""

from __future__ import annotations

from ..core.engine import Rule
from ..laws import UniformLaw
from .families import combine_log_densities
from .gaussian import GAUSSIAN_LOG_DENSITY

UNIFORM_LOG_DENSITY = Rule(
    "uniform-log-density",
    "Log-densities",
    "On the support of the first law, which lies inside that of the second, each uniform density is the reciprocal "
    "of the length of its interval.",
    GAUSSIAN_LOG_DENSITY.apply,
)

COMBINE_UNIFORM_LOG_DENSITIES = combine_log_densities(
    "combine-uniform-log-densities",
    "The two logarithms of lengths combine into one logarithm.",
    (UniformLaw,),
)
