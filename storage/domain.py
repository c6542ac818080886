"""Domain rules as plain functions: numbers, dates, status words, deviations."""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo


class Refused(ValueError):
    """A coded refusal: storage says *what* is wrong (`code`, with `params`), and cards/texts
    words it in the user's language (key "refused.<code>"). Nothing was written."""

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(f"{code}: " + ", ".join(f"{k}={v!r}" for k, v in params.items()))


class Status(StrEnum):
    NOT_STARTED = "not_started"
    STARTED = "started"
    COMPLETED = "completed"
    NOT_REPORTED = "not_reported"  # planned (a budget's key goals), no follow-up yet


class Forecast(StrEnum):
    ON_PLAN = "on_plan"
    DEVIATION = "deviation"
    NOT_REPORTED = "not_reported"


# Import aliases: how exports and people write the values (any case).
_STATUS_WORDS: dict[str, Status] = {
    "ej påbörjad": Status.NOT_STARTED,
    "ej paborjad": Status.NOT_STARTED,
    "inte påbörjad": Status.NOT_STARTED,
    "ej startad": Status.NOT_STARTED,
    "not started": Status.NOT_STARTED,
    "not_started": Status.NOT_STARTED,
    "ei aloitettu": Status.NOT_STARTED,
    "påbörjad": Status.STARTED,
    "paborjad": Status.STARTED,
    "pågående": Status.STARTED,
    "pågår": Status.STARTED,
    "started": Status.STARTED,
    "in progress": Status.STARTED,
    "ongoing": Status.STARTED,
    "aloitettu": Status.STARTED,
    "käynnissä": Status.STARTED,
    "slutförd": Status.COMPLETED,
    "slutford": Status.COMPLETED,
    "klar": Status.COMPLETED,
    "avslutad": Status.COMPLETED,
    "completed": Status.COMPLETED,
    "complete": Status.COMPLETED,
    "done": Status.COMPLETED,
    "finished": Status.COMPLETED,
    "valmis": Status.COMPLETED,
    "ej rapporterad": Status.NOT_REPORTED,
    "inte rapporterad": Status.NOT_REPORTED,
    "ej rapporterat": Status.NOT_REPORTED,
    "not reported": Status.NOT_REPORTED,
    "not_reported": Status.NOT_REPORTED,
    "not reported yet": Status.NOT_REPORTED,
    "ei raportoitu": Status.NOT_REPORTED,
}
_FORECAST_WORDS: dict[str, Forecast] = {
    "enligt plan": Forecast.ON_PLAN,
    "on plan": Forecast.ON_PLAN,
    "on_plan": Forecast.ON_PLAN,
    "on track": Forecast.ON_PLAN,
    "according to plan": Forecast.ON_PLAN,
    "suunnitelman mukaan": Forecast.ON_PLAN,
    "avvikelse från plan": Forecast.DEVIATION,
    "avvikelse fran plan": Forecast.DEVIATION,
    "avvikelse": Forecast.DEVIATION,
    "deviation": Forecast.DEVIATION,
    "deviation from plan": Forecast.DEVIATION,
    "off plan": Forecast.DEVIATION,
    "off track": Forecast.DEVIATION,
    "poikkeama": Forecast.DEVIATION,
    "ej rapporterad": Forecast.NOT_REPORTED,
    "not reported": Forecast.NOT_REPORTED,
    "not_reported": Forecast.NOT_REPORTED,
}


def normalize(text: str) -> str:
    """Case- and space-insensitive form used for matching names and words."""
    # str.split() also splits on no-break spaces; faster than a regex on 100 000-row imports.
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


@lru_cache(maxsize=256)
def parse_status(text: str) -> Status:
    try:
        return _STATUS_WORDS[normalize(text)]
    except KeyError:
        raise Refused("unknown_status", value=text) from None


@lru_cache(maxsize=256)
def parse_forecast(text: str | None) -> Forecast:
    """An empty cell is 'not reported yet'."""
    if text is None or not str(text).strip():
        return Forecast.NOT_REPORTED
    try:
        return _FORECAST_WORDS[normalize(text)]
    except KeyError:
        raise Refused("unknown_forecast", value=text) from None


