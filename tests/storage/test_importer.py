"""storage.importer: real CSV and XLSX files (and Kolada's JSON) into one organisation, on
SQLite and PostgreSQL. Every kind with Swedish and English headers; bad rows refused with
their row numbers and codes, nothing written; re-imports change nothing; the demo files
exactly as printed."""

from __future__ import annotations

import csv
import json
import os
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, func, select
from storage_helpers import all_counts, counts, new_org, write_csv, write_xlsx

from storage.db import session
from storage.demo import DEMO_DIR, DEMO_ORGANISATIONS
from storage.domain import Scenario
from storage.importer import (
    IMPORT_KINDS,
    ImportRejected,
    RowError,
    detect_kind,
    import_file,
    import_table,
    kolada_table,
    read_file,
)
from storage.models import (
    Assignment,
    AssignmentParticipant,
    FinanceFollowUp,
    Indicator,
    IndicatorValue,
    StatusComment,
    Unit,
)
from storage.organisations import OrganisationView, data_version
from storage.queries import budget, get_assignment, indicators, latest_finance
from storage.units import find_unit

SV_ASSIGNMENT_HEADER = [
    "Uppdrag/Nämndinitiativ", "Målområde", "Titel", "Ansvarig avdelning", "Slutdatum", "Status",
    "Prognos för slutförande", "Senaste kommentar", "Kommentarsdatum", "Deltagande avdelningar",
]
EN_ASSIGNMENT_HEADER = [
    "kind", "goal_area", "title", "unit", "due_date", "status", "forecast", "comment",
    "comment_date", "participating_units",
]
SV_FINANCE_HEADER = [
    "Verksamhet", "Period", "Budget period", "Utfall period", "Budget helår", "Prognos",
    "Kommentar",
]
EN_FINANCE_HEADER = [
    "unit", "period_end", "budget_period", "actual_period", "budget_year", "forecast_year",
    "comment",
]

ASSIGNMENTS = [
    SV_ASSIGNMENT_HEADER,
    ["Uppdrag", "1. Ekonomi", "Översyn av lokalförsörjningen", "Ekonomiavdelningen",
     "kvartal 1 2024", "Påbörjad", "Avvikelse från plan", "Försenat – väntar på underlag.",
     "2025-07-31", "IT; HR-avdelningen"],
    ["Nämndinitiativ", "", "Införa e-arkiv", "IT", "2025-12-01", "EJ PÅBÖRJAD", "enligt plan",
     "", "", ""],
    ["Uppdrag", "3. Trygghet", "Trygghetsvandringar i Rimbo", "Stab", "", "slutförd",
     "Enligt Plan", "Klart.", "2025-06-02", ""],
]


@pytest.fixture
def org(engine: Engine) -> OrganisationView:
    """An empty organisation."""
    return new_org(engine, "Testkommun")


def _assignment(engine: Engine, org: OrganisationView, title: str) -> Assignment:
    with session(engine, org.id) as s:
        return s.execute(select(Assignment).where(Assignment.organisation_id == org.id,
                                                  Assignment.title == title)).scalar_one()


def _versions(engine: Engine, org: OrganisationView) -> dict[str, int]:
    with session(engine, org.id) as s:
        return dict(s.execute(select(Assignment.title, Assignment.version)
                              .where(Assignment.organisation_id == org.id)).all())


def _comments(engine: Engine, org: OrganisationView, title: str) -> list[str]:
    aid = _assignment(engine, org, title).id
    with session(engine, org.id) as s:
        return list(s.execute(select(StatusComment.text)
                              .where(StatusComment.assignment_id == aid)
                              .order_by(StatusComment.created_at, StatusComment.id)).scalars())


def _unit_names(engine: Engine, org: OrganisationView) -> set[str]:
    with session(engine, org.id) as s:
        return set(s.execute(select(Unit.name).where(Unit.organisation_id == org.id)).scalars())


def _finance(engine: Engine, org: OrganisationView, unit: str) -> FinanceFollowUp:
    with session(engine, org.id) as s:
        return s.execute(select(FinanceFollowUp).join(Unit, Unit.id == FinanceFollowUp.unit_id)
                         .where(FinanceFollowUp.organisation_id == org.id, Unit.name == unit)
                         ).scalar_one()


def _rejected(engine: Engine, org: OrganisationView, path: Path) -> list[RowError]:
    with pytest.raises(ImportRejected) as err:
        import_file(engine, org.id, path)
    return err.value.errors


def _codes(errors: list[RowError]) -> list[tuple[int, str]]:
    return [(e.row, e.code) for e in errors]


# --- detecting what a file holds ---------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        (SV_ASSIGNMENT_HEADER, "assignments"),
        (EN_ASSIGNMENT_HEADER, "assignments"),
        (["TITEL", "typ", "ANSVARIG AVDELNING"], "assignments"),
        (SV_FINANCE_HEADER, "finance"),
        (EN_FINANCE_HEADER, "finance"),
        (["verksamhet", "BUDGET\u00a0HELÅR", None], "finance"),
        (["unit", "alias"], "aliases"),
        (["Enhet", "Alias"], "aliases"),
        (["unit", "alias", "language", "note"], "aliases"),
        (["Enhet", "Överordnad", "Ansvarsperson"], "units"),
        (["unit", "parent", "responsible"], "units"),
        (["Enhet", "Rad", "År", "Typ", "Belopp", "Anmärkning"], "budget"),
        (["unit", "line", "year", "scenario", "amount", "note"], "budget"),
        (["Nyckeltal", "Ansvarig", "Mål", "År", "Värde"], "indicators"),
        (["indicator", "unit", "year", "value"], "indicators"),
        (["source_id", "year", "value", "women", "men"], "indicators"),  # Kolada's JSON
    ],
)
def test_detect_kind(header: list[Any], kind: str) -> None:
    assert detect_kind(header).name == kind


@pytest.mark.parametrize("header", [["Namn", "Telefon"], [], [None, None], ["12", "2025"]])
def test_detect_kind_unknown_header(header: list[Any]) -> None:
    with pytest.raises(ImportRejected) as err:
        detect_kind(header)
    assert err.value.errors == [RowError(1, "unknown_header")]


def test_every_kind_is_reachable_and_documents_both_languages() -> None:
    assert [k.name for k in IMPORT_KINDS] == ["indicators", "budget", "assignments", "finance",
                                              "aliases", "units"]
    for kind in IMPORT_KINDS:
        first = [c.headers[0] for c in kind.columns]
        assert detect_kind(first) is kind  # the documented (English) spellings


# --- assignments -------------------------------------------------------------------------


def test_import_assignments_csv(engine: Engine, org: OrganisationView, tmp_path: Path) -> None:
    result = import_file(engine, org.id, write_csv(tmp_path / "uppdrag.csv", ASSIGNMENTS, ";"))
    assert (result.kind, result.rows, result.created, result.updated, result.unchanged) == (
        "assignments", 3, 3, 0, 0
    )
    assert result.comments_added == 2
    assert sorted(result.units_created) == sorted(
        ["Ekonomiavdelningen", "IT", "Stab", "HR-avdelningen"]
    )

    a = _assignment(engine, org, "Översyn av lokalförsörjningen")
    assert (a.kind, a.goal_area, a.due_date, a.status, a.forecast, a.version) == (
        "Uppdrag", "1. Ekonomi", date(2024, 3, 31), "started", "deviation", 1
    )
    assert (a.kind_key, a.title_key) == ("uppdrag", "översyn av lokalförsörjningen")
    b = _assignment(engine, org, "Införa e-arkiv")
    assert (b.kind, b.goal_area, b.due_date, b.status, b.forecast) == (
        "Nämndinitiativ", "", date(2025, 12, 1), "not_started", "on_plan"
    )
    c = _assignment(engine, org, "Trygghetsvandringar i Rimbo")
    assert (c.due_date, c.status, c.forecast) == (None, "completed", "on_plan")
    assert sorted([a.number, b.number, c.number]) == [1, 2, 3]  # numbered in the organisation

    assert _comments(engine, org, "Översyn av lokalförsörjningen") == [
        "Försenat – väntar på underlag."]
    assert _comments(engine, org, "Införa e-arkiv") == []
    with session(engine, org.id) as s:
        view = get_assignment(s, org.id, a.number)
        assert view is not None and view.latest_comment is not None
        assert view.latest_comment.author == "import"
        assert view.latest_comment.created_at.replace(tzinfo=None) == datetime(2025, 7, 31)
        assert view.participants == ("HR-avdelningen", "IT")
        participants = s.execute(
            select(Unit.name)
            .join(AssignmentParticipant, AssignmentParticipant.unit_id == Unit.id)
            .where(AssignmentParticipant.assignment_id == a.id)
        ).scalars()
        assert sorted(participants) == ["HR-avdelningen", "IT"]
        assert data_version(s, org.id) == 1


