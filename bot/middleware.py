"""Middleware that turns what Teams sends into the plain question the dialogs read."""

from __future__ import annotations

import html
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence

from botbuilder.core import Middleware, TurnContext
from botbuilder.schema import Activity, ActivityEventNames, ActivityTypes
from sqlalchemy import Connection, Engine

from bot.botbuilder_patches import model_json
from bot.identity import is_authenticated, tenant_of, user_id_of
from bot.tenancy import organisation_of
from cards.texts import choose_language, t
from cards.update import UPDATE_VERB
from storage import conversations
from storage.conversations import ConversationInfo
from storage.group_commit import GroupCommit

log = logging.getLogger("laget.middleware")
MAX_QUESTION_CHARS = 500
# Only this much of a message is looked at: room for a rich-text box's markup around a
# question of MAX_QUESTION_CHARS. Teams allows ~28 KB, a local client anything.
MAX_SCANNED_CHARS = 8 * 1024
# Linear: neither class can run past the next "<", so no start position rescans the text
# (the former `<at[^>]*>.*?</at>` and `<[^>]+>` were quadratic on "<at>" or "<" repeated).
_AT_TAG = re.compile(r"<at\b[^<>]*>[^<]*</at>", re.IGNORECASE)
_HTML_TAG = re.compile(r"<[^<>]*>")



class QuestionTextMiddleware(Middleware):
    """- strips the bot's @mention (channels and group chats);
    - a card button ({"ask": "…"} in activity.value) becomes the question text;
    - an update card's Action.Submit fallback ({"verb": "updateStatus", …}) passes as is;
    - anything else in value is refused with a clear message, and the turn stops."""

    async def on_turn(
        self, context: TurnContext, logic: Callable[[], Awaitable[None]]
    ) -> None:
        activity = context.activity
        if activity.type != ActivityTypes.message:
            await logic()
            return
        if isinstance(activity.value, dict) and (activity.value.get("verb") == UPDATE_VERB
                                                 or "q" in activity.value):
            # An update card sent by a client without Universal Actions, or a button's
            # structured question: the conversation checks them.
            await logic()
            return
        if activity.value is not None and not (activity.text or "").strip():
            # {"ask": "…"}: the buttons of cards sent before questions were structured.
            ask = activity.value.get("ask") if isinstance(activity.value, dict) else None
            if not isinstance(ask, str) or not ask.strip() or len(ask) > MAX_QUESTION_CHARS:
                await context.send_activity(t(choose_language(activity.locale, None),
                                              "invalid_button"))
                return
            activity.text = ask
        text = _without_bot_mentions(activity, (activity.text or "")[:MAX_SCANNED_CHARS])
        # Teams may send HTML (with &nbsp; and friends) from its rich-text box.
        text = html.unescape(_HTML_TAG.sub(" ", _AT_TAG.sub(" ", text)))
        activity.text = " ".join(text.split())[:MAX_QUESTION_CHARS]
        await logic()


def _without_bot_mentions(activity: Activity, text: str) -> str:
    """`text` without the mentions of the bot, removed as literal text. (botbuilder's
    remove_recipient_mention raises on a mention without `mentioned`, and html-escapes the
    mention before matching, so it never matches Teams' "<at>…</at>"; those go with
    _AT_TAG.)"""
    bot_id = activity.recipient.id if activity.recipient else None
    for entity in activity.entities or []:
        extra = getattr(entity, "additional_properties", None) or {}
        mentioned, mention_text = extra.get("mentioned"), extra.get("text")
        if (getattr(entity, "type", None) == "mention" and isinstance(mentioned, dict)
                and mentioned.get("id") == bot_id and isinstance(mention_text, str)
                and mention_text):
            text = text.replace(mention_text, " ")
    return text


# --- conversation references (deadline nudges) ---------------------------------------------

_INTERNAL_EVENTS = {ActivityEventNames.continue_conversation,
                    ActivityEventNames.create_conversation}


def conversation_info(activity: Activity, organisation_id: int) -> ConversationInfo | None:
    conversation = activity.conversation
    if conversation is None or not conversation.id or not activity.service_url:
        return None
    tenant = tenant_of(activity)
    reference = model_json(TurnContext.get_conversation_reference(activity))  # as serialize()
    if tenant:
        reference.setdefault("conversation", {})["tenantID"] = tenant
    return ConversationInfo(
        organisation_id=organisation_id,
        conversation_id=conversation.id,
        conversation_type=conversation.conversation_type or "",
        channel_id=activity.channel_id or "msteams",
        service_url=activity.service_url,
        tenant_id=tenant,
        user_id=user_id_of(activity, is_authenticated(activity)),
        reference=reference,
    )


class ConversationReferenceMiddleware(Middleware):
    """Remembers every conversation the bot hears from (upserted, with its tenant), so that
    nudges can be sent there later. It is committed before the turn goes on (together with
    the other turns' of the moment: storage.group_commit), so a reference is durable before
    anyone is answered. A failure to record is logged and never stops the turn."""

    # A known, unchanged reference is not written again for a while: saves a database round
    # trip on nearly every turn. Short enough that a conversation switched off elsewhere (403)
    # is reactivated soon after its next message.
    RECHECK_SECONDS = 600.0
    MAX_REMEMBERED = 10_000

    def __init__(self, engine: Engine) -> None:
        self._writes: GroupCommit[ConversationInfo] = GroupCommit(engine, self._write)
        self._recorded: OrderedDict[str, tuple[tuple[str | None, ...], float]] = OrderedDict()

    @staticmethod
    def _fingerprint(activity: Activity) -> tuple[str | None, ...]:
        """What the stored reference is made of, read straight off the activity: cheaper
        than building the reference (msrest serialisation) on every turn just to compare."""
        c, sender, bot = activity.conversation, activity.from_property, activity.recipient
        return (
            c.conversation_type if c else None, activity.channel_id, activity.service_url,
            tenant_of(activity), activity.locale,
            sender.id if sender else None, sender.name if sender else None,
            sender.aad_object_id if sender else None,
            bot.id if bot else None, bot.name if bot else None,
        )

    def _known(self, activity: Activity) -> bool:
        conversation = activity.conversation
        seen = self._recorded.get(conversation.id if conversation else "")
        return seen is not None and seen[0] == self._fingerprint(activity) and (
            time.monotonic() - seen[1] < self.RECHECK_SECONDS
        )

    def _remember(self, activity: Activity) -> None:
        key = activity.conversation.id
        self._recorded[key] = (self._fingerprint(activity), time.monotonic())
        self._recorded.move_to_end(key)
        while len(self._recorded) > self.MAX_REMEMBERED:
            self._recorded.popitem(last=False)

    @staticmethod
    def _write(connection: Connection, infos: Sequence[ConversationInfo]) -> None:
        conversations.remember(connection, infos)

    async def _record(self, activity: Activity, info: ConversationInfo) -> None:
        try:
            await self._writes.submit(info.organisation_id, info)
            self._remember(activity)
        except Exception:
            log.exception("could not record the conversation reference of %s",
                          info.conversation_id)

    async def on_turn(
        self, context: TurnContext, logic: Callable[[], Awaitable[None]]
    ) -> None:
        activity = context.activity
        internal = activity.type == ActivityTypes.event and activity.name in _INTERNAL_EVENTS
        info = None if internal or self._known(activity) else conversation_info(
            activity, organisation_of(context).id)
        if info is None:
            await logic()
            return
        # Before the turn, not beside it: a subscription made in this very message reads
        # the reference back. Concurrent turns' references still commit together.
        await self._record(activity, info)
        await logic()
