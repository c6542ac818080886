"""Faults: the PostgreSQL server stopped mid-run and started again, seen over HTTP.

A dedicated server (tests/pg_server.py), not the session's shared one, since this test stops
it. While it is down, /healthz says 503 and every user is told in their language (sv, en,
fi) that Läget is temporarily unavailable — never the generic apology, never a traceback;
a question waiting for its unit keeps its dialog state and goes on once the server is back.
(The connector answering 429/5xx and a crash in one of several turns: tests/bot/test_adapter.py.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from botclient import BotClient, Turn, bot_settings, running_bot
from pg_server import PostgresServer, create_database, external_url
from sqlalchemy import create_engine

from cards.texts import t
from storage.demo import DEMO_ORGANISATIONS

NORRTALJE, LOVISA = DEMO_ORGANISATIONS[0].tenant, DEMO_ORGANISATIONS[1].tenant


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


async def _say(bot: BotClient, text: str, tenant: str, locale: str, **kwargs: object) -> Turn:
    activity = bot.activity(text, locale=locale, **kwargs)  # type: ignore[arg-type]
    activity["conversation"]["tenantId"] = tenant
    activity["channelData"] = {"tenant": {"id": tenant}}
    return await bot.post(activity)


async def test_postgres_outage_is_told_and_the_bot_recovers_by_itself(
    own_postgres: tuple[PostgresServer, str],
) -> None:
    server, url = own_postgres
    async with running_bot(bot_settings(url)) as bot:
        assert await _health(bot) == 200
        assert (await bot.say("prognos IT")).cards
        # A question waiting for its unit: its dialog state must survive the outage.
        waiting = await bot.say("prognos", conversation_id="c-wait")
        assert "Vilken enhet" in waiting.text and "IT" in waiting.text

        server.halt()
        assert await _health(bot) == 503
        for text, tenant, locale, lang in (
            ("prognos IT", NORRTALJE, "sv-SE", "sv"),
            ("what's IT's forecast?", NORRTALJE, "en-US", "en"),
            ("ennuste talousarvio", LOVISA, "fi-FI", "fi"),
        ):
            down = await _say(bot, text, tenant, locale)
            assert down.status in (200, 201), down.body
            assert down.text == t(lang, "unavailable")
            assert "Traceback" not in json.dumps(down.replies)
        assert (await bot.say("IT", conversation_id="c-wait")).text == t("sv", "unavailable")
        # An invoke (a compose-box search) gets no apology message, but no 5xx traceback.
        search = bot.activity(None, type_="invoke", name="composeExtension/query",
                              value={"commandId": "searchAssignments",
                                     "parameters": [{"name": "query", "value": "IT"}]})
        searched = await bot.post(search)
        assert "Traceback" not in json.dumps(searched.body)

        server.resume()
        assert await _health(bot) == 200
        assert (await bot.say("prognos IT")).cards
        # The wait for a unit goes on where it was.
        resumed = await bot.say("IT", conversation_id="c-wait")
        assert "Prognos – IT" in resumed.text and resumed.cards
