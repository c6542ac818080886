"""Every lexicon has the same keys and shapes: a language is a file, not code."""

from __future__ import annotations

import json
from typing import Any

import pytest

from understanding.lexicon import LANGUAGES, LEXICON_DIR, load


def shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        assert all(isinstance(v, str) for v in value), value
        return "list"
    return type(value).__name__


def test_same_keys_and_structure() -> None:
    shapes = {lang: shape(json.loads((LEXICON_DIR / f"{lang}.json").read_text("utf-8")))
              for lang in LANGUAGES}
    sv = shapes["sv"]
    for lang, s in shapes.items():
        assert s == sv, f"{lang}.json differs from sv.json in its keys"


# Groups keyed by concept: every language names the same concepts (a language may list no
# phrase for one, but it must say so with an empty list).
CONCEPTS = ("cues", "statuses", "forecasts", "kinds", "concepts", "budget_lines",
            "indicator_concepts", "months", "weekdays", "numbers", "ordinals", "time",
            "goal_concepts", "title_concepts", "subscription")


@pytest.mark.parametrize("group", CONCEPTS)
def test_same_concepts(group: str) -> None:
    keys = {lang: set(load(lang).data[group]) for lang in LANGUAGES}
    assert keys["en"] == keys["sv"] == keys["fi"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_phrases_are_short_lowercase_strings(lang: str) -> None:
    data = load(lang).data

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for phrase in value:
                assert phrase == phrase.strip() and 0 < len(phrase) <= 80, phrase
                assert phrase.casefold() == phrase or phrase.isupper() or "'" in phrase, phrase
    walk({k: v for k, v in data.items() if k not in ("language", "stemmer")})


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_brief_vocabulary_is_there(lang: str) -> None:
    data = load(lang).data
    needed = {"sv": ("prognos", "försenad", "hur många", "störst", "förfaller", "visa fler",
                     "som text", "avbryt", "tack"),
              "en": ("forecast", "overdue", "how many", "biggest", "due", "more", "as text",
                     "cancel", "pls"),
              "fi": ("ennuste", "myöhässä", "kuinka monta", "suurin", "erääntyy", "lisää",
                     "tekstinä", "peruuta", "kiitos")}[lang]
    everything = json.dumps(data, ensure_ascii=False)
    for word in needed:
        assert f'"{word}"' in everything, word
