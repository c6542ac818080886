"""Read-side queries, each within one organisation. They return plain dataclasses, never ORM
rows, so cards and dialogs can't trigger lazy loads or write by accident."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Executable, Row, Select, and_, bindparam, case, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from storage.domain import (
    Forecast,
    Scenario,
    Status,
    days_overdue,
    deviation,
    is_overdue,
    normalize,
)
from storage.filters import AssignmentFilter
from storage.models import (
    Assignment,
    AssignmentParticipant,
    BudgetLine,
    FinanceFollowUp,
    Indicator,
    IndicatorValue,
    StatusComment,
    Unit,
    UnitAlias,
)


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
    id: int  # internal; people use `number`
    number: int
    kind: str
    goal_area: str
    title: str
    unit: str
    unit_id: int
    due_date: date | None
    status: Status
    forecast: Forecast
    version: int
    description: str = ""
    responsible: str = ""
    reporting: str = ""
    participants: tuple[str, ...] = ()
    comments: list[CommentView] = field(default_factory=list)  # newest first

    @property
    def latest_comment(self) -> CommentView | None:
        return self.comments[0] if self.comments else None

    def days_overdue(self, on: date) -> int:
        return days_overdue(self.due_date, on) if self.overdue(on) and self.due_date else 0

    def overdue(self, on: date) -> bool:
        return is_overdue(self.due_date, self.status, on)


@dataclass(frozen=True)
class AssignmentPage:
    """One page of a list: the card shows `items` and the total. Loaded with LIMIT/OFFSET:
    an office may have thousands."""

    total: int
    page: int  # 1-based, clamped to the pages there are
    per_page: int
    first: int  # 0-based position of items[0] in the whole list
    items: list[AssignmentView]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def remaining(self) -> int:
        return max(0, self.total - self.first - len(self.items))


@dataclass(frozen=True)
class FinanceView:
    unit: str
    unit_id: int
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
    not_reported: int = 0

    @property
    def total(self) -> int:
        return self.on_plan + self.deviating + self.not_reported


@dataclass(frozen=True)
class Summary:
    """kind → status → (on plan, deviating, not reported)."""

    cells: dict[str, dict[Status, tuple[int, int, int]]]

    @property
    def kinds(self) -> list[str]:
        return list(self.cells)

    def kind_total(self, kind: str) -> tuple[int, int, int]:
        on, dev, nr = zip(*self.cells[kind].values(), strict=True)
        return sum(on), sum(dev), sum(nr)

    @property
    def total(self) -> tuple[int, int, int]:
        totals = [self.kind_total(k) for k in self.cells]
        return (sum(t[0] for t in totals), sum(t[1] for t in totals),
                sum(t[2] for t in totals))

    def statuses(self) -> list[Status]:
        """The statuses that occur, in their natural order."""
        return [st for st in Status if any(sum(c[st]) for c in self.cells.values())]


# --- assignments --------------------------------------------------------------------------

# Hot paths run prebuilt Core statements with bind parameters on the session's connection:
# building a statement and loading ORM entities cost more than SQLite's own work (measured in
# docs/performance.md). Rows are plain tuples with named columns.
_ASSIGNMENT_ROW = (
    Assignment.id, Assignment.number, Assignment.kind, Assignment.goal_area, Assignment.title,
    Unit.name.label("unit"), Assignment.unit_id, Assignment.due_date, Assignment.status,
    Assignment.forecast, Assignment.version, Assignment.description, Assignment.responsible,
    Assignment.reporting,
)
_rank = (
    func.row_number()
    .over(partition_by=StatusComment.assignment_id,
          order_by=(StatusComment.created_at.desc(), StatusComment.id.desc()))
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
_PARTICIPANTS = (
    sa_select(AssignmentParticipant.assignment_id, Unit.name)
    .join(Unit, Unit.id == AssignmentParticipant.unit_id)
    .where(AssignmentParticipant.assignment_id.in_(bindparam("ids", expanding=True)))
    .order_by(Unit.name)
)


def plain_rows(session: Session, stmt: Executable, **params: object) -> Sequence[Row]:
    """Runs a Core statement on the session's connection: rows, not ORM objects."""
    return session.connection().execute(stmt, params).all()


