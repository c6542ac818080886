"""What is due for whom on a day: the rules behind digests and personal reminders."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from storage.domain import Status, normalize
from storage.models import Assignment, StatusComment
from storage.queries import AssignmentView, assignment_views, assignments_with_unit, plain_rows
from storage.schedule import DEFAULT_LEAD_DAYS, DEFAULT_LONG_LEAD_DAYS

# "Runs a quarter or longer": at least this many days from first sign of life to due date.
LONG_SPAN_DAYS = 90
QUARTER_ENDS = {(3, 31), (6, 30), (9, 30), (12, 31)}
DEFAULT_STALE_COMMENT_DAYS = 30

OVERDUE = "overdue"
DUE_SOON = "due_soon"
STALE = "stale"


@dataclass(frozen=True)
class NudgeItem:
    assignment: AssignmentView
    unit_id: int
    first_seen: date | None  # date of its first comment: the earliest sign it existed

    @property
    def id(self) -> int:
        return self.assignment.id

    @property
    def long(self) -> bool:
        return is_long(self.assignment.due_date, self.first_seen)


def is_long(due: date | None, first_seen: date | None) -> bool:
    """Runs a quarter or longer? Municipal exports carry no start date, so: at least 90 days
    from its first comment to its due date; without comments, a due date at a quarter's end
    (what 'kvartal 2 2025', 'halvår 1' or '2025' import as) counts as a long period."""
    if due is None:
        return False
    if first_seen is not None:
        return (due - first_seen).days >= LONG_SPAN_DAYS
    return (due.month, due.day) in QUARTER_ENDS


def lead_for(item: NudgeItem, lead_days: int, long_lead_days: int) -> int:
    return long_lead_days if item.long else lead_days


def is_due(item: NudgeItem, today: date, lead_days: int, long_lead_days: int) -> bool:
    """Overdue, or due within its lead time (7 days, 28 for quarter-or-longer ones)."""
    a = item.assignment
    if a.due_date is None or a.status is Status.COMPLETED:
        return False
    return a.due_date <= today + timedelta(days=lead_for(item, lead_days, long_lead_days))


_CHUNK = 5000  # stay under bind-parameter limits


def open_items(s: Session, org: int, today: date, horizon_days: int | None,
               unit_ids: set[int] | None = None) -> list[NudgeItem]:
    """Unfinished assignments, due up to today + horizon (None = any date, also none), with
    their latest comment and first comment date; by due date."""
    query = assignments_with_unit().where(Assignment.organisation_id == org,
                                          Assignment.status != Status.COMPLETED.value)
    if horizon_days is not None:
        query = query.where(Assignment.due_date <= today + timedelta(days=horizon_days))
    if unit_ids is not None:
        query = query.where(Assignment.unit_id.in_(sorted(unit_ids)))
    rows = plain_rows(s, query.order_by(Assignment.due_date, Assignment.title))
    first: dict[int, date] = {}
    ids = [row.id for row in rows]
    for start in range(0, len(ids), _CHUNK):
        for aid, created in s.exec(
            select(StatusComment.assignment_id, func.min(StatusComment.created_at))
            .where(StatusComment.assignment_id.in_(ids[start:start + _CHUNK]))
            .group_by(StatusComment.assignment_id)
        ):
            first[aid] = created.date() if isinstance(created, datetime) else created
    views: list[AssignmentView] = []
    for start in range(0, len(rows), _CHUNK):
        views.extend(assignment_views(s, rows[start:start + _CHUNK], 1))
    return [NudgeItem(v, v.unit_id, first.get(v.id)) for v in views]


def digest_items(candidates: list[NudgeItem], unit_ids: list[int], today: date,
                 lead_days: int, long_lead_days: int) -> list[NudgeItem]:
    """What a subscription's digest holds today (empty unit list = all units)."""
    wanted = set(unit_ids)
    return [c for c in candidates
            if (not wanted or c.unit_id in wanted) and is_due(c, today, lead_days,
                                                              long_lead_days)]


def group_by_unit(items: list[NudgeItem]) -> list[tuple[str, list[NudgeItem]]]:
    """Units by name; in each, overdue first, then by due date."""
    groups: dict[str, list[NudgeItem]] = defaultdict(list)
    for item in items:
        groups[item.assignment.unit].append(item)
    return [
        (unit, sorted(group, key=lambda i: (i.assignment.due_date or date.max,
                                            i.assignment.title)))
        for unit, group in sorted(groups.items(), key=lambda kv: normalize(kv[0]))
    ]


@dataclass(frozen=True)
class ReminderItem:
    item: NudgeItem
    reasons: tuple[str, ...]  # overdue | due_soon | stale


def reminder_reasons(item: NudgeItem, today: date, stale_days: int) -> tuple[str, ...]:
    a = item.assignment
    reasons: list[str] = []
    if a.overdue(today):
        reasons.append(OVERDUE)
    elif is_due(item, today, DEFAULT_LEAD_DAYS, DEFAULT_LONG_LEAD_DAYS):
        reasons.append(DUE_SOON)
    latest = a.latest_comment
    if latest is None or (today - latest.day).days > stale_days:
        reasons.append(STALE)
    return tuple(reasons)


def reminder_items(candidates: list[NudgeItem], unit_ids: set[int], today: date,
                   stale_days: int, recently_reminded: set[int]) -> list[ReminderItem]:
    """A manager's assignments that are overdue, due soon (7 / 28 days) or without a comment
    for more than `stale_days`, minus those already named in a reminder this week."""
    found = []
    for c in candidates:
        if c.unit_id not in unit_ids or c.id in recently_reminded:
            continue
        if reasons := reminder_reasons(c, today, stale_days):
            found.append(ReminderItem(c, reasons))
    return found
