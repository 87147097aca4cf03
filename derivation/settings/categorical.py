"""Two categorical laws over the same K categories, each given by its probability vector (on the simplex) or by
its logits; and the checker that draws such vectors (K = 2, 3, 4 when K is a name) and evaluates the sums over the
categories with NumPy."""

from __future__ import annotations

from dataclasses import dataclass, field

import mpmath
from sympy import Basic, Contains, Eq, Expr, Indexed, IndexedBase, Integer, Interval, Mul, S, Sum, Symbol, exp, expand

from ..check.checker import Checker
from ..check.vector_checker import MvChecker
from ..core.engine import Check, Derivation, Rule, derive_chain
from ..core.forms import evaluated
from ..laws.categorical import CategoricalLaw, softmax
from ..nodes.scalar import KL, Density, Expectation
from ..nodes.vector import IndexRange
from .laws import LawPair

PROBES = 4
SEED = 2604_11744
#: The numbers of categories drawn when K is a name.
SIZES = (2, 3, 4, 3)


@dataclass(frozen=True)
class CategoricalPair(LawPair):
    """q = Categorical(theta_q) and p = Categorical(theta_p) over k = 1, ..., K; a law given by logits a has a
    fresh probability vector defined by them (``theta_{q,k} = e^{a_k} / sum_j e^{a_j}``)."""

    #: The index of a sum inside the sum over the categories (the softmax's normaliser).
    index: Symbol = field(default=Symbol("j", integer=True, positive=True), kw_only=True)

    @property
    def categories(self) -> Expr:
        """K, the number of categories."""
        return self.q.law.size

    @property
    def vectors(self) -> tuple[IndexedBase, ...]:
        """The user's vectors: probabilities, or logits where a law was given by them."""
        defined = {theta: value for theta, _, value in self.sources}
        return tuple(dict.fromkeys(defined.get(d.law.probs, d.law.probs) for d in (self.q, self.p)
                                   if not d.law.uniform))

    @property
    def parameters(self) -> tuple[Basic, ...]:
        """The arguments of exported code: the user's vectors (their last axis is K)."""
        return self.vectors

    @property
    def user_parameters(self) -> tuple[Basic, ...]:
        """What a claim's numeric check samples: the user's vectors, and K when it is a name."""
        return self.vectors + ((self.categories,) if isinstance(self.categories, Symbol) else ())

    def assumptions(self) -> tuple[Basic, ...]:
        """Each probability vector on the simplex (entries in (0, 1) adding up to one), logits real, k = 1, ..., K."""
        k = self.q.variable
        out: list[Basic] = []
        for v in self.vectors:
            if v.is_positive:
                out += [Contains(v[k], Interval.open(0, 1), evaluate=False),
                        Eq(Sum(v[k], (k, 1, self.categories)), 1, evaluate=False)]
            else:
                out.append(Contains(v[k], S.Reals, evaluate=False))
        return (*out, IndexRange(k, self.categories))

    def conditions(self) -> tuple[Basic, ...]:
        return ()

    def definition_of(self, node: Basic) -> Expr | None:
        """``theta_{q,k} -> e^{a_k} / sum_j e^{a_j}`` for a probability vector defined by logits."""
        if not (hasattr(node, "base") and node.is_Indexed):
            return None
        for theta, _, logits in self.sources:
            if node.base == theta:
                return softmax(logits, node.indices[0], self.categories, self.index)
        return None

    def definition_identities(self, expr: Basic) -> tuple[Eq, ...]:
        k = self.q.variable
        return tuple(Eq(theta[k], softmax(logits, k, self.categories, self.index), evaluate=False)
                     for theta, _, logits in self.sources if expr.has(theta))

    def statements(self) -> tuple[Basic, ...]:
        return tuple(Eq(Symbol(d.name), Density("", d.variable, d.law), evaluate=False) for d in (self.q, self.p)) \
            + self.definition_identities(self.q.law.pdf(self.q.variable) + self.p.law.pdf(self.q.variable))

    def in_user_terms(self, expr: Expr) -> Expr:
        return expr

    def code_dimensions(self) -> dict[Basic, str]:
        return {self.categories: f"{self.vectors[0].label}.shape[-1]"} if isinstance(self.categories, Symbol) else {}

    def sample(self, count: int = PROBES, seed: int = SEED) -> list[dict]:
        """Random points: K (2, 3, 4, 3 when it is a name), probabilities on the simplex (some near 0), logits
        normal; each fresh probability vector the softmax of its logits."""
        import numpy as np

        rng = np.random.default_rng(seed)
        points = []
        for i in range(count):
            size = int(self.categories) if self.categories.is_Integer else SIZES[i % len(SIZES)]
            point: dict = {} if self.categories.is_Integer else {self.categories: np.asarray(size)}
            for v in self.vectors:
                if v.is_positive:
                    raw = rng.gamma(0.7, size=size) + 1e-3
                    point[v] = raw / raw.sum()
                else:
                    point[v] = rng.normal(0.0, 1.5, size=size)
            for theta, _, logits in self.sources:
                shifted = np.exp(point[logits] - point[logits].max())
                point[theta] = shifted / shifted.sum()
            points.append(point)
        return points

    def _probabilities(self, vector: Expr, point: dict) -> list:
        """The probabilities a user's vector gives at a claim's point (mpf lists): itself, or the softmax of logits."""
        values = point[vector]
        if vector.is_positive:
            return list(values)
        top = max(values)
        weights = [mpmath.exp(v - top) for v in values]
        return [w / mpmath.fsum(weights) for w in weights]

    def admissible_points(self, points: list[dict]) -> list[dict]:
        """A claim's random points with each probability vector scaled onto the simplex (its entries add to one)."""
        out = []
        with mpmath.workdps(40):  # the last entry is 1 minus the others: they add to 1 at the checker's 30 digits
            for point in points:
                point = dict(point)
                for v in self.vectors:
                    if v.is_positive:
                        total = mpmath.fsum(point[v])
                        head = [mpmath.mpf(x) / total for x in point[v][:-1]]
                        point[v] = [*head, 1 - mpmath.fsum(head)]
                out.append(point)
        return out

    def kl_values(self, points: list[dict]) -> list:
        """KL(q || p) from the definition at a claim's points: ``sum_k q_k log(q_k / p_k)`` over the masses
        themselves (the probabilities, or the softmax of the logits), 30 digits (the claim checker's witness)."""
        out = []
        with mpmath.workdps(30):
            for point in points:
                size = len(next(iter(v for v in point.values() if isinstance(v, list))))
                masses = [[1 / mpmath.mpf(size)] * size if d.law.uniform else
                          self._probabilities(self._vector_of(d), point) for d in (self.q, self.p)]
                terms = (a * (mpmath.log(a) - mpmath.log(b)) for a, b in zip(*masses, strict=True))
                out.append(float(mpmath.fsum(terms)))
        return out

    def _vector_of(self, density: Density) -> Expr:
        defined = {theta: value for theta, _, value in self.sources}
        return defined.get(density.law.probs, density.law.probs)

    @staticmethod
    def canonical(expr: Expr) -> Expr:
        """A claim's normal form for the symbolic proof: :func:`sums_expanded`."""
        return sums_expanded(expr)

    def checker(self) -> Checker:
        return CategoricalChecker(self.sample(), "random probability vectors, K categories summed")

    def derive(self, name: str, title: str, plan: tuple[Rule, ...], description: str = "") -> Derivation:
        checker = self.checker()
        return derive_chain(name, title, self.start(), plan, self, description,
                            check=lambda i, before, step: checker.check_step(i, before, step, title), skip_unfit=True)


