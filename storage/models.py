"""Tables. Every organisation-scoped table carries `organisation_id`, and every unique
constraint on one includes it: two municipalities may both have "IT". Figures are Decimals,
exactly as the reports print them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from storage.domain import Forecast, Status

Money = Numeric(16, 2)
# Names as people and Entra ID write them: display names may be 256 characters.
NAME_LENGTH = 300


def _now() -> datetime:
    return datetime.now(UTC)


def _org() -> int:
    """The owning organisation; indexed, cascades on delete."""
    return Field(sa_column=Column(Integer, ForeignKey("organisation.id", ondelete="CASCADE"),
                                  nullable=False, index=True))


class Organisation(SQLModel, table=True):
    """A municipality (or any body) whose data and conversations are kept apart from every
    other one's. Its Entra tenants are in OrganisationTenant."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    key: str = Field(unique=True, max_length=200)  # normalised name
    languages: str = Field(default="sv,en", max_length=50)  # first = default language
    timezone: str = Field(default="Europe/Stockholm", max_length=64)
    currency: str = Field(default="SEK", max_length=3)
    nudge_time: str = Field(default="08:00", max_length=5)  # daily digests and reminders
    # Kolada (issue: indicators): the municipality's code and the KPI ids to keep current.
    kolada_municipality: str = Field(default="", max_length=10)
    kolada_kpis: str = Field(default="", max_length=2000)  # comma-separated
    # Bumped whenever what questions can name changes (units, aliases, titles, kinds,
    # indicators, budget lines): understanding's index is rebuilt only then.
    # What questions can name (units, aliases, titles): understanding's index is rebuilt.
    data_version: int = Field(default=0)
    # What answers show (any import or update): cached answers are stale.
    answer_version: int = Field(default=0)
    created_at: datetime = Field(default_factory=_now,
                                 sa_column=Column(DateTime(timezone=True)))


class OrganisationTenant(SQLModel, table=True):
    """An Entra ID tenant belongs to at most one organisation."""

    __tablename__ = "organisation_tenant"
    tenant_id: str = Field(primary_key=True, max_length=100)
    organisation_id: int = _org()