def test_import_assignments_uses_known_units_and_aliases(demo: Engine, norrtalje:
                                                         OrganisationView, tmp_path: Path) -> None:
    units_before = _unit_names(demo, norrtalje)
    result = import_file(demo, norrtalje.id, write_csv(tmp_path / "u.csv", ASSIGNMENTS, ";"))
    # Ekonomiavdelningen, IT, HR-avdelningen and Stab are all names or aliases already.
    assert result.units_created == []
    assert _unit_names(demo, norrtalje) == units_before
    with session(demo, norrtalje.id) as s:
        a = _assignment(demo, norrtalje, "Trygghetsvandringar i Rimbo")
        unit = s.get(Unit, a.unit_id)
        assert unit is not None and unit.name == "Stab och planering"
        assert a.number == 39  # the third new row, after the demo's 36


def test_import_assignments_windows_1252_csv(engine: Engine, org: OrganisationView,
                                             tmp_path: Path) -> None:
    rows = [row[:7] for row in ASSIGNMENTS]
    path = write_csv(tmp_path / "uppdrag.csv", rows, ";", encoding="cp1252")
    assert "Översyn".encode("cp1252") in path.read_bytes()
    assert import_file(engine, org.id, path).created == 3
    a = _assignment(engine, org, "Översyn av lokalförsörjningen")
    assert (a.kind, a.forecast) == ("Uppdrag", "deviation")
    assert "Ekonomiavdelningen" in _unit_names(engine, org)


