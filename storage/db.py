"""Engine, migrations and sessions for SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextvars
import fcntl
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine

T = TypeVar("T")

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Threads that run database calls for the event loop (PostgreSQL; see run()), and so the
# connections the pool keeps open.
WORKER_THREADS = 8


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a commit is not fsynced; the WAL is, at checkpoints. A power cut
            # (not a crash of the process: the OS has the pages) may lose the last commits
            # but never corrupts the database (docs/decisions.md).
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    # Sized for the event loop: database calls run in the loop's worker threads
    # (storage.db.run), at most WORKER_THREADS at once, each holding one connection.
    return create_engine(url, pool_pre_ping=True, pool_size=WORKER_THREADS, max_overflow=4,
                         pool_timeout=30)


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


# Any constant; it names the lock that serialises migrations across instances.
MIGRATION_LOCK_KEY = 0x4C41474554  # "LAGET"


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; existing data is kept. On PostgreSQL several
    instances may start at once: an advisory lock lets one migrate while the others wait,
    then find nothing left to do. On SQLite a lock file does the same for processes on one
    machine (the server and an `app.py import` started together)."""
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if not database or database == ":memory:":
            command.upgrade(alembic_config(engine), "head")
            return
        with open(f"{database}.migrate-lock", "a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            command.upgrade(alembic_config(engine), "head")
        return
    with engine.connect() as lock:
        lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        try:
            command.upgrade(alembic_config(engine), "head")
        finally:
            lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})


def healthy(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


ORGANISATION_SETTING = "laget.organisation_id"
_SET_ORGANISATION = text(f"SELECT set_config('{ORGANISATION_SETTING}', :org, true)")


def session(engine: Engine, organisation_id: int | None = None) -> Session:
    """A session for one organisation's rows (every storage function also filters by it).
    On PostgreSQL each of its transactions sets laget.organisation_id, which row-level
    security checks: a session without an organisation sees no scoped row at all."""
    s = Session(engine, expire_on_commit=False)
    if organisation_id is not None:
        s.info["organisation_id"] = organisation_id
    return s


@event.listens_for(Session, "after_begin")
def _scope_transaction(s: Session, _transaction: Any, connection: Any) -> None:
    organisation_id = s.info.get("organisation_id")
    if organisation_id is not None and connection.dialect.name == "postgresql":
        # Transaction-local (is_local = true): it ends with the transaction, so a pooled
        # connection never carries one organisation's scope into another's session.
        connection.execute(_SET_ORGANISATION, {"org": str(organisation_id)})


@contextmanager
def transaction(engine: Engine, organisation_id: int) -> Iterator[Connection]:
    """session()'s lighter twin for a hot statement or two (no ORM: ~40 µs less per
    transaction): a Connection in one transaction, scoped to the organisation the same way."""
    with engine.begin() as connection:
        scope(connection, organisation_id)
        yield connection


def scope(connection: Connection, organisation_id: int) -> None:
    """From here to the end of the transaction, the connection works in this organisation
    (row-level security on PostgreSQL; SQLite relies on the queries' filters)."""
    if connection.dialect.name == "postgresql":
        connection.execute(_SET_ORGANISATION, {"org": str(organisation_id)})


@contextmanager
def write_session(engine: Engine, organisation_id: int | None = None) -> Iterator[Session]:
    """A read-modify-write transaction. On SQLite it takes the write lock up front
    (BEGIN IMMEDIATE): a deferred transaction that reads first and then writes fails with
    'database is locked' under concurrency instead of waiting its turn. On PostgreSQL,
    callers lock the rows they change (SELECT … FOR UPDATE)."""
    with session(engine, organisation_id) as s:
        if engine.dialect.name == "sqlite":
            s.connection().exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise


async def run(engine: Engine, fn: Callable[..., T], *args: Any) -> T:
    """Run synchronous database work from async code. SQLite is local and answers in
    microseconds: a worker thread costs more than it saves (measured: +25 % turns/s
    inline, docs/performance.md). A network database gets a worker thread, so its round
    trips never block the event loop. The price on SQLite: a write waiting for another
    process's write lock (an import from the CLI) holds the loop for that while."""
    if engine.dialect.name == "sqlite":
        return fn(*args)
    loop = asyncio.get_running_loop()
    executor = _EXECUTORS.get(loop)
    if executor is None:
        executor = _EXECUTORS[loop] = ThreadPoolExecutor(WORKER_THREADS, "laget-db")
    context = contextvars.copy_context()
    return await loop.run_in_executor(executor, partial(context.run, fn, *args))


# One pool of database threads per event loop, as many as the connection pool holds.
_EXECUTORS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ThreadPoolExecutor] = (
    weakref.WeakKeyDictionary())
