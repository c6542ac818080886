"""Faults: the PostgreSQL server stopped mid-run and started again, seen over HTTP.

A dedicated server (tests/pg_server.py), not the session's shared one, since this test stops
it. The connector answering 429/5xx and a crash in one of several concurrent turns are in
tests/test_adapter.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botclient import BotClient, bot_settings, running_bot
from pg_server import PostgresServer, create_database, external_url
from sqlalchemy import create_engine


@pytest.fixture
def own_postgres() -> Iterator[tuple[PostgresServer, str]]:
    if external_url():
        pytest.fail("this test stops its own server; it needs local PostgreSQL binaries")
    server = PostgresServer()
    url = server.start()
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    database_url = create_database(admin, "laget")
    admin.dispose()
    try:
        yield server, database_url
    finally:
        server.stop()


async def _health(bot: BotClient) -> int:
    async with bot.http.get(bot.bot_url.replace("/api/messages", "/healthz")) as response:
        return response.status


async def test_postgres_outage_is_told_and_the_bot_recovers_by_itself(
    own_postgres: tuple[PostgresServer, str],
) -> None:
    server, url = own_postgres
    async with running_bot(bot_settings(url)) as bot:
        assert await _health(bot) == 200
        assert (await bot.say("prognos IT")).cards
        # A question waiting for its unit: its dialog state must survive the outage.
        waiting = await bot.say("försenade för Kulturförvaltningen", conversation_id="c-wait")
        assert "Kulturförvaltningen" in waiting.text

        server.halt()
        assert await _health(bot) == 503
        down = await bot.say("prognos IT")
        assert down.status in (200, 201)
        assert down.text == ("Läget är tillfälligt otillgängligt (databasen svarar inte). "
                             "Försök igen om en stund.")
        down_en = await bot.say("what's IT's forecast?", locale="en-US")
        assert "temporarily unavailable" in down_en.text
        assert "Traceback" not in down.text + down_en.text
        assert (await bot.say("stab", conversation_id="c-wait")).text.startswith(
            "Läget är tillfälligt otillgängligt")

        server.resume()
        assert await _health(bot) == 200
        assert (await bot.say("prognos IT")).cards
        # The wait for a unit goes on where it was.
        resumed = await bot.say("stab", conversation_id="c-wait")
        assert "Stab och planering" in resumed.text
