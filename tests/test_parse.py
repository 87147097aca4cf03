"""Tests for ``derivation.interpret.parse``: specs, claims in both syntaxes, refusals, and fuzzing."""

from __future__ import annotations

import os
import tempfile

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sympy import Abs, E, Expr, IndexedBase, Integer, Rational, Sum, Symbol, exp, log, pi, sqrt

from derivation.core.errors import DerivationError, ParseError, UsageError
from derivation.interpret.parse import GREEK, MAX_LENGTH, DistSpec, claim_syntax, parse_claim, parse_spec

# ----------------------------------------------------------------------------------------------------
# Fixtures (plain module-level objects: hypothesis dislikes function-scoped fixtures)
# ----------------------------------------------------------------------------------------------------

J = Symbol("j", integer=True, positive=True)
D = Symbol("d", integer=True, positive=True)
MU_V = IndexedBase("mu", real=True)
LOGVAR_V = IndexedBase("logvar", real=True)
SIGMA_V = IndexedBase("sigma", positive=True)
VECTORS = {"mu": MU_V, "logvar": LOGVAR_V, "sigma": SIGMA_V}

x, y, z = (Symbol(n, real=True) for n in "xyz")
a, b = (Symbol(n, real=True) for n in "ab")
mu, mu1, mu2 = (Symbol(n, real=True) for n in ("mu", "mu1", "mu2"))
sigma, sigma1, sigma2 = (Symbol(n, positive=True) for n in ("sigma", "sigma1", "sigma2"))
logvar = Symbol("logvar", real=True)
SYMBOLS: dict[str, Symbol] = {s.name: s for s in (x, y, z, a, b, mu, mu1, mu2, sigma, sigma1, sigma2, logvar)}

SENTINEL = os.path.join(tempfile.gettempdir(), f"derivation_parse_sentinel_{os.getpid()}")


def claim(text: str) -> Expr:
    """A scalar (univariate) claim."""
    return parse_claim(text, SYMBOLS)


def vclaim(text: str) -> Expr:
    """A claim about a diagonal Gaussian (vectors over the latent dimension d, index j)."""
    return parse_claim(text, {"x": x, "d": D}, vectors=VECTORS, index=J, dim=D)


def same(got: Expr, expected: Expr) -> bool:
    return got == expected or sympy.simplify(got - expected) == 0


def refused(call, *args, **kwargs) -> ParseError:
    with pytest.raises(ParseError) as info:
        call(*args, **kwargs)
    err = info.value
    assert "\n" not in str(err)
    return err


# ----------------------------------------------------------------------------------------------------
# Specs
# ----------------------------------------------------------------------------------------------------

R = Rational


def _r(name: str) -> Symbol:
    return Symbol(name, real=True)


def _p(name: str) -> Symbol:
    return Symbol(name, positive=True)


def _n(name: str) -> Symbol:
    return Symbol(name, integer=True, positive=True)


@pytest.mark.parametrize(
    ("text", "family", "loc", "kind", "param", "dim"),
    [
        ("Normal(mu, sigma)", "Normal", _r("mu"), "scale", _p("sigma"), None),
        ("Normal(m, scale=s)", "Normal", _r("m"), "scale", _p("s"), None),
        ("Normal(m, var=v)", "Normal", _r("m"), "var", _p("v"), None),
        ("Normal(m, logvar=lv)", "Normal", _r("m"), "logvar", _r("lv"), None),
        ("Normal(m, log_scale=ls)", "Normal", _r("m"), "log_scale", _r("ls"), None),
        ("Normal(m, precision=t)", "Normal", _r("m"), "precision", _p("t"), None),
        ("Normal(loc=m, scale=s)", "Normal", _r("m"), "scale", _p("s"), None),
        ("Normal(0, 1)", "Normal", Integer(0), "scale", Integer(1), None),
        ("Normal(-1.5, 0.25)", "Normal", R(-3, 2), "scale", R(1, 4), None),
        ("Normal(mu, 1e-3)", "Normal", _r("mu"), "scale", R(1, 1000), None),
        ("Normal(2, logvar=-1)", "Normal", Integer(2), "logvar", Integer(-1), None),
        ("  Normal(mu, sigma)  ", "Normal", _r("mu"), "scale", _p("sigma"), None),
        ("DiagNormal(mu, sigma, dim=d)", "DiagNormal", _r("mu"), "scale", _p("sigma"), _n("d")),
        ("DiagNormal(0, 1, dim=d)", "DiagNormal", Integer(0), "scale", Integer(1), _n("d")),
        ("DiagNormal(m, logvar=lv, dim=4)", "DiagNormal", _r("m"), "logvar", _r("lv"), 4),
        ("MvNormal(m, cov=S, dim=k)", "MvNormal", _r("m"), "cov", _p("S"), _n("k")),
        ("MvNormal(0, cov=1, dim=3)", "MvNormal", Integer(0), "cov", Integer(1), 3),
    ],
)
def test_spec_forms(text: str, family: str, loc: Expr, kind: str, param: Expr, dim: object) -> None:
    spec = parse_spec(text)
    assert isinstance(spec, DistSpec)
    assert (spec.family, spec.param_kind, spec.text) == (family, kind, text)
    assert spec.loc == loc and spec.param == param
    assert spec.dim == dim
    assert type(spec.dim) is type(dim)


