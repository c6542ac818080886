"""Finance cards: one unit's full-year budget, forecast and deviation; and answers across
units (a ranking, the organisation's total, "which units have a deficit"), each as a card, a
one-paragraph text (what screen readers, notifications and card-less clients get) and a text
table. Deviation = forecast − budget; costs are negative, so a positive deviation is a
surplus."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from cards import charts
from cards.elements import (
    Card,
    Element,
    ask_action,
    card,
    container,
    escape,
    facts,
    fit_text,
    heading,
    subtle,
    summary,
    text,
    text_table,
)
from cards.texts import amount, day, money_unit, t
from storage.finance import measure_value, ranked, with_balance
from storage.queries import AssignmentCounts, FinanceView
from understanding.question import AssignmentFilter, Intent, Question


def deviation_words(lang: str, value: Decimal, currency: str = "SEK") -> str:
    """'+1 372 tkr (överskott)'."""
    word = t(lang, "surplus" if value > 0 else "deficit" if value < 0 else "balanced")
    return f"{amount(lang, value, currency, signed=True)} ({word})"


def _good(value: Decimal) -> charts.ChartColor:
    return charts.GOOD if value > 0 else charts.ATTENTION if value < 0 else charts.NEUTRAL


def _text_color(value: Decimal) -> str:
    return "Good" if value > 0 else "Attention" if value < 0 else "Default"


# --- one unit -----------------------------------------------------------------------------


def _period_deviation(f: FinanceView) -> Decimal:
    return f.actual_period - f.budget_period  # less spent than budgeted is good, as above


def _figures(lang: str, f: FinanceView, currency: str) -> list[tuple[str, str]]:
    return [
        (t(lang, "budget_year"), amount(lang, f.budget_year, currency)),
        (t(lang, "forecast_year"), amount(lang, f.forecast_year, currency)),
        (t(lang, "deviation"), deviation_words(lang, f.deviation, currency)),
        (t(lang, "period_actual"),
         f"{amount(lang, f.actual_period, currency)} "
         f"{t(lang, 'of_budget', budget=amount(lang, f.budget_period, currency))}"),
    ]


def _forecast_chart(lang: str, f: FinanceView, currency: str) -> list[Element]:
    """Budget against forecast for the year, budget against actual for the period: the
    outcome bars are coloured by their deviation, the budget bars neutral. A department's
    figures are net costs, printed negative; bars of negative values draw as nothing in
    Teams' renderer, so costs are drawn by their size under a "net cost" title, and figures
    of mixed sign get no chart (the facts above carry them)."""
    values = (f.budget_year, f.forecast_year, f.budget_period, f.actual_period)
    if all(v <= 0 for v in values) and any(v < 0 for v in values):
        sign, key = -1, "finance.cost_chart_title"
    elif all(v >= 0 for v in values):
        sign, key = 1, "finance.chart_title"
    else:
        return []
    points = [
        charts.Point(t(lang, "budget_year"), sign * f.budget_year,
                     amount(lang, f.budget_year, currency), charts.NEUTRAL),
        charts.Point(t(lang, "forecast_year"), sign * f.forecast_year,
                     amount(lang, f.forecast_year, currency), _good(f.deviation)),
        charts.Point(t(lang, "finance.budget_period"), sign * f.budget_period,
                     amount(lang, f.budget_period, currency), charts.NEUTRAL),
        charts.Point(t(lang, "period_actual"), sign * f.actual_period,
                     amount(lang, f.actual_period, currency), _good(_period_deviation(f))),
    ]
    return charts.vertical_bar(t(lang, key, money=money_unit(lang, currency)), points)


def forecast_card(lang: str, f: FinanceView, counts: AssignmentCounts,
                  currency: str = "SEK") -> Card:
    comment = [text(p) for p in f.comment.split("\n") if p.strip()] or [
        text(t(lang, "no_comment"), isSubtle=True)
    ]
    assignment_facts = [
        (t(lang, "on_plan"), str(counts.on_plan)),
        (t(lang, "deviating"), str(counts.deviating)),
    ]
    if counts.not_reported:
        assignment_facts.append((t(lang, "forecast.not_reported"), str(counts.not_reported)))
    assignment_facts.append((t(lang, "overdue_count"), str(counts.overdue)))
    body = [
        heading(t(lang, "forecast_title", unit=f.unit)),
        subtle(t(lang, "finance.period_subtitle", period=day(f.period_end, lang),
                 money=money_unit(lang, currency))),
        text(deviation_words(lang, f.deviation, currency), size="ExtraLarge", weight="Bolder",
             color=_text_color(f.deviation)),
        facts(_figures(lang, f, currency)),
        *_forecast_chart(lang, f, currency),
        container([text(t(lang, "comment"), weight="Bolder"), *comment]),
    ]
    if not counts.total:  # a department with a budget but no assignments (IT, HR)
        return card(body)
    body.append(container([text(t(lang, "unit_assignments", unit=f.unit), weight="Bolder"),
                           facts(assignment_facts)]))
    overdue = Question(Intent.ASSIGNMENTS,
                       filter=AssignmentFilter(unit_ids=(f.unit_id,), overdue=True))
    return card(body, [ask_action(t(lang, "show_overdue_for", unit=f.unit), overdue)])


def forecast_text(lang: str, f: FinanceView, currency: str = "SEK") -> str:
    return summary(t(lang, "finance.forecast_text",
             title=t(lang, "forecast_title", unit=f.unit), period=day(f.period_end, lang),
             budget=amount(lang, f.budget_year, currency),
             forecast=amount(lang, f.forecast_year, currency),
             deviation=deviation_words(lang, f.deviation, currency),
             actual=amount(lang, f.actual_period, currency),
             period_budget=amount(lang, f.budget_period, currency)))


def forecast_table(lang: str, f: FinanceView, currency: str = "SEK") -> str:
    rows = _figures(lang, f, currency)
    return fit_text("\n".join([forecast_text(lang, f, currency), "",
                               text_table(rows), "",
                               escape(f.comment)]).strip(), t(lang, "text_cut"))


# --- across units -------------------------------------------------------------------------


def _shown(lang: str, f: FinanceView, measure: str, currency: str) -> str:
    value = measure_value(f, measure)
    if measure in ("deficit", "surplus"):
        return deviation_words(lang, value, currency)
    return amount(lang, value, currency)


def _as_of(lang: str, views: Sequence[FinanceView], currency: str) -> Element:
    periods = ", ".join(day(p, lang) for p in sorted({f.period_end for f in views}))
    return subtle(t(lang, "finance.as_of", periods=periods, money=money_unit(lang, currency)))


def _deviation_bars(lang: str, views: Sequence[FinanceView], currency: str,
                    worst_first: bool = False) -> list[Element]:
    """Every unit's deviation, surplus green and deficit red (theme tokens)."""
    order = sorted(views, key=lambda f: (f.deviation if worst_first else -f.deviation, f.unit))
    points = [charts.Point(f.unit, f.deviation, amount(lang, f.deviation, currency, signed=True),
                           _good(f.deviation)) for f in order]
    return charts.horizontal_bar(
        t(lang, "finance.deviation_by_unit", money=money_unit(lang, currency)), points)


