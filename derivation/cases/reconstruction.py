"""The ``reconstruction`` case: the reconstruction term ``-log p(x | z)`` of a VAE's loss for a Gaussian decoder
(squared error plus a constant) and a Bernoulli decoder (binary cross-entropy, also from logits), each down to the
line of PyTorch that computes it, parsed back and compared.

The main chain is the Gaussian decoder's: the density factorises over the pixels, the log of the product is a sum,
each pixel's term is derived in a lemma, and the sum splits into the squared error and a constant. The sections
derive what the noise variance means for the weight of the divergence term (beta), the Bernoulli decoder's chain,
its form in logits, and the code of each. Every line is checked at random points (the vector checker), the code by
parsing it back.
"""

from __future__ import annotations

from types import MappingProxyType

from sympy import Basic, Eq, Expr, Mul, Sum, Symbol

from ..core.engine import Check, Derivation, Fact, Rule, Section
from ..core.errors import StepRejected
from ..core.forms import add, mul
from ..nodes.scalar import KL
from ..rules.algebra import OPEN_NEGATED_BRACKET
from ..rules.base import factors, terms
from ..rules.coordinates import LOG_OF_PRODUCT
from ..rules.decoder import (
    EXPAND_AND_COLLECT,
    LOGISTIC_OUTPUT,
    LOSS_IN_CODE,
    MULTIPLY_OUT,
    PIXEL_LOG_DENSITY,
    PIXELS_INDEPENDENT,
    SOFTPLUS_OF_MINUS,
    pixel_result,
)
from ..rules.sums import FACTOR_OUT_OF_SUM, NEGATE_INTO_SUM, SPLIT_OFF_CONSTANTS, in_summands
from ..settings.decoder import DecoderSetting, decoder_setting
from .sections import code_section

#: ``-log p(x_i | z)``: the pixel's log-density, the bracket opened.
PIXEL_PLAN: tuple[Rule, ...] = (PIXEL_LOG_DENSITY, OPEN_NEGATED_BRACKET)
#: ``-log p(x | z) = Sum_i -log p(x_i | z)``, each term by the pixel's lemma.
PIXELS_PLAN: tuple[Rule, ...] = (PIXELS_INDEPENDENT, LOG_OF_PRODUCT, NEGATE_INTO_SUM, pixel_result(PIXEL_PLAN))
#: The Gaussian decoder: the pixels' sum, then the constant split off and the noise variance out of the sum.
GAUSSIAN_PLAN: tuple[Rule, ...] = (*PIXELS_PLAN, SPLIT_OFF_CONSTANTS, FACTOR_OUT_OF_SUM)
#: The Bernoulli decoder: the pixels' sum of binary cross-entropies.
BERNOULLI_PLAN: tuple[Rule, ...] = PIXELS_PLAN
#: The binary cross-entropy in the logits: the logistic function put in, the sign of the logit turned, collected.
LOGITS_PLAN: tuple[Rule, ...] = tuple(in_summands(rule) for rule in (LOGISTIC_OUTPUT, SOFTPLUS_OF_MINUS,
                                                                      EXPAND_AND_COLLECT))
#: A result as one line of PyTorch, parsed back and checked.
CODE_PLAN: tuple[Rule, ...] = (LOSS_IN_CODE,)
#: The loss times the reciprocal of the squared error's coefficient, multiplied out.
BETA_PLAN: tuple[Rule, ...] = (MULTIPLY_OUT,)


def reconstruction_setting(options) -> DecoderSetting:
    return decoder_setting(options.notation, "gaussian")


def _eq(lhs: Basic, rhs: Basic) -> Eq:
    return Eq(lhs, rhs, evaluate=False)


def _error_term(expr: Expr) -> tuple[Expr, Sum]:
    """The term of ``expr`` with the sum over the pixels, and that sum."""
    term = next(t for t in terms(expr) if t.has(Sum))
    return term, next(f for f in factors(term) if isinstance(f, Sum))


