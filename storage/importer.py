"""Import of follow-up exports (Stratsys, Hypergene, Excel, Kolada) into one organisation.

What a file holds is decided by its header row, against IMPORT_KINDS: each kind is a table
entry (its columns with their English and Swedish names, a duplicate key and a writer), so a
new kind of file is a new entry, not a new branch. A file is checked whole before anything
is written: one bad row rejects the file, with every bad row's number and reason. Importing
the same file again changes nothing. Imports into one organisation run one at a time.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select, text, update
from sqlmodel import Session

from storage.db import write_session
from storage.domain import (
    FIRST_YEAR,
    LAST_YEAR,
    Refused,
    normalize,
    parse_direction,
    parse_due_date,
    parse_forecast,
    parse_indicator_value,
    parse_judgement,
    parse_number,
    parse_polarity,
    parse_scenario,
    parse_status,
)
from storage.import_files import FileRefused, read_table
from storage.models import (
    Assignment,
    AssignmentParticipant,
    BudgetLine,
    FinanceFollowUp,
    Indicator,
    IndicatorValue,
    StatusComment,
    Unit,
)
from storage.organisations import bump_data_version
from storage.units import add_alias, get_or_create_unit, unit_index

IMPORT_AUTHOR = "import"
# Any constant: the advisory lock that serialises imports into one organisation.
IMPORT_LOCK_KEY = 0x494D50  # "IMP"


@dataclass(frozen=True)
class RowError:
    """Row 0 is the file as a whole, 1 the header row."""

    row: int
    code: str
    params: dict[str, Any] = field(default_factory=dict)


class ImportRejected(Exception):
    """The file was not imported; nothing was written."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e.row}: {e.code} {e.params}" for e in errors))


@dataclass
class ImportResult:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    comments_added: int = 0
    units_created: list[str] = field(default_factory=list)


# --- columns and kinds --------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    raw = str(value)
    return raw.strip() if "\n" in raw else " ".join(raw.split())


def _year(value: Any) -> int:
    if isinstance(value, Decimal | float) and math.isfinite(value) and value == int(value):
        value = int(value)  # an XLSX year cell formatted with decimals (2023 as "2023.0")
    try:
        year = int(str(value).strip())
    except ValueError:
        raise Refused("bad_year", value=str(value)[:20]) from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Refused("bad_year", value=str(value)[:20])
    return year


_CENT = Decimal("0.01")


def _money(value: Any) -> Decimal:
    """A figure as stored (Numeric(16, 2)), so a re-import compares equal to what is stored."""
    number = parse_number(value)
    if abs(number) >= 10**14:
        raise Refused("number_too_large", value=str(value)[:40])
    return number.quantize(_CENT, rounding=ROUND_HALF_UP)


def _indicator_number(value: Any) -> str:
    """Indicator values keep their printed precision: stored as decimal text, '' = none."""
    number = parse_indicator_value(value)
    if number is None:
        return ""
    if abs(number) >= 10**15 or len(str(number)) > 40:
        raise Refused("number_too_large", value=str(value)[:40])
    return str(number)


def _comment_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value
    if isinstance(value, date):
        return datetime.combine(value, time(), UTC)
    try:
        return datetime.combine(date.fromisoformat(str(value).strip()), time(), UTC)
    except ValueError:
        raise Refused("bad_comment_date", value=str(value)[:40]) from None


@dataclass(frozen=True)
class Column:
    name: str
    headers: tuple[str, ...]  # accepted spellings, normalised; the first is the documented one
    required: bool = False  # the column must be in the header
    cell_required: bool = False  # and every row must have a value
    parse: Callable[[Any], Any] = _text
    max_length: int | None = None  # of the text; longer is refused (PostgreSQL would be)
    default: Any = ""  # an empty cell


