"""The search-based message extension: the compose box of any chat finds the organisation's
assignments (title words, unit names, #N, with the chat's understanding: synonyms, typos,
inflections); picking one inserts its card, with its Update button.

Invokes: composeExtension/query (results, at most 25, each with a preview; picking one
inserts its card as it is) and composeExtension/selectItem with {"number": N} (the
assignment's card, looked up again), for a client that sends one. An empty search lists the
user's own units' assignments (managers), else the organisation's open ones due soonest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botbuilder.core import TurnContext

from cards import assignments as assignment_cards
from cards.texts import day, status_label, t
from dialogs.conversation import Conversation
from storage import queries
from storage.db import run, session
from storage.filters import AssignmentFilter
from storage.roles import managed_unit_ids
from understanding.normalize import clean
from understanding.question import Intent, Question

MAX_RESULTS = 25
MAX_QUERY = 200
MAX_SKIP = 1000
COMMAND_ID = "searchAssignments"
SEARCH_NAMES = ("query", "searchText")  # the manifest's parameter (and searchText, as before)
INITIAL_RUN = "initialRun"


@dataclass(frozen=True)
class _Query:
    words: str
    skip: int
    count: int
    malformed: bool = False  # not what Teams sends: answered with no results


def _int_option(options: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    """A whole number of at least `low` (else the default: a count of 0 or -5 is no page
    size), at most `high`."""
    raw = options.get(name)
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < low:  # True is an int
        return default
    return min(raw, high)


def _query(value: Any) -> _Query:
    """The search words and the page Teams asks for (queryOptions.skip/count). No "query"
    parameter is the initial run (an empty search); one that is not text, or a value or
    parameter list of the wrong shape, is malformed."""
    if not isinstance(value, dict):
        return _Query("", 0, 0, malformed=True)
    raw_options = value.get("queryOptions")
    options = raw_options if isinstance(raw_options, dict) else {}
    skip = _int_option(options, "skip", 0, 0, MAX_SKIP)
    count = _int_option(options, "count", MAX_RESULTS, 1, MAX_RESULTS)
    parameters = value.get("parameters")  # Teams always sends them (initialRun too)
    if not isinstance(parameters, list):
        return _Query("", skip, count, malformed=True)
    text = ""
    named = [p for p in parameters if isinstance(p, dict) and p.get("name") in SEARCH_NAMES]
    if not named:
        # Another name than the manifest's (an old package, or the Playground's "Specify
        # Command ID or Parameter" filled in otherwise or left empty): the one text given is
        # still what the user typed. initialRun (Teams' empty search) names no words.
        named = [p for p in parameters if isinstance(p, dict) and p.get("name") != INITIAL_RUN
                 and isinstance(p.get("value"), str)][:1]
    for parameter in named:
        raw = parameter.get("value")
        if not isinstance(raw, str):
            return _Query("", skip, count, malformed=True)
        text = raw
    # Control characters go as in a message (PostgreSQL refuses a NUL in a query's text).
    return _Query(clean(text[:MAX_QUERY]), skip, count)


class ComposeSearch:
    def __init__(self, conversation: Conversation) -> None:
        self._conversation = conversation

    async def query(self, context: TurnContext, value: Any) -> dict[str, Any]:
        q = _query(value)
        ask = self._conversation.ask_for(context, Question(Intent.ASSIGNMENTS))
        found: list[queries.AssignmentView] = []
        if not q.malformed:
            # Enough for the page asked for; the page itself is cut here, for every search.
            found = await run(ask.engine, self._find, ask, q.words, q.skip + q.count)
        return {"composeExtension": {
            "type": "result", "attachmentLayout": "list",
            "attachments": [self._result(ask.lang, a, ask.today)
                            for a in found[q.skip:q.skip + q.count]],
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
        if q.intent is Intent.NTH and q.nth:  # "nr 6": in the compose box, no list is shown
            return AssignmentFilter(numbers=(q.nth,))
        # A unit the chat would ask back about ("Stabb"): as you type, its assignments.
        units = {u for a in q.alternatives for u in a.units}
        if q.intent is Intent.UNKNOWN and len(units) == 1:
            return AssignmentFilter(unit_ids=tuple(units))
        return None

    def _find(self, ask: Any, words: str, limit: int) -> list[queries.AssignmentView]:
        with session(ask.engine, ask.org_id) as s:
            if not words:
                units = managed_unit_ids(s, ask.org_id, ask.user_id)
                if units:
                    return queries.assignments_of_units(s, ask.org_id, units, limit=limit)
                return queries.assignments(s, ask.org_id, AssignmentFilter(open_only=True),
                                           ask.today, limit=limit)
            f = self._filter(ask, words)
            if f is None:
                return queries.search_titles(s, ask.org_id, words.split(), limit)
            return queries.assignments(s, ask.org_id, f, ask.today, limit=limit)

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
                # No tap: picking inserts `content` as it is (a tap would make Teams send
                # selectItem first, and the Agents Playground refuses results with one).
                "content": {"title": f"#{a.number} {a.title}"[:200], "text": subtitle},
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
