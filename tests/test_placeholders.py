"""A general identity's letters (core.placeholders) are renamed where a document's symbol has their name."""

from __future__ import annotations

from sympy import Eq, Symbol, log

from derivation.core.placeholders import Placeholder, placeholders
from derivation.output.render import generic_letters, render
from derivation.pairs.routes import variant


def test_a_placeholder_is_never_the_documents_symbol():
    a, = placeholders("a", positive=True)
    assert a != Symbol("a", positive=True) and a == Placeholder("a", positive=True)


def test_letters_are_renamed_only_where_a_name_collides():
    a, b = placeholders("a b", positive=True)
    law = Eq(log(a / b), log(a) - log(b), evaluate=False)
    assert generic_letters(law, {Symbol("m"), Symbol("s")}) is law
    renamed = generic_letters(law, {Symbol("a", positive=True), Symbol("m")})
    assert {s.name for s in renamed.free_symbols} == {"u", "v"}
    assert all(isinstance(s, Placeholder) for s in renamed.free_symbols)


def test_a_pareto_documents_general_laws_do_not_borrow_its_shapes_name():
    """Pareto(m, a): the log-of-ratio and linearity laws beside its steps used a and b, a being the shape."""
    text = render(variant("Pareto(m, a)", "Normal(mu, s)").derive(), "markdown")
    assert r"Used: $\log \frac{u}{v} = \log u - \log v$." in text
    assert r"Used: $\mathbb{E}_{q}[u + v g(x)] = u + v \mathbb{E}_{q}[g(x)]$." in text
    gaussian = render(variant("Normal(m1, s1)", "Normal(m2, s2)").derive(), "markdown")
    assert r"\log \frac{a}{b} = \log a - \log b" in gaussian  # no collision: the usual letters
