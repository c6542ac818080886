"""Talks to the running aiohttp app over HTTP with the Bot Framework protocol."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
from fake_channel import FakeChannel, fake_channel
from sqlalchemy import Engine

from app import build
from config import Settings

BOT_ID = "28:laget-bot"
BOT_NAME = "Läget"


@dataclass
class Turn:
    status: int
    body: Any
    replies: list[dict[str, Any]]

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [
            a["content"]
            for r in self.replies
            for a in r.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]

    @property
    def card(self) -> dict[str, Any]:
        assert len(self.cards) == 1, f"expected one card, got {len(self.cards)}: {self.replies}"
        return self.cards[0]

    @property
    def text(self) -> str:
        return "\n".join(r.get("text") or "" for r in self.replies)


class BotClient:
    def __init__(self, bot_url: str, channel: FakeChannel, http: aiohttp.ClientSession) -> None:
        self.bot_url = bot_url
        self.channel = channel
        self.http = http
        self._ids = itertools.count(1)
        self.engine: Engine | None = None  # the bot's database, for arranging and checking
        self.components: Any = None  # app.Components (the nudge pass and scheduler)

    def activity(
        self,
        text: str | None = None,
        *,
        conversation_id: str = "conv-personal",
        conversation_type: str = "personal",
        locale: str | None = "sv-SE",
        user_id: str = "29:user-anna",
        user_name: str = "Anna Andersson",
        value: Any = None,
        entities: list[dict[str, Any]] | None = None,
        type_: str = "message",
        **extra: Any,
    ) -> dict[str, Any]:
        activity: dict[str, Any] = {
            "type": type_,
            "id": f"act-{next(self._ids)}-{uuid.uuid4().hex[:6]}",
            "timestamp": "2025-09-30T08:00:00Z",
            "channelId": "msteams",
            "serviceUrl": self.channel.url,
            "from": {"id": user_id, "name": user_name, "aadObjectId": user_id},
            "recipient": {"id": BOT_ID, "name": BOT_NAME},
            "conversation": {"id": conversation_id, "conversationType": conversation_type,
                             "tenantId": "tenant-1"},
            **extra,
        }
        if text is not None:
            activity["text"] = text
        if locale:
            activity["locale"] = locale
        if value is not None:
            activity["value"] = value
        if entities:
            activity["entities"] = entities
        return activity

    async def post(self, activity: dict[str, Any] | bytes | str,
                   content_type: str = "application/json") -> Turn:
        conversation_id = (
            (activity.get("conversation") or {}).get("id", "none")
            if isinstance(activity, dict) else "none"
        )
        before = len(self.channel.replies(conversation_id))
        data = activity if isinstance(activity, bytes | str) else None
        kwargs: dict[str, Any] = (
            {"json": activity} if isinstance(activity, dict)
            else {"data": data, "headers": {"Content-Type": content_type}}
        )
        async with self.http.post(self.bot_url, **kwargs) as response:
            text = await response.text()
            try:
                body = await response.json(content_type=None) if text else None
            except ValueError:
                body = text
            return Turn(response.status, body,
                        self.channel.replies(conversation_id)[before:])

    async def say(self, text: str, **kwargs: Any) -> Turn:
        return await self.post(self.activity(text, **kwargs))


def bot_settings(database_url: str, **overrides: Any) -> Settings:
    # The nudge scheduler is off unless a test turns it on: its messages would be replies.
    values: dict[str, Any] = {"database_url": database_url, "fixed_today": "2025-09-30",
                              "demo": True, "scheduler": False}
    return Settings(**{**values, **overrides})


@asynccontextmanager
async def running_bot(settings: Settings, **build_kwargs: Any) -> AsyncIterator[BotClient]:
    components = build(settings, **build_kwargs)
    server = TestServer(components.web_app)
    await server.start_server()
    try:
        async with fake_channel() as channel, aiohttp.ClientSession() as http:
            client = BotClient(str(server.make_url("/api/messages")), channel, http)
            client.engine = components.engine
            client.components = components
            yield client
    finally:
        await server.close()
        components.engine.dispose()
