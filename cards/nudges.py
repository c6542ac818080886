"""Deadline nudge cards: the channel digest (grouped by unit, paged by size), the personal
reminder, subscription confirmations and list, and the welcome card for a team."""

from __future__ import annotations

from datetime import date

from cards.elements import (
    Card,
    Element,
    ask_action,
    card,
    container,
    facts,
    heading,
    shorten,
    size,
    subtle,
    summary,
    text,
    update_action,
)
from cards.indicators import indicator_digest_part
from cards.texts import day, status_label, t
from storage.due import NudgeItem, ReminderItem
from storage.indicator_news import IndicatorNews
from storage.schedule import DAILY
from storage.subscriptions import SubscriptionView
from understanding.question import Intent, Question

COMMENT_PREVIEW = 300
# Keep each card well under Teams' ~28 KB message limit (the activity envelope counts too).
CARD_BUDGET_BYTES = 20_000
_SNOOZE = Question(Intent.SNOOZE, days=7)
_REMINDERS_OFF = Question(Intent.REMINDERS_OFF)
_SUBSCRIPTIONS = Question(Intent.SUBSCRIPTIONS)
_HELP = Question(Intent.HELP)


def _unsubscribe(subscription_id: int) -> Question:
    return Question(Intent.UNSUBSCRIBE, rest=f"#{subscription_id}")


def _shorten(value: str) -> str:
    return shorten(value, COMMENT_PREVIEW)


def _when(lang: str, item: NudgeItem, today: date) -> str:
    a = item.assignment
    if a.due_date is None:
        return "–"
    if late := a.days_overdue(today):
        return f"{day(a.due_date, lang)} ({t(lang, 'days_late', n=late)})"
    left = (a.due_date - today).days
    when = t(lang, "due_today") if left == 0 else t(lang, "due_in", n=left)
    return f"{day(a.due_date, lang)} ({when})"


def _item(lang: str, item: NudgeItem, today: date, extra: str = "") -> Element:
    a = item.assignment
    pairs = [(t(lang, "due"), _when(lang, item, today)), (t(lang, "status"),
                                                          status_label(lang, a.status))]
    items: list[Element] = [text(a.title, weight="Bolder"), facts(pairs)]
    if extra:
        items.append(text(extra, color="Attention", size="Small", spacing="None"))
    if c := a.latest_comment:
        items.append(text(f"{day(c.day, lang)}: {_shorten(c.text)}", isSubtle=True,
                          size="Small"))
    else:
        items.append(text(t(lang, "no_comments"), isSubtle=True, size="Small"))
    items.append({"type": "ActionSet",
                  "actions": [update_action(a.number, t(lang, "update"))]})
    return container(items)


def _unit_heading(name: str) -> Element:
    return text(name, size="Medium", weight="Bolder", spacing="Large", color="Accent")


def _pack(blocks: list[list[Element]], fixed: int) -> list[list[Element]]:
    """Split blocks (a unit heading + its items) into pages that fit the card budget; a page
    break inside a unit repeats the unit heading so every page reads on its own."""
    pages: list[list[Element]] = [[]]
    used = fixed
    for block in blocks:
        unit_heading = block[0]
        for index, element in enumerate(block):
            needed = size(element)
            if pages[-1] and used + needed > CARD_BUDGET_BYTES:
                pages.append([] if index == 0 else [unit_heading])
                used = fixed + (0 if index == 0 else size(unit_heading))
            pages[-1].append(element)
            used += needed
    return pages


def digest_cards(lang: str, groups: list[tuple[str, list[NudgeItem]]], today: date,
                 news: IndicatorNews | None = None) -> list[Card]:
    """One digest, as one card or, when long, several (nothing is cut): 'part 1 of 3'; the
    indicator news (a subscription with indicators) come last."""
    items = [i for _, group in groups for i in group]
    overdue = sum(i.assignment.overdue(today) for i in items)
    summary = t(lang, "digest_summary", overdue=overdue, soon=len(items) - overdue,
                today=day(today, lang))
    blocks = [[_unit_heading(unit)] + [_item(lang, i, today) for i in group]
              for unit, group in groups]
    if news:
        blocks.append(indicator_digest_part(lang, news.new_values, news.turned_negative))
    if not items:
        return _parts(lang, "indicator.digest_card_title", [], blocks)
    return _parts(lang, "digest_title", [subtle(summary)], blocks)


def _parts(lang: str, title_key: str, intro: list[Element], blocks: list[list[Element]],
           actions: list[Element] | None = None) -> list[Card]:
    """Blocks packed into as many cards as the size limit needs, titled 'del 2 av 3';
    the actions go on the last part."""
    # Room for the longest title suffix, so packing holds whatever the part numbers.
    fixed = size(card([heading(t(lang, title_key) + "x" * 20), *intro], actions))
    pages = _pack(blocks, fixed)
    cards = []
    for number, page in enumerate(pages, start=1):
        title = t(lang, title_key)
        if len(pages) > 1:
            title += f" ({t(lang, 'digest_part', part=number, parts=len(pages))})"
        cards.append(card([heading(title), *intro, *page],
                          actions if number == len(pages) else None))
    return cards


def digest_text(lang: str, items: list[NudgeItem], today: date,
                news: IndicatorNews | None = None) -> str:
    overdue = sum(i.assignment.overdue(today) for i in items)
    parts = [t(lang, "digest_text", overdue=overdue, soon=len(items) - overdue)] if items else []
    if news:
        counts = [t(lang, key, n=len(found)) for key, found in (
            ("indicator.digest_new", news.new_values),
            ("indicator.digest_negative", news.turned_negative)) if found]
        parts.append(t(lang, "indicator.digest_text", parts=", ".join(counts)))
    return " ".join(parts)


