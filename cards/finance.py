"""The forecast card: a unit's full-year budget, forecast and deviation."""

from __future__ import annotations

from decimal import Decimal

from tabulate import tabulate

from cards.elements import Card, ask_action, card, container, facts, heading, subtle, text
from cards.texts import day, t
from storage.domain import format_number
from storage.queries import AssignmentCounts, FinanceView


def deviation_words(lang: str, value: Decimal) -> str:
    """'+1 372 tkr (överskott)'. Costs are negative, so a positive deviation is a surplus."""
    word = t(lang, "surplus" if value > 0 else "deficit" if value < 0 else "balanced")
    return f"{format_number(value, signed=True)} tkr ({word})"


def _figures(lang: str, f: FinanceView) -> list[tuple[str, str]]:
    return [
        (t(lang, "budget_year"), format_number(f.budget_year)),
        (t(lang, "forecast_year"), format_number(f.forecast_year)),
        (t(lang, "deviation"), deviation_words(lang, f.deviation)),
        (
            t(lang, "period_actual"),
            f"{format_number(f.actual_period)} {t(lang, 'of_budget', budget=format_number(f.budget_period))}",  # noqa: E501
        ),
    ]


def forecast_card(lang: str, f: FinanceView, counts: AssignmentCounts) -> Card:
    color = "Good" if f.deviation > 0 else "Attention" if f.deviation < 0 else "Default"
    comment = [text(p) for p in f.comment.split("\n") if p.strip()] or [
        text(t(lang, "no_comment"), isSubtle=True)
    ]
    body = [
        heading(t(lang, "forecast_title", unit=f.unit)),
        subtle(t(lang, "period_subtitle", period=day(f.period_end))),
        text(deviation_words(lang, f.deviation), size="ExtraLarge", weight="Bolder",
             color=color),
        facts(_figures(lang, f)),
        container([text(t(lang, "comment"), weight="Bolder"), *comment]),
        container(
            [
                text(t(lang, "unit_assignments", unit=f.unit), weight="Bolder"),
                facts(
                    [
                        (t(lang, "on_plan"), str(counts.on_plan)),
                        (t(lang, "deviating"), str(counts.deviating)),
                        (t(lang, "overdue_count"), str(counts.overdue)),
                    ]
                ),
            ]
        ),
    ]
    question = ("försenade för " if lang == "sv" else "overdue for ") + f.unit
    return card(body, [ask_action(t(lang, "show_overdue_for", unit=f.unit), question)])


def forecast_text(lang: str, f: FinanceView) -> str:
    return (
        f"{t(lang, 'forecast_title', unit=f.unit)} ({day(f.period_end)}): "
        f"{t(lang, 'budget_year').lower()} {format_number(f.budget_year)}, "
        f"{t(lang, 'forecast_year').lower()} {format_number(f.forecast_year)}, "
        f"{deviation_words(lang, f.deviation)}."
    )


def forecast_table(lang: str, f: FinanceView) -> str:
    rows = _figures(lang, f)
    return "\n".join(
        [
            forecast_text(lang, f),
            "",
            tabulate(rows, tablefmt="simple", disable_numparse=True),
            "",
            f.comment,
        ]
    ).strip()
