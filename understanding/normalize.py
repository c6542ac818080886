"""Text → tokens: NFC, casefold, bounded length, emoji and punctuation dropped.

A token keeps its span in the (NFC, cut) text, so command options can be taken as typed
("prenumerera IT, Stab veckovis" → "IT, Stab veckovis"). `#12`, `IT:n`, `IT:s`, `7:30`,
`13.10.2025`, `2025-10-13` and `IT-avdelningen` stay one token each.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Questions are short; cut before any regex runs so hostile input costs nothing.
MAX_CHARS = 500

# Word characters joined by ':', '.', '-', '/' or an apostrophe stay one token (IT:n,
# 13.10.2025, IT-avdelningen, CEMR:s, O'Neil); '#12' keeps its hash.
_TOKEN = re.compile(r"#\d{1,9}|\w+(?:[:.\-/'’]\w+)*-?", re.UNICODE)
_FOLD = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "è": "e", "ü": "u",
                       "æ": "a", "ø": "o", "á": "a", "à": "a", "’": "'"})


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # casefolded, as typed otherwise ("it:n")
    folded: str  # å/ä/ö folded away ("raddningstjansten")
    start: int  # span in Text.original
    end: int
    upper: bool  # typed in capitals (IT, HR, KD), so a name rather than the pronoun "it"

    @property
    def is_number(self) -> bool:
        return is_number(self.text)


@dataclass(frozen=True, slots=True)
class Text:
    original: str  # NFC, whitespace collapsed, at most MAX_CHARS
    tokens: tuple[Token, ...]


def is_number(text: str) -> bool:
    """ASCII digits only: "¹" and "²" are digits to str.isdigit() but no int()."""
    return text.isascii() and text.isdigit()


def fold(text: str) -> str:
    """'Räddningstjänsten' → 'raddningstjansten': people often type without å/ä/ö."""
    return text.translate(_FOLD)


def clean(text: str) -> str:
    """NFC, control characters gone, whitespace runs as one space, at most MAX_CHARS."""
    text = unicodedata.normalize("NFC", text[: MAX_CHARS * 2])[:MAX_CHARS]
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def key(text: str) -> str:
    """The matching form of a name: casefolded, folded, one space between words."""
    return " ".join(fold(t.text) for t in tokenize(text).tokens)


@lru_cache(maxsize=4096)
def tokenize(text: str) -> Text:
    original = clean(text)
    tokens = []
    for m in _TOKEN.finditer(original):
        raw = m.group().rstrip("'’")
        if not raw:
            continue
        low = raw.casefold()
        # a name in capitals: "IT", "HR-avdelningen", "ITs", "ICT:n" (a leading run of two)
        caps = len(raw) - len(raw.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZÅÄÖÆØÜÉ"))
        upper = caps >= 2
        tokens.append(Token(low, fold(low), m.start(), m.start() + len(raw), upper))
    return Text(original, tuple(tokens))


def words(text: str) -> list[str]:
    """Folded tokens of a text, for building indexes."""
    return [t.folded for t in tokenize(text).tokens]
