"""storage.roles: granting, revoking and the may_update rule; and the CLI around it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from storage.db import session
from storage.roles import (
    RoleName,
    grant,
    is_admin,
    list_roles,
    managed_unit_ids,
    managers_of,
    may_update,
    parse_role,
    revoke,
    unit_managers,
)
from storage.units import resolve_unit

ROOT = Path(__file__).resolve().parent.parent


def unit_id(engine: Engine, name: str) -> int:
    with session(engine) as s:
        return resolve_unit(s, name).unit.id  # type: ignore[union-attr]


def test_manager_may_update_only_their_unit(demo: Engine) -> None:
    it, stab = unit_id(demo, "IT"), unit_id(demo, "Stab")
    with session(demo) as s, s.begin():
        assert grant(s, "u1", RoleName.MANAGER, "it-enheten", "Ivan")
    with session(demo) as s:
        assert may_update(s, "u1", it)
        assert not may_update(s, "u1", stab)
        assert managed_unit_ids(s, "u1") == {it}
        assert managers_of(s, it) == ["u1"]
        assert [m.user_name for m in unit_managers(s, it)] == ["Ivan"]
        assert not may_update(s, "stranger", it)


def test_admin_may_update_everything(demo: Engine) -> None:
    with session(demo) as s, s.begin():
        grant(s, "boss", RoleName.ADMIN)
    with session(demo) as s:
        assert is_admin(s, "boss")
        assert may_update(s, "boss", unit_id(demo, "Räddningstjänst"))


def test_grant_twice_is_a_no_op_and_revoke_removes(demo: Engine) -> None:
    with session(demo) as s, s.begin():
        assert grant(s, "u1", RoleName.MANAGER, "IT")
        assert not grant(s, "u1", RoleName.MANAGER, "IT")
        assert grant(s, "u1", RoleName.MANAGER, "Stab")
    with session(demo) as s:
        assert len(list_roles(s)) == 2
    with session(demo) as s, s.begin():
        assert revoke(s, "u1", RoleName.MANAGER, "IT") == 1
        assert revoke(s, "u1", RoleName.MANAGER, "IT") == 0
    with session(demo) as s:
        assert [(r.user_id, r.unit) for r in list_roles(s)] == [("u1", "Stab och planering")]


@pytest.mark.parametrize(
    ("role", "unit", "message"),
    [
        (RoleName.MANAGER, None, "manager kräver en enhet"),
        (RoleName.MANAGER, "Kulturförvaltningen", "okänd enhet"),
        (RoleName.ADMIN, "IT", "admin gäller alla enheter"),
    ],
)
def test_bad_grants_are_refused(demo: Engine, role: RoleName, unit: str | None,
                                message: str) -> None:
    with session(demo) as s, s.begin():
        with pytest.raises(ValueError, match=message):
            grant(s, "u1", role, unit)
    with session(demo) as s:
        assert list_roles(s) == []


def test_parse_role() -> None:
    assert parse_role(" Admin ") is RoleName.ADMIN
    with pytest.raises(ValueError, match="okänd roll"):
        parse_role("owner")


def run_cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "LAGET_DEMO": "0"}
    return subprocess.run([sys.executable, str(ROOT / "app.py"), *args], env=env,
                          capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_cli_grant_roles_revoke(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    assert run_cli(db, "import", str(ROOT / "storage/demo/finance.csv")).returncode == 0
    done = run_cli(db, "grant", "aad-1", "manager", "IT", "--name", "Ivan IT")
    assert done.returncode == 0, done.stderr
    assert run_cli(db, "grant", "aad-2", "admin").returncode == 0
    listed = run_cli(db, "roles").stdout
    assert "aad-1" in listed and "Ivan IT" in listed and "IT" in listed and "admin" in listed
    bad = run_cli(db, "grant", "aad-3", "manager", "Nowhere")
    assert bad.returncode == 1 and "okänd enhet" in bad.stderr and "Traceback" not in bad.stderr
    assert "\nfel: okänd enhet" in bad.stderr
    bad_alias = run_cli(db, "alias", "Ekonomiavdelning", "IT")  # names another unit
    assert bad_alias.returncode == 1 and "\nfel: " in bad_alias.stderr, bad_alias.stderr
    assert "Traceback" not in bad_alias.stderr
    assert run_cli(db, "revoke", "aad-1", "manager", "IT").returncode == 0
    again = run_cli(db, "revoke", "aad-1", "manager", "IT")
    assert again.returncode == 1 and "hade inte den rollen" in again.stderr
    assert "aad-1" not in run_cli(db, "roles").stdout
