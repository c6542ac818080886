"""Tokens: NFC, casefold, bounded length, emoji and punctuation dropped, names kept whole."""

from __future__ import annotations

import unicodedata

from understanding.normalize import MAX_CHARS, fold, key, tokenize


def texts(text: str) -> list[str]:
    return [t.text for t in tokenize(text).tokens]


def test_casefold_punctuation_and_emoji() -> None:
    assert texts("Vilka uppdrag är FÖRSENADE?!? 🙈") == ["vilka", "uppdrag", "är", "försenade"]


def test_names_numbers_and_dates_stay_whole() -> None:
    assert texts("IT:n ennuste, IT:s prognos #12") == ["it:n", "ennuste", "it:s", "prognos",
                                                        "#12"]
    assert texts("IT-avdelningen 2025-10-13 13.10.2025 kl 7:30") == [
        "it-avdelningen", "2025-10-13", "13.10.2025", "kl", "7:30"]
    assert texts("Ekonomi- och personaltjänster") == ["ekonomi-", "och", "personaltjänster"]


def test_capitals_mark_names() -> None:
    tokens = tokenize("IT it ITs Stab HR-avdelningen").tokens
    assert [t.upper for t in tokens] == [True, False, True, False, True]


def test_nfc_and_folding() -> None:
    decomposed = unicodedata.normalize("NFD", "Räddningstjänsten")
    assert texts(decomposed) == ["räddningstjänsten"]
    assert fold("räddningstjänsten") == "raddningstjansten"
    assert key("  Stab   och\tPlanering ") == "stab och planering"


def test_length_is_bounded_before_any_regex() -> None:
    parsed = tokenize("a" * 100_000 + " IT")
    assert len(parsed.original) <= MAX_CHARS
    assert tokenize("x " * 10_000).original.count("x") <= MAX_CHARS


def test_spans_point_into_the_text() -> None:
    parsed = tokenize("prenumerera  IT, Stab veckovis")
    second = parsed.tokens[1]
    assert parsed.original[second.start:] == "IT, Stab veckovis"
