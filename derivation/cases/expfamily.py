"""The ``exponential-family`` case: KL between two members of a one-parameter exponential family, derived once in
general (a Bregman divergence of the log-normaliser), then shown to agree with each family derived from its own
definition (Bernoulli, Poisson, geometric, exponential, half-normal)."""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Basic, Eq, Expr, Symbol

from ..core.engine import Derivation, Rewrite, Rule, Section
from ..core.errors import RuleNotApplicable
from ..laws import Law
from ..laws.expfamily import LOG_NORMALISER, NATURAL_FORMS, SLOPE, STATISTIC, NaturalForm, slope_of
from ..rules import INTEGRAL_AS_EXPECTATION, KL_DEFINITION, LINEARITY, LOG_OF_RATIO
from ..rules.expfamily import (
    BREGMAN_FORM,
    COMBINE_NATURAL_LOG_DENSITIES,
    MEAN_STATISTIC,
    NATURAL_LOG_DENSITY,
    natural_form_rule,
)
from ..settings.expfamily import NaturalFormChecker, NaturalPair
from ..settings.laws import LawPair, law_pair
from .discrete import FAMILY_CASES, FamilyCase
from .exponential import EXPONENTIAL
from .halfnormal import HALFNORMAL

#: From the definition to ``A(eta_p) - A(eta_q) - (eta_p - eta_q) A'(eta_q)``.
EXPONENTIAL_FAMILY_PLAN: tuple[Rule, ...] = (
    KL_DEFINITION,
    INTEGRAL_AS_EXPECTATION,
    LOG_OF_RATIO,
    NATURAL_LOG_DENSITY,
    COMBINE_NATURAL_LOG_DENSITIES,
    LINEARITY,
    MEAN_STATISTIC,
    BREGMAN_FORM,
)

TITLE = "KL divergence within an exponential family: a Bregman divergence"
SUMMARY = "two members of a one-parameter exponential family, in general; each family derived here agrees"
DESCRIPTION = (
    "Many families are exponential families: the density is a base measure times the exponential of a natural "
    "parameter times a sufficient statistic, divided by the exponential of the log-normaliser. We derive the "
    "divergence between two members once, for every such family: the base measure cancels in the log-ratio, "
    "which is then linear in the statistic, and the mean of the statistic is the slope of the log-normaliser. "
    "The result is the Bregman divergence of the log-normaliser: how far it lies, at the second parameter, above "
    "its tangent at the first. Every line follows from the one before by the rule named beside it, and every line "
    "has been checked, with two Gaussian families put in for the base measure, the statistic and the "
    "log-normaliser. The last section puts in the log-normaliser of each one-parameter family that kl-derive "
    "derives from its own definition, and finds that family's result again."
)

#: The same-family derivations of the families in natural form, by family.
_FAMILY_CASES: dict[str, FamilyCase] = {**FAMILY_CASES, "Exponential": EXPONENTIAL, "HalfNormal": HALFNORMAL}


@dataclass(frozen=True)
class Agreement:
    """One family's check: the general result in its natural form, against its own derivation's result (``derived``:
    that derivation's closed form, by its plan's rules; its steps are checked in the family's own document)."""

    family: str
    form: NaturalForm
    pair: LawPair
    derived: Expr
    chain: Derivation


def _family_pair(law: type[Law]) -> LawPair:
    letters = law.symbols or law.parameter_names
    return law_pair(*(law(*(Symbol(f"{letter}_{role}", positive=True) for letter in letters)) for role in "qp"))


def _as_derived(result: Expr, name: str, key: str) -> Rule:
    def apply(expr: Expr, setting: object) -> Rewrite:
        if expr == result or expr.has(LOG_NORMALISER, SLOPE):
            raise RuleNotApplicable("not the family's closed form")
        return Rewrite(result)

    return Rule(key, "Simplify",
                f"Simplified, this is the divergence derived from the definition in the document on {name}.", apply)


