"""``verify --code`` of a KL between two laws of a family given in their own parameters (Bernoulli with probs or
logits, Laplace, Gamma, Exponential, Poisson, Geometric, ...): is the function's returned value KL(q || p)?

The function is read by the whitelist reader (:func:`derivation.interpret.code.read_function`, nothing executed)
with the specs' parameter names as its given leaves. The returned KL term, with every reduction taken away (the
KL of one entry: the parameters are tensors of independent pairs), is printed as a Python claim over those names
and decided by the claim verifier (:func:`derivation.claims.decide.verify`), which proves it or refutes it with a
counterexample and, where it recognises the slip (reversed direction, sign, a rate read as a scale, a probability
read as a logit, a constant), names it. The reductions are then stated: a sum over the latent axis is the KL of
the product law, a mean over it is KL/d (a slip), a sum or mean over the batch axis either is fine.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..core.errors import UsageError
from ..interpret.code import XLOGY, LossFunction, Term, read_function
from ..pairs.routes import variant
from .code import _PRINTED, CodeVerdict, Slip, claim_text
from .decide import Verdict
from .decide import verify as decide_claim

#: Families ``verify --code`` reads as a Gaussian encoder against N(0, I) (claims.code), not as a family pair.
GAUSSIAN = frozenset({"Normal", "DiagNormal", "MvNormal"})
#: Labels of a returned value that name it the KL term.
_KL_LABELS = ("kl", "kld", "div")


def _walk(t: Term) -> Iterable[Term]:
    stack = [t]
    while stack:
        s = stack.pop()
        yield s
        stack.extend(s.args)


def _chosen(fn: LossFunction) -> tuple[str, Term, list[str]]:
    """The returned value that is the KL term (the only one, or the one whose label says KL), and notes."""
    if len(fn.returns) == 1:
        label, term = fn.returns[0]
        return label, term, []
    named = [(label, t) for label, t in fn.returns if any(k in label.lower() for k in _KL_LABELS)]
    label, term = named[0] if named else fn.returns[0]
    return label, term, [f"{fn.name} returns {len(fn.returns)} values; {label} is read as the KL term"]


def _unknown(term: Term, fn: LossFunction, parameters: list[str]) -> None:
    """Refuse (one line, with the line) a leaf that is none of the specs' parameters (a weight is allowed)."""
    for t in _walk(term):
        if t.op == "leaf" and t.value[1] not in ("given", "weight"):  # type: ignore[index]
            name = t.value[0]  # type: ignore[index]
            raise UsageError(f"code: line {t.line}: '{name}' is none of the parameters of q and p "
                             f"({', '.join(parameters)}): name the function's arguments as the specs do")
        if t.op in ("opaque", "size") or (t.op == "loss" and t.value[0] != "kl_div"):  # type: ignore[index]
            raise UsageError(f"code: line {t.line}: {fn.line_text(t.line)!r} is not part of a KL between two laws "
                             "given by their parameters")


def _reductions(term: Term, latent_axis: int) -> tuple[list[str], list[str]]:
    """What the reductions compute (per entry, then ...) and the slips among them (a mean over the latent axis)."""
    computes, slips = [], []
    for t in _walk(term):
        if t.op != "reduce":
            continue
        kind, axis, _ = t.value  # type: ignore[misc]
        if kind not in ("sum", "mean"):
            raise UsageError(f"code: line {t.line}: a {kind} of KL terms is not a KL")
        axes = axis if isinstance(axis, tuple) else (axis,)
        latent = axis is not None and any(a in (latent_axis, latent_axis - 2) for a in axes)
        where = "every axis" if axis is None else "the latent axis" if latent else f"axis {axis}"
        computes.append(f"a {kind} over {where} (line {t.line})")
        if kind == "mean" and latent:
            slips.append("a mean over the latent axis: KL/d (the KL of independent coordinates is their sum)")
    return computes[::-1], slips


def _category_claim(term: Term, latent_axis: int) -> tuple[str | None, list[str]]:
    """The KL of one example of categorical code as a claim: a reduction over the last (category) axis is a
    ``sum``/``mean`` over the categories, one over the batch axis is left out (it is fine either way: stated), a
    reduction over every axis is one over the categories and the batch; ``softmax``/``log_softmax``/``logsumexp``
    and ``F.kl_div`` kept. With what each reduction computes."""
    computes: list[str] = []

    def text(t: Term) -> str | None:
        if t.op == "reduce":
            kind, axis, _ = t.value  # type: ignore[misc]
            axes = axis if isinstance(axis, tuple) else (axis,)
            inner = text(t.args[0])
            if inner is None:
                return None
            reduced = any(inner.op == "reduce" or (inner.op == "loss" and inner.value[1] != "none")  # type: ignore
                          for inner in _walk(t.args[0]))
            over_categories = (axis is None and not reduced) or any(a in (latent_axis, latent_axis - 2, -1)
                                                                    for a in axes)
            where = "the categories" if over_categories else "the batch" if axis in (None, 0) else f"axis {axis}"
            computes.append(f"a {kind} over {where} (line {t.line})")
            if kind == "logsumexp":
                return f"logsumexp({inner})" if over_categories else None
            if kind not in ("sum", "mean"):
                return None
            return f"{kind}({inner})" if over_categories else inner
        if t.op in ("softmax", "log_softmax"):
            inner = text(t.args[0])
            return None if inner is None or t.value not in (-1, latent_axis) else f"{t.op}({inner})"
        if t.op == "loss" and t.value[0] == "kl_div":  # type: ignore[index]
            given, target = (text(a) for a in t.args)
            if given is None or target is None:
                return None
            reduction = t.value[1]  # type: ignore[index]
            computes.append(f"F.kl_div with reduction='{reduction}' (line {t.line})")
            body = f"({target} * (log({target}) - {given}))"
            return {"none": body, "mean": f"mean({body})"}.get(reduction, f"sum({body})")
        if t.args and t.op in {"add", "mul", "div", "pow", "neg", XLOGY} | _PRINTED:
            parts = [text(a) for a in t.args]
            if any(part is None for part in parts):
                return None
            return claim_text(Term(t.op, tuple(Term("leaf", value=(part, "given")) for part in parts),  # type: ignore
                                   t.value, t.line), {})
        return claim_text(t, {})

    return text(term), computes[::-1]


