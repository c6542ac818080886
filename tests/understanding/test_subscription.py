"""The subscription grammar (ported from tests/test_nudges.py), in all three languages, with
coded refusals."""

from __future__ import annotations

import pytest

from storage.schedule import SubscriptionOptions
from understanding.subscription import SubscriptionError, parse_subscription, parse_time_of_day


def test_defaults_and_options() -> None:
    assert parse_subscription("") == SubscriptionOptions()
    o = parse_subscription("IT, Stab och planering veckovis fredag kl 9")
    assert (o.unit_words, o.frequency, o.weekday, o.time_of_day) == (
        ["IT", "Stab och planering"], "weekly", 4, "09:00")
    o = parse_subscription("IT weekly on monday at 7:30 lead 10 days long 40 days")
    assert (o.lead_days, o.long_lead_days, o.weekday, o.time_of_day) == (10, 40, 0, "07:30")
    assert parse_subscription("varje måndag").frequency == "weekly"
    assert parse_subscription("alla enheter dagligen").unit_words == []
    assert parse_subscription("IT 45 dagar").long_lead_days == 45  # never below lead


def test_the_time_of_day_defaults_to_the_organisations() -> None:
    assert parse_subscription("IT veckovis").time_of_day is None


def test_swedish_example_from_the_brief() -> None:
    o = parse_subscription("IT, Stab veckovis måndag kl 9 14 dagar")
    assert (o.unit_words, o.frequency, o.weekday, o.time_of_day, o.lead_days) == (
        ["IT", "Stab"], "weekly", 0, "09:00", 14)


def test_finnish() -> None:
    o = parse_subscription("IT viikoittain maanantaisin klo 9")
    assert (o.unit_words, o.frequency, o.weekday, o.time_of_day) == (["IT"], "weekly", 0,
                                                                     "09:00")
    o = parse_subscription("Stab, HR päivittäin klo 7.30 10 päivää")
    assert (o.unit_words, o.frequency, o.time_of_day, o.lead_days) == (["Stab", "HR"], "daily",
                                                                       "07:30", 10)
    assert parse_subscription("kaikki yksiköt perjantaisin").weekday == 4


def test_weeks_of_lead_time() -> None:
    assert parse_subscription("IT 2 veckor innan").lead_days == 14
    assert parse_subscription("IT lead 3 weeks").lead_days == 21


@pytest.mark.parametrize(("text", "code"), [("kl 25", "time_invalid"), ("kl 9.75", "time_invalid"),
                                            ("0 dagar", "lead_out_of_range"),
                                            ("999 dagar", "lead_out_of_range"),
                                            # five digits were not read at all:
                                            # "IT 99999 dagar" subscribed with 7 days
                                            ("99999 dagar", "lead_out_of_range"),
                                            ("IT 1000000 days", "lead_out_of_range"),
                                            ("lång 12345 dagar", "lead_out_of_range"),
                                            ("dagligen veckovis", "frequency_conflict"),
                                            ("daily weekly", "frequency_conflict")])
def test_refusals_are_coded(text: str, code: str) -> None:
    with pytest.raises(SubscriptionError) as caught:
        parse_subscription(text)
    assert caught.value.code == code
    assert isinstance(caught.value, ValueError)
    if code == "lead_out_of_range":
        assert caught.value.details["limit"] == 365


def test_parse_time_of_day() -> None:
    assert parse_time_of_day("8") == "08:00"
    assert parse_time_of_day("08.30") == "08:30"
    assert parse_time_of_day("0830") == "08:30"
    with pytest.raises(SubscriptionError):
        parse_time_of_day("24:00")
