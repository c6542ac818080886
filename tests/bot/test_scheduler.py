"""bot/scheduler.py: the asyncio task (injectable clock), and nudge passes on a real database
(SQLite and PostgreSQL): what is scheduled goes out, per organisation at its own time in its
own time zone and in the conversation's language, and exactly once, also when two passes run
at once with different clocks, when a pass is slower than its lease, and after a crash."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from botbuilder.core import ConversationState, MemoryStorage
from fake_channel import FakeChannel, fake_channel
from nudging import RecordingSender, card_of, manager, subscribe
from sqlalchemy import Engine, select
from storage_helpers import new_org

from bot.adapter import LagetAdapter
from bot.proactive import GONE, ProactiveSender
from bot.scheduler import NudgePass, PassResult, Scheduler
from config import Settings
from storage import conversations, ledger
from storage.db import make_engine, session
from storage.importer import import_table
from storage.models import Assignment, SentNudge, Subscription, Unit
from storage.organisations import OrganisationView

STOCKHOLM = ZoneInfo("Europe/Stockholm")
HELSINKI = ZoneInfo("Europe/Helsinki")
TUESDAY = date(2025, 9, 30)
MONDAY_0900 = datetime(2025, 9, 29, 9, 0, tzinfo=STOCKHOLM)
CHANNELS = 40

HEADER = ["kind", "title", "unit", "due_date", "status", "forecast", "comment"]


def _assignments(prefix: str, unit: str = "IT", shared: str = "Gemensam titel"
                 ) -> list[list[Any]]:
    """Three open assignments of `unit`, overdue or due within the week (and one done)."""
    return [HEADER,
            ["Uppdrag", f"{prefix} försenat", unit, "2025-09-01", "Påbörjad", "Enligt plan",
             f"{prefix}: väntar på underlag."],
            ["Uppdrag", f"{prefix} snart", unit, "2025-10-03", "Påbörjad", "Enligt plan", ""],
            ["Uppdrag", shared, unit, "2025-10-02", "Ej påbörjad", "Enligt plan",
             f"{prefix}s egen kommentar."],
            ["Uppdrag", f"{prefix} klart", unit, "2025-09-01", "Slutförd", "Enligt plan", ""]]


@pytest.fixture
def norrtalje_like(engine: Engine) -> OrganisationView:
    org = new_org(engine, "Ekeby kommun", ["tenant-ekeby"])
    import_table(engine, org.id, _assignments("Ekeby"))
    return org


@pytest.fixture
def lovisa_like(engine: Engine) -> OrganisationView:
    """Like Lovisa: Helsinki's time zone, Finnish first; a unit named IT too."""
    org = new_org(engine, "Lovisa-lik stad", ["tenant-lovisa"], languages=["fi", "sv"],
                  timezone="Europe/Helsinki", currency="EUR")
    import_table(engine, org.id, _assignments("Lovisa"))
    return org


def titles_in(activities: list) -> set[str]:
    """The assignment titles a digest or reminder shows (its bold item lines)."""
    found = set()
    for activity in activities:
        for node in _walk(card_of(activity)):
            if node.get("type") == "TextBlock" and node.get("weight") == "Bolder" \
                    and node.get("size") is None:
                found.add(node["text"])
    return found


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def sent_rows(engine: Engine, org: OrganisationView) -> list[SentNudge]:
    with session(engine, org.id) as s:
        return list(s.execute(select(SentNudge).where(SentNudge.organisation_id == org.id)
                              .order_by(SentNudge.conversation_id)).scalars())


# --- the task ---------------------------------------------------------------------------------