def test_import_assignments_utf8_bom_csv(engine: Engine, org: OrganisationView,
                                         tmp_path: Path) -> None:
    path = write_csv(tmp_path / "uppdrag.csv", ASSIGNMENTS, ";", encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert read_file(path)[0][0] == "Uppdrag/Nämndinitiativ"  # no BOM in the first header
    assert import_file(engine, org.id, path).created == 3
    assert _assignment(engine, org, "Införa e-arkiv").kind == "Nämndinitiativ"


@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_import_assignments_other_delimiters(engine: Engine, org: OrganisationView,
                                             tmp_path: Path, delimiter: str) -> None:
    suffix = ".tsv" if delimiter == "\t" else ".csv"
    path = write_csv(tmp_path / f"uppdrag{suffix}", ASSIGNMENTS, delimiter)
    assert import_file(engine, org.id, path).created == 3
    assert _assignment(engine, org, "Översyn av lokalförsörjningen").due_date == date(2024, 3, 31)


def test_import_assignments_english_headers_any_order(engine: Engine, org: OrganisationView,
                                                      tmp_path: Path) -> None:
    header = ["STATUS", "Title", "Unit", "Kind", "Forecast", "Due_Date", "Comment",
              "Description", "Responsible", "Reporting"]
    rows = [
        header,
        ["In progress", "Digital signering", "IT", "Assignment", "Deviation", "Q4 2025",
         "Waiting for the supplier.", "E-signatures for every decision.", "Anna Andersson",
         "D;H"],
        ["Completed", "Ny webbplats", "IT", "Assignment", "On plan", "2025-06", "", "", "", ""],
        ["not started", "Ny e-tjänst", "HR", "Assignment", "ON PLAN", "2026", "", "", "", ""],
    ]
    result = import_file(engine, org.id, write_csv(tmp_path / "en.csv", rows))
    assert result.created == 3 and result.comments_added == 1
    a = _assignment(engine, org, "Digital signering")
    assert (a.kind, a.status, a.forecast, a.due_date) == (
        "Assignment", "started", "deviation", date(2025, 12, 31)
    )
    assert (a.description, a.responsible, a.reporting) == (
        "E-signatures for every decision.", "Anna Andersson", "D;H")
    assert _assignment(engine, org, "Ny webbplats").due_date == date(2025, 6, 30)
    assert _assignment(engine, org, "Ny e-tjänst").due_date == date(2026, 12, 31)
    assert _comments(engine, org, "Digital signering") == ["Waiting for the supplier."]


def test_import_assignments_xlsx(engine: Engine, org: OrganisationView, tmp_path: Path) -> None:
    rows = [
        SV_ASSIGNMENT_HEADER[:9],
        ["Uppdrag", "1. Ekonomi", "Ny budgetmodell", "Ekonomiavdelning", datetime(2025, 12, 1),
         "Påbörjad", "Enligt plan", "Modellen remitteras i oktober.", datetime(2025, 7, 31)],
        ["Uppdrag", "1. Ekonomi", "Ny internkontrollplan", "Ekonomiavdelning",
         "kvartal 1 2024", "slutförd", "AVVIKELSE FRÅN PLAN", None, None],
        [None] * 9,  # an empty row in the middle is skipped
        ["Nämndinitiativ", None, "Lokal utvecklingspeng", "Näringsliv", 2026, "started",
         "on plan", "  ", date(2025, 6, 2)],
    ]
    result = import_file(engine, org.id, write_xlsx(tmp_path / "uppdrag.xlsx", rows))
    assert (result.rows, result.created, result.comments_added) == (3, 3, 1)
    a = _assignment(engine, org, "Ny budgetmodell")
    assert (a.due_date, a.status, a.forecast) == (date(2025, 12, 1), "started", "on_plan")
    b = _assignment(engine, org, "Ny internkontrollplan")
    assert (b.due_date, b.status, b.forecast) == (date(2024, 3, 31), "completed", "deviation")
    c = _assignment(engine, org, "Lokal utvecklingspeng")
    assert (c.kind, c.goal_area, c.due_date) == ("Nämndinitiativ", "", date(2026, 12, 31))
    with session(engine, org.id) as s:
        view = get_assignment(s, org.id, a.number)
        assert view is not None and view.latest_comment is not None
        assert view.latest_comment.text == "Modellen remitteras i oktober."
        assert view.latest_comment.day == date(2025, 7, 31)
    assert _comments(engine, org, "Lokal utvecklingspeng") == []  # a blank comment: none


def test_an_empty_forecast_is_not_reported(engine: Engine, org: OrganisationView,
                                           tmp_path: Path) -> None:
    rows = [SV_ASSIGNMENT_HEADER[:7],
            ["Nyckelmål", "", "Nationell synlighet.", "Stadskanslicentralen", "2025",
             "Ej rapporterad", ""]]
    import_file(engine, org.id, write_csv(tmp_path / "u.csv", rows))
    a = _assignment(engine, org, "Nationell synlighet.")
    assert (a.status, a.forecast, a.due_date) == ("not_reported", "not_reported",
                                                  date(2025, 12, 31))


def test_multiline_comment_is_kept(engine: Engine, org: OrganisationView, tmp_path: Path) -> None:
    rows = [SV_ASSIGNMENT_HEADER[:8],
            ["Uppdrag", "", "Ny policy", "IT", "2025", "Påbörjad", "Enligt plan",
             "Rad ett.\nRad två.\n"]]
    import_file(engine, org.id, write_csv(tmp_path / "u.csv", rows, ";"))
    assert _comments(engine, org, "Ny policy") == ["Rad ett.\nRad två."]
    # Re-import: same text, nothing new.
    result = import_file(engine, org.id, write_csv(tmp_path / "u.csv", rows, ";"))
    assert (result.updated, result.comments_added) == (0, 0)


# --- finance -----------------------------------------------------------------------------


def test_import_finance_csv(engine: Engine, org: OrganisationView, tmp_path: Path) -> None:
    rows = [
        SV_FINANCE_HEADER,
        ["IT", "2025-07-31", "-23 978", "\u221220\u00a0813", "-41\u202f225", "-39 853",
         "Överskott på personalsidan."],
        ["Kultur", "2025-07", "27,5", "+1 372", "0", "-0,25", ""],
    ]
    result = import_file(engine, org.id, write_csv(tmp_path / "ekonomi.csv", rows, ";"))
    assert (result.kind, result.rows, result.created, result.updated) == ("finance", 2, 2, 0)
    assert sorted(result.units_created) == ["IT", "Kultur"]
    it = _finance(engine, org, "IT")
    assert it.period_end == date(2025, 7, 31)
    assert Decimal(it.budget_period) == Decimal("-23978")
    assert Decimal(it.actual_period) == Decimal("-20813")
    assert Decimal(it.budget_year) == Decimal("-41225")
    assert Decimal(it.forecast_year) == Decimal("-39853")
    assert it.comment == "Överskott på personalsidan."
    kultur = _finance(engine, org, "Kultur")
    assert kultur.period_end == date(2025, 7, 31)  # a month means its last day
    assert Decimal(kultur.budget_period) == Decimal("27.5")
    assert Decimal(kultur.actual_period) == Decimal("1372")
    assert Decimal(kultur.forecast_year) == Decimal("-0.25")
    with session(engine, org.id) as s:
        view = latest_finance(s, org.id, it.unit_id)
        assert view is not None and view.deviation == Decimal("1372")


def test_import_finance_xlsx_text_and_numeric_cells(engine: Engine, org: OrganisationView,
                                                    tmp_path: Path) -> None:
    rows = [
        SV_FINANCE_HEADER,
        ["IT", datetime(2025, 7, 31), "-23 978", -20813, "-41 225", -39853.0, "Text och tal."],
        ["HR-avdelning", "2025-07-31", -19184.5, "-16 950,25", 0.1 + 0.2, "-32 956", None],
    ]
    result = import_file(engine, org.id, write_xlsx(tmp_path / "ekonomi.xlsx", rows))
    assert result.created == 2
    it = _finance(engine, org, "IT")
    assert it.period_end == date(2025, 7, 31)
    assert [Decimal(getattr(it, k)) for k in
            ("budget_period", "actual_period", "budget_year", "forecast_year")] == [
        Decimal("-23978"), Decimal("-20813"), Decimal("-41225"), Decimal("-39853")
    ]
    hr = _finance(engine, org, "HR-avdelning")
    assert Decimal(hr.budget_period) == Decimal("-19184.5")
    assert Decimal(hr.actual_period) == Decimal("-16950.25")
    assert Decimal(hr.budget_year) == Decimal("0.3")
    assert hr.comment == ""
    again = import_file(engine, org.id, tmp_path / "ekonomi.xlsx")  # float cells too
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_import_finance_english_headers(engine: Engine, org: OrganisationView,
                                        tmp_path: Path) -> None:
    rows = [EN_FINANCE_HEADER,
            ["IT", "2025-07-31", "-23 978", "-20 813", "-41 225", "-39 853", "ok"]]
    result = import_file(engine, org.id, write_csv(tmp_path / "fin.csv", rows))
    assert result.kind == "finance" and result.created == 1
    assert Decimal(_finance(engine, org, "IT").forecast_year) == Decimal("-39853")


def test_import_finance_update_and_more_than_two_decimals(engine: Engine, org: OrganisationView,
                                                          tmp_path: Path) -> None:
    rows = [SV_FINANCE_HEADER, ["IT", "2025-07-31", "1", "2", "-41 225,555", "-39 853", "v1"]]
    import_file(engine, org.id, write_csv(tmp_path / "f.csv", rows, ";"))
    assert Decimal(_finance(engine, org, "IT").budget_year) == Decimal("-41225.56")  # as stored
    again = import_file(engine, org.id, tmp_path / "f.csv")
    assert (again.updated, again.unchanged) == (0, 1)
    rows[1][5], rows[1][6] = "-40 000", "v2"
    changed = import_file(engine, org.id, write_csv(tmp_path / "f.csv", rows, ";"))
    assert (changed.created, changed.updated) == (0, 1)
    it = _finance(engine, org, "IT")
    assert (Decimal(it.forecast_year), it.comment) == (Decimal("-40000"), "v2")
    assert counts(engine, org.id)["finance_follow_up"] == 1


# --- aliases and units ---------------------------------------------------------------------


def test_import_alias_file(demo: Engine, norrtalje: OrganisationView, tmp_path: Path) -> None:
    rows = [["unit", "alias"], ["IT", "IT-kontoret"], ["it", "ICT"], ["", ""]]
    result = import_file(demo, norrtalje.id, write_csv(tmp_path / "alias.csv", rows))
    assert (result.kind, result.rows, result.created, result.unchanged) == ("aliases", 2, 1, 1)
    with session(demo, norrtalje.id) as s:
        it = find_unit(s, norrtalje.id, "it-kontoret")
        assert it is not None and it.name == "IT"


def test_alias_file_naming_an_unknown_unit_is_refused(demo: Engine, norrtalje: OrganisationView,
                                                     tmp_path: Path) -> None:
    before = counts(demo, norrtalje.id)
    # New behaviour: the old importer created the unit; a typo in an alias file
    # ("Ekonomiavdelnign") must not become a unit, so it is refused with the close names.
    rows = [["Enhet", "Alias"], ["Kultur", "Kulturförvaltningen"], ["Ekonomiavdelnign", "EA"]]
    errors = _rejected(demo, norrtalje, write_csv(tmp_path / "alias.csv", rows))
    assert _codes(errors) == [(2, "unknown_unit"), (3, "unknown_unit")]
    assert errors[1].params["suggestions"].split(", ")[0] == "Ekonomiavdelning"
    assert counts(demo, norrtalje.id) == before


def test_alias_conflict_rejects_the_whole_file(demo: Engine, norrtalje: OrganisationView,
                                               tmp_path: Path) -> None:
    before = counts(demo, norrtalje.id)
    rows = [["Enhet", "Alias"], ["IT", "IT-kontoret"], ["IT", "HR"], ["Kultur", "KF"],
            ["IT", ""]]
    errors = _rejected(demo, norrtalje, write_xlsx(tmp_path / "alias.xlsx", rows))
    assert _codes(errors) == [(5, "cell_missing")]  # a row's own error: nothing looked up
    del rows[4]
    errors = _rejected(demo, norrtalje, write_xlsx(tmp_path / "alias.xlsx", rows))
    assert _codes(errors) == [(3, "alias_taken"), (4, "unknown_unit")]
    assert errors[0].params == {"alias": "HR", "unit": "HR-avdelning"}
    assert counts(demo, norrtalje.id) == before  # not even IT-kontoret
    with session(demo, norrtalje.id) as s:
        assert find_unit(s, norrtalje.id, "IT-kontoret") is None


def test_alias_used_twice_in_one_file(engine: Engine, org: OrganisationView,
                                      tmp_path: Path) -> None:
    rows = [["unit", "alias"], ["IT", "X"], ["HR", "X"]]
    errors = _rejected(engine, org, write_csv(tmp_path / "alias.csv", rows))
    assert _codes(errors) == [(3, "duplicate_row")] and errors[0].params == {"first": 2}
    assert counts(engine, org.id)["unit_alias"] == counts(engine, org.id)["unit"] == 0


@pytest.mark.parametrize(("header", "maker"), [
    (["Enhet", "Överordnad", "Ansvarsperson"], write_csv),
    (["unit", "parent", "responsible"], write_xlsx),
])
def test_import_units(engine: Engine, org: OrganisationView, tmp_path: Path, header, maker) -> None:
    rows = [header, ["Stadskanslitjänster", "Stadskanslicentralen", "förvaltningsdirektören"],
            ["Stadskanslicentralen", "", "stadsdirektören"]]
    suffix = ".csv" if maker is write_csv else ".xlsx"
    result = import_file(engine, org.id, maker(tmp_path / f"units{suffix}", rows))
    assert (result.kind, result.rows, result.created, result.updated) == ("units", 2, 2, 0)
    from storage.queries import list_units

    with session(engine, org.id) as s:
        assert [(u.name, u.parent, u.responsible) for u in list_units(s, org.id)] == [
            ("Stadskanslicentralen", None, "stadsdirektören"),
            ("Stadskanslitjänster", "Stadskanslicentralen", "förvaltningsdirektören")]
    again = import_file(engine, org.id, tmp_path / f"units{suffix}")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    rows[2][2] = "kommundirektören"
    changed = import_file(engine, org.id, maker(tmp_path / f"units{suffix}", rows))
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 1)


def test_a_unit_cannot_be_its_own_parent(engine: Engine, org: OrganisationView,
                                         tmp_path: Path) -> None:
    rows = [["unit", "parent"], ["IT", "it"]]
    assert _codes(_rejected(engine, org, write_csv(tmp_path / "u.csv", rows))) == [
        (2, "own_parent")]
    assert counts(engine, org.id)["unit"] == 0


# --- budgets ---------------------------------------------------------------------------------

BUDGET_SV = [["Enhet", "Rad", "År", "Typ", "Belopp", "Anmärkning"],
             ["IKT", "Verksamhetens intäkter", "2023", "Bokslut", "27 495", ""],
             ["IKT", "Verksamhetens intäkter", "2024", "Budget", "20 000", "inkl. ändringar"],
             ["IKT", "Verksamhetens intäkter", "2025", "Budget", "", ""],
             ["IKT", "Verksamhetens kostnader", "2023", "Bokslut", "−929 624", ""],
             ["IKT", "Verksamhetens kostnader", "2026", "Ekonomiplan", "-1 000 000,5", ""]]
