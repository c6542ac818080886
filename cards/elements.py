"""Small builders for Adaptive Card 1.5 elements, shared by every card, and the escaping that
keeps user data (imported titles, comments) from being read as Markdown anywhere."""

from __future__ import annotations

import json
import re
from typing import Any

from understanding.question import AssignmentFilter, Form, Intent, Question

Card = dict[str, Any]
Element = dict[str, Any]

# Teams refuses messages over about 28 KB; the activity envelope counts too.
MAX_CARD_BYTES = 28_000
CARD_BUDGET_BYTES = 24_000
TEXT_PREVIEW = 400

_MARKDOWN = re.compile(r"([\\*_\[\]`~])")
_LINE_START = re.compile(r"^(\s*)([#>+-]|\d+\.)(?= )", re.MULTILINE)


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
    return _LINE_START.sub(lambda m: m[1] + "\\" + m[2], escaped)


def shorten(value: str, limit: int = TEXT_PREVIEW) -> str:
    """One paragraph of at most `limit` characters, cut with "…" (the full text is reachable
    from the card: "as text")."""
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def code_block(table: str) -> str:
    """A text table Teams shows with its columns aligned (monospace), whatever it holds."""
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
    """The Update button on every assignment card, list row and nudge: opens the update card
    for that assignment (its number in the organisation)."""
    return ask_action(title, update_question(number))
