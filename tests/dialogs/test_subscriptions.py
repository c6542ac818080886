"""Deadline nudges over HTTP (dialogs/subscriptions.py, bot/scheduler.py, bot/proactive.py):
subscribe a channel as Teams sends the message (the tenant in channelData names the
organisation), run a pass (as `python app.py nudge` in a subprocess and with the in-process
scheduler) against the fake channel, and check what arrives; exactly once, 429 retried,
403/404 switch off, concurrent passes, time zones, personal reminders and snoozing.
Expectations about the digest's contents are read from the database."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from botclient import BOT_ID, BotClient, bot_settings, running_bot
from card_helpers import actions, asked, elements, texts
from card_validation import assert_valid_cards
from sqlalchemy import Engine
from sqlmodel import col, select

from bot.proactive import ProactiveSender
from bot.scheduler import NudgePass, PassResult
from cards.texts import day
from storage import ledger
from storage.db import make_engine, session
from storage.domain import Status
from storage.importer import import_table
from storage.models import Assignment, ConversationRef, SentNudge, Subscription, Unit
from storage.organisations import OrganisationView
from storage.roles import RoleName, grant
from understanding.question import Intent

ROOT = Path(__file__).resolve().parents[2]
TZ = ZoneInfo("Europe/Stockholm")
TODAY = date(2025, 9, 30)  # bot_settings' fixed_today, a Tuesday
TUESDAY_0805 = datetime(2025, 9, 30, 8, 5, tzinfo=TZ)
CHANNEL = "19:plan@thread.tacv2"


@pytest.fixture
async def bot(demo: Engine, database_url: str) -> AsyncIterator[BotClient]:
    """The app on the demo organisations (loaded first, so the fixtures' views are its)."""
    async with running_bot(bot_settings(database_url)) as client:
        yield client


def tenant_of(org: OrganisationView) -> dict[str, Any]:
    """channelData as Teams sends it: the tenant names the organisation."""
    return {"channelData": {"tenant": {"id": org.tenants[0]}}}


def in_channel(org: OrganisationView, conversation_id: str = CHANNEL) -> dict[str, Any]:
    return {"conversation_id": conversation_id, "conversation_type": "channel",
            **tenant_of(org)}


def shown(card: dict[str, Any]) -> str:
    """What a card shows (texts, facts, button titles), unescaped, one per line."""
    lines = texts(card) + [a["title"] for a in actions(card) if "title" in a]
    return "\n".join(line.replace("\\", "") for line in lines)


def digests(bot: BotClient, conversation_id: str = CHANNEL) -> list[dict[str, Any]]:
    """Proactive posts (not replies to a message) with a card."""
    return [r.activity for r in bot.channel.received
            if r.conversation_id == conversation_id and not r.reply_to_id
            and r.activity.get("attachments")]


def card_of(activity: dict[str, Any]) -> dict[str, Any]:
    [attachment] = activity["attachments"]
    return attachment["content"]


def bold_titles(card: dict[str, Any]) -> set[str]:
    """The assignment titles a digest shows (its bold item lines, not the headings)."""
    return {e["text"].replace("\\", "") for e in elements(card)
            if e.get("type") == "TextBlock" and e.get("weight") == "Bolder"
            and e.get("size") is None}


async def subscribe(bot: BotClient, org: OrganisationView, text: str = "prenumerera",
                    conversation_id: str = CHANNEL, locale: str = "sv-SE") -> dict[str, Any]:
    turn = await bot.say(text, locale=locale, **in_channel(org, conversation_id))
    assert turn.status in (200, 201)
    return turn.card


async def run_pass(bot: BotClient, now: datetime = TUESDAY_0805) -> PassResult:
    return await bot.components.nudge_pass.run(now)


async def run_unpinned(bot: BotClient, now: datetime) -> PassResult:
    """A pass on the app's database and adapter without LAGET_TODAY, which pins the date
    and keeps the time of day (docs/decisions.md): the bot's pass would run every day as
    Tuesday 2025-09-30."""
    return await NudgePass(bot.engine, ProactiveSender(bot.components.adapter, "")).run(now)


# --- the database's view of what is late --------------------------------------------------------


def open_of(engine: Engine, org: OrganisationView, units: list[str] | None = None
            ) -> list[Assignment]:
    """The organisation's unfinished assignments (of these units), oldest due first."""
    with session(engine, org.id) as s:
        query = (select(Assignment).join(Unit, Unit.id == Assignment.unit_id)
                 .where(Assignment.organisation_id == org.id,
                        Assignment.status != Status.COMPLETED.value))
        if units is not None:
            query = query.where(col(Unit.name).in_(units))
        return list(s.exec(query.order_by(Assignment.due_date, Assignment.id)))


def overdue_of(engine: Engine, org: OrganisationView, units: list[str] | None = None
               ) -> list[Assignment]:
    return [a for a in open_of(engine, org, units) if a.due_date and a.due_date < TODAY]


def assert_digest(card: dict[str, Any], engine: Engine, org: OrganisationView,
                  units: list[str] | None = None) -> None:
    """Every overdue assignment of the units is in it, nothing else than their unfinished
    ones due within the longest lead time (28 days), each with its Update button."""
    late = overdue_of(engine, org, units)
    assert late  # the demo has some: the check can fail
    titles = bold_titles(card)
    assert {a.title for a in late} <= titles
    allowed = {a.title: a for a in open_of(engine, org, units)
               if a.due_date and a.due_date <= TODAY + timedelta(days=28)}
    assert titles <= set(allowed)
    oldest = late[0]
    assert oldest.due_date is not None
    assert f"{day(oldest.due_date)} ({(TODAY - oldest.due_date).days} dagar försenat)" in \
        shown(card)
    updates = [q.filter.numbers for q in asked(card) if q.intent is Intent.UPDATE]
    assert sorted(n for (n,) in updates) == sorted(allowed[t].number for t in titles)
    assert {a["title"] for a in actions(card)
            if a["data"]["q"]["intent"] == Intent.UPDATE.value} == {"Uppdatera"}


# --- subscribing --------------------------------------------------------------------------------


async def test_subscribe_list_and_unsubscribe_in_a_channel(bot: BotClient,
                                                           norrtalje: OrganisationView) -> None:
    card = await subscribe(bot, norrtalje,
                           "prenumerera IT, Stab och planering veckovis fredag kl 9")
    text = shown(card)
    assert "Prenumeration startad" in text
    assert "IT, Stab och planering" in text
    assert "varje fredag kl. 09:00" in text
    assert "7 dagar (28 dagar för uppdrag på ett kvartal eller längre)" in text

    listed = await bot.say("prenumerationer", **in_channel(norrtalje))
    assert "varje fredag kl. 09:00" in shown(listed.card)
    again = await subscribe(bot, norrtalje, "prenumerera IT, Stab och planering dagligen kl 7")
    assert "Prenumerationen är ändrad" in shown(again)  # same units: changed, not doubled
    english = await bot.say("subscribe IT weekly on monday", locale="en-US",
                            **in_channel(norrtalje))
    assert "every Monday at 08:00" in shown(english.card)
    with session(bot.engine, norrtalje.id) as s:
        subs = s.exec(select(Subscription).where(
            Subscription.organisation_id == norrtalje.id)).all()
        assert len(subs) == 2 and all(sub.active for sub in subs)

    ended = await bot.say("avsluta prenumeration", **in_channel(norrtalje))
    assert "avslutad (2 st)" in ended.text
    listed = await bot.say("prenumerationer", **in_channel(norrtalje))
    assert "avslutad (avslutad av Anna Andersson)" in shown(listed.card)
    assert_valid_cards([card, again, english.card, listed.card])


async def test_unknown_unit_or_bad_time_changes_nothing(bot: BotClient,
                                                        norrtalje: OrganisationView) -> None:
    turn = await bot.say("prenumerera Kulturförvaltningen", **in_channel(norrtalje))
    assert "Jag hittar inte enheten ”Kulturförvaltningen”. Inget ändrades." in turn.text
    turn = await bot.say("prenumerera IT kl 25", **in_channel(norrtalje))
    assert "Inget ändrades" in turn.text and "ogiltig tid" in turn.text
    with session(bot.engine, norrtalje.id) as s:
        assert s.exec(select(Subscription)).all() == []


async def test_a_unit_named_with_another_suffix_is_the_organisations_unit(
        bot: BotClient, norrtalje: OrganisationView) -> None:
    # docs/decisions.md (Unit names): within one organisation the suffix tells no two bodies
    # apart, so "Ekonomiförvaltningen" is Ekonomiavdelningen, and the reply names it.
    turn = await bot.say("prenumerera Ekonomiförvaltningen", **in_channel(norrtalje))
    with session(bot.engine, norrtalje.id) as s:
        (sub,) = s.exec(select(Subscription)).all()
        (unit,) = s.exec(select(Unit).where(Unit.organisation_id == norrtalje.id,
                                            Unit.id == int(sub.unit_ids))).all()
    assert unit.name.startswith("Ekonomi") and unit.name in turn.text + shown(turn.card)


async def test_installing_in_a_team_posts_the_welcome_card(
        bot: BotClient, norrtalje: OrganisationView) -> None:
    activity = bot.activity(type_="conversationUpdate", membersAdded=[{"id": BOT_ID}],
                            **in_channel(norrtalje, "19:new-team@thread"))
    turn = await bot.post(activity)
    text = shown(turn.card)
    assert "Hej! Jag är Läget" in text and "@Läget prenumerera" in text
    assert_valid_cards(turn.cards)
    with session(bot.engine, norrtalje.id) as s:  # the channel is known: it can subscribe
        ref = s.exec(select(ConversationRef).where(
            ConversationRef.conversation_id == "19:new-team@thread")).one()
        assert ref.tenant_id == norrtalje.tenants[0] and ref.organisation_id == norrtalje.id


# --- the digest ---------------------------------------------------------------------------------


async def _nudge_subprocess(database_url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "LAGET_TODAY": TODAY.isoformat(),
           "LAGET_TIMEZONE": "Europe/Stockholm", "LAGET_DEMO": "1", "MicrosoftAppId": "",
           "MicrosoftAppPassword": "", "MicrosoftAppTenantId": ""}
    # Asynchronous, so the fake channel (on this event loop) can answer the subprocess.
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "app.py"), "nudge", *args, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_nudge_command_sends_the_digest_once(bot: BotClient, database_url: str,
                                                   norrtalje: OrganisationView) -> None:
    await subscribe(bot, norrtalje, "prenumerera")
    await subscribe(bot, norrtalje, "prenumerera Näringsliv", "19:nl@thread.tacv2")
    before = len(bot.channel.received)

    out = await _nudge_subprocess(database_url, "--at", "2025-09-30T08:05")
    assert "2 digests" in out
    [sent] = digests(bot)
    card = card_of(sent)
    assert_digest(card, bot.engine, norrtalje)
    late = overdue_of(bot.engine, norrtalje)
    assert f"Påminnelse: {len(late)} försenade uppdrag" in sent["text"]
    assert "Stab och planering" in texts(card)  # a unit heading
    [nl] = digests(bot, "19:nl@thread.tacv2")
    nl_card = card_of(nl)
    assert_digest(nl_card, bot.engine, norrtalje, ["Näringsliv"])
    assert "Stab och planering" not in texts(nl_card)
    assert all(not r.reply_to_id for r in bot.channel.received[before:])  # new posts
    assert_valid_cards([card, nl_card])

    out = await _nudge_subprocess(database_url, "--at", "2025-09-30T09:00")
    assert "0 digests" in out and "2 already done" in out
    assert len(bot.channel.received) == before + 2
    with session(bot.engine, norrtalje.id) as s:
        rows = s.exec(select(SentNudge)).all()
        assert {(r.conversation_id, r.state) for r in rows} == {
            (CHANNEL, "sent"), ("19:nl@thread.tacv2", "sent")}


