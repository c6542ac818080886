"""storage/importer.py: real CSV and XLSX files in, on SQLite and PostgreSQL; the import CLI."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, func, select
from sqlmodel import SQLModel

from storage.db import make_engine, migrate
from storage.db import session as open_session
from storage.demo import DEMO_DIR, load_demo
from storage.importer import (
    ImportRejected,
    ImportResult,
    RowError,
    detect_kind,
    import_file,
    read_table,
)
from storage.models import (
    Assignment,
    AssignmentParticipant,
    FinanceFollowUp,
    StatusComment,
    Unit,
    UnitAlias,
)
from storage.queries import get_assignment, latest_finance
from storage.units import resolve_unit

ROOT = Path(__file__).resolve().parent.parent

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


def _write_csv(path: Path, rows: list[list[Any]], delimiter: str = ";",
               encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    return path


def _write_xlsx(path: Path, rows: list[list[Any]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in SQLModel.metadata.sorted_tables
        }


def _versions(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: v for t, v in conn.execute(select(Assignment.title, Assignment.version))}


def _assignment(engine: Engine, title: str) -> Assignment:
    with open_session(engine) as s:
        return s.exec(select(Assignment).where(Assignment.title == title)).scalar_one()


def _comments(engine: Engine, title: str) -> list[str]:
    with open_session(engine) as s:
        aid = s.exec(select(Assignment.id).where(Assignment.title == title)).scalar_one()
        return list(
            s.exec(
                select(StatusComment.text)
                .where(StatusComment.assignment_id == aid)
                .order_by(StatusComment.created_at, StatusComment.id)
            ).scalars()
        )


def _unit_names(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(Unit.name)).scalars())


def _finance(engine: Engine, unit: str) -> FinanceFollowUp:
    with open_session(engine) as s:
        return s.exec(
            select(FinanceFollowUp).join(Unit).where(Unit.name == unit)
        ).scalar_one()


def _rejected(engine: Engine, path: Path) -> list[RowError]:
    with pytest.raises(ImportRejected) as err:
        import_file(engine, path)
    return err.value.errors


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
    ],
)
def test_detect_kind(header: list[Any], kind: str) -> None:
    assert detect_kind(header) == kind


@pytest.mark.parametrize("header", [["Namn", "Telefon"], [], [None, None], ["12", "2025"]])
def test_detect_kind_unknown_header(header: list[Any]) -> None:
    with pytest.raises(ImportRejected) as err:
        detect_kind(header)
    [error] = err.value.errors
    assert error.row == 1
    assert "rubrikraden" in error.reason


# --- assignments -------------------------------------------------------------------------


def test_import_assignments_csv(engine: Engine, tmp_path: Path) -> None:
    result = import_file(engine, _write_csv(tmp_path / "uppdrag.csv", ASSIGNMENTS))
    assert (result.kind, result.rows, result.created, result.updated, result.unchanged) == (
        "uppdrag", 3, 3, 0, 0
    )
    assert result.comments_added == 2
    assert sorted(result.units_created) == sorted(
        ["Ekonomiavdelningen", "IT", "Stab", "HR-avdelningen"]
    )
    assert "3 rader — 3 nya" in str(result)

    a = _assignment(engine, "Översyn av lokalförsörjningen")
    assert (a.kind, a.goal_area, a.due_date, a.status, a.forecast, a.version) == (
        "Uppdrag", "1. Ekonomi", date(2024, 3, 31), "started", "deviation", 1
    )
    assert (a.kind_key, a.title_key) == ("uppdrag", "översyn av lokalförsörjningen")
    b = _assignment(engine, "Införa e-arkiv")
    assert (b.kind, b.goal_area, b.due_date, b.status, b.forecast) == (
        "Nämndinitiativ", "", date(2025, 12, 1), "not_started", "on_plan"
    )
    c = _assignment(engine, "Trygghetsvandringar i Rimbo")
    assert (c.due_date, c.status, c.forecast) == (None, "completed", "on_plan")

    assert _comments(engine, "Översyn av lokalförsörjningen") == ["Försenat – väntar på underlag."]
    assert _comments(engine, "Införa e-arkiv") == []
    with open_session(engine) as s:
        view = get_assignment(s, a.id)  # type: ignore[arg-type]
        assert view is not None and view.latest_comment is not None
        assert view.latest_comment.author == "import"
        assert view.latest_comment.created_at.replace(tzinfo=None) == datetime(2025, 7, 31)
        participants = s.exec(
            select(Unit.name)
            .join(AssignmentParticipant, AssignmentParticipant.unit_id == Unit.id)
            .where(AssignmentParticipant.assignment_id == a.id)
        ).scalars()
        assert sorted(participants) == ["HR-avdelningen", "IT"]


def test_import_assignments_uses_known_units_and_aliases(demo: Engine, tmp_path: Path) -> None:
    units_before = _unit_names(demo)
    result = import_file(demo, _write_csv(tmp_path / "uppdrag.csv", ASSIGNMENTS))
    # Ekonomiavdelningen, IT, HR-avdelningen and Stab are all names or aliases already.
    assert result.units_created == []
    assert _unit_names(demo) == units_before
    with open_session(demo) as s:
        a = s.exec(select(Assignment).where(Assignment.title == "Trygghetsvandringar i Rimbo"))
        unit = s.get(Unit, a.scalar_one().unit_id)
        assert unit is not None and unit.name == "Stab och planering"


def test_import_assignments_windows_1252_csv(engine: Engine, tmp_path: Path) -> None:
    rows = [row[:7] for row in ASSIGNMENTS]
    rows[1][6] = "Avvikelse från plan"
    path = _write_csv(tmp_path / "uppdrag.csv", rows, encoding="cp1252")
    assert "Översyn".encode("cp1252") in path.read_bytes()
    result = import_file(engine, path)
    assert result.created == 3
    a = _assignment(engine, "Översyn av lokalförsörjningen")
    assert (a.kind, a.forecast) == ("Uppdrag", "deviation")
    assert "Ekonomiavdelningen" in _unit_names(engine)


def test_import_assignments_utf8_bom_csv(engine: Engine, tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "uppdrag.csv", ASSIGNMENTS, encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert read_table(path)[0][0] == "Uppdrag/Nämndinitiativ"  # no BOM in the first header
    assert import_file(engine, path).created == 3
    assert _assignment(engine, "Införa e-arkiv").kind == "Nämndinitiativ"


@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_import_assignments_other_delimiters(engine: Engine, tmp_path: Path,
                                             delimiter: str) -> None:
    suffix = ".tsv" if delimiter == "\t" else ".csv"
    path = _write_csv(tmp_path / f"uppdrag{suffix}", ASSIGNMENTS, delimiter=delimiter)
    assert import_file(engine, path).created == 3
    assert _assignment(engine, "Översyn av lokalförsörjningen").due_date == date(2024, 3, 31)


def test_import_assignments_english_headers_any_order(engine: Engine, tmp_path: Path) -> None:
    header = ["STATUS", "Title", "Unit", "Kind", "Forecast", "Due_Date", "Comment"]
    rows = [
        header,
        ["In progress", "Digital signering", "IT", "Assignment", "Deviation", "Q4 2025",
         "Waiting for the supplier."],
        ["Completed", "Ny webbplats", "IT", "Assignment", "On plan", "2025-06", ""],
        ["not started", "Ny e-tjänst", "HR", "Assignment", "ON PLAN", "2026", ""],
    ]
    result = import_file(engine, _write_csv(tmp_path / "en.csv", rows, delimiter=","))
    assert result.created == 3 and result.comments_added == 1
    a = _assignment(engine, "Digital signering")
    assert (a.kind, a.status, a.forecast, a.due_date) == (
        "Assignment", "started", "deviation", date(2025, 12, 31)
    )
    assert _assignment(engine, "Ny webbplats").due_date == date(2025, 6, 30)
    assert _assignment(engine, "Ny e-tjänst").due_date == date(2026, 12, 31)
    assert _comments(engine, "Digital signering") == ["Waiting for the supplier."]


def test_import_assignments_xlsx(engine: Engine, tmp_path: Path) -> None:
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
    result = import_file(engine, _write_xlsx(tmp_path / "uppdrag.xlsx", rows))
    assert (result.rows, result.created, result.comments_added) == (3, 3, 1)
    a = _assignment(engine, "Ny budgetmodell")
    assert (a.due_date, a.status, a.forecast) == (date(2025, 12, 1), "started", "on_plan")
    b = _assignment(engine, "Ny internkontrollplan")
    assert (b.due_date, b.status, b.forecast) == (date(2024, 3, 31), "completed", "deviation")
    c = _assignment(engine, "Lokal utvecklingspeng")
    assert (c.kind, c.goal_area, c.due_date) == ("Nämndinitiativ", "", date(2026, 12, 31))
    with open_session(engine) as s:
        view = get_assignment(s, a.id)  # type: ignore[arg-type]
        assert view is not None and view.latest_comment is not None
        assert view.latest_comment.text == "Modellen remitteras i oktober."
        assert view.latest_comment.day == date(2025, 7, 31)
    assert _comments(engine, "Lokal utvecklingspeng") == []  # a blank comment is no comment


def test_multiline_comment_is_kept(engine: Engine, tmp_path: Path) -> None:
    rows = [SV_ASSIGNMENT_HEADER[:8],
            ["Uppdrag", "", "Ny policy", "IT", "2025", "Påbörjad", "Enligt plan",
             "Rad ett.\nRad två.\n"]]
    import_file(engine, _write_csv(tmp_path / "u.csv", rows))
    assert _comments(engine, "Ny policy") == ["Rad ett.\nRad två."]
    # Re-import: same text, nothing new.
    result = import_file(engine, _write_csv(tmp_path / "u.csv", rows))
    assert (result.updated, result.comments_added) == (0, 0)


# --- finance -----------------------------------------------------------------------------


def test_import_finance_csv(engine: Engine, tmp_path: Path) -> None:
    rows = [
        SV_FINANCE_HEADER,
        ["IT", "2025-07-31", "-23 978", "\u221220\u00a0813", "-41\u202f225", "-39 853",
         "Överskott på personalsidan."],
        ["Kultur", "2025-07", "27,5", "+1 372", "0", "-0,25", ""],
    ]
    result = import_file(engine, _write_csv(tmp_path / "ekonomi.csv", rows))
    assert (result.kind, result.rows, result.created, result.updated) == ("ekonomi", 2, 2, 0)
    assert sorted(result.units_created) == ["IT", "Kultur"]
    it = _finance(engine, "IT")
    assert it.period_end == date(2025, 7, 31)
    assert Decimal(it.budget_period) == Decimal("-23978")
    assert Decimal(it.actual_period) == Decimal("-20813")
    assert Decimal(it.budget_year) == Decimal("-41225")
    assert Decimal(it.forecast_year) == Decimal("-39853")
    assert it.comment == "Överskott på personalsidan."
    kultur = _finance(engine, "Kultur")
    assert kultur.period_end == date(2025, 7, 31)  # a month means its last day
    assert Decimal(kultur.budget_period) == Decimal("27.5")
    assert Decimal(kultur.actual_period) == Decimal("1372")
    assert Decimal(kultur.forecast_year) == Decimal("-0.25")
    with open_session(engine) as s:
        view = latest_finance(s, it.unit_id)
        assert view is not None and view.deviation == Decimal("1372")


def test_import_finance_xlsx_text_and_numeric_cells(engine: Engine, tmp_path: Path) -> None:
    rows = [
        SV_FINANCE_HEADER,
        ["IT", datetime(2025, 7, 31), "-23 978", -20813, "-41 225", -39853.0, "Text och tal."],
        ["HR-avdelning", "2025-07-31", -19184.5, "-16 950,25", 0.1 + 0.2, "-32 956", None],
    ]
    result = import_file(engine, _write_xlsx(tmp_path / "ekonomi.xlsx", rows))
    assert result.created == 2
    it = _finance(engine, "IT")
    assert it.period_end == date(2025, 7, 31)
    assert [Decimal(getattr(it, k)) for k in
            ("budget_period", "actual_period", "budget_year", "forecast_year")] == [
        Decimal("-23978"), Decimal("-20813"), Decimal("-41225"), Decimal("-39853")
    ]
    hr = _finance(engine, "HR-avdelning")
    assert Decimal(hr.budget_period) == Decimal("-19184.5")
    assert Decimal(hr.actual_period) == Decimal("-16950.25")
    assert Decimal(hr.budget_year) == Decimal("0.3")
    assert hr.comment == ""
    again = import_file(engine, tmp_path / "ekonomi.xlsx")  # float cells too are idempotent
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_import_finance_english_headers(engine: Engine, tmp_path: Path) -> None:
    rows = [EN_FINANCE_HEADER,
            ["IT", "2025-07-31", "-23 978", "-20 813", "-41 225", "-39 853", "ok"]]
    result = import_file(engine, _write_csv(tmp_path / "fin.csv", rows, delimiter=","))
    assert result.kind == "ekonomi" and result.created == 1
    assert Decimal(_finance(engine, "IT").forecast_year) == Decimal("-39853")


def test_import_finance_update_and_more_than_two_decimals(engine: Engine, tmp_path: Path) -> None:
    rows = [SV_FINANCE_HEADER, ["IT", "2025-07-31", "1", "2", "-41 225,555", "-39 853", "v1"]]
    import_file(engine, _write_csv(tmp_path / "f.csv", rows))
    assert Decimal(_finance(engine, "IT").budget_year) == Decimal("-41225.56")  # as stored
    again = import_file(engine, tmp_path / "f.csv")
    assert (again.updated, again.unchanged) == (0, 1)
    rows[1][5], rows[1][6] = "-40 000", "v2"
    changed = import_file(engine, _write_csv(tmp_path / "f.csv", rows))
    assert (changed.created, changed.updated) == (0, 1)
    it = _finance(engine, "IT")
    assert (Decimal(it.forecast_year), it.comment) == (Decimal("-40000"), "v2")
    assert _counts(engine)["finance_follow_up"] == 1


# --- aliases -----------------------------------------------------------------------------


def test_import_alias_file(demo: Engine, tmp_path: Path) -> None:
    rows = [["unit", "alias"], ["IT", "IT-kontoret"], ["Kultur", "Kulturförvaltningen"],
            ["IT", "ICT"], ["", ""]]
    result = import_file(demo, _write_csv(tmp_path / "alias.csv", rows, delimiter=","))
    assert (result.kind, result.rows, result.created, result.unchanged) == ("alias", 3, 2, 1)
    with open_session(demo) as s:
        it = resolve_unit(s, "it-kontoret").unit
        assert it is not None and it.name == "IT"
        kultur = resolve_unit(s, "Kulturförvaltningen").unit
        assert kultur is not None and kultur.name == "Kultur"  # an unknown unit is created


def test_alias_conflict_rejects_the_whole_file(demo: Engine, tmp_path: Path) -> None:
    before = _counts(demo)
    rows = [["Enhet", "Alias"], ["IT", "IT-kontoret"], ["IT", "HR"], ["Kultur", "KF"],
            ["IT", ""]]
    errors = _rejected(demo, _write_xlsx(tmp_path / "alias.xlsx", rows))
    assert [e.row for e in errors] == [3, 5]
    assert "HR-avdelning" in errors[0].reason
    assert "alias" in errors[1].reason
    assert _counts(demo) == before  # not even IT-kontoret or the unit Kultur
    with open_session(demo) as s:
        assert resolve_unit(s, "IT-kontoret").unit is None


def test_alias_used_twice_in_one_file(engine: Engine, tmp_path: Path) -> None:
    rows = [["unit", "alias"], ["IT", "X"], ["HR", "X"]]
    errors = _rejected(engine, _write_csv(tmp_path / "alias.csv", rows))
    assert [e.row for e in errors] == [3]
    assert _counts(engine)["unit_alias"] == 0 and _counts(engine)["unit"] == 0


# --- all or nothing ------------------------------------------------------------------------


def test_bad_assignment_rows_are_all_listed_and_nothing_is_written(
    demo: Engine, tmp_path: Path
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
    before, versions = _counts(demo), _versions(demo)
    errors = _rejected(demo, _write_csv(tmp_path / "uppdrag.csv", rows))
    assert [e.row for e in errors] == [3, 4, 5, 6, 8, 9]
    reasons = {e.row: e.reason for e in errors}
    assert "okänd status 'Halvklar'" in reasons[3]
    assert "ogiltigt datum '2025-13-01'" in reasons[4]
    assert "titel saknas" in reasons[5]
    assert "okänd prognos 'kanske'" in reasons[6]
    assert "samma uppdrag som rad 2" in reasons[8]
    assert "ansvarig avdelning saknas" in reasons[9]
    assert "ogiltigt datum 'snart'" in reasons[9]
    assert "kommentarsdatum" in reasons[9]
    assert "rad 3: okänd status" in str(ImportRejected(errors))
    assert _counts(demo) == before
    assert _versions(demo) == versions
    assert "Ny enhet" not in _unit_names(demo)


def test_bad_finance_rows_are_all_listed_and_nothing_is_written(
    demo: Engine, tmp_path: Path
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
    before = _counts(demo)
    with open_session(demo) as s:
        it_before = latest_finance(s, resolve_unit(s, "IT").unit.id)  # type: ignore[union-attr]
    errors = _rejected(demo, _write_xlsx(tmp_path / "ekonomi.xlsx", rows))
    assert [e.row for e in errors] == [3, 4, 5, 6]
    reasons = {e.row: e.reason for e in errors}
    assert "utfall period" in reasons[3] and "'12 34'" in reasons[3]
    assert "verksamhet saknas" in reasons[4]
    assert "ogiltigt datum 'sept'" in reasons[5]
    assert "'1,2,3'" in reasons[5] and "prognos saknas" in reasons[5]
    assert "samma enhet och period som rad 2" in reasons[6]
    assert _counts(demo) == before
    with open_session(demo) as s:
        assert latest_finance(s, resolve_unit(s, "IT").unit.id) == it_before  # type: ignore[union-attr]


def test_too_long_texts_are_row_errors_on_both_databases(engine: Engine, tmp_path: Path) -> None:
    # PostgreSQL refuses them mid-import and SQLite would store them: both must reject the row.
    rows = [
        SV_ASSIGNMENT_HEADER,
        ["U" * 101, "M" * 301, "T" * 1001, "A" * 201, "2025", "Påbörjad", "Enligt plan", "", "",
         "IT; " + "D" * 201],
        ["Uppdrag", "M" * 300, "T" * 1000, "A" * 200, "2025", "Påbörjad", "Enligt plan", "", "",
         ""],
    ]
    errors = _rejected(engine, _write_csv(tmp_path / "lång.csv", rows))
    assert [e.row for e in errors] == [2]
    for label, limit in (("typ", 100), ("målområde", 300), ("titel", 1000),
                         ("ansvarig avdelning", 200), ("deltagande avdelning", 200)):
        assert f"{label} är längre än {limit} tecken" in errors[0].reason
    assert _counts(engine) == {k: 0 for k in _counts(engine)}
    del rows[1]  # the longest allowed fit
    assert import_file(engine, _write_csv(tmp_path / "lång.csv", rows)).created == 1

    finance = [SV_FINANCE_HEADER, ["V" * 201, "2025-07-31", "1", "1", "1", "1", ""]]
    [error] = _rejected(engine, _write_csv(tmp_path / "f.csv", finance))
    assert "verksamhet är längre än 200 tecken" in error.reason
    aliases = [["unit", "alias"], ["IT", "X" * 201]]
    [error] = _rejected(engine, _write_csv(tmp_path / "a.csv", aliases))
    assert "aliaset är längre än 200 tecken" in error.reason
    assert _counts(engine)["finance_follow_up"] == _counts(engine)["unit_alias"] == 0


def test_a_date_cell_in_a_number_column_is_a_row_error(engine: Engine, tmp_path: Path) -> None:
    rows = [SV_FINANCE_HEADER, ["IT", "2025-07-31", datetime(2025, 1, 1), "-1", "-1", "-1", ""]]
    errors = _rejected(engine, _write_xlsx(tmp_path / "ekonomi.xlsx", rows))
    assert [e.row for e in errors] == [2]
    assert "budget period" in errors[0].reason
    assert _counts(engine)["finance_follow_up"] == 0


# --- idempotency and updates ---------------------------------------------------------------


def test_importing_the_same_file_twice_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "uppdrag.csv", ASSIGNMENTS)
    first = import_file(engine, path)
    counts, versions = _counts(engine), _versions(engine)
    second = import_file(engine, path)
    assert (second.created, second.updated, second.comments_added) == (0, 0, 0)
    assert second.unchanged == first.rows == 3
    assert second.units_created == []
    assert _counts(engine) == counts
    assert _versions(engine) == versions == {
        "Översyn av lokalförsörjningen": 1, "Införa e-arkiv": 1, "Trygghetsvandringar i Rimbo": 1
    }


def test_a_changed_status_and_comment_update_once(engine: Engine, tmp_path: Path) -> None:
    import_file(engine, _write_csv(tmp_path / "v1.csv", ASSIGNMENTS))
    title = "Översyn av lokalförsörjningen"
    changed = [list(row) for row in ASSIGNMENTS]
    changed[1][5] = "Slutförd"
    changed[1][7] = "Klart, redovisat i september."
    changed[1][8] = "2025-09-15"
    path = _write_csv(tmp_path / "v2.csv", changed)

    result = import_file(engine, path)
    assert (result.created, result.updated, result.unchanged, result.comments_added) == (
        0, 1, 2, 1
    )
    a = _assignment(engine, title)
    assert (a.status, a.version) == ("completed", 2)
    assert _comments(engine, title) == ["Försenat – väntar på underlag.",
                                        "Klart, redovisat i september."]
    with open_session(engine) as s:
        view = get_assignment(s, a.id)  # type: ignore[arg-type]
        assert view is not None and view.latest_comment is not None
        assert view.latest_comment.text == "Klart, redovisat i september."
        assert view.latest_comment.day == date(2025, 9, 15)
        assert view.status.value == "completed"

    counts = _counts(engine)
    again = import_file(engine, path)
    assert (again.created, again.updated, again.comments_added) == (0, 0, 0)
    assert _counts(engine) == counts
    assert _assignment(engine, title).version == 2
    assert _comments(engine, title) == ["Försenat – väntar på underlag.",
                                        "Klart, redovisat i september."]
    # The other two never changed.
    assert _assignment(engine, "Införa e-arkiv").version == 1


def test_a_new_comment_alone_is_an_update(engine: Engine, tmp_path: Path) -> None:
    import_file(engine, _write_csv(tmp_path / "v1.csv", ASSIGNMENTS))
    changed = [list(row) for row in ASSIGNMENTS]
    changed[2][7] = "Upphandlingen har startat."
    result = import_file(engine, _write_csv(tmp_path / "v2.csv", changed))
    assert (result.updated, result.comments_added) == (1, 1)
    assert _assignment(engine, "Införa e-arkiv").version == 2
    assert _comments(engine, "Införa e-arkiv") == ["Upphandlingen har startat."]
    again = import_file(engine, tmp_path / "v2.csv")
    assert (again.updated, again.comments_added) == (0, 0)
    assert _assignment(engine, "Införa e-arkiv").version == 2


def test_changed_due_date_and_forecast_update(engine: Engine, tmp_path: Path) -> None:
    import_file(engine, _write_csv(tmp_path / "v1.csv", ASSIGNMENTS))
    changed = [list(row) for row in ASSIGNMENTS]
    changed[2][4], changed[2][6] = "Q2 2026", "Avvikelse"
    # Identity is kind + title, case- and space-insensitively.
    changed[2][2] = "  INFÖRA   e-arkiv "
    result = import_file(engine, _write_csv(tmp_path / "v2.csv", changed))
    assert (result.created, result.updated) == (0, 1)
    a = _assignment(engine, "INFÖRA e-arkiv")
    assert (a.due_date, a.forecast, a.version) == (date(2026, 6, 30), "deviation", 2)
    assert _counts(engine)["assignment"] == 3


def test_load_demo_twice_is_idempotent(engine: Engine) -> None:
    first = load_demo(engine)
    assert [(r.kind, r.rows, r.created) for r in first] == [
        ("ekonomi", 7, 7), ("alias", 20, 20), ("uppdrag", 36, 36)
    ]
    assert first[2].comments_added == 36
    counts, versions = _counts(engine), _versions(engine)
    assert counts["assignment"] == 36 and counts["status_comment"] == 36
    assert counts["unit"] == 7 and counts["unit_alias"] == 20
    second = load_demo(engine)
    assert all(
        (r.created, r.updated, r.comments_added, r.units_created) == (0, 0, 0, [])
        for r in second
    )
    assert [r.unchanged for r in second] == [7, 20, 36]
    assert _counts(engine) == counts
    assert _versions(engine) == versions


# --- files that cannot be read -------------------------------------------------------------


def test_unknown_header(engine: Engine, tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "x.csv", [["Namn", "Telefon"], ["Anna", "123"]])
    [error] = _rejected(engine, path)
    assert error.row == 1 and "känner inte igen rubrikraden" in error.reason


def test_empty_file(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "tom.csv"
    path.write_bytes(b"")
    [error] = _rejected(engine, path)
    assert "tom" in error.reason


@pytest.mark.parametrize("maker", [_write_csv, _write_xlsx])
def test_header_only(engine: Engine, tmp_path: Path, maker: Any) -> None:
    suffix = ".csv" if maker is _write_csv else ".xlsx"
    path = maker(tmp_path / f"u{suffix}", [SV_ASSIGNMENT_HEADER])
    [error] = _rejected(engine, path)
    assert "inga datarader" in error.reason
    assert _counts(engine)["assignment"] == 0


def test_missing_required_columns(engine: Engine, tmp_path: Path) -> None:
    header = [h for h in SV_ASSIGNMENT_HEADER if h not in {"Status", "Slutdatum"}]
    path = _write_csv(tmp_path / "u.csv", [header, ["Uppdrag"] * len(header)])
    errors = _rejected(engine, path)
    assert [e.row for e in errors] == [1, 1]
    assert any("'due_date'" in e.reason and "saknas" in e.reason for e in errors)
    assert any("'status'" in e.reason for e in errors)
    finance = _write_csv(tmp_path / "f.csv", [SV_FINANCE_HEADER[:5], ["IT"] * 5])
    [error] = _rejected(engine, finance)
    assert "'forecast_year'" in error.reason
    assert _counts(engine) == {k: 0 for k in _counts(engine)}


def test_non_existent_path(engine: Engine, tmp_path: Path) -> None:
    [error] = _rejected(engine, tmp_path / "finns-inte.csv")
    assert "finns inte" in error.reason
    [error] = _rejected(engine, tmp_path)  # a directory is not a file either
    assert "finns inte" in error.reason


def test_wrong_extension(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "rapport.pdf"
    path.write_bytes(b"%PDF-1.7\n")
    [error] = _rejected(engine, path)
    assert "'.pdf'" in error.reason


def test_damaged_xlsx(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "trasig.xlsx"
    path.write_bytes(os.urandom(2048))
    [error] = _rejected(engine, path)
    assert "Excel" in error.reason


def test_xlsx_with_a_damaged_sheet(engine: Engine, tmp_path: Path) -> None:
    good = _write_xlsx(tmp_path / "bra.xlsx", ASSIGNMENTS)
    bad = tmp_path / "trasig.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                data = data[: len(data) // 2]
            dst.writestr(item, data)
    [error] = _rejected(engine, bad)
    assert "Excel" in error.reason
    assert _counts(engine)["assignment"] == 0


def test_undecodable_csv(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "binär.csv"
    path.write_bytes(b"unit;alias\nIT;\x81\x8d\n")  # neither UTF-8 nor Windows-1252
    [error] = _rejected(engine, path)
    assert "teckenkodning" in error.reason


def test_utf16_csv_is_rejected_not_misread(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "unicode.csv"
    path.write_bytes("unit;alias\nIT;IT-kontoret\n".encode("utf-16"))
    [error] = _rejected(engine, path)
    assert error.row == 1 and "UTF-16" in error.reason
    assert _counts(engine)["unit_alias"] == 0


def test_import_result_text() -> None:
    result = ImportResult(kind="uppdrag", rows=3, created=1, updated=1, unchanged=1,
                          comments_added=2, units_created=["IT"])
    assert str(result) == (
        "uppdrag: 3 rader — 1 nya, 1 ändrade, 1 oförändrade, 2 nya kommentarer; nya enheter: IT"
    )


# --- the command line ----------------------------------------------------------------------


def _cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "LAGET_DEMO": "0"}
    return subprocess.run(
        [sys.executable, str(ROOT / "app.py"), *args],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
    )


def _file_counts(db: Path) -> dict[str, int]:
    engine = make_engine(f"sqlite:///{db}")
    try:
        return _counts(engine)
    finally:
        engine.dispose()


def test_cli_import(tmp_path: Path) -> None:
    db = tmp_path / "data" / "laget.db"
    good = _write_csv(tmp_path / "uppdrag.csv", ASSIGNMENTS)
    finance = DEMO_DIR / "finance.csv"
    done = _cli(db, "import", str(good), str(finance))
    assert done.returncode == 0, done.stderr
    assert f"{good}: uppdrag: 3 rader — 3 nya, 0 ändrade" in done.stdout
    assert f"{finance}: ekonomi: 7 rader — 7 nya" in done.stdout
    counts = _file_counts(db)
    assert (counts["assignment"], counts["finance_follow_up"]) == (3, 7)

    bad_rows = [list(row) for row in ASSIGNMENTS]
    bad_rows[1][5] = "Halvklar"
    bad_rows[3][4] = "snart"
    bad_rows[2][7] = "En ny kommentar som inte får skrivas."
    bad = _write_csv(tmp_path / "fel.csv", bad_rows)
    failed = _cli(db, "import", str(bad))
    assert failed.returncode == 1
    assert failed.stdout == ""
    assert f"{bad}: inget importerades (2 fel)" in failed.stderr
    assert "rad 2: okänd status 'Halvklar'" in failed.stderr
    assert "rad 4: ogiltigt datum 'snart'" in failed.stderr
    assert _file_counts(db) == counts


def test_cli_alias(tmp_path: Path) -> None:
    db = tmp_path / "laget.db"
    migrate_engine = make_engine(f"sqlite:///{db}")
    migrate(migrate_engine)
    load_demo(migrate_engine)
    migrate_engine.dispose()

    done = _cli(db, "alias", "IT", "IT-kontoret")
    assert done.returncode == 0, done.stderr
    assert "'IT-kontoret' → 'IT'" in done.stdout
    engine = make_engine(f"sqlite:///{db}")
    try:
        with open_session(engine) as s:
            unit = resolve_unit(s, "it-kontoret").unit
            assert unit is not None and unit.name == "IT"
            assert s.exec(select(func.count()).select_from(UnitAlias)).scalar_one() == 21
    finally:
        engine.dispose()

    conflict = _cli(db, "alias", "IT", "HR")
    assert conflict.returncode == 1
    assert "HR-avdelning" in conflict.stderr
    assert _file_counts(db)["unit_alias"] == 21
