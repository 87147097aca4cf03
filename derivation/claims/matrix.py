"""Claims about MvNormal pairs: is a matrix formula (``torch.trace``, ``torch.logdet``, ``@``, ``.T``,
``torch.linalg.inv/solve``) KL(q || p) for full covariances?

The claim is read by the whitelist parser :func:`derivation.interpret.matrix.parse_matrix_claim` (never executed)
into SymPy matrix expressions over the pair's own symbols. The truth is the closed form the pair's plan derives.

1. **Numeric**: both at random points of the pair's checker (dimension 2 and 3, or the concrete one; random means;
   random symmetric positive-definite covariances), in float64, agreeing to a relative 1e-9. A disagreement
   refutes the claim, with the point and, when the claim is a simple relative of the truth (sign, factor,
   KL(p || q), the constant -k/2), that diagnosis.
2. **Symbolic**: the matrix normal forms of the step checker (traces, determinants and quadratic forms as
   numbers, :func:`derivation.check.vector_checker.symbolic_reason_mv`). A proof and the agreement: it holds;
   agreement without a proof: undecided.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sympy import Basic, Expr, Integer, MatAdd, MatMul, MatrixSymbol, default_sort_key

from ..check.vector_checker import symbolic_reason_mv
from ..check.vector_numeric import EvaluationError, MvEvaluator
from ..core.errors import ParseError
from ..core.forms import evaluated
from ..core.lazy import LazyModule
from ..interpret.matrix import parse_matrix_claim
from ..nodes.vector import QuadForm
from ..pairs.univariate import Variant
from .decide import Counterexample, Verdict

np = LazyModule("numpy")

#: Random points the claim is compared at.
POINTS = 6


def _quad_form(u: Any, matrix: Any, v: Any) -> Expr:
    """``u^T M v`` as the derivations write it: matrices that a vector carries are moved into the middle."""
    if isinstance(v, MatMul) and all(a.shape[1] == a.shape[0] for a in v.args[:-1] if hasattr(a, "shape")) \
            and all(hasattr(a, "shape") for a in v.args) and v.args[-1].shape[1] == 1:
        matrix = MatMul(matrix, *v.args[:-1]).doit()
        v = v.args[-1]
    return QuadForm(u, matrix, v)


def _canonical(expr: Basic) -> Basic:
    """``expr`` with the terms of every matrix sum in one order (SymPy keeps ``-m1 + m2`` and ``m2 - m1`` apart)."""
    if not expr.args:
        return expr
    args = [_canonical(a) for a in expr.args]
    if isinstance(expr, MatAdd):
        return MatAdd(*sorted(args, key=default_sort_key))
    return expr.func(*args)


def _flat(value: Any) -> float | tuple[float, ...]:
    array = np.asarray(value, dtype=float)
    return float(array) if array.ndim == 0 else tuple(float(x) for x in array.ravel())


def verify_matrix(v: Variant, claim: str) -> Verdict:
    """Decide a Python-syntax matrix ``claim`` about the MvNormal pair ``v`` (see the module docstring)."""
    setting = v.setting
    matrices = [m for m in setting.parameters if isinstance(m, MatrixSymbol)]
    symbols = {m.name: m for m in matrices}
    size = getattr(setting, "size", None)
    dim = Integer(size) if size is not None else setting.dim_symbol
    try:
        claimed = parse_matrix_claim(claim, symbols, dim, None if size is not None else setting.dim_symbol.name,
                                     _quad_form)
    except ParseError as error:
        raise ParseError(f"claim: {error.message}", error.position, claim) from None
    truth = evaluated(v.closed_form())
    points = setting.sample(POINTS)
    evaluator = MvEvaluator(points, "random symmetric positive-definite covariances")
    where = f"{setting.dim_symbol} = 2 and 3" if size is None else f"dimension {size}"
    try:
        claim_values = evaluator.values(claimed)
        truth_values = evaluator.values(truth)
    except (EvaluationError, FloatingPointError, ArithmeticError, ValueError, np.linalg.LinAlgError) as error:
        return Verdict(None, f"the claim could not be evaluated at random points ({str(error)[:80]})",
                       claim=claimed, kl=truth)
    wrong = [i for i, (c, t) in enumerate(zip(claim_values, truth_values, strict=True)) if not evaluator.close(c, t)]
    if wrong:
        worst = max(wrong, key=lambda i: abs(float(claim_values[i]) - float(truth_values[i])))
        point = {str(s): _flat(x) for s, x in points[worst].items()}
        c, t = float(claim_values[worst]), float(truth_values[worst])
        example = Counterexample(point, c, t, c - t)
        method = (f"numeric: the claim and KL(q || p) differ at {len(wrong)} of {len(points)} random points ({where},"
                  " random symmetric positive-definite covariances)")
        return Verdict(False, method, example, _diagnosis(v, evaluator, claim_values, truth_values, dim), claimed,
                       truth, len(points))
    agreement = (f"numeric agreement with KL(q || p) at {len(points)} random points ({where}, random symmetric "
                 "positive-definite covariances)")
    try:
        reason = symbolic_reason_mv(_canonical(claimed), _canonical(truth))
    except (TypeError, ValueError, AttributeError, NotImplementedError):
        reason = None
    if reason is None:
        return Verdict(None, f"{agreement}; no symbolic proof by the matrix normal forms", claim=claimed, kl=truth,
                       points=len(points))
    return Verdict(True, f"symbolic proof ({reason}) and {agreement}", claim=claimed, kl=truth, points=len(points))


def _diagnosis(v: Variant, evaluator: MvEvaluator, claim_values: list[Any], truth_values: list[Any], dim: Expr
               ) -> str | None:
    """The simple relative of KL(q || p) that the claim matches at every point, if any."""
    def matches(candidate: Callable[[int], float]) -> bool:
        return all(abs(float(c) - candidate(i)) <= 1e-9 * max(1.0, abs(candidate(i)))
                   for i, c in enumerate(claim_values))

    def size(i: int) -> float:
        return float(np.asarray(evaluator.values(dim)[i])) if not dim.is_number else float(dim)

    truths = [float(t) for t in truth_values]
    named: list[tuple[str, Callable[[int], float]]] = [
        ("the sign is flipped", lambda i: -truths[i]),
        ("twice KL(q || p): a factor 1/2 is missing", lambda i: 2 * truths[i]),
        ("half of KL(q || p): an extra factor 1/2", lambda i: truths[i] / 2),
        ("the constant -k/2 is missing", lambda i: truths[i] + size(i) / 2),
        ("-k where -k/2 belongs", lambda i: truths[i] - size(i) / 2),
    ]
    for words, candidate in named:
        if matches(candidate):
            return words
    try:
        reverse = evaluator.values(evaluated(v.reversed().closed_form()))
    except Exception:
        return None
    if matches(lambda i: float(reverse[i])):
        return "the claim is KL(p || q): the direction is reversed"
    return None


__all__ = ["verify_matrix"]