def assignment_views(session: Session, rows: Sequence[Row], comments: int,
                     participants: bool = False) -> list[AssignmentView]:
    """Rows of assignments_with_unit() → views with each one's newest `comments` comments."""
    by_assignment: dict[int, list[CommentView]] = defaultdict(list)
    taking_part: dict[int, list[str]] = defaultdict(list)
    ids = [row.id for row in rows]
    if ids and comments:
        for aid, body, author, created_at, changes in plain_rows(
            session, _NEWEST_COMMENTS, ids=ids, per_assignment=comments
        ):
            by_assignment[aid].append(CommentView(body, author, created_at, changes))
    if ids and participants:
        for aid, name in plain_rows(session, _PARTICIPANTS, ids=ids):
            taking_part[aid].append(name)
    return [
        AssignmentView(
            id=row.id, number=row.number, kind=row.kind, goal_area=row.goal_area,
            title=row.title, unit=row.unit, unit_id=row.unit_id, due_date=row.due_date,
            status=Status(row.status), forecast=Forecast(row.forecast), version=row.version,
            description=row.description, responsible=row.responsible, reporting=row.reporting,
            participants=tuple(taking_part.get(row.id, ())),
            comments=by_assignment.get(row.id, []),
        )
        for row in rows
    ]


def assignments_with_unit() -> Select:
    """Every assignment as a plain row with its unit's name; add WHERE and ORDER BY, and
    always the organisation."""
    return sa_select(*_ASSIGNMENT_ROW).join(Unit, Unit.id == Assignment.unit_id)


_OF_ORG = Assignment.organisation_id == bindparam("org")
_BY_NUMBER = assignments_with_unit().where(_OF_ORG, Assignment.number == bindparam("number"))


def get_assignment(session: Session, organisation_id: int, number: int,
                   comments: int = 3) -> AssignmentView | None:
    """An assignment by its number in the organisation: another organisation's number is
    simply not found."""
    rows = plain_rows(session, _BY_NUMBER, org=organisation_id, number=number)
    views = assignment_views(session, rows, comments, participants=True)
    return views[0] if views else None


def _conditions(f: AssignmentFilter) -> list[object]:
    """The filter as SQL with bind parameters (filled by _params), with is_overdue's rule
    (storage.domain) in SQL. The same shape of filter gives the same statement."""
    where: list[object] = [Assignment.organisation_id == bindparam("org")]
    for name, column in (("unit_ids", Assignment.unit_id), ("numbers", Assignment.number),
                         ("statuses", Assignment.status), ("forecasts", Assignment.forecast),
                         ("kinds", Assignment.kind_key), ("goal_areas", Assignment.goal_area)):
        if getattr(f, name):
            where.append(column.in_(bindparam(name, expanding=True)))
    if f.overdue:
        where.append(and_(Assignment.due_date < bindparam("today"),
                          Assignment.status != Status.COMPLETED.value))
    if f.open_only:
        where.append(Assignment.status != Status.COMPLETED.value)
    if f.due_from is not None:
        where.append(Assignment.due_date >= bindparam("due_from"))
    if f.due_to is not None:
        where.append(Assignment.due_date <= bindparam("due_to"))
    for index in range(len(f.words)):
        where.append(Assignment.title_key.like(bindparam(f"word{index}"), escape="\\"))
    return where


def _contains(word: str) -> str:
    """A LIKE pattern for a word anywhere in a title: its own % and _ match themselves."""
    escaped = normalize(word).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _params(organisation_id: int, f: AssignmentFilter, today: date) -> dict[str, object]:
    params: dict[str, object] = {"org": organisation_id, "today": today,
                                 "due_from": f.due_from, "due_to": f.due_to,
                                 "unit_ids": list(f.unit_ids), "numbers": list(f.numbers),
                                 "statuses": list(f.statuses), "forecasts": list(f.forecasts),
                                 "kinds": [normalize(k) for k in f.kinds],
                                 "goal_areas": list(f.goal_areas)}
    params.update({f"word{i}": _contains(w) for i, w in enumerate(f.words)})
    return params