BUDGET_EN = [["unit", "line", "year", "scenario", "amount", "note"],
             *[[r[0], r[1], r[2], {"Bokslut": "actual", "Budget": "budget",
                                   "Ekonomiplan": "plan"}[r[3]], r[4], r[5]]
               for r in BUDGET_SV[1:]]]


@pytest.mark.parametrize(("rows", "maker"), [(BUDGET_SV, write_csv), (BUDGET_SV, write_xlsx),
                                             (BUDGET_EN, write_csv), (BUDGET_EN, write_xlsx)])
def test_import_budget(engine: Engine, org: OrganisationView, tmp_path: Path, rows,
                       maker) -> None:
    suffix = ".csv" if maker is write_csv else ".xlsx"
    path = maker(tmp_path / f"budget{suffix}", rows)
    result = import_file(engine, org.id, path)
    assert (result.kind, result.rows, result.created, result.units_created) == (
        "budget", 5, 5, ["IKT"])
    with session(engine, org.id) as s:
        unit = find_unit(s, org.id, "IKT")
        view = budget(s, org.id, unit.id)  # type: ignore[union-attr]
    assert view is not None and view.years == [2023, 2024, 2025, 2026]
    assert [(c.scenario, c.note) for c in view.columns] == [
        (Scenario.ACTUAL, ""), (Scenario.BUDGET, "inkl. ändringar"), (Scenario.BUDGET, ""),
        (Scenario.PLAN, "")]
    assert [ln.line for ln in view.lines] == ["Verksamhetens intäkter", "Verksamhetens kostnader"]
    income, costs = view.lines
    assert [income.amount(y) for y in (2023, 2024, 2025)] == [Decimal("27495"),
                                                              Decimal("20000"), None]
    assert costs.amount(2026) == Decimal("-1000000.50")
    assert costs.amount(2024) is None
    again = import_file(engine, org.id, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)


def test_bad_budget_rows(engine: Engine, org: OrganisationView, tmp_path: Path) -> None:
    rows = [BUDGET_SV[0], ["IKT", "Rad", "20x5", "Budget", "1", ""],
            ["IKT", "Rad", "2025", "Prognos", "1", ""], ["IKT", "", "2025", "Budget", "1", ""],
            ["IKT", "Rad", "2025", "Budget", "1 2", ""], ["ikt", "RAD", "2024", "budget", "", ""],
            ["IKT", "rad", "2024", "Budget", "2", ""], ["IKT", "Rad", "1800", "Budget", "1", ""]]
    errors = _rejected(engine, org, write_csv(tmp_path / "b.csv", rows))
    assert _codes(errors) == [(2, "bad_year"), (3, "unknown_scenario"), (4, "cell_missing"),
                              (5, "bad_number"), (7, "duplicate_row"), (8, "bad_year")]
    assert all_counts(engine)["budget_line"] == 0
    assert counts(engine, org.id)["unit"] == 0


