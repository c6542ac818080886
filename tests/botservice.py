"""A stand-in Bot Framework Service for tests of the HTTP edge: signed tokens, the OpenID
configuration and keys, and a channel that records the bot's replies.

Tokens are RS256 JWTs signed with a key made here; the OpenID configuration and the JWKS are
served by the test's own aiohttp server, and botbuilder's ChannelValidation is pointed at it
(`ChannelValidation.open_id_metadata_endpoint`, botbuilder's hook for exactly this), so the
production validation path (public cloud, JwtTokenValidation) runs unchanged. The channel the
bot replies to is a small server here that records headers and can answer 429/5xx on cue.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
from aiohttp import web
from aiohttp.test_utils import TestServer
from botclient import bot_settings
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import func, select

from app import build
from storage.demo import DEMO_ORGANISATIONS
from storage.models import BotStateItem

APP_ID = "5f3c1b2a-0000-4000-8000-00000000a11d"
ISSUER = "https://api.botframework.com"
# An issuer botbuilder treats as the Bot Framework Emulator's (EmulatorValidation).
EMULATOR_ISSUER = "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/"
KEY_ID = "test-key-1"
# Norrtälje's demo tenant: with authentication on, a tenant without an organisation is refused.
TENANT = DEMO_ORGANISATIONS[0].tenant
# The channels the real signing keys are endorsed for include more than Teams.
ENDORSEMENTS = ["msteams", "emulator", "webchat", "directline"]


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
    down: bool = False  # answer 503, as an unreachable identity service would

    def app(self) -> web.Application:
        jwk = RSAAlgorithm.to_jwk(SIGNING_KEY.public_key(), as_dict=True)
        jwk.update({"kid": KEY_ID, "use": "sig", "endorsements": ENDORSEMENTS})

        async def openid(_request: web.Request) -> web.Response:
            self.hits += 1
            if self.down:
                return web.Response(status=503)
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
                 service_url: str | None = None, conversation_id: str = "conv-1",
                 channel_id: str = "msteams") -> dict:
        conversation: dict[str, Any] = {"id": conversation_id, "conversationType": "personal"}
        if tenant:
            conversation["tenantId"] = tenant
        return {
            "type": "message", "id": f"act-{uuid.uuid4().hex[:8]}", "channelId": channel_id,
            "serviceUrl": service_url or self.channel.url, "text": text, "locale": "sv-SE",
            "from": {"id": "29:anna", "name": "Anna", "aadObjectId": "aad-anna"},
            "recipient": {"id": "28:laget"},
            "conversation": conversation,
        }

    async def post(self, activity: dict | bytes, token: str | None = None,
                   authorization: str | None = None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if authorization is not None:
            headers["Authorization"] = authorization
        kwargs: dict[str, Any] = ({"data": activity} if isinstance(activity, bytes)
                                  else {"json": activity})
        async with self.http.post(self.bot_url, headers=headers, **kwargs) as response:
            text = await response.text()
            try:
                return response.status, (await response.json() if text else None)
            except (ValueError, aiohttp.ContentTypeError):
                return response.status, text

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
