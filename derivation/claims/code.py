"""``verify --code``: is the KL term of a whole loss function KL(q || p) per example, its batch mean or its batch sum?

The function is read by the whitelist reader (:func:`derivation.interpret.code.read_function`; nothing is
executed) into one substituted expression per returned value. The encoder's outputs, a mean ``mu`` and a scale
parameter (a log-variance, log-std, std or variance, by its name, ``--q-params`` or the sampling line), have a
batch axis and a latent axis; q = N(mu, diag sigma^2) and p = N(0, I), so the truth per example is
``sum_j KL_j`` with ``KL_j = (sigma_j^2 + mu_j^2 - 1)/2 - log sigma_j``.

The decision reads the expression two ways, both by our own NumPy interpretation of the whitelisted tree:

1. **As written**, on random encoder outputs of several random shapes (batch B, latent d, data D): the value
   divided by the sum of its *kernel* (the same tree with every reduction taken away and every size 1) must be
   one constant times ``B^a d^b D^e`` for each shape. The exponents say what the code reduces: ``b = 0`` a sum
   over the latent axis, ``b = -1`` a mean over it (KL/d); over the batch a sum (``a = 0``) or a mean
   (``a = -1``); ``e = -1`` a division by the data's size (the pixel count).
2. **The kernel** against ``KL_j`` in each reading of the scale parameter: a constant ratio says which reading
   the code uses and what constant it carries (-1: the sign flipped; 1/784: the pixel count; a weight the
   code names, ``beta``). The kernel is then decided symbolically by the existing verifier
   (:func:`derivation.claims.decide.verify`), as a claim about one coordinate, which also names the classic
   slips when it does not hold.

A weight (a name like ``beta``/``kld_weight`` or a literal multiplying the KL term) is found by doubling it:
a term that doubles carries it as a factor. A sampling line ``z = mu + eps * S`` is read the same way (S is
what multiplies the noise) and must read the scale parameter as the KL does.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import mpmath
from sympy import Symbol, log, sstr

from ..check.checker import is_zero
from ..core.errors import ParseError, UsageError
from ..core.lazy import LazyModule
from ..interpret.code import KINDS, XLOGY, LossFunction, Statement, Term, read_function
from ..interpret.parse import parse_claim
from .decide import Verdict
from .decide import verify as decide_claim

np = LazyModule("numpy")

#: (B, d, D) of the shapes the code is evaluated at: every size distinct within a shape, and each size varied
#: alone once (so each exponent is read off), then a last shape that checks the fit.
SHAPES = ((3, 5, 7), (4, 5, 7), (3, 2, 7), (3, 5, 11), (2, 3, 13))
#: Random draws per shape.
DRAWS = 2
#: Seconds the symbolic decisions of one call may take in all, and one of them at most (a call stays under 5 s).
BUDGET = 3.5
KERNEL_BUDGET = 2.5
#: Relative tolerance of the float64 comparisons.
TOLERANCE = 1e-7
#: Well-known data sizes: a divisor among these is "the pixel count".
PIXEL_COUNTS = frozenset({784, 1024, 2352, 3072, 4096, 12288, 16384, 49152, 65536, 196608})
_MINIBATCH = re.compile(r"(^m_?n$|kld_weight|minibatch|mb_weight|dataset)", re.IGNORECASE)
_KIND_WORDS = {"logvar": "a log-variance", "log_std": "a log-std", "std": "a standard deviation",
               "var": "a variance", "sampling": "the argument of another function for the standard deviation"}
#: The reading of the scale parameter that is the sampling line's own (none of :data:`KINDS`: ``F.softplus(h)``).
SAMPLED = "sampling"
_SPEC_KEYWORD = {"logvar": "logvar=", "log_std": "log_scale=", "std": "", "var": "var="}
_RESERVED = {"pi", "e", "E", "I", "q", "p", "exp", "log", "sqrt", "abs", "sum", "mean", "lambda", "ln", "square",
             "pow", "power", "softplus", "expm1", "log1p"}


class _Unfit(Exception):
    """The expression is not a constant times a sum of per-coordinate terms (or cannot be evaluated)."""


# ----------------------------------------------------------------------------------------------------
# Evaluation of a Term with NumPy
# ----------------------------------------------------------------------------------------------------


@dataclass
class _Point:
    """Random arrays for one evaluation: encoder outputs and noise (batch x latent), data (batch x data size)."""

    B: int
    d: int
    D: int
    latent_axis: int  # 1 (the default: batch x latent) or 0 (latent x batch)
    mean: Any
    param: Any
    rng: Any
    data: dict[str, Any] = field(default_factory=dict)
    noise: dict[str, Any] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    noise_value: float | None = None  # every noise entry set to this (reading a sampling line)
    sampled: Any = None  # the standard deviation the sampling line computes here (once read)

    def shape(self, n: int) -> tuple[int, int]:
        return (self.B, n) if self.latent_axis == 1 else (n, self.B)

    def array(self, name: str, role: str) -> Any:
        if role == "mean":
            return self.mean
        if role == "param":
            return self.param
        if role == "noise":
            if self.noise_value is not None:
                return np.full(self.shape(self.d), self.noise_value)
            if name not in self.noise:
                self.noise[name] = self.rng.standard_normal(self.shape(self.d))
            return self.noise[name]
        if role == "weight":
            return self.weights.get(name, 1.0)
        if name not in self.data:
            self.data[name] = self.rng.uniform(0.05, 0.95, self.shape(self.D))
        return self.data[name]


def _softplus(x: Any) -> Any:
    return np.logaddexp(0.0, x)


def _special(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """An mpmath function entry by entry, in floats (NumPy has no log-gamma or digamma; SciPy is optional)."""
    def entrywise(x: Any) -> Any:
        def one(v: float) -> float:
            try:
                return float(function(v))
            except (ValueError, ZeroDivisionError):
                return math.nan
        return np.vectorize(one, otypes=[float])(x)
    return entrywise


def _elementwise() -> Mapping[str, Callable[[Any], Any]]:
    return {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "square": np.square, "abs": np.abs,
            "softplus": _softplus, "log1p": np.log1p, "expm1": np.expm1, "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
            "logsigmoid": lambda x: -_softplus(-x), "lgamma": _special(lambda v: mpmath.log(abs(mpmath.gamma(v)))),
            "digamma": _special(mpmath.digamma)}


def _pointwise_loss(kind: str, prediction: Any, target: Any) -> Any:
    if kind in ("mse", "keras_mse"):
        return (prediction - target) ** 2
    if kind == "bce_logits":
        return _softplus(prediction) - target * prediction
    if kind == "kl_div":  # F.kl_div(input, target): the input is a log-probability
        return target * (np.log(target) - prediction)
    return -(target * np.log(prediction) + (1 - target) * np.log(1 - prediction))


def _axes(axis: Any, ndim: int) -> tuple[int, ...] | None:
    if axis is None:
        return None
    axes = axis if isinstance(axis, tuple) else (axis,)
    kept = sorted({a % ndim for a in axes if -ndim <= a < ndim} | ({ndim - 1} if any(a >= ndim for a in axes)
                                                                  else set()))
    if not kept:
        raise _Unfit("an axis the tensor does not have")
    return tuple(kept)


class _Evaluate:
    """One evaluation of Terms at a point; ``kernel`` drops every reduction and makes every size 1."""

    def __init__(self, point: _Point, kernel: bool = False):
        self.point = point
        self.kernel = kernel
        self.memo: dict[int, Any] = {}
        self.functions = _elementwise()

    def __call__(self, term: Term) -> Any:
        key = id(term)
        if key not in self.memo:
            self.memo[key] = self.value(term)
        return self.memo[key]

    def value(self, t: Term) -> Any:
        op = t.op
        if op == "leaf":
            name, role = t.value  # type: ignore[misc]
            return self.point.array(name, role)
        if op == "opaque":
            return self.point.array(f"network output, line {t.line}", "data")
        if op == "num":
            return float(t.value[0])  # type: ignore[index]
        if op == "pi":
            return math.pi
        if op == "size":
            return 1.0 if self.kernel else float(self.size(t))
        args = [self(a) for a in t.args]
        with np.errstate(all="ignore"):
            try:
                if op == "add":
                    return args[0] + args[1]
                if op == "mul":
                    return args[0] * args[1]
                if op == "div":
                    return args[0] / args[1]
                if op == "pow":
                    return np.power(args[0], args[1]) if np.ndim(args[0]) else float(args[0]) ** float(args[1])
                if op == "neg":
                    return -args[0]
                if op == XLOGY:
                    return np.where(np.asarray(args[0]) == 0, 0.0, args[0] * np.log(args[1]))
                if op in self.functions:
                    return self.functions[op](args[0])
                if op == "reduce":
                    return self.reduce(t, args[0])
                if op == "loss":
                    return self.loss(t, args)
                if op in ("softmax", "log_softmax"):
                    return self.softmax(t, args[0])
            except (ValueError, ZeroDivisionError, OverflowError) as error:  # shapes that do not broadcast
                raise _Unfit(f"the code cannot be evaluated ({str(error)[:80]})") from None
        raise _Unfit(f"cannot evaluate {op}")

    def size(self, t: Term) -> int:
        name, role, axis = t.value  # type: ignore[misc]
        p = self.point
        if name is not None:
            return {"batch": p.B, "latent": p.d, "data": p.D}[role]
        shape = p.shape(p.d if role == "latent" else p.D)
        if axis == "all":
            return int(np.prod(shape))
        if not shape or not -len(shape) <= axis < len(shape):  # type: ignore[operator]
            raise _Unfit("a size of an axis the tensor does not have")
        return int(shape[axis])  # type: ignore[index]

    def reduce(self, t: Term, x: Any) -> Any:
        kind, axis, keep = t.value  # type: ignore[misc]
        if self.kernel:
            if kind == "logsumexp":
                raise _Unfit("a logsumexp is not a sum of per-coordinate terms")
            return x
        x = np.asarray(x)
        axes = _axes(axis, x.ndim) if x.ndim else None
        if kind == "logsumexp":
            top = np.max(x, axis=axes, keepdims=True)
            out = np.log(np.sum(np.exp(x - top), axis=axes, keepdims=True)) + top
            return out if keep else np.squeeze(out, axis=axes)
        return (np.sum if kind == "sum" else np.mean)(x, axis=axes, keepdims=keep)

    def softmax(self, t: Term, x: Any) -> Any:
        """``softmax``/``log_softmax`` over an axis (of the whole vector: no per-coordinate kernel)."""
        if self.kernel:
            raise _Unfit(f"a {t.op} is not a function of each coordinate alone")
        x = np.asarray(x)
        if not x.ndim:
            raise _Unfit(f"a {t.op} of a number")
        axes = _axes(t.value, x.ndim)
        shifted = x - np.max(x, axis=axes, keepdims=True)
        log_softmax = shifted - np.log(np.sum(np.exp(shifted), axis=axes, keepdims=True))
        return log_softmax if t.op == "log_softmax" else np.exp(log_softmax)

    def loss(self, t: Term, args: list[Any]) -> Any:
        kind, reduction = t.value  # type: ignore[misc]
        values = _pointwise_loss(kind, *args)
        if self.kernel or reduction == "none" or kind == "keras_bce_elementwise":
            return values
        if reduction == "batchmean":  # F.kl_div: the sum over every axis over the batch size
            values = np.asarray(values)
            return np.sum(values) / (values.shape[0] if values.ndim else 1)
        if reduction == "keras":
            return np.mean(values, axis=-1)
        return np.sum(values) if reduction == "sum" else np.mean(values)


# ----------------------------------------------------------------------------------------------------
# The truth and the readings of the scale parameter
# ----------------------------------------------------------------------------------------------------


def _sigma(kind: str, p: Any) -> Any:
    """The standard deviation the scale parameter ``p`` stands for in reading ``kind``."""
    with np.errstate(all="ignore"):
        return {"logvar": lambda: np.exp(p / 2), "log_std": lambda: np.exp(p), "std": lambda: p,
                "var": lambda: np.sqrt(p)}[kind]()


def _kl(mu: Any, sigma: Any) -> Any:
    """KL(N(mu, sigma^2) || N(0, 1)) per coordinate."""
    with np.errstate(all="ignore"):
        return (sigma**2 + mu**2 - 1) / 2 - np.log(sigma)


def _ratio(a: Any, b: Any) -> float | None:
    """The constant a / b, if it is one (to :data:`TOLERANCE`), else None."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    if a.size == 0 or not np.all(np.isfinite(a)) or not np.all(np.isfinite(b)) or np.any(np.abs(b) < 1e-12):
        return None
    r = a / b
    c = float(np.median(r))
    if np.all(np.abs(r - c) <= TOLERANCE * max(1.0, abs(c))):
        return c
    return None