class Unit(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = _org()
    name: str = Field(max_length=200)
    parent_id: int | None = Field(default=None, foreign_key="unit.id")
    responsible: str = Field(default="", max_length=NAME_LENGTH)  # "stadsdirektören"


class UnitAlias(SQLModel, table=True):
    """Other names a unit goes by; `key` is the normalised alias, unique in its organisation."""

    __tablename__ = "unit_alias"
    __table_args__ = (UniqueConstraint("organisation_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = _org()
    unit_id: int = Field(foreign_key="unit.id", index=True)
    alias: str = Field(max_length=200)
    key: str = Field(max_length=200)


class Assignment(SQLModel, table=True):
    """An uppdrag, nämndinitiativ, nyckelmål or other follow-up item. Identified by kind +
    title within its organisation; people refer to it by its `number` there (#N)."""

    __table_args__ = (
        UniqueConstraint("organisation_id", "kind_key", "title_key"),
        UniqueConstraint("organisation_id", "number"),
        # Covering indexes for the per-turn questions on 20 000+ assignments: the overdue
        # count, and a unit's counts on its forecast card.
        Index("ix_assignment_org_due_status", "organisation_id", "due_date", "status"),
        Index("ix_assignment_org_unit_counts", "organisation_id", "unit_id", "forecast",
              "status", "due_date"),
    )
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = _org()
    number: int
    kind: str = Field(max_length=100)
    goal_area: str = Field(default="", max_length=300)
    title: str = Field(sa_column=Column(Text, nullable=False))
    description: str = Field(default="", sa_column=Column(Text, nullable=False,
                                                          server_default=""))
    responsible: str = Field(default="", max_length=NAME_LENGTH)  # persons, as printed
    reporting: str = Field(default="", max_length=500)  # reporting occasions, ";"-separated
    unit_id: int = Field(foreign_key="unit.id", index=True)
    due_date: date | None = Field(default=None, index=True)
    # Stored as their plain string values so new values need no enum migration.
    status: str = Field(default=Status.NOT_STARTED, sa_column=Column(String(20), nullable=False))
    forecast: str = Field(default=Forecast.ON_PLAN, sa_column=Column(String(20), nullable=False))
    kind_key: str = Field(max_length=100)
    title_key: str = Field(max_length=1000)
    # Bumped on every change; card submissions carry it so stale edits are refused.
    version: int = Field(default=1)
    updated_at: datetime = Field(default_factory=_now, sa_column=Column(DateTime(timezone=True)))


# Display order (undated last, due date, title): a list's first page is read off this index
# instead of sorting every row (migration 0008).
Index("ix_assignment_org_display_order", Assignment.organisation_id,
      Assignment.due_date.is_(None), Assignment.due_date, Assignment.title_key, Assignment.id)

class AssignmentParticipant(SQLModel, table=True):
    __tablename__ = "assignment_participant"
    assignment_id: int = Field(foreign_key="assignment.id", primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", primary_key=True)
    organisation_id: int = _org()


class StatusComment(SQLModel, table=True):
    """The full comment history; the latest comment is derived from it."""

    __tablename__ = "status_comment"
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = _org()
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    author: str = Field(default="", max_length=NAME_LENGTH)
    author_id: str = Field(default="", max_length=200)  # AAD object id of a chat update
    # What the update changed, e.g. "status: started → completed"; empty for imports.
    changes: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), index=True))


class FinanceFollowUp(SQLModel, table=True):
    """A unit's figures at a period end (Norrtälje's follow-up report)."""

    __tablename__ = "finance_follow_up"
    __table_args__ = (UniqueConstraint("unit_id", "period_end"),)
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = _org()
    unit_id: int = Field(foreign_key="unit.id", index=True)
    period_end: date
    budget_period: Decimal = Field(sa_column=Column(Money, nullable=False))
    actual_period: Decimal = Field(sa_column=Column(Money, nullable=False))
    budget_year: Decimal = Field(sa_column=Column(Money, nullable=False))
    forecast_year: Decimal = Field(sa_column=Column(Money, nullable=False))
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class BudgetLine(SQLModel, table=True):
    """One printed cell of a yearly budget (Lovisa): a unit's line item for a year, as actual
    (bokslut), budget or plan (ekonomiplan). A missing amount is missing, not zero."""

    __tablename__ = "budget_line"
    __table_args__ = (UniqueConstraint("unit_id", "line_key", "year", "scenario"),)
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = _org()
    unit_id: int = Field(foreign_key="unit.id", index=True)
    line: str = Field(max_length=200)
    line_key: str = Field(max_length=200)
    position: int = Field(default=0)  # the printed order of lines in the unit's table
    year: int
    scenario: str = Field(max_length=10)  # actual | budget | plan
    amount: Decimal | None = Field(default=None, sa_column=Column(Money, nullable=True))
    note: str = Field(default="", max_length=200)  # "inkl. ändringar"


class Indicator(SQLModel, table=True):
    """A key figure (nyckeltal). Values are in IndicatorValue, one row per year."""

    __table_args__ = (UniqueConstraint("organisation_id", "name_key"),)
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = _org()
    name: str = Field(sa_column=Column(Text, nullable=False))
    name_key: str = Field(max_length=1000)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    goal: str = Field(default="", max_length=500)
    measure: str = Field(default="", max_length=100)  # %, index, placering, kWh/m² …
    polarity: str = Field(default="neutral", max_length=20)  # higher_better | lower_better | …
    source_id: str = Field(default="", max_length=50, index=True)  # Kolada KPI id
    comparison_group: str = Field(default="", max_length=200)


class IndicatorValue(SQLModel, table=True):
    """An indicator's figures for one year, as printed. Numbers are kept as decimal text so
    that "9,0" keeps its printed precision; empty = no value."""

    __tablename__ = "indicator_value"
    __table_args__ = (UniqueConstraint("indicator_id", "year"),)
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = _org()
    indicator_id: int = Field(sa_column=Column(Integer, ForeignKey("indicator.id",
                                                                   ondelete="CASCADE"),
                                               nullable=False, index=True))
    year: int
    total: str = Field(default="", max_length=40)
    women: str = Field(default="", max_length=40)
    men: str = Field(default="", max_length=40)
    target: str = Field(default="", max_length=40)
    comparison: str = Field(default="", max_length=40)
    trend: str = Field(default="", max_length=20)  # judgement as printed: positive | negative …
    direction: str = Field(default="", max_length=20)  # forecast: increasing | decreasing …
    updated_at: datetime = Field(default_factory=_now, sa_column=Column(DateTime(timezone=True)))


class BotStateItem(SQLModel, table=True):
    """Bot Framework conversation/user/dialog state, one JSON document per key. Keys hold
    channel and conversation ids, which are unique across tenants."""

    __tablename__ = "bot_state"
    key: str = Field(primary_key=True, max_length=512)
    data: str = Field(sa_column=Column(Text, nullable=False))
    e_tag: str = Field(max_length=64)


class Role(SQLModel, table=True):
    """admin (everything in the organisation) or manager of one unit. user_id is the AAD
    object id (or, in local mode, the channel's user id)."""

    __table_args__ = (UniqueConstraint("organisation_id", "user_id", "role", "unit_id"),)
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = _org()
    user_id: str = Field(index=True, max_length=200)
    user_name: str = Field(default="", max_length=NAME_LENGTH)  # shown when refusing others
    role: str = Field(max_length=20)
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    granted_by: str = Field(default="", max_length=NAME_LENGTH)
    granted_at: datetime = Field(default_factory=_now, sa_column=Column(DateTime(timezone=True)))


class ProcessedActivity(SQLModel, table=True):
    """Activities that changed data, so a retried or replayed one changes nothing twice.
    Keys hold channel, conversation and activity ids: unique across tenants."""

    __tablename__ = "processed_activity"
    key: str = Field(primary_key=True, max_length=512)
    processed_at: datetime = Field(default_factory=_now,
                                   sa_column=Column(DateTime(timezone=True)))


class ConversationRef(SQLModel, table=True):
    """Where the bot can write proactively: one row per conversation it has seen."""

    __tablename__ = "conversation_ref"
    __table_args__ = (UniqueConstraint("organisation_id", "conversation_id"),)
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = _org()
    conversation_id: str = Field(max_length=512)
    conversation_type: str = Field(default="", max_length=50)
    channel_id: str = Field(default="msteams", max_length=50)
    service_url: str = Field(max_length=500)
    tenant_id: str = Field(default="", max_length=100, index=True)
    user_id: str = Field(default="", max_length=200, index=True)  # 1:1 chats: the user
    reference: str = Field(sa_column=Column(Text, nullable=False))  # ConversationReference JSON
    active: bool = Field(default=True)
    updated_at: datetime = Field(default_factory=_now, sa_column=Column(DateTime(timezone=True)))


class Subscription(SQLModel, table=True):
    """A conversation subscribed to deadline nudges for some units (none = all)."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = _org()
    conversation_ref_id: int = Field(foreign_key="conversation_ref.id", index=True)
    unit_ids: str = Field(default="", max_length=2000)  # comma-separated; empty = all units
    lead_days: int = Field(default=7)
    long_lead_days: int = Field(default=28)  # for assignments running a quarter or longer
    frequency: str = Field(default="daily", max_length=10)  # daily (weekdays) | weekly
    weekday: int = Field(default=0)  # 0 = Monday, for weekly
    time_of_day: str = Field(default="08:00", max_length=5)
    indicators: bool = Field(default=False)  # the digest also tells new indicator values
    active: bool = Field(default=True)
    disabled_reason: str = Field(default="", max_length=200)
    created_by: str = Field(default="", max_length=NAME_LENGTH)
    created_at: datetime = Field(default_factory=_now, sa_column=Column(DateTime(timezone=True)))


class IndicatorSeen(SQLModel, table=True):
    """What a conversation's digest last told of an indicator (its latest value and the
    judgement), so that the next digest mentions only new values and turns for the worse.
    Recorded when the conversation subscribes with indicators, and after each digest."""

    __tablename__ = "indicator_seen"
    __table_args__ = (UniqueConstraint("organisation_id", "conversation_id", "indicator_id"),)
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = _org()
    conversation_id: str = Field(max_length=512)
    indicator_id: int = Field(sa_column=Column(Integer, ForeignKey("indicator.id",
                                                                   ondelete="CASCADE"),
                                               nullable=False, index=True))
    year: int | None = None  # of the latest value; None: it had none
    total: str = Field(default="", max_length=40)
    judgement: str = Field(default="", max_length=20)


class SentNudge(SQLModel, table=True):
    """Exactly-once record of a nudge: claimed (with a lease on the database's clock) before
    sending, the lease renewed while sending, marked sent after."""

    __tablename__ = "sent_nudge"
    __table_args__ = (UniqueConstraint("organisation_id", "conversation_id", "kind", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = _org()
    conversation_id: str = Field(max_length=512)
    kind: str = Field(max_length=20)  # digest | reminder
    day: date
    assignment_ids: str = Field(sa_column=Column(Text, nullable=False, default=""))
    state: str = Field(default="claimed", max_length=20)  # claimed | sent | failed
    claimed_by: str = Field(default="", max_length=100)
    claimed_at: datetime = Field(default_factory=_now, sa_column=Column(DateTime(timezone=True)))
    lease_until: datetime | None = Field(default=None,
                                         sa_column=Column(DateTime(timezone=True)))
    sent_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class ReminderPreference(SQLModel, table=True):
    """A user's personal reminders in one organisation: on/off and snooze."""

    __tablename__ = "reminder_preference"
    organisation_id: int = Field(sa_column=Column(
        Integer, ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True))
    user_id: str = Field(primary_key=True, max_length=200)
    enabled: bool = Field(default=True)
    snoozed_until: date | None = None


# Tables whose rows belong to one organisation: scoped in every query, and on PostgreSQL
# guarded by row-level security as well (storage/migrations/versions/0006).
ORGANISATION_SCOPED = (
    "unit", "unit_alias", "assignment", "assignment_participant", "status_comment",
    "finance_follow_up", "budget_line", "indicator", "indicator_value", "role",
    "conversation_ref", "subscription", "indicator_seen", "sent_nudge", "reminder_preference",
)
