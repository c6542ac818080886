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

    # The card's JSON text when it is known already (a cached answer's card is serialised
    # once): the reply is sent with it spliced in (bot/botbuilder_patches.py). Not part of
    # the Bot Framework model: msrest, and jsonpickle (__getstate__), leave it out.
    content_json: str | None = None

    def __deepcopy__(self, memo: dict[int, Any]) -> CardAttachment:
        return copy.copy(self)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("content_json", None)
        return state
