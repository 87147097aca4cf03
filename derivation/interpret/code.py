"""Whitelist reader of a whole loss function (Python, PyTorch, NumPy, JAX, Keras), for ``verify --code``.

The file is parsed with :func:`ast.parse` and never executed; nothing is imported or evaluated. One function is
read statement by statement: assignments (also tuple unpacking and ``+=``-style updates), a docstring, ``pass``
and ``return`` (a value, a tuple, or a dict with string keys). Every assignment is substituted symbolically, so
each returned value becomes one :class:`Term` tree over the function's *leaves*: the encoder outputs (a mean and
a scale parameter), data tensors (inputs, network outputs), noise (``torch.randn_like``), weights (``beta``,
``self.kld_weight``, ``kwargs['M_N']``) and sizes (``x.size(0)``, ``mu.shape[1]``, ``len(x)``).

The whitelist (anything else is refused with one line naming the line and column):

* arithmetic ``+ - * / **``, unary signs, int and float literals (read exactly from their decimal text);
* elementwise functions ``exp log sqrt square abs softplus log1p expm1 sigmoid logsigmoid lgamma digamma pow
  power xlogy`` (and ``gammaln psi expit log_sigmoid``) under the module
  prefixes of :data:`MODULES` (``torch.``, ``np.``, ``jnp.``, ``F.``, ``K.``, ``tf.``, ``tf.math.``, ...), and the
  tensor methods ``.exp() .log() .pow(n) .sqrt() .square() .abs() .log1p() .expm1() .sigmoid()``;
* reductions ``sum mean logsumexp`` (also ``reduce_sum``/``reduce_mean``/``reduce_logsumexp``), as functions or
  methods, with an axis (``dim=``/``axis=``, an int or a tuple of ints, positional too) and ``keepdim(s)=``;
* the losses ``mse_loss``, ``binary_cross_entropy(_with_logits)`` (``reduction=`` / legacy ``size_average=``)
  and Keras' ``binary_crossentropy``/``mse`` (a mean over the last axis); ``kl_div(input, target)`` (the input a
  log-probability; ``reduction='batchmean'`` too), and ``softmax``/``log_softmax`` over the last axis;
* noise: ``randn``, ``randn_like``, ``normal``, ``random_normal``, ``standard_normal`` (its arguments are
  only checked to be inert, never read);
* sizes: ``x.size(i)``, ``x.shape[i]``, ``len(x)``, ``x.numel()``; shape-only methods that keep the values
  (``view reshape flatten contiguous float double detach clone squeeze``);
* calls of the model's own networks, ``self.encode(x)``, ``model.decoder(z)``: opaque outputs (a tuple target
  ``mu, logvar = self.encode(x)`` names each one), as are ``torch.chunk``/``split`` unpacked into names.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import NoReturn

from ..core.errors import ParseError
from .parse import dotted_name

#: Largest source file read, in characters.
MAX_SOURCE = 200_000
#: Largest number of nodes a substituted return value may have (a runaway substitution is refused).
MAX_NODES = 20_000
#: Deepest accepted nesting of an expression.
MAX_DEPTH = 100

#: Module prefixes whose functions are read (``torch.exp`` is ``exp``).
MODULES = frozenset({
    "torch", "np", "numpy", "jnp", "jax.numpy", "jax.nn", "jax.scipy.special", "scipy.special", "F",
    "torch.nn.functional", "nn.functional", "math", "K", "keras.backend", "keras.ops", "ops", "tf", "tf.math",
    "tf.nn", "optax", "torch.special", "special",
})
ELEMENTWISE = frozenset({"exp", "log", "sqrt", "square", "abs", "softplus", "log1p", "expm1", "sigmoid", "logsigmoid",
                         "lgamma", "digamma"})
#: Other libraries' names of elementwise functions (``scipy.special.gammaln`` is ``lgamma``).
ALIASES = {"gammaln": "lgamma", "psi": "digamma", "expit": "sigmoid", "log_sigmoid": "logsigmoid",
           "log_expit": "logsigmoid", "loggamma": "lgamma"}
BINARY = frozenset({"pow", "power"})
#: Functions of a whole vector over its last axis (a categorical law's logits), a Term of their own (value: axis).
VECTOR_FUNCTIONS = frozenset({"softmax", "log_softmax"})
#: Functions read when called without a module (``abs``, ``pow``, ``sum`` and the special functions imported by name).
BARE = frozenset({"abs", "pow", "sum", "gammaln", "lgamma", "digamma", "xlogy", "expit", "sigmoid", "softplus",
                  "logsigmoid", "log_sigmoid", "log_expit"})
#: ``xlogy(x, y) = x log(y)`` (0 where x = 0), a Term of its own.
XLOGY = "xlogy"
REDUCTIONS = {"sum": "sum", "mean": "mean", "logsumexp": "logsumexp", "reduce_sum": "sum", "reduce_mean": "mean",
              "reduce_logsumexp": "logsumexp"}
LOSSES = {"mse_loss": "mse", "binary_cross_entropy": "bce", "binary_cross_entropy_with_logits": "bce_logits",
          "binary_crossentropy": "keras_bce", "mse": "keras_mse", "mean_squared_error": "keras_mse",
          "sigmoid_binary_cross_entropy": "bce_logits", "l2_loss": "mse", "squared_error": "mse",
          "kl_div": "kl_div"}
#: Modules whose losses are Keras' (a mean over the last axis, no ``reduction=``).
KERAS_LOSS_MODULES = frozenset({"metrics", "losses", "keras.losses", "keras.metrics", "tf.keras.losses",
                                "tf.keras.metrics", "objectives"})
NOISE = frozenset({"randn", "randn_like", "normal", "random_normal", "standard_normal", "normal_like"})
NOISE_MODULES = frozenset({"torch", "np.random", "numpy.random", "jax.random", "random", "tf.random", "K",
                           "keras.backend", "keras.random", "jnp.random"})
SHAPE_METHODS = frozenset({"view", "reshape", "flatten", "contiguous", "float", "double", "detach", "clone",
                           "squeeze", "view_as", "reshape_as", "type_as", "to"})
SPLITS = frozenset({"chunk", "split", "unbind"})
#: Names of the objects whose methods are the model's own networks (their outputs are opaque).
MODEL_NAMES = re.compile(r"^(self|model|vae|net|encoder|decoder|encode|decode|enc|dec)$")

KINDS = ("logvar", "log_std", "std", "var")

_MEAN = re.compile(r"^((z|q|qz|enc|post)_?)?(mu|mean|means|loc|m)(_?(z|q|qz|enc|post))?$")
_LOGVAR = re.compile(r"(log_?var|logvariance|log_?sigma_?(2|sq|squared)|^lv$|log_?s2)")
_LOGSTD = re.compile(r"(log_?(std|sigma|scale|sd)|^ls$)")
_STD = re.compile(r"^((z|q|qz|enc|post)_?)?(std|sigma|scale|sd|stddev)(_?(z|q|qz|enc|post))?$")
_VAR = re.compile(r"^((z|q|qz|enc|post)_?)?(var|variance|sigma_?(2|sq|squared))(_?(z|q|qz|enc|post))?$")
_NOISE = re.compile(r"^(eps|epsilon|noise|e|eps_?z|z_?eps)$")
_WEIGHT = re.compile(r"(beta|weight|coef|coeff|anneal|kl_?scale|^lam|lambda|^alpha|^gamma|m_?n$|^w$|^c$)")
_BATCH = re.compile(r"^(batch_?size|bs|n_?batch|num_?batch|minibatch_?size|b)$")
_LATENT = re.compile(r"^(latent_?dim|z_?dim|n_?latent|d_?latent|latent_?size|dim_?z)$")
_PIXELS = re.compile(r"^(original_?dim|input_?dim|x_?dim|data_?dim|n_?pixels|num_?pixels|input_?size)$")


def kind_of(name: str) -> str | None:
    """The scale parameterisation a name suggests (``logvar``, ``log_std``, ``std``, ``var``), or None."""
    low = name.lower()
    if _LOGVAR.search(low):
        return "logvar"
    if _LOGSTD.search(low):
        return "log_std"
    if _VAR.match(low):
        return "var"
    if _STD.match(low):
        return "std"
    return None


def is_mean_name(name: str) -> bool:
    return bool(_MEAN.match(name.lower()))


@dataclass(frozen=True)
class Term:
    """A node of a substituted expression: ``op`` and its ``args`` (Terms), ``value`` (op-specific data) and the
    source line it comes from.

    ops: ``leaf`` (value: (name, role)), ``num`` (value: (Fraction, text)), ``pi``, ``size`` (value: (leaf
    name, role, axis) with axis an int or ``"all"``), ``add``, ``mul``, ``div``, ``pow``, ``neg``, an elementwise
    function name, ``reduce`` (value: (kind, axis, keepdim); axis None, an int or a tuple), ``loss`` (value:
    (kind, reduction)).
    """

    op: str
    args: tuple[Term, ...] = ()
    value: object = None
    line: int = 0

    def leaves(self) -> set[tuple[str, str]]:
        found: set[tuple[str, str]] = set()
        stack = [self]
        while stack:
            t = stack.pop()
            if t.op == "leaf":
                found.add(t.value)  # type: ignore[arg-type]
            stack.extend(t.args)
        return found

    def roles(self) -> set[str]:
        return {role for _, role in self.leaves()}

    def lines(self) -> set[int]:
        found: set[int] = set()
        stack = [self]
        while stack:
            t = stack.pop()
            found.add(t.line)
            stack.extend(t.args)
        return found


@dataclass(frozen=True)
class Statement:
    """An assignment of the function: its line, its source text, the names it binds and what it reads."""

    line: int
    text: str
    targets: tuple[str, ...]
    reads: frozenset[str]
    value: Term | None = None


@dataclass(frozen=True)
class LossFunction:
    """A function read by :func:`read_function`: its name, what it returns (label, Term) and its statements."""

    name: str
    returns: tuple[tuple[str, Term], ...]
    statements: tuple[Statement, ...]
    mean: str | None
    param: str | None
    kind: str | None
    kind_from: str
    source_lines: tuple[str, ...] = field(default=(), repr=False)

    def line_text(self, line: int) -> str:
        return self.source_lines[line - 1].strip() if 0 < line <= len(self.source_lines) else ""


class _Refused(Exception):
    pass


def _refuse(node: ast.AST, message: str) -> NoReturn:
    line, col = getattr(node, "lineno", None), getattr(node, "col_offset", None)
    where = f"line {line}, column {col + 1}: " if line is not None and col is not None else ""
    raise ParseError(f"code: {where}{message}")


def _int(node: ast.AST) -> int | None:
    negative = isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) is int and abs(node.value) < 1000:
        return -node.value if negative else node.value
    return None


def _axis(node: ast.AST) -> int | tuple[int, ...]:
    single = _int(node)
    if single is not None:
        return single
    if isinstance(node, (ast.Tuple, ast.List)) and node.elts and len(node.elts) <= 8:
        axes = [_int(e) for e in node.elts]
        if all(a is not None for a in axes):
            return tuple(a for a in axes if a is not None)
    _refuse(node, "an axis must be an integer or a tuple of integers")


def _exact(text: str, node: ast.AST) -> Fraction:
    try:
        value = Decimal(text.replace("_", ""))
    except InvalidOperation:
        _refuse(node, f"invalid number {text!r}")
    if not value.is_finite() or (value != 0 and abs(value.adjusted()) > 100):
        _refuse(node, f"number {text!r} out of range")
    return Fraction(value)


#: Nodes allowed inside arguments that are only checked, never read (noise shapes, PRNG keys).
_INERT = (ast.Name, ast.Attribute, ast.Constant, ast.Tuple, ast.List, ast.Subscript, ast.Slice, ast.BinOp,
          ast.UnaryOp, ast.Call, ast.keyword, ast.Starred, ast.Load, ast.operator, ast.unaryop, ast.expr_context)


class _Reader:
    """Reads one function's body into Terms (symbolic substitution of its assignments)."""

    def __init__(self, function: ast.FunctionDef, lines: list[str], q_params: tuple[str, str, str | None] | None,
                 given: frozenset[str] = frozenset()):
        self.function = function
        self.given = given
        self.lines = lines
        self.env: dict[str, Term | tuple[Term, ...]] = {}
        self.params = [a.arg for a in (*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs)]
        self.kwargs = function.args.kwarg.arg if function.args.kwarg else None
        self.q_params = q_params
        self.statements: list[Statement] = []
        self.line = function.lineno

    # -- leaves
    def role(self, name: str) -> str:
        if name in self.given:
            return "given"
        if self.q_params is not None:
            mean, param, _ = self.q_params
            if name == mean:
                return "mean"
            if name == param:
                return "param"
        low = name.lower()
        if self.q_params is None:
            if is_mean_name(low):
                return "mean"
            if kind_of(low) is not None and not low.startswith(("x", "recon", "dec", "px", "p_")):
                return "param"
        if _NOISE.match(low):
            return "noise"
        if _BATCH.match(low) or _LATENT.match(low) or _PIXELS.match(low):
            return "size"
        if _WEIGHT.search(low):
            return "weight"
        return "data"

    def leaf(self, name: str, node: ast.AST) -> Term:
        role = self.role(name)
        if role == "size":
            low = name.lower()
            axis = "batch" if _BATCH.match(low) else "latent" if _LATENT.match(low) else "data"
            return Term("size", value=(name, axis, None), line=self.line)
        return Term("leaf", value=(name, role), line=self.line)

    # -- statements
    def read(self) -> tuple[tuple[str, Term], ...]:
        body = list(self.function.body)
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            body = body[1:]
        returned: tuple[tuple[str, Term], ...] | None = None
        for statement in body:
            self.line = statement.lineno
            if returned is not None:
                _refuse(statement, "a statement after return")
            if isinstance(statement, ast.Pass):
                continue
            if isinstance(statement, ast.Assign):
                value = self.value(statement.value)
                for target in statement.targets:
                    self.bind(target, value, statement)
            elif isinstance(statement, ast.AnnAssign):
                if statement.value is None:
                    continue
                self.bind(statement.target, self.value(statement.value), statement)
            elif isinstance(statement, ast.AugAssign):
                if not isinstance(statement.target, ast.Name):
                    _refuse(statement.target, "only a name may be updated (x += ...)")
                op = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div"}.get(type(statement.op))
                if op is None:
                    _refuse(statement, "only += -= *= /= updates are allowed")
                old = self.name(statement.target.id, statement.target)
                new = self.expr(statement.value, 0)
                self.bind(statement.target, self.binary(op, old, new), statement)
            elif isinstance(statement, ast.Return):
                if statement.value is None:
                    _refuse(statement, "the function returns nothing")
                returned = self.returned(statement.value)
            elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) \
                    and isinstance(statement.value.value, str):
                continue
            else:
                _refuse(statement, f"{_STATEMENTS.get(type(statement), type(statement).__name__)} is not allowed "
                        "(only assignments and return)")
        if returned is None:
            _refuse(self.function, f"function '{self.function.name}' has no return")
        return returned

    def returned(self, node: ast.expr) -> tuple[tuple[str, Term], ...]:
        if isinstance(node, ast.Tuple):
            return tuple((f"return value {i + 1}", self.single(self.expr(e, 0), e)) for i, e in enumerate(node.elts))
        if isinstance(node, ast.Dict):
            items = []
            for key, value in zip(node.keys, node.values, strict=True):
                if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                    _refuse(node, "a returned dict needs string keys")
                items.append((f"'{key.value}'", self.single(self.expr(value, 0), value)))
            return tuple(items)
        value = self.value(node)
        if isinstance(value, tuple):
            return tuple((f"return value {i + 1}", v) for i, v in enumerate(value))
        return (("return value", value),)

    def single(self, value: Term | tuple[Term, ...], node: ast.AST) -> Term:
        if isinstance(value, tuple):
            _refuse(node, "a tuple inside a tuple")
        return value

    def value(self, node: ast.expr) -> Term | tuple[Term, ...]:
        """An assigned value: a tuple of values, an unpacked split or network call, or one expression."""
        if isinstance(node, ast.Tuple):
            return tuple(self.single(self.expr(e, 0), e) for e in node.elts)
        return self.expr(node, 0)

    def bind(self, target: ast.expr, value: Term | tuple[Term, ...], statement: ast.stmt) -> None:
        text = self.lines[statement.lineno - 1].strip() if statement.lineno <= len(self.lines) else ""
        if isinstance(target, ast.Name):
            if isinstance(value, tuple):
                self.env[target.id] = value
            else:
                self.env[target.id] = value
            names: tuple[str, ...] = (target.id,)
        elif isinstance(target, (ast.Tuple, ast.List)):
            names = tuple(self.target_name(t) for t in target.elts)
            if isinstance(value, Term) and value.op == "opaque":  # mu, logvar = self.encode(x) / h.chunk(2, -1)
                for name in names:
                    self.env[name] = self.leaf(name, target)
            elif isinstance(value, tuple) and len(value) == len(names):
                for name, v in zip(names, value, strict=True):
                    self.env[name] = v
            else:
                _refuse(target, f"cannot unpack into {len(names)} names")
        else:
            _refuse(target, "only names may be assigned (not attributes or subscripts)")
        reads = frozenset(n.id for n in ast.walk(statement) if isinstance(n, ast.Name)) - set(names)
        first = value if isinstance(value, Term) else None
        self.statements.append(Statement(statement.lineno, text, names, reads, first))

    @staticmethod
    def target_name(node: ast.expr) -> str:
        if not isinstance(node, ast.Name):
            _refuse(node, "only names may be assigned (not attributes or subscripts)")
        return node.id

    # -- expressions
    def name(self, name: str, node: ast.AST) -> Term:
        if name in self.env:
            value = self.env[name]
            if isinstance(value, tuple):
                _refuse(node, f"'{name}' is a tuple; unpack it")
            return value
        if name in ("True", "False", "None"):
            _refuse(node, f"the constant {name} is not allowed")
        return self.leaf(name, node)

    def expr(self, node: ast.AST, depth: int) -> Term:
        if depth > MAX_DEPTH:
            _refuse(node, f"expression nested too deeply (more than {MAX_DEPTH} levels)")
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node.id, node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return Term("neg", (self.expr(node.operand, depth + 1),), line=self.line)
            if isinstance(node.op, ast.UAdd):
                return self.expr(node.operand, depth + 1)
            _refuse(node, "operator 'not'/'~' is not allowed")
        if isinstance(node, ast.BinOp):
            op = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}.get(type(node.op))
            if op is None:
                shown = {ast.MatMult: "@ (matrix products: full covariance is not supported)", ast.Mod: "%",
                         ast.FloorDiv: "//", ast.BitXor: "^ (use ** for powers)"}.get(type(node.op), "this operator")
                _refuse(node, f"operator {shown} is not allowed")
            return self.binary(op, self.expr(node.left, depth + 1), self.expr(node.right, depth + 1))
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.Attribute):
            return self.attribute(node)
        if isinstance(node, ast.Subscript):
            return self.subscript(node)
        _refuse(node, _REFUSED.get(type(node), f"{type(node).__name__} is not allowed"))

    def binary(self, op: str, left: Term, right: Term) -> Term:
        if op == "sub":
            return Term("add", (left, Term("neg", (right,), line=self.line)), line=self.line)
        return Term(op, (left, right), line=self.line)

    def constant(self, node: ast.Constant) -> Term:
        value = node.value
        if type(value) is int:
            if abs(value) >= 10**30:
                _refuse(node, "integer literal too long")
            return Term("num", value=(Fraction(value), str(value)), line=self.line)
        if type(value) is float:
            text = ast.get_source_segment("\n".join(self.lines), node) or repr(value)
            return Term("num", value=(_exact(text, node), text), line=self.line)
        _refuse(node, f"the constant {value!r} is not allowed")

    def attribute(self, node: ast.Attribute) -> Term:
        if node.attr.startswith("_"):
            _refuse(node, f"attribute '{node.attr}' is not allowed")
        dotted = dotted_name(node)
        if dotted is not None:
            head, _, attr = dotted.rpartition(".")
            if head in MODULES and attr in ("pi", "e"):
                return Term("pi") if attr == "pi" else Term("exp", (Term("num", value=(Fraction(1), "1")),))
            if head.split(".")[0] in ("self", "cfg", "config", "args", "hparams", "params", "opt", "hp"):
                return self.leaf(attr, node)  # self.beta, self.latent_dim, args.beta
        _refuse(node, f"attribute '{node.attr}' is not allowed here")

    def subscript(self, node: ast.Subscript) -> Term:
        base, key = node.value, node.slice
        holder = (isinstance(base, ast.Name) and base.id not in self.env) or (isinstance(base, ast.Attribute) and (
            dotted_name(base) or "").startswith(("self", "cfg", "config", "args", "hparams", "params")))
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and holder:  # kwargs['M_N'], self.p['beta']
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,60}", key.value):
                _refuse(key, "a key must be a plain name")
            return self.leaf(key.value, node)
        if isinstance(base, ast.Attribute) and base.attr == "shape":  # x.shape[0]
            axis = _int(key)
            if axis is None:
                _refuse(key, "a shape index must be an integer")
            return self.size(base.value, axis, node)
        _refuse(node, "subscripts (x[...]) are not allowed, except x.shape[i] and kwargs['name']")

    def size(self, of: ast.AST, axis: int | str, node: ast.AST) -> Term:
        roles = self.expr(of, 1).roles()  # the size of an axis of a batch x latent or a batch x data tensor
        role = "latent" if roles & {"mean", "param", "noise"} else "data"
        return Term("size", value=(None, role, axis), line=self.line)

    def inert(self, nodes: list[ast.AST]) -> None:
        for arg in nodes:
            for inner in ast.walk(arg):
                if not isinstance(inner, _INERT):
                    _refuse(inner, f"{type(inner).__name__} is not allowed in an argument")
                if isinstance(inner, ast.Attribute) and inner.attr.startswith("_"):
                    _refuse(inner, f"attribute '{inner.attr}' is not allowed")

    def call(self, node: ast.Call, depth: int) -> Term:
        func = node.func
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                _refuse(arg, "starred arguments are not allowed")
        for kw in node.keywords:
            if kw.arg is None:
                _refuse(kw.value, "**keyword arguments are not allowed")
        if isinstance(func, ast.Name):
            name, prefix, receiver = func.id, "", None
            if name == "len":
                if len(node.args) != 1 or node.keywords:
                    _refuse(node, "len() takes one argument")
                return self.size(node.args[0], 0, node)
            if name in BARE and name not in self.env:  # builtins, and ``from scipy.special import gammaln``
                prefix = "torch"
            elif MODEL_NAMES.match(name):
                self.inert(list(node.args) + [k.value for k in node.keywords])
                return Term("opaque", line=self.line)
            else:
                _refuse(node, f"unknown function '{name}'")
        elif isinstance(func, ast.Attribute):
            name = func.attr
            if name.startswith("_"):
                _refuse(func, f"attribute '{name}' is not allowed")
            dotted = dotted_name(func.value)
            if dotted is not None and (dotted in MODULES or dotted in NOISE_MODULES or dotted in KERAS_LOSS_MODULES
                                       or dotted.split(".")[0] in ("torch", "np", "numpy", "jax", "tf", "keras")):
                prefix, receiver = dotted, None
            elif dotted is not None and MODEL_NAMES.match(dotted.split(".")[0]) and (
                    dotted.split(".")[0] not in self.env):
                self.inert(list(node.args) + [k.value for k in node.keywords])
                return Term("opaque", line=self.line)  # self.encode(x), model.decoder(z)
            else:
                prefix, receiver = "", func.value
        else:
            _refuse(node, "only named functions can be called")
        return self.apply(name, prefix, receiver, node, depth)

    def apply(self, name: str, prefix: str, receiver: ast.AST | None, node: ast.Call, depth: int) -> Term:
        args = ([receiver] if receiver is not None else []) + list(node.args)
        if prefix in MODULES:
            name = ALIASES.get(name, name)
        keywords = {kw.arg: kw.value for kw in node.keywords}
        shown = f".{name}()" if receiver is not None else f"{prefix + '.' if prefix else ''}{name}()"
        if name in NOISE and (receiver is None and (prefix in NOISE_MODULES or prefix.endswith("random"))):
            self.inert(list(node.args) + list(keywords.values()))
            return Term("leaf", value=(f"{shown}", "noise"), line=self.line)
        if name in REDUCTIONS and (receiver is not None or prefix in MODULES):
            return self.reduction(REDUCTIONS[name], args, keywords, node, depth, shown)
        if name in LOSSES and (prefix in MODULES or prefix in KERAS_LOSS_MODULES) and receiver is None:
            return self.loss(name, prefix, args, keywords, node, depth)
        if name in SPLITS and (receiver is not None or prefix in MODULES):
            self.expr(args[0], depth + 1)
            self.inert(args[1:] + list(keywords.values()))
            return Term("opaque", line=self.line)
        if receiver is not None and name in ("size", "numel", "nelement", "dim"):
            if name == "dim":
                _refuse(node, ".dim() is not allowed")
            if name in ("numel", "nelement"):
                return self.size(receiver, "all", node)
            axis_node = node.args[0] if node.args else keywords.get("dim")
            if axis_node is None:
                _refuse(node, ".size() needs an axis here")
            axis = _int(axis_node)
            if axis is None:
                _refuse(axis_node, "the axis of .size() must be an integer")
            return self.size(receiver, axis, node)
        if receiver is not None and name in SHAPE_METHODS:
            self.inert(list(node.args) + list(keywords.values()))
            return self.expr(receiver, depth + 1)
        if name in ELEMENTWISE and (receiver is not None or prefix in MODULES):
            if keywords and not (name == "softplus" and set(keywords) <= {"beta"}):
                _refuse(node, f"keyword arguments of {shown} are not allowed")
            if len(args) != 1:
                _refuse(node, f"{shown} takes one argument")
            return Term(name, (self.expr(args[0], depth + 1),), line=self.line)
        if name in VECTOR_FUNCTIONS and (receiver is not None or prefix in MODULES):
            axis_nodes = args[1:] + [v for k, v in keywords.items() if k in ("dim", "axis")]
            if set(keywords) - {"dim", "axis"} or len(axis_nodes) > 1 or len(args) < 1:
                _refuse(node, f"{shown} takes a tensor and its axis (dim=-1)")
            axis = _int(axis_nodes[0]) if axis_nodes else -1
            if axis is None:
                _refuse(axis_nodes[0], f"the axis of {shown} must be an integer")
            return Term(name, (self.expr(args[0], depth + 1),), value=axis, line=self.line)
        if name == XLOGY and (receiver is not None or prefix in MODULES):
            if keywords or len(args) != 2:
                _refuse(node, f"{shown} takes two tensors")
            return Term(XLOGY, (self.expr(args[0], depth + 1), self.expr(args[1], depth + 1)), line=self.line)
        if name in BINARY and (receiver is not None or prefix in MODULES):
            if keywords or len(args) != 2:
                _refuse(node, f"{shown} takes a tensor and an exponent")
            return Term("pow", (self.expr(args[0], depth + 1), self.expr(args[1], depth + 1)), line=self.line)
        if receiver is not None:
            _refuse(node.func, f"unknown method '.{name}()'")
        _refuse(node, f"unknown function '{prefix + '.' if prefix else ''}{name}'")

    def reduction(self, kind: str, args: list[ast.AST], keywords: Mapping[str, ast.AST], node: ast.Call,
                  depth: int, shown: str) -> Term:
        if not args:
            _refuse(node, f"{shown} needs a tensor")
        if len(args) > 2:
            _refuse(node, f"{shown} takes a tensor and at most one axis")
        unknown = set(keywords) - {"dim", "axis", "keepdim", "keepdims"}
        if unknown:
            _refuse(keywords[sorted(unknown)[0]], f"keyword '{sorted(unknown)[0]}=' of {shown} is not allowed")
        axis_node = args[1] if len(args) == 2 else keywords.get("dim", keywords.get("axis"))
        axis = None if axis_node is None or (isinstance(axis_node, ast.Constant) and axis_node.value is None) \
            else _axis(axis_node)
        keep_node = keywords.get("keepdim", keywords.get("keepdims"))
        keep = False
        if keep_node is not None:
            if not (isinstance(keep_node, ast.Constant) and isinstance(keep_node.value, bool)):
                _refuse(keep_node, "keepdim= must be True or False")
            keep = keep_node.value
        return Term("reduce", (self.expr(args[0], depth + 1),), value=(kind, axis, keep), line=self.line)

    def loss(self, name: str, prefix: str, args: list[ast.AST], keywords: Mapping[str, ast.AST], node: ast.Call,
             depth: int) -> Term:
        kind = LOSSES[name]
        if prefix == "optax":  # optax's losses are elementwise, (prediction, target)
            reduction = "none"
        elif prefix in KERAS_LOSS_MODULES or kind.startswith("keras"):
            kind = "keras_bce" if "bce" in kind or "crossentropy" in name else "keras_mse"
            reduction = "keras"
        else:
            reduction = "mean"
        if len(args) != 2:
            _refuse(node, f"{name}() takes the prediction and the target")
        for key, value in keywords.items():
            if key == "reduction" and isinstance(value, ast.Constant) and value.value in ("sum", "mean", "none") + (
                    ("batchmean",) if kind == "kl_div" else ()):
                reduction = value.value
            elif key == "size_average" and isinstance(value, ast.Constant) and isinstance(value.value, bool):
                reduction = "mean" if value.value else "sum"
            elif key == "reduce" and isinstance(value, ast.Constant) and value.value is False:
                reduction = "none"
            else:
                _refuse(value, f"keyword '{key}=' of {name}() is not allowed (reduction='sum'|'mean'|'none')")
        operands = tuple(self.expr(a, depth + 1) for a in args)
        if kind == "bce" and name == "binary_crossentropy" and prefix in MODULES:
            kind = "keras_bce_elementwise"  # K.binary_crossentropy(target, output): elementwise, no reduction
            operands = operands[::-1]
        if kind.startswith("keras_") and kind != "keras_bce_elementwise":
            operands = operands[::-1]  # Keras: loss(y_true, y_pred)
        return Term("loss", operands, value=(kind, reduction), line=self.line)


