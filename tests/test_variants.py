"""Custom variants: any pair of Normal specs is derived by the named plan, then written in the user's symbols."""

from __future__ import annotations

import math
import random
from dataclasses import replace

import mpmath
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sympy import Eq, Rational, Symbol, exp

from derivation import derive, render
from derivation.core.engine import Rewrite
from derivation.core.errors import ParseError, StepRejected, UsageError
from derivation.core.forms import evaluated
from derivation.interpret.parse import parse_spec
from derivation.pairs.routes import variant
from derivation.pairs.univariate import EVALUATE, PARAMETERISATION, DefinitionsChecker
from derivation.rules.base import rewrite_or_refuse

# -- an oracle independent of the engine: the KL integral by adaptive quadrature, scales from the spec by hand --

_SCALE = {
    "scale": lambda t: t,
    "var": math.sqrt,
    "logvar": lambda t: math.exp(t / 2),
    "log_scale": math.exp,
    "precision": lambda t: 1 / math.sqrt(t),
}


def _kl_by_quadrature(m1: float, s1: float, m2: float, s2: float) -> float:
    def integrand(x):
        log_q = -((x - m1) ** 2) / (2 * s1**2) - mpmath.log(s1)
        log_p = -((x - m2) ** 2) / (2 * s2**2) - mpmath.log(s2)
        return mpmath.exp(log_q) / mpmath.sqrt(2 * mpmath.pi) * (log_q - log_p)

    with mpmath.workdps(25):
        return float(mpmath.quad(integrand, [-mpmath.inf, m1 - 5 * s1, m1, m1 + 5 * s1, mpmath.inf]))


def _value(expr, values: dict[str, float]) -> float:
    return float(evaluated(expr).subs({s: values[s.name] for s in expr.free_symbols}).evalf(30))


PAIRS = [
    # (q, p, {name: (role, kind)} is implicit: values below give loc/param per spec)
    ("Normal(a, logvar=w)", "Normal(0, 1)"),
    ("Normal(m1, var=v1)", "Normal(m2, var=v2)"),
    ("Normal(m1, precision=t1)", "Normal(m2, precision=t2)"),
    ("Normal(a, log_scale=l)", "Normal(b, log_scale=k)"),
    ("Normal(a, s)", "Normal(2, var=3)"),
    ("Normal(2, var=3)", "Normal(a, s)"),
    ("Normal(-1, 0.5)", "Normal(0, 1)"),
    ("Normal(a, logvar=w)", "Normal(b, scale=s)"),
    ("Normal(mu, sigma)", "Normal(mu, tau)"),
    ("Normal(a, 1)", "Normal(0, s)"),
]


def _spec_value(spec, values):
    return values[spec.name] if isinstance(spec, Symbol) else float(spec)


@pytest.mark.parametrize(("q", "p"), PAIRS)
def test_every_step_verified_and_the_result_is_the_kl_integral(q, p):
    d = derive(q=q, p=p)
    assert d.verified and all(lm.verified for lm in d.lemmas())
    v = variant(q, p)
    users = set(v.setting.user_parameters)
    assert d.result.free_symbols <= users  # in the user's symbols, no fresh scale left
    rng = random.Random(7)
    for _ in range(3):
        values = {s.name: (rng.uniform(0.4, 2.2) if s.is_positive else rng.uniform(-1.5, 1.5)) for s in users}
        qs, ps = parse_spec(q), parse_spec(p)
        m1, m2 = _spec_value(qs.loc, values), _spec_value(ps.loc, values)
        s1 = _SCALE[qs.param_kind](_spec_value(qs.param, values))
        s2 = _SCALE[ps.param_kind](_spec_value(ps.param, values))
        assert _value(d.result, values) == pytest.approx(_kl_by_quadrature(m1, s1, m2, s2), rel=1e-9, abs=1e-12)


def test_the_parameterisation_is_a_verified_step_with_its_identity():
    d = derive(q="Normal(a, logvar=w)", p="Normal(0, 1)")
    keys = [s.rule for s in d.steps]
    assert keys[-3:] == ["parameterisation", "evaluate", "collect-like-terms"]
    sigma = next(iter(dict(d.setting.definitions)))
    w = Symbol("w", real=True)
    assert d.steps[-3].identities == (Eq(sigma, exp(w / 2), evaluate=False),)
    assert sigma in d.steps[-4].expr.free_symbols and sigma not in d.result.free_symbols
    assert d.checks[-3].method == "symbolic" and "definitions" in d.checks[-3].detail
    a = Symbol("a", real=True)
    assert evaluated(d.result) == a**2 / 2 - w / 2 + exp(w) / 2 - Rational(1, 2)


def _derive_with(q, p, rule, broken):
    v = variant(q, p)
    finish = tuple(broken if r is rule else r for r in v.finish)
    return replace(v, finish=finish).derive()


