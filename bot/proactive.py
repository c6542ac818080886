"""Proactive sending within Teams' limits.

- Per conversation at most 7 messages per second, 8 per 2 s, 60 per 30 s and 1 800 per hour;
  per tenant 50 requests per second (sliding windows, with a small safety margin because Teams
  counts on its side, after the network).
- 429, 412, 502 and 504 are retried with exponential backoff and full jitter, waiting at least
  what Retry-After says. (The connector's own retry policy in bot/connector.py may already have
  retried quickly; this is the slower outer layer.)
- 403 (bot removed, MessageWritesBlocked) and 404 (conversation gone) mean "gone": the caller
  switches the subscription off. Nothing here raises: every outcome is returned.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationParameters,
    ConversationReference,
)
from botframework.connector.models import ErrorResponseException

from bot.connector import retry_after_seconds

log = logging.getLogger("laget.proactive")

CONVERSATION_LIMITS: tuple[tuple[float, int], ...] = ((1.0, 7), (2.0, 8), (30.0, 60),
                                                      (3600.0, 1800))
TENANT_LIMITS: tuple[tuple[float, int], ...] = ((1.0, 50),)
# Slack on top of Teams' windows, for clocks that don't quite agree.
WINDOW_MARGIN_SECONDS = 0.05
POLL_SECONDS = 0.01
RETRY_STATUSES = frozenset({429, 412, 502, 504})
GONE_STATUSES = frozenset({403, 404})
MAX_ATTEMPTS = 5
BASE_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 60.0

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class SlidingWindows:
    """At most n requests in any window of w seconds, for each (w, n), per key.

    A request counts from when it is taken until `window` after it *completed*: Teams sees
    it somewhere in between, so however the network delays requests, no window on Teams'
    side can hold more than n of them."""

    def __init__(self, limits: tuple[tuple[float, int], ...],
                 margin: float = WINDOW_MARGIN_SECONDS) -> None:
        self.limits = tuple((w + margin, n) for w, n in limits)
        self._horizon = max(w for w, _ in self.limits)
        self._done: dict[str, list[float]] = {}  # completion times, sorted
        self._pending: dict[str, int] = {}

    def wait(self, key: str, now: float) -> float:
        """Seconds until one more request for `key` fits every window (0 = now)."""
        done = self._done.get(key)
        if done:
            cut = bisect.bisect_right(done, now - self._horizon)
            del done[:cut]
        done = done or []
        pending = self._pending.get(key, 0)
        longest = 0.0
        for window, limit in self.limits:
            first = bisect.bisect_right(done, now - window)
            count = pending + len(done) - first
            if count < limit:
                continue
            if pending >= limit:
                longest = max(longest, POLL_SECONDS)  # wait for one to complete
                continue
            # The completed request that must leave the window before another may enter.
            blocking = done[first + count - limit]
            longest = max(longest, blocking + window - now, 1e-3)
        return longest

    def take(self, key: str) -> None:
        self._pending[key] = self._pending.get(key, 0) + 1

    def complete(self, key: str, now: float) -> None:
        self._pending[key] -= 1
        if not self._pending[key]:
            del self._pending[key]
        bisect.insort(self._done.setdefault(key, []), now)


class RateLimiter:
    """Per-conversation and per-tenant windows, checked and taken together:
    `async with limiter.slot(conversation, tenant): send`."""

    def __init__(self, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep,
                 margin: float = WINDOW_MARGIN_SECONDS) -> None:
        self.conversations = SlidingWindows(CONVERSATION_LIMITS, margin)
        self.tenants = SlidingWindows(TENANT_LIMITS, margin)
        self._clock = clock
        self._sleep = sleep
        self.waited = 0.0  # total seconds spent waiting, for the benchmark's report

    async def acquire(self, conversation_id: str, tenant_id: str) -> None:
        while True:
            now = self._clock()
            wait = max(self.conversations.wait(conversation_id, now),
                       self.tenants.wait(tenant_id, now))
            if wait <= 0:
                # No await between the check and the take: asyncio can't interleave here.
                self.conversations.take(conversation_id)
                self.tenants.take(tenant_id)
                return
            self.waited += wait
            await self._sleep(wait)

    def release(self, conversation_id: str, tenant_id: str) -> None:
        now = self._clock()
        self.conversations.complete(conversation_id, now)
        self.tenants.complete(tenant_id, now)

    @contextlib.asynccontextmanager
    async def slot(self, conversation_id: str, tenant_id: str) -> AsyncIterator[None]:
        await self.acquire(conversation_id, tenant_id)
        try:
            yield
        finally:
            self.release(conversation_id, tenant_id)


def _status(exc: ErrorResponseException) -> int:
    """msrest's requests sender gives `status_code`, an aiohttp response `status`."""
    response = exc.response
    return int(getattr(response, "status_code", None) or getattr(response, "status", 0) or 0)


def _headers(exc: ErrorResponseException) -> Any:
    return getattr(exc.response, "headers", None)


def backoff_delay(attempt: int, retry_after: float | None, base: float = BASE_DELAY_SECONDS,
                  cap: float = MAX_DELAY_SECONDS,
                  rnd: Callable[[], float] = random.random) -> float:
    """Exponential backoff with full jitter (attempt 0 → up to base, 1 → 2·base, …), never
    less than Retry-After; capped."""
    jittered = rnd() * min(cap, base * 2 ** attempt)
    return min(cap, max(jittered, retry_after or 0.0))


