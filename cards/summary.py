"""The summary card: kind × status × on plan / deviation, with totals."""

from __future__ import annotations

from tabulate import tabulate

from cards.elements import Card, card, heading, subtle
from cards.texts import status_label, t
from storage.domain import Status
from storage.queries import Summary


def summary_rows(lang: str, s: Summary) -> list[tuple[str, int, int, int, bool]]:
    """(label, on plan, deviating, total, is a total row) in report order."""
    rows: list[tuple[str, int, int, int, bool]] = []
    for kind in s.kinds:
        on, dev = s.kind_total(kind)
        rows.append((kind, on, dev, on + dev, True))
        for status in Status:
            on, dev = s.cells[kind][status]
            rows.append((status_label(lang, status), on, dev, on + dev, False))
    on, dev = s.total
    rows.append((t(lang, "total"), on, dev, on + dev, True))
    return rows


def _cell(value: str, bold: bool, align: str = "Left") -> dict:
    return {
        "type": "TableCell",
        "items": [{"type": "TextBlock", "text": value, "wrap": True,
                   "weight": "Bolder" if bold else "Default", "horizontalAlignment": align}],
    }


def summary_card(lang: str, s: Summary) -> Card:
    header = {
        "type": "TableRow",
        "style": "emphasis",
        "cells": [
            _cell("", True),
            _cell(t(lang, "on_plan"), True, "Right"),
            _cell(t(lang, "deviating"), True, "Right"),
            _cell(t(lang, "total"), True, "Right"),
        ],
    }
    rows = [header] + [
        {
            "type": "TableRow",
            "cells": [
                _cell(label, bold),
                _cell(str(on), bold, "Right"),
                _cell(str(dev), bold, "Right"),
                _cell(str(total), bold, "Right"),
            ],
        }
        for label, on, dev, total, bold in summary_rows(lang, s)
    ]
    table = {
        "type": "Table",
        "columns": [{"width": 3}, {"width": 2}, {"width": 2}, {"width": 1}],
        "rows": rows,
        "firstRowAsHeader": True,
        "showGridLines": True,
    }
    return card([heading(t(lang, "summary_title")), subtle(t(lang, "summary_subtitle")), table])


def summary_text(lang: str, s: Summary) -> str:
    on, dev = s.total
    parts = [f"{kind} {sum(s.kind_total(kind))}" for kind in s.kinds]
    return (
        f"{t(lang, 'summary_title')}: {', '.join(parts)}; "
        f"{on} {t(lang, 'on_plan').lower()}, {dev} {t(lang, 'deviating').lower()}."
    )


def summary_table(lang: str, s: Summary) -> str:
    rows = [
        (label if bold else f"  {label}", on, dev, total)
        for label, on, dev, total, bold in summary_rows(lang, s)
    ]
    return f"{t(lang, 'summary_title')}\n\n" + tabulate(
        rows, headers=["", t(lang, "on_plan"), t(lang, "deviating"), t(lang, "total")],
        tablefmt="simple",
    )
