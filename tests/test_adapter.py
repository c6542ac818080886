"""bot/adapter.py: authentication with real signed tokens, tenant restriction, outgoing
credentials, retries of the connector, reuse of connector clients, isolation of turns.

Tokens are RS256 JWTs signed with a key made here; the OpenID configuration and the JWKS are
served by the test's own aiohttp server, and botbuilder's ChannelValidation is pointed at it
(`ChannelValidation.open_id_metadata_endpoint`, botbuilder's hook for exactly this), so the
production validation path (public cloud, JwtTokenValidation) runs unchanged. The channel the
bot replies to is a small server here that records headers and can answer 429/5xx on cue.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from botclient import bot_settings
from botframework.connector.auth import ChannelValidation, MicrosoftAppCredentials
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import func, select

import bot.adapter
from app import build
from storage.models import BotStateItem

APP_ID = "5f3c1b2a-0000-4000-8000-00000000a11d"
ISSUER = "https://api.botframework.com"
KEY_ID = "test-key-1"
TENANT = "tenant-1"


def _private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


SIGNING_KEY = _private_key()
OTHER_KEY = _private_key()


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def make_token(service_url: str, *, aud: str = APP_ID, iss: str = ISSUER,
               expires_in: int = 3600, key: rsa.RSAPrivateKey = SIGNING_KEY,
               kid: str = KEY_ID, **claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": iss, "aud": aud, "serviceurl": service_url, "nbf": now - 60,
               "iat": now - 60, "exp": now + expires_in, **claims}
    return jwt.encode(payload, _pem(key), algorithm="RS256", headers={"kid": kid})


@dataclass
class IdentityServer:
    """OpenID configuration + JWKS, like login.botframework.com serves them."""

    url: str = ""
    hits: int = 0

    def app(self) -> web.Application:
        jwk = RSAAlgorithm.to_jwk(SIGNING_KEY.public_key(), as_dict=True)
        jwk.update({"kid": KEY_ID, "use": "sig", "endorsements": ["msteams", "emulator"]})

        async def openid(_request: web.Request) -> web.Response:
            self.hits += 1
            return web.json_response({"issuer": ISSUER, "jwks_uri": f"{self.url}/keys",
                                      "id_token_signing_alg_values_supported": ["RS256"]})

        async def keys(_request: web.Request) -> web.Response:
            return web.json_response({"keys": [jwk]})

        app = web.Application()
        app.router.add_get("/openid", openid)
        app.router.add_get("/keys", keys)
        return app


@dataclass
class Channel:
    """Receives the bot's replies; `script` lists statuses to answer before a 200."""

    url: str = ""
    received: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    attempts: int = 0
    script: list[int] = field(default_factory=list)
    empty_202: bool = False  # accept with 202 and no body, as the Agents Playground does
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def app(self) -> web.Application:
        async def post(request: web.Request) -> web.Response:
            self.attempts += 1
            body = await request.json()
            if self.script:
                status = self.script.pop(0)
                return web.json_response({"error": {"code": "Throttled", "message": "x"}},
                                         status=status, headers={"Retry-After": "0"})
            self.received.append((dict(request.headers), body))
            if self.empty_202:
                return web.Response(status=202)
            return web.json_response({"id": f"reply-{next(self._ids)}"})

        app = web.Application()
        app.router.add_post("/v3/conversations/{cid}/activities", post)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", post)
        return app


@dataclass
class Harness:
    bot_url: str
    channel: Channel
    identity: IdentityServer
    http: aiohttp.ClientSession
    components: Any

    def activity(self, text: str = "prognos IT", *, tenant: str | None = TENANT,
                 service_url: str | None = None, conversation_id: str = "conv-1") -> dict:
        conversation: dict[str, Any] = {"id": conversation_id, "conversationType": "personal"}
        if tenant:
            conversation["tenantId"] = tenant
        return {
            "type": "message", "id": f"act-{uuid.uuid4().hex[:8]}", "channelId": "msteams",
            "serviceUrl": service_url or self.channel.url, "text": text, "locale": "sv-SE",
            "from": {"id": "29:anna", "name": "Anna"}, "recipient": {"id": "28:laget"},
            "conversation": conversation,
        }

    async def post(self, activity: dict, token: str | None = None,
                   authorization: str | None = None) -> tuple[int, Any]:
        headers = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if authorization is not None:
            headers["Authorization"] = authorization
        async with self.http.post(self.bot_url, json=activity, headers=headers) as response:
            text = await response.text()
            return response.status, (await response.json() if text else None)

    def state_rows(self) -> int:
        with self.components.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(BotStateItem)).scalar_one()