_STATEMENTS = {ast.If: "if", ast.For: "for", ast.While: "while", ast.With: "with", ast.Import: "import",
               ast.ImportFrom: "import", ast.Try: "try", ast.FunctionDef: "a nested function", ast.Raise: "raise",
               ast.Expr: "an expression statement (a call whose result is dropped)", ast.Assert: "assert",
               ast.Delete: "del", ast.Global: "global", ast.Nonlocal: "nonlocal", ast.ClassDef: "a class"}
_REFUSED = {ast.Lambda: "lambda is not allowed", ast.ListComp: "comprehensions are not allowed",
            ast.GeneratorExp: "comprehensions are not allowed", ast.IfExp: "conditional expressions are not allowed",
            ast.Compare: "comparisons are not allowed", ast.BoolOp: "and/or are not allowed",
            ast.NamedExpr: "assignment expressions are not allowed", ast.JoinedStr: "f-strings are not allowed",
            ast.Tuple: "a tuple is not allowed here", ast.List: "lists are not allowed", ast.Dict: "dicts are "
            "not allowed here", ast.Await: "await is not allowed", ast.Yield: "yield is not allowed"}


def _functions(tree: ast.Module) -> list[tuple[str, ast.FunctionDef]]:
    found: list[tuple[str, ast.FunctionDef]] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            found.append((node.name, node))
        elif isinstance(node, ast.ClassDef):
            found.extend((f"{node.name}.{item.name}", item) for item in node.body if isinstance(item, ast.FunctionDef))
    return found