def _exponent(c1: float, c0: float, n1: int, n0: int) -> int | None:
    if c0 == 0 or c1 / c0 <= 0:
        return None
    x = math.log(c1 / c0) / math.log(n1 / n0)
    k = round(x)
    return k if abs(x - k) < 1e-6 and abs(k) <= 2 else None


def _nice(c: float) -> str:
    f = Fraction(c).limit_denominator(100_000)
    if abs(float(f) - c) <= 1e-9 * max(1, abs(c)):
        return str(f)
    return f"{c:.6g}"


# ----------------------------------------------------------------------------------------------------
# The verdict
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slip:
    """A mistake found in the code: what it is and the line(s) where it is written."""

    what: str
    lines: tuple[tuple[int, str], ...] = ()

    def describe(self) -> str:
        where = "; ".join(f"line {n}: {text}" for n, text in self.lines)
        return f"{self.what}" + (f" ({where})" if where else "")

    def as_dict(self) -> dict[str, Any]:
        return {"slip": self.what, "lines": [{"line": n, "text": text} for n, text in self.lines]}


@dataclass(frozen=True)
class CodeVerdict:
    """Whether a loss function's KL term is KL(q || p) per example, its batch mean or its batch sum.

    ``holds`` True (the kernel proved symbolically, the reductions read numerically), False (``slips`` say
    why) or None (undecided). ``computes`` says what the code computes; ``equals`` what that is when it holds.
    """

    holds: bool | None
    function: str
    term: str
    computes: tuple[str, ...]
    equals: str | None
    method: str
    weights: tuple[str, ...] = ()
    slips: tuple[Slip, ...] = ()
    notes: tuple[str, ...] = ()
    reading: str | None = None
    kernel: Verdict | None = None
    line: int | None = None
    #: What the term was checked to be (another family's KL code: entry by entry).
    wanted: str = "KL(q || p) per example, its batch mean or its batch sum"

    @property
    def status(self) -> str:
        return {True: "holds", False: "does not hold", None: "undecided"}[self.holds]

    @property
    def exit_code(self) -> int:
        return {True: 0, False: 1, None: 3}[self.holds]

    def headline(self) -> str:
        if self.holds:
            return f"holds: {self.term} of {self.function} is {self.equals}"
        if self.holds is False:
            return f"does not hold: {self.term} of {self.function} is not {self.wanted}"
        return f"undecided: {self.term} of {self.function}"

    def describe(self) -> str:
        lines = [self.headline()]
        if self.computes:
            lines.append(f"  computes: {'; '.join(self.computes)}")
        if self.reading:
            lines.append(f"  reading: {self.reading}")
        lines.extend(f"  weight: {w}" for w in self.weights)
        lines.extend(f"  slip: {s.describe()}" for s in self.slips)
        lines.extend(f"  note: {n}" for n in self.notes)
        lines.append(f"  method: {self.method}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {"holds": self.holds, "status": self.status, "function": self.function, "term": self.term,
                "line": self.line, "computes": list(self.computes), "equals": self.equals,
                "reading": self.reading, "weights": list(self.weights), "slips": [s.as_dict() for s in self.slips],
                "notes": list(self.notes), "method": self.method,
                "kernel": None if self.kernel is None else self.kernel.as_dict()}


