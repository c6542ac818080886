"""storage.updates without the bot: validation, authorisation, replay and concurrency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, func, text
from sqlmodel import select

from storage.db import session
from storage.domain import Forecast, Status
from storage.models import Assignment, StatusComment
from storage.organisations import OrganisationView
from storage.roles import Principal, RoleName, grant
from storage.updates import (
    Refusal,
    UpdateRefused,
    UpdateRequest,
    apply_update,
    parse_submission,
)

MANAGER = Principal("aad-stab", "Maria Stab")


@pytest.fixture
def org(demo: Engine, norrtalje: OrganisationView) -> OrganisationView:
    with session(demo, norrtalje.id) as s, s.begin():
        grant(s, norrtalje.id, MANAGER.user_id, RoleName.MANAGER, "Stab och planering",
              MANAGER.user_name)
    return norrtalje


def stab_assignment(engine: Engine, org: OrganisationView) -> Assignment:
    with session(engine, org.id) as s:
        return s.exec(select(Assignment).where(Assignment.organisation_id == org.id,
                                               Assignment.title.startswith("Trygghetskameror"))
                      ).one()


def snapshot(engine: Engine, org: OrganisationView) -> tuple[int, int, int]:
    with session(engine, org.id) as s:
        return (s.exec(select(func.count()).select_from(StatusComment)
                       .where(StatusComment.organisation_id == org.id)).one(),
                sum(a.version for a in s.exec(select(Assignment)
                                              .where(Assignment.organisation_id == org.id))),
                s.execute(text("SELECT count(*) FROM processed_activity")).scalar_one())


def request(org: OrganisationView, a: Assignment, **kw: object) -> UpdateRequest:
    values: dict[str, object] = {
        "organisation_id": org.id, "number": a.number, "seen_version": a.version,
        "status": Status.COMPLETED, "forecast": Forecast.ON_PLAN, "due_date": None,
        "comment": "Klart.", "author": MANAGER, "activity_key": "",
    }
    return UpdateRequest(**{**values, **kw})  # type: ignore[arg-type]


def test_update_appends_history_and_changes_values(demo: Engine, org: OrganisationView) -> None:
    a = stab_assignment(demo, org)
    result = apply_update(demo, request(org, a))
    assert result.assignment.status is Status.COMPLETED
    assert result.changes == [("status", "started", "completed")]
    assert not result.stale
    latest = result.assignment.latest_comment
    assert latest is not None
    assert (latest.text, latest.author, latest.changes) == ("Klart.", "Maria Stab",
                                                             "status: started → completed")
    assert len(result.assignment.comments) == 2  # the imported one is kept
    assert result.assignment.version == a.version + 1


def test_a_stale_card_is_told_who_changed_it(demo: Engine, org: OrganisationView) -> None:
    from datetime import date

    a = stab_assignment(demo, org)
    apply_update(demo, request(org, a, status=Status.STARTED, due_date=date(2026, 1, 31)))
    result = apply_update(demo, request(org, a))  # still the old version
    assert result.stale and result.changed_meanwhile_by == "Maria Stab"
    assert result.changes == [("status", "started", "completed")]


def test_not_allowed_names_the_managers_and_writes_nothing(demo: Engine,
                                                           org: OrganisationView) -> None:
    a = stab_assignment(demo, org)
    before = snapshot(demo, org)
    with pytest.raises(UpdateRefused) as refused:
        apply_update(demo, request(org, a, author=Principal("aad-it", "Ivan"),
                                   activity_key="k1"))
    assert refused.value.refusal is Refusal.NOT_ALLOWED
    assert refused.value.managers == ["Maria Stab"]
    assert refused.value.unit == "Stab och planering"
    assert snapshot(demo, org) == before


def test_missing_assignment_writes_nothing(demo: Engine, org: OrganisationView) -> None:
    a = stab_assignment(demo, org)
    before = snapshot(demo, org)
    with pytest.raises(UpdateRefused) as refused:
        apply_update(demo, request(org, a, number=987654, activity_key="k2"))
    assert refused.value.refusal is Refusal.NOT_FOUND
    assert snapshot(demo, org) == before


def test_replay_is_refused(demo: Engine, org: OrganisationView) -> None:
    a = stab_assignment(demo, org)
    apply_update(demo, request(org, a, activity_key="msteams:c:1"))
    before = snapshot(demo, org)
    with pytest.raises(UpdateRefused) as refused:
        apply_update(demo, request(org, a, activity_key="msteams:c:1"))
    assert refused.value.refusal is Refusal.REPLAYED
    assert snapshot(demo, org) == before


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ("not a dict", "data"),
        ({"status": "started", "forecast": "on_plan"}, "assignment_id"),
        ({"assignment_id": "x", "status": "started", "forecast": "on_plan"}, "assignment_id"),
        ({"assignment_id": -1, "status": "started", "forecast": "on_plan"}, "assignment_id"),
        ({"assignment_id": True, "status": "started", "forecast": "on_plan"}, "assignment_id"),
        ({"assignment_id": 2**31, "status": "started", "forecast": "on_plan"}, "assignment_id"),
        ({"assignment_id": 1, "version": "v", "status": "started", "forecast": "on_plan"},
         "version"),
        ({"assignment_id": 1, "status": "Slutförd", "forecast": "on_plan"}, "status"),
        ({"assignment_id": 1, "status": "started", "forecast": ""}, "forecast"),
        ({"assignment_id": 1, "status": "started", "forecast": "deviation"}, "comment_required"),
        ({"assignment_id": 1, "status": "started", "forecast": "on_plan",
          "due_date": "2025-02-30"}, "due_date"),
        ({"assignment_id": 1, "status": "started", "forecast": "on_plan",
          "due_date": 20250230}, "due_date"),
        ({"assignment_id": 1, "status": "started", "forecast": "on_plan",
          "comment": ["x"]}, "comment"),
        ({"assignment_id": 1, "status": "started", "forecast": "on_plan",
          "comment": "x" * 4001}, "comment_length"),
    ],
)
def test_invalid_submissions(data: object, field: str) -> None:
    with pytest.raises(UpdateRefused) as refused:
        parse_submission(1, data, MANAGER)
    assert (refused.value.refusal, refused.value.field) == (Refusal.INVALID, field)


def test_valid_submission_is_parsed() -> None:
    parsed = parse_submission(7, {"assignment_id": "12", "version": 3, "status": "completed",
                                  "forecast": "deviation", "comment": "  Sent.  ",
                                  "due_date": "2026-01-31"}, MANAGER, "key")
    assert (parsed.organisation_id, parsed.number, parsed.seen_version, parsed.status,
            parsed.forecast, parsed.comment, parsed.due_date.isoformat(),  # type: ignore[union-attr]
            parsed.activity_key) == (
        7, 12, 3, Status.COMPLETED, Forecast.DEVIATION, "Sent.", "2026-01-31", "key")


def test_concurrent_updates_keep_all_comments(demo: Engine, org: OrganisationView) -> None:
    a = stab_assignment(demo, org)
    with session(demo, org.id) as s:
        before = s.exec(select(func.count()).select_from(StatusComment)
                        .where(StatusComment.assignment_id == a.id)).one()

    def one(i: int) -> bool:
        return apply_update(demo, request(org, a, comment=f"c{i}", activity_key=f"k{i}")).stale

    with ThreadPoolExecutor(max_workers=8) as pool:
        stale = list(pool.map(one, range(20)))
    with session(demo, org.id) as s:
        after = s.exec(select(func.count()).select_from(StatusComment)
                       .where(StatusComment.assignment_id == a.id)).one()
        version = s.get(Assignment, a.id).version  # type: ignore[union-attr]
    assert after == before + 20
    assert version == a.version + 20
    assert stale.count(False) == 1  # only the first saw the version it changed
