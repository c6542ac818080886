"""bot/auth.py through the HTTP edge: real signed tokens are accepted and answered with the
app's own outgoing credentials; every bad token is a 401 that changes nothing; local mode
ignores an Authorization header."""

from __future__ import annotations

import threading
from typing import Any

import jwt
import pytest
from botservice import (
    APP_ID,
    EMULATOR_ISSUER,
    ISSUER,
    OTHER_KEY,
    Harness,
    harness,
    make_token,
)

from storage.demo import DEMO_ORGANISATIONS


def _no_blocking_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    import requests

    def refuse(*_a: Any, **_k: Any) -> None:
        raise AssertionError("blocking requests call on the event loop")

    monkeypatch.setattr(requests, "get", refuse)


async def test_valid_token_is_answered_with_the_apps_credentials(
    authed: Harness, outgoing_tokens: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_blocking_requests(monkeypatch)
    # Authenticated, a tenant is served only when an organisation has it (the demo's).
    norrtalje = DEMO_ORGANISATIONS[0].tenant
    status, _ = await authed.post(authed.activity(tenant=norrtalje),
                                  make_token(authed.channel.url))
    assert status in (200, 201)
    [(headers, reply)] = authed.channel.received
    assert "Prognos – IT" in str(reply)
    assert headers["Authorization"] == "Bearer outgoing-token"
    assert outgoing_tokens and all(name != threading.main_thread().name
                                   for name in outgoing_tokens)
    # The outgoing token is reused.
    for _ in range(3):
        status, _ = await authed.post(authed.activity(tenant=norrtalje),
                                      make_token(authed.channel.url))
        assert status in (200, 201)
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


async def test_local_mode_ignores_an_authorization_header(database_url: str) -> None:
    async with harness(database_url) as h:
        status, _ = await h.post(h.activity(), authorization="Bearer whatever")
        assert status in (200, 201)
        [(headers, _reply)] = h.channel.received
        assert "Authorization" not in headers  # no credentials to send in local mode


@pytest.mark.parametrize("channel_id", ["msteams", "emulator"])
@pytest.mark.parametrize("audience", ["https://api.botframework.com", "", "someone-elses-app"])
async def test_an_emulator_token_for_another_audience_is_a_401(
    authed: Harness, monkeypatch: pytest.MonkeyPatch, channel_id: str, audience: str
) -> None:
    """Validly signed by the Emulator's issuer and naming our app as `appid`, but issued for
    another audience: botbuilder's EmulatorValidation accepts it (it checks no audience),
    and the turn then failed building credentials for that audience: HTTP 500. (A third
    audience makes botbuilder take it for a skill's token, which it refuses itself.)"""
    from botframework.connector.auth import AuthenticationConstants

    monkeypatch.setattr(AuthenticationConstants, "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL",
                        f"{authed.identity.url}/openid")
    token = make_token(authed.channel.url, iss=EMULATOR_ISSUER, aud=audience, appid=APP_ID,
                       ver="1.0")
    status, body = await authed.post(authed.activity(channel_id=channel_id), token)
    assert status == 401, body
    assert body == {"error": "invalid token"}
    assert authed.channel.attempts == 0 and authed.state_rows() == 0
    # The same token for our own audience is fine on Teams' channel.
    token = make_token(authed.channel.url, iss=EMULATOR_ISSUER, aud=APP_ID, appid=APP_ID,
                       ver="1.0")
    status, _ = await authed.post(authed.activity(), token)
    assert status in (200, 201)