@dataclass(frozen=True)
class InNaturalForm:
    """A family's pair (in its textbook letters), its natural parameters in them, and the checker of lines in ``A``
    against lines in the family's parameters."""

    pair: LawPair
    natural: dict[Symbol, Expr]
    checker: NaturalFormChecker

    def rules(self, law: type[Law], result: Expr) -> tuple[Rule, Rule]:
        """The natural form put in, then simplified to ``result`` (the family's own derivation's)."""
        form, key = NATURAL_FORMS[law], law.family.lower()
        return (natural_form_rule(f"natural-form-{key}", form.name, self.natural, form.log_normaliser),
                _as_derived(result, form.name, f"as-derived-{key}"))


def in_natural_form(law: type[Law], setting: NaturalPair) -> InNaturalForm:
    """``law``'s family as an instance of the general one of ``setting``."""
    form = NATURAL_FORMS[law]
    pair = _family_pair(law)
    natural = {setting.q.law.natural: form.natural(pair.q.law), setting.p.law.natural: form.natural(pair.p.law)}
    functions = {LOG_NORMALISER: form.log_normaliser, SLOPE: slope_of(form.log_normaliser)}
    checker = NaturalFormChecker(pair.parameters, functions, natural,
                                 ranges={**pair.q.law.ranges(), **pair.p.law.ranges()})
    return InNaturalForm(pair, natural, checker)


def agreement(law: type[Law], general: Derivation) -> Agreement:
    """The general result written for ``law``'s family (its log-normaliser and natural parameters put in), then
    simplified to the result of that family's own derivation; checked at random points of its parameters.

    The family's own chain is not shown here, so it is not checked again here (its document checks every step): its
    result reaches this document only as the last line of the chain shown, which is checked equal to the line before
    it, the general result in the family's natural form."""
    form = NATURAL_FORMS[law]
    instance = in_natural_form(law, general.setting)
    case = _FAMILY_CASES[law.family]
    derived = instance.pair.closed(case.title, case.plan)
    title = form.name[0].upper() + form.name[1:]
    chain = instance.checker.derive(f"bregman-{law.family.lower()}", title, general.result,
                                    instance.rules(law, derived), general.setting)
    return Agreement(law.family, form, instance.pair, derived, chain)


def family_sections(derivation: Derivation) -> tuple[Section, ...]:
    """One section: for each family in natural form, its statistic, natural parameter and log-normaliser, and the
    general result turned into its own."""
    agreements = [agreement(law, derivation) for law in NATURAL_FORMS]
    setting: NaturalPair = derivation.setting
    eta = setting.q.law.natural
    values: dict[str, Basic] = {"result": Eq(derivation.start, derivation.result, evaluate=False),
                                "T": STATISTIC(setting.x), "A": LOG_NORMALISER(eta)}
    lines = []
    for i, a in enumerate(agreements):
        form = a.form
        variable = a.pair.q.variable
        values[f"eta{i}"] = Eq(eta, form.natural(a.pair.q.law), evaluate=False)
        values[f"A{i}"] = Eq(LOG_NORMALISER(eta), form.log_normaliser(eta), evaluate=False)
        values[f"law{i}"] = Eq(Symbol(a.pair.q.name), type(a.pair.q)("", variable, a.pair.q.law), evaluate=False)
        values[f"T{i}"] = Eq(STATISTIC(variable), form.statistic(variable), evaluate=False)
        lines.append(f"The {form.name}, {{law{i}}}: the statistic {{T{i}}}, the natural parameter "
                     f"{{eta{i}}}, the log-normaliser {{A{i}}}.")
    text = ("Each family below is an exponential family with one parameter. Putting its log-normaliser and natural "
            "parameters into {result} gives, after simplifying, the divergence derived from that family's own "
            "definition (in its document), one chain per family. " + " ".join(lines))
    return (Section("families", "Each family from the Bregman divergence", text, values,
                    tuple(a.chain for a in agreements)),)
