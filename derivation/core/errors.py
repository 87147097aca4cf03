"""The library's single exception family.

Every error a user can cause derives from :class:`DerivationError`; the CLI turns any of
them into a one-line message and exit code 2.
"""

from __future__ import annotations


class DerivationError(Exception):
    """Base class of every error kl-derive raises on purpose."""


class UsageError(DerivationError):
    """Bad input from the user: unknown case or format, bad option value, unwritable path."""


class ParseError(UsageError):
    """A user string (spec or claim) that the whitelist parser refuses.

    ``position`` is the 0-based character offset of the problem in the string, if known.
    """

    def __init__(self, message: str, position: int | None = None, text: str | None = None):
        self.message = message
        self.position = position
        self.text = text
        where = f" (at position {position})" if position is not None else ""
        super().__init__(f"{message}{where}")


class RuleNotApplicable(DerivationError):
    """A rule was asked to rewrite an expression it does not fit."""


class StepRejected(DerivationError):
    """The checker found a step that is not equal to the one before it."""


class RenderError(DerivationError):
    """A template failed (e.g. it used a variable that the context does not have)."""
