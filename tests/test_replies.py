"""bot/replies.py: card activities share their card instead of copying it, and still serialise
and store as they did."""

from __future__ import annotations

import copy
import json

from botbuilder.dialogs.prompts import PromptOptions

from bot.replies import CardAttachment, card_activity
from bot.sql_storage import _flatten, _restore
from cards.help import help_card


def test_card_activity_carries_the_card_and_the_text() -> None:
    card = help_card("sv")
    activity = card_activity("Hjälp", card)
    assert activity.type == "message"
    assert activity.text == "Hjälp"
    (attachment,) = activity.attachments
    assert attachment.content_type == "application/vnd.microsoft.card.adaptive"
    assert attachment.content == card
    assert isinstance(attachment, CardAttachment)
    assert type(attachment.content) is dict  # msrest serialises only exact dicts as objects


def test_a_deep_copy_of_the_activity_shares_the_card_but_not_the_activity() -> None:
    activity = card_activity("Hjälp", help_card("en"))
    copied = copy.deepcopy(activity)  # what TurnContext.send_activities does
    assert copied is not activity
    assert copied.attachments is not activity.attachments
    assert copied.attachments[0] is not activity.attachments[0]
    assert copied.attachments[0].content is activity.attachments[0].content
    copied.text = "changed"
    assert activity.text == "Hjälp"


def test_a_prompt_with_a_card_survives_the_state_store() -> None:
    card = help_card("sv")
    stored = json.loads(json.dumps(_flatten("k", {"options": PromptOptions(
        prompt=card_activity("Vilken enhet?", card))})))
    restored = _restore(stored, "e1")["options"].prompt
    assert restored.text == "Vilken enhet?"
    assert restored.attachments[0].content == card
    assert json.dumps(restored.attachments[0].content) == json.dumps(card)
