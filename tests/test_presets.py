"""A named case is the named form of a user's pair: its ``preset`` specs, derived by ``kl-derive derive --q Q --p P``
(the same parser, setting of the pair and plan a user's specs get), give the same divergence as the case. ``vae``
is ``DiagNormal(mu, logvar=ell, dim=d)`` against ``DiagNormal(0, 1, dim=d)``: the identical expression."""

from __future__ import annotations

import pytest
from sympy import IndexedBase, simplify

from derivation import CASES, derive
from derivation.core.forms import evaluated

PRESETS = {name: case.preset for name, case in CASES.items() if case.preset is not None}
#: The cases whose preset pair's result is the very same expression (the others: equal in value, written otherwise).
IDENTICAL = {"univariate", "diagonal", "vae"}


def test_the_gaussian_cases_name_their_pairs():
    assert PRESETS["vae"] == ("DiagNormal(mu, logvar=ell, dim=d)", "DiagNormal(0, 1, dim=d)")
    assert set(PRESETS) == {"univariate", "standard", "dynamics", "full", "diagonal", "vae"}


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_a_case_derives_what_its_preset_pair_derives(name: str):
    q, p = PRESETS[name]
    case, pair = derive(name).result, derive(q=q, p=p).result
    assert case.free_symbols == pair.free_symbols
    if name in IDENTICAL:
        assert case == pair
    else:
        assert simplify((evaluated(case) - evaluated(pair)).doit().expand(force=True)) == 0


def test_the_gaussian_cases_come_through_the_door_of_a_users_pair():
    """The setting of ``vae`` (and ``diagonal``) is made from its preset specs by the spec parser and the same
    constructor as ``--q``/``--p`` (one class, :class:`DiagonalPair`); the case adds notation, route and sections."""
    from derivation.pairs.routes import variant
    from derivation.settings.multivariate import DiagonalPair, FullPair
    from derivation.settings.univariate import Notation, Setting

    for name, kind in (("vae", DiagonalPair), ("diagonal", DiagonalPair), ("full", FullPair),
                       ("univariate", Setting), ("standard", Setting)):
        case = derive(name).setting
        pair = variant(*PRESETS[name]).setting
        assert isinstance(case, kind) and isinstance(pair, kind)
        assert case.q == pair.q and case.p == pair.p and case.parameters == pair.parameters
    vae = derive("vae").setting
    assert [str(v.label) for v in vae.vectors] == ["mu", "ell"] and vae.logvar == vae.vectors[1]
    assert dict(vae.code_names) == {"ell": "logvar"} and vae.in_variances
    renamed = derive("vae", notation=Notation({"mu": "m", "logvar": "v", "sigma": "s"}))
    assert [str(v.label) for v in renamed.setting.vectors] == ["m", "v"]
    assert {str(b.label) for b in renamed.result.atoms(IndexedBase)} == {"m", "v"}
    assert str(renamed.setting.scale.label) == "s"
