"""Indicator (nyckeltal) cards: one indicator in full with its values over the years, a
compact list of many, and the part of a nudge digest about new and newly negative values.

Which way a value goes (the direction: Ökande / Minskande / Bibehållen) and whether that is
good (the judgement: positiv / negativ / oförändrad) are two facts tied by the polarity
(storage.domain): a ranking going from 130 to 86 is "Minskande" and positive. Reports print
one or the other (Lerum's "Prognos 2024", Nyköping's "Trend"); the other is derived. A
missing value is shown as missing, never as 0."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from cards import charts
from cards.elements import (
    Card,
    Element,
    card,
    container,
    facts,
    heading,
    subtle,
    text,
    text_table,
)
from cards.texts import t
from storage.domain import (
    Direction,
    Judgement,
    Polarity,
    direction_between,
    direction_for,
    format_decimal,
    is_better,
    judge,
)
from storage.queries import IndicatorView, IndicatorYear

MISSING = "–"
DIGEST_ITEMS = 10  # per section: a digest card has other news too
_COLOR = {Judgement.POSITIVE: "Good", Judgement.NEGATIVE: "Attention"}
_CHART_COLOR: dict[Judgement | None, charts.ChartColor] = {
    Judgement.POSITIVE: charts.GOOD, Judgement.NEGATIVE: charts.ATTENTION}


def polarity_of(i: IndicatorView) -> Polarity:
    try:
        return Polarity(i.polarity)
    except ValueError:
        return Polarity.NEUTRAL


def _enum(kind: type[Direction] | type[Judgement], value: str):  # noqa: ANN202
    try:
        return kind(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Development:
    """Direction and judgement together, for one year; `printed` says whether a report
    printed (one of) them, or they were computed from the change between two values."""

    year: int
    direction: Direction | None
    judgement: Judgement | None
    printed: str = ""  # "forecast" (printed direction), "trend" (printed judgement) or ""


def latest(i: IndicatorView) -> IndicatorYear | None:
    """The newest year that has a value."""
    return next((y for y in reversed(i.years) if y.total is not None), None)


def previous(i: IndicatorView) -> IndicatorYear | None:
    """The year with a value before the latest one (missing years are skipped)."""
    valued = [y for y in i.years if y.total is not None]
    return valued[-2] if len(valued) >= 2 else None


def change(i: IndicatorView) -> tuple[IndicatorYear, IndicatorYear, Development] | None:
    """The latest value against the previous one, with the direction and its judgement."""
    last, before = latest(i), previous(i)
    if last is None or before is None or last.total is None or before.total is None:
        return None
    direction = direction_between(before.total, last.total)
    return before, last, Development(last.year, direction, judge(direction, polarity_of(i)))


def printed(i: IndicatorView) -> Development | None:
    """The newest printed trend or forecast, the missing half derived through the polarity."""
    polarity = polarity_of(i)
    for y in reversed(i.years):
        direction, judgement = _enum(Direction, y.direction), _enum(Judgement, y.trend)
        if direction is None and judgement is None:
            continue
        if judgement is None and direction is not None:
            return Development(y.year, direction, judge(direction, polarity), "forecast")
        if direction is None and judgement is not None:
            return Development(y.year, direction_for(judgement, polarity), judgement, "trend")
        return Development(y.year, direction, judgement, "trend")
    return None


def development(i: IndicatorView) -> Development | None:
    """What the indicator's colour and "developing negatively" go by: the report's own word
    when it is at least as new as the latest value, else the computed change."""
    said, last, moved = printed(i), latest(i), change(i)
    if said is not None and (last is None or said.year >= last.year):
        return said
    return moved[2] if moved else said


def judgement_of(i: IndicatorView) -> Judgement | None:
    found = development(i)
    return found.judgement if found else None


def _versus(i: IndicatorView, other: Decimal | None) -> str | None:
    """'better' / 'worse' / 'equal' for the latest value against a target or comparison."""
    last = latest(i)
    if last is None or last.total is None or other is None:
        return None
    if last.total == other:
        return "equal"
    better = is_better(last.total, other, polarity_of(i))
    return None if better is None else "better" if better else "worse"


def versus_target(i: IndicatorView) -> str | None:
    last = latest(i)
    return _versus(i, last.target if last else None)


def versus_comparison(i: IndicatorView) -> str | None:
    last = latest(i)
    return _versus(i, last.comparison if last else None)


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
    last = latest(i)
    return f"{value_words(i, last.total)} ({last.year})" if last else t(lang, "indicator.missing")


def _compared(lang: str, i: IndicatorView, value: Decimal | None, versus: str | None,
              kind: str) -> str:
    words = value_words(i, value)
    return f"{words} ({t(lang, f'indicator.{kind}.{versus}')})" if versus else words


def _facts(lang: str, i: IndicatorView) -> list[tuple[str, str]]:
    last = latest(i)
    pairs = [(t(lang, "indicator.latest"), _latest_words(lang, i))]
    if moved := change(i):
        before, after, d = moved
        assert before.total is not None and after.total is not None
        pairs.append((t(lang, "indicator.change", from_year=before.year, to_year=after.year),
                      f"{_signed(after.total - before.total)}, {_development_words(lang, d)}"))
    if said := printed(i):
        pairs.append((_development_label(lang, said), _development_words(lang, said)))
    if last and last.target is not None:
        pairs.append((t(lang, "indicator.target"),
                      _compared(lang, i, last.target, versus_target(i), "vs_target")))
    if last and last.comparison is not None:
        label = (t(lang, "indicator.comparison", group=i.comparison_group) if i.comparison_group
                 else t(lang, "indicator.comparison_plain"))
        pairs.append((label, _compared(lang, i, last.comparison, versus_comparison(i),
                                       "vs_comparison")))
    if last and last.women is not None:
        pairs.append((t(lang, "indicator.women"), value_words(i, last.women)))
    if last and last.men is not None:
        pairs.append((t(lang, "indicator.men"), value_words(i, last.men)))
    pairs.append((t(lang, "indicator.polarity"),
                  t(lang, f"indicator.polarity.{polarity_of(i).value}")))
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
    last = latest(i)
    d = development(i)
    body: list[Element] = [heading(i.name)]
    if i.unit:
        body.append(subtle(i.unit))
    if last is None:
        body.append(text(t(lang, "indicator.no_value", name=i.name), weight="Bolder"))
    else:
        body.append(text(f"{value_words(i, last.total)} ({last.year})", size="ExtraLarge",
                         weight="Bolder"))
    if d is not None:
        moved = change(i)
        label = (t(lang, "indicator.change", from_year=moved[0].year, to_year=moved[1].year)
                 if moved and not d.printed else _development_label(lang, d))
        body.append(text(f"{label}: {_development_words(lang, d)}", weight="Bolder",
                         spacing="None", color=_COLOR.get(d.judgement, "Default")))
    body.append(facts(_facts(lang, i)))
    body += _chart(lang, i)
    return card(body)


def indicator_text(lang: str, i: IndicatorView) -> str:
    """Name, latest value and year, change, development, target, comparison, women/men."""
    if latest(i) is None:
        return t(lang, "indicator.no_value", name=i.name)
    skip = {t(lang, k) for k in ("indicator.latest", "indicator.polarity", "indicator.measure",
                                 "indicator.responsible", "indicator.goal")}
    rest = " ".join(f"{label}: {value}." for label, value in _facts(lang, i)
                    if label not in skip)
    return f"{i.name}: {_latest_words(lang, i)}. {rest}".strip()


def indicator_table(lang: str, i: IndicatorView) -> str:
    """The text, then a row per year with every printed column."""
    columns = [(name, t(lang, key)) for name, key in _SERIES
               if any(getattr(y, name) is not None for y in i.years)]
    rows = []
    for y in i.years:
        d, j = _enum(Direction, y.direction), _enum(Judgement, y.trend)
        rows.append([str(y.year), *(value_words(i, getattr(y, name)) for name, _ in columns),
                     direction_label(lang, d) if d else "",
                     judgement_label(lang, j) if j else ""])
    headers = [t(lang, "indicator.year"), *(label for _, label in columns),
               t(lang, "indicator.forecast_column"), t(lang, "indicator.trend_column")]
    table = text_table(rows, headers)
    return f"{indicator_text(lang, i)}\n\n{table}" if rows else indicator_text(lang, i)


# --- many indicators --------------------------------------------------------------------


def _judgement_cell(lang: str, i: IndicatorView) -> Element:
    j = judgement_of(i)
    words = judgement_label(lang, j) if j else MISSING
    return {"type": "TableCell",
            "items": [text(words, weight="Bolder", color=_COLOR.get(j, "Default"))]}


def _cell(value: str) -> Element:
    return {"type": "TableCell", "items": [text(value)]}


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
    rows = [header] + [{"type": "TableRow", "cells": [
        _cell(i.name), _cell(_latest_words(lang, i)), _judgement_cell(lang, i)]} for i in items]
    body.append({"type": "Table",
                 "columns": [{"width": 5, "horizontalCellContentAlignment": "Left"},
                             {"width": 2, "horizontalCellContentAlignment": "Right"},
                             {"width": 2, "horizontalCellContentAlignment": "Left"}],
                 "rows": rows, "firstRowAsHeader": True, "showGridLines": True})
    return card(body)


def _line(lang: str, i: IndicatorView) -> str:
    j = judgement_of(i)
    words = f", {judgement_label(lang, j).lower()}" if j else ""
    return f"{i.name} {_latest_words(lang, i)}{words}"


def indicators_text(lang: str, items: Sequence[IndicatorView], title: str) -> str:
    if not items:
        return f"{title}: {t(lang, 'indicator.none')}"
    return (f"{title} ({t(lang, 'indicator.count', n=len(items))}): "
            + "; ".join(_line(lang, i) for i in items) + ".")


def indicators_table(lang: str, items: Sequence[IndicatorView], title: str) -> str:
    if not items:
        return indicators_text(lang, items, title)
    rows = [(i.name, _latest_words(lang, i),
             judgement_label(lang, judgement_of(i)) if judgement_of(i) else MISSING)
            for i in items]
    headers = [t(lang, "indicator.digest_title"), t(lang, "indicator.latest"),
               t(lang, "indicator.development")]
    return (f"{title} ({t(lang, 'indicator.count', n=len(items))})\n\n"
            + text_table(rows, headers))


# --- nudges -----------------------------------------------------------------------------


def _digest_item(lang: str, i: IndicatorView) -> Element:
    j = judgement_of(i)
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
