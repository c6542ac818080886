"""Teams' chart elements (Chart.Donut, Chart.VerticalBar, Chart.HorizontalBar,
Chart.VerticalBar.Grouped, Chart.Line; Microsoft Learn, "Charts in Adaptive Cards"), each
with what clients without charts need.

* Teams desktop and web draw the chart; Teams on iOS and Android (and any plain Adaptive Cards
  1.5 host) render its `fallback` instead, so every chart carries one with the same figures as
  the card prints them: a FactSet for one series, a Table for several.
* The chart schema has no text-alternative property, and a screen reader can't read bars, so
  every builder returns the chart followed by a short visible TextBlock with the same facts.
* Colours are Teams' named chart tokens only (good / warning / attention / neutral and the
  categorical ones), never hex, so dark and high-contrast themes restyle them.

A builder returns a list of elements to append to a card body. Missing values (None) are not
drawn (a chart would show them as 0) and are printed "–" in the fallback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Literal, get_args

from cards.elements import Element, container, facts, shorten, table, table_row, text

ChartColor = Literal[
    "good", "warning", "attention", "neutral",
    "categoricalBlue", "categoricalPurple", "categoricalTeal", "categoricalMarigold",
    "categoricalLavender", "categoricalGreen", "categoricalLightBlue", "categoricalLime",
    "categoricalRed",
]
GOOD: ChartColor = "good"
WARNING: ChartColor = "warning"
ATTENTION: ChartColor = "attention"
NEUTRAL: ChartColor = "neutral"
# For series that carry no judgement (years, budget lines): distinct, but not good/bad.
SERIES_COLORS: tuple[ChartColor, ...] = (
    "categoricalBlue", "categoricalPurple", "categoricalTeal", "categoricalMarigold",
    "categoricalLavender", "categoricalLightBlue",
)
_ALLOWED = frozenset(get_args(ChartColor))
MISSING = "–"
# A label may be a unit's or a budget line's name (imported, up to 200 characters each), and
# a chart holds it three times (the chart, its fallback, the text alternative): on a chart of
# 30 units the names alone would pass Teams' 28 KB. Charts shorten them (the card names them
# whole elsewhere), never so far that two become one.
LABEL_CHARS = 40


@dataclass(frozen=True)
class Point:
    """One figure: `label` is the x value or legend, `shown` the figure as the card prints it
    ("-41 225 tkr"), `value` what the chart draws (None = missing)."""

    label: str
    value: Decimal | int | None
    shown: str
    color: ChartColor | None = None


@dataclass(frozen=True)
class Series:
    legend: str
    points: Sequence[Point]  # labels are the x values, in order
    color: ChartColor | None = None


def short_labels(values: Sequence[str]) -> dict[str, str]:
    """Each label shortened to LABEL_CHARS, or longer where that would make two the same."""
    distinct = list(dict.fromkeys(values))
    for limit in (LABEL_CHARS, 2 * LABEL_CHARS, 5 * LABEL_CHARS):
        shortened = {v: shorten(v, limit) for v in distinct}
        if len(set(shortened.values())) == len(distinct):
            return shortened
    return {v: v for v in distinct}


def _short_points(points: Sequence[Point]) -> list[Point]:
    names = short_labels([p.label for p in points])
    return [replace(p, label=names[p.label]) for p in points]


def _short_series(series: Sequence[Series]) -> list[Series]:
    legends = short_labels([s.legend for s in series])
    xs = short_labels([p.label for s in series for p in s.points])
    return [replace(s, legend=legends[s.legend],
                    points=[replace(p, label=xs[p.label]) for p in s.points]) for s in series]


def _number(value: Decimal | int) -> int | float:
    """JSON has no Decimal; integral amounts stay integers."""
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def _color(color: ChartColor | None) -> dict[str, str]:
    if color is None:
        return {}
    if color not in _ALLOWED:  # a hex value would ignore the user's theme
        raise ValueError(f"not a Teams chart colour token: {color!r}")
    return {"color": color}


def _axes(x_title: str, y_title: str) -> dict[str, str]:
    return {k: v for k, v in (("xAxisTitle", x_title), ("yAxisTitle", y_title)) if v}


def _alt(title: str, points: Sequence[Point]) -> str:
    return f"{title}: " + "; ".join(f"{p.label} {p.shown}" for p in points) + "."


def _series_alt(title: str, series: Sequence[Series]) -> str:
    parts = [f"{s.legend}: " + ", ".join(f"{p.label} {p.shown}" for p in s.points)
             for s in series]
    return f"{title}. " + "; ".join(parts) + "."


def _alt_text(alt: str) -> Element:
    return text(alt, isSubtle=True, size="Small", spacing="Small")


def facts_fallback(title: str, points: Sequence[Point]) -> Element:
    """The figures of one series, for clients without charts."""
    return container([text(title, weight="Bolder"),
                      facts([(p.label, p.shown) for p in points])], separator=False)


def table_fallback(title: str, series: Sequence[Series], x_title: str = "") -> Element:
    """Several series as a table: one row per x value, one column per series."""
    xs = list(dict.fromkeys(p.label for s in series for p in s.points))
    shown = [{p.label: p.shown for p in s.points} for s in series]
    rows = [table_row([x_title, *(s.legend for s in series)], bold=True)]
    rows += [table_row([x, *(by_x.get(x, MISSING) for by_x in shown)]) for x in xs]
    columns = [(2, "Left")] + [(2, "Right")] * len(series)
    return container([text(title, weight="Bolder"), table(columns, rows)], separator=False)


def _chart(element: Element, fallback: Element, alt: str) -> list[Element]:
    return [{**element, "fallback": fallback}, _alt_text(alt)]


def donut(title: str, points: Sequence[Point], alt: str | None = None) -> list[Element]:
    """Parts of a whole (assignments on plan / deviating / not reported)."""
    points = _short_points(points)
    data = [{"legend": p.label, "value": _number(p.value), **_color(p.color)}
            for p in points if p.value is not None]
    return _chart({"type": "Chart.Donut", "title": title, "data": data},
                  facts_fallback(title, points), alt or _alt(title, points))


def vertical_bar(title: str, points: Sequence[Point], alt: str | None = None,
                 x_title: str = "", y_title: str = "") -> list[Element]:
    points = _short_points(points)
    data = [{"x": p.label, "y": _number(p.value), **_color(p.color)}
            for p in points if p.value is not None]
    return _chart({"type": "Chart.VerticalBar", "title": title, **_axes(x_title, y_title),
                   "showBarValues": True, "data": data},
                  facts_fallback(title, points), alt or _alt(title, points))


def horizontal_bar(title: str, points: Sequence[Point], alt: str | None = None,
                   x_title: str = "", y_title: str = "") -> list[Element]:
    """One bar per unit: horizontal bars keep long unit names readable."""
    points = _short_points(points)
    data = [{"x": p.label, "y": _number(p.value), **_color(p.color)}
            for p in points if p.value is not None]
    return _chart({"type": "Chart.HorizontalBar", "title": title, **_axes(x_title, y_title),
                   "displayMode": "AbsoluteWithAxis", "data": data},
                  facts_fallback(title, points), alt or _alt(title, points))


def grouped_bar(title: str, series: Sequence[Series], alt: str | None = None,
                x_title: str = "", y_title: str = "") -> list[Element]:
    """Side-by-side bars: e.g. budget lines (series) per year (x)."""
    series = _short_series(series)
    data = [{"legend": s.legend,
             "values": [{"x": p.label, "y": _number(p.value)}
                        for p in s.points if p.value is not None],
             **_color(s.color)}
            for s in series]
    return _chart({"type": "Chart.VerticalBar.Grouped", "title": title,
                   **_axes(x_title, y_title), "data": data},
                  table_fallback(title, series, x_title), alt or _series_alt(title, series))


def line(title: str, series: Sequence[Series], alt: str | None = None,
         x_title: str = "", y_title: str = "") -> list[Element]:
    """Values over the years. A missing year is left out of the line, not drawn as 0."""
    series = _short_series(series)
    data = [{"legend": s.legend,
             "values": [{"x": p.label, "y": _number(p.value)}
                        for p in s.points if p.value is not None],
             **_color(s.color)}
            for s in series]
    fallback = (facts_fallback(title, series[0].points) if len(series) == 1
                else table_fallback(title, series, x_title))
    return _chart({"type": "Chart.Line", "title": title, **_axes(x_title, y_title),
                   "data": data},
                  fallback, alt or _series_alt(title, series))
