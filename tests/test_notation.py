"""Issue 9, "one notation per role across all documents".

A parameter of a density carries the density's letter when both densities have parameters
(q = N(μ_q, σ_q²), p = N(μ_p, σ_p²); q = N(μ_q, Σ_q), p = N(μ_p, Σ_p)); numbers and j index coordinates only
(μⱼ, σ₁, …, σ_d); against a fixed p, q's parameters are plain μ, σ; the dimension is d in every document.
"""

from __future__ import annotations

import re
from functools import cache

import pytest

from derivation import CASES, derive, render
from derivation.core.errors import UsageError
from derivation.settings.univariate import Notation, parse_notation

#: Every named case, each route, and the written-out diagonal case.
CONFIGURATIONS = [*[{"case": case} for case in CASES], {"case": "diagonal", "route": "kingma"},
                  {"case": "diagonal", "route": "full"}, {"case": "diagonal", "dim": 3},
                  {"case": "diagonal", "route": "full", "dim": 3}]


def _id(options: dict) -> str:
    return "-".join(str(v) for v in options.values())


@cache
def _document(fmt: str, **options) -> str:
    return render(derive(**options), fmt)


def _line(text: str, start: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(start))


# -- each role's notation, as the documents print it ---------------------------------------------------------


def test_univariate_parameters_carry_their_density_letter():
    text = _document("text", case="univariate")
    assert _line(text, "Setting:") == \
        "Setting: q = N(μ_q, σ_q²), p = N(μ_p, σ_p²); μ_q ∈ ℝ, σ_q > 0, μ_p ∈ ℝ, σ_p > 0."
    tex = _document("latex", case="univariate")
    assert r"$q = \mathcal{N}(\mu_{q}, \sigma_{q}^{2})$, $p = \mathcal{N}(\mu_{p}, \sigma_{p}^{2})$" in tex
    assert r"$\mu_{q} \in \mathbb{R}$, $\sigma_{q} > 0$, $\mu_{p} \in \mathbb{R}$, $\sigma_{p} > 0$" in tex
    assert "μ₁" not in text and "σ₂" not in text and r"\mu_{1}" not in tex


def test_full_parameters_carry_their_density_letter_in_d_dimensions():
    text = _document("text", case="full")
    assert _line(text, "Setting:") == \
        "Setting: q = N(μ_q, Σ_q), p = N(μ_p, Σ_p); μ_q ∈ ℝ^d, μ_p ∈ ℝ^d, Σ_q ≻ 0, Σ_p ≻ 0."
    assert "two Gaussians in d dimensions" in text
    assert "KL(q ‖ p) = ∫_{ℝ^d} q(x) log(q(x)/p(x))" in text
    tex = _document("latex", case="full")
    assert r"$q = \mathcal{N}(\mu_{q}, \Sigma_{q})$, $p = \mathcal{N}(\mu_{p}, \Sigma_{p})$" in tex
    assert r"$\mu_{q} \in \mathbb{R}^{d}$" in tex


def test_coordinates_keep_their_numbers_and_a_fixed_prior_leaves_q_plain():
    assert _line(_document("text", case="diagonal", dim=3), "Setting:") == \
        "Setting: q = N(μ, diag(σ₁², σ₂², σ₃²)), p = N(0, I); μⱼ ∈ ℝ, σⱼ > 0, j = 1, 2, 3."
    assert _line(_document("text", case="diagonal"), "Setting:") == \
        "Setting: q = N(μ, diag(σ₁², …, σ_d²)), p = N(0, I); μⱼ ∈ ℝ, σⱼ > 0, j = 1, …, d."
    assert _line(_document("text", case="standard"), "Setting:") == \
        "Setting: q = N(μ, σ²), p = N(0, 1); μ ∈ ℝ, σ > 0."


def test_the_closed_form_put_to_numbers_names_q_and_p_parameters():
    """dynamics' asymmetry: [..]_{μ_q = 0, σ_q = 1, μ_p = 0, σ_p = 2}, not μ₁, σ₁ (coordinate 1 elsewhere)."""
    markdown = _document("markdown", case="dynamics")
    assert r"\right]_{\mu_{q} = 0, \sigma_{q} = 1, \mu_{p} = 0, \sigma_{p} = 2}" in markdown
    assert r"\mu_{1}" not in markdown and r"\sigma_{2}" not in markdown