# ----------------------------------------------------------------------------------------------------
# Reading a term: its parts, its reductions, its kernel
# ----------------------------------------------------------------------------------------------------


def _scalar(t: Term) -> bool:
    """A factor with no tensor in it (numbers, weights, sizes)."""
    return not (t.roles() & {"mean", "param", "data", "noise"}) and not _has(t, "opaque")


def _has(t: Term, op: str) -> bool:
    stack = [t]
    while stack:
        s = stack.pop()
        if s.op == op:
            return True
        stack.extend(s.args)
    return False


def _subterms(t: Term) -> list[Term]:
    found, stack, seen = [], [t], set()
    while stack:
        s = stack.pop()
        if id(s) not in seen:
            seen.add(id(s))
            found.append(s)
            stack.extend(s.args)
    return found


def _parts(t: Term) -> list[Term]:
    """The additive parts of ``t``, with scalar factors, signs and (linear) reductions distributed over them."""
    if t.op == "add":
        return _parts(t.args[0]) + _parts(t.args[1])
    if t.op == "neg":
        return [Term("neg", (p,), line=p.line) for p in _parts(t.args[0])]
    if t.op in ("mul", "div"):
        left, right = t.args
        if _scalar(right):
            return [Term(t.op, (p, right), line=t.line) for p in _parts(left)]
        if t.op == "mul" and _scalar(left):
            return [Term("mul", (left, p), line=t.line) for p in _parts(right)]
    if t.op == "reduce" and t.value[0] in ("sum", "mean"):  # type: ignore[index]
        inner = _parts(t.args[0])
        if len(inner) > 1 and all(not _scalar(p) for p in inner):
            return [Term("reduce", (p,), t.value, t.line) for p in inner]
    return [t]


def _join(parts: list[Term]) -> Term | None:
    if not parts:
        return None
    out = parts[0]
    for p in parts[1:]:
        out = Term("add", (out, p), line=p.line)
    return out


@dataclass(frozen=True)
class _Profile:
    """What a term computes: its output ('scalar', 'per example', 'per coordinate'), the constant ``c0`` and
    the exponents of B, n (the term's own axis: d or D) and the other size in value / sum(kernel)."""

    output: str
    c0: float
    batch: int
    own: int
    other: int


def _points(fn: LossFunction, kind: str, latent_axis: int, seed: int = 0) -> list[_Point]:
    rng = np.random.default_rng(seed)
    points = []
    for B, d, D in SHAPES:
        for _ in range(DRAWS):
            shape = (B, d) if latent_axis == 1 else (d, B)
            mean = rng.uniform(-1.5, 1.5, shape)
            param = rng.uniform(0.3, 2.0, shape) if kind in ("std", "var") else rng.uniform(-1.5, 1.2, shape)
            points.append(_Point(B, d, D, latent_axis, mean, param, np.random.default_rng(rng.integers(1 << 30))))
    return points


