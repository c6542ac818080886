"""Read-side queries. They return plain dataclasses, never ORM rows, so cards and dialogs
can't trigger lazy loads or write by accident."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Executable, Row, Select, and_, bindparam, case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from storage.domain import Forecast, Status, days_overdue, deviation, is_overdue, normalize
from storage.models import Assignment, FinanceFollowUp, StatusComment, Unit


@dataclass(frozen=True)
class CommentView:
    text: str
    author: str
    created_at: datetime
    changes: str = ""  # what a chat update changed, e.g. "status: started → completed"

    @property
    def day(self) -> date:
        return self.created_at.date()


@dataclass(frozen=True)
class AssignmentView:
    id: int
    kind: str
    goal_area: str
    title: str
    unit: str
    due_date: date | None
    status: Status
    forecast: Forecast
    version: int
    comments: list[CommentView] = field(default_factory=list)  # newest first

    @property
    def latest_comment(self) -> CommentView | None:
        return self.comments[0] if self.comments else None

    def days_overdue(self, on: date) -> int:
        return days_overdue(self.due_date, on) if self.overdue(on) and self.due_date else 0

    def overdue(self, on: date) -> bool:
        return is_overdue(self.due_date, self.status, on)


@dataclass(frozen=True)
class FinanceView:
    unit: str
    period_end: date
    budget_period: Decimal
    actual_period: Decimal
    budget_year: Decimal
    forecast_year: Decimal
    comment: str

    @property
    def deviation(self) -> Decimal:
        return deviation(self.budget_year, self.forecast_year)


@dataclass(frozen=True)
class AssignmentCounts:
    on_plan: int
    deviating: int
    overdue: int
    completed: int

    @property
    def total(self) -> int:
        return self.on_plan + self.deviating


@dataclass(frozen=True)
class Summary:
    """kind → status → (on plan, deviating)."""

    cells: dict[str, dict[Status, tuple[int, int]]]

    @property
    def kinds(self) -> list[str]:
        return list(self.cells)

    def kind_total(self, kind: str) -> tuple[int, int]:
        on, dev = zip(*self.cells[kind].values(), strict=True)
        return sum(on), sum(dev)

    @property
    def total(self) -> tuple[int, int]:
        totals = [self.kind_total(k) for k in self.cells]
        return sum(t[0] for t in totals), sum(t[1] for t in totals)


# Hot paths run prebuilt Core statements with bind parameters on the session's connection:
# building a statement and loading ORM entities cost more than SQLite's own work (measured in
# docs/performance.md). Rows are plain tuples with named columns.
_ASSIGNMENT_ROW = (
    Assignment.id, Assignment.kind, Assignment.goal_area, Assignment.title,
    Unit.name.label("unit"), Assignment.due_date, Assignment.status, Assignment.forecast,
    Assignment.version, Assignment.unit_id, Assignment.title_key,
)
_rank = (
    func.row_number()
    .over(
        partition_by=StatusComment.assignment_id,
        order_by=(StatusComment.created_at.desc(), StatusComment.id.desc()),
    )
    .label("rank")
)
_newest = (
    sa_select(StatusComment.assignment_id, StatusComment.text, StatusComment.author,
              StatusComment.created_at, StatusComment.changes, _rank)
    .where(StatusComment.assignment_id.in_(bindparam("ids", expanding=True)))
    .subquery()
)
# The newest few comments of each of a list of assignments, in one query.
_NEWEST_COMMENTS = (
    sa_select(_newest.c.assignment_id, _newest.c.text, _newest.c.author, _newest.c.created_at,
              _newest.c.changes)
    .where(_newest.c.rank <= bindparam("per_assignment"))
    .order_by(_newest.c.rank)
)


def plain_rows(session: Session, stmt: Executable, **params: object) -> Sequence[Row]:
    """Runs a Core statement on the session's connection: rows, not ORM objects."""
    return session.connection().execute(stmt, params).all()


def assignment_views(session: Session, rows: Sequence[Row],
                     comments: int) -> list[AssignmentView]:
    """Rows of assignments_with_unit() → views with each one's newest `comments` comments."""
    by_assignment: dict[int, list[CommentView]] = defaultdict(list)
    ids = [row.id for row in rows]
    if ids and comments:
        for aid, text, author, created_at, changes in plain_rows(
            session, _NEWEST_COMMENTS, ids=ids, per_assignment=comments
        ):
            by_assignment[aid].append(CommentView(text, author, created_at, changes))
    return [
        AssignmentView(
            id=row.id,
            kind=row.kind,
            goal_area=row.goal_area,
            title=row.title,
            unit=row.unit,
            due_date=row.due_date,
            status=Status(row.status),
            forecast=Forecast(row.forecast),
            version=row.version,
            comments=by_assignment.get(row.id, []),
        )
        for row in rows
    ]


