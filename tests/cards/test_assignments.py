"""cards/assignments.py: lists (paged, previous/next, the total always shown), one assignment
in full, and their text forms, on Norrtälje's demo assignments and made-up ones, in every
language; user text never formats."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from card_helpers import (
    MARKDOWN_TITLE,
    asked,
    comment,
    in_code_block,
    outside_code_blocks,
    shown,
    texts,
    view,
)
from card_validation import MAX_CARD_BYTES, assert_valid_cards
from demo_views import TODAY, demo, table_rows

from cards import assignments as ac
from cards.elements import TEXT_BUDGET_BYTES, detail_question, update_question
from cards.texts import LANGUAGES
from storage.domain import Forecast, Status
from storage.filters import AssignmentFilter
from storage.queries import AssignmentPage, AssignmentView
from understanding.question import Intent, Question

LIST = Question(Intent.ASSIGNMENTS, filter=AssignmentFilter(overdue=True))


def page_of(items: list[AssignmentView], page: int = 1,
            per_page: int = ac.PAGE_SIZE) -> AssignmentPage:
    """What storage.queries.assignment_page returns for a list of this many."""
    pages = max(1, -(-len(items) // per_page))
    page = min(max(page, 1), pages)
    first = (page - 1) * per_page
    return AssignmentPage(len(items), page, per_page, first, items[first:first + per_page])


def synthetic(n: int) -> list[AssignmentView]:
    long_comment = comment("Lång kommentar " * 60, date(2025, 7, 31), "Anna")
    return [view(i, date(2025, 1, 1 + i % 28), title=f"Uppdrag {i:03d} med *stjärnor*",
                 forecast=Forecast.DEVIATION, comments=[long_comment])
            for i in range(1, n + 1)]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_demo_assignment_card_is_valid(lang: str) -> None:
    items = demo().assignments
    assert len(items) == 36
    overdue = [a for a in items if a.overdue(TODAY)]
    cards = [ac.list_card(lang, "Försenade", page_of(overdue), TODAY),
             ac.list_card(lang, "Alla", page_of(items), TODAY, more=LIST.with_(page=2)),
             ac.list_card(lang, "Alla", page_of(items, 2), TODAY,
                          more=LIST.with_(page=3), previous=LIST),
             *(ac.assignment_card(lang, a, TODAY) for a in items)]
    assert max(len(json.dumps(c)) for c in cards) < MAX_CARD_BYTES
    assert_valid_cards(cards)


def test_the_list_heading_shows_the_total_and_where_the_page_is() -> None:
    items = synthetic(70)
    first = ac.list_card("sv", "Försenade uppdrag", page_of(items), TODAY,
                         more=LIST.with_(page=2), previous=LIST.with_(page=0))
    shown_texts = texts(first)
    assert shown_texts[0] == "Försenade uppdrag (70)"
    assert "Per 2025-09-30" in shown_texts and "Visar 1–30 av 70" in shown_texts
    # Page 1 has no "previous"; its "next" says how many are left.
    assert [a["title"] for a in first["actions"]] == ["Visa fler (40 kvar)"]
    last = ac.list_card("en", "Overdue", page_of(items, 3), TODAY, more=LIST.with_(page=4),
                        previous=LIST.with_(page=2))
    assert "Showing 61–70 of 70" in texts(last)
    assert [a["title"] for a in last["actions"]] == ["Previous"]
    assert asked(last["actions"]) == [LIST.with_(page=2)]


def test_paging_shows_every_item_exactly_once() -> None:
    items = synthetic(70)
    seen: list[int] = []
    page = 1
    while True:
        card = ac.list_card("sv", "Försenade", page_of(items, page), TODAY,
                            more=LIST.with_(page=page + 1), previous=LIST.with_(page=page - 1))
        rows = [e for e in card["body"] if e["type"] == "Container"]
        seen += [q.filter.numbers[0] for row in rows for q in asked(row["selectAction"])]
        nexts = [q for q in asked(card.get("actions", [])) if q.page == page + 1]
        if not nexts:
            break
        page = nexts[0].page
    assert seen == list(range(1, 71)) and page == 3


def test_a_list_without_more_has_no_paging_line_or_buttons() -> None:
    card = ac.list_card("sv", "Försenade uppdrag", page_of(synthetic(5)), TODAY,
                        more=LIST.with_(page=2), previous=LIST.with_(page=0))
    assert "actions" not in card
    assert not any(t.startswith("Visar") for t in texts(card))


def test_a_row_opens_its_assignment_and_shows_its_state() -> None:
    a = view(12, TODAY - timedelta(days=3), unit="Stab", forecast=Forecast.DEVIATION,
             comments=[comment("Väntar på underlag.", date(2025, 9, 1))])
    card = ac.list_card("sv", "Lista", page_of([a]), TODAY)
    row = next(e for e in card["body"] if e["type"] == "Container")
    assert asked(row["selectAction"]) == [detail_question(12)]
    assert [i["text"] for i in row["items"]] == [
        "#12 · Uppdrag 12",
        "Stab · slutdatum 2025-09-27 (3 dagar försenat) · Påbörjad · Avvikelse från plan",
        "2025-09-01: Väntar på underlag."]
    assert row["items"][1]["color"] == "Attention"


def test_long_comments_are_dropped_from_rows_before_rows_are() -> None:
    items = [view(i, TODAY, title=f"Titel {i}", comments=[comment("ä" * 4000, TODAY)])
             for i in range(1, 31)]
    card = ac.list_card("sv", "Lista", page_of(items), TODAY)
    rows = [e for e in card["body"] if e["type"] == "Container"]
    assert len(rows) == 30 and len(json.dumps(card)) < MAX_CARD_BYTES
    assert len(rows[0]["items"]) == 3  # the first keep theirs …
    assert len(rows[-1]["items"]) == 2  # … the last go without their comment line
    assert [r["items"][0]["text"] for r in rows] == [f"#{i} · Titel {i}" for i in range(1, 31)]


@pytest.mark.parametrize("filler", ["T", "ä", "*"])
def test_a_page_of_the_longest_titles_fits_every_row(filler: str) -> None:
    """30 rows (a page) of 1 000-character titles, the import bound, and 200-character units:
    every row stays, shortened to its share of the card."""
    items = [view(i, TODAY, title=filler * 1000, unit=filler * 200,
                  comments=[comment(filler * 4000, TODAY)]) for i in range(1, 31)]
    card = ac.list_card("sv", "Lista", page_of(items), TODAY, more=LIST.with_(page=2))
    rows = [e for e in card["body"] if e["type"] == "Container"]
    assert len(rows) == 30 and len(json.dumps(card)) < MAX_CARD_BYTES
    assert [q.filter.numbers[0] for r in rows for q in asked(r["selectAction"])] == list(
        range(1, 31))
    assert all(r["items"][0]["text"].endswith("…") for r in rows)


def test_list_text_counts_and_names_the_first_five() -> None:
    page = page_of(synthetic(7))
    text = ac.list_text("sv", "Försenade", page, TODAY)
    assert text.startswith("Försenade (7): #1 Uppdrag 001 med \\*stjärnor\\*; #2")
    assert text.endswith("och 2 till") or "2" in text.rsplit(";", 1)[-1]
    assert ac.list_text("en", "Overdue", page_of([]), TODAY) == "Overdue: none found."


def test_list_table_keeps_titles_whole_in_a_code_block() -> None:
    items = synthetic(3)
    table = ac.list_table("sv", "Försenade", items, 5, TODAY)
    assert table.startswith("**Försenade (5)**")
    rows = table_rows(table)
    assert rows[0] == ["#", "Ansvarig", "Slutdatum", "Status", "Uppdrag"]
    assert rows[1] == ["#1", "IT", "2025-01-02 (271 dagar försenat)", "Påbörjad",
                       "Uppdrag 001 med *stjärnor*"]
    assert "Visar 1–3 av 5" in table
    assert ac.list_table("en", "Overdue", [], 0, TODAY) == "**Overdue (0)**\n\nnone found."


def test_the_detail_card_shows_facts_description_and_the_latest_three_comments() -> None:
    comments = [comment(f"Kommentar {i}", date(2025, 9, 10 - i), f"Person {i}")
                for i in range(4)]
    a = view(7, date(2025, 12, 31), unit="IT", goal_area="2. Trygghet",
             description="Så här gör vi.", responsible="Anna Andersson",
             reporting="KS 2025-10;KF 2025-12", participants=("HR", "Stab"),
             comments=comments)
    card = ac.assignment_card("sv", a, TODAY)
    facts = {f["title"]: f["value"] for e in card["body"] if e["type"] == "FactSet"
             for f in e["facts"]}
    assert {k: shown(v) for k, v in facts.items()} == {
        "Nummer": "#7", "Typ": "Uppdrag", "Målområde": "2. Trygghet", "Ansvarig": "IT",
        "Deltagande": "HR, Stab", "Ansvariga personer": "Anna Andersson",
        "Slutdatum": "2025-12-31", "Status": "Påbörjad", "Prognos": "Enligt plan",
        "Återrapportering": "KS 2025-10, KF 2025-12"}
    assert facts["Målområde"] == "2\\. Trygghet"  # not a list; "\\2." would show the "\\"
    shown_texts = texts(card)
    assert "Så här gör vi." in shown_texts
    assert [t for t in shown_texts if t.startswith("Kommentar")] == [
        "Kommentar 0", "Kommentar 1", "Kommentar 2"]
    assert asked(card["actions"]) == [update_question(7)]  # nothing long: no "show all"


def test_long_texts_offer_the_whole_text() -> None:
    a = view(7, TODAY, description="lång " * 500, comments=[comment("x" * 2000, TODAY)])
    card = ac.assignment_card("en", a, TODAY)
    assert asked(card["actions"]) == [update_question(7), detail_question(7, as_text=True)]
    cut = [t for t in texts(card) if t.endswith("…")]
    assert len(cut) == 2 and all(len(t) <= ac.DETAIL_COMMENT_PREVIEW for t in cut)


def test_an_update_from_chat_shows_what_it_changed() -> None:
    a = view(3, TODAY, status=Status.COMPLETED, comments=[
        comment("", TODAY, "Maria", changes="status: started → completed")])
    card = ac.assignment_card("sv", a, TODAY)
    assert "2025-09-30 · Maria · status Påbörjad → Slutförd" in texts(card)
    assert "status Påbörjad → Slutförd" in ac.assignment_text("sv", a, TODAY)


def test_assignment_text_and_table() -> None:
    a = demo().assignments[5]
    text = ac.assignment_text("sv", a, TODAY)
    assert text.startswith(f"#{a.number} ") and a.unit in text
    table = ac.assignment_table("sv", a, TODAY)
    assert table.startswith(f"**#{a.number} ")
    assert "Senaste kommentarer" in table and a.comments[0].text[:40] in table


@pytest.mark.parametrize("filler", ["d", "ä"])
def test_the_text_form_is_cut_at_its_limit_and_says_so(filler: str) -> None:
    a = view(1, TODAY, description=filler * 10_000,
             comments=[comment(filler * 10_000, TODAY - timedelta(days=i)) for i in range(3)])
    table = ac.assignment_table("sv", a, TODAY)
    assert len(json.dumps(table)) <= TEXT_BUDGET_BYTES
    assert table.endswith("…\n\n(Texten är för lång för ett meddelande; resten finns i "
                          "uppföljningssystemet.)")


def test_a_long_list_as_text_is_cut_at_a_row_with_its_code_block_closed() -> None:
    items = [view(i, TODAY, title="ä" * 1000) for i in range(1, 201)]
    table = ac.list_table("sv", "Alla", items, 200, TODAY)
    assert len(json.dumps(table)) <= TEXT_BUDGET_BYTES
    assert table.count("```") == 2 and table.endswith("uppföljningssystemet.)")
    rows = table_rows(table)
    assert rows[1] == ["#1", "IT", "2025-09-30", "Påbörjad", "ä" * 1000]
    assert 2 < len(rows) < 200


def test_one_long_title_no_longer_pads_every_row() -> None:
    items = [view(1, TODAY, title="x" * 1000), view(2, TODAY, title="kort")]
    table = ac.list_table("sv", "Alla", items, 2, TODAY)
    assert max(len(line) for line in table.splitlines() if "kort" in line) < 60


# --- user text never formats ---------------------------------------------------------------


def markdown_assignment() -> AssignmentView:
    return view(1, TODAY - timedelta(days=1), title=MARKDOWN_TITLE, unit="*IT*",
                kind="Upp_drag", goal_area="[mål](http://x)", description=MARKDOWN_TITLE,
                responsible="`Anna`", comments=[comment(MARKDOWN_TITLE, TODAY, "**Maria**")])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_markdown_in_imported_text_shows_literally_on_cards(lang: str) -> None:
    a = markdown_assignment()
    for card in (ac.assignment_card(lang, a, TODAY),
                 ac.list_card(lang, MARKDOWN_TITLE, page_of([a]), TODAY)):
        shown_texts = [shown(t) for t in texts(card)]  # raises where anything would format
        assert any(MARKDOWN_TITLE in t for t in shown_texts)
    assert shown(ac.assignment_card(lang, a, TODAY)["body"][1]["text"]) == MARKDOWN_TITLE


@pytest.mark.parametrize("lang", LANGUAGES)
def test_markdown_in_imported_text_shows_literally_in_text_answers(lang: str) -> None:
    a = markdown_assignment()
    # The plain-text summary sent with every card.
    assert MARKDOWN_TITLE in shown(ac.assignment_text(lang, a, TODAY))
    assert MARKDOWN_TITLE in shown(ac.list_text(lang, "Lista", page_of([a]), TODAY))
    # "As text": outside the code block escaped, inside it exactly as imported.
    detail = ac.assignment_table(lang, a, TODAY)
    assert MARKDOWN_TITLE in shown(detail)
    table = ac.list_table(lang, "Lista", [a], 1, TODAY)
    shown(outside_code_blocks(table))
    assert any(line.rstrip(" |").endswith(MARKDOWN_TITLE) for line in in_code_block(table))


def test_a_code_fence_in_a_title_cannot_end_the_table_early() -> None:
    a = view(1, TODAY, title="före ``` efter")
    table = ac.list_table("sv", "Lista", [a], 1, TODAY)
    assert table.count("```") == 2 and "före ''' efter" in table


def test_many_participating_units_are_shortened_on_the_card_not_in_the_text() -> None:
    names = tuple(f"Enhet {i} " + "x" * 190 for i in range(50))  # 50 units of 200 characters
    a = view(1, TODAY, participants=names)
    card = ac.assignment_card("sv", a, TODAY)
    [value] = [f["value"] for e in card["body"] if e["type"] == "FactSet" for f in e["facts"]
               if f["title"] == "Deltagande"]
    assert value.startswith("Enhet 0 ") and len(value) <= ac.PARTICIPANTS_PREVIEW
    assert detail_question(1, as_text=True) in asked(card["actions"])
    assert ", ".join(names) in ac.assignment_table("sv", a, TODAY)
    assert len(json.dumps(card)) < 20_000