@dataclass(frozen=True)
class ImportKind:
    name: str  # result label: assignments, finance, budget, indicators, units, aliases
    columns: tuple[Column, ...]
    identified_by: tuple[str, ...]  # these columns all present = a file of this kind
    key: Callable[[dict[str, Any]], Hashable]  # two rows with one key = a duplicate
    write: Callable[[Session, int, list[dict[str, Any]], set[str], ImportResult], None]
    check: Callable[[dict[str, Any]], None] | None = None  # a whole row's own rules

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _map_header(header: list[Any], kind: ImportKind) -> dict[str, int]:
    names = [normalize(str(h)) if h is not None else "" for h in header]
    found: dict[str, int] = {}
    for column in kind.columns:
        for spelling in column.headers:
            if spelling in names and names.index(spelling) not in found.values():
                found[column.name] = names.index(spelling)
                break
    return found


def _cell(row: list[Any], index: int | None) -> Any:
    if index is None or index >= len(row):
        return None
    value = row[index]
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def parse_table(table: list[list[Any]], kind: ImportKind) -> tuple[list[dict[str, Any]],
                                                                   set[str]]:
    """Every data row parsed, or ImportRejected listing every bad row. Also returns the
    columns the file has: a column it lacks leaves stored values alone."""
    cols = _map_header(table[0], kind)
    missing = [c for c in kind.columns if c.required and c.name not in cols]
    if missing:
        raise ImportRejected([RowError(1, "missing_column", {"column": c.headers[0],
                                                              "alternative": c.headers[-1]})
                              for c in missing])
    errors: list[RowError] = []
    rows: list[dict[str, Any]] = []
    first_seen: dict[Hashable, int] = {}
    for number, raw in enumerate(table[1:], start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in raw):
            continue
        values: dict[str, Any] = {"_row": number}
        problems: list[RowError] = []
        for column in kind.columns:
            value = _cell(raw, cols.get(column.name))
            if value is None:
                if column.cell_required:
                    problems.append(RowError(number, "cell_missing",
                                             {"column": column.headers[0]}))
                values[column.name] = column.default
                continue
            try:
                parsed = column.parse(value)
            except Refused as refused:
                problems.append(RowError(number, refused.code,
                                         {"column": column.headers[0], **refused.params}))
                continue
            if column.max_length is not None and isinstance(parsed, str) and max(
                    len(parsed), len(normalize(parsed))) > column.max_length:
                problems.append(RowError(number, "too_long", {"column": column.headers[0],
                                                              "limit": column.max_length}))
                continue
            values[column.name] = parsed
        if not problems and kind.check is not None:
            try:
                kind.check(values)
            except Refused as refused:
                problems.append(RowError(number, refused.code, refused.params))
        if problems:
            errors.extend(problems)
            continue
        key = kind.key(values)
        if key in first_seen:
            errors.append(RowError(number, "duplicate_row", {"first": first_seen[key]}))
            continue
        first_seen[key] = number
        rows.append(values)
    if errors:
        raise ImportRejected(errors)
    if not rows:
        raise ImportRejected([RowError(2, "no_rows")])
    return rows, set(cols)


# --- writers ------------------------------------------------------------------------------


def _units(s: Session, org: int, names: Iterable[str], result: ImportResult) -> dict[str, Unit]:
    """Units by the names a file gives; unknown ones are created (and reported)."""
    index = unit_index(s, org)
    resolved: dict[str, Unit] = {}
    for name in names:
        if not name or name in resolved:
            continue
        before = len(index)
        resolved[name] = get_or_create_unit(s, org, name, index)
        if len(index) > before:
            result.units_created.append(resolved[name].name)
    return resolved


def _participants(value: str) -> list[str]:
    return [p.strip() for p in value.replace(",", ";").split(";") if p.strip()]


