"""Status updates from chat: validated, authorised, replay-safe, appended to the history.

Nothing is overwritten: every update adds a StatusComment with its author, time and the
values it changed. Concurrent updates of one assignment are serialised by a row lock
(PostgreSQL) or the write lock (SQLite); every comment is kept and the later status wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from storage.db import session, write_session
from storage.domain import Forecast, Status, parse_due_date
from storage.models import Assignment, ProcessedActivity, StatusComment, Unit
from storage.organisations import bump_answer_version
from storage.queries import AssignmentView, get_assignment
from storage.roles import Principal, may_update, unit_managers

MAX_COMMENT_CHARS = 4000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class Refusal(StrEnum):
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"
    REPLAYED = "replayed"


class UpdateRefused(Exception):
    """Nothing was written. `field` names the bad input for INVALID."""

    def __init__(self, refusal: Refusal, detail: str = "", field: str = "",
                 managers: list[str] | None = None, unit: str = "") -> None:
        super().__init__(f"{refusal}: {detail or field}")
        self.refusal = refusal
        self.detail = detail
        self.field = field
        self.managers = managers or []
        self.unit = unit


@dataclass(frozen=True)
class UpdateRequest:
    organisation_id: int
    number: int  # the assignment's number in the organisation
    seen_version: int | None
    status: Status
    forecast: Forecast
    due_date: date | None  # None = keep the current due date
    comment: str
    author: Principal
    activity_key: str = ""  # channel:conversation:activity id; "" = no replay guard


@dataclass
class UpdateResult:
    assignment: AssignmentView
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (field, old, new)
    stale: bool = False  # the card the author saw was older than the assignment
    changed_meanwhile_by: str = ""


def parse_submission(organisation_id: int, data: Any, author: Principal,
                     activity_key: str = "") -> UpdateRequest:
    """The inputs of an update card, as a client sends them (`assignment_id` is the
    assignment's number in the organisation). Raises UpdateRefused(INVALID)."""
    if not isinstance(data, dict):
        raise UpdateRefused(Refusal.INVALID, field="data")

    def integer(name: str, required: bool) -> int | None:
        value = data.get(name)
        if value in (None, "") and not required:
            return None
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise UpdateRefused(Refusal.INVALID, field=name)
        try:
            number = int(value)
        except ValueError:
            raise UpdateRefused(Refusal.INVALID, field=name) from None
        if not 0 < number < 2**31:
            raise UpdateRefused(Refusal.INVALID, field=name)
        return number

    assignment_id = integer("assignment_id", required=True)
    version = integer("version", required=False)
    try:
        status = Status(str(data.get("status", "")))
    except ValueError:
        raise UpdateRefused(Refusal.INVALID, field="status") from None
    try:
        forecast = Forecast(str(data.get("forecast", "")))
    except ValueError:
        raise UpdateRefused(Refusal.INVALID, field="forecast") from None
    due_raw = data.get("due_date") or ""
    due = None
    if due_raw:
        if not isinstance(due_raw, str):
            raise UpdateRefused(Refusal.INVALID, field="due_date")
        try:
            due = parse_due_date(due_raw)
        except ValueError:
            raise UpdateRefused(Refusal.INVALID, field="due_date") from None
    comment = data.get("comment") or ""
    if not isinstance(comment, str):
        raise UpdateRefused(Refusal.INVALID, field="comment")
    # Control characters (but line breaks and tabs) are never meant, and PostgreSQL cannot
    # store a NUL: dropped, on both databases alike.
    comment = _CONTROL.sub("", comment).strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise UpdateRefused(Refusal.INVALID, field="comment_length")
    if forecast is Forecast.DEVIATION and not comment:
        # The reports explain every deviation; so must the update.
        raise UpdateRefused(Refusal.INVALID, field="comment_required")
    assert assignment_id is not None
    return UpdateRequest(organisation_id, assignment_id, version, status, forecast, due,
                         comment, author, activity_key)


def apply_update(engine: Engine, request: UpdateRequest) -> UpdateResult:
    now = datetime.now(UTC)
    org = request.organisation_id
    with write_session(engine, org) as s:
        if request.activity_key:
            # Claimed first, in the same transaction: a retried activity finds it and stops.
            if s.get(ProcessedActivity, request.activity_key) is not None:
                raise UpdateRefused(Refusal.REPLAYED)
            s.add(ProcessedActivity(key=request.activity_key, processed_at=now))
            try:
                s.flush()
            except IntegrityError:
                raise UpdateRefused(Refusal.REPLAYED) from None
        row = s.execute(
            select(Assignment).where(Assignment.organisation_id == org,
                                     Assignment.number == request.number).with_for_update()
        ).scalar_one_or_none()
        if row is None:  # also another organisation's number: refused like an unknown one
            raise UpdateRefused(Refusal.NOT_FOUND)
        if not may_update(s, org, request.author.user_id, row.unit_id):
            unit = s.get(Unit, row.unit_id)
            managers = [m.user_name or m.user_id for m in unit_managers(s, org, row.unit_id)]
            raise UpdateRefused(Refusal.NOT_ALLOWED, managers=managers,
                                unit=unit.name if unit else "")
        stale = request.seen_version is not None and request.seen_version != row.version
        changed_by = ""
        if stale:
            last = s.execute(
                select(StatusComment.author)
                .where(StatusComment.assignment_id == row.id, StatusComment.author_id != "")
                .order_by(StatusComment.created_at.desc(), StatusComment.id.desc())
                .limit(1)
            ).scalar_one_or_none()
            changed_by = last or ""
        changes: list[tuple[str, str, str]] = []
        for name, new in (("status", request.status.value),
                          ("forecast", request.forecast.value)):
            if getattr(row, name) != new:
                changes.append((name, getattr(row, name), new))
                setattr(row, name, new)
        if request.due_date is not None and request.due_date != row.due_date:
            changes.append(("due_date", row.due_date.isoformat() if row.due_date else "",
                            request.due_date.isoformat()))
            row.due_date = request.due_date
        row.version += 1
        row.updated_at = now
        bump_answer_version(s, org)  # every instance's cached answers are stale now
        s.add(
            StatusComment(
                organisation_id=org,
                assignment_id=row.id,
                text=request.comment,
                author=(request.author.user_name or request.author.user_id)[:300],
                author_id=request.author.user_id,
                changes="; ".join(f"{n}: {old or '–'} → {new}" for n, old, new in changes),
                created_at=now,
            )
        )
    with session(engine, org) as s:
        view = get_assignment(s, org, request.number)
    assert view is not None
    return UpdateResult(view, changes, stale, changed_by)
