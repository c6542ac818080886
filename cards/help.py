"""Help, units and 'which unit did you mean?' cards."""

from __future__ import annotations

from tabulate import tabulate

from cards.elements import Card, Element, ask_action, card, container, heading, subtle, text
from cards.texts import t

EXAMPLES: dict[str, list[tuple[str, str]]] = {
    "sv": [
        ("help_forecast", "Hur går det för IT?"),
        ("help_overdue", "Vilka uppdrag är försenade för Stab?"),
        ("help_due_soon", "Vad förfaller snart?"),
        ("help_status", "Status trygghetskameror"),
        ("help_summary", "Sammanställning"),
        ("help_units", "Enheter"),
    ],
    "en": [
        ("help_forecast", "What's IT's forecast?"),
        ("help_overdue", "Which assignments are overdue?"),
        ("help_due_soon", "What is due soon?"),
        ("help_status", "Status trygghetskameror"),
        ("help_summary", "Summary"),
        ("help_units", "Units"),
    ],
}


def help_card(lang: str, intro: str | None = None) -> Card:
    examples = EXAMPLES.get(lang, EXAMPLES["sv"])
    body: list[Element] = [heading(t(lang, "help_title")),
                           text(intro or t(lang, "help_intro"))]
    body.extend(
        container([text(t(lang, key), weight="Bolder"), subtle(f"”{example}”")])
        for key, example in examples
    )
    return card(body, [ask_action(example, example) for _, example in examples[:5]])


def help_text(lang: str) -> str:
    examples = EXAMPLES.get(lang, EXAMPLES["sv"])
    return t(lang, "help_title") + ": " + "; ".join(f"”{e}”" for _, e in examples)


def units_card(lang: str, units: list[tuple[str, int, bool]]) -> Card:
    body: list[Element] = [heading(t(lang, "units_title"))]
    body.extend(
        {
            "type": "ColumnSet",
            "columns": [
                {"type": "Column", "width": "stretch", "items": [text(name, weight="Bolder")]},
                {"type": "Column", "width": "auto", "items": [
                    subtle(t(lang, "assignments_n", n=n)
                           + (f" · {t(lang, 'has_finance')}" if finance else ""))]},
            ],
            "separator": True,
        }
        for name, n, finance in units
    )
    return card(body)


def units_text(lang: str, units: list[tuple[str, int, bool]]) -> str:
    return f"{t(lang, 'units_title')}: " + ", ".join(name for name, _, _ in units)


def units_table(lang: str, units: list[tuple[str, int, bool]]) -> str:
    rows = [(name, n, "✓" if finance else "") for name, n, finance in units]
    return tabulate(rows, headers=[t(lang, "units_title"), "#", t(lang, "has_finance")])


def unknown_unit_card(lang: str, typed: str, suggestions: list[str],
                      question_for: dict[str, str]) -> Card:
    """`question_for` maps each suggested unit to the question its button asks."""
    body: list[Element] = [
        text(t(lang, "unknown_unit", text=typed), weight="Bolder"),
        text(t(lang, "did_you_mean") if suggestions else t(lang, "all_units_hint")),
    ]
    actions = [ask_action(name, question_for[name]) for name in suggestions]
    return card(body, actions)


def unknown_unit_text(lang: str, typed: str, suggestions: list[str]) -> str:
    hint = (t(lang, "did_you_mean") + " " + ", ".join(suggestions)) if suggestions else t(
        lang, "all_units_hint"
    )
    return f"{t(lang, 'unknown_unit', text=typed)} {hint}"
