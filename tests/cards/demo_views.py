"""The demo organisations loaded once into a temporary SQLite database, and the views the
card builders get from storage.queries; plus one check for every card: valid for the schema
and the renderer, under Teams' size limit, and showing the expected figures where charts
fall back (the renderer draws no charts, like Teams mobile)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from tempfile import mkdtemp
from typing import Any

from card_validation import MAX_CARD_BYTES, rendered_texts, schema_errors

from storage import queries
from storage.db import make_engine, migrate, session
from storage.demo import load_demo
from storage.filters import AssignmentFilter

# Organisation ids in the order load_demo creates them.
NORRTALJE, LOVISA, LERUM, NYKOPING, ALINGSAS = 1, 2, 3, 4, 5
TODAY = date(2025, 9, 30)


@dataclass(frozen=True)
class Demo:
    finance: list[queries.FinanceView]  # Norrtälje
    counts: dict[str, queries.AssignmentCounts]  # Norrtälje, by unit
    budgets: dict[str, queries.BudgetView]  # Lovisa, by unit
    indicators: dict[int, list[queries.IndicatorView]]  # by organisation
    summaries: dict[int, queries.Summary]
    assignments: list[queries.AssignmentView]  # Norrtälje, by number, 3 comments each
    units: dict[int, list[queries.UnitView]]  # by organisation


@cache
def demo() -> Demo:
    path = Path(mkdtemp(prefix="laget-cards-")) / "demo.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    load_demo(engine)
    with session(engine) as s:
        finance = queries.finance_overview(s, NORRTALJE)
        counts = {f.unit: queries.unit_assignment_counts(s, NORRTALJE, f.unit_id, TODAY)
                  for f in finance}
        budgets = {}
        for unit in queries.list_units(s, LOVISA):
            if (b := queries.budget(s, LOVISA, unit.id)) is not None:
                budgets[b.unit] = b
        indicators = {org: queries.indicators(s, org) for org in (LERUM, NYKOPING)}
        summaries = {org: queries.summary(s, org) for org in (NORRTALJE, LOVISA, NYKOPING)}
        assignments = queries.assignments(s, NORRTALJE, AssignmentFilter(), TODAY, comments=3)
        units = {org: queries.list_units(s, org)
                 for org in (NORRTALJE, LOVISA, LERUM, NYKOPING, ALINGSAS)}
    engine.dispose()
    return Demo(finance, counts, budgets, indicators, summaries,
                sorted(assignments, key=lambda a: a.number), units)


def unit(name: str) -> queries.FinanceView:
    return next(f for f in demo().finance if f.unit == name)


def indicator(org: int, starts: str) -> queries.IndicatorView:
    return next(i for i in demo().indicators[org] if i.name.startswith(starts))


def size(card: dict[str, Any]) -> int:
    return len(json.dumps(card).encode())


def check(cards: list[dict[str, Any]], *expected: list[str]) -> list[str]:
    """Every card is valid (schema + renderer, charts by the Teams schema), under 28 KB, and
    its rendered text (charts replaced by their fallbacks) contains the expected strings
    (one list per card, or none). Returns the rendered texts."""
    problems = [f"card[{i}]: {e}" for i, card in enumerate(cards) for e in schema_errors(card)]
    assert not problems, "\n".join(problems)
    for card in cards:
        assert size(card) < MAX_CARD_BYTES, size(card)
    texts = rendered_texts(cards)  # one renderer pass: its errors fail here too
    for text, wanted in zip(texts, expected, strict=False):
        missing = [w for w in wanted if w not in text]
        assert not missing, (missing, text)
    return texts


def charts_in(node: Any) -> list[dict[str, Any]]:
    """Every Teams chart element in a card."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if str(node.get("type", "")).startswith("Chart."):
            found.append(node)
        for key, value in node.items():
            if key != "data":
                found.extend(charts_in(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(charts_in(value))
    return found


def table_rows(text: str) -> list[list[str]]:
    """The rows of the pipe tables in an "as text" answer, each as its non-empty cells
    (the header's separator line left out; rows have no closing pipe)."""
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        rows.append([cell.strip() for cell in line[1:].split("|") if cell.strip()])
    return rows
