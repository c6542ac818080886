"""bot/botbuilder_patches.py: the start-up version check, and the patches' own promises
(replies serialised exactly as msrest would)."""

from __future__ import annotations

import json
import logging
from importlib import metadata

import pytest

from app import build
from bot.botbuilder_patches import (
    PATCHED_FOR,
    FastActivitySerializer,
    UnsupportedVersions,
    check_versions,
)
from config import Settings


def test_the_installed_versions_are_those_the_patches_were_written_for() -> None:
    check_versions()  # the suite runs on the pinned versions
    assert PATCHED_FOR["botbuilder-core"] == metadata.version("botbuilder-core") == "4.17.1"


def test_another_botbuilder_version_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path
) -> None:
    real = metadata.version

    def installed(name: str) -> str:
        return {"botbuilder-core": "4.18.0", "msrest": "0.7.2"}.get(name) or real(name)

    monkeypatch.setattr(metadata, "version", installed)
    with caplog.at_level(logging.ERROR, logger="laget.patches"), \
            pytest.raises(UnsupportedVersions) as refused:
        build(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", scheduler=False))
    assert "botbuilder-core 4.18.0 (patches written for 4.17.1)" in str(refused.value)
    assert "msrest 0.7.2 (patches written for 0.7.1)" in str(refused.value)
    assert "botbuilder-core 4.18.0" in caplog.text
    assert not (tmp_path / "x.db").exists()  # refused before anything was built


def _reply_variants() -> list:
    from datetime import UTC, datetime

    from botbuilder.core import CardFactory, MessageFactory
    from botbuilder.schema import (
        Activity,
        CardAction,
        ChannelAccount,
        ConversationAccount,
        HeroCard,
        Mention,
        SuggestedActions,
    )

    from cards.help import help_card
    from dialogs.answers import card_activity

    card = MessageFactory.attachment(CardFactory.adaptive_card(help_card("sv")))
    card.text, card.reply_to_id = "Hjälp", "a-1"
    hero = MessageFactory.attachment(CardFactory.hero_card(HeroCard(
        title="T", buttons=[CardAction(type="imBack", title="Ja", value="ja")])))
    text = MessageFactory.text("hej", input_hint="acceptingInput")
    text.suggested_actions = SuggestedActions(actions=[CardAction(type="imBack", title="A",
                                                                  value="a")])
    full = Activity(
        type="message", id="x", timestamp=datetime(2025, 9, 30, 8, 0, 1, 123000, tzinfo=UTC),
        service_url="https://smba.example/", channel_id="msteams",
        from_property=ChannelAccount(id="28:bot", name="Läget"),
        recipient=ChannelAccount(id="29:u", name="Anna", aad_object_id="aad"),
        conversation=ConversationAccount(id="19:c", conversation_type="channel",
                                         tenant_id="t"),
        text="<at>Anna</at> ✓ åäö", locale="sv-SE", channel_data={"notification":
                                                                {"alert": True}},
        entities=[Mention(mentioned=ChannelAccount(id="29:u", name="Anna"),
                          text="<at>Anna</at>", type="mention")],
        value={"nested": [1, {"a": None}]},
    )
    typing = Activity(type="typing")
    frozen = card_activity("Hjälp", help_card("en"))  # what the bot sends: a CardAttachment
    return [card, hero, text, full, typing, frozen]


def test_replies_serialise_exactly_as_msrest_does() -> None:
    from botframework.connector import models
    from msrest.serialization import Serializer

    classes = {k: v for k, v in models.__dict__.items() if isinstance(v, type)}
    for activity in _reply_variants():
        fast = FastActivitySerializer(classes).body(activity, "Activity")
        assert fast == Serializer(classes).body(activity, "Activity"), activity.type


def test_importing_botbuilder_leaves_decimal_precision_alone() -> None:
    """recognizers-text-number (botbuilder-dialogs' dependency) sets the importing thread's
    decimal precision to 15 when imported: quantizing a figure to öre then fails from 10¹³
    on (storage.importer._money), and every sum on the event loop's thread rounds at 15."""
    import decimal

    import botbuilder.dialogs  # noqa: F401
    import recognizers_number  # noqa: F401

    import app  # noqa: F401

    assert decimal.getcontext().prec == decimal.DefaultContext.prec == 28
    assert decimal.Decimal("12345678901234.5").quantize(decimal.Decimal("0.01"))


def test_a_reply_with_its_card_already_serialised_is_the_same_json() -> None:
    """activity_body splices a card's known JSON in: the body reads exactly as the one
    serialised from scratch, whatever the text holds (also the splice's own mark)."""
    from bot.botbuilder_patches import _CARD_MARK, activity_body, model_json
    from cards.help import help_card
    from dialogs.answers import Answer, reply_activity

    card = help_card("sv")
    for text in ("Hjälp", f"{_CARD_MARK}0 \u0000 \" \\ ”"):
        answer = Answer(text, card)
        activity = reply_activity(answer)
        assert activity.attachments[0].content_json == answer.card_json()
        assert json.loads(activity_body(activity)) == json.loads(
            json.dumps(model_json(activity), ensure_ascii=False))
        assert json.loads(activity_body(activity))["attachments"][0]["content"] == card
