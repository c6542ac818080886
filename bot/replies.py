"""The Adaptive Card attachment every reply, prompt and nudge carries its card in."""

from __future__ import annotations

import copy
from typing import Any

from botbuilder.schema import Attachment


class CardAttachment(Attachment):
    """An Adaptive Card attachment whose copies share the card.

    botbuilder deep-copies every outgoing activity (TurnContext.send_activities): ~1.5 ms for
    a long list, a sixth of the turn. The card builders return a new dict per reply and
    nothing changes it afterwards, so a copy of the attachment may share it. The content
    stays a plain dict, so msrest, jsonpickle and the adapter's serialiser see what they
    always saw (bot/botbuilder_patches.py sends it without walking it).
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> CardAttachment:
        return copy.copy(self)