@asynccontextmanager
async def harness(database_url: str, **overrides: Any) -> AsyncIterator[Harness]:
    identity, channel = IdentityServer(), Channel()
    id_server, ch_server = TestServer(identity.app()), TestServer(channel.app())
    await id_server.start_server()
    await ch_server.start_server()
    identity.url = str(id_server.make_url("")).rstrip("/")
    channel.url = str(ch_server.make_url("/")).rstrip("/") + "/"
    components = build(bot_settings(database_url, **overrides))
    server = TestServer(components.web_app)
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            yield Harness(str(server.make_url("/api/messages")), channel, identity, http,
                          components)
    finally:
        await server.close()
        await ch_server.close()
        await id_server.close()
        components.engine.dispose()


@pytest.fixture
def outgoing_tokens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Stands in for Entra ID: msal is not reachable offline. Records the thread each token
    was fetched on, to show the blocking msal call never runs on the event loop."""
    threads: list[str] = []

    def get_access_token(self: MicrosoftAppCredentials, force_refresh: bool = False) -> str:
        threads.append(threading.current_thread().name)
        assert self.microsoft_app_id == APP_ID and self.microsoft_app_password == "s3cret"
        return "outgoing-token"

    monkeypatch.setattr(MicrosoftAppCredentials, "get_access_token", get_access_token)
    return threads


@pytest.fixture
async def authed(database_url: str, monkeypatch: pytest.MonkeyPatch,
                 outgoing_tokens: list[str]) -> AsyncIterator[Harness]:
    async with harness(database_url, app_id=APP_ID, app_password="s3cret") as h:
        monkeypatch.setattr(ChannelValidation, "open_id_metadata_endpoint",
                            f"{h.identity.url}/openid")
        yield h


def _no_blocking_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    import requests

    def refuse(*_a: Any, **_k: Any) -> None:
        raise AssertionError("blocking requests call on the event loop")

    monkeypatch.setattr(requests, "get", refuse)


async def test_valid_token_is_answered_with_the_apps_credentials(
    authed: Harness, outgoing_tokens: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_blocking_requests(monkeypatch)
    status, _ = await authed.post(authed.activity(), make_token(authed.channel.url))
    assert status in (200, 201)
    [(headers, reply)] = authed.channel.received
    assert "Prognos – IT" in str(reply)
    assert headers["Authorization"] == "Bearer outgoing-token"
    assert outgoing_tokens and all(name != threading.main_thread().name
                                   for name in outgoing_tokens)
    # Signing keys fetched once, then cached; the outgoing token reused.
    for _ in range(3):
        status, _ = await authed.post(authed.activity(), make_token(authed.channel.url))
        assert status in (200, 201)
    assert authed.identity.hits == 1
    assert len(outgoing_tokens) == 1
    assert len(authed.channel.received) == 4


@pytest.mark.parametrize("case", ["missing", "not a jwt", "basic", "bearer only", "expired",
                                  "wrong audience", "wrong issuer", "wrong key",
                                  "unknown key id", "other service url", "no signature"])
async def test_bad_tokens_get_401_and_change_nothing(authed: Harness, case: str) -> None:
    url = authed.channel.url
    headers: dict[str, Any] = {
        "missing": {},
        "not a jwt": {"authorization": "Bearer not.a.jwt"},
        "basic": {"authorization": "Basic YWxhZGRpbjpvcGVuc2VzYW1l"},
        "bearer only": {"authorization": "Bearer"},
        "expired": {"token": make_token(url, expires_in=-3600)},
        "wrong audience": {"token": make_token(url, aud="someone-elses-app")},
        "wrong issuer": {"token": make_token(url, iss="https://evil.example")},
        "wrong key": {"token": make_token(url, key=OTHER_KEY)},
        "unknown key id": {"token": make_token(url, kid="nobody")},
        "other service url": {"token": make_token("https://elsewhere.example/")},
        "no signature": {"token": jwt.encode({"iss": ISSUER, "aud": APP_ID,
                                              "serviceurl": url}, None, algorithm="none")},
    }[case]
    status, body = await authed.post(authed.activity(), **headers)
    assert status == 401, (case, body)
    assert set(body) == {"error"} and len(body["error"]) < 40
    assert authed.channel.attempts == 0
    assert authed.state_rows() == 0


async def test_other_tenants_are_refused_and_logged(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with harness(database_url, allowed_tenants=("tenant-1", "tenant-2")) as h:
        with caplog.at_level(logging.WARNING, logger="laget.adapter"):
            status, body = await h.post(h.activity(tenant="tenant-evil"))
            assert (status, body) == (403, {"error": "tenant not allowed"})
            status, _ = await h.post(h.activity(tenant=None))
            assert status == 403
        assert "tenant-evil" in caplog.text
        assert h.channel.attempts == 0 and h.state_rows() == 0
        status, _ = await h.post(h.activity(tenant="tenant-2"))
        assert status in (200, 201) and len(h.channel.received) == 1


async def test_app_tenant_id_restricts_tenants_too(database_url: str) -> None:
    # Local mode, so no token is needed; the tenant rule holds regardless.
    async with harness(database_url, app_tenant_id="tenant-1") as h:
        assert (await h.post(h.activity(tenant="tenant-9")))[0] == 403
        channel_data = h.activity(tenant=None)
        channel_data["channelData"] = {"tenant": {"id": "tenant-1"}}
        assert (await h.post(channel_data))[0] in (200, 201)


async def test_local_mode_ignores_an_authorization_header(database_url: str) -> None:
    async with harness(database_url) as h:
        status, _ = await h.post(h.activity(), authorization="Bearer whatever")
        assert status in (200, 201)
        [(headers, _reply)] = h.channel.received
        assert "Authorization" not in headers  # no credentials to send in local mode


async def test_connector_429_and_5xx_are_retried(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.adapter, "RETRY_DELAYS", (0.01, 0.01, 0.01))
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
    monkeypatch.setattr(bot.adapter, "RETRY_DELAYS", (0.01,))
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


async def test_a_crash_in_one_turn_does_not_affect_concurrent_ones(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dialogs.commands import REGISTRY, Command

    def boom(_ask: object) -> None:
        raise RuntimeError("one bad turn")

    monkeypatch.setitem(REGISTRY, "summary", Command("summary", boom,
                                                     REGISTRY["summary"].permission))
    async with harness(database_url) as h:
        questions = ["prognos IT", "sammanställning", "försenade", "enheter"] * 4
        results = await asyncio.gather(*(
            h.post(h.activity(q, conversation_id=f"conv-{i}"))
            for i, q in enumerate(questions)
        ))
        assert all(status in (200, 201) for status, _ in results)
        replies = {body["conversation"]["id"]: str(body) for _, body in h.channel.received}
        assert len(replies) == len(questions)
        for i, q in enumerate(questions):
            if q == "sammanställning":
                assert "gick fel" in replies[f"conv-{i}"]
            else:
                assert "gick fel" not in replies[f"conv-{i}"]


def _reply_variants() -> list:
    from datetime import UTC, datetime

    from botbuilder.core import CardFactory, MessageFactory
    from botbuilder.schema import (
        Activity,
        CardAction,
        ChannelAccount,
        ConversationAccount,
        HeroCard,
        Mention,
        SuggestedActions,
    )

    from bot.replies import card_activity
    from cards.help import help_card

    card = MessageFactory.attachment(CardFactory.adaptive_card(help_card("sv")))
    card.text, card.reply_to_id = "Hjälp", "a-1"
    hero = MessageFactory.attachment(CardFactory.hero_card(HeroCard(
        title="T", buttons=[CardAction(type="imBack", title="Ja", value="ja")])))
    text = MessageFactory.text("hej", input_hint="acceptingInput")
    text.suggested_actions = SuggestedActions(actions=[CardAction(type="imBack", title="A",
                                                                  value="a")])
    full = Activity(
        type="message", id="x", timestamp=datetime(2025, 9, 30, 8, 0, 1, 123000, tzinfo=UTC),
        service_url="https://smba.example/", channel_id="msteams",
        from_property=ChannelAccount(id="28:bot", name="Läget"),
        recipient=ChannelAccount(id="29:u", name="Anna", aad_object_id="aad"),
        conversation=ConversationAccount(id="19:c", conversation_type="channel",
                                         tenant_id="t"),
        text="<at>Anna</at> ✓ åäö", locale="sv-SE", channel_data={"notification":
                                                                {"alert": True}},
        entities=[Mention(mentioned=ChannelAccount(id="29:u", name="Anna"),
                          text="<at>Anna</at>", type="mention")],
        value={"nested": [1, {"a": None}]},
    )
    typing = Activity(type="typing")
    frozen = card_activity("Hjälp", help_card("en"))  # what the bot sends: a FrozenCard
    return [card, hero, text, full, typing, frozen]


def test_replies_serialise_exactly_as_msrest_does() -> None:
    from botframework.connector import models
    from msrest.serialization import Serializer

    classes = {k: v for k, v in models.__dict__.items() if isinstance(v, type)}
    for activity in _reply_variants():
        fast = bot.adapter._FastActivitySerializer(classes).body(activity, "Activity")
        assert fast == Serializer(classes).body(activity, "Activity"), activity.type
