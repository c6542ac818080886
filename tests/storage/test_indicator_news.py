"""storage.indicator_news: what a digest tells of indicators — new values and turns for the
worse since the conversation's last digest — as plain functions, and its record on SQLite
and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine
from storage_helpers import write_csv

from storage import indicator_news, queries
from storage.db import session
from storage.importer import import_file
from storage.indicator_news import Seen, followed, news
from storage.organisations import OrganisationView
from storage.queries import IndicatorView, IndicatorYear

HEADER = ["Nyckeltal", "Riktning", "År", "Värde", "Trend", "Prognos"]


def view(id: int, years: list[tuple[int, str, str, str]], polarity: str = "lower_better",
         unit_id: int | None = None) -> IndicatorView:
    return IndicatorView(id, f"Indicator {id}", None, unit_id, "", "%", polarity, "", "", [
        IndicatorYear(year, Decimal(total) if total else None, None, None, None, None, trend,
                      direction) for year, total, trend, direction in years])


SICK_LEAVE = view(1, [(2021, "9.0", "", ""), (2022, "9.3", "", ""),
                      (2024, "", "", "decreasing")])


def test_nothing_new_when_nothing_changed() -> None:
    seen = {1: indicator_news.seen_now(SICK_LEAVE)}
    found = news([SICK_LEAVE], seen)
    assert not found and found.new_values == [] and found.turned_negative == []
    assert found.state == {1: Seen(2022, "9.3", "positive")}  # the forecast: decreasing


def test_a_new_year_and_a_corrected_figure_are_new_values() -> None:
    seen = {1: Seen(2021, "9.0", "positive")}
    assert news([SICK_LEAVE], seen).new_values == [SICK_LEAVE]
    assert news([SICK_LEAVE], {1: Seen(2022, "9.2", "positive")}).new_values == [SICK_LEAVE]


def test_an_indicator_added_since_is_new_even_when_negative() -> None:
    worse = view(2, [(2022, "5", "negative", "")])
    found = news([worse], {})
    assert found.new_values == [worse] and found.turned_negative == []


def test_turned_negative_is_told_once_and_not_twice() -> None:
    turned = view(1, [(2021, "9.0", "", ""), (2022, "9.3", "", ""),
                      (2024, "", "", "increasing")])  # lower is better: negative
    found = news([turned], {1: Seen(2022, "9.3", "positive")})
    assert found.turned_negative == [turned] and found.new_values == []
    assert not news([turned], found.state)  # the next digest: nothing new
    # a new value that makes it negative is told under "turned negative" only
    assert news([turned], {1: Seen(2021, "9.0", "")}).turned_negative == [turned]


def test_a_missing_value_is_no_news() -> None:
    empty = view(3, [(2023, "", "", "")])
    assert not news([empty], {})


def test_a_subscription_follows_its_units_indicators() -> None:
    a, b, c = view(1, [], unit_id=10), view(2, [], unit_id=20), view(3, [])
    assert followed([a, b, c], None) == [a, b, c]
    assert followed([a, b, c], {20}) == [b]


def test_recorded_per_conversation_within_the_organisation(
        engine: Engine, lerum: OrganisationView, nykoping: OrganisationView,
        tmp_path: Path) -> None:
    with session(engine, lerum.id) as s, s.begin():
        views = queries.indicators(s, lerum.id)
        indicator_news.record_baseline(s, lerum.id, "19:channel", views)
    with session(engine, lerum.id) as s:
        assert not news(views, indicator_news.last_seen(s, lerum.id, "19:channel"))
        assert indicator_news.last_seen(s, lerum.id, "19:other") == {}
    with session(engine, nykoping.id) as s:  # another organisation sees no record
        assert indicator_news.last_seen(s, nykoping.id, "19:channel") == {}
    # Lerum's sick leave for 2023 arrives, and its forecast turns to "Ökande" (negative)
    name = "Sjukfrånvaro samtlig månadsavlönad personal (%)"
    import_file(engine, lerum.id, write_csv(tmp_path / "ny.csv", [
        HEADER, [name, "Lägre är bättre", 2023, "9,6", "", ""],
        [name, "Lägre är bättre", 2024, "", "", "Ökande"]]))
    with session(engine, lerum.id) as s, s.begin():
        views = queries.indicators(s, lerum.id)
        found = news(views, indicator_news.last_seen(s, lerum.id, "19:channel"))
        assert [i.name for i in found.turned_negative] == [name]
        assert found.new_values == []
        indicator_news.record_seen(s, lerum.id, "19:channel", found.state)
    with session(engine, lerum.id) as s:
        assert not news(queries.indicators(s, lerum.id),
                        indicator_news.last_seen(s, lerum.id, "19:channel"))
    # a baseline again keeps what was told
    with session(engine, lerum.id) as s, s.begin():
        indicator_news.record_baseline(s, lerum.id, "19:channel", [])
        assert len(indicator_news.last_seen(s, lerum.id, "19:channel")) == 6
