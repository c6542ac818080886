"""bot/connector.py: outgoing calls to the channel are retried on 429/5xx, give up after the
last retry, accept an empty 202, and reuse one connector client per service URL."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from aiohttp.test_utils import TestServer
from botframework.connector.auth import ClaimsIdentity
from botservice import Channel, harness

import bot.connector
from bot.auth import LagetAuthentication
from bot.connector import MAX_CACHED_CLIENTS


async def test_connector_429_and_5xx_are_retried(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.connector, "RETRY_DELAYS", (0.01, 0.01, 0.01))
    async with harness(database_url) as h:
        h.channel.script = [429, 503, 502]
        status, _ = await h.post(h.activity())
        assert status in (200, 201)
        assert h.channel.attempts == 4 and len(h.channel.received) == 1
        # A client error is not retried; the turn fails and the user is told, politely.
        h.channel.script = [400]
        await h.post(h.activity())
        assert h.channel.attempts == 4 + 1 + 1  # the 400, then the apology
        assert "gick fel" in str(h.channel.received[-1][1])


async def test_connector_gives_up_after_the_last_retry(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.connector, "RETRY_DELAYS", (0.01,))
    async with harness(database_url) as h:
        h.channel.script = [500, 500, 500, 500]
        await h.post(h.activity())
        # reply: 2 attempts; the apology: 2 attempts; nothing got through
        assert h.channel.attempts == 4 and h.channel.received == []
        # The next turn is served normally.
        status, _ = await h.post(h.activity())
        assert status in (200, 201) and len(h.channel.received) == 1


async def test_a_channel_accepting_with_202_and_no_body_is_fine(database_url: str) -> None:
    """The Agents Playground answers some replies with 202 and an empty body; msrest's
    aiohttp response raises on an empty body, which failed the turn."""
    async with harness(database_url) as h:
        h.channel.empty_202 = True
        status, _ = await h.post(h.activity())
        assert status in (200, 201)
        [(_headers, reply)] = h.channel.received
        assert "gick fel" not in str(reply) and reply.get("attachments")


async def test_connector_clients_are_built_once_per_service_url(database_url: str) -> None:
    async with harness(database_url) as h:
        other = Channel()
        other_server = TestServer(other.app())
        await other_server.start_server()
        other.url = str(other_server.make_url("/")).rstrip("/") + "/"
        try:
            for _ in range(3):
                await h.post(h.activity())
                await h.post(h.activity(service_url=other.url, conversation_id="conv-2"))
        finally:
            await other_server.close()
        assert len(h.channel.received) == 3 and len(other.received) == 3
        factory = h.components.adapter.authentication.create_connector_factory(
            h.components.adapter.create_claims_identity("")
        )
        assert len(factory._clients) == 2  # one per service URL, reused for every turn


async def test_the_client_and_token_caches_are_bounded() -> None:
    """Every service URL (and audience) gets a client and a token source; a stream of
    distinct ones must not grow the process without bound."""
    auth = LagetAuthentication(SimpleNamespace(APP_ID="", APP_PASSWORD="", APP_TYPE="",
                                               APP_TENANTID=""))
    factory = auth.create_connector_factory(ClaimsIdentity({}, True))
    kept = await factory.create("https://smba.example/keep/")
    for i in range(1000):
        await factory.create(f"https://smba.example/{i}/", audience=f"https://aud-{i}.example")
        if i % 100 == 0:  # one URL in steady use stays cached
            assert await factory.create("https://smba.example/keep/") is kept
    assert len(factory._clients) <= MAX_CACHED_CLIENTS
    assert len(auth._tokens) <= MAX_CACHED_CLIENTS
    assert await factory.create("https://smba.example/keep/") is kept
    assert await factory.create("https://smba.example/999/", "https://aud-999.example")
    await auth.http.close()
