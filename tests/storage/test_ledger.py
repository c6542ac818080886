"""storage.ledger: exactly-once nudges with leases on the database's clock."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from storage_helpers import new_org

import storage.ledger as ledger_module
from storage import ledger
from storage.db import session
from storage.models import SentNudge
from storage.organisations import OrganisationView

TODAY = date(2025, 9, 30)


@pytest.fixture
def org(engine: Engine) -> OrganisationView:
    return new_org(engine, "Testkommun")


def _row(engine: Engine, org: OrganisationView, key: str = "c1") -> SentNudge:
    with session(engine, org.id) as s:
        return s.execute(select(SentNudge).where(SentNudge.organisation_id == org.id,
                                                 SentNudge.conversation_id == key)).scalar_one()


def test_claim_finish_release(engine: Engine, org: OrganisationView) -> None:
    o = org.id
    assert ledger.claim(engine, o, "c1", ledger.DIGEST, TODAY, [1, 2], "w1")
    assert not ledger.claim(engine, o, "c1", ledger.DIGEST, TODAY, [1, 2], "w2")
    assert ledger.claim(engine, o, "c1", ledger.DIGEST, TODAY + timedelta(days=1), [1], "w2")
    assert ledger.claim(engine, o, "c1", ledger.REMINDER, TODAY, [1], "w2")  # another kind
    with session(engine, o) as s:
        assert ledger.handled_today(s, o, ledger.DIGEST, TODAY) == {"c1"}
        assert ledger.handled_today(s, o, ledger.DIGEST, TODAY - timedelta(days=1)) == set()
    ledger.finish(engine, o, "c1", ledger.DIGEST, TODAY, "w2", ledger.SENT)  # not w2's
    with session(engine, o) as s:
        first = s.execute(select(SentNudge).where(SentNudge.day == TODAY,
                                                  SentNudge.kind == ledger.DIGEST)).scalar_one()
        assert (first.claimed_by, first.state, first.assignment_ids) == ("w1", "claimed", "1,2")
        assert first.lease_until is not None
    ledger.finish(engine, o, "c1", ledger.DIGEST, TODAY, "w1", ledger.SENT)
    with session(engine, o) as s:
        done = s.execute(select(SentNudge).where(SentNudge.day == TODAY,
                                                 SentNudge.kind == ledger.DIGEST)).scalar_one()
        assert (done.state, done.lease_until) == ("sent", None) and done.sent_at is not None
        assert ledger.handled_today(s, o, ledger.DIGEST, TODAY) == {"c1"}  # sent is final
    assert not ledger.claim(engine, o, "c1", ledger.DIGEST, TODAY, [1], "w3")
    assert not ledger.renew(engine, o, "c1", ledger.DIGEST, TODAY, "w1")  # sent: not renewed
    # Released: the next pass retries it.
    assert ledger.claim(engine, o, "c2", ledger.DIGEST, TODAY, [3], "w1")
    ledger.release(engine, o, "c2", ledger.DIGEST, TODAY, "w2")  # not w2's: kept
    assert not ledger.claim(engine, o, "c2", ledger.DIGEST, TODAY, [3], "w2")
    ledger.release(engine, o, "c2", ledger.DIGEST, TODAY, "w1")
    with session(engine, o) as s:
        assert ledger.handled_today(s, o, ledger.DIGEST, TODAY) == {"c1"}
    assert ledger.claim(engine, o, "c2", ledger.DIGEST, TODAY, [3], "w2")
    # Failed for good is handled too.
    ledger.finish(engine, o, "c2", ledger.DIGEST, TODAY, "w2", ledger.FAILED)
    with session(engine, o) as s:
        assert ledger.handled_today(s, o, ledger.DIGEST, TODAY) == {"c1", "c2"}
    assert not ledger.claim(engine, o, "c2", ledger.DIGEST, TODAY, [3], "w3")


class _Later(datetime):
    """The taking pass's clock: hours ahead of the database's (app.py nudge --at, a skewed
    machine, a catch-up pass)."""

    @classmethod
    def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
        return datetime.now(tz or UTC) + timedelta(hours=6)


def test_a_claim_within_its_lease_is_not_taken_over_whatever_the_passs_clock_says(
        engine: Engine, org: OrganisationView, monkeypatch: pytest.MonkeyPatch) -> None:
    o = org.id
    assert ledger.claim(engine, o, "c1", ledger.DIGEST, TODAY, [1], "w1")
    monkeypatch.setattr(ledger_module, "datetime", _Later)
    assert not ledger.claim(engine, o, "c1", ledger.DIGEST, TODAY, [1], "w2")
    with session(engine, o) as s:
        assert ledger.handled_today(s, o, ledger.DIGEST, TODAY) == {"c1"}
    assert _row(engine, org).claimed_by == "w1"
    assert ledger.renew(engine, o, "c1", ledger.DIGEST, TODAY, "w1")
    assert not ledger.renew(engine, o, "c1", ledger.DIGEST, TODAY, "w2")


def test_a_lapsed_lease_is_taken_over_by_exactly_one_of_several(engine: Engine,
                                                                org: OrganisationView) -> None:
    o = org.id
    assert ledger.claim(engine, o, "c1", ledger.DIGEST, TODAY, [1], "dead",
                        lease=timedelta(milliseconds=300))
    with session(engine, o) as s:
        assert ledger.handled_today(s, o, ledger.DIGEST, TODAY) == {"c1"}
    time.sleep(0.6)
    with session(engine, o) as s:
        assert ledger.handled_today(s, o, ledger.DIGEST, TODAY) == set()  # retried
    barrier = threading.Barrier(8)

    def take(i: int) -> bool:
        barrier.wait()
        return ledger.claim(engine, o, "c1", ledger.DIGEST, TODAY, [1, 2], f"w{i}")

    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(take, range(8)))
    assert won.count(True) == 1
    row = _row(engine, org)
    assert (row.claimed_by, row.assignment_ids, row.state) == (f"w{won.index(True)}", "1,2",
                                                               "claimed")
    ledger.finish(engine, o, "c1", ledger.DIGEST, TODAY, "dead", ledger.SENT)  # too late
    assert _row(engine, org).state == "claimed"


def test_concurrent_first_claims_one_wins(engine: Engine, org: OrganisationView) -> None:
    barrier = threading.Barrier(8)

    def take(i: int) -> bool:
        barrier.wait()
        return ledger.claim(engine, org.id, "c9", ledger.DIGEST, TODAY, [1], f"w{i}")

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(take, range(8))).count(True) == 1


def test_renew_keeps_the_claim(engine: Engine, org: OrganisationView) -> None:
    o = org.id
    assert ledger.claim(engine, o, "c1", ledger.DIGEST, TODAY, [1], "w1",
                        lease=timedelta(milliseconds=400))
    assert ledger.renew(engine, o, "c1", ledger.DIGEST, TODAY, "w1", lease=timedelta(minutes=5))
    time.sleep(0.7)  # past the first lease
    assert not ledger.claim(engine, o, "c1", ledger.DIGEST, TODAY, [1], "w2")
    with session(engine, o) as s:
        assert ledger.handled_today(s, o, ledger.DIGEST, TODAY) == {"c1"}
    assert not ledger.renew(engine, o, "c1", ledger.DIGEST, TODAY, "w2")  # not w2's


def test_recently_reminded_reads_the_last_week(engine: Engine, org: OrganisationView) -> None:
    key = ledger.reminder_key("anna")
    assert key == "user:anna"
    for days_ago, ids in ((1, [1, 2]), (6, [3]), (7, [4]), (0, [5])):
        day = TODAY - timedelta(days=days_ago)
        assert ledger.claim(engine, org.id, key, ledger.REMINDER, day, ids, "w")
        ledger.finish(engine, org.id, key, ledger.REMINDER, day, "w", ledger.SENT)
    assert ledger.claim(engine, org.id, key, ledger.REMINDER, TODAY - timedelta(days=2), [6],
                        "w")  # claimed, never sent: not counted
    with session(engine, org.id) as s:
        assert ledger.recently_reminded(s, org.id, ["anna", "bo"], TODAY) == {"anna": {1, 2, 3}}
        assert ledger.recently_reminded(s, org.id, [], TODAY) == {}
