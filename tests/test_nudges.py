"""storage.nudges as plain functions, and the nudge cards (validated, paged under 28 KB)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from card_validation import MAX_CARD_BYTES, assert_valid_cards
from sqlalchemy import Engine
from sqlmodel import select

from cards import nudges as nudge_cards
from storage import conversations, nudges
from storage.conversations import ConversationInfo
from storage.db import session
from storage.demo import load_demo
from storage.domain import Forecast, Status
from storage.models import SentNudge
from storage.queries import AssignmentView, CommentView

TODAY = date(2025, 9, 30)  # a Tuesday
TZ = ZoneInfo("Europe/Stockholm")


def item(id_: int, due: date | None, unit: str = "IT", unit_id: int = 1,
         status: Status = Status.STARTED, first_seen: date | None = None,
         comment_day: date | None = None, title: str | None = None) -> nudges.NudgeItem:
    comments = ([CommentView("Arbetet pågår.", "import",
                             datetime.combine(comment_day, datetime.min.time(), UTC))]
                if comment_day else [])
    view = AssignmentView(id_, "Uppdrag", "", title or f"Uppdrag {id_}", unit, due, status,
                          Forecast.ON_PLAN, 1, comments)
    return nudges.NudgeItem(view, unit_id, first_seen)


# --- options ------------------------------------------------------------------------------


def test_parse_subscription_defaults_and_options() -> None:
    assert nudges.parse_subscription("") == nudges.SubscriptionOptions()
    o = nudges.parse_subscription("IT, Stab och planering veckovis fredag kl 9")
    assert (o.unit_words, o.frequency, o.weekday, o.time_of_day) == (
        ["IT", "Stab och planering"], "weekly", 4, "09:00")
    o = nudges.parse_subscription("IT weekly on monday at 7:30 lead 10 days long 40 days")
    assert (o.lead_days, o.long_lead_days, o.weekday, o.time_of_day) == (10, 40, 0, "07:30")
    assert nudges.parse_subscription("varje måndag").frequency == "weekly"
    assert nudges.parse_subscription("alla enheter dagligen").unit_words == []
    assert nudges.parse_subscription("IT 45 dagar").long_lead_days == 45  # never below lead


@pytest.mark.parametrize("text", ["kl 25", "kl 9.75", "0 dagar", "999 dagar",
                                  "dagligen veckovis"])
def test_parse_subscription_refuses_out_of_range(text: str) -> None:
    with pytest.raises(ValueError):
        nudges.parse_subscription(text)


def test_schedule_daily_is_weekdays_and_weekly_its_day() -> None:
    tuesday_0759 = datetime(2025, 9, 30, 7, 59, tzinfo=TZ)
    assert not nudges.is_scheduled("daily", 0, "08:00", tuesday_0759)
    assert nudges.is_scheduled("daily", 0, "08:00", tuesday_0759 + timedelta(minutes=1))
    saturday = datetime(2025, 10, 4, 12, 0, tzinfo=TZ)
    assert not nudges.is_scheduled("daily", 0, "08:00", saturday)
    assert nudges.is_scheduled("weekly", 5, "08:00", saturday)
    assert not nudges.is_scheduled("weekly", 0, "08:00", saturday)


def test_local_now_keeps_the_time_but_takes_laget_today() -> None:
    now = nudges.local_now("Europe/Stockholm", "2025-09-30")
    assert now.date() == TODAY and now.tzinfo is not None


# --- what is due --------------------------------------------------------------------------


def test_long_assignments_by_span_or_quarter_end() -> None:
    assert nudges.is_long(date(2025, 12, 31), date(2025, 6, 1))  # 213 days
    assert not nudges.is_long(date(2025, 10, 20), date(2025, 9, 1))  # 49 days
    assert nudges.is_long(date(2025, 12, 31), None)  # 'kvartal 4 2025' without comments
    assert not nudges.is_long(date(2025, 10, 20), None)
    assert not nudges.is_long(None, None)


def test_lead_time_is_7_days_or_28_for_long_ones() -> None:
    short = item(1, TODAY + timedelta(days=8), first_seen=TODAY - timedelta(days=10))
    long = item(2, TODAY + timedelta(days=20), first_seen=TODAY - timedelta(days=200))
    due_in_7 = item(3, TODAY + timedelta(days=7), first_seen=TODAY - timedelta(days=10))
    overdue = item(4, TODAY - timedelta(days=3))
    done = item(5, TODAY - timedelta(days=3), status=Status.COMPLETED)
    no_date = item(6, None)
    chosen = nudges.digest_items([short, long, due_in_7, overdue, done, no_date], [], TODAY,
                                 7, 28)
    assert [c.id for c in chosen] == [2, 3, 4]


def test_digest_items_filter_units_and_group_by_unit() -> None:
    a = item(1, TODAY, "Stab", 2)
    b = item(2, TODAY - timedelta(days=1), "IT", 1)
    c = item(3, TODAY - timedelta(days=9), "Stab", 2)
    assert [i.id for i in nudges.digest_items([a, b, c], [2], TODAY, 7, 28)] == [1, 3]
    groups = nudges.group_by_unit([a, b, c])
    assert [(u, [i.id for i in g]) for u, g in groups] == [("IT", [2]), ("Stab", [3, 1])]


def test_reminder_reasons_and_weekly_repeat() -> None:
    stale = item(1, TODAY + timedelta(days=100), comment_day=TODAY - timedelta(days=31))
    fresh = item(2, TODAY + timedelta(days=100), comment_day=TODAY - timedelta(days=30))
    late = item(3, TODAY - timedelta(days=1), comment_day=TODAY)
    soon = item(4, TODAY + timedelta(days=2), first_seen=TODAY, comment_day=TODAY)
    never = item(5, None)
    other_unit = item(6, TODAY - timedelta(days=1), unit_id=9)
    found = nudges.reminder_items([stale, fresh, late, soon, never, other_unit], {1}, TODAY,
                                  30, recently_reminded={4})
    assert [(r.item.id, r.reasons) for r in found] == [
        (1, ("stale",)), (3, ("overdue",)), (5, ("stale",))]


def test_preferences_snooze_and_off(engine: Engine) -> None:
    with session(engine) as s, s.begin():
        assert nudges.snooze(s, "u1", TODAY).snoozed_until == date(2025, 10, 7)
        nudges.set_reminders(s, "u2", False)
    with session(engine) as s:
        prefs = nudges.preferences(s, ["u1", "u2", "u3"])
    assert not prefs["u1"].wants_reminder(TODAY)
    assert prefs["u1"].wants_reminder(date(2025, 10, 7))
    assert not prefs["u2"].wants_reminder(date(2030, 1, 1))
    assert "u3" not in prefs
    with session(engine) as s, s.begin(), pytest.raises(ValueError):
        nudges.snooze(s, "u1", TODAY, 0)


# --- storage ------------------------------------------------------------------------------


def channel_info(conversation_id: str = "19:a@thread.tacv2;messageid=17") -> ConversationInfo:
    return ConversationInfo(conversation_id, "channel", "msteams", "https://smba.example/",
                            "tenant-1", "29:anna", {"activityId": "17", "locale": "sv-SE",
                                                    "conversation": {"id": conversation_id}})


def test_conversation_references_are_upserted_without_thread_or_reply_id(engine: Engine) -> None:
    with session(engine) as s, s.begin():
        first = conversations.record(s, channel_info())
        again = conversations.record(s, channel_info("19:a@thread.tacv2;messageid=99"))
    assert first.id == again.id and again.conversation_id == "19:a@thread.tacv2"
    assert "activityId" not in again.reference
    assert again.reference["conversation"]["id"] == "19:a@thread.tacv2"
    assert again.user_id == ""  # only 1:1 chats keep the user
    with session(engine) as s, s.begin():
        assert conversations.deactivate(s, "19:a@thread.tacv2")
        assert conversations.record(s, channel_info()).active  # it wrote again: reachable


def test_subscribe_resolves_units_and_is_one_per_unit_set(engine: Engine) -> None:
    load_demo(engine)
    with session(engine) as s, s.begin():
        ref = conversations.record(s, channel_info())
        found = nudges.resolve_units(s, ["Stab och planering", "IT och Näringsliv"])
        assert sorted(u.name for u in found.units) == ["IT", "Näringsliv", "Stab och planering"]
        assert nudges.resolve_units(s, ["Ekonomiförvaltningen"]).unknown == [
            "Ekonomiförvaltningen"]
        options = nudges.parse_subscription("veckovis")
        sub, created = nudges.subscribe(s, ref.id, found.units, options, "anna")
        again, created_again = nudges.subscribe(s, ref.id, list(reversed(found.units)),
                                                nudges.SubscriptionOptions(), "anna")
        assert created and not created_again and sub.id == again.id
        assert again.frequency == "daily"
        assert nudges.unsubscribe(s, ref.id) == 1
        assert nudges.subscriptions_of(s, ref.id)[0].disabled_reason == "unsubscribed"
        assert nudges.active_subscriptions(s) == []


def test_claims_are_exclusive_and_stale_ones_are_taken_over(engine: Engine) -> None:
    now = datetime(2025, 9, 30, 6, 5, tzinfo=UTC)
    assert nudges.claim(engine, "c1", "digest", TODAY, [1, 2], "w1", now)
    assert not nudges.claim(engine, "c1", "digest", TODAY, [1, 2], "w2", now)
    with session(engine) as s:
        assert nudges.handled_today(s, "digest", TODAY, now) == {"c1"}
        later = now + nudges.STALE_CLAIM + timedelta(seconds=1)
        assert nudges.handled_today(s, "digest", TODAY, later) == set()
    assert nudges.claim(engine, "c1", "digest", TODAY, [1], "w2", later)  # w1 died
    nudges.finish(engine, "c1", "digest", TODAY, "w1", "sent", later)  # not w1's any more
    nudges.finish(engine, "c1", "digest", TODAY, "w2", "sent", later)
    with session(engine) as s:
        row = s.exec(select(SentNudge)).one()
        assert (row.claimed_by, row.state, row.assignment_ids) == ("w2", "sent", "1")
    assert not nudges.claim(engine, "c1", "digest", TODAY, [1], "w3", later + timedelta(
        hours=1))  # sent is final
    assert nudges.claim(engine, "c2", "digest", TODAY, [3], "w1", now)
    nudges.release(engine, "c2", "digest", TODAY, "w1")
    assert nudges.claim(engine, "c2", "digest", TODAY, [3], "w2", now)  # released: retried


def test_recently_reminded_reads_the_last_week(engine: Engine) -> None:
    now = datetime(2025, 9, 30, 6, 5, tzinfo=UTC)
    for days_ago, ids in ((1, [1, 2]), (6, [3]), (7, [4])):
        day = TODAY - timedelta(days=days_ago)
        key = nudges.reminder_key("anna")
        assert nudges.claim(engine, key, "reminder", day, ids, "w", now)
        nudges.finish(engine, key, "reminder", day, "w", "sent", now)
    with session(engine) as s:
        assert nudges.recently_reminded(s, ["anna"], TODAY) == {"anna": {1, 2, 3}}


# --- cards --------------------------------------------------------------------------------


def test_digest_card_shows_units_comments_and_update_buttons() -> None:
    items = [item(1, TODAY - timedelta(days=2), "IT", comment_day=TODAY - timedelta(days=5)),
             item(2, TODAY + timedelta(days=3), "Stab", 2)]
    cards = nudge_cards.digest_cards("sv", nudges.group_by_unit(items), TODAY)
    assert len(cards) == 1
    dumped = json.dumps(cards[0], ensure_ascii=False)
    assert "1 försenade och 1 som förfaller snart" in dumped
    assert "2 dagar försenat" in dumped and "om 3 dagar" in dumped
    assert "Arbetet pågår." in dumped and "Inga kommentarer ännu." in dumped
    assert '"ask": "uppdatera #1"' in dumped and '"ask": "uppdatera #2"' in dumped
    english = nudge_cards.digest_cards("en", nudges.group_by_unit(items), TODAY)
    assert '"ask": "update #1"' in json.dumps(english)
    assert_valid_cards(cards + english)


def test_a_long_digest_is_split_into_parts_nothing_cut() -> None:
    long_text = "Lång kommentar om läget. " * 20
    items = []
    for i in range(1, 121):
        view = item(i, TODAY - timedelta(days=i % 30), f"Enhet {i % 7}", i % 7,
                    title=f"Uppdrag nummer {i} med en ganska lång titel om något viktigt")
        comment = CommentView(long_text, "import", datetime(2025, 9, 1, tzinfo=UTC))
        items.append(nudges.NudgeItem(
            AssignmentView(**{**view.assignment.__dict__, "comments": [comment]}), i % 7, None))
    cards = nudge_cards.digest_cards("sv", nudges.group_by_unit(items), TODAY)
    assert len(cards) > 1
    assert all(len(json.dumps(c)) < MAX_CARD_BYTES for c in cards)
    shown = json.dumps(cards, ensure_ascii=False)
    assert all(f'"uppdatera #{i}"' in shown for i in range(1, 121))
    assert f"(del {len(cards)} av {len(cards)})" in shown
    assert_valid_cards(cards)


def test_reminder_subscription_and_welcome_cards_are_valid() -> None:
    reminders = [nudges.ReminderItem(item(1, TODAY - timedelta(days=1)), ("overdue", "stale"))]
    reminder = nudge_cards.reminder_cards("sv", reminders, TODAY, 30)
    dumped = json.dumps(reminder, ensure_ascii=False)
    assert "försenat, ingen kommentar på över 30 dagar" in dumped
    assert "Påminn om en vecka" in dumped
    sub = nudges.SubscriptionView(3, "c", [1], ["IT"], 7, 28, "weekly", 0, "08:00", True, "")
    ended = nudges.SubscriptionView(4, "c", [], [], 7, 28, "daily", 0, "08:00", False,
                                    "HTTP 403 on 2025-09-30")
    cards = [*reminder, nudge_cards.subscribed_card("sv", sub, True),
             nudge_cards.subscriptions_card("en", [sub, ended]),
             nudge_cards.subscriptions_card("sv", []), nudge_cards.welcome_card("sv"),
             nudge_cards.welcome_card("en")]
    assert "every Monday at 08:00" in json.dumps(cards[2])
    assert "ended (HTTP 403 on 2025-09-30)" in json.dumps(cards[2])
    assert_valid_cards(cards)