def _profile(t: Term, points: list[_Point], own: str) -> _Profile:
    """Value / sum of the kernel at every point, fitted to c0 * B^a * n^b * m^e (n the own axis' size)."""
    ratios: dict[tuple[int, int, int], list[float]] = {}
    output = None
    for point in points:
        value = np.asarray(_Evaluate(point)(t), dtype=float)
        kernel = np.asarray(_Evaluate(point, kernel=True)(t), dtype=float)
        n = point.d if own == "latent" else point.D
        full = point.shape(n)
        try:
            kernel = np.broadcast_to(kernel, full)
        except ValueError:
            raise _Unfit("its terms do not have the encoder's batch x latent shape") from None
        batch_axis = 1 - point.latent_axis
        squeezed = np.squeeze(value)
        if squeezed.ndim == 0:
            kind, r = "scalar", _ratio(squeezed, kernel.sum())
        elif squeezed.shape == (point.B,) and value.shape in ((point.B,), (point.B, 1), (1, point.B)):
            kind, r = "per example", _ratio(squeezed, kernel.sum(axis=1 - batch_axis))
        elif value.shape == full:
            kind, r = "per coordinate", _ratio(value, kernel)
        else:
            raise _Unfit(f"its value has the shape {tuple(value.shape)}, neither a number, one per example nor "
                         "batch x latent")
        if r is None:
            raise _Unfit("it is not a constant times a sum of per-coordinate terms")
        if output not in (None, kind):
            raise _Unfit("its shape changes with the sizes")
        output = kind
        ratios.setdefault((point.B, point.d, point.D), []).append(r)
    c = {shape: rs[0] for shape, rs in ratios.items()}
    for rs in ratios.values():
        if any(abs(r - rs[0]) > TOLERANCE * max(1, abs(rs[0])) for r in rs):
            raise _Unfit("it is not a constant times a sum of per-coordinate terms")
    s0, sb, sd, sD, check = SHAPES
    a = _exponent(c[sb], c[s0], sb[0], s0[0])
    b = _exponent(c[sd], c[s0], sd[1], s0[1])
    e = _exponent(c[sD], c[s0], sD[2], s0[2])
    if a is None or b is None or e is None:
        raise _Unfit("its scale is not a power of the batch, latent or data size")
    c0 = c[s0] / (s0[0] ** a * s0[1] ** b * s0[2] ** e)
    predicted = c0 * check[0] ** a * check[1] ** b * check[2] ** e
    if abs(predicted - c[check]) > 1e-6 * max(1, abs(predicted)):
        raise _Unfit("its scale is not a power of the batch, latent or data size")
    if own == "latent":
        return _Profile(output or "scalar", c0, a, b, e)
    return _Profile(output or "scalar", c0, a, e, b)


def _weights(t: Term, point: _Point) -> dict[str, int | None]:
    """Each weight leaf of ``t`` and how it scales the value: 1 (a factor), -1 (a divisor), None (otherwise)."""
    names = sorted(n for n, r in t.leaves() if r == "weight")
    base = np.asarray(_Evaluate(point)(t), dtype=float)
    found: dict[str, int | None] = {}
    for name in names:
        point.weights = {name: 2.0}
        doubled = np.asarray(_Evaluate(point)(t), dtype=float)
        point.weights = {}
        r = _ratio(doubled, base)
        found[name] = 1 if r is not None and abs(r - 2) < 1e-9 else -1 if r is not None and abs(r - 0.5) < 1e-9 \
            else 0 if r is not None and abs(r - 1) < 1e-9 else None
    return found


def _literal_factors(t: Term) -> list[tuple[Fraction, str, int]]:
    """Number literals multiplying (or dividing: the reciprocal) ``t`` as a whole, outside its reductions."""
    if t.op == "mul":
        found = []
        for side in t.args:
            if side.op == "num":
                found.append((side.value[0], side.value[1], side.line))  # type: ignore[index]
            else:
                found.extend(_literal_factors(side))
        return found
    if t.op == "div" and t.args[1].op == "num" and t.args[1].value[0] != 0:  # type: ignore[index]
        value, text = t.args[1].value  # type: ignore[misc]
        return [*_literal_factors(t.args[0]), (1 / value, f"1/{text}", t.line)]
    if t.op == "neg":
        return _literal_factors(t.args[0])
    return []


# ----------------------------------------------------------------------------------------------------
# Lines of the code
# ----------------------------------------------------------------------------------------------------


def _reading_lines(fn: LossFunction, t: Term, name: str) -> list[tuple[int, str]]:
    """The statements that ``t`` is built from and that read the name ``name`` directly."""
    used = t.lines()
    return [(s.line, s.text) for s in fn.statements if s.line in used and name in s.reads]


def _statement_line(fn: LossFunction, t: Term) -> tuple[int, str] | None:
    lines = sorted(t.lines() - {0})
    if not lines:
        return None
    last = lines[-1]
    return last, fn.line_text(last)


# ----------------------------------------------------------------------------------------------------
# The sampling line
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sampling:
    statement: Statement
    kind: str | None  # the reading of the scale parameter it uses, None if none of the four
    lines: tuple[tuple[int, str], ...]
    positive: bool = True  # whether the scale it computes was positive at the point it was read at

    def scale(self, point: _Point) -> Any:
        """The standard deviation S of ``z = mu + eps * S`` at ``point``."""
        if point.sampled is None:
            assert self.statement.value is not None
            try:
                point.noise_value = 1.0
                at1 = np.asarray(_Evaluate(point)(self.statement.value), dtype=float)
                point.noise_value = 0.0
                at0 = np.asarray(_Evaluate(point)(self.statement.value), dtype=float)
            finally:
                point.noise_value = None
            point.sampled = at1 - at0
        return point.sampled


def _sigma_at(kind: str, point: _Point, sampling: _Sampling | None) -> Any:
    if kind == SAMPLED:
        assert sampling is not None
        return sampling.scale(point)
    return _sigma(kind, point.param)


