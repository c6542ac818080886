"""The search-based message extension: the compose box of any chat finds the organisation's
assignments (title words, unit names, #N, with the chat's understanding: synonyms, typos,
inflections); picking one inserts its card, with its Update button.

Invokes: composeExtension/query (results, at most 25, each with a preview) and
composeExtension/selectItem (the picked assignment's full card). An empty search lists the
user's own units' assignments (managers), else the organisation's open ones due soonest.
"""

from __future__ import annotations

import re
from typing import Any

from botbuilder.core import TurnContext

from cards import assignments as assignment_cards
from cards.texts import day, status_label, t
from dialogs.conversation import Conversation
from storage import queries
from storage.db import run, session
from storage.filters import AssignmentFilter
from storage.roles import managed_unit_ids
from understanding.question import Intent, Question

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_RESULTS = 25
MAX_QUERY = 200
COMMAND_ID = "searchAssignments"


def _query_text(value: dict[str, Any]) -> tuple[str, int]:
    text = ""
    for parameter in value.get("parameters") or []:
        if isinstance(parameter, dict) and parameter.get("name") in ("query", "searchText"):
            raw = parameter.get("value")
            text = raw[:MAX_QUERY] if isinstance(raw, str) else ""
    options = value.get("queryOptions") if isinstance(value.get("queryOptions"), dict) else {}
    skip = options.get("skip") if isinstance(options.get("skip"), int) else 0
    # Control characters name nothing, and PostgreSQL refuses a NUL in any query parameter.
    text = _CONTROL.sub(" ", text)
    return text.strip(), max(0, min(skip, 1000))


class ComposeSearch:
    def __init__(self, conversation: Conversation) -> None:
        self._conversation = conversation

    async def query(self, context: TurnContext, value: dict[str, Any]) -> dict[str, Any]:
        words, skip = _query_text(value)
        ask = self._conversation.ask_for(context, Question(Intent.ASSIGNMENTS))
        found = await run(ask.engine, self._find, ask, words, skip)
        found = found[skip:skip + MAX_RESULTS] if words else found[:MAX_RESULTS]
        return {"composeExtension": {
            "type": "result", "attachmentLayout": "list",
            "attachments": [self._result(ask.lang, a, ask.today) for a in found],
        }}

    def _filter(self, ask: Any, words: str) -> AssignmentFilter | None:
        """What the words name, read by the chat's own understanding (synonyms, typos,
        inflections): assignments by title words or #N, a unit's assignments, or a filter
        ("försenade IT"). None when they name nothing: then titles are searched word by word."""
        catalog = self._conversation.catalog(ask.org)
        q = self._conversation.understander.understand(words, catalog, ask.today)
        if q.intent in (Intent.ASSIGNMENTS, Intent.UPDATE) and not q.filter.empty:
            return q.filter
        if q.intent in (Intent.FINANCE, Intent.BUDGET, Intent.INDICATORS) and q.units:
            return AssignmentFilter(unit_ids=q.units)
        return None

    def _find(self, ask: Any, words: str, skip: int) -> list[queries.AssignmentView]:
        with session(ask.engine, ask.org_id) as s:
            if not words:
                units = managed_unit_ids(s, ask.org_id, ask.user_id)
                if units:
                    return queries.assignments_of_units(s, ask.org_id, units)[:MAX_RESULTS]
                return queries.assignments(s, ask.org_id, AssignmentFilter(open_only=True),
                                           ask.today, limit=MAX_RESULTS)
            f = self._filter(ask, words)
            if f is None:
                return queries.search_titles(s, ask.org_id, words.split(), skip + MAX_RESULTS)
            return queries.assignments(s, ask.org_id, f, ask.today, limit=skip + MAX_RESULTS)

    @staticmethod
    def _load(ask: Any, numbers: list[int]) -> list[queries.AssignmentView]:
        with session(ask.engine, ask.org_id) as s:
            return queries.assignments(s, ask.org_id, AssignmentFilter(numbers=tuple(numbers)),
                                       ask.today)

    @staticmethod
    def _result(lang: str, a: queries.AssignmentView, today: Any) -> dict[str, Any]:
        subtitle = (f"{a.unit} · {t(lang, 'due').lower()} {day(a.due_date, lang)} · "
                    f"{status_label(lang, a.status)}")
        return {
            "contentType": "application/vnd.microsoft.card.adaptive",
            "content": assignment_cards.assignment_card(lang, a, today),
            "preview": {
                "contentType": "application/vnd.microsoft.card.thumbnail",
                "content": {"title": f"#{a.number} {a.title}"[:200], "text": subtitle,
                            "tap": {"type": "invoke", "value": {"number": a.number}}},
            },
        }

    async def select(self, context: TurnContext, value: dict[str, Any]) -> dict[str, Any]:
        """The picked result: the assignment's full card (looked up again, so a forged
        number from another organisation finds nothing)."""
        raw = value.get("number")
        ask = self._conversation.ask_for(context, Question(Intent.ASSIGNMENTS))
        attachments: list[dict[str, Any]] = []
        if isinstance(raw, int) and not isinstance(raw, bool) and 0 < raw < 2**31:
            found = await run(ask.engine, self._load, ask, [raw])
            attachments = [self._result(ask.lang, a, ask.today) for a in found]
        return {"composeExtension": {"type": "result", "attachmentLayout": "list",
                                     "attachments": attachments}}