async def test_scheduler_runs_passes_with_its_clock_until_stopped() -> None:
    seen: list[datetime] = []

    async def run_pass(now: datetime) -> PassResult:
        seen.append(now)
        if len(seen) == 2:
            raise RuntimeError("database down")  # logged; the next pass still runs
        return PassResult(digests=1)

    scheduler = Scheduler(run_pass, lambda: MONDAY_0900, interval=0.01)
    await scheduler.start()
    await scheduler.start()  # starting twice runs one task
    while len(seen) < 4:
        await asyncio.sleep(0.01)
    await scheduler.stop()
    count = len(seen)
    await asyncio.sleep(0.05)
    assert len(seen) == count and set(seen) == {MONDAY_0900}
    assert len(scheduler.results) == count - 1  # the failed one has no result
    await scheduler.stop()  # stopping twice is harmless


def test_a_pass_result_reads_as_a_line() -> None:
    result = PassResult(digests=2, reminders=1, messages=4, nothing_due=3, already_done=5,
                        gone=["c9"], failed=["c1", "c2"])
    assert str(result) == ("2 digests, 1 reminders, 4 messages; 3 with nothing due, "
                           "5 already done, 1 gone (switched off), 2 failed")


# --- what a pass sends ------------------------------------------------------------------------


async def test_a_pass_sends_what_is_scheduled_merging_a_conversations_subscriptions(
        demo: Engine, norrtalje: OrganisationView) -> None:
    engine = demo
    subscribe(engine, norrtalje, "weekly-mon", "Stab veckovis måndag kl 9")
    subscribe(engine, norrtalje, "weekly-mon", "Näringsliv veckovis måndag kl 9")  # one digest
    subscribe(engine, norrtalje, "weekly-fri", "veckovis fredag")
    subscribe(engine, norrtalje, "daily-10", "dagligen kl 10")
    sender = RecordingSender()
    result = await NudgePass(engine, sender).run(MONDAY_0900)  # type: ignore[arg-type]
    assert sender.conversations() == ["weekly-mon"] and result.digests == 1
    [row] = sent_rows(engine, norrtalje)
    assert row.state == "sent" and row.day == date(2025, 9, 29)
    ids = [int(i) for i in row.assignment_ids.split(",")]
    with session(engine, norrtalje.id) as s:
        units = set(s.execute(select(Unit.name).join(Assignment, Assignment.unit_id == Unit.id)
                              .where(Assignment.id.in_(ids))).scalars())
    assert units == {"Stab och planering", "Näringsliv"}
    assert len(titles_in(sender.to("weekly-mon"))) == len(ids)
    result = await NudgePass(engine, sender).run(MONDAY_0900 + timedelta(hours=2))
    assert sender.conversations()[1:] == ["daily-10"] and result.already_done == 1


async def test_nothing_due_means_no_message(engine: Engine,
                                            norrtalje_like: OrganisationView) -> None:
    subscribe(engine, norrtalje_like, "c1")
    sender = RecordingSender()
    result = await NudgePass(engine, sender).run(datetime(2025, 6, 2, 8, 0, tzinfo=STOCKHOLM))
    # Nothing was due in June: the due dates are from September on, the overdue one too.
    assert sender.sent == [] and result.nothing_due == 1 and sent_rows(engine,
                                                                       norrtalje_like) == []


async def test_a_gone_conversation_is_switched_off(engine: Engine,
                                                   norrtalje_like: OrganisationView) -> None:
    subscribe(engine, norrtalje_like, "c1")
    result = await NudgePass(engine, RecordingSender(GONE)).run(  # type: ignore[arg-type]
        datetime(2025, 9, 30, 8, 0, tzinfo=STOCKHOLM))
    assert result.gone == ["c1"]
    with session(engine, norrtalje_like.id) as s:
        sub = s.execute(select(Subscription)).scalar_one()
        assert not sub.active and sub.disabled_reason == "HTTP 403 on 2025-09-30"
        assert not conversations.get(s, norrtalje_like.id, "c1").active  # type: ignore[union-attr]
    assert [r.state for r in sent_rows(engine, norrtalje_like)] == ["failed"]