def _shape(f: AssignmentFilter) -> tuple[object, ...]:
    """What decides a filter's statement: which parts it has (not their values)."""
    return (bool(f.unit_ids), bool(f.numbers), bool(f.statuses), bool(f.forecasts),
            bool(f.kinds), bool(f.goal_areas), f.overdue, f.open_only, f.due_from is not None,
            f.due_to is not None, len(f.words))


# Display order everywhere: due date (none last), then title.
_ORDER = (Assignment.due_date.is_(None), Assignment.due_date, Assignment.title_key,
          Assignment.id)
# The same when the filter leaves no assignment without a due date: then the index on
# (organisation, due date) gives the order, with no sort of every matching row.
_ORDER_DATED = _ORDER[1:]


def _order(f: AssignmentFilter) -> tuple[object, ...]:
    dated = f.overdue or f.due_from is not None or f.due_to is not None
    return _ORDER_DATED if dated else _ORDER


@dataclass(frozen=True)
class _Statements:
    count: Select
    page: Select
    whole: Select


_STATEMENTS: dict[tuple[object, ...], _Statements] = {}


def _statements(f: AssignmentFilter) -> _Statements:
    """Built once per filter shape: building a statement costs more than running it."""
    shape = _shape(f)
    found = _STATEMENTS.get(shape)
    if found is None:
        where = _conditions(f)
        listed = assignments_with_unit().where(*where).order_by(*_order(f))
        found = _STATEMENTS.setdefault(shape, _Statements(
            sa_select(func.count()).select_from(Assignment).where(*where),
            listed.limit(bindparam("limit")).offset(bindparam("offset")),
            listed.limit(bindparam("limit"))))
    return found


def assignment_page(session: Session, organisation_id: int, f: AssignmentFilter, today: date,
                    page: int = 1, per_page: int = 20, comments: int = 1) -> AssignmentPage:
    statements = _statements(f)
    params = _params(organisation_id, f, today)
    total = session.connection().execute(statements.count, params).scalar_one()
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    first = (page - 1) * per_page
    rows = plain_rows(session, statements.page, **params, limit=per_page, offset=first)
    return AssignmentPage(total, page, per_page, first, assignment_views(session, rows,
                                                                         comments))


def assignments(session: Session, organisation_id: int, f: AssignmentFilter, today: date,
                comments: int = 1, limit: int | None = None) -> list[AssignmentView]:
    """The whole list (for text tables and digests), in display order."""
    rows = plain_rows(session, _statements(f).whole, **_params(organisation_id, f, today),
                      limit=limit if limit is not None else -1 if _sqlite(session) else None)
    return assignment_views(session, rows, comments)


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def count_assignments(session: Session, organisation_id: int, f: AssignmentFilter,
                      today: date) -> int:
    return session.connection().execute(_statements(f).count,
                                        _params(organisation_id, f, today)).scalar_one()


def assignments_of_units(session: Session, organisation_id: int, unit_ids: set[int],
                         comments: int = 1, limit: int | None = None) -> list[AssignmentView]:
    """Every assignment of these units (or the first `limit`): unfinished first, by due
    date."""
    if not unit_ids:
        return []
    query = (
        assignments_with_unit()
        .where(Assignment.organisation_id == organisation_id,
               Assignment.unit_id.in_(unit_ids))
        .order_by(Assignment.status == Status.COMPLETED.value, *_ORDER)
        .limit(limit)
    )
    return assignment_views(session, plain_rows(session, query), comments)


# Counted in SQL: a unit can have thousands of assignments.
_UNIT_COUNTS = (
    sa_select(Assignment.forecast, Assignment.status, func.count(),
              func.sum(case((and_(Assignment.due_date.is_not(None),
                                  Assignment.due_date < bindparam("today"),
                                  Assignment.status != Status.COMPLETED.value), 1), else_=0)))
    .where(_OF_ORG, Assignment.unit_id == bindparam("unit_id"))
    .group_by(Assignment.forecast, Assignment.status)
)


