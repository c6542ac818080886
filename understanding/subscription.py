"""Subscription options as typed after "prenumerera" / "subscribe" / "tilaa", in any language
whose lexicon declares the words (`subscription`, `weekdays`):

    "IT, Stab veckovis måndag kl 9 14 dagar"
    "IT weekly on monday at 7:30 lead 10 days long 40 days"
    "IT viikoittain maanantaisin klo 9"

What is left once the options are taken names the units, as typed (the dialogs resolve them).
Refusals are coded (`SubscriptionError.code`), never sentences: the cards word them in the
user's language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from storage.schedule import (
    DAILY,
    DEFAULT_LEAD_DAYS,
    DEFAULT_LONG_LEAD_DAYS,
    MAX_LEAD_DAYS,
    WEEKLY,
    SubscriptionOptions,
)
from understanding.lexicon import Lexicon, load_all
from understanding.normalize import MAX_CHARS, clean


class SubscriptionError(ValueError):
    """A refused option. code: time_invalid | lead_out_of_range | frequency_conflict."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params  # for the wording: {limit}, {value}

    @property
    def details(self) -> dict[str, Any]:
        return self.params


def parse_time_of_day(text: str) -> str:
    """'8', '8:30', '08.30', '0830' → 'HH:MM'."""
    m = re.fullmatch(r"(\d{1,2})(?:[:.]?(\d{2}))?", text.strip())
    if not m or int(m[1]) > 23 or int(m[2] or 0) > 59:
        raise SubscriptionError("time_invalid", value=text.strip()[:20])
    return f"{int(m[1]):02d}:{int(m[2] or 0):02d}"


def _alt(words: Iterable[str]) -> str:
    """A regex alternation of phrases, longest first, spaces as any whitespace."""
    unique = sorted({w.casefold() for w in words if w}, key=len, reverse=True)
    return "|".join(r"\s+".join(re.escape(p) for p in w.split()) for w in unique)


class _Grammar:
    def __init__(self, lexicons: Sequence[Lexicon]) -> None:
        def words(key: str) -> list[str]:
            return [w for lex in lexicons for w in lex.subscription(key)]

        self.weekdays: dict[str, int] = {}
        for lex in lexicons:
            for day, names in lex.groups("weekdays").items():
                for name in names:
                    self.weekdays[name.casefold()] = int(day)
        flags = re.IGNORECASE | re.UNICODE
        b, e = r"(?<!\w)", r"(?!\w)"  # word edges that also work next to '@' and '.'
        clock = _alt(words("clock"))
        days, weeks = _alt(words("days")), _alt(words("weeks"))
        self.time = re.compile(rf"{b}(?:{clock})\s*(\d{{1,2}}(?:[:.]\d{{2}})?){e}"
                               rf"|{b}(\d{{1,2}}[:.]\d{{2}}){e}", flags)
        self.long_lead = re.compile(
            rf"{b}(?:{_alt(words('long_lead'))})\s*(?:{_alt(words('lead'))})?\s*(\d{{1,9}})\s*"
            rf"(?:({weeks})|{days})?{e}", flags)
        self.lead = re.compile(
            rf"{b}(?:(?:{_alt(words('lead'))})\s*)?(\d{{1,9}})\s*(?:({weeks})|{days}){e}"
            rf"(?:\s+(?:{_alt(words('before'))}){e})?", flags)
        suffixes = _alt(words("weekday_suffixes"))
        self.weekday = re.compile(
            rf"{b}(?:(?:{_alt(words('every'))})\s+)?({_alt(self.weekdays)})"
            rf"(?:{suffixes})?{e}" if suffixes else
            rf"{b}(?:(?:{_alt(words('every'))})\s+)?({_alt(self.weekdays)}){e}", flags)
        self.weekly = re.compile(rf"{b}(?:{_alt(words('weekly'))}){e}", flags)
        self.daily = re.compile(rf"{b}(?:{_alt(words('daily'))}){e}", flags)
        self.all_units = re.compile(rf"{b}(?:{_alt(words('all_units'))}){e}", flags)
        self.indicators = re.compile(rf"{b}(?:{_alt(words('with_indicators'))}){e}", flags)
        self.filler = {w.casefold() for w in words("filler")}
        self.split = re.compile(r"\s*(?:,|;|\s&\s|\s\+\s)\s*")


@cache
def _grammar(lexicons: tuple[Lexicon, ...]) -> _Grammar:
    return _Grammar(lexicons)


def parse_subscription(text: str, lexicons: Sequence[Lexicon] | None = None
                       ) -> SubscriptionOptions:
    """Options and unit words; SubscriptionError for values out of range."""
    return subscription_parts(text, lexicons)[0]


def subscription_parts(text: str, lexicons: Sequence[Lexicon] | None = None
                       ) -> tuple[SubscriptionOptions, bool]:
    """The options, and whether the digest should also tell indicator news ("med
    nyckeltal", "with indicators", "tunnusluvuilla")."""
    g = _grammar(tuple(lexicons) if lexicons is not None else load_all())
    rest = " " + clean(text[: MAX_CHARS * 2]) + " "
    values: dict[str, Any] = {}

    def take(m: re.Match[str]) -> None:
        nonlocal rest
        rest = rest[: m.start()] + " " + rest[m.end():]

    if m := g.time.search(rest):
        values["time_of_day"] = parse_time_of_day(m[1] or m[2])
        take(m)
    if m := g.long_lead.search(rest):
        values["long_lead_days"] = int(m[1]) * (7 if m[2] else 1)
        take(m)
    if m := g.lead.search(rest):
        values["lead_days"] = int(m[1]) * (7 if m[2] else 1)
        take(m)
    if m := g.weekday.search(rest):
        values["frequency"] = WEEKLY
        values["weekday"] = g.weekdays[m[1].casefold()]
        take(m)
    if m := g.weekly.search(rest):
        values["frequency"] = WEEKLY
        take(m)
    if m := g.daily.search(rest):
        if values.get("frequency") == WEEKLY:
            raise SubscriptionError("frequency_conflict")
        values["frequency"] = DAILY
        take(m)
    for key in ("lead_days", "long_lead_days"):
        days = values.get(key)
        if isinstance(days, int) and not 1 <= days <= MAX_LEAD_DAYS:
            raise SubscriptionError("lead_out_of_range", limit=MAX_LEAD_DAYS, value=days)
    lead = int(values.get("lead_days", DEFAULT_LEAD_DAYS))
    values.setdefault("long_lead_days", max(DEFAULT_LONG_LEAD_DAYS, lead))
    with_indicators = False
    while m := g.indicators.search(rest):
        with_indicators = True
        take(m)
    while m := g.all_units.search(rest):
        take(m)
    kept = [w for w in rest.split() if w.casefold() not in g.filler]
    unit_text = " ".join(kept).strip(" .,;:!?")
    parts = [p.strip(" .,;:!?") for p in g.split.split(unit_text)] if unit_text else []
    return SubscriptionOptions(unit_words=[p for p in parts if p], **values), with_indicators
