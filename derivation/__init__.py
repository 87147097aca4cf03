"""kl-derive: step-by-step, verified derivations of the KL divergence between Gaussians.

>>> from derivation import derive, render
>>> d = derive("univariate")
>>> d.result            # the closed form, a SymPy expression
>>> render(d, "latex")  # a document in which every line is printed from the engine's expressions
>>> derive(q="Normal(a, logvar=w)", p="Normal(0, 1)")   # any pair of Gaussians, in its own symbols
>>> verify(q="Normal(a, logvar=w)", p="Normal(0, 1)", claim="-0.5*(1 + w - a**2 - exp(w))").holds

The layers of the package and what each may import: docs/ARCHITECTURE.md.
"""

from typing import Any

from .api import derive, verify
from .cases.catalogue import CASES
from .core.engine import Check, Derivation, Rule, Step
from .core.errors import DerivationError
from .core.version import __version__
from .output.render import FORMATS, render


def _render(self: Derivation, fmt: str = "markdown", **options: Any) -> str:
    """The derivation as a document in ``fmt`` (see :func:`derivation.output.render.render`)."""
    return render(self, fmt, **options)


def _repr_latex_(self: Derivation) -> str:
    """Jupyter shows a derivation as one aligned display."""
    return render(self, "latex-display")


# A Derivation is plain data from the bottom layer; its two display methods come from the output layer.
Derivation.render = _render  # type: ignore[attr-defined]
Derivation._repr_latex_ = _repr_latex_  # type: ignore[attr-defined]

__all__ = ["CASES", "FORMATS", "Check", "Derivation", "DerivationError", "Rule", "Step", "__version__",
           "derive", "render", "verify"]
