"""Bot state documents in the `bot_state` table, with optimistic concurrency on e_tags.

Plain functions on a SQLAlchemy engine; the Bot Framework adapter is bot/sql_storage.py.
Every write batch is one transaction: a stale e_tag anywhere means nothing is written.
Correct across processes on SQLite and PostgreSQL: a conditional UPDATE on the old e_tag
(its rowcount says whether it matched) and INSERT ... ON CONFLICT for keys not stored yet.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from uuid import uuid4

from sqlalchemy import Connection, Engine, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.models import BotStateItem

KEY_MAX_LENGTH = 512
ANY_ETAG = "*"

_table = BotStateItem.__table__


class StaleStateError(Exception):
    """An e_tag did not match what is stored: someone else wrote the key in between."""

    def __init__(self, key: str, expected: str | None = None, current: str | None = None):
        super().__init__(key)
        self.key = key
        self.expected = expected
        self.current = current

    def __str__(self) -> str:
        return (
            f"stale state for {self.key!r}: "
            f"expected e_tag {self.expected!r}, stored {self.current!r}"
        )


def new_etag() -> str:
    return uuid4().hex


# Built once: every turn reads and writes state, and building a statement costs more than
# SQLite's work on it (docs/performance.md).
_READ = select(_table.c.key, _table.c.data, _table.c.e_tag).where(
    _table.c.key.in_(bindparam("keys", expanding=True)))
_UPDATE_IF = (update(_table)
              .where(_table.c.key == bindparam("k"), _table.c.e_tag == bindparam("old"))
              .values(data=bindparam("d"), e_tag=bindparam("new")))
_E_TAG = select(_table.c.e_tag).where(_table.c.key == bindparam("k"))
_DELETE = delete(_table).where(_table.c.key.in_(bindparam("keys", expanding=True)))


def _insert(dialect: str):  # noqa: ANN202  (dialect-specific insert statements)
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


_UPSERTS = {
    dialect: _insert(dialect)(_table).values(key=bindparam("k"), data=bindparam("d"),
                                             e_tag=bindparam("new"))
    .on_conflict_do_update(index_elements=[_table.c.key],
                           set_={"data": bindparam("d"), "e_tag": bindparam("new")})
    for dialect in ("postgresql", "sqlite")
}
_INSERTS_NEW = {
    dialect: _insert(dialect)(_table).values(key=bindparam("k"), data=bindparam("d"),
                                             e_tag=bindparam("new"))
    .on_conflict_do_nothing(index_elements=[_table.c.key]).returning(_table.c.key)
    for dialect in ("postgresql", "sqlite")
}


def read_items(engine: Engine, keys: Iterable[str]) -> dict[str, tuple[dict, str]]:
    """key -> (data, e_tag) for the keys that are stored; unknown keys are left out."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(_READ, {"keys": wanted}).all()
    return {key: (json.loads(data), e_tag) for key, data, e_tag in rows}


Prepared = list[tuple[str, str, str | None, str]]  # key, JSON text, expected e_tag, new e_tag


def prepare(changes: dict[str, tuple[dict, str | None]]) -> Prepared:
    """The writes of one batch, checked and with their new e_tags, in one key order for
    every writer (so two PostgreSQL batches never deadlock on row locks)."""
    prepared: Prepared = []
    for key, (data, e_tag) in changes.items():
        _check_key(key)
        if e_tag == "":
            raise ValueError(f"e_tag missing for {key!r}: use None or '*' to write unconditionally")
        if not isinstance(data, dict):
            raise TypeError(f"state for {key!r} must be a dict, not {type(data).__name__}")
        # Compact, key order kept: the text is handed back exactly as given.
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        prepared.append((key, text, e_tag, new_etag()))
    prepared.sort()
    return prepared


def write_prepared(conn: Connection, prepared: Prepared) -> None:
    """Store prepared writes in the connection's transaction; StaleStateError when an
    e_tag is stale (the caller rolls the transaction back: nothing of it is written)."""
    dialect = "postgresql" if conn.dialect.name == "postgresql" else "sqlite"
    for key, text, e_tag, fresh in prepared:
        values = {"k": key, "d": text, "new": fresh}
        if e_tag is None or e_tag == ANY_ETAG:
            conn.execute(_UPSERTS[dialect], values)
            continue
        # Under concurrent writers PostgreSQL re-checks the WHERE on the committed row and
        # SQLite serialises writers, so at most one UPDATE on a given old e_tag matches.
        matched = conn.execute(_UPDATE_IF, {**values, "old": e_tag}).rowcount
        if matched == 1:
            continue
        # RETURNING, not rowcount: SQLAlchemy reports no rowcount for INSERT (-1 on psycopg).
        inserted = conn.execute(_INSERTS_NEW[dialect], values).first()
        if inserted is None:
            current = conn.execute(_E_TAG, {"k": key}).scalar_one_or_none()
            raise StaleStateError(key, expected=e_tag, current=current)


def write_items(engine: Engine, changes: dict[str, tuple[dict, str | None]]) -> dict[str, str]:
    """Store each key's data; returns key -> new e_tag.

    e_tag None or "*": unconditional write. Any other e_tag must equal the stored one, else
    StaleStateError and the whole batch is rolled back. A key that is not stored at all is
    inserted whatever its e_tag (as botbuilder's MemoryStorage does); if another writer
    inserts it first, a non-"*" e_tag is stale.
    """
    prepared = prepare(changes)
    if prepared:
        with engine.begin() as conn:
            write_prepared(conn, prepared)
    return {key: fresh for key, _text, _e_tag, fresh in prepared}


def write_batches(conn: Connection, batches: Sequence[Prepared]) -> None:
    """Several callers' prepared writes in one transaction (storage.group_commit), in one
    key order across them all."""
    write_prepared(conn, sorted(item for prepared in batches for item in prepared))


def delete_items(engine: Engine, keys: Iterable[str]) -> None:
    """Remove the keys; unknown keys are ignored."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return
    with engine.begin() as conn:
        conn.execute(_DELETE, {"keys": wanted})


def _check_key(key: str) -> None:
    if not isinstance(key, str) or not key:
        raise ValueError(f"state key must be a non-empty string, not {key!r}")
    if len(key) > KEY_MAX_LENGTH:
        raise ValueError(f"state key longer than {KEY_MAX_LENGTH} characters: {key[:80]!r}...")
