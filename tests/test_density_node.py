"""One density node for every family: ``Density(name, variable, law)``; a Gaussian of a vector is a ``Density`` of
``MvNormalLaw(mean, cov)`` (diagonal or full), which supplies what a node of its own once hard-coded."""

from __future__ import annotations

import ast
from pathlib import Path

import sympy
from sympy import Identity, IndexedBase, MatrixSymbol, Symbol, ZeroMatrix, srepr
from sympy.core.symbol import Str

from derivation.cases.multivariate import DIAGONAL_PRESET
from derivation.core.forms import evaluated
from derivation.laws import MvNormalLaw, NormalLaw
from derivation.laws.matrices import Diag, QuadForm, Vec, inv, msub
from derivation.nodes.scalar import Density, MvDensity, is_vector_density
from derivation.nodes.vector import SpaceIntegral
from derivation.printing.latex import to_latex
from derivation.settings.multivariate import preset_full, preset_pair
from derivation.settings.univariate import Notation

PACKAGE = Path(__file__).resolve().parent.parent / "derivation"
k = Symbol("k", integer=True, positive=True)
x, m, S = MatrixSymbol("x", k, 1), MatrixSymbol("m", k, 1), MatrixSymbol("S", k, k)


def test_no_density_class_but_density():
    """No ``MvDensity`` class anywhere; the nodes' only density classes are ``Density`` and a model's named density."""
    def classes(paths):
        return {node.name for path in paths for node in ast.walk(ast.parse(path.read_text()))
                if isinstance(node, ast.ClassDef)}

    assert "MvDensity" not in classes(PACKAGE.rglob("*.py"))
    assert {name for name in classes((PACKAGE / "nodes").glob("*.py")) if name.endswith("Density")} == \
        {"Density", "ModelDensity"}
    assert not isinstance(MvDensity, type)


def test_the_settings_densities_of_vectors_are_densities_of_the_multivariate_normal_law():
    for setting in (preset_pair(DIAGONAL_PRESET, Notation()), preset_full(Notation())):
        for density in (setting.q, setting.p):
            assert type(density) is Density and isinstance(density.law, MvNormalLaw) and is_vector_density(density)
    assert not is_vector_density(Density("q", Symbol("y", real=True), NormalLaw(0, 1)))


def test_the_law_supplies_the_log_density_and_the_node_its_integral():
    q, p = Density("q", x, MvNormalLaw(m, S)), Density("p", x, MvNormalLaw(ZeroMatrix(k, 1), Identity(k)))
    assert q.mean == m and q.cov == S and q.var == S and q.dim == k
    assert q.log_pdf_form() == q.law.log_pdf_form(x)
    assert q.centred() == msub(x, m)
    assert evaluated(q.energy()) == evaluated(sympy.Rational(1, 2) * QuadForm(msub(x, m), inv(S), msub(x, m)))
    assert evaluated(p.log_normaliser()) == -k / 2 * sympy.log(2 * sympy.pi)
    assert evaluated(q.log_normaliser_ratio(p)) == sympy.log(1 / sympy.Determinant(S)) / 2  # 1/2 log(|I| / |S|)
    assert isinstance(q.integral(q), SpaceIntegral) and q.is_positive
    assert to_latex(q) == r"q(x)" and to_latex(Density("", x, MvNormalLaw(m, S))) == r"\mathcal{N}(m, S)"


def test_srepr_is_the_constructor_and_reads_back():
    """A JSON document's ``srepr`` of a density of a vector is ``MvDensity(name, x, mean, cov)`` as it always was;
    evaluated, it is the same ``Density``."""
    j, d = Symbol("j", integer=True, positive=True), Symbol("d", integer=True, positive=True)
    mu, sigma = IndexedBase("mu", real=True), IndexedBase("sigma", positive=True)
    q = Density("q", Vec(IndexedBase("x", real=True), d), MvNormalLaw(Vec(mu, d), Diag(sigma[j] ** 2, j, d)))
    text = srepr(q)
    assert text.startswith("MvDensity(Str('q'), Vec(IndexedBase(Symbol('x', real=True))")
    namespace = {**vars(sympy), "Str": Str, "Vec": Vec, "Diag": Diag, "MvDensity": MvDensity}
    assert eval(text, namespace) == q  # our own srepr, in a test
    plain = Density("q", Symbol("y", real=True), NormalLaw(0, 1))
    assert srepr(plain) == "Density(Str('q'), Symbol('y', real=True), NormalLaw(Integer(0), Integer(1)))"
