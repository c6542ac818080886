"""Helpers for the card tests: views built by hand, the buttons of a card as questions, and
what Teams shows of a Markdown text (to prove user data is never read as formatting)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from storage.domain import Forecast, Status
from storage.due import NudgeItem
from storage.queries import AssignmentView, CommentView
from understanding.question import Question

# A title as an export may hold it: every Markdown construct Teams would format.
MARKDOWN_TITLE = "**Fet** [länk](http://x) `kod` _kursiv_ ~struken~ <b>html</b>"
MARKDOWN_LINES = "# Rubrik\n> citat\n- punkt\n1. lista"


def view(number: int, due: date | None = None, *, unit: str = "IT", unit_id: int = 1,
         status: Status = Status.STARTED, forecast: Forecast = Forecast.ON_PLAN,
         title: str | None = None, comments: list[CommentView] | None = None,
         **extra: Any) -> AssignmentView:
    return AssignmentView(number, number, extra.pop("kind", "Uppdrag"),
                          extra.pop("goal_area", ""), title or f"Uppdrag {number}", unit,
                          unit_id, due, status, forecast, extra.pop("version", 1),
                          comments=comments or [], **extra)


def comment(text: str, on: date, author: str = "import", changes: str = "") -> CommentView:
    return CommentView(text, author, datetime(on.year, on.month, on.day, 9, tzinfo=UTC),
                       changes)


def nudge_item(a: AssignmentView, first_seen: date | None = None) -> NudgeItem:
    return NudgeItem(a, a.unit_id, first_seen)


def elements(node: Any) -> Iterator[dict[str, Any]]:
    """Every object of a card, depth first in order, but not inside an action's `data`
    (what a button submits is not shown)."""
    if isinstance(node, dict):
        yield node
        for key, inner in node.items():
            if key != "data":
                yield from elements(inner)
    elif isinstance(node, list):
        for inner in node:
            yield from elements(inner)


def actions(node: Any) -> list[dict[str, Any]]:
    """Every action of a card (its own, ActionSets', selectActions), in order."""
    return [e for e in elements(node) if str(e.get("type", "")).startswith("Action.")]


def asked(node: Any) -> list[Question]:
    """The questions a card's buttons ask (Action.Submit carrying {"q": …})."""
    return [Question.from_data(a["data"]["q"]) for a in actions(node)
            if isinstance(a.get("data"), dict) and "q" in a["data"]]


def texts(node: Any) -> list[str]:
    """Every Markdown text a card shows: TextBlocks, facts (titles and values)."""
    found: list[str] = []
    for e in elements(node):
        if e.get("type") == "TextBlock":
            found.append(e["text"])
        if e.get("type") == "FactSet":
            for fact in e["facts"]:
                found.extend([fact["title"], fact["value"]])
    return found


_PUNCTUATION = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_FORMATTING = set("*_`[]~")
_BLOCK_START = re.compile(r"^\s*([#>+-]|\d+\.)( |$)", re.MULTILINE)


def shown(markdown: str) -> str:
    """What Teams shows of a Markdown text, or AssertionError where the text would format:
    an unescaped *, _, `, [, ], ~ or '<', or a line starting a heading, quote or list.
    A backslash before ASCII punctuation shows the punctuation (CommonMark), &lt; is '<'.
    A whole line in **…** is the bot's own bold heading: its inside is checked."""
    markdown = "\n".join(line[2:-2] if len(line) > 4 and line.startswith("**")
                          and line.endswith("**") else line for line in markdown.split("\n"))
    if match := _BLOCK_START.search(markdown):
        raise AssertionError(f"line starts a Markdown block: {match[0]!r} in {markdown!r}")
    out: list[str] = []
    i = 0
    while i < len(markdown):
        char = markdown[i]
        if char == "\\" and i + 1 < len(markdown) and markdown[i + 1] in _PUNCTUATION:
            out.append(markdown[i + 1])
            i += 2
            continue
        if markdown.startswith("&lt;", i):
            out.append("<")
            i += 4
            continue
        if char in _FORMATTING or char == "<":
            around = markdown[max(0, i - 30):i + 30]
            raise AssertionError(f"unescaped {char!r} at {i} in {around!r}")
        out.append(char)
        i += 1
    return "".join(out)


def in_code_block(text: str) -> list[str]:
    """The lines inside ``` fences (shown as they are, monospace); asserts the fences pair."""
    lines = text.split("\n")
    fences = [i for i, line in enumerate(lines) if line.startswith("```")]
    assert len(fences) % 2 == 0, text
    inside: list[str] = []
    for start, end in zip(fences[::2], fences[1::2], strict=True):
        inside += lines[start + 1:end]
    return inside


def outside_code_blocks(text: str) -> str:
    lines = text.split("\n")
    kept, fenced = [], False
    for line in lines:
        if line.startswith("```"):
            fenced = not fenced
            continue
        if not fenced:
            kept.append(line)
    return "\n".join(kept)