#: The bound index every sum over the categories gets in :func:`sums_expanded`.
_CATEGORY = Symbol("category", integer=True, positive=True)


def _normaliser(total: Basic) -> IndexedBase | None:
    """``l`` of ``sum_i e^{l_i}`` over all the categories, else None."""
    if not (isinstance(total, Sum) and len(total.limits) == 1 and total.limits[0][1] == 1):
        return None
    (index, _, _), body = total.limits[0], total.function
    if isinstance(body, exp) and isinstance(body.args[0], Indexed) and body.args[0].indices == (index,):
        return body.args[0].base
    return None


def sums_expanded(expr: Expr) -> Expr:
    """``expr`` with each sum over the categories split over its terms, the factors free of the category taken
    out, and each normaliser ``sum_i e^{l_i}`` (whatever its index) one positive symbol ``S_l``: two forms of the
    log-softmax divergence then differ by a normal form of 0 (``sum_k e^{a_k} / S_a`` is ``S_a / S_a = 1``)."""
    names: dict[Basic, Symbol] = {}

    def symbol(base: Basic) -> Symbol:
        return names.setdefault(base, Symbol(f"S_{base}", positive=True))

    def walk(e: Basic) -> Basic:
        if isinstance(e, Sum):
            base = _normaliser(e)
            if base is not None:
                return symbol(base)
            index = e.limits[0][0]
            out = S.Zero
            for term in expand(walk(e.function)).as_ordered_terms():
                inside, outside = [], []
                for f in Mul.make_args(term):
                    (inside if f.has(index) else outside).append(f)
                _, low, high = e.limits[0]
                rest = Sum(Mul(*inside).xreplace({index: _CATEGORY}), (_CATEGORY, low, high))  # one bound name
                out += Mul(*outside) * (symbol(_normaliser(rest)) if _normaliser(rest) is not None else rest)
            return out
        return e.func(*(walk(a) for a in e.args)) if e.args and not e.is_Atom else e

    return expand(walk(evaluated(expr)))


def written_as_sums(expr: Basic) -> Basic:
    """``expr`` with each KL divergence and expectation between categorical laws written as its sum over the
    categories and each categorical mass as its probability: what the NumPy evaluator computes."""
    def categorical(e: Basic) -> bool:
        return isinstance(e, Density) and isinstance(e.law, CategoricalLaw)

    def explicit(e: Basic) -> Basic:
        if isinstance(e, KL) and categorical(e.q):
            return explicit(e.as_integral())
        if isinstance(e, Expectation) and categorical(e.density):
            d = e.density
            return Sum(explicit(d.law.pdf(d.variable) * e.expr), d.law.limits(d.variable))
        if categorical(e):
            return e.law.pdf(e.variable)
        return e.func(*(explicit(a) for a in e.args)) if e.args and not e.is_Atom else e

    return explicit(evaluated(expr))


class CategoricalChecker(MvChecker):
    """The vector checker over categorical laws: the sums over the categories written out before evaluation."""

    def check(self, index: int, before: Expr, after: Expr) -> Check:
        return super().check(index, written_as_sums(before), written_as_sums(after))


def categorical_pair(q_probs: Expr, p_probs: Expr, size: Expr | int, sources: tuple = (),
                     variable: str = "k", index: str = "j") -> CategoricalPair:
    """The pair over categories ``k = 1, ..., size`` (``sources``: fresh vectors defined by logits)."""
    k = Symbol(variable, integer=True, positive=True)
    size = Integer(size) if isinstance(size, int) else size
    return CategoricalPair(q=Density("q", k, CategoricalLaw(q_probs, size)),
                           p=Density("p", k, CategoricalLaw(p_probs, size)), sources=tuple(sources),
                           definitions=tuple((theta, logits) for theta, _, logits in sources),
                           index=Symbol(index, integer=True, positive=True))
