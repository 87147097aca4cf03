"""The multivariate Gaussian ``N(m, S)`` of a column vector of dimension k, diagonal or full covariance."""

from __future__ import annotations

from sympy import Expr, Identity, S, log, pi
from sympy.matrices.expressions import Determinant, MatrixExpr

from ..core.forms import HALF, add, frac, mul, neg, sub
from .base import Law
from .matrices import QuadForm, det, inv, msub


class MvNormalLaw(Law):
    """``N(mean, cov)`` over R^k: ``mean`` a k x 1 matrix expression (a :class:`~.matrices.Vec` of indexed entries,
    a ``MatrixSymbol``, ``ZeroMatrix``), ``cov`` a k x k symmetric positive-definite one (a
    :class:`~.matrices.Diag` for a diagonal Gaussian, a ``MatrixSymbol``, ``Identity``).

    Its log-density at a vector ``x`` is ``log_normaliser() - energy(x)``:
    ``-k/2 log(2 pi) - 1/2 log|S|`` and ``1/2 (x - m)^T S^-1 (x - m)``.
    """

    family = "MvNormal"
    parameter_names = ("loc", "covariance_matrix")
    vector = True

    @property
    def mean(self) -> MatrixExpr:
        return self.args[0]

    @property
    def cov(self) -> MatrixExpr:
        return self.args[1]

    @property
    def var(self) -> MatrixExpr:
        """The covariance (read as ``.var`` like a univariate law's variance)."""
        return self.cov

    @property
    def variance(self) -> MatrixExpr:
        return self.cov

    @property
    def dim(self) -> Expr:
        """k, the dimension of the vector."""
        return self.cov.shape[0]

    def centred(self, variable: MatrixExpr) -> MatrixExpr:
        """``x - mean``."""
        return msub(variable, self.mean)

    def log_normaliser(self) -> Expr:
        """The part of the log-density free of x: ``-k/2 log(2 pi) - 1/2 log|S|`` (no determinant for S = I)."""
        log_det = S.Zero if isinstance(self.cov, Identity) else log(Determinant(self.cov))
        return sub(mul(neg(frac(self.dim, 2)), log(mul(2, pi))), mul(HALF, log_det))

    def energy(self, variable: MatrixExpr) -> Expr:
        """The part of minus the log-density that depends on x: ``1/2 (x - m)^T S^-1 (x - m)``."""
        centred = self.centred(variable)
        return mul(HALF, QuadForm(centred, inv(self.cov), centred))

    def log_pdf_form(self, variable: MatrixExpr) -> Expr:
        """``log N(x; m, S) = -k/2 log(2 pi) - 1/2 log|S| - 1/2 (x - m)^T S^-1 (x - m)``, as a display form."""
        normaliser = self.log_normaliser()
        return add(*(normaliser.args if normaliser.is_Add else (normaliser,)), neg(self.energy(variable)))

    def normaliser_difference(self, other: Law) -> Expr:
        """``log_normaliser(self) - log_normaliser(other) = 1/2 log(|S_other| / |S_self|)``, combined."""
        return mul(HALF, log(frac(det(other.cov), det(self.cov))))
