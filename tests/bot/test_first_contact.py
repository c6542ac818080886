"""A first contact's conversation reference is written beside the turn and committed before
the first reply goes out (bot/middleware.py, storage.group_commit): a real app.py process,
killed (SIGKILL) the moment its reply reaches the channel, has still stored the reference,
and the next nudge pass reaches that conversation with it. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from localhost import free_port
from sqlalchemy import Engine

from config import ROOT
from storage import conversations, organisations
from storage.db import make_engine, session

USER = "29:first-contact-user"


def _env(database_url: str, port: int) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "PORT": str(port),
            "LAGET_TODAY": "2025-09-30", "LAGET_DEMO": "1", "LAGET_SCHEDULER": "0",
            "MicrosoftAppId": "", "MicrosoftAppPassword": "", "LAGET_ALLOWED_TENANTS": "",
            "MicrosoftAppTenantId": ""}


async def _wait_healthy(proc: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + 90
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    pytest.fail("app.py did not start:\n" + log.read_text()[-3000:])


def _default_org(engine: Engine) -> organisations.OrganisationView:
    with session(engine) as s:
        org = organisations.default(s)
    assert org is not None
    return org


async def test_the_reference_survives_a_kill_right_after_the_reply(
        database_url: str, tmp_path: Path) -> None:
    received: list[dict] = []
    proc: subprocess.Popen | None = None

    async def reply(request: web.Request) -> web.Response:
        received.append(await request.json())
        if proc is not None and len(received) == 1:
            proc.send_signal(signal.SIGKILL)  # before the bot even hears back
            proc.wait(10)
        return web.json_response({"id": f"r{len(received)}"})

    channel = web.Application()
    channel.router.add_post("/v3/conversations/{cid}/activities/{aid}", reply)
    channel.router.add_post("/v3/conversations/{cid}/activities", reply)
    runner = web.AppRunner(channel)
    await runner.setup()
    channel_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", channel_port).start()
    service_url = f"http://127.0.0.1:{channel_port}/"
    log = tmp_path / "bot.log"
    port = free_port()
    try:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT,
                                env=_env(database_url, port), stdout=log.open("w"),
                                stderr=subprocess.STDOUT)
        await _wait_healthy(proc, port, log)
        activity = {
            "type": "message", "id": "first-1", "channelId": "msteams",
            "serviceUrl": service_url, "text": "vilka uppdrag är försenade?",
            "locale": "sv-SE", "from": {"id": USER, "name": "Ny Användare"},
            "recipient": {"id": "28:bot", "name": "Läget"},
            "conversation": {"id": "a:first-contact", "conversationType": "personal",
                             "tenantId": "tenant-1"},
            "channelData": {"tenant": {"id": "tenant-1"}},
        }
        async with aiohttp.ClientSession() as http:
            try:
                async with http.post(f"http://127.0.0.1:{port}/api/messages",
                                     json=activity) as response:
                    await response.read()
            except aiohttp.ClientError:
                pass  # killed while answering: expected
        deadline = time.monotonic() + 30
        while not received and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert received, log.read_text()[-3000:]
        assert proc.poll() == -signal.SIGKILL
        engine = make_engine(database_url)
        org = _default_org(engine)
        with session(engine, org.id) as s:
            ref = conversations.get(s, org.id, "a:first-contact")
        assert ref is not None, "the reference was lost with the process"
        assert (ref.service_url, ref.user_id, ref.conversation_type) == (
            service_url, USER, "personal")
        assert ref.reference["conversation"]["id"] == "a:first-contact"

        # The next nudge pass: the user manages Stab och planering, which has overdue
        # assignments; the personal reminder goes to the stored reference.
        env = _env(database_url, port)
        for command in (["grant", USER, "manager", "Stab och planering", "--channel-id",
                         "--org", org.name],
                        ["nudge", "--at", "2025-09-30T08:00", "--org", org.name]):
            # Not subprocess.run: the channel answering the nudge runs on this event loop.
            cli = await asyncio.create_subprocess_exec(
                sys.executable, "app.py", *command, cwd=ROOT, env=env,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
            output, _ = await asyncio.wait_for(cli.communicate(), 120)
            assert cli.returncode == 0, output.decode()
        reminders = [a for a in received[1:] if a.get("conversation", {}).get("id")
                     == "a:first-contact"]
        assert reminders, received
        engine.dispose()
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
        await runner.cleanup()
