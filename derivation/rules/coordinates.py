"""Rules for a Gaussian with diagonal covariance: its density factorises over the coordinates, the log of a
product is a sum over the coordinates, a term that depends on one coordinate only is an expectation under that
coordinate's density, and each such term is the univariate result (the univariate derivation, as a lemma).

Every rule works on the symbolic-d form (SymPy ``Sum``/``Product``); a concrete dimension is the
symbolic derivation written out (``nodes.families.Instantiation``).
"""

from __future__ import annotations

from sympy import Eq, Expr, Function, Indexed, IndexedBase, Product, Sum, Symbol, log

from ..core.engine import Derivation, Rewrite, Rule, derive_chain
from ..core.forms import add, frac, mul
from ..core.placeholders import placeholders
from ..nodes.families import coordinate_product, coordinate_sum
from ..nodes.scalar import KL, Density, Expectation, is_vector_density
from ..nodes.vector import Vec
from ..settings.multivariate import marginal
from ..settings.univariate import Setting
from .base import factors, rewrite_nodes, rewrite_or_refuse
from .gaussian import replace_by_lemmas

_a, _b = IndexedBase("a", positive=True), IndexedBase("b", positive=True)
_p, _r = placeholders("a b", positive=True)


def _diagonal(density: Expr) -> bool:
    """A named Gaussian over a coordinate vector (its covariance is diagonal by construction of the setting)."""
    return is_vector_density(density) and isinstance(density.variable, Vec) and bool(density.name)


def _marginal(density: Density, index: Expr):
    return marginal(density, index)


def _generic(setting) -> tuple[Symbol, Expr]:
    return setting.index, setting.dim


# -- factorise, products and logs ----------------------------------------------------------------------


def _factorise(expr: Expr, setting) -> Rewrite:
    """``q(x) -> Product_j q_j(x_j)`` inside expectations, for each Gaussian with diagonal covariance."""
    j = setting.index
    replaced: list[Density] = []

    def product(density: Expr) -> Expr | None:
        if _diagonal(density):
            replaced.append(density)
            return coordinate_product(_marginal(density, j), j, density.dim)
        return None

    def match(e: Expr) -> Expr | None:
        if isinstance(e, Expectation) and is_vector_density(e.density):
            inner = rewrite_nodes(e.expr, product)
            return None if inner is e.expr else Expectation(inner, e.density)
        return None

    out = rewrite_or_refuse(expr, match, "density over a coordinate vector inside an expectation")
    identities = []
    for density in dict.fromkeys(replaced):
        m = _marginal(density, j)
        identities.append(Eq(density, coordinate_product(m, j, density.dim), evaluate=False))
        identities.append(Eq(Symbol(m.name), Density("", m.variable, m.law), evaluate=False))
    return Rewrite(out, tuple(identities))


def _product_of_ratios(expr: Expr, setting) -> Rewrite:
    """``Product_j a_j / Product_j b_j -> Product_j (a_j / b_j)``."""

    def match(e: Expr) -> Expr | None:
        if not e.is_Mul or getattr(e, "is_Matrix", False):
            return None
        parts = factors(e)
        if len(parts) == 2 and isinstance(parts[0], Product) and parts[1].is_Pow and parts[1].args[1] == -1:
            top, bottom = parts[0], parts[1].args[0]
            if isinstance(bottom, Product) and bottom.limits == top.limits:
                return Product(frac(top.function, bottom.function), *top.limits)
        return None

    out = rewrite_or_refuse(expr, match, "ratio of two products over the same index")
    j, d = _generic(setting)
    identity = Eq(frac(coordinate_product(_a[j], j, d), coordinate_product(_b[j], j, d)),
                  coordinate_product(frac(_a[j], _b[j]), j, d), evaluate=False)
    return Rewrite(out, (identity,))


def _constant_part(product: Expr) -> tuple[list[Expr], list[Expr]]:
    parts = factors(product)
    return [f for f in parts if not f.free_symbols], [f for f in parts if f.free_symbols]


def _log_of_product(expr: Expr, setting) -> Rewrite:
    """``log(Product_j a_j) -> Sum_j log(a_j)``, and ``log(c v) -> log(c) + log(v)`` for a numeric constant c."""
    used: set[str] = set()

    def match(e: Expr) -> Expr | None:
        if not isinstance(e, log):
            return None
        (arg,) = e.args
        if isinstance(arg, Product):
            used.add("product")
            return Sum(log(arg.function, evaluate=False), *arg.limits)
        if arg.is_Mul and not getattr(arg, "is_Matrix", False):
            constant, rest = _constant_part(arg)
            if constant and rest:
                used.add("constant")
                return add(log(mul(*constant)), log(mul(*rest)))
        return None

    out = rewrite_or_refuse(expr, match, "logarithm of a product")
    j, d = _generic(setting)
    identities = []
    if "product" in used:
        identities.append(Eq(log(coordinate_product(_a[j], j, d)), coordinate_sum(log(_a[j]), j, d), evaluate=False))
    if "constant" in used:
        identities.append(Eq(log(mul(_p, _r)), add(log(_p), log(_r)), evaluate=False))
    return Rewrite(out, tuple(identities))


