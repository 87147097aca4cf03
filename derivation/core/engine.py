"""Rules, steps, checks and derivations as plain frozen data, and the loop that applies a plan.

A :class:`Rule` is a named, pure ``Expr -> Expr`` rewrite. Applying a plan (a tuple of rules) to a
start expression records one :class:`Step` per rule. Verification (``verify.py``) later attaches one
:class:`Check` per step; a derivation never leaves :func:`derivation.derive` unchecked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

from sympy import Basic, Expr

from .errors import RuleNotApplicable


class Setting(Protocol):
    """What the engine asks of a setting (``derivation.settings``): the first line and the notation.

    Rules read more of their own settings (the densities, the symbols); the engine only passes it along.
    """

    notation: Any

    def start(self) -> Expr: ...


@dataclass(frozen=True)
class Rewrite:
    """What a rule returns: the new expression, the identity it used, and lemmas derived on the way; a
    ``justification`` (prose) where this application needs narrower words than the rule's own."""

    expr: Expr
    identities: tuple[Basic, ...] = ()
    lemmas: tuple[Derivation, ...] = ()
    justification: str = ""


Apply = Callable[[Expr, "Setting"], "Rewrite | Expr"]


@dataclass(frozen=True)
class Rule:
    """A named rewrite.

    ``key`` is stable (documents and tools refer to it), ``title`` and ``justification`` are prose
    for readers (no mathematics: the identities the rule uses are returned by ``apply`` as SymPy
    ``Eq`` objects and printed by the printer). ``apply`` is pure and raises :class:`RuleNotApplicable`
    when the expression is not of the shape the rule rewrites.
    """

    key: str
    title: str
    justification: str
    apply: Apply = field(repr=False, compare=False)

    def __call__(self, expr: Expr, setting: Setting) -> Rewrite:
        out = self.apply(expr, setting)
        rewrite = out if isinstance(out, Rewrite) else Rewrite(out)
        if rewrite.expr == expr:
            raise RuleNotApplicable(f"rule {self.key!r} left the expression unchanged")
        return rewrite


@dataclass(frozen=True)
class Step:
    """One line of a derivation: the expression a rule produced from the line before."""

    rule: str
    title: str
    justification: str
    expr: Expr
    identities: tuple[Basic, ...] = ()
    lemmas: tuple[Derivation, ...] = ()


@dataclass(frozen=True)
class Check:
    """The verdict on step ``index``: equal to the line before, and how that was established."""

    index: int
    ok: bool
    method: str  # "symbolic" or "numeric"
    detail: str


@dataclass(frozen=True)
class Fact:
    """A derived statement for a prose section (e.g. ``Gt(f''(t), 0)``), with the check that established it."""

    statement: Basic
    text: str = ""
    check: Check | None = None


@dataclass(frozen=True)
class Figure:
    """A figure written next to the document: ``stem`` + ``.png`` (Markdown) or ``.pdf`` (LaTeX).

    ``plot`` says what to draw (a specification from ``derivation.output.figures`` holding the engine's
    expressions); ``derivation.output.figures.write_figures`` draws and writes it.
    """

    key: str
    caption: str
    stem: str
    plot: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class Table:
    """A table of a section: ``header`` and ``caption`` are prose (each ``{name}`` filled from the section's
    values, as in its text), each row a label (prose) and cells that are expressions, printed like every formula."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, tuple[Basic, ...]], ...]
    caption: str = ""


@dataclass(frozen=True)
class Section:
    """A section after the main chain (e.g. the interpretation).

    ``text`` is prose; each ``{name}`` in it is filled with the printed formula ``values[name]``, so
    no number or formula in the prose is typed by hand. ``listing`` (optional) is code shown verbatim.
    """

    key: str
    title: str
    text: str = ""
    values: Mapping[str, Basic] = field(default_factory=lambda: MappingProxyType({}))
    derivations: tuple[Derivation, ...] = ()
    facts: tuple[Fact, ...] = ()
    figures: tuple[Figure, ...] = ()
    #: A code listing shown after the text (e.g. the result as one line of PyTorch), printed from the
    #: expression and checked equal to it by ``listing_check``; empty for none.
    listing: str = ""
    listing_check: Check | None = None
    #: A table shown after the facts (e.g. numbers computed from the derived expressions); None for none.
    table: Table | None = None


@dataclass(frozen=True)
class Derivation:
    """A chain ``start = steps[0].expr = steps[1].expr = ...``; lemmas are derivations too.

    ``sections`` hold further material a document shows after the chain (each with its own checks);
    ``options`` records how :func:`derivation.derive` was called (case, notation, dim, route), so a
    notebook can rebuild it. Pure data: ``render`` and Jupyter's ``_repr_latex_`` are given to it by the
    package (``derivation/__init__.py``), from the output layer above.
    """

    name: str
    title: str
    setting: Any
    start: Expr
    steps: tuple[Step, ...]
    checks: tuple[Check, ...] = ()
    description: str = ""
    sections: tuple[Section, ...] = ()
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def result(self) -> Expr:
        """The last line: the closed form the derivation arrives at."""
        return self.steps[-1].expr if self.steps else self.start

    @property
    def verified(self) -> bool:
        return len(self.checks) == len(self.steps) and all(c.ok for c in self.checks)

    def lemmas(self) -> Iterator[Derivation]:
        """Every lemma used, depth first, each once, in the order a reader meets them."""
        seen: set[tuple[Expr, Expr]] = set()
        for step in self.steps:
            for lemma in step.lemmas:
                for inner in (*lemma.lemmas(), lemma):
                    key = (inner.start, inner.result)
                    if key not in seen:
                        seen.add(key)
                        yield inner


#: Called after each rule fires: ``(index, line before, new step) -> (step, check)``; raises on a wrong step.
StepCheck = Callable[[int, Expr, Step], "tuple[Step, Check]"]


def apply_plan(start: Expr, plan: tuple[Rule, ...], setting: Setting,
               check: StepCheck | None = None, *,
               skip_unfit: bool = False) -> tuple[tuple[Step, ...], tuple[Check, ...]]:
    """Apply each rule of ``plan`` to the line before, recording a :class:`Step` each time.

    With ``check``, every step is checked as soon as it is made, so a wrong rule is reported at
    the step it got wrong (not later, when a following rule no longer fits). With ``skip_unfit``, a
    rule that does not fit the line (:class:`RuleNotApplicable`) is skipped instead of failing the plan:
    settings with numeric or shared parameters (a unit scale, equal means) need fewer steps.
    """
    steps: list[Step] = []
    checks: list[Check] = []
    expr = start
    for rule in plan:
        try:
            rewrite = rule(expr, setting)
        except RuleNotApplicable:
            if skip_unfit:
                continue
            raise
        step = Step(rule.key, rule.title, rewrite.justification or rule.justification, rewrite.expr,
                    rewrite.identities, rewrite.lemmas)
        if check is not None:
            step, verdict = check(len(steps), expr, step)
            checks.append(verdict)
        steps.append(step)
        expr = step.expr
    return tuple(steps), tuple(checks)


def derive_chain(name: str, title: str, start: Expr, plan: tuple[Rule, ...], setting: Setting,
                 description: str = "", check: StepCheck | None = None, *,
                 skip_unfit: bool = False) -> Derivation:
    """The derivation of ``start`` by ``plan`` (for cases and lemmas alike); checked if ``check`` is given."""
    steps, checks = apply_plan(start, plan, setting, check, skip_unfit=skip_unfit)
    return Derivation(name, title, setting, start, steps, checks, description)