def _no_figures(lang: str) -> Card:
    return card([heading(t(lang, "finance.total_title")), text(t(lang, "finance.no_figures"))])


def _items(lang: str, views: Sequence[FinanceView], measure: str, currency: str) -> str:
    return ", ".join(f"{f.unit} {_shown(lang, f, measure, currency)}" for f in views)


def _ranking_head(views: Sequence[FinanceView], measure: str,
                  top: int) -> tuple[list[FinanceView], list[FinanceView]]:
    order = ranked(views, measure)
    return order, order[:max(1, top)]


def ranking_text(lang: str, views: Sequence[FinanceView], measure: str, top: int = 1,
                 currency: str = "SEK") -> str:
    """'Störst överskott i prognosen: Stab och planering +1 866 tkr (överskott).' — the top
    unit(s) first, with their figure."""
    if not views:
        return t(lang, "finance.no_figures")
    order, first = _ranking_head(views, measure, top)
    if not order:
        return t(lang, f"finance.none.{measure}")
    return summary(t(lang, "finance.rank_text", title=t(lang, f"finance.rank.{measure}"),
                     items=_items(lang, first, measure, currency)))


def ranking_card(lang: str, views: Sequence[FinanceView], measure: str, top: int = 1,
                 currency: str = "SEK") -> Card:
    if not views:
        return _no_figures(lang)
    order, first = _ranking_head(views, measure, top)
    body: list[Element] = [heading(t(lang, f"finance.rank.{measure}")),
                           _as_of(lang, views, currency)]
    if not order:
        body.append(text(t(lang, f"finance.none.{measure}"), weight="Bolder"))
    for f in first:
        body.append(text(f"{f.unit}: {_shown(lang, f, measure, currency)}", size="Large",
                         weight="Bolder", color=_text_color(f.deviation)
                         if measure in ("deficit", "surplus") else "Default"))
    if len(order) > len(first):
        # In ranked order; no "1." in front: Teams would read it as a Markdown list.
        body.append(facts([(f.unit, _shown(lang, f, measure, currency)) for f in order]))
    body.extend(_deviation_bars(lang, views, currency, worst_first=measure == "deficit"))
    return card(body)