async def test_before_its_time_or_on_another_weekday_nothing_is_sent(
        bot: BotClient, norrtalje: OrganisationView) -> None:
    await subscribe(bot, norrtalje, "prenumerera veckovis fredag kl 9")
    result = await run_unpinned(bot, datetime(2025, 10, 3, 8, 59, tzinfo=TZ))  # Fri 08:59
    assert result.digests == 0 and digests(bot) == []
    await run_unpinned(bot, datetime(2025, 10, 7, 9, 0, tzinfo=TZ))  # Tuesday 09:00
    assert digests(bot) == []
    result = await run_unpinned(bot, datetime(2025, 10, 3, 9, 0, tzinfo=TZ))
    assert result.digests == 1 and len(digests(bot)) == 1
    await run_pass(bot)  # the bot's own pass: Tuesday (pinned), not Friday
    assert len(digests(bot)) == 1


async def test_nothing_due_sends_nothing(bot: BotClient, norrtalje: OrganisationView) -> None:
    # IT has nothing open due within 28 days or late (checked, so the test can fail).
    assert not [a for a in open_of(bot.engine, norrtalje, ["IT"])
                if a.due_date and a.due_date <= TODAY + timedelta(days=28)]
    await subscribe(bot, norrtalje, "prenumerera IT")
    result = await run_pass(bot)
    assert result.nothing_due == 1 and digests(bot) == []


