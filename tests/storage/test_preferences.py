"""storage.preferences: a user's reminders on/off and snoozed, per organisation."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine
from storage_helpers import new_org

from storage.db import session
from storage.domain import Refused
from storage.preferences import preferences, set_reminders, snooze

TODAY = date(2025, 9, 30)


def test_preferences_snooze_and_off(engine: Engine) -> None:
    org = new_org(engine, "Testkommun").id
    with session(engine, org) as s, s.begin():
        assert snooze(s, org, "u1", TODAY).snoozed_until == date(2025, 10, 7)
        set_reminders(s, org, "u2", False)
    with session(engine, org) as s:
        prefs = preferences(s, org, ["u1", "u2", "u3"])
        assert preferences(s, org, []) == {}
    assert not prefs["u1"].wants_reminder(TODAY)
    assert prefs["u1"].wants_reminder(date(2025, 10, 7))
    assert not prefs["u2"].wants_reminder(date(2030, 1, 1))
    assert "u3" not in prefs
    with session(engine, org) as s, s.begin():
        with pytest.raises(Refused) as refused:
            snooze(s, org, "u1", TODAY, 0)
        assert refused.value.code == "snooze_out_of_range"
        with pytest.raises(Refused) as refused:
            snooze(s, org, "u1", TODAY, 366)
        assert refused.value.code == "snooze_out_of_range"
        with pytest.raises(Refused) as refused:
            set_reminders(s, org, "", True)
        assert refused.value.code == "unknown_user"
        assert snooze(s, org, "u1", TODAY, 365).snoozed_until == date(2026, 9, 30)
        on = set_reminders(s, org, "u1", True)  # switching on ends the snooze
    assert (on.enabled, on.snoozed_until) == (True, None)


def test_preferences_are_per_organisation(engine: Engine) -> None:
    a, b = new_org(engine, "A").id, new_org(engine, "B").id
    with session(engine, a) as s, s.begin():
        set_reminders(s, a, "u1", False)
    with session(engine, b) as s, s.begin():
        snooze(s, b, "u1", TODAY)
    with session(engine, a) as s:
        assert preferences(s, a, ["u1"])["u1"].enabled is False
        assert preferences(s, a, ["u1"])["u1"].snoozed_until is None
    with session(engine, b) as s:
        assert preferences(s, b, ["u1"])["u1"].enabled is True
