"""The spec parser's families are one table (``derivation/interpret/families.py``): every family the parser takes
is an entry there, in the order ``kl-derive list`` and the parser's messages name them; the parser keeps no other
list of families; the table's parameter names are the laws' own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from derivation.core.errors import ParseError
from derivation.interpret.families import DOMAINS, FAMILIES, FAMILY, LOCATION, ONE, PARAMETERS, VECTOR, Family
from derivation.interpret.parse import parse_spec, spec_forms
from derivation.laws import LAWS

PARSE = Path(__file__).resolve().parent.parent / "derivation" / "interpret" / "parse.py"
ORDER = ["Normal", "DiagNormal", "MvNormal", "Laplace", "Gamma", "Uniform", "Pareto", "Beta", "Gumbel", "Bernoulli",
         "Poisson", "Geometric", "Exponential", "Binomial", "HalfNormal", "Categorical", "Dirichlet"]


def _example(family: Family) -> str:
    """A spec of ``family`` written from its table entry alone: a name per parameter, the first parameterisation."""
    names = [f"a{i}" for i in range(len(family.leading) + 1)]
    if family.reader == LOCATION:
        parameter = f"{family.kinds[0]}=s" if family.keyword_only else "s"
        return f"{family.name}(m, {parameter}{', dim=d' if family.dim else ''})"
    if family.reader == VECTOR:  # a vector by name over dim categories
        return f"{family.name}(a0, dim=d)"
    return f"{family.name}({', '.join(names)})"


def test_the_table_names_every_family_once_in_the_listed_order():
    assert [family.name for family in FAMILIES] == ORDER
    assert list(FAMILY) == ORDER
    assert [form[0] for form in spec_forms()] == ORDER


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_every_family_of_the_table_is_parsed_from_its_entry(family: Family):
    spec = parse_spec(_example(family))
    assert spec.family == family.name
    assert spec.param_kind == family.kinds[0]


def test_a_family_not_in_the_table_is_refused_naming_the_table():
    with pytest.raises(ParseError) as error:
        parse_spec("Cauchy(0, 1)")
    assert str(error.value).startswith(
        "unknown family 'Cauchy' (expected Normal, DiagNormal, MvNormal, Laplace, Gamma, Uniform, Pareto, Beta, "
        "Gumbel, Bernoulli, Poisson, Geometric, Exponential, Binomial, HalfNormal, Categorical or Dirichlet)")


def test_each_entry_is_well_formed():
    for family in FAMILIES:
        assert family.reader in (LOCATION, PARAMETERS, ONE, VECTOR)
        assert family.parameterisations, family.name
        assert all(p.domain in DOMAINS for p in (*family.leading, *family.parameterisations)), family.name
        assert set(family.kinds) <= set(family.keywords), family.name
        assert not family.ordered or (family.reader == PARAMETERS and len(family.leading) == 1)
        assert not (family.dim or family.vocabulary or family.keyword_only) or family.reader == LOCATION


@pytest.mark.parametrize("name", sorted(set(FAMILY) & set(LAWS)))
def test_the_tables_parameters_are_the_laws_own(name: str):
    """A spec's parameters, in its first parameterisation, are its law's parameters in order (the law knows its
    parameters; the table says how a spec writes them)."""
    family = FAMILY[name]
    leading = ("loc",) if family.reader == LOCATION else tuple(p.name for p in family.leading)
    size = ("dim",) if family.reader == VECTOR else ()  # a vector family's law knows its number of categories
    assert (*leading, family.kinds[0], *size) == LAWS[name].parameter_names


def test_the_parser_keeps_no_other_list_of_families():
    """Apart from the Greek letters (``\\Gamma``), no string of parse.py is a family's name, and the tables the
    families were once spread over are gone."""
    tree = ast.parse(PARSE.read_text())
    greek = {"GREEK", "UNICODE_GREEK"}
    named = []
    for statement in tree.body:
        targets = {t.id for t in getattr(statement, "targets", [getattr(statement, "target", None)])
                   if isinstance(t, ast.Name)}
        if targets & greek:
            continue
        named += [(node.lineno, node.value) for node in ast.walk(statement)
                  if isinstance(node, ast.Constant) and node.value in FAMILY]
    assert named == []
    defined = {t.id for s in tree.body for t in getattr(s, "targets", [getattr(s, "target", None)])
               if isinstance(t, ast.Name)}
    old = {"_FAMILIES", "LAW_FAMILIES", "_LEADING", "_OWN_PARAMETERS", "_ORDERED", "_SPEC_FORMS", "_POSITIVE_KINDS"}
    assert not defined & old
