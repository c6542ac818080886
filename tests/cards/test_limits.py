"""Every kind of card stays under Teams' 28 KB with the longest values the inputs allow, and
validates, in every language: what the import bounds let in (10 000-character descriptions
and comments, 1 000-character titles, 200-character units and lines, 300-character persons),
chat updates (4 000-character comments, 300-character names), 30 items in a list, and a
digest of 500 assignments, in parts. The data goes in through the importer and comes out
through storage.queries, as in the bot.

Card sizes are measured as card_validation measures them, json.dumps with non-ASCII escaped
(ä is six bytes): so the texts are Swedish prose, with Markdown characters (escaped, each one
more byte) in every field.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from card_helpers import actions, in_code_block, outside_code_blocks, shown, texts
from card_validation import MAX_CARD_BYTES, assert_valid_cards
from sqlalchemy import Engine
from storage_helpers import new_org, write_csv

from cards import assignments as ac
from cards import budget as bc
from cards import finance as fc
from cards import help as hc
from cards import indicators as ic
from cards import nudges as nc
from cards import summary as sc
from cards import update as uc
from cards.elements import TEXT_BUDGET_BYTES, escape
from cards.texts import LANGUAGES
from storage import due, queries
from storage.db import make_engine, migrate, session
from storage.domain import Forecast, Status
from storage.filters import AssignmentFilter
from storage.import_files import MAX_CELL_CHARS
from storage.importer import import_file
from storage.organisations import OrganisationView
from storage.roles import Principal, RoleName, grant
from storage.subscriptions import SubscriptionView
from storage.updates import MAX_COMMENT_CHARS, UpdateRequest, apply_update
from understanding.question import Intent, Question

TODAY = date(2025, 9, 30)
LIST_ITEMS = 30
DIGEST_ASSIGNMENTS = 500
TITLE_CHARS = 1000  # storage.importer._TITLE
UNIT_CHARS = 200  # storage.importer._NAME
PERSON_CHARS = 300  # storage.models.NAME_LENGTH
PROSE = ("Räddningstjänstens **åtgärder** för [ökad](http://x) trygghet i `närområdet`, "
         "_särskilt_ för äldre – <b>översyn</b> pågår. ")


def longest(chars: int, tag: str = "", prose: str = PROSE) -> str:
    """Prose of exactly `chars` characters, starting with `tag` (to tell rows apart)."""
    text = tag + prose * (chars // len(prose) + 1)
    return text[:chars - 1].rstrip() + "."


def unit_name(i: int) -> str:
    # Participating units are listed with ";" or ",": a unit's name has neither.
    return longest(UNIT_CHARS, f"Enhet {i:02d} ", PROSE.replace(",", ""))


@dataclass
class Longest:
    engine: Engine
    org: OrganisationView


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Longest]:
    folder = tmp_path_factory.mktemp("longest")
    engine = make_engine(f"sqlite:///{folder / 'laget.db'}")
    migrate(engine)
    org = new_org(engine, "Längsta kommunen")
    # 500 assignments, overdue or due within the week, over 30 units, with the longest
    # value of every column (each participating unit is a unit too: at most 200 characters).
    participants = "; ".join(unit_name(i) for i in range(LIST_ITEMS))[:MAX_CELL_CHARS]
    header = ["kind", "goal_area", "title", "description", "unit", "participating_units",
              "responsible", "due_date", "status", "forecast", "reporting", "comment",
              "comment_date"]
    rows: list[list[Any]] = [header]
    for i in range(1, DIGEST_ASSIGNMENTS + 1):
        rows.append([longest(100, f"Typ {i % LIST_ITEMS} "), longest(300, "Mål "),
                     longest(TITLE_CHARS, f"Uppdrag {i} "), longest(MAX_CELL_CHARS),
                     unit_name(i % LIST_ITEMS), participants, longest(PERSON_CHARS),
                     (TODAY + timedelta(days=i % 14 - 7)).isoformat(), "Påbörjad",
                     "Avvikelse från plan", longest(500), longest(MAX_CELL_CHARS),
                     "2025-09-01"])
    import_file(engine, org.id, write_csv(folder / "uppdrag.csv", rows))
    finance = [["unit", "period_end", "budget_period", "actual_period", "budget_year",
                "forecast_year", "comment"]]
    finance += [[unit_name(i), "2025-08-31", "-99999999999", "-99999999999",
                 "-99999999999999" if i else "1", "-99999999999998", longest(MAX_CELL_CHARS)]
                for i in range(LIST_ITEMS)]
    import_file(engine, org.id, write_csv(folder / "ekonomi.csv", finance))
    budget = [["unit", "line", "year", "scenario", "amount", "note"]]
    budget += [[unit_name(0), longest(200, f"Rad {line} "), year, scenario,
                "-99999999999999", longest(200)]
               for line in range(LIST_ITEMS)
               for year, scenario in ((2023, "utfall"), (2024, "budget"), (2025, "budget"),
                                      (2026, "plan"), (2027, "plan"))]
    import_file(engine, org.id, write_csv(folder / "budget.csv", budget))
    indicators = [["indicator", "unit", "goal", "measure", "polarity", "source_id",
                   "comparison_group", "year", "value", "women", "men", "target",
                   "comparison", "trend", "forecast"]]
    indicators += [[longest(TITLE_CHARS, f"Nyckeltal {n} "), unit_name(n % LIST_ITEMS),
                    longest(500), longest(100), "lägre är bättre", f"N{n:05d}", longest(200), year,
                    "-99999999999999.5", "-99999999999999.5", "-99999999999999.5",
                    "99999999999999.5", "-99999999999999.5", "Pos", "Minskande"]
                   for n in range(LIST_ITEMS) for year in range(2015, 2026)]
    import_file(engine, org.id, write_csv(folder / "nyckeltal.csv", indicators))
    # Three chat updates of assignment 1, each with the longest comment and name.
    with session(engine, org.id) as s, s.begin():
        grant(s, org.id, "admin-1", RoleName.ADMIN)
    for n, status in enumerate((Status.COMPLETED, Status.NOT_STARTED, Status.STARTED)):
        apply_update(engine, UpdateRequest(
            org.id, 1, None, status, Forecast.DEVIATION, TODAY + timedelta(days=n),
            longest(MAX_COMMENT_CHARS, f"Kommentar {n} "),
            Principal("admin-1", longest(PERSON_CHARS, "Namn "))))
    yield Longest(engine, org)
    engine.dispose()


Message = tuple[str, dict[str, Any]]  # the plain-text summary and the card, one activity


def _kind(card: dict[str, Any]) -> str:
    return shown(texts(card)[0])[:40] if texts(card) else "?"


def sizes_ok(messages: list[Message]) -> None:
    """Each card under the limit (as card_validation measures it), and with its plain-text
    summary too: Teams' limit is the message's."""
    too_big = {}
    for i, (summary, card) in enumerate(messages):
        card_bytes, text_bytes = len(json.dumps(card)), len(json.dumps(summary))
        if card_bytes + text_bytes >= MAX_CARD_BYTES:
            too_big[i] = (_kind(card), card_bytes, text_bytes)
    assert not too_big, "\n".join(f"{i}: {v}" for i, v in too_big.items())


def every_message(data: Longest, lang: str) -> list[Message]:
    engine, org = data.engine, data.org
    with session(engine, org.id) as s:
        page = queries.assignment_page(s, org.id, AssignmentFilter(), TODAY, 1,
                                       ac.PAGE_SIZE)
        first = queries.get_assignment(s, org.id, 1)
        units = queries.list_units(s, org.id)
        finance = queries.finance_overview(s, org.id)
        counts = queries.unit_assignment_counts(s, org.id, finance[0].unit_id, TODAY)
        budget = queries.budget(s, org.id, finance[0].unit_id)
        indicators = queries.indicators(s, org.id)
        summary = queries.summary(s, org.id)
    assert first is not None and budget is not None
    assert len(page.items) == LIST_ITEMS and len(first.comments) == 3
    assert len(units) == LIST_ITEMS and len(finance) == LIST_ITEMS
    assert len(indicators) == LIST_ITEMS and len(budget.lines) == LIST_ITEMS
    options = [(u.name, Question(Intent.FINANCE, units=(u.id,))) for u in units]
    said = longest(500)  # "I don't know the unit …", quoting what was asked
    subs = [SubscriptionView(i, "c", [u.id for u in units], [u.name for u in units], 365, 365,
                             "weekly", 6, "23:59", i % 2 == 0, "HTTP 403 on 2025-09-30")
            for i in range(1, LIST_ITEMS + 1)]
    more = Question(Intent.ASSIGNMENTS, page=2)
    title = longest(300)  # a list's title names its units and words
    saved = uc.saved_text(lang, first, first.comments[0].changes)
    line = budget.lines[0].key
    return [
        (ac.list_text(lang, title, page, TODAY),
         ac.list_card(lang, title, page, TODAY, more=more, previous=more)),
        (ac.assignment_text(lang, first, TODAY), ac.assignment_card(lang, first, TODAY)),
        (uc.update_text(lang, first), uc.update_card(lang, first, TODAY)),
        # dialogs.updates sends the notice, escaped, as the updated card's text
        (escape(saved), uc.updated_card(lang, first, TODAY, saved, "a" * 200)),
        (hc.help_text(lang), hc.help_card(lang, said)),
        (hc.units_text(lang, units), hc.units_card(lang, units, longest(200))),
        (hc.clarify_text(lang, said, options), hc.clarify_card(lang, said, options)),
        (nc.subscribed_text(lang, subs[0], True), nc.subscribed_card(lang, subs[0], True)),
        (nc.subscriptions_text(lang, subs), nc.subscriptions_card(lang, subs)),
        (nc.welcome_text(lang), nc.welcome_card(lang)),
        (fc.forecast_text(lang, finance[0]), fc.forecast_card(lang, finance[0], counts)),
        (fc.ranking_text(lang, finance, "deficit", LIST_ITEMS),
         fc.ranking_card(lang, finance, "deficit", LIST_ITEMS)),
        (fc.total_text(lang, finance), fc.total_card(lang, finance)),
        (fc.which_text(lang, finance, "deficit"), fc.which_card(lang, finance, "deficit")),
        (bc.budget_text(lang, budget, "EUR"), bc.budget_card(lang, budget, "EUR")),
        (bc.budget_text(lang, budget, "EUR", 2025, line),
         bc.budget_card(lang, budget, "EUR", 2025, line)),
        (bc.budget_change_text(lang, budget, line, 2023, 2027, "EUR"),
         bc.budget_change_card(lang, budget, line, 2023, 2027, "EUR")),
        *((ic.indicator_text(lang, i), ic.indicator_card(lang, i)) for i in indicators[:3]),
        (ic.indicators_text(lang, indicators, title),
         ic.indicators_card(lang, indicators, title)),
        (sc.summary_text(lang, summary), sc.summary_card(lang, summary)),
    ]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_card_with_the_longest_values(data: Longest, lang: str) -> None:
    messages = every_message(data, lang)
    sizes_ok(messages)
    assert_valid_cards([card for _, card in messages])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_digest_of_500_longest_assignments_in_parts(data: Longest, lang: str) -> None:
    engine, org = data.engine, data.org
    with session(engine, org.id) as s:
        items = due.digest_items(due.open_items(s, org.id, TODAY, 28), [], TODAY, 7, 28)
    assert len(items) == DIGEST_ASSIGNMENTS
    cards = nc.digest_cards(lang, due.group_by_unit(items), TODAY)
    assert len(cards) > 1
    sizes_ok([(nc.digest_text(lang, items, TODAY), c) for c in cards])
    numbers = sorted(a["data"]["q"]["filter"]["numbers"][0] for c in cards
                     for a in _actions(c))
    assert numbers == list(range(1, DIGEST_ASSIGNMENTS + 1))  # nothing cut, nothing twice
    assert_valid_cards(cards)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_reminder_of_500_longest_assignments_in_parts(data: Longest, lang: str) -> None:
    engine, org = data.engine, data.org
    with session(engine, org.id) as s:
        candidates = due.open_items(s, org.id, TODAY, None)
    items = due.reminder_items(candidates, {c.unit_id for c in candidates}, TODAY, 30, set())
    assert len(items) == DIGEST_ASSIGNMENTS
    cards = nc.reminder_cards(lang, items, TODAY, 30)
    sizes_ok([(nc.reminder_text(lang, items), c) for c in cards])
    assert_valid_cards(cards)


def _actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in actions(card) if a["data"]["q"]["intent"] == "update"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_markdown_in_the_longest_values_never_formats(data: Longest, lang: str) -> None:
    """Neither on the cards nor in the plain-text summaries sent with them."""
    problems = []
    for summary, card in every_message(data, lang):
        for value in [summary, *texts(card)]:
            try:
                shown(value)
            except AssertionError as err:
                problems.append(f"{_kind(card)}: {err}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_markdown_in_the_longest_values_never_formats_as_text(data: Longest,
                                                              lang: str) -> None:
    """The "as text" answers: each one message within the limit; escaped outside their
    tables, the tables in code blocks (shown as they are: a title exactly as imported)."""
    engine, org = data.engine, data.org
    with session(engine, org.id) as s:
        items = queries.assignments(s, org.id, AssignmentFilter(), TODAY, limit=200)
        first = queries.get_assignment(s, org.id, 1)
        units = queries.list_units(s, org.id)
        finance = queries.finance_overview(s, org.id)
        budget = queries.budget(s, org.id, finance[0].unit_id)
        indicators = queries.indicators(s, org.id)
        summary = queries.summary(s, org.id)
    assert first is not None and budget is not None
    answers = [ac.list_table(lang, longest(300), items, 500, TODAY),
               ac.assignment_table(lang, first, TODAY), hc.units_table(lang, units),
               hc.help_table(lang), fc.forecast_table(lang, finance[0]),
               fc.ranking_table(lang, finance, "deficit", 3), fc.total_table(lang, finance),
               fc.which_table(lang, finance, "deficit"), bc.budget_table(lang, budget, "EUR"),
               ic.indicator_table(lang, indicators[0]),
               ic.indicators_table(lang, indicators, longest(200)),
               sc.summary_table(lang, summary)]
    for answer in answers:
        assert len(json.dumps(answer)) <= TEXT_BUDGET_BYTES
        shown(outside_code_blocks(answer))
    rows = in_code_block(answers[0])[2:]  # the list is cut in a row, the block closed
    assert 10 < len(rows) < len(items) and rows[-1].endswith("…")
    assert all(row.endswith(f"| {a.title}") for row, a in zip(rows[:-1], items, strict=False))
