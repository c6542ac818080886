"""storage.demo: the five demo organisations, their fixed tenants, and the Playground's
admin grant in local mode."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text
from storage_helpers import counts, new_org

from storage import organisations
from storage.db import session
from storage.demo import (
    DEMO_GRANTOR,
    DEMO_ORGANISATIONS,
    PLAYGROUND_USER_ID,
    grant_playground_admin,
    load_demo,
    load_demo_if_empty,
    revoke_playground_admin,
)
from storage.importer import import_file
from storage.models import ORGANISATION_SCOPED
from storage.roles import RoleName, grant, is_admin, list_roles

TENANTS = {
    "Norrtälje kommun": "11111111-1111-4111-8111-111111111111",
    "Lovisa stad": "22222222-2222-4222-8222-222222222222",
    "Lerums kommun": "33333333-3333-4333-8333-333333333333",
    "Nyköpings kommun": "44444444-4444-4444-8444-444444444444",
    "Alingsås kommun": "55555555-5555-4555-8555-555555555555",
}


def test_all_five_organisations_load(engine: Engine) -> None:
    results = load_demo(engine)
    assert [(name, r.kind, r.rows) for name, r in results] == [
        ("Norrtälje kommun", "finance", 7), ("Norrtälje kommun", "aliases", 20),
        ("Norrtälje kommun", "assignments", 36),
        ("Lovisa stad", "units", 4), ("Lovisa stad", "aliases", 16),
        ("Lovisa stad", "budget", 148), ("Lovisa stad", "assignments", 21),
        ("Lerums kommun", "units", 1), ("Lerums kommun", "aliases", 1),
        ("Lerums kommun", "indicators", 24),
        ("Nyköpings kommun", "units", 7), ("Nyköpings kommun", "aliases", 11),
        ("Nyköpings kommun", "assignments", 8), ("Nyköpings kommun", "indicators", 30),
        ("Alingsås kommun", "units", 2), ("Alingsås kommun", "aliases", 2),
        ("Alingsås kommun", "assignments", 7),
    ]
    assert all(r.created == r.rows and r.updated == 0 for _, r in results)
    with session(engine) as s:
        orgs = organisations.list_organisations(s)
        assert [o.name for o in orgs] == [d.name for d in DEMO_ORGANISATIONS]
        assert organisations.default(s).name == "Norrtälje kommun"  # type: ignore[union-attr]
        for org in orgs:
            assert org.tenants == (TENANTS[org.name],)
            assert organisations.by_tenant(s, TENANTS[org.name]) == org
        lovisa = orgs[1]
        assert (lovisa.languages, lovisa.timezone, lovisa.currency) == (
            ("fi", "sv", "en"), "Europe/Helsinki", "EUR")
        nykoping = orgs[3]
        assert (nykoping.kolada_municipality, nykoping.kolada_kpis) == (
            "0480", ("U01405", "N66077", "N00712", "N07403", "U01420"))
    sizes = {o.name: counts(engine, o.id) for o in orgs}
    assert sizes["Norrtälje kommun"]["assignment"] == 36
    assert sizes["Norrtälje kommun"]["status_comment"] == 36
    assert sizes["Lovisa stad"]["budget_line"] == 148
    assert sizes["Lerums kommun"]["indicator"] == 6
    assert sizes["Lerums kommun"]["indicator_value"] == 24
    assert sizes["Nyköpings kommun"]["indicator"] == 30
    assert sizes["Nyköpings kommun"]["indicator_value"] == 29  # one has no value printed
    assert sizes["Alingsås kommun"]["assignment"] == 7


def test_load_demo_if_empty_never_next_to_real_data(engine: Engine) -> None:
    new_org(engine, "Riktig kommun")
    assert load_demo_if_empty(engine) == []
    with session(engine) as s:
        assert [o.name for o in organisations.list_organisations(s)] == ["Riktig kommun"]


def test_load_demo_if_empty_loads_an_empty_database(engine: Engine) -> None:
    assert len(load_demo_if_empty(engine)) == 17
    assert load_demo_if_empty(engine) == []


def test_the_playground_admin_grant_and_its_removal(demo: Engine) -> None:
    other = new_org(demo, "Riktig kommun")
    with session(demo, other.id) as s, s.begin():
        grant(s, other.id, PLAYGROUND_USER_ID, RoleName.ADMIN, granted_by="cli")  # not demo's
    assert grant_playground_admin(demo)
    assert not grant_playground_admin(demo)  # already granted
    with session(demo) as s:
        orgs = organisations.list_organisations(s)
    for org in orgs:
        with session(demo, org.id) as s:
            assert is_admin(s, org.id, PLAYGROUND_USER_ID), org.name
            if org.name != "Riktig kommun":
                [role] = list_roles(s, org.id)
                assert (role.user_name, role.role) == ("Alex Wilber", RoleName.ADMIN)
    assert revoke_playground_admin(demo) == 5
    assert revoke_playground_admin(demo) == 0
    for org in orgs:
        with session(demo, org.id) as s:
            assert is_admin(s, org.id, PLAYGROUND_USER_ID) is (org.id == other.id), org.name
    assert DEMO_GRANTOR == "demo"


def _rows_of(engine: Engine, organisation_id: int) -> set[tuple[str, str]]:
    with session(engine, organisation_id) as s:
        return {(table, repr(tuple(row))) for table in ORGANISATION_SCOPED
                for row in s.execute(text(f"SELECT * FROM {table} "  # noqa: S608
                                          "WHERE organisation_id = :o"), {"o": organisation_id})}


def test_the_readmes_example_files_add_to_every_demo_organisation_and_overwrite_nothing(
    demo: Engine, demo_organisations: dict[str, organisations.OrganisationView],
) -> None:
    # README: "importing them next to the demo adds to it and overwrites nothing of it".
    examples = sorted((Path(__file__).resolve().parents[2] / "docs" / "examples").glob("*.csv"))
    assert len(examples) >= 3
    for folder, org in demo_organisations.items():
        before = _rows_of(demo, org.id)
        for path in examples:
            assert import_file(demo, org.id, path).rows > 0, (folder, path.name)
        after = _rows_of(demo, org.id)
        assert before <= after, (folder, sorted(before - after)[:5])  # nothing changed
        assert len(after) > len(before), folder  # and the examples were imported
