"""storage/db.py: engines, Alembic migrations (fresh and upgrade without loss), health check,
sessions scoped to an organisation."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import pytest
from alembic.script import ScriptDirectory
from pg_server import create_database, drop_database
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel
from storage_helpers import all_counts, new_org

from storage.db import ORGANISATION_SETTING, alembic_config, healthy, make_engine, migrate, session
from storage.demo import load_demo
from storage.models import Assignment, FinanceFollowUp, Unit
from storage.organisations import list_organisations
from storage.queries import latest_finance, summary

TABLES = {
    "unit", "unit_alias", "assignment", "assignment_participant", "status_comment",
    "finance_follow_up", "bot_state",
}


def _head(engine: Engine) -> str:
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert head
    return head


def _revision(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


ROOT = Path(__file__).resolve().parents[2]  # the checkout, not the installed package


def _counts(engine: Engine) -> dict[str, int]:
    return all_counts(engine)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a brand-new database without any tables."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
        yield engine
        engine.dispose()
        return
    admin: Engine = request.getfixturevalue("postgres_admin")
    name = f"fresh_{uuid4().hex[:12]}"
    engine = make_engine(create_database(admin, name))
    try:
        yield engine
    finally:
        engine.dispose()
        drop_database(admin, name)


def test_migrate_creates_the_tables_on_a_fresh_database(empty_engine: Engine) -> None:
    assert inspect(empty_engine).get_table_names() == []
    migrate(empty_engine)
    names = set(inspect(empty_engine).get_table_names())
    # Every model's table, made by the migrations (not by create_all), and nothing else.
    assert names == {t.name for t in SQLModel.metadata.sorted_tables} | {"alembic_version"}
    assert names >= TABLES
    assert _revision(empty_engine) == [_head(empty_engine)]
    # The migrated schema has the models' columns and constraints.
    columns = {c["name"] for c in inspect(empty_engine).get_columns("assignment")}
    assert columns == set(Assignment.__table__.columns.keys())
    uniques = inspect(empty_engine).get_unique_constraints("assignment")
    assert any(set(u["column_names"]) == {"organisation_id", "kind_key", "title_key"}
               for u in uniques)
    # And it works end to end.
    load_demo(empty_engine)
    with session(empty_engine) as s:
        norrtalje = list_organisations(s)[0]
    with session(empty_engine, norrtalje.id) as s:
        assert summary(s, norrtalje.id).total == (28, 8, 0)


def test_instances_starting_at_once_migrate_once(empty_engine: Engine) -> None:
    """Four processes call migrate() on a fresh database at the same moment."""
    url = empty_engine.url.render_as_string(hide_password=False)
    script = ("import sys; from storage.db import make_engine, migrate; "
              "migrate(make_engine(sys.argv[1]))")
    processes = [subprocess.Popen([sys.executable, "-c", script, url], cwd=ROOT,
                                  stderr=subprocess.PIPE, text=True) for _ in range(4)]
    failures = [p.communicate(timeout=120)[1] for p in processes if p.wait(timeout=120)]
    assert failures == []
    assert _revision(empty_engine) == [_head(empty_engine)]


def test_migrate_again_keeps_the_data(engine: Engine) -> None:
    load_demo(engine)
    before = _counts(engine)
    with session(engine) as s:
        org = list_organisations(s)[0].id
    with session(engine, org) as s:
        it = s.exec(select(Unit).where(Unit.organisation_id == org, Unit.name == "IT")
                    ).scalar_one()
        finance_before = latest_finance(s, org, it.id)  # type: ignore[arg-type]
    migrate(engine)
    migrate(engine)
    assert _counts(engine) == before
    assert before["assignment"] == 36 + 21 + 8 + 7 and before["finance_follow_up"] == 7
    assert _revision(engine) == [_head(engine)]
    with session(engine, org) as s:
        assert latest_finance(s, org, it.id) == finance_before  # type: ignore[arg-type]
        assert finance_before is not None
        assert finance_before.budget_year == Decimal("-41225")


def test_migrate_upgrades_an_unversioned_database_only_when_empty(tmp_path: Path) -> None:
    # An existing database at head, whose data must survive a fresh engine's migrate().
    url = f"sqlite:///{tmp_path / 'laget.db'}"
    first = make_engine(url)
    migrate(first)
    org = new_org(first, "Testkommun").id
    with session(first, org) as s, s.begin():
        unit = Unit(organisation_id=org, name="IT")
        s.add(unit)
        s.flush()
        s.add(FinanceFollowUp(organisation_id=org, unit_id=unit.id,  # type: ignore[arg-type]
                              period_end=date(2025, 7, 31),
                              budget_period=Decimal("-23978"), actual_period=Decimal("-20813"),
                              budget_year=Decimal("-41225"), forecast_year=Decimal("-39853.5")))
    first.dispose()
    second = make_engine(url)  # as the bot's next start would
    try:
        migrate(second)
        with session(second, org) as s:
            row = s.exec(select(FinanceFollowUp)).scalar_one()
            assert Decimal(row.forecast_year) == Decimal("-39853.5")
    finally:
        second.dispose()


def test_healthy_for_a_live_engine(engine: Engine) -> None:
    assert healthy(engine) is True


def test_unreachable_postgres_is_unhealthy_and_fails_fast() -> None:
    engine = make_engine("postgresql+psycopg://laget:x@127.0.0.1:1/laget?connect_timeout=3")
    try:
        began = time.perf_counter()
        assert healthy(engine) is False
        assert time.perf_counter() - began < 5
    finally:
        engine.dispose()


def test_unreadable_sqlite_is_unhealthy(tmp_path: Path) -> None:
    path = tmp_path / "not-a-db.db"
    path.write_bytes(b"this is not a SQLite database" * 100)
    engine = make_engine(f"sqlite:///{path}")
    try:
        assert healthy(engine) is False
    finally:
        engine.dispose()


def test_make_engine_creates_the_sqlite_directory(tmp_path: Path) -> None:
    target = tmp_path / "not" / "yet" / "there" / "laget.db"
    assert not target.parent.exists()
    engine = make_engine(f"sqlite:///{target}")
    try:
        assert target.parent.is_dir()
        migrate(engine)
        assert target.is_file()
        assert healthy(engine)
    finally:
        engine.dispose()


def test_make_engine_in_memory_sqlite_creates_nothing(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    engine = make_engine("sqlite:///:memory:")
    try:
        assert healthy(engine)
    finally:
        engine.dispose()
    assert list(tmp_path.iterdir()) == []


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'laget.db'}")
    try:
        migrate(engine)
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
            assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() == 30000
    finally:
        engine.dispose()


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    org = new_org(engine, "Testkommun").id
    with pytest.raises(IntegrityError):
        with session(engine, org) as s, s.begin():
            s.add(FinanceFollowUp(organisation_id=org, unit_id=424242,
                                  period_end=date(2025, 7, 31),
                                  budget_period=Decimal(0), actual_period=Decimal(0),
                                  budget_year=Decimal(0), forecast_year=Decimal(0)))
    assert _counts(engine)["finance_follow_up"] == 0


def test_session_keeps_objects_usable_after_commit(engine: Engine) -> None:
    org = new_org(engine, "Testkommun").id
    with session(engine, org) as s:
        unit = Unit(organisation_id=org, name="IT")
        s.add(unit)
        s.commit()
    assert unit.id is not None and unit.name == "IT"  # no DetachedInstanceError


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # PostgreSQL's setting
def test_each_transaction_of_a_scoped_session_sets_its_organisation(engine: Engine) -> None:
    setting = text(f"SELECT current_setting('{ORGANISATION_SETTING}', true)")
    with session(engine, 7) as s:
        assert s.execute(setting).scalar() == "7"
        s.commit()
        assert s.execute(setting).scalar() == "7"  # the next transaction sets it again
    with session(engine) as s:  # transaction-local: a pooled connection keeps no scope
        assert s.execute(setting).scalar() in (None, "")