async def test_a_failed_send_is_released_for_the_next_pass(
        engine: Engine, norrtalje_like: OrganisationView) -> None:
    subscribe(engine, norrtalje_like, "c1")
    eight = datetime(2025, 9, 30, 8, 0, tzinfo=STOCKHOLM)
    result = await NudgePass(engine, RecordingSender("failed")).run(eight)  # type: ignore[arg-type]
    assert result.failed == ["c1"] and sent_rows(engine, norrtalje_like) == []
    sender = RecordingSender()
    await NudgePass(engine, sender).run(eight + timedelta(minutes=1))  # type: ignore[arg-type]
    assert sender.conversations() == ["c1"]


# --- per organisation -----------------------------------------------------------------------


async def test_each_organisation_at_its_nudge_time_in_its_time_zone(
        engine: Engine, norrtalje_like: OrganisationView,
        lovisa_like: OrganisationView) -> None:
    """Lovisa's 08:00 in Helsinki is 07:00 in Stockholm: its digest goes an hour earlier."""
    subscribe(engine, norrtalje_like, "ekeby")
    subscribe(engine, lovisa_like, "lovisa", locale="fi-FI")
    sender = RecordingSender()
    nudges = NudgePass(engine, sender)  # type: ignore[arg-type]
    await nudges.run(datetime(2025, 9, 30, 6, 59, tzinfo=STOCKHOLM))
    assert sender.conversations() == []
    await nudges.run(datetime(2025, 9, 30, 7, 0, tzinfo=STOCKHOLM))  # 08:00 in Helsinki
    assert sender.conversations() == ["lovisa"]
    await nudges.run(datetime(2025, 9, 30, 5, 30, tzinfo=UTC))  # 07:30 / 08:30
    assert sender.conversations() == ["lovisa"]
    await nudges.run(datetime(2025, 9, 30, 6, 0, tzinfo=UTC))  # 08:00 in Stockholm
    assert sender.conversations() == ["lovisa", "ekeby"]
    # The ledger's day is each organisation's own date.
    assert [r.day for r in sent_rows(engine, lovisa_like)] == [TUESDAY]


async def test_a_naive_time_is_each_organisations_local_time(
        engine: Engine, norrtalje_like: OrganisationView,
        lovisa_like: OrganisationView) -> None:
    """`app.py nudge --at 2025-09-30T08:00`: 08:00 wherever each organisation is."""
    subscribe(engine, norrtalje_like, "ekeby")
    subscribe(engine, lovisa_like, "lovisa")
    sender = RecordingSender()
    await NudgePass(engine, sender).run(datetime(2025, 9, 30, 7, 59))  # type: ignore[arg-type]
    assert sender.sent == []
    await NudgePass(engine, sender).run(datetime(2025, 9, 30, 8, 0))  # type: ignore[arg-type]
    assert sorted(sender.conversations()) == ["ekeby", "lovisa"]


async def test_an_organisations_own_nudge_time(engine: Engine) -> None:
    org = new_org(engine, "Sen kommun", nudge_time="09:30")
    import_table(engine, org.id, _assignments("Sen"))
    subscribe(engine, org, "c")
    sender = RecordingSender()
    await NudgePass(engine, sender).run(datetime(2025, 9, 30, 9, 29, tzinfo=STOCKHOLM))
    assert sender.sent == []
    await NudgePass(engine, sender).run(datetime(2025, 9, 30, 9, 30, tzinfo=STOCKHOLM))
    assert sender.conversations() == ["c"]


async def test_one_organisation_only(engine: Engine, norrtalje_like: OrganisationView,
                                     lovisa_like: OrganisationView) -> None:
    subscribe(engine, norrtalje_like, "ekeby")
    subscribe(engine, lovisa_like, "lovisa")
    sender = RecordingSender()
    await NudgePass(engine, sender).run(datetime(2025, 9, 30, 9, 0), lovisa_like.name)  # type: ignore[arg-type]
    assert sender.conversations() == ["lovisa"]


