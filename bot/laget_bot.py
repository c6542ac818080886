"""The activity handler: runs the main dialog for messages and greets new members."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import (
    ActivityHandler,
    ConversationState,
    InvokeResponse,
    TurnContext,
    UserState,
)
from botbuilder.dialogs import Dialog, DialogSet, DialogTurnStatus
from botbuilder.schema import Activity, ChannelAccount

from bot.understanding import reply_language
from cards.help import help_card, help_text
from cards.nudges import welcome_card, welcome_text
from cards.update import UPDATE_VERB
from dialogs.commands import Answer
from dialogs.main_dialog import reply_activity

SHARED_CONVERSATIONS = {"channel", "groupChat"}
CardAction = Callable[[Activity, str, dict[str, Any]], Awaitable[Answer | None]]


class LagetBot(ActivityHandler):
    def __init__(
        self,
        conversation_state: ConversationState,
        user_state: UserState,
        dialog: Dialog,
        card_action: CardAction,
    ) -> None:
        self._conversation_state = conversation_state
        self._user_state = user_state
        self._dialog = dialog
        self._card_action = card_action
        self._dialog_state = conversation_state.create_property("DialogState")

    async def on_turn(self, turn_context: TurnContext) -> None:
        await super().on_turn(turn_context)
        await self._conversation_state.save_changes(turn_context)
        await self._user_state.save_changes(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        value = turn_context.activity.value
        if isinstance(value, dict) and value.get("verb") == UPDATE_VERB:
            answer = await self._card_action(turn_context.activity, UPDATE_VERB, value)
            if answer is not None:
                await turn_context.send_activity(reply_activity(answer))
            return
        dialogs = DialogSet(self._dialog_state)
        dialogs.add(self._dialog)
        dialog_context = await dialogs.create_context(turn_context)
        result = await dialog_context.continue_dialog()
        if result.status == DialogTurnStatus.Empty:
            await dialog_context.begin_dialog(self._dialog.id)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        activity = turn_context.activity
        if activity.name != "adaptiveCard/action":
            return await super().on_invoke_activity(turn_context)
        action = activity.value.get("action") if isinstance(activity.value, dict) else None
        answer = None
        if (
            isinstance(action, dict)
            and action.get("type") == "Action.Execute"
            and isinstance(action.get("verb"), str)
            and isinstance(action.get("data") or {}, dict)
        ):
            answer = await self._card_action(activity, action["verb"], action.get("data") or {})
        if answer is None:
            return _card_response(400, "application/vnd.microsoft.error",
                                  {"code": "BadRequest", "message": "unknown card action"})
        if answer.card is not None:
            # Teams replaces the card the user pressed with this one.
            return _card_response(200, "application/vnd.microsoft.card.adaptive", answer.card)
        return _card_response(200, "application/vnd.microsoft.activity.message", answer.text)

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        recipient = turn_context.activity.recipient
        lang = reply_language(turn_context.activity.locale, None)
        conversation = turn_context.activity.conversation
        if conversation is not None and conversation.conversation_type in SHARED_CONVERSATIONS:
            # Installed in a team or group chat: say once how to subscribe it to nudges.
            # People joining later get no card: the whole channel would see it.
            if any(m.id == (recipient.id if recipient else None) for m in members_added):
                await turn_context.send_activity(reply_activity(
                    Answer(welcome_text(lang), welcome_card(lang))))
            return
        if not any(m.id != (recipient.id if recipient else None) for m in members_added):
            return
        await turn_context.send_activity(
            reply_activity(Answer(help_text(lang), help_card(lang)))
        )


def _card_response(status: int, content_type: str, value: object) -> InvokeResponse:
    """Universal Actions reply: HTTP 200 with the outcome's own statusCode in the body."""
    return InvokeResponse(status=200, body={"statusCode": status, "type": content_type,
                                             "value": value})