_LOSS_NAMES = re.compile(r"(loss|kl|kld|elbo|objective|forward|criterion)", re.IGNORECASE)


def _choose(functions: list[tuple[str, ast.FunctionDef]], wanted: str | None) -> ast.FunctionDef:
    if wanted is not None:
        matches = [f for name, f in functions if name == wanted or name.rsplit(".", 1)[-1] == wanted]
        if not matches:
            raise ParseError(f"code: no function '{wanted}' (found: {', '.join(n for n, _ in functions) or 'none'})")
        if len(matches) > 1:
            raise ParseError(f"code: several functions are called '{wanted}': name one as Class.method")
        return matches[0]
    if len(functions) == 1:
        return functions[0][1]
    likely = [(n, f) for n, f in functions if _LOSS_NAMES.search(n.rsplit(".", 1)[-1])]
    if len(likely) == 1:
        return likely[0][1]
    shown = ", ".join(n for n, _ in functions) or "none"
    raise ParseError(f"code: name the function as FILE:FUNCTION (found: {shown})")


def read_function(source: str, function: str | None = None, q_params: str | None = None,
                  given: frozenset[str] | None = None) -> LossFunction:
    """Read ``function`` (a name, ``Class.method``, or None for the file's only or only loss-like function) of
    the Python ``source`` into a :class:`LossFunction`; never executes anything.

    ``q_params`` is ``"MEAN,PARAM"`` or ``"MEAN,PARAM:KIND"`` (KIND one of :data:`KINDS`), naming the encoder's
    outputs when their names do not say it. ``given`` names a pair's parameters instead (``verify --code`` of
    another family's KL): leaves of role ``given``, and no encoder outputs are looked for. Every refusal is a
    :class:`ParseError` of one line.
    """
    if not isinstance(source, str):
        raise ParseError("code: expected text")
    if len(source) > MAX_SOURCE:
        raise ParseError(f"code: the file is too long ({len(source)} characters; the limit is {MAX_SOURCE})")
    if "\x00" in source:
        raise ParseError("code: null byte in the file")
    wanted_params = _q_params(q_params)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source, mode="exec")
    except SyntaxError as error:
        where = f"line {error.lineno}, column {error.offset}: " if error.lineno and error.offset else ""
        raise ParseError(f"code: {where}invalid syntax: {(error.msg or '').splitlines()[0]}") from None
    except (ValueError, RecursionError, MemoryError) as error:
        raise ParseError(f"code: could not parse the file ({type(error).__name__})") from None
    lines = source.splitlines()
    chosen = _choose(_functions(tree), function)
    reader = _Reader(chosen, lines, wanted_params, given or frozenset())
    try:
        returns = reader.read()
    except RecursionError:
        raise ParseError("code: expression nested too deeply") from None
    for _, term in returns:
        if _count(term) > MAX_NODES:
            raise ParseError("code: a returned expression is too large")
    if given is not None:
        return LossFunction(chosen.name, returns, tuple(reader.statements), None, None, None, "", tuple(lines))
    mean, param, kind, kind_from = _encoder(returns, wanted_params)
    return LossFunction(chosen.name, returns, tuple(reader.statements), mean, param, kind, kind_from, tuple(lines))


