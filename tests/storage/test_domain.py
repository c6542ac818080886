"""storage/domain.py: numbers, due dates, status words, "today", overdue and deviation; the
budget and indicator words."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from storage.domain import (
    Direction,
    Forecast,
    Judgement,
    Polarity,
    Refused,
    Scenario,
    Status,
    days_overdue,
    deviation,
    direction_between,
    direction_for,
    format_decimal,
    format_number,
    is_better,
    is_open,
    is_overdue,
    judge,
    normalize,
    parse_direction,
    parse_due_date,
    parse_forecast,
    parse_indicator_value,
    parse_judgement,
    parse_number,
    parse_polarity,
    parse_scenario,
    parse_status,
    today,
)

# --- numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-41 225", Decimal("-41225")),
        ("-41\u00a0225", Decimal("-41225")),  # no-break space
        ("-41\u202f225", Decimal("-41225")),  # narrow no-break space
        ("\u221241 225", Decimal("-41225")),  # minus sign
        ("\u221241\u00a0225", Decimal("-41225")),
        ("27,5", Decimal("27.5")),
        ("27.5", Decimal("27.5")),
        ("1372", Decimal("1372")),
        ("+1 372", Decimal("1372")),
        ("  -3 588  ", Decimal("-3588")),
        ("-1 234 567,25", Decimal("-1234567.25")),
        ("0", Decimal("0")),
        ("-0,5", Decimal("-0.5")),
    ],
)
def test_parse_number(text: str, expected: Decimal) -> None:
    got = parse_number(text)
    assert isinstance(got, Decimal)
    assert got == expected


def test_parse_number_keeps_numeric_cells_exact() -> None:
    assert parse_number(-41225) == Decimal("-41225")
    assert parse_number(27.5) == Decimal("27.5")
    assert parse_number(0.1) == Decimal("0.1")  # via str(): no binary float noise
    assert parse_number(Decimal("-39853")) == Decimal("-39853")


@pytest.mark.parametrize(
    "text",
    ["12 34", "1,2,3", "abc", "", "   ", "1 2345", "12 3456,5", "--5", "5-", "1.2.3", "12,", ",5",
     "1e5", "NaN", "Infinity", "12 tkr"],
)
def test_parse_number_rejects_garbage(text: str) -> None:
    with pytest.raises(Refused) as refused:
        parse_number(text)
    assert refused.value.code == "bad_number"


def test_parse_number_rejects_non_numbers_from_spreadsheets() -> None:
    for value in (datetime(2025, 7, 31), date(2025, 7, 31), True, None, float("nan"),
                  float("inf")):
        with pytest.raises(Refused) as refused:
            parse_number(value)  # type: ignore[arg-type]
        assert refused.value.code == "bad_number"
    # A spreadsheet number past a float's exact integers is a number, too large for us.
    for value in (1e15, -1e16):
        with pytest.raises(Refused) as refused:
            parse_number(value)
        assert (refused.value.code, refused.value.params) == (
            "number_too_large", {"value": str(value)})
    assert parse_number(999_999_999_999_999.0) == 999_999_999_999_999


@pytest.mark.parametrize(
    ("value", "signed", "expected"),
    [
        (Decimal("-41225"), False, "-41 225"),
        (Decimal("-41225.00"), False, "-41 225"),
        (Decimal("1372"), True, "+1 372"),
        (Decimal("1372"), False, "1 372"),
        (Decimal("-1372"), True, "-1 372"),
        (Decimal("27.5"), False, "27,5"),
        (Decimal("27.50"), False, "27,5"),
        (Decimal("-1234567.25"), False, "-1 234 567,25"),
        (Decimal("0"), False, "0"),
        (Decimal("0"), True, "0"),
        (0, True, "0"),
        (Decimal("-0"), False, "0"),
        (Decimal("0.5"), True, "+0,5"),
        (999, False, "999"),
        (1000, False, "1 000"),
    ],
)
def test_format_number(value: Decimal | int, signed: bool, expected: str) -> None:
    assert format_number(value, signed=signed) == expected


@pytest.mark.parametrize("text", ["-41 225", "+1 372", "27,5", "-1 234 567,25", "0"])
def test_format_and_parse_round_trip(text: str) -> None:
    assert format_number(parse_number(text), signed=text.startswith("+")) == text


# --- indicator values keep their printed precision -----------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "printed"),
    [
        ("9,0", Decimal("9.0"), "9,0"),
        ("153,4", Decimal("153.4"), "153,4"),
        ("1063", Decimal("1063"), "1 063"),
        ("59,91", Decimal("59.91"), "59,91"),
        ("+1,9", Decimal("1.9"), "1,9"),
        ("44%", Decimal("44"), "44"),
        (" 70,0 % ", Decimal("70.0"), "70,0"),
        ("-2,50", Decimal("-2.50"), "-2,50"),
        (66.5, Decimal("66.5"), "66,5"),
        (63, Decimal("63"), "63"),
    ],
)
def test_parse_indicator_value(text: object, expected: Decimal, printed: str) -> None:
    got = parse_indicator_value(text)  # type: ignore[arg-type]
    assert got == expected and str(got) == str(expected)
    assert format_decimal(got) == printed  # type: ignore[arg-type]


@pytest.mark.parametrize("text", [None, "", "  ", "-", "–", "—", "..", "n/a"])
def test_missing_indicator_values_are_none_not_zero(text: str | None) -> None:
    assert parse_indicator_value(text) is None


def test_bad_indicator_value() -> None:
    with pytest.raises(Refused) as refused:
        parse_indicator_value("nio")
    assert refused.value.code == "bad_number"


# --- due dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-12-01", date(2025, 12, 1)),
        (" 2025-12-01 ", date(2025, 12, 1)),
        ("kvartal 1 2024", date(2024, 3, 31)),
        ("Kvartal 3 2025", date(2025, 9, 30)),
        ("Q4 2025", date(2025, 12, 31)),
        ("q1 2024", date(2024, 3, 31)),
        ("kv 2 2024", date(2024, 6, 30)),
        ("kv. 2 2024", date(2024, 6, 30)),
        ("2024 Q2", date(2024, 6, 30)),
        ("2024-Q3", date(2024, 9, 30)),
        ("tertial 1 2025", date(2025, 4, 30)),
        ("tertial 2 2025", date(2025, 8, 31)),
        ("Tertial 3 2025", date(2025, 12, 31)),
        ("halvår 1 2025", date(2025, 6, 30)),
        ("2024-02", date(2024, 2, 29)),  # leap year
        ("2025-02", date(2025, 2, 28)),
        ("2024-06", date(2024, 6, 30)),
        ("2024", date(2024, 12, 31)),
        ("kvartal\u00a01\u00a02024", date(2024, 3, 31)),
        ("31.12.2024", date(2024, 12, 31)),  # Finnish
        ("under 2024", date(2024, 12, 31)),
        ("under kvartal 2 2024", date(2024, 6, 30)),
    ],
)
def test_parse_due_date(text: str, expected: date) -> None:
    assert parse_due_date(text) == expected


def test_parse_due_date_passes_dates_through() -> None:
    assert parse_due_date(date(2025, 6, 2)) == date(2025, 6, 2)
    assert parse_due_date(datetime(2025, 6, 2, 13, 45)) == date(2025, 6, 2)
    got = parse_due_date(datetime(2025, 6, 2))
    assert type(got) is date


def test_parse_due_date_accepts_a_year_as_a_number_cell() -> None:
    assert parse_due_date(2024) == date(2024, 12, 31)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    ["2024-13-01", "2025-02-30", "kvartal 5 2024", "Q0 2024", "tertial 4 2025", "2024-13",
     "snart", "", "01/12/2025", "2025-12-01x", "24"],
)
def test_parse_due_date_rejects(text: str) -> None:
    with pytest.raises(Refused) as refused:
        parse_due_date(text)
    assert (refused.value.code, refused.value.params) == ("bad_date", {"value": text})


# --- status and forecast words -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ej påbörjad", Status.NOT_STARTED),
        ("EJ PÅBÖRJAD", Status.NOT_STARTED),
        ("ej  påbörjad ", Status.NOT_STARTED),
        ("Ej\u00a0påbörjad", Status.NOT_STARTED),
        ("not started", Status.NOT_STARTED),
        ("Not Started", Status.NOT_STARTED),
        ("not_started", Status.NOT_STARTED),
        ("Påbörjad", Status.STARTED),
        ("pa\u030abo\u0308rjad", Status.STARTED),  # decomposed å/ö, as some Mac exports write
        ("PÅBÖRJAD", Status.STARTED),
        ("Started", Status.STARTED),
        ("IN PROGRESS", Status.STARTED),
        ("Slutförd", Status.COMPLETED),
        ("slutförd", Status.COMPLETED),
        ("Completed", Status.COMPLETED),
        ("DONE", Status.COMPLETED),
        ("Ej rapporterad", Status.NOT_REPORTED),
        ("aloitettu", Status.STARTED),
        ("Valmis", Status.COMPLETED),
    ],
)
def test_parse_status(text: str, expected: Status) -> None:
    assert parse_status(text) is expected


@pytest.mark.parametrize("text", ["", "kanske", "startad?", "slut"])
def test_parse_status_rejects(text: str) -> None:
    with pytest.raises(Refused) as refused:
        parse_status(text)
    assert (refused.value.code, refused.value.params) == ("unknown_status", {"value": text})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Enligt plan", Forecast.ON_PLAN),
        ("ENLIGT PLAN", Forecast.ON_PLAN),
        ("on plan", Forecast.ON_PLAN),
        ("On Track", Forecast.ON_PLAN),
        ("Avvikelse från plan", Forecast.DEVIATION),
        ("avvikelse FRÅN plan", Forecast.DEVIATION),
        ("Avvikelse", Forecast.DEVIATION),
        ("Deviation", Forecast.DEVIATION),
        ("deviation from plan", Forecast.DEVIATION),
        ("poikkeama", Forecast.DEVIATION),
        ("", Forecast.NOT_REPORTED),  # an empty cell: not reported yet
        (None, Forecast.NOT_REPORTED),
    ],
)
def test_parse_forecast(text: str | None, expected: Forecast) -> None:
    assert parse_forecast(text) is expected


@pytest.mark.parametrize("text", ["plan", "försenad", "Påbörjad"])
def test_parse_forecast_rejects(text: str) -> None:
    with pytest.raises(Refused) as refused:
        parse_forecast(text)
    assert refused.value.code == "unknown_forecast"


def test_stored_values_round_trip_through_the_parsers() -> None:
    # Replaces the labels test: labels are the cards catalogue's now; storage's own values
    # (what a card submission and an English export carry) must parse back to themselves.
    assert {parse_status(s.value) for s in Status} == set(Status)
    assert {parse_forecast(f.value) for f in Forecast} == set(Forecast)
    assert {parse_scenario(s.value) for s in Scenario} == set(Scenario)
    assert {parse_polarity(p.value) for p in Polarity} == set(Polarity)
    assert {parse_direction(d.value) for d in Direction} == set(Direction)
    assert {parse_judgement(j.value) for j in Judgement} == set(Judgement)


def test_normalize() -> None:
    assert normalize("  Stab-  och\u00a0Planering\n") == "stab- och planering"
    assert normalize("A\u030a") == "å"


# --- budget and indicator words ------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("Bokslut", Scenario.ACTUAL), ("utfall", Scenario.ACTUAL), ("Tilinpäätös", Scenario.ACTUAL),
    ("BUDGET", Scenario.BUDGET), ("talousarvio", Scenario.BUDGET),
    ("Ekonomiplan", Scenario.PLAN), ("taloussuunnitelma", Scenario.PLAN)])
def test_parse_scenario(text: str, expected: Scenario) -> None:
    assert parse_scenario(text) is expected


@pytest.mark.parametrize(("parse", "text", "code"), [
    (parse_scenario, "Prognos", "unknown_scenario"),
    (parse_polarity, "Uppåt", "unknown_polarity"),
    (parse_direction, "Snabbt", "unknown_direction"),
    (parse_judgement, "Bra", "unknown_judgement"),
])
def test_unknown_words_are_coded_refusals(parse, text: str, code: str) -> None:
    with pytest.raises(Refused) as refused:
        parse(text)
    assert (refused.value.code, refused.value.params) == (code, {"value": text})


@pytest.mark.parametrize(("text", "expected"), [
    ("Högre är bättre", Polarity.HIGHER_BETTER), ("lower is better", Polarity.LOWER_BETTER),
    ("Lägre är bättre", Polarity.LOWER_BETTER), ("", Polarity.NEUTRAL)])
def test_parse_polarity(text: str, expected: Polarity) -> None:
    assert parse_polarity(text) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Ökande", Direction.INCREASING), ("Minskande", Direction.DECREASING),
    ("Bibehållen", Direction.UNCHANGED), ("okande", Direction.INCREASING)])
def test_parse_direction(text: str, expected: Direction) -> None:
    assert parse_direction(text) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Pos", Judgement.POSITIVE), ("Positivt", Judgement.POSITIVE), ("Neg", Judgement.NEGATIVE),
    ("Negativ", Judgement.NEGATIVE), ("Oförändrad", Judgement.UNCHANGED)])
def test_parse_judgement(text: str, expected: Judgement) -> None:
    assert parse_judgement(text) is expected


def test_judge_goes_through_the_polarity() -> None:
    assert direction_between(Decimal(130), Decimal(86)) is Direction.DECREASING
    assert direction_between(Decimal("9.0"), Decimal("9.00")) is Direction.UNCHANGED
    assert judge(Direction.DECREASING, Polarity.LOWER_BETTER) is Judgement.POSITIVE
    assert judge(Direction.DECREASING, Polarity.HIGHER_BETTER) is Judgement.NEGATIVE
    assert judge(Direction.INCREASING, Polarity.HIGHER_BETTER) is Judgement.POSITIVE
    assert judge(Direction.INCREASING, Polarity.LOWER_BETTER) is Judgement.NEGATIVE
    assert judge(Direction.UNCHANGED, Polarity.LOWER_BETTER) is Judgement.UNCHANGED
    assert judge(Direction.INCREASING, Polarity.NEUTRAL) is None
    for direction in (Direction.INCREASING, Direction.DECREASING):
        for polarity in (Polarity.HIGHER_BETTER, Polarity.LOWER_BETTER):
            assert direction_for(judge(direction, polarity), polarity) is direction  # type: ignore[arg-type]
    assert direction_for(Judgement.POSITIVE, Polarity.NEUTRAL) is None
    assert direction_for(Judgement.UNCHANGED, Polarity.NEUTRAL) is Direction.UNCHANGED


def test_is_better() -> None:
    assert is_better(Decimal(86), Decimal(109), Polarity.LOWER_BETTER) is True
    assert is_better(Decimal(66), Decimal(70), Polarity.HIGHER_BETTER) is False
    assert is_better(Decimal(70), Decimal(70), Polarity.HIGHER_BETTER) is False
    assert is_better(Decimal(1), Decimal(2), Polarity.NEUTRAL) is None


# --- today, overdue, deviation -------------------------------------------------------------


def test_today_fixed() -> None:
    assert today(fixed="2025-09-30") == date(2025, 9, 30)
    assert today("Pacific/Kiritimati", "2025-01-01") == date(2025, 1, 1)


def test_today_fixed_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        today(fixed="30/9 2025")


@pytest.mark.parametrize("zone", ["Europe/Stockholm", "Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_today_is_the_date_in_the_time_zone(zone: str) -> None:
    before = datetime.now(ZoneInfo(zone)).date()
    got = today(zone)
    after = datetime.now(ZoneInfo(zone)).date()
    assert got in {before, after}


def test_today_depends_on_the_time_zone() -> None:
    # UTC+14 and UTC-11 are 25 hours apart: their dates always differ.
    east, west = today("Pacific/Kiritimati"), today("Pacific/Pago_Pago")
    assert east - west in {timedelta(days=1), timedelta(days=2)}


def test_today_defaults_to_stockholm() -> None:
    before = datetime.now(ZoneInfo("Europe/Stockholm")).date()
    got = today()
    after = datetime.now(ZoneInfo("Europe/Stockholm")).date()
    assert got in {before, after}


def test_today_unknown_zone_raises() -> None:
    with pytest.raises(Exception):  # noqa: B017 - ZoneInfoNotFoundError is a KeyError
        today("Mars/Olympus_Mons")


def test_is_overdue() -> None:
    on = date(2025, 9, 30)
    assert is_overdue(date(2025, 9, 29), Status.STARTED, on) is True
    assert is_overdue(date(2025, 2, 28), "not_started", on) is True
    assert is_overdue(date(2025, 9, 30), Status.STARTED, on) is False  # due today: not yet
    assert is_overdue(date(2025, 10, 1), Status.STARTED, on) is False
    assert is_overdue(date(2020, 1, 1), Status.COMPLETED, on) is False  # completed: never
    assert is_overdue(date(2020, 1, 1), "completed", on) is False
    assert is_overdue(None, Status.NOT_STARTED, on) is False  # no due date: never
    assert is_overdue(date(2020, 1, 1), Status.NOT_REPORTED, on) is True
    assert is_open(Status.NOT_REPORTED) and not is_open("completed")


def test_is_overdue_rejects_unknown_status() -> None:
    with pytest.raises(ValueError):
        is_overdue(date(2020, 1, 1), "Påbörjad", date(2025, 9, 30))


def test_days_overdue() -> None:
    assert days_overdue(date(2025, 2, 28), date(2025, 9, 30)) == 214
    assert days_overdue(date(2025, 9, 29), date(2025, 9, 30)) == 1


def test_deviation_is_forecast_minus_budget() -> None:
    # IT in the Norrtälje report: budget -41 225, forecast -39 853 → +1 372 (a surplus).
    got = deviation(Decimal("-41225"), Decimal("-39853"))
    assert got == Decimal("1372")
    assert format_number(got, signed=True) == "+1 372"
    # A cost overrun is negative.
    assert deviation(Decimal("-1000"), Decimal("-1200")) == Decimal("-200")
    assert deviation(Decimal("-32257"), Decimal("-32257")) == 0
