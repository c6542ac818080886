"""Outgoing card activities: the one way replies, prompts and nudges carry an Adaptive Card."""

from __future__ import annotations

import copy
from typing import Any

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity, Attachment


class CardAttachment(Attachment):
    """An Adaptive Card attachment whose copies share the card.

    botbuilder deep-copies every outgoing activity (TurnContext.send_activities): ~1.5 ms for
    an overdue list, a sixth of the turn. The card builders return a new dict per reply and
    nothing changes it afterwards, so a copy of the attachment may share it. The content
    stays a plain dict, so msrest, jsonpickle and the adapter's serialiser see what they
    always saw.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> CardAttachment:
        return copy.copy(self)


def card_activity(text: str, card: dict[str, Any]) -> Activity:
    """A message with the card and a plain-text summary (notifications, card-less clients)."""
    plain = CardFactory.adaptive_card(card)
    attachment = CardAttachment(content_type=plain.content_type, content=plain.content)
    activity = MessageFactory.attachment(attachment)
    activity.text = text
    return activity
