"""The main dialog with botbuilder-testing's DialogTestClient: no HTTP, real database."""

from __future__ import annotations

from datetime import date

import pytest
from botbuilder.core import ConversationState, MemoryStorage
from botbuilder.dialogs import DialogTurnStatus
from botbuilder.schema import Activity, ActivityTypes
from botbuilder.testing import DialogTestClient
from sqlalchemy import Engine

from bot.sql_storage import SqlStorage
from dialogs.main_dialog import MainDialog
from storage.demo import load_demo

TODAY = date(2025, 9, 30)


@pytest.fixture
def demo_engine(engine: Engine) -> Engine:
    load_demo(engine)
    return engine


def client(engine: Engine, state: ConversationState | None = None) -> DialogTestClient:
    return DialogTestClient("msteams", MainDialog(engine, lambda: TODAY),
                            conversation_state=state)


def message(text: str, locale: str = "sv-SE") -> Activity:
    return Activity(type=ActivityTypes.message, text=text, locale=locale)


def card_of(reply: Activity) -> dict:
    assert reply.attachments, reply.text
    return reply.attachments[0].content


async def test_forecast_question_is_answered_and_the_dialog_ends(demo_engine: Engine) -> None:
    test = client(demo_engine)
    reply = await test.send_activity(message("prognos för IT"))
    assert card_of(reply)["body"][0]["text"] == "Prognos – IT"
    assert "+1 372 tkr (överskott)" in reply.text
    assert test.dialog_turn_result.status == DialogTurnStatus.Complete


async def test_english_locale_gets_english(demo_engine: Engine) -> None:
    reply = await client(demo_engine).send_activity(message("summary", "en-GB"))
    assert card_of(reply)["body"][0]["text"] == "Assignment summary"


async def test_unknown_unit_waits_for_a_unit_then_answers(demo_engine: Engine) -> None:
    test = client(demo_engine)
    reply = await test.send_activity(message("försenade för Socialförvaltningen"))
    assert "Jag hittar ingen enhet som heter ”Socialförvaltningen”" in reply.text
    assert test.dialog_turn_result.status == DialogTurnStatus.Waiting
    reply = await test.send_activity(message("Näringslivsenheten"))
    assert card_of(reply)["body"][0]["text"].startswith("Försenade uppdrag – Näringsliv")
    assert test.dialog_turn_result.status == DialogTurnStatus.Complete


async def test_a_new_question_while_waiting_is_answered_as_asked(demo_engine: Engine) -> None:
    test = client(demo_engine)
    await test.send_activity(message("prognos Okänd"))
    reply = await test.send_activity(message("sammanställning"))
    assert card_of(reply)["body"][0]["text"] == "Sammanställning av uppdrag"


async def test_waiting_dialog_survives_in_sql_storage_across_instances(
    demo_engine: Engine,
) -> None:
    """Two bot instances (separate state objects) on one database continue one dialog."""
    first = client(demo_engine, ConversationState(SqlStorage(demo_engine)))
    await first.send_activity(message("försenade för Kulturskolan"))
    assert first.dialog_turn_result.status == DialogTurnStatus.Waiting
    second = client(demo_engine, ConversationState(SqlStorage(demo_engine)))
    reply = await second.send_activity(message("stab"))
    assert card_of(reply)["body"][0]["text"].startswith("Försenade uppdrag – Stab")
    # The same turn on memory storage would have started over instead:
    fresh = client(demo_engine, ConversationState(MemoryStorage()))
    reply = await fresh.send_activity(message("stab"))
    assert card_of(reply)["body"][0]["text"].startswith("Prognos – Stab")


async def test_status_by_title_words_and_by_id(demo_engine: Engine) -> None:
    test = client(demo_engine)
    reply = await test.send_activity(message("status trygghetskameror"))
    title = card_of(reply)["body"][1]["text"]
    assert title.startswith("Trygghetskameror ska sättas upp")
    reply = await test.send_activity(message("status #999999"))
    assert reply.attachments in (None, [])
    assert "Jag hittar inget uppdrag" in reply.text


async def test_nonsense_gets_the_help_card(demo_engine: Engine) -> None:
    reply = await client(demo_engine).send_activity(message("qwxz blorp"))
    assert reply.text.startswith("Jag förstod inte riktigt")
    assert card_of(reply)["body"][0]["text"] == "Det här kan du fråga Läget"
