"""Where the bot may write proactively: the conversations it has seen, with their Bot
Framework conversation reference stored as JSON (no Bot Framework imports here)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from storage.models import ConversationRef

PERSONAL = "personal"


def base_conversation_id(conversation_id: str) -> str:
    """A Teams channel message arrives in '19:…@thread.tacv2;messageid=123'; without the
    message id a proactive post starts a new thread instead of replying in an old one."""
    return conversation_id.split(";messageid=", 1)[0]


@dataclass(frozen=True)
class ConversationInfo:
    """What an incoming activity tells about its conversation."""

    organisation_id: int
    conversation_id: str
    conversation_type: str
    channel_id: str
    service_url: str
    tenant_id: str
    user_id: str  # who wrote; kept only for 1:1 chats
    reference: dict[str, Any]  # serialised ConversationReference


@dataclass(frozen=True)
class RefView:
    id: int
    organisation_id: int
    conversation_id: str
    conversation_type: str
    service_url: str
    tenant_id: str
    user_id: str
    reference: dict[str, Any]
    active: bool

    @property
    def locale(self) -> str:
        return str(self.reference.get("locale") or "")



def _view(row: ConversationRef) -> RefView:
    return RefView(row.id, row.organisation_id, row.conversation_id, row.conversation_type,
                   row.service_url, row.tenant_id, row.user_id, json.loads(row.reference),
                   row.active)


_TABLE = ConversationRef.__table__
_KEPT = ("conversation_type", "channel_id", "service_url", "tenant_id", "user_id")


def _record_statement(dialect: str):  # noqa: ANN202
    """The upsert of record(), built once per dialect."""
    upsert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_TABLE)
    new = upsert.excluded
    kept = {name: func.coalesce(func.nullif(new[name], ""), _TABLE.c[name]) for name in _KEPT}
    changed = or_(*(_TABLE.c[name].is_distinct_from(expr) for name, expr in kept.items()),
                  _TABLE.c.reference.is_distinct_from(new.reference),
                  _TABLE.c.active.is_(False))
    columns = ("organisation_id", "conversation_id", *_KEPT, "reference", "active",
               "updated_at")
    return upsert.values({c: bindparam(c) for c in columns}).on_conflict_do_update(
        index_elements=[_TABLE.c.organisation_id, _TABLE.c.conversation_id],
        set_={**kept, "reference": new.reference, "active": True,
              "updated_at": new.updated_at},
        where=changed,
    )


_REMEMBER = {dialect: _record_statement(dialect) for dialect in ("postgresql", "sqlite")}
_RECORD = {dialect: statement.returning(*_TABLE.c) for dialect, statement in _REMEMBER.items()}
_BY_ID = select(*_TABLE.c).where(_TABLE.c.organisation_id == bindparam("organisation_id"),
                                 _TABLE.c.conversation_id == bindparam("conversation_id"))


def _values(info: ConversationInfo) -> dict[str, Any]:
    conversation_id = base_conversation_id(info.conversation_id)
    reference = dict(info.reference)
    reference.pop("activityId", None)  # proactive posts must not be replies to an old message
    conversation = dict(reference.get("conversation") or {})
    if conversation:
        conversation["id"] = conversation_id
        reference["conversation"] = conversation
    user_id = info.user_id if info.conversation_type == PERSONAL else ""
    return {
        "organisation_id": info.organisation_id, "conversation_id": conversation_id,
        "conversation_type": info.conversation_type, "channel_id": info.channel_id,
        "service_url": info.service_url, "tenant_id": info.tenant_id, "user_id": user_id,
        "reference": json.dumps(reference, sort_keys=True, ensure_ascii=False),
        "active": True, "updated_at": datetime.now(UTC),
    }


def remember(connection: Connection, infos: Sequence[ConversationInfo]) -> None:
    """record() for the turn's middleware, which needs nothing back: the same upsert for
    one organisation's conversations at once (storage.group_commit), not read back. In
    conversation id order, so two batches never wait on each other's rows."""
    dialect = "postgresql" if connection.dialect.name == "postgresql" else "sqlite"
    latest = {v["conversation_id"]: v for v in map(_values, infos)}  # one row once
    connection.execute(_REMEMBER[dialect], [latest[key] for key in sorted(latest)])


def record(session: Session, info: ConversationInfo) -> RefView:
    """Insert or refresh a conversation's reference in one statement (an upsert that writes
    only when something changed): a first contact costs one INSERT, and two first activities
    arriving together (installationUpdate and conversationUpdate) can't collide. A
    conversation that writes to the bot is reachable again, so it is reactivated. Empty
    fields of the activity keep what is stored."""
    values = _values(info)
    dialect = session.get_bind().dialect.name
    statement = _RECORD["postgresql" if dialect == "postgresql" else "sqlite"]
    row = session.connection().execute(statement, values).first()
    if row is None:  # known and unchanged: nothing was written
        row = session.connection().execute(_BY_ID, values).one()
    return RefView(row.id, row.organisation_id, row.conversation_id, row.conversation_type,
                   row.service_url, row.tenant_id, row.user_id, json.loads(row.reference),
                   row.active)


def get(session: Session, organisation_id: int, conversation_id: str) -> RefView | None:
    row = session.exec(
        select(ConversationRef).where(
            ConversationRef.organisation_id == organisation_id,
            ConversationRef.conversation_id == base_conversation_id(conversation_id),
        )
    ).first()
    return _view(row) if row else None


def personal_for(session: Session, organisation_id: int,
                 user_ids: list[str]) -> dict[str, RefView]:
    """Each user's 1:1 conversation with the bot, if they have one (active or not)."""
    if not user_ids:
        return {}
    rows = session.exec(
        select(ConversationRef)
        .where(ConversationRef.organisation_id == organisation_id,
               ConversationRef.conversation_type == PERSONAL,
               ConversationRef.user_id.in_(user_ids))
        .order_by(ConversationRef.updated_at)
    )
    return {r.user_id: _view(r) for r in rows}  # the newest wins


def any_in_tenant(session: Session, organisation_id: int, tenant_id: str) -> RefView | None:
    """A recent active conversation of the tenant: its service URL and bot account are what
    creating a new 1:1 chat needs."""
    row = session.exec(
        select(ConversationRef)
        .where(ConversationRef.organisation_id == organisation_id,
               ConversationRef.tenant_id == tenant_id, ConversationRef.active)
        .order_by(ConversationRef.updated_at.desc())
        .limit(1)
    ).first()
    return _view(row) if row else None


def tenants(session: Session, organisation_id: int) -> list[str]:
    """The tenants the organisation's conversations came from."""
    return sorted(t for t in session.exec(
        select(ConversationRef.tenant_id)
        .where(ConversationRef.organisation_id == organisation_id).distinct()) if t)


def deactivate(session: Session, organisation_id: int, conversation_id: str) -> bool:
    row = session.exec(
        select(ConversationRef).where(
            ConversationRef.organisation_id == organisation_id,
            ConversationRef.conversation_id == base_conversation_id(conversation_id),
        )
    ).first()
    if row is None or not row.active:
        return False
    row.active = False
    row.updated_at = datetime.now(UTC)
    session.add(row)
    session.flush()
    return True
