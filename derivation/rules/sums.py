"""Rules for a Gaussian with diagonal covariance: its density factorises over the coordinates, logs of
products become sums over the coordinates, a term that depends on one coordinate only is an
expectation under that coordinate's density, and each such term is the univariate result (the
univariate derivation, reused as a lemma). The rest tidies sums ``Sum_{j=1}^{d}``.

Every rule works on the symbolic-d form (SymPy ``Sum``/``Product``); a concrete dimension is the
symbolic derivation written out (``families.Instantiation``).
"""

from __future__ import annotations

from sympy import Eq, Expr, Function, Indexed, IndexedBase, Integral, Product, S, Sum, Symbol, log

from ..core import Derivation, Rewrite, Rule, derive_chain
from ..errors import RuleNotApplicable
from ..families import coordinate_product, coordinate_sum
from ..forms import add, evaluated, frac, mul, neg
from ..mvnodes import MvDensity, SpaceIntegral, Vec
from ..nodes import KL, Density, Expectation
from ..setting import Setting
from .algebra import _numeric_coefficient, vae_rank
from .base import factors, rewrite_nodes, rewrite_or_refuse, terms
from .gaussian import replace_by_lemmas

_a, _b = IndexedBase("a", positive=True), IndexedBase("b", positive=True)
_p, _r = Symbol("a", positive=True), Symbol("b", positive=True)


def _diagonal(density: Expr) -> bool:
    """A named Gaussian over a coordinate vector (its covariance is diagonal by construction of the setting)."""
    return isinstance(density, MvDensity) and isinstance(density.variable, Vec) and bool(density.name)


def _marginal(density: MvDensity, index: Expr):
    from ..mvsetting import marginal

    return marginal(density, index)


def _generic(setting) -> tuple[Symbol, Expr]:
    return setting.index, setting.dim


# -- factorise, products and logs ----------------------------------------------------------------------


def _factorise(expr: Expr, setting) -> Rewrite:
    """``q(x) -> Product_j q_j(x_j)`` inside expectations, for each Gaussian with diagonal covariance."""
    j = setting.index
    replaced: list[MvDensity] = []

    def product(density: Expr) -> Expr | None:
        if _diagonal(density):
            replaced.append(density)
            return coordinate_product(_marginal(density, j), j, density.dim)
        return None

    def match(e: Expr) -> Expr | None:
        if isinstance(e, Expectation) and isinstance(e.density, MvDensity):
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
        if not (isinstance(e, Expectation) and isinstance(e.density, Density) and isinstance(e.expr, log)):
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


def univariate_lemma(divergence: KL, setting) -> Derivation:
    """The univariate derivation of ``KL(q_j || p_j)``, reused for one coordinate (the paper's argument)."""
    from ..cases import STANDARD_PLAN, UNIVARIATE_PLAN

    q, p = divergence.q, divergence.p
    standard = p.mean == 0 and p.std == 1
    coordinate = Setting(q, p, setting.z, setting.notation)
    title = "The univariate result for one coordinate" if not standard else \
        "The univariate result for one coordinate (a Gaussian against the standard normal)"
    # Coordinates with numeric or equal parameters (a unit scale, a shared mean) need fewer steps.
    return derive_chain("univariate-result", title, divergence, STANDARD_PLAN if standard else UNIVARIATE_PLAN,
                        coordinate, skip_unfit=True)


def _univariate_result(expr: Expr, setting) -> Rewrite:
    """``KL(q_j || p_j) -> (closed form)`` for univariate coordinate densities, by the univariate lemma."""

    def lemma_for(e: Expr) -> Derivation | None:
        if isinstance(e, KL) and isinstance(e.q, Density) and isinstance(e.p, Density):
            return univariate_lemma(e, setting)
        return None

    return replace_by_lemmas(expr, lemma_for, "divergence between univariate densities")


# -- sums ----------------------------------------------------------------------------------------------------


def _constant_out_of_sum(expr: Expr, setting) -> Rewrite:
    """``Sum_j c a_j -> c Sum_j a_j`` for a numeric factor c of the summand."""

    def match(e: Expr) -> Expr | None:
        if isinstance(e, Sum):
            c, rest = _numeric_coefficient(e.function)
            if c != 1 and rest:
                return mul(c, Sum(mul(*rest), *e.limits))
        return None

    out = rewrite_or_refuse(expr, match, "sum with a constant factor in every term")
    j, d = _generic(setting)
    c = Symbol("c", real=True)
    return Rewrite(out, (Eq(coordinate_sum(mul(c, _a[j]), j, d), mul(c, coordinate_sum(_a[j], j, d)),
                            evaluate=False),))