def _sampling(fn: LossFunction, point: _Point) -> _Sampling | None:
    """The reparameterisation ``z = mu + eps * S``: the first assignment linear in the noise with intercept mu."""
    for statement in fn.statements:
        t = statement.value
        if t is None or not {"noise", "mean", "param"} <= t.roles():
            continue
        try:
            values = []
            for v in (0.0, 1.0, 2.0):
                point.noise_value = v
                values.append(np.asarray(_Evaluate(point)(t), dtype=float))
        except _Unfit:
            continue
        finally:
            point.noise_value = None
        at0, at1, at2 = values
        if at0.shape != point.mean.shape or not np.allclose(at0, point.mean, rtol=1e-9, atol=1e-12):
            continue
        scale = at1 - at0
        if not np.allclose(at2 - at0, 2 * scale, rtol=1e-9, atol=1e-12):
            continue
        kind = next((k for k in KINDS if abs((_ratio(scale, _sigma(k, point.param)) or 0) - 1) < 1e-9), None)
        lines = tuple(_reading_lines(fn, t, fn.param or "")) or ((statement.line, statement.text),)
        if all(n != statement.line for n, _ in lines):
            lines = (*lines, (statement.line, statement.text))
        return _Sampling(statement, kind, lines, bool(np.all(scale > 0)))
    return None


# ----------------------------------------------------------------------------------------------------
# Printing the kernel as a claim for the existing verifier
# ----------------------------------------------------------------------------------------------------

_PRINTED = {"exp", "log", "sqrt", "abs", "softplus", "log1p", "expm1", "square", "sigmoid", "logsigmoid", "lgamma",
            "digamma"}


#: A Python float literal as code writes it (digits, one point, an exponent; underscores between digits).
_FLOAT_TEXT = re.compile(r"(?:\d(?:_?\d)*)?\.?(?:\d(?:_?\d)*)?(?:[eE][+-]?\d(?:_?\d)*)?")


def claim_text(t: Term, names: Mapping[str, str]) -> str | None:
    """The kernel of ``t`` (no reductions, sizes and weights 1) as a Python claim over ``names`` (role -> name; a
    leaf of role ``given`` is printed by its own name); None if it uses something a claim cannot (data, noise,
    logsumexp, a loss)."""
    op = t.op
    if op == "leaf":
        name, role = t.value  # type: ignore[misc]
        if role == "weight":
            return "1"
        if role == "given":
            return name
        return names.get(role)
    if op == "num":
        f, written = t.value  # type: ignore[misc]
        if f.denominator != 1 and _FLOAT_TEXT.fullmatch(written):  # as written: the claim reads it exactly, as a
            return f"({written})"                                  # float literal (judged at double precision)
        return f"({f.numerator}/{f.denominator})" if f.denominator != 1 else f"({f.numerator})"
    if op == "pi":
        return "pi"
    if op == "size":
        return "1"
    parts = [claim_text(a, names) for a in t.args]
    if any(p is None for p in parts):
        return None
    if op == "add":
        return f"({parts[0]} + {parts[1]})"
    if op == "mul":
        return f"({parts[0]} * {parts[1]})"
    if op == "div":
        return f"({parts[0]} / {parts[1]})"
    if op == "pow":
        return f"({parts[0]} ** {parts[1]})"
    if op == "neg":
        return f"(-{parts[0]})"
    if op in _PRINTED:
        return f"{op}({parts[0]})"
    if op == XLOGY:
        return f"xlogy({parts[0]}, {parts[1]})"
    if op == "reduce" and t.value[0] in ("sum", "mean"):  # type: ignore[index]
        return parts[0]
    return None


def _kernel_verdict(t: Term, kind: str, fn: LossFunction, factor: float | None, sampling: _Sampling | None,
                    deadline: float) -> Verdict | None:
    """The existing verifier's verdict on the per-coordinate kernel of ``t`` (divided by ``factor``); in the
    sampling line's own reading, a proof by SymPy's normal forms that it is KL at that line's scale."""
    mean = fn.mean if fn.mean and fn.mean.isidentifier() and fn.mean not in _RESERVED else "mu"
    param = fn.param if fn.param and fn.param.isidentifier() and fn.param not in _RESERVED and \
        fn.param != mean else "s"
    text = claim_text(t, {"mean": mean, "param": param})
    if text is None:
        return None
    if factor is not None and factor != 1:
        f = Fraction(factor).limit_denominator(10**6)
        if abs(float(f) - factor) > 1e-9 * max(1, abs(factor)):
            return None
        text = f"{text} * ({f.denominator}/{f.numerator})" if f.numerator > 0 else \
            f"{text} * (-{f.denominator}/{-f.numerator})"
    if len(text) > 1900:
        return None
    if kind == SAMPLED:
        return _sampled_proof(text, mean, param, sampling)
    return _decided(f"Normal({mean}, {_SPEC_KEYWORD[kind]}{param})", text, max(0.5, deadline - time.monotonic()))


#: Verdicts already reached, by (q, claim): a kernel met again (another returned value) is decided once.
_DECIDED: dict[tuple[str, str], Verdict] = {}


def _decided(q: str, claim: str, budget: float) -> Verdict | None:
    """The verifier's verdict on the per-coordinate ``claim`` about ``q`` against N(0, 1)."""
    known = _DECIDED.get((q, claim))
    if known is not None:
        return known
    try:
        verdict = decide_claim(q, "Normal(0, 1)", claim, budget=min(KERNEL_BUDGET, budget))
    except UsageError:
        return None
    if verdict.holds is not None:  # decided: the same answer next time (undecided may be the budget's doing)
        if len(_DECIDED) >= 256:
            _DECIDED.clear()
        _DECIDED[(q, claim)] = verdict
    return verdict


def _sampled_proof(kernel: str, mean: str, param: str, sampling: _Sampling | None) -> Verdict | None:
    """A symbolic proof that ``kernel`` is KL(N(mean, S^2) || N(0, 1)) with S the sampling line's scale."""
    if sampling is None or sampling.statement.value is None:
        return None
    noise = "eps_" if "eps_" not in (mean, param) else "eps__"
    z = claim_text(sampling.statement.value, {"mean": mean, "param": param, "noise": noise})
    if z is None:
        return None
    symbols = {name: Symbol(name, real=True) for name in (mean, param, noise)}
    try:
        claimed = parse_claim(kernel, symbols)
        sampled = parse_claim(z, symbols)
    except ParseError:
        return None
    eps, mu = symbols[noise], symbols[mean]
    scale = sampled.diff(eps)
    if scale.has(eps) or not is_zero(sampled - mu - eps * scale):
        return None
    truth = (scale**2 + mu**2 - 1) / 2 - log(scale)
    if is_zero(claimed - truth):
        return Verdict(True, f"symbolic proof (claim - KL(q || p) reduces to 0, with the standard deviation "
                       f"{sstr(scale)} of the sampling line)", claim=claimed, kl=truth)
    return Verdict(None, "no symbolic proof with the sampling line's standard deviation", claim=claimed, kl=truth)


