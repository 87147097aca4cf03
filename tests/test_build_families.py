"""``kl-derive build`` writes a document per pair of families, and ``families/index.md`` grouping them."""

from __future__ import annotations

import re

import pytest
from sympy import oo

import cli
from derivation import derive
from derivation.build import build
from derivation.core.errors import UsageError
from derivation.laws import LAWS
from derivation.output.render import FORMATS
from derivation.pairs.catalogue import FAMILY_PAIRS, GAUSSIAN_FAMILIES, FamilyPair, example_spec, family_pairs
from derivation.pairs.routes import ROUTES


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("families")
    report = build(out, cases=["families"], formats=["markdown", "latex", "python"])
    assert report.ok, report.failed
    return out


def test_example_specs_use_the_textbook_letters():
    assert example_spec("Laplace", "q") == "Laplace(mu_q, b_q)"
    assert example_spec("Gamma", "p") == "Gamma(alpha_p, beta_p)"
    assert example_spec("Bernoulli", "q") == "Bernoulli(theta_q)"
    assert FamilyPair("Bernoulli", "Poisson").specs() == ("Bernoulli(theta_q)", "Poisson(lambda_p)")
    assert FamilyPair("Bernoulli", "Poisson").name == "bernoulli-poisson"


def test_every_routed_pair_but_the_gaussian_ones_is_a_family_document():
    routed = {(q, p) for q, p in ROUTES if not {q, p} <= GAUSSIAN_FAMILIES}
    assert {(pair.q_family, pair.p_family) for pair in family_pairs()} == routed
    assert {"laplace-laplace", "gamma-gamma", "bernoulli-poisson", "poisson-bernoulli"} <= set(FAMILY_PAIRS)
    same = [pair.same_family for pair in family_pairs()]
    assert same == sorted(same, reverse=True), "the same-family pairs come first"


def test_build_writes_every_family_pair_in_every_chosen_format(built):
    for name, pair in FAMILY_PAIRS.items():
        for fmt in ("markdown", "latex", "python"):
            path = built / "families" / f"{name}{FORMATS[fmt].extension}"
            assert path.is_file() and path.stat().st_size > 300, path
        q, p = pair.specs()
        result = derive(q=q, p=p).result
        code = (built / "families" / f"{name}.py").read_text()
        assert str(result) != "" and (result == oo) == ("KL(q || p) = inf\n" in code) and " oo" not in code
    assert not list(built.glob("univariate*")), "choosing the families writes no named case"


def test_the_families_index_groups_the_pairs_and_links_every_document(built):
    index = (built / "families" / "index.md").read_text()
    headings = re.findall(r"^## (.*)$", index, re.M)
    assert headings[0].startswith("Same family, continuous") and headings[1].startswith("Same family, discrete")
    infinite = index.split("the divergence is infinite", 1)[1]
    assert "(poisson-bernoulli.md)" in infinite and "(geometric-bernoulli.md)" in infinite
    assert "(bernoulli-poisson.md)" not in infinite
    for name, pair in FAMILY_PAIRS.items():
        assert f"[markdown]({name}.md), [latex]({name}.tex), [python]({name}.py)" in index
        q, p = pair.specs()
        assert f"`kl-derive derive --q '{q}' --p '{p}'`" in index
    discrete = index.split("## Same family, discrete", 1)[1].split("##", 1)[0]
    assert "(poisson-poisson.md)" in discrete and "(laplace-laplace.md)" not in discrete
    main = (built / "index.md").read_text()
    assert "(families/index.md)" in main


def test_one_pair_by_name_and_a_named_case_together(tmp_path):
    report = build(tmp_path, cases=["standard", "laplace-laplace"], formats=["text"])
    assert report.ok, report.failed
    assert (tmp_path / "standard.txt").is_file() and (tmp_path / "families" / "laplace-laplace.txt").is_file()
    assert not (tmp_path / "families" / "gamma-gamma.txt").exists()
    assert "(laplace-laplace.txt)" in (tmp_path / "families" / "index.md").read_text()


def test_a_build_of_named_cases_only_writes_no_families_index(tmp_path):
    report = build(tmp_path, cases=["standard"], formats=["text"])
    assert report.ok and not (tmp_path / "families").exists()
    assert "families" not in (tmp_path / "index.md").read_text()


def test_an_unknown_pair_is_a_usage_error_naming_the_choices(tmp_path):
    with pytest.raises(UsageError, match=r"unknown case 'laplace-normalish'.*laplace-laplace"):
        build(tmp_path, cases=["laplace-normalish"])


def test_cli_builds_a_pair_and_refuses_an_unknown_one_in_one_line(tmp_path, capsys):
    code = cli.run(["build", "--out", str(tmp_path), "--cases", "poisson-poisson", "--formats", "markdown"])
    assert code == 0, capsys.readouterr().err
    assert (tmp_path / "families" / "poisson-poisson.md").read_text().startswith("# KL divergence between two Poisson")
    capsys.readouterr()
    code = cli.run(["build", "--out", str(tmp_path), "--cases", "poisson-nope"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("kl-derive: error: unknown case 'poisson-nope'") and err.count("\n") == 1


def test_every_law_has_letters_for_each_parameter():
    for law in LAWS.values():
        letters = law.symbols or law.parameter_names
        assert len(letters) == len(law.parameter_names), law.family
