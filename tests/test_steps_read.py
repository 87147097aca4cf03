"""What a reader meets line by line: every chain in every case is checked line by line, no step merely drops
brackets, and no heading is followed by the same words (issue 9)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from derivation import CASES, derive
from derivation.core.engine import Derivation
from derivation.output.render import render
from derivation.printing.latex import reads_the_same, to_latex

#: Every case and route, ``--dim 3``, and custom pairs.
DOCUMENTS: dict[str, dict] = {
    **{f"{name}-{route}": {"case": name, "route": route} for name, case in CASES.items() for route in case.plans},
    "diagonal-dim3": {"case": "diagonal", "dim": 3},
    "pair-logvar": {"q": "Normal(a, logvar=w)", "p": "Normal(0, 1)"},
    "pair-diag": {"q": "DiagNormal(mu, logvar=lv, dim=d)", "p": "DiagNormal(0, 1, dim=d)"},
    "pair-mv": {"q": "MvNormal(a, cov=A, dim=n)", "p": "MvNormal(b, cov=B, dim=n)"},
}

_derived: dict[str, Derivation] = {}


def document(key: str) -> Derivation:
    if key not in _derived:
        _derived[key] = derive(**DOCUMENTS[key])
    return _derived[key]


def chains(d: Derivation, seen: set[int] | None = None) -> Iterator[Derivation]:
    """The derivation, its lemmas (and theirs) and the chains of its sections, each once."""
    seen = set() if seen is None else seen
    if id(d) in seen:
        return
    seen.add(id(d))
    yield d
    for step in d.steps:
        for lemma in step.lemmas:
            yield from chains(lemma, seen)
    for section in d.sections or ():
        for chain in section.derivations:
            yield from chains(chain, seen)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


@pytest.mark.parametrize("key", DOCUMENTS)
def test_every_line_of_every_chain_is_checked(key):
    for chain in chains(document(key)):
        assert len(chain.checks) == len(chain.steps), chain.name
        assert all(check.ok for check in chain.checks), chain.name
        assert [check.index for check in chain.checks] == list(range(len(chain.steps))), chain.name


@pytest.mark.parametrize("key", DOCUMENTS)
def test_no_step_only_drops_brackets(key):
    """A step's printed form never equals the line before it modulo brackets, their sizes and spacing."""
    for chain in chains(document(key)):
        before = to_latex(chain.start)
        for step in chain.steps:
            after = to_latex(step.expr)
            assert not reads_the_same(before, after), f"{chain.name}: {step.title}: {before!r} -> {after!r}"
            before = after


def test_dropping_brackets_is_not_a_step_in_the_dynamics_document():
    tex = render(document("dynamics-definition"), "latex")
    assert r"\frac{d}{d \mu} [\mu]" not in tex and r"\frac{\partial}{\partial \mu} [\mu]" not in tex
    assert r"&= \frac{\partial \mu}{\partial \mu} \\" in tex
    assert not reads_the_same(r"\frac{d}{d \mu} [\mu]", r"\frac{d}{d \mu} \mu^{2}")
    assert reads_the_same(r"\frac{d}{d \mu} [\mu]", r"\frac{d}{d \mu} \mu")


def test_an_expectations_brackets_hold_its_argument():
    """Linearity moves a constant out of E[...]: the brackets moved, and that is a step (the estimators chain)."""
    assert not reads_the_same(r"\E_{z \sim \mathcal{N}(0, 1)}[z + t] e^{t}",
                              r"\bigl(\E_{z \sim \mathcal{N}(0, 1)}[z] + t\bigr) e^{t}")
    assert not reads_the_same(r"\mathbb{E}_{q}[a + b]", r"\mathbb{E}_{q}[a] + b")
    assert reads_the_same(r"\E_{q}[(a + b)]", r"\E_{q}\bigl[a + b\bigr]")