def test_spec_assumptions() -> None:
    spec = parse_spec("DiagNormal(m, s, dim=d)")
    assert spec.loc.is_real and spec.param.is_positive
    assert isinstance(spec.dim, Symbol) and spec.dim.is_integer and spec.dim.is_positive
    lv = parse_spec("Normal(m, logvar=lv)").param
    assert lv.is_real and lv.is_positive is None
    ls = parse_spec("Normal(m, log_scale=ls)").param
    assert ls.is_real and ls.is_positive is None
    for kind in ("var", "precision"):
        assert parse_spec(f"Normal(m, {kind}=tau)").param.is_positive
    assert parse_spec("MvNormal(m, cov=S, dim=k)").param.is_positive


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("Cauchy(1,2)", "unknown family 'Cauchy' (expected Normal, DiagNormal, MvNormal, Laplace, ", 0),
        ("Normal(0, -1)", "scale must be positive (got -1)", 10),
        ("Normal(0, 0)", "scale must be positive (got 0)", 10),
        ("Normal(0, var=-2)", "var must be positive", 14),
        ("Normal(0, precision=0)", "precision must be positive", 20),
        ("Normal(0, 1, var=2)", "two parameterisations given (scale and var)", 17),
        ("Normal(0, scale=1, logvar=0)", "two parameterisations given (scale and logvar)", 26),
        ("Normal(0)", "needs a scale", 0),
        ("Normal(scale=1)", "needs a loc", 0),
        ("Normal(0, 1, loc=2)", "loc given twice", 17),
        ("Normal(0, 1, 2)", "too many positional arguments", 13),
        ("DiagNormal(0, 1)", "DiagNormal needs dim=", 0),
        ("DiagNormal(0, 1, dim=0)", "dim must be a positive integer or a name (got 0)", 21),
        ("DiagNormal(0, 1, dim=-3)", "dim must be a positive integer or a name (got -3)", 21),
        ("DiagNormal(0, 1, dim=2.5)", "dim must be a positive integer or a name (got 2.5)", 21),
        ("DiagNormal(0, 1, dim=True)", "dim must be a positive integer", 21),
        ("Normal(0, 1, dim=2)", "Normal takes no dim", 17),
        ("Normal(0, 1, foo=2)", "unknown keyword 'foo'", 17),
        ("Normal(0, scale=1, scale=2)", "keyword 'scale' given twice", 25),
        ("Normal(a, a)", "name 'a' is used for both loc and scale", 10),
        ("DiagNormal(d, s, dim=d)", "name 'd' is used for both loc and dim", 21),
        ("MvNormal(m, S, dim=2)", "MvNormal takes the covariance as a keyword", 12),
        ("MvNormal(m, dim=2)", "MvNormal needs cov=", 0),
        ("MvNormal(m, var=v, dim=2)", "MvNormal takes cov=..., not var=", 16),
        ("Normal(m, cov=S)", "does not take cov=", 14),
        ("Normal(m, s + 1)", "scale must be a name or a number", 10),
        ("Normal(m + 1, s)", "loc must be a name or a number", 7),
        ("Normal(*a)", "starred arguments are not allowed", 7),
        ("Normal(**a)", "keyword arguments are not allowed", 9),
        ("Normal", "a spec must be a call", 0),
        ("Normal(0, 1) + 1", "a spec must be a call", 0),
        ("x.Normal(0, 1)", "unknown family 'x.Normal'", 0),
        ("(lambda: 0)()", "a spec must be a call", 1),
        ("Normal(0, 1", "invalid syntax", 6),
        ("Normal(0, 10**40)", "scale must be a name or a number", 10),
        ("Normal(0, 1" + "0" * 40 + ")", "integer literal too long", 10),
        ("Normal(0, 1e999)", "too large or too small", 10),
        ("Normal(0, 1j)", "scale must be a name or a number", 10),
        ("Normal(0, '1')", "scale must be a name or a number", 10),
        ("", "empty input", 0),
        ("Normal(0,\x001)", "null byte", 9),
    ],
)
def test_spec_refusals(text: str, message: str, position: int) -> None:
    err = refused(parse_spec, text)
    assert message in err.message
    assert err.position == position
    assert err.text == text
    assert isinstance(err, UsageError) and isinstance(err, DerivationError)


def test_spec_refuses_long_input_and_non_strings() -> None:
    err = refused(parse_spec, "Normal(0, 1)" + " " * MAX_LENGTH)
    assert "too long" in err.message and err.position == MAX_LENGTH
    refused(parse_spec, None)
    refused(parse_spec, b"Normal(0, 1)")


# ----------------------------------------------------------------------------------------------------
# Python-syntax claims
# ----------------------------------------------------------------------------------------------------

VAE_BODY = 1 + LOGVAR_V[J] - MU_V[J] ** 2 - exp(LOGVAR_V[J])
VAE = -R(1, 2) * Sum(VAE_BODY, (J, 1, D))


@pytest.mark.parametrize(
    "text",
    [
        "-0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())",
        "-0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1)",
        "-0.5 * np.sum(1 + logvar - mu ** 2 - np.exp(logvar), axis=-1)",
        "-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1)",
        "-0.5 * (1 + logvar - mu.square() - torch.exp(logvar)).sum(-1)",
        "-1/2 * sum(1 + logvar - torch.pow(mu, 2) - exp(logvar))",
        "0.5 * torch.sum(mu**2 + torch.exp(logvar) - logvar - 1)",
        "-0.5 * d * torch.mean(1 + logvar - mu.pow(2) - logvar.exp())",
    ],
)
def test_vae_claims(text: str) -> None:
    got = vclaim(text)
    assert got == VAE or same(got.doit() if got.has(Sum) else got, VAE.doit())


