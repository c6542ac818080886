"""Deadline nudges over HTTP: subscribe in a channel, run a pass (as `python app.py nudge` in a
subprocess and with the in-process scheduler) against the fake channel, and check what
arrives; exactly once, 429 retried, 403 switches off, concurrent passes."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from botclient import BOT_ID, BotClient, bot_settings, running_bot
from card_validation import assert_valid_cards
from sqlmodel import select
from test_app import card_texts

from bot.proactive import ProactiveSender
from bot.scheduler import NudgePass
from storage.db import make_engine, session
from storage.models import ConversationRef, SentNudge, Subscription
from storage.roles import RoleName, grant

ROOT = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Europe/Stockholm")
TUESDAY_0805 = datetime(2025, 9, 30, 8, 5, tzinfo=TZ)
CHANNEL = "19:plan@thread.tacv2"


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[BotClient]:
    async with running_bot(bot_settings(database_url)) as client:
        yield client


def in_channel(conversation_id: str = CHANNEL) -> dict[str, str]:
    return {"conversation_id": conversation_id, "conversation_type": "channel"}


def digests(bot: BotClient, conversation_id: str = CHANNEL) -> list[dict]:
    """Proactive posts (not replies to a message) with a card."""
    return [r.activity for r in bot.channel.received
            if r.conversation_id == conversation_id and not r.reply_to_id
            and r.activity.get("attachments")]


async def subscribe(bot: BotClient, text: str = "prenumerera",
                    conversation_id: str = CHANNEL) -> dict:
    turn = await bot.say(text, **in_channel(conversation_id))
    assert turn.status in (200, 201)
    return turn.card


async def run_pass(bot: BotClient, now: datetime = TUESDAY_0805):
    return await bot.components.nudge_pass.run(now)


# --- subscribing --------------------------------------------------------------------------


async def test_subscribe_list_and_unsubscribe_in_a_channel(bot: BotClient) -> None:
    card = await subscribe(bot, "prenumerera IT, Stab och planering veckovis fredag kl 9")
    shown = card_texts(card)
    assert "Prenumeration startad" in shown
    assert "IT, Stab och planering" in shown
    assert "varje fredag kl. 09:00" in shown
    assert "7 dagar (28 dagar för uppdrag på ett kvartal eller längre)" in shown

    listed = await bot.say("prenumerationer", **in_channel())
    assert "varje fredag kl. 09:00" in card_texts(listed.card)
    again = await subscribe(bot, "prenumerera IT, Stab och planering dagligen kl 7")
    assert "Prenumerationen är ändrad" in card_texts(again)  # same units: changed, not doubled
    english = await bot.say("subscribe IT weekly on monday", locale="en-US", **in_channel())
    assert "every Monday at 08:00" in card_texts(english.card)

    ended = await bot.say("avsluta prenumeration", **in_channel())
    assert "avslutad (2 st)" in ended.text
    listed = await bot.say("prenumerationer", **in_channel())
    assert "avslutad (avslutad av Anna Andersson)" in card_texts(listed.card)
    assert_valid_cards([card, again, english.card, listed.card])


async def test_unknown_unit_or_bad_time_changes_nothing(bot: BotClient) -> None:
    turn = await bot.say("prenumerera Ekonomiförvaltningen", **in_channel())
    assert "Jag hittar inte enheten ”Ekonomiförvaltningen”. Inget ändrades." in turn.text
    turn = await bot.say("prenumerera IT kl 25", **in_channel())
    assert "Inget ändrades" in turn.text and "ogiltig tid" in turn.text
    with session(bot.engine) as s:
        assert s.exec(select(Subscription)).all() == []


async def test_installing_in_a_team_posts_the_welcome_card(bot: BotClient) -> None:
    activity = bot.activity(type_="conversationUpdate", **in_channel("19:new-team@thread"),
                            membersAdded=[{"id": BOT_ID}])
    turn = await bot.post(activity)
    shown = card_texts(turn.card)
    assert "Hej! Jag är Läget" in shown and "@Läget prenumerera" in shown
    assert_valid_cards(turn.cards)
    with session(bot.engine) as s:  # the channel is known, so it can be subscribed later
        ref = s.exec(select(ConversationRef)).one()
        assert ref.conversation_id == "19:new-team@thread" and ref.tenant_id == "tenant-1"


# --- the digest ---------------------------------------------------------------------------


def assert_demo_digest(card: dict) -> None:
    shown = card_texts(card)
    assert "Läget: uppdrag att hålla koll på" in shown
    # The Norrtälje report as of 2025-09-30: five overdue; the oldest is from February.
    assert "5 försenade" in shown
    assert "2025-02-28 (214 dagar försenat)" in shown
    assert "Stab och planering" in shown  # a unit heading
    buttons = [a for a in _actions(card) if a["data"]["ask"].startswith("uppdatera #")]
    assert buttons and all(b["title"] == "Uppdatera" for b in buttons)


def _actions(node: object) -> list[dict]:
    found: list[dict] = []
    if isinstance(node, dict):
        if node.get("type") == "Action.Submit":
            found.append(node)
        for value in node.values():
            found.extend(_actions(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_actions(item))
    return found


async def _nudge_subprocess(database_url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "LAGET_TODAY": "2025-09-30",
           "LAGET_TIMEZONE": "Europe/Stockholm", "LAGET_DEMO": "1", "MicrosoftAppId": "",
           "MicrosoftAppPassword": "", "MicrosoftAppTenantId": ""}
    # Asynchronous, so the fake channel (on this event loop) can answer the subprocess.
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "app.py"), "nudge", *args, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_nudge_command_sends_the_digest_once(bot: BotClient, database_url: str) -> None:
    await subscribe(bot, "prenumerera")
    await subscribe(bot, "prenumerera Näringsliv", "19:nl@thread.tacv2")
    before = len(bot.channel.received)

    out = await _nudge_subprocess(database_url, "--at", "2025-09-30T08:05")
    assert "2 digests" in out
    sent = digests(bot)
    assert len(sent) == 1
    card = sent[0]["attachments"][0]["content"]
    assert_demo_digest(card)
    assert "Påminnelse: 5 försenade uppdrag" in sent[0]["text"]
    it_card = digests(bot, "19:nl@thread.tacv2")[0]["attachments"][0]["content"]
    assert "Näringsliv" in card_texts(it_card)
    assert "Stab och planering" not in card_texts(it_card)
    assert all(not r.reply_to_id for r in bot.channel.received[before:])  # new posts
    assert_valid_cards([card, it_card])

    out = await _nudge_subprocess(database_url, "--at", "2025-09-30T09:00")
    assert "0 digests" in out and "2 already done" in out
    assert len(bot.channel.received) == before + 2
    with session(bot.engine) as s:
        rows = s.exec(select(SentNudge)).all()
        assert {(r.conversation_id, r.state) for r in rows} == {
            (CHANNEL, "sent"), ("19:nl@thread.tacv2", "sent")}


async def test_before_its_time_or_on_another_weekday_nothing_is_sent(bot: BotClient) -> None:
    await subscribe(bot, "prenumerera veckovis fredag kl 9")
    result = await run_pass(bot, datetime(2025, 10, 3, 8, 59, tzinfo=TZ))  # Friday 08:59
    assert result.digests == 0 and digests(bot) == []
    await run_pass(bot, TUESDAY_0805)
    assert digests(bot) == []
    result = await run_pass(bot, datetime(2025, 10, 3, 9, 0, tzinfo=TZ))
    assert result.digests == 1 and len(digests(bot)) == 1


async def test_nothing_due_sends_nothing(bot: BotClient) -> None:
    await subscribe(bot, "prenumerera IT")  # nothing of theirs due or late
    result = await run_pass(bot)
    assert result.nothing_due == 1 and digests(bot) == []


async def test_in_process_scheduler_sends_with_a_fixed_clock(database_url: str) -> None:
    settings = bot_settings(database_url, scheduler=True, scheduler_interval=0.05)
    async with running_bot(settings, clock=lambda: TUESDAY_0805) as bot:
        await subscribe(bot, "prenumerera Stab")
        scheduler = bot.components.scheduler
        for _ in range(400):
            if digests(bot):
                break
            await asyncio.sleep(0.05)
        passes = len(scheduler.results)
        while len(scheduler.results) < passes + 3:  # three more passes: nothing more is sent
            await asyncio.sleep(0.05)
        sent = digests(bot)
        assert len(sent) == 1
        shown = card_texts(sent[0]["attachments"][0]["content"])
        assert "Stab och planering" in shown and "IT\n" not in shown
        assert sum(r.digests for r in scheduler.results) == 1


# --- faults -------------------------------------------------------------------------------


async def test_429_with_retry_after_is_retried(bot: BotClient) -> None:
    await subscribe(bot)
    # More 429s than the connector's own quick retries: the sender's backoff takes over.
    bot.channel.fail(CHANNEL, 429, times=5, headers={"Retry-After": "0.2"})
    result = await run_pass(bot)
    assert result.digests == 1 and result.failed == []
    statuses = [status for cid, status, _ in bot.channel.attempts if cid == CHANNEL]
    assert statuses[-6:] == [429] * 5 + [200]
    assert len(digests(bot)) == 1


async def test_403_switches_the_subscription_off_and_the_pass_goes_on(bot: BotClient) -> None:
    await subscribe(bot, "prenumerera", "19:removed@thread.tacv2")
    await subscribe(bot)
    bot.channel.fail("19:removed@thread.tacv2", 403, times=-1)
    result = await run_pass(bot)
    assert result.gone == ["19:removed@thread.tacv2"] and result.digests == 1
    assert len(digests(bot)) == 1
    with session(bot.engine) as s:
        sub = s.exec(select(Subscription).join(
            ConversationRef, ConversationRef.id == Subscription.conversation_ref_id).where(
            ConversationRef.conversation_id == "19:removed@thread.tacv2")).one()
        assert not sub.active and sub.disabled_reason == "HTTP 403 on 2025-09-30"
    result = await run_pass(bot, TUESDAY_0805 + timedelta(days=1))
    assert "19:removed@thread.tacv2" not in result.gone  # not tried again


async def test_404_too(bot: BotClient) -> None:
    await subscribe(bot)
    bot.channel.fail(CHANNEL, 404)
    result = await run_pass(bot)
    assert result.gone == [CHANNEL]
    listed = await bot.say("prenumerationer", **in_channel())
    assert "avslutad (HTTP 404 on 2025-09-30)" in card_texts(listed.card)


async def test_a_crashed_pass_is_resumed_and_a_live_claim_is_respected(bot: BotClient) -> None:
    await subscribe(bot)
    await subscribe(bot, "prenumerera", "19:other@thread.tacv2")
    now = TUESDAY_0805.astimezone(UTC)
    with session(bot.engine) as s, s.begin():
        # A pass claimed this 20 minutes ago and died before sending …
        s.add(SentNudge(conversation_id=CHANNEL, kind="digest", day=now.date(),
                        assignment_ids="1", claimed_by="dead", claimed_at=now - timedelta(
                            minutes=20)))
        # … and another is sending this one right now.
        s.add(SentNudge(conversation_id="19:other@thread.tacv2", kind="digest",
                        day=now.date(), assignment_ids="1", claimed_by="alive",
                        claimed_at=now - timedelta(minutes=1)))
    result = await run_pass(bot)
    assert result.digests == 1 and len(digests(bot)) == 1
    assert digests(bot, "19:other@thread.tacv2") == []


async def test_two_concurrent_passes_send_each_nudge_once(bot: BotClient,
                                                          database_url: str) -> None:
    conversations = [f"19:team-{i}@thread.tacv2" for i in range(24)]
    for conversation_id in conversations:
        await subscribe(bot, "prenumerera", conversation_id)
    other_engine = make_engine(database_url)  # a second instance: its own connection pool
    try:
        second = NudgePass(other_engine, ProactiveSender(bot.components.adapter, ""),
                           concurrency=5)
        first, other = await asyncio.gather(run_pass(bot), second.run(TUESDAY_0805))
    finally:
        other_engine.dispose()
    assert first.digests + other.digests == len(conversations)
    assert first.already_done + other.already_done == len(conversations)
    for conversation_id in conversations:
        assert len(digests(bot, conversation_id)) == 1, conversation_id


async def test_two_nudge_processes_at_once_send_each_nudge_once(bot: BotClient,
                                                                database_url: str) -> None:
    """Two instances (separate `app.py nudge` processes) on one database, at the same time."""
    conversations = [f"19:proc-{i}@thread.tacv2" for i in range(12)]
    for conversation_id in conversations:
        await subscribe(bot, "prenumerera", conversation_id)
    before = len(bot.channel.received)
    outputs = await asyncio.gather(
        *(_nudge_subprocess(database_url, "--at", "2025-09-30T08:05") for _ in range(2)))
    sent = [int(re.search(r"(\d+) digests", out)[1]) for out in outputs]  # type: ignore[index]
    assert sum(sent) == len(conversations), outputs
    for conversation_id in conversations:
        assert len(digests(bot, conversation_id)) == 1, conversation_id
    assert len(bot.channel.received) == before + len(conversations)


# --- personal reminders -------------------------------------------------------------------


async def test_managers_get_a_personal_reminder_and_can_snooze(bot: BotClient) -> None:
    await bot.say("hej")  # Anna has a 1:1 chat with the bot
    with session(bot.engine) as s, s.begin():
        grant(s, "29:user-anna", RoleName.MANAGER, "Stab och planering")
        grant(s, "29:user-bo", RoleName.MANAGER, "Näringsliv")  # never wrote to the bot
    result = await run_pass(bot)
    assert result.reminders == 2
    reminder = digests(bot, "conv-personal")
    assert len(reminder) == 1
    card = reminder[0]["attachments"][0]["content"]
    shown = card_texts(card)
    assert "Dina uppdrag som behöver uppmärksamhet" in shown
    assert "försenat" in shown and "Stab och planering" in shown and "Näringsliv" not in shown
    assert {"påminn om en vecka", "stäng av påminnelser"} <= {
        a["data"]["ask"] for a in _actions(card)}
    # Bo's chat was created for him, and is remembered.
    assert [c["members"][0]["id"] for c in bot.channel.created] == ["29:user-bo"]
    created = bot.channel.created[0]["id"]
    assert len(bot.channel.replies(created)) == 1
    with session(bot.engine) as s:
        ref = s.exec(select(ConversationRef).where(
            ConversationRef.conversation_id == created)).one()
        assert ref.user_id == "29:user-bo" and ref.conversation_type == "personal"
    assert_valid_cards([card, bot.channel.replies(created)[0]["attachments"][0]["content"]])

    turn = await bot.say("påminn om en vecka")
    assert "2025-10-07" in turn.text
    wednesday = TUESDAY_0805 + timedelta(days=1)
    result = await run_pass(bot, wednesday)
    assert result.reminders == 0  # Anna snoozed; Bo's were all named yesterday
    turn = await bot.say("stäng av påminnelser")
    assert "avstängda" in turn.text
    result = await run_pass(bot, TUESDAY_0805 + timedelta(days=14))
    assert result.reminders == 1  # only Bo
    assert len(digests(bot, "conv-personal")) == 1
