"""Time expressions → (due_from, due_to) against today, in any language whose lexicon
declares the words ("time", "months", "numbers", "ordinals").

The grammar is the same for every language; only the words differ, and whether a word comes
before its date ("före 1 november", "by 1 November") or after it ("1.11. mennessä") is which
lexicon list it is in (`before` / `before_after`).
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from understanding.matching import Match
from understanding.normalize import Token, is_number

# Relative expressions, each a whole phrase in the lexicon.
RELATIVE = ("today", "tomorrow", "this_week", "next_week", "last_week", "this_month",
            "next_month", "last_month", "this_quarter", "next_quarter", "this_year", "next_year",
            "year_end", "rest_of_year", "after_summer")
# Words that say how a date bounds the range, and whether they stand before or after it.
BOUNDS = ("before", "before_after", "by", "by_after", "after", "after_after", "within",
          "within_after", "in", "in_after", "on", "from_now")
UNITS = ("day", "week", "month", "quarter", "year")
# The turn of the year is a boundary: "före årsskiftet" ends 31 December, "efter
# årsskiftet" starts 1 January.
BOUNDARIES = ("new_year", "christmas")
# A month's end is a boundary too: "by the end of November", "före slutet av november",
# "marraskuun loppuun mennessä" end 30 November (the word before the month, or after it).
MONTH_END = ("end_of", "end_of_after")
TIME_KEYS = RELATIVE + BOUNDS + UNITS + BOUNDARIES + MONTH_END

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DOTTED = re.compile(r"^(\d{1,2})[./](\d{1,2})(?:[./](\d{4}|\d{2}))?\.?$")
_DAY = re.compile(r"^(\d{1,2})(?::?[a-z]{1,2})?\.?$")  # 13, 13th, 1:a, 13.
_QUARTER = re.compile(r"^(?:q|k|kv)([1-4])(?:[-/](\d{4}))?$")
_YEAR = re.compile(r"^(19\d\d|20\d\d|21\d\d)$")
# Dates written out are read in the same years as bare ones: "efter 31.12.9999" ended the day
# after the last date Python has (OverflowError), and nothing is planned in year 1 or 9999.
FIRST_YEAR, LAST_YEAR = 1900, 2199


def _plausible(year: int) -> bool:
    return FIRST_YEAR <= year <= LAST_YEAR


@dataclass(frozen=True)
class TimeMatch:
    start: int  # token span
    end: int
    due_from: date | None
    due_to: date | None
    kind: str  # relative, before, after, within, month, quarter, day, year

    @property
    def open_ended(self) -> bool:
        return self.due_from is None


def _end_of_month(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _nearest_year(month: int, today: date) -> int:
    """The year in which that month is nearest to today (ties: this year): in September
    'januari' is next January, 'juli' the July just past."""
    def distance(year: int) -> int:
        return abs((year - today.year) * 12 + month - today.month)

    return min((today.year, today.year + 1, today.year - 1), key=distance)


def _quarter(year: int, q: int) -> tuple[date, date]:
    return date(year, 3 * q - 2, 1), _end_of_month(year, 3 * q)


class _Atoms:
    """What each token position can be, for the time grammar."""

    def __init__(self, tokens: Sequence[Token], matches: Sequence[Match]) -> None:
        self.tokens = tokens
        self.at: dict[int, list[Match]] = defaultdict(list)
        for m in matches:
            if m.kinds() & {"month", "number", "ordinal", "time"}:
                self.at[m.start].append(m)

    def _best(self, i: int, kind: str, value: object = None) -> Match | None:
        found = [m for m in self.at.get(i, ()) if m.has(kind, value)]
        return max(found, key=lambda m: (m.length, m.quality)) if found else None

    def word(self, i: int, *names: str) -> int | None:
        """End of a time word of one of these names at i."""
        ends = [m.end for m in self.at.get(i, ())
                if any(m.has("time", n) for n in names)]
        return max(ends) if ends else None

    def month(self, i: int) -> tuple[int, int] | None:
        m = self._best(i, "month")
        return (int(m.values("month")[0]), m.end) if m else None

    def number(self, i: int) -> tuple[int, int] | None:
        text = self.tokens[i].text if i < len(self.tokens) else ""
        if is_number(text) and len(text) <= 3:
            return int(text), i + 1
        m = self._best(i, "number")
        return (int(m.values("number")[0]), m.end) if m else None

    def ordinal(self, i: int) -> tuple[int, int] | None:
        m = self._best(i, "ordinal")
        return (int(m.values("ordinal")[0]), m.end) if m else None

    def year(self, i: int) -> tuple[int, int] | None:
        if i < len(self.tokens) and (y := _YEAR.match(self.tokens[i].text)):
            return int(y[1]), i + 1
        return None

    def day(self, i: int) -> tuple[int, int] | None:
        if i < len(self.tokens) and (d := _DAY.match(self.tokens[i].text)):
            value = int(d[1])
            if 1 <= value <= 31:
                return value, i + 1
        return None


def find(tokens: Sequence[Token], matches: Sequence[Match], today: date) -> list[TimeMatch]:
    """Every time expression, left to right, longest first at each position."""
    atoms = _Atoms(tokens, matches)
    found: list[TimeMatch] = []
    i = 0
    while i < len(tokens):
        if i not in atoms.at and not is_number(tokens[i].text[:1]) \
                and not _QUARTER.match(tokens[i].text):
            i += 1  # most words start no time expression: skip the grammar
            continue
        best = _at(atoms, i, today)
        if best is not None:
            found.append(best)
            i = best.end
        else:
            i += 1
    return found


def _at(a: _Atoms, i: int, today: date) -> TimeMatch | None:
    options = [t for t in (_relative(a, i, today), _bounded(a, i, today),
                           _within(a, i, today), _point(a, i, today, allow_bare=True))
               if t is not None]
    return max(options, key=lambda t: t.end - t.start) if options else None


def _relative(a: _Atoms, i: int, today: date) -> TimeMatch | None:
    best: TimeMatch | None = None
    for m in a.at.get(i, ()):
        for name in m.values("time"):
            if name not in RELATIVE:
                continue
            lo, hi = _relative_range(name, today)
            if best is None or m.end > best.end:
                best = TimeMatch(i, m.end, lo, hi, "relative")
            if name in ("next_year", "this_year"):
                # "ensi vuoden ensimmäisellä neljänneksellä": the year said before its part
                part = _point(a, m.end, today.replace(year=lo.year, month=1, day=1), False)
                if part is not None and part.kind in ("quarter", "month") and part.due_from:
                    shift = lo.year - part.due_from.year
                    return TimeMatch(i, part.end, part.due_from.replace(
                        year=part.due_from.year + shift), part.due_to and part.due_to.replace(
                        year=part.due_to.year + shift), part.kind)
    return best


def _relative_range(name: str, today: date) -> tuple[date, date]:
    monday = today - timedelta(days=today.weekday())
    quarter = (today.month - 1) // 3 + 1
    if name == "today":
        return today, today
    if name == "tomorrow":
        return today + timedelta(days=1), today + timedelta(days=1)
    if name == "this_week":
        return monday, monday + timedelta(days=6)
    if name == "next_week":
        return monday + timedelta(days=7), monday + timedelta(days=13)
    if name == "this_month":
        return today.replace(day=1), _end_of_month(today.year, today.month)
    if name == "next_month":
        year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
        return date(year, month, 1), _end_of_month(year, month)
    if name == "this_quarter":
        return _quarter(today.year, quarter)
    if name == "next_quarter":
        return _quarter(today.year + 1, 1) if quarter == 4 else _quarter(today.year, quarter + 1)
    if name == "this_year":
        return date(today.year, 1, 1), date(today.year, 12, 31)
    if name == "next_year":
        return date(today.year + 1, 1, 1), date(today.year + 1, 12, 31)
    if name == "last_week":
        return monday - timedelta(days=7), monday - timedelta(days=1)
    if name == "last_month":
        first = today.replace(day=1)
        before = first - timedelta(days=1)
        return before.replace(day=1), before
    if name == "year_end":  # "till årsskiftet": everything due this year, overdue included
        return date(today.year, 1, 1), date(today.year, 12, 31)
    if name == "rest_of_year":
        return today, date(today.year, 12, 31)
    # after_summer: what is left of the year once the summer is over
    return max(today, date(today.year, 8, 16)), date(today.year, 12, 31)


def _bounded(a: _Atoms, i: int, today: date) -> TimeMatch | None:
    """före 1 november / by 1 November / 1.11. mennessä / efter 1 oktober; "between now
    and Christmas", "mellan nu och 1 november" (from today, overdue items not included;
    Finnish "tästä jouluun asti" says the end with a postposition)."""
    end = a.word(i, "from_now")
    if end is not None:
        last = _bounded(a, end, today) or _point(a, end, today, allow_bare=True)
        if last is not None:
            hi = last.due_to if last.kind in ("before", "boundary") or last.due_from is None \
                else _bound(i, last.end, last, "by").due_to
            if hi is not None and hi >= today:
                return TimeMatch(i, last.end, today, hi, "within")
    for names, side in ((("before",), "before"), (("by",), "by"), (("after",), "after")):
        end = a.word(i, *names)
        if end is not None and (p := _point(a, end, today, allow_bare=True)):
            return _bound(i, p.end, p, side)
    p = _point(a, i, today, allow_bare=True)
    if p is not None:
        for name, side in (("before_after", "before"), ("by_after", "by"),
                           ("after_after", "after")):
            end = a.word(p.end, name)
            if end is not None:
                return _bound(i, end, p, side)
    return None


def _bound(start: int, end: int, point: TimeMatch, side: str) -> TimeMatch:
    if point.kind == "boundary":  # due_to: the last day before it, due_from: the first after
        if side == "after":
            return TimeMatch(start, end, point.due_from, None, "after")
        return TimeMatch(start, end, None, point.due_to, "before")
    if side == "before":
        assert point.due_from is not None
        return TimeMatch(start, end, None, point.due_from - timedelta(days=1), "before")
    if side == "by":
        return TimeMatch(start, end, None, point.due_to, "before")
    assert point.due_to is not None
    return TimeMatch(start, end, point.due_to + timedelta(days=1), None, "after")


def _within(a: _Atoms, i: int, today: date) -> TimeMatch | None:
    """inom två veckor / within 30 days / kahden viikon sisällä / de närmaste 30 dagarna."""
    pre = a.word(i, "within")
    j = pre if pre is not None else i
    n = a.number(j)
    if n is None:
        count, k = 1, j  # "inom en vecka" is a number word; "within a week" too
    else:
        count, k = n
    unit = next((name for name in UNITS if a.word(k, name) is not None), None)
    if unit is None:
        return None
    end = a.word(k, unit)
    assert end is not None
    post = a.word(end, "within_after")
    if pre is None and post is None:
        return None
    if pre is None and n is None:
        return None  # "viikon sisällä" alone: not enough to go on
    end = post if post is not None else end
    days = {"day": 1, "week": 7, "month": 30, "quarter": 91, "year": 365}[unit] * count
    if not 0 < days <= 3650:
        return None
    return TimeMatch(i, end, today, today + timedelta(days=days), "within")


def _point(a: _Atoms, i: int, today: date, allow_bare: bool) -> TimeMatch | None:
    """A day, a month, a quarter or a year, with an optional 'i'/'in'/'during' before it
    and an optional postposition after it."""
    pre = a.word(i, "in", "on")
    best = _point_bare(a, pre, today) if pre is not None else None
    if best is not None and best.kind == "boundary" and best.due_from is not None \
            and best.due_to is not None and best.due_from.day == 1 \
            and a.word(i, "in") == pre and a.word(i, "on") != pre:
        # "i slutet av oktober": in that month, not everything until its end ("före
        # slutet av oktober", "by the end of October" stay boundaries)
        last = best.due_to
        best = TimeMatch(best.start, best.end, last.replace(day=1), last, "month")
    if best is None:
        best = _point_bare(a, i, today)
        if best is None or (best.kind == "year" and not allow_bare):
            return None
    post = a.word(best.end, "in_after")
    return TimeMatch(i, post or best.end, best.due_from, best.due_to, best.kind)


def _year_after(a: _Atoms, i: int, default: int, today: date) -> tuple[int, int]:
    """The year a month or quarter is in: written out ("Q4 2025"), said ("Q1 next year",
    "i mars nästa år"), or the default."""
    if y := a.year(i):
        return y
    if (pre := a.word(i, "in")) is not None and (y := a.year(pre)):
        return y  # "the first quarter of 2026"
    for name, year in (("next_year", today.year + 1), ("this_year", today.year)):
        end = a.word(i, name)
        if end is None and a.word(i, "in", "on") is not None:
            end = a.word(a.word(i, "in", "on") or i, name)
        if end is not None:
            return year, end
    return default, i


def _point_bare(a: _Atoms, i: int, today: date) -> TimeMatch | None:
    tokens = a.tokens
    if i >= len(tokens):
        return None
    if (end := a.word(i, "new_year")) is not None:
        return TimeMatch(i, end, date(today.year + 1, 1, 1), date(today.year, 12, 31),
                         "boundary")
    if (end := a.word(i, "christmas")) is not None:  # a day: "före jul" ends 23 December
        eve = date(today.year, 12, 24)
        return TimeMatch(i, end, eve, eve, "day")
    text = tokens[i].text
    try:
        if m := _ISO.match(text):
            if not _plausible(int(m[1])):
                return None
            d = date(int(m[1]), int(m[2]), int(m[3]))
            return TimeMatch(i, i + 1, d, d, "day")
        if (m := _DOTTED.match(text)) and (m[3] or text.count(".") + text.count("/") >= 1):
            day, month = int(m[1]), int(m[2])
            year = int(m[3]) if m[3] else _nearest_year(month, today)
            year += 2000 if year < 100 else 0
            if not _plausible(year):
                return None
            d = date(year, month, day)
            return TimeMatch(i, i + 1, d, d, "day")
    except ValueError:
        return None
    if (m := _QUARTER.match(text)) and (not m[2] or _plausible(int(m[2]))):
        year, end = (int(m[2]), i + 1) if m[2] else _year_after(a, i + 1, today.year, today)
        lo, hi = _quarter(year, int(m[1]))
        return TimeMatch(i, end, lo, hi, "quarter")
    # day + month [+ year]: "13 oktober", "13. lokakuuta", "13th of October"
    if (d := a.day(i)) and (mo := a.month(d[1]) or a.month(d[1] + 1)):
        month, end = mo
        year, end = a.year(end) or (_nearest_year(month, today), end)
        try:
            day = date(year, month, d[0])
        except ValueError:
            return None
        return TimeMatch(i, end, day, day, "day")
    if (lead := a.word(i, "end_of")) is not None and (mo := a.month(lead)):
        return _month_end(a, i, *mo, today)
    if lead is not None and (month := _this_or_next_month(a, lead, today)):
        return _month_end(a, i, *month, today)  # "by the end of next month", "end of month"
    if (mo := a.month(i)) and a.word(mo[1], "end_of_after") is not None:
        return _month_end(a, i, mo[0], a.word(mo[1], "end_of_after") or mo[1], today)
    if (month := _this_or_next_month(a, i, today)) and month[1] < len(tokens) \
            and (post := a.word(month[1], "end_of_after")) is not None:
        return _month_end(a, i, month[0], post, today)  # "tämän kuun loppuun"
    if mo := a.month(i):
        month, end = mo
        if d := a.day(end):  # "October 13"
            year, end2 = a.year(d[1]) or (_nearest_year(month, today), d[1])
            try:
                day = date(year, month, d[0])
            except ValueError:
                return None
            return TimeMatch(i, end2, day, day, "day")
        year, end = _year_after(a, end, _nearest_year(month, today), today)
        return TimeMatch(i, end, date(year, month, 1), _end_of_month(year, month), "month")
    # quarter: "kvartal 4", "fjärde kvartalet", "neljäs neljännes", "4 kvartalet"
    q_end = a.word(i, "quarter")
    if q_end is not None and (n := a.number(q_end)) and 1 <= n[0] <= 4:
        year, end = _year_after(a, n[1], today.year, today)
        lo, hi = _quarter(year, n[0])
        return TimeMatch(i, end, lo, hi, "quarter")
    for pick in (a.ordinal(i), a.number(i)):
        if pick and pick[0] == -1:
            pick = (4, pick[1])  # "sista kvartalet", "the last quarter": the year's fourth
        if pick and 1 <= pick[0] <= 4 and (q := a.word(pick[1], "quarter")) is not None:
            year, end = _year_after(a, q, today.year, today)
            lo, hi = _quarter(year, pick[0])
            return TimeMatch(i, end, lo, hi, "quarter")
    if y := a.year(i):
        return TimeMatch(i, y[1], date(y[0], 1, 1), date(y[0], 12, 31), "year")
    return None


def _this_or_next_month(a: _Atoms, i: int, today: date) -> tuple[int, int] | None:
    """(month, end) of "this month" / "next month" / a bare "month" word at i."""
    for name, ahead in (("this_month", 0), ("next_month", 1), ("month", 0)):
        end = a.word(i, name)
        if end is not None:
            return (today.month + ahead - 1) % 12 + 1, end
    return None


def _month_end(a: _Atoms, i: int, month: int, end: int, today: date) -> TimeMatch:
    """The end of a month as a boundary: due_to its last day, due_from the day after."""
    year, end = _year_after(a, end, _nearest_year(month, today), today)
    last = _end_of_month(year, month)
    return TimeMatch(i, end, last + timedelta(days=1), last, "boundary")
