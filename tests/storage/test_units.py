"""storage/units.py: units by name or alias in one organisation (exact, normalised, without
å/ä/ö); close names for typos; adding aliases. Matching inflections and typos as people
type them is understanding's now (resolve_unit moved there)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select
from storage_helpers import new_org

from storage.db import session as open_session
from storage.domain import Refused, normalize
from storage.models import Unit, UnitAlias
from storage.organisations import OrganisationView
from storage.units import (
    add_alias,
    close_names,
    find_unit,
    get_or_create_unit,
    require_unit,
    unit_index,
)

DEMO_UNITS = {
    "Kommundirektör", "Ekonomiavdelning", "HR-avdelning", "Näringsliv", "Stab och planering",
    "Räddningstjänst", "IT",
}
ORG = 1


def test_demo_units_are_the_finance_names(s: Session) -> None:
    assert {u.name for u in s.exec(select(Unit).where(Unit.organisation_id == ORG))} == DEMO_UNITS


FINDS = {
    "IT": "IT",
    "it": "IT",
    "It-enheten": "IT",
    "it-enheten": "IT",
    "ICT": "IT",
    "  IT-avdelningen ": "IT",
    "stab": "Stab och planering",
    "Stab": "Stab och planering",
    "Stab- och planeringsavdelningen": "Stab och planering",
    "stab  och planering": "Stab och planering",
    "Räddningstjänsten": "Räddningstjänst",
    "räddningstjänst": "Räddningstjänst",
    "raddningstjanst": "Räddningstjänst",  # typed without Swedish letters
    "raddningstjansten": "Räddningstjänst",
    "kommundirektor": "Kommundirektör",
    "HR": "HR-avdelning",
    "hr-avdelningen": "HR-avdelning",
    "Personalavdelningen": "HR-avdelning",
    "Näringslivsenheten": "Näringsliv",
    "näringsliv": "Näringsliv",
    "Ekonomiavdelningen": "Ekonomiavdelning",
    "Kommundirektören": "Kommundirektör",
}


def test_find_unit(s: Session) -> None:
    got = {text: (u.name if (u := find_unit(s, ORG, text)) else None) for text in FINDS}
    assert got == FINDS


@pytest.mark.parametrize(("typo", "meant"), [
    ("räddningstjänstn", "Räddningstjänst"), ("räddnigstjänsen", "Räddningstjänst"),
    ("ekonomiavdelnign", "Ekonomiavdelning"), ("stab och planerig", "Stab och planering")])
def test_typos_are_not_found_but_suggested(s: Session, typo: str, meant: str) -> None:
    assert find_unit(s, ORG, typo) is None
    assert meant in close_names(s, ORG, typo)
    with pytest.raises(Refused) as refused:
        require_unit(s, ORG, typo)
    assert refused.value.code == "unknown_unit"
    assert meant in str(refused.value.params["suggestions"])


def test_a_different_body_is_only_suggested(s: Session) -> None:
    assert find_unit(s, ORG, "Ekonomiförvaltningen") is None
    assert "Ekonomiavdelning" in close_names(s, ORG, "Ekonomiförvaltningen")


def test_nonsense_gets_no_unit_and_few_suggestions(s: Session) -> None:
    assert find_unit(s, ORG, "xyzzy") is None
    names = close_names(s, ORG, "Räddningstjänst", limit=2)
    assert len(names) <= 2 and names[0] == "Räddningstjänst"
    assert len(set(close_names(s, ORG, "avdelning"))) == len(close_names(s, ORG, "avdelning"))
    assert set(close_names(s, ORG, "avdelning")) <= DEMO_UNITS


def test_empty_text_finds_nothing(s: Session) -> None:
    assert find_unit(s, ORG, "") is None and find_unit(s, ORG, "   ") is None


def test_unit_index_holds_names_and_aliases(s: Session) -> None:
    index = unit_index(s, ORG)
    assert index["it"].name == "IT"
    assert index["ict"].name == "IT"
    assert index["stab"].name == "Stab och planering"
    assert len(index) == 7 + 20  # seven units, twenty aliases in unit_aliases.csv


def test_add_alias(demo: Engine, norrtalje: OrganisationView) -> None:
    with open_session(demo, ORG) as s, s.begin():
        row = add_alias(s, ORG, "IT", "  IT-kontoret ")
        assert row is not None
        assert (row.alias, row.key, row.organisation_id) == ("IT-kontoret", "it-kontoret", ORG)
    with open_session(demo, ORG) as s:
        unit = find_unit(s, ORG, "it-kontoret")
        assert unit is not None and unit.name == "IT"


def test_adding_the_same_alias_again_returns_none(demo: Engine, norrtalje) -> None:  # type: ignore[no-untyped-def]
    with open_session(demo, ORG) as s, s.begin():
        assert add_alias(s, ORG, "IT", "IT-kontoret") is not None
    with open_session(demo, ORG) as s, s.begin():
        assert add_alias(s, ORG, "it", "it-KONTORET") is None
        assert add_alias(s, ORG, "IT", "ICT") is None  # a demo alias
        assert add_alias(s, ORG, "IT", "IT") is None  # its own name
    with open_session(demo, ORG) as s:
        assert s.exec(select(func.count()).select_from(UnitAlias)
                      .where(UnitAlias.organisation_id == ORG)).one() == 21


def test_alias_of_another_unit_is_refused(demo: Engine, norrtalje) -> None:  # type: ignore[no-untyped-def]
    with open_session(demo, ORG) as s, s.begin():
        with pytest.raises(Refused) as refused:
            add_alias(s, ORG, "IT", "HR")
        assert (refused.value.code, refused.value.params) == (
            "alias_taken", {"alias": "HR", "unit": "HR-avdelning"})
        with pytest.raises(Refused) as refused:
            add_alias(s, ORG, "IT", "Stab och planering")  # another unit's name
        assert refused.value.params["unit"] == "Stab och planering"
    with open_session(demo, ORG) as s:
        assert s.exec(select(func.count()).select_from(UnitAlias)
                      .where(UnitAlias.organisation_id == ORG)).one() == 20
        assert find_unit(s, ORG, "HR").name == "HR-avdelning"  # type: ignore[union-attr]


def test_too_long_names_are_refused(demo: Engine, norrtalje) -> None:  # type: ignore[no-untyped-def]
    with open_session(demo, ORG) as s, s.begin():
        with pytest.raises(Refused) as refused:
            add_alias(s, ORG, "IT", "x" * 201)
        assert (refused.value.code, refused.value.params) == ("alias_too_long", {"limit": 200})
        with pytest.raises(Refused) as refused:
            get_or_create_unit(s, ORG, "y" * 201, unit_index(s, ORG))
        assert refused.value.code == "unit_name_too_long"
        with pytest.raises(Refused) as refused:
            add_alias(s, ORG, "IT", "   ")
        assert refused.value.code == "empty_name"
        assert add_alias(s, ORG, "IT", "x" * 200) is not None  # the longest allowed


def test_add_alias_refuses_an_unknown_unit_unless_asked_to_create(demo: Engine,
                                                                  norrtalje) -> None:  # type: ignore[no-untyped-def]
    with open_session(demo, ORG) as s, s.begin():
        with pytest.raises(Refused) as refused:
            add_alias(s, ORG, "Kommunikation", "Kommunikationsenheten")
        assert refused.value.code == "unknown_unit"
        assert add_alias(s, ORG, "Kommunikation", "Kommunikationsenheten",
                         create=True) is not None
    with open_session(demo, ORG) as s:
        assert find_unit(s, ORG, "kommunikationsenheten").name == "Kommunikation"  # type: ignore[union-attr]
        assert s.exec(select(func.count()).select_from(Unit)
                      .where(Unit.organisation_id == ORG)).one() == 8


def test_get_or_create_unit(engine: Engine) -> None:
    org = new_org(engine, "Testkommun").id
    with open_session(engine, org) as s, s.begin():
        index = unit_index(s, org)
        first = get_or_create_unit(s, org, "  Kultur   och fritid ", index)
        assert first.id is not None and first.name == "Kultur och fritid"
        again = get_or_create_unit(s, org, "KULTUR OCH FRITID", index)
        assert again.id == first.id
        assert normalize("Kultur och fritid") in index
    with open_session(engine, org) as s:
        assert [u.name for u in s.exec(select(Unit).where(Unit.organisation_id == org))] == [
            "Kultur och fritid"]