# -- expectations of one coordinate ------------------------------------------------------------------------


def _coordinate_of(expr: Expr, variable: Vec) -> Expr | None:
    """The index j when ``expr`` depends on ``variable`` only through its entry ``x_j`` (one j)."""
    entries = {n for n in expr.atoms(Indexed) if n.base == variable.base}
    if len(entries) != 1 or expr.has(variable):
        return None
    (entry,) = entries
    return entry.indices[0]


def _marginalise(expr: Expr, setting) -> Rewrite:
    """``E_q[g(x_j)] -> E_{q_j}[g(x_j)]``: under a diagonal Gaussian, x_j alone has density q_j."""
    used: list[Expectation] = []

    def match(e: Expr) -> Expr | None:
        if isinstance(e, Expectation) and _diagonal(e.density):
            index = _coordinate_of(e.expr, e.density.variable)
            if index is not None:
                out = Expectation(e.expr, _marginal(e.density, index))
                used.append(out)
                return out
        return None

    out = rewrite_or_refuse(expr, match, "expectation of a function of one coordinate")
    one = used[0].density
    g = Function("g")(one.variable)
    q = next(e for e in expr.atoms(Expectation) if _diagonal(e.density)).density
    return Rewrite(out, (Eq(Expectation(g, q), Expectation(g, one), evaluate=False),))


def _kl_of_coordinates(expr: Expr, setting) -> Rewrite:
    """``E_{q_j}[log(q_j(x_j) / p_j(x_j))] -> KL(q_j || p_j)``: the definition, read backwards."""
    used: list[Eq] = []

    def match(e: Expr) -> Expr | None:
        if not (isinstance(e, Expectation) and isinstance(e.density, Density) and not e.density.law.vector
                and isinstance(e.expr, log)):
            return None
        parts = factors(e.expr.args[0])
        if len(parts) == 2 and parts[0] == e.density and parts[1].is_Pow and parts[1].args[1] == -1:
            other = parts[1].args[0]
            if isinstance(other, Density) and other.variable == e.density.variable:
                divergence = KL(e.density, other)
                used.append(Eq(e, divergence, evaluate=False))
                return divergence
        return None

    out = rewrite_or_refuse(expr, match, "expected log-ratio of two univariate densities")
    return Rewrite(out, (used[0],))


def univariate_result(standard_plan: tuple[Rule, ...], general_plan: tuple[Rule, ...]) -> Rule:
    """The rule ``KL(q_j || p_j) -> (closed form)`` for univariate coordinate densities, each derived as a lemma
    by ``general_plan`` (by ``standard_plan`` against the standard normal): the paper's argument. The case that
    uses the rule gives it the univariate plans (rules know no plans)."""

    def lemma(divergence: KL, setting) -> Derivation:
        q, p = divergence.q, divergence.p
        standard = p.mean == 0 and p.std == 1
        coordinate = Setting(q, p, setting.z, setting.notation)
        title = "The univariate result for one coordinate" if not standard else \
            "The univariate result for one coordinate against the standard normal"
        # Coordinates with numeric or equal parameters (a unit scale, a shared mean) need fewer steps.
        return derive_chain("univariate-result", title, divergence, standard_plan if standard else general_plan,
                            coordinate, skip_unfit=True)

    def apply(expr: Expr, setting) -> Rewrite:
        def lemma_for(e: Expr) -> Derivation | None:
            if isinstance(e, KL) and isinstance(e.q, Density) and isinstance(e.p, Density) and not e.q.law.vector:
                return lemma(e, setting)
            return None

        return replace_by_lemmas(expr, lemma_for, "divergence between univariate densities")

    return Rule(
        "univariate-result",
        "Univariate result",
        "Each term is the univariate result, derived for one coordinate in the lemma below.",
        apply,
    )



FACTORISE = Rule(
    "factorise",
    "Factorise",
    "With diagonal covariance the coordinates are independent: each density is the product of its coordinate "
    "densities.",
    _factorise,
)


PRODUCT_OF_RATIOS = Rule(
    "product-of-ratios",
    "Ratio of products",
    "A ratio of two products over the same coordinates is the product of the ratios.",
    _product_of_ratios,
)


LOG_OF_PRODUCT = Rule(
    "log-of-product",
    "Log of a product",
    "The logarithm of a product is the sum of the logarithms.",
    _log_of_product,
)


MARGINALISE = Rule(
    "marginal",
    "Marginals",
    "Each term depends on one coordinate only, whose distribution under q is its coordinate density.",
    _marginalise,
)


KL_OF_COORDINATES = Rule(
    "kl-of-coordinates",
    "Coordinate divergences",
    "Each term is the KL divergence between the coordinate densities, by definition.",
    _kl_of_coordinates,
)
