"""storage.organisations: add, list, edit, remove; tenants; resolving a command's name."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from storage_helpers import all_counts, counts, new_org, write_csv

from storage import conversations, organisations
from storage.conversations import ConversationInfo
from storage.db import session
from storage.domain import Refused
from storage.importer import import_file
from storage.ledger import claim
from storage.preferences import snooze
from storage.roles import RoleName, grant
from storage.schedule import SubscriptionOptions
from storage.subscriptions import subscribe
from storage.units import add_alias

TENANT_A = "aaaaaaaa-0000-4000-8000-000000000001"
TENANT_B = "bbbbbbbb-0000-4000-8000-000000000002"


def test_add_and_list(engine: Engine) -> None:
    with session(engine) as s, s.begin():
        assert organisations.list_organisations(s) == []
        a = organisations.add(s, "  Norrtälje   kommun ", [TENANT_A.upper()])
        b = organisations.add(s, "Lovisa stad", [TENANT_B], ["fi", "sv"], "Europe/Helsinki",
                              "eur", "07:30", kolada_municipality="0000",
                              kolada_kpis=["N00712", "U01405"])
    assert a.name == "Norrtälje kommun" and a.tenants == (TENANT_A,)  # lower case
    assert (a.languages, a.language, a.timezone, a.currency, a.nudge_time) == (
        ("sv", "en"), "sv", "Europe/Stockholm", "SEK", "08:00")
    assert (b.language, b.timezone, b.currency, b.nudge_time, b.kolada_kpis) == (
        "fi", "Europe/Helsinki", "EUR", "07:30", ("N00712", "U01405"))
    with session(engine) as s:
        listed = organisations.list_organisations(s)
        assert [o.name for o in listed] == ["Norrtälje kommun", "Lovisa stad"]  # oldest first
        assert organisations.default(s) == listed[0]
        assert organisations.by_name(s, "NORRTÄLJE  kommun") == listed[0]
        assert organisations.by_tenant(s, TENANT_B.upper()) == listed[1]
        assert organisations.by_tenant(s, "cccccccc-0000-4000-8000-000000000003") is None
        assert listed[1] == b


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"languages": ["de"]}, "unknown_language"),
    ({"timezone": "Mars/Olympus"}, "unknown_timezone"),
    ({"currency": "USD"}, "unknown_currency"),
    ({"nudge_time": "25:00"}, "bad_time"),
    ({"tenants": ["not a tenant!"]}, "bad_tenant"),
    ({"name": "   "}, "bad_organisation_name"),
    ({"name": "x" * 201}, "bad_organisation_name"),
])
def test_add_refuses_bad_settings(engine: Engine, kwargs: dict, code: str) -> None:
    args = {"name": "Lerums kommun", "tenants": [], **kwargs}
    with session(engine) as s, s.begin():
        with pytest.raises(Refused) as refused:
            organisations.add(s, **args)
        assert refused.value.code == code
    with session(engine) as s:
        assert organisations.list_organisations(s) == []


def test_names_and_tenants_are_unique(engine: Engine) -> None:
    new_org(engine, "Lerums kommun", [TENANT_A])
    with session(engine) as s, s.begin():
        with pytest.raises(Refused) as refused:
            organisations.add(s, "LERUMS KOMMUN", [])
        assert refused.value.code == "organisation_exists"
        with pytest.raises(Refused) as refused:
            organisations.add(s, "Alingsås kommun", [TENANT_A.upper()])
        assert (refused.value.code, refused.value.params) == (
            "tenant_taken", {"tenant": TENANT_A, "name": "Lerums kommun"})
    other = new_org(engine, "Alingsås kommun", [TENANT_B])
    with session(engine) as s, s.begin():
        with pytest.raises(Refused) as refused:
            organisations.edit(s, "Alingsås kommun", add_tenants=[TENANT_A])
        assert refused.value.code == "tenant_taken"
        with pytest.raises(Refused) as refused:
            organisations.edit(s, "Alingsås kommun", new_name="Lerums kommun")
        assert refused.value.code == "organisation_exists"
    with session(engine) as s:
        assert organisations.by_tenant(s, TENANT_A).name == "Lerums kommun"  # type: ignore[union-attr]
        assert organisations.by_name(s, "Alingsås kommun") == other


def test_edit(engine: Engine) -> None:
    new_org(engine, "Standard", [TENANT_A])
    with session(engine) as s, s.begin():
        before = organisations.fingerprint(s)
        edited = organisations.edit(
            s, "standard", new_name="Nyköpings kommun", add_tenants=[TENANT_B],
            remove_tenants=[TENANT_A.upper()], languages=["en", "sv"], timezone="Europe/Helsinki",
            currency="eur", nudge_time="09:15", kolada_municipality="0480",
            kolada_kpis=["N00712"])
    assert (edited.name, edited.tenants, edited.languages, edited.timezone, edited.currency,
            edited.nudge_time, edited.kolada_municipality, edited.kolada_kpis) == (
        "Nyköpings kommun", (TENANT_B,), ("en", "sv"), "Europe/Helsinki", "EUR", "09:15",
        "0480", ("N00712",))
    with session(engine) as s:
        assert organisations.by_name(s, "Standard") is None
        assert organisations.by_tenant(s, TENANT_A) is None
        assert organisations.by_tenant(s, TENANT_B) == edited
        assert organisations.fingerprint(s) != before
    with session(engine) as s, s.begin():  # what is not given is kept
        before = organisations.fingerprint(s)
        again = organisations.edit(s, "Nyköpings kommun", nudge_time="10:00")
    with session(engine) as s:
        assert organisations.fingerprint(s) != before  # the bot's cached view is stale
    assert (again.languages, again.currency, again.kolada_kpis) == (("en", "sv"), "EUR",
                                                                    ("N00712",))
    with session(engine) as s, s.begin(), pytest.raises(Refused) as refused:
        organisations.edit(s, "Nyköpings kommun", languages=["xx"])
    assert refused.value.code == "unknown_language"


@pytest.mark.parametrize("new_name", ["   ", "x" * 201])
def test_edit_refuses_a_bad_new_name(engine: Engine, new_name: str) -> None:
    new_org(engine, "Lerums kommun")
    with session(engine) as s, s.begin(), pytest.raises(Refused) as refused:
        organisations.edit(s, "Lerums kommun", new_name=new_name)
    assert refused.value.code == "bad_organisation_name"
    with session(engine) as s:
        assert [o.name for o in organisations.list_organisations(s)] == ["Lerums kommun"]


def test_resolve(engine: Engine) -> None:
    with session(engine) as s, pytest.raises(Refused) as refused:
        organisations.resolve(s, None)
    assert refused.value.code == "no_organisations"
    only = new_org(engine, "Lerums kommun")
    with session(engine) as s:
        assert organisations.resolve(s, None) == only  # the only one: no name needed
        assert organisations.resolve(s, "") == only
        assert organisations.resolve(s, "lerums KOMMUN") == only
    new_org(engine, "Alingsås kommun")
    with session(engine) as s:
        with pytest.raises(Refused) as refused:
            organisations.resolve(s, None)
        assert (refused.value.code, refused.value.params) == (
            "organisation_required", {"names": "Lerums kommun, Alingsås kommun"})
        with pytest.raises(Refused) as refused:
            organisations.resolve(s, "Lerum")
        assert (refused.value.code, refused.value.params) == (
            "unknown_organisation", {"name": "Lerum", "names": "Lerums kommun, Alingsås kommun"})


def test_data_version_is_bumped(engine: Engine) -> None:
    org = new_org(engine, "Lerums kommun")
    with session(engine, org.id) as s, s.begin():
        assert organisations.data_version(s, org.id) == 0
        organisations.bump_data_version(s, org.id)
        add_alias(s, org.id, "Kommunstyrelsen", "KS", create=True)
    with session(engine, org.id) as s:
        assert organisations.data_version(s, org.id) == 2


def _fill(engine: Engine, org_id: int, tmp_path, tag: str) -> None:
    """A row in every organisation-scoped table."""
    path = write_csv(tmp_path / f"{tag}.csv", [
        ["kind", "title", "unit", "participants", "due_date", "status", "forecast", "comment"],
        ["Uppdrag", "Gemensam titel", "IT", "HR", "2025-12-31", "started", "on plan", "ok"]])
    import_file(engine, org_id, path)
    import_file(engine, org_id, write_csv(tmp_path / f"{tag}-f.csv", [
        ["unit", "period_end", "budget_period", "actual_period", "budget_year",
         "forecast_year"], ["IT", "2025-07-31", "1", "2", "3", "4"]]))
    import_file(engine, org_id, write_csv(tmp_path / f"{tag}-b.csv", [
        ["unit", "line", "year", "scenario", "amount"], ["IT", "Kostnader", "2025", "budget",
                                                         "-5"]]))
    import_file(engine, org_id, write_csv(tmp_path / f"{tag}-i.csv", [
        ["indicator", "year", "value"], ["Sjukfrånvaro", "2024", "9,0"]]))
    with session(engine, org_id) as s, s.begin():
        add_alias(s, org_id, "IT", "IT-avdelningen")
        grant(s, org_id, f"user-{tag}", RoleName.ADMIN)
        ref = conversations.record(s, ConversationInfo(
            org_id, f"19:{tag}@thread.tacv2", "channel", "msteams", "https://smba.example/",
            f"tenant-{tag}", "", {"conversation": {"id": f"19:{tag}@thread.tacv2"}}))
        subscribe(s, org_id, ref.id, [], SubscriptionOptions(), "08:00", "anna",
                  indicators=True)  # records what it has seen of the indicators
        snooze(s, org_id, f"user-{tag}", date(2025, 9, 30))
    assert claim(engine, org_id, f"19:{tag}@thread.tacv2", "digest", date(2025, 9, 30), [1],
                 "w")


def test_remove_deletes_every_row_of_the_organisation_and_nothing_else(
        engine: Engine, tmp_path) -> None:
    a = new_org(engine, "Lerums kommun", [TENANT_A])
    b = new_org(engine, "Alingsås kommun", [TENANT_B])
    _fill(engine, a.id, tmp_path, "a")
    _fill(engine, b.id, tmp_path, "b")
    of_b = counts(engine, b.id)
    assert all(of_b.values()), of_b  # every scoped table has a row, so every delete is tested
    assert counts(engine, a.id) == of_b
    with session(engine) as s, s.begin(), pytest.raises(RuntimeError):
        organisations.remove(s, "Lerums kommun")  # not scoped to it: refused
    with session(engine, b.id) as s, s.begin(), pytest.raises(RuntimeError):
        organisations.remove(s, "Lerums kommun")  # scoped to another one: refused
    with session(engine, a.id) as s, s.begin():
        removed = organisations.remove(s, "lerums kommun")
    assert removed == a
    assert counts(engine, a.id) == dict.fromkeys(of_b, 0)
    assert counts(engine, b.id) == of_b
    with session(engine) as s:
        assert organisations.list_organisations(s) == [b]
        assert organisations.by_tenant(s, TENANT_A) is None
    total = all_counts(engine)
    assert (total["organisation"], total["organisation_tenant"]) == (1, 1)
    with session(engine, b.id) as s:
        from storage.queries import budget, list_units

        units = list_units(s, b.id)
        assert [u.name for u in units] == ["HR", "IT"]
        it = next(u for u in units if u.name == "IT")
        view = budget(s, b.id, it.id)
        assert view is not None and view.lines[0].amounts == {
            (2025, view.columns[0].scenario): Decimal("-5.00")}
