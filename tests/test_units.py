"""storage/units.py: resolving unit names by name, alias, prefix and typo; adding aliases."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from storage.db import session as open_session
from storage.domain import normalize
from storage.models import Unit, UnitAlias
from storage.units import add_alias, get_or_create_unit, resolve_unit, unit_index

DEMO_UNITS = {
    "Kommundirektör", "Ekonomiavdelning", "HR-avdelning", "Näringsliv", "Stab och planering",
    "Räddningstjänst", "IT",
}


def test_demo_units_are_the_finance_names(s: Session) -> None:
    assert {u.name for u in s.exec(select(Unit))} == DEMO_UNITS


RESOLVES = {
    "IT": "IT",
    "it": "IT",
    "It-enheten": "IT",
    "it-enheten": "IT",
    "ICT": "IT",
    "  IT-avdelningen? ": "IT",
    "stab": "Stab och planering",
    "Stab": "Stab och planering",
    "Stab- och planeringsavdelningen": "Stab och planering",
    "stab och planering": "Stab och planering",
    "Räddningstjänsten": "Räddningstjänst",
    "räddningstjänst": "Räddningstjänst",
    "räddningstjänstn": "Räddningstjänst",  # typo
    "räddnigstjänsen": "Räddningstjänst",  # typos that only the fuzzy match (≥ 0.88) catches
    "kommundirektor": "Kommundirektör",
    "ekonomiavdelnign": "Ekonomiavdelning",
    "stab och planerig": "Stab och planering",
    "HR": "HR-avdelning",
    "hr-avdelningen": "HR-avdelning",
    "Personalavdelningen": "HR-avdelning",
    "Näringslivsenheten": "Näringsliv",
    "näringsliv": "Näringsliv",
    "Ekonomiavdelningen": "Ekonomiavdelning",
    "Kommundirektören": "Kommundirektör",
}


def test_resolve_unit(s: Session) -> None:
    # One database for all the spellings (a loop, not parametrize: loading the demo is the
    # slow part); every spelling is checked and reported.
    got = {}
    for text in RESOLVES:
        match = resolve_unit(s, text)
        got[text] = (match.unit.name if match.unit else None, [u.name for u in match.suggestions])
    assert got == {text: (unit, []) for text, unit in RESOLVES.items()}


def test_a_different_body_is_only_suggested(s: Session) -> None:
    match = resolve_unit(s, "Ekonomiförvaltningen")
    assert match.unit is None
    assert "Ekonomiavdelning" in [u.name for u in match.suggestions]


def test_names_typed_without_swedish_letters_resolve(s: Session) -> None:
    assert resolve_unit(s, "raddningstjanst").unit.name == "Räddningstjänst"  # type: ignore[union-attr]
    assert resolve_unit(s, "raddningstjansten").unit.name == "Räddningstjänst"  # type: ignore[union-attr]
    assert resolve_unit(s, "kommundirektor").unit.name == "Kommundirektör"  # type: ignore[union-attr]


def test_one_or_two_letters_do_not_guess_a_unit(s: Session) -> None:
    assert resolve_unit(s, "i").unit is None
    assert resolve_unit(s, "s").unit is None
    assert resolve_unit(s, "IT").unit.name == "IT"  # type: ignore[union-attr]


def test_nonsense_gets_no_unit_but_some_suggestions(s: Session) -> None:
    match = resolve_unit(s, "xyzzy")
    assert match.unit is None
    names = [u.name for u in match.suggestions]
    assert 1 <= len(names) <= 3
    assert set(names) <= DEMO_UNITS
    assert len(set(names)) == len(names)


def test_suggestion_limit(s: Session) -> None:
    assert len(resolve_unit(s, "xyzzy", limit=2).suggestions) == 2


def test_empty_text_resolves_to_nothing(s: Session) -> None:
    assert resolve_unit(s, "") == resolve_unit(s, " ?! ")
    match = resolve_unit(s, "   ")
    assert match.unit is None and match.suggestions == []


def test_unit_index_holds_names_and_aliases(s: Session) -> None:
    index = unit_index(s)
    assert index["it"].name == "IT"
    assert index["ict"].name == "IT"
    assert index["stab"].name == "Stab och planering"
    assert len(index) == 7 + 20  # seven units, twenty aliases in unit_aliases.csv


def test_add_alias(demo: Engine) -> None:
    with open_session(demo) as s, s.begin():
        row = add_alias(s, "IT", "  IT-kontoret ")
        assert row is not None
        assert (row.alias, row.key) == ("IT-kontoret", "it-kontoret")
    with open_session(demo) as s:
        match = resolve_unit(s, "it-kontoret")
        assert match.unit is not None and match.unit.name == "IT"


def test_adding_the_same_alias_again_returns_none(demo: Engine) -> None:
    with open_session(demo) as s, s.begin():
        assert add_alias(s, "IT", "IT-kontoret") is not None
    with open_session(demo) as s, s.begin():
        assert add_alias(s, "it", "it-KONTORET") is None
        assert add_alias(s, "IT", "ICT") is None  # a demo alias
        assert add_alias(s, "IT", "IT") is None  # its own name
    with open_session(demo) as s:
        assert s.exec(select(func.count()).select_from(UnitAlias)).one() == 21


def test_alias_of_another_unit_raises(demo: Engine) -> None:
    with open_session(demo) as s, s.begin():
        with pytest.raises(ValueError, match="HR-avdelning"):
            add_alias(s, "IT", "HR")
        with pytest.raises(ValueError, match="Stab och planering"):
            add_alias(s, "IT", "Stab och planering")  # another unit's name
    with open_session(demo) as s:
        assert s.exec(select(func.count()).select_from(UnitAlias)).one() == 20
        match = resolve_unit(s, "HR")
        assert match.unit is not None and match.unit.name == "HR-avdelning"


def test_too_long_names_raise(demo: Engine) -> None:
    with open_session(demo) as s, s.begin():
        with pytest.raises(ValueError, match="aliaset är längre än 200 tecken"):
            add_alias(s, "IT", "x" * 201)
        with pytest.raises(ValueError, match="enhetsnamnet är längre än 200 tecken"):
            get_or_create_unit(s, "y" * 201, unit_index(s))
        assert add_alias(s, "IT", "x" * 200) is not None  # the longest allowed


def test_add_alias_creates_an_unknown_unit(demo: Engine) -> None:
    with open_session(demo) as s, s.begin():
        assert add_alias(s, "Kommunikation", "Kommunikationsenheten") is not None
    with open_session(demo) as s:
        match = resolve_unit(s, "kommunikationsenheten")
        assert match.unit is not None and match.unit.name == "Kommunikation"
        assert s.exec(select(func.count()).select_from(Unit)).one() == 8


def test_get_or_create_unit(engine: Engine) -> None:
    with open_session(engine) as s, s.begin():
        index = unit_index(s)
        first = get_or_create_unit(s, "  Kultur   och fritid ", index)
        assert first.id is not None and first.name == "Kultur och fritid"
        again = get_or_create_unit(s, "KULTUR OCH FRITID", index)
        assert again.id == first.id
        assert normalize("Kultur och fritid") in index
    with open_session(engine) as s:
        assert [u.name for u in s.exec(select(Unit))] == ["Kultur och fritid"]
