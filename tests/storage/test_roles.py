"""storage.roles: granting, revoking and the may_update rule, per organisation."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from storage.db import session
from storage.domain import Refused
from storage.organisations import OrganisationView
from storage.roles import (
    RoleName,
    check_user_id,
    grant,
    is_admin,
    list_roles,
    managed_unit_ids,
    managers_by_user,
    may_update,
    parse_role,
    revoke,
    revoke_granted_by,
    unit_managers,
)
from storage.units import find_unit


def unit_id(engine: Engine, org: OrganisationView, name: str) -> int:
    with session(engine, org.id) as s:
        return find_unit(s, org.id, name).id  # type: ignore[union-attr]


def test_manager_may_update_only_their_unit(demo: Engine, norrtalje: OrganisationView) -> None:
    o = norrtalje.id
    it, stab = unit_id(demo, norrtalje, "IT"), unit_id(demo, norrtalje, "Stab")
    with session(demo, o) as s, s.begin():
        assert grant(s, o, "u1", RoleName.MANAGER, "it-enheten", "Ivan")
    with session(demo, o) as s:
        assert may_update(s, o, "u1", it)
        assert not may_update(s, o, "u1", stab)
        assert managed_unit_ids(s, o, "u1") == {it}
        assert managers_by_user(s, o) == {"u1": {it}}
        assert [m.user_name for m in unit_managers(s, o, it)] == ["Ivan"]
        assert not may_update(s, o, "stranger", it)
        assert not may_update(s, o, "", it) and managed_unit_ids(s, o, "") == set()


def test_admin_may_update_everything(demo: Engine, norrtalje: OrganisationView) -> None:
    o = norrtalje.id
    with session(demo, o) as s, s.begin():
        grant(s, o, "boss", RoleName.ADMIN)
    with session(demo, o) as s:
        assert is_admin(s, o, "boss")
        assert not is_admin(s, o, "")
        assert may_update(s, o, "boss", unit_id(demo, norrtalje, "Räddningstjänst"))


def test_grant_twice_is_a_no_op_and_revoke_removes(demo: Engine,
                                                   norrtalje: OrganisationView) -> None:
    o = norrtalje.id
    with session(demo, o) as s, s.begin():
        assert grant(s, o, "u1", RoleName.MANAGER, "IT")
        assert not grant(s, o, "u1", RoleName.MANAGER, "IT", user_name="Ivan")  # renamed
        assert grant(s, o, "u1", RoleName.MANAGER, "Stab")
    with session(demo, o) as s:
        assert len(list_roles(s, o)) == 2
        assert {r.user_name for r in list_roles(s, o)} == {"Ivan", ""}
    with session(demo, o) as s, s.begin():
        assert revoke(s, o, "u1", RoleName.MANAGER, "IT") == 1
        assert revoke(s, o, "u1", RoleName.MANAGER, "IT") == 0
    with session(demo, o) as s:
        assert [(r.user_id, r.unit) for r in list_roles(s, o)] == [("u1", "Stab och planering")]
    with session(demo, o) as s, s.begin():
        assert revoke(s, o, "u1", RoleName.MANAGER) == 1  # every unit
        grant(s, o, "u2", RoleName.ADMIN, granted_by="demo")
        grant(s, o, "u2", RoleName.MANAGER, "IT", granted_by="cli")
        assert revoke_granted_by(s, o, "u2", "demo") == 1
    with session(demo, o) as s:
        assert [(r.role, r.unit) for r in list_roles(s, o)] == [(RoleName.MANAGER, "IT")]


@pytest.mark.parametrize(
    ("role", "unit", "code"),
    [
        (RoleName.MANAGER, None, "manager_needs_unit"),
        (RoleName.MANAGER, "Kulturförvaltningen", "unknown_unit"),
        (RoleName.ADMIN, "IT", "admin_has_no_unit"),
    ],
)
def test_bad_grants_are_refused(demo: Engine, norrtalje: OrganisationView, role: RoleName,
                                unit: str | None, code: str) -> None:
    o = norrtalje.id
    with session(demo, o) as s, s.begin():
        with pytest.raises(Refused) as refused:
            grant(s, o, "u1", role, unit)
        assert refused.value.code == code
        with pytest.raises(Refused) as refused:
            grant(s, o, "  ", RoleName.ADMIN)
        assert refused.value.code == "bad_user_id"
    with session(demo, o) as s:
        assert list_roles(s, o) == []


def test_parse_role_and_user_ids() -> None:
    assert parse_role(" Admin ") is RoleName.ADMIN
    with pytest.raises(Refused) as refused:
        parse_role("owner")
    assert refused.value.code == "unknown_role"
    guid = "00000000-0000-0000-0000-0000000000020"
    assert check_user_id(f" {guid} ") == guid
    with pytest.raises(Refused) as refused:
        check_user_id("aad-1")
    assert refused.value.code == "bad_user_id"
    assert check_user_id("29:1abc-def", channel_id=True) == "29:1abc-def"
    with pytest.raises(Refused) as refused:
        check_user_id("two words", channel_id=True)
    assert refused.value.code == "bad_channel_user_id"
