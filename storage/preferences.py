"""A user's personal reminder preferences in one organisation: on/off and snooze."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, select

from storage.domain import Refused
from storage.models import ReminderPreference
from storage.schedule import MAX_LEAD_DAYS

SNOOZE_DAYS = 7


@dataclass(frozen=True)
class Preference:
    enabled: bool = True
    snoozed_until: date | None = None

    def wants_reminder(self, today: date) -> bool:
        return self.enabled and (self.snoozed_until is None or today >= self.snoozed_until)


def preferences(s: Session, org: int, user_ids: list[str]) -> dict[str, Preference]:
    if not user_ids:
        return {}
    return {
        p.user_id: Preference(p.enabled, p.snoozed_until)
        for p in s.exec(select(ReminderPreference).where(
            ReminderPreference.organisation_id == org,
            ReminderPreference.user_id.in_(user_ids)))
    }


def _row(s: Session, org: int, user_id: str) -> ReminderPreference:
    if not user_id:
        raise Refused("unknown_user")
    return s.get(ReminderPreference, (org, user_id)) or ReminderPreference(
        organisation_id=org, user_id=user_id)


def set_reminders(s: Session, org: int, user_id: str, enabled: bool) -> Preference:
    row = _row(s, org, user_id)
    row.enabled = enabled
    if enabled:
        row.snoozed_until = None
    s.add(row)
    s.flush()
    return Preference(row.enabled, row.snoozed_until)


def snooze(s: Session, org: int, user_id: str, today: date,
           days: int = SNOOZE_DAYS) -> Preference:
    if not 1 <= days <= MAX_LEAD_DAYS:
        raise Refused("snooze_out_of_range", limit=MAX_LEAD_DAYS)
    row = _row(s, org, user_id)
    row.snoozed_until = today + timedelta(days=days)
    s.add(row)
    s.flush()
    return Preference(row.enabled, row.snoozed_until)