def test_a_wrong_parameterisation_is_rejected():
    """sigma = exp(w) instead of exp(w / 2) (log-variance read as log-scale) must not pass."""

    def wrong(expr, setting):
        defs = {s: exp(2 * v.args[0]) for s, v in setting.definitions}
        return Rewrite(rewrite_or_refuse(expr, defs.get, "scale"))

    broken = replace(PARAMETERISATION, key="broken-parameterisation", apply=wrong)
    with pytest.raises(StepRejected, match="broken-parameterisation"):
        _derive_with("Normal(a, logvar=w)", "Normal(0, 1)", PARAMETERISATION, broken)


def test_a_wrong_evaluation_is_rejected():
    def wrong(expr, setting):
        out = EVALUATE.apply(expr, setting).expr
        return out.func(*out.args[:-1], -1, evaluate=False)  # -1/2 collected as -1

    broken = replace(EVALUATE, key="broken-evaluate", apply=wrong)
    with pytest.raises(StepRejected, match="broken-evaluate"):
        _derive_with("Normal(a, logvar=w)", "Normal(0, 1)", EVALUATE, broken)


def test_definitions_checker_draws_points_in_the_users_parameters():
    v = variant("Normal(a, logvar=w)", "Normal(0, 1)")
    (sigma, _), = v.setting.definitions
    checker = DefinitionsChecker(v.setting.user_parameters, v.setting.definitions)
    for point in checker.evaluator.points:
        assert point[sigma] == pytest.approx(float(mpmath.exp(point[Symbol("w", real=True)] / 2)))


@pytest.mark.parametrize(("q", "p", "expected"), [
    ("Normal(0, 1)", "Normal(0, 1)", 0),
    ("Normal(a, logvar=w)", "Normal(a, logvar=w)", 0),
    ("Normal(a, s)", "Normal(a, s)", 0),
    ("Normal(-1, 0.5)", "Normal(0, 1)", None),
])
def test_numeric_and_identical_pairs(q, p, expected):
    d = derive(q=q, p=p)
    assert d.verified
    if expected is not None:
        assert evaluated(d.result) == expected
    else:
        assert not d.result.free_symbols
        assert float(d.result) == pytest.approx(_kl_by_quadrature(-1, 0.5, 0, 1))


def test_shared_names_are_one_symbol():
    # s is a scale in q and a mean in p: one symbol, positive
    v = variant("Normal(0, s)", "Normal(s, 1)")
    assert v.setting.user_parameters == (Symbol("s", positive=True),)
    assert derive(q="Normal(0, s)", p="Normal(s, 1)").verified
    # the same log-variance in q and p: one fresh scale
    v = variant("Normal(a, logvar=w)", "Normal(b, logvar=w)")
    assert len(v.setting.definitions) == 1 and v.setting.q.std == v.setting.p.std


def test_user_names_never_collide_with_internal_names():
    d = derive(q="Normal(x, z)", p="Normal(xi, sigma_q)")  # (pi, e, q, p are refused: issue 9 item 11)
    assert d.verified
    assert d.setting.x.name not in {"x", "z", "xi"} and d.setting.z.name not in {"x", "z", "xi"}
    names = {s.name for s in d.result.free_symbols}
    assert names == {"x", "z", "xi", "sigma_q"}
    md = render(d, "markdown")
    assert r"\xi" in md


def test_documents_state_the_parameterisation():
    d = derive(q="Normal(m, var=v)", p="Normal(0, 1)")
    md = render(d, "markdown")
    assert r"q = \mathcal{N}(m, v)" in md
    assert r"\sigma = \sqrt{v}" in md  # p has no parameters: q's scale is plain sigma (review item 9)
    assert "Parameterisation" in md and "Evaluate" in md


@pytest.mark.parametrize("fmt", ["markdown", "latex", "beamer", "latex-fragment"])
def test_q_scale_is_plain_sigma_when_p_has_no_parameters(fmt):
    """Review item 9: Normal(a, logvar=w) against Normal(0, 1) wrote sigma_q = e^{w/2}, E_q[(x-a)^2] = sigma_q^2,
    where standard and dynamics write plain sigma for the same setting; with parameters in p both keep their
    subscripts, and a name the user took is not reused."""
    text = render(derive(q="Normal(a, logvar=w)", p="Normal(0, 1)"), fmt)
    assert r"\sigma = e^{w/2}" in text and r"\bigl[(x - a)^{2}\bigr] = \sigma^{2}" in text
    assert r"\sigma_{q}" not in text and r"\sigma^{2}" in text
    both = render(derive(q="Normal(a, logvar=w)", p="Normal(b, logvar=u)"), fmt)
    assert r"\sigma_{q} = e^{w/2}" in both and r"\sigma_{p} = e^{u/2}" in both
    taken = render(derive(q="Normal(sigma, logvar=w)", p="Normal(0, 1)"), fmt)
    assert r"\varsigma_{q} = e^{w/2}" in taken


def test_latex_of_a_custom_pair_compiles(tmp_path, require_tool):
    import subprocess

    pdflatex = require_tool("pdflatex")
    d = derive(q="Normal(m1, precision=t1)", p="Normal(m2, log_scale=l)")
    (tmp_path / "kl.tex").write_text(render(d, "latex"))
    for _ in range(2):
        done = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", "kl.tex"], cwd=tmp_path,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stdout[-2000:]
    log = (tmp_path / "kl.log").read_text(errors="replace")
    assert "Overfull" not in log and "undefined" not in log.lower()


