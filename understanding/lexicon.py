"""A language's vocabulary (lexicon/<lang>.json) and its stemmer.

Every word the understanding reacts to lives in the JSON files: adding a language is adding a
file with the same keys (tests/understanding/test_lexicons.py checks the shape).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import snowballstemmer

LEXICON_DIR = Path(__file__).resolve().parent / "lexicon"
LANGUAGES = ("sv", "en", "fi")


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one per language
class Lexicon:
    language: str
    data: dict[str, Any]

    @property
    def stemmer_name(self) -> str:
        return str(self.data["stemmer"])

    def stem(self, word: str) -> str:
        return stem(self.stemmer_name, word)

    def words(self, key: str) -> list[str]:
        """A flat list (stopwords, politeness, conjunctions …)."""
        return list(self.data[key])

    def groups(self, key: str) -> dict[str, list[str]]:
        """A mapping of names to phrase lists (cues, statuses, concepts …)."""
        return {k: list(v) for k, v in self.data[key].items()}

    def time(self, key: str) -> list[str]:
        return list(self.data["time"][key])

    def subscription(self, key: str) -> list[str]:
        return list(self.data["subscription"][key])


@cache
def _stemmer(name: str) -> Any:
    return snowballstemmer.stemmer(name)


@lru_cache(maxsize=65536)
def stem(stemmer_name: str, word: str) -> str:
    """Snowball stem of a casefolded word; cached, as questions repeat their words."""
    return str(_stemmer(stemmer_name).stemWord(word))


@cache
def load(language: str) -> Lexicon:
    if language not in LANGUAGES and not (LEXICON_DIR / f"{language}.json").exists():
        raise ValueError(f"no lexicon for {language!r}")
    with open(LEXICON_DIR / f"{language}.json", encoding="utf-8") as f:
        data = json.load(f)
    if data.get("language") != language:
        raise ValueError(f"lexicon/{language}.json declares language {data.get('language')!r}")
    return Lexicon(language, data)


def load_all(languages: tuple[str, ...] = LANGUAGES) -> tuple[Lexicon, ...]:
    return tuple(load(language) for language in languages)