def _fixes(t: Term) -> Iterable[tuple[str, Term]]:
    """Each known slip of categorical code that ``t`` may hold, with ``t`` corrected: a number ``1/K`` where the
    uniform law's log-probability ``log(1/K)`` belongs, and probabilities given to ``F.kl_div``, whose input is a
    log-probability."""
    def replaced(root: Term, old: Term, new: Term) -> Term:
        if root is old:
            return new
        args = tuple(replaced(a, old, new) for a in root.args)
        return root if all(a is b for a, b in zip(args, root.args, strict=True)) else Term(root.op, args, root.value,
                                                                                               root.line)

    for node in _walk(t):
        if node.op == "div" and node.args[0].op == "num" and node.args[0].value[0] == 1 \
                and node.args[1].op == "leaf":  # type: ignore[index]
            size = node.args[1].value[0]  # type: ignore[index]
            yield (f"1/{size} where the uniform law's log-probability log(1/{size}) belongs",
                   replaced(t, node, Term("log", (node,), line=node.line)))
        if node.op == "loss" and node.value[0] == "kl_div" and node.args[0].op not in ("log", "log_softmax"):  # type: ignore
            given = node.args[0]
            yield ("F.kl_div's input must be log-probabilities, but it is given probabilities: "
                   "F.kl_div(input, target) computes target * (log(target) - input)",
                   replaced(t, given, Term("log", (given,), line=given.line)))


def _category_slip(term: Term, latent_axis: int, q: str, p: str, budget: float | None) -> str | None:
    """The slip a corrected version of ``term`` shows: the first fix (:func:`_fixes`) after which the code is
    KL(q || p), decided like the code itself; None when no fix makes it hold."""
    for what, fixed in _fixes(term):
        text, _ = _category_claim(fixed, latent_axis)
        if text is not None and decide_claim(q, p, text, budget=budget).holds:
            return what
    return None


def verify_family_code(source: str, function: str | None, q: str, p: str, *, latent_dim: int = -1,
                       budget: float | None = None) -> CodeVerdict:
    """Decide whether the KL term of ``function`` (Python source, never executed) is KL(q || p) of two laws given
    in their parameters (``q``, ``p`` specs; their parameter names are the function's names), entry by entry.
    Invalid input raises a one-line ``UsageError``."""
    v = variant(q, p)
    parameters = [str(s) for s in v.setting.user_parameters]
    fn = read_function(source, function, given=frozenset(parameters))
    label, term, notes = _chosen(fn)
    _unknown(term, fn, parameters)
    latent_axis = 1 if latent_dim in (-1, 1) else 0
    if v.case == "categorical":  # the sum over the categories is the divergence itself, not a reduction
        text, computes = _category_claim(term, latent_axis)
        reduction_slips: list[str] = []
    else:
        computes, reduction_slips = _reductions(term, latent_axis)
        text = claim_text(term, {})
    if text is None:
        raise UsageError(f"code: {label} of {fn.name} uses something a KL claim cannot")
    weights = sorted({t.value[0] for t in _walk(term) if t.op == "leaf" and t.value[1] == "weight"})  # type: ignore
    lines = sorted({t.line for t in _walk(term)} - {0})
    where = tuple((n, fn.line_text(n)) for n in lines[-1:])
    verdict: Verdict = decide_claim(q, p, text, budget=budget)
    slips = [Slip(s, where) for s in reduction_slips]
    if verdict.holds is False:
        what = verdict.diagnosis or "the per-entry term is not KL(q || p)"
        if v.case == "categorical":
            what = _category_slip(term, latent_axis, q, p, budget) or what.replace(
                "the mean over latent dimensions, not the sum", "a mean over the categories, not their sum (F.kl_div's "
                "reduction='mean' averages over them too: 'batchmean' or 'sum' is the KL)")
        if verdict.counterexample is not None:
            notes.append(f"counterexample: {verdict.counterexample.describe()}")
        slips.insert(0, Slip(f"{'per example' if v.case == 'categorical' else 'per entry'}: {what}", where))
    holds = False if slips else verdict.holds
    equals = None if slips else "KL(q || p) of each pair of entries" + (
        ", reduced without a slip (see what it computes)" if computes else "")
    if weights and equals:
        equals += f", weighted ({', '.join(weights)})"
    per = "per example: the KL of one pair of probability vectors" if v.case == "categorical" else \
        "per entry: the KL of one pair of parameters"
    return CodeVerdict(holds, fn.name, label, (per, *computes), equals,
                       f"the per-entry term as a claim: {verdict.method}",
                       tuple(f"KL weighted by {w}" for w in weights), tuple(slips), tuple(notes), None, verdict,
                       lines[-1] if lines else None,
                       "KL(q || p) per example" if v.case == "categorical" else "KL(q || p) entry by entry")


__all__ = ["GAUSSIAN", "verify_family_code"]