def test_lovisa_budget_exactly_as_printed(demo: Engine, lovisa: OrganisationView) -> None:
    with session(demo, lovisa.id) as s:
        ict = find_unit(s, lovisa.id, "ICT")
        centre = find_unit(s, lovisa.id, "Stadskanslicentralen")
        epv = find_unit(s, lovisa.id, "Ekonomi- och personaltjänster")
        assert ict is not None and ict.name == "Informations- och kommunikationsteknologitjänster"
        view = budget(s, lovisa.id, ict.id)  # type: ignore[arg-type]
        whole = budget(s, lovisa.id, centre.id)  # type: ignore[union-attr]
        ept = budget(s, lovisa.id, epv.id)  # type: ignore[union-attr]
    assert view is not None and whole is not None and ept is not None
    assert view.years == [2023, 2024, 2025]  # the areas print three columns only
    assert [(c.year, c.scenario, c.note) for c in view.columns] == [
        (2023, Scenario.ACTUAL, ""), (2024, Scenario.BUDGET, "inkl. ändringar"),
        (2025, Scenario.BUDGET, "")]
    costs = view.line("verksamhetens kostnader")
    assert costs is not None
    assert [costs.amount(y) for y in (2023, 2024, 2025)] == [
        Decimal("-929624"), Decimal("-1151466"), Decimal("-1118985")]
    # The printed line order, and missing cells missing (not zero).
    assert [ln.line for ln in view.lines] == [
        "Verksamhetens intäkter", "Tillverkning för eget bruk", "Verksamhetens kostnader",
        "Verksamhetsbidrag, externt", "Avskrivningar och nedskrivningar",
        "Interna poster, netto", "Kalkylmässiga poster, netto"]
    amounts = {ln.line: [ln.amount(y) for y in view.years] for ln in view.lines}
    assert amounts == {
        "Verksamhetens intäkter": [Decimal("27495"), Decimal("20000"), None],
        "Tillverkning för eget bruk": [None, None, None],
        "Verksamhetens kostnader": [Decimal("-929624"), Decimal("-1151466"),
                                    Decimal("-1118985")],
        "Verksamhetsbidrag, externt": [Decimal("-902129"), Decimal("-1131466"),
                                       Decimal("-1118985")],
        "Avskrivningar och nedskrivningar": [Decimal("-12844"), Decimal("-12845"),
                                             Decimal("-12844")],
        "Interna poster, netto": [Decimal("6278"), Decimal("9582"), None],
        "Kalkylmässiga poster, netto": [Decimal("913848"), Decimal("1246231"), None],
    }
    # The centre prints five columns (2026 and 2027 as Ekonomiplan) and 17 lines.
    assert whole.years == [2023, 2024, 2025, 2026, 2027]
    assert [c.scenario for c in whole.columns][-2:] == [Scenario.PLAN, Scenario.PLAN]
    assert len(whole.lines) == 17
    assert whole.lines[0].line == "Försäljningsintäkter"
    assert [whole.lines[0].amount(y) for y in (2023, 2024)] == [Decimal("30291"),
                                                               Decimal("20500")]
    fees = whole.line("avgiftsintäkter")
    assert fees is not None and fees.amount(2023) == Decimal("-675")
    assert [fees.amount(y) for y in (2024, 2025, 2026, 2027)] == [None] * 4
    internal = whole.line("varav interna")
    assert internal is not None and set(internal.amounts.values()) == {None}
    # SOURCES.md's printed inconsistencies, kept as printed.
    income = whole.line("verksamhetens intäkter")
    assert income is not None and income.amount(2023) == Decimal("185185")
    assert ept.line("verksamhetens intäkter").amount(2025) == Decimal("150000")  # type: ignore[union-attr]
    # Every figure of budget.csv is stored exactly.
    with open(DEMO_DIR / "lovisa" / "budget.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 148
    with session(demo, lovisa.id) as s:
        stored = {}
        for unit_name in {r["Enhet"] for r in rows}:
            unit = find_unit(s, lovisa.id, unit_name)
            got = budget(s, lovisa.id, unit.id)  # type: ignore[union-attr]
            for ln in got.lines:  # type: ignore[union-attr]
                for (year, _), amount in ln.amounts.items():
                    stored[(unit_name, ln.line, year)] = amount
    from storage.domain import parse_number

    assert stored == {(r["Enhet"], r["Rad"], int(r["År"])):
                      parse_number(r["Belopp"]) if r["Belopp"] else None for r in rows}


# --- indicators ------------------------------------------------------------------------------

INDICATORS_SV = [
    ["Nyckeltal", "Ansvarig", "Mål", "Mått", "Riktning", "Kolada-id", "Jämförelsegrupp", "År",
     "Värde", "Kvinnor", "Män", "Målvärde", "Jämförvärde", "Trend", "Prognos"],
    ["Sjukfrånvaro (%)", "HR", "Friska medarbetare", "%", "Lägre är bättre", "N00090",
     "Riket", "2022", "9,0", "10,20", "7", "8", "8,5", "Neg", ""],
    ["Sjukfrånvaro (%)", "HR", "Friska medarbetare", "%", "Lägre är bättre", "N00090",
     "Riket", "2023", "-", "", "", "", "", "", "Minskande"],
]
INDICATORS_EN = [["indicator", "unit", "goal", "measure", "polarity", "source_id",
                  "comparison_group", "year", "value", "women", "men", "target", "comparison",
                  "trend", "forecast"],
                 [*INDICATORS_SV[1][:4], "lower is better", *INDICATORS_SV[1][5:13],
                  "negative", ""],
                 [*INDICATORS_SV[2][:4], "lower_better", *INDICATORS_SV[2][5:14],
                  "decreasing"]]


@pytest.mark.parametrize(("rows", "maker"), [
    (INDICATORS_SV, write_csv), (INDICATORS_SV, write_xlsx), (INDICATORS_EN, write_csv),
    (INDICATORS_EN, write_xlsx)])
def test_import_indicators(engine: Engine, org: OrganisationView, tmp_path: Path, rows,
                           maker) -> None:
    suffix = ".csv" if maker is write_csv else ".xlsx"
    path = maker(tmp_path / f"ind{suffix}", rows)
    result = import_file(engine, org.id, path)
    assert (result.kind, result.rows, result.created, result.units_created) == (
        "indicators", 2, 2, ["HR"])
    with session(engine, org.id) as s:
        [view] = indicators(s, org.id)
    assert (view.name, view.unit, view.goal, view.measure, view.polarity, view.source_id,
            view.comparison_group) == ("Sjukfrånvaro (%)", "HR", "Friska medarbetare", "%",
                                       "lower_better", "N00090", "Riket")
    first, second = view.years
    assert (first.year, first.total, first.women, first.men, first.target, first.comparison,
            first.trend, first.direction) == (2022, Decimal("9.0"), Decimal("10.20"),
                                              Decimal("7"), Decimal("8"), Decimal("8.5"),
                                              "negative", "")
    assert str(first.total) == "9.0" and str(first.women) == "10.20"  # printed precision
    assert (second.year, second.total, second.women, second.direction) == (
        2023, None, None, "decreasing")  # "-" is missing, not zero
    again = import_file(engine, org.id, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_bad_indicator_rows(engine: Engine, org: OrganisationView, tmp_path: Path) -> None:
    header = INDICATORS_SV[0]
    row = INDICATORS_SV[1]
    rows = [header,
            [*row[:4], "Uppåt", *row[5:]],
            [*row[:7], "2022", "nio", *row[9:]],
            [*row[:13], "Bra", ""],
            [*row[:14], "Snabbt"],
            ["", *row[1:5], "", *row[6:]],
            [*row[:7], "", "9,0", *row[9:]],
            row, row]
    errors = _rejected(engine, org, write_csv(tmp_path / "i.csv", rows))
    assert _codes(errors) == [(2, "unknown_polarity"), (3, "bad_number"),
                              (4, "unknown_judgement"), (5, "unknown_direction"),
                              (6, "indicator_name_missing"), (7, "cell_missing"),
                              (9, "duplicate_row")]
    assert counts(engine, org.id) == dict.fromkeys(counts(engine, org.id), 0)


def test_missing_year_column_is_refused(engine: Engine, org: OrganisationView,
                                        tmp_path: Path) -> None:
    rows = [["Nyckeltal", "Värde"], ["Sjukfrånvaro", "9"]]
    # Without År the header is not an indicator file at all.
    assert _codes(_rejected(engine, org, write_csv(tmp_path / "i.csv", rows))) == [
        (1, "unknown_header")]


def test_lerum_indicators_every_figure(demo: Engine, lerum: OrganisationView) -> None:
    with session(demo, lerum.id) as s:
        views = indicators(s, lerum.id)
    assert len(views) == 6
    got = {v.name: [(y.year, y.total, y.direction) for y in v.years] for v in views}
    D = Decimal
    assert got == {
        "Digital mognad i förvaltningsorganisationen (DIMIOS)": [
            (2021, D("44"), ""), (2022, D("47.1"), ""), (2023, D("50.6"), ""),
            (2024, None, "increasing")],
        "Hållbart medarbetarengagemang, HME (Index 0-100), totalt kommunen": [
            (2021, D("79.2"), ""), (2022, D("78.8"), ""), (2023, D("79.8"), ""),
            (2024, None, "increasing")],
        "Kundnöjdhet, SKR:s Insiktsmätning, NKI (index 0-100), företagares nöjdhet med "
        "kommunens service": [(2021, D("75"), ""), (2022, D("72"), ""), (2023, D("76"), ""),
                              (2024, None, "increasing")],
        "SKR:s Öppna jämförelser, Trygghet och säkerhet": [
            (2021, D("16"), ""), (2022, D("8"), ""), (2023, None, ""), (2024, None, "unchanged")],
        "Sjukfrånvaro samtlig månadsavlönad personal (%)": [
            (2021, D("9.0"), ""), (2022, D("9.3"), ""), (2023, None, ""),
            (2024, None, "decreasing")],
        "Svenskt näringslivs ranking, upplevt företagsklimat, placering": [
            (2021, D("109"), ""), (2022, D("130"), ""), (2023, D("86"), ""),
            (2024, None, "decreasing")],
    }
    sick = next(v for v in views if v.name.startswith("Sjukfrånvaro"))
    assert str(sick.years[0].total) == "9.0"
    assert (sick.unit, sick.measure, sick.polarity) == ("Kommunstyrelsen", "%", "lower_better")
    ranking = next(v for v in views if v.name.startswith("Svenskt"))
    assert (ranking.measure, ranking.polarity) == ("placering", "lower_better")
    assert all(y.women is None and y.men is None and y.trend == "" for v in views
               for y in v.years)


def test_nykoping_table_exactly_as_printed(demo: Engine, nykoping: OrganisationView) -> None:
    """The "Social hållbarhet" table (l.956–1011): six rows with women/men, comparison, trend
    and Kolada ids, and the "-" cells missing."""
    with session(demo, nykoping.id) as s:
        views = {v.name: v for v in indicators(s, nykoping.id)}
    assert len(views) == 30
    D = Decimal
    social = {
        "Invånare med bra självskattat hälsotillstånd, andel (%)":
            ("U01405", "higher_better", 2022, D("66"), D("63"), D("69"), D("70"), "negative"),
        "Andel (%) 4 åringar med övervikt/obesitas Nyköping":
            ("", "lower_better", 2022, D("11"), None, None, None, "negative"),
        "Invånare, 0–19 år, med låg ekonomisk standard, andel (%)":
            ("N66077", "lower_better", 2021, D("21"), None, None, D("18"), "negative"),
        "Förvärvsarbetande eller studerande skyddsbehövande eller studerande och anhöriga "
        "(flyktingar) 20–64 år, andel (%)":
            ("N00712", "higher_better", 2021, D("66.5"), D("48.1"), D("63"), D("71.4"),
             "positive"),
        "Anmälda våldsbrott, antal/100 000 inv":
            ("N07403", "lower_better", 2022, D("1063"), None, None, D("870"), "positive"),
        "Invånare 16–84 år som avstår från att gå ut ensam, andel (%)":
            ("U01420", "lower_better", 2022, D("24"), D("35"), D("13"), D("25"), "positive"),
    }
    for name, (kolada, polarity, year, total, women, men, comparison, trend) in social.items():
        view = views[name]
        [y] = view.years
        assert (view.source_id, view.polarity, view.unit, y.year, y.total, y.women, y.men,
                y.target, y.comparison, y.trend, y.direction) == (
            kolada, polarity, "Kommunledningskansliet", year, total, women, men, None,
            comparison, trend, ""), name
        assert view.goal.startswith("Nyköpings kommun ska vara tryggt, jämlikt")
        assert view.comparison_group == ("Mindre stad/tätort" if comparison else "")
    assert str(views["Elförbrukning i egenägda byggnader, exkl värmepump per m2 (kWh/ m2)"]
               .years[0].total) == "59.91"
    nui = views["Företagsklimat enl. ÖJ (Insikt) – Upphandling, NUI"].years[0]
    assert (nui.total, nui.comparison, nui.trend) == (D("69"), D("67"), "")  # trend "-"
    assert str(views["SKRs servicemätning: Enkelhet index telefoni"].years[0].total) == "70.0"
    assert views["Nettokostnadsutveckling ska understiga nettointäktsutveckling: Nettokostnad"
                 ].years[0].total == D("1.9")
    empty = views["Antal företag och organisationer i samverkan inom ram för klimatarbete"]
    assert (empty.years, empty.polarity, empty.measure) == ([], "higher_better", "antal")


# --- all or nothing ------------------------------------------------------------------------


def test_bad_assignment_rows_are_all_listed_and_nothing_is_written(
    demo: Engine, norrtalje: OrganisationView, tmp_path: Path
) -> None:
    rows = [
        SV_ASSIGNMENT_HEADER,
        ["Uppdrag", "", "Bra rad", "IT", "2025-12-01", "Påbörjad", "Enligt plan", "ny", "", ""],
        ["Uppdrag", "", "Fel status", "IT", "2025-12-01", "Halvklar", "Enligt plan", "", "", ""],
        ["Uppdrag", "", "Fel datum", "IT", "2025-13-01", "Påbörjad", "Enligt plan", "", "", ""],
        ["Uppdrag", "", "", "IT", "2025-12-01", "Påbörjad", "Enligt plan", "", "", ""],
        ["Uppdrag", "", "Fel prognos", "IT", "2025", "Påbörjad", "kanske", "", "", ""],
        ["", "", "", "", "", "", "", "", "", ""],  # blank: skipped, but still counted
        ["UPPDRAG", "", "bra  RAD", "HR", "2025-12-01", "Påbörjad", "Enligt plan", "", "", ""],
        ["Uppdrag", "", "Två fel", "", "snart", "Påbörjad", "Enligt plan", "", "31/7", ""],
        ["Uppdrag", "", "Ny och bra", "Ny enhet", "2026", "Slutförd", "Enligt plan", "x", "", ""],
    ]
    before, versions = counts(demo, norrtalje.id), _versions(demo, norrtalje)
    errors = _rejected(demo, norrtalje, write_csv(tmp_path / "uppdrag.csv", rows, ";"))
    assert [e.row for e in errors] == [3, 4, 5, 6, 8, 9, 9, 9]
    by_row = {(e.row, e.code): e.params for e in errors}
    assert by_row[(3, "unknown_status")] == {"column": "status", "value": "Halvklar"}
    assert by_row[(4, "bad_date")] == {"column": "due_date", "value": "2025-13-01"}
    assert by_row[(5, "cell_missing")] == {"column": "title"}
    assert by_row[(6, "unknown_forecast")] == {"column": "forecast", "value": "kanske"}
    assert by_row[(8, "duplicate_row")] == {"first": 2}
    assert by_row[(9, "cell_missing")] == {"column": "unit"}
    assert by_row[(9, "bad_date")] == {"column": "due_date", "value": "snart"}
    assert by_row[(9, "bad_comment_date")] == {"column": "comment_date", "value": "31/7"}
    assert "3: unknown_status" in str(ImportRejected(errors))
    assert counts(demo, norrtalje.id) == before
    assert _versions(demo, norrtalje) == versions
    assert "Ny enhet" not in _unit_names(demo, norrtalje)


def test_bad_finance_rows_are_all_listed_and_nothing_is_written(
    demo: Engine, norrtalje: OrganisationView, tmp_path: Path
) -> None:
    rows = [
        SV_FINANCE_HEADER,
        ["IT", "2025-08-31", "-1", "-1", "-1", "-1", "bra"],
        ["IT", "2025-09-30", "-1", "12 34", "-1", "-1", ""],
        ["", "2025-09-30", "-1", "-1", "-1", "-1", ""],
        ["HR", "sept", "-1", "-1", "1,2,3", "", ""],
        ["it", "2025-08", "-2", "-2", "-2", "-2", "samma period"],
        ["Kultur", "2025-09-30", "-1", "-1", "-1", "-1", ""],
    ]
    before = counts(demo, norrtalje.id)
    with session(demo, norrtalje.id) as s:
        it = find_unit(s, norrtalje.id, "IT")
        it_before = latest_finance(s, norrtalje.id, it.id)  # type: ignore[union-attr]
    errors = _rejected(demo, norrtalje, write_xlsx(tmp_path / "ekonomi.xlsx", rows))
    assert _codes(errors) == [(3, "bad_number"), (4, "cell_missing"), (5, "bad_date"),
                              (5, "bad_number"), (5, "cell_missing"), (6, "duplicate_row")]
    assert errors[0].params == {"column": "actual_period", "value": "12 34"}
    assert errors[1].params == {"column": "unit"}
    assert errors[3].params == {"column": "budget_year", "value": "1,2,3"}
    assert errors[4].params == {"column": "forecast_year"}
    assert errors[5].params == {"first": 2}
    assert counts(demo, norrtalje.id) == before
    with session(demo, norrtalje.id) as s:
        assert latest_finance(s, norrtalje.id, it.id) == it_before  # type: ignore[union-attr]


def test_too_long_texts_are_row_errors_on_both_databases(engine: Engine, org: OrganisationView,
                                                         tmp_path: Path) -> None:
    # PostgreSQL refuses them mid-import and SQLite would store them: both must reject the row.
    rows = [
        SV_ASSIGNMENT_HEADER,
        ["U" * 101, "M" * 301, "T" * 1001, "A" * 201, "2025", "Påbörjad", "Enligt plan", "", "",
         "IT; " + "D" * 201],
        ["Uppdrag", "M" * 300, "T" * 1000, "A" * 200, "2025", "Påbörjad", "Enligt plan", "", "",
         ""],
    ]
    errors = _rejected(engine, org, write_csv(tmp_path / "lång.csv", rows, ";"))
    assert {(e.row, e.code, e.params["column"], e.params["limit"]) for e in errors} == {
        (2, "too_long", "kind", 100), (2, "too_long", "goal_area", 300),
        (2, "too_long", "title", 1000), (2, "too_long", "unit", 200)}
    assert counts(engine, org.id) == dict.fromkeys(counts(engine, org.id), 0)
    rows[1][:4] = ["Uppdrag", "", "Kort", "IT"]  # only the participant is too long now
    errors = _rejected(engine, org, write_csv(tmp_path / "lång.csv", rows, ";"))
    assert [(e.row, e.code, e.params) for e in errors] == [
        (2, "too_long", {"column": "participants", "limit": 200})]
    assert counts(engine, org.id) == dict.fromkeys(counts(engine, org.id), 0)
    del rows[1]  # the longest allowed fit
    assert import_file(engine, org.id, write_csv(tmp_path / "lång.csv", rows, ";")).created == 1

    finance = [SV_FINANCE_HEADER, ["V" * 201, "2025-07-31", "1", "1", "1", "1", ""]]
    [error] = _rejected(engine, org, write_csv(tmp_path / "f.csv", finance, ";"))
    assert (error.code, error.params) == ("too_long", {"column": "unit", "limit": 200})
    aliases = [["unit", "alias"], ["IT", "X" * 201]]
    [error] = _rejected(engine, org, write_csv(tmp_path / "a.csv", aliases, ";"))
    assert (error.code, error.params) == ("too_long", {"column": "alias", "limit": 200})
    assert counts(engine, org.id)["finance_follow_up"] == counts(engine, org.id)["unit_alias"] == 0


def test_a_date_cell_in_a_number_column_is_a_row_error(engine: Engine, org: OrganisationView,
                                                       tmp_path: Path) -> None:
    rows = [SV_FINANCE_HEADER, ["IT", "2025-07-31", datetime(2025, 1, 1), "-1", "-1", "-1", ""]]
    errors = _rejected(engine, org, write_xlsx(tmp_path / "ekonomi.xlsx", rows))
    assert _codes(errors) == [(2, "bad_number")] and errors[0].params["column"] == "budget_period"
    assert counts(engine, org.id)["finance_follow_up"] == 0


def test_dates_outside_any_plan_are_row_errors(demo: Engine, norrtalje: OrganisationView,
                                               tmp_path: Path) -> None:
    # "0001-01-01" (a typo for 2025?) was imported as 739 508 days overdue, "9999-12-31"
    # as due in eight thousand years; an XLSX date cell the same. Years 1900–2200, as the
    # year columns of budgets and indicators.
    rows = [SV_ASSIGNMENT_HEADER,
            ["Uppdrag", "", "Tidigt", "IT", "0001-01-01", "Påbörjad", "Enligt plan", "", "", ""],
            ["Uppdrag", "", "Sent", "IT", "31.12.9999", "Påbörjad", "Enligt plan", "", "", ""],
            ["Uppdrag", "", "Kvartal", "IT", "Q1 3000", "Påbörjad", "Enligt plan", "", "", ""],
            ["Uppdrag", "", "Cell", "IT", datetime(1800, 1, 1), "Påbörjad", "Enligt plan",
             "", "", ""],
            ["Uppdrag", "", "Bra", "IT", "2200-12-31", "Påbörjad", "Enligt plan", "", "", ""]]
    before, versions = counts(demo, norrtalje.id), _versions(demo, norrtalje)
    for path in (write_csv(tmp_path / "uppdrag.csv", rows, ";"),
                 write_xlsx(tmp_path / "uppdrag.xlsx", rows)):
        errors = _rejected(demo, norrtalje, path)
        assert _codes(errors) == [(2, "bad_date"), (3, "bad_date"), (4, "bad_date"),
                                  (5, "bad_date")], errors
    assert counts(demo, norrtalje.id) == before
    assert _versions(demo, norrtalje) == versions


# --- idempotency and updates ---------------------------------------------------------------


def test_importing_the_same_file_twice_changes_nothing(engine: Engine, org: OrganisationView,
                                                       tmp_path: Path) -> None:
    path = write_csv(tmp_path / "uppdrag.csv", ASSIGNMENTS, ";")
    first = import_file(engine, org.id, path)
    before, versions = counts(engine, org.id), _versions(engine, org)
    second = import_file(engine, org.id, path)
    assert (second.created, second.updated, second.comments_added) == (0, 0, 0)
    assert second.unchanged == first.rows == 3
    assert second.units_created == []
    assert counts(engine, org.id) == before
    assert _versions(engine, org) == versions == {
        "Översyn av lokalförsörjningen": 1, "Införa e-arkiv": 1, "Trygghetsvandringar i Rimbo": 1
    }


def test_a_changed_status_and_comment_update_once(engine: Engine, org: OrganisationView,
                                                  tmp_path: Path) -> None:
    import_file(engine, org.id, write_csv(tmp_path / "v1.csv", ASSIGNMENTS, ";"))
    title = "Översyn av lokalförsörjningen"
    changed = [list(row) for row in ASSIGNMENTS]
    changed[1][5] = "Slutförd"
    changed[1][7] = "Klart, redovisat i september."
    changed[1][8] = "2025-09-15"
    path = write_csv(tmp_path / "v2.csv", changed, ";")

    result = import_file(engine, org.id, path)
    assert (result.created, result.updated, result.unchanged, result.comments_added) == (
        0, 1, 2, 1
    )
    a = _assignment(engine, org, title)
    assert (a.status, a.version) == ("completed", 2)
    assert _comments(engine, org, title) == ["Försenat – väntar på underlag.",
                                             "Klart, redovisat i september."]
    with session(engine, org.id) as s:
        view = get_assignment(s, org.id, a.number)
        assert view is not None and view.latest_comment is not None
        assert view.latest_comment.text == "Klart, redovisat i september."
        assert view.latest_comment.day == date(2025, 9, 15)
        assert view.status.value == "completed"

    before = counts(engine, org.id)
    again = import_file(engine, org.id, path)
    assert (again.created, again.updated, again.comments_added) == (0, 0, 0)
    assert counts(engine, org.id) == before
    assert _assignment(engine, org, title).version == 2
    assert _comments(engine, org, title) == ["Försenat – väntar på underlag.",
                                             "Klart, redovisat i september."]
    # The other two never changed.
    assert _assignment(engine, org, "Införa e-arkiv").version == 1


def test_a_new_comment_alone_is_an_update(engine: Engine, org: OrganisationView,
                                          tmp_path: Path) -> None:
    import_file(engine, org.id, write_csv(tmp_path / "v1.csv", ASSIGNMENTS, ";"))
    changed = [list(row) for row in ASSIGNMENTS]
    changed[2][7] = "Upphandlingen har startat."
    result = import_file(engine, org.id, write_csv(tmp_path / "v2.csv", changed, ";"))
    assert (result.updated, result.comments_added) == (1, 1)
    assert _assignment(engine, org, "Införa e-arkiv").version == 2
    assert _comments(engine, org, "Införa e-arkiv") == ["Upphandlingen har startat."]
    again = import_file(engine, org.id, tmp_path / "v2.csv")
    assert (again.updated, again.comments_added) == (0, 0)
    assert _assignment(engine, org, "Införa e-arkiv").version == 2


def test_changed_due_date_and_forecast_update(engine: Engine, org: OrganisationView,
                                              tmp_path: Path) -> None:
    import_file(engine, org.id, write_csv(tmp_path / "v1.csv", ASSIGNMENTS, ";"))
    number = _assignment(engine, org, "Införa e-arkiv").number
    changed = [list(row) for row in ASSIGNMENTS]
    changed[2][4], changed[2][6] = "Q2 2026", "Avvikelse"
    # Identity is kind + title, case- and space-insensitively.
    changed[2][2] = "  INFÖRA   e-arkiv "
    result = import_file(engine, org.id, write_csv(tmp_path / "v2.csv", changed, ";"))
    assert (result.created, result.updated) == (0, 1)
    a = _assignment(engine, org, "INFÖRA e-arkiv")
    assert (a.due_date, a.forecast, a.version, a.number) == (date(2026, 6, 30), "deviation", 2,
                                                             number)
    assert counts(engine, org.id)["assignment"] == 3


@pytest.mark.parametrize("demo_org", DEMO_ORGANISATIONS, ids=lambda d: d.folder)
def test_every_demo_file_imports_and_reimports_idempotently(engine: Engine, demo_org) -> None:
    org = new_org(engine, demo_org.name)
    assert demo_org.files
    for path in demo_org.files:
        first = import_file(engine, org.id, path)
        assert first.rows > 0 and first.created + first.updated == first.rows, (path, first)
    before = counts(engine, org.id)
    for path in demo_org.files:
        again = import_file(engine, org.id, path)
        assert (again.created, again.updated, again.comments_added, again.units_created) == (
            0, 0, 0, []), (path, again)
        assert again.unchanged == again.rows
    assert counts(engine, org.id) == before


# --- Kolada's JSON ---------------------------------------------------------------------------

KOLADA = {"values": [{"kpi": "N00712", "municipality": "0480", "period": 2021, "values": [
    {"gender": "T", "value": 66.5}, {"gender": "K", "value": 48.1},
    {"gender": "M", "value": 63.0}]}]}


def test_kolada_json_lands_on_the_indicator_with_that_id(demo: Engine, nykoping:
                                                         OrganisationView, tmp_path: Path) -> None:
    name = ("Förvärvsarbetande eller studerande skyddsbehövande eller studerande och anhöriga "
            "(flyktingar) 20–64 år, andel (%)")
    path = tmp_path / "kolada.json"
    path.write_text(json.dumps(KOLADA))
    same = import_file(demo, nykoping.id, path)
    assert (same.kind, same.rows, same.created, same.updated, same.unchanged) == (
        "indicators", 1, 0, 0, 1)  # exactly the printed figures
    newer = {"values": [
        {"kpi": "N00712", "municipality": "0480", "period": 2021, "values": [
            {"gender": "T", "value": 66.7}, {"gender": "K", "value": 48.1},
            {"gender": "M", "value": 63.0}]},
        {"kpi": "N00712", "municipality": "0480", "period": 2023, "values": [
            {"gender": "T", "value": 70.0}, {"gender": "K", "value": None},
            {"gender": "M", "value": 71}]},
        {"kpi": "N99999", "municipality": "0480", "period": 2023, "values": [
            {"gender": "T", "value": 12.25}]}]}
    path.write_text(json.dumps(newer))
    result = import_file(demo, nykoping.id, path)
    assert (result.rows, result.created, result.updated, result.unchanged) == (3, 2, 1, 0)
    with session(demo, nykoping.id) as s:
        views = {v.source_id: v for v in indicators(s, nykoping.id) if v.source_id}
    view = views["N00712"]
    assert view.name == name and view.polarity == "higher_better"
    old, new = view.years
    assert (old.year, old.total, old.women, old.men, old.comparison, old.trend) == (
        2021, Decimal("66.7"), Decimal("48.1"), Decimal("63"), Decimal("71.4"), "positive")
    assert (new.year, new.total, new.women, new.men, new.comparison, new.trend) == (
        2023, Decimal("70"), None, Decimal("71"), None, "")
    created = views["N99999"]
    assert (created.name, created.years[0].total) == ("Kolada N99999", Decimal("12.25"))
    again = import_file(demo, nykoping.id, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


@pytest.mark.parametrize("document", [
    [], {"values": "x"}, {"count": 1}, {"values": [1]}, {"values": [{"kpi": "N1"}]},
    {"values": [{"kpi": "N1", "period": 2021, "values": [{"gender": "T", "value": "66,5"}]}]},
    {"values": [{"kpi": "N1", "period": 2021, "values": [{"gender": "T", "value": True}]}]},
])
def test_a_bad_kolada_document_is_refused(document: Any) -> None:
    with pytest.raises(ImportRejected) as err:
        kolada_table(document)
    assert err.value.errors == [RowError(0, "not_kolada")]


def test_a_bad_kolada_file_writes_nothing(engine: Engine, org: OrganisationView,
                                          tmp_path: Path) -> None:
    path = tmp_path / "kolada.json"
    path.write_text('{"values": [')
    assert _codes(_rejected(engine, org, path)) == [(0, "bad_json")]
    path.write_text(json.dumps({"values": [{"kpi": "N1", "period": "tjugo", "values": []}]}))
    assert _codes(_rejected(engine, org, path)) == [(2, "bad_year")]
    path.write_text(json.dumps({"values": [{"kpi": "", "period": 2021, "values": []}]}))
    assert _codes(_rejected(engine, org, path)) == [(2, "indicator_name_missing")]
    assert counts(engine, org.id) == dict.fromkeys(counts(engine, org.id), 0)


# --- files that cannot be read -------------------------------------------------------------


def test_unknown_header(engine: Engine, org: OrganisationView, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", [["Namn", "Telefon"], ["Anna", "123"]])
    assert _codes(_rejected(engine, org, path)) == [(1, "unknown_header")]


def test_empty_file(engine: Engine, org: OrganisationView, tmp_path: Path) -> None:
    path = tmp_path / "tom.csv"
    path.write_bytes(b"")
    assert _codes(_rejected(engine, org, path)) == [(1, "empty_file")]


@pytest.mark.parametrize("maker", [write_csv, write_xlsx])
def test_header_only(engine: Engine, org: OrganisationView, tmp_path: Path, maker: Any) -> None:
    suffix = ".csv" if maker is write_csv else ".xlsx"
    path = maker(tmp_path / f"u{suffix}", [SV_ASSIGNMENT_HEADER])
    assert _codes(_rejected(engine, org, path)) == [(2, "no_rows")]
    assert counts(engine, org.id)["assignment"] == 0


def test_missing_required_columns(engine: Engine, org: OrganisationView, tmp_path: Path) -> None:
    header = [h for h in SV_ASSIGNMENT_HEADER if h not in {"Status", "Slutdatum"}]
    path = write_csv(tmp_path / "u.csv", [header, ["Uppdrag"] * len(header)])
    errors = _rejected(engine, org, path)
    assert _codes(errors) == [(1, "missing_column"), (1, "missing_column")]
    assert [e.params for e in errors] == [
        {"column": "due_date", "alternative": "slutdatum"},
        {"column": "status", "alternative": "status"}]
    finance = write_csv(tmp_path / "f.csv", [SV_FINANCE_HEADER[:5], ["IT"] * 5])
    [error] = _rejected(engine, org, finance)
    assert (error.code, error.params["column"]) == ("missing_column", "forecast_year")
    assert counts(engine, org.id) == dict.fromkeys(counts(engine, org.id), 0)


def test_non_existent_path(engine: Engine, org: OrganisationView, tmp_path: Path) -> None:
    assert _codes(_rejected(engine, org, tmp_path / "finns-inte.csv")) == [(0, "file_missing")]
    assert _codes(_rejected(engine, org, tmp_path)) == [(0, "file_missing")]  # a directory


def test_wrong_extension(engine: Engine, org: OrganisationView, tmp_path: Path) -> None:
    path = tmp_path / "rapport.pdf"
    path.write_bytes(b"%PDF-1.7\n")
    [error] = _rejected(engine, org, path)
    assert (error.code, error.params) == ("unknown_format", {"suffix": ".pdf"})


def test_damaged_xlsx(engine: Engine, org: OrganisationView, tmp_path: Path) -> None:
    path = tmp_path / "trasig.xlsx"
    path.write_bytes(os.urandom(2048))
    assert _codes(_rejected(engine, org, path)) == [(0, "unreadable_xlsx")]


def test_xlsx_with_a_damaged_sheet(engine: Engine, org: OrganisationView, tmp_path: Path) -> None:
    good = write_xlsx(tmp_path / "bra.xlsx", ASSIGNMENTS)
    bad = tmp_path / "trasig.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                data = data[: len(data) // 2]
            dst.writestr(item, data)
    assert _codes(_rejected(engine, org, bad)) == [(0, "unreadable_xlsx")]
    assert counts(engine, org.id)["assignment"] == 0


def test_undecodable_csv(engine: Engine, org: OrganisationView, tmp_path: Path) -> None:
    path = tmp_path / "binär.csv"
    path.write_bytes(b"unit;alias\nIT;\x81\x8d\n")  # neither UTF-8 nor Windows-1252
    assert _codes(_rejected(engine, org, path)) == [(0, "unknown_encoding")]


def test_utf16_csv_is_rejected_not_misread(engine: Engine, org: OrganisationView,
                                           tmp_path: Path) -> None:
    path = tmp_path / "unicode.csv"
    path.write_bytes("unit;alias\nIT;IT-kontoret\n".encode("utf-16"))
    # Refused as UTF-16 while reading (storage.import_files), before any header is read.
    assert _codes(_rejected(engine, org, path)) == [(1, "utf16")]
    assert counts(engine, org.id)["unit_alias"] == 0


# --- imports at once -----------------------------------------------------------------------

N_BIG = 5000


def _big_table(comment: str) -> list[list[Any]]:
    return [["kind", "title", "unit", "due_date", "status", "forecast", "comment"],
            *[["Uppdrag", f"Uppdrag nummer {i}", f"Enhet {i % 7}", "2025-12-31", "started",
               "on plan", comment] for i in range(N_BIG)]]


def test_three_imports_at_once_each_add_one_comment_to_every_assignment(
        engine: Engine, org: OrganisationView) -> None:
    import_table(engine, org.id, _big_table("Första"))
    barrier = threading.Barrier(3)

    def one(i: int) -> Any:
        table = _big_table(f"Kommentar {i}")
        barrier.wait()
        return import_table(engine, org.id, table)

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(one, range(3)))
    assert [(r.created, r.updated, r.comments_added) for r in results] == [(0, N_BIG, N_BIG)] * 3
    with session(engine, org.id) as s:
        comments = s.execute(select(func.count()).select_from(StatusComment)
                             .where(StatusComment.organisation_id == org.id)).scalar_one()
        versions = s.execute(select(Assignment.version, func.count())
                             .where(Assignment.organisation_id == org.id)
                             .group_by(Assignment.version)).all()
    assert comments == 4 * N_BIG
    assert versions == [(4, N_BIG)]  # bumped exactly once per import


def test_two_imports_of_the_same_new_file_at_once(engine: Engine, org: OrganisationView,
                                                  tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ny.csv", [*ASSIGNMENTS, *[
        ["Uppdrag", "", f"Nytt {i}", f"Enhet {i}", "2026", "Påbörjad", "Enligt plan", "", "",
         ""] for i in range(200)]], ";")
    barrier = threading.Barrier(2)

    def one(_: int) -> Any:
        barrier.wait()
        return import_file(engine, org.id, path)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(one, range(2)))  # no exception
    assert sorted(r.created for r in results) == [0, 203]
    assert sorted(r.unchanged for r in results) == [0, 203]
    got = counts(engine, org.id)
    assert (got["assignment"], got["status_comment"], got["unit"]) == (203, 2, 204)
    with session(engine, org.id) as s:
        numbers = sorted(s.execute(select(Assignment.number)
                                   .where(Assignment.organisation_id == org.id)).scalars())
    assert numbers == list(range(1, 204))