async def test_in_process_scheduler_sends_with_a_fixed_clock(
        demo: Engine, database_url: str, norrtalje: OrganisationView) -> None:
    settings = bot_settings(database_url, scheduler=True, scheduler_interval=0.05)
    async with running_bot(settings, clock=lambda: TUESDAY_0805) as bot:
        await subscribe(bot, norrtalje, "prenumerera Stab")
        scheduler = bot.components.scheduler
        for _ in range(400):
            if digests(bot):
                break
            await asyncio.sleep(0.05)
        passes = len(scheduler.results)
        while len(scheduler.results) < passes + 3:  # three more passes: nothing more is sent
            await asyncio.sleep(0.05)
        [sent] = digests(bot)
        card = card_of(sent)
        assert_digest(card, bot.engine, norrtalje, ["Stab och planering"])
        assert "IT" not in texts(card)
        assert sum(r.digests for r in scheduler.results) == 1


async def test_each_organisation_at_its_own_time_and_in_its_language(
        bot: BotClient, norrtalje: OrganisationView, lovisa: OrganisationView) -> None:
    """Lovisa's 08:00 in Helsinki is 07:00 in Stockholm: its digest goes first, in Finnish,
    with only Lovisa's assignments."""
    header = ["kind", "title", "unit", "due_date", "status", "forecast", "comment"]
    import_table(bot.engine, lovisa.id, [header, [
        "Uppdrag", "Myöhässä oleva tehtävä", "Stadskanslicentralen", "2025-09-01",
        "Påbörjad", "Enligt plan", ""]])
    await subscribe(bot, lovisa, "tilaa", "19:lovisa@thread.tacv2", locale="fi-FI")
    await subscribe(bot, norrtalje)
    await run_pass(bot, datetime(2025, 9, 30, 6, 59, tzinfo=TZ))
    assert digests(bot, "19:lovisa@thread.tacv2") == [] and digests(bot) == []
    await run_pass(bot, datetime(2025, 9, 30, 7, 0, tzinfo=TZ))
    [sent] = digests(bot, "19:lovisa@thread.tacv2")
    assert sent["text"].startswith("Muistutus:") and digests(bot) == []
    titles = bold_titles(card_of(sent))
    assert "Myöhässä oleva tehtävä" in titles
    assert titles <= {a.title for a in open_of(bot.engine, lovisa)}
    await run_pass(bot, datetime(2025, 9, 30, 8, 0, tzinfo=TZ))
    assert len(digests(bot)) == 1 and len(digests(bot, "19:lovisa@thread.tacv2")) == 1


