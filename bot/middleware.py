"""Middleware that turns what Teams sends into the plain question the dialogs read."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from botbuilder.core import Middleware, TurnContext
from botbuilder.schema import ActivityTypes

from bot.understanding import reply_language

MAX_QUESTION_CHARS = 500
_AT_TAG = re.compile(r"<at[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
_HTML_TAG = re.compile(r"<[^>]+>")

INVALID_BUTTON = {
    "sv": "Jag kunde inte läsa knapptrycket. Skriv frågan i stället, eller ”hjälp”.",
    "en": "I couldn't read that button press. Type your question instead, or “help”.",
}


class QuestionTextMiddleware(Middleware):
    """- strips the bot's @mention (channels and group chats);
    - a card button ({"ask": "…"} in activity.value) becomes the question text;
    - anything else in value is refused with a clear message, and the turn stops."""

    async def on_turn(
        self, context: TurnContext, logic: Callable[[], Awaitable[None]]
    ) -> None:
        activity = context.activity
        if activity.type != ActivityTypes.message:
            await logic()
            return
        if activity.value is not None and not (activity.text or "").strip():
            ask = activity.value.get("ask") if isinstance(activity.value, dict) else None
            if not isinstance(ask, str) or not ask.strip() or len(ask) > MAX_QUESTION_CHARS:
                lang = reply_language(activity.locale, None)
                await context.send_activity(INVALID_BUTTON[lang])
                return
            activity.text = ask
        text = TurnContext.remove_recipient_mention(activity) if activity.entities else (
            activity.text or ""
        )
        text = _HTML_TAG.sub(" ", _AT_TAG.sub(" ", text or ""))
        activity.text = " ".join(text.split())[:MAX_QUESTION_CHARS]
        await logic()