def test_vae_claim_structure() -> None:
    got = vclaim("-0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())")
    assert got == VAE
    summed = next(iter(got.atoms(Sum)))
    assert summed.limits == ((J, 1, D),)
    assert summed.function == VAE_BODY


def test_mean_divides_by_dim() -> None:
    assert vclaim("mean(mu)") == Sum(MU_V[J], (J, 1, D)) / D
    assert vclaim("mu.mean()") == Sum(MU_V[J], (J, 1, D)) / D
    assert vclaim("torch.mean(mu**2, dim=-1)") == Sum(MU_V[J] ** 2, (J, 1, D)) / D


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("F.softplus(x)", log(1 + exp(x))),
        ("torch.nn.functional.softplus(x)", log(1 + exp(x))),
        ("np.log1p(y)", log(1 + y)),
        ("torch.expm1(z)", exp(z) - 1),
        ("math.log(x)", log(x)),
        ("numpy.sqrt(sigma)", sqrt(sigma)),
        ("1e-20", R(1, 10**20)),
        ("x + 1e-20", x + R(1, 10**20)),
        ("0.1 + 0.2", R(3, 10)),
        ("2.5e3", Integer(2500)),
        ("x ** 2", x**2),
        ("x.pow(2)", x**2),
        ("torch.pow(x, 2)", x**2),
        ("np.power(x, 3)", x**3),
        ("torch.square(x)", x**2),
        ("np.square(x)", x**2),
        ("x.square()", x**2),
        ("abs(x) + torch.abs(y) + z.abs()", Abs(x) + Abs(y) + Abs(z)),
        ("(x + 1).exp().log()", log(exp(x + 1))),
        ("sigma.sqrt() + sigma.log1p() + sigma.expm1()", sqrt(sigma) + log(1 + sigma) + exp(sigma) - 1),
        ("-x + +y - -z", -x + y + z),
        ("x / y / 2", x / y / 2),
        ("(a - b) ** 2 / (2 * sigma ** 2)", (a - b) ** 2 / (2 * sigma**2)),
        ("math.pi * x + np.e", pi * x + E),
        ("log(2 * pi * sigma**2)", log(2 * pi * sigma**2)),
        (
            "log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2)**2) / (2 * sigma2**2) - 0.5",
            log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - R(1, 2),
        ),
        ("2**10", Integer(1024)),
        ("x ** 0.5", sqrt(x)),
        ("\n x + 1 \n", x + 1),
    ],
)
def test_python_claims(text: str, expected: Expr) -> None:
    got = claim(text)
    assert got == expected or same(got, expected)


def test_symbols_are_the_given_objects() -> None:
    assert claim("sigma") is sigma
    assert claim("mu1 + mu2").free_symbols == {mu1, mu2}
    # A fresh Symbol with the same name but other assumptions is a different object; we must use ours.
    assert claim("sigma") != Symbol("sigma")


def test_pi_symbol_takes_precedence() -> None:
    p = Symbol("pi", positive=True)
    assert parse_claim("pi", {"pi": p}) is p
    assert claim("pi") == pi


def test_dim_name_and_vectors_inside_reductions() -> None:
    assert parse_claim("sum(mu) - d", {}, vectors=VECTORS, index=J, dim=D) == Sum(MU_V[J], (J, 1, D)) - D
    assert vclaim("sum(1)") == Sum(1, (J, 1, D))


# ----------------------------------------------------------------------------------------------------
# LaTeX claims
# ----------------------------------------------------------------------------------------------------


def test_latex_univariate_standard_normal_kl() -> None:
    got = claim(r"\frac{1}{2}\left(\mu^{2} + \sigma^{2} - \log\sigma^{2} - 1\right)")
    assert got == R(1, 2) * (mu**2 + sigma**2 - log(sigma**2) - 1)


def test_latex_diagonal_sum() -> None:
    got = vclaim(r"-\frac{1}{2}\sum_{j=1}^{d}\left(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\right)")
    expected = -R(1, 2) * Sum(1 + log(SIGMA_V[J] ** 2) - MU_V[J] ** 2 - SIGMA_V[J] ** 2, (J, 1, D))
    assert got == expected