# --- faults -------------------------------------------------------------------------------------


async def test_429_with_retry_after_is_retried(bot: BotClient,
                                               norrtalje: OrganisationView) -> None:
    await subscribe(bot, norrtalje)
    # More 429s than the connector's own quick retries: the sender's backoff takes over.
    bot.channel.fail(CHANNEL, 429, times=5, headers={"Retry-After": "0.2"})
    result = await run_pass(bot)
    assert result.digests == 1 and result.failed == []
    statuses = [status for cid, status, _ in bot.channel.attempts if cid == CHANNEL]
    assert statuses[-6:] == [429] * 5 + [200]
    assert len(digests(bot)) == 1


async def test_403_switches_the_subscription_off_and_the_pass_goes_on(
        bot: BotClient, norrtalje: OrganisationView) -> None:
    await subscribe(bot, norrtalje, "prenumerera", "19:removed@thread.tacv2")
    await subscribe(bot, norrtalje)
    bot.channel.fail("19:removed@thread.tacv2", 403, times=-1)
    result = await run_pass(bot)
    assert result.gone == ["19:removed@thread.tacv2"] and result.digests == 1
    assert len(digests(bot)) == 1
    with session(bot.engine, norrtalje.id) as s:
        sub = s.exec(select(Subscription).join(
            ConversationRef, ConversationRef.id == Subscription.conversation_ref_id).where(
            ConversationRef.conversation_id == "19:removed@thread.tacv2")).one()
        assert not sub.active and sub.disabled_reason == "HTTP 403 on 2025-09-30"
    result = await run_unpinned(bot, TUESDAY_0805 + timedelta(days=1))
    assert "19:removed@thread.tacv2" not in result.gone  # not tried again
    assert result.digests == 1 and len(digests(bot)) == 2  # the other one: its next day