def test_indicator_values_are_text_of_the_printed_precision(engine: Engine, org:
                                                            OrganisationView) -> None:
    import_table(engine, org.id, [["indicator", "year", "value", "women"],
                                  ["A", "2024", "9,0", "10,50"], ["B", 2024, 7.25, 3]])
    with session(engine, org.id) as s:
        stored = dict(s.execute(select(Indicator.name, IndicatorValue.total)
                                .join(IndicatorValue, IndicatorValue.indicator_id == Indicator.id)
                                .where(Indicator.organisation_id == org.id)).all())
    assert stored == {"A": "9.0", "B": "7.25"}


def test_xlsx_number_cells_keep_the_decimals_their_format_prints(
        engine: Engine, org: OrganisationView, tmp_path: Path) -> None:
    """A number cell formatted 0,0 prints 9,0 in Excel though the file holds <v>9</v>: the
    value keeps the precision shown (as a text cell "9,0" does); a percent format, or a
    cell without decimals in its format, is the number as stored."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Nyckeltal", "År", "Värde", "Kvinnor", "Män", "Målvärde"])
    sheet.append(["Sjukfrånvaro", 2023, 9.0, 10.5, 7, 0.25])
    sheet.append(["Sjukfrånvaro", 2024, 9.25, 10.0, 8.0, 8])
    for cell, number_format in (("C2", "0.0"), ("D2", "#,##0.00"), ("E2", "0"),
                                ("F2", "0.0%"), ("D3", "0.0"), ("E3", "General"),
                                ("C3", "0.0"), ("B3", "0.0")):  # a year shown as 2024,0
        sheet[cell].number_format = number_format
    path = tmp_path / "nyckeltal.xlsx"
    workbook.save(path)
    import_file(engine, org.id, path)
    with session(engine, org.id) as s:
        stored = {v.year: (v.total, v.women, v.men, v.target) for v in s.execute(
            select(IndicatorValue).where(IndicatorValue.organisation_id == org.id)).scalars()}
    assert stored == {2023: ("9.0", "10.50", "7", "0.25"), 2024: ("9.25", "10.0", "8", "8")}
    assert import_file(engine, org.id, path).unchanged == 2  # idempotent
