"""bot/http_server.py, over real sockets: slow or idle clients are cut off at the header and
body deadlines while /healthz keeps answering; past the bound, the oldest half-sent or idle
connection makes room (so /healthz answers through a flood of them), and only when every
connection holds a request being answered is one refused at once, with one log line; the bind
address follows the mode; app.py serves through it."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from botclient import bot_settings
from botservice import APP_ID
from fake_channel import FakeChannel, fake_channel

import app as app_module
from app import build
from bot.http_server import RunningServer, start_server
from config import Settings

HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 1.5
MARGIN = 1.0  # scheduling slack on a busy test machine


@dataclass
class Served:
    running: RunningServer
    host: str
    port: int
    channel: FakeChannel

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def activity(self, text: str, conversation_id: str) -> bytes:
        return json.dumps({
            "type": "message", "id": f"a-{conversation_id}", "channelId": "msteams",
            "serviceUrl": self.channel.url, "text": text, "locale": "sv-SE",
            "from": {"id": "29:u", "name": "U"}, "recipient": {"id": "28:bot"},
            "conversation": {"id": conversation_id, "conversationType": "personal"},
        }).encode()


@asynccontextmanager
async def served(database_url: str, busy: asyncio.Event | None = None,
                 **overrides: Any) -> AsyncIterator[Served]:
    """The app on a bounded server; with `busy`, GET /busy answers only once it is set (a
    request being answered, holding its connection)."""
    settings = bot_settings(database_url, **{"header_timeout": HEADER_TIMEOUT,
                                             "body_timeout": BODY_TIMEOUT, **overrides})
    components = build(settings)
    if busy is not None:
        async def wait_busy(request: web.Request) -> web.Response:
            await busy.wait()
            return web.Response(text="done")
        components.web_app.router.add_get("/busy", wait_busy)
    running = await start_server(components.web_app, settings, port=0)
    host, port = running.addresses[0]
    try:
        async with fake_channel() as channel:
            yield Served(running, host, port, channel)
    finally:
        await running.stop()
        components.engine.dispose()


def _head(length: int, keep_alive: bool = False) -> bytes:
    connection = "keep-alive" if keep_alive else "close"
    return (f"POST /api/messages HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\nConnection: {connection}\r\n\r\n").encode()


async def _until_closed(reader: asyncio.StreamReader) -> bytes:
    try:
        return await asyncio.wait_for(reader.read(), HEADER_TIMEOUT + BODY_TIMEOUT + 10)
    except ConnectionResetError:
        return b""


async def _slow_client(s: Served, kind: str, n: int) -> tuple[str, float, bytes]:
    """Sends part of a request, then nothing. Returns (kind, seconds from the moment the
    server's clock for that part started until it closed the connection, what came back)."""
    connecting = time.monotonic()  # the header clock starts when the server accepts
    reader, writer = await asyncio.open_connection(s.host, s.port)
    body = s.activity("hjälp", f"slow-{kind}-{n}")
    head = _head(len(body), keep_alive=True)
    try:
        if kind == "headers":
            writer.write(head[: len(head) // 2])
            started = connecting
        elif kind == "body":
            writer.write(head + body[: len(body) // 2])
            started = time.monotonic()
        else:  # a whole request on a kept-alive connection, then half the next one's headers
            writer.write(head + body)
            await reader.readuntil(b"\r\n\r\n")
            writer.write(head[: len(head) // 2])
            started = time.monotonic()
        await writer.drain()
        data = await _until_closed(reader)
        return kind, time.monotonic() - started, data
    finally:
        writer.close()


async def test_slow_clients_are_cut_off_while_healthz_keeps_answering(
    database_url: str,
) -> None:
    async with served(database_url) as s:
        clients = [asyncio.create_task(_slow_client(s, kind, n))
                   for n in range(50) for kind in (("headers", "body")[n % 2],)]
        clients += [asyncio.create_task(_slow_client(s, "kept-alive", n)) for n in range(5)]
        health: list[tuple[int, float]] = []
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + BODY_TIMEOUT + 0.5
            while time.monotonic() < deadline:
                started = time.monotonic()
                async with http.get(f"{s.base}/healthz") as response:
                    health.append((response.status, time.monotonic() - started))
                await asyncio.sleep(0.1)
        results = await asyncio.gather(*clients)
        limits = {"headers": HEADER_TIMEOUT, "body": BODY_TIMEOUT,
                  "kept-alive": HEADER_TIMEOUT}
        for kind, elapsed, data in results:
            assert limits[kind] * 0.9 <= elapsed <= limits[kind] + MARGIN, (kind, elapsed)
            if kind != "kept-alive":
                assert data == b"", (kind, data[:100])  # closed, nothing answered
        assert len(health) >= 10 and all(status == 200 for status, _ in health), health
        assert max(seconds for _, seconds in health) < 0.5, health
        print(f"\ncut off after (s): headers {max(e for k, e, _ in results if k == 'headers'):.2f}"
              f", body {max(e for k, e, _ in results if k == 'body'):.2f}; "
              f"healthz at most {max(t for _, t in health):.3f} s")
        # Nothing half-sent was processed; the kept-alive clients' whole requests were.
        assert {r.conversation_id for r in s.channel.received} == {
            f"slow-kept-alive-{n}" for n in range(5)}
        assert s.running.guard.timed_out.total == 55


async def test_a_broken_chunk_after_the_headers_is_cut_off_at_the_body_deadline(
    database_url: str,
) -> None:
    """aiohttp answers a malformed chunk with 400 only once the request before it is done;
    a handler already reading that request's body would wait for ever."""
    async with served(database_url) as s:
        reader, writer = await asyncio.open_connection(s.host, s.port)
        writer.write(b"POST /api/messages HTTP/1.1\r\nHost: bot\r\nContent-Type: "
                     b"application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(0.05)  # the handler is reading the body
        writer.write(b'10\r\n{"type": "mess\r\nzz\r\n')
        started = time.monotonic()
        await _until_closed(reader)
        assert time.monotonic() - started <= BODY_TIMEOUT + MARGIN
        writer.close()
        assert s.channel.received == []


async def _wait_open(s: Served, n: int) -> None:
    for _ in range(200):
        if s.running.guard.open_connections == n:
            return
        await asyncio.sleep(0.01)
    assert s.running.guard.open_connections == n


@pytest.mark.parametrize("kind", ["idle", "headers", "body"])
async def test_a_flood_of_half_sent_connections_makes_room_for_healthz(
    database_url: str, caplog: pytest.LogCaptureFixture, kind: str,
) -> None:
    # 600 clients that never finish a request, against a bound of 20 (the 600
    # against 512): every new connection was refused 503, /healthz too, until the deadlines
    # cut them (10 s for headers, 30 s for a body). Now the oldest of them makes room.
    async with served(database_url, max_connections=20, header_timeout=60,
                      body_timeout=60) as s:
        head = _head(1000, keep_alive=True)
        part = {"idle": b"", "headers": head[:20], "body": head + b'{"type": "mes'}[kind]
        held = []
        with caplog.at_level(logging.WARNING, logger="laget.http"):
            for n in range(600):
                reader, writer = await asyncio.open_connection(s.host, s.port)
                if part:
                    writer.write(part)
                held.append((reader, writer))
                if n % 100 == 99:
                    await asyncio.sleep(0.05)
            await asyncio.sleep(0.1)
            assert s.running.guard.open_connections <= 20
            async with aiohttp.ClientSession() as http:
                for _ in range(5):
                    started = time.monotonic()
                    async with http.get(f"{s.base}/healthz") as response:
                        assert response.status == 200
                    assert time.monotonic() - started < 0.5
        assert s.running.guard.refused.total == 0
        assert s.running.guard.evicted.total >= 580
        lines = [r.getMessage() for r in caplog.records if r.name == "laget.http"]
        assert len(lines) == 1 and "closed the oldest one" in lines[0], lines
        # The newest are the ones still open: the first ones were closed, nothing answered.
        assert await _until_closed(held[0][0]) == b""
        for _reader, writer in held:
            writer.close()
        assert s.channel.received == []


async def test_connections_past_the_bound_are_refused_at_once_with_one_log_line(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Every connection holds a whole request being answered: nothing to make room by.
    busy = asyncio.Event()
    async with served(database_url, busy=busy, max_connections=20, header_timeout=60) as s:
        async with aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, force_close=True)) as slow:
            waiting = [asyncio.create_task(slow.get(f"{s.base}/busy")) for _ in range(20)]
            await _wait_open(s, 20)
            await asyncio.sleep(0.1)  # each request's headers in: none is half-sent
            with caplog.at_level(logging.WARNING, logger="laget.http"):
                for _ in range(30):
                    reader, writer = await asyncio.open_connection(s.host, s.port)
                    started = time.monotonic()
                    data = await _until_closed(reader)
                    assert time.monotonic() - started < 0.5
                    assert data == b"" or data.startswith(b"HTTP/1.1 503 "), data[:100]
                    writer.close()
                async with aiohttp.ClientSession() as http:
                    with pytest.raises(aiohttp.ClientError):  # full: /healthz too, at once
                        async with http.get(f"{s.base}/healthz") as response:
                            assert response.status == 503
                            raise aiohttp.ClientError("refused")
            lines = [r for r in caplog.records if r.name == "laget.http"]
            assert len(lines) == 1 and "refusing connections: 20 open" in lines[0].getMessage()
            assert s.running.guard.refused.total == 31 and s.running.guard.evicted.total == 0
            busy.set()
            for response in await asyncio.gather(*waiting):
                assert response.status == 200  # none of them was cut to make room
                response.release()
        await _wait_open(s, 0)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{s.base}/healthz") as response:
                assert response.status == 200


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "laget.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.mark.parametrize(("overrides", "expected"), [
    ({}, "127.0.0.1"),
    ({"app_id": APP_ID, "app_password": "s3cret"}, "0.0.0.0"),
    ({"host": "127.0.0.2"}, "127.0.0.2"),
    ({"app_id": APP_ID, "app_password": "s3cret", "host": "127.0.0.1"}, "127.0.0.1"),
])
async def test_local_mode_binds_loopback_unless_told(
    sqlite_url: str, overrides: dict[str, Any], expected: str
) -> None:
    settings = bot_settings(sqlite_url, demo=False, **overrides)
    components = build(settings)
    running = await start_server(components.web_app, settings, port=0)
    try:
        assert {host for host, _port in running.addresses} == {expected}
    finally:
        await running.stop()
        components.engine.dispose()


def test_app_serves_through_the_bounded_server(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    served_with: list[Settings] = []
    monkeypatch.setattr(app_module, "serve", lambda _app, settings: served_with.append(settings))
    for name, value in {"DATABASE_URL": sqlite_url, "LAGET_DEMO": "0", "MicrosoftAppId": "",
                        "LAGET_HOST": "", "LAGET_HEADER_TIMEOUT": "5",
                        "LAGET_MAX_CONNECTIONS": "100"}.items():
        monkeypatch.setenv(name, value)
    assert app_module.main(["serve"]) == 0
    [settings] = served_with
    assert (settings.header_timeout, settings.body_timeout, settings.max_connections) == (
        5.0, 30.0, 100)


def test_edge_settings_are_read_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAGET_HOST", " 10.0.0.5 ")
    monkeypatch.setenv("LAGET_BODY_TIMEOUT", "12.5")
    settings = Settings.from_env()
    assert settings.host == "10.0.0.5" and settings.body_timeout == 12.5
    monkeypatch.setenv("LAGET_MAX_CONNECTIONS", "0")
    with pytest.raises(ValueError, match="LAGET_MAX_CONNECTIONS"):
        Settings.from_env()
