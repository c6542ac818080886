"""Indicator (nyckeltal) cards: one indicator in full with its values over the years, a
compact list of many, and the part of a nudge digest about new and newly negative values.

Which way a value goes (the direction: Ökande / Minskande / Bibehållen) and whether that is
good (the judgement: positiv / negativ / oförändrad) are two facts tied by the polarity
(storage.domain): a ranking going from 130 to 86 is "Minskande" and positive. Reports print
one or the other (Lerum's "Prognos 2024", Nyköping's "Trend"); the other is derived. A
missing value is shown as missing, never as 0."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from cards import charts
from cards.elements import (
    CARD_BUDGET_BYTES,
    Card,
    Element,
    card,
    container,
    escape,
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
from cards.texts import t
from storage import indicators as rules
from storage.domain import Direction, Judgement, format_decimal
from storage.indicators import Development
from storage.queries import IndicatorView, IndicatorYear

MISSING = "–"
DIGEST_ITEMS = 10  # per section: a digest card has other news too
_COLOR = {Judgement.POSITIVE: "Good", Judgement.NEGATIVE: "Attention"}
_CHART_COLOR: dict[Judgement | None, charts.ChartColor] = {
    Judgement.POSITIVE: charts.GOOD, Judgement.NEGATIVE: charts.ATTENTION}


def _change(i: IndicatorView) -> tuple[IndicatorYear, IndicatorYear, Development] | None:
    """The latest value against the previous one, with its direction and judgement."""
    before, now, moved = rules.previous(i), rules.latest(i), rules.computed(i)
    if before is None or now is None or moved is None:
        return None
    return before, now, moved


# --- words ------------------------------------------------------------------------------


def value_words(i: IndicatorView, value: Decimal | None) -> str:
    """As printed ('9,0'), with a percent sign for percentages; '–' when missing."""
    if value is None:
        return MISSING
    shown = format_decimal(value)
    return f"{shown} %" if i.measure.strip() == "%" else shown


def _signed(value: Decimal) -> str:
    return ("+" if value > 0 else "") + format_decimal(value)


def direction_label(lang: str, direction: Direction | None) -> str:
    return t(lang, f"indicator.direction.{direction.value}") if direction else MISSING


def judgement_label(lang: str, judgement: Judgement | None) -> str:
    return t(lang, f"indicator.judgement.{judgement.value}" if judgement
             else "indicator.judgement.none")


def _development_words(lang: str, d: Development) -> str:
    """'Minskande (positiv)'; a neutral indicator's direction alone."""
    if d.judgement is None:
        return direction_label(lang, d.direction)
    return f"{direction_label(lang, d.direction)} ({judgement_label(lang, d.judgement).lower()})"


def _development_label(lang: str, d: Development) -> str:
    key = "indicator.forecast" if d.printed == "forecast" else "indicator.trend"
    return t(lang, key, year=d.year)


def _latest_words(lang: str, i: IndicatorView) -> str:
    last = rules.latest(i)
    return f"{value_words(i, last.total)} ({last.year})" if last else t(lang, "indicator.missing")


def _compared(lang: str, i: IndicatorView, value: Decimal | None, versus: str | None,
              kind: str) -> str:
    words = value_words(i, value)
    return f"{words} ({t(lang, f'indicator.{kind}.{versus}')})" if versus else words


def _facts(lang: str, i: IndicatorView) -> list[tuple[str, str]]:
    last = rules.latest(i)
    pairs = [(t(lang, "indicator.latest"), _latest_words(lang, i))]
    if moved := _change(i):
        before, after, d = moved
        assert before.total is not None and after.total is not None
        pairs.append((t(lang, "indicator.change", from_year=before.year, to_year=after.year),
                      f"{_signed(after.total - before.total)}, {_development_words(lang, d)}"))
    if said := rules.printed(i):
        pairs.append((_development_label(lang, said), _development_words(lang, said)))
    if last and last.target is not None:
        pairs.append((t(lang, "indicator.target"),
                      _compared(lang, i, last.target, rules.versus_target(i), "vs_target")))
    if last and last.comparison is not None:
        label = (t(lang, "indicator.comparison", group=i.comparison_group) if i.comparison_group
                 else t(lang, "indicator.comparison_plain"))
        pairs.append((label, _compared(lang, i, last.comparison, rules.versus_comparison(i),
                                       "vs_comparison")))
    if last and last.women is not None:
        pairs.append((t(lang, "indicator.women"), value_words(i, last.women)))
    if last and last.men is not None:
        pairs.append((t(lang, "indicator.men"), value_words(i, last.men)))
    pairs.append((t(lang, "indicator.polarity"),
                  t(lang, f"indicator.polarity.{rules.polarity(i).value}")))
    if i.measure:
        pairs.append((t(lang, "indicator.measure"), i.measure))
    if i.unit:
        pairs.append((t(lang, "indicator.responsible"), i.unit))
    if i.goal:
        pairs.append((t(lang, "indicator.goal"), i.goal))
    if i.source_id:
        pairs.append((t(lang, "indicator.kolada"), i.source_id))
    return pairs


