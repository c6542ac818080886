"""The activity handler: messages and card actions go to the conversation, the compose box's
search to the message extension, and new teams and users get a welcome."""

from __future__ import annotations

from typing import Any

from botbuilder.core import (
    ActivityHandler,
    ConversationState,
    InvokeResponse,
    TurnContext,
)
from botbuilder.schema import ChannelAccount

from bot.tenancy import organisation_of
from cards.help import help_card, help_text
from cards.nudges import welcome_card, welcome_text
from cards.texts import choose_language
from cards.update import UPDATE_VERB
from dialogs.answers import Answer, reply_activity
from dialogs.conversation import Conversation
from dialogs.search import ComposeSearch

SHARED_CONVERSATIONS = {"channel", "groupChat"}


class LagetBot(ActivityHandler):
    def __init__(self, conversation_state: ConversationState, conversation: Conversation,
                 search: ComposeSearch) -> None:
        self._conversation_state = conversation_state
        self._conversation = conversation
        self._search = search

    async def on_turn(self, turn_context: TurnContext) -> None:
        await super().on_turn(turn_context)
        # Writes only what changed: a turn that remembers nothing writes nothing.
        await self._conversation_state.save_changes(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        value = turn_context.activity.value
        if isinstance(value, dict) and value.get("verb") == UPDATE_VERB:
            # An update card sent by a client without Universal Actions (Action.Submit).
            answer = await self._conversation.card_action(turn_context, UPDATE_VERB, value)
            if answer is not None:
                await turn_context.send_activity(reply_activity(answer))
            return
        await self._conversation.on_message(turn_context)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        activity = turn_context.activity
        value = activity.value if isinstance(activity.value, dict) else {}
        if activity.name == "composeExtension/query":
            # The raw value: a malformed one is answered with no results, not an empty search.
            return InvokeResponse(status=200,
                                  body=await self._search.query(turn_context, activity.value))
        if activity.name == "composeExtension/selectItem":
            return InvokeResponse(status=200, body=await self._search.select(turn_context, value))
        if activity.name != "adaptiveCard/action":
            return await super().on_invoke_activity(turn_context)
        action = value.get("action")
        answer = None
        if (isinstance(action, dict) and action.get("type") == "Action.Execute"
                and isinstance(action.get("verb"), str)
                and isinstance(action.get("data") or {}, dict)):
            answer = await self._conversation.card_action(turn_context, action["verb"],
                                                          action.get("data") or {})
        if answer is None:
            return _card_response(400, "application/vnd.microsoft.error",
                                  {"code": "BadRequest", "message": "unknown card action"})
        if answer.card is not None:
            # Teams replaces the card the user pressed with this one.
            return _card_response(200, "application/vnd.microsoft.card.adaptive", answer.card)
        return _card_response(200, "application/vnd.microsoft.activity.message", answer.text)

    async def on_members_added_activity(self, members_added: list[ChannelAccount],
                                        turn_context: TurnContext) -> None:
        activity = turn_context.activity
        recipient = activity.recipient
        org = organisation_of(turn_context)
        lang = choose_language(activity.locale, None, org.language)
        conversation = activity.conversation
        bot_id = recipient.id if recipient else None
        if conversation is not None and conversation.conversation_type in SHARED_CONVERSATIONS:
            # Installed in a team or group chat: say once how to subscribe it to nudges.
            # People joining later get no card: the whole channel would see it.
            if any(m.id == bot_id for m in members_added):
                await turn_context.send_activity(reply_activity(
                    Answer(welcome_text(lang), welcome_card(lang))))
            return
        if any(m.id != bot_id for m in members_added):
            await turn_context.send_activity(reply_activity(
                Answer(help_text(lang), help_card(lang))))


def _card_response(status: int, content_type: str, value: Any) -> InvokeResponse:
    """Universal Actions reply: HTTP 200 with the outcome's own statusCode in the body."""
    return InvokeResponse(status=200, body={"statusCode": status, "type": content_type,
                                             "value": value})
