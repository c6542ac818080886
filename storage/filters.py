"""How assignments can be narrowed: the one filter that every list, count and detail
question goes through (storage.queries), whatever words asked for it (understanding)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class AssignmentFilter:
    """Every way the assignments can be narrowed; empty = no narrowing. Statuses and forecasts
    are the storage.domain values ("started", "deviation" …); `open_only` = not completed."""

    unit_ids: tuple[int, ...] = ()
    numbers: tuple[int, ...] = ()  # the organisation's assignment numbers (#N)
    statuses: tuple[str, ...] = ()
    forecasts: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()  # as stored ("Uppdrag", "Nämndinitiativ", "Nyckelmål" …)
    goal_areas: tuple[str, ...] = ()  # as stored
    overdue: bool = False
    open_only: bool = False
    due_from: date | None = None  # inclusive
    due_to: date | None = None  # inclusive
    words: tuple[str, ...] = ()  # title words that must all match (already normalised)

    @property
    def empty(self) -> bool:
        return self == AssignmentFilter()
