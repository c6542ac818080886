"""Time expressions → (due_from, due_to), today being Monday 2025-09-15."""

from __future__ import annotations

from datetime import date

import pytest
from catalogs import catalog

from understanding import Understander
from understanding.normalize import tokenize
from understanding.timeexpr import find

TODAY = date(2025, 9, 15)
U = Understander()


def span(text: str, today: date = TODAY) -> tuple[date | None, date | None]:
    tokens = tokenize(text).tokens
    variants = [U.index.variants.of(t) for t in tokens]
    found = find(tokens, U.index.trie.matches(variants), today)
    assert found, f"no time expression in {text!r}"
    return found[0].due_from, found[0].due_to


D = date


@pytest.mark.parametrize(("text", "expected"), [
    ("i oktober", (D(2025, 10, 1), D(2025, 10, 31))),
    ("in October", (D(2025, 10, 1), D(2025, 10, 31))),
    ("lokakuussa", (D(2025, 10, 1), D(2025, 10, 31))),
    ("i januari", (D(2026, 1, 1), D(2026, 1, 31))),  # the nearest January
    ("i juli", (D(2025, 7, 1), D(2025, 7, 31))),
    ("före årsskiftet", (None, D(2025, 12, 31))),
    ("by the end of the year", (None, D(2025, 12, 31))),
    ("vuoden loppuun mennessä", (None, D(2025, 12, 31))),
    ("efter årsskiftet", (D(2026, 1, 1), None)),
    ("resten av året", (D(2025, 9, 15), D(2025, 12, 31))),
    ("inom två veckor", (D(2025, 9, 15), D(2025, 9, 29))),
    ("within two weeks", (D(2025, 9, 15), D(2025, 9, 29))),
    ("kahden viikon sisällä", (D(2025, 9, 15), D(2025, 9, 29))),
    ("inom 30 dagar", (D(2025, 9, 15), D(2025, 10, 15))),
    ("the next 30 days", (D(2025, 9, 15), D(2025, 10, 15))),
    ("denna vecka", (D(2025, 9, 15), D(2025, 9, 21))),
    ("this week", (D(2025, 9, 15), D(2025, 9, 21))),
    ("tällä viikolla", (D(2025, 9, 15), D(2025, 9, 21))),
    ("nästa vecka", (D(2025, 9, 22), D(2025, 9, 28))),
    ("förra veckan", (D(2025, 9, 8), D(2025, 9, 14))),
    ("nästa månad", (D(2025, 10, 1), D(2025, 10, 31))),
    ("next month", (D(2025, 10, 1), D(2025, 10, 31))),
    ("ensi kuussa", (D(2025, 10, 1), D(2025, 10, 31))),
    ("Q4", (D(2025, 10, 1), D(2025, 12, 31))),
    ("kvartal 4", (D(2025, 10, 1), D(2025, 12, 31))),
    ("fjärde kvartalet", (D(2025, 10, 1), D(2025, 12, 31))),
    ("neljäs neljännes", (D(2025, 10, 1), D(2025, 12, 31))),
    ("neljännellä neljänneksellä", (D(2025, 10, 1), D(2025, 12, 31))),
    ("i december", (D(2025, 12, 1), D(2025, 12, 31))),
    ("före 1 november", (None, D(2025, 10, 31))),
    ("senast 1 december", (None, D(2025, 12, 1))),
    ("by 1 December", (None, D(2025, 12, 1))),
    ("1.12. mennessä", (None, D(2025, 12, 1))),
    ("ennen 1. heinäkuuta", (None, D(2025, 6, 30))),
    ("2025-10-13", (D(2025, 10, 13), D(2025, 10, 13))),
    ("13.10.2025", (D(2025, 10, 13), D(2025, 10, 13))),
    ("13 oktober", (D(2025, 10, 13), D(2025, 10, 13))),
    ("October 13", (D(2025, 10, 13), D(2025, 10, 13))),
    ("efter sommaren", (D(2025, 9, 15), D(2025, 12, 31))),
    ("Q1 next year", (D(2026, 1, 1), D(2026, 3, 31))),
    ("nästa år i mars", (D(2026, 3, 1), D(2026, 3, 31))),
    ("ensi vuoden ensimmäisellä neljänneksellä", (D(2026, 1, 1), D(2026, 3, 31))),
    ("sista kvartalet", (D(2025, 10, 1), D(2025, 12, 31))),
    ("före jul", (None, D(2025, 12, 23))),
])
def test_expressions(text: str, expected: tuple[date | None, date | None]) -> None:
    assert span(text) == expected


def test_months_in_december_look_ahead() -> None:
    assert span("i februari", date(2025, 12, 10)) == (D(2026, 2, 1), D(2026, 2, 28))


def test_no_time_in_plain_words() -> None:
    tokens = tokenize("prognos för IT").tokens
    assert find(tokens, U.index.trie.matches([U.index.variants.of(t) for t in tokens]),
                TODAY) == []


@pytest.mark.parametrize("text", [
    "vad förfaller efter 31.12.9999?", "due after 9999-12-31", "efter q4-9999",
    "före 1.1.0001", "before 0001-01-01", "ennen 1.1.1000", "efter 31.12.2299",
])
def test_dates_outside_any_plan_are_no_time_never_a_crash(text: str) -> None:
    # "efter 31.12.9999" ended the day after the last date Python has: OverflowError, and the
    # user got the generic apology. Dates are read in the years 1900–2199, as bare years are.
    tokens = tokenize(text).tokens
    variants = [U.index.variants.of(t) for t in tokens]
    for found in find(tokens, U.index.trie.matches(variants), TODAY):
        for d in (found.due_from, found.due_to):
            assert d is None or 1899 <= d.year <= 2200, (text, found)
    assert U.understand(text, catalog(), TODAY) is not None