def test_the_full_result_specialised_names_q_and_p_parameters():
    """Before: μ₁ = μ; Σ₁ = diag(σ₁², …, σ_d²); μ₂ = 0; Σ₂ = I; k = d (σ₁ a coordinate, μ₁ q's mean)."""
    assert "   Used: μ_q = μ; Σ_q = diag(σ₁², …, σ_d²); μ_p = 0; Σ_p = I\n" in \
        _document("text", case="diagonal", route="full")
    written_out = _document("text", case="diagonal", route="full", dim=3)
    assert "   Used: μ_q = μ; Σ_q = diag(σ₁², σ₂², σ₃²); μ_p = 0; Σ_p = I; d = 3\n" in written_out
    # the lemma is the general result, in d
    assert "KL(q ‖ p) = 1/2 (tr(Σ_p⁻¹Σ_q) + (μ_p - μ_q)ᵀΣ_p⁻¹ (μ_p - μ_q) - d + log(|Σ_p|/|Σ_q|))" in written_out


def test_dynamics_names_the_two_gaussians_parameters_by_letter():
    text = _document("text", case="dynamics")
    assert "For two arbitrary Gaussians q = N(μ_q, σ_q²) and p = N(μ_p, σ_p²)," in text
    assert "the mean gap δ = μ_q - μ_p and the variance ratio r = σ_q²/σ_p²" in text
    assert _line(text, "Setting:") == "Setting: q = N(μ, σ²), p = N(0, 1); μ ∈ ℝ, σ > 0."


@pytest.mark.parametrize("options", CONFIGURATIONS, ids=_id)
def test_no_document_uses_k_for_the_dimension(options):
    """k appears only as a coordinate ("coordinate k", μₖ, \\mu_{k}); the dimension is d, in prose and formulas."""
    counts = options.get("case") == "exponential-family"  # its families of counts have the variable k, as theirs do
    for fmt in ("text", "markdown", "latex", "json"):
        document = _document(fmt, **options)
        assert "k dimensions" not in document and "$k$ dimensions" not in document
        assert "ℝ^k" not in document and r"\mathbb{R}^{k}" not in document and "k = 2 and 3" not in document
        for match in () if counts else re.finditer(r"(?<![\w\\{_])\$?k\$?(?!\w)", document):
            assert document[:match.start()].endswith("coordinate "), (fmt, document[match.start() - 60:match.end()])
    setting = derive(**options).setting
    if hasattr(setting, "dim"):  # the latent dimension d (or a number); the reconstruction's D counts the pixels
        assert str(setting.dim) in (("D",) if options.get("case") == "reconstruction" else ("d", "3"))


# -- renaming ----------------------------------------------------------------------------------------------------


def test_the_subscripts_follow_the_letters():
    text = render(derive("univariate", notation=parse_notation(["letters=p,q"])), "text")
    assert _line(text, "Setting:") == \
        "Setting: p = N(μ_p, σ_p²), q = N(μ_q, σ_q²); μ_p ∈ ℝ, σ_p > 0, μ_q ∈ ℝ, σ_q > 0."
    tex = render(derive("full", notation=parse_notation(["letters=a,b", "mu=m"])), "latex")
    assert r"$a = \mathcal{N}(m_{a}, \Sigma_{a})$, $b = \mathcal{N}(m_{b}, \Sigma_{b})$" in tex


def test_k_is_still_accepted_for_the_dimension():
    assert parse_notation(["k=n"]).name("d") == "n"
    assert Notation({"k": "n"}).name("d") == "n"
    text = render(derive("full", notation=parse_notation(["k=n"])), "text")
    assert "μ_q ∈ ℝ^n" in text
    with pytest.raises(UsageError, match=r"notation d is given twice \(d=n and k=m\)"):
        parse_notation(["d=n", "k=m"])


@pytest.mark.parametrize(("case", "signature"), [
    ("univariate", "def kl_divergence(mu_q, sigma_q, mu_p, sigma_p):"),
    ("full", "def kl_divergence(mu_q, Sigma_q, mu_p, Sigma_p):"),
    ("standard", "def kl_divergence(mu, sigma):"),
])
@pytest.mark.parametrize("fmt", ["python", "torch"])
def test_code_exports_take_the_names_as_identifiers(case, signature, fmt):
    code = _document(fmt, case=case)
    assert signature in code
    compile(code, f"{case}.py", "exec")
