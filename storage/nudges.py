"""Deadline nudges as plain functions: subscriptions, what is due for whom on a day, personal
reminder preferences and the exactly-once record of what was sent.

No Bot Framework here; bot/scheduler.py runs a pass with these and bot/proactive.py sends.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from storage.db import session as open_session
from storage.domain import Status, normalize
from storage.models import (
    Assignment,
    ConversationRef,
    ReminderPreference,
    Role,
    SentNudge,
    StatusComment,
    Subscription,
    Unit,
)
from storage.queries import (
    AssignmentView,
    assignment_views,
    assignments_with_unit,
    plain_rows,
)
from storage.units import resolve_unit

DEFAULT_LEAD_DAYS = 7
DEFAULT_LONG_LEAD_DAYS = 28
# "Runs a quarter or longer": at least this many days from first sign of life to due date.
LONG_SPAN_DAYS = 90
DEFAULT_STALE_COMMENT_DAYS = 30
# A personal reminder names an assignment again at most once a week.
REMIND_AGAIN_DAYS = 7
SNOOZE_DAYS = 7
# A claim older than this that never became "sent" is taken to be from a crashed pass.
STALE_CLAIM = timedelta(minutes=10)
MAX_LEAD_DAYS = 365

DIGEST = "digest"
REMINDER = "reminder"

DAILY = "daily"
WEEKLY = "weekly"
QUARTER_ENDS = {(3, 31), (6, 30), (9, 30), (12, 31)}

WEEKDAYS: dict[str, int] = {
    "måndag": 0, "mandag": 0, "monday": 0, "mon": 0, "mån": 0,
    "tisdag": 1, "tuesday": 1, "tue": 1, "tis": 1,
    "onsdag": 2, "wednesday": 2, "wed": 2, "ons": 2,
    "torsdag": 3, "thursday": 3, "thu": 3, "tors": 3,
    "fredag": 4, "friday": 4, "fri": 4, "fre": 4,
    "lördag": 5, "lordag": 5, "saturday": 5, "sat": 5,
    "söndag": 6, "sondag": 6, "sunday": 6, "sun": 6,
}
WEEKDAY_NAMES = {
    "sv": ["måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}


# --- clock ------------------------------------------------------------------------------------


def local_now(timezone: str = "Europe/Stockholm", fixed_today: str = "") -> datetime:
    """The office's wall clock; LAGET_TODAY replaces the date but keeps the time of day."""
    now = datetime.now(ZoneInfo(timezone))
    if fixed_today:
        fixed = date.fromisoformat(fixed_today)
        now = now.replace(year=fixed.year, month=fixed.month, day=fixed.day)
    return now


def parse_time_of_day(text: str) -> str:
    """'8', '8:30', '08.30', '0830' → 'HH:MM'; ValueError otherwise."""
    m = re.fullmatch(r"(\d{1,2})(?:[:.]?(\d{2}))?", text.strip())
    if not m or int(m[1]) > 23 or int(m[2] or 0) > 59:
        raise ValueError(f"ogiltig tid {text!r} (t.ex. 08:00)")
    return f"{int(m[1]):02d}:{int(m[2] or 0):02d}"


def _clock_time(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def is_scheduled(frequency: str, weekday: int, time_of_day: str, now: datetime) -> bool:
    """Due at or after its time today: daily = Monday to Friday, weekly = on its weekday."""
    day_ok = now.weekday() < 5 if frequency == DAILY else now.weekday() == weekday
    return day_ok and now.time() >= _clock_time(time_of_day)


# --- subscribe options ------------------------------------------------------------------------


@dataclass(frozen=True)
class SubscriptionOptions:
    unit_words: list[str] = field(default_factory=list)  # as typed; empty = all units
    lead_days: int = DEFAULT_LEAD_DAYS
    long_lead_days: int = DEFAULT_LONG_LEAD_DAYS
    frequency: str = DAILY
    weekday: int = 0
    time_of_day: str = "08:00"


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.UNICODE)


