"""What a question asks, as plain data: the contract between understanding and dialogs.

Every field is a value the dialogs can hand to storage queries as it is; nothing here needs
to be parsed again. A card button carries a `Question` as JSON (`to_data` / `from_data`).
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields, replace
from datetime import date
from enum import StrEnum
from typing import Any

from storage.filters import AssignmentFilter


class Intent(StrEnum):
    HELP = "help"
    UNITS = "units"
    SUMMARY = "summary"
    FINANCE = "finance"  # one unit's figures, a ranking, the total, "which units …"
    BUDGET = "budget"  # a yearly budget with line items (Lovisa)
    ASSIGNMENTS = "assignments"  # list, count or one assignment's details
    INDICATORS = "indicators"  # key figures (nyckeltal)
    UPDATE = "update"  # open the update card
    SUBMIT_UPDATE = "submit_update"  # an update card's inputs (never from words)
    MY_ASSIGNMENTS = "my_assignments"
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"
    SUBSCRIPTIONS = "subscriptions"
    REMINDERS_OFF = "reminders_off"
    REMINDERS_ON = "reminders_on"
    SNOOZE = "snooze"
    # Follow-ups: only meaningful after an earlier answer.
    MORE = "more"  # next page
    PREVIOUS = "previous"  # previous page
    NTH = "nth"  # "the second one"
    AS_TEXT = "as_text"  # the last answer again, as a text table
    CANCEL = "cancel"
    UNKNOWN = "unknown"


class Form(StrEnum):
    """How an answer is shaped."""

    LIST = "list"
    COUNT = "count"
    DETAIL = "detail"  # one item in full
    UNIT = "unit"  # finance: one (or a few) units' figures
    RANK = "rank"  # finance: units ordered by a measure
    TOTAL = "total"  # finance: the organisation's sum
    WHICH = "which"  # finance: the units with a deficit / surplus / in balance
    CHANGE = "change"  # budget: a line's change between two years


class Measure(StrEnum):
    """What a finance ranking orders by."""

    DEFICIT = "deficit"  # most negative deviation first
    SURPLUS = "surplus"  # most positive deviation first
    BUDGET = "budget"  # largest full-year budget (by absolute size) first
    FORECAST = "forecast"
    ACTUAL = "actual"


class Balance(StrEnum):
    """Which units a WHICH finance question asks for."""

    DEFICIT = "deficit"
    SURPLUS = "surplus"
    BALANCED = "balanced"


class Judgement(StrEnum):
    """Indicator filters."""

    NEGATIVE = "negative"  # developing the wrong way
    POSITIVE = "positive"
    BELOW_TARGET = "below_target"
    WORSE_THAN_COMPARISON = "worse_than_comparison"


@dataclass(frozen=True)
class Question:
    intent: Intent
    form: Form = Form.LIST
    language: str | None = None  # the question's language, when the words tell
    units: tuple[int, ...] = ()  # unit ids the question is about (finance, indicators)
    filter: AssignmentFilter = field(default_factory=AssignmentFilter)
    # Finance
    measure: Measure | None = None
    balance: Balance | None = None
    top: int = 1  # how many units a ranking names first
    year: int | None = None  # budget year asked about
    years: tuple[int, int] | None = None  # budget: from year, to year
    budget_line: str | None = None  # budget line key (normalised line name)
    # Indicators
    indicators: tuple[int, ...] = ()
    judgement: Judgement | None = None
    by_gender: bool = False
    with_indicators: bool = False  # subscribe: the digest also tells indicator news
    # Paging and follow-ups
    page: int = 1
    nth: int | None = None
    as_text: bool = False
    follow_up: bool = False  # elliptical ("och HR?"): complete it from the previous question
    subject_only: bool = False  # names a subject (a unit) and nothing it asks about it
    # asks which items ("vilka av dem är försenade?", "vilka är det?"): a list, also when it
    # follows a count
    asks_which: bool = False
    # Commands with free-form options (subscribe), as typed after the command word.
    rest: str = ""
    days: int | None = None  # snooze length
    # What was understood but not matched (for "I understood … but not …").
    unmatched: tuple[str, ...] = ()
    # Of those, the words with a unit's ending ("Socialförvaltningen", as typed) when no
    # unit was found: a list must not answer for every unit instead.
    unknown_units: tuple[str, ...] = ()
    # Ranked other readings when unsure (best first); the dialogs ask back with buttons.
    alternatives: tuple[Question, ...] = ()
    confidence: float = 1.0

    def with_(self, **changes: Any) -> Question:
        return replace(self, **changes)

    def to_data(self) -> dict[str, Any]:
        """Compact JSON-safe dict (for card buttons and the conversation state): fields at
        their defaults are left out, and so are the alternatives. A card carries dozens of
        these: a direct walk of the fields, not dataclasses.asdict."""
        data: dict[str, Any] = {"intent": self.intent.value}
        for name in _QUESTION_FIELDS:
            value = getattr(self, name)
            if name == "filter":
                kept = {f: _jsonable(v) for f in _FILTER_FIELDS
                        if (v := getattr(value, f)) != _FILTER_DEFAULTS[f]}
                if kept:
                    data["filter"] = kept
            elif value != _DEFAULTS[name]:
                data[name] = _jsonable(value)
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Question:
        """The inverse of to_data; raises ValueError on anything malformed (forged buttons)."""
        if not isinstance(data, dict):
            raise ValueError("question data must be an object")
        known = {f.name for f in fields(cls)} - {"alternatives"}
        if set(data) - known:
            raise ValueError(f"unknown question fields: {sorted(set(data) - known)}")
        values = dict(data)
        try:
            values["intent"] = Intent(values["intent"])
            values["form"] = Form(values.get("form", Form.LIST))
            for name, enum in (("measure", Measure), ("balance", Balance),
                               ("judgement", Judgement)):
                if values.get(name) is not None:
                    values[name] = enum(values[name])
            values["filter"] = _filter_from(values.get("filter") or {})
            for name in ("units", "indicators", "unmatched", "unknown_units"):
                values[name] = tuple(values.get(name) or ())
            if values.get("years") is not None:
                a, b = values["years"]
                values["years"] = (int(a), int(b))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed question data: {exc}") from None
        question = cls(**values)
        _check_types(question)
        return question


def _filter_from(data: dict[str, Any]) -> AssignmentFilter:
    if not isinstance(data, dict):
        raise ValueError("filter must be an object")
    known = {f.name for f in fields(AssignmentFilter)}
    if set(data) - known:
        raise ValueError(f"unknown filter fields: {sorted(set(data) - known)}")
    values = dict(data)
    for name in ("unit_ids", "numbers", "statuses", "forecasts", "kinds", "goal_areas",
                 "words"):
        values[name] = tuple(values.get(name) or ())
    for name in ("due_from", "due_to"):
        if values.get(name):
            values[name] = date.fromisoformat(str(values[name]))
    return AssignmentFilter(**values)


_MAX_ITEMS = 50


def _check_types(q: Question) -> None:
    """Button data comes from the client: every field must have its declared shape."""
    ints = (*q.units, *q.indicators, *q.filter.unit_ids, *q.filter.numbers)
    if any(isinstance(v, bool) or not isinstance(v, int) or not 0 < v < 2**31 for v in ints):
        raise ValueError("ids must be positive integers")
    strs = (*q.filter.statuses, *q.filter.forecasts, *q.filter.kinds, *q.filter.goal_areas,
            *q.filter.words, *q.unmatched, *q.unknown_units)
    if any(not isinstance(v, str) or len(v) > 500 for v in strs):
        raise ValueError("filter values must be short strings")
    if max(len(q.units), len(q.indicators), len(q.filter.unit_ids), len(q.filter.numbers),
           len(strs)) > _MAX_ITEMS:
        raise ValueError("too many values")
    for name, value, low, high in (("page", q.page, 1, 10_000), ("top", q.top, 1, 100),
                                   ("nth", q.nth, 1, 1000), ("days", q.days, 1, 3650),
                                   ("year", q.year, 1900, 2200)):
        if value is None and name in ("nth", "days", "year"):
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"{name} out of range")
    if not isinstance(q.rest, str) or len(q.rest) > 500:
        raise ValueError("rest must be a short string")
    if q.budget_line is not None and (not isinstance(q.budget_line, str)
                                      or len(q.budget_line) > 200):
        raise ValueError("budget_line must be a short string")
    if q.language is not None and q.language not in ("sv", "en", "fi"):
        raise ValueError("unknown language")
    for flag in (q.as_text, q.follow_up, q.subject_only, q.asks_which, q.by_gender,
                 q.with_indicators,
                 q.filter.overdue, q.filter.open_only):
        if not isinstance(flag, bool):
            raise ValueError("flags must be booleans")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    return value


_DEFAULTS: dict[str, Any] = {f.name: f.default for f in fields(Question)
                             if f.default is not MISSING}
_QUESTION_FIELDS = tuple(f.name for f in fields(Question)
                         if f.name not in ("intent", "alternatives"))
_FILTER_DEFAULTS: dict[str, Any] = {f.name: f.default for f in fields(AssignmentFilter)}
_FILTER_FIELDS = tuple(_FILTER_DEFAULTS)
