"""storage/queries.py on the demo data (the Norrtälje report of 2025-07-31), both databases."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session, select

from storage.db import session as open_session
from storage.demo import DEMO_DIR
from storage.domain import Forecast, Status, format_number, parse_number
from storage.models import Assignment, FinanceFollowUp, StatusComment, Unit
from storage.queries import (
    AssignmentCounts,
    find_assignments,
    get_assignment,
    is_empty,
    latest_finance,
    list_units,
    overdue_assignments,
    summary,
    unit_assignment_counts,
)
from storage.queries import assignments_due_within as due_within

TODAY = date(2025, 9, 30)


def _unit_id(s: Session, name: str) -> int:
    unit = s.exec(select(Unit).where(Unit.name == name)).one()
    assert unit.id is not None
    return unit.id


def _assignment_id(s: Session, title_start: str) -> int:
    ids = [a.id for a in s.exec(select(Assignment)) if a.title.startswith(title_start)]
    assert len(ids) == 1, title_start
    return ids[0]  # type: ignore[return-value]


def _demo_assignments() -> list[dict[str, str]]:
    with open(DEMO_DIR / "assignments.csv", encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


# --- the report's summary table ------------------------------------------------------------


def test_summary_equals_the_report(s: Session) -> None:
    got = summary(s)
    assert got.kinds == ["Uppdrag", "Nämndinitiativ"]
    assert got.cells == {
        "Uppdrag": {
            Status.NOT_STARTED: (0, 1),
            Status.STARTED: (15, 1),
            Status.COMPLETED: (3, 1),
        },
        "Nämndinitiativ": {
            Status.NOT_STARTED: (0, 1),
            Status.STARTED: (7, 3),
            Status.COMPLETED: (3, 1),
        },
    }
    assert list(got.cells["Uppdrag"]) == [Status.NOT_STARTED, Status.STARTED, Status.COMPLETED]
    assert got.kind_total("Uppdrag") == (18, 3)
    assert got.kind_total("Nämndinitiativ") == (10, 5)
    assert got.total == (28, 8)


def test_summary_matches_the_demo_file(s: Session) -> None:
    rows = _demo_assignments()
    assert len(rows) == 36
    got = summary(s)
    for kind in got.kinds:
        for status in Status:
            on, dev = got.cells[kind][status]
            label = {Status.NOT_STARTED: "Ej påbörjad", Status.STARTED: "Påbörjad",
                     Status.COMPLETED: "Slutförd"}[status]
            mine = [r for r in rows if r["Uppdrag/Nämndinitiativ"] == kind and r["Status"] == label]
            assert on == sum(r["Prognos för slutförande"] == "Enligt plan" for r in mine)
            assert dev == sum(r["Prognos för slutförande"] == "Avvikelse från plan" for r in mine)


def test_summary_of_an_empty_database(engine: Engine) -> None:
    with open_session(engine) as s:
        assert is_empty(s)
        got = summary(s)
        assert got.kinds == [] and got.total == (0, 0)


# --- finance ---------------------------------------------------------------------------------


def test_it_latest_finance(s: Session) -> None:
    it = latest_finance(s, _unit_id(s, "IT"))
    assert it is not None
    assert it.unit == "IT"
    assert it.period_end == date(2025, 7, 31)
    assert it.budget_year == Decimal("-41225")
    assert it.forecast_year == Decimal("-39853")
    assert it.deviation == Decimal("1372")
    assert format_number(it.deviation, signed=True) == "+1 372"
    assert it.budget_period == Decimal("-23978")
    assert it.actual_period == Decimal("-20813")
    assert format_number(it.budget_period) == "-23 978"
    assert format_number(it.actual_period) == "-20 813"
    assert all(isinstance(v, Decimal) for v in (it.budget_period, it.actual_period))
    assert "IT-säkerhet och infrastruktur" in it.comment
    assert "en tjänst har varit vakant under större delen av året" in it.comment
    assert it.comment.startswith("Avvikelse budget och utfall för perioden, + 3 166 tkr:\n")


def test_every_department_matches_finance_csv(s: Session) -> None:
    with open(DEMO_DIR / "finance.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f, delimiter=","))
    assert len(rows) == 7
    for row in rows:
        got = latest_finance(s, _unit_id(s, row["Verksamhet"]))
        assert got is not None, row["Verksamhet"]
        assert got.unit == row["Verksamhet"]
        assert got.period_end == date.fromisoformat(row["Period"])
        assert got.budget_period == parse_number(row["Budget period"])
        assert got.actual_period == parse_number(row["Utfall period"])
        assert got.budget_year == parse_number(row["Budget helår"])
        assert got.forecast_year == parse_number(row["Prognos"])
        assert got.comment == row["Kommentar"].strip()
        assert format_number(got.budget_year) == row["Budget helår"]


def test_deviations_of_the_report(s: Session) -> None:
    # The report's "Avvikelse Budget-Prognos" column, reproduced exactly by forecast − budget.
    expected = {
        "Kommundirektör": "+400", "Ekonomiavdelning": "0", "HR-avdelning": "0",
        "Näringsliv": "0", "Stab och planering": "+1 866", "Räddningstjänst": "+1 246",
        "IT": "+1 372",
    }
    got = {}
    for name in expected:
        view = latest_finance(s, _unit_id(s, name))
        assert view is not None
        got[name] = format_number(view.deviation, signed=True)
    assert got == expected


def test_latest_finance_returns_the_newest_period(demo: Engine) -> None:
    with open_session(demo) as s, s.begin():
        it = _unit_id(s, "IT")
        for end, budget in ((date(2025, 10, 31), "-30000"), (date(2025, 4, 30), "-10000")):
            s.add(FinanceFollowUp(
                unit_id=it, period_end=end, budget_period=Decimal(budget),
                actual_period=Decimal("-1"), budget_year=Decimal("-41225"),
                forecast_year=Decimal("-40000"), comment=f"per {end}",
            ))
    with open_session(demo) as s:
        got = latest_finance(s, it)
        assert got is not None
        assert (got.period_end, got.budget_period, got.comment) == (
            date(2025, 10, 31), Decimal("-30000"), "per 2025-10-31"
        )
        assert got.deviation == Decimal("1225")


def test_latest_finance_without_figures(s: Session) -> None:
    with s.begin():
        unit = Unit(name="Kultur")
        s.add(unit)
    assert latest_finance(s, unit.id) is None  # type: ignore[arg-type]
    assert latest_finance(s, 999_999) is None


# --- overdue and due soon ------------------------------------------------------------------


def test_overdue_assignments(s: Session) -> None:
    got = overdue_assignments(s, TODAY)
    assert len(got) == 5
    assert [a.due_date for a in got] == [date(2025, 2, 28)] + [date(2025, 9, 8)] * 4
    assert got[0].title.startswith("Ta fram åtgärdsplan för att inte överskrida")
    assert got[0].unit == "Stab och planering"
    assert got == sorted(got, key=lambda a: (a.due_date, a.title))
    assert all(a.status is not Status.COMPLETED for a in got)
    assert all(a.overdue(TODAY) for a in got)
    assert got[0].days_overdue(TODAY) == 214
    # One (the newest) comment comes with each by default.
    assert all(len(a.comments) == 1 for a in got)
    assert got[0].latest_comment is not None
    assert got[0].latest_comment.text.startswith("Initiativet återremitterades den 26 maj")


def test_overdue_matches_the_demo_file(s: Session) -> None:
    expected = sorted(
        r["Titel"] for r in _demo_assignments()
        if r["Slutdatum"] and date.fromisoformat(r["Slutdatum"]) < TODAY
        and r["Status"] != "Slutförd"
    )
    assert sorted(a.title for a in overdue_assignments(s, TODAY)) == expected


def test_overdue_per_unit(s: Session) -> None:
    expected = {"Stab och planering": 2, "Näringsliv": 2, "Räddningstjänst": 1, "IT": 0,
                "Ekonomiavdelning": 0, "Kommundirektör": 0, "HR-avdelning": 0}
    got = {}
    for unit in expected:
        views = overdue_assignments(s, TODAY, unit_id=_unit_id(s, unit))
        assert {a.unit for a in views} <= {unit}
        got[unit] = len(views)
    assert got == expected


def test_completed_and_undated_are_never_overdue(s: Session) -> None:
    far_future = date(2030, 1, 1)
    got = overdue_assignments(s, far_future)
    rows = _demo_assignments()
    assert len(got) == sum(r["Status"] != "Slutförd" for r in rows)
    a = s.get(Assignment, got[0].id)
    assert a is not None
    a.due_date = None
    s.commit()
    assert len(overdue_assignments(s, far_future)) == len(got) - 1


def test_due_today_is_not_overdue(s: Session) -> None:
    assert [a.due_date for a in overdue_assignments(s, date(2025, 2, 28))] == []
    assert len(overdue_assignments(s, date(2025, 3, 1))) == 1


def test_assignments_due_within(s: Session) -> None:
    got = due_within(s, TODAY, 90)
    end = TODAY + timedelta(days=90)
    expected = [
        r for r in _demo_assignments()
        if r["Slutdatum"] and TODAY <= date.fromisoformat(r["Slutdatum"]) <= end
        and r["Status"] != "Slutförd"
    ]
    assert len(got) == len(expected) == 21
    assert [a.due_date for a in got] == sorted(a.due_date for a in got)  # type: ignore[type-var]
    assert got[0].due_date == date(2025, 10, 13)
    assert got[-1].due_date == date(2025, 12, 1)
    assert all(a.status is not Status.COMPLETED for a in got)


def test_assignments_due_within_bounds_are_inclusive(s: Session) -> None:
    assert len(due_within(s, date(2025, 10, 13), 0)) == 5  # due today counts
    assert len(due_within(s, date(2025, 10, 12), 1)) == 5  # due on the last day counts
    assert due_within(s, date(2025, 10, 12), 0) == []
    stab = _unit_id(s, "Stab och planering")
    got = due_within(s, date(2025, 10, 13), 0, unit_id=stab)
    assert len(got) == 4 and {a.unit for a in got} == {"Stab och planering"}


# --- search and comments -----------------------------------------------------------------


def test_find_assignments(s: Session) -> None:
    got = find_assignments(s, "trygghetskameror")
    assert got
    assert got[0].title == (
        "Trygghetskameror ska sättas upp på fler utsatta eller potentiellt utsatta platser."
    )
    assert got[0].unit == "Stab och planering"
    assert got[0].status is Status.STARTED and got[0].forecast is Forecast.ON_PLAN
    assert got[0].latest_comment is not None
    assert got[0].latest_comment.text.startswith("Kommande aktuella platser är Kvisthamra skola")


def test_find_assignments_is_case_insensitive_and_needs_every_word(s: Session) -> None:
    assert [a.title for a in find_assignments(s, "TRYGGHETSKAMEROR")] == [
        a.title for a in find_assignments(s, "trygghetskameror")
    ]
    trygg = find_assignments(s, "trygghet")
    assert len(trygg) == 3  # kameror, trygghetsskapande, otrygghet (a substring)
    assert trygg[-1].title.startswith("Genomföra socioekonomisk")  # not at a word start: last
    assert len(find_assignments(s, "trygghet kameror")) == 1


def test_find_assignments_limit(s: Session) -> None:
    assert len(find_assignments(s, "en", limit=2)) == 2


def test_find_assignments_matching_nothing(s: Session) -> None:
    for words in ["xyzzy plugh", "trygghetskameror xyzzy", "", "a", "?!"]:
        assert find_assignments(s, words) == [], words


def test_find_assignments_escapes_like_wildcards(s: Session) -> None:
    assert find_assignments(s, "%%") == []
    assert find_assignments(s, "__ __") == []


def test_latest_comment_is_derived_from_history(demo: Engine) -> None:
    with open_session(demo) as s:
        aid = _assignment_id(s, "Trygghetskameror")
        before = get_assignment(s, aid)
        assert before is not None and len(before.comments) == 1
        old = before.latest_comment
        assert old is not None and old.author == "import"
        assert old.day == date(2025, 7, 31)
    base = datetime(2025, 8, 1, 9, 0, tzinfo=UTC)
    with open_session(demo) as s, s.begin():
        for i in range(4):
            s.add(StatusComment(assignment_id=aid, text=f"Kommentar {i}", author="anna",
                                created_at=base + timedelta(days=i)))
    with open_session(demo) as s:
        got = get_assignment(s, aid)
        assert got is not None
        assert [c.text for c in got.comments] == ["Kommentar 3", "Kommentar 2", "Kommentar 1"]
        assert got.latest_comment == got.comments[0]
        assert got.latest_comment.author == "anna"
        assert got.latest_comment.day == date(2025, 8, 4)
        assert [c.text for c in get_assignment(s, aid, comments=10).comments] == [  # type: ignore[union-attr]
            "Kommentar 3", "Kommentar 2", "Kommentar 1", "Kommentar 0", old.text
        ]
        assert get_assignment(s, aid, comments=0).comments == []  # type: ignore[union-attr]
        # The other assignments' comments are untouched.
        other = find_assignments(s, "kontinuitetshantering")[0]
        assert len(other.comments) == 1 and other.comments[0].author == "import"


def test_same_time_comments_newest_id_first(demo: Engine) -> None:
    when = datetime(2025, 9, 1, tzinfo=UTC)
    with open_session(demo) as s, s.begin():
        aid = _assignment_id(s, "Trygghetskameror")
        s.add(StatusComment(assignment_id=aid, text="först", author="a", created_at=when))
        s.flush()
        s.add(StatusComment(assignment_id=aid, text="sedan", author="a", created_at=when))
    with open_session(demo) as s:
        got = get_assignment(s, aid)
        assert got is not None and got.latest_comment is not None
        assert got.latest_comment.text == "sedan"


def test_get_assignment_unknown(s: Session) -> None:
    assert get_assignment(s, 999_999) is None


# --- per unit ------------------------------------------------------------------------------


def test_unit_assignment_counts_for_stab(s: Session) -> None:
    got = unit_assignment_counts(s, _unit_id(s, "Stab och planering"), TODAY)
    assert got == AssignmentCounts(on_plan=16, deviating=4, overdue=2, completed=3)
    assert got.total == 20


def test_unit_assignment_counts_without_assignments(s: Session) -> None:
    assert unit_assignment_counts(s, _unit_id(s, "IT"), TODAY) == AssignmentCounts(0, 0, 0, 0)


def test_list_units(s: Session) -> None:
    assert list_units(s) == [
        ("Ekonomiavdelning", 2, True),
        ("HR-avdelning", 0, True),
        ("IT", 0, True),
        ("Kommundirektör", 1, True),
        ("Näringsliv", 12, True),
        ("Räddningstjänst", 1, True),
        ("Stab och planering", 20, True),
    ]
    assert not is_empty(s)


def test_overdue_page_is_a_slice_of_the_whole_overdue_list(s: Session) -> None:
    from storage.queries import overdue_page

    whole = overdue_assignments(s, TODAY)
    assert len(whole) == 5
    for per_page in (1, 2, 8):
        pages = -(-len(whole) // per_page)
        for page in range(1, pages + 1):
            got = overdue_page(s, TODAY, None, page, per_page)
            first = (page - 1) * per_page
            assert (got.total, got.page, got.first) == (len(whole), page, first)
            assert got.items == whole[first:first + per_page]
            assert got.oldest == whole[0]
    # Past the end: the last page; nothing overdue: an empty page with no oldest.
    assert overdue_page(s, TODAY, None, 99, 2).items == whole[4:]
    empty = overdue_page(s, date(2000, 1, 1))
    assert (empty.total, empty.items, empty.oldest) == (0, [], None)
    stab = _unit_id(s, "Stab och planering")
    assert overdue_page(s, TODAY, stab).items == overdue_assignments(s, TODAY, unit_id=stab)
