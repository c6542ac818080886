"""bot/middleware.py over HTTP: question text and conversation references."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from botclient import BOT_ID, BOT_NAME, BotClient, Turn, bot_settings, running_bot
from sqlalchemy import func
from sqlmodel import select

from storage import conversations, organisations
from storage.db import session
from storage.models import ConversationRef


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[BotClient]:
    async with running_bot(bot_settings(database_url)) as client:
        yield client


async def test_a_known_conversation_is_recorded_once_not_every_turn(
    bot: BotClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = conversations.remember

    def counting(connection, infos):  # type: ignore[no-untyped-def]
        calls.extend(info.conversation_id for info in infos)
        return real(connection, infos)

    monkeypatch.setattr(conversations, "remember", counting)
    for _ in range(3):
        assert (await bot.say("hjälp", conversation_id="c-memo")).replies
    await bot.say("hjälp", conversation_id="c-other")
    assert calls == ["c-memo", "c-other"]
    # A changed reference (the channel moved its service URL) is written again.
    moved = bot.activity("hjälp", conversation_id="c-memo")
    moved["serviceUrl"] = bot.channel.url + "moved/"
    await bot.post(moved)
    assert calls == ["c-memo", "c-other", "c-memo"]
    with session(bot.engine) as s:
        org = organisations.default(s)  # local mode: the botclient's tenant goes there
    assert org is not None
    with session(bot.engine, org.id) as s:  # scoped: row-level security on PostgreSQL
        assert s.exec(select(func.count()).select_from(ConversationRef)).one() == 2
        ref = s.exec(select(ConversationRef).where(
            ConversationRef.conversation_id == "c-memo")).one()
    assert ref.service_url.endswith("/moved/")


async def test_card_button_value_becomes_the_question(bot: BotClient) -> None:
    turn = await bot.post(bot.activity(value={"ask": "sammanställning"}))
    assert turn.card["body"][0]["text"] == "Sammanställning av uppdrag"


async def test_html_and_mentions_are_stripped(bot: BotClient) -> None:
    turn = await bot.say("<p><at>Läget</at>&nbsp;prognos <b>IT</b></p>")
    assert turn.card["body"][0]["text"] == "Prognos – IT"


# --- hostile text: bounded, linear stripping -----------------------------------------------

BOT = {"id": BOT_ID, "name": BOT_NAME}
HOSTILE_TEXTS = {
    "< ×28 000": "<" * 28_000,
    "<at> ×7 000": "<at>" * 7_000,
    "‹ ×28 000": "‹" * 28_000,
    "<at ×9 000": "<at" * 9_000,
    "<a ×14 000": "<a" * 14_000,
    "< ×250 000": "<" * 250_000,
    "<at> ×62 000": "<at>" * 62_000,
    "<at x ×50 000": "<at x" * 50_000,
}


async def _race(bot: BotClient, hostile: dict) -> tuple[float, float, float, float]:
    """Posts `hostile` and, while it is in flight, a normal question in another
    conversation. Returns (hostile started, hostile answered, other started, other answered)
    as time.monotonic() stamps."""
    stamps: dict[str, float] = {}

    async def post(name: str, activity: dict) -> Turn:
        stamps[f"{name} start"] = time.monotonic()
        turn = await bot.post(activity)
        stamps[f"{name} done"] = time.monotonic()
        return turn

    hostile_task = asyncio.create_task(post("hostile", hostile))
    await asyncio.sleep(0.02)  # the hostile request is in flight
    other = await post("other", bot.activity("prognos IT", conversation_id="c-other"))
    turn = await hostile_task
    assert turn.status in (200, 201), turn.body
    assert turn.replies and "gick fel" not in turn.text, turn.text[:200]
    assert "Prognos – IT" in other.text
    return (stamps["hostile start"], stamps["hostile done"], stamps["other start"],
            stamps["other done"])


def _not_stalled(stamps: tuple[float, float, float, float]) -> bool:
    """The bot kept serving: the other question was answered before the hostile one was,
    or the hostile turn took under a second."""
    hostile_start, hostile_done, _other_start, other_done = stamps
    return other_done < hostile_done or hostile_done - hostile_start < 1.0


@pytest.mark.parametrize("case", list(HOSTILE_TEXTS))
async def test_hostile_markup_neither_stalls_the_bot_nor_other_conversations(
    bot: BotClient, case: str
) -> None:
    stamps = await _race(bot, bot.activity(HOSTILE_TEXTS[case], conversation_id="c-hostile"))
    assert _not_stalled(stamps), (case, [round(s - stamps[0], 3) for s in stamps])


async def test_the_bots_mention_is_removed_as_literal_text(bot: BotClient) -> None:
    # botbuilder's remove_recipient_mention would pass a mention's name to re.sub as a
    # pattern ("(a+)+$" backtracks exponentially); it is removed as plain text instead,
    # also when it is not in Teams' "<at>…</at>" form.
    mention = {"type": "mention", "text": "<at>(a+)+$</at>", "mentioned": BOT}
    hostile = bot.activity("a" * 26 + "! hjälp", conversation_id="c-regex", entities=[mention])
    assert _not_stalled(await _race(bot, hostile))
    named = {"type": "mention", "text": "@Läget (test)", "mentioned": BOT}
    turn = await bot.say("@Läget (test) prognos IT", conversation_id="c-named",
                         entities=[named])
    assert "Prognos – IT" in turn.text


async def test_malformed_mentions_are_ignored(bot: BotClient) -> None:
    for entities in ([{"type": "mention", "text": "<at>x</at>"}],
                     [{"type": "mention", "mentioned": [1]}],
                     [{"type": "mention", "mentioned": {"id": BOT_ID}, "text": 5}]):
        turn = await bot.say("<at>Läget</at> prognos IT", conversation_id="c-odd-mention",
                             entities=entities)
        assert "Prognos – IT" in turn.text, (entities, turn.text)


async def test_the_question_is_found_after_long_markup(bot: BotClient) -> None:
    styled = '<span style="color:red">' * 100 + "prognos IT" + "</span>" * 100
    turn = await bot.say(styled)
    assert "Prognos – IT" in turn.text
