"""Migration 0006 on a database filled at revision 0005 (raw INSERTs of that schema's
columns): nothing is lost, every row lands in organisation "Standard", assignment numbers
are their old ids and the tenants come from the conversation references. Both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import pytest
from alembic import command
from pg_server import create_database, drop_database
from sqlalchemy import Engine, text
from storage_helpers import counts

from storage import conversations, organisations
from storage.db import alembic_config, make_engine, migrate, session
from storage.filters import AssignmentFilter
from storage.importer import import_table
from storage.ledger import recently_reminded
from storage.preferences import preferences
from storage.queries import assignments, get_assignment, latest_finance, list_units
from storage.roles import is_admin, list_roles, managed_unit_ids
from storage.subscriptions import active_subscriptions
from storage.units import find_unit

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
T0 = "2025-07-31 00:00:00"

ROWS_0005 = [
    "INSERT INTO unit (id, name, parent_id) VALUES (1, 'Kommundirektör', NULL), "
    "(2, 'IT', 1), (3, 'HR-avdelning', 1)",
    "INSERT INTO unit_alias (id, unit_id, alias, key) VALUES (1, 2, 'IT-enheten', 'it-enheten'),"
    " (2, 3, 'HR', 'hr')",
    "INSERT INTO assignment (id, kind, goal_area, title, unit_id, due_date, status, forecast, "
    "kind_key, title_key, version, updated_at) VALUES "
    f"(7, 'Uppdrag', '1. Ekonomi', 'Ny budgetmodell', 2, '2025-12-01', 'started', 'on_plan', "
    f"'uppdrag', 'ny budgetmodell', 3, '{T0}'), "
    f"(12, 'Nämndinitiativ', '', 'Införa e-arkiv', 3, '2025-02-28', 'not_started', "
    f"'deviation', 'nämndinitiativ', 'införa e-arkiv', 1, '{T0}'), "
    f"(40, 'Uppdrag', '', 'Trygghetsvandringar', 1, NULL, 'completed', 'on_plan', 'uppdrag', "
    f"'trygghetsvandringar', 2, '{T0}')",
    "INSERT INTO assignment_participant (assignment_id, unit_id) VALUES (7, 3), (12, 2)",
    "INSERT INTO status_comment (id, assignment_id, text, author, created_at, author_id, "
    f"changes) VALUES (1, 7, 'Importerad kommentar.', 'import', '{T0}', '', ''), "
    "(2, 7, 'Klart snart.', 'Maria', '2025-08-01 09:00:00', 'aad-maria', "
    "'status: not_started → started'), "
    f"(3, 12, 'Väntar.', 'import', '{T0}', '', '')",
    "INSERT INTO finance_follow_up (id, unit_id, period_end, budget_period, actual_period, "
    "budget_year, forecast_year, comment) VALUES "
    "(1, 2, '2025-07-31', -23978, -20813, -41225, -39853.5, 'Överskott.')",
    "INSERT INTO role (id, user_id, role, unit_id, granted_by, granted_at, user_name) VALUES "
    f"(1, 'aad-maria', 'manager', 2, 'cli', '{T0}', 'Maria'), "
    f"(2, 'aad-boss', 'admin', NULL, 'cli', '{T0}', 'Chefen')",
    "INSERT INTO conversation_ref (id, conversation_id, conversation_type, channel_id, "
    "service_url, tenant_id, user_id, reference, active, updated_at) VALUES "
    f"(1, '19:plan@thread.tacv2', 'channel', 'msteams', 'https://smba.example/', '{TENANT}', "
    f"'', '{{\"conversation\": {{\"id\": \"19:plan@thread.tacv2\"}}}}', TRUE, '{T0}'), "
    f"(2, 'a:1on1', 'personal', 'msteams', 'https://smba.example/', '{TENANT.upper()}', "
    f"'aad-maria', '{{\"conversation\": {{\"id\": \"a:1on1\"}}}}', TRUE, '{T0}'), "
    f"(3, 'emulator', 'personal', 'emulator', 'http://localhost/', '', 'u', '{{}}', FALSE, "
    f"'{T0}')",
    "INSERT INTO subscription (id, conversation_ref_id, unit_ids, lead_days, long_lead_days, "
    "frequency, weekday, time_of_day, active, disabled_reason, created_by, created_at) VALUES "
    f"(1, 1, '2', 7, 28, 'weekly', 4, '09:00', TRUE, '', 'Maria', '{T0}'), "
    f"(2, 1, '', 5, 20, 'daily', 0, '08:00', FALSE, 'unsubscribed', 'Maria', '{T0}')",
    "INSERT INTO sent_nudge (id, conversation_id, kind, day, assignment_ids, state, claimed_by, "
    f"claimed_at, sent_at) VALUES (1, '19:plan@thread.tacv2', 'digest', '2025-09-29', '7,12', "
    f"'sent', 'w1', '{T0}', '{T0}'), (2, 'user:aad-maria', 'reminder', '2025-09-29', '12', "
    f"'sent', 'w1', '{T0}', '{T0}')",
    "INSERT INTO reminder_preference (user_id, enabled, snoozed_until) VALUES "
    "('aad-maria', TRUE, '2025-10-07'), ('aad-boss', FALSE, NULL)",
    "INSERT INTO processed_activity (key, processed_at) VALUES "
    f"('msteams:19:plan:1', '{T0}')",
    "INSERT INTO bot_state (key, data, e_tag) VALUES ('msteams/conv/1', '{\"a\": 1}', 'e1')",
]
EXPECTED = {"unit": 3, "unit_alias": 2, "assignment": 3, "assignment_participant": 2,
            "status_comment": 3, "finance_follow_up": 1, "budget_line": 0, "indicator": 0,
            "indicator_value": 0, "role": 2, "conversation_ref": 3, "subscription": 2,
            "indicator_seen": 0, "sent_nudge": 2, "reminder_preference": 2}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    admin: Engine = request.getfixturevalue("postgres_admin")
    name = f"old_{uuid4().hex[:12]}"
    engine = make_engine(create_database(admin, name))
    try:
        yield engine
    finally:
        engine.dispose()
        drop_database(admin, name)


def _at_0005_with_data(engine: Engine) -> None:
    command.upgrade(alembic_config(engine), "0005")
    with engine.begin() as conn:
        for statement in ROWS_0005:
            conn.execute(text(statement))
        if engine.dialect.name == "postgresql":  # explicit ids: move the sequences on
            for table in ("unit", "unit_alias", "assignment", "status_comment",
                          "finance_follow_up", "role", "conversation_ref", "subscription",
                          "sent_nudge"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))


def test_0006_moves_everything_into_standard(empty_engine: Engine) -> None:
    engine = empty_engine
    _at_0005_with_data(engine)
    migrate(engine)
    with session(engine) as s:
        [org] = organisations.list_organisations(s)
        # The tenants of its conversations, in lower case (as by_tenant looks them up).
        assert (org.name, org.tenants, org.languages, org.timezone, org.currency) == (
            "Standard", (TENANT,), ("sv", "en"), "Europe/Stockholm", "SEK")
        assert organisations.by_tenant(s, TENANT.upper()) == org
        assert s.execute(text("SELECT count(*) FROM processed_activity")).scalar_one() == 1
        assert s.execute(text("SELECT data FROM bot_state")).scalar_one() == '{"a": 1}'
    assert counts(engine, org.id) == EXPECTED
    with session(engine, org.id) as s:
        # Every row is the organisation's (none left without one).
        for table in EXPECTED:
            assert s.execute(text(f"SELECT count(*) FROM {table} "  # noqa: S608
                                  "WHERE organisation_id <> :o"), {"o": org.id}
                             ).scalar_one() == 0, table
        units = {u.name: u for u in list_units(s, org.id)}
        assert {n: (u.assignments, u.has_finance, u.parent) for n, u in units.items()} == {
            "Kommundirektör": (1, False, None), "IT": (1, True, "Kommundirektör"),
            "HR-avdelning": (1, False, "Kommundirektör")}
        assert find_unit(s, org.id, "it-enheten").name == "IT"  # type: ignore[union-attr]
        a = get_assignment(s, org.id, 7)  # the number is the old id
        assert a is not None and (a.id, a.title, a.version, a.goal_area, a.unit) == (
            7, "Ny budgetmodell", 3, "1. Ekonomi", "IT")
        assert [(c.text, c.author, c.changes) for c in a.comments] == [
            ("Klart snart.", "Maria", "status: not_started → started"),
            ("Importerad kommentar.", "import", "")]
        assert a.participants == ("HR-avdelning",)
        assert (a.description, a.responsible, a.reporting) == ("", "", "")
        assert get_assignment(s, org.id, 12).participants == ("IT",)  # type: ignore[union-attr]
        assert get_assignment(s, org.id, 40).status.value == "completed"  # type: ignore[union-attr]
        assert get_assignment(s, org.id, 1) is None
        overdue = assignments(s, org.id, AssignmentFilter(overdue=True), date(2025, 9, 30))
        assert [x.number for x in overdue] == [12]
        finance = latest_finance(s, org.id, units["IT"].id)
        assert finance is not None and finance.forecast_year == Decimal("-39853.5")
        assert (finance.budget_year, finance.comment) == (Decimal("-41225"), "Överskott.")
        assert is_admin(s, org.id, "aad-boss")
        assert managed_unit_ids(s, org.id, "aad-maria") == {units["IT"].id}
        assert [r.user_name for r in list_roles(s, org.id)] == ["Chefen", "Maria"]
        ref = conversations.get(s, org.id, "19:plan@thread.tacv2")
        assert ref is not None and ref.tenant_id == TENANT and ref.active
        assert conversations.tenants(s, org.id) == sorted({TENANT, TENANT.upper()})
        [sub] = active_subscriptions(s, org.id)
        assert (sub.subscription.unit_names, sub.subscription.frequency,
                sub.subscription.weekday, sub.subscription.indicators) == (
            ["IT"], "weekly", 4, False)
        assert recently_reminded(s, org.id, ["aad-maria"], date(2025, 9, 30)) == {
            "aad-maria": {12}}
        prefs = preferences(s, org.id, ["aad-maria", "aad-boss"])
        assert prefs["aad-maria"].snoozed_until == date(2025, 10, 7)
        assert not prefs["aad-boss"].enabled
    # The migrated database takes new data: numbers go on after the highest.
    result = import_table(engine, org.id, [
        ["kind", "title", "unit", "due_date", "status", "forecast"],
        ["Uppdrag", "Ny budgetmodell", "IT", "2025-12-01", "completed", "on plan"],
        ["Uppdrag", "Nytt uppdrag", "IT-enheten", "2026", "started", "on plan"]])
    assert (result.created, result.updated) == (1, 1)
    with session(engine, org.id) as s:
        assert get_assignment(s, org.id, 41).title == "Nytt uppdrag"  # type: ignore[union-attr]
        assert get_assignment(s, org.id, 7).version == 4  # type: ignore[union-attr]


def test_0006_on_an_empty_database_creates_no_organisation(empty_engine: Engine) -> None:
    command.upgrade(alembic_config(empty_engine), "0005")
    migrate(empty_engine)
    with session(empty_engine) as s:
        assert organisations.list_organisations(s) == []


def test_sqlite_foreign_keys_are_on_again_after_migrating(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fk.db'}")
    try:
        _at_0005_with_data(engine)
        migrate(engine)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
    finally:
        engine.dispose()


def test_a_dangling_row_fails_the_sqlite_migration(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'dangling.db'}")
    try:
        command.upgrade(alembic_config(engine), "0005")
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.exec_driver_sql(
                "INSERT INTO unit_alias (id, unit_id, alias, key) VALUES (1, 99, 'x', 'x')")
            conn.commit()
        with pytest.raises(RuntimeError, match="without their parent"):
            migrate(engine)
    finally:
        engine.dispose()
