"""The families a spec may be of: one table, one :class:`Family` entry per family, in the order ``kl-derive list``
and the parser's "unknown family" message name them.

An entry says everything the spec parser (:mod:`.parse`) and ``kl-derive list`` need: the family's name, which of
the parser's readers takes its arguments (:data:`LOCATION`, :data:`PARAMETERS`, :data:`ONE`), its leading
parameters, its choice of parameterisations (the first is the one a positional argument gives) with each one's
domain (:data:`DOMAINS`), and, where the parameters alone do not say it, how ``kl-derive list`` writes it.
A new family is one entry here (plus its law in ``laws/``; ``tests/test_families_table.py`` checks that the table's
parameter names are the law's). The table lives beside the parser rather than in the laws because ``interpret``
and ``laws`` are one layer and neither imports the other (``docs/ARCHITECTURE.md``).

The four readers:

* :data:`LOCATION`: ``Family(loc, PARAMETERISATION)``, ``loc=`` and the parameterisation also as keywords, and
  ``dim=`` when :attr:`Family.dim` (``Normal``, ``DiagNormal``, ``MvNormal``, ``Laplace``). Families sharing a
  :attr:`Family.vocabulary` (the Gaussians) recognise each other's keywords and refuse them by naming the family
  that takes them (``Normal(m, cov=S)``: "use MvNormal").
* :data:`PARAMETERS`: the leading parameters, then one of the parameterisations, positionally or by keyword, each
  a name or a number in its domain (``Gamma(concentration, rate)``, ``Uniform(low, high)``).
* :data:`VECTOR`: one vector over ``dim`` categories by name (``Categorical(probs, K)``,
  ``Categorical(logits=a, dim=K)``).
* :data:`ONE`: one parameter, positionally (the first parameterisation) or by any parameterisation's keyword,
  after an optional leading count (``Bernoulli(probs)``, ``Bernoulli(logits=l)``, ``Binomial(total_count, probs)``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["DOMAINS", "FAMILIES", "FAMILY", "LOCATION", "ONE", "PARAMETERS", "VECTOR", "Family", "Parameter"]

LOCATION = "location"
"""Reader of a location family: ``loc``, one parameterisation, optionally ``dim``."""
PARAMETERS = "parameters"
"""Reader of a family given in its own parameters: the leading ones, then one of a choice."""
ONE = "one"
"""Reader of a family of one parameter (after an optional leading count), in any of its parameterisations."""
VECTOR = "vector"
"""Reader of a family of one vector over ``dim`` categories, by name, in any of its parameterisations:
``Categorical(probs, K)``, ``Categorical(logits=a, dim=K)`` (or ``1/K`` for equal probabilities)."""

#: The values a parameter takes, as ``kl-derive list`` says them: ``real``; ``positive``; ``probability`` (in
#: (0, 1)); ``count`` (a positive integer or a name: a number of trials).
DOMAINS: Mapping[str, str] = MappingProxyType({
    "probability": "in (0, 1)", "positive": "> 0", "real": "real", "count": "a positive integer or a name",
})


@dataclass(frozen=True)
class Parameter:
    """A parameter or parameterisation of a spec: its keyword (torch's name) and its domain (a key of
    :data:`DOMAINS`)."""

    name: str
    domain: str


@dataclass(frozen=True)
class Family:
    """One family a spec may be of.

    ``reader`` is :data:`LOCATION`, :data:`PARAMETERS` or :data:`ONE`; ``parameterisations`` the choice of
    parameterisation a spec gives exactly one of (the first is the positional one); ``leading`` the parameters
    before it. Options of some readers:

    * ``dim`` (LOCATION): a spec needs ``dim=`` (a vector of that many coordinates).
    * ``vocabulary`` (LOCATION): every parameterisation keyword the family recognises, in the order the parser
      looks for them; those it does not take are refused with the name of the family that takes them. Empty:
      its own parameterisations.
    * ``keyword_only`` (LOCATION): the parameterisation is a keyword only; the message for a positional one says
      what to write instead.
    * ``ordered`` (PARAMETERS): the leading parameter and the parameterisation are the ends of an interval (real,
      ``low < high``).
    * ``written`` / ``described``: how ``kl-derive list`` writes a spec and its parameterisations, when not
      from the parameters.
    """

    name: str
    reader: str
    parameterisations: tuple[Parameter, ...]
    leading: tuple[Parameter, ...] = ()
    dim: bool = False
    vocabulary: tuple[str, ...] = ()
    keyword_only: str = ""
    ordered: bool = False
    written: str = ""
    described: str = ""

    @property
    def kinds(self) -> tuple[str, ...]:
        """The parameterisations' keywords."""
        return tuple(p.name for p in self.parameterisations)

    @property
    def keywords(self) -> tuple[str, ...]:
        """The parameterisation keywords a LOCATION spec of this family may try (see ``vocabulary``)."""
        return self.vocabulary or self.kinds

    def domain(self, name: str) -> str:
        """The domain of the parameter or parameterisation ``name`` (``loc``, and any name not listed: real)."""
        return next((p.domain for p in (*self.leading, *self.parameterisations) if p.name == name), "real")


