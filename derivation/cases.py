"""The named cases: each is a setting (built from a notation) and a plan (a tuple of rules), nothing else."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from sympy import S, sstr

from .core import Rule
from .rules import (
    CANCEL_AND_COLLECT,
    COMBINE_LOG_DENSITIES,
    DISTRIBUTE,
    FACTOR_OUT,
    GAUSSIAN_LOG_DENSITY,
    INTEGRAL_AS_EXPECTATION,
    KL_DEFINITION,
    LINEARITY,
    LOG_OF_RATIO,
    LOG_VARIANCE,
    SECOND_MOMENT,
    SHIFTED_SECOND_MOMENT,
    VAE_ORDER,
)
from .setting import Notation, Setting, gaussian_pair


@dataclass(frozen=True)
class Case:
    """A named derivation: ``summary`` is one line for ``kl-derive list``; ``description`` opens the document."""

    name: str
    title: str
    summary: str
    description: str
    setting: Callable[[Notation], Setting]
    plan: tuple[Rule, ...]


UNIVARIATE_PLAN: tuple[Rule, ...] = (
    KL_DEFINITION,
    INTEGRAL_AS_EXPECTATION,
    LOG_OF_RATIO,
    GAUSSIAN_LOG_DENSITY,
    COMBINE_LOG_DENSITIES,
    LINEARITY,
    SECOND_MOMENT,
    SHIFTED_SECOND_MOMENT,
    CANCEL_AND_COLLECT,
)

#: The univariate plan, then the rewrites that give the form VAE code implements.
STANDARD_PLAN: tuple[Rule, ...] = (*UNIVARIATE_PLAN, LOG_VARIANCE, DISTRIBUTE, FACTOR_OUT, VAE_ORDER)


def _two_gaussians(n: Notation) -> Setting:
    return gaussian_pair(n, n.real("mu", 1), n.positive("sigma", 1), n.real("mu", 2), n.positive("sigma", 2))


def _against_standard_prior(n: Notation) -> Setting:
    return gaussian_pair(n, n.real("mu"), n.positive("sigma"), S.Zero, S.One)


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
            UNIVARIATE_PLAN,
        ),
        Case(
            "standard",
            "KL divergence to the standard normal prior (the VAE regulariser)",
            "a Gaussian against the standard normal prior, ending in the form VAE losses use",
            "The regulariser of a variational autoencoder is the KL divergence from the encoder's Gaussian "
            "q to the standard normal prior p. We follow the same plan as for two arbitrary Gaussians, then "
            "rewrite the result into the form that VAE code implements. Every line has been checked.",
            _against_standard_prior,
            STANDARD_PLAN,
        ),
    )
})


def describe_setting(case: Case, notation: Notation | None = None) -> str:
    """The case's densities in plain text, printed from its setting (e.g. for ``kl-derive list``)."""
    setting = case.setting(notation or Notation())
    return ", ".join(
        f"{d.name} = N({sstr(d.mean)}, {sstr(d.var)})" for d in (setting.q, setting.p)
    )
