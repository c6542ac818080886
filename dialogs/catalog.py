"""The organisation's catalog for understanding, built from storage and cached until the
organisation's data version changes (an import, a new alias: any process)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock

from sqlalchemy import Engine

from storage import organisations, queries
from storage.db import session
from storage.organisations import OrganisationView
from understanding.catalog import AssignmentEntry, Catalog, IndicatorEntry, UnitEntry


def build_catalog(engine: Engine, org: OrganisationView, version: int) -> Catalog:
    with session(engine, org.id) as s:
        rows = queries.catalog_rows(s, org.id)
    aliases: dict[int, list[str]] = {}
    for unit_id, alias in rows.aliases:
        aliases.setdefault(unit_id, []).append(alias)
    return Catalog(
        version=f"{org.id}:{version}",
        units=tuple(UnitEntry(uid, name, tuple(aliases.get(uid, ())), parent)
                    for uid, name, parent in rows.units),
        assignments=tuple(AssignmentEntry(number, title, kind, goal, unit)
                          for number, title, kind, goal, unit in rows.assignments),
        indicators=tuple(IndicatorEntry(iid, name, unit, goal, source)
                         for iid, name, unit, goal, source in rows.indicators),
        kinds=tuple(dict.fromkeys(kind for _, _, kind, _, _ in rows.assignments)),
        goal_areas=tuple(dict.fromkeys(goal for _, _, _, goal, _ in rows.assignments if goal)),
        budget_lines=tuple(rows.budget_lines),
        budget_years=tuple(rows.budget_years),
        languages=org.languages,
    )


@dataclass(frozen=True)
class Current:
    """The organisation's catalog and the version of what its answers show, read together
    once a turn."""

    catalog: Catalog
    answer_version: int


class CatalogCache:
    """One catalog per organisation; checking whether it is current is one primary-key read
    (which also reads the answer version, for the answer cache)."""

    MAX_ORGANISATIONS = 256

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = Lock()
        self._cached: OrderedDict[int, tuple[int, Catalog]] = OrderedDict()

    def get(self, org: OrganisationView) -> Catalog:
        return self.current(org).catalog

    def current(self, org: OrganisationView) -> Current:
        with self._engine.connect() as connection:  # no ORM session: one read a turn
            version, answer_version = organisations.versions(connection, org.id)
        with self._lock:
            hit = self._cached.get(org.id)
            if hit is not None and hit[0] == version:
                self._cached.move_to_end(org.id)
                return Current(hit[1], answer_version)
        catalog = build_catalog(self._engine, org, version)
        with self._lock:
            self._cached[org.id] = (version, catalog)
            while len(self._cached) > self.MAX_ORGANISATIONS:
                self._cached.popitem(last=False)
        return Current(catalog, answer_version)
