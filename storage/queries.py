"""Read-side queries. They return plain dataclasses, never ORM rows, so cards and dialogs
can't trigger lazy loads or write by accident."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, case, func
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


def _views(session: Session, rows: list[tuple[Assignment, str]], comments: int) -> list[
    AssignmentView
]:
    by_assignment: dict[int, list[CommentView]] = defaultdict(list)
    ids = [a.id for a, _ in rows]
    if ids and comments:
        # The newest few per assignment, in one query.
        rank = (
            func.row_number()
            .over(
                partition_by=StatusComment.assignment_id,
                order_by=(StatusComment.created_at.desc(), StatusComment.id.desc()),
            )
            .label("rank")
        )
        inner = (
            select(StatusComment.assignment_id, StatusComment.text, StatusComment.author,
                   StatusComment.created_at, StatusComment.changes, rank)
            .where(StatusComment.assignment_id.in_(ids))
            .subquery()
        )
        for aid, text, author, created_at, changes, _ in session.execute(
            select(inner).where(inner.c.rank <= comments).order_by(inner.c.rank)
        ):
            by_assignment[aid].append(CommentView(text, author, created_at, changes))
    return [
        AssignmentView(
            id=a.id,
            kind=a.kind,
            goal_area=a.goal_area,
            title=a.title,
            unit=unit_name,
            due_date=a.due_date,
            status=Status(a.status),
            forecast=Forecast(a.forecast),
            version=a.version,
            comments=by_assignment.get(a.id, []),
        )
        for a, unit_name in rows
    ]


def _assignments_with_unit():  # type: ignore[no-untyped-def]
    return select(Assignment, Unit.name).join(Unit, Unit.id == Assignment.unit_id)


def get_assignment(session: Session, assignment_id: int, comments: int = 3) -> (
    AssignmentView | None
):
    rows = list(session.exec(_assignments_with_unit().where(Assignment.id == assignment_id)))
    views = _views(session, rows, comments)
    return views[0] if views else None


def overdue_assignments(
    session: Session, today: date, unit_id: int | None = None, comments: int = 1
) -> list[AssignmentView]:
    """Due before today and not completed; oldest due date first."""
    query = _assignments_with_unit().where(
        Assignment.due_date < today, Assignment.status != Status.COMPLETED.value
    )
    if unit_id is not None:
        query = query.where(Assignment.unit_id == unit_id)
    query = query.order_by(Assignment.due_date, Assignment.title)
    return _views(session, list(session.exec(query)), comments)


@dataclass(frozen=True)
class OverduePage:
    """One page of the overdue list: the card shows `items` and the total, the text the oldest.
    Loaded by `overdue_page` with LIMIT/OFFSET: an office may have thousands overdue."""

    total: int
    page: int  # 1-based, clamped to the pages there are
    first: int  # 0-based position of items[0] in the whole list
    items: list[AssignmentView]
    oldest: AssignmentView | None


def _overdue_query(today: date, unit_id: int | None):  # type: ignore[no-untyped-def]
    query = _assignments_with_unit().where(
        Assignment.due_date < today, Assignment.status != Status.COMPLETED.value
    )
    if unit_id is not None:
        query = query.where(Assignment.unit_id == unit_id)
    return query.order_by(Assignment.due_date, Assignment.title)


def overdue_page(session: Session, today: date, unit_id: int | None = None, page: int = 1,
                 per_page: int = 8, comments: int = 1) -> OverduePage:
    """The same list as overdue_assignments, one page of it (same order, same rules)."""
    count = select(func.count()).select_from(Assignment).where(
        Assignment.due_date < today, Assignment.status != Status.COMPLETED.value
    )
    if unit_id is not None:
        count = count.where(Assignment.unit_id == unit_id)
    total = session.exec(count).one()
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    first = (page - 1) * per_page
    query = _overdue_query(today, unit_id)
    items = _views(session, list(session.exec(query.offset(first).limit(per_page))), comments)
    oldest = items[0] if first == 0 and items else None
    if oldest is None and total:
        oldest = _views(session, list(session.exec(query.limit(1))), comments)[0]
    return OverduePage(total, page, first, items, oldest)


def assignments_due_within(
    session: Session, today: date, days: int, unit_id: int | None = None, comments: int = 1
) -> list[AssignmentView]:
    """Not completed, due from today up to and including today + days; soonest first."""
    query = _assignments_with_unit().where(
        Assignment.due_date >= today,
        Assignment.due_date <= today + timedelta(days=days),
        Assignment.status != Status.COMPLETED.value,
    )
    if unit_id is not None:
        query = query.where(Assignment.unit_id == unit_id)
    query = query.order_by(Assignment.due_date, Assignment.title)
    return _views(session, list(session.exec(query)), comments)


_WORD = re.compile(r"\w+", re.UNICODE)


def find_assignments(session: Session, words: str, limit: int = 10, comments: int = 3) -> list[
    AssignmentView
]:
    """Assignments whose title contains every word (as a word prefix or substring),
    best matches first: all words > more words matched at a word start > shorter title."""
    terms = [t for t in _WORD.findall(normalize(words)) if len(t) >= 2]
    if not terms:
        return []
    query = _assignments_with_unit()
    for term in terms:
        query = query.where(Assignment.title_key.contains(term, autoescape=True))
    rows = list(session.exec(query))

    def score(row: tuple[Assignment, str]) -> tuple[int, int]:
        title_words = _WORD.findall(row[0].title_key)
        starts = sum(any(w.startswith(t) for w in title_words) for t in terms)
        return (-starts, len(row[0].title_key))

    rows.sort(key=score)
    return _views(session, rows[:limit], comments)


def assignments_of_units(session: Session, unit_ids: set[int], comments: int = 1) -> list[
    AssignmentView
]:
    """Every assignment of these units: unfinished first, by due date."""
    if not unit_ids:
        return []
    query = (
        _assignments_with_unit()
        .where(Assignment.unit_id.in_(unit_ids))
        .order_by(Assignment.status == Status.COMPLETED.value, Assignment.due_date,
                  Assignment.title)
    )
    return _views(session, list(session.exec(query)), comments)


def latest_finance(session: Session, unit_id: int) -> FinanceView | None:
    row = session.exec(
        select(FinanceFollowUp, Unit.name)
        .join(Unit, Unit.id == FinanceFollowUp.unit_id)
        .where(FinanceFollowUp.unit_id == unit_id)
        .order_by(FinanceFollowUp.period_end.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    f, name = row
    return FinanceView(
        unit=name,
        period_end=f.period_end,
        budget_period=Decimal(f.budget_period),
        actual_period=Decimal(f.actual_period),
        budget_year=Decimal(f.budget_year),
        forecast_year=Decimal(f.forecast_year),
        comment=f.comment,
    )


def unit_assignment_counts(session: Session, unit_id: int, today: date) -> AssignmentCounts:
    # Counted in SQL: a unit can have thousands of assignments (is_overdue's rule, in SQL).
    not_completed = Assignment.status != Status.COMPLETED.value
    overdue_rule = and_(Assignment.due_date.is_not(None), Assignment.due_date < today,
                        not_completed)
    on_plan = deviating = overdue = completed = 0
    for forecast, status, count, late in session.exec(
        select(Assignment.forecast, Assignment.status, func.count(),
               func.sum(case((overdue_rule, 1), else_=0)))
        .where(Assignment.unit_id == unit_id)
        .group_by(Assignment.forecast, Assignment.status)
    ):
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
