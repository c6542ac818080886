"""A unit's yearly budget (Lovisa): the line items in printed order × the years (closed
books, budget, later years' plan), with a year or a line in focus, a line's change between two
years, and the words for "this unit has a budget but no forecast". A missing amount is shown
as missing ("–"), never as 0."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from cards import charts
from cards.elements import (
    CARD_BUDGET_BYTES,
    Card,
    Element,
    card,
    facts,
    fit_text,
    heading,
    shorten,
    size,
    subtle,
    summary,
    text,
    text_table,
)
from cards.texts import amount, money_unit, t
from storage.domain import format_number, normalize
from storage.queries import BudgetColumn, BudgetLineView, BudgetView

MISSING = "–"
# The summary lines of a municipal budget table, as printed in Swedish and Finnish: what a
# "what is the budget for …" answer leads with, and what the chart draws.
MAIN_LINE_PREFIXES = ("verksamhetens intäkter", "verksamhetens kostnader", "verksamhetsbidrag",
                      "toimintatuotot", "toimintakulut", "toimintakate")
_INCL_CHANGES = {"inkl. ändringar", "inklusive ändringar", "incl. changes", "sis. muutokset"}


def _note(lang: str, note: str) -> str:
    """The import's Swedish note, in the user's language when it is one we know."""
    return t(lang, "budget.note.incl_changes") if normalize(note) in _INCL_CHANGES else note


def column_label(lang: str, column: BudgetColumn, with_note: bool = True) -> str:
    """'Bokslut 2023', 'Budget 2024 (inkl. ändringar)', 'Taloussuunnitelma 2026'."""
    label = t(lang, f"budget.column.{column.scenario.value}", year=column.year)
    return f"{label} ({_note(lang, column.note)})" if with_note and column.note else label


def _figure(value: Decimal | None) -> str:
    return MISSING if value is None else format_number(value)


def _money(lang: str, value: Decimal | None, currency: str) -> str:
    return MISSING if value is None else amount(lang, value, currency)


def _spoken(lang: str, value: Decimal | None) -> str:
    """For texts (screen readers, notifications): 'saknas' reads better than a dash."""
    return t(lang, "budget.missing") if value is None else format_number(value)


def main_lines(b: BudgetView) -> list[BudgetLineView]:
    """The summary lines in printed order; a table without them: its three largest lines."""
    found = [ln for ln in b.lines if ln.key.startswith(MAIN_LINE_PREFIXES)]
    if found:
        return found
    latest = b.years[-1] if b.years else None
    valued = [ln for ln in b.lines if any(v is not None for v in ln.amounts.values())]
    biggest = sorted(valued, key=lambda ln: -abs(ln.amount(latest) or 0))[:3]
    return [ln for ln in b.lines if ln in biggest]


def _column(b: BudgetView, year: int | None) -> BudgetColumn | None:
    return next((c for c in b.columns if c.year == year), None)


def _years(b: BudgetView) -> str:
    return ", ".join(str(y) for y in b.years)


def _cell(value: str, bold: bool) -> Element:
    return {"type": "TableCell",
            "items": [text(value, **({"weight": "Bolder"} if bold else {}))]}


def _figure_cell(value: str, bold: bool) -> Element:
    """A figure never wraps and needs no escaping: a compact cell (a budget has many)."""
    block: Element = {"type": "TextBlock", "text": value}
    if bold:
        block["weight"] = "Bolder"
    return {"type": "TableCell", "items": [block]}


def _name(line: BudgetLineView, limit: int | None) -> str:
    return line.line if limit is None else shorten(line.line, limit)


def _table(lang: str, b: BudgetView, focus_year: int | None, focus_line: str | None,
           name_limit: int | None = None) -> Element:
    """Every line × every year; the focused column bold, the focused line highlighted."""
    header = {"type": "TableRow", "cells": [_cell(t(lang, "budget.line"), True)]
              + [_cell(column_label(lang, c), True) for c in b.columns]}
    rows: list[Element] = [header]
    for ln in b.lines:
        row: Element = {"type": "TableRow", "cells": [
            _cell(_name(ln, name_limit), ln.key == focus_line)] + [
            _figure_cell(_figure(ln.amount(c.year)), c.year == focus_year or ln.key == focus_line)
            for c in b.columns]}
        if ln.key == focus_line:
            row["style"] = "emphasis"
        rows.append(row)
    return {"type": "Table",
            "columns": [{"width": 3, "horizontalCellContentAlignment": "Left"}]
            + [{"width": 2, "horizontalCellContentAlignment": "Right"} for _ in b.columns],
            "rows": rows, "firstRowAsHeader": True, "showGridLines": True}


def _chart(lang: str, b: BudgetView, currency: str, line: BudgetLineView | None) -> list[Element]:
    """Grouped bars by year: the main lines, or the focused line alone."""
    lines = [line] if line else main_lines(b)
    series = [charts.Series(ln.line, [charts.Point(column_label(lang, c, with_note=False),
                                                   ln.amount(c.year), _figure(ln.amount(c.year)))
                                      for c in b.columns],
                            charts.SERIES_COLORS[i % len(charts.SERIES_COLORS)])
              for i, ln in enumerate(lines)]
    money = money_unit(lang, currency)
    title = (t(lang, "budget.line_chart_title", line=line.line, money=money) if line
             else t(lang, "budget.chart_title", money=money))
    return charts.grouped_bar(title, series)


def _focus(lang: str, b: BudgetView, currency: str, year: int | None,
           line: BudgetLineView | None, name_limit: int | None = None) -> list[Element]:
    """What the question asked for, before the whole table."""
    column = _column(b, year)
    if line and column:
        return [text(f"{line.line} · {column_label(lang, column)}", weight="Bolder"),
                text(_money(lang, line.amount(column.year), currency), size="ExtraLarge",
                     weight="Bolder", spacing="None")]
    if column:
        return [text(column_label(lang, column), weight="Bolder"),
                facts([(_name(ln, name_limit), _money(lang, ln.amount(column.year), currency))
                       for ln in main_lines(b)])]
    if line:
        return [text(line.line, weight="Bolder"),
                facts([(column_label(lang, c), _money(lang, line.amount(c.year), currency))
                       for c in b.columns])]
    return []


def _problems(lang: str, b: BudgetView, year: int | None, line_key: str | None) -> list[str]:
    found = []
    if year is not None and _column(b, year) is None:
        found.append(t(lang, "budget.no_year", unit=b.unit, year=year, years=_years(b)))
    if line_key is not None and b.line(line_key) is None:
        found.append(t(lang, "budget.no_line", unit=b.unit, line=line_key))
    return found


# Shorter line names in the table, then no chart, until the card fits: a budget may have
# many lines with long names (an import allows 200 characters); "as text" has them whole.
_FITS = ((None, True), (80, True), (40, True), (40, False))


def budget_card(lang: str, b: BudgetView, currency: str, year: int | None = None,
                line_key: str | None = None) -> Card:
    line = b.line(line_key) if line_key else None
    for name_limit, with_chart in _FITS:
        body: list[Element] = [
            heading(t(lang, "budget.title", unit=b.unit)),
            subtle(t(lang, "budget.subtitle", money=money_unit(lang, currency)))]
        body += [text(p, color="Attention") for p in _problems(lang, b, year, line_key)]
        body += _focus(lang, b, currency, year, line, name_limit)
        body.append(_table(lang, b, year if _column(b, year) else None,
                           line.key if line else None, name_limit))
        if with_chart:
            body += _chart(lang, b, currency, line)
        result = card(body)
        if size(result) <= CARD_BUDGET_BYTES:
            break
    return result


def budget_text(lang: str, b: BudgetView, currency: str, year: int | None = None,
                line_key: str | None = None) -> str:
    """The focused figures (or the main lines over the years), in one sentence."""
    line = b.line(line_key) if line_key else None
    column = _column(b, year)
    title = t(lang, "budget.title", unit=b.unit)
    if column:
        title = f"{title}, {column_label(lang, column)}"
        lines = [line] if line else main_lines(b)
        items = "; ".join(f"{ln.line} {_spoken(lang, ln.amount(column.year))}" for ln in lines)
    else:
        lines = [line] if line else main_lines(b)
        items = "; ".join(
            f"{ln.line}: " + ", ".join(f"{column_label(lang, c)} {_spoken(lang, ln.amount(c.year))}"
                                       for c in b.columns)
            for ln in lines)
    sentence = t(lang, "budget.text", title=title, money=money_unit(lang, currency), items=items)
    return summary(" ".join([*_problems(lang, b, year, line_key), sentence]))


def budget_table(lang: str, b: BudgetView, currency: str, year: int | None = None,
                 line_key: str | None = None) -> str:
    rows = [[ln.line, *(_figure(ln.amount(c.year)) for c in b.columns)] for ln in b.lines]
    headers = [t(lang, "budget.line"), *(column_label(lang, c) for c in b.columns)]
    table = text_table(rows, headers, ("left", *("right" for _ in b.columns)))
    return fit_text(f"{budget_text(lang, b, currency, year, line_key)}\n\n{table}",
                    t(lang, "text_cut"))


# --- a line's change between two years -----------------------------------------------------


def _percent(lang: str, change: Decimal, base: Decimal) -> str | None:
    """Relative to the first figure, so the size's growth is positive whatever the sign:
    costs going from -100 to -110 are +10 %, incomes going from 100 to 90 are -10 %."""
    if base == 0 or base * (base + change) < 0:  # from nothing, or across zero: no meaning
        return None
    value = (change / base * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    sign = "+" if value > 0 else ""
    if lang == "en":
        return f"{sign}{value}%"
    return f"{sign}{str(value).replace('.', ',')} %"


def _change(b: BudgetView, line_key: str, from_year: int,
            to_year: int) -> tuple[BudgetLineView | None, Decimal | None, Decimal | None]:
    line = b.line(line_key)
    if line is None:
        return None, None, None
    return line, line.amount(from_year), line.amount(to_year)


def budget_change_text(lang: str, b: BudgetView, line_key: str, from_year: int, to_year: int,
                       currency: str) -> str:
    """'Personalkostnader ändras från -1 935 039 € (2024) till -2 094 694 € (2025):
    -159 655 € (+8,3 %).'"""
    return summary(_change_sentence(lang, b, line_key, from_year, to_year, currency))


