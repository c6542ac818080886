"""What an indicator's figures say, as plain functions: its latest value, which way it goes
and whether that is good. Direction and judgement are different things: where only one is
printed, the other follows through the polarity (a ranking going 130 → 86 is "decreasing"
and positive); where both are printed, both are kept as printed."""

from __future__ import annotations

from decimal import Decimal

from storage.domain import (
    Direction,
    Judgement,
    Polarity,
    direction_between,
    direction_for,
    is_better,
    judge,
)
from storage.queries import IndicatorView, IndicatorYear


def polarity(i: IndicatorView) -> Polarity:
    try:
        return Polarity(i.polarity)
    except ValueError:
        return Polarity.NEUTRAL


def latest(i: IndicatorView) -> IndicatorYear | None:
    """The newest year with a value."""
    with_value = [y for y in i.years if y.total is not None]
    return with_value[-1] if with_value else None


def previous(i: IndicatorView) -> IndicatorYear | None:
    """The year with a value before the latest one."""
    with_value = [y for y in i.years if y.total is not None]
    return with_value[-2] if len(with_value) > 1 else None


def change(i: IndicatorView) -> Decimal | None:
    now, before = latest(i), previous(i)
    if now is None or before is None:
        return None
    return now.total - before.total  # type: ignore[operator]


def forecast_year(i: IndicatorView) -> IndicatorYear | None:
    """A year after the latest value that carries only a printed direction (Lerum's
    "Prognos 2024")."""
    now = latest(i)
    ahead = [y for y in i.years if y.total is None and y.direction
             and (now is None or y.year > now.year)]
    return ahead[-1] if ahead else None


def direction(i: IndicatorView) -> Direction | None:
    """Which way it is going: a printed forecast, else a printed judgement turned round by
    the polarity, else the change between the last two values."""
    ahead = forecast_year(i)
    if ahead is not None:
        return Direction(ahead.direction)
    now = latest(i)
    if now is not None and now.direction:
        return Direction(now.direction)
    if now is not None and now.trend:
        found = direction_for(Judgement(now.trend), polarity(i))
        if found is not None:
            return found
    before = previous(i)
    if now is not None and before is not None:
        return direction_between(before.total, now.total)  # type: ignore[arg-type]
    return None


def judgement(i: IndicatorView) -> Judgement | None:
    """Whether it is going well: a printed judgement, else the direction through the
    polarity (None for neutral indicators and where nothing tells)."""
    now = latest(i)
    if now is not None and now.trend:
        return Judgement(now.trend)
    found = direction(i)
    return judge(found, polarity(i)) if found is not None else None


def below_target(i: IndicatorView) -> bool:
    now = latest(i)
    if now is None or now.target is None:
        return False
    better = is_better(now.total, now.target, polarity(i))  # type: ignore[arg-type]
    return better is False and now.total != now.target


def worse_than_comparison(i: IndicatorView) -> bool:
    now = latest(i)
    if now is None or now.comparison is None:
        return False
    better = is_better(now.total, now.comparison, polarity(i))  # type: ignore[arg-type]
    return better is False and now.total != now.comparison


def has_gender_split(i: IndicatorView) -> bool:
    return any(y.women is not None or y.men is not None for y in i.years)