_NUMBER = re.compile(r"^[+-]?\d{1,3}(?: \d{3})*(?:,\d+)?$|^[+-]?\d+(?:[,.]\d+)?$")


def parse_number(text: str | int | float | Decimal) -> Decimal:
    """'-41 225', '−41 225', '27,5', '1372' → Decimal. Thousands use (no-break) spaces."""
    if isinstance(text, Decimal):
        return text
    if isinstance(text, bool) or not isinstance(text, int | float | str):
        raise Refused("bad_number", value=str(text))  # e.g. a date cell in a number column
    if isinstance(text, int):
        return Decimal(text)
    if isinstance(text, float):
        if text != text or text in (float("inf"), float("-inf")):
            raise Refused("bad_number", value=str(text))
        if abs(text) >= 1e15:  # past a float's exact integers: no figure of ours
            raise Refused("number_too_large", value=str(text))
        return Decimal(str(text))
    cleaned = (
        text.strip()
        .replace("\u2212", "-")
        .replace("\u00a0", " ")
        .replace("\u202f", " ")
    )
    cleaned = re.sub(r" +", " ", cleaned)
    if len(cleaned) > 40 or not _NUMBER.match(cleaned):
        raise Refused("bad_number", value=text[:40])
    try:
        return Decimal(cleaned.replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise Refused("bad_number", value=text[:40]) from None


def format_number(value: Decimal | int, signed: bool = False) -> str:
    """Decimal → '-41 225' as the reports print it; '+1 372' when signed."""
    value = Decimal(value)
    sign = "-" if value < 0 else ("+" if signed and value > 0 else "")
    quantized = abs(value)
    if quantized == quantized.to_integral_value():
        whole, frac = f"{int(quantized):,}".replace(",", " "), ""
    else:
        text = f"{quantized.normalize():f}"
        head, frac = text.split(".")
        whole, frac = f"{int(head):,}".replace(",", " "), "," + frac
    return f"{sign}{whole}{frac}"


_QUARTER = re.compile(r"^(?:under\s+)?(?:kvartal|kv\.?|q|k)\s*([1-4])\s*[,/-]?\s*(\d{4})$")
_QUARTER_YEAR_FIRST = re.compile(r"^(\d{4})\s*[-/ ]?\s*(?:q|kv|k)([1-4])$")
_TERTIAL = re.compile(r"^(?:tertial|t)\s*([1-3])\s*[,/-]?\s*(\d{4})$")
_HALF = re.compile(r"^(?:halvår|halvar|h)\s*([12])\s*[,/-]?\s*(\d{4})$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


# The years a due date or a period end may be in, as the year columns of budgets and
# indicators (storage/importer.py).
FIRST_YEAR, LAST_YEAR = 1900, 2200


def _end_of_month(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_due_date(text: str | date | datetime) -> date:
    """'2025-12-01', 'kvartal 1 2024' / 'Q1 2024' (end of quarter), 'tertial 2 2025',
    '2024-06' (end of month) and '2024' (end of year)."""
    if isinstance(text, datetime):
        found = text.date()
    elif isinstance(text, date):
        found = text
    else:
        found = _parse_due_text(str(text))  # a spreadsheet cell may hold 2024 as a number
    if not FIRST_YEAR <= found.year <= LAST_YEAR:
        # "0001-01-01" would be 739 508 days overdue: a typo, not a plan.
        raise Refused("bad_date", value=str(text)[:40])
    return found


@lru_cache(maxsize=4096)
def _parse_due_text(text: str) -> date:
    value = normalize(text)
    try:
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", value):  # Finnish 31.12.2024
            return date(int(m[3]), int(m[2]), int(m[1]))
        if m := _QUARTER.match(value):
            return _end_of_month(int(m[2]), int(m[1]) * 3)
        if m := _QUARTER_YEAR_FIRST.match(value):
            return _end_of_month(int(m[1]), int(m[2]) * 3)
        if m := _TERTIAL.match(value):
            return _end_of_month(int(m[2]), int(m[1]) * 4)
        if m := _HALF.match(value):
            return _end_of_month(int(m[2]), int(m[1]) * 6)
        if m := _MONTH.match(value):
            return _end_of_month(int(m[1]), int(m[2]))
        if m := re.fullmatch(r"(?:under\s+|år\s+)?(\d{4})", value):
            value = m[1]
            return date(int(value), 12, 31)
    except ValueError:
        pass
    raise Refused("bad_date", value=text[:40])


def today(timezone: str = "Europe/Stockholm", fixed: str = "") -> date:
    """The office's date: LAGET_TODAY when set, else the real date in its time zone."""
    if fixed:
        return date.fromisoformat(fixed)
    return datetime.now(ZoneInfo(timezone)).date()


def is_open(status: Status | str) -> bool:
    return Status(status) is not Status.COMPLETED


def is_overdue(due: date | None, status: Status | str, on: date) -> bool:
    return due is not None and due < on and Status(status) is not Status.COMPLETED


def days_overdue(due: date, on: date) -> int:
    return (on - due).days


def deviation(budget: Decimal, forecast: Decimal) -> Decimal:
    """Forecast − budget. Costs are negative, so a positive result is a surplus."""
    return forecast - budget


# --- yearly budgets (Lovisa) ---------------------------------------------------------------


class Scenario(StrEnum):
    """What a yearly budget column is: the closed books, the budget, or a later year's plan."""

    ACTUAL = "actual"
    BUDGET = "budget"
    PLAN = "plan"


_SCENARIO_WORDS = {
    "bokslut": Scenario.ACTUAL, "utfall": Scenario.ACTUAL, "actual": Scenario.ACTUAL,
    "tilinpäätös": Scenario.ACTUAL, "toteuma": Scenario.ACTUAL,
    "budget": Scenario.BUDGET, "talousarvio": Scenario.BUDGET, "budjetti": Scenario.BUDGET,
    "ekonomiplan": Scenario.PLAN, "plan": Scenario.PLAN, "taloussuunnitelma": Scenario.PLAN,
}


def parse_scenario(text: str) -> Scenario:
    try:
        return _SCENARIO_WORDS[normalize(text)]
    except KeyError:
        raise Refused("unknown_scenario", value=text) from None


# --- indicators (nyckeltal) ----------------------------------------------------------------


class Polarity(StrEnum):
    HIGHER_BETTER = "higher_better"
    LOWER_BETTER = "lower_better"  # sick leave, a ranking (placering)
    NEUTRAL = "neutral"


class Direction(StrEnum):
    """Which way the values go (Lerum's "Prognos 2024": Ökande / Minskande / Bibehållen)."""

    INCREASING = "increasing"
    DECREASING = "decreasing"
    UNCHANGED = "unchanged"


class Judgement(StrEnum):
    """Whether that is good (Nyköping's "Trend": Pos / Neg / Oförändrad)."""

    POSITIVE = "positive"
    NEGATIVE = "negative"
    UNCHANGED = "unchanged"


_POLARITY_WORDS = {
    "higher_better": Polarity.HIGHER_BETTER, "högre är bättre": Polarity.HIGHER_BETTER,
    "hogre ar battre": Polarity.HIGHER_BETTER, "higher is better": Polarity.HIGHER_BETTER,
    "lower_better": Polarity.LOWER_BETTER, "lägre är bättre": Polarity.LOWER_BETTER,
    "lagre ar battre": Polarity.LOWER_BETTER, "lower is better": Polarity.LOWER_BETTER,
    "neutral": Polarity.NEUTRAL, "": Polarity.NEUTRAL,
}
_DIRECTION_WORDS = {
    "ökande": Direction.INCREASING, "okande": Direction.INCREASING,
    "increasing": Direction.INCREASING, "ökar": Direction.INCREASING,
    "minskande": Direction.DECREASING, "decreasing": Direction.DECREASING,
    "minskar": Direction.DECREASING,
    "bibehållen": Direction.UNCHANGED, "bibehallen": Direction.UNCHANGED,
    "unchanged": Direction.UNCHANGED, "oförändrad": Direction.UNCHANGED,
}
_JUDGEMENT_WORDS = {
    "pos": Judgement.POSITIVE, "positiv": Judgement.POSITIVE, "positive": Judgement.POSITIVE,
    "positivt": Judgement.POSITIVE, "+": Judgement.POSITIVE,
    "neg": Judgement.NEGATIVE, "negativ": Judgement.NEGATIVE, "negative": Judgement.NEGATIVE,
    "negativt": Judgement.NEGATIVE, "-": Judgement.NEGATIVE,
    "oförändrad": Judgement.UNCHANGED, "oforandrad": Judgement.UNCHANGED,
    "unchanged": Judgement.UNCHANGED, "neutral": Judgement.UNCHANGED,
}


def _lookup(words: dict[str, StrEnum], text: str, code: str) -> StrEnum:
    try:
        return words[normalize(text)]
    except KeyError:
        raise Refused(code, value=text) from None


def parse_polarity(text: str) -> Polarity:
    return _lookup(_POLARITY_WORDS, text, "unknown_polarity")  # type: ignore[return-value]


def parse_direction(text: str) -> Direction:
    return _lookup(_DIRECTION_WORDS, text, "unknown_direction")  # type: ignore[return-value]


def parse_judgement(text: str) -> Judgement:
    return _lookup(_JUDGEMENT_WORDS, text, "unknown_judgement")  # type: ignore[return-value]


def direction_between(previous: Decimal, current: Decimal) -> Direction:
    if current > previous:
        return Direction.INCREASING
    if current < previous:
        return Direction.DECREASING
    return Direction.UNCHANGED


def judge(direction: Direction, polarity: Polarity) -> Judgement | None:
    """A direction is good or bad only through the polarity: a ranking going from 130 to 86
    is "Minskande" and positive. Neutral indicators are not judged."""
    if direction is Direction.UNCHANGED:
        return Judgement.UNCHANGED
    if polarity is Polarity.NEUTRAL:
        return None
    good = (direction is Direction.INCREASING) == (polarity is Polarity.HIGHER_BETTER)
    return Judgement.POSITIVE if good else Judgement.NEGATIVE


def direction_for(judgement: Judgement, polarity: Polarity) -> Direction | None:
    """The inverse of judge(): where only the judgement is printed."""
    if judgement is Judgement.UNCHANGED:
        return Direction.UNCHANGED
    if polarity is Polarity.NEUTRAL:
        return None
    up = (judgement is Judgement.POSITIVE) == (polarity is Polarity.HIGHER_BETTER)
    return Direction.INCREASING if up else Direction.DECREASING


def is_better(value: Decimal, other: Decimal, polarity: Polarity) -> bool | None:
    """Is `value` better than `other` (a target or a comparison value)? None if neutral."""
    if polarity is Polarity.NEUTRAL:
        return None
    return value > other if polarity is Polarity.HIGHER_BETTER else value < other


def parse_indicator_value(text: str | int | float | Decimal | None) -> Decimal | None:
    """'9,0' → Decimal('9.0') (precision kept), '44%' → 44, '-' or empty → None (missing,
    not zero)."""
    if text is None:
        return None
    if isinstance(text, str):
        cleaned = text.strip().rstrip("%").strip()
        if cleaned in ("", "-", "–", "—", "..", "n/a"):
            return None
        return parse_number(cleaned)
    return parse_number(text)


def format_decimal(value: Decimal) -> str:
    """As printed: '9,0', '153,4', '1 063' (the precision the value was given with)."""
    sign = "-" if value < 0 else ""
    head, _, frac = f"{abs(value):f}".partition(".")
    whole = f"{int(head):,}".replace(",", " ")
    return f"{sign}{whole}" + (f",{frac}" if frac else "")
