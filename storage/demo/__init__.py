"""Demo data: the Norrtälje follow-up report of 2025-07-31, in the import format."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from storage.db import session
from storage.importer import ImportResult, import_file
from storage.queries import is_empty
from storage.roles import RoleName, grant

DEMO_DIR = Path(__file__).resolve().parent
# Finance first: it names the canonical units; aliases then map the report's other names.
DEMO_FILES = ("finance.csv", "unit_aliases.csv", "assignments.csv")


def load_demo(engine: Engine) -> list[ImportResult]:
    return [import_file(engine, DEMO_DIR / name) for name in DEMO_FILES]


def load_demo_if_empty(engine: Engine) -> list[ImportResult]:
    with session(engine) as s:
        if not is_empty(s):
            return []
    return load_demo(engine)


# The Microsoft 365 Agents Playground's default user (Alex Wilber), from its built-in
# configuration. Made admin in local demo mode so updates work out of the box.
PLAYGROUND_USER_ID = "00000000-0000-0000-0000-0000000000020"
PLAYGROUND_USER_NAME = "Alex Wilber"


def grant_playground_admin(engine: Engine) -> bool:
    with session(engine) as s, s.begin():
        return grant(s, PLAYGROUND_USER_ID, RoleName.ADMIN, user_name=PLAYGROUND_USER_NAME,
                     granted_by="demo")