async def test_a_digest_lists_only_its_own_organisations_assignments(
        engine: Engine, norrtalje_like: OrganisationView,
        lovisa_like: OrganisationView) -> None:
    subscribe(engine, norrtalje_like, "ekeby", "IT")
    subscribe(engine, lovisa_like, "lovisa", "IT")
    sender = RecordingSender()
    await NudgePass(engine, sender).run(datetime(2025, 9, 30, 9, 0))  # type: ignore[arg-type]
    ekeby, lovisa = sender.to("ekeby"), sender.to("lovisa")
    assert titles_in(ekeby) == {"Ekeby försenat", "Ekeby snart", "Gemensam titel"}
    assert titles_in(lovisa) == {"Lovisa försenat", "Lovisa snart", "Gemensam titel"}
    dumped_ekeby = json.dumps([card_of(a) for a in ekeby], ensure_ascii=False)
    dumped_lovisa = json.dumps([card_of(a) for a in lovisa], ensure_ascii=False)
    assert "Lovisa" not in dumped_ekeby and "Ekeby" not in dumped_lovisa
    assert "Ekebys egen kommentar." in dumped_ekeby and "Lovisas egen" in dumped_lovisa
    # Each digest's ledger row is its own organisation's, with its own assignment ids.
    [e_row], [l_row] = sent_rows(engine, norrtalje_like), sent_rows(engine, lovisa_like)
    assert set(e_row.assignment_ids.split(",")).isdisjoint(l_row.assignment_ids.split(","))


async def test_reminders_go_to_an_organisations_managers_for_its_units(
        engine: Engine, norrtalje_like: OrganisationView,
        lovisa_like: OrganisationView) -> None:
    import_table(engine, norrtalje_like.id, _assignments("Ekeby Stab", "Stab", "Stabs titel"))
    ekeby_it = manager(engine, norrtalje_like, "aad-anna", "IT")
    ekeby_stab = manager(engine, norrtalje_like, "aad-bo", "Stab")
    lovisa_it = manager(engine, lovisa_like, "aad-cecilia", "IT", locale="fi-FI")
    sender = RecordingSender()
    result = await NudgePass(engine, sender).run(datetime(2025, 9, 30, 9, 0))  # type: ignore[arg-type]
    assert sorted(sender.conversations()) == sorted([ekeby_it, ekeby_stab, lovisa_it])
    assert result.reminders == 3 and result.digests == 0
    assert titles_in(sender.to(ekeby_it)) == {"Ekeby försenat", "Ekeby snart",
                                              "Gemensam titel"}
    assert titles_in(sender.to(ekeby_stab)) == {"Ekeby Stab försenat", "Ekeby Stab snart",
                                                "Stabs titel"}
    assert titles_in(sender.to(lovisa_it)) == {"Lovisa försenat", "Lovisa snart",
                                               "Gemensam titel"}
    assert "Lovisa" not in json.dumps([card_of(a) for a in sender.to(ekeby_it)])
    # Finnish for the manager whose chat is in Finnish.
    assert sender.to(lovisa_it)[0].text.startswith("Muistutus:")
    assert sender.to(ekeby_it)[0].text.startswith("Påminnelse:")
    # Keyed by user in each organisation's ledger.
    assert {r.conversation_id for r in sent_rows(engine, lovisa_like)} == {
        "user:aad-cecilia"}


@pytest.mark.parametrize(("locale", "text", "title"), [
    ("fi-FI", "Muistutus:", "Läget: seurattavat tehtävät"),
    ("sv-FI", "Påminnelse:", "Läget: uppdrag att hålla koll på"),
    ("en-US", "Reminder:", "Läget: assignments to keep an eye on"),
    ("de-DE", "Påminnelse:", "Läget: uppdrag att hålla koll på"),  # not ours: the org's
])
async def test_a_digest_speaks_the_conversations_language(
        engine: Engine, norrtalje_like: OrganisationView, locale: str, text: str,
        title: str) -> None:
    subscribe(engine, norrtalje_like, "c", locale=locale)
    sender = RecordingSender()
    await NudgePass(engine, sender).run(datetime(2025, 9, 30, 9, 0))  # type: ignore[arg-type]
    [activity] = sender.to("c")
    assert activity.text.startswith(text)
    assert card_of(activity)["body"][0]["text"] == title


