"""storage.subscriptions (one per conversation and unit set) and storage.schedule (when
nudges go out)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from storage import conversations
from storage.conversations import ConversationInfo
from storage.db import session
from storage.organisations import OrganisationView
from storage.schedule import SubscriptionOptions, is_scheduled, local_now
from storage.subscriptions import (
    active_subscriptions,
    disable_conversation,
    subscribe,
    subscriptions_of,
    unsubscribe,
)
from storage.units import find_unit

TZ = ZoneInfo("Europe/Stockholm")
TODAY = date(2025, 9, 30)  # a Tuesday


def channel_info(org: int, conversation_id: str = "19:a@thread.tacv2;messageid=17"
                 ) -> ConversationInfo:
    return ConversationInfo(org, conversation_id, "channel", "msteams", "https://smba.example/",
                            "tenant-1", "29:anna", {"activityId": "17", "locale": "sv-SE",
                                                    "conversation": {"id": conversation_id}})


def test_schedule_daily_is_weekdays_and_weekly_its_day() -> None:
    tuesday_0759 = datetime(2025, 9, 30, 7, 59, tzinfo=TZ)
    assert not is_scheduled("daily", 0, "08:00", tuesday_0759)
    assert is_scheduled("daily", 0, "08:00", tuesday_0759 + timedelta(minutes=1))
    saturday = datetime(2025, 10, 4, 12, 0, tzinfo=TZ)
    assert not is_scheduled("daily", 0, "08:00", saturday)
    assert is_scheduled("weekly", 5, "08:00", saturday)
    assert not is_scheduled("weekly", 0, "08:00", saturday)


def test_local_now_keeps_the_time_but_takes_laget_today() -> None:
    now = local_now("Europe/Stockholm", "2025-09-30")
    assert now.date() == TODAY and now.tzinfo is not None
    assert local_now("Europe/Helsinki").utcoffset() != local_now("UTC").utcoffset()


def test_subscribe_is_one_per_unit_set(demo: Engine, norrtalje: OrganisationView) -> None:
    org = norrtalje.id
    with session(demo, org) as s, s.begin():
        ref = conversations.record(s, channel_info(org))
        units = [find_unit(s, org, n) for n in ("Stab och planering", "IT", "Näringsliv")]
        ids = [u.id for u in units]  # type: ignore[union-attr]
        weekly = SubscriptionOptions(frequency="weekly", weekday=4, time_of_day="09:00")
        sub, created = subscribe(s, org, ref.id, ids, weekly, "08:00", "anna")
        again, created_again = subscribe(s, org, ref.id, list(reversed(ids)),
                                         SubscriptionOptions(), "07:30", "anna",
                                         indicators=True)
        assert created and not created_again and sub.id == again.id
        assert sub.unit_names == ["IT", "Näringsliv", "Stab och planering"]
        assert (sub.frequency, sub.weekday, sub.time_of_day) == ("weekly", 4, "09:00")
        assert (again.frequency, again.time_of_day, again.indicators) == ("daily", "07:30", True)
        everything, created_all = subscribe(s, org, ref.id, [], SubscriptionOptions(), "08:00",
                                            "bo")
        assert created_all and everything.unit_ids == [] and everything.unit_names == []
        assert [d.subscription.id for d in active_subscriptions(s, org)] == [sub.id,
                                                                             everything.id]
        assert unsubscribe(s, org, ref.id, everything.id) == 1
        assert unsubscribe(s, org, ref.id) == 1
        assert unsubscribe(s, org, ref.id) == 0
        assert [x.disabled_reason for x in subscriptions_of(s, org, ref.id)] == [
            "unsubscribed", "unsubscribed"]
        assert subscriptions_of(s, org, ref.id, include_inactive=False) == []
        assert active_subscriptions(s, org) == []
        back, _ = subscribe(s, org, ref.id, ids, SubscriptionOptions(), "08:00", "anna")
        assert back.active and back.disabled_reason == "" and back.id == sub.id


def test_another_organisations_units_are_dropped(demo: Engine, norrtalje: OrganisationView,
                                                 lovisa: OrganisationView) -> None:
    with session(demo, lovisa.id) as s:
        lovisa_unit = find_unit(s, lovisa.id, "ICT").id  # type: ignore[union-attr]
    org = norrtalje.id
    with session(demo, org) as s, s.begin():
        ref = conversations.record(s, channel_info(org))
        it = find_unit(s, org, "IT").id  # type: ignore[union-attr]
        sub, _ = subscribe(s, org, ref.id, [it, lovisa_unit], SubscriptionOptions(), "08:00",
                           "anna")
    assert (sub.unit_ids, sub.unit_names) == ([it], ["IT"])


def test_a_403_switches_the_conversation_off(demo: Engine, norrtalje: OrganisationView) -> None:
    org = norrtalje.id
    with session(demo, org) as s, s.begin():
        ref = conversations.record(s, channel_info(org))
        subscribe(s, org, ref.id, [], SubscriptionOptions(), "08:00", "anna")
        assert disable_conversation(s, org, "19:a@thread.tacv2", "HTTP 403 on 2025-09-30") == 1
        assert disable_conversation(s, org, "19:unknown@thread.tacv2", "x") == 0
    with session(demo, org) as s:
        assert active_subscriptions(s, org) == []
        [sub] = subscriptions_of(s, org, ref.id)
        assert sub.disabled_reason == "HTTP 403 on 2025-09-30"
        assert not conversations.get(s, org, "19:a@thread.tacv2").active  # type: ignore[union-attr]