def test_latex_two_gaussians() -> None:
    got = claim(r"\log\frac{\sigma_2}{\sigma_1} + \frac{\sigma_1^2 + (\mu_1-\mu_2)^2}{2\sigma_2^2} - \frac12")
    expected = log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - R(1, 2)
    assert got == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (r"2\sigma^2", 2 * sigma**2),
        (r"\mu^{2}\sigma", mu**2 * sigma),
        (r"ab\,x", a * b * x),
        (r"\log\sigma^{2}", log(sigma**2)),
        (r"\log\frac{a}{b}", log(a / b)),
        (r"\log 2\pi\sigma^2", log(2 * pi * sigma**2)),
        (r"\log(x)^2", log(x) ** 2),
        (r"\log\left(x\right) y", log(x) * y),
        (r"\log x \cdot y", log(x) * y),
        (r"\log x - \log y", log(x) - log(y)),
        (r"\log x \log y", log(x) * log(y)),
        (r"\ln\sigma + \exp{x}", log(sigma) + exp(x)),
        (r"e^{x} + e^2", exp(x) + E**2),
        (r"\pi x", pi * x),
        (r"\sqrt{\sigma} + \sqrt2 + \sqrt[3]{x}", sqrt(sigma) + sqrt(2) + x ** R(1, 3)),
        (r"\mu x^23", 3 * mu * x**2),
        (r"\frac12 + \dfrac{x}{y} + \tfrac{1}{3}", R(1, 2) + x / y + R(1, 3)),
        (r"\frac\sigma2", sigma / 2),
        (r"\left[x + y\right]^{2} \times z", (x + y) ** 2 * z),
        (r"\left\{x\right\} + \{y\}", x + y),
        (r"\bigl(x\bigr) \cdot {y}", x * y),
        (r"x^{-1} / y", 1 / (x * y)),
        (r"\mathrm{logvar} + \text{logvar} - \operatorname{logvar}", logvar),
        (r"\operatorname{softplus}(x)", log(1 + exp(x))),
        (r"\left| x \right| + |y|", Abs(x) + Abs(y)),
        (r"\mu_{1}\mu_2", mu1 * mu2),
        (r"\sigma_1^{2}", sigma1**2),
        (r"\sigma^{2}_{1}", sigma1**2),
        (r"\boldsymbol{\mu}", mu),
        (r"0.5\,x \quad + \; 1.25 \! y", R(1, 2) * x + R(5, 4) * y),
        (r"-\mu^2", -(mu**2)),
        (r"x \cdot -y", -x * y),
    ],
)
def test_latex_conventions(text: str, expected: Expr) -> None:
    got = claim(text)
    assert got == expected or same(got, expected)


def test_latex_subscript_resolution_and_greek() -> None:
    s_1 = Symbol("sigma_1", positive=True)
    assert parse_claim(r"\sigma_1", {"sigma_1": s_1}) is s_1
    big_sigma = Symbol("Sigma", positive=True)
    assert parse_claim(r"\Sigma + \tau", {"Sigma": big_sigma, "tau": x}) == big_sigma + x
    assert GREEK[r"\mu"] == "mu" and GREEK[r"\sigma"] == "sigma" and GREEK[r"\Sigma"] == "Sigma"
    names = "tau lambda alpha beta eta theta nu rho phi psi omega xi kappa gamma delta epsilon zeta pi"
    for name in names.split():
        assert GREEK["\\" + name] == name


def test_latex_e_and_pi_symbols_take_precedence() -> None:
    e_sym = Symbol("e", real=True)
    assert parse_claim(r"e^{x}", {"e": e_sym, "x": x}) == e_sym**x
    p = Symbol("pi", positive=True)
    assert parse_claim(r"2\pi", {"pi": p}) == 2 * p


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (r"\sum_{j=1}^{d} \mu_j^2", Sum(MU_V[J] ** 2, (J, 1, D))),
        (r"\sum_{j} \mu_{j}^2", Sum(MU_V[J] ** 2, (J, 1, D))),
        (r"\sum_j \mu_j^2 - 1", Sum(MU_V[J] ** 2, (J, 1, D)) - 1),
        (r"\sum_{i=1}^{d} \mu_i \sigma_i", Sum(MU_V[J] * SIGMA_V[J], (J, 1, D))),
        (r"\sum_{k=1}^d \left(\mu_k^2\right)", Sum(MU_V[J] ** 2, (J, 1, D))),
        (r"\sum_{j=1}^{d} \mu^2", Sum(MU_V[J] ** 2, (J, 1, D))),
        (r"\frac{1}{2}\left(\sum_{j=1}^{d} \mu_j^2 - d\right)", R(1, 2) * (Sum(MU_V[J] ** 2, (J, 1, D)) - D)),
    ],
)
def test_latex_sums(text: str, expected: Expr) -> None:
    assert vclaim(text) == expected


def test_syntax_detection() -> None:
    assert claim_syntax(r"\mu") == "latex"
    assert claim_syntax("x^{2}") == "latex"
    assert claim_syntax("x_{1}") == "latex"
    assert claim_syntax("x**2") == "python"
    assert claim("x^{2}") == x**2


