"""The nudge cards (validated, paged under 28 KB). The storage parts of this file moved to
tests/storage/ (test_due, test_preferences, test_subscriptions, test_ledger); these card
tests still use the old storage.nudges names and are left for cards/ to port."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from card_validation import MAX_CARD_BYTES, assert_valid_cards

from cards import nudges as nudge_cards
from storage import nudges
from storage.domain import Forecast, Status
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
