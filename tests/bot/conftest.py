"""Fixtures for the HTTP-edge tests: the app with authentication on, against the stand-in
Bot Framework Service of tests/botservice.py."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator

import pytest
from botframework.connector.auth import ChannelValidation, MicrosoftAppCredentials
from botservice import APP_ID, Harness, harness


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
