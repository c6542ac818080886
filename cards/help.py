"""Help, units, and asking back ("did you mean …?") cards."""

from __future__ import annotations

from cards.elements import (
    Card,
    Element,
    ask_action,
    card,
    container,
    fit_text,
    heading,
    subtle,
    summary,
    text,
    text_table,
)
from cards.texts import t
from storage.filters import AssignmentFilter
from storage.queries import UnitView
from understanding.question import Form, Intent, Question

# What one can ask, in the order the help card shows it; each has "help.topic.<key>" and
# "help.example.<key>" in the catalogue.
TOPICS = ("forecast", "cross_unit", "budget", "overdue", "filters", "due", "assignment",
          "count", "summary", "indicators", "units", "update", "my_assignments", "subscribe",
          "reminders", "as_text")
# Readings offered as buttons when unsure; with the help button that is five, the most
# actions a card may have (Adaptive Cards' default host config; the renderer refuses six).
MAX_OPTIONS = 4
BUTTONS: tuple[tuple[str, Question], ...] = (
    ("help.button.overdue", Question(Intent.ASSIGNMENTS, filter=AssignmentFilter(overdue=True))),
    ("help.button.summary", Question(Intent.SUMMARY)),
    ("help.button.finance", Question(Intent.FINANCE, Form.TOTAL)),
    ("help.button.units", Question(Intent.UNITS)),
)


def help_card(lang: str, intro: str | None = None) -> Card:
    body: list[Element] = [heading(t(lang, "help_title")), text(intro or t(lang, "help_intro"))]
    body.extend(
        container([text(t(lang, f"help.topic.{key}"), weight="Bolder"),
                   subtle(f"”{t(lang, f'help.example.{key}')}”")], separator=False)
        for key in TOPICS
    )
    return card(body, [ask_action(t(lang, key), q) for key, q in BUTTONS])


def help_text(lang: str) -> str:
    examples = "; ".join(f"”{t(lang, f'help.example.{key}')}”" for key in TOPICS[:6])
    return f"{t(lang, 'help_title')}: {examples}"


def help_table(lang: str) -> str:
    rows = [(t(lang, f"help.topic.{key}"), t(lang, f"help.example.{key}")) for key in TOPICS]
    return fit_text(f"**{t(lang, 'help_title')}**\n\n" + text_table(rows), t(lang, "text_cut"))


def units_card(lang: str, units: list[UnitView], org_name: str,
               focused: bool = False) -> Card:
    """Every unit (the list), or `focused`: the units a question named ("kuka vastaa
    ICT:stä?"), each with its responsible person said in words, or that none is recorded."""
    body: list[Element] = [heading(t(lang, "units_title")), subtle(org_name)]
    for u in units:
        has = [t(lang, "assignments_n", n=u.assignments)]
        if u.has_finance:
            has.append(t(lang, "has_finance"))
        if u.has_budget:
            has.append(t(lang, "has_budget"))
        if u.responsible and not focused:
            has.append(u.responsible)
        items: list[Element] = [text(u.name, weight="Bolder")]
        if focused:
            items.append(text(_responsible(lang, u)))
            if u.parent:
                items.append(subtle(t(lang, "unit_parent", name=u.parent)))
        items.append(subtle(" · ".join(has)))
        body.append({"type": "Container", "spacing": "Small", "items": items})
    return card(body)


def _responsible(lang: str, unit: UnitView) -> str:
    if unit.responsible:
        return t(lang, "unit_responsible", name=unit.responsible)
    return t(lang, "unit_no_responsible", unit=unit.name)


def units_text(lang: str, units: list[UnitView], focused: bool = False) -> str:
    if focused:
        return summary(" ".join(f"{u.name}: {_responsible(lang, u)}." if u.responsible
                                else f"{_responsible(lang, u)}." for u in units))
    return summary(f"{t(lang, 'units_title')}: " + ", ".join(u.name for u in units))


def units_table(lang: str, units: list[UnitView]) -> str:
    rows = [(u.name, u.assignments, t(lang, "yes") if u.has_finance or u.has_budget else "")
            for u in units]
    return fit_text(f"**{t(lang, 'units_title')}**\n\n" + text_table(
        rows, [t(lang, "unit"), "#", t(lang, "has_finance")]), t(lang, "text_cut"))


def clarify_card(lang: str, said: str, options: list[tuple[str, Question]]) -> Card:
    """When unsure: what was understood, and the likely readings as buttons."""
    body: list[Element] = [text(said, weight="Bolder")]
    if options:
        body.append(text(t(lang, "did_you_mean")))
    else:
        body.append(text(t(lang, "try_help")))
    actions = [ask_action(title, q) for title, q in options[:MAX_OPTIONS]]
    actions.append(ask_action(t(lang, "help_title"), Question(Intent.HELP)))
    return card(body, actions)


def clarify_text(lang: str, said: str, options: list[tuple[str, Question]]) -> str:
    """`said` may quote the user's words (or an unknown unit's): escaped like the card's."""
    if not options:
        return summary(f"{said} {t(lang, 'try_help')}")
    return summary(f"{said} {t(lang, 'did_you_mean')} " + " / ".join(
        o for o, _ in options[:MAX_OPTIONS]))
