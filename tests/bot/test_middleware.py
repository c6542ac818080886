"""bot/middleware.py over HTTP: question text and conversation references."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from botclient import BotClient, bot_settings, running_bot
from sqlalchemy import func
from sqlmodel import select

from storage import conversations
from storage.db import session
from storage.models import ConversationRef


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[BotClient]:
    async with running_bot(bot_settings(database_url)) as client:
        yield client


async def test_a_known_conversation_is_recorded_once_not_every_turn(
    bot: BotClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = conversations.record

    def counting(s, info):  # type: ignore[no-untyped-def]
        calls.append(info.conversation_id)
        return real(s, info)

    monkeypatch.setattr(conversations, "record", counting)
    for _ in range(3):
        assert (await bot.say("hjälp", conversation_id="c-memo")).replies
    await bot.say("hjälp", conversation_id="c-other")
    assert calls == ["c-memo", "c-other"]
    # A changed reference (the channel moved its service URL) is written again.
    moved = bot.activity("hjälp", conversation_id="c-memo")
    moved["serviceUrl"] = bot.channel.url + "moved/"
    await bot.post(moved)
    assert calls == ["c-memo", "c-other", "c-memo"]
    with session(bot.engine) as s:
        assert s.exec(select(func.count()).select_from(ConversationRef)).one() == 2
        ref = s.exec(select(ConversationRef).where(
            ConversationRef.conversation_id == "c-memo")).one()
    assert ref.service_url.endswith("/moved/")


async def test_card_button_value_becomes_the_question(bot: BotClient) -> None:
    turn = await bot.post(bot.activity(value={"ask": "sammanställning"}))
    assert turn.card["body"][0]["text"] == "Sammanställning av uppdrag"


async def test_html_and_mentions_are_stripped(bot: BotClient) -> None:
    turn = await bot.say("<p><at>Läget</at>&nbsp;prognos <b>IT</b></p>")
    assert turn.card["body"][0]["text"] == "Prognos – IT"