def _positive(*names: str) -> tuple[Parameter, ...]:
    return tuple(Parameter(name, "positive") for name in names)


#: The scalar parameterisations of a Gaussian: a scale, a variance, their logarithms, a precision.
_GAUSSIAN_SCALES = (*_positive("scale", "var"), Parameter("logvar", "real"), Parameter("log_scale", "real"),
                    *_positive("precision"))
#: The keywords a Gaussian spec recognises (each Gaussian family takes some, and names the one taking the others).
_GAUSSIAN = (*(p.name for p in _GAUSSIAN_SCALES), "cov")

FAMILIES: tuple[Family, ...] = (
    Family("Normal", LOCATION, _GAUSSIAN_SCALES, vocabulary=_GAUSSIAN, written="Normal(loc, scale)",
           described="scale (positional), var=, logvar=, log_scale= or precision="),
    Family("DiagNormal", LOCATION, _GAUSSIAN_SCALES, dim=True, vocabulary=_GAUSSIAN,
           written="DiagNormal(loc, scale, dim=d)",
           described="as Normal, one per coordinate; d a positive integer or a name"),
    Family("MvNormal", LOCATION, _positive("cov"), dim=True, vocabulary=_GAUSSIAN,
           keyword_only="the covariance as a keyword: MvNormal(m, cov=S, dim=k)",
           written="MvNormal(loc, cov=S, dim=d)",
           described="cov= a covariance matrix (a name, or a number for a multiple of I)"),
    Family("Laplace", LOCATION, _positive("scale"), written="Laplace(loc, scale)",
           described="scale > 0 (positional or scale=)"),
    Family("Gamma", PARAMETERS, _positive("rate", "scale"), leading=_positive("concentration")),
    Family("Uniform", PARAMETERS, (Parameter("high", "real"),), leading=(Parameter("low", "real"),), ordered=True),
    Family("Pareto", PARAMETERS, _positive("alpha"), leading=_positive("scale")),
    Family("Beta", PARAMETERS, _positive("concentration0"), leading=_positive("concentration1")),
    Family("Gumbel", PARAMETERS, _positive("scale"), leading=(Parameter("loc", "real"),)),
    Family("Bernoulli", ONE, (Parameter("probs", "probability"), Parameter("logits", "real"))),
    Family("Poisson", ONE, _positive("rate")),
    Family("Geometric", ONE, (Parameter("probs", "probability"),)),
    Family("Exponential", ONE, _positive("rate", "scale")),
    Family("Binomial", ONE, (Parameter("probs", "probability"), Parameter("logits", "real")),
           leading=(Parameter("total_count", "count"),)),
    Family("HalfNormal", ONE, _positive("scale")),
    Family("Categorical", VECTOR, (Parameter("probs", "probability"), Parameter("logits", "real")),
           written="Categorical(probs, K) or Categorical(logits=..., dim=K)",
           described="probs a vector on the simplex (or 1/K: equal); logits real; K a positive integer or a name"),
    Family("Dirichlet", VECTOR, _positive("concentration"), written="Dirichlet(concentration, K)",
           described="concentration a vector of positive entries (or one number > 0 for every coordinate); K a "
                     "positive integer or a name"),
)
"""Every family the spec parser takes, in the order ``kl-derive list`` and its error messages name them."""

FAMILY: Mapping[str, Family] = MappingProxyType({family.name: family for family in FAMILIES})
"""The entries of :data:`FAMILIES` by name."""