# ----------------------------------------------------------------------------------------------------
# The decision
# ----------------------------------------------------------------------------------------------------


def _candidates(fn: LossFunction) -> list[tuple[str, Term, Term | None]]:
    """``(label, KL part, reconstruction part)`` of each returned value with a KL part: the objective (a value
    with both parts) first, if there is one."""
    found = []
    for label, t in fn.returns:
        parts = _parts(t)
        kl = [p for p in parts if p.roles() & {"mean", "param"} and not p.roles() & {"data"}
              and not _has(p, "opaque")]
        recon = [p for p in parts if p.roles() & {"data"} or _has(p, "opaque")]
        constant = [p for p in parts if _scalar(p)]
        joined = _join(kl + constant)
        if kl and joined is not None:
            found.append((label, joined, _join(recon)))
    if not found:
        raise UsageError(f"code: no returned value of {fn.name} reads the encoder's mean and scale parameter "
                         "(name them with --q-params MEAN,PARAM)")
    return sorted(found, key=lambda c: c[2] is None)


def _describe_reduction(profile: _Profile) -> tuple[list[str], list[str]]:
    """(what the code computes, the slips in its reductions)."""
    computes, slips = [], []
    if profile.output == "per coordinate":
        computes.append("one value per latent coordinate (no reduction over the latent axis)")
        slips.append("the KL per coordinate is not summed over the latent axis")
    elif profile.own == 0:
        computes.append("per example, a sum over the latent axis")
    elif profile.own == -1:
        computes.append("per example, a mean over the latent axis")
        slips.append("a mean over the latent axis: KL/d")
    else:
        computes.append(f"per example, the sum over the latent axis times d^{profile.own}")
        slips.append(f"a factor d^{profile.own} (d: the latent size)")
    if profile.output == "scalar":
        if profile.batch == 0:
            computes.append("over the batch, a sum")
        elif profile.batch == -1:
            computes.append("over the batch, a mean")
        else:
            computes.append(f"over the batch, a sum times B^{profile.batch}")
            slips.append(f"a factor B^{profile.batch} (B: the batch size)")
    elif profile.batch != 0:
        slips.append(f"each example's value is divided by B^{-profile.batch} (B: the batch size)")
    if profile.other == -1:
        slips.append("divided by the data's size D: the pixel count")
    elif profile.other != 0:
        slips.append(f"a factor D^{profile.other} (D: the data's size)")
    return computes, slips


def _equals(profile: _Profile) -> str:
    if profile.output == "per example":
        return "KL(q || p) per example"
    return "the batch mean of KL(q || p) per example" if profile.batch == -1 else \
        "the batch sum of KL(q || p) per example"


def verify_code(source: str, function: str | None = None, *, q_params: str | None = None, latent_dim: int = -1,
                loss: bool = False, seed: int = 0) -> CodeVerdict:
    """Decide whether the KL term of ``function`` in ``source`` is KL(q || p) per example, its batch mean or its
    batch sum, with q = N(mu, diag sigma^2) the encoder's and p = N(0, I); see the module docstring.

    ``latent_dim`` is the latent axis of the encoder's outputs (-1 or 1: batch x latent; 0 or -2: latent x
    batch). ``loss`` marks the returned value as one objective (reconstruction + KL): then the two terms must be
    reduced alike, and a weight on one term only is named. Invalid input raises a one-line ``UsageError``.
    """
    if latent_dim not in (-1, 0, 1, -2):
        raise UsageError(f"--latent-dim: {latent_dim} is not an axis of a batch x latent tensor (use -1, 1, 0 or -2)")
    latent_axis = 1 if latent_dim in (-1, 1) else 0
    deadline = time.monotonic() + BUDGET
    fn = read_function(source, function, q_params)
    if fn.mean is None or fn.param is None:
        raise UsageError(f"code: could not tell which names of {fn.name} are the encoder's mean and scale parameter:"
                         " name them with --q-params MEAN,PARAM (e.g. mu,logvar)")
    candidates = _candidates(fn)
    named_kind = fn.kind
    reading_kind = named_kind or "logvar"
    points = _points(fn, reading_kind, latent_axis, seed)
    sampling = _sampling(fn, points[0])
    notes: list[str] = []
    if named_kind is None and (sampling is None or (sampling.kind is None and not sampling.positive)):
        raise UsageError(f"code: cannot tell how '{fn.param}' parameterises the scale: give its kind with "
                         f"--q-params {fn.mean},{fn.param}:KIND (KIND: {', '.join(KINDS)})")
    truth_kind = named_kind
    if sampling is not None and sampling.kind is not None:
        truth_kind = sampling.kind
        if named_kind is not None and sampling.kind != named_kind:
            notes.append(f"the name '{fn.param}' suggests {_KIND_WORDS[named_kind]}, but the sampling line reads it "
                         f"as {_KIND_WORDS[sampling.kind]}")
    if sampling is not None and sampling.kind is None and sampling.positive:
        truth_kind = SAMPLED
        if named_kind is not None:
            notes.append(f"the sampling line's standard deviation is none of the usual readings of '{fn.param}' "
                         f"(its name suggests {_KIND_WORDS[named_kind]}): the KL must use the sampling line's")
    assert truth_kind is not None
    if truth_kind != reading_kind and (truth_kind in ("std", "var")) != (reading_kind in ("std", "var")):
        points = _points(fn, truth_kind, latent_axis, seed)
    label, kl, recon = candidates[0]
    verdict = _decide(fn, label, kl, recon, _Context(points, sampling, truth_kind, loss, tuple(notes), deadline))
    others = []
    for label, kl, _ in candidates[1:]:
        other = _decide(fn, label, kl, None, _Context(points, sampling, truth_kind, False, (), deadline))
        known = {slip.what for slip in verdict.slips}
        others.extend(Slip(f"the reported {label}: {slip.what}", slip.lines) for slip in other.slips
                      if slip.what not in known)
    if others:
        return replace(verdict, holds=False, equals=None, slips=verdict.slips + tuple(others))
    return verdict


@dataclass(frozen=True)
class _Context:
    points: list[_Point]
    sampling: _Sampling | None
    truth_kind: str
    loss: bool
    notes: tuple[str, ...]
    deadline: float  # time.monotonic() by which the symbolic decisions of one call must be done


