"""The densities of a latent-variable model, printed as a textbook writes them: ``p(x, z)``, ``p(x | z)``, ``p(z | x)``.

A :class:`ModelDensity` is a :class:`~derivation.nodes.scalar.Named` node: it prints as its name applied to its
variables (and, after a bar, the variables it is conditioned on), and it is compared and evaluated
(``forms.evaluated``, the checker) as the formula it stands for. The identities of variational inference
(``log p(x) = ELBO(q) + KL(q(z) || p(z | x))``) hold for any model; a document states them with these nodes,
and the checker verifies each line on the concrete model whose formulas the nodes carry.
"""

from __future__ import annotations

from sympy import Expr, Symbol, Tuple
from sympy.core.symbol import Str

from .scalar import Named


class ModelDensity(Named):
    """``name(variables | given)`` standing for ``definition`` (a formula in the variables and the parameters).

    ``ModelDensity("p", formula, (x, z))`` prints ``p(x, z)``; with ``given=(z,)`` and variables ``(x,)`` it
    prints ``p(x | z)``. ``pdf()`` is the formula, so the node can stand where a density is expected (the
    second argument of a KL divergence).
    """

    def __new__(cls, name: str | Str, definition: Expr, variables, given=()) -> ModelDensity:
        name = name if isinstance(name, Str) else Str(name)
        return Expr.__new__(cls, name, definition, Tuple(*variables), Tuple(*given))

    @property
    def given(self) -> tuple[Expr, ...]:
        return tuple(self.args[3])

    @property
    def variable(self) -> Symbol:
        """The (first) variable the density is a density of."""
        return self.arguments[0]

    def pdf(self) -> Expr:
        return self.definition
