"""storage.due: what is due for whom on a day (digests and personal reminders)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine

from storage import due
from storage.db import session
from storage.domain import Forecast, Status
from storage.organisations import OrganisationView
from storage.queries import AssignmentView, CommentView
from storage.units import find_unit

TODAY = date(2025, 9, 30)  # a Tuesday


def item(id_: int, due_date: date | None, unit: str = "IT", unit_id: int = 1,
         status: Status = Status.STARTED, first_seen: date | None = None,
         comment_day: date | None = None, title: str | None = None) -> due.NudgeItem:
    comments = ([CommentView("Arbetet pågår.", "import",
                             datetime.combine(comment_day, datetime.min.time(), UTC))]
                if comment_day else [])
    view = AssignmentView(id_, id_, "Uppdrag", "", title or f"Uppdrag {id_}", unit, unit_id,
                          due_date, status, Forecast.ON_PLAN, 1, comments=comments)
    return due.NudgeItem(view, unit_id, first_seen)


def test_long_assignments_by_span_or_quarter_end() -> None:
    assert due.is_long(date(2025, 12, 31), date(2025, 6, 1))  # 213 days
    assert not due.is_long(date(2025, 10, 20), date(2025, 9, 1))  # 49 days
    assert due.is_long(date(2025, 12, 31), None)  # 'kvartal 4 2025' without comments
    assert not due.is_long(date(2025, 10, 20), None)
    assert not due.is_long(None, None)


def test_lead_time_is_7_days_or_28_for_long_ones() -> None:
    short = item(1, TODAY + timedelta(days=8), first_seen=TODAY - timedelta(days=10))
    long = item(2, TODAY + timedelta(days=20), first_seen=TODAY - timedelta(days=200))
    due_in_7 = item(3, TODAY + timedelta(days=7), first_seen=TODAY - timedelta(days=10))
    overdue = item(4, TODAY - timedelta(days=3))
    done = item(5, TODAY - timedelta(days=3), status=Status.COMPLETED)
    no_date = item(6, None)
    chosen = due.digest_items([short, long, due_in_7, overdue, done, no_date], [], TODAY, 7, 28)
    assert [c.id for c in chosen] == [2, 3, 4]


def test_digest_items_filter_units_and_group_by_unit() -> None:
    a = item(1, TODAY, "Stab", 2)
    b = item(2, TODAY - timedelta(days=1), "IT", 1)
    c = item(3, TODAY - timedelta(days=9), "Stab", 2)
    assert [i.id for i in due.digest_items([a, b, c], [2], TODAY, 7, 28)] == [1, 3]
    groups = due.group_by_unit([a, b, c])
    assert [(u, [i.id for i in g]) for u, g in groups] == [("IT", [2]), ("Stab", [3, 1])]


def test_reminder_reasons_and_weekly_repeat() -> None:
    stale = item(1, TODAY + timedelta(days=100), comment_day=TODAY - timedelta(days=31))
    fresh = item(2, TODAY + timedelta(days=100), comment_day=TODAY - timedelta(days=30))
    late = item(3, TODAY - timedelta(days=1), comment_day=TODAY)
    soon = item(4, TODAY + timedelta(days=2), first_seen=TODAY, comment_day=TODAY)
    never = item(5, None)
    other_unit = item(6, TODAY - timedelta(days=1), unit_id=9)
    found = due.reminder_items([stale, fresh, late, soon, never, other_unit], {1}, TODAY,
                               30, recently_reminded={4})
    assert [(r.item.id, r.reasons) for r in found] == [
        (1, ("stale",)), (3, ("overdue",)), (5, ("stale",))]
    assert due.reminder_reasons(soon, TODAY, 30) == ("due_soon",)
    assert due.reminder_reasons(item(7, TODAY - timedelta(days=1)), TODAY, 30) == (
        "overdue", "stale")


def test_open_items_of_the_demo(demo: Engine, norrtalje: OrganisationView) -> None:
    with session(demo, norrtalje.id) as s:
        every = due.open_items(s, norrtalje.id, TODAY, None)
        soon = due.open_items(s, norrtalje.id, TODAY, 14)
        stab = find_unit(s, norrtalje.id, "Stab")
        of_stab = due.open_items(s, norrtalje.id, TODAY, None, {stab.id})  # type: ignore[union-attr]
    assert len(every) == 28  # the 36 minus the 8 completed
    assert all(i.assignment.status is not Status.COMPLETED for i in every)
    assert all(i.first_seen == date(2025, 7, 31) for i in every)  # the import's comment date
    assert [i.assignment.due_date for i in every] == sorted(i.assignment.due_date for i in every)
    assert all(i.assignment.due_date <= TODAY + timedelta(days=14) for i in soon)  # type: ignore[operator]
    assert {i.assignment.unit for i in of_stab} == {"Stab och planering"}
    digest = due.digest_items(every, [], TODAY, 7, 28)
    assert {i.id for i in digest} >= {i.id for i in every if i.assignment.overdue(TODAY)}
