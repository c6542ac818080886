"""Scale-out: two real bot processes (app.py on two ports) on one PostgreSQL database serve
the same conversations alternately, as two App Service instances behind Azure Bot Service do.

- dialog state continues across processes (the "unknown unit → name it next" wait);
- concurrent card updates of one assignment through both processes lose no comment.
The nudge pass's "exactly once across instances" rests on claims in the database; its tests
are in tests/bot/test_scheduler.py.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from uuid import uuid4

import aiohttp
import pytest
from botclient import BotClient
from fake_channel import fake_channel
from localhost import free_port
from pg_server import create_database, drop_database
from sqlalchemy import Engine
from updating import MANAGER, comments_of, fill, grant_roles, invoke, trygghet

from config import ROOT
from storage.db import make_engine, session
from storage.models import Assignment


@pytest.fixture
def pg_url(postgres_admin: Engine, postgres_template: str) -> Iterator[str]:
    name = f"scale_{uuid4().hex[:12]}"
    yield create_database(postgres_admin, name, postgres_template)
    drop_database(postgres_admin, name)


async def _start(url: str, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "PORT": str(port), "LAGET_TODAY": "2025-09-30",
           "LAGET_DEMO": "1", "LAGET_SCHEDULER": "0", "MicrosoftAppId": "",
           "MicrosoftAppPassword": "", "LAGET_ALLOWED_TENANTS": "", "MicrosoftAppTenantId": ""}
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                            stdout=log.open("w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                async with http.get(f"{base}/healthz") as response:
                    if response.status == 200:
                        return proc, f"{base}/api/messages"
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    proc.kill()
    raise AssertionError(f"bot on {port} did not start:\n{log.read_text()[-3000:]}")


@pytest.fixture
async def two_bots(pg_url: str, tmp_path: Path) -> AsyncIterator[tuple[BotClient, BotClient]]:
    # One after the other: the first migrates and loads the demo data (see docs/deploy.md).
    first, first_url = await _start(pg_url, tmp_path / "bot-a.log")
    try:
        second, second_url = await _start(pg_url, tmp_path / "bot-b.log")
    except BaseException:
        first.terminate()
        first.wait(30)
        raise
    engine = make_engine(pg_url)
    try:
        async with fake_channel() as channel, aiohttp.ClientSession() as http:
            a, b = BotClient(first_url, channel, http), BotClient(second_url, channel, http)
            a.engine = b.engine = engine
            yield a, b
    finally:
        for proc in (first, second):
            proc.terminate()
            proc.wait(30)
        engine.dispose()


async def test_a_conversation_continues_on_the_other_process(
    two_bots: tuple[BotClient, BotClient],
) -> None:
    a, b = two_bots
    for i in range(3):
        first, second = (a, b) if i % 2 == 0 else (b, a)
        conversation = f"c-alternate-{i}"
        asked = await first.say("försenade för Kulturförvaltningen",
                                conversation_id=conversation)
        assert "Kulturförvaltningen" in asked.text
        answered = await second.say("stab", conversation_id=conversation)
        assert "Stab och planering" in answered.text and answered.cards
        # The wait is over: the next message is a new question, on either process.
        assert "Prognos – IT" in (await first.say("prognos IT",
                                                  conversation_id=conversation)).text


async def test_concurrent_updates_through_both_processes_lose_no_comment(
    two_bots: tuple[BotClient, BotClient],
) -> None:
    a, b = two_bots
    assert a.engine is not None
    grant_roles(a.engine)
    assignment = trygghet(a.engine)
    before = len(comments_of(a.engine, assignment))
    card = (await a.say(f"uppdatera #{assignment.number}", user_id=MANAGER)).card
    posts = []
    for i in range(40):
        client = a if i % 2 == 0 else b
        execute, _ = fill(card, status="completed" if i % 2 else "started",
                          comment=f"Från två instanser {i}")
        posts.append(client.post(invoke(client, execute, MANAGER, "Maria Stab")))
    turns = await asyncio.gather(*posts)
    assert all(t.status == 200 and t.body["statusCode"] == 200 for t in turns)
    texts = comments_of(a.engine, assignment)
    assert len(texts) == before + 40
    assert {f"Från två instanser {i}" for i in range(40)} <= set(texts)
    with session(a.engine, assignment.organisation_id) as s:
        final = s.get(Assignment, assignment.id)
    assert final is not None and final.version == assignment.version + 40
