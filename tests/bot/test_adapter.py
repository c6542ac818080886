"""bot/adapter.py, the HTTP edge of /api/messages: tenant restriction, isolation of turns."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from botclient import bot_settings, running_bot
from botservice import harness
from yarl import URL


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


# --- reading the body --------------------------------------------------------------------


async def _raw_post(url: str, head: bytes, parts: list[bytes], pause: float) -> bytes:
    """Sends one request over a plain socket, `head` and each part in its own write, `pause`
    seconds apart; returns the whole response (the server closes: Connection: close)."""
    parsed = URL(url)
    reader, writer = await asyncio.open_connection(parsed.host, parsed.port)
    try:
        writer.write(head)
        for part in parts:
            await writer.drain()
            await asyncio.sleep(pause)
            writer.write(part)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 30)
    finally:
        writer.close()


def _request_head(path: str, length: int | None, extra: str = "") -> bytes:
    size = f"Content-Length: {length}\r\n" if length is not None else (
        "Transfer-Encoding: chunked\r\n")
    return (f"POST {path} HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
            f"{size}Connection: close\r\n{extra}\r\n").encode()


async def test_a_body_in_several_tcp_segments_is_read_whole(database_url: str) -> None:
    async with running_bot(bot_settings(database_url)) as bot:
        path = URL(bot.bot_url).path
        for i in range(30):
            body = json.dumps(bot.activity("hjälp", conversation_id=f"seg-{i}")).encode()
            half = len(body) // 2
            response = await _raw_post(bot.bot_url, _request_head(path, len(body)) + body[:half],
                                       [body[half:]], pause=0.005)
            assert response.split(b"\r\n", 1)[0] in (b"HTTP/1.1 200 OK", b"HTTP/1.1 201 Created"), (
                i, response[:300])
            assert bot.channel.replies(f"seg-{i}"), i
        assert len(bot.channel.received) == 30


def _chunked(data: bytes, size: int) -> list[bytes]:
    pieces = [data[i:i + size] for i in range(0, len(data), size)]
    return [b"%x\r\n%s\r\n" % (len(p), p) for p in pieces] + [b"0\r\n\r\n"]


async def test_a_chunked_body_without_length_is_read_whole_and_bounded(
    database_url: str,
) -> None:
    async with running_bot(bot_settings(database_url)) as bot:
        path = URL(bot.bot_url).path
        body = json.dumps(bot.activity("hjälp", conversation_id="chunked")).encode()
        response = await _raw_post(bot.bot_url, _request_head(path, None),
                                   _chunked(body, 100), pause=0.002)
        assert response.startswith((b"HTTP/1.1 200", b"HTTP/1.1 201")), response[:300]
        assert bot.channel.replies("chunked")
        # Past the limit without a Content-Length to refuse early: 413 all the same.
        huge = json.dumps(bot.activity("x" * 300_000, conversation_id="huge")).encode()
        response = await _raw_post(bot.bot_url, _request_head(path, None),
                                   _chunked(huge, 64 * 1024), pause=0.002)
        assert response.startswith(b"HTTP/1.1 413"), response[:300]
        assert not bot.channel.replies("huge")