def _decide(fn: LossFunction, label: str, kl: Term, recon: Term | None, context: _Context) -> CodeVerdict:
    """The verdict on one KL term ``kl`` (with its reconstruction ``recon`` when it is part of an objective)."""
    points, sampling, truth_kind, loss = context.points, context.sampling, context.truth_kind, context.loss
    notes = list(context.notes)
    kl_line = _statement_line(fn, kl)
    reduced = sorted({t.line for t in _subterms(kl) if t.op == "reduce"})
    kl_where = tuple((n, fn.line_text(n)) for n in reduced) or ((kl_line,) if kl_line else ())
    try:
        profile = _profile(kl, points, "latent")
    except _Unfit as error:
        return _unfit(fn, label, kl, points[0], _sigma_at(truth_kind, points[0], sampling), str(error), kl_where,
                      tuple(notes))
    computes, reduction_slips = _describe_reduction(profile)
    slips = [Slip(s, kl_where) for s in reduction_slips]
    # the kernel against KL_j in each reading
    point = points[0]
    kernel = np.asarray(_Evaluate(point, kernel=True)(kl), dtype=float)
    readings = (*KINDS, SAMPLED) if truth_kind == SAMPLED else KINDS
    factors = {k: _ratio(kernel, _kl(point.mean, _sigma_at(k, point, sampling))) for k in readings}
    for other in points[1:4]:
        kernel_other = np.asarray(_Evaluate(other, kernel=True)(kl), dtype=float)
        for k in readings:
            if factors[k] is not None:
                r = _ratio(kernel_other, _kl(other.mean, _sigma_at(k, other, sampling)))
                if r is None or abs(r - factors[k]) > 1e-9 * max(1, abs(factors[k])):  # type: ignore[operator]
                    factors[k] = None
    c1 = factors[truth_kind]
    kl_kind = truth_kind if c1 is not None else next((k for k in readings if factors[k] is not None), None)
    weights = _weights(kl, points[0])
    weight_lines = {}
    for name, power in weights.items():
        used = sorted({t.line for t in _subterms(kl) if t.op == "leaf" and t.value == (name, "weight")})
        weight_lines[name] = tuple((n, fn.line_text(n)) for n in used[:1]) or kl_where
        if power is None or power == 0:
            slips.append(Slip(f"the weight {name} is not a factor of the KL term", weight_lines[name]))
    weight_texts = []
    reading = None
    kernel_verdict = None
    if kl_kind is None:  # the per-coordinate term is not the KL in any reading: the verifier names the slip
        kernel_verdict = _kernel_verdict(kl, truth_kind, fn, None, sampling, context.deadline)
        own = _own_slip(kernel, _sigma_at(truth_kind, point, sampling), point, truth_kind)
        what = own or (kernel_verdict.diagnosis if kernel_verdict is not None and kernel_verdict.diagnosis else
                       "the per-coordinate term is not KL(q || p)")
        slips.append(Slip(f"per coordinate: {what}", tuple(_reading_lines(fn, kl, fn.param)) or kl_where))
    else:
        factor = factors[kl_kind]
        assert factor is not None
        total = factor * profile.c0
        by_sampling = sampling is not None and truth_kind in (sampling.kind, SAMPLED)
        if kl_kind != truth_kind:
            why = "the sampling line" if by_sampling else fn.kind_from
            if by_sampling and sampling is not None:
                slips.append(Slip(f"the sampling reads '{fn.param}' as {_KIND_WORDS[truth_kind]} but the KL reads it "
                                  f"as {_KIND_WORDS[kl_kind]}",
                                  (*sampling.lines, *(_reading_lines(fn, kl, fn.param) or kl_where))))
            else:
                slips.append(Slip(f"the KL reads '{fn.param}' as {_KIND_WORDS[kl_kind]}, but {why} makes it "
                                  f"{_KIND_WORDS[truth_kind]}", tuple(_reading_lines(fn, kl, fn.param)) or kl_where))
        reading = f"the KL reads '{fn.param}' as {_KIND_WORDS[kl_kind]}"
        if kl_kind == SAMPLED and sampling is not None:
            reading = (f"the KL uses the standard deviation the sampling line computes from '{fn.param}' (line "
                       f"{sampling.statement.line})")
        if sampling is not None and sampling.kind == kl_kind:
            reading += f"; the sampling line reads it the same way (line {sampling.statement.line})"
        elif sampling is None and kl_kind == truth_kind:
            reading += f", as {fn.kind_from} says"
        constant_slips, weight_texts = _constant(total, kl, fn, weights, weight_lines, kl_where)
        slips.extend(constant_slips)
        if kl_kind == truth_kind:
            kernel_verdict = _kernel_verdict(kl, truth_kind, fn, factor, sampling, context.deadline)
    for name, power in weights.items():
        if power in (1, -1):
            shown = name if power == 1 else f"1/{name}"
            weight_texts.append(f"KL weighted by {shown} ({_line_ref(weight_lines[name])})")
    if loss and recon is not None:
        slips.extend(_objective(fn, recon, kl, profile, weights, points, kl_where))
    elif loss:
        notes.append("--loss: no reconstruction term was found next to the KL term")
    elif recon is not None:
        notes.append(f"{label} also has a reconstruction term (not checked; --loss checks the two together)")
    equals = None if slips else _equals(profile)
    if weight_texts and equals:
        equals += ", weighted (" + ", ".join(w.split(" (")[0].removeprefix("KL weighted by ") for w in weight_texts) \
            + ")"
    numeric = (f"numeric: NumPy on random encoder outputs at {len(SHAPES)} batch x latent shapes "
               f"({', '.join(f'{b}x{d}' for b, d, _ in SHAPES)}), {DRAWS} draws each")
    if slips:
        holds: bool | None = False
        method = numeric
    elif kernel_verdict is not None and kernel_verdict.holds:
        holds, method = True, f"{numeric}; the per-coordinate term symbolically: {kernel_verdict.method}"
    else:
        holds = None
        method = f"{numeric}; no symbolic proof of the per-coordinate term" + (
            f" ({kernel_verdict.method})" if kernel_verdict is not None else " (it uses functions a claim cannot)")
    if holds is False and kernel_verdict is not None and kernel_verdict.holds is False and kl_kind is None:
        method += f"; the per-coordinate term: {kernel_verdict.method}"
    return CodeVerdict(holds, fn.name, label, tuple(computes), equals, method, tuple(weight_texts), tuple(slips),
                       tuple(notes), reading, kernel_verdict, kl_line[0] if kl_line else None)