# ----------------------------------------------------------------------------------------------------
# Claim refusals
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("().__class__", "attribute '__class__' is not allowed", 0),
        ("x.__class__", "attribute '__class__' is not allowed", 0),
        ("x.__class__()", "attribute '__class__' is not allowed", 2),
        ("__import__('os').system('touch /tmp/x')", "unknown method '.system()'", 17),
        ("__import__('os')", "unknown function '__import__'", 0),
        ("lambda: 1", "lambda expressions are not allowed", 0),
        ("[x for x in y]", "comprehensions are not allowed", 0),
        ("(x for x in y)", "comprehensions are not allowed", 0),
        ("open('f')", "unknown function 'open'", 0),
        ("eval('1')", "unknown function 'eval'", 0),
        ("x[0]", "subscripts (x[...]) are not allowed", 0),
        ("x if y else z", "conditional expressions", 0),
        ("x < y", "comparisons are not allowed", 0),
        ("x and y", "boolean operators", 0),
        ("(y := 2)", "assignment expressions", 1),
        ("f'{x}'", "f-strings are not allowed", 0),
        ("'abc'", "strings are not allowed", 0),
        ("exp(*x)", "starred arguments are not allowed", 4),
        ("exp(x, base=2)", "keyword arguments are not allowed", 12),
        ("log(x, 2)", "takes 1 argument", 0),
        ("import os", "invalid syntax", 0),
        ("x = 1", "invalid syntax", 2),
        ("2**99999", "exponent too large", 3),
        ("x**10**10", "exponent too large", 3),
        ("x**-1001", "exponent too large", 3),
        ("exp(10**6 * log(2))", "exponent too large", 0),
        ("1000**1000", "too large", 6),
        ("1" + "0" * 40, "integer literal too long", 0),
        ("1e400", "too large or too small", 0),
        ("2j", "complex numbers are not allowed", 0),
        ("True", "not allowed", 0),
        ("x + foo", "unknown symbol 'foo'", 4),
        ("x * (y + bar) ", "unknown symbol 'bar'", 9),
        ("frobnicate(x)", "unknown function 'frobnicate'", 0),
        ("torch.frobnicate(x)", "unknown function 'torch.frobnicate'", 0),
        ("torch.nn.softplus(x)", "unknown function 'torch.nn.softplus'", 0),
        ("x.frobnicate()", "unknown method '.frobnicate()'", 2),
        ("x(2)", "'x' is a symbol, not a function", 0),
        ("exp", "'exp' is a function", 0),
        ("x ^ 2", "operator '^' is not allowed (use ** for powers)", 0),
        ("x @ y", "operator '@' is not allowed", 0),
        ("x % y", "operator '%' is not allowed", 0),
        ("not x", "operator 'not' is not allowed", 0),
        ("x.real", "attribute 'real' is not allowed", 0),
        ("1/0", "division by zero", 2),
        ("log(0)", "undefined", None),
        ("sum(x)", "this case has no vector parameters", 0),
        ("", "empty input", 0),
        ("   ", "empty input", 0),
        ("x +", "invalid syntax: the formula ends too early", 3),
        ("x + )", "invalid syntax", 4),
        ("x\x00", "null byte", 1),
        ("x + \ud800", "invalid character", 4),
    ],
)
def test_claim_refusals(text: str, message: str, position: int | None) -> None:
    err = refused(claim, text)
    assert message in err.message
    assert err.position == position
    assert err.text == text


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("mu + 1", "'mu' is a vector over the latent dimension; sum it, e.g. sum(...)", 0),
        ("x + logvar.exp()", "'logvar' is a vector over the latent dimension", 4),
        ("sum(mu * sum(mu))", "nested reduction", 9),
        ("(mu * mu.sum()).sum()", "nested reduction", 6),
        ("sum(mu, keepdim=True)", "keyword 'keepdim' is not allowed", 16),
        ("sum(mu, dim=x)", "dim= must be an integer", 12),
        ("sum(mu, x)", "the axis of sum() must be an integer", 8),
        ("sum()", "sum() needs an argument", 0),
        (r"\mu_j^2", "'mu_j' indexes a vector outside a sum", 0),
        (r"\mu^2", r"'mu' is a vector over the latent dimension; sum it, e.g. \sum_{j=1}^{d}", 0),
        (r"\sum_{k=1}^{d} \mu_j", "subscript 'j' does not match the sum index 'k'", 15),
        (r"\sum_{j=1}^{d} \sum_{i} \mu_i", "nested sums are not supported", 15),
        (r"\sum_{j=0}^{d} \mu_j", "must start at 1", 0),
        (r"\sum_{j=1}^{n} \mu_j", "must run up to the latent dimension d", 11),
        (r"\sum \mu", "a sum needs its index", 0),
    ],
)
def test_vector_refusals(text: str, message: str, position: int | None) -> None:
    err = refused(vclaim, text)
    assert message in err.message
    assert err.position == position


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        (r"\mu + q", "unknown symbol 'q'", 6),
        (r"\mu + \foo", r"unknown LaTeX command '\foo'", 6),
        (r"\mu + \sigma_7", "unknown symbol 'sigma_7'", 6),
        (r"\hat{\mu}", r"unknown LaTeX command '\hat'", 0),
        (r"\frac{1}{2", "expected '}'", 10),
        (r"\left( x", r"expected '\right'", 8),
        (r"x^{2}^{3}", "double superscript", 5),
        (r"x_1_2 + \mu", "double subscript", 3),
        (r"(x+y)_1 + \mu", "a subscript must follow a name", 5),
        (r"\log_2 x", "logarithms with a base are not supported", 4),
        (r"\frac{x}{0}", "division by zero", 0),
        (r"x = \mu", "unexpected '='", 2),
        (r"\mu + #", "unexpected character '#'", 6),
        (r"\mu \\ x", "unsupported LaTeX control sequence", 4),
        (r"\sum_{j=1}^{d} \mu_j", "needs vector parameters", 0),
        (r"\mu + 1" + "0" * 40, "number literal too long", 6),
        (r"2^{99999}", "exponent too large", 2),
        (r"x^{10^{10}}", "exponent too large", 2),
        (r"e^{10^{6}}", "exponent too large", 2),
        (r"\mu + ", "unexpected end of input", 5),
        (r"\cdot x", r"'\cdot' needs something on its left", 0),
    ],
)
def test_latex_refusals(text: str, message: str, position: int | None) -> None:
    err = refused(claim, text)
    assert message in err.message
    assert err.position == position