def _write_assignments(s: Session, org: int, rows: list[dict[str, Any]], present: set[str],
                       result: ImportResult) -> None:
    now = datetime.now(UTC)
    units = _units(s, org, [r["unit"] for r in rows]
                   + [p for r in rows for p in _participants(r["participants"])], result)
    columns = (Assignment.id, Assignment.number, Assignment.kind_key, Assignment.title_key,
               Assignment.kind, Assignment.goal_area, Assignment.title, Assignment.description,
               Assignment.responsible, Assignment.reporting, Assignment.unit_id,
               Assignment.due_date, Assignment.status, Assignment.forecast, Assignment.version)
    # Plain rows, not ORM objects: a 100 000-row re-import must stay cheap.
    existing = {(r.kind_key, r.title_key): r for r in s.execute(
        select(*columns).where(Assignment.organisation_id == org))}
    next_number = (s.execute(select(func.max(Assignment.number))
                             .where(Assignment.organisation_id == org)).scalar() or 0) + 1
    optional = [c for c in ("goal_area", "description", "responsible", "reporting")
                if c in present]
    new_rows: list[dict[str, Any]] = []
    changed: set[tuple[str, str]] = set()
    for r in rows:
        key = (normalize(r["kind"]), normalize(r["title"]))
        values = {"kind": r["kind"], "title": r["title"], "unit_id": units[r["unit"]].id,
                  "due_date": r["due_date"], "status": r["status"].value,
                  "forecast": r["forecast"].value, **{c: r[c] for c in optional}}
        current = existing.get(key)
        if current is None:
            new_rows.append({"goal_area": "", "description": "", "responsible": "",
                             "reporting": "", **values, "organisation_id": org,
                             "number": next_number, "kind_key": key[0], "title_key": key[1],
                             "version": 1, "updated_at": now})
            next_number += 1
            result.created += 1
        elif any(getattr(current, k) != v for k, v in values.items()):
            s.execute(update(Assignment).where(Assignment.id == current.id)
                      .values(**values, version=current.version + 1, updated_at=now))
            changed.add(key)
    if new_rows:
        s.execute(insert(Assignment), new_rows)
    ids = {(k, t): i for i, k, t in s.execute(
        select(Assignment.id, Assignment.kind_key, Assignment.title_key)
        .where(Assignment.organisation_id == org))}
    known_comments = {(aid, normalize(body)) for aid, body in s.execute(
        select(StatusComment.assignment_id, StatusComment.text)
        .where(StatusComment.organisation_id == org))}
    comments: list[dict[str, Any]] = []
    participants: set[tuple[int, int]] = set()
    commented: list[int] = []  # existing, otherwise unchanged, with a new comment
    for r in rows:
        key = (normalize(r["kind"]), normalize(r["title"]))
        aid = ids[key]
        if r["comment"] and (aid, normalize(r["comment"])) not in known_comments:
            known_comments.add((aid, normalize(r["comment"])))
            comments.append({"organisation_id": org, "assignment_id": aid,
                             "text": r["comment"], "author": IMPORT_AUTHOR,
                             "created_at": r["comment_date"] or now})
            if key in existing and key not in changed:
                commented.append(aid)
                changed.add(key)
        participants.update((aid, units[p].id) for p in _participants(r["participants"]))
    if comments:
        s.execute(insert(StatusComment), comments)
    if commented:  # a new comment is a change too: bump the version once
        s.execute(update(Assignment).where(Assignment.id.in_(commented))
                  .values(version=Assignment.version + 1, updated_at=now))
    result.comments_added = len(comments)
    result.updated = len(changed)
    result.unchanged = result.rows - result.created - result.updated
    if participants:
        current_pairs = {tuple(p) for p in s.execute(
            select(AssignmentParticipant.assignment_id, AssignmentParticipant.unit_id)
            .where(AssignmentParticipant.organisation_id == org))}
        fresh = [{"organisation_id": org, "assignment_id": a, "unit_id": u}
                 for a, u in participants - current_pairs]
        if fresh:
            s.execute(insert(AssignmentParticipant), fresh)


_FINANCE_FIGURES = ("budget_period", "actual_period", "budget_year", "forecast_year")


