"""Helpers shared by the storage tests: organisations, files to import, row counts."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import Engine, text

from storage import organisations
from storage.db import session
from storage.models import ORGANISATION_SCOPED
from storage.organisations import OrganisationView


def new_org(engine: Engine, name: str, tenants: list[str] | None = None,
            **options: Any) -> OrganisationView:
    with session(engine) as s, s.begin():
        return organisations.add(s, name, tenants or [], **options)


def write_csv(path: Path, rows: list[list[Any]], delimiter: str = ",",
              encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[Any]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def counts(engine: Engine, organisation_id: int) -> dict[str, int]:
    """Rows of each organisation-scoped table that belong to the organisation (read in a
    session scoped to it, as row-level security on PostgreSQL requires)."""
    with session(engine, organisation_id) as s:
        return {
            table: s.execute(text(f"SELECT count(*) FROM {table} "  # noqa: S608
                                  "WHERE organisation_id = :o"), {"o": organisation_id}
                             ).scalar_one()
            for table in ORGANISATION_SCOPED
        }


def all_counts(engine: Engine) -> dict[str, int]:
    """Rows of each scoped table over every organisation, plus the unscoped tables."""
    with session(engine) as s:
        ids = [o.id for o in organisations.list_organisations(s)]
        total = dict.fromkeys(ORGANISATION_SCOPED, 0)
        total |= {t: s.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()  # noqa: S608
                 for t in ("organisation", "organisation_tenant", "processed_activity",
                           "bot_state")}
    for org_id in ids:
        for table, n in counts(engine, org_id).items():
            total[table] = total.get(table, 0) + n
    return total