def test_positions_count_characters_not_bytes() -> None:
    greek_mu = Symbol("μ", real=True)
    err = refused(parse_claim, "μμ + foo", {"μμ": greek_mu})
    assert err.position == 5 and "unknown symbol 'foo'" in err.message


def test_length_and_nesting_limits() -> None:
    exact = "x" + " + x" * ((MAX_LENGTH - 1) // 4)
    exact += " " * (MAX_LENGTH - len(exact))
    assert len(exact) == MAX_LENGTH
    assert claim(exact) == ((MAX_LENGTH - 1) // 4 + 1) * x
    err = refused(claim, "x" * (MAX_LENGTH + 1))
    assert "too long" in err.message
    assert claim("(" * 50 + "x" + ")" * 50) == x
    for text in (
        "(" * 150 + "x" + ")" * 150,
        "{" * 150 + r"\mu" + "}" * 150,
        "-" * 500 + "x",
        "exp(" * 101 + "x" + ")" * 101,
        r"\sqrt" * 300 + " x",
        "-" * 500 + r"\mu",
        "x" + "**x" * 400,
    ):
        err = refused(claim, text)
        assert "nested too deeply" in err.message or "too" in err.message


def test_non_string_and_api_misuse() -> None:
    refused(claim, None)
    refused(claim, 42)
    with pytest.raises(ValueError):
        parse_claim("sum(mu)", {}, vectors=VECTORS)


# ----------------------------------------------------------------------------------------------------
# Fuzzing: nothing but ParseError escapes, nothing is executed
# ----------------------------------------------------------------------------------------------------

TOKENS = [
    "x",
    "y",
    "mu",
    "logvar",
    "sigma",
    "d",
    "e",
    "pi",
    "j",
    "0",
    "1",
    "2",
    "0.5",
    "1e-20",
    "1000",
    "99",
    "10",
    "+",
    "-",
    "*",
    "/",
    "**",
    "^",
    "_",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ".",
    "=",
    ":",
    "|",
    "'",
    " ",
    "exp",
    "log",
    "sqrt",
    "sum",
    "mean",
    "softplus",
    "pow",
    "torch.",
    "np.",
    "F.",
    "math.",
    ".pow(2)",
    ".exp()",
    ".sum()",
    ".mean()",
    "dim=1",
    "axis=-1",
    "lambda",
    "if",
    "else",
    "for",
    "in",
    "__class__",
    "__import__",
    "os",
    "system",
    "open",
    "eval",
    "\\frac",
    "\\dfrac",
    "\\log",
    "\\ln",
    "\\exp",
    "\\sum",
    "\\sqrt",
    "\\left(",
    "\\right)",
    "\\left",
    "\\right",
    "\\mu",
    "\\sigma",
    "\\pi",
    "\\cdot",
    "\\times",
    "\\mathrm{logvar}",
    "\\operatorname",
    "\\boldsymbol",
    "$",
    "$$",
    "\\mathrm{KL}(q\\|p) =",
    "KL(q||p) =",
    "\\(",
    "\\]",
    "μ",
    "σ",
    "λ",
    "µ",
    "lv",
    "lambda x:",
    "1/2",
    "Normal(",
    "DiagNormal(",
    "torch.mean(",
    ".sum(dim=1)",
    ", dim=0)",
    "\\,",
    "\\quad",
    "\\",
    "\x00",
    "é",
    "²",
    "\n",
    f"'{SENTINEL}'",
    f"__import__('os').system('touch {SENTINEL}')",
    f"open('{SENTINEL}', 'w')",
]
FUZZ = settings(
    max_examples=250, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


def _all_parsers(text: str) -> None:
    for call in (
        lambda: parse_claim(text, SYMBOLS),
        lambda: parse_claim(text, {"x": x, "d": D}, vectors=VECTORS, index=J, dim=D),
        lambda: parse_spec(text),
    ):
        try:
            result = call()
        except ParseError as err:
            assert "\n" not in str(err)
            assert err.position is None or 0 <= err.position <= len(text)
        else:
            assert isinstance(result, (Expr, DistSpec))
    assert not os.path.exists(SENTINEL)


@FUZZ
@given(st.text(max_size=120))
def test_fuzz_arbitrary_text(text: str) -> None:
    _all_parsers(text)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=30).map("".join))
def test_fuzz_plausible_tokens(text: str) -> None:
    _all_parsers(text)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=30).map(" ".join))
def test_fuzz_spaced_tokens(text: str) -> None:
    _all_parsers(text)


def test_nothing_is_executed() -> None:
    attempts = [
        f"__import__('os').system('touch {SENTINEL}')",
        f"open('{SENTINEL}', 'w').write('x')",
        f"exec(\"open('{SENTINEL}', 'w')\")",
        "[c for c in ().__class__.__base__.__subclasses__()]",
        f"Normal(__import__('os').system('touch {SENTINEL}'), 1)",
        f"\\mathrm{{open}}('{SENTINEL}')",
    ]
    for text in attempts:
        _all_parsers(text)
    assert not os.path.exists(SENTINEL)


# ----------------------------------------------------------------------------------------------------
# Issue 10 item 9 and issue 9 item 11: names and syntax a user writes
# ----------------------------------------------------------------------------------------------------

from derivation.interpret.parse import RESERVED_NAMES, read_claim  # noqa: E402


