"""Specialising results: the full-covariance result to a diagonal Gaussian against the standard normal,
and the diagonal result to the log-variance parameterisation VAE encoders output.

Each general result is cited as a lemma (its whole derivation, checked in its own setting) and
instantiated; then every simplification the special case allows is a step of its own.
"""

from __future__ import annotations

from sympy import Basic, Eq, Expr, Indexed, IndexedBase, Integer, Product, S, Sum, Symbol, exp, log
from sympy.matrices.expressions import Determinant, Identity, Inverse, MatAdd, MatMul, MatrixSymbol, Trace, ZeroMatrix

from ..core.engine import Derivation, Rewrite, Rule
from ..core.errors import RuleNotApplicable
from ..core.forms import add, evaluated, square
from ..nodes.families import coordinate_sum
from ..nodes.scalar import KL
from ..nodes.vector import CodeLine, Diag, QuadForm, Vec, madd, mmul
from ..printing.torch_line import loss_code, torch_code
from ..settings.multivariate import preset_full
from .base import rebuild, rewrite_nodes, rewrite_or_refuse, terms
from .gaussian import replace_by_lemmas
from .logs import without_reciprocal_logs

_n = Symbol("n", integer=True, positive=True)
_A = MatrixSymbol("A", _n, _n)


def _diagonal_pair(e: Basic, setting) -> bool:
    return isinstance(e, KL) and e == setting.start()


def _full_result(full_plan: tuple[Rule, ...]):
    """``KL(q || p) -> 1/2 (tr(S_p^-1 S_q) + (m_p - m_q)^T S_p^-1 (m_p - m_q) - d + log(|S_p| / |S_q|))`` with
    ``m_q = mu, S_q = diag(sigma**2), m_p = 0, S_p = I``: the full-covariance result (a lemma derived by
    ``full_plan`` in its own setting, same notation), specialised."""

    def apply(expr: Expr, setting) -> Rewrite:
        general = preset_full(setting.notation)
        return _specialised(expr, setting, general.checker().derive(
            "full", "KL divergence between two Gaussians with full covariance", general.start(), full_plan, general))

    return apply


def _specialised(expr: Expr, setting, lemma: Derivation) -> Rewrite:
    lemmas: list[Derivation] = []
    used: list[Eq] = []

    def match(e: Expr) -> Expr | None:
        if not _diagonal_pair(e, setting):
            return None
        general_q, general_p = lemma.start.q, lemma.start.p
        mapping = {general_q.mean: e.q.mean, general_q.cov: e.q.cov, general_p.mean: e.p.mean,
                   general_p.cov: e.p.cov, general_q.dim: e.q.dim}
        used.extend(Eq(a, b, evaluate=False) for a, b in mapping.items() if a != b)
        lemmas.append(lemma)
        return rewrite_nodes(lemma.result, mapping.get)

    out = rewrite_or_refuse(expr, match, "divergence of this setting's densities")
    return Rewrite(out, tuple(used), tuple(lemmas))


def _simplify_identities(expr: Expr, setting) -> Rewrite:
    """``I^-1 -> I``, ``I A -> A``, ``|I| -> 1``, ``0 - m -> -m``: the identity and the zero vector drop out."""
    used: dict[str, Eq] = {}

    def walk(e: Basic) -> Basic:
        if not e.args or isinstance(e, MatrixSymbol | Identity | ZeroMatrix | Vec | Diag):
            return e
        args = [walk(a) for a in e.args]
        e = e if all(a is b for a, b in zip(args, e.args, strict=True)) else rebuild(e, args)
        if isinstance(e, Inverse) and isinstance(e.arg, Identity):
            used.setdefault("inverse", Eq(Inverse(Identity(_n)), Identity(_n), evaluate=False))
            return e.arg
        if isinstance(e, Determinant) and isinstance(e.arg, Identity):
            used.setdefault("determinant", Eq(Determinant(Identity(_n)), 1, evaluate=False))
            return Integer(1)
        if isinstance(e, MatMul) and any(isinstance(f, Identity) for f in e.args):
            used.setdefault("product", Eq(MatMul(Identity(_n), _A), _A, evaluate=False))
            return mmul(*e.args)
        if e.is_Pow and e.args[0] == 1:  # 1 / |I| once |I| = 1: nothing left to divide by
            return Integer(1)
        if isinstance(e, MatAdd) and any(_is_zero_vector(t) for t in e.args):
            kept = [t for t in e.args if not _is_zero_vector(t)]
            return madd(*kept) if kept else e
        if isinstance(e, QuadForm) and isinstance(e.matrix, Identity):
            return e
        return e

    out, reciprocals = without_reciprocal_logs(walk(expr))  # log(|I| / |A|) = log(1 / |A|) = -log |A|
    if out == expr:
        raise RuleNotApplicable("no identity matrix or zero vector to drop")
    return Rewrite(out, tuple(used.values()) + reciprocals)


