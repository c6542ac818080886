"""bot/proactive.py: the rate limiter (with a fake clock), backoff, and the sender against the
fake channel over HTTP (faults, 1:1 creation, arrival times within Teams' limits)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from botbuilder.core import ConversationState, MemoryStorage, MessageFactory
from fake_channel import FakeChannel, fake_channel, rate_violations

from bot.adapter import LagetAdapter
from bot.connector import retry_after_seconds
from bot.proactive import (
    CONVERSATION_LIMITS,
    GONE,
    SENT,
    TENANT_LIMITS,
    ProactiveSender,
    RateLimiter,
    backoff_delay,
)
from config import Settings


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def test_limiter_keeps_every_conversation_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock, clock.sleep, margin=0.0)
    times: list[tuple[str, float]] = []
    for _ in range(130):
        async with limiter.slot("c1", "t"):
            times.append(("c1", clock.now))
    assert rate_violations(times, CONVERSATION_LIMITS) == []
    # 8 per 2 s, 60 per 30 s: 130 messages can't take less than 60 s
    assert times[-1][1] - times[0][1] >= 60
    # … and it does not wait needlessly: the first 7 go at once
    assert [t for _, t in times[:7]] == [1000.0] * 7


async def test_limiter_keeps_the_tenant_at_50_per_second() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock, clock.sleep, margin=0.0)
    times = []
    for i in range(300):
        async with limiter.slot(f"c{i}", "tenant"):
            times.append(("tenant", clock.now))
    assert rate_violations(times, TENANT_LIMITS) == []
    assert times[-1][1] - times[0][1] >= 5


def test_backoff_is_exponential_with_jitter_and_honours_retry_after() -> None:
    assert backoff_delay(0, None, rnd=lambda: 1.0) == 1.0
    assert backoff_delay(3, None, rnd=lambda: 1.0) == 8.0
    assert backoff_delay(3, None, rnd=lambda: 0.25) == 2.0
    assert backoff_delay(10, None, rnd=lambda: 1.0) == 60.0  # capped
    assert backoff_delay(0, 5.0, rnd=lambda: 0.1) == 5.0  # never less than Retry-After
    assert retry_after_seconds({"Retry-After": "3"}) == 3.0
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    assert retry_after_seconds({}) is None


@pytest.fixture
async def channel() -> AsyncIterator[FakeChannel]:
    async with fake_channel() as ch:
        yield ch


@pytest.fixture
async def adapter() -> AsyncIterator[LagetAdapter]:
    adapter = LagetAdapter(Settings(), ConversationState(MemoryStorage()))
    yield adapter
    await adapter.close()


def reference(channel: FakeChannel, conversation_id: str) -> dict:
    return {"serviceUrl": channel.url, "channelId": "msteams", "locale": "sv-SE",
            "conversation": {"id": conversation_id, "conversationType": "channel"},
            "bot": {"id": "28:laget-bot", "name": "Läget"}}


def fast_sender(adapter: LagetAdapter, **kwargs) -> ProactiveSender:  # type: ignore[no-untyped-def]
    return ProactiveSender(adapter, "", base_delay=0.01, max_delay=0.05, **kwargs)


async def test_messages_to_one_conversation_arrive_within_teams_limits(
        channel: FakeChannel, adapter: LagetAdapter) -> None:
    sender = ProactiveSender(adapter, "")
    activities = [MessageFactory.text(f"meddelande {i}") for i in range(10)]
    outcome = await sender.send(reference(channel, "c-burst"), activities, "t")
    assert outcome.status == SENT and outcome.delivered == 10
    assert [a["text"] for a in channel.replies("c-burst")] == [a.text for a in activities]
    assert all(r.reply_to_id is None for r in channel.received)  # new posts, not replies
    assert channel.rate_violations(CONVERSATION_LIMITS) == []


@pytest.mark.parametrize("status", [412, 429, 502, 504])
async def test_transient_answers_are_retried(channel: FakeChannel, adapter: LagetAdapter,
                                             status: int) -> None:
    channel.fail("c1", status, times=4, headers={"Retry-After": "0"})
    outcome = await fast_sender(adapter).send(reference(channel, "c1"), [
        MessageFactory.text("hej")])
    assert outcome.status == SENT and outcome.delivered == 1
    assert [s for _, s, _ in channel.attempts] == [status] * 4 + [200]


@pytest.mark.parametrize("status", [403, 404])
async def test_forbidden_or_missing_conversation_is_gone(channel: FakeChannel,
                                                         adapter: LagetAdapter,
                                                         status: int) -> None:
    channel.fail("c1", status, times=-1)
    outcome = await fast_sender(adapter).send(reference(channel, "c1"), [
        MessageFactory.text("hej")])
    assert (outcome.status, outcome.http_status, outcome.delivered) == (GONE, status, 0)
    assert len(channel.attempts) == 1  # no retry


async def test_retries_give_up_after_max_attempts(channel: FakeChannel,
                                                  adapter: LagetAdapter) -> None:
    channel.fail("c1", 412, times=-1)
    outcome = await fast_sender(adapter, max_attempts=3).send(reference(channel, "c1"), [
        MessageFactory.text("hej")])
    assert outcome.status == "failed" and outcome.attempts == 3
    assert outcome.statuses == [412, 412, 412]


async def test_a_1to1_chat_is_created_for_a_user(channel: FakeChannel,
                                                 adapter: LagetAdapter) -> None:
    channel.fail("create:29:bo", 429, times=1, headers={"Retry-After": "0"})
    outcome = await fast_sender(adapter).create_personal(
        channel.url, "tenant-1", {"id": "28:laget-bot"}, "29:bo", [MessageFactory.text("hej")])
    assert outcome.status == SENT
    created = channel.created[-1]
    assert created["members"] == [{"id": "29:bo"}] and created["isGroup"] is False
    assert created["channelData"] == {"tenant": {"id": "tenant-1"}}
    assert channel.replies(outcome.conversation_id)[0]["text"] == "hej"
    assert outcome.reference["conversation"]["id"] == outcome.conversation_id
    assert outcome.reference["user"]["id"] == "29:bo"


async def test_a_1to1_chat_the_user_blocks_is_gone_without_retry(
        channel: FakeChannel, adapter: LagetAdapter) -> None:
    channel.fail("create:29:bo", 403, times=-1)
    outcome = await fast_sender(adapter).create_personal(
        channel.url, "tenant-1", {"id": "28:laget-bot"}, "29:bo", [MessageFactory.text("hej")])
    assert (outcome.status, outcome.http_status, outcome.attempts) == (GONE, 403, 1)
    assert channel.received == []


async def test_a_1to1_chat_whose_first_post_fails_for_good_is_failed(
        channel: FakeChannel, adapter: LagetAdapter) -> None:
    channel.fail("create:29:bo", 502, times=-1, headers={"Retry-After": "0"})
    sender = fast_sender(adapter, max_attempts=2)
    outcome = await sender.create_personal(
        channel.url, "tenant-1", {"id": "28:laget-bot"}, "29:bo", [MessageFactory.text("hej")])
    assert (outcome.status, outcome.statuses, outcome.delivered) == ("failed", [502, 502], 0)
    assert channel.created == []


async def test_concurrent_sends_share_the_tenant_limit(channel: FakeChannel,
                                                       adapter: LagetAdapter) -> None:
    sender = ProactiveSender(adapter, "")
    await asyncio.gather(*(sender.send(reference(channel, f"c{i}"),
                                       [MessageFactory.text("hej")], "t") for i in range(60)))
    assert len(channel.received) == 60
    assert channel.rate_violations(TENANT_LIMITS, key=lambda r: "tenant") == []
