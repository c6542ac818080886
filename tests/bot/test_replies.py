"""bot/replies.py and dialogs/answers.card_activity: a card activity shares its card instead
of copying it, and still serialises and stores as a plain attachment does (the ask-back
prompt keeps its card in the conversation state, on SQLite and PostgreSQL)."""

from __future__ import annotations

import copy
import json

from botbuilder.dialogs.prompts import PromptOptions
from sqlalchemy import Engine

from bot.replies import CardAttachment
from bot.sql_storage import SqlStorage
from cards.help import help_card
from dialogs.answers import card_activity


def test_card_activity_carries_the_card_and_the_text() -> None:
    card = help_card("sv")
    activity = card_activity("Hjälp", card, json.dumps(card))
    assert activity.type == "message"
    assert activity.text == "Hjälp"
    (attachment,) = activity.attachments
    assert attachment.content_type == "application/vnd.microsoft.card.adaptive"
    assert attachment.content == card
    assert isinstance(attachment, CardAttachment)
    assert type(attachment.content) is dict  # msrest serialises only exact dicts as objects
    assert attachment.content_json == json.dumps(card)
    # Not part of the Bot Framework model: msrest leaves it out.
    assert "content_json" not in attachment.serialize()
    assert attachment.serialize()["content"] == card


def test_a_deep_copy_of_the_activity_shares_the_card_but_not_the_activity() -> None:
    activity = card_activity("Hjälp", help_card("en"))
    copied = copy.deepcopy(activity)  # what TurnContext.send_activities does
    assert copied is not activity
    assert copied.attachments is not activity.attachments
    assert copied.attachments[0] is not activity.attachments[0]
    assert copied.attachments[0].content is activity.attachments[0].content
    copied.text = "changed"
    assert activity.text == "Hjälp"


async def test_a_prompt_with_a_card_survives_the_state_store(engine: Engine) -> None:
    card = help_card("sv")
    prompt = card_activity("Vilken enhet?", card, json.dumps(card))
    storage = SqlStorage(engine)
    await storage.write({"msteams/conversations/c1": {
        "options": PromptOptions(prompt=prompt), "e_tag": "*"}})
    # A new storage object: what another instance reads from the database.
    stored = (await SqlStorage(engine).read(["msteams/conversations/c1"]))
    restored = stored["msteams/conversations/c1"]["options"].prompt
    assert restored.text == "Vilken enhet?"
    (attachment,) = restored.attachments
    assert attachment.content == card
    assert json.dumps(attachment.content) == json.dumps(card)
    assert attachment.content_json is None  # the card's text is not stored twice
