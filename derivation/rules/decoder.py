"""Rules of the reconstruction term: a decoder's density factorises over the pixels, each pixel's log-density (a
Gaussian's or a Bernoulli's), the logistic function of a logit, and a line of loss code.

They rewrite lines written with the decoder's densities (``settings.decoder.DecoderSetting``): ``p(x | z)`` and
``p(x_i | z)``, the data ``x_i``, the decoder's output ``y_i`` (or logit ``eta_i``) and the noise scale ``s``.
"""

from __future__ import annotations

from sympy import Eq, Expr, Pow, Sum, Symbol, exp, expand_mul, log

from ..core.engine import Derivation, Rewrite, Rule, derive_chain
from ..core.errors import RuleNotApplicable
from ..core.forms import add, is_negative_term, mul, neg, sub
from ..laws.bernoulli import BernoulliLaw, complement
from ..nodes.families import coordinate_product
from ..nodes.scalar import Density
from ..settings.decoder import DecoderSetting
from .base import factors, rewrite_or_refuse, terms
from .specialise import in_code

_U = Symbol("u", real=True)


def _pixels_independent(expr: Expr, setting: DecoderSetting) -> Rewrite:
    """``p(x | z) -> Product_i p(x_i | z)``: given z, the decoder draws each pixel on its own."""
    i = setting.index
    product = coordinate_product(setting.pixel(), i, setting.dim)
    out = rewrite_or_refuse(expr, lambda e: product if e == setting.likelihood else None, "decoder density p(x | z)")
    return Rewrite(out, (Eq(setting.likelihood, product, evaluate=False),))


def pixel_log_density(setting: DecoderSetting) -> Expr:
    """``log p(x_i | z)`` as a textbook writes it: ``-1/2 log(2 pi s**2) - (x_i - y_i)**2 / (2 s**2)`` for the
    Gaussian decoder, ``x_i log y_i + (1 - x_i) log(1 - y_i)`` for the Bernoulli decoder."""
    i = setting.index
    law, x = setting.law(i), setting.data[i]
    if isinstance(law, BernoulliLaw):
        return add(mul(x, log(law.probs)), mul(complement(x), log(complement(law.probs))))
    return law.log_pdf_form(x)


def _pixel_log_density(expr: Expr, setting: DecoderSetting) -> Rewrite:
    """``log p(x_i | z) ->`` :func:`pixel_log_density` (the log of the pixel's density, the law's own form)."""
    pixel = setting.pixel()
    form = pixel_log_density(setting)
    out = rewrite_or_refuse(expr, lambda e: form if e == log(pixel) else None, "log-density of a pixel")
    i = setting.index
    law = setting.law(i)
    identities = [Eq(pixel, Density("", setting.data[i], law), evaluate=False)]
    if isinstance(law, BernoulliLaw):
        x, y = setting.data[i], law.probs
        identities.append(Eq(pixel, mul(Pow(y, x), Pow(complement(y), complement(x))), evaluate=False))
    return Rewrite(out, tuple(identities))


def pixel_result(plan: tuple[Rule, ...]) -> Rule:
    """A rule replacing ``-log p(x_i | z)`` inside the sum over the pixels by what ``plan`` derives for one pixel (the
    lemma)."""

    def apply(expr: Expr, setting: DecoderSetting) -> Rewrite:
        start = neg(log(setting.pixel()))
        lemma: Derivation | None = None

        def match(e: Expr) -> Expr | None:
            nonlocal lemma
            if isinstance(e, Sum) and e.function == start:
                lemma = lemma or derive_chain("pixel", "One pixel", start, plan, setting)
                return Sum(lemma.result, *e.limits)
            return None

        out = rewrite_or_refuse(expr, match, "sum of the pixels' negative log-densities")
        return Rewrite(out, (), (lemma,) if lemma is not None else ())

    return Rule("pixel-result", "One pixel",
                "Each term is minus the log-density of one pixel, derived for one pixel on its own.", apply)


def _multiply_out(expr: Expr, setting) -> Expr:
    """``c (a + b) -> c a + c b`` for a factor c that is no number (each product cancelled as far as it goes)."""
    if not (expr.is_Mul and len(expr.args) == 2 and expr.args[1].is_Add):
        raise RuleNotApplicable("no product of a factor and a sum")
    factor, total = expr.args
    return add(*[factor * t for t in terms(total)])