def _write_finance(s: Session, org: int, rows: list[dict[str, Any]], present: set[str],
                   result: ImportResult) -> None:
    units = _units(s, org, [r["unit"] for r in rows], result)
    existing = {(f.unit_id, f.period_end): f for f in s.execute(
        select(FinanceFollowUp).where(FinanceFollowUp.organisation_id == org)).scalars()}
    for r in rows:
        values = {k: r[k] for k in (*_FINANCE_FIGURES, "comment")}
        unit_id = units[r["unit"]].id
        current = existing.get((unit_id, r["period_end"]))
        if current is None:
            s.add(FinanceFollowUp(organisation_id=org, unit_id=unit_id,
                                  period_end=r["period_end"], **values))
            result.created += 1
        elif any((Decimal(getattr(current, k)) if k in _FINANCE_FIGURES
                  else getattr(current, k)) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(current, k, v)
            result.updated += 1
        else:
            result.unchanged += 1


def _write_budget(s: Session, org: int, rows: list[dict[str, Any]], present: set[str],
                  result: ImportResult) -> None:
    units = _units(s, org, [r["unit"] for r in rows], result)
    existing = {(b.unit_id, b.line_key, b.year, b.scenario): b for b in s.execute(
        select(BudgetLine).where(BudgetLine.organisation_id == org)).scalars()}
    positions: dict[tuple[int, str], int] = {}
    for r in rows:
        unit_id = units[r["unit"]].id
        line_key = normalize(r["line"])
        position = positions.setdefault((unit_id, line_key), sum(
            1 for u, _ in positions if u == unit_id))
        values = {"line": r["line"], "position": position, "amount": r["amount"],
                  "note": r["note"]}
        current = existing.get((unit_id, line_key, r["year"], r["scenario"].value))
        if current is None:
            s.add(BudgetLine(organisation_id=org, unit_id=unit_id, line_key=line_key,
                             year=r["year"], scenario=r["scenario"].value, **values))
            result.created += 1
        elif any(getattr(current, k) != v if k != "amount" else
                 (None if current.amount is None else Decimal(current.amount)) != v
                 for k, v in values.items()):
            for k, v in values.items():
                setattr(current, k, v)
            result.updated += 1
        else:
            result.unchanged += 1


_INDICATOR_PROPERTIES = ("goal", "measure", "polarity", "source_id", "comparison_group")
_VALUE_FIELDS = ("total", "women", "men", "target", "comparison", "trend", "direction")
# Import column → IndicatorValue field.
_VALUE_COLUMNS = {"value": "total", "women": "women", "men": "men", "target": "target",
                  "comparison": "comparison", "trend": "trend", "forecast": "direction"}


def _write_indicators(s: Session, org: int, rows: list[dict[str, Any]], present: set[str],
                      result: ImportResult) -> None:
    """Counts per row (indicator and year): a new year's values, changed ones, unchanged.
    An indicator named by its Kolada id only (Kolada's JSON) is the organisation's indicator
    with that id, created when there is none."""
    units = _units(s, org, [r["unit"] for r in rows if r["unit"]], result)
    indicators = {i.name_key: i for i in s.execute(
        select(Indicator).where(Indicator.organisation_id == org)).scalars()}
    by_source = {i.source_id: i for i in indicators.values() if i.source_id}
    values = {(v.indicator_id, v.year): v for v in s.execute(
        select(IndicatorValue).where(IndicatorValue.organisation_id == org)).scalars()}
    for r in rows:
        indicator = (indicators.get(normalize(r["indicator"])) if r["indicator"]
                     else by_source.get(r["source_id"]))
        properties_changed = False
        is_new = indicator is None
        if indicator is None:
            name = r["indicator"] or f"Kolada {r['source_id']}"
            indicator = Indicator(organisation_id=org, name=name, name_key=normalize(name))
            s.add(indicator)
            s.flush()
            indicators[indicator.name_key] = indicator
        wanted = {k: (r[k].value if hasattr(r[k], "value") else r[k])
                  for k in _INDICATOR_PROPERTIES if k in present and r[k] != ""}
        if "unit" in present and r["unit"]:
            wanted["unit_id"] = units[r["unit"]].id
        for k, v in wanted.items():
            if getattr(indicator, k) != v:
                setattr(indicator, k, v)
                properties_changed = True
        if indicator.source_id:
            by_source[indicator.source_id] = indicator
        row_values = {name: (r[col].value if hasattr(r[col], "value") else r[col])
                      for col, name in _VALUE_COLUMNS.items() if col in present}
        if r["year"] is None:
            if any(row_values.values()):
                raise ImportRejected([RowError(r["_row"], "cell_missing", {"column": "year"})])
            if is_new:
                result.created += 1
            elif properties_changed:
                result.updated += 1
            else:
                result.unchanged += 1
            continue
        key = (indicator.id, r["year"])
        current = values.get(key)  # type: ignore[arg-type]
        if current is None:
            values[key] = IndicatorValue(  # type: ignore[index]
                organisation_id=org, indicator_id=indicator.id, year=r["year"],
                **{**dict.fromkeys(_VALUE_FIELDS, ""), **row_values})
            s.add(values[key])  # type: ignore[index]
            result.created += 1
        elif any(getattr(current, k) != v for k, v in row_values.items()):
            for k, v in row_values.items():
                setattr(current, k, v)
            current.updated_at = datetime.now(UTC)
            result.updated += 1
        elif properties_changed:
            result.updated += 1
        else:
            result.unchanged += 1


def _write_units(s: Session, org: int, rows: list[dict[str, Any]], present: set[str],
                 result: ImportResult) -> None:
    units = _units(s, org, [r["unit"] for r in rows] + [r["parent"] for r in rows], result)
    result.created = len(result.units_created)
    for r in rows:
        unit = units[r["unit"]]
        wanted: dict[str, Any] = {}
        if "parent" in present:
            wanted["parent_id"] = units[r["parent"]].id if r["parent"] else None
        if "responsible" in present:
            wanted["responsible"] = r["responsible"]
        if unit.name in result.units_created:
            pass
        elif any(getattr(unit, k) != v for k, v in wanted.items()):
            result.updated += 1
        else:
            result.unchanged += 1
        for k, v in wanted.items():
            setattr(unit, k, v)
        s.add(unit)
    s.flush()


def _write_aliases(s: Session, org: int, rows: list[dict[str, Any]], present: set[str],
                   result: ImportResult) -> None:
    errors: list[RowError] = []
    for r in rows:
        try:
            if add_alias(s, org, r["unit"], r["alias"]) is None:
                result.unchanged += 1
            else:
                result.created += 1
        except Refused as refused:
            errors.append(RowError(r["_row"], refused.code, refused.params))
    if errors:
        raise ImportRejected(errors)


def _check_parent(row: dict[str, Any]) -> None:
    if row["parent"] and normalize(row["parent"]) == normalize(row["unit"]):
        raise Refused("own_parent", unit=row["unit"])


def _check_indicator(row: dict[str, Any]) -> None:
    if not row["indicator"] and not row["source_id"]:
        raise Refused("indicator_name_missing")
    if row["year"] is None and any(row[c] for c in _VALUE_COLUMNS):
        raise Refused("cell_missing", column="year")  # values need the year they are for


def _check_assignment(row: dict[str, Any]) -> None:
    for name in _participants(row["participants"]):
        if max(len(name), len(normalize(name))) > _NAME:
            raise Refused("too_long", column="participants", limit=_NAME)


_NAME = 200
_TITLE = 1000
IMPORT_KINDS: tuple[ImportKind, ...] = (
    ImportKind(
        name="indicators",
        columns=(
            Column("indicator", ("indicator", "nyckeltal", "indikator", "kpi"),
                   max_length=_TITLE),
            Column("unit", ("unit", "ansvarig", "ansvarig enhet", "enhet"), max_length=_NAME),
            Column("goal", ("goal", "mål", "målområde"), max_length=500),
            Column("measure", ("measure", "mått", "enhet för mått"), max_length=100),
            Column("polarity", ("polarity", "riktning"), parse=parse_polarity, default=""),
            Column("source_id", ("source_id", "kolada-id", "kolada id", "kolada"),
                   max_length=50),
            Column("comparison_group", ("comparison_group", "jämförelsegrupp"),
                   max_length=200),
            # An empty year: the row names an indicator that has no value yet.
            Column("year", ("year", "år"), required=True, parse=_year, default=None),
            Column("value", ("value", "värde", "nuvärde"), parse=_indicator_number),
            Column("women", ("women", "kvinnor"), parse=_indicator_number),
            Column("men", ("men", "män"), parse=_indicator_number),
            Column("target", ("target", "målvärde"), parse=_indicator_number),
            Column("comparison", ("comparison", "jämförvärde"), parse=_indicator_number),
            Column("trend", ("trend",), parse=lambda v: parse_judgement(_text(v)),
                   default=""),
            Column("forecast", ("forecast", "prognos"), parse=lambda v: parse_direction(
                _text(v)), default=""),
        ),
        identified_by=("year",),  # with an indicator or a Kolada id column: see _detect
        key=lambda r: (normalize(r["indicator"]) or r["source_id"], r["year"]),
        write=_write_indicators,
        check=_check_indicator,
    ),
    ImportKind(
        name="budget",
        columns=(
            Column("unit", ("unit", "enhet", "verksamhet", "ansvarsområde"), required=True,
                   cell_required=True, max_length=_NAME),
            Column("line", ("line", "rad", "post"), required=True, cell_required=True,
                   max_length=200),
            Column("year", ("year", "år"), required=True, cell_required=True, parse=_year),
            Column("scenario", ("scenario", "typ"), required=True, cell_required=True,
                   parse=lambda v: parse_scenario(_text(v))),
            Column("amount", ("amount", "belopp"), required=True, parse=_money, default=None),
            Column("note", ("note", "anmärkning"), max_length=200),
        ),
        identified_by=("line", "amount"),
        key=lambda r: (normalize(r["unit"]), normalize(r["line"]), r["year"], r["scenario"]),
        write=_write_budget,
    ),
    ImportKind(
        name="assignments",
        columns=(
            Column("kind", ("kind", "typ", "type", "uppdrag/nämndinitiativ", "uppdragstyp"),
                   required=True, cell_required=True, max_length=100),
            Column("goal_area", ("goal_area", "goal area", "målområde"), max_length=300),
            Column("title", ("title", "titel", "rubrik"), required=True, cell_required=True,
                   max_length=_TITLE),
            Column("description", ("description", "beskrivning", "åtgärdsplan")),
            Column("unit", ("unit", "ansvarig avdelning", "ansvarig enhet", "ansvarig",
                            "mottagare"), required=True, cell_required=True, max_length=_NAME),
            Column("participants", ("participating_units", "participants",
                                    "deltagande avdelningar")),
            Column("responsible", ("responsible", "ansvarig person", "ansvarsperson"),
                   max_length=300),
            Column("due_date", ("due_date", "due date", "slutdatum"), required=True,
                   parse=parse_due_date, default=None),
            Column("status", ("status",), required=True, cell_required=True,
                   parse=lambda v: parse_status(str(v))),
            Column("forecast", ("forecast", "prognos för slutförande", "prognos"),
                   required=True, parse=lambda v: parse_forecast(str(v)),
                   default=parse_forecast(None)),
            Column("reporting", ("reporting", "återrapportering"), max_length=500),
            Column("comment", ("comment", "senaste kommentar", "kommentar")),
            Column("comment_date", ("comment_date", "kommentarsdatum"), parse=_comment_time,
                   default=None),
        ),
        identified_by=("title",),
        key=lambda r: (normalize(r["kind"]), normalize(r["title"])),
        write=_write_assignments,
        check=_check_assignment,
    ),
    ImportKind(
        name="finance",
        columns=(
            Column("unit", ("unit", "verksamhet", "enhet", "avdelning"), required=True,
                   cell_required=True, max_length=_NAME),
            Column("period_end", ("period_end", "period"), required=True, cell_required=True,
                   parse=parse_due_date),
            *(Column(name, spellings, required=True, cell_required=True, parse=_money)
              for name, spellings in (
                  ("budget_period", ("budget_period", "budget period")),
                  ("actual_period", ("actual_period", "utfall period")),
                  ("budget_year", ("budget_year", "budget helår")),
                  ("forecast_year", ("forecast_year", "prognos", "prognos helår")))),
            Column("comment", ("comment", "kommentar")),
        ),
        identified_by=("budget_year",),
        key=lambda r: (normalize(r["unit"]), r["period_end"]),
        write=_write_finance,
    ),
    ImportKind(
        name="aliases",
        columns=(
            Column("unit", ("unit", "enhet", "avdelning", "verksamhet"), required=True,
                   cell_required=True, max_length=_NAME),
            Column("alias", ("alias", "alias_name", "alternativt namn"), required=True,
                   cell_required=True, max_length=_NAME),
        ),
        identified_by=("alias",),
        key=lambda r: normalize(r["alias"]),
        write=_write_aliases,
    ),
    ImportKind(
        name="units",
        columns=(
            Column("unit", ("unit", "enhet"), required=True, cell_required=True,
                   max_length=_NAME),
            Column("parent", ("parent", "överordnad"), max_length=_NAME),
            Column("responsible", ("responsible", "ansvarsperson", "ansvarig person"),
                   max_length=300),
        ),
        identified_by=("unit", "parent"),
        key=lambda r: normalize(r["unit"]),
        write=_write_units,
        check=_check_parent,
    ),
)


def detect_kind(header: list[Any]) -> ImportKind:
    """The kind of file a header row belongs to; indicators first (their files also have
    unit and goal columns), then the first kind whose identifying columns are all there."""
    names = {normalize(str(h)) for h in header if h is not None}
    indicators = IMPORT_KINDS[0]
    if names & set(indicators.column("indicator").headers + indicators.column(
            "source_id").headers) and names & set(indicators.column("year").headers):
        return indicators
    for kind in IMPORT_KINDS[1:]:
        cols = _map_header(header, kind)
        if all(name in cols for name in kind.identified_by):
            return kind
    raise ImportRejected([RowError(1, "unknown_header")])


# --- Kolada's JSON ------------------------------------------------------------------------

_GENDERS = {"T": "value", "K": "women", "M": "men", "F": "men"}


def kolada_table(document: Any) -> list[list[Any]]:
    """Kolada's data response ({"values": [{"kpi", "municipality", "period", "values":
    [{"gender": "T|K|M", "value"}]}]}) as an indicator table: source_id, year, value, women,
    men. A null value is missing."""
    if not isinstance(document, dict) or not isinstance(document.get("values"), list):
        raise ImportRejected([RowError(0, "not_kolada")])
    table: list[list[Any]] = [["source_id", "year", "value", "women", "men"]]
    for entry in document["values"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("values"), list):
            raise ImportRejected([RowError(0, "not_kolada")])
        cells = {"value": None, "women": None, "men": None}
        for v in entry["values"]:
            if isinstance(v, dict) and v.get("gender") in _GENDERS:
                value = v.get("value")
                if isinstance(value, float) and value.is_integer():
                    value = int(value)  # Kolada sends 63.0 for a printed 63
                if value is not None and not isinstance(value, int | float) or isinstance(
                        value, bool):
                    raise ImportRejected([RowError(0, "not_kolada")])
                cells[_GENDERS[v["gender"]]] = value
        table.append([str(entry.get("kpi") or ""), str(entry.get("period") or ""),
                      cells["value"], cells["women"], cells["men"]])
    return table


# --- entry points -------------------------------------------------------------------------


def read_file(path: str | Path) -> list[list[Any]]:
    path = Path(path)
    try:
        if path.suffix.lower() == ".json":
            if not path.is_file():
                raise FileRefused("file_missing", path=str(path))
            if path.stat().st_size > 50 * 2**20:
                raise FileRefused("file_too_large", limit_mb=50)
            try:
                document = json.loads(path.read_bytes())
            except (ValueError, RecursionError):
                raise FileRefused("bad_json") from None
            return kolada_table(document)
        return read_table(path)
    except FileRefused as refused:
        raise ImportRejected([RowError(refused.row, refused.code, refused.params)]) from None


def import_file(engine: Engine, organisation_id: int, path: str | Path) -> ImportResult:
    table = read_file(path)
    if not table:
        raise ImportRejected([RowError(1, "empty_file")])
    return import_table(engine, organisation_id, table)


def import_table(engine: Engine, organisation_id: int, table: list[list[Any]]) -> ImportResult:
    kind = detect_kind(table[0])
    rows, present = parse_table(table, kind)
    result = ImportResult(kind=kind.name, rows=len(rows))
    with write_session(engine, organisation_id) as s:
        if engine.dialect.name == "postgresql":
            # One import at a time per organisation: two at once would both read the
            # history before either wrote its new comments (SQLite: BEGIN IMMEDIATE).
            s.execute(text("SELECT pg_advisory_xact_lock(:k, :o)"),
                      {"k": IMPORT_LOCK_KEY, "o": organisation_id})
        kind.write(s, organisation_id, rows, present, result)
        bump_data_version(s, organisation_id)
    return result