SENT = "sent"
GONE = "gone"
FAILED = "failed"


@dataclass
class Outcome:
    status: str = FAILED  # sent | gone | failed
    delivered: int = 0  # how many of the activities went out
    http_status: int | None = None
    detail: str = ""
    conversation_id: str = ""
    reference: dict[str, Any] | None = None  # of a 1:1 chat this call created
    attempts: int = 0
    statuses: list[int] = field(default_factory=list)


class ProactiveSender:
    def __init__(self, adapter: BotAdapter, app_id: str, limiter: RateLimiter | None = None,
                 sleep: Sleep = asyncio.sleep, max_attempts: int = MAX_ATTEMPTS,
                 base_delay: float = BASE_DELAY_SECONDS, max_delay: float = MAX_DELAY_SECONDS,
                 rnd: Callable[[], float] = random.random) -> None:
        self._adapter = adapter
        self._app_id = app_id or None
        self.limiter = limiter or RateLimiter()
        self._sleep = sleep
        self._max_attempts = max_attempts
        self._base = base_delay
        self._cap = max_delay
        self._rnd = rnd

    async def send(self, reference: dict[str, Any], activities: list[Activity],
                   tenant_id: str = "") -> Outcome:
        """Continue a stored conversation and send the activities, in order."""
        ref = ConversationReference().deserialize(reference)
        ref.activity_id = None
        outcome = Outcome(conversation_id=ref.conversation.id if ref.conversation else "")

        async def deliver(context: TurnContext) -> None:
            await self._deliver(context, activities, tenant_id, outcome)

        try:
            await self._adapter.continue_conversation(ref, deliver, self._app_id)
        except Exception as exc:  # building the connector failed; nothing was sent
            outcome.status, outcome.detail = FAILED, f"{type(exc).__name__}: {exc}"
        return outcome

    async def create_personal(self, service_url: str, tenant_id: str, bot: dict[str, Any],
                              user_id: str, activities: list[Activity],
                              channel_id: str = "msteams") -> Outcome:
        """Open a 1:1 chat with a user who has never written to the bot, and send."""
        parameters = ConversationParameters(
            is_group=False,
            bot=ChannelAccount().deserialize(bot),
            members=[ChannelAccount(id=user_id)],
            tenant_id=tenant_id or None,
            channel_data={"tenant": {"id": tenant_id}} if tenant_id else None,
        )
        outcome = Outcome()

        async def deliver(context: TurnContext) -> None:
            outcome.conversation_id = context.activity.conversation.id
            reference = TurnContext.get_conversation_reference(context.activity)
            reference.activity_id = None
            reference.user = ChannelAccount(id=user_id)
            reference.conversation.conversation_type = "personal"
            outcome.reference = reference.serialize()
            if tenant_id:
                outcome.reference.setdefault("conversation", {})["tenantID"] = tenant_id
            await self._deliver(context, activities, tenant_id, outcome)

        async def create() -> None:
            await self._adapter.create_conversation(self._app_id, deliver, parameters,
                                                    channel_id, service_url)

        # Teams answers a repeated create for the same user with the same 1:1 chat.
        await self._with_retries(create, outcome, f"1:1 chat with {user_id}")
        return outcome

    async def _deliver(self, context: TurnContext, activities: list[Activity], tenant_id: str,
                       outcome: Outcome) -> None:
        # Without an id on the continuation activity, sends are new posts, not replies.
        context.activity.id = None
        conversation_id = context.activity.conversation.id
        for activity in activities:
            async def send(activity: Activity = activity) -> None:
                async with self.limiter.slot(conversation_id, tenant_id):
                    await context.send_activity(activity)

            if not await self._with_retries(send, outcome, f"conversation {conversation_id}"):
                return
            outcome.delivered += 1
        outcome.status = SENT

    async def _with_retries(self, call: Callable[[], Awaitable[None]], outcome: Outcome,
                            where: str) -> bool:
        """Runs `call` until it succeeds (True) or fails for good (False; `outcome` says why).
        Teams' 429/412/502/504 and network errors are retried with exponential backoff and
        jitter, honouring Retry-After; 403/404 mark the conversation gone."""
        for attempt in range(self._max_attempts):
            outcome.attempts += 1
            retry_after: float | None = None
            try:
                await call()
                return True
            except ErrorResponseException as exc:
                status = _status(exc)
                outcome.statuses.append(status)
                outcome.http_status = status
                outcome.detail = f"HTTP {status}"
                if status in GONE_STATUSES:
                    outcome.status = GONE
                    return False
                if status not in RETRY_STATUSES:
                    outcome.status = FAILED
                    return False
                retry_after = retry_after_seconds(_headers(exc))
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                outcome.detail = f"{type(exc).__name__}: {exc}"
            except Exception as exc:
                outcome.status, outcome.detail = FAILED, f"{type(exc).__name__}: {exc}"
                return False
            if attempt + 1 >= self._max_attempts:
                outcome.status = FAILED
                return False
            delay = backoff_delay(attempt, retry_after, self._base, self._cap, self._rnd)
            log.info("%s: %s, retry %d in %.2f s", where, outcome.detail, attempt + 1, delay)
            await self._sleep(delay)
        return False
