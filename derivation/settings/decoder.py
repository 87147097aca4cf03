"""The setting of the ``reconstruction`` document: a decoder's density of an observation x = (x_1, ..., x_D) given
the latent z, which factorises over the D pixels.

The decoder outputs one number per pixel, ``y_i`` (``y = mu_theta(z)`` in a Gaussian decoder, the pixel's
probability in a Bernoulli decoder), or the pixel's logit ``eta_i`` with ``y_i = 1 / (1 + e^(-eta_i))``. The
Gaussian decoder's noise has the standard deviation ``s``, the same for every pixel. Lines are stated with the
densities as named nodes (``p(x | z)``, ``p(x_i | z)``) carrying their formulas; the checker verifies every line
at random points (D = 2 and 3, a random pixel i, random data and outputs, ``y = 1 / (1 + e^(-eta))`` for the
logits) by the vector checker, and the line of code by parsing it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sympy import Basic, Contains, Eq, Expr, Function, Gt, IndexedBase, Interval, Product, S, Symbol, exp, log

from ..check.vector_checker import MvChecker, Point
from ..core.errors import UsageError
from ..core.forms import add, frac, neg
from ..laws import NormalLaw
from ..laws.base import Law
from ..laws.bernoulli import BernoulliLaw
from ..nodes.model import ModelDensity
from ..nodes.scalar import Density
from ..nodes.vector import IndexRange, InSpace, Vec
from .univariate import Notation

#: The decoders the document derives: a Gaussian one (squared error) and a Bernoulli one (cross-entropy).
DECODERS = ("gaussian", "bernoulli")
PROBES = 4
SEED = 2612_0313


@dataclass(frozen=True)
class DecoderSetting:
    """The data x, the decoder's outputs y (or logits eta) and the decoder's density p(x | z) of one ``decoder``."""

    notation: Notation = field(default_factory=Notation)
    decoder: str = "gaussian"

    # -- symbols -----------------------------------------------------------------------------------------
    @cached_property
    def dim(self) -> Symbol:
        """D, the number of pixels."""
        return Symbol(self.notation.name("D"), integer=True, positive=True)

    @cached_property
    def index(self) -> Symbol:
        return Symbol(self.notation.name("i"), integer=True, positive=True)

    @cached_property
    def data(self) -> IndexedBase:
        return IndexedBase(self.notation.name("x"), real=True)

    @cached_property
    def output(self) -> IndexedBase:
        """The decoder's output y: the mean of each pixel (Gaussian) or its probability (Bernoulli)."""
        return IndexedBase(self.notation.name("y"), real=True)

    @cached_property
    def logits(self) -> IndexedBase:
        return IndexedBase(self.notation.name("eta"), real=True)

    @cached_property
    def s(self) -> Symbol:
        """The Gaussian decoder's standard deviation (the same for every pixel)."""
        return Symbol(self.notation.name("s"), positive=True)

    @cached_property
    def z(self) -> Symbol:
        return self.notation.real("z")

    @cached_property
    def m(self) -> Symbol:
        """The mean of the encoder's q (only the divergence term of the objective uses q)."""
        return Symbol(self.notation.name("m"), real=True)

    @cached_property
    def t(self) -> Symbol:
        """The standard deviation of the encoder's q."""
        return Symbol(self.notation.name("t"), positive=True)

    @property
    def q(self) -> Density:
        """q(z) = N(m, t**2), the encoder's density of the latent variable."""
        return Density(self.notation.name("q"), self.z, NormalLaw(self.m, self.t))

    @property
    def prior(self) -> ModelDensity:
        """p(z) = N(0, 1), the prior."""
        return ModelDensity(self.notation.name("p"), NormalLaw(S.Zero, S.One).pdf(self.z), (self.z,))

    @property
    def code_names(self) -> dict[str, str]:
        """The vectors' names in code, by their names in the mathematics (what VAE code calls them)."""
        return {str(self.output.label): "x_hat", str(self.logits.label): "logits", str(self.data.label): "x"}

    # -- the densities -----------------------------------------------------------------------------------
    def law(self, i: Expr) -> Law:
        """The law of pixel ``i`` given z."""
        y = self.output[i]
        return NormalLaw(y, self.s) if self.decoder == "gaussian" else BernoulliLaw(y)

    def pixel(self, i: Expr | None = None) -> ModelDensity:
        """``p(x_i | z)``."""
        i = self.index if i is None else i
        return ModelDensity(self.notation.name("p"), self.law(i).pdf(self.data[i]), (self.data[i],), (self.z,))

    @property
    def likelihood(self) -> ModelDensity:
        """``p(x | z)``: the product of the pixels' densities."""
        i = self.index
        return ModelDensity(self.notation.name("p"), Product(self.law(i).pdf(self.data[i]), (i, 1, self.dim)),
                            (Vec(self.data, self.dim),), (self.z,))

    def logistic(self, i: Expr) -> tuple[Expr, Expr]:
        """``1 / (1 + e^(-eta_i))`` and ``1 / (1 + e^(eta_i))``: the probability the logit gives and one minus it."""
        eta = self.logits[i]
        return frac(1, add(1, exp(neg(eta)))), frac(1, add(1, exp(eta)))

    # -- what the engine and the documents ask -------------------------------------------------------------
    def start(self) -> Expr:
        """``-log p(x | z)``, the reconstruction term of the loss."""
        return neg(log(self.likelihood))

    def statements(self) -> tuple[Basic, ...]:
        """The decoder's output and the law of each pixel."""
        i = self.index
        decoder = Function(self.notation.name("mu_theta") if self.decoder == "gaussian" else "f_theta")
        return (Eq(Vec(self.output, self.dim), decoder(self.z), evaluate=False),
                Eq(self.pixel(), Density("", self.data[i], self.law(i)), evaluate=False))

    def assumptions(self) -> tuple[Basic, ...]:
        i = self.index
        if self.decoder == "gaussian":
            own: tuple[Basic, ...] = (InSpace(self.output[i]), Gt(self.s, 0, evaluate=False))
        else:
            own = (Contains(self.output[i], Interval.open(0, 1), evaluate=False),)
        return (InSpace(self.data[i]), *own, IndexRange(i, self.dim))

    @property
    def parameters(self) -> tuple[Basic, ...]:
        return (self.output, self.s) if self.decoder == "gaussian" else (self.output,)

    def sample(self, count: int = PROBES, seed: int = SEED) -> list[Point]:
        """Points with D = 2, 3, 2, 3, a pixel i in 1..D, random data and outputs (probabilities the logistic
        function of random logits, data 0 or 1 for the Bernoulli decoder)."""
        import numpy as np

        rng = np.random.default_rng(seed)
        points = []
        for k in range(count):
            d = 2 + k % 2
            eta = rng.uniform(-3, 3, d)
            gaussian = self.decoder == "gaussian"
            point: Point = {
                self.dim: np.asarray(d), self.index: np.asarray(int(rng.integers(1, d + 1))),
                self.data: rng.uniform(-2, 2, d) if gaussian else rng.integers(0, 2, d).astype(float),
                self.output: rng.uniform(-2, 2, d) if gaussian else 1 / (1 + np.exp(-eta)),
                self.logits: eta, self.s: np.asarray(rng.uniform(0.3, 2.5)),
                self.m: np.asarray(rng.uniform(-2, 2)), self.t: np.asarray(rng.uniform(0.3, 2.5)),
            }
            points.append(point)
        return points

    def checker(self) -> MvChecker:
        return MvChecker(self.sample(), "D = 2 and 3, random data and decoder outputs")


def decoder_setting(notation: Notation, decoder: str = "gaussian") -> DecoderSetting:
    """The decoder ``decoder`` (one of :data:`DECODERS`) in the notation's names."""
    if decoder not in DECODERS:
        raise ValueError(f"unknown decoder {decoder!r}")
    roles = ("x", "y", "eta", "s", "D", "i", "z", "m", "t", "q", "p")
    names = [notation.name(role) for role in roles]
    for role, name in zip(roles, names, strict=True):
        if names.count(name) > 1:
            other = next(r for r, n in zip(roles, names, strict=True) if n == name and r != role)
            raise UsageError(f"notation: {name!r} names both {role!r} and {other!r} of the decoder's setting; choose "
                             "another name")
    return DecoderSetting(notation, decoder)


__all__ = ["DECODERS", "DecoderSetting", "decoder_setting"]
