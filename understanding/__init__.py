"""Language in, structured question out: no Bot Framework, no database.

`Understander.understand(text, catalog, today, context)` reads a question against what the
organisation's data contains (the `Catalog`) and returns a `Question`. The vocabulary of each
language is data (`lexicon/<lang>.json`), not code.
"""

from understanding.catalog import AssignmentEntry, Catalog, IndicatorEntry, UnitEntry
from understanding.followup import CONTEXT_TTL, Context, resolve
from understanding.parse import Understander
from understanding.question import (
    AssignmentFilter,
    Balance,
    Form,
    Intent,
    Judgement,
    Measure,
    Question,
)
from understanding.subscription import SubscriptionError, parse_subscription, parse_time_of_day

__all__ = [
    "CONTEXT_TTL",
    "AssignmentEntry",
    "AssignmentFilter",
    "Balance",
    "Catalog",
    "Context",
    "Form",
    "IndicatorEntry",
    "Intent",
    "Judgement",
    "Measure",
    "Question",
    "UnitEntry",
    "SubscriptionError",
    "Understander",
    "parse_subscription",
    "parse_time_of_day",
    "resolve",
]
