"""Distribution families as data: each law knows its parameters, support, density and how it is integrated.

A :class:`~derivation.laws.base.Law` is a SymPy object holding a family's parameters (in the spirit of
``sympy.stats``' distributions, kept apart from the variable that follows them); one
:class:`~derivation.nodes.scalar.Density` node names a density ``q(x)`` of any law. Adding a family means adding a
law module here (and its rules under ``derivation/rules``), nothing else in the engine.
"""

from .base import Law
from .bernoulli import BernoulliLaw
from .beta import BetaLaw
from .categorical import CategoricalLaw
from .counts import BinomialLaw, GeometricLaw, PoissonLaw
from .dirichlet import DirichletLaw
from .exponential import ExponentialLaw
from .gamma import GammaLaw
from .gumbel import GumbelLaw
from .halfnormal import HalfNormalLaw
from .laplace import LaplaceLaw
from .mvnormal import MvNormalLaw
from .normal import NormalLaw
from .pareto import ParetoLaw
from .uniform import UniformLaw

#: The laws of one variable by family name (as specs and ``torch.distributions`` spell it); ``MvNormalLaw`` is the
#: law of a vector.
LAWS: dict[str, type[Law]] = {law.family: law for law in (NormalLaw, LaplaceLaw, BernoulliLaw, PoissonLaw,
                                                          GeometricLaw, ExponentialLaw, GammaLaw)}
LAWS[BinomialLaw.family] = BinomialLaw
LAWS.update({law.family: law for law in (HalfNormalLaw, UniformLaw, ParetoLaw, BetaLaw, GumbelLaw)})
LAWS[CategoricalLaw.family] = CategoricalLaw
LAWS[DirichletLaw.family] = DirichletLaw


__all__ = ["LAWS", "BernoulliLaw", "BinomialLaw", "ExponentialLaw", "GammaLaw", "GeometricLaw", "LaplaceLaw", "Law",
           "NormalLaw",
           "PoissonLaw"]
__all__ += ["BetaLaw", "CategoricalLaw", "DirichletLaw", "GumbelLaw", "HalfNormalLaw", "MvNormalLaw", "ParetoLaw",
            "UniformLaw"]