def _sum_of_constant(expr: Expr, setting) -> Rewrite:
    """``Sum_{j=1}^{d} c -> d c`` for a summand c free of the index (``0`` when c is 0)."""

    def match(e: Expr) -> Expr | None:
        if isinstance(e, Sum) and len(e.limits) == 1:
            index, low, high = e.limits[0]
            if low == 1 and index not in e.function.free_symbols:
                return S.Zero if e.function == 0 else mul(high, e.function)
        return None

    out = rewrite_or_refuse(expr, match, "sum whose terms are all the same")
    j, d = _generic(setting)
    c = Symbol("c", real=True)
    return Rewrite(out, (Eq(coordinate_sum(c, j, d), mul(d, c), evaluate=False),))


def _split_off_constants(expr: Expr, setting) -> Rewrite:
    """``Sum_j (c + r_j) -> d c + Sum_j r_j``: terms the same for every coordinate (other than plain numbers)
    sum to d times themselves; the common numeric factor of the rest comes out of the sum."""

    def match(e: Expr) -> Expr | None:
        if not isinstance(e, Sum):
            return None
        index, _, dim = e.limits[0]
        parts = terms(e.function)
        constant = [t for t in parts if index not in t.free_symbols and not t.is_Number]
        rest = [t for t in parts if t not in constant]
        if not constant or not rest:
            return None
        outside = []
        for t in constant:
            c, others = _numeric_coefficient(t)
            outside.append(mul(c, dim, *others))
        lead, _ = _numeric_coefficient(rest[0])
        inner: list[Expr] = []
        for t in rest:
            c, others = _numeric_coefficient(t)
            scale = c / lead
            if scale == 1 and len(others) == 1 and others[0].is_Add:
                inner.extend(terms(others[0]))
            elif not others:
                inner.append(scale)
            else:
                inner.append(mul(scale, *others))
        inner.sort(key=lambda t: not t.is_Number)
        return add(*outside, mul(lead, Sum(add(*inner), *e.limits)))

    out = rewrite_or_refuse(expr, match, "sum with a term that is the same for every coordinate")
    j, d = _generic(setting)
    c = Symbol("c", real=True)
    return Rewrite(out, (Eq(coordinate_sum(add(c, _a[j]), j, d), add(mul(d, c), coordinate_sum(_a[j], j, d)),
                            evaluate=False),))


def _signed_terms(expr: Expr) -> list[Expr]:
    """The terms of a sum with brackets opened: ``(a + b) - (c + d) -> a, b, -c, -d``."""
    out: list[Expr] = []
    for t in terms(expr):
        c, rest = _numeric_coefficient(t)
        if c == -1 and len(rest) == 1 and rest[0].is_Add:
            out.extend(neg(u) for u in terms(rest[0]))
        else:
            out.append(t)
    return out


def _cancel_opposites(expr: Expr, setting) -> Rewrite:
    """``(a + b) - (a + c) -> b - c``: open the brackets; a term and its opposite cancel."""
    parts = _signed_terms(expr)
    values = [evaluated(t) for t in parts]
    gone: set[int] = set()
    identities = []
    for i, vi in enumerate(values):
        for k in range(i + 1, len(values)):
            if i not in gone and k not in gone and vi == -values[k]:
                gone |= {i, k}
                identities.append(Eq(add(parts[i], parts[k]), 0, evaluate=False))
    if not gone:
        raise RuleNotApplicable("no term cancels")
    return Rewrite(add(*[t for i, t in enumerate(parts) if i not in gone]), tuple(identities))


