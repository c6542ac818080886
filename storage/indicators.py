"""What an indicator's figures say, as plain functions: its latest value, which way it goes
and whether that is good. Direction and judgement are different things: where only one is
printed, the other follows through the polarity (a ranking going 130 → 86 is "decreasing"
and positive); where both are printed, both are kept as printed."""

from __future__ import annotations

from dataclasses import dataclass
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


def _enum(kind: type[Direction] | type[Judgement], value: str):  # noqa: ANN202
    try:
        return kind(value) if value else None
    except ValueError:
        return None


def printed_direction(y: IndicatorYear) -> Direction | None:
    return _enum(Direction, y.direction)


def printed_judgement(y: IndicatorYear) -> Judgement | None:
    return _enum(Judgement, y.trend)


@dataclass(frozen=True)
class Development:
    """Direction and judgement together, for one year; `printed` says whether a report
    printed (one of) them, or they were computed from the change between two values."""

    year: int
    direction: Direction | None
    judgement: Judgement | None
    printed: str = ""  # "forecast" (printed direction), "trend" (printed judgement) or ""


def latest(i: IndicatorView) -> IndicatorYear | None:
    """The newest year with a value (a missing value is missing, not zero)."""
    return next((y for y in reversed(i.years) if y.total is not None), None)


def previous(i: IndicatorView) -> IndicatorYear | None:
    """The year with a value before the latest one (missing years are skipped)."""
    with_value = [y for y in i.years if y.total is not None]
    return with_value[-2] if len(with_value) > 1 else None


def change(i: IndicatorView) -> Decimal | None:
    now, before = latest(i), previous(i)
    if now is None or before is None:
        return None
    return now.total - before.total  # type: ignore[operator]


def computed(i: IndicatorView) -> Development | None:
    """The change between the last two values, judged through the polarity."""
    now, before = latest(i), previous(i)
    if now is None or before is None:
        return None
    moved = direction_between(before.total, now.total)  # type: ignore[arg-type]
    return Development(now.year, moved, judge(moved, polarity(i)))


def printed(i: IndicatorView) -> Development | None:
    """The newest printed trend or forecast, its missing half derived through the polarity
    (Lerum's "Prognos 2024: Minskande" of a ranking is positive)."""
    for y in reversed(i.years):
        direction, judgement = _enum(Direction, y.direction), _enum(Judgement, y.trend)
        if direction is None and judgement is None:
            continue
        if judgement is None:
            return Development(y.year, direction, judge(direction, polarity(i)), "forecast")
        if direction is None:
            return Development(y.year, direction_for(judgement, polarity(i)), judgement,
                               "trend")
        return Development(y.year, direction, judgement, "trend")
    return None


def development(i: IndicatorView) -> Development | None:
    """Which way it goes and whether that is good: the report's own word when it is at least
    as new as the latest value, else the computed change."""
    said, now = printed(i), latest(i)
    if said is not None and (now is None or said.year >= now.year):
        return said
    return computed(i) or said


def forecast_year(i: IndicatorView) -> IndicatorYear | None:
    """A year after the latest value that carries only a printed direction (Lerum's
    "Prognos 2024")."""
    now = latest(i)
    ahead = [y for y in i.years if y.total is None and y.direction
             and (now is None or y.year > now.year)]
    return ahead[-1] if ahead else None


def direction(i: IndicatorView) -> Direction | None:
    found = development(i)
    return found.direction if found else None


def judgement(i: IndicatorView) -> Judgement | None:
    """Whether it is going well (None for neutral indicators and where nothing tells)."""
    found = development(i)
    return found.judgement if found else None


def versus(i: IndicatorView, other: Decimal | None) -> str | None:
    """The latest value against a target or a comparison value: "better", "worse" or
    "equal" by the polarity (None when either is missing or the indicator is neutral)."""
    now = latest(i)
    if now is None or now.total is None or other is None:
        return None
    if now.total == other:
        return "equal"
    better = is_better(now.total, other, polarity(i))
    return None if better is None else "better" if better else "worse"


def versus_target(i: IndicatorView) -> str | None:
    now = latest(i)
    return versus(i, now.target if now else None)


def versus_comparison(i: IndicatorView) -> str | None:
    now = latest(i)
    return versus(i, now.comparison if now else None)


def below_target(i: IndicatorView) -> bool:
    return versus_target(i) == "worse"


def worse_than_comparison(i: IndicatorView) -> bool:
    return versus_comparison(i) == "worse"


def has_gender_split(i: IndicatorView) -> bool:
    return any(y.women is not None or y.men is not None for y in i.years)
