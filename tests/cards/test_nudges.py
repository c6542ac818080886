"""cards/nudges.py: the channel digest (grouped by unit, in parts under 28 KB, nothing cut),
the personal reminder, the subscription cards and the welcome card, in every language."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from card_helpers import MARKDOWN_TITLE, asked, comment, nudge_item, shown, texts, view
from card_validation import MAX_CARD_BYTES, assert_valid_cards

from cards import nudges as nudge_cards
from cards.elements import update_question
from cards.texts import LANGUAGES
from storage.due import ReminderItem, group_by_unit
from storage.subscriptions import SubscriptionView
from understanding.question import Intent, Question

TODAY = date(2025, 9, 30)  # a Tuesday


def two_items() -> list:
    return [nudge_item(view(1, TODAY - timedelta(days=2), unit="IT",
                            comments=[comment("Arbetet pågår.", TODAY - timedelta(days=5))])),
            nudge_item(view(2, TODAY + timedelta(days=3), unit="Stab", unit_id=2))]


def test_digest_card_shows_units_comments_and_update_buttons() -> None:
    cards = nudge_cards.digest_cards("sv", group_by_unit(two_items()), TODAY)
    assert len(cards) == 1
    dumped = json.dumps(cards[0], ensure_ascii=False)
    assert "1 försenade och 1 som förfaller snart" in dumped
    assert "2 dagar försenat" in dumped and "om 3 dagar" in dumped
    assert "Arbetet pågår." in dumped and "Inga kommentarer ännu." in dumped
    assert asked(cards[0]) == [update_question(1), update_question(2)]
    # Units by name, each a heading before its assignments.
    shown_texts = texts(cards[0])
    assert shown_texts.index("IT") < shown_texts.index("Uppdrag 1") < shown_texts.index(
        "Stab") < shown_texts.index("Uppdrag 2")
    assert_valid_cards(cards)


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ["1 overdue and 1 due soon", "2 days overdue", "in 3 days", "No comments yet."]),
    ("fi", ["2 päivää myöhässä", "30.9.2025"]),
])
def test_digest_in_other_languages(lang: str, words: list[str]) -> None:
    cards = nudge_cards.digest_cards(lang, group_by_unit(two_items()), TODAY)
    dumped = json.dumps(cards, ensure_ascii=False)
    for word in words:
        assert word in dumped, (lang, word)
    assert asked(cards[0]) == [update_question(1), update_question(2)]
    assert_valid_cards(cards)


@pytest.mark.parametrize(("lang", "words"), [
    ("sv", ["1 dag försenat", "(i dag)", "(om 1 dag)"]),
    ("en", ["1 day overdue", "(today)", "(in 1 day)"]),
    ("fi", ["1 päivä myöhässä", "(tänään)", "(1 päivän kuluttua)"]),
])
def test_one_day_and_due_today(lang: str, words: list[str]) -> None:
    items = [nudge_item(view(1, TODAY - timedelta(days=1))), nudge_item(view(2, TODAY)),
             nudge_item(view(3, TODAY + timedelta(days=1)))]
    dumped = json.dumps(nudge_cards.digest_cards(lang, group_by_unit(items), TODAY),
                        ensure_ascii=False)
    for word in words:
        assert word in dumped, word


def test_digest_text_counts() -> None:
    assert nudge_cards.digest_text("sv", two_items(), TODAY) == (
        "Påminnelse: 1 försenade uppdrag och 1 som förfaller snart.")
    assert "1 overdue" in nudge_cards.digest_text("en", two_items(), TODAY)


def test_a_long_digest_is_split_into_parts_nothing_cut() -> None:
    long_text = "Lång kommentar om läget. " * 20
    items = [nudge_item(view(i, TODAY - timedelta(days=i % 30), unit=f"Enhet {i % 7}",
                             unit_id=i % 7,
                             title=f"Uppdrag nummer {i} med en ganska lång titel om något",
                             comments=[comment(long_text, date(2025, 9, 1))]))
             for i in range(1, 121)]
    cards = nudge_cards.digest_cards("sv", group_by_unit(items), TODAY)
    assert len(cards) > 1
    assert all(len(json.dumps(c)) < MAX_CARD_BYTES for c in cards)
    assert sorted(q.filter.numbers[0] for c in cards for q in asked(c)) == list(range(1, 121))
    shown_all = json.dumps(cards, ensure_ascii=False)
    assert f"(del {len(cards)} av {len(cards)})" in shown_all
    # A part that starts inside a unit repeats the unit's heading: every part reads alone.
    for card in cards[1:]:
        first_item = next(e for e in card["body"][2:])
        assert first_item["type"] == "TextBlock" and first_item["text"].startswith("Enhet")
    assert_valid_cards(cards)


def test_the_preview_of_a_long_comment_is_shortened() -> None:
    items = [nudge_item(view(1, TODAY, comments=[comment("ord " * 1000, TODAY)]))]
    [card] = nudge_cards.digest_cards("sv", group_by_unit(items), TODAY)
    preview = next(t for t in texts(card) if t.startswith("2025-09-30: ord"))
    assert len(preview) <= len("2025-09-30: ") + nudge_cards.COMMENT_PREVIEW
    assert preview.endswith("…")


def test_imported_markdown_in_a_digest_shows_literally() -> None:
    a = view(1, TODAY, title=MARKDOWN_TITLE, unit="**IT**",
             comments=[comment(MARKDOWN_TITLE, TODAY)])
    [card] = nudge_cards.digest_cards("sv", group_by_unit([nudge_item(a)]), TODAY)
    shown_texts = [shown(t) for t in texts(card)]
    assert MARKDOWN_TITLE in shown_texts and "**IT**" in shown_texts
    assert f"2025-09-30: {MARKDOWN_TITLE}" in shown_texts


def test_reminder_card() -> None:
    reminders = [ReminderItem(nudge_item(view(1, TODAY - timedelta(days=1))),
                              ("overdue", "stale")),
                 ReminderItem(nudge_item(view(2, TODAY + timedelta(days=5))), ("due_soon",))]
    reminder = nudge_cards.reminder_cards("sv", reminders, TODAY, 30)
    dumped = json.dumps(reminder, ensure_ascii=False)
    assert "försenat, ingen kommentar på över 30 dagar" in dumped
    assert "förfaller snart" in dumped
    assert "Påminn om en vecka" in dumped and "Stäng av påminnelser" in dumped
    assert asked(reminder) == [update_question(1), update_question(2),
                               Question(Intent.SNOOZE, days=7),
                               Question(Intent.REMINDERS_OFF)]
    assert nudge_cards.reminder_text("sv", reminders) == (
        "Påminnelse: 2 av dina uppdrag behöver uppmärksamhet.")
    assert_valid_cards(reminder)


SUB = SubscriptionView(3, "c", [1], ["IT"], 7, 28, "weekly", 0, "08:00", True, "")
ENDED = SubscriptionView(4, "c", [], [], 7, 28, "daily", 0, "08:00", False,
                         "HTTP 403 on 2025-09-30")


def test_subscription_cards() -> None:
    subscribed = nudge_cards.subscribed_card("sv", SUB, True)
    listed = nudge_cards.subscriptions_card("en", [SUB, ENDED])
    dumped = json.dumps(listed)
    assert "every Monday at 08:00" in dumped
    assert "ended (HTTP 403 on 2025-09-30)" in dumped and "all units" in dumped
    # Only the active subscription has an End button.
    assert asked(listed) == [Question(Intent.UNSUBSCRIBE, rest="#3")]
    assert asked(subscribed) == [Question(Intent.SUBSCRIPTIONS),
                                 Question(Intent.UNSUBSCRIBE, rest="#3")]
    assert "Prenumeration startad (#3)" in json.dumps(subscribed, ensure_ascii=False)
    assert nudge_cards.subscribed_text("sv", SUB, False) == (
        "Prenumerationen är ändrad (#3): IT, varje måndag kl. 08:00.")
    assert nudge_cards.subscriptions_text("en", [SUB, ENDED]) == (
        "Subscriptions in this conversation: #3 IT, every Monday at 08:00; "
        "#4 all units, weekdays at 08:00 (ended (HTTP 403 on 2025-09-30))")
    assert nudge_cards.subscriptions_text("sv", []) == nudge_cards.subscriptions_card(
        "sv", [])["body"][1]["text"]
    assert_valid_cards([subscribed, listed, nudge_cards.subscriptions_card("sv", [])])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_nudge_card_in_every_language(lang: str) -> None:
    reminders = [ReminderItem(nudge_item(view(1, TODAY - timedelta(days=1))), ("overdue",))]
    cards = [*nudge_cards.digest_cards(lang, group_by_unit(two_items()), TODAY),
             *nudge_cards.reminder_cards(lang, reminders, TODAY, 30),
             nudge_cards.subscribed_card(lang, SUB, True),
             nudge_cards.subscribed_card(lang, SUB, False),
             nudge_cards.subscriptions_card(lang, [SUB, ENDED]),
             nudge_cards.subscriptions_card(lang, []),
             nudge_cards.welcome_card(lang)]
    assert asked(cards[-1]) == [Question(Intent.HELP)]
    assert nudge_cards.welcome_text(lang).startswith(
        cards[-1]["body"][0]["text"].replace("\\", ""))
    assert_valid_cards(cards)