def _merge_sums(expr: Expr, setting) -> Rewrite:
    """``c (a Sum_j u_j + b Sum_j v_j - d) -> c a Sum_j (u_j + (b / a) v_j - 1 / a)``: one sum over the
    coordinates, the dimension written as ``Sum_j 1``."""
    outer, rest = _numeric_coefficient(expr)
    body = rest[0] if len(rest) == 1 and rest[0].is_Add else expr
    if body is expr:
        outer = S.One
    limits, pieces, used_dim = None, [], False
    for t in terms(body):
        c, others = _numeric_coefficient(t)
        if len(others) == 1 and isinstance(others[0], Sum):
            total = others[0]
            if limits is not None and total.limits != limits:
                raise RuleNotApplicable("the sums run over different ranges")
            limits = total.limits
            pieces.append((c, terms(total.function)))
        elif len(others) == 1 and others[0].is_Symbol and others[0] == setting.dim:
            pieces.append((c, [S.One]))
            used_dim = True
        else:
            raise RuleNotApplicable("a term is neither a sum over the coordinates nor the dimension")
    if limits is None or len(pieces) < 2:
        raise RuleNotApplicable("fewer than two sums to merge")
    lead = pieces[0][0]
    inner: list[Expr] = []
    for c, summands in pieces:
        scale = c / lead
        for s in summands:
            inner.append(s if scale == 1 else neg(s) if scale == -1 else mul(scale, s))
    out = mul(outer * lead, Sum(add(*inner), *limits))
    j, d = _generic(setting)
    identities = [Eq(add(coordinate_sum(_a[j], j, d), coordinate_sum(_b[j], j, d)),
                     coordinate_sum(add(_a[j], _b[j]), j, d), evaluate=False)]
    if used_dim:
        identities.append(Eq(d, coordinate_sum(S.One, j, d), evaluate=False))
    return Rewrite(out, tuple(identities))


def _vae_order_in_sum(expr: Expr, setting) -> Expr:
    """``c Sum_j (...)`` with ``c = -1/2`` in front and the summand ordered as VAE code writes it
    (constant, log-variance, squared mean, variance); a positive c is made negative by flipping every term."""
    c, rest = _numeric_coefficient(expr)
    if len(rest) != 1 or not isinstance(rest[0], Sum) or not rest[0].function.is_Add:
        raise RuleNotApplicable("not a multiple of a sum over the coordinates")
    total = rest[0]
    parts = [evaluated(t) for t in terms(total.function)]
    if c > 0:
        c, parts = -c, [-t for t in parts]
    means = {s for s in setting.mean[setting.index].free_symbols if not s.is_integer}
    ordered = sorted(parts, key=lambda t: vae_rank(t, means))
    out = mul(c, Sum(add(*ordered), *total.limits))
    if out == expr:
        raise RuleNotApplicable("already in the VAE form")
    return out


def _split_integral(expr: Expr, setting) -> Rewrite:
    """``Integral(q (f - g)) -> Integral(q f) - Integral(q g)``: the integral of a sum is the sum of integrals."""

    used: list[Expr] = []

    def match(e: Expr) -> Expr | None:
        if not isinstance(e, SpaceIntegral | Integral):
            return None
        parts = factors(e.function)
        if len(parts) != 2 or not isinstance(parts[0], Density | MvDensity) or not parts[1].is_Add:
            return None
        density, total = parts
        used.append(density)
        out = []
        for t in terms(total):
            c, others = _numeric_coefficient(t)
            out.append(mul(c, density.integral(mul(density, *others))))
        return add(*out)

    out = rewrite_or_refuse(expr, match, "integral of a density times a sum")
    q = used[0]
    f, g = Function("f")(q.variable), Function("g")(q.variable)
    identity = Eq(q.integral(mul(q, add(f, neg(g)))), add(q.integral(mul(q, f)), neg(q.integral(mul(q, g)))),
                  evaluate=False)
    return Rewrite(out, (identity,))


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
    "Definition",
    "Each term is the KL divergence between the coordinate densities, by definition.",
    _kl_of_coordinates,
)

UNIVARIATE_RESULT = Rule(
    "univariate-result",
    "Univariate result",
    "Each term is the univariate result, derived for one coordinate in the lemma below.",
    _univariate_result,
)

CONSTANT_OUT_OF_SUM = Rule(
    "constant-out-of-sum",
    "Constant factor",
    "A factor common to every term comes out of the sum.",
    _constant_out_of_sum,
)

SUM_OF_CONSTANT = Rule(
    "sum-of-constant",
    "Constant sum",
    "Every term of the sum is the same, so the sum is d times that term.",
    _sum_of_constant,
)

SPLIT_OFF_CONSTANTS = Rule(
    "split-off-constants",
    "Split the sum",
    "The normalising constant is the same for every coordinate, so it sums to d times itself; the common "
    "factor of the rest comes out.",
    _split_off_constants,
)

CANCEL_OPPOSITES = Rule(
    "cancel-opposites",
    "Cancel",
    "Open the brackets: the normalising constants cancel.",
    _cancel_opposites,
)