def test_lambda_is_a_name() -> None:
    spec = parse_spec("Normal(mu, lambda)")
    assert spec.param == Symbol("lambda", positive=True)
    lam = Symbol("lambda", positive=True)
    assert parse_claim("lambda**2 + log(lambda)", {"lambda": lam}) == lam**2 + log(lam)
    assert parse_claim("0.5*lambda*2", {"lambda": lam}) == lam
    err = refused(claim, "lambda x: x")  # a lambda expression is still refused
    assert "lambda expressions are not allowed" in err.message
    assert refused(parse_claim, "lambda + foo", {"lambda": lam}).position == 9  # positions unchanged


@pytest.mark.parametrize(("text", "value"), [
    ("Normal(0, 1/2)", Rational(1, 2)), ("Normal(-3/4, var=2/3)", Rational(2, 3)),
    ("Normal(0, 2*0.25)", Rational(1, 2)),
])
def test_a_quotient_of_numbers_is_a_spec_value(text: str, value: Rational) -> None:
    assert parse_spec(text).param == value


def test_spec_value_division_by_zero() -> None:
    err = refused(parse_spec, "Normal(0, 1/0)")
    assert "division by zero" in err.message and err.position == 12


@pytest.mark.parametrize("text", [
    r"$\frac{1}{2}\mu^2$", r"$$\frac{1}{2}\mu^2$$", r"\(\frac{1}{2}\mu^2\)", r"\[ \frac{1}{2}\mu^2 \]",
    r"\mathrm{KL}(q\|p) = \frac{1}{2}\mu^2", r"$\mathrm{KL}(q \| p) = \frac{1}{2}\mu^2$",
    r"D_{\mathrm{KL}}(q \parallel p) = \frac{1}{2}\mu^2", r"\operatorname{KL}\left(q \| p\right) = \frac{1}{2}\mu^2",
    r"KL(q(z) || p(z)) = \frac{1}{2}\mu^2", "$mu**2/2$".replace("mu**2/2", r"\mu^2/2"),
])
def test_latex_claim_in_math_mode_or_after_kl_equals(text: str) -> None:
    assert claim(text) == mu**2 / 2


def test_unwrapped_positions_point_into_the_original_text() -> None:
    err = refused(claim, r"$\mu + \foo$")
    assert err.position == 7 and "unknown LaTeX command" in err.message
    err = refused(claim, r"\mathrm{KL}(q\|p) = ")
    assert "empty formula" in err.message


def test_the_specs_names_come_first_in_latex_letter_runs() -> None:
    lv, l_, v_ = Symbol("lv", real=True), Symbol("l", real=True), Symbol("v", real=True)
    assert parse_claim(r"e^{lv} - lv", {"lv": lv}) == exp(lv) - lv
    assert parse_claim(r"\frac{lv}{2}", {"l": l_, "v": v_}) == l_ * v_ / 2  # no name lv: two letters
    assert parse_claim(r"\frac{lv}{2}", {"l": l_, "v": v_, "lv": lv}) == lv / 2  # the name first
    assert parse_claim(r"\frac{l v}{2}", {"l": l_, "v": v_, "lv": lv}) == l_ * v_ / 2  # a space separates
    s1 = Symbol("s1", positive=True)
    assert parse_claim(r"\log s1^2", {"s1": s1}) == log(s1**2)
    assert vclaim(r"\sum_{j=1}^{d} mu_j") == Sum(MU_V[J], (J, 1, D))


def test_an_incomplete_python_claim_has_a_position() -> None:
    for text, position in (("mu +", 4), ("mu + sigma *", 12), ("(mu + ", 0)):  # the last: '(' never closed
        err = refused(claim, text)
        assert err.position == position, (text, err)


def test_batch_idiom() -> None:
    """torch.mean(x.sum(dim=1), dim=0): the inner sum over the latent coordinates, the outer mean over a batch;
    for the one example a claim is about, that is the per-example sum."""
    per_example = Sum(MU_V[J] ** 2, (J, 1, D))
    assert vclaim("torch.mean((mu**2).sum(dim=1), dim=0)") == per_example
    assert vclaim("torch.mean(torch.sum(mu**2, dim=1), dim=0)") == per_example
    assert vclaim("torch.sum(mu.pow(2).sum(-1))") == per_example
    assert vclaim("torch.mean(mu.pow(2).mean(dim=1), dim=0)") == per_example / D
    xs = IndexedBase("x", real=True)
    batch = parse_claim("torch.mean(x.sum(dim=1), dim=0)", {}, vectors={"x": xs}, index=J, dim=D)
    assert batch == Sum(xs[J], (J, 1, D))
    err = refused(vclaim, "torch.mean(mu * mu.sum(dim=1), dim=0)")  # mu outside the inner sum: not the idiom
    assert "nested reduction" in err.message


@pytest.mark.parametrize(("text", "name"), [
    ("Normal(μ, σ)", ("mu", "sigma")), ("Normal(µ, σ)", ("mu", "sigma")), ("Normal(μ1, logvar=λ)", ("mu1", "lambda")),
    ("DiagNormal(μ, σ, dim=δ)", ("mu", "sigma")),
])
def test_greek_letters_in_specs_are_spelled_out(text: str, name: tuple[str, str]) -> None:
    spec = parse_spec(text)
    assert (spec.loc.name, spec.param.name) == name