async def test_without_a_locale_a_digest_speaks_the_organisations_first_language(
        engine: Engine, lovisa_like: OrganisationView) -> None:
    subscribe(engine, lovisa_like, "c", locale="")
    sender = RecordingSender()
    await NudgePass(engine, sender).run(datetime(2025, 9, 30, 9, 0))  # type: ignore[arg-type]
    assert sender.to("c")[0].text.startswith("Muistutus:")


# --- exactly once -----------------------------------------------------------------------------


@pytest.fixture
async def channel() -> AsyncIterator[FakeChannel]:
    async with fake_channel() as ch:
        yield ch


@pytest.fixture
def second_engine(database_url: str, engine: Engine) -> Iterator[Engine]:
    """Another instance's connection pool on the same database."""
    other = make_engine(database_url)
    yield other
    other.dispose()


async def _senders(n: int) -> list[tuple[LagetAdapter, ProactiveSender]]:
    found = []
    for _ in range(n):
        adapter = LagetAdapter(Settings(), ConversationState(MemoryStorage()))
        found.append((adapter, ProactiveSender(adapter, "", base_delay=0.01, max_delay=0.05)))
    return found


async def test_two_passes_with_different_clocks_send_each_digest_once(
        engine: Engine, second_engine: Engine, norrtalje_like: OrganisationView,
        channel: FakeChannel) -> None:
    """Two instances (own pools, own workers) run a pass at once, one thinking it is 08:05,
    the other 08:30: 40 channels get one digest each."""
    names = [f"19:channel-{i}@thread.tacv2" for i in range(CHANNELS)]
    for name in names:
        subscribe(engine, norrtalje_like, name, service_url=channel.url)
    (a_adapter, a_sender), (b_adapter, b_sender) = await _senders(2)
    try:
        first = NudgePass(engine, a_sender, worker="instance-a")
        second = NudgePass(second_engine, b_sender, worker="instance-b")
        results = await asyncio.gather(
            first.run(datetime(2025, 9, 30, 8, 5, tzinfo=STOCKHOLM)),
            second.run(datetime(2025, 9, 30, 8, 30, tzinfo=STOCKHOLM)))
    finally:
        await a_adapter.close()
        await b_adapter.close()
    assert {name: len(channel.replies(name)) for name in names} == dict.fromkeys(names, 1)
    assert sum(r.digests for r in results) == CHANNELS
    assert sum(r.already_done for r in results) == CHANNELS
    rows = sent_rows(engine, norrtalje_like)
    assert len(rows) == CHANNELS and {r.state for r in rows} == {"sent"}
    assert {r.claimed_by for r in rows} <= {"instance-a", "instance-b"}
    # A third pass later that day finds everything done.
    (c_adapter, c_sender), = await _senders(1)
    try:
        late = await NudgePass(engine, c_sender).run(datetime(2025, 9, 30, 16, 0,
                                                              tzinfo=STOCKHOLM))
    finally:
        await c_adapter.close()
    assert late.digests == 0 and late.already_done == CHANNELS
    assert len(channel.received) == CHANNELS


SLOW_CHANNELS = 5
LEASE = timedelta(seconds=1)


