"""One turn of a conversation: a message (typed, or a button's structured question) is
understood in the conversation's context, dispatched to its command, answered, and the
context remembered for follow-ups ("och HR?", "visa fler", "den andra").

The context lives in the conversation state (the SQL Storage), so any instance continues it;
it is forgotten after 30 minutes. A dialog is started only when an answer waits for the user
(a prompt asking back which unit): then the next message resumes it, and a new question
typed instead is answered as asked — a prompt never swallows it, and "avbryt" cancels.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from botbuilder.core import ConversationState, TurnContext
from botbuilder.dialogs import (
    ComponentDialog,
    DialogContext,
    DialogSet,
    DialogTurnResult,
    DialogTurnStatus,
    PromptOptions,
    TextPrompt,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.schema import Activity
from sqlalchemy import Engine

from bot.identity import is_authenticated, user_id_of
from bot.tenancy import organisation_of
from cards.texts import choose_language, t
from dialogs.answers import Answer, reply_activity
from dialogs.catalog import CatalogCache, Current
from dialogs.commands import Ask, CommandSet
from storage import organisations
from storage.db import run, session
from storage.organisations import OrganisationView
from understanding import Context, Understander
from understanding.catalog import Catalog
from understanding.question import Intent, Question

CONTEXT_PROPERTY = "LagetContext"
DIALOG_PROPERTY = "DialogState"
ASK_BACK = "ask_back"
MAX_TEXT = 500
MAX_BUTTON_VALUE = 4000


@dataclass(frozen=True)
class Turn:
    """What a handler may know about the activity (taken once, from the SDK's objects)."""

    activity: Activity
    org: OrganisationView
    today: date


def context_to_state(context: Context) -> dict[str, Any]:
    return {"question": context.question.to_data(), "numbers": list(context.numbers),
            "page": context.page, "at": context.at.isoformat(), "units": list(context.units)}


def context_from_state(data: Any) -> Context | None:
    """The stored context, or None when there is none or it can't be read (then the turn
    is answered without it rather than failing)."""
    if not isinstance(data, dict):
        return None
    try:
        return Context(question=Question.from_data(data["question"]),
                       numbers=tuple(int(n) for n in data.get("numbers") or ())[:100],
                       page=max(1, int(data.get("page") or 1)),
                       at=datetime.fromisoformat(data["at"]),
                       units=tuple(int(u) for u in data.get("units") or ())[:100])
    except (KeyError, TypeError, ValueError):
        return None


def _with_units(pending: Question, units: tuple[int, ...]) -> Question:
    """The question the bot asked back about, for the units the reply names."""
    if pending.intent is Intent.ASSIGNMENTS:
        return pending.with_(filter=replace(pending.filter, unit_ids=units), page=1)
    return pending.with_(units=units, page=1)


class Conversation(ComponentDialog):
    """The ask-back prompt as a botbuilder dialog, and the turn logic around it."""

    def __init__(self, engine: Engine, commands: CommandSet, understander: Understander,
                 catalogs: CatalogCache, conversation_state: ConversationState,
                 today: Callable[[OrganisationView], date],
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        super().__init__(Conversation.__name__)
        self._engine = engine
        self._commands = commands
        self._understander = understander
        self._catalogs = catalogs
        self._today = today
        self._now = now
        self._conversation_state = conversation_state
        self._dialog_state = conversation_state.create_property(DIALOG_PROPERTY)
        self.add_dialog(TextPrompt(ASK_BACK + "_prompt"))
        self.add_dialog(WaterfallDialog(ASK_BACK, [self._prompt_step, self._resume_step]))
        self.initial_dialog_id = ASK_BACK

    # --- building the ask --------------------------------------------------------------------

    @property
    def understander(self) -> Understander:
        return self._understander

    def ask_for(self, context: TurnContext, question: Question,
                payload: dict[str, Any] | None = None, current: Current | None = None) -> Ask:
        """Everything a command may know about the question and who asks it (the catalog
        is added where the database is read: answer())."""
        activity = context.activity
        org = organisation_of(context)
        sender = activity.from_property
        conversation = activity.conversation
        key = ""
        if payload is not None and activity.id:
            key = f"{activity.channel_id}:{conversation.id if conversation else ''}:{activity.id}"
        return Ask(
            question=question,
            lang=choose_language(activity.locale, question.language, org.language),
            today=self._today(org),
            engine=self._engine,
            org=org,
            catalog=current.catalog if current else None,
            answer_version=current.answer_version if current else None,
            user_id=user_id_of(activity, is_authenticated(activity)),
            user_name=_printable((sender.name or "") if sender else "")[:300],
            conversation_id=conversation.id if conversation else "",
            conversation_type=(conversation.conversation_type or "") if conversation else "",
            payload=payload,
            activity_key=key,
        )

    async def answer(self, ask: Ask) -> Answer:
        return await run(self._engine, self._dispatch, ask)

    def _dispatch(self, ask: Ask) -> Answer:
        if ask.catalog is None or ask.answer_version is None:
            current = self._catalogs.current(ask.org)
            ask = replace(ask, catalog=current.catalog, answer_version=current.answer_version)
        return self._commands.dispatch(ask)

    def catalog(self, org: OrganisationView) -> Catalog:
        return self._catalogs.get(org)

    def warm_up(self) -> int:
        """Every organisation's catalog and understanding index, built before the first
        question rather than during it. Returns how many organisations."""
        with session(self._engine) as s:
            orgs = organisations.list_organisations(s)
        for org in orgs:
            self._understander.entities(self._catalogs.get(org))
        return len(orgs)

    # --- a message ---------------------------------------------------------------------------

    async def _dialog_context(self, context: TurnContext) -> DialogContext:
        dialogs = DialogSet(self._dialog_state)
        dialogs.add(self)
        return await dialogs.create_context(context)

    async def _state(self, context: TurnContext) -> dict[str, Any]:
        """The conversation's state, read once a turn. (botbuilder's property accessors read
        an empty state again on every get and set: three reads for a first contact.)"""
        state = self._conversation_state.get(context)
        if state is None:
            await self._conversation_state.load(context)
            state = self._conversation_state.get(context)
        return state

    async def _prompt_waiting(self, context: TurnContext) -> bool:
        """Whether the ask-back prompt waits for this message. Reads the stored dialog
        state only: a one-shot question builds no dialog context and writes none."""
        stored = (await self._state(context)).get(DIALOG_PROPERTY)
        return bool(getattr(stored, "dialog_stack", None))

    async def on_message(self, context: TurnContext) -> None:
        activity = context.activity
        button = activity.value if isinstance(activity.value, dict) else None
        waiting = await self._prompt_waiting(context)
        if button is not None and "q" in button:
            question = self._button_question(button)
            if waiting:  # a button answers the question instead of the prompt
                await (await self._dialog_context(context)).cancel_all_dialogs()
            if question is None:
                await context.send_activity(t(choose_language(activity.locale, None),
                                              "invalid_button"))
                return
            await self._answer_and_send(context, question, None, None)
            return
        if waiting:
            result = await (await self._dialog_context(context)).continue_dialog()
            if result.status != DialogTurnStatus.Empty:
                return
        question, ctx, current = await self._understand(context)
        await self._answer_and_send(context, question, ctx, current)

    @staticmethod
    def _button_question(value: dict[str, Any]) -> Question | None:
        """A card button's structured question; None for anything forged or malformed."""
        try:
            question = Question.from_data(value["q"])
        except (ValueError, TypeError):
            return None
        if question.intent is Intent.SUBMIT_UPDATE:
            return None  # only the update card's own submission may save
        return question

    async def _understand(self, context: TurnContext) -> tuple[Question, Context | None,
                                                               Current]:
        org = organisation_of(context)
        stored = context_from_state((await self._state(context)).get(CONTEXT_PROPERTY))
        text = (context.activity.text or "")[:MAX_TEXT]
        current = await run(self._engine, self._catalogs.current, org)
        question = self._understander.understand(text, current.catalog, self._today(org), stored,
                                                 self._now())
        return question, stored, current

    async def _answer_and_send(self, context: TurnContext, question: Question,
                               stored: Context | None, current: Current | None) -> None:
        answer = await self.answer(self.ask_for(context, question, current=current))
        await self._remember(context, answer, stored)
        if answer.awaiting is not None:  # only now is a dialog started (and its state kept)
            await (await self._dialog_context(context)).begin_dialog(self.id, answer)
            return
        await context.send_activity(reply_activity(answer))

    async def _remember(self, context: TurnContext, answer: Answer,
                        stored: Context | None) -> None:
        """What the next message may follow up: the question answered (or, when the bot
        asked back, the one waiting for its unit) and the list shown. A turn that answered
        nothing to follow leaves the context as it was, and writes nothing."""
        question = answer.awaiting or answer.question
        if question is None and stored is not None and answer.listed:
            question = stored.question
        if question is None:
            return
        remembered = Context(question=question.with_(alternatives=(), as_text=False),
                             numbers=answer.listed or (stored.numbers if stored else ()),
                             page=question.page, at=self._now(),
                             units=answer.units or question.units)
        (await self._state(context))[CONTEXT_PROPERTY] = context_to_state(remembered)

    # --- the ask-back prompt -----------------------------------------------------------------

    async def _prompt_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        answer: Answer = step.options
        return await step.prompt(ASK_BACK + "_prompt",
                                 PromptOptions(prompt=reply_activity(answer)))

    async def _resume_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """The reply to the prompt: a bare unit completes the question asked back about
        (the prompt's options hold it; followup.resolve completes the figures questions
        already); a new question is answered as asked."""
        question, stored, current = await self._understand(step.context)
        awaited = getattr(step.options, "awaiting", None)
        if isinstance(awaited, Question) and question.subject_only:
            question = _with_units(awaited, question.units or question.filter.unit_ids)
        if question.intent is Intent.CANCEL:
            await step.context.send_activity(
                t(self.ask_for(step.context, question).lang, "cancelled"))
            (await self._state(step.context)).pop(CONTEXT_PROPERTY, None)
            return await step.end_dialog()
        answer = await self.answer(self.ask_for(step.context, question, current=current))
        await self._remember(step.context, answer, stored)
        if answer.awaiting is not None:
            return await step.replace_dialog(ASK_BACK, answer)
        await step.context.send_activity(reply_activity(answer))
        return await step.end_dialog()

    # --- card actions ------------------------------------------------------------------------

    async def card_action(self, context: TurnContext, verb: str,
                          data: dict[str, Any]) -> Answer | None:
        """An update card's Save (Action.Execute invoke, or Action.Submit fallback) or its
        refresh; None for verbs we don't know."""
        from cards.update import REFRESH_VERB, UPDATE_VERB
        from understanding.question import AssignmentFilter, Form

        if verb == UPDATE_VERB:
            return await self.answer(self.ask_for(context, Question(Intent.SUBMIT_UPDATE),
                                                  payload=data))
        if verb == REFRESH_VERB:
            raw = data.get("assignment_id")
            if not (isinstance(raw, int) and not isinstance(raw, bool)
                    or isinstance(raw, str) and raw.isdigit()) or not 0 < int(raw) < 2**31:
                return None
            question = Question(Intent.ASSIGNMENTS, Form.DETAIL,
                                filter=AssignmentFilter(numbers=(int(raw),)))
            return await self.answer(self.ask_for(context, question))
        return None


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _printable(name: str) -> str:
    """A display name as stored beside updates and subscriptions: without control
    characters (PostgreSQL cannot store a NUL) and on one line."""
    return " ".join(_CONTROL.sub(" ", name if isinstance(name, str) else "").split())
