"""Read-only questions: one handler per intent; each runs a query and builds a card. Every
combination of filters goes through the same query (storage.queries.assignment_page)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from cards import assignments as assignment_cards
from cards import budget as budget_cards
from cards import finance as finance_cards
from cards import help as help_cards
from cards import indicators as indicator_cards
from cards import summary as summary_cards
from cards.describe import describe, list_title
from cards.texts import t
from dialogs.answers import Answer
from dialogs.commands import Ask, command
from storage import finance as finance_rules
from storage import indicators as indicator_rules
from storage import queries
from storage.db import session
from storage.domain import normalize
from storage.queries import IndicatorView
from understanding.question import (
    AssignmentFilter,
    Balance,
    Form,
    Intent,
    Judgement,
    Measure,
    Question,
)


def _plain(text: str, question: Question | None = None) -> Answer:
    return Answer(text=text, question=question)


def _suggest(ask: Ask, *keys_and_values: tuple[str, dict[str, object]]) -> list[str]:
    return [t(ask.lang, f"suggest.{key}", **values) for key, values in keys_and_values]


@command(Intent.HELP, shared=True)
def help_(ask: Ask) -> Answer:
    if ask.question.as_text:
        return _plain(help_cards.help_table(ask.lang))
    return Answer(help_cards.help_text(ask.lang), help_cards.help_card(ask.lang))


@command(Intent.UNKNOWN)
def unknown(ask: Ask) -> Answer:
    """Never a wrong guess: say what was understood, offer the likely readings."""
    q = ask.question
    options = [(describe(ask.lang, alt, ask.unit_name), alt) for alt in q.alternatives[:3]]
    if q.unmatched:
        said = t(ask.lang, "not_understood_words", words=" ".join(q.unmatched)[:80])
    else:
        said = t(ask.lang, "not_understood")
    if not options:
        return Answer(said, help_cards.help_card(ask.lang, said))
    return Answer(help_cards.clarify_text(ask.lang, said, options),
                  help_cards.clarify_card(ask.lang, said, options))


@command(Intent.NTH)
def nth_missing(ask: Ask) -> Answer:
    """"den tionde" that no list in the context has (a list's item is resolved before
    dispatch): say so, and keep the context, so "den andra" still works next."""
    return Answer(t(ask.lang, "nth_missing"))


@command(Intent.UNITS, shared=True)
def units(ask: Ask) -> Answer:
    with session(ask.engine, ask.org_id) as s:
        rows = queries.list_units(s, ask.org_id)
    named = ask.question.units  # "kuka vastaa ICT:stä?": those units and who answers for them
    if named:
        rows = sorted((r for r in rows if r.id in named), key=lambda r: named.index(r.id))
    if ask.question.as_text and not named:
        return _plain(help_cards.units_table(ask.lang, rows), ask.question)
    if ask.question.as_text:
        return _plain(help_cards.units_text(ask.lang, rows, focused=True), ask.question)
    return Answer(help_cards.units_text(ask.lang, rows, focused=bool(named)),
                  help_cards.units_card(ask.lang, rows, ask.org.name, focused=bool(named)),
                  question=ask.question)


@command(Intent.SUMMARY, shared=True)
def summary(ask: Ask) -> Answer:
    with session(ask.engine, ask.org_id) as s:
        result = queries.summary(s, ask.org_id)
    if ask.question.as_text:
        return _plain(summary_cards.summary_table(ask.lang, result), ask.question)
    return Answer(summary_cards.summary_text(ask.lang, result),
                  summary_cards.summary_card(ask.lang, result), question=ask.question,
                  suggestions=_suggest(ask, ("overdue", {}), ("finance_total", {})))


def _which_unit(ask: Ask, has: str) -> Answer:
    """The question needs a unit: ask, with the units that have figures as buttons."""
    with session(ask.engine, ask.org_id) as s:
        candidates = [u for u in queries.list_units(s, ask.org_id) if getattr(u, has)]
    options = [(u.name, ask.question.with_(units=(u.id,), follow_up=False))
               for u in candidates[:8]]
    said = t(ask.lang, "which_unit")
    return Answer(help_cards.clarify_text(ask.lang, said, options),
                  help_cards.clarify_card(ask.lang, said, options),
                  awaiting=ask.question)


@command(Intent.FINANCE, shared=True)
def finance(ask: Ask) -> Answer:
    q = ask.question
    currency = ask.org.currency
    if q.form in (Form.RANK, Form.TOTAL, Form.WHICH):
        with session(ask.engine, ask.org_id) as s:
            views = queries.finance_overview(s, ask.org_id)
        if not views:
            return _budget_instead(ask) or _plain(t(ask.lang, "no_finance_any"), q)
        if q.form is Form.RANK:
            measure = (q.measure or Measure.DEFICIT).value
            args = (ask.lang, views, measure, q.top, currency)
            order = tuple(f.unit_id for f in finance_rules.ranked(views, measure))
            if q.as_text:
                return Answer(finance_cards.ranking_table(*args), question=q, units=order)
            return Answer(finance_cards.ranking_text(*args), finance_cards.ranking_card(*args),
                          question=q, units=order)
        if q.form is Form.TOTAL:
            if q.as_text:
                return _plain(finance_cards.total_table(ask.lang, views, currency), q)
            return Answer(finance_cards.total_text(ask.lang, views, currency),
                          finance_cards.total_card(ask.lang, views, currency), question=q)
        balance = (q.balance or Balance.DEFICIT).value
        args2 = (ask.lang, views, balance, currency)
        found = tuple(f.unit_id for f in finance_rules.with_balance(views, balance))
        if q.as_text:
            return Answer(finance_cards.which_table(*args2), question=q, units=found)
        return Answer(finance_cards.which_text(*args2), finance_cards.which_card(*args2),
                      question=q, units=found)
    if not q.units:
        return _which_unit(ask, "has_finance")
    with session(ask.engine, ask.org_id) as s:
        views = [f for f in (queries.latest_finance(s, ask.org_id, u) for u in q.units) if f]
        if len(q.units) == 1 and views:
            counts = queries.unit_assignment_counts(s, ask.org_id, q.units[0], ask.today)
    if not views:
        return _budget_instead(ask) or _plain(
            t(ask.lang, "no_finance", unit=", ".join(ask.unit_name(u) for u in q.units)), q)
    if len(views) > 1:
        if q.as_text:
            return _plain(finance_cards.total_table(ask.lang, views, currency), q)
        return Answer(finance_cards.total_text(ask.lang, views, currency),
                      finance_cards.total_card(ask.lang, views, currency), question=q)
    f = views[0]
    if q.as_text:
        return _plain(finance_cards.forecast_table(ask.lang, f, currency), q)
    return Answer(finance_cards.forecast_text(ask.lang, f, currency),
                  finance_cards.forecast_card(ask.lang, f, counts, currency), question=q,
                  suggestions=_suggest(ask, ("overdue_for", {"unit": f.unit}),
                                       ("summary", {}), ("finance_total", {})))


def _budget_instead(ask: Ask) -> Answer | None:
    """A forecast question about a unit that has only a yearly budget: say so, show it."""
    q = ask.question
    with session(ask.engine, ask.org_id) as s:
        unit_ids = list(q.units) or [u.id for u in queries.list_units(s, ask.org_id)
                                     if u.has_budget and u.parent is None]
        budgets = [b for b in (queries.budget(s, ask.org_id, u) for u in unit_ids[:1]) if b]
    if not budgets:
        return None
    b = budgets[0]
    note = budget_cards.no_forecast_text(ask.lang, b.unit)
    card = budget_cards.budget_card(ask.lang, b, ask.org.currency, q.year)
    card["body"].insert(0, {"type": "TextBlock", "text": note, "wrap": True,
                            "weight": "Bolder"})
    return Answer(f"{note} {budget_cards.budget_text(ask.lang, b, ask.org.currency, q.year)}",
                  card, question=q.with_(intent=Intent.BUDGET, form=Form.UNIT))


def _budget_unit(s: Any, org_id: int, q: Question) -> list[int]:
    """The unit a budget question that names none is about: the one with a budget, else the
    one whose budget has the line and the years asked ("personalkostnader 2027"), else the
    top unit (its budget is the whole organisation's). Empty: ask which."""
    units = [u for u in queries.list_units(s, org_id) if u.has_budget]
    if len(units) <= 1:
        return [u.id for u in units]
    years = [q.year] if q.year else list(q.years or ())
    key = normalize(q.budget_line) if q.budget_line else None

    def fits(b: queries.BudgetView | None) -> bool:
        return b is not None and (key is None or b.line(key) is not None) \
            and all(y in b.years for y in years)

    fitting = [u for u in units if fits(queries.budget(s, org_id, u.id))]
    if len(fitting) == 1:
        return [fitting[0].id]
    tops = [u for u in fitting or units if u.parent is None]
    return [tops[0].id] if len(tops) == 1 else []


@command(Intent.BUDGET, shared=True)
def budget(ask: Ask) -> Answer:
    q = ask.question
    currency = ask.org.currency
    with session(ask.engine, ask.org_id) as s:
        unit_ids = list(q.units) or _budget_unit(s, ask.org_id, q)
        b = queries.budget(s, ask.org_id, unit_ids[0]) if unit_ids else None
        if b is None and unit_ids:
            f = queries.latest_finance(s, ask.org_id, unit_ids[0])
            if f is not None:  # a follow-up organisation: its budget is in the forecast card
                counts = queries.unit_assignment_counts(s, ask.org_id, f.unit_id, ask.today)
                return Answer(finance_cards.forecast_text(ask.lang, f, currency),
                              finance_cards.forecast_card(ask.lang, f, counts, currency),
                              question=q.with_(intent=Intent.FINANCE, form=Form.UNIT))
    if not unit_ids:
        return _which_unit(ask, "has_budget")
    if b is None:
        return _plain(t(ask.lang, "no_budget", unit=ask.unit_name(unit_ids[0])), q)
    line = q.budget_line
    if line is not None and b.line(normalize(line)) is None:
        line = None
    line_key = normalize(line) if line else None
    if q.years is not None and line_key is not None:
        start, end = q.years
        return Answer(budget_cards.budget_change_text(ask.lang, b, line_key, start, end,
                                                      currency),
                      budget_cards.budget_change_card(ask.lang, b, line_key, start, end,
                                                      currency), question=q)
    if q.as_text:
        return _plain(budget_cards.budget_table(ask.lang, b, currency, q.year, line_key), q)
    return Answer(budget_cards.budget_text(ask.lang, b, currency, q.year, line_key),
                  budget_cards.budget_card(ask.lang, b, currency, q.year, line_key),
                  question=q)


def _unknown_unit(ask: Ask) -> Answer:
    """Words with a unit's ending name none of the organisation's units: say so and ask
    which, with the units that have the most assignments as buttons (the whole
    organisation's list would answer a question nobody asked)."""
    q = ask.question
    with session(ask.engine, ask.org_id) as s:
        candidates = sorted((u for u in queries.list_units(s, ask.org_id) if u.assignments),
                            key=lambda u: (-u.assignments, u.name))  # only a few fit
    pending = q.with_(unmatched=(), unknown_units=(), follow_up=False)
    options = [(u.name, pending.with_(filter=replace(q.filter, unit_ids=(u.id,))))
               for u in candidates[:8]]
    said = t(ask.lang, "unknown_unit", text=" ".join(q.unknown_units)[:80])
    return Answer(help_cards.clarify_text(ask.lang, said, options),
                  help_cards.clarify_card(ask.lang, said, options), awaiting=pending)


@command(Intent.ASSIGNMENTS, shared=True)
def assignments(ask: Ask) -> Answer:
    q = ask.question
    f = q.filter
    lang = ask.lang
    if q.form is Form.DETAIL and len(f.numbers) == 1 and f == f.__class__(numbers=f.numbers):
        return _detail(ask, f.numbers[0])
    if q.unknown_units and not (f.unit_ids or f.numbers or f.words):
        return _unknown_unit(ask)
    title = list_title(lang, f, ask.unit_name)
    with session(ask.engine, ask.org_id) as s:
        if q.form is Form.COUNT:
            total = queries.count_assignments(s, ask.org_id, f, ask.today)
        page = queries.assignment_page(s, ask.org_id, f, ask.today, q.page,
                                       assignment_cards.PAGE_SIZE)
    if q.form is Form.DETAIL and page.total == 1:
        return _detail(ask, page.items[0].number)
    listed = tuple(a.number for a in page.items)
    if q.form is Form.COUNT:
        said = t(lang, "count_answer", what=title, n=total)
        if not total:
            return Answer(said, question=q)
        card = assignment_cards.list_card(lang, said, page, ask.today,
                                          more=q.with_(form=Form.LIST, page=page.page + 1))
        return Answer(said, card, question=q.with_(form=Form.LIST), listed=listed)
    if q.as_text:
        with session(ask.engine, ask.org_id) as s:
            items = queries.assignments(s, ask.org_id, f, ask.today, limit=200)
        return Answer(assignment_cards.list_table(lang, title, items, page.total, ask.today),
                      question=q, listed=tuple(a.number for a in items))
    if not page.total:
        wider = _parent_instead(ask, f) if q.form is Form.LIST else None
        if wider is not None:  # the unit's own part of its parent's: "ICT:n avaintavoitteet"
            answer = assignments(replace(ask, question=q.with_(filter=wider[0])))
            note = t(lang, "parent_instead", unit=ask.unit_name(f.unit_ids[0]),
                     parent=ask.unit_name(wider[1]))
            return replace(answer, text=_noted(note, answer.text),
                           card=_card_noted(note, answer.card) if answer.card else None)
        return Answer(t(lang, "none_matching", what=title), question=q)
    if q.page > page.pages:
        return Answer(t(lang, "no_more", what=title, total=page.total), question=q,
                      listed=listed)
    card = assignment_cards.list_card(lang, title, page, ask.today,
                                      more=q.with_(page=page.page + 1),
                                      previous=q.with_(page=page.page - 1))
    suggestions = _suggest(ask, ("summary", {})) if f.overdue else []
    return Answer(assignment_cards.list_text(lang, title, page, ask.today), card, question=q,
                  listed=listed, suggestions=suggestions)


def _parent_instead(ask: Ask, f: AssignmentFilter) -> tuple[AssignmentFilter, int] | None:
    """Nothing for the units asked about, but for the unit they belong to (the nearest
    ancestor with any): that filter, and the unit. A centre's key goals are its parts' too."""
    with session(ask.engine, ask.org_id) as s:
        units = {u.id: u for u in queries.list_units(s, ask.org_id)}
        by_name = {u.name: u.id for u in units.values()}
        current = f.unit_ids[:1]
        for _ in range(len(units)):
            parent = units[current[0]].parent if current and current[0] in units else None
            if parent is None or parent not in by_name:
                return None
            current = (by_name[parent],)
            wider = replace(f, unit_ids=current)
            if queries.count_assignments(s, ask.org_id, wider, ask.today):
                return wider, current[0]
    return None


def _detail(ask: Ask, number: int) -> Answer:
    with session(ask.engine, ask.org_id) as s:
        a = queries.get_assignment(s, ask.org_id, number)
    if a is None:
        return Answer(t(ask.lang, "no_such_assignment", number=number), question=ask.question)
    q = ask.question.with_(form=Form.DETAIL)
    if ask.question.as_text:
        return Answer(assignment_cards.assignment_table(ask.lang, a, ask.today), question=q,
                      listed=(number,))
    return Answer(assignment_cards.assignment_text(ask.lang, a, ask.today),
                  assignment_cards.assignment_card(ask.lang, a, ask.today), question=q,
                  listed=(number,))


def _matches(i: IndicatorView, judgement: Judgement | None) -> bool:
    if judgement is None:
        return True
    if judgement is Judgement.BELOW_TARGET:
        return indicator_rules.below_target(i)
    if judgement is Judgement.WORSE_THAN_COMPARISON:
        return indicator_rules.worse_than_comparison(i)
    found = indicator_rules.judgement(i)
    return found is not None and found.value == judgement.value


@command(Intent.INDICATORS, shared=True)
def indicators(ask: Ask) -> Answer:
    q = ask.question
    with session(ask.engine, ask.org_id) as s:
        items = queries.indicators(s, ask.org_id, ids=q.indicators or None,
                                   unit_ids=q.units or None)
    if q.filter.goal_areas:
        wanted = {normalize(g) for g in q.filter.goal_areas}
        items = [i for i in items if normalize(i.goal) in wanted] or items
    items = [i for i in items if _matches(i, q.judgement)]
    note = ""  # women and men asked of indicators that have no such figures: say so
    if q.by_gender:
        split = [i for i in items if indicator_rules.has_gender_split(i)]
        if items and not split:
            note = t(ask.lang, "indicator.no_gender")
        items = split or items
    if not items:
        key = f"no_indicators.{q.judgement.value}" if q.judgement else "no_indicators"
        return Answer(t(ask.lang, key), question=q)
    if len(items) == 1 and (q.indicators or q.form is Form.DETAIL):
        i = items[0]
        if q.as_text:
            return Answer(_noted(note, indicator_cards.indicator_table(ask.lang, i)),
                          question=q)
        return Answer(_noted(note, indicator_cards.indicator_text(ask.lang, i)),
                      _card_noted(note, indicator_cards.indicator_card(ask.lang, i)),
                      question=q)
    title = (t(ask.lang, f"indicator_list_title.{q.judgement.value}") if q.judgement
             else t(ask.lang, "indicator_list_title"))
    if q.as_text:
        return Answer(_noted(note, indicator_cards.indicators_table(ask.lang, items, title)),
                      question=q)
    return Answer(_noted(note, indicator_cards.indicators_text(ask.lang, items, title)),
                  _card_noted(note, indicator_cards.indicators_card(ask.lang, items, title)),
                  question=q)


def _noted(note: str, text: str) -> str:
    return f"{note}\n\n{text}" if note else text


def _card_noted(note: str, card: dict[str, Any]) -> dict[str, Any]:
    """The card with a note above it (what the answer could not give)."""
    if note:
        card["body"].insert(0, {"type": "TextBlock", "text": note, "wrap": True,
                                "weight": "Bolder"})
    return card


@command(Intent.MORE)
def nothing_to_continue(ask: Ask) -> Answer:
    """A follow-up ("visa fler", "den andra") with nothing before it to follow."""
    return Answer(t(ask.lang, "nothing_to_continue"), help_cards.help_card(
        ask.lang, t(ask.lang, "nothing_to_continue")))


@command(Intent.CANCEL)
def cancel(ask: Ask) -> Answer:
    return Answer(t(ask.lang, "cancelled"))
