"""The exactly-once record of nudges, with leases on the database's clock.

A nudge is claimed by inserting its `sent_nudge` row (unique per organisation, conversation,
kind and day) with a lease: until `lease_until` no other pass may take it. The sender renews
the lease while it sends, and marks the row sent (or failed) after. A claim whose lease ran
out is from a pass that died, and one other pass takes it over. Every time involved is the
database's own clock, never a pass's `now` (which `app.py nudge --at` sets, and which differs
between machines): so clock skew, catch-up passes and slow passes can't take over a claim
that is still being sent.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, Engine, delete, literal_column, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from storage.db import session as open_session
from storage.models import SentNudge

DIGEST = "digest"
REMINDER = "reminder"
CLAIMED = "claimed"
SENT = "sent"
FAILED = "failed"
LEASE = timedelta(minutes=10)
# A personal reminder names an assignment again at most once a week.
REMIND_AGAIN_DAYS = 7


def db_now(engine_or_session: Engine | Session, plus: timedelta = timedelta(0)) -> ColumnElement:
    """The database's clock (plus an offset), as SQL. SQLite's is the text format SQLAlchemy
    writes datetimes in, so that comparisons and reads work."""
    bind = engine_or_session.get_bind() if isinstance(engine_or_session, Session) \
        else engine_or_session
    seconds = plus.total_seconds()
    if bind.dialect.name == "postgresql":
        return literal_column(f"(clock_timestamp() + interval '{seconds:.6f} seconds')")
    return literal_column(
        f"(strftime('%Y-%m-%d %H:%M:%f', 'now', '{seconds:+.3f} seconds') || '000')")


def reminder_key(user_id: str) -> str:
    """SentNudge.conversation_id of a user's personal reminder: the user, not a chat, because
    the 1:1 chat may not exist yet when the reminder is claimed."""
    return f"user:{user_id}"


def _mine(org: int, key: str, kind: str, day: date) -> tuple[ColumnElement, ...]:
    return (SentNudge.organisation_id == org, SentNudge.conversation_id == key,
            SentNudge.kind == kind, SentNudge.day == day)


def handled_today(s: Session, org: int, kind: str, day: date) -> set[str]:
    """Conversations that need nothing more today: sent, failed for good, or claimed with a
    lease that has not run out (a lapsed claim is not in the set: it is retried)."""
    rows = s.exec(
        select(SentNudge.conversation_id)
        .where(SentNudge.organisation_id == org, SentNudge.kind == kind, SentNudge.day == day,
               or_(SentNudge.state != CLAIMED, SentNudge.lease_until >= db_now(s)))
    )
    return set(rows)


def claim(engine: Engine, org: int, key: str, kind: str, day: date, assignment_ids: list[int],
          worker: str, lease: timedelta = LEASE) -> bool:
    """Take the right to send this nudge. Of two passes inserting the row, one wins; a claim
    whose lease has lapsed is taken over by one conditional UPDATE (only one can match)."""
    ids = ",".join(str(i) for i in assignment_ids)
    with open_session(engine, org) as s:
        try:
            with s.begin():
                s.execute(SentNudge.__table__.insert().values(
                    organisation_id=org, conversation_id=key, kind=kind, day=day,
                    assignment_ids=ids, state=CLAIMED, claimed_by=worker,
                    claimed_at=db_now(s), lease_until=db_now(s, lease)))
            return True
        except IntegrityError:
            pass
    with open_session(engine, org) as s, s.begin():
        taken = s.execute(
            update(SentNudge)
            .where(*_mine(org, key, kind, day), SentNudge.state == CLAIMED,
                   or_(SentNudge.lease_until.is_(None), SentNudge.lease_until < db_now(s)))
            .values(claimed_by=worker, claimed_at=db_now(s), lease_until=db_now(s, lease),
                    assignment_ids=ids)
        ).rowcount
    return taken == 1


def renew(engine: Engine, org: int, key: str, kind: str, day: date, worker: str,
          lease: timedelta = LEASE) -> bool:
    """Extend our lease while still sending; False if it is no longer ours."""
    with open_session(engine, org) as s, s.begin():
        return s.execute(
            update(SentNudge)
            .where(*_mine(org, key, kind, day), SentNudge.claimed_by == worker,
                   SentNudge.state == CLAIMED)
            .values(lease_until=db_now(s, lease))
        ).rowcount == 1


def finish(engine: Engine, org: int, key: str, kind: str, day: date, worker: str,
           state: str) -> None:
    """Mark our claim sent (or failed for good)."""
    with open_session(engine, org) as s, s.begin():
        s.execute(
            update(SentNudge)
            .where(*_mine(org, key, kind, day), SentNudge.claimed_by == worker)
            .values(state=state, sent_at=datetime.now(UTC), lease_until=None)
        )


def release(engine: Engine, org: int, key: str, kind: str, day: date, worker: str) -> None:
    """Give a claim back (the send failed before anything went out): the next pass retries."""
    with open_session(engine, org) as s, s.begin():
        s.execute(delete(SentNudge).where(*_mine(org, key, kind, day),
                                          SentNudge.claimed_by == worker,
                                          SentNudge.state == CLAIMED))


def recently_reminded(s: Session, org: int, user_ids: list[str],
                      today: date) -> dict[str, set[int]]:
    since = today - timedelta(days=REMIND_AGAIN_DAYS - 1)
    keys = {reminder_key(u): u for u in user_ids}
    found: dict[str, set[int]] = defaultdict(set)
    if not keys:
        return found
    for key, ids in s.exec(
        select(SentNudge.conversation_id, SentNudge.assignment_ids).where(
            SentNudge.organisation_id == org, SentNudge.kind == REMINDER,
            SentNudge.state == SENT, SentNudge.day >= since, SentNudge.day < today,
            SentNudge.conversation_id.in_(list(keys)))
    ):
        found[keys[key]].update(int(i) for i in ids.split(",") if i)
    return found
