"""What a handler answers, and the one way an answer becomes an outgoing activity (replies,
prompts and nudges alike): an Adaptive Card with a plain-text summary, and suggested next
questions as buttons that carry structured questions, never sentences to parse again."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity, CardAction, SuggestedActions

from bot.replies import CardAttachment
from understanding.question import Question

MAX_SUGGESTIONS = 3


@dataclass
class Answer:
    text: str
    card: dict[str, Any] | None = None
    # What was answered, for follow-ups ("och HR?", "visa fler"): the conversation keeps it.
    question: Question | None = None
    # The assignment numbers shown, in display order ("den andra" = the second of these).
    listed: tuple[int, ...] = ()
    # The units shown, in order (a ranking: "hur ser dess prognos ut?" = the first).
    units: tuple[int, ...] = ()
    # The bot asked back: the next message may complete this question (a unit, a choice).
    awaiting: Question | None = None
    # Suggested next questions (at most three are shown), as the words that ask them: Teams
    # supports only imBack for suggested actions, so these are sentences that understanding
    # reads back to the intended question (tested); card buttons carry structured questions.
    suggestions: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    _card_json: str | None = field(default=None, repr=False, compare=False)

    def card_json(self) -> str | None:
        """The card as JSON, made once: a cached answer is sent many times."""
        if self._card_json is None and self.card is not None:
            self._card_json = json.dumps(self.card, ensure_ascii=False)
        return self._card_json


def card_activity(text: str, card: dict[str, Any], card_json: str | None = None) -> Activity:
    """A message with the card and a plain-text summary (notifications, card-less clients);
    `card_json` is the card already serialised, when it is."""
    plain = CardFactory.adaptive_card(card)
    attachment = CardAttachment(content_type=plain.content_type, content=plain.content)
    attachment.content_json = card_json
    activity = MessageFactory.attachment(attachment)
    activity.text = text
    return activity



def question_value(question: Question) -> dict[str, Any]:
    """What a button sends back: the structured question (see bot.laget_bot)."""
    return {"q": question.to_data()}


def reply_activity(answer: Answer) -> Activity:
    activity = (MessageFactory.text(answer.text) if answer.card is None
                else card_activity(answer.text, answer.card, answer.card_json()))
    if answer.suggestions:
        activity.suggested_actions = SuggestedActions(actions=[
            CardAction(type="imBack", title=words[:60], value=words[:60])
            for words in answer.suggestions[:MAX_SUGGESTIONS]
        ])
    return activity
