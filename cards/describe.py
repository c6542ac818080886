"""A question in words, in the user's language: the heading of a list ("Försenade uppdrag –
IT"), and the label of a button that offers a reading when the bot asks back."""

from __future__ import annotations

from collections.abc import Callable

from cards.elements import shorten
from cards.texts import day, forecast_label, status_label, t
from storage.filters import AssignmentFilter
from understanding.question import Form, Intent, Question

UnitName = Callable[[int], str]


def list_title(lang: str, f: AssignmentFilter, unit_name: UnitName) -> str:
    base = f.kinds[0] if len(f.kinds) == 1 else t(lang, "assignments_title")
    if f.overdue:
        base = t(lang, "overdue_of", what=base if f.kinds else t(lang, "assignments_lower"))
    parts = [base]
    if f.statuses:
        parts.append(", ".join(status_label(lang, s) for s in f.statuses))
    elif f.open_only:
        parts.append(t(lang, "open_only"))
    if f.forecasts:
        parts.append(", ".join(forecast_label(lang, x) for x in f.forecasts))
    if f.unit_ids:
        parts.append(", ".join(unit_name(u) for u in f.unit_ids))
    if f.goal_areas:
        parts.append(", ".join(shorten(g, 50) for g in f.goal_areas))
    if f.due_from or f.due_to:
        parts.append(t(lang, "due_between", start=day(f.due_from, lang) if f.due_from else "…",
                       end=day(f.due_to, lang) if f.due_to else "…"))
    if f.words:
        parts.append("”" + " ".join(f.words) + "”")
    if f.numbers and not f.words:
        parts.append(", ".join(f"#{n}" for n in f.numbers[:5]))
    return " – ".join([parts[0], " · ".join(parts[1:])]) if len(parts) > 1 else parts[0]


def describe(lang: str, q: Question, unit_name: UnitName,
             indicator_name: Callable[[int], str] | None = None) -> str:
    """What a reading of a question asks, as a short button label."""
    units = ", ".join(unit_name(u) for u in q.units)
    if q.intent is Intent.FINANCE:
        if q.form is Form.RANK:
            return t(lang, f"describe.rank.{(q.measure or 'deficit')}")
        if q.form is Form.TOTAL:
            return t(lang, "describe.total")
        if q.form is Form.WHICH:
            return t(lang, f"describe.which.{(q.balance or 'deficit')}")
        return t(lang, "forecast_title", unit=units or "?")
    if q.intent is Intent.BUDGET:
        return t(lang, "describe.budget", unit=units or "?")
    if q.intent is Intent.ASSIGNMENTS:
        title = list_title(lang, q.filter, unit_name)
        if q.form is Form.COUNT:
            return t(lang, "describe.count", what=title)
        return title
    if q.intent is Intent.INDICATORS:
        if q.indicators and indicator_name is not None:
            return ", ".join(indicator_name(i) for i in q.indicators)
        return t(lang, "describe.indicators", unit=units) if units else t(
            lang, "indicator_list_title")
    if q.intent is Intent.UPDATE:
        return t(lang, "update") + "".join(f" #{n}" for n in q.filter.numbers)
    return t(lang, f"describe.{q.intent.value}") if q.intent in _SIMPLE else t(lang, "help_title")


_SIMPLE = {Intent.SUMMARY, Intent.UNITS, Intent.HELP, Intent.MY_ASSIGNMENTS,
           Intent.SUBSCRIPTIONS}
