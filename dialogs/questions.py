"""Read-only questions. Each handler: resolve the subject, run a query, build a card."""

from __future__ import annotations

from sqlmodel import Session

from cards import assignments as assignment_cards
from cards import finance as finance_cards
from cards import help as help_cards
from cards import summary as summary_cards
from cards.texts import t
from dialogs.commands import Answer, Ask, command
from storage import queries
from storage.db import session
from storage.models import Unit
from storage.units import resolve_unit


def _question_for(ask: Ask, unit: str) -> str:
    """The question to ask again with a chosen unit, in the user's language."""
    name = ask.intent.name
    if name == "overdue":
        return ("försenade för " if ask.lang == "sv" else "overdue for ") + unit
    if name == "due_soon":
        return ("förfaller snart för " if ask.lang == "sv" else "due soon for ") + unit
    return ("prognos " if ask.lang == "sv" else "forecast ") + unit


def _unknown_unit(ask: Ask, suggestions: list[Unit]) -> Answer:
    names = [u.name for u in suggestions]
    typed = ask.intent.subject
    return Answer(
        text=help_cards.unknown_unit_text(ask.lang, typed, names),
        card=help_cards.unknown_unit_card(
            ask.lang, typed, names, {n: _question_for(ask, n) for n in names}
        ),
        awaiting_unit=True,
    )


def _named_unit(ask: Ask, s: Session) -> Unit | Answer | None:
    """The unit the question names, None when it names none, or the 'which unit?' answer."""
    if not ask.intent.subject:
        return None
    match = resolve_unit(s, ask.intent.subject)
    return match.unit if match.unit is not None else _unknown_unit(ask, match.suggestions)


def _plain(text: str) -> Answer:
    return Answer(text=text)


@command("help")
def help_(ask: Ask) -> Answer:
    if ask.intent.as_text:
        return _plain(help_cards.help_text(ask.lang))
    return Answer(help_cards.help_text(ask.lang), help_cards.help_card(ask.lang))


@command("units")
def units(ask: Ask) -> Answer:
    with session(ask.engine) as s:
        rows = queries.list_units(s)
    if ask.intent.as_text:
        return _plain(help_cards.units_table(ask.lang, rows))
    return Answer(help_cards.units_text(ask.lang, rows), help_cards.units_card(ask.lang, rows))


@command("summary")
def summary(ask: Ask) -> Answer:
    with session(ask.engine) as s:
        result = queries.summary(s)
    if ask.intent.as_text:
        return _plain(summary_cards.summary_table(ask.lang, result))
    return Answer(summary_cards.summary_text(ask.lang, result),
                  summary_cards.summary_card(ask.lang, result))


@command("forecast")
def forecast(ask: Ask) -> Answer:
    if not ask.intent.subject:
        return Answer(t(ask.lang, "which_unit"), awaiting_unit=True)
    with session(ask.engine) as s:
        match = resolve_unit(s, ask.intent.subject)
        if match.unit is None:
            return _unknown_unit(ask, match.suggestions)
        figures = queries.latest_finance(s, match.unit.id)
        counts = queries.unit_assignment_counts(s, match.unit.id, ask.today)
    if figures is None:
        return _plain(t(ask.lang, "no_finance", unit=match.unit.name))
    if ask.intent.as_text:
        return _plain(finance_cards.forecast_table(ask.lang, figures))
    return Answer(finance_cards.forecast_text(ask.lang, figures),
                  finance_cards.forecast_card(ask.lang, figures, counts))


@command("overdue")
def overdue(ask: Ask) -> Answer:
    with session(ask.engine) as s:
        unit = _named_unit(ask, s)
        if isinstance(unit, Answer):
            return unit
        unit_id = unit.id if unit else None
        if ask.intent.as_text:  # the whole list, as a table
            items = queries.overdue_assignments(s, ask.today, unit_id)
        else:  # one card page: thousands may be overdue
            page = queries.overdue_page(s, ask.today, unit_id, ask.intent.page,
                                        assignment_cards.PAGE_SIZE)
    name = unit.name if unit else None
    if ask.intent.as_text:
        text = assignment_cards.overdue_text(ask.lang, items, ask.today, name)
        table = assignment_cards.assignments_table(ask.lang, items, ask.today) if items else ""
        return _plain(f"{text}\n\n{table}".strip())
    return Answer(assignment_cards.overdue_page_text(ask.lang, page, ask.today, name),
                  assignment_cards.overdue_page_card(ask.lang, page, ask.today, name))


@command("due_soon")
def due_soon(ask: Ask) -> Answer:
    days = ask.intent.days
    with session(ask.engine) as s:
        unit = _named_unit(ask, s)
        if isinstance(unit, Answer):
            return unit
        items = queries.assignments_due_within(s, ask.today, days, unit.id if unit else None)
    if not items:
        return _plain(t(ask.lang, "none_due_soon", days=days))
    title = (t(ask.lang, "due_soon_title_unit", days=days, unit=unit.name) if unit
             else t(ask.lang, "due_soon_title", days=days))
    text = f"{title}: {len(items)}."
    if ask.intent.as_text:
        return _plain(f"{text}\n\n"
                      + assignment_cards.assignments_table(ask.lang, items, ask.today))
    return Answer(text, assignment_cards.list_card(ask.lang, title, items, ask.today))


def _one_or_many(ask: Ask, found: list[queries.AssignmentView]) -> Answer:
    if not found:
        return _plain(t(ask.lang, "no_match", words=ask.intent.subject))
    if len(found) == 1:
        a = found[0]
        if ask.intent.as_text:
            return _plain(assignment_cards.assignment_table(ask.lang, a, ask.today))
        return Answer(assignment_cards.assignment_text(ask.lang, a, ask.today),
                      assignment_cards.assignment_card(ask.lang, a, ask.today))
    title = t(ask.lang, "matches_title", words=ask.intent.subject)
    if ask.intent.as_text:
        return _plain(f"{title}\n\n"
                      + assignment_cards.assignments_table(ask.lang, found, ask.today))
    return Answer(f"{title}: {len(found)}.",
                  assignment_cards.list_card(ask.lang, title, found, ask.today))


@command("status")
def status(ask: Ask) -> Answer:
    with session(ask.engine) as s:
        if ask.intent.assignment_id is not None:
            one = queries.get_assignment(s, ask.intent.assignment_id)
            found = [one] if one else []
        else:
            found = queries.find_assignments(s, ask.intent.subject)
    return _one_or_many(ask, found)


@command("search")
def search(ask: Ask) -> Answer:
    """No keyword: a unit name means its forecast; other words search assignment titles."""
    with session(ask.engine) as s:
        match = resolve_unit(s, ask.intent.subject)
        found = [] if match.unit else queries.find_assignments(s, ask.intent.subject)
    if match.unit is not None:
        return forecast(ask)
    if found:
        return _one_or_many(ask, found)
    return Answer(t(ask.lang, "not_understood"),
                  help_cards.help_card(ask.lang, t(ask.lang, "not_understood")))
