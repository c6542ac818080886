"""When nudges go out: schedule values and rules, as plain values (no database here).

The words people use for them ("veckovis fredag kl 9") are read by
understanding.subscription; storage.nudges stores what it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

DEFAULT_LEAD_DAYS = 7
DEFAULT_LONG_LEAD_DAYS = 28
MAX_LEAD_DAYS = 365
DEFAULT_TIME_OF_DAY = "08:00"

DAILY = "daily"
WEEKLY = "weekly"


@dataclass(frozen=True)
class SubscriptionOptions:
    unit_words: list[str] = field(default_factory=list)  # as typed; empty = all units
    lead_days: int = DEFAULT_LEAD_DAYS
    long_lead_days: int = DEFAULT_LONG_LEAD_DAYS
    frequency: str = DAILY
    weekday: int = 0  # 0 = Monday, for weekly
    time_of_day: str | None = None  # "HH:MM"; None = the organisation's nudge time


def local_now(timezone: str = "Europe/Stockholm", fixed_today: str = "") -> datetime:
    """The office's wall clock; LAGET_TODAY replaces the date but keeps the time of day."""
    now = datetime.now(ZoneInfo(timezone))
    if fixed_today:
        fixed = date.fromisoformat(fixed_today)
        now = now.replace(year=fixed.year, month=fixed.month, day=fixed.day)
    return now


def clock_time(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def is_scheduled(frequency: str, weekday: int, time_of_day: str, now: datetime) -> bool:
    """Due at or after its time today: daily = Monday to Friday, weekly = on its weekday."""
    day_ok = now.weekday() < 5 if frequency == DAILY else now.weekday() == weekday
    return day_ok and now.time() >= clock_time(time_of_day)