async def _slow_pass_and_a_second_one(engine: Engine, second_engine: Engine,
                                      org: OrganisationView) -> tuple[RecordingSender,
                                                                      RecordingSender]:
    """A pass whose sends take 3 s with a 1 s lease; when its claims are 1.6 s old (the
    lease would have lapsed without renewal) a second pass starts."""
    names = [f"slow-{i}" for i in range(SLOW_CHANNELS)]
    for name in names:
        subscribe(engine, org, name)
    slow, fast = RecordingSender(delay=3.0), RecordingSender()
    slow_pass = NudgePass(engine, slow, lease=LEASE, worker="slow")  # type: ignore[arg-type]
    fast_pass = NudgePass(second_engine, fast, lease=LEASE, worker="fast")  # type: ignore[arg-type]
    running = asyncio.create_task(slow_pass.run(datetime(2025, 9, 30, 8, 5, tzinfo=STOCKHOLM)))
    while len(slow.started) < SLOW_CHANNELS:  # every digest claimed and being sent
        await asyncio.sleep(0.02)
    await asyncio.sleep(LEASE.total_seconds() * 1.6)
    await fast_pass.run(datetime(2025, 9, 30, 8, 30, tzinfo=STOCKHOLM))
    await running
    return slow, fast


async def test_a_pass_slower_than_its_lease_keeps_its_claims(
        engine: Engine, second_engine: Engine, norrtalje_like: OrganisationView) -> None:
    slow, fast = await _slow_pass_and_a_second_one(engine, second_engine, norrtalje_like)
    assert sorted(slow.conversations()) == [f"slow-{i}" for i in range(SLOW_CHANNELS)]
    assert fast.sent == [] and fast.started == []
    rows = sent_rows(engine, norrtalje_like)
    assert {(r.claimed_by, r.state) for r in rows} == {("slow", "sent")}


async def test_without_renewal_the_slow_pass_would_be_taken_over(
        engine: Engine, second_engine: Engine, norrtalje_like: OrganisationView,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The test above can fail: with the renewal switched off, the second pass takes the
    lapsed claims over and every digest goes out twice."""

    async def no_renewal(self: NudgePass, job: Any) -> None:
        await asyncio.sleep(3600)

    monkeypatch.setattr(NudgePass, "_renew", no_renewal)
    slow, fast = await _slow_pass_and_a_second_one(engine, second_engine, norrtalje_like)
    assert len(slow.sent) == len(fast.sent) == SLOW_CHANNELS


async def test_a_crashed_passs_claim_is_taken_over_once(
        engine: Engine, second_engine: Engine, norrtalje_like: OrganisationView,
        channel: FakeChannel) -> None:
    """A claim whose pass died (claimed, never sent, its lease lapsed) is sent by exactly
    one of two passes; a claim still in its lease is left alone."""
    for name in ("crashed", "alive", "fresh"):
        subscribe(engine, norrtalje_like, name, service_url=channel.url)
    assert ledger.claim(engine, norrtalje_like.id, "crashed", ledger.DIGEST, TUESDAY, [],
                        "dead-worker", timedelta(milliseconds=200))
    assert ledger.claim(engine, norrtalje_like.id, "alive", ledger.DIGEST, TUESDAY, [],
                        "busy-worker", timedelta(minutes=10))
    await asyncio.sleep(0.5)  # the crashed one's lease lapses
    (a_adapter, a_sender), (b_adapter, b_sender) = await _senders(2)
    try:
        results = await asyncio.gather(
            NudgePass(engine, a_sender, worker="a").run(
                datetime(2025, 9, 30, 8, 10, tzinfo=STOCKHOLM)),
            NudgePass(second_engine, b_sender, worker="b").run(
                datetime(2025, 9, 30, 8, 40, tzinfo=STOCKHOLM)))
    finally:
        await a_adapter.close()
        await b_adapter.close()
    assert len(channel.replies("crashed")) == 1 and len(channel.replies("fresh")) == 1
    assert channel.replies("alive") == []  # its owner may still be sending it
    rows = {r.conversation_id: r for r in sent_rows(engine, norrtalje_like)}
    assert rows["crashed"].state == "sent" and rows["crashed"].claimed_by in ("a", "b")
    assert (rows["alive"].state, rows["alive"].claimed_by) == ("claimed", "busy-worker")
    assert sum(r.digests for r in results) == 2
