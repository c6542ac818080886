"""Every card the bot can send, built from the demo data in both languages and validated
against the Adaptive Card 1.5 JSON schema and the official renderer (adaptivecards 3.x)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from card_validation import assert_valid_cards
from sqlalchemy import Engine
from sqlmodel import select

from cards import assignments as assignment_cards
from cards import finance as finance_cards
from cards import help as help_cards
from cards import summary as summary_cards
from cards.elements import escape
from storage import queries
from storage.db import make_engine, migrate, session
from storage.demo import load_demo
from storage.domain import Forecast, Status
from storage.models import Assignment
from storage.queries import AssignmentView, CommentView
from storage.units import resolve_unit

TODAY = date(2025, 9, 30)
LANGS = ("sv", "en")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("cards") / "demo.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    load_demo(engine)
    yield engine
    engine.dispose()


def synthetic(n: int) -> list[AssignmentView]:
    comment = CommentView("Lång kommentar " * 60, "Anna", datetime(2025, 7, 31, tzinfo=UTC))
    return [
        AssignmentView(i, "Uppdrag", "Mål", f"Uppdrag {i:03d} med *stjärnor* och _under_",
                       "IT", date(2025, 1, 1 + i % 28), Status.STARTED, Forecast.DEVIATION, 1,
                       [comment])
        for i in range(n)
    ]


def every_card(engine: Engine) -> list[dict]:
    cards: list[dict] = []
    with session(engine) as s:
        units = queries.list_units(s)
        summary = queries.summary(s)
        overdue = queries.overdue_assignments(s, TODAY)
        all_ids = list(s.exec(select(Assignment.id).order_by(Assignment.id)))
        assignments = [queries.get_assignment(s, i) for i in all_ids]
        finance = []
        for name, _, has_finance in units:
            unit = resolve_unit(s, name).unit
            assert unit is not None
            if has_finance:
                finance.append((queries.latest_finance(s, unit.id),
                                queries.unit_assignment_counts(s, unit.id, TODAY)))
    assert len(assignments) == 36 and len(finance) == 7
    for lang in LANGS:
        cards.append(help_cards.help_card(lang))
        cards.append(help_cards.units_card(lang, units))
        cards.append(help_cards.unknown_unit_card(lang, "xyz", ["IT", "HR-avdelning"],
                                                  {"IT": "prognos IT", "HR-avdelning": "x"}))
        cards.append(help_cards.unknown_unit_card(lang, "xyz", [], {}))
        cards.append(summary_cards.summary_card(lang, summary))
        cards.append(assignment_cards.overdue_card(lang, overdue, TODAY))
        cards.append(assignment_cards.overdue_card(lang, [], TODAY, "IT"))
        long_list = synthetic(20)
        cards.extend(assignment_cards.overdue_card(lang, long_list, TODAY, "IT", page)
                     for page in (1, 2, 3))
        cards.append(assignment_cards.list_card(lang, "Träffar", assignments[:10], TODAY))
        cards.extend(assignment_cards.assignment_card(lang, a, TODAY) for a in assignments)
        cards.extend(finance_cards.forecast_card(lang, f, c) for f, c in finance)
    return cards


def test_every_card_is_valid_adaptive_card_1_5(demo: Engine) -> None:
    cards = every_card(demo)
    assert len(cards) > 100
    assert_valid_cards(cards)


def test_cards_stay_well_under_the_teams_message_limit(demo: Engine) -> None:
    sizes = [len(json.dumps(c, ensure_ascii=False).encode()) for c in every_card(demo)]
    assert max(sizes) < 28_000, max(sizes)


def test_overdue_paging_shows_every_item_exactly_once() -> None:
    items = synthetic(20)
    seen: list[str] = []
    page, card = 1, assignment_cards.overdue_card("sv", items, TODAY, None, 1)
    while True:
        containers = [e for e in card["body"] if e["type"] == "Container"]
        seen.extend(c["items"][0]["text"] for c in containers)
        if "actions" not in card:
            break
        ask = card["actions"][0]["data"]["ask"]
        assert ask == f"försenade sida {page + 1}"
        page += 1
        card = assignment_cards.overdue_card("sv", items, TODAY, None, page)
    assert seen == [escape(a.title) for a in items]
    assert page == 3


def test_overdue_page_beyond_the_end_shows_the_last_page() -> None:
    card = assignment_cards.overdue_card("en", synthetic(10), TODAY, None, 99)
    assert any("Showing 9–10 of 10" in e.get("text", "") for e in card["body"])


def test_user_text_cannot_inject_markdown() -> None:
    card = assignment_cards.overdue_card("sv", synthetic(1), TODAY)
    title = next(e for e in card["body"] if e["type"] == "Container")["items"][0]["text"]
    assert title == "Uppdrag 000 med \\*stjärnor\\* och \\_under\\_"


def test_forecast_card_words_surplus_and_deficit(demo: Engine) -> None:
    with session(demo) as s:
        it = queries.latest_finance(s, resolve_unit(s, "IT").unit.id)  # type: ignore[union-attr]
    assert finance_cards.deviation_words("sv", it.deviation) == "+1 372 tkr (överskott)"
    assert finance_cards.deviation_words("en", -it.deviation) == "-1 372 SEK thousand (deficit)"
    assert finance_cards.deviation_words("sv", it.deviation * 0) == "0 tkr (i balans)"


def test_as_text_tables(demo: Engine) -> None:
    with session(demo) as s:
        summary = queries.summary(s)
        it = queries.latest_finance(s, resolve_unit(s, "IT").unit.id)  # type: ignore[union-attr]
    table = summary_cards.summary_table("sv", summary)
    lines = [line.split() for line in table.splitlines()]
    assert ["Totalt", "28", "8", "36"] in lines
    assert ["Påbörjad", "15", "1", "16"] in lines
    text = finance_cards.forecast_table("en", it)
    assert "-41 225" in text and "+1 372 SEK thousand (surplus)" in text
