"""kl-derive: step-by-step, verified derivations of the KL divergence between Gaussians.

>>> from derivation import derive, render
>>> d = derive("univariate")
>>> d.result            # the closed form, a SymPy expression
>>> render(d, "latex")  # a document in which every line is printed from the engine's expressions
"""

from .api import derive
from .cases import CASES
from .core import Check, Derivation, Rule, Step
from .errors import DerivationError
from .render import FORMATS, render

__version__ = "0.1.0"

__all__ = ["CASES", "FORMATS", "Check", "Derivation", "DerivationError", "Rule", "Step", "__version__",
           "derive", "render"]
