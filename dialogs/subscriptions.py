"""Deadline nudges: subscribe a conversation, list and end subscriptions, and a user's own
reminder settings.

Everyone in a conversation may subscribe it (READ): the nudges go to that conversation only,
hold nothing its members can't already ask for, and anyone there can end them again.
Reminder settings act on the asking user's own preferences only."""

from __future__ import annotations

import re

from cards import nudges as nudge_cards
from cards.texts import day, t
from dialogs.commands import Answer, Ask, command
from storage import conversations, nudges
from storage.db import session

_ID = re.compile(r"#?\s*(\d{1,9})\b")


def _conversation(ask: Ask) -> conversations.RefView | None:
    if not ask.conversation_id:
        return None
    with session(ask.engine) as s:
        return conversations.get(s, ask.conversation_id)


@command("subscribe")
def subscribe(ask: Ask) -> Answer:
    ref = _conversation(ask)
    if ref is None:
        return Answer(t(ask.lang, "no_conversation"))
    try:
        options = nudges.parse_subscription(ask.intent.subject)
    except ValueError as exc:
        return Answer(t(ask.lang, "bad_subscription", reason=exc))
    with session(ask.engine) as s, s.begin():
        resolved = nudges.resolve_units(s, options.unit_words)
        if resolved.unknown:
            hint = (" " + t(ask.lang, "did_you_mean") + " " + ", ".join(resolved.suggestions)
                    if resolved.suggestions else "")
            return Answer(t(ask.lang, "unknown_units", text=", ".join(resolved.unknown)) + hint)
        sub, created = nudges.subscribe(s, ref.id, resolved.units, options,
                                        ask.user_name or ask.user_id)
    return Answer(nudge_cards.subscribed_text(ask.lang, sub, created),
                  nudge_cards.subscribed_card(ask.lang, sub, created))


@command("subscriptions")
def subscriptions(ask: Ask) -> Answer:
    ref = _conversation(ask)
    subs: list[nudges.SubscriptionView] = []
    if ref is not None:
        with session(ask.engine) as s:
            subs = nudges.subscriptions_of(s, ref.id)
    return Answer(nudge_cards.subscriptions_text(ask.lang, subs),
                  nudge_cards.subscriptions_card(ask.lang, subs))


@command("unsubscribe")
def unsubscribe(ask: Ask) -> Answer:
    ref = _conversation(ask)
    if ref is None:
        return Answer(t(ask.lang, "nothing_to_unsubscribe"))
    m = _ID.search(ask.intent.subject)
    with session(ask.engine) as s, s.begin():
        ended = nudges.unsubscribe(s, ref.id, int(m[1]) if m else None,
                                   reason=f"avslutad av {ask.user_name or ask.user_id or '?'}")
    if not ended:
        return Answer(t(ask.lang, "nothing_to_unsubscribe"))
    return Answer(t(ask.lang, "unsubscribed", n=ended))


def _own_preference(ask: Ask, enabled: bool) -> Answer:
    if not ask.user_id:
        return Answer(t(ask.lang, "no_conversation"))
    with session(ask.engine) as s, s.begin():
        nudges.set_reminders(s, ask.user_id, enabled)
    return Answer(t(ask.lang, "reminders_on" if enabled else "reminders_off"))


@command("reminders_off")
def reminders_off(ask: Ask) -> Answer:
    return _own_preference(ask, False)


@command("reminders_on")
def reminders_on(ask: Ask) -> Answer:
    return _own_preference(ask, True)


@command("snooze")
def snooze(ask: Ask) -> Answer:
    if not ask.user_id:
        return Answer(t(ask.lang, "no_conversation"))
    try:
        with session(ask.engine) as s, s.begin():
            pref = nudges.snooze(s, ask.user_id, ask.today, ask.intent.days)
    except ValueError as exc:
        return Answer(t(ask.lang, "bad_subscription", reason=exc))
    return Answer(t(ask.lang, "snoozed", until=day(pref.snoozed_until)))