def _units_table(lang: str, views: Sequence[FinanceView], currency: str) -> str:
    rows = [(f.unit, amount(lang, f.budget_year, currency),
             amount(lang, f.forecast_year, currency),
             deviation_words(lang, f.deviation, currency)) for f in views]
    return text_table(rows, [t(lang, "finance.unit"), t(lang, "budget_year"),
                             t(lang, "forecast_year"), t(lang, "deviation")])


def ranking_table(lang: str, views: Sequence[FinanceView], measure: str, top: int = 1,
                  currency: str = "SEK") -> str:
    """The text, then every unit: the ranked ones in their order, then the rest."""
    if not views:
        return t(lang, "finance.no_figures")
    order = ranked(views, measure)
    rest = sorted((f for f in views if f not in order), key=lambda f: f.unit)
    return fit_text(f"{ranking_text(lang, views, measure, top, currency)}\n\n"
                    f"{_units_table(lang, [*order, *rest], currency)}", t(lang, "text_cut"))


def _sum(views: Sequence[FinanceView]) -> tuple[Decimal, Decimal, Decimal]:
    budget = sum((f.budget_year for f in views), Decimal(0))
    forecast = sum((f.forecast_year for f in views), Decimal(0))
    return budget, forecast, forecast - budget


def total_text(lang: str, views: Sequence[FinanceView], currency: str = "SEK") -> str:
    if not views:
        return t(lang, "finance.no_figures")
    budget, forecast, dev = _sum(views)
    return t(lang, "finance.total_text", count=t(lang, "finance.units_n", n=len(views)),
             budget=amount(lang, budget, currency), forecast=amount(lang, forecast, currency),
             deviation=deviation_words(lang, dev, currency))


def total_card(lang: str, views: Sequence[FinanceView], currency: str = "SEK") -> Card:
    if not views:
        return _no_figures(lang)
    budget, forecast, dev = _sum(views)
    body = [
        heading(t(lang, "finance.total_title")),
        _as_of(lang, views, currency),
        text(deviation_words(lang, dev, currency), size="ExtraLarge", weight="Bolder",
             color=_text_color(dev)),
        facts([(t(lang, "finance.units"), str(len(views))),
               (t(lang, "budget_year"), amount(lang, budget, currency)),
               (t(lang, "forecast_year"), amount(lang, forecast, currency)),
               (t(lang, "deviation"), deviation_words(lang, dev, currency))]),
        *_deviation_bars(lang, views, currency),
    ]
    return card(body)


def total_table(lang: str, views: Sequence[FinanceView], currency: str = "SEK") -> str:
    if not views:
        return t(lang, "finance.no_figures")
    budget, forecast, dev = _sum(views)
    table = _units_table(lang, sorted(views, key=lambda f: f.unit), currency)
    total = text_table([(t(lang, "total"), amount(lang, budget, currency),
                         amount(lang, forecast, currency), deviation_words(lang, dev, currency))])
    return fit_text(f"{total_text(lang, views, currency)}\n\n{table}\n\n{total}",
                    t(lang, "text_cut"))


def which_text(lang: str, views: Sequence[FinanceView], balance: str,
               currency: str = "SEK") -> str:
    """'Enheter med underskott i prognosen (1): IT -1 372 tkr (underskott).', or plainly
    'Ingen enhet har underskott i prognosen.'"""
    if not views:
        return t(lang, "finance.no_figures")
    found = with_balance(views, balance)
    if not found:
        return t(lang, f"finance.none.{balance}")
    return summary(t(lang, "finance.which_text", title=t(lang, f"finance.which.{balance}"),
                     count=t(lang, "finance.units_n", n=len(found)),
                     items=_items(lang, found, "deficit", currency)))


def which_card(lang: str, views: Sequence[FinanceView], balance: str,
               currency: str = "SEK") -> Card:
    if not views:
        return _no_figures(lang)
    found = with_balance(views, balance)
    body: list[Element] = [heading(t(lang, f"finance.which.{balance}")),
                           _as_of(lang, views, currency)]
    if found:
        body.append(text(t(lang, "finance.units_n", n=len(found)), weight="Bolder"))
        body.append(facts([(f.unit, deviation_words(lang, f.deviation, currency))
                           for f in found]))
    else:
        body.append(text(t(lang, f"finance.none.{balance}"), weight="Bolder"))
    # The units asked about; when none is, every unit, to show how far each one is.
    body.extend(_deviation_bars(lang, found or views, currency,
                                worst_first=balance == "deficit"))
    return card(body)


def which_table(lang: str, views: Sequence[FinanceView], balance: str,
                currency: str = "SEK") -> str:
    if not views:
        return t(lang, "finance.no_figures")
    found = with_balance(views, balance)
    summary = which_text(lang, views, balance, currency)
    table = _units_table(lang, found or sorted(views, key=lambda f: f.unit), currency)
    return fit_text(f"{summary}\n\n{table}", t(lang, "text_cut"))
