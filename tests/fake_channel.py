"""A fake Bot Framework channel: the tests post activities to the bot over HTTP and this
server receives the bot's replies at /v3/conversations/{id}/activities[/{replyToId}]."""

from __future__ import annotations

import itertools
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Received:
    conversation_id: str
    reply_to_id: str | None
    activity: dict[str, Any]
    method: str
    at: float = 0.0  # time.monotonic() on arrival, to check rate limits


@dataclass
class Fault:
    """An answer the channel gives instead of accepting the activity."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1  # how many requests get it; -1 = all of them


@dataclass
class FakeChannel:
    received: list[Received] = field(default_factory=list)
    url: str = ""
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    # conversation id → faults to answer with, in order; every request (also refused ones)
    # is in `attempts` as (conversation id, HTTP status, arrival time).
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    attempts: list[tuple[str, int, float]] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)  # POST /v3/conversations

    def fail(self, conversation_id: str, status: int, times: int = 1,
             headers: dict[str, str] | None = None) -> None:
        """Answer the next `times` requests to this conversation with `status` (-1: all).
        For 1:1 chats not created yet, use "create:<user id>"."""
        self.faults.setdefault(conversation_id, []).append(Fault(status, headers or {}, times))

    def _fault(self, conversation_id: str) -> Fault | None:
        queue = self.faults.get(conversation_id) or []
        while queue:
            fault = queue[0]
            if fault.times == -1:
                return fault
            if fault.times > 0:
                fault.times -= 1
                return fault
            queue.pop(0)
        return None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{cid}/activities", self._post)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._post)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._post)
        return app

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.json()
        conversation_id = request.match_info["cid"]
        now = time.monotonic()
        if fault := self._fault(conversation_id):
            self.attempts.append((conversation_id, fault.status, now))
            return web.json_response({"error": {"code": f"HTTP{fault.status}",
                                                "message": "fake fault"}},
                                     status=fault.status, headers=fault.headers)
        self.attempts.append((conversation_id, 200, now))
        self.received.append(
            Received(conversation_id, request.match_info.get("aid"), body, request.method, now)
        )
        return web.json_response({"id": f"reply-{next(self._ids)}"})

    async def _create(self, request: web.Request) -> web.Response:
        """Create a 1:1 chat (Teams: POST /v3/conversations with one member)."""
        body = await request.json()
        members = body.get("members") or [{}]
        key = f"create:{members[0].get('id', '')}"
        if fault := self._fault(key):
            self.attempts.append((key, fault.status, time.monotonic()))
            return web.json_response({"error": {"code": f"HTTP{fault.status}"}},
                                     status=fault.status, headers=fault.headers)
        conversation_id = f"a:personal-{members[0].get('id', '')}-{next(self._ids)}"
        self.created.append({"id": conversation_id, **body})
        return web.json_response({"id": conversation_id}, status=201)

    def replies(self, conversation_id: str) -> list[dict[str, Any]]:
        return [r.activity for r in self.received if r.conversation_id == conversation_id]

    def rate_violations(self, limits: Iterable[tuple[float, int]],
                        key: Any = lambda r: r.conversation_id) -> list[str]:
        """Every place where more than n activities arrived within w seconds, per key
        (default: per conversation; key=lambda r: "" checks all together, e.g. a tenant)."""
        return rate_violations(((key(r), r.at) for r in self.received), limits)


def rate_violations(events: Iterable[tuple[Any, float]],
                    limits: Iterable[tuple[float, int]]) -> list[str]:
    by_key: dict[Any, list[float]] = defaultdict(list)
    for key, at in events:
        by_key[key].append(at)
    found = []
    for key, times in by_key.items():
        times.sort()
        for window, limit in limits:
            recent: deque[float] = deque()
            for at in times:
                recent.append(at)
                while recent[0] <= at - window:
                    recent.popleft()
                if len(recent) > limit:
                    found.append(f"{key}: {len(recent)} in {window} s (limit {limit})")
                    break
    return found


@asynccontextmanager
async def fake_channel() -> AsyncIterator[FakeChannel]:
    channel = FakeChannel()
    server = TestServer(channel.app())
    await server.start_server()
    channel.url = str(server.make_url("/")).rstrip("/") + "/"
    try:
        yield channel
    finally:
        await server.close()