# --- one indicator ----------------------------------------------------------------------

_SERIES = (("total", "indicator.total"), ("women", "indicator.women"), ("men", "indicator.men"),
           ("target", "indicator.target"), ("comparison", "indicator.comparison_plain"))


def _chart(lang: str, i: IndicatorView) -> list[Element]:
    """A line per printed series (total; women, men, target, comparison where present)
    over every year the indicator has, a missing year left out of the line."""
    years = [y for y in i.years if any(getattr(y, name) is not None for name, _ in _SERIES)]
    series = []
    for n, (name, key) in enumerate(_SERIES):
        if not any(getattr(y, name) is not None for y in years):
            continue
        points = [charts.Point(str(y.year), getattr(y, name), value_words(i, getattr(y, name)))
                  for y in i.years]
        series.append(charts.Series(t(lang, key), points, charts.SERIES_COLORS[n]))
    if not series:
        return []
    title = t(lang, "indicator.values_by_year")
    missing = t(lang, "indicator.missing")
    alt = f"{title}. " + "; ".join(
        f"{s.legend}: " + ", ".join(f"{p.label} {missing if p.value is None else p.shown}"
                                   for p in s.points) for s in series) + "."
    return charts.line(title, series, alt, x_title=t(lang, "indicator.year"))


def indicator_card(lang: str, i: IndicatorView) -> Card:
    last = rules.latest(i)
    d = rules.development(i)
    body: list[Element] = [heading(i.name)]
    if i.unit:
        body.append(subtle(i.unit))
    if last is None:
        body.append(text(t(lang, "indicator.no_value", name=i.name), weight="Bolder"))
    else:
        body.append(text(f"{value_words(i, last.total)} ({last.year})", size="ExtraLarge",
                         weight="Bolder"))
    if d is not None:
        moved = _change(i)
        label = (t(lang, "indicator.change", from_year=moved[0].year, to_year=moved[1].year)
                 if moved and not d.printed else _development_label(lang, d))
        body.append(text(f"{label}: {_development_words(lang, d)}", weight="Bolder",
                         spacing="None", color=_COLOR.get(d.judgement, "Default")))
    body.append(facts(_facts(lang, i)))
    body += _chart(lang, i)
    return card(body)


def indicator_text(lang: str, i: IndicatorView) -> str:
    """Name, latest value and year, change, development, target, comparison, women/men."""
    if rules.latest(i) is None:
        return summary(t(lang, "indicator.no_value", name=i.name))
    skip = {t(lang, k) for k in ("indicator.latest", "indicator.polarity", "indicator.measure",
                                 "indicator.responsible", "indicator.goal")}
    rest = " ".join(f"{label}: {value}." for label, value in _facts(lang, i)
                    if label not in skip)
    return summary(f"{i.name}: {_latest_words(lang, i)}. {rest}".strip())


def indicator_table(lang: str, i: IndicatorView) -> str:
    """The text, then a row per year with every printed column."""
    columns = [(name, t(lang, key)) for name, key in _SERIES
               if any(getattr(y, name) is not None for y in i.years)]
    rows = []
    for y in i.years:
        d, j = rules.printed_direction(y), rules.printed_judgement(y)
        rows.append([str(y.year), *(value_words(i, getattr(y, name)) for name, _ in columns),
                     direction_label(lang, d) if d else "",
                     judgement_label(lang, j) if j else ""])
    headers = [t(lang, "indicator.year"), *(label for _, label in columns),
               t(lang, "indicator.forecast_column"), t(lang, "indicator.trend_column")]
    table = text_table(rows, headers)
    return fit_text(f"{indicator_text(lang, i)}\n\n{table}", t(lang, "text_cut")) if rows \
        else indicator_text(lang, i)


# --- many indicators --------------------------------------------------------------------


