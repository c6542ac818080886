"""bot/scheduler.py: the asyncio task (injectable clock) and a pass's planning on a real
database, with a sender that records instead of sending."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import select

from bot.proactive import GONE, SENT, Outcome
from bot.scheduler import NudgePass, PassResult, Scheduler
from storage import conversations, nudges
from storage.conversations import ConversationInfo
from storage.db import session
from storage.demo import load_demo
from storage.models import SentNudge, Subscription

TZ = ZoneInfo("Europe/Stockholm")
MONDAY_0900 = datetime(2025, 9, 29, 9, 0, tzinfo=TZ)


async def test_scheduler_runs_passes_with_its_clock_until_stopped() -> None:
    seen: list[datetime] = []

    async def run_pass(now: datetime) -> PassResult:
        seen.append(now)
        if len(seen) == 2:
            raise RuntimeError("database down")  # logged; the next pass still runs
        return PassResult(digests=1)

    scheduler = Scheduler(run_pass, lambda: MONDAY_0900, interval=0.01)
    await scheduler.start()
    while len(seen) < 4:
        await asyncio.sleep(0.01)
    await scheduler.stop()
    count = len(seen)
    await asyncio.sleep(0.05)
    assert len(seen) == count and set(seen) == {MONDAY_0900}
    assert len(scheduler.results) == count - 1  # the failed one has no result


class RecordingSender:
    def __init__(self, status: str = SENT) -> None:
        self.sent: list[tuple[str, int]] = []
        self.status = status

    async def send(self, reference: dict[str, Any], activities: list, tenant_id: str = "") -> (
        Outcome
    ):
        self.sent.append((reference["conversation"]["id"], len(activities)))
        delivered = len(activities) if self.status == SENT else 0
        return Outcome(self.status, delivered, 403 if self.status == GONE else None,
                       "HTTP 403" if self.status == GONE else "")


def subscribe(engine: Engine, conversation_id: str, text: str) -> None:
    with session(engine) as s, s.begin():
        ref = conversations.record(s, ConversationInfo(
            conversation_id, "channel", "msteams", "http://channel/", "t", "",
            {"conversation": {"id": conversation_id}}))
        options = nudges.parse_subscription(text)
        units = nudges.resolve_units(s, options.unit_words).units
        nudges.subscribe(s, ref.id, units, options, "test")


async def test_a_pass_sends_what_is_scheduled_merging_a_conversations_subscriptions(
        engine: Engine) -> None:
    load_demo(engine)
    subscribe(engine, "weekly-mon", "Stab veckovis måndag kl 9")
    subscribe(engine, "weekly-mon", "Näringsliv veckovis måndag kl 9")  # one digest
    subscribe(engine, "weekly-fri", "veckovis fredag")
    subscribe(engine, "daily-10", "dagligen kl 10")
    sender = RecordingSender()
    result = await NudgePass(engine, sender).run(MONDAY_0900)  # type: ignore[arg-type]
    assert sender.sent == [("weekly-mon", 1)]
    assert result.digests == 1
    with session(engine) as s:
        row = s.exec(select(SentNudge)).one()
    assert row.state == "sent" and len(row.assignment_ids.split(",")) == 4  # 2 Stab + 2 NL
    result = await NudgePass(engine, sender).run(MONDAY_0900 + timedelta(hours=2))
    assert sender.sent[1:] == [("daily-10", 1)] and result.already_done == 1


async def test_a_gone_conversation_is_switched_off(engine: Engine) -> None:
    load_demo(engine)
    subscribe(engine, "c1", "")
    result = await NudgePass(engine, RecordingSender(GONE)).run(MONDAY_0900)  # type: ignore[arg-type]
    assert result.gone == ["c1"]
    with session(engine) as s:
        sub = s.exec(select(Subscription)).one()
        assert not sub.active and sub.disabled_reason == "HTTP 403 on 2025-09-29"
        assert not conversations.get(s, "c1").active  # type: ignore[union-attr]


async def test_a_failed_send_is_released_for_the_next_pass(engine: Engine) -> None:
    load_demo(engine)
    subscribe(engine, "c1", "")
    result = await NudgePass(engine, RecordingSender("failed")).run(MONDAY_0900)  # type: ignore[arg-type]
    assert result.failed == ["c1"]
    with session(engine) as s:
        assert s.exec(select(SentNudge)).all() == []
    sender = RecordingSender()
    await NudgePass(engine, sender).run(MONDAY_0900 + timedelta(minutes=1))  # type: ignore[arg-type]
    assert sender.sent == [("c1", 1)]