def _read_off(relation: Eq, line: Expr, what: str) -> Fact:
    """A fact ``name = value`` read off a derived line: the coefficient of ``what`` in ``line`` must be ``value``."""
    coefficient = sum((Mul(*[f for f in factors(t) if f != what]) for t in terms(line) if what in factors(t)), 0)
    if coefficient != relation.rhs:
        raise StepRejected(f"{relation} is not the coefficient of {what} in {line}")
    return Fact(relation, "read off the line above", Check(0, True, "symbolic", "the coefficient in the derived line"))


def reconstruction_sections(derivation: Derivation) -> tuple[Section, ...]:
    """The Gaussian decoder's code and its beta, the Bernoulli decoder (probabilities and logits) and its code, and how
    the lines were checked."""
    setting: DecoderSetting = derivation.setting
    checker = setting.checker()
    name = derivation.name
    gaussian_code = checker.derive(f"{name}:gaussian-code", "In code", derivation.result, CODE_PLAN, setting)
    constant = next(t for t in terms(derivation.result) if not t.has(Sum))
    error, total = _error_term(derivation.result)
    scale = 1 / (error / total)  # the reciprocal of the squared error's coefficient: 2 s**2
    kl = KL(setting.q, setting.prior)
    objective = add(*terms(derivation.result), kl)
    scaled = checker.derive(f"{name}:beta", "The weight of the divergence", Mul(scale, objective, evaluate=False),
                            BETA_PLAN, setting)
    beta = Symbol("beta", positive=True)
    weighted = add(*[mul(beta, kl) if t.has(kl) else t for t in terms(scaled.result)])

    bernoulli_setting = decoder_setting(setting.notation, "bernoulli")
    bernoulli_checker = bernoulli_setting.checker()
    bernoulli = bernoulli_checker.derive(f"{name}:bernoulli", "The Bernoulli decoder", bernoulli_setting.start(),
                                         BERNOULLI_PLAN, bernoulli_setting)
    bernoulli_pixel = bernoulli_checker.derive(f"{name}:bernoulli-pixel", "One pixel",
                                               bernoulli.steps[2].expr.function, PIXEL_PLAN, bernoulli_setting)
    bernoulli_code = bernoulli_checker.derive(f"{name}:bernoulli-code", "In code", bernoulli.result, CODE_PLAN,
                                              bernoulli_setting)
    logits = bernoulli_checker.derive(f"{name}:logits", "In the logits", bernoulli.result, LOGITS_PLAN,
                                      bernoulli_setting)
    logits_code = bernoulli_checker.derive(f"{name}:logits-code", "In code", logits.result, CODE_PLAN,
                                           bernoulli_setting)
    i = setting.index
    eta = bernoulli_setting.logits[i]
    values: dict[str, Basic] = {
        "x": Symbol(str(setting.data.label)), "y": Symbol(str(setting.output.label)), "s": setting.s,
        "D": setting.dim, "z": setting.z, "eta_i": eta, "beta": beta,
        "eta": Symbol(str(bernoulli_setting.logits.label)),
        "result": _eq(derivation.start, derivation.result),
        "constant": constant, "error": total, "scale": scale, "kl": kl,
        "scaled": _eq(scaled.start, scaled.result), "weighted": weighted,
        "bernoulli_law": bernoulli_setting.statements()[1],
        "bernoulli": _eq(bernoulli.start, bernoulli.result),
        "probability": _eq(bernoulli_setting.output[i], bernoulli_setting.logistic(i)[0]),
        "logits": _eq(bernoulli.result, logits.result),
        "softplus": logits.result.function.args[0] if logits.result.function.is_Add else logits.result,
    }
    facts = (_read_off(_eq(beta, scale), scaled.result, kl),)
    code_text = (
        "As the KL term's line in the vae document, the sum over the pixels is one call in PyTorch: what the "
        "mean-squared-error loss computes with reduction='sum' (with 'mean' it would also divide by {D}), over the "
        "decoder's output {y} and the data {x} (the listing names them as VAE code does); the line below was printed "
        "from the result and read back by the parser, which found it equal to the result:"
    )
    beta_text = (
        "A VAE minimises minus the ELBO, which the elbo document splits into this term (averaged under q) and the "
        "divergence {kl} of the encoder from the prior. The constant {constant} does not depend on the decoder's "
        "output: with the noise scale {s} fixed it changes no gradient, and minimising the reconstruction term is "
        "minimising the squared error {error}, the mean squared error up to a positive factor. The factor does matter "
        "next to the other term of the loss, the divergence. Multiplying the loss by {scale}, which changes none of its"
        " minimisers, gives (below) the plain squared error plus the divergence weighted by {beta} (fact below). The "
        "loss {weighted} of a beta-VAE with squared error is therefore a Gaussian decoder whose noise variance is half "
        "of {beta}: a larger weight on the divergence is a noisier decoder, which explains less of each image and blurs"
        " its reconstructions (the dynamics document derives what the weight does to the divergence itself). If {s} is "
        "learned instead, the constant is no longer a constant: it grows with the noise scale, and it is what keeps the"
        " decoder from declaring every error noise."
    )
    bernoulli_text = (
        "For binary pixels (or intensities in [0, 1]) the decoder outputs each pixel's probability {y} and "
        "{bernoulli_law}. Minus the log-mass of one pixel is the pixel's binary cross-entropy (first chain below), and "
        "the same steps as above, with it in place of the Gaussian lemma, give (second chain) {bernoulli}: the binary "
        "cross-entropy, summed over the pixels."
    )
    bernoulli_code_text = (
        "It is what PyTorch's binary cross-entropy computes with reduction='sum', over the decoder's probabilities {y} "
        "and the data {x}; the line below was printed from the result and read back by the parser, which found it equal"
        " to the result:"
    )
    logits_text = (
        "A decoder usually outputs the logits {eta_i} rather than the probabilities, with {probability}. Putting that "
        "in (below) gives {logits}. The term {softplus} is the softplus of the logit: computed as such it neither "
        "overflows for a large logit nor takes the logarithm of a probability rounded to 0, which is why code computes "
        "this form."
    )
    logits_code_text = (
        "PyTorch's binary cross-entropy with logits computes it, over the logits {eta} and the data {x}; the line below"
        " was printed from the result and read back by the parser, which found it equal to the result:"
    )
    checked_text = (
        "Every line above was compared with the line before at four random points: {D} = 2 and 3 pixels, a random pixel"
        " of them, random data and decoder outputs (for the Bernoulli decoder, data 0 or 1 and probabilities that are "
        "the logistic function of random logits), a random noise scale, and a random encoder density for the "
        "divergence. The lines of code were read back by the same whitelist parser that reads a user's claims and "
        "compared with the results symbolically."
    )

    def section(key: str, title: str, text: str, derivations=(), section_facts=()) -> Section:
        return Section(key, title, text, MappingProxyType(values), tuple(derivations), tuple(section_facts))

    return (
        code_section("code", "In code", code_text, gaussian_code, values),
        section("beta", "The noise variance and the weight of the divergence", beta_text, (scaled,), facts),
        section("bernoulli", "A Bernoulli decoder: binary cross-entropy", bernoulli_text, (bernoulli_pixel, bernoulli)),
        code_section("bernoulli-code", "Binary cross-entropy in code", bernoulli_code_text, bernoulli_code, values),
        section("logits", "In the logits", logits_text, (logits,)),
        code_section("logits-code", "Binary cross-entropy with logits in code", logits_code_text, logits_code,
                     values),
        section("checked", "How the lines were checked", checked_text),
    )


__all__ = ["BERNOULLI_PLAN", "GAUSSIAN_PLAN", "LOGITS_PLAN", "PIXEL_PLAN", "reconstruction_sections",
           "reconstruction_setting"]