def _judgement_cell(lang: str, i: IndicatorView) -> Element:
    j = rules.judgement(i)
    words = judgement_label(lang, j) if j else MISSING
    return {"type": "TableCell",
            "items": [text(words, weight="Bolder", color=_COLOR.get(j, "Default"))]}


def _cell(value: str) -> Element:
    return {"type": "TableCell", "items": [text(value)]}


# Names in the list shortened until the card fits (an imported name may have 1 000
# characters); each indicator's own card, and "as text", have them whole.
_NAME_LIMITS = (None, 200, 80, 40)


def indicators_card(lang: str, items: Sequence[IndicatorView], title: str) -> Card:
    """A compact list: name, latest value and year, and the judgement in words and colour."""
    body: list[Element] = [heading(title),
                           subtle(t(lang, "indicator.count", n=len(items)))]
    if not items:
        body.append(text(t(lang, "indicator.none")))
        return card(body)
    header = {"type": "TableRow", "cells": [
        {"type": "TableCell", "items": [text(label, weight="Bolder")]}
        for label in (t(lang, "indicator.digest_title"), t(lang, "indicator.latest"),
                      t(lang, "indicator.development"))]}
    for limit in _NAME_LIMITS:
        rows = [header] + [{"type": "TableRow", "cells": [
            _cell(i.name if limit is None else shorten(i.name, limit)),
            _cell(_latest_words(lang, i)), _judgement_cell(lang, i)]} for i in items]
        result = card([*body, {
            "type": "Table",
            "columns": [{"width": 5, "horizontalCellContentAlignment": "Left"},
                        {"width": 2, "horizontalCellContentAlignment": "Right"},
                        {"width": 2, "horizontalCellContentAlignment": "Left"}],
            "rows": rows, "firstRowAsHeader": True, "showGridLines": True}])
        if size(result) <= CARD_BUDGET_BYTES:
            break
    return result


def _line(lang: str, i: IndicatorView) -> str:
    j = rules.judgement(i)
    words = f", {judgement_label(lang, j).lower()}" if j else ""
    return f"{i.name} {_latest_words(lang, i)}{words}"


def indicators_text(lang: str, items: Sequence[IndicatorView], title: str) -> str:
    if not items:
        return summary(f"{title}: {t(lang, 'indicator.none')}")
    return summary(f"{title} ({t(lang, 'indicator.count', n=len(items))}): "
                   + "; ".join(_line(lang, i) for i in items) + ".")


def indicators_table(lang: str, items: Sequence[IndicatorView], title: str) -> str:
    if not items:
        return indicators_text(lang, items, title)
    rows = [(i.name, _latest_words(lang, i),
             judgement_label(lang, rules.judgement(i)) if rules.judgement(i) else MISSING)
            for i in items]
    headers = [t(lang, "indicator.digest_title"), t(lang, "indicator.latest"),
               t(lang, "indicator.development")]
    return fit_text(f"{escape(title)} ({t(lang, 'indicator.count', n=len(items))})\n\n"
                    + text_table(rows, headers), t(lang, "text_cut"))


# --- nudges -----------------------------------------------------------------------------


def _digest_item(lang: str, i: IndicatorView) -> Element:
    j = rules.judgement(i)
    words = f" · {judgement_label(lang, j).lower()}" if j else ""
    return text(f"{i.name}: {_latest_words(lang, i)}{words}", size="Small", spacing="Small",
                color=_COLOR.get(j, "Default"))


def _digest_section(lang: str, key: str, items: Sequence[IndicatorView]) -> list[Element]:
    if not items:
        return []
    shown = [_digest_item(lang, i) for i in items[:DIGEST_ITEMS]]
    if len(items) > DIGEST_ITEMS:
        shown.append(subtle(t(lang, "indicator.more", n=len(items) - DIGEST_ITEMS)))
    return [text(t(lang, key, n=len(items)), weight="Bolder", spacing="Medium"), *shown]


def indicator_digest_part(lang: str, new_values: Sequence[IndicatorView],
                          turned_negative: Sequence[IndicatorView]) -> list[Element]:
    """Elements to append to a digest card: the indicators with new values and those that
    turned negative since the last digest; nothing when there is neither."""
    if not new_values and not turned_negative:
        return []
    items = [text(t(lang, "indicator.digest_title"), size="Medium", weight="Bolder",
                  color="Accent"),
             *_digest_section(lang, "indicator.digest_new", new_values),
             *_digest_section(lang, "indicator.digest_negative", turned_negative)]
    return [container(items)]
