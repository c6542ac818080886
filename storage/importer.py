"""Import of follow-up exports (Stratsys, Hypergene, Excel) as CSV or XLSX.

A file is checked whole before anything is written: one bad row rejects the file.
Re-importing the same file changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlmodel import Session

from storage.db import write_session
from storage.domain import (
    Forecast,
    Status,
    normalize,
    parse_due_date,
    parse_forecast,
    parse_number,
    parse_status,
)
from storage.import_files import read_table
from storage.models import (
    Assignment,
    AssignmentParticipant,
    FinanceFollowUp,
    StatusComment,
    Unit,
)
from storage.units import add_alias, get_or_create_unit, unit_index

IMPORT_AUTHOR = "import"

ASSIGNMENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "kind": ("kind", "typ", "type", "uppdrag/nämndinitiativ", "uppdragstyp"),
    "goal_area": ("goal_area", "goal area", "målområde"),
    "title": ("title", "titel", "rubrik"),
    "unit": ("unit", "ansvarig avdelning", "ansvarig enhet", "ansvarig"),
    "participants": ("participating_units", "participants", "deltagande avdelningar"),
    "due_date": ("due_date", "due date", "slutdatum"),
    "status": ("status",),
    "forecast": ("forecast", "prognos för slutförande", "prognos"),
    "comment": ("comment", "senaste kommentar", "kommentar"),
    "comment_date": ("comment_date", "kommentarsdatum"),
}
ASSIGNMENT_REQUIRED = ("kind", "title", "unit", "due_date", "status", "forecast")

FINANCE_COLUMNS: dict[str, tuple[str, ...]] = {
    "unit": ("unit", "verksamhet", "enhet", "avdelning"),
    "period_end": ("period_end", "period"),
    "budget_period": ("budget_period", "budget period"),
    "actual_period": ("actual_period", "utfall period"),
    "budget_year": ("budget_year", "budget helår"),
    "forecast_year": ("forecast_year", "prognos", "prognos helår"),
    "comment": ("comment", "kommentar"),
}
FINANCE_REQUIRED = (
    "unit", "period_end", "budget_period", "actual_period", "budget_year", "forecast_year"
)

ALIAS_COLUMNS: dict[str, tuple[str, ...]] = {
    "unit": ("unit", "enhet", "avdelning", "verksamhet"),
    "alias": ("alias", "alias_name", "alternativt namn"),
}


@dataclass(frozen=True)
class RowError:
    row: int
    reason: str

    def __str__(self) -> str:
        return f"rad {self.row}: {self.reason}"


class ImportRejected(Exception):
    """The file was not imported; nothing was written."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class ImportResult:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    comments_added: int = 0
    units_created: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = (
            f"{self.kind}: {self.rows} rader — {self.created} nya, {self.updated} ändrade, "
            f"{self.unchanged} oförändrade, {self.comments_added} nya kommentarer"
        )
        if self.units_created:
            text += f"; nya enheter: {', '.join(self.units_created)}"
        return text


def _map_header(header: list[Any], columns: dict[str, tuple[str, ...]]) -> dict[str, int]:
    names = [normalize(str(h)) if h is not None else "" for h in header]
    found: dict[str, int] = {}
    for field_name, spellings in columns.items():
        for spelling in spellings:
            if spelling in names and names.index(spelling) not in found.values():
                found[field_name] = names.index(spelling)
                break
    return found


def detect_kind(header: list[Any]) -> str:
    """'assignments', 'finance' or 'aliases', from the header row."""
    names = {normalize(str(h)) for h in header if h is not None}
    if names & set(ASSIGNMENT_COLUMNS["title"]):
        return "assignments"
    if names & set(FINANCE_COLUMNS["budget_year"]) or names & {"budget_year"}:
        return "finance"
    if names & set(ALIAS_COLUMNS["alias"]):
        return "aliases"
    raise ImportRejected(
        [
            RowError(
                1,
                "känner inte igen rubrikraden; väntade uppdrag (Titel, Ansvarig avdelning, "
                "Slutdatum, Status, …), ekonomi (Verksamhet, Period, Budget helår, Prognos, …) "
                "eller alias (unit, alias)",
            )
        ]
    )


def _cell(row: list[Any], index: int | None) -> Any:
    if index is None or index >= len(row):
        return None
    value = row[index]
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _text(value: Any) -> str:
    return "" if value is None else " ".join(str(value).split()) if "\n" not in str(value) \
        else str(value).strip()


