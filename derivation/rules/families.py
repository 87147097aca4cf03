"""Rules every family derived from its definition shares, made per family: substitute the log-densities,
combine them (the laws' constants into one term, the rest kept), and replace a moment by the lemma that derives it.

Each factory takes the key, words and laws of its family's rule, so that a family's document names its own rules
(``exponential-log-density``) while the bodies are written once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from sympy import Eq, Expr

from ..core.engine import Derivation, Rewrite, Rule, derive_chain
from ..core.errors import RuleNotApplicable
from ..core.forms import add, evaluated, neg, sub
from ..laws import Law
from ..nodes.scalar import Density, Expectation
from .base import rewrite_or_refuse, terms
from .gaussian import GAUSSIAN_LOG_DENSITY, replace_by_lemmas


class PairSetting(Protocol):
    """What these rules ask of a setting: the two densities."""

    q: Density
    p: Density


def log_density_rule(key: str, family: str) -> Rule:
    """``log q(x) -> log_normaliser - energy(x)`` for each named density (``family`` words the justification)."""
    return Rule(key, "Log-densities", f"Substitute the logarithm of each {family} density.", GAUSSIAN_LOG_DENSITY.apply)


def combine_log_densities(key: str, justification: str, laws: tuple[type[Law], ...], cite: bool = True) -> Rule:
    """``log q(x) - log p(x) -> c - energy_q(x) + energy_p(x)`` for q, p of ``laws``, where
    ``c = log_normaliser(q) - log_normaliser(p)`` combined as the law writes it (``Law.normaliser_difference``:
    ``log(b_p / b_q)`` for two Laplace laws, ``log(lambda_q / lambda_p)`` for two exponential laws) and each
    energy written out term by term (``-beta_q x + (alpha_q - 1) log x`` for a Gamma law). ``cite``: show the
    combination of the constants as the identity used (a long one, Gamma's, is said in words only). The difference
    is matched however the line groups it (``-log w1 - (-log w2)`` for a law without energy: Uniform)."""

    def apply(expr: Expr, setting: PairSetting) -> Rewrite:
        q, p = setting.q, setting.p
        if not (isinstance(q.law, laws) and isinstance(p.law, laws)):
            raise RuleNotApplicable(f"not two {' or '.join(law.family for law in laws)} densities")
        before = sub(q.log_pdf_form(), p.log_pdf_form())
        constants = q.law.normaliser_difference(p.law)
        combined = add(*terms(constants), *(neg(term) for term in terms(q.energy())), *terms(p.energy()))
        value = evaluated(before)

        def match(e: Expr) -> Expr | None:  # as built, or a sum of the same terms grouped otherwise: -a - (-b)
            return combined if e == before or (e.is_Add and evaluated(e) == value) else None

        out = rewrite_or_refuse(expr, match, "difference of log-densities")
        written = sub(q.log_normaliser(), p.log_normaliser())
        return Rewrite(out, (Eq(written, constants, evaluate=False),) if cite and written != constants else ())

    apply.__doc__ = combine_log_densities.__doc__
    return Rule(key, "Combine logs", justification, apply)


def moment_rule(key: str, title: str, justification: str, laws: tuple[type[Law], ...],
                is_moment: Callable[[Expectation], bool], lemma: tuple[str, str, tuple[Rule, ...]]) -> Rule:
    """``E_q[g(x)] -> value`` for each expectation under a named density of ``laws`` that ``is_moment`` accepts,
    the value derived by the lemma ``(name, title, plan)`` from the expectation (attached to the step, checked with
    it)."""

    def apply(expr: Expr, setting: PairSetting) -> Rewrite:
        name, lemma_title, plan = lemma

        def lemma_for(e: Expr) -> Derivation | None:
            if not (isinstance(e, Expectation) and e.density.name and isinstance(e.density.law, laws)
                    and is_moment(e)):
                return None
            return derive_chain(name, lemma_title, e, plan, setting, skip_unfit=True)

        return replace_by_lemmas(expr, lemma_for, title.lower())

    apply.__doc__ = moment_rule.__doc__
    return Rule(key, title, justification, apply)
