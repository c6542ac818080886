"""dialogs/conversation.py over HTTP (the app, the Bot Framework protocol, the fake channel,
a real database): a question is answered at once and leaves no dialog; a question whose unit
the bot can't find asks back and waits; the wait continues on another instance, ends with
the answer, a new question or "avbryt". On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from botclient import BotClient, Turn, bot_settings, running_bot

from bot.sql_storage import SqlStorage
from dialogs.conversation import DIALOG_PROPERTY

CONVERSATION = "conv-personal"  # BotClient's default


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[BotClient]:
    async with running_bot(bot_settings(database_url)) as client:
        yield client


def title(turn: Turn) -> str:
    return turn.card["body"][0]["text"]


async def waiting(bot: BotClient, conversation: str = CONVERSATION) -> bool:
    """Whether the stored conversation state holds a dialog waiting for the next message
    (what another instance would read)."""
    assert bot.engine is not None
    key = f"msteams/conversations/{conversation}"
    stored: dict[str, Any] = (await SqlStorage(bot.engine).read([key])).get(key) or {}
    dialog = stored.get(DIALOG_PROPERTY)
    return bool(getattr(dialog, "dialog_stack", None))


async def test_forecast_question_is_answered_and_no_dialog_waits(bot: BotClient) -> None:
    reply = await bot.say("prognos för IT")
    assert title(reply) == "Prognos – IT"
    assert "+1 372 tkr (överskott)" in reply.text
    assert not await waiting(bot)


async def test_english_locale_gets_english(bot: BotClient) -> None:
    reply = await bot.say("summary", locale="en-GB")
    assert title(reply) == "Assignment summary"


async def test_unknown_unit_waits_for_a_unit_then_answers(bot: BotClient) -> None:
    reply = await bot.say("försenade för Socialförvaltningen")
    assert title(reply) == "Jag hittar ingen enhet som heter ”Socialförvaltningen”."
    buttons = [a["title"] for a in reply.card["actions"]]
    assert buttons[0] == "Stab och planering" and "Näringsliv" in buttons
    assert await waiting(bot)
    reply = await bot.say("Näringslivsenheten")
    assert title(reply).startswith("Försenade uppdrag – Näringsliv")
    assert not await waiting(bot)


async def test_a_unit_the_finance_question_lacks_is_asked_for(bot: BotClient) -> None:
    reply = await bot.say("prognos för Socialförvaltningen")
    assert title(reply) == "Vilken enhet menar du?"
    assert await waiting(bot)
    reply = await bot.say("IT")
    assert title(reply) == "Prognos – IT"
    assert not await waiting(bot)


async def test_a_new_question_while_waiting_is_answered_as_asked(bot: BotClient) -> None:
    await bot.say("prognos Okänd")
    assert await waiting(bot)
    reply = await bot.say("sammanställning")
    assert title(reply) == "Sammanställning av uppdrag"
    assert not await waiting(bot)


async def test_cancel_ends_the_wait(bot: BotClient) -> None:
    await bot.say("försenade för Socialförvaltningen")
    assert await waiting(bot)
    reply = await bot.say("avbryt")
    assert reply.text == "Okej, jag avbröt. Fråga gärna något annat."
    assert not await waiting(bot)
    # Nothing is pending any more: a bare unit is a question of its own (its figures).
    assert title(await bot.say("stab")).startswith("Prognos – Stab")


async def test_a_waiting_dialog_continues_on_another_instance(database_url: str) -> None:
    """Two bot instances (each its own app, state objects and caches) on one database."""
    async with running_bot(bot_settings(database_url)) as first, \
            running_bot(bot_settings(database_url)) as second:
        reply = await first.say("försenade för Kulturförvaltningen")
        assert title(reply) == "Jag hittar ingen enhet som heter ”Kulturförvaltningen”."
        reply = await second.say("stab")
        assert title(reply).startswith("Försenade uppdrag – Stab")
        assert not await waiting(first)
        # In a conversation where nothing waits, the same words ask for the unit's figures.
        reply = await second.say("stab", conversation_id="conv-other")
        assert title(reply).startswith("Prognos – Stab")


async def test_status_by_title_words_and_by_number(bot: BotClient) -> None:
    reply = await bot.say("status trygghetskameror")
    assert reply.card["body"][1]["text"].startswith("Trygghetskameror ska sättas upp")
    reply = await bot.say("status #999999")
    assert reply.cards == []
    assert reply.text == "Det finns inget uppdrag #999999."


async def test_nonsense_gets_the_help_card(bot: BotClient) -> None:
    reply = await bot.say("qwxz blorp")
    assert reply.text.startswith("Jag förstod inte")
    assert title(reply) == "Det här kan du fråga Läget"
    assert not await waiting(bot)


async def test_a_button_of_the_ask_back_answers_it(bot: BotClient) -> None:
    reply = await bot.say("hur många försenade har Socialförvaltningen")
    (button,) = [a for a in reply.card["actions"] if a["title"] == "Stab och planering"]
    answered = await bot.post(bot.activity(value=button["data"]))
    assert answered.text == "Försenade uppdrag – Stab och planering: 2 st"
    assert not await waiting(bot)


async def test_an_item_past_the_list_is_told_and_the_list_stays(bot: BotClient) -> None:
    listed = await bot.say("försenade för Stab")
    shown = listed.card["body"]
    reply = await bot.say("den tionde")
    assert reply.text == "Den raden finns inte i den senaste listan. Fråga efter en lista " \
        "först, eller välj en rad som finns i den."
    reply = await bot.say("den första")  # the list is still the context
    assert reply.card["body"][1]["text"].split()[0] in str(shown)
    english = await bot.say("the tenth one", locale="en-US")
    assert english.text.startswith("That item is not in the last list.")