def _of_diagonal(operation: type[Trace] | type[Determinant], big: type[Sum] | type[Product]):
    """A rule body: ``tr(diag(a_1, ..., a_d)) -> Sum_j a_j`` (``Trace``, ``Sum``), or
    ``|diag(a_1, ..., a_d)| -> Product_j a_j`` (``Determinant``, ``Product``)."""
    what = "trace" if operation is Trace else "determinant"

    def apply(expr: Expr, setting) -> Rewrite:
        out = rewrite_or_refuse(
            expr, lambda e: big(e.arg.entry, (e.arg.index, 1, e.arg.dim))
            if isinstance(e, operation) and isinstance(e.arg, Diag) else None, f"{what} of a diagonal matrix")
        j, d = setting.index, setting.dim
        entry = IndexedBase("a", positive=True)[j]
        return Rewrite(out, (Eq(operation(Diag(entry, j, d)), big(entry, (j, 1, d)), evaluate=False),))

    apply.__doc__ = _of_diagonal.__doc__
    return apply


def _squared_norm(expr: Expr, setting) -> Rewrite:
    """``m^T m -> Sum_j m_j**2`` for a coordinate vector m."""

    def match(e: Expr) -> Expr | None:
        if isinstance(e, QuadForm) and isinstance(e.matrix, Identity) and e.left == e.right and \
                isinstance(e.left, Vec):
            j = setting.index
            return coordinate_sum(square(e.left.base[j]), j, e.left.dim)
        return None

    out = rewrite_or_refuse(expr, match, "squared norm of a coordinate vector")
    a, j, d = IndexedBase("a", real=True), setting.index, setting.dim
    return Rewrite(out, (Eq(QuadForm(Vec(a, d), Identity(d), Vec(a, d)), coordinate_sum(square(a[j]), j, d),
                            evaluate=False),))


def _is_zero_vector(v: Basic) -> bool:
    """The zero vector, possibly negated or summed with zeros (``-0``, ``0 - 0``)."""
    if isinstance(v, ZeroMatrix):
        return True
    if isinstance(v, MatMul | MatAdd):
        matrices = [a for a in v.args if getattr(a, "is_Matrix", False)]
        return bool(matrices) and all(_is_zero_vector(a) for a in matrices) if isinstance(v, MatAdd) else \
            any(_is_zero_vector(a) for a in matrices)
    return False


def _trivial_terms(expr: Expr, setting) -> Rewrite:
    """``tr(I) -> k``, ``0^T A 0 -> 0``, ``log(1/1) -> 0``; then zero terms are dropped and opposite terms
    (``-k + k``) cancel in each sum."""
    used: dict[str, Eq] = {}

    def match(e: Expr) -> Expr | None:
        if isinstance(e, Trace) and isinstance(e.arg, Identity):
            used.setdefault("trace", Eq(Trace(Identity(_n)), _n, evaluate=False))
            return e.arg.shape[0]
        if isinstance(e, QuadForm) and _is_zero_vector(e.left) and _is_zero_vector(e.right):
            return S.Zero
        if isinstance(e, log) and e.args[0].is_number and evaluated(e.args[0]) == 1:
            used.setdefault("log", Eq(log(Integer(1)), 0, evaluate=False))
            return S.Zero
        return None

    def tidy(e: Basic) -> Basic:
        if not e.args or getattr(e, "is_Matrix", False):
            return e
        e = rebuild(e, [tidy(a) for a in e.args])
        if e.is_Mul and all(f.is_Number for f in e.args):  # -1 * 3, from the dimension put in
            return evaluated(e)
        if not e.is_Add:
            return e
        kept = [t for t in terms(e) if t != 0]
        values = [evaluated(t) for t in kept]
        gone: set[int] = set()
        for i, v in enumerate(values):
            for k in range(i + 1, len(values)):
                if i not in gone and k not in gone and v == -values[k]:
                    gone |= {i, k}
        kept = [t for i, t in enumerate(kept) if i not in gone]
        return add(*kept) if kept else S.Zero

    out = tidy(rewrite_or_refuse(expr, match, "trace of the identity, zero quadratic form or log of one"))
    return Rewrite(out, tuple(used.values()))


def full_result(full_plan: tuple[Rule, ...]) -> Rule:
    """The rule specialising the full-covariance result, derived by ``full_plan`` (given by the case)."""
    return Rule(
        "full-covariance-result",
        "General result",
        "Specialise the result for two Gaussians with full covariance (lemma below) to this pair.",
        _full_result(full_plan),
    )

TRIVIAL_TERMS = Rule(
    "trivial-terms",
    "Simplify",
    "The trace of the identity is the dimension, a quadratic form of the zero vector and the logarithm of one "
    "vanish, and opposite terms cancel.",
    _trivial_terms,
)

