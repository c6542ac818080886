"""Tables. Figures are Decimals in tkr, exactly as the reports print them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Column, DateTime, Numeric, String, Text, UniqueConstraint
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

    __table_args__ = (UniqueConstraint("kind_key", "title_key"),)
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