def _change_sentence(lang: str, b: BudgetView, line_key: str, from_year: int, to_year: int,
                     currency: str) -> str:
    line, old, new = _change(b, line_key, from_year, to_year)
    if line is None:
        return t(lang, "budget.no_line", unit=b.unit, line=line_key)
    if old is None or new is None:
        return t(lang, "budget.change_missing", line=line.line,
                 year=from_year if old is None else to_year)
    change = new - old
    values = {"line": line.line, "from_value": amount(lang, old, currency),
              "from_year": from_year, "to_value": amount(lang, new, currency),
              "to_year": to_year, "change": amount(lang, change, currency, signed=True)}
    percent = _percent(lang, change, old)
    if percent is None:
        return t(lang, "budget.change_text_no_percent", **values)
    return t(lang, "budget.change_text", percent=percent, **values)


def budget_change_card(lang: str, b: BudgetView, line_key: str, from_year: int, to_year: int,
                       currency: str) -> Card:
    line, old, new = _change(b, line_key, from_year, to_year)
    title = t(lang, "budget.change_title", line=line.line if line else line_key,
              from_year=from_year, to_year=to_year)
    money = t(lang, "budget.subtitle", money=money_unit(lang, currency))
    body: list[Element] = [heading(title), subtle(f"{b.unit} · {money}")]
    body.append(text(_change_sentence(lang, b, line_key, from_year, to_year, currency),
                     size="Medium", weight="Bolder"))
    if line is None:
        return card(body)
    labels = {c.year: column_label(lang, c) for c in b.columns}
    pairs = [(labels.get(from_year, str(from_year)), _money(lang, old, currency)),
             (labels.get(to_year, str(to_year)), _money(lang, new, currency))]
    if old is not None and new is not None:
        pairs.append((t(lang, "budget.change"), amount(lang, new - old, currency, signed=True)))
        if (percent := _percent(lang, new - old, old)) is not None:
            pairs.append((t(lang, "budget.change_percent"), percent))
    body.append(facts(pairs))
    # The line over every year, the two compared years picked out.
    points = [charts.Point(column_label(lang, c, with_note=False), line.amount(c.year),
                           _figure(line.amount(c.year)),
                           "categoricalBlue" if c.year in (from_year, to_year) else charts.NEUTRAL)
              for c in b.columns]
    body += charts.vertical_bar(
        t(lang, "budget.line_chart_title", line=line.line, money=money_unit(lang, currency)),
        points)
    return card(body)


def no_forecast_text(lang: str, unit: str) -> str:
    """For a forecast question about a unit that has only a budget; show the budget after."""
    return t(lang, "budget.no_forecast", unit=unit)