async def test_404_too(bot: BotClient, norrtalje: OrganisationView) -> None:
    await subscribe(bot, norrtalje)
    bot.channel.fail(CHANNEL, 404)
    result = await run_pass(bot)
    assert result.gone == [CHANNEL]
    listed = await bot.say("prenumerationer", **in_channel(norrtalje))
    assert "avslutad (HTTP 404 on 2025-09-30)" in shown(listed.card)
    again = await subscribe(bot, norrtalje)  # subscribing again turns it back on
    assert "Prenumerationen är ändrad" in shown(again)
    with session(bot.engine, norrtalje.id) as s:
        assert s.exec(select(Subscription)).one().active


async def test_a_crashed_pass_is_resumed_and_a_live_claim_is_respected(
        bot: BotClient, norrtalje: OrganisationView) -> None:
    await subscribe(bot, norrtalje)
    await subscribe(bot, norrtalje, "prenumerera", "19:other@thread.tacv2")
    # A pass claimed this and died before sending (its lease lapses) …
    assert ledger.claim(bot.engine, norrtalje.id, CHANNEL, ledger.DIGEST, TODAY, [], "dead",
                        timedelta(milliseconds=200))
    # … and another is sending this one right now.
    assert ledger.claim(bot.engine, norrtalje.id, "19:other@thread.tacv2", ledger.DIGEST,
                        TODAY, [], "alive", timedelta(minutes=10))
    await asyncio.sleep(0.5)
    result = await run_pass(bot)
    assert result.digests == 1 and len(digests(bot)) == 1
    assert digests(bot, "19:other@thread.tacv2") == []


async def test_two_concurrent_passes_send_each_nudge_once(
        bot: BotClient, database_url: str, norrtalje: OrganisationView) -> None:
    conversations = [f"19:team-{i}@thread.tacv2" for i in range(24)]
    for conversation_id in conversations:
        await subscribe(bot, norrtalje, "prenumerera", conversation_id)
    other_engine = make_engine(database_url)  # a second instance: its own connection pool
    try:
        second = NudgePass(other_engine, ProactiveSender(bot.components.adapter, ""),
                           concurrency=5, fixed_today=TODAY.isoformat())
        first, other = await asyncio.gather(run_pass(bot), second.run(TUESDAY_0805))
    finally:
        other_engine.dispose()
    assert first.digests + other.digests == len(conversations)
    assert first.already_done + other.already_done == len(conversations)
    for conversation_id in conversations:
        assert len(digests(bot, conversation_id)) == 1, conversation_id


