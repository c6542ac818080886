"""bot/openid.py: the Bot Framework's signing keys are fetched without blocking the event
loop, once, and a bot that cannot fetch them answers 503 rather than guess."""

from __future__ import annotations

from typing import Any

import pytest
from botservice import Harness, make_token


async def test_signing_keys_are_fetched_once_without_blocking(
    authed: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    import requests

    def refuse(*_a: Any, **_k: Any) -> None:
        raise AssertionError("blocking requests call on the event loop")

    monkeypatch.setattr(requests, "get", refuse)
    for _ in range(4):
        status, _ = await authed.post(authed.activity(), make_token(authed.channel.url))
        assert status in (200, 201)
    assert authed.identity.hits == 1


async def test_unreachable_signing_keys_are_a_503(authed: Harness) -> None:
    authed.identity.down = True
    status, body = await authed.post(authed.activity(), make_token(authed.channel.url))
    assert (status, body) == (503, {"error": "cannot verify tokens right now"})
    assert authed.channel.attempts == 0 and authed.state_rows() == 0
