"""The main conversation: answer a question; if it needs a unit we couldn't resolve,
wait for the user to name one (by button or typing) and answer then.

Dialog state lives in the SQL Storage, so any bot instance can continue the wait."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date

from botbuilder.core import MessageFactory
from botbuilder.dialogs import (
    ComponentDialog,
    DialogTurnResult,
    PromptOptions,
    TextPrompt,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.schema import Activity
from sqlalchemy import Engine

import dialogs.questions  # noqa: F401  (registers the read-only commands)
import dialogs.subscriptions  # noqa: F401  (registers the nudge commands)
import dialogs.updates  # noqa: F401  (registers the update commands)
from bot.replies import card_activity
from bot.understanding import Intent, understand
from dialogs.commands import Answer, answer, ask_for
from storage.db import run

UNIT_PROMPT = "unit_prompt"
PENDING = "pending_intent"


def reply_activity(answer: Answer) -> Activity:
    """Card replies carry a plain-text summary too, for notifications and card-less clients."""
    if answer.card is None:
        return MessageFactory.text(answer.text)
    return card_activity(answer.text, answer.card)


class MainDialog(ComponentDialog):
    def __init__(
        self,
        engine: Engine,
        today: Callable[[], date],
    ) -> None:
        super().__init__(MainDialog.__name__)
        self._engine = engine
        self._today = today
        self.add_dialog(TextPrompt(UNIT_PROMPT))
        self.add_dialog(
            WaterfallDialog("main", [self._answer_step, self._unit_step])
        )
        self.initial_dialog_id = "main"

    async def _ask(self, step: WaterfallStepContext, intent: Intent) -> Answer:
        ask = ask_for(step.context.activity, intent, self._engine, self._today())
        return await run(self._engine, answer, ask)

    async def _answer_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        intent = understand(step.context.activity.text or "")
        answer = await self._ask(step, intent)
        if answer.awaiting_unit:
            step.values[PENDING] = dataclasses.asdict(intent)
            return await step.prompt(UNIT_PROMPT, PromptOptions(prompt=reply_activity(answer)))
        await step.context.send_activity(reply_activity(answer))
        return await step.end_dialog()

    async def _unit_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        typed = str(step.result or "")
        asked = understand(typed)
        if asked.name == "search" and asked.subject:
            # A bare name answers the pending question with that unit.
            pending = Intent(**step.values[PENDING])
            intent = dataclasses.replace(pending, subject=asked.subject)
        else:
            intent = asked  # the user asked something new instead
        answer = await self._ask(step, intent)
        await step.context.send_activity(reply_activity(answer))
        return await step.end_dialog()
