"""Finance across units, as plain functions on the units' latest figures: rankings and
which units are in deficit, surplus or balance. Deviation = forecast − budget; costs are
negative, so a positive deviation is a surplus."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from storage.queries import FinanceView

MEASURES = ("deficit", "surplus", "budget", "forecast", "actual")
BALANCES = ("deficit", "surplus", "balanced")


def measure_value(f: FinanceView, measure: str) -> Decimal:
    return {"deficit": f.deviation, "surplus": f.deviation, "budget": f.budget_year,
            "forecast": f.forecast_year, "actual": f.actual_period}[measure]


def ranked(views: Sequence[FinanceView], measure: str) -> list[FinanceView]:
    """The units a ranking lists, first first: the most negative / positive deviation (only
    units that have a deficit / surplus), or the largest figure by absolute size (costs are
    negative: the largest budget is the most negative one). Ties by name."""
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}")
    if measure == "deficit":
        return sorted((f for f in views if f.deviation < 0), key=lambda f: (f.deviation, f.unit))
    if measure == "surplus":
        return sorted((f for f in views if f.deviation > 0),
                      key=lambda f: (-f.deviation, f.unit))
    return sorted(views, key=lambda f: (-abs(measure_value(f, measure)), f.unit))


def with_balance(views: Sequence[FinanceView], balance: str) -> list[FinanceView]:
    if balance not in BALANCES:
        raise ValueError(f"unknown balance {balance!r}")
    test = {"deficit": lambda d: d < 0, "surplus": lambda d: d > 0,
            "balanced": lambda d: d == 0}[balance]
    return [f for f in views if test(f.deviation)]
