"""Functions the derivations print and the code exports compute, beyond SymPy's own: ``XLogY``."""

from __future__ import annotations

import mpmath
from sympy import Function, S, log


def xlogy_value(x, y):
    """``x log y`` of two numbers, 0 where x is 0 (the checker's compiled form)."""
    return 0 * x if x == 0 else x * mpmath.log(y)


class XLogY(Function):
    """``x log y``, 0 where x is 0 (its limit: ``x log x -> 0``), as ``torch.xlogy`` and ``scipy.special.xlogy``
    compute it. Printed ``x log y``; a number x = 0 makes it 0 (``0 log 0`` never appears); ``x log x`` at a
    symbolic x stays this node, which the code exports compute with ``xlogy`` (finite at 0)."""

    nargs = 2
    _imp_ = staticmethod(xlogy_value)

    @classmethod
    def eval(cls, x, y):
        if x.is_zero:
            return S.Zero
        if x.is_number and y.is_number:
            return x * log(y)
        return None

    def _eval_rewrite_as_log(self, x, y, **kwargs):
        return x * log(y)

    def _sympystr(self, printer) -> str:
        """``xlogy(x, y)``: the name torch and SciPy give it (a verdict's KL line reads as code)."""
        x, y = self.args
        return f"xlogy({printer._print(x)}, {printer._print(y)})"

    def _eval_evalf(self, prec):
        x, y = self.args
        return (x * log(y))._eval_evalf(prec)

    def _eval_is_extended_real(self):
        x, y = self.args
        if x.is_extended_real and y.is_positive:
            return True
        return None


__all__ = ["XLogY", "xlogy_value"]
