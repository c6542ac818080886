"""The entity index: units by every name people use, titles by stems, compounds and typos,
built once per catalog version."""

from __future__ import annotations

from dataclasses import replace

import pytest
from catalogs import catalog

from understanding import Understander
from understanding.catalog import AssignmentEntry, Catalog, UnitEntry
from understanding.index import entity_index
from understanding.normalize import tokenize

U = Understander()
NORRTALJE = catalog("norrtalje")


def unit_of(text: str, cat: Catalog = NORRTALJE) -> str | None:
    unit_id, _ = U.find_unit(text, cat)
    return next((u.name for u in cat.units if u.id == unit_id), None)


@pytest.mark.parametrize(("text", "unit"), [
    ("IT", "IT"), ("IT-avdelningen", "IT"), ("IT:n", "IT"), ("ICT", "IT"),
    ("tietohallinto", "IT"), ("Stabsavdelningen", "Stab och planering"),
    ("staben", "Stab och planering"), ("Stabin", "Stab och planering"),
    ("stab", "Stab och planering"), ("planning", "Stab och planering"),
    ("Räddningstjänstens", "Räddningstjänst"), ("räddnigstjänsten", "Räddningstjänst"),
    ("Räddningstjänstin", "Räddningstjänst"), ("rescue services", "Räddningstjänst"),
    ("fire department", "Räddningstjänst"), ("pelastuslaitos", "Räddningstjänst"),
    ("personalavdelningen", "HR-avdelning"), ("human resources", "HR-avdelning"),
    ("henkilöstöhallinto", "HR-avdelning"), ("kunnanjohtaja", "Kommundirektör"),
    ("the CEO's office", "Kommundirektör"), ("municipal director", "Kommundirektör"),
    ("business development", "Näringsliv"), ("elinkeino", "Näringsliv"),
    ("ekonomiavdelningen", "Ekonomiavdelning"), ("finance department", "Ekonomiavdelning"),
])
def test_units_by_name_alias_suffix_concept_and_typo(text: str, unit: str) -> None:
    assert unit_of(text) == unit


def test_concepts_follow_the_catalog_not_norrtalje() -> None:
    lovisa = catalog("lovisa")
    assert unit_of("ICT", lovisa) == "Informations- och kommunikationsteknologitjänster"
    assert unit_of("HR", lovisa) == "Ekonomi- och personaltjänster"
    assert unit_of("henkilöstöpalvelut", lovisa) == "Ekonomi- och personaltjänster"


def test_leftover_words_are_no_unit() -> None:
    unit_id, suggestions = U.find_unit("Ekonomiförvaltningarna x", NORRTALJE)
    assert unit_id is None


def titles(text: str, cat: Catalog = NORRTALJE) -> list[int]:
    ei = U.entities(cat)
    tokens = tokenize(text).tokens
    hits, _, _ = ei.titles.search(list(enumerate(tokens)))
    best = hits[0].score if hits else 0
    return sorted(h.number for h in hits if h.score >= best * 0.85)


@pytest.mark.parametrize(("text", "numbers"), [
    ("CEMR", [20]), ("koldioxidbudget", [11, 33]), ("trygghetskamerorna", [6]),
    ("trygghetskammerorna", [6]), ("hyresgarantierna", [19]), ("kameror", [6]),
    ("välfärdsbrott", [30, 31]), ("sommarjobb", [16]), ("grovsophämtningen", [24]),
])
def test_titles_by_stem_compound_part_and_typo(text: str, numbers: list[int]) -> None:
    assert titles(text) == numbers


def test_built_once_per_version() -> None:
    first = entity_index(NORRTALJE, U.index)
    assert entity_index(NORRTALJE, U.index) is first
    changed = replace(NORRTALJE, version="other", units=NORRTALJE.units + (
        UnitEntry(99, "Kulturförvaltningen"),))
    rebuilt = entity_index(changed, U.index)
    assert rebuilt is not first
    assert U.find_unit("kulturförvaltningen", changed)[0] == 99


def test_common_title_words_narrow_instead_of_listing_thousands() -> None:
    many = tuple(AssignmentEntry(i, f"Utreda åtgärd {i}", "Uppdrag", "", 1)
                 for i in range(1, 1001))
    cat = Catalog("many", units=(UnitEntry(1, "IT"),),
                  assignments=many + (AssignmentEntry(2000, "Utreda hyresgarantier",
                                                      "Uppdrag", "", 1),))
    ei = U.entities(cat)
    hits, _, common = ei.titles.search(list(enumerate(tokenize("utreda hyresgarantier").tokens)))
    assert [h.number for h in hits] == [2000]
    assert common == ["utreda"]
