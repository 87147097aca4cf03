"""kl-derive: step-by-step, verified derivations of the KL divergence between Gaussians.

>>> from derivation import derive, render
>>> d = derive("univariate")
>>> d.result            # the closed form, a SymPy expression
>>> render(d, "latex")  # a document in which every line is printed from the engine's expressions
>>> derive(q="Normal(a, logvar=w)", p="Normal(0, 1)")   # any pair of Gaussians, in its own symbols
>>> verify(q="Normal(a, logvar=w)", p="Normal(0, 1)", claim="-0.5*(1 + w - a**2 - exp(w))").holds

``derivation.check.checker`` is the function; the step checker lives in the module ``derivation.check.checker``
(``from derivation.verify import Checker``).
"""

from .api import derive, verify  # after .api has loaded the module derivation.verify: the name is the function
from .cases.catalogue import CASES
from .core.engine import Check, Derivation, Rule, Step
from .core.errors import DerivationError
from .output.render import FORMATS, render

__version__ = "0.1.0"

__all__ = ["CASES", "FORMATS", "Check", "Derivation", "DerivationError", "Rule", "Step", "__version__",
           "derive", "render", "verify"]
