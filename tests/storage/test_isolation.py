"""Two organisations with overlapping unit names ("IT", "HR") and titles: every read and
write of one sees and changes only its own rows. On PostgreSQL, row-level security is a
second wall: an unscoped session sees nothing, a scoped one only its organisation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from storage_helpers import counts, new_org

from storage import conversations
from storage.conversations import ConversationInfo
from storage.db import session
from storage.domain import Forecast, Refused, Status
from storage.filters import AssignmentFilter
from storage.importer import import_table
from storage.ledger import DIGEST, claim, handled_today
from storage.organisations import OrganisationView
from storage.queries import (
    assignment_page,
    assignments,
    budget,
    catalog_rows,
    count_assignments,
    finance_overview,
    get_assignment,
    indicators,
    latest_finance,
    list_units,
    search_titles,
    summary,
    unit_assignment_counts,
    unit_name,
)
from storage.roles import Principal, RoleName, grant, is_admin, list_roles, may_update
from storage.schedule import SubscriptionOptions
from storage.subscriptions import active_subscriptions, subscribe
from storage.units import add_alias, find_unit
from storage.updates import Refusal, UpdateRefused, UpdateRequest, apply_update

TODAY = date(2025, 9, 30)
HEADER = ["kind", "title", "unit", "due_date", "status", "forecast", "comment"]


def _load(engine: Engine, org: OrganisationView, n: int, tag: str) -> None:
    rows = [HEADER] + [["Uppdrag", f"Gemensamt uppdrag {i}", "IT" if i % 2 else "HR",
                        "2025-01-31", "started", "on plan", f"{tag} kommentar {i}"]
                       for i in range(1, n + 1)]
    import_table(engine, org.id, rows)
    import_table(engine, org.id, [
        ["unit", "period_end", "budget_period", "actual_period", "budget_year", "forecast_year"],
        ["IT", "2025-07-31", "-1", "-1", f"-{n}00", f"-{n}50"],
        ["HR", "2025-07-31", "-1", "-1", "-10", "-10"]])
    import_table(engine, org.id, [["unit", "line", "year", "scenario", "amount"],
                                  ["IT", "Kostnader", "2025", "budget", f"-{n}"]])
    import_table(engine, org.id, [["indicator", "unit", "year", "value"],
                                  ["Sjukfrånvaro", "HR", "2024", f"{n},0"]])


@pytest.fixture
def two(engine: Engine) -> tuple[OrganisationView, OrganisationView]:
    a = new_org(engine, "Kommun A", ["tenant-a"])
    b = new_org(engine, "Kommun B", ["tenant-b"])
    _load(engine, a, 2, "A")
    _load(engine, b, 4, "B")
    return a, b


def _unit(engine: Engine, org: OrganisationView, name: str) -> int:
    with session(engine, org.id) as s:
        return find_unit(s, org.id, name).id  # type: ignore[union-attr]


def test_reads_see_only_their_organisation(engine: Engine, two) -> None:
    a, b = two
    it_a, it_b = _unit(engine, a, "IT"), _unit(engine, b, "IT")
    assert it_a != it_b
    everything = AssignmentFilter()
    with session(engine, a.id) as s:
        assert [u.name for u in list_units(s, a.id)] == ["HR", "IT"]
        assert [x.title for x in assignments(s, a.id, everything, TODAY)] == [
            "Gemensamt uppdrag 1", "Gemensamt uppdrag 2"]
        assert count_assignments(s, a.id, everything, TODAY) == 2
        assert count_assignments(s, a.id, AssignmentFilter(overdue=True), TODAY) == 2
        assert assignment_page(s, a.id, everything, TODAY).total == 2
        assert summary(s, a.id).total == (2, 0, 0)
        assert unit_assignment_counts(s, a.id, it_a, TODAY).on_plan == 1
        assert unit_assignment_counts(s, a.id, it_b, TODAY).total == 0  # B's unit id
        assert [f.budget_year for f in finance_overview(s, a.id)] == [Decimal("-10"),
                                                                     Decimal("-200")]
        assert latest_finance(s, a.id, it_b) is None
        assert budget(s, a.id, it_b) is None
        assert budget(s, a.id, it_a).lines[0].amount(2025) == Decimal("-2")  # type: ignore[union-attr]
        assert [y.total for i in indicators(s, a.id) for y in i.years] == [Decimal("2.0")]
        assert indicators(s, a.id, unit_ids=[_unit(engine, b, "HR")]) == []
        assert get_assignment(s, a.id, 4) is None  # B has a #4, A has not
        a1 = get_assignment(s, a.id, 1)
        assert a1 is not None and [c.text for c in a1.comments] == ["A kommentar 1"]
        assert len(search_titles(s, a.id, ["gemensamt"])) == 2
        assert unit_name(s, a.id, it_b) is None
        rows = catalog_rows(s, a.id)
        assert (len(rows.units), len(rows.assignments), len(rows.indicators)) == (2, 2, 1)
    with session(engine, b.id) as s:
        assert count_assignments(s, b.id, everything, TODAY) == 4
        assert summary(s, b.id).total == (4, 0, 0)
        assert [c.text for c in get_assignment(s, b.id, 1).comments] == ["B kommentar 1"]  # type: ignore[union-attr]


def test_roles_of_one_organisation_grant_nothing_in_another(engine: Engine, two) -> None:
    a, b = two
    with session(engine, a.id) as s, s.begin():
        grant(s, a.id, "boss", RoleName.ADMIN)
        grant(s, a.id, "maria", RoleName.MANAGER, "IT")
    with session(engine, b.id) as s:
        assert not is_admin(s, b.id, "boss")
        assert not may_update(s, b.id, "maria", _unit(engine, b, "IT"))
        assert list_roles(s, b.id) == []
    with session(engine, a.id) as s:
        assert may_update(s, a.id, "maria", _unit(engine, a, "IT"))
        assert not may_update(s, a.id, "maria", _unit(engine, b, "IT"))  # B's unit id


def test_an_update_with_another_organisations_number_is_not_found(engine: Engine, two) -> None:
    a, b = two
    with session(engine, a.id) as s, s.begin():
        grant(s, a.id, "boss", RoleName.ADMIN)
    before_a, before_b = counts(engine, a.id), counts(engine, b.id)
    request = UpdateRequest(a.id, 4, None, Status.COMPLETED, Forecast.ON_PLAN, None, "Klart.",
                            Principal("boss", "Chefen"), "msteams:c:1")
    with pytest.raises(UpdateRefused) as refused:
        apply_update(engine, request)
    assert refused.value.refusal is Refusal.NOT_FOUND
    assert (counts(engine, a.id), counts(engine, b.id)) == (before_a, before_b)
    with session(engine, b.id) as s:
        assert get_assignment(s, b.id, 4).status is Status.STARTED  # type: ignore[union-attr]
    # #1 exists in both: the update changes A's #1 only.
    result = apply_update(engine, UpdateRequest(a.id, 1, None, Status.COMPLETED,
                                                Forecast.ON_PLAN, None, "Klart.",
                                                Principal("boss", "Chefen")))
    assert result.assignment.status is Status.COMPLETED
    with session(engine, b.id) as s:
        b1 = get_assignment(s, b.id, 1)
        assert b1 is not None and (b1.status, b1.version) == (Status.STARTED, 1)
    assert counts(engine, b.id) == before_b


def test_aliases_conversations_subscriptions_and_claims_are_per_organisation(
        engine: Engine, two) -> None:
    a, b = two
    with session(engine, a.id) as s, s.begin():
        add_alias(s, a.id, "IT", "Digitalisering")
    with session(engine, b.id) as s, s.begin():
        assert find_unit(s, b.id, "Digitalisering") is None
        add_alias(s, b.id, "HR", "Digitalisering")  # the same alias, another unit: allowed
    with session(engine, a.id) as s:
        assert find_unit(s, a.id, "digitalisering").name == "IT"  # type: ignore[union-attr]
    refs = {}
    for org in (a, b):
        with session(engine, org.id) as s, s.begin():
            ref = conversations.record(s, ConversationInfo(
                org.id, "19:same@thread.tacv2", "channel", "msteams", f"https://{org.id}/",
                f"tenant-{org.id}", "", {"conversation": {"id": "19:same@thread.tacv2"}}))
            refs[org.id] = ref
            subscribe(s, org.id, ref.id, [find_unit(s, org.id, "IT").id],  # type: ignore[union-attr]
                      SubscriptionOptions(), "08:00", "anna")
    assert refs[a.id].id != refs[b.id].id
    with session(engine, a.id) as s:
        assert conversations.get(s, a.id, "19:same@thread.tacv2").service_url == (  # type: ignore[union-attr]
            f"https://{a.id}/")
        assert [d.subscription.unit_names for d in active_subscriptions(s, a.id)] == [["IT"]]
        assert conversations.tenants(s, a.id) == [f"tenant-{a.id}"]
    assert claim(engine, a.id, "19:same@thread.tacv2", DIGEST, TODAY, [1], "w")
    assert claim(engine, b.id, "19:same@thread.tacv2", DIGEST, TODAY, [1], "w")  # its own
    with session(engine, b.id) as s:
        assert handled_today(s, b.id, DIGEST, TODAY) == {"19:same@thread.tacv2"}


def test_an_import_changes_only_its_organisation(engine: Engine, two) -> None:
    a, b = two
    before_b = counts(engine, b.id)
    result = import_table(engine, a.id, [HEADER, ["Uppdrag", "Gemensamt uppdrag 1", "IT",
                                                  "2026-01-31", "completed", "on plan",
                                                  "Ny kommentar"],
                                         ["Uppdrag", "Gemensamt uppdrag 3", "Ny enhet",
                                          "2026", "started", "on plan", ""]])
    assert (result.created, result.updated, result.units_created) == (1, 1, ["Ny enhet"])
    assert counts(engine, b.id) == before_b
    with session(engine, a.id) as s:
        assert get_assignment(s, a.id, 3).title == "Gemensamt uppdrag 3"  # type: ignore[union-attr]
    with session(engine, b.id) as s:
        assert get_assignment(s, b.id, 1).status is Status.STARTED  # type: ignore[union-attr]
        assert get_assignment(s, b.id, 3).title == "Gemensamt uppdrag 3"  # type: ignore[union-attr]
        assert find_unit(s, b.id, "Ny enhet") is None
    with pytest.raises(Refused):
        with session(engine, b.id) as s:
            from storage.units import require_unit

            require_unit(s, b.id, "Ny enhet")


# --- PostgreSQL's row-level security -------------------------------------------------------


# Row-level security is PostgreSQL's: these tests take only its half of `database_url`.
postgres_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def pg(engine: Engine) -> Engine:
    assert engine.dialect.name == "postgresql"
    return engine


@postgres_only
def test_an_unscoped_session_sees_nothing(pg: Engine, two) -> None:
    with session(pg) as s:
        for table in ("assignment", "unit", "status_comment", "finance_follow_up",
                      "budget_line", "indicator", "indicator_value"):
            assert s.execute(text(f"SELECT * FROM {table}")).all() == [], table  # noqa: S608
    with pg.connect() as conn:  # not even a plain connection
        assert conn.execute(text("SELECT count(*) FROM assignment")).scalar_one() == 0


@postgres_only
def test_a_scoped_session_without_where_sees_only_its_rows(pg: Engine, two) -> None:
    a, b = two
    with session(pg, a.id) as s:
        rows = s.execute(text("SELECT organisation_id, number FROM assignment ORDER BY number")
                         ).all()
        assert rows == [(a.id, 1), (a.id, 2)]
        assert {r[0] for r in s.execute(text("SELECT organisation_id FROM unit"))} == {a.id}
    with session(pg, b.id) as s:
        assert s.execute(text("SELECT count(*) FROM assignment")).scalar_one() == 4
    with session(pg, a.id) as s, s.begin():  # a write without WHERE reaches only A's rows
        s.execute(text("UPDATE assignment SET status = 'completed'"))
    with session(pg, b.id) as s:
        assert s.execute(text("SELECT count(*) FROM assignment WHERE status = 'completed'")
                         ).scalar_one() == 0


@postgres_only
def test_an_insert_into_another_organisation_fails(pg: Engine, two) -> None:
    a, b = two
    with pytest.raises(DBAPIError, match="row-level security"):
        with session(pg, a.id) as s, s.begin():
            s.execute(text("INSERT INTO unit (organisation_id, name, responsible) "
                           "VALUES (:o, 'Smuggel', '')"), {"o": b.id})
    with pytest.raises(DBAPIError, match="row-level security"):
        with session(pg, a.id) as s, s.begin():
            s.execute(text("UPDATE unit SET organisation_id = :o"), {"o": b.id})
    assert counts(pg, b.id)["unit"] == 2
    assert counts(pg, a.id)["unit"] == 2
