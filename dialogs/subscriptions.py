"""Deadline nudges: subscribe a conversation, list and end subscriptions, and a user's own
reminder settings.

Everyone in a conversation may subscribe it (READ): the nudges go to that conversation only,
hold nothing its members can't already ask for, and anyone there can end them again.
Reminder settings act on the asking user's own preferences only."""

from __future__ import annotations

import re

from cards import nudges as nudge_cards
from cards.texts import day, refusal, t
from dialogs.answers import Answer
from dialogs.commands import Ask, command
from storage import conversations, preferences, subscriptions
from storage.db import session
from storage.domain import Refused
from understanding.question import Intent
from understanding.subscription import SubscriptionError, parse_subscription

_ID = re.compile(r"#?\s*(\d{1,9})\b")


def _conversation(ask: Ask) -> conversations.RefView | None:
    if not ask.conversation_id:
        return None
    with session(ask.engine, ask.org_id) as s:
        return conversations.get(s, ask.org_id, ask.conversation_id)


@command(Intent.SUBSCRIBE)
def subscribe(ask: Ask) -> Answer:
    ref = _conversation(ask)
    if ref is None:
        return Answer(t(ask.lang, "no_conversation"))
    q = ask.question
    try:
        options = parse_subscription(q.rest)
    except SubscriptionError as exc:
        return Answer(t(ask.lang, "bad_subscription",
                        reason=t(ask.lang, f"subscription_error.{exc.code}", **exc.params)))
    if q.unmatched:  # words where a unit should be that name none of the organisation's
        return Answer(t(ask.lang, "unknown_units", text=", ".join(q.unmatched)))
    with session(ask.engine, ask.org_id) as s, s.begin():
        sub, created = subscriptions.subscribe(
            s, ask.org_id, ref.id, list(q.units), options, ask.org.nudge_time,
            ask.user_name or ask.user_id, indicators=q.with_indicators)
    return Answer(nudge_cards.subscribed_text(ask.lang, sub, created),
                  nudge_cards.subscribed_card(ask.lang, sub, created))


@command(Intent.SUBSCRIPTIONS)
def list_subscriptions(ask: Ask) -> Answer:
    ref = _conversation(ask)
    subs: list[subscriptions.SubscriptionView] = []
    if ref is not None:
        with session(ask.engine, ask.org_id) as s:
            subs = subscriptions.subscriptions_of(s, ask.org_id, ref.id)
    return Answer(nudge_cards.subscriptions_text(ask.lang, subs),
                  nudge_cards.subscriptions_card(ask.lang, subs))


@command(Intent.UNSUBSCRIBE)
def unsubscribe(ask: Ask) -> Answer:
    ref = _conversation(ask)
    if ref is None:
        return Answer(t(ask.lang, "nothing_to_unsubscribe"))
    m = _ID.search(ask.question.rest)
    with session(ask.engine, ask.org_id) as s, s.begin():
        ended = subscriptions.unsubscribe(
            s, ask.org_id, ref.id, int(m[1]) if m else None,
            reason=t(ask.lang, "ended_by", who=ask.user_name or ask.user_id or "?"))
    if not ended:
        return Answer(t(ask.lang, "nothing_to_unsubscribe"))
    return Answer(t(ask.lang, "unsubscribed", n=ended))


def _own_preference(ask: Ask, enabled: bool) -> Answer:
    if not ask.user_id:
        return Answer(t(ask.lang, "no_conversation"))
    with session(ask.engine, ask.org_id) as s, s.begin():
        preferences.set_reminders(s, ask.org_id, ask.user_id, enabled)
    return Answer(t(ask.lang, "reminders_on" if enabled else "reminders_off"))


@command(Intent.REMINDERS_OFF)
def reminders_off(ask: Ask) -> Answer:
    return _own_preference(ask, False)


@command(Intent.REMINDERS_ON)
def reminders_on(ask: Ask) -> Answer:
    return _own_preference(ask, True)


@command(Intent.SNOOZE)
def snooze(ask: Ask) -> Answer:
    if not ask.user_id:
        return Answer(t(ask.lang, "no_conversation"))
    try:
        with session(ask.engine, ask.org_id) as s, s.begin():
            pref = preferences.snooze(s, ask.org_id, ask.user_id, ask.today,
                                      ask.question.days or preferences.SNOOZE_DAYS)
    except Refused as refused:
        return Answer(refusal(ask.lang, refused.code, refused.params))
    return Answer(t(ask.lang, "snoozed", until=day(pref.snoozed_until, ask.lang)))