def _reasons(lang: str, reasons: tuple[str, ...], stale_days: int) -> str:
    return ", ".join(t(lang, f"reason_{r}", days=stale_days) for r in reasons)


def reminder_cards(lang: str, items: list[ReminderItem], today: date, stale_days: int) -> list[
    Card
]:
    """A manager's personal reminder, grouped by unit; snooze and turn-off buttons."""
    groups: dict[str, list[Element]] = {}
    for r in sorted(items, key=lambda r: (r.item.assignment.unit,
                                          r.item.assignment.due_date or date.max)):
        groups.setdefault(r.item.assignment.unit, []).append(
            _item(lang, r.item, today, _reasons(lang, r.reasons, stale_days))
        )
    blocks = [[_unit_heading(unit), *elements] for unit, elements in groups.items()]
    actions = [ask_action(t(lang, "snooze_week"), _SNOOZE),
               ask_action(t(lang, "reminders_off_button"), _REMINDERS_OFF)]
    return _parts(lang, "reminder_title", [text(t(lang, "reminder_intro"))], blocks, actions)


def reminder_text(lang: str, items: list[ReminderItem]) -> str:
    return t(lang, "reminder_text", n=len(items))


# --- subscriptions ----------------------------------------------------------------------------


def schedule_text(lang: str, sub: SubscriptionView) -> str:
    if sub.frequency == DAILY:
        return t(lang, "sub_daily", time=sub.time_of_day)
    return t(lang, "sub_weekly", weekday=t(lang, f"weekday.{sub.weekday}"),
             time=sub.time_of_day)


def _units_named(lang: str, sub: SubscriptionView, limit: int | None = None) -> str:
    named = ", ".join(sub.unit_names) or t(lang, "sub_all_units")
    return named if limit is None else shorten(named, limit)


def _sub_facts(lang: str, sub: SubscriptionView, units_limit: int | None = None) -> Element:
    state = (t(lang, "sub_active") if sub.active
             else t(lang, "sub_inactive", reason=sub.disabled_reason or "–"))
    return facts([
        (t(lang, "sub_units"), _units_named(lang, sub, units_limit)),
        (t(lang, "sub_lead"), t(lang, "sub_lead_value", lead=sub.lead_days,
                                long=sub.long_lead_days)),
        (t(lang, "sub_when"), schedule_text(lang, sub)),
        *([(t(lang, "indicator.digest_title"), t(lang, "sub_indicators"))]
          if sub.indicators else []),
        (t(lang, "sub_state"), state),
    ])


def subscribed_card(lang: str, sub: SubscriptionView, created: bool) -> Card:
    title = t(lang, "subscribed_title") if created else t(lang, "subscribed_updated")
    return card(
        [heading(f"{title} (#{sub.id})"), text(t(lang, "subscribed_intro")),
         _sub_facts(lang, sub)],
        [ask_action(t(lang, "show_subscriptions"), _SUBSCRIPTIONS),
         ask_action(t(lang, "unsubscribe_button", id=sub.id), _unsubscribe(sub.id))],
    )


def subscribed_text(lang: str, sub: SubscriptionView, created: bool) -> str:
    title = t(lang, "subscribed_title") if created else t(lang, "subscribed_updated")
    return summary(f"{title} (#{sub.id}): {_units_named(lang, sub, 300)}, "
                   f"{schedule_text(lang, sub)}.")


# A conversation's subscriptions may name every unit each: shorter unit lists until the card
# fits ("prenumerationer" lists them all, whole, in its text).
_UNIT_LIST_LIMITS = (None, 300, 100, 40)


def subscriptions_card(lang: str, subs: list[SubscriptionView]) -> Card:
    head: list[Element] = [heading(t(lang, "subscriptions_title"))]
    if not subs:
        return card([*head, text(t(lang, "no_subscriptions"))])
    for limit in _UNIT_LIST_LIMITS:
        body = list(head)
        for sub in subs:
            items: list[Element] = [text(f"#{sub.id}", weight="Bolder"),
                                    _sub_facts(lang, sub, limit)]
            if sub.active:
                items.append({"type": "ActionSet", "actions": [
                    ask_action(t(lang, "unsubscribe_button", id=sub.id),
                               _unsubscribe(sub.id))]})
            body.append(container(items))
        result = card(body)
        if size(result) <= CARD_BUDGET_BYTES:
            break
    return result


def subscriptions_text(lang: str, subs: list[SubscriptionView]) -> str:
    if not subs:
        return t(lang, "no_subscriptions")
    def line(s: SubscriptionView) -> str:
        state = "" if s.active else (
            f" ({t(lang, 'sub_inactive', reason=s.disabled_reason or '–')})")
        return f"#{s.id} {_units_named(lang, s, 100)}, {schedule_text(lang, s)}{state}"

    return summary(t(lang, "subscriptions_title") + ": " + "; ".join(line(s) for s in subs))


def welcome_card(lang: str) -> Card:
    """Posted when the bot is added to a team: how to subscribe the channel."""
    examples = [(t(lang, f"welcome_example.{key}"), t(lang, f"welcome_{key}"))
                for key in ("all", "some", "list")]
    body: list[Element] = [heading(t(lang, "welcome_title")), text(t(lang, "welcome_intro")),
                           text(t(lang, "welcome_how"), weight="Bolder")]
    body.extend(container([text(f"@Läget {example}", weight="Bolder"), subtle(what)],
                          separator=False) for example, what in examples)
    return card(body, [ask_action(t(lang, "help_title"), _HELP)])


def welcome_text(lang: str) -> str:
    return f"{t(lang, 'welcome_title')}. {t(lang, 'welcome_intro')}"