MERGE_SUMS = Rule(
    "merge-sums",
    "One sum",
    "The sums run over the same coordinates, so they merge into one.",
    _merge_sums,
)

VAE_ORDER_IN_SUM = Rule(
    "vae-order",
    "VAE form",
    "Write the sum as VAE code does: a negative coefficient in front (a positive one changes sign with every "
    "term inside) and the terms in the order constant, log-variance, squared mean, variance.",
    _vae_order_in_sum,
)

SPLIT_INTEGRAL = Rule(
    "split-integral",
    "Split",
    "The integral of a sum is the sum of the integrals.",
    _split_integral,
)


def in_summands(rule: Rule) -> Rule:
    """``rule`` applied inside every sum over the coordinates, to the summand (same key and prose)."""

    def apply(expr: Expr, setting) -> Rewrite:
        identities: list = []

        def match(e: Expr) -> Expr | None:
            if isinstance(e, Sum):
                try:
                    rewrite = rule(e.function, setting)
                except RuleNotApplicable:
                    return None
                identities.extend(rewrite.identities)
                return Sum(rewrite.expr, *e.limits)
            return None

        out = rewrite_or_refuse(expr, match, f"sum whose terms the rule {rule.key!r} applies to")
        return Rewrite(out, tuple(dict.fromkeys(identities)))

    apply.__doc__ = f"The rule {rule.key!r}, inside each sum."
    return Rule(rule.key, rule.title, rule.justification, apply)


# -- the two integrals of Kingma and Welling (appendix B), each derived as a lemma --------------------------


def _entropy_plans():
    from .algebra import CANCEL_AND_COLLECT, DISTRIBUTE
    from .definition import INTEGRAL_AS_EXPECTATION
    from .expectation import LINEARITY
    from .gaussian import GAUSSIAN_LOG_DENSITY, SECOND_MOMENT, SHIFTED_SECOND_MOMENT

    head = (INTEGRAL_AS_EXPECTATION, FACTORISE, LOG_OF_PRODUCT, GAUSSIAN_LOG_DENSITY, LINEARITY, MARGINALISE)
    negative_entropy = (*head, SECOND_MOMENT, in_summands(CANCEL_AND_COLLECT), LOG_OF_PRODUCT,
                        in_summands(DISTRIBUTE), SPLIT_OFF_CONSTANTS)
    cross = (*head, SHIFTED_SECOND_MOMENT, SPLIT_OFF_CONSTANTS)
    return negative_entropy, cross


def _integral_of_log(which: str):
    """A rule body replacing ``Integral(q log q)`` (``which = "q"``) or ``Integral(q log p)`` by its lemma."""

    def apply(expr: Expr, setting) -> Rewrite:
        negative_entropy, cross = _entropy_plans()

        def lemma_for(e: Expr) -> Derivation | None:
            if not isinstance(e, SpaceIntegral):
                return None
            parts = factors(e.function)
            if len(parts) != 2 or not _diagonal(parts[0]) or not isinstance(parts[1], log):
                return None
            q, inside = parts[0], parts[1].args[0]
            own = inside == q
            if (which == "q") != own or not _diagonal(inside):
                return None
            title = "The negative entropy of q" if own else "The cross-entropy term"
            return derive_chain("negative-entropy" if own else "cross-entropy", title, e,
                                negative_entropy if own else cross, setting)

        return replace_by_lemmas(expr, lemma_for, "integral of q times a log-density")

    return apply


NEGATIVE_ENTROPY = Rule(
    "negative-entropy",
    "Entropy term",
    "The integral of q times its own log-density, computed in the lemma below.",
    _integral_of_log("q"),
)

CROSS_TERM = Rule(
    "cross-term",
    "Cross-entropy term",
    "The integral of q times the log-density of p, computed in the lemma below.",
    _integral_of_log("p"),
)

__all__ = [
    "CANCEL_OPPOSITES", "CONSTANT_OUT_OF_SUM", "CROSS_TERM", "FACTORISE", "KL_OF_COORDINATES", "LOG_OF_PRODUCT",
    "MARGINALISE", "MERGE_SUMS", "NEGATIVE_ENTROPY", "PRODUCT_OF_RATIOS", "SPLIT_INTEGRAL", "SPLIT_OFF_CONSTANTS",
    "SUM_OF_CONSTANT", "UNIVARIATE_RESULT", "VAE_ORDER_IN_SUM", "in_summands",
]