def unit_assignment_counts(session: Session, organisation_id: int, unit_id: int,
                           today: date) -> AssignmentCounts:
    counts = {"on_plan": 0, "deviating": 0, "overdue": 0, "completed": 0, "not_reported": 0}
    for forecast, status, count, late in plain_rows(session, _UNIT_COUNTS, org=organisation_id,
                                               unit_id=unit_id, today=today):
        key = {Forecast.ON_PLAN: "on_plan", Forecast.DEVIATION: "deviating"}.get(
            Forecast(forecast), "not_reported")
        counts[key] += count
        counts["overdue"] += int(late or 0)
        counts["completed"] += count if status == Status.COMPLETED else 0
    return AssignmentCounts(**counts)


def summary(session: Session, organisation_id: int) -> Summary:
    """Kind × status × plan, in the order kinds first appear (the report's order)."""
    cells: dict[str, dict[Status, list[int]]] = {}
    first_number: dict[str, int] = {}
    for kind, status, forecast, count, min_number in session.execute(
        sa_select(Assignment.kind, Assignment.status, Assignment.forecast, func.count(),
                  func.min(Assignment.number))
        .where(Assignment.organisation_id == organisation_id)
        .group_by(Assignment.kind, Assignment.status, Assignment.forecast)
    ):
        first_number[kind] = min(first_number.get(kind, min_number), min_number)
        per_status = cells.setdefault(kind, {st: [0, 0, 0] for st in Status})
        column = {Forecast.ON_PLAN: 0, Forecast.DEVIATION: 1}.get(Forecast(forecast), 2)
        per_status[Status(status)][column] += count
    ordered = sorted(cells, key=lambda k: first_number[k])
    return Summary({k: {st: (v[0], v[1], v[2]) for st, v in cells[k].items()} for k in ordered})


# --- units --------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitView:
    id: int
    name: str
    assignments: int
    has_finance: bool
    has_budget: bool
    responsible: str = ""
    parent: str | None = None


def list_units(session: Session, organisation_id: int) -> list[UnitView]:
    """Every unit of the organisation, by name, with what it has."""
    counts = dict(session.execute(
        sa_select(Assignment.unit_id, func.count())
        .where(Assignment.organisation_id == organisation_id).group_by(Assignment.unit_id)
    ).all())
    with_finance = set(session.execute(
        sa_select(FinanceFollowUp.unit_id).where(
            FinanceFollowUp.organisation_id == organisation_id).distinct()).scalars())
    with_budget = set(session.execute(
        sa_select(BudgetLine.unit_id).where(
            BudgetLine.organisation_id == organisation_id).distinct()).scalars())
    parent = aliased(Unit)
    rows = session.execute(
        sa_select(Unit.id, Unit.name, Unit.responsible, parent.name)
        .join(parent, parent.id == Unit.parent_id, isouter=True)
        .where(Unit.organisation_id == organisation_id).order_by(Unit.name))
    return [UnitView(uid, name, counts.get(uid, 0), uid in with_finance, uid in with_budget,
                     responsible, parent_name)
            for uid, name, responsible, parent_name in rows]


def unit_name(session: Session, organisation_id: int, unit_id: int) -> str | None:
    return session.execute(sa_select(Unit.name).where(
        Unit.organisation_id == organisation_id, Unit.id == unit_id)).scalar()


# --- finance follow-up (period figures) ---------------------------------------------------

_FINANCE_COLUMNS = (FinanceFollowUp.period_end, FinanceFollowUp.budget_period,
                    FinanceFollowUp.actual_period, FinanceFollowUp.budget_year,
                    FinanceFollowUp.forecast_year, FinanceFollowUp.comment, Unit.name,
                    Unit.id)
_LATEST_FINANCE = (
    sa_select(*_FINANCE_COLUMNS)
    .join(Unit, Unit.id == FinanceFollowUp.unit_id)
    .where(FinanceFollowUp.organisation_id == bindparam("org"),
           FinanceFollowUp.unit_id == bindparam("unit_id"))
    .order_by(FinanceFollowUp.period_end.desc())
    .limit(1)
)


def _finance_view(row: Row) -> FinanceView:
    period_end, budget_period, actual_period, budget_year, forecast_year, comment, name, uid = row
    return FinanceView(unit=name, unit_id=uid, period_end=period_end,
                       budget_period=Decimal(budget_period),
                       actual_period=Decimal(actual_period), budget_year=Decimal(budget_year),
                       forecast_year=Decimal(forecast_year), comment=comment)


