"""bot/adapter.py, the HTTP edge of /api/messages: tenant restriction, isolation of turns."""

from __future__ import annotations

import asyncio
import logging

import pytest
from botservice import harness


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