def _unfit(fn: LossFunction, label: str, kl: Term, point: _Point, sigma: Any, why: str,
           where: tuple[tuple[int, str], ...], notes: tuple[str, ...]) -> CodeVerdict:
    """The verdict on a KL term that is not a constant times a sum of per-coordinate terms: it does not hold if
    its value is none of KL per example, its batch mean and its batch sum at a random point, else undecided."""
    line = where[0][0] if where else None
    try:
        value = np.asarray(_Evaluate(point)(kl), dtype=float)
    except _Unfit as error:
        return CodeVerdict(None, fn.name, label, (), None, f"numeric: the KL term could not be evaluated ({error})",
                           notes=notes, line=line)
    per_example = _kl(point.mean, sigma).sum(axis=point.latent_axis)
    truths = [per_example, per_example.mean(), per_example.sum()]
    squeezed = np.squeeze(value)
    if any(np.shape(squeezed) == np.shape(t) and np.allclose(squeezed, t, rtol=1e-9) for t in truths):
        return CodeVerdict(None, fn.name, label, (), None, f"numeric: the KL term agrees at a random point, but {why}",
                           notes=notes, line=line)
    shown = f"{float(squeezed):.6g}" if squeezed.ndim == 0 else f"an array of shape {tuple(squeezed.shape)}"
    at = (f"at a random batch of {point.B} examples with {point.d} latent coordinates it is {shown}; the batch "
          f"mean of KL(q || p) per example is {float(per_example.mean()):.6g}, the batch sum "
          f"{float(per_example.sum()):.6g}")
    return CodeVerdict(False, fn.name, label, (), None, f"numeric: {at}",
                       slips=(Slip(f"not KL(q || p) summed or averaged: {why}", where),), notes=notes, line=line)


def _line_ref(lines: tuple[tuple[int, str], ...]) -> str:
    return "; ".join(f"line {n}: {text}" for n, text in lines)


def _own_slip(kernel: Any, sigma: Any, point: _Point, kind: str) -> str | None:
    """Slips the verifier has no name for: the std where the variance belongs (``exp(log_std)`` for its square)."""
    with np.errstate(all="ignore"):
        swapped = (sigma + point.mean**2 - 1) / 2 - np.log(sigma)
    if _ratio(kernel, swapped) is not None:
        if kind == "log_std":
            return "exp(log_std) where its square exp(2*log_std) (the variance) is needed"
        return "the standard deviation where the variance (its square) is needed"
    return None


def _constant(total: float, kl: Term, fn: LossFunction, weights: Mapping[str, int | None],
              weight_lines: Mapping[str, tuple[tuple[int, str], ...]], where: tuple[tuple[int, str], ...]
              ) -> tuple[list[Slip], list[str]]:
    """The slips and the weights that the constant ``total`` (value / the right KL, weights at 1) stands for."""
    if abs(total - 1) < 1e-9:
        return [], []
    if abs(total + 1) < 1e-9:
        return [Slip("the sign is flipped: it is -KL", where)], []
    slips: list[Slip] = []
    weight_texts: list[str] = []
    magnitude = abs(total)
    if total < 0:
        slips.append(Slip("the sign is flipped", where))
    for value, text, line in _literal_factors(kl):
        v = float(value)
        if abs(v - magnitude) < 1e-9 * max(1, magnitude) and v > 0:
            if value.numerator == 1 and value.denominator in PIXEL_COUNTS:
                slips.append(Slip(f"divided by {value.denominator}: the pixel count", ((line, fn.line_text(line)),)))
            else:
                weight_texts.append(f"KL weighted by the constant {text} ({_line_ref(((line, fn.line_text(line)),))})")
            return slips, weight_texts
    inverse = 1 / magnitude
    if abs(inverse - round(inverse)) < 1e-9 and round(inverse) in PIXEL_COUNTS:
        slips.append(Slip(f"divided by {round(inverse)}: the pixel count", where))
    elif abs(magnitude - 2) < 1e-9:
        slips.append(Slip("twice the KL: a factor 1/2 is missing", where))
    elif abs(magnitude - 0.5) < 1e-9:
        slips.append(Slip("half the KL: an extra factor 1/2", where))
    else:
        slips.append(Slip(f"a constant factor: {_nice(magnitude)} times the KL", where))
    return slips, weight_texts


def _objective(fn: LossFunction, recon: Term, kl: Term, profile: _Profile, kl_weights: Mapping[str, int | None],
               points: list[_Point], kl_where: tuple[tuple[int, str], ...]) -> list[Slip]:
    """With --loss: the reconstruction and the KL must be reduced alike, and a weight on one term only named."""
    recon_where = (_statement_line(fn, recon),) if _statement_line(fn, recon) else ()
    slips = []
    try:
        r = _profile(recon, points, "data")
    except _Unfit as error:
        return [Slip(f"the reconstruction term: {error}", recon_where)]
    if r.own == -1:
        slips.append(Slip("the reconstruction is a mean over the data's D entries (pixels) while the KL is a sum "
                          "over the latent axis: relative to the ELBO the KL is weighted by D", recon_where))
    same_output = r.output == profile.output or {r.output, profile.output} == {"scalar"}
    if not same_output or r.batch != profile.batch:
        def batch(p: _Profile) -> str:
            return "per example" if p.output != "scalar" else "a batch mean" if p.batch == -1 else "a batch sum"
        slips.append(Slip(f"the reconstruction is {batch(r)} but the KL is {batch(profile)}",
                          (*recon_where, *kl_where)))
    recon_weights = _weights(recon, points[0])
    for name, power in recon_weights.items():
        if power in (1, -1) and kl_weights.get(name) != power:
            slips.append(Slip(f"the reconstruction is weighted by {name} and the KL is not",
                              ((recon.line, fn.line_text(recon.line)),)))
    for name, power in kl_weights.items():
        if power in (1, -1) and recon_weights.get(name) != power and _MINIBATCH.search(name):
            slips.append(Slip(f"the minibatch weight {name} (M/N) multiplies the KL only: the ELBO's minibatch "
                              "estimate scales both terms by the same factor", ((kl.line, fn.line_text(kl.line)),)))
    return slips


__all__ = ["CodeVerdict", "Slip", "verify_code"]
