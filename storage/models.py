"""Tables. Figures are Decimals in tkr, exactly as the reports print them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Column, DateTime, Index, Numeric, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.domain import Forecast, Status

Money = Numeric(16, 2)


class Unit(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=200)
    parent_id: int | None = Field(default=None, foreign_key="unit.id")


class UnitAlias(SQLModel, table=True):
    """Other names a unit goes by; `key` is the normalised alias, unique across units."""

    __tablename__ = "unit_alias"
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    alias: str = Field(max_length=200)
    key: str = Field(unique=True, max_length=200)


class Assignment(SQLModel, table=True):
    """An uppdrag, nämndinitiativ or other follow-up item. Identified by kind + title."""

    __table_args__ = (
        UniqueConstraint("kind_key", "title_key"),
        # Covering indexes for the per-turn questions on 20 000+ assignments (migration 0005):
        # the overdue count, and a unit's counts on its forecast card.
        Index("ix_assignment_due_status", "due_date", "status"),
        Index("ix_assignment_unit_counts", "unit_id", "forecast", "status", "due_date"),
    )
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=100)
    goal_area: str = Field(default="", max_length=300)
    title: str = Field(sa_column=Column(Text, nullable=False))
    unit_id: int = Field(foreign_key="unit.id", index=True)
    due_date: date | None = Field(default=None, index=True)
    # Stored as their plain string values so new values need no enum migration.
    status: str = Field(default=Status.NOT_STARTED, sa_column=Column(String(20), nullable=False))
    forecast: str = Field(default=Forecast.ON_PLAN, sa_column=Column(String(20), nullable=False))
    kind_key: str = Field(max_length=100)
    title_key: str = Field(max_length=1000)
    # Bumped on every change; card submissions carry it so stale edits are refused.
    version: int = Field(default=1)
    updated_at: datetime = Field(
        default_factory=lambda: datetime.now(UTC), sa_column=Column(DateTime(timezone=True))
    )


class AssignmentParticipant(SQLModel, table=True):
    __tablename__ = "assignment_participant"
    assignment_id: int = Field(foreign_key="assignment.id", primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", primary_key=True)


class StatusComment(SQLModel, table=True):
    """The full comment history; the latest comment is derived from it."""

    __tablename__ = "status_comment"
    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    author: str = Field(default="", max_length=200)
    author_id: str = Field(default="", max_length=200)  # AAD object id of a chat update
    # What the update changed, e.g. "status: started → completed"; empty for imports.
    changes: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), index=True))


class FinanceFollowUp(SQLModel, table=True):
    __tablename__ = "finance_follow_up"
    __table_args__ = (UniqueConstraint("unit_id", "period_end"),)
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    period_end: date
    budget_period: Decimal = Field(sa_column=Column(Money, nullable=False))
    actual_period: Decimal = Field(sa_column=Column(Money, nullable=False))
    budget_year: Decimal = Field(sa_column=Column(Money, nullable=False))
    forecast_year: Decimal = Field(sa_column=Column(Money, nullable=False))
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class BotStateItem(SQLModel, table=True):
    """Bot Framework conversation/user/dialog state, one JSON document per key."""

    __tablename__ = "bot_state"
    key: str = Field(primary_key=True, max_length=512)
    data: str = Field(sa_column=Column(Text, nullable=False))
    e_tag: str = Field(max_length=64)


class Role(SQLModel, table=True):
    """admin (everything) or manager of one unit. user_id is the AAD object id or the
    channel's user id."""

    __table_args__ = (UniqueConstraint("user_id", "role", "unit_id"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(index=True, max_length=200)
    user_name: str = Field(default="", max_length=200)  # shown when refusing others
    role: str = Field(max_length=20)
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    granted_by: str = Field(default="", max_length=200)
    granted_at: datetime = Field(
        default_factory=lambda: datetime.now(UTC), sa_column=Column(DateTime(timezone=True))
    )


class ProcessedActivity(SQLModel, table=True):
    """Activities that changed data, so a retried or replayed one changes nothing twice."""

    __tablename__ = "processed_activity"
    key: str = Field(primary_key=True, max_length=512)
    processed_at: datetime = Field(
        default_factory=lambda: datetime.now(UTC), sa_column=Column(DateTime(timezone=True))
    )


class ConversationRef(SQLModel, table=True):
    """Where the bot can write proactively: one row per conversation it has seen."""

    __tablename__ = "conversation_ref"
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: str = Field(unique=True, max_length=512)
    conversation_type: str = Field(default="", max_length=50)
    channel_id: str = Field(default="msteams", max_length=50)
    service_url: str = Field(max_length=500)
    tenant_id: str = Field(default="", max_length=100, index=True)
    user_id: str = Field(default="", max_length=200, index=True)  # 1:1 chats: the user
    reference: str = Field(sa_column=Column(Text, nullable=False))  # ConversationReference JSON
    active: bool = Field(default=True)
    updated_at: datetime = Field(
        default_factory=lambda: datetime.now(UTC), sa_column=Column(DateTime(timezone=True))
    )


class Subscription(SQLModel, table=True):
    """A conversation subscribed to deadline nudges for some units (none = all)."""

    id: int | None = Field(default=None, primary_key=True)
    conversation_ref_id: int = Field(foreign_key="conversation_ref.id", index=True)
    unit_ids: str = Field(default="", max_length=2000)  # comma-separated; empty = all units
    lead_days: int = Field(default=7)
    long_lead_days: int = Field(default=28)  # for assignments running a quarter or longer
    frequency: str = Field(default="daily", max_length=10)  # daily (weekdays) | weekly
    weekday: int = Field(default=0)  # 0 = Monday, for weekly
    time_of_day: str = Field(default="08:00", max_length=5)
    active: bool = Field(default=True)
    disabled_reason: str = Field(default="", max_length=200)
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(
        default_factory=lambda: datetime.now(UTC), sa_column=Column(DateTime(timezone=True))
    )


class SentNudge(SQLModel, table=True):
    """Exactly-once record of a nudge: claimed before sending, marked sent after."""

    __tablename__ = "sent_nudge"
    __table_args__ = (UniqueConstraint("conversation_id", "kind", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: str = Field(max_length=512)
    kind: str = Field(max_length=20)  # digest | reminder
    day: date
    assignment_ids: str = Field(sa_column=Column(Text, nullable=False, default=""))
    state: str = Field(default="claimed", max_length=20)  # claimed | sent | failed
    claimed_by: str = Field(default="", max_length=100)
    claimed_at: datetime = Field(
        default_factory=lambda: datetime.now(UTC), sa_column=Column(DateTime(timezone=True))
    )
    sent_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class ReminderPreference(SQLModel, table=True):
    """A user's personal reminders: on/off and snooze."""

    __tablename__ = "reminder_preference"
    user_id: str = Field(primary_key=True, max_length=200)
    enabled: bool = Field(default=True)
    snoozed_until: date | None = None