@pytest.mark.parametrize(("q", "p", "error", "message"), [
    ("DiagNormal(m, s, dim=3)", "DiagNormal(0, 1, dim=4)", ParseError, "dimension mismatch"),
    ("Normal(m, s)", "DiagNormal(0, 1, dim=2)", ParseError, "dimension mismatch"),
    ("DiagNormal(m, s, dim=d)", "DiagNormal(0, 1, dim=k)", ParseError, "dimension mismatch"),
    ("DiagNormal(m, s, dim=d)", "DiagNormal(0, 1, dim=3)", ParseError,
     "dimension mismatch: q has dimension d but p has dimension 3 .the dimension d is any size"),
    ("MvNormal(m, cov=S, dim=3)", "MvNormal(0, cov=T, dim=4)", ParseError, "dimension mismatch"),
    ("DiagNormal(m, s, dim=k)", "MvNormal(0, cov=T, dim=k)", UsageError,
     r"DiagNormal against MvNormal is not supported: give both as DiagNormal .* or both as MvNormal"),
    ("MvNormal(m, cov=S, dim=k)", "DiagNormal(0, 1, dim=k)", UsageError, "MvNormal against DiagNormal"),
    ("DiagNormal(m, s, dim=1)", "Normal(0, 1)", UsageError, "not supported"),
    ("DiagNormal(m, s, dim=d)", "DiagNormal(d, 1, dim=d)", ParseError, "p: name 'd' is used for both loc and dim"),
    ("Normal(m, -1)", "Normal(0, 1)", ParseError, "q: scale must be positive"),
    ("Normal(0, 1)", "Cauchy(1, 1)", ParseError, "p: unknown family"),
])
def test_bad_pairs(q, p, error, message):
    with pytest.raises(error, match=message):
        derive(q=q, p=p)


def test_dimension_mismatch_names_the_position():
    with pytest.raises(ParseError) as info:
        variant("DiagNormal(m, s, dim=3)", "DiagNormal(0, 1, dim=4)")
    assert info.value.position == "DiagNormal(0, 1, dim=4)".index("dim")


def test_api_refuses_mixed_arguments():
    with pytest.raises(UsageError, match="not both"):
        derive("univariate", q="Normal(0, 1)", p="Normal(0, 1)")
    with pytest.raises(UsageError, match="both specs"):
        derive(q="Normal(0, 1)")
    with pytest.raises(UsageError, match="case name"):
        derive()


# -- properties ------------------------------------------------------------------------------------------

_KINDS = ("scale", "var", "logvar", "log_scale", "precision")
_POSITIVE = ("scale", "var", "precision")


@st.composite
def specs(draw, prefix: str):
    """A random Normal spec: numeric or symbolic loc, any parameterisation, numeric or symbolic parameter."""
    kind = draw(st.sampled_from(_KINDS))
    loc = draw(st.one_of(st.just(f"{prefix}m"), st.integers(-3, 3).map(str), st.just("0.5")))
    if draw(st.booleans()):
        param = draw(st.sampled_from([f"{prefix}t", "u"]))  # "u" may be shared between q and p
    else:
        param = draw(st.sampled_from(["1", "2", "0.25"] if kind in _POSITIVE else ["0", "-1", "0.5"]))
    return f"Normal({loc}, {kind}={param})"


def _compatible(q: str, p: str) -> bool:
    """The shared name u must be used in one way (a real log-parameter cannot also be a positive scale)."""
    kinds = {k for spec in (q, p) for k in _KINDS if f"{k}=u" in spec}
    return not (kinds & set(_POSITIVE) and kinds - set(_POSITIVE))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs("q"), specs("p"), st.randoms(use_true_random=False))
def test_kl_is_never_negative(q, p, rng):
    if not _compatible(q, p):
        return
    v = variant(q, p)
    kl = v.closed_form()
    for _ in range(3):
        point = {s: (rng.uniform(0.2, 3) if s.is_positive else rng.uniform(-3, 3)) for s in v.setting.user_parameters}
        assert float(evaluated(kl).xreplace(point).evalf(30)) >= -1e-12


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs("q"))
def test_kl_of_a_density_from_itself_is_zero(q):
    d = derive(q=q, p=q)
    assert d.verified and evaluated(d.result) == 0


def test_every_format_renders_a_custom_pair():
    from derivation import FORMATS

    d = derive(q="Normal(a, logvar=w)", p="Normal(b, var=v)")
    assert dict(d.options) == {"q": "Normal(a, logvar=w)", "p": "Normal(b, var=v)"}
    for fmt in FORMATS:
        assert render(d, fmt).strip(), fmt
    assert "derive(q='Normal(a, logvar=w)', p='Normal(b, var=v)')" in render(d, "ipynb")
    text = render(d, "text")
    assert "\\" not in text and "σ_q" in text
