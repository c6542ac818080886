"""What an organisation's data contains, as plain values: the things a question can be about.

Built by the dialogs layer from storage (storage.catalog) and handed to understanding;
understanding never reads the database itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class UnitEntry:
    id: int
    name: str
    aliases: tuple[str, ...] = ()
    parent_id: int | None = None


@dataclass(frozen=True)
class AssignmentEntry:
    number: int  # the organisation's #N
    title: str
    kind: str
    goal_area: str
    unit_id: int


@dataclass(frozen=True)
class IndicatorEntry:
    id: int
    name: str
    unit_id: int | None = None
    goal: str = ""
    source_id: str = ""  # Kolada id


@dataclass(frozen=True)
class Catalog:
    """One organisation's entities. `version` changes whenever any of them does, so an index
    built from a catalog is rebuilt only then."""

    version: str
    units: tuple[UnitEntry, ...] = ()
    assignments: tuple[AssignmentEntry, ...] = ()
    indicators: tuple[IndicatorEntry, ...] = ()
    kinds: tuple[str, ...] = ()  # assignment kinds as stored, in the report's order
    goal_areas: tuple[str, ...] = ()
    budget_lines: tuple[str, ...] = ()  # budget line names as stored (Lovisa)
    budget_years: tuple[int, ...] = ()
    languages: tuple[str, ...] = field(default=("sv", "en"))
