"""The letters of a general law a rule states beside its step (``log(a/b) = log a - log b``).

A :class:`Placeholder` prints as its name but is never equal to a symbol of a document, even one with the same name
and assumptions (a Pareto law's shape ``a``): the renderer can tell the law's letters from the document's and rename
them where the names collide (:func:`derivation.output.render.generic_letters`)."""

from __future__ import annotations

from sympy import Symbol


class Placeholder(Symbol):
    """A letter of a general identity (printed like a symbol; equal only to the same placeholder)."""


def placeholders(names: str, **assumptions: bool) -> tuple[Placeholder, ...]:
    """``placeholders("a b", positive=True)``: one placeholder per name."""
    return tuple(Placeholder(name, **assumptions) for name in names.split())