SIMPLIFY_IDENTITIES = Rule(
    "identity-matrix",
    "Identity",
    "The identity matrix is its own inverse, leaves products unchanged and has determinant one; the zero "
    "mean drops out.",
    _simplify_identities,
)

DIAGONAL_TRACE = Rule(
    "trace-of-diagonal",
    "Trace",
    "The trace of a diagonal matrix is the sum of its diagonal entries.",
    _of_diagonal(Trace, Sum),
)

SQUARED_NORM = Rule(
    "squared-norm",
    "Squared norm",
    "The quadratic form of a vector with the identity is the sum of its squared entries.",
    _squared_norm,
)

DIAGONAL_DETERMINANT = Rule(
    "determinant-of-diagonal",
    "Determinant",
    "The determinant of a diagonal matrix is the product of its diagonal entries.",
    _of_diagonal(Determinant, Product),
)


# -- the VAE parameterisation ------------------------------------------------------------------------------


def _diagonal_result(diagonal_plan: tuple[Rule, ...]):
    """``KL(q || p) -> -1/2 Sum_j (1 + log sigma_j**2 - mu_j**2 - sigma_j**2)``: the diagonal result, a lemma
    derived by ``diagonal_plan`` (the paper's route) in this setting."""

    def lemma(setting) -> Derivation:
        return setting.checker().derive("diagonal", "KL divergence of a diagonal Gaussian from the standard normal",
                                        setting.start(), diagonal_plan, setting)

    def apply(expr: Expr, setting) -> Rewrite:
        return replace_by_lemmas(expr, lambda e: lemma(setting) if _diagonal_pair(e, setting) else None,
                                 "divergence of this setting's densities")

    return apply


def _is_variance(e: Basic, setting) -> bool:
    return e.is_Pow and e.args[1] == 2 and isinstance(e.args[0], Indexed) and e.args[0].base == setting.scale


def _log_variance(expr: Expr, setting) -> Rewrite:
    """``log(sigma_j**2) -> logvar_j``: the log-variance is what the encoder outputs."""

    def match(e: Expr) -> Expr | None:
        if isinstance(e, log) and _is_variance(e.args[0], setting):
            return setting.logvar[e.args[0].args[0].indices[0]]
        return None

    out = rewrite_or_refuse(expr, match, "log-variance")
    j = setting.index
    return Rewrite(out, (Eq(setting.logvar[j], log(square(setting.scale[j])), evaluate=False),))


def _variance_from_log_variance(expr: Expr, setting) -> Rewrite:
    """``sigma_j**2 -> exp(logvar_j)``."""

    def match(e: Expr) -> Expr | None:
        if _is_variance(e, setting):
            return exp(setting.logvar[e.args[0].indices[0]])
        return None

    out = rewrite_or_refuse(expr, match, "variance")
    j = setting.index
    return Rewrite(out, (Eq(square(setting.scale[j]), exp(setting.logvar[j]), evaluate=False),))


def in_code(expr: Expr, setting) -> Expr:
    """The line as code: the same expression, shown as the PyTorch line that computes it (a sum over the coordinates
    by ``torch_code``, or else sums that losses of ``torch.nn.functional`` compute by ``loss_code``)."""
    if isinstance(expr, CodeLine):
        raise RuleNotApplicable("already code")
    names = getattr(setting, "code_names", None) or {}
    try:
        return CodeLine(expr, torch_code(expr, names), names)
    except ValueError:
        pass
    try:
        return CodeLine(expr, loss_code(expr, names, names.get("x", "x")), names)
    except ValueError as error:
        raise RuleNotApplicable(str(error)) from None


def diagonal_result(diagonal_plan: tuple[Rule, ...]) -> Rule:
    """The rule citing the diagonal result, derived by ``diagonal_plan`` (given by the case)."""
    return Rule(
        "diagonal-result",
        "Diagonal",
        "The divergence of a diagonal Gaussian from the standard normal, derived in the lemma below.",
        _diagonal_result(diagonal_plan),
    )

LOG_VARIANCE_OUTPUT = Rule(
    "log-variance-output",
    "Log-variance",
    "An encoder outputs the log-variance of each coordinate rather than its standard deviation.",
    _log_variance,
)

VARIANCE_FROM_LOG_VARIANCE = Rule(
    "variance-from-log-variance",
    "Variance",
    "The variance is the exponential of the log-variance.",
    _variance_from_log_variance,
)

IN_CODE = Rule(
    "in-code",
    "In code",
    "The same sum as one line of PyTorch, over the vectors mu and logvar the encoder outputs.",
    in_code,
)

__all__ = [
    "DIAGONAL_DETERMINANT",
    "DIAGONAL_TRACE",
    "IN_CODE",
    "LOG_VARIANCE_OUTPUT",
    "SIMPLIFY_IDENTITIES",
    "SQUARED_NORM",
    "TRIVIAL_TERMS",
    "VARIANCE_FROM_LOG_VARIANCE",
    "diagonal_result",
    "full_result",
]

