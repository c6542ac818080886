"""storage/queries.py on the demo data (the Norrtälje report of 2025-07-31, and Lovisa's,
Lerum's and Nyköping's), both databases."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session, select

from storage.db import session as open_session
from storage.demo import DEMO_DIR
from storage.domain import Forecast, Status, format_number, parse_number
from storage.filters import AssignmentFilter
from storage.models import Assignment, FinanceFollowUp, StatusComment, Unit
from storage.organisations import OrganisationView
from storage.queries import (
    AssignmentCounts,
    assignment_page,
    assignments,
    assignments_of_units,
    catalog_rows,
    count_assignments,
    finance_overview,
    get_assignment,
    is_empty,
    latest_finance,
    list_units,
    search_titles,
    summary,
    unit_assignment_counts,
    unit_name,
)

TODAY = date(2025, 9, 30)
ORG = 1  # Norrtälje, the first demo organisation (checked in _org)


def _org(s: Session) -> int:
    org = s.info["organisation_id"]
    assert org == ORG
    return org


def _unit_id(s: Session, name: str) -> int:
    unit = s.exec(select(Unit).where(Unit.organisation_id == _org(s), Unit.name == name)).one()
    assert unit.id is not None
    return unit.id


def _number(s: Session, title_start: str) -> int:
    numbers = [a.number for a in s.exec(select(Assignment).where(
        Assignment.organisation_id == _org(s))) if a.title.startswith(title_start)]
    assert len(numbers) == 1, title_start
    return numbers[0]


def _demo_assignments() -> list[dict[str, str]]:
    with open(DEMO_DIR / "norrtalje" / "assignments.csv", encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def overdue(s: Session, on: date, unit_id: int | None = None):  # type: ignore[no-untyped-def]
    f = AssignmentFilter(overdue=True, unit_ids=(unit_id,) if unit_id else ())
    return assignments(s, _org(s), f, on)


def due_within(s: Session, on: date, days: int, unit_id: int | None = None):  # type: ignore[no-untyped-def]
    f = AssignmentFilter(open_only=True, due_from=on, due_to=on + timedelta(days=days),
                         unit_ids=(unit_id,) if unit_id else ())
    return assignments(s, _org(s), f, on)


def find(s: Session, words: str, limit: int | None = None):  # type: ignore[no-untyped-def]
    f = AssignmentFilter(words=tuple(w for w in words.split() if len(w) > 1))
    if f.empty:
        return []
    return assignments(s, _org(s), f, TODAY, limit=limit)


# --- the report's summary table ------------------------------------------------------------


def test_summary_equals_the_report(s: Session) -> None:
    got = summary(s, _org(s))
    assert got.kinds == ["Uppdrag", "Nämndinitiativ"]
    assert got.cells == {
        "Uppdrag": {
            Status.NOT_STARTED: (0, 1, 0),
            Status.STARTED: (15, 1, 0),
            Status.COMPLETED: (3, 1, 0),
            Status.NOT_REPORTED: (0, 0, 0),
        },
        "Nämndinitiativ": {
            Status.NOT_STARTED: (0, 1, 0),
            Status.STARTED: (7, 3, 0),
            Status.COMPLETED: (3, 1, 0),
            Status.NOT_REPORTED: (0, 0, 0),
        },
    }
    assert got.statuses() == [Status.NOT_STARTED, Status.STARTED, Status.COMPLETED]
    assert got.kind_total("Uppdrag") == (18, 3, 0)
    assert got.kind_total("Nämndinitiativ") == (10, 5, 0)
    assert got.total == (28, 8, 0)


def test_summary_matches_the_demo_file(s: Session) -> None:
    rows = _demo_assignments()
    assert len(rows) == 36
    got = summary(s, _org(s))
    labels = {Status.NOT_STARTED: "Ej påbörjad", Status.STARTED: "Påbörjad",
              Status.COMPLETED: "Slutförd", Status.NOT_REPORTED: "Ej rapporterad"}
    for kind in got.kinds:
        for status in Status:
            on, dev, not_reported = got.cells[kind][status]
            mine = [r for r in rows if r["Uppdrag/Nämndinitiativ"] == kind
                    and r["Status"] == labels[status]]
            assert on == sum(r["Prognos för slutförande"] == "Enligt plan" for r in mine)
            assert dev == sum(r["Prognos för slutförande"] == "Avvikelse från plan" for r in mine)
            assert not_reported == 0


def test_lovisas_key_goals_are_not_reported(demo: Engine, lovisa: OrganisationView) -> None:
    with open_session(demo, lovisa.id) as s:
        got = summary(s, lovisa.id)
    assert got.kinds == ["Nyckelmål"]
    assert got.cells["Nyckelmål"][Status.NOT_REPORTED] == (0, 0, 21)
    assert got.total == (0, 0, 21) and got.statuses() == [Status.NOT_REPORTED]


def test_summary_of_an_empty_organisation(engine: Engine) -> None:
    from storage_helpers import new_org

    org = new_org(engine, "Tom kommun")
    with open_session(engine, org.id) as s:
        assert is_empty(s, org.id)
        got = summary(s, org.id)
        assert got.kinds == [] and got.total == (0, 0, 0)


# --- finance ---------------------------------------------------------------------------------


def test_it_latest_finance(s: Session) -> None:
    it = latest_finance(s, _org(s), _unit_id(s, "IT"))
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
    with open(DEMO_DIR / "norrtalje" / "finance.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f, delimiter=","))
    assert len(rows) == 7
    overview = {v.unit: v for v in finance_overview(s, _org(s))}
    assert list(overview) == sorted(overview)
    for row in rows:
        got = latest_finance(s, _org(s), _unit_id(s, row["Verksamhet"]))
        assert got is not None, row["Verksamhet"]
        assert got == overview[row["Verksamhet"]]
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
        view = latest_finance(s, _org(s), _unit_id(s, name))
        assert view is not None
        got[name] = format_number(view.deviation, signed=True)
    assert got == expected


def test_latest_finance_returns_the_newest_period(demo: Engine, norrtalje) -> None:  # type: ignore[no-untyped-def]
    with open_session(demo, norrtalje.id) as s, s.begin():
        it = _unit_id(s, "IT")
        for end, budget in ((date(2025, 10, 31), "-30000"), (date(2025, 4, 30), "-10000")):
            s.add(FinanceFollowUp(
                organisation_id=norrtalje.id, unit_id=it, period_end=end,
                budget_period=Decimal(budget), actual_period=Decimal("-1"),
                budget_year=Decimal("-41225"), forecast_year=Decimal("-40000"),
                comment=f"per {end}",
            ))
    with open_session(demo, norrtalje.id) as s:
        got = latest_finance(s, norrtalje.id, it)
        assert got is not None
        assert (got.period_end, got.budget_period, got.comment) == (
            date(2025, 10, 31), Decimal("-30000"), "per 2025-10-31"
        )
        assert got.deviation == Decimal("1225")
        assert [v for v in finance_overview(s, norrtalje.id) if v.unit == "IT"] == [got]


def test_latest_finance_without_figures(s: Session) -> None:
    with s.begin():
        unit = Unit(organisation_id=_org(s), name="Kultur")
        s.add(unit)
    assert latest_finance(s, _org(s), unit.id) is None  # type: ignore[arg-type]
    assert latest_finance(s, _org(s), 999_999) is None


# --- overdue and due soon ------------------------------------------------------------------


def test_overdue_assignments(s: Session) -> None:
    got = overdue(s, TODAY)
    assert len(got) == 5
    assert [a.due_date for a in got] == [date(2025, 2, 28)] + [date(2025, 9, 8)] * 4
    assert got[0].title.startswith("Ta fram åtgärdsplan för att inte överskrida")
    assert got[0].unit == "Stab och planering"
    assert got == sorted(got, key=lambda a: (a.due_date, a.title.casefold()))
    assert all(a.status is not Status.COMPLETED for a in got)
    assert all(a.overdue(TODAY) for a in got)
    assert got[0].days_overdue(TODAY) == 214
    # One (the newest) comment comes with each by default.
    assert all(len(a.comments) == 1 for a in got)
    assert got[0].latest_comment is not None
    assert got[0].latest_comment.text.startswith("Initiativet återremitterades den 26 maj")
    assert count_assignments(s, _org(s), AssignmentFilter(overdue=True), TODAY) == 5


def test_overdue_matches_the_demo_file(s: Session) -> None:
    expected = sorted(
        r["Titel"] for r in _demo_assignments()
        if r["Slutdatum"] and date.fromisoformat(r["Slutdatum"]) < TODAY
        and r["Status"] != "Slutförd"
    )
    assert sorted(a.title for a in overdue(s, TODAY)) == expected


def test_overdue_per_unit(s: Session) -> None:
    expected = {"Stab och planering": 2, "Näringsliv": 2, "Räddningstjänst": 1, "IT": 0,
                "Ekonomiavdelning": 0, "Kommundirektör": 0, "HR-avdelning": 0}
    got = {}
    for unit in expected:
        views = overdue(s, TODAY, unit_id=_unit_id(s, unit))
        assert {a.unit for a in views} <= {unit}
        got[unit] = len(views)
    assert got == expected


def test_completed_and_undated_are_never_overdue(s: Session) -> None:
    far_future = date(2030, 1, 1)
    got = overdue(s, far_future)
    rows = _demo_assignments()
    assert len(got) == sum(r["Status"] != "Slutförd" for r in rows)
    a = s.get(Assignment, got[0].id)
    assert a is not None
    a.due_date = None
    s.commit()
    assert len(overdue(s, far_future)) == len(got) - 1


def test_due_today_is_not_overdue(s: Session) -> None:
    assert [a.due_date for a in overdue(s, date(2025, 2, 28))] == []
    assert len(overdue(s, date(2025, 3, 1))) == 1


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


def test_filters(s: Session) -> None:
    org = _org(s)
    assert count_assignments(s, org, AssignmentFilter(), TODAY) == 36
    assert count_assignments(s, org, AssignmentFilter(kinds=("nämndinitiativ",)), TODAY) == 15
    assert count_assignments(s, org, AssignmentFilter(statuses=("completed",)), TODAY) == 8
    assert count_assignments(s, org, AssignmentFilter(forecasts=("deviation",)), TODAY) == 8
    assert count_assignments(s, org, AssignmentFilter(open_only=True), TODAY) == 28
    assert count_assignments(s, org, AssignmentFilter(numbers=(1, 2, 999)), TODAY) == 2
    goal = "1. Norrtälje ska ha en sund och hållbar ekonomi i balans."
    assert {a.goal_area for a in assignments(s, org, AssignmentFilter(goal_areas=(goal,)),
                                             TODAY)} == {goal}


# --- search and comments -----------------------------------------------------------------


def test_find_assignments(s: Session) -> None:
    got = find(s, "trygghetskameror")
    assert got
    assert got[0].title == (
        "Trygghetskameror ska sättas upp på fler utsatta eller potentiellt utsatta platser."
    )
    assert got[0].unit == "Stab och planering"
    assert got[0].status is Status.STARTED and got[0].forecast is Forecast.ON_PLAN
    assert got[0].latest_comment is not None
    assert got[0].latest_comment.text.startswith("Kommande aktuella platser är Kvisthamra skola")


def test_find_assignments_is_case_insensitive_and_needs_every_word(s: Session) -> None:
    assert [a.title for a in find(s, "TRYGGHETSKAMEROR")] == [
        a.title for a in find(s, "trygghetskameror")
    ]
    trygg = find(s, "trygghet")
    assert len(trygg) == 3  # kameror, trygghetsskapande, otrygghet (a substring)
    assert any(a.title.startswith("Genomföra socioekonomisk") for a in trygg)
    assert len(find(s, "trygghet kameror")) == 1
    # The compose-box search takes any word, most words first.
    best = search_titles(s, _org(s), ["trygghet", "kameror"])
    assert len(best) == 3 and best[0].title.startswith("Trygghetskameror")


def test_find_assignments_limit(s: Session) -> None:
    assert len(find(s, "en", limit=2)) == 2
    assert len(search_titles(s, _org(s), ["en"], limit=2)) == 2


def test_find_assignments_matching_nothing(s: Session) -> None:
    for words in ["xyzzy plugh", "trygghetskameror xyzzy", "", "a", "?!"]:
        assert find(s, words) == [], words
    assert search_titles(s, _org(s), ["a", ""]) == []


def test_find_assignments_escapes_like_wildcards(s: Session) -> None:
    assert find(s, "%%") == []
    assert find(s, "__ __") == []
    assert search_titles(s, _org(s), ["%%", "__"]) == []


def test_latest_comment_is_derived_from_history(demo: Engine, norrtalje) -> None:  # type: ignore[no-untyped-def]
    org = norrtalje.id
    with open_session(demo, org) as s:
        number = _number(s, "Trygghetskameror")
        before = get_assignment(s, org, number)
        assert before is not None and len(before.comments) == 1
        old = before.latest_comment
        assert old is not None and old.author == "import"
        assert old.day == date(2025, 7, 31)
    base = datetime(2025, 8, 1, 9, 0, tzinfo=UTC)
    with open_session(demo, org) as s, s.begin():
        for i in range(4):
            s.add(StatusComment(organisation_id=org, assignment_id=before.id,
                                text=f"Kommentar {i}", author="anna",
                                created_at=base + timedelta(days=i)))
    with open_session(demo, org) as s:
        got = get_assignment(s, org, number)
        assert got is not None
        assert [c.text for c in got.comments] == ["Kommentar 3", "Kommentar 2", "Kommentar 1"]
        assert got.latest_comment == got.comments[0]
        assert got.latest_comment.author == "anna"
        assert got.latest_comment.day == date(2025, 8, 4)
        assert [c.text for c in get_assignment(s, org, number, comments=10).comments] == [  # type: ignore[union-attr]
            "Kommentar 3", "Kommentar 2", "Kommentar 1", "Kommentar 0", old.text
        ]
        assert get_assignment(s, org, number, comments=0).comments == []  # type: ignore[union-attr]
        # The other assignments' comments are untouched.
        other = find(s, "kontinuitetshantering")[0]
        assert len(other.comments) == 1 and other.comments[0].author == "import"


def test_same_time_comments_newest_id_first(demo: Engine, norrtalje) -> None:  # type: ignore[no-untyped-def]
    org = norrtalje.id
    when = datetime(2025, 9, 1, tzinfo=UTC)
    with open_session(demo, org) as s, s.begin():
        number = _number(s, "Trygghetskameror")
        aid = get_assignment(s, org, number).id  # type: ignore[union-attr]
        s.add(StatusComment(organisation_id=org, assignment_id=aid, text="först", author="a",
                            created_at=when))
        s.flush()
        s.add(StatusComment(organisation_id=org, assignment_id=aid, text="sedan", author="a",
                            created_at=when))
    with open_session(demo, org) as s:
        got = get_assignment(s, org, number)
        assert got is not None and got.latest_comment is not None
        assert got.latest_comment.text == "sedan"


def test_get_assignment_unknown(s: Session) -> None:
    assert get_assignment(s, _org(s), 999_999) is None
    assert get_assignment(s, _org(s), 36) is not None and get_assignment(s, _org(s), 37) is None


# --- per unit ------------------------------------------------------------------------------


def test_unit_assignment_counts_for_stab(s: Session) -> None:
    got = unit_assignment_counts(s, _org(s), _unit_id(s, "Stab och planering"), TODAY)
    assert got == AssignmentCounts(on_plan=16, deviating=4, overdue=2, completed=3)
    assert got.total == 20


def test_unit_assignment_counts_without_assignments(s: Session) -> None:
    assert unit_assignment_counts(s, _org(s), _unit_id(s, "IT"), TODAY) == AssignmentCounts(
        0, 0, 0, 0)


def test_list_units(s: Session) -> None:
    assert [(u.name, u.assignments, u.has_finance, u.has_budget)
            for u in list_units(s, _org(s))] == [
        ("Ekonomiavdelning", 2, True, False),
        ("HR-avdelning", 0, True, False),
        ("IT", 0, True, False),
        ("Kommundirektör", 1, True, False),
        ("Näringsliv", 12, True, False),
        ("Räddningstjänst", 1, True, False),
        ("Stab och planering", 20, True, False),
    ]
    assert not is_empty(s, _org(s))
    assert unit_name(s, _org(s), _unit_id(s, "IT")) == "IT"
    stab = _unit_id(s, "Stab och planering")
    of_stab = assignments_of_units(s, _org(s), {stab})
    assert len(of_stab) == 20 and assignments_of_units(s, _org(s), set()) == []
    done = [a.status is Status.COMPLETED for a in of_stab]
    assert done == sorted(done)  # unfinished first


def test_overdue_page_is_a_slice_of_the_whole_overdue_list(s: Session) -> None:
    whole = overdue(s, TODAY)
    f = AssignmentFilter(overdue=True)
    assert len(whole) == 5
    for per_page in (1, 2, 8):
        pages = -(-len(whole) // per_page)
        for page in range(1, pages + 1):
            got = assignment_page(s, _org(s), f, TODAY, page, per_page)
            first = (page - 1) * per_page
            assert (got.total, got.page, got.first, got.pages) == (len(whole), page, first,
                                                                   pages)
            assert got.items == whole[first:first + per_page]
            assert got.remaining == len(whole) - first - len(got.items)
    # Past the end: the last page; nothing overdue: an empty page.
    assert assignment_page(s, _org(s), f, TODAY, 99, 2).items == whole[4:]
    empty = assignment_page(s, _org(s), f, date(2000, 1, 1))
    assert (empty.total, empty.items, empty.pages) == (0, [], 1)
    stab = _unit_id(s, "Stab och planering")
    assert assignment_page(s, _org(s), AssignmentFilter(overdue=True, unit_ids=(stab,)),
                           TODAY).items == overdue(s, TODAY, unit_id=stab)


def test_catalog_rows(demo: Engine, lovisa: OrganisationView) -> None:
    with open_session(demo, lovisa.id) as s:
        rows = catalog_rows(s, lovisa.id)
    assert len(rows.units) == 4 and len(rows.aliases) == 16 and len(rows.assignments) == 21
    assert rows.budget_years == [2023, 2024, 2025, 2026, 2027]
    assert rows.budget_lines[0] == "Försäljningsintäkter"
    assert "Verksamhetens kostnader" in rows.budget_lines
    assert len(rows.budget_lines) == len(set(rows.budget_lines))
    assert [n for n, *_ in rows.assignments] == list(range(1, 22))