async def test_two_nudge_processes_at_once_send_each_nudge_once(
        bot: BotClient, database_url: str, norrtalje: OrganisationView) -> None:
    """Two instances (separate `app.py nudge` processes) on one database, at the same time."""
    conversations = [f"19:proc-{i}@thread.tacv2" for i in range(12)]
    for conversation_id in conversations:
        await subscribe(bot, norrtalje, "prenumerera", conversation_id)
    before = len(bot.channel.received)
    outputs = await asyncio.gather(
        *(_nudge_subprocess(database_url, "--at", "2025-09-30T08:05") for _ in range(2)))
    sent = [int(re.search(r"(\d+) digests", out)[1]) for out in outputs]  # type: ignore[index]
    assert sum(sent) == len(conversations), outputs
    for conversation_id in conversations:
        assert len(digests(bot, conversation_id)) == 1, conversation_id
    assert len(bot.channel.received) == before + len(conversations)


# --- personal reminders -------------------------------------------------------------------------


async def test_managers_get_a_personal_reminder_and_can_snooze(
        bot: BotClient, norrtalje: OrganisationView) -> None:
    await bot.say("hej", **tenant_of(norrtalje))  # Anna has a 1:1 chat with the bot
    with session(bot.engine, norrtalje.id) as s, s.begin():
        grant(s, norrtalje.id, "29:user-anna", RoleName.MANAGER, "Stab och planering", "Anna")
        grant(s, norrtalje.id, "29:user-bo", RoleName.MANAGER, "Näringsliv", "Bo")  # silent
    assert overdue_of(bot.engine, norrtalje, ["Stab och planering"])
    assert overdue_of(bot.engine, norrtalje, ["Näringsliv"])
    result = await run_pass(bot)
    assert result.reminders == 2
    [reminder] = digests(bot, "conv-personal")
    card = card_of(reminder)
    text = shown(card)
    assert "Dina uppdrag som behöver uppmärksamhet" in text
    titles = bold_titles(card)
    assert {a.title for a in overdue_of(bot.engine, norrtalje, ["Stab och planering"])} <= titles
    assert titles <= {a.title for a in open_of(bot.engine, norrtalje, ["Stab och planering"])}
    assert "försenat" in text and "Näringsliv" not in text
    buttons = {q.intent for q in asked(card)}
    assert {Intent.SNOOZE, Intent.REMINDERS_OFF} <= buttons
    # Bo's chat was created for him, and is remembered.
    assert [c["members"][0]["id"] for c in bot.channel.created] == ["29:user-bo"]
    created = bot.channel.created[0]["id"]
    [bo] = bot.channel.replies(created)
    with session(bot.engine, norrtalje.id) as s:
        ref = s.exec(select(ConversationRef).where(
            ConversationRef.conversation_id == created)).one()
        assert ref.user_id == "29:user-bo" and ref.conversation_type == "personal"
    assert_valid_cards([card, card_of(bo)])

    turn = await bot.say("påminn om en vecka", **tenant_of(norrtalje))
    assert day(TODAY + timedelta(days=7)) in turn.text
    result = await run_unpinned(bot, TUESDAY_0805 + timedelta(days=1))
    assert result.reminders == 0  # Anna snoozed; Bo's were all named yesterday
    turn = await bot.say("stäng av påminnelser", **tenant_of(norrtalje))
    assert "avstängda" in turn.text
    result = await run_unpinned(bot, TUESDAY_0805 + timedelta(days=14))
    assert result.reminders == 1  # only Bo
    assert len(digests(bot, "conv-personal")) == 1