@pytest.mark.parametrize("key", DOCUMENTS)
def test_a_heading_is_never_followed_by_the_same_words(key):
    """A chain's heading and its first step's name (set right after it in every format) never share their
    opening words ("Mean and variance terms. Mean and variance.")."""
    for chain in chains(document(key)):
        if not chain.steps:
            continue
        heading, first = _words(chain.title), _words(chain.steps[0].title)
        shared = min(len(heading), len(first))
        assert heading[:shared] != first[:shared], f"{chain.name}: {chain.title!r} then {chain.steps[0].title!r}"


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("fmt", ["latex", "latex-fragment", "beamer", "markdown", "text", "ipynb"])
def test_no_heading_repeated_in_the_printed_documents(case, fmt):
    text = render(document(f"{case}-{next(iter(CASES[case].plans))}"), fmt)
    assert "Mean and variance terms" not in text
    flat = re.sub(r"\\[A-Za-z]+|[{}*#\\]|\s+", " ", text)
    assert not re.search(r"\b(\w+ \w+ \w+)\w* ?\. +\1\b", flat), re.search(r"\b(\w+ \w+ \w+)\w* ?\. +\1\b", flat)


@pytest.mark.parametrize("case", ["vae", "dynamics"])
def test_the_d_dimensional_chain_starts_from_the_divergence_and_every_line_is_checked(case):
    """The "In d dimensions" chain starts from KL(q || p) and its first line is the factorisation, justified;
    the factorisation and the closed form per coordinate are checked numerically at d = 2 and 3."""
    (chain,) = [c for c in chains(document(f"{case}-{next(iter(CASES[case].plans))}")) if c.name.endswith(":sum")]
    assert to_latex(chain.start) == r"\KL(q \,\|\, p)"
    assert [s.title for s in chain.steps] == ["Factorise", "Closed form", "Sum term by term"]
    assert to_latex(chain.steps[0].expr) == r"\sum_{j=1}^{d} \KL(q_{j} \,\|\, p_{j})"
    assert all(step.justification for step in chain.steps)
    assert [c.method for c in chain.checks] == ["numeric", "numeric", "symbolic"]
    assert all("d = 2 and 3" in c.detail for c in chain.checks[:2])


def test_the_checker_of_the_d_dimensional_chain_evaluates_indexed_sums():
    """No KeyError on the index: sums over the coordinates (and the divergence over R^d) are evaluated at d = 2
    and 3, and a wrong line is refused."""
    from sympy import Rational, Sum, log

    from derivation.cases.interpretation import Interpretation
    from derivation.nodes.scalar import KL
    from derivation.settings.multivariate import marginal

    it = Interpretation(derive("standard"))
    diagonal, c = it.diagonal, it.coordinates
    j, d, mu, sigma = c["j"], c["d"], c["mu"], c["sigma"]
    checker = diagonal.checker()
    squares = Sum(mu[j] ** 2, (j, 1, d))
    assert checker.check(0, squares, Sum(mu[j] ** 2 + 1, (j, 1, d)) - d).ok
    assert not checker.check(0, squares, Sum(mu[j] ** 2 + 1, (j, 1, d))).ok
    per_coordinate = Sum(KL(marginal(diagonal.q, j), marginal(diagonal.p, j)), (j, 1, d))
    assert checker.check(0, diagonal.start(), per_coordinate).ok
    half = Rational(1, 2)
    right = Sum(half * mu[j] ** 2 + half * (sigma[j] ** 2 - log(sigma[j] ** 2) - 1), (j, 1, d))
    wrong = Sum(mu[j] ** 2 + half * (sigma[j] ** 2 - log(sigma[j] ** 2) - 1), (j, 1, d))
    assert checker.check(1, per_coordinate, right).ok
    assert not checker.check(1, per_coordinate, wrong).ok


@pytest.mark.parametrize("key", DOCUMENTS)
def test_no_identity_repeats_its_own_step(key):
    """A step never shows, as the identity it uses, the very equation its line states (``d/dmu mu = 1`` under
    ``d/dmu mu = 1``)."""
    from sympy import Eq

    for chain in chains(document(key)):
        before = chain.start
        for step in chain.steps:
            shown = to_latex(Eq(before, step.expr, evaluate=False))
            assert all(to_latex(identity) != shown for identity in step.identities), (chain.name, shown)
            before = step.expr