_DAY_NAMES = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_TIME = _rx(r"\b(?:kl\.?|klockan|at|@)\s*(\d{1,2}(?:[:.]\d{2})?)\b|\b(\d{1,2}[:.]\d{2})\b")
_LONG_LEAD = _rx(r"\b(?:långa|langa|long)\s*(?:ledtid|lead)?\s*(\d{1,3})\s*(?:dagar|dag|days?)?")
_LEAD = _rx(r"\b(?:(?:ledtid|lead(?:\s+time)?|inom|within|förvarning)\s*)?(\d{1,3})\s*"
            r"(?:dagar|dag|days?|d)\b(?:\s+(?:innan|före|i förväg|before|ahead))?")
_WEEKLY_DAY = _rx(rf"\b(?:(?:varje|every|on|på|om)\s+)?({_DAY_NAMES})(?:ar|s|en)?\b")
_WEEKLY = _rx(r"\b(?:veckovis|varje vecka|en gång i veckan|weekly|every week|once a week)\b")
_DAILY = _rx(r"\b(?:dagligen|varje dag|vardagar|varje vardag|daily|every day|weekdays|"
             r"every weekday)\b")
_UNIT_FILLER = {"för", "for", "enhet", "enheten", "enheterna", "unit", "units", "till", "to",
                "på", "on", "om", "nudges", "påminnelser", "alla", "all", "kl", "at",
                "enheter", "avdelningar"}
_SPLIT = _rx(r"\s*(?:,|;|\s&\s|\s\+\s)\s*")
_AND = _rx(r"\s+(?:och|and)\s+")