def assignments_with_unit() -> Select:
    """Every assignment as a plain row with its unit's name; add WHERE and ORDER BY."""
    return sa_select(*_ASSIGNMENT_ROW).join(Unit, Unit.id == Assignment.unit_id)


_ASSIGNMENT_BY_ID = assignments_with_unit().where(Assignment.id == bindparam("id"))


def get_assignment(session: Session, assignment_id: int, comments: int = 3) -> (
    AssignmentView | None
):
    rows = plain_rows(session, _ASSIGNMENT_BY_ID, id=assignment_id)
    views = assignment_views(session, rows, comments)
    return views[0] if views else None


_IS_OVERDUE = and_(Assignment.due_date < bindparam("today"),
                   Assignment.status != Status.COMPLETED.value)
_OF_UNIT = Assignment.unit_id == bindparam("unit_id")
# For all units (False) and for one unit (True): the list in its order, and its length.
_OVERDUE = {
    per_unit: assignments_with_unit().where(_IS_OVERDUE, *where)
    .order_by(Assignment.due_date, Assignment.title)
    for per_unit, where in ((False, ()), (True, (_OF_UNIT,)))
}
_OVERDUE_PAGE = {
    per_unit: query.limit(bindparam("limit")).offset(bindparam("offset"))
    for per_unit, query in _OVERDUE.items()
}
_OVERDUE_COUNT = {
    per_unit: sa_select(func.count()).select_from(Assignment).where(_IS_OVERDUE, *where)
    for per_unit, where in ((False, ()), (True, (_OF_UNIT,)))
}


def overdue_assignments(
    session: Session, today: date, unit_id: int | None = None, comments: int = 1
) -> list[AssignmentView]:
    """Due before today and not completed; oldest due date first."""
    rows = plain_rows(session, _OVERDUE[unit_id is not None], today=today, unit_id=unit_id)
    return assignment_views(session, rows, comments)


@dataclass(frozen=True)
class OverduePage:
    """One page of the overdue list: the card shows `items` and the total, the text the oldest.
    Loaded by `overdue_page` with LIMIT/OFFSET: an office may have thousands overdue."""

    total: int
    page: int  # 1-based, clamped to the pages there are
    first: int  # 0-based position of items[0] in the whole list
    items: list[AssignmentView]
    oldest: AssignmentView | None


def overdue_page(session: Session, today: date, unit_id: int | None = None, page: int = 1,
                 per_page: int = 8, comments: int = 1) -> OverduePage:
    """The same list as overdue_assignments, one page of it (same order, same rules)."""
    per_unit = unit_id is not None
    params: dict[str, object] = {"today": today, "unit_id": unit_id}
    total = session.connection().execute(_OVERDUE_COUNT[per_unit], params).scalar_one()
    rows = _OVERDUE_PAGE[per_unit]
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    first = (page - 1) * per_page
    items = assignment_views(
        session, plain_rows(session, rows, **params, limit=per_page, offset=first), comments)
    oldest = items[0] if first == 0 and items else None
    if oldest is None and total:
        first_row = plain_rows(session, rows, **params, limit=1, offset=0)
        oldest = assignment_views(session, first_row, comments)[0]
    return OverduePage(total, page, first, items, oldest)


def assignments_due_within(
    session: Session, today: date, days: int, unit_id: int | None = None, comments: int = 1
) -> list[AssignmentView]:
    """Not completed, due from today up to and including today + days; soonest first."""
    query = assignments_with_unit().where(
        Assignment.due_date >= today,
        Assignment.due_date <= today + timedelta(days=days),
        Assignment.status != Status.COMPLETED.value,
    )
    if unit_id is not None:
        query = query.where(Assignment.unit_id == unit_id)
    query = query.order_by(Assignment.due_date, Assignment.title)
    return assignment_views(session, plain_rows(session, query), comments)


_WORD = re.compile(r"\w+", re.UNICODE)


