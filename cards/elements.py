"""Small builders for Adaptive Card 1.5 elements, shared by every card, and the escaping that
keeps user data (imported titles, comments) from being read as Markdown anywhere."""

from __future__ import annotations

import json
import re
from typing import Any

from tabulate import tabulate

from understanding.question import AssignmentFilter, Form, Intent, Question

Card = dict[str, Any]
Element = dict[str, Any]

# Teams refuses messages over about 28 KB; the activity envelope counts too.
MAX_CARD_BYTES = 28_000
CARD_BUDGET_BYTES = 24_000
# A text answer ("as text") is a message too: at most this much, as json.dumps measures it.
TEXT_BUDGET_BYTES = 24_000
TEXT_PREVIEW = 400
# The plain-text summary sent with a card (notifications, card-less clients) travels in the
# same message, under the same limit: one paragraph of at most this many characters.
SUMMARY_CHARS = 1000

_MARKDOWN = re.compile(r"([\\*_\[\]`~])")
# A line that would start a heading, quote or list. A bullet or "#" is escaped by a backslash
# before it; an ordered list's number by one before its "." or ")" (CommonMark escapes only
# punctuation: a backslash before a digit shows as a backslash, "\\1. Ekonomi").
_LINE_START = re.compile(r"^(\s*)(?:([#>+-])|(\d{1,9})([.)]))(?=[ \t]|$)", re.MULTILINE)


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


def size(value: object) -> int:
    """Bytes as the card is measured against Teams' limit (json.dumps, ASCII-escaped)."""
    return len(json.dumps(value))


def escape(value: str) -> str:
    """User data in a TextBlock or a Markdown message: never formatting, never a link."""
    escaped = _MARKDOWN.sub(r"\\\1", value).replace("<", "&lt;")
    return _LINE_START.sub(lambda m: m[1] + (f"\\{m[2]}" if m[2] else f"{m[3]}\\{m[4]}"),
                           escaped)


def summary(value: str, limit: int = SUMMARY_CHARS) -> str:
    """A card's plain-text summary (Teams reads a message's text as Markdown): one paragraph,
    at most `limit` characters, user data in it never formatting. Build the sentence with
    the data as it is; this escapes it (the catalogue's sentences hold no Markdown)."""
    return escape(shorten(value, limit))


def shorten(value: str, limit: int = TEXT_PREVIEW) -> str:
    """One paragraph of at most `limit` characters, cut with "…" (the full text is reachable
    from the card: "as text")."""
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def text_table(rows: list[Any], headers: list[str] | None = None,
               colalign: tuple[str, ...] | None = None) -> str:
    """The "as text" form of any table: a pipe table in a code block, so columns stay
    aligned in Teams and two figures side by side never read as one ("18 | 3", not "18 3",
    which is 18 003 in Swedish). Long texts (titles) go in the last column, unwrapped."""
    options: dict[str, Any] = {"tablefmt": "github", "disable_numparse": True}
    if headers is not None:
        options["headers"] = headers
    if colalign is not None:
        options["colalign"] = colalign
    return code_block("\n".join(_open_ended(line) for line in
                                tabulate(rows, **options).split("\n")))


_SEPARATOR = re.compile(r"^[|:\- ]+$")


def _open_ended(line: str) -> str:
    """A row without its closing pipe and the last column's padding: every row was padded to
    the longest title, so one long title made every line of the table that long."""
    if _SEPARATOR.match(line):
        head, _, last = line.rstrip("|").rpartition("|")
        return f"{head}|{last[:10]}"
    return line.rstrip().removesuffix("|").rstrip()


def fit_text(value: str, tail: str = "", budget: int = TEXT_BUDGET_BYTES) -> str:
    """A text answer within a message's limit (json.dumps bytes): whole when it fits, else
    cut at a line (a code block left open is closed), with "…" and `tail` after it."""
    if size(value) <= budget:
        return value
    lines = value.split("\n")

    def cut(n: int, part: str = "") -> str:
        kept = lines[:n] + ([part + "…"] if part else [])
        fenced = sum(line.startswith("```") for line in kept) % 2 == 1
        return "\n".join(kept + (["```"] if fenced else []) + ["", tail if tail else "…"])

    low, high = 0, len(lines)  # the most whole lines that fit
    while low < high:
        middle = (low + high + 1) // 2
        if size(cut(middle)) <= budget:
            low = middle
        else:
            high = middle - 1
    if low < len(lines):  # and as much of the next line as fits
        line = lines[low]
        start, end = 0, len(line)
        while start < end:
            middle = (start + end + 1) // 2
            if size(cut(low, line[:middle])) <= budget:
                start = middle
            else:
                end = middle - 1
        if start:
            return cut(low, line[:start])
    return cut(low)


def code_block(table: str) -> str:
    """Text Teams shows in monospace, as it is (no Markdown inside), whatever it holds."""
    return "```\n" + table.replace("```", "'''") + "\n```"


def heading(value: str) -> Element:
    return {"type": "TextBlock", "text": escape(value), "size": "Large", "weight": "Bolder",
            "wrap": True, "style": "heading"}


def subtle(value: str) -> Element:
    return {"type": "TextBlock", "text": escape(value), "isSubtle": True, "spacing": "None",
            "wrap": True}


def text(value: str, **extra: Any) -> Element:
    return {"type": "TextBlock", "text": escape(value), "wrap": True, **extra}


def facts(pairs: list[tuple[str, str]]) -> Element:
    return {"type": "FactSet",
            "facts": [{"title": escape(k), "value": escape(v)} for k, v in pairs]}


def container(items: list[Element], separator: bool = True) -> Element:
    return {"type": "Container", "items": items, "separator": separator, "spacing": "Medium"}


def ask_action(title: str, question: Question) -> Element:
    """A button that asks the bot a question: it carries the question itself, structured,
    never a sentence to be understood again."""
    return {"type": "Action.Submit", "title": title[:80], "data": {"q": question.to_data()}}


def detail_question(number: int, as_text: bool = False) -> Question:
    return Question(Intent.ASSIGNMENTS, Form.DETAIL,
                    filter=AssignmentFilter(numbers=(number,)), as_text=as_text)


def update_question(number: int) -> Question:
    return Question(Intent.UPDATE, filter=AssignmentFilter(numbers=(number,)))


def update_action(number: int, title: str) -> Element:
    """The Update button on an assignment's card and on each item of a nudge (a list's row
    opens the assignment's card instead): opens the update card for that assignment."""
    return ask_action(title, update_question(number))


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
