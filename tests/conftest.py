"""Shared fixtures.

Databases: any test taking `engine` (or `database_url`) runs twice, on SQLite and on a real
PostgreSQL server (tests/pg_server.py: started once per session, or LAGET_TEST_POSTGRES_URL).
Each test gets a database of its own, cloned from a template that is migrated once per
session (a file copy on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL), which is much
faster than migrating for every test.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from pg_server import create_database, drop_database, postgres_server
from sqlalchemy import Engine, create_engine
from sqlmodel import Session

from storage.db import make_engine, migrate, session
from storage.demo import DEMO_ORGANISATIONS, load_demo
from storage.organisations import OrganisationView, list_organisations

POSTGRES_TEMPLATE_DB = "laget_template"

# --- databases ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session, copied for each test."""
    path = tmp_path_factory.mktemp("sqlite-template") / "laget.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()  # the last connection's close checkpoints the WAL into the file
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """URL of the session's PostgreSQL server, connecting to its maintenance database."""
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_admin(postgres_server_url: str) -> Iterator[Engine]:
    """AUTOCOMMIT engine on the maintenance database, for CREATE/DROP DATABASE."""
    admin = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    yield admin
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_template(postgres_server_url: str, postgres_admin: Engine) -> Iterator[str]:
    """Name of a database migrated to head once per session, cloned for each test."""
    drop_database(postgres_admin, POSTGRES_TEMPLATE_DB)  # left over from an aborted run
    engine = make_engine(create_database(postgres_admin, POSTGRES_TEMPLATE_DB))
    try:
        migrate(engine)
    finally:
        engine.dispose()  # CREATE DATABASE ... TEMPLATE refuses while anyone is connected
    yield POSTGRES_TEMPLATE_DB
    drop_database(postgres_admin, POSTGRES_TEMPLATE_DB)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """URL of a fresh database at head for this test only, on SQLite or PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "laget.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    admin: Engine = request.getfixturevalue("postgres_admin")
    template: str = request.getfixturevalue("postgres_template")
    name = f"t_{uuid4().hex[:16]}"
    yield create_database(admin, name, template)
    drop_database(admin, name)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """Engine on the test's own database, migrated to head (cloned from the template)."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def demo(engine: Engine) -> Engine:
    """The engine with every demo organisation created and its files imported."""
    load_demo(engine)
    return engine


@pytest.fixture
def demo_organisations(demo: Engine) -> dict[str, OrganisationView]:
    """The demo organisations by folder: norrtalje, lovisa, lerum, nykoping, alingsas."""
    with session(demo) as s:
        by_name = {o.name: o for o in list_organisations(s)}
    return {d.folder: by_name[d.name] for d in DEMO_ORGANISATIONS}


@pytest.fixture
def norrtalje(demo_organisations: dict[str, OrganisationView]) -> OrganisationView:
    return demo_organisations["norrtalje"]


@pytest.fixture
def lovisa(demo_organisations: dict[str, OrganisationView]) -> OrganisationView:
    return demo_organisations["lovisa"]


@pytest.fixture
def lerum(demo_organisations: dict[str, OrganisationView]) -> OrganisationView:
    return demo_organisations["lerum"]


@pytest.fixture
def nykoping(demo_organisations: dict[str, OrganisationView]) -> OrganisationView:
    return demo_organisations["nykoping"]


@pytest.fixture
def alingsas(demo_organisations: dict[str, OrganisationView]) -> OrganisationView:
    return demo_organisations["alingsas"]


@pytest.fixture
def s(demo: Engine, norrtalje: OrganisationView) -> Iterator[Session]:
    """A session on the demo data, scoped to Norrtälje (the follow-up report)."""
    with session(demo, norrtalje.id) as opened:
        yield opened