def _logistic_output(expr: Expr, setting: DecoderSetting) -> Rewrite:
    """``log y_i -> -log(1 + e^(-eta_i))`` and ``log(1 - y_i) -> -log(1 + e^(eta_i))``: the probability is the
    logistic function of the logit, ``y_i = 1 / (1 + e^(-eta_i))``, and ``1 - y_i = 1 / (1 + e^(eta_i))``; the
    minus sign of each logarithm of a reciprocal cancels the sign of its term."""
    i = setting.index
    y, eta = setting.output[i], setting.logits[i]
    probability, rest = setting.logistic(i)
    minus_log = {log(y): log(add(1, exp(neg(eta)))), log(complement(y)): log(add(1, exp(eta)))}
    out, changed = [], False
    for term in terms(expr):
        parts = factors(term)
        if not any(f in minus_log for f in parts):
            out.append(term)
            continue
        changed = True
        sign = (-1) ** sum(f in minus_log for f in parts)
        numbers = [f for f in parts if f.is_Number]
        coefficient = sign * (mul(*numbers) if numbers else 1)
        out.append(mul(coefficient, *[minus_log.get(f, f) for f in parts if not f.is_Number]))
    if not changed:
        raise RuleNotApplicable("no log of a probability given by a logit")
    return Rewrite(add(*out), (Eq(y, probability, evaluate=False), Eq(complement(y), rest, evaluate=False)))


def _softplus_of_minus(expr: Expr, setting: DecoderSetting) -> Rewrite:
    """``log(1 + e^(-eta)) -> log(1 + e^eta) - eta``, because ``1 + e^(-eta) = e^(-eta) (1 + e^eta)``."""
    eta = setting.logits[setting.index]
    before, after = log(add(1, exp(neg(eta)))), sub(log(add(1, exp(eta))), eta)
    out = rewrite_or_refuse(expr, lambda e: after if e == before else None, "log(1 + e^(-eta))")
    return Rewrite(out, (Eq(add(1, exp(neg(_U))), mul(exp(neg(_U)), add(1, exp(_U))), evaluate=False),))


def _expand_and_collect(expr: Expr, setting: DecoderSetting) -> Expr:
    """Multiply out the products and collect: the terms that cancel drop out (``x log a + (1 - x) log a = log a``)."""
    out = expand_mul(expr)
    if out == expr:
        raise RuleNotApplicable("nothing to multiply out")
    data = setting.data

    def written(term: Expr) -> Expr:  # a product as a textbook writes it: the number, the data, the rest
        if not term.is_Mul:
            return term
        return mul(*sorted(factors(term), key=lambda f: (not f.is_Number, not f.has(data))))

    return add(*sorted((written(t) for t in terms(out)), key=is_negative_term))


PIXELS_INDEPENDENT = Rule(
    "pixels-independent",
    "Pixels",
    "Given z the decoder draws every pixel on its own, so its density is the product of the pixels' densities.",
    _pixels_independent,
)

PIXEL_LOG_DENSITY = Rule(
    "pixel-log-density",
    "Log-density",
    "Substitute the logarithm of the pixel's density.",
    _pixel_log_density,
)

MULTIPLY_OUT = Rule(
    "multiply-through",
    "Multiply out",
    "Multiply every term by the factor; it cancels the squared error's coefficient.",
    _multiply_out,
)

LOGISTIC_OUTPUT = Rule(
    "logistic-output",
    "Logits",
    "The probability is the logistic function of the logit the decoder outputs; the logarithm of a reciprocal is "
    "minus the logarithm.",
    _logistic_output,
)

SOFTPLUS_OF_MINUS = Rule(
    "softplus-of-minus",
    "Factor out",
    "Factor the exponential of minus the logit out of the sum; the logarithm of an exponential is its exponent.",
    _softplus_of_minus,
)

EXPAND_AND_COLLECT = Rule(
    "collect-softplus",
    "Collect",
    "Multiply out the products; the terms with the logarithm add up to one of them.",
    _expand_and_collect,
)

LOSS_IN_CODE = Rule(
    "loss-in-code",
    "In code",
    "The same sum as one line of PyTorch: the sum over the pixels is a loss of torch.nn.functional with "
    "reduction='sum', over the decoder's output x_hat (or logits) and the data x.",
    in_code,
)

__all__ = [
    "EXPAND_AND_COLLECT",
    "LOGISTIC_OUTPUT",
    "LOSS_IN_CODE",
    "MULTIPLY_OUT",
    "PIXELS_INDEPENDENT",
    "PIXEL_LOG_DENSITY",
    "SOFTPLUS_OF_MINUS",
    "pixel_log_density",
    "pixel_result",
]
