"""Golden outputs: every document the engine writes today, byte for byte.

A refactor of the engine must not change a document. ``tests/test_golden.py`` renders the configurations
below and compares each with the file written here. Rewrite the files with ``python tests/golden/make.py``
only when a change to a document is intended, and commit them in a commit of their own that says why.

Figures are left out (their bytes depend on matplotlib's version); every other format is kept.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DOCUMENTS = HERE / "documents"
sys.path.insert(0, str(HERE.parent.parent))

from derivation import CASES, derive, render  # noqa: E402
from derivation.cases.bundles import BUNDLES  # noqa: E402
from derivation.check.checker import reusing_chains  # noqa: E402
from derivation.output.render import BUNDLE_TEMPLATES, Renderer  # noqa: E402

#: Every format a derivation is rendered in (figures apart), with the file suffix ``kl-derive build`` uses.
SUFFIXES = {"markdown": ".md", "latex": ".tex", "latex-fragment": ".fragment.tex", "beamer": ".slides.tex",
            "ipynb": ".ipynb", "json": ".json", "text": ".txt", "python": ".py", "torch": "_torch.py"}

#: Custom pairs: univariate parameterisations, numbers, a diagonal pair, a full-covariance pair, two Laplace
#: pairs, two exponential pairs (rate; scale against a number), the discrete pairs (Bernoulli in probabilities
#: and in logits, Poisson, geometric against a number, Bernoulli against Poisson and the reverse, infinite) and two
#: Gamma pairs (symbols; numbers), and the cross-family pairs.
PAIRS = {
    "pair-logvar": ("Normal(m, logvar=v)", "Normal(0, 1)"),
    "pair-precision": ("Normal(m, precision=t)", "Normal(1, precision=u)"),
    "pair-numbers": ("Normal(1, 2)", "Normal(0, 1)"),
    "pair-diagonal": ("DiagNormal(m, logvar=lv, dim=d)", "DiagNormal(0, 1, dim=d)"),
    "pair-full": ("MvNormal(m, cov=S, dim=k)", "MvNormal(0, cov=1, dim=k)"),
    "pair-laplace": ("Laplace(m, b)", "Laplace(n, c)"),
    "pair-laplace-numbers": ("Laplace(loc=m, scale=b)", "Laplace(0, 1)"),
    "pair-exponential": ("Exponential(l1)", "Exponential(l2)"),
    "pair-exponential-scale": ("Exponential(scale=s)", "Exponential(2)"),
    "pair-bernoulli": ("Bernoulli(a)", "Bernoulli(b)"),
    "pair-bernoulli-logits": ("Bernoulli(logits=l1)", "Bernoulli(logits=l2)"),
    "pair-poisson": ("Poisson(a)", "Poisson(b)"),
    "pair-geometric-numbers": ("Geometric(probs=a)", "Geometric(0.5)"),
    "pair-bernoulli-poisson": ("Bernoulli(a)", "Poisson(b)"),
    "pair-poisson-bernoulli": ("Poisson(a)", "Bernoulli(b)"),
    "pair-gamma": ("Gamma(a1, rate=b1)", "Gamma(a2, rate=b2)"),
    "pair-gamma-numbers": ("Gamma(2, rate=3)", "Gamma(1, rate=1)"),
    "pair-normal-laplace": ("Normal(m, s)", "Laplace(b, c)"),
    "pair-laplace-normal": ("Laplace(m, b)", "Normal(mu, s)"),
    "pair-exponential-gamma": ("Exponential(l)", "Gamma(a, rate=b)"),
    "pair-gamma-exponential": ("Gamma(a, rate=b)", "Exponential(l)"),
}
PAIRS["pair-halfnormal"] = ("HalfNormal(s1)", "HalfNormal(s2)")
PAIRS["pair-uniform"] = ("Uniform(a1, b1)", "Uniform(a2, b2)")
PAIRS["pair-uniform-infinite"] = ("Uniform(0, 2)", "Uniform(0, 1)")
PAIRS["pair-pareto"] = ("Pareto(m1, a1)", "Pareto(m2, a2)")
PAIRS["pair-beta"] = ("Beta(a1, b1)", "Beta(a2, b2)")
PAIRS["pair-dirichlet"] = ("Dirichlet(a, K)", "Dirichlet(b, K)")
PAIRS["pair-poisson-binomial"] = ("Poisson(a)", "Binomial(n, logits=l)")  # +oo at the symbolic count n + 1
PAIRS["pair-pareto-normal"] = ("Pareto(m, a)", "Normal(mu, s)")  # derived under a > 2; +inf below in the exports
PAIRS["pair-pareto-exponential-infinite"] = ("Pareto(m, 1)", "Exponential(l)")  # +oo by the infinite mean


def configurations() -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, arguments of :func:`derivation.derive`) for each golden document set."""
    for case in CASES:
        yield case, {"case": case}
    yield "diagonal-dim3", {"case": "diagonal", "dim": 3}
    yield "diagonal-kingma", {"case": "diagonal", "route": "kingma"}
    yield "diagonal-full", {"case": "diagonal", "route": "full"}
    for name, (q, p) in PAIRS.items():
        yield name, {"q": q, "p": p}
    for name in BUNDLES:
        yield name, {"bundle": name}


def documents(arguments: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(suffix, text) of every format of one configuration."""
    if "bundle" in arguments:  # one document of several cases, in the formats a bundle is written in
        bundle = BUNDLES[arguments["bundle"]]
        with reusing_chains():
            derivations = [derive(case) for case in bundle.cases]
        renderer = Renderer()
        for fmt in BUNDLE_TEMPLATES:
            yield SUFFIXES[fmt], renderer.render_bundle(bundle.title, bundle.description, derivations, fmt)
        return
    derivation = derive(**arguments)
    for fmt, suffix in SUFFIXES.items():
        if fmt in ("python", "torch") and not CASES[arguments.get("case", "univariate")].code:
            continue  # an identity between expectations: no closed form to export as code
        yield suffix, render(derivation, fmt)


def main() -> None:
    DOCUMENTS.mkdir(exist_ok=True)
    for name, arguments in configurations():
        for suffix, text in documents(arguments):
            (DOCUMENTS / f"{name}{suffix}").write_text(text, encoding="utf-8")
        print(name)


if __name__ == "__main__":
    main()