def test_greek_letters_in_claims() -> None:
    assert parse_claim("μ**2 + σ", {"mu": mu, "sigma": sigma}) == mu**2 + sigma
    assert parse_claim(r"\frac12 μ^2 + \log σ", {"mu": mu, "sigma": sigma}) == mu**2 / 2 + log(sigma)


@pytest.mark.parametrize(("text", "words"), [
    ("Normal(é, s)", "cannot print"), ("Normal(m, s中)", "cannot print"),
    ("Normal(pi, e)", "the constant pi"), ("Normal(0, e)", "Euler's number"), ("Normal(q, p)", "the first density q"),
    ("Normal(0, p)", "the second density p"), ("Normal(π, 1)", "the constant pi"), ("Normal(log, 1)", "function log"),
    ("DiagNormal(0, 1, dim=e)", "Euler's number"), ("Normal(μ, mu)", "used for both loc and scale"),
])
def test_names_a_document_cannot_print_unambiguously_are_refused(text: str, words: str) -> None:
    err = refused(parse_spec, text)
    assert words in err.message and err.position is not None


def test_requirements_record_where_the_code_is_defined() -> None:
    parsed = read_claim("np.sqrt(mu)**2 * mu + 0*log(x) + 1/y + (a)**0.5 + b**-1", SYMBOLS)
    assert parsed.expr == mu**2 + 1 / y + sqrt(a) + 1 / b  # what SymPy made of it: 0*log(x) and sqrt(mu)**2 gone
    found = {(r.expr, r.relation) for r in parsed.requirements}
    assert found == {(mu, ">=0"), (x, ">0"), (y, "!=0"), (a, ">=0"), (b, "!=0")}
    assert read_claim("exp(x) + 2**0.5 + log(2)", SYMBOLS).requirements == ()  # nothing to require of numbers
    floats = read_claim("0.5*x + 1e-3 + 2", SYMBOLS).literals
    assert [(f.text, f.value, f.pos) for f in floats] == [("0.5", Rational(1, 2), 0), ("1e-3", Rational(1, 1000), 8)]


FUZZ_SPECS = st.lists(st.sampled_from(["Normal(", "DiagNormal(", "μ", "σ", "λ", "lambda", "pi", "e", "q", "p", "é",
                                       "1/2", "0", "-", "/", ",", ")", " ", "dim=", "logvar=", "d", "3"]),
                      max_size=14).map("".join)


@FUZZ
@given(FUZZ_SPECS)
def test_fuzz_specs_with_names(text: str) -> None:
    """Random specs built from names and Unicode letters: a DistSpec with printable names, or a ParseError."""
    try:
        spec = parse_spec(text)
    except ParseError as err:
        assert "\n" not in str(err)
        return
    for value in (spec.loc, spec.param, spec.dim):
        if isinstance(value, Symbol):
            assert value.name.isascii() and value.name not in RESERVED_NAMES


@pytest.mark.parametrize("args", [
    ["derive", "--q", "Normal(pi, e)", "--p", "Normal(0, 1)"],
    ["derive", "--q", "Normal(q, p)", "--p", "Normal(0, 1)"],
    ["derive", "standard", "--notation", "mu=pi"],
    ["derive", "standard", "--notation", "sigma=e"],
    ["derive", "--q", "Normal(é, s)", "--p", "Normal(0, 1)"],
    ["verify", "--q", "Normal(mu, logvar=lv)", "--p", "Normal(0, 1)", "--claim", "mu +"],
])
def test_clashing_or_unprintable_names_are_one_line_exit_2(args, capsys, tmp_path) -> None:
    import cli

    target = tmp_path / "out.tex"
    code = cli.run([*args, "-o", str(target)] if args[0] == "derive" else args)
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and not target.exists()
    assert err.startswith("kl-derive: error: ") and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_notation_letters_may_still_swap_p_and_q() -> None:
    from derivation.settings.univariate import parse_notation

    assert parse_notation(["letters=p,q"]).names == {"q": "p", "p": "q"}


@pytest.mark.parametrize(("q", "p"), [("Normal(μ, σ)", "Normal(0, 1)"),
                                      ("DiagNormal(μ, logvar=λ, dim=δ)", "DiagNormal(0, 1, dim=δ)")])
def test_unicode_names_give_latex_that_pdflatex_compiles(q, p, tmp_path, require_tool) -> None:
    import subprocess

    from derivation import derive, render

    tex = render(derive(q=q, p=p), "latex")
    assert tex.isascii() and r"\mu" in tex
    (tmp_path / "doc.tex").write_text(tex)
    done = subprocess.run([require_tool("pdflatex"), "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 1000


def test_a_python_claim_after_kl_equals() -> None:
    assert claim("KL(q||p) = 0.5*mu**2") == mu**2 / 2


@FUZZ
@given(st.from_regex(r"[a-df-z][a-z0-9]{1,3}", fullmatch=True), st.booleans())
def test_property_a_spec_name_reads_whole_in_latex(name: str, also_letters: bool) -> None:
    """A run of letters that is one of the names reads as that name, even when its letters are names too."""
    symbols = {name: Symbol(name, real=True)}
    if also_letters:
        symbols.update({ch: Symbol(ch, real=True) for ch in name if ch.isalpha()})
    assert parse_claim(rf"\frac{{{name}}}{{2}} + 1", symbols) == symbols[name] / 2 + 1