def latest_finance(session: Session, organisation_id: int, unit_id: int) -> FinanceView | None:
    rows = plain_rows(session, _LATEST_FINANCE, org=organisation_id, unit_id=unit_id)
    return _finance_view(rows[0]) if rows else None


def finance_overview(session: Session, organisation_id: int) -> list[FinanceView]:
    """Every unit's latest figures (the newest period end), by unit name: what rankings,
    totals and "which units have a deficit" are computed from."""
    newest = (sa_select(FinanceFollowUp.unit_id, func.max(FinanceFollowUp.period_end)
                        .label("period_end"))
              .where(FinanceFollowUp.organisation_id == organisation_id)
              .group_by(FinanceFollowUp.unit_id).subquery())
    rows = session.execute(
        sa_select(*_FINANCE_COLUMNS)
        .join(Unit, Unit.id == FinanceFollowUp.unit_id)
        .join(newest, and_(newest.c.unit_id == FinanceFollowUp.unit_id,
                           newest.c.period_end == FinanceFollowUp.period_end))
        .where(FinanceFollowUp.organisation_id == organisation_id)
        .order_by(Unit.name)).all()
    return [_finance_view(r) for r in rows]


# --- yearly budgets -----------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetColumn:
    year: int
    scenario: Scenario
    note: str = ""


@dataclass(frozen=True)
class BudgetLineView:
    line: str
    key: str
    amounts: dict[tuple[int, Scenario], Decimal | None]

    def amount(self, year: int) -> Decimal | None:
        """The line's figure for a year, whatever kind of column it is."""
        for (y, _scenario), value in self.amounts.items():
            if y == year:
                return value
        return None


@dataclass(frozen=True)
class BudgetView:
    unit: str
    unit_id: int
    columns: list[BudgetColumn]  # by year
    lines: list[BudgetLineView]  # in the printed order

    def line(self, key: str) -> BudgetLineView | None:
        return next((ln for ln in self.lines if ln.key == key), None)

    @property
    def years(self) -> list[int]:
        return [c.year for c in self.columns]


def budget(session: Session, organisation_id: int, unit_id: int) -> BudgetView | None:
    rows = session.execute(
        sa_select(BudgetLine.line, BudgetLine.line_key, BudgetLine.position, BudgetLine.year,
                  BudgetLine.scenario, BudgetLine.amount, BudgetLine.note, Unit.name)
        .join(Unit, Unit.id == BudgetLine.unit_id)
        .where(BudgetLine.organisation_id == organisation_id, BudgetLine.unit_id == unit_id)
        .order_by(BudgetLine.position, BudgetLine.year)).all()
    if not rows:
        return None
    columns: dict[int, BudgetColumn] = {}
    lines: dict[str, BudgetLineView] = {}
    for line, key, _position, year, scenario, amount, note, _unit in rows:
        columns.setdefault(year, BudgetColumn(year, Scenario(scenario), note))
        view = lines.setdefault(key, BudgetLineView(line, key, {}))
        view.amounts[(year, Scenario(scenario))] = None if amount is None else Decimal(amount)
    return BudgetView(rows[0][-1], unit_id, [columns[y] for y in sorted(columns)],
                      list(lines.values()))


# --- indicators ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorYear:
    year: int
    total: Decimal | None
    women: Decimal | None
    men: Decimal | None
    target: Decimal | None
    comparison: Decimal | None
    trend: str  # judgement as printed (storage.domain.Judgement value) or ""
    direction: str  # forecast direction as printed (storage.domain.Direction value) or ""


@dataclass(frozen=True)
class IndicatorView:
    id: int
    name: str
    unit: str | None
    unit_id: int | None
    goal: str
    measure: str
    polarity: str
    source_id: str
    comparison_group: str
    years: list[IndicatorYear]  # by year


def _decimal(value: str) -> Decimal | None:
    return Decimal(value) if value else None


