"""The summary card: the report's kind × status table with on plan / deviation from plan /
not reported (counted apart, and left out when nothing is unreported), and a donut of the
three."""

from __future__ import annotations

import json

from cards import charts
from cards.elements import (
    Card,
    Element,
    ask_action,
    card,
    escape,
    fit_text,
    heading,
    shorten,
    subtle,
    summary,
    text,
    text_table,
)
from cards.texts import status_label, t
from storage.queries import Summary
from understanding.question import Intent, Question

Row = tuple[str, int, int, int, int, bool]  # label, on plan, deviating, not reported, total, bold
PER_KIND_DONUTS = 4  # more kinds than this: the table says it better than a row of donuts
CARD_BUDGET_BYTES = 20_000  # well under Teams' ~28 KB (the activity envelope counts too)


def summary_rows(lang: str, s: Summary) -> list[Row]:
    """(label, on plan, deviating, not reported, total, is a total row) in report order: each
    kind's total, then its statuses (those that occur in the organisation), then the sum."""
    rows: list[Row] = []
    statuses = s.statuses()
    for kind in s.kinds:
        on, dev, nr = s.kind_total(kind)
        rows.append((kind, on, dev, nr, on + dev + nr, True))
        for status in statuses:
            on, dev, nr = s.cells[kind][status]
            rows.append((status_label(lang, status), on, dev, nr, on + dev + nr, False))
    on, dev, nr = s.total
    rows.append((t(lang, "total"), on, dev, nr, on + dev + nr, True))
    return rows


def _with_not_reported(s: Summary) -> bool:
    return s.total[2] > 0


def _headers(lang: str, s: Summary) -> list[str]:
    return [t(lang, "on_plan"), t(lang, "deviating"),
            *([t(lang, "summary.not_reported")] if _with_not_reported(s) else []),
            t(lang, "total")]


def _cell(value: str, bold: bool, wrap: bool = True) -> Element:
    # Alignment is set per column and counts don't wrap: small cells keep many kinds under
    # the size limit.
    block: Element = {"type": "TextBlock", "text": escape(value)}  # kinds are imported
    if wrap:
        block["wrap"] = True
    if bold:
        block["weight"] = "Bolder"
    return {"type": "TableCell", "items": [block]}


def _points(lang: str, on: int, dev: int, nr: int, with_nr: bool) -> list[charts.Point]:
    points = [charts.Point(t(lang, "on_plan"), on, str(on), charts.GOOD),
              charts.Point(t(lang, "deviating"), dev, str(dev), charts.WARNING)]
    if with_nr:
        points.append(charts.Point(t(lang, "summary.not_reported"), nr, str(nr), charts.NEUTRAL))
    return points


def _charts(lang: str, s: Summary, per_kind: bool) -> list[Element]:
    """A donut of everything; with a few kinds, one per kind as well."""
    with_nr = _with_not_reported(s)
    found = charts.donut(t(lang, "summary.chart_title"), _points(lang, *s.total, with_nr))
    if per_kind and 1 < len(s.kinds) <= PER_KIND_DONUTS:
        for kind in s.kinds:
            found += charts.donut(t(lang, "summary.chart_kind", kind=kind),
                                  _points(lang, *s.kind_total(kind), with_nr))
    return found


def _table(lang: str, s: Summary, with_statuses: bool, label_limit: int | None) -> Element:
    headers = _headers(lang, s)
    with_nr = _with_not_reported(s)
    header = {"type": "TableRow", "style": "emphasis",
              "cells": [_cell("", True), *(_cell(h, True) for h in headers)]}
    rows = [header]
    for label, on, dev, nr, total, bold in summary_rows(lang, s):
        if not (bold or with_statuses):
            continue
        values = [on, dev, *([nr] if with_nr else []), total]
        shown = label if label_limit is None else shorten(label, label_limit)
        rows.append({"type": "TableRow",
                     "cells": [_cell(shown, bold), *(_cell(str(v), bold, wrap=False)
                                                     for v in values)]})
    return {
        "type": "Table",
        "columns": [{"width": 3, "horizontalCellContentAlignment": "Left"},
                    *({"width": 2, "horizontalCellContentAlignment": "Right"}
                      for _ in headers[:-1]),
                    {"width": 1, "horizontalCellContentAlignment": "Right"}],
        "rows": rows,
        "firstRowAsHeader": True,
        "showGridLines": True,
    }


# Until the card fits: without the per-kind donuts, then kinds shortened, then each kind's
# total alone (many kinds: the statuses per kind are in "as text", offered by a button).
_FITS = ((True, True, None), (False, True, None), (False, True, 40), (False, False, 40))


def _empty(s: Summary) -> bool:
    """No assignments at all (an organisation with only finances or indicators): no table of
    zeros and no donut, which would draw nothing."""
    return not s.kinds or sum(s.total) == 0


def summary_card(lang: str, s: Summary) -> Card:
    if _empty(s):
        return card([heading(t(lang, "summary_title")), text(t(lang, "summary.empty"))])
    subtitle = t(lang, "summary.subtitle" if _with_not_reported(s) else "summary_subtitle")
    for per_kind, with_statuses, label_limit in _FITS:
        top = [heading(t(lang, "summary_title")), subtle(subtitle),
               _table(lang, s, with_statuses, label_limit)]
        actions = None if with_statuses else [
            ask_action(t(lang, "show_all_text"), Question(Intent.SUMMARY, as_text=True))]
        result = card([*top, *_charts(lang, s, per_kind=per_kind)], actions)
        if len(json.dumps(result)) <= CARD_BUDGET_BYTES:
            break
    return result


def summary_text(lang: str, s: Summary) -> str:
    if _empty(s):
        return summary(t(lang, "summary.empty"))
    on, dev, nr = s.total
    parts = [f"{kind} {sum(s.kind_total(kind))}" for kind in s.kinds]
    counts = [f"{on} {t(lang, 'on_plan').lower()}", f"{dev} {t(lang, 'deviating').lower()}"]
    if nr:
        counts.append(f"{nr} {t(lang, 'summary.not_reported').lower()}")
    return summary(f"{t(lang, 'summary_title')}: {', '.join(parts)}; {', '.join(counts)}.")


def summary_table(lang: str, s: Summary) -> str:
    if _empty(s):
        return summary(t(lang, "summary.empty"))
    with_nr = _with_not_reported(s)
    rows = [(label if bold else f"  {label}", on, dev, *([nr] if with_nr else []), total)
            for label, on, dev, nr, total, bold in summary_rows(lang, s)]
    return fit_text(f"**{t(lang, 'summary_title')}**\n\n" + text_table(
        [[str(c) for c in row] for row in rows], ["", *_headers(lang, s)]), t(lang, "text_cut"))