def _count(term: Term) -> int:
    seen, stack, n = set(), [term], 0
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        n += 1
        if n > MAX_NODES:
            return n
        stack.extend(t.args)
    return n


def _q_params(text: str | None) -> tuple[str, str, str | None] | None:
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or not all(parts):
        raise ParseError("--q-params: give MEAN,PARAM (e.g. mu,logvar or m,s:log_std)")
    mean, param = parts
    kind = None
    if ":" in param:
        param, kind = (x.strip() for x in param.split(":", 1))
        if kind not in KINDS:
            raise ParseError(f"--q-params: unknown kind '{kind}' (one of {', '.join(KINDS)})")
    for name in (mean, param):
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,60}", name):
            raise ParseError(f"--q-params: '{name}' is not a name")
    return mean, param, kind


def _encoder(returns: tuple[tuple[str, Term], ...], wanted: tuple[str, str, str | None] | None
             ) -> tuple[str | None, str | None, str | None, str]:
    """The encoder's mean and scale-parameter names (leaves of the returned values) and the parameter's kind."""
    leaves = set().union(*(t.leaves() for _, t in returns))
    means = sorted(n for n, r in leaves if r == "mean")
    params = sorted(n for n, r in leaves if r == "param")
    if len(means) > 1 or len(params) > 1:
        raise ParseError(f"code: several candidate encoder outputs ({', '.join(means + params)}): name the two with "
                         "--q-params MEAN,PARAM")
    mean = means[0] if means else None
    param = params[0] if params else None
    if wanted is not None and wanted[2] is not None:
        return mean, param, wanted[2], "--q-params"
    kind = kind_of(param) if param is not None else None
    return mean, param, kind, "its name"


__all__ = ["ALIASES", "KINDS", "XLOGY", "LossFunction", "Statement", "Term", "is_mean_name", "kind_of", "read_function"]