def _too_long(value: Any, column: Any, label: str) -> str | None:
    """A text longer than its column allows (PostgreSQL would refuse it mid-import)."""
    text = _text(value)
    limit = column.type.length
    if limit is not None and max(len(text), len(normalize(text))) > limit:
        return f"{label} är längre än {limit} tecken"
    return None


def _comment_time(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value
    if isinstance(value, date):
        return datetime.combine(value, time(), UTC)
    return datetime.combine(date.fromisoformat(str(value).strip()), time(), UTC)


# --- parsing rows ---------------------------------------------------------------------


@dataclass
class AssignmentRow:
    row: int
    kind: str
    goal_area: str
    title: str
    unit: str
    participants: list[str]
    due_date: date | None
    status: Status
    forecast: Forecast
    comment: str
    comment_at: datetime | None
    key: tuple[str, str] = ("", "")

    def __post_init__(self) -> None:
        self.key = (normalize(self.kind), normalize(self.title))


@dataclass
class FinanceRow:
    row: int
    unit: str
    period_end: date
    budget_period: Decimal
    actual_period: Decimal
    budget_year: Decimal
    forecast_year: Decimal
    comment: str


def _missing_columns(found: dict[str, int], required: Iterable[str],
                     columns: dict[str, tuple[str, ...]]) -> list[RowError]:
    return [
        RowError(1, f"kolumnen {columns[name][0]!r} / {columns[name][-1]!r} saknas")
        for name in required
        if name not in found
    ]


def _parse_rows(table: list[list[Any]], parse_row, key, duplicate) -> list[Any]:  # type: ignore[no-untyped-def]
    """Parse every data row; bad rows and duplicates (by `key`) are all reported at once."""
    errors: list[RowError] = []
    parsed: list[Any] = []
    first_seen: dict[Any, int] = {}
    for number, row in enumerate(table[1:], start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            continue
        try:
            item = parse_row(number, row)
        except ValueError as exc:
            errors.append(RowError(number, str(exc)))
            continue
        if key(item) in first_seen:
            errors.append(RowError(number, f"{duplicate} {first_seen[key(item)]}"))
        else:
            first_seen[key(item)] = number
            parsed.append(item)
    if errors:
        raise ImportRejected(errors)
    if not parsed:
        raise ImportRejected([RowError(2, "filen innehåller inga datarader")])
    return parsed


def _required(row: list[Any], cols: dict[str, int], name: str, label: str) -> Any:
    value = _cell(row, cols.get(name))
    if value is None:
        raise ValueError(f"{label} saknas")
    return value


def parse_assignments(table: list[list[Any]]) -> list[AssignmentRow]:
    cols = _map_header(table[0], ASSIGNMENT_COLUMNS)
    if errors := _missing_columns(cols, ASSIGNMENT_REQUIRED, ASSIGNMENT_COLUMNS):
        raise ImportRejected(errors)

    def parse_row(number: int, row: list[Any]) -> AssignmentRow:
        problems: list[str] = []

        def attempt(fn, *args):  # type: ignore[no-untyped-def]
            try:
                return fn(*args)
            except ValueError as exc:
                problems.append(str(exc))
                return None

        kind = attempt(_required, row, cols, "kind", "typ")
        title = attempt(_required, row, cols, "title", "titel")
        unit = attempt(_required, row, cols, "unit", "ansvarig avdelning")
        due_raw = _cell(row, cols.get("due_date"))
        due = attempt(parse_due_date, due_raw) if due_raw is not None else None
        status_raw = attempt(_required, row, cols, "status", "status")
        status = attempt(parse_status, str(status_raw)) if status_raw is not None else None
        forecast_raw = attempt(_required, row, cols, "forecast", "prognos")
        forecast = attempt(parse_forecast, str(forecast_raw)) if forecast_raw else None
        comment = _text(_cell(row, cols.get("comment")))
        comment_at = None
        if (raw_date := _cell(row, cols.get("comment_date"))) is not None:
            try:
                comment_at = _comment_time(raw_date)
            except ValueError:
                problems.append(f"ogiltigt kommentarsdatum {raw_date!r} (ÅÅÅÅ-MM-DD)")
        participants_raw = _text(_cell(row, cols.get("participants")))
        participants = [p.strip() for p in participants_raw.replace(",", ";").split(";")]
        columns = Assignment.__table__.c
        for value, column, label in (
            (kind, columns.kind_key, "typ"),
            (_cell(row, cols.get("goal_area")), columns.goal_area, "målområde"),
            (title, columns.title_key, "titel"),
            (unit, Unit.__table__.c.name, "ansvarig avdelning"),
            *((p, Unit.__table__.c.name, "deltagande avdelning") for p in participants),
        ):
            if value is not None and (problem := _too_long(value, column, label)):
                problems.append(problem)
        if problems:
            raise ValueError("; ".join(problems))
        return AssignmentRow(
            row=number,
            kind=_text(kind),
            goal_area=_text(_cell(row, cols.get("goal_area"))),
            title=_text(title),
            unit=_text(unit),
            participants=[p for p in participants if p],
            due_date=due,
            status=status,
            forecast=forecast,
            comment=comment,
            comment_at=comment_at,
        )

    return _parse_rows(table, parse_row, lambda r: r.key, "samma uppdrag som rad")


_CENT = Decimal("0.01")


def _money(value: Any) -> Decimal:
    """A figure as stored (Numeric(16, 2)), so a re-import compares equal to what is stored."""
    number = parse_number(value).quantize(_CENT, rounding=ROUND_HALF_UP)
    if abs(number) >= 10**14:
        raise ValueError(f"för stort tal {value!r}")
    return number


def parse_finance(table: list[list[Any]]) -> list[FinanceRow]:
    cols = _map_header(table[0], FINANCE_COLUMNS)
    if errors := _missing_columns(cols, FINANCE_REQUIRED, FINANCE_COLUMNS):
        raise ImportRejected(errors)

    def parse_row(number: int, row: list[Any]) -> FinanceRow:
        problems: list[str] = []
        values: dict[str, Any] = {}
        for name, label, parse in (
            ("unit", "verksamhet", _text),
            ("period_end", "period", parse_due_date),
            ("budget_period", "budget period", _money),
            ("actual_period", "utfall period", _money),
            ("budget_year", "budget helår", _money),
            ("forecast_year", "prognos", _money),
        ):
            try:
                values[name] = parse(_required(row, cols, name, label))
            except ValueError as exc:
                problems.append(f"{label}: {exc}" if "saknas" not in str(exc) else str(exc))
        if "unit" in values and (
            problem := _too_long(values["unit"], Unit.__table__.c.name, "verksamhet")
        ):
            problems.append(problem)
        if problems:
            raise ValueError("; ".join(problems))
        return FinanceRow(row=number, comment=_text(_cell(row, cols.get("comment"))), **values)

    return _parse_rows(
        table, parse_row, lambda r: (normalize(r.unit), r.period_end),
        "samma enhet och period som rad",
    )


# --- writing ----------------------------------------------------------------------------


def import_file(engine: Engine, path: str | Path) -> ImportResult:
    table = read_table(path)
    if not table:
        raise ImportRejected([RowError(1, "filen är tom")])
    return import_table(engine, table)


def import_table(engine: Engine, table: list[list[Any]]) -> ImportResult:
    kind = detect_kind(table[0])
    if kind == "assignments":
        return write_assignments(engine, parse_assignments(table))
    if kind == "finance":
        return write_finance(engine, parse_finance(table))
    return write_aliases(engine, table)


def _resolve_units(session: Session, names: Iterable[str], result: ImportResult) -> dict[str, Unit]:
    index = unit_index(session)
    resolved: dict[str, Unit] = {}
    for name in names:
        if not name or name in resolved:
            continue
        before = len(index)
        resolved[name] = get_or_create_unit(session, name, index)
        if len(index) > before:
            result.units_created.append(resolved[name].name)
    return resolved


def write_assignments(engine: Engine, rows: list[AssignmentRow]) -> ImportResult:
    result = ImportResult(kind="uppdrag", rows=len(rows))
    now = datetime.now(UTC)
    with write_session(engine) as session:
        units = _resolve_units(
            session, [r.unit for r in rows] + [p for r in rows for p in r.participants], result
        )
        columns = (Assignment.id, Assignment.kind_key, Assignment.title_key, Assignment.kind,
                   Assignment.goal_area, Assignment.title, Assignment.unit_id,
                   Assignment.due_date, Assignment.status, Assignment.forecast,
                   Assignment.version)
        # Plain rows, not ORM objects: a 100 000-row re-import must stay cheap.
        existing = {(row.kind_key, row.title_key): row for row in session.execute(select(*columns))}
        new_rows: list[dict[str, Any]] = []
        changed: set[tuple[str, str]] = set()
        for r in rows:
            values = {
                "kind": r.kind,
                "goal_area": r.goal_area,
                "title": r.title,
                "unit_id": units[r.unit].id,
                "due_date": r.due_date,
                "status": r.status.value,
                "forecast": r.forecast.value,
            }
            current = existing.get(r.key)
            if current is None:
                new_rows.append(
                    {**values, "kind_key": r.key[0], "title_key": r.key[1], "version": 1,
                     "updated_at": now}
                )
                result.created += 1
            elif any(getattr(current, k) != v for k, v in values.items()):
                session.execute(
                    update(Assignment)
                    .where(Assignment.id == current.id)
                    .values(**values, version=current.version + 1, updated_at=now)
                )
                changed.add(r.key)
        if new_rows:
            session.execute(insert(Assignment), new_rows)
        ids = {
            (kind_key, title_key): id_
            for id_, kind_key, title_key in session.execute(
                select(Assignment.id, Assignment.kind_key, Assignment.title_key)
            )
        }
        known_comments = {
            (aid, normalize(text))
            for aid, text in session.execute(
                select(StatusComment.assignment_id, StatusComment.text)
            )
        }
        comments = []
        participants = []
        commented: list[int] = []  # existing, otherwise unchanged, with a new comment
        for r in rows:
            aid = ids[r.key]
            if r.comment and (aid, normalize(r.comment)) not in known_comments:
                known_comments.add((aid, normalize(r.comment)))
                comments.append(
                    {"assignment_id": aid, "text": r.comment, "author": IMPORT_AUTHOR,
                     "created_at": r.comment_at or now}
                )
                if r.key in existing and r.key not in changed:
                    commented.append(aid)
                    changed.add(r.key)
            participants.extend((aid, units[p].id) for p in r.participants)
        if comments:
            session.execute(insert(StatusComment), comments)
        if commented:  # a new comment is a change too: bump the version once
            session.execute(
                update(Assignment)
                .where(Assignment.id.in_(commented))
                .values(version=Assignment.version + 1, updated_at=now)
            )
        result.comments_added = len(comments)
        result.updated = len(changed)
        result.unchanged = result.rows - result.created - result.updated
        if participants:
            current = {
                tuple(row)  # Result.tuples() is deprecated in SQLAlchemy 2.1
                for row in session.execute(
                    select(AssignmentParticipant.assignment_id, AssignmentParticipant.unit_id)
                )
            }
            fresh = [
                {"assignment_id": a, "unit_id": u} for a, u in set(participants) - current
            ]
            if fresh:
                session.execute(insert(AssignmentParticipant), fresh)
    return result


def write_finance(engine: Engine, rows: list[FinanceRow]) -> ImportResult:
    result = ImportResult(kind="ekonomi", rows=len(rows))
    with write_session(engine) as session:
        units = _resolve_units(session, [r.unit for r in rows], result)
        existing = {
            (f.unit_id, f.period_end): f
            for f in session.execute(select(FinanceFollowUp)).scalars()
        }
        for r in rows:
            values = {
                "budget_period": r.budget_period,
                "actual_period": r.actual_period,
                "budget_year": r.budget_year,
                "forecast_year": r.forecast_year,
                "comment": r.comment,
            }
            unit_id = units[r.unit].id
            current = existing.get((unit_id, r.period_end))
            if current is None:
                session.add(FinanceFollowUp(unit_id=unit_id, period_end=r.period_end, **values))
                result.created += 1
            elif any(Decimal(getattr(current, k)) != v if isinstance(v, Decimal)
                     else getattr(current, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(current, k, v)
                result.updated += 1
            else:
                result.unchanged += 1
    return result


def write_aliases(engine: Engine, table: list[list[Any]]) -> ImportResult:
    cols = _map_header(table[0], ALIAS_COLUMNS)
    if errors := _missing_columns(cols, ("unit", "alias"), ALIAS_COLUMNS):
        raise ImportRejected(errors)
    result = ImportResult(kind="alias")
    errors: list[RowError] = []
    with write_session(engine) as session:
        for number, row in enumerate(table[1:], start=2):
            unit, alias = _cell(row, cols["unit"]), _cell(row, cols["alias"])
            if unit is None and alias is None:
                continue
            result.rows += 1
            if unit is None or alias is None:
                errors.append(RowError(number, "enhet och alias måste båda anges"))
                continue
            try:
                if add_alias(session, _text(unit), _text(alias)) is None:
                    result.unchanged += 1
                else:
                    result.created += 1
            except ValueError as exc:
                errors.append(RowError(number, str(exc)))
        if errors:
            session.rollback()
            raise ImportRejected(errors)
    return result
