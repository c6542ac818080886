"""Small builders for Adaptive Card 1.5 elements, shared by every card."""

from __future__ import annotations

from typing import Any

Card = dict[str, Any]
Element = dict[str, Any]


def card(body: list[Element], actions: list[Element] | None = None) -> Card:
    result: Card = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "msteams": {"width": "Full"},
        "body": body,
    }
    if actions:
        result["actions"] = actions
    return result


def escape(text: str) -> str:
    """Keep user data from being read as Markdown by the TextBlock renderer."""
    for char in ("\\", "*", "_", "[", "]", "`"):
        text = text.replace(char, "\\" + char)
    return text


def heading(text: str) -> Element:
    return {"type": "TextBlock", "text": escape(text), "size": "Large", "weight": "Bolder",
            "wrap": True, "style": "heading"}


def subtle(text: str) -> Element:
    return {"type": "TextBlock", "text": escape(text), "isSubtle": True, "spacing": "None",
            "wrap": True}


def text(value: str, **extra: Any) -> Element:
    return {"type": "TextBlock", "text": escape(value), "wrap": True, **extra}


def facts(pairs: list[tuple[str, str]]) -> Element:
    return {"type": "FactSet",
            "facts": [{"title": escape(k), "value": escape(v)} for k, v in pairs]}


def container(items: list[Element], separator: bool = True) -> Element:
    return {"type": "Container", "items": items, "separator": separator, "spacing": "Medium"}


def ask_action(title: str, question: str) -> Element:
    """A button that asks the bot a question, as if the user had typed it."""
    return {"type": "Action.Submit", "title": title, "data": {"ask": question}}


def update_action(assignment_id: int, lang: str) -> Element:
    """The Update button on every assignment card, overdue row and nudge: opens the
    update card for that assignment."""
    title = "Uppdatera" if lang == "sv" else "Update"
    word = "uppdatera" if lang == "sv" else "update"
    return ask_action(title, f"{word} #{assignment_id}")


# --- tables (Adaptive Cards 1.5 Table), for figures in rows and columns -----------------------


def table_row(values: list[str], bold: bool = False, style: str | None = None) -> Element:
    """One row of plain-text cells; `style` (e.g. "emphasis", "accent") highlights it."""
    row: Element = {
        "type": "TableRow",
        "cells": [{"type": "TableCell",
                   "items": [text(v, **({"weight": "Bolder"} if bold else {}))]}
                  for v in values],
    }
    if style:
        row["style"] = style
    return row


def table(columns: list[tuple[int, str]], rows: list[Element], header: bool = True) -> Element:
    """A Table of `rows`; `columns` are (relative width, "Left" | "Right"): figures are
    right-aligned per column, which keeps every cell small (the 28 KB card limit)."""
    return {
        "type": "Table",
        "columns": [{"width": width, "horizontalCellContentAlignment": align}
                    for width, align in columns],
        "rows": rows,
        "firstRowAsHeader": header,
        "showGridLines": True,
    }