def indicators(session: Session, organisation_id: int, ids: Sequence[int] | None = None,
               unit_ids: Sequence[int] | None = None) -> list[IndicatorView]:
    """The organisation's indicators (all, or these, or these units'), by name."""
    query = (sa_select(Indicator, Unit.name)
             .join(Unit, Unit.id == Indicator.unit_id, isouter=True)
             .where(Indicator.organisation_id == organisation_id))
    if ids is not None:
        query = query.where(Indicator.id.in_(list(ids)))
    if unit_ids is not None:
        query = query.where(Indicator.unit_id.in_(list(unit_ids)))
    found = session.execute(query.order_by(Indicator.name_key)).all()
    values: dict[int, list[IndicatorYear]] = defaultdict(list)
    if found:
        for v in session.execute(
            sa_select(IndicatorValue)
            .where(IndicatorValue.organisation_id == organisation_id,
                   IndicatorValue.indicator_id.in_([i.id for i, _ in found]))
            .order_by(IndicatorValue.year)
        ).scalars():
            values[v.indicator_id].append(IndicatorYear(
                v.year, _decimal(v.total), _decimal(v.women), _decimal(v.men),
                _decimal(v.target), _decimal(v.comparison), v.trend, v.direction))
    return [IndicatorView(i.id, i.name, unit, i.unit_id, i.goal, i.measure, i.polarity,
                          i.source_id, i.comparison_group, values.get(i.id, []))
            for i, unit in found]


# --- what questions can name (understanding's catalog) ------------------------------------


@dataclass(frozen=True)
class CatalogRows:
    """Plain rows of everything a question can be about, for dialogs to build the catalog."""

    units: list[tuple[int, str, int | None]]  # id, name, parent id
    aliases: list[tuple[int, str]]  # unit id, alias
    assignments: list[tuple[int, str, str, str, int]]  # number, title, kind, goal area, unit
    indicators: list[tuple[int, str, int | None, str, str]]  # id, name, unit, goal, source
    budget_lines: list[str]
    budget_years: list[int]


def catalog_rows(session: Session, organisation_id: int) -> CatalogRows:
    org = organisation_id
    return CatalogRows(
        units=[tuple(r) for r in session.execute(
            sa_select(Unit.id, Unit.name, Unit.parent_id).where(Unit.organisation_id == org)
            .order_by(Unit.id))],  # type: ignore[misc]
        aliases=[tuple(r) for r in session.execute(
            sa_select(UnitAlias.unit_id, UnitAlias.alias)
            .where(UnitAlias.organisation_id == org).order_by(UnitAlias.id))],  # type: ignore[misc]
        assignments=[tuple(r) for r in session.execute(
            sa_select(Assignment.number, Assignment.title, Assignment.kind,
                      Assignment.goal_area, Assignment.unit_id)
            .where(Assignment.organisation_id == org).order_by(Assignment.number))],  # type: ignore[misc]
        indicators=[tuple(r) for r in session.execute(
            sa_select(Indicator.id, Indicator.name, Indicator.unit_id, Indicator.goal,
                      Indicator.source_id)
            .where(Indicator.organisation_id == org).order_by(Indicator.id))],  # type: ignore[misc]
        budget_lines=list(dict.fromkeys(session.execute(
            sa_select(BudgetLine.line).where(BudgetLine.organisation_id == org)
            .order_by(BudgetLine.unit_id, BudgetLine.position)).scalars())),
        budget_years=sorted(set(session.execute(
            sa_select(BudgetLine.year).where(BudgetLine.organisation_id == org)
            .distinct()).scalars())),
    )


def is_empty(session: Session, organisation_id: int) -> bool:
    return not session.execute(sa_select(Unit.id).where(
        Unit.organisation_id == organisation_id).limit(1)).first()


def search_titles(session: Session, organisation_id: int, words: Sequence[str],
                  limit: int = 25) -> list[AssignmentView]:
    """Assignments whose title contains any of the words, for the compose-box search when
    understanding found nothing better; best (most words) first."""
    terms = [normalize(w) for w in words if len(w) >= 2][:10]
    if not terms:
        return []
    hits = sum(case((Assignment.title_key.contains(t, autoescape=True), 1), else_=0)
               for t in terms)
    rows = plain_rows(session, assignments_with_unit()
                      .where(Assignment.organisation_id == organisation_id,
                             or_(*(Assignment.title_key.contains(t, autoescape=True)
                                   for t in terms)))
                      .order_by(hits.desc(), *_ORDER).limit(limit))
    return assignment_views(session, rows, 1)