def find_assignments(session: Session, words: str, limit: int = 10, comments: int = 3) -> list[
    AssignmentView
]:
    """Assignments whose title contains every word (as a word prefix or substring),
    best matches first: all words > more words matched at a word start > shorter title."""
    terms = [t for t in _WORD.findall(normalize(words)) if len(t) >= 2]
    if not terms:
        return []
    query = assignments_with_unit()
    for term in terms:
        query = query.where(Assignment.title_key.contains(term, autoescape=True))
    rows = list(plain_rows(session, query))

    def score(row: Row) -> tuple[int, int]:
        title_words = _WORD.findall(row.title_key)
        starts = sum(any(w.startswith(t) for w in title_words) for t in terms)
        return (-starts, len(row.title_key))

    rows.sort(key=score)
    return assignment_views(session, rows[:limit], comments)


def assignments_of_units(session: Session, unit_ids: set[int], comments: int = 1) -> list[
    AssignmentView
]:
    """Every assignment of these units: unfinished first, by due date."""
    if not unit_ids:
        return []
    query = (
        assignments_with_unit()
        .where(Assignment.unit_id.in_(unit_ids))
        .order_by(Assignment.status == Status.COMPLETED.value, Assignment.due_date,
                  Assignment.title)
    )
    return assignment_views(session, plain_rows(session, query), comments)


_LATEST_FINANCE = (
    sa_select(FinanceFollowUp.period_end, FinanceFollowUp.budget_period,
              FinanceFollowUp.actual_period, FinanceFollowUp.budget_year,
              FinanceFollowUp.forecast_year, FinanceFollowUp.comment, Unit.name)
    .join(Unit, Unit.id == FinanceFollowUp.unit_id)
    .where(FinanceFollowUp.unit_id == bindparam("unit_id"))
    .order_by(FinanceFollowUp.period_end.desc())
    .limit(1)
)


def latest_finance(session: Session, unit_id: int) -> FinanceView | None:
    rows = plain_rows(session, _LATEST_FINANCE, unit_id=unit_id)
    if not rows:
        return None
    period_end, budget_period, actual_period, budget_year, forecast_year, comment, name = rows[0]
    return FinanceView(
        unit=name,
        period_end=period_end,
        budget_period=Decimal(budget_period),
        actual_period=Decimal(actual_period),
        budget_year=Decimal(budget_year),
        forecast_year=Decimal(forecast_year),
        comment=comment,
    )


# Counted in SQL: a unit can have thousands of assignments (is_overdue's rule, in SQL).
_UNIT_COUNTS = (
    sa_select(Assignment.forecast, Assignment.status, func.count(),
              func.sum(case((and_(Assignment.due_date.is_not(None), _IS_OVERDUE), 1), else_=0)))
    .where(_OF_UNIT)
    .group_by(Assignment.forecast, Assignment.status)
)


def unit_assignment_counts(session: Session, unit_id: int, today: date) -> AssignmentCounts:
    on_plan = deviating = overdue = completed = 0
    for forecast, status, count, late in plain_rows(session, _UNIT_COUNTS, unit_id=unit_id,
                                               today=today):
        if forecast == Forecast.ON_PLAN:
            on_plan += count
        else:
            deviating += count
        overdue += int(late or 0)
        completed += count if status == Status.COMPLETED else 0
    return AssignmentCounts(on_plan, deviating, overdue, completed)


def summary(session: Session) -> Summary:
    """Kind × status × plan, in the order kinds first appear (the report's order)."""
    cells: dict[str, dict[Status, list[int]]] = {}
    first_id: dict[str, int] = {}
    for kind, status, forecast, count, min_id in session.exec(
        select(
            Assignment.kind,
            Assignment.status,
            Assignment.forecast,
            func.count(),
            func.min(Assignment.id),
        ).group_by(Assignment.kind, Assignment.status, Assignment.forecast)
    ):
        first_id[kind] = min(first_id.get(kind, min_id), min_id)
        per_status = cells.setdefault(kind, {s: [0, 0] for s in Status})
        per_status[Status(status)][0 if forecast == Forecast.ON_PLAN else 1] += count
    ordered = sorted(cells, key=lambda k: first_id[k])
    return Summary({k: {s: (v[0], v[1]) for s, v in cells[k].items()} for k in ordered})


def list_units(session: Session) -> list[tuple[str, int, bool]]:
    """(name, number of assignments, has finance figures) per unit, by name."""
    counts = dict(
        session.exec(select(Assignment.unit_id, func.count()).group_by(Assignment.unit_id)).all()
    )
    with_finance = set(session.exec(select(FinanceFollowUp.unit_id).distinct()).all())
    return [
        (u.name, counts.get(u.id, 0), u.id in with_finance)
        for u in session.exec(select(Unit).order_by(Unit.name))
    ]


def is_empty(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(Unit)).one() == 0
