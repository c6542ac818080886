"""A fake Bot Framework channel: the tests post activities to the bot over HTTP and this
server receives the bot's replies at /v3/conversations/{id}/activities[/{replyToId}]."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
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


@dataclass
class FakeChannel:
    received: list[Received] = field(default_factory=list)
    url: str = ""
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations/{cid}/activities", self._post)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._post)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._post)
        return app

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(
            Received(request.match_info["cid"], request.match_info.get("aid"), body,
                     request.method)
        )
        return web.json_response({"id": f"reply-{next(self._ids)}"})

    def replies(self, conversation_id: str) -> list[dict[str, Any]]:
        return [r.activity for r in self.received if r.conversation_id == conversation_id]


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
