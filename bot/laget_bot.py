"""The activity handler: runs the main dialog for messages and greets new members."""

from __future__ import annotations

from botbuilder.core import ActivityHandler, ConversationState, TurnContext, UserState
from botbuilder.dialogs import Dialog, DialogSet, DialogTurnStatus
from botbuilder.schema import ChannelAccount

from bot.understanding import reply_language
from cards.help import help_card, help_text
from dialogs.commands import Answer
from dialogs.main_dialog import reply_activity


class LagetBot(ActivityHandler):
    def __init__(
        self, conversation_state: ConversationState, user_state: UserState, dialog: Dialog
    ) -> None:
        self._conversation_state = conversation_state
        self._user_state = user_state
        self._dialog = dialog
        self._dialog_state = conversation_state.create_property("DialogState")

    async def on_turn(self, turn_context: TurnContext) -> None:
        await super().on_turn(turn_context)
        await self._conversation_state.save_changes(turn_context)
        await self._user_state.save_changes(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        dialogs = DialogSet(self._dialog_state)
        dialogs.add(self._dialog)
        dialog_context = await dialogs.create_context(turn_context)
        result = await dialog_context.continue_dialog()
        if result.status == DialogTurnStatus.Empty:
            await dialog_context.begin_dialog(self._dialog.id)

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        recipient = turn_context.activity.recipient
        if not any(m.id != (recipient.id if recipient else None) for m in members_added):
            return
        lang = reply_language(turn_context.activity.locale, None)
        await turn_context.send_activity(
            reply_activity(Answer(help_text(lang), help_card(lang)))
        )