def parse_subscription(text: str) -> SubscriptionOptions:
    """'IT, Stab veckovis fredag kl 9 14 dagar' → options; ValueError with a reason for
    values out of range. What is left names the units."""
    rest = " " + " ".join(text.split()) + " "
    values: dict[str, object] = {}
    if m := _TIME.search(rest):
        values["time_of_day"] = parse_time_of_day(m[1] or m[2])
        rest = rest[: m.start()] + " " + rest[m.end():]
    if m := _LONG_LEAD.search(rest):
        values["long_lead_days"] = int(m[1])
        rest = rest[: m.start()] + " " + rest[m.end():]
    if m := _LEAD.search(rest):
        values["lead_days"] = int(m[1])
        rest = rest[: m.start()] + " " + rest[m.end():]
    if m := _WEEKLY_DAY.search(rest):
        values["frequency"] = WEEKLY
        values["weekday"] = WEEKDAYS[normalize(m[1])]
        rest = rest[: m.start()] + " " + rest[m.end():]
    if m := _WEEKLY.search(rest):
        values["frequency"] = WEEKLY
        rest = rest[: m.start()] + " " + rest[m.end():]
    if m := _DAILY.search(rest):
        if values.get("frequency") == WEEKLY:
            raise ValueError("välj antingen dagligen eller veckovis")
        values["frequency"] = DAILY
        rest = rest[: m.start()] + " " + rest[m.end():]
    for key in ("lead_days", "long_lead_days"):
        days = values.get(key)
        if isinstance(days, int) and not 1 <= days <= MAX_LEAD_DAYS:
            raise ValueError(f"ledtiden måste vara 1–{MAX_LEAD_DAYS} dagar")
    lead = int(values.get("lead_days", DEFAULT_LEAD_DAYS))  # type: ignore[call-overload]
    if "long_lead_days" not in values:
        values["long_lead_days"] = max(DEFAULT_LONG_LEAD_DAYS, lead)
    words = [w for w in rest.split() if normalize(w) not in _UNIT_FILLER]
    unit_text = " ".join(words).strip(" .,;:!?")
    parts = [p for p in _SPLIT.split(unit_text) if p.strip()] if unit_text else []
    return SubscriptionOptions(unit_words=parts, **values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class UnitResolution:
    units: list[Unit]
    unknown: list[str]
    suggestions: list[str]


def resolve_units(session: Session, parts: list[str]) -> UnitResolution:
    """Each comma-separated part is a unit; a part that isn't one is tried as 'A och B'
    (a unit may itself contain 'och': 'Stab och planering')."""
    found: dict[int, Unit] = {}
    unknown: list[str] = []
    suggestions: list[str] = []
    for part in parts:
        match = resolve_unit(session, part)
        if match.unit is not None:
            found.setdefault(match.unit.id, match.unit)
            continue
        pieces = _AND.split(part)
        matches = [resolve_unit(session, p) for p in pieces] if len(pieces) > 1 else []
        if matches and all(m.unit is not None for m in matches):
            for m in matches:
                found.setdefault(m.unit.id, m.unit)  # type: ignore[union-attr]
            continue
        unknown.append(part)
        suggestions.extend(u.name for u in match.suggestions if u.name not in suggestions)
    return UnitResolution(list(found.values()), unknown, suggestions[:5])


# --- subscriptions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SubscriptionView:
    id: int
    conversation_id: str
    unit_ids: list[int]
    unit_names: list[str]  # empty = all units
    lead_days: int
    long_lead_days: int
    frequency: str
    weekday: int
    time_of_day: str
    active: bool
    disabled_reason: str


def _unit_ids(value: str) -> list[int]:
    return [int(v) for v in value.split(",") if v.strip()]


def _sub_view(session: Session, sub: Subscription, conversation_id: str,
              names: dict[int, str] | None = None) -> SubscriptionView:
    ids = _unit_ids(sub.unit_ids)
    if names is None:
        names = dict(session.exec(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all())
    shown = sorted(names.get(i, f"#{i}") for i in ids)
    return SubscriptionView(sub.id, conversation_id, ids, shown,
                            sub.lead_days, sub.long_lead_days, sub.frequency, sub.weekday,
                            sub.time_of_day, sub.active, sub.disabled_reason)


def subscribe(session: Session, conversation_ref_id: int, units: list[Unit],
              options: SubscriptionOptions, created_by: str) -> tuple[SubscriptionView, bool]:
    """One subscription per conversation and unit set: subscribing again to the same units
    changes its options (and reactivates it) instead of adding a second digest.
    Returns (subscription, created)."""
    key = ",".join(str(i) for i in sorted(u.id for u in units))
    row = session.exec(
        select(Subscription).where(Subscription.conversation_ref_id == conversation_ref_id,
                                   Subscription.unit_ids == key)
    ).first()
    created = row is None
    if row is None:
        row = Subscription(conversation_ref_id=conversation_ref_id, unit_ids=key,
                           created_by=created_by)
    row.lead_days = options.lead_days
    row.long_lead_days = options.long_lead_days
    row.frequency = options.frequency
    row.weekday = options.weekday
    row.time_of_day = options.time_of_day
    row.active = True
    row.disabled_reason = ""
    session.add(row)
    session.flush()
    conversation_id = session.get(ConversationRef, conversation_ref_id).conversation_id  # type: ignore[union-attr]
    return _sub_view(session, row, conversation_id, {u.id: u.name for u in units}), created


def subscriptions_of(session: Session, conversation_ref_id: int,
                     include_inactive: bool = True) -> list[SubscriptionView]:
    query = select(Subscription).where(Subscription.conversation_ref_id == conversation_ref_id)
    if not include_inactive:
        query = query.where(Subscription.active)
    ref = session.get(ConversationRef, conversation_ref_id)
    names = dict(session.exec(select(Unit.id, Unit.name)).all())
    return [_sub_view(session, s, ref.conversation_id if ref else "", names)
            for s in session.exec(query.order_by(Subscription.id))]


def unsubscribe(session: Session, conversation_ref_id: int, subscription_id: int | None = None,
                reason: str = "unsubscribed") -> int:
    """Ends one (by id) or all of a conversation's active subscriptions; returns how many."""
    query = select(Subscription).where(Subscription.conversation_ref_id == conversation_ref_id,
                                       Subscription.active)
    if subscription_id is not None:
        query = query.where(Subscription.id == subscription_id)
    rows = list(session.exec(query))
    for row in rows:
        row.active = False
        row.disabled_reason = reason
        session.add(row)
    session.flush()
    return len(rows)


def disable_conversation(session: Session, conversation_id: str, reason: str) -> int:
    """The channel answered 403/404: switch its subscriptions off, with the reason."""
    ref = session.exec(
        select(ConversationRef).where(ConversationRef.conversation_id == conversation_id)
    ).first()
    if ref is None:
        return 0
    ref.active = False
    session.add(ref)
    return unsubscribe(session, ref.id, reason=reason[:200])


@dataclass(frozen=True)
class DueSubscription:
    """An active subscription with where to send it."""

    subscription: SubscriptionView
    conversation_id: str
    tenant_id: str
    reference: str  # ConversationReference JSON


def active_subscriptions(session: Session) -> list[DueSubscription]:
    rows = session.exec(
        select(Subscription, ConversationRef)
        .join(ConversationRef, ConversationRef.id == Subscription.conversation_ref_id)
        .where(Subscription.active, ConversationRef.active)
        .order_by(Subscription.id)
    )
    names = dict(session.exec(select(Unit.id, Unit.name)).all())
    return [DueSubscription(_sub_view(session, s, r.conversation_id, names), r.conversation_id,
                            r.tenant_id, r.reference) for s, r in rows]


# --- what is due ------------------------------------------------------------------------------


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
    (what 'kvartal 2 2025', 'halvår 1', '2025' import as) counts as a long period."""
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


def open_items(session: Session, today: date, horizon_days: int | None,
               unit_ids: set[int] | None = None) -> list[NudgeItem]:
    """Unfinished assignments, due up to today + horizon (None = any date, also none), with
    their latest comment and first comment date; by due date."""
    query = assignments_with_unit().where(Assignment.status != Status.COMPLETED.value)
    if horizon_days is not None:
        query = query.where(Assignment.due_date <= today + timedelta(days=horizon_days))
    if unit_ids is not None:
        query = query.where(Assignment.unit_id.in_(sorted(unit_ids)))
    rows = plain_rows(session, query.order_by(Assignment.due_date, Assignment.title))
    unit_of = {row.id: row.unit_id for row in rows}
    first: dict[int, date] = {}
    ids = list(unit_of)
    for start in range(0, len(ids), 5000):  # stay under bind-parameter limits
        chunk = ids[start:start + 5000]
        for aid, created in session.exec(
            select(StatusComment.assignment_id, func.min(StatusComment.created_at))
            .where(StatusComment.assignment_id.in_(chunk))
            .group_by(StatusComment.assignment_id)
        ):
            first[aid] = created.date() if isinstance(created, datetime) else created
    views: list[AssignmentView] = []
    for start in range(0, len(rows), 5000):
        views.extend(assignment_views(session, rows[start:start + 5000], 1))
    return [NudgeItem(v, unit_of[v.id], first.get(v.id)) for v in views]


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


# --- personal reminders -----------------------------------------------------------------------

OVERDUE = "overdue"
DUE_SOON = "due_soon"
STALE = "stale"


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


def managers_by_user(session: Session) -> dict[str, set[int]]:
    """Every manager and the units they manage (storage.roles.managers_of per unit, in one
    query)."""
    found: dict[str, set[int]] = defaultdict(set)
    for user_id, unit_id in session.exec(
        select(Role.user_id, Role.unit_id).where(Role.role == "manager",
                                                 Role.unit_id.is_not(None))
    ):
        found[user_id].add(unit_id)
    return dict(found)


@dataclass(frozen=True)
class Preference:
    enabled: bool = True
    snoozed_until: date | None = None

    def wants_reminder(self, today: date) -> bool:
        return self.enabled and (self.snoozed_until is None or today >= self.snoozed_until)


def preferences(session: Session, user_ids: list[str]) -> dict[str, Preference]:
    if not user_ids:
        return {}
    return {
        p.user_id: Preference(p.enabled, p.snoozed_until)
        for p in session.exec(
            select(ReminderPreference).where(ReminderPreference.user_id.in_(user_ids))
        )
    }


def _preference(session: Session, user_id: str) -> ReminderPreference:
    if not user_id:
        raise ValueError("okänd användare")
    return session.get(ReminderPreference, user_id) or ReminderPreference(user_id=user_id)


def set_reminders(session: Session, user_id: str, enabled: bool) -> Preference:
    row = _preference(session, user_id)
    row.enabled = enabled
    if enabled:
        row.snoozed_until = None
    session.add(row)
    session.flush()
    return Preference(row.enabled, row.snoozed_until)


def snooze(session: Session, user_id: str, today: date, days: int = SNOOZE_DAYS) -> Preference:
    if not 1 <= days <= MAX_LEAD_DAYS:
        raise ValueError(f"snooza 1–{MAX_LEAD_DAYS} dagar")
    row = _preference(session, user_id)
    row.snoozed_until = today + timedelta(days=days)
    session.add(row)
    session.flush()
    return Preference(row.enabled, row.snoozed_until)


def reminder_key(user_id: str) -> str:
    """SentNudge.conversation_id of a user's personal reminder: the user, not a chat, because
    the 1:1 chat may not exist yet when the reminder is claimed."""
    return f"user:{user_id}"


def recently_reminded(session: Session, user_ids: list[str], today: date) -> dict[str, set[int]]:
    since = today - timedelta(days=REMIND_AGAIN_DAYS - 1)
    keys = {reminder_key(u): u for u in user_ids}
    found: dict[str, set[int]] = defaultdict(set)
    if not keys:
        return found
    for key, ids in session.exec(
        select(SentNudge.conversation_id, SentNudge.assignment_ids).where(
            SentNudge.kind == REMINDER, SentNudge.state == "sent", SentNudge.day >= since,
            SentNudge.day < today, SentNudge.conversation_id.in_(list(keys)))
    ):
        found[keys[key]].update(int(i) for i in ids.split(",") if i)
    return found


# --- exactly once -----------------------------------------------------------------------------

CLAIMED = "claimed"
SENT = "sent"
FAILED = "failed"


def handled_today(session: Session, kind: str, day: date, now: datetime) -> set[str]:
    """Conversations that need nothing more today: sent, failed for good, or claimed by a
    pass that is still within its time (a stale claim is not in the set: it is retried)."""
    cutoff = now.astimezone(UTC) - STALE_CLAIM
    rows = session.exec(
        select(SentNudge.conversation_id, SentNudge.state, SentNudge.claimed_at)
        .where(SentNudge.kind == kind, SentNudge.day == day)
    )
    done = set()
    for conversation_id, state, claimed_at in rows:
        if state != CLAIMED or _aware(claimed_at) >= cutoff:
            done.add(conversation_id)
    return done


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite drops the zone


def claim(engine: Engine, conversation_id: str, kind: str, day: date,
          assignment_ids: list[int], worker: str, now: datetime) -> bool:
    """Take the right to send this nudge. The unique (conversation, kind, day) row is the
    lock: of two passes inserting it, one wins. A claim left by a crashed pass (older than
    STALE_CLAIM, never sent) is taken over with SELECT … FOR UPDATE SKIP LOCKED, so two
    passes can't both take it over."""
    now = now.astimezone(UTC)
    ids = ",".join(str(i) for i in assignment_ids)
    with open_session(engine) as s:
        try:
            with s.begin():
                s.add(SentNudge(conversation_id=conversation_id, kind=kind, day=day,
                                assignment_ids=ids, state=CLAIMED, claimed_by=worker,
                                claimed_at=now))
            return True
        except IntegrityError:
            pass
    with open_session(engine) as s, s.begin():
        row = s.exec(
            select(SentNudge)
            .where(SentNudge.conversation_id == conversation_id, SentNudge.kind == kind,
                   SentNudge.day == day, SentNudge.state == CLAIMED,
                   SentNudge.claimed_at < now - STALE_CLAIM)
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:
            return False
        row.claimed_by = worker
        row.claimed_at = now
        row.assignment_ids = ids
        s.add(row)
        return True


def finish(engine: Engine, conversation_id: str, kind: str, day: date, worker: str,
           state: str, now: datetime) -> None:
    """Mark our claim sent (or failed for good)."""
    with open_session(engine) as s, s.begin():
        s.execute(
            update(SentNudge)
            .where(SentNudge.conversation_id == conversation_id, SentNudge.kind == kind,
                   SentNudge.day == day, SentNudge.claimed_by == worker)
            .values(state=state, sent_at=now.astimezone(UTC))
        )


def release(engine: Engine, conversation_id: str, kind: str, day: date, worker: str) -> None:
    """Give a claim back (the send failed before anything went out): the next pass retries."""
    with open_session(engine) as s, s.begin():
        s.execute(
            delete(SentNudge)
            .where(SentNudge.conversation_id == conversation_id, SentNudge.kind == kind,
                   SentNudge.day == day, SentNudge.claimed_by == worker,
                   SentNudge.state == CLAIMED)
        )
