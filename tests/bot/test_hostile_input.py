"""Hostile input over HTTP, on SQLite and PostgreSQL: odd messages are answered like any other
in sv, en and fi; bad card submissions (wrong types, other organisations' assignment ids) get
the refusal in the user's language and change nothing; a hypothesis fuzz posts generated
activities, card submissions and compose-extension invokes: never a 5xx, never a traceback,
and every organisation's data is unchanged and consistent afterwards.

(Non-JSON, wrong content type, deep nesting, huge numbers: tests/test_app.py and
tests/bot/test_adapter.py; the HTTP edge's timeouts: tests/bot/test_http_server.py.)
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from botclient import BotClient, Turn, bot_settings, running_bot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text
from sqlmodel import select

from cards.texts import t
from cards.update import REFRESH_VERB, UPDATE_VERB
from storage import organisations
from storage.db import session
from storage.demo import DEMO_ORGANISATIONS, PLAYGROUND_USER_ID
from storage.models import Assignment, StatusComment

NORRTALJE, LOVISA, LERUM, NYKOPING, ALINGSAS = (d.tenant for d in DEMO_ORGANISATIONS)
LANGUAGES = {"sv-SE": "sv", "en-US": "en", "fi-FI": "fi"}

# The organisations' data; traffic that updates nothing must not change a row of them.
# (bot_state, processed_activity, conversation_ref, sent_nudge and indicator_seen are the
# bot's own bookkeeping and may change.)
UNSCOPED_TABLES = ("organisation", "organisation_tenant")
SCOPED_TABLES = ("unit", "unit_alias", "assignment", "assignment_participant",
                 "status_comment", "finance_follow_up", "budget_line", "indicator",
                 "indicator_value", "role", "subscription", "reminder_preference")
# child table, its foreign key, the parent table: a row whose parent is missing (or in
# another organisation, which a scoped session cannot see) is an inconsistency.
CHILDREN = (("status_comment", "assignment_id", "assignment"),
            ("assignment_participant", "assignment_id", "assignment"),
            ("assignment_participant", "unit_id", "unit"),
            ("assignment", "unit_id", "unit"),
            ("indicator_value", "indicator_id", "indicator"),
            ("finance_follow_up", "unit_id", "unit"),
            ("budget_line", "unit_id", "unit"),
            ("unit_alias", "unit_id", "unit"))


def _rows(s: Any, table: str, org_id: int | None = None) -> list[str]:
    where = "" if org_id is None else " WHERE organisation_id = :o"  # SQLite has no RLS
    found = s.execute(text(f"SELECT * FROM {table}{where}"), {"o": org_id})  # noqa: S608
    return sorted(repr(tuple(r)) for r in found)


def snapshot(engine: Engine) -> dict[str, list[str]]:
    """Every row of the domain tables, per organisation (a scoped session each: row-level
    security on PostgreSQL shows an unscoped one nothing)."""
    with session(engine) as s:
        org_ids = [o.id for o in organisations.list_organisations(s)]
        taken = {table: _rows(s, table) for table in UNSCOPED_TABLES}
    for org_id in org_ids:
        with session(engine, org_id) as s:
            taken |= {f"{org_id}:{table}": _rows(s, table, org_id) for table in SCOPED_TABLES}
    assert sum(len(v) for k, v in taken.items() if k.endswith(":assignment")) > 50  # demo
    return taken


def assert_consistent(engine: Engine) -> None:
    with session(engine) as s:
        if engine.dialect.name == "sqlite":
            assert s.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
            assert s.execute(text("PRAGMA foreign_key_check")).all() == []
        org_ids = [o.id for o in organisations.list_organisations(s)]
    for org_id in org_ids:
        with session(engine, org_id) as s:
            for child, key, parent in CHILDREN:
                orphans = s.execute(text(
                    f"SELECT count(*) FROM {child} c LEFT JOIN {parent} p ON p.id = c.{key}"  # noqa: S608
                    " AND p.organisation_id = c.organisation_id"
                    f" WHERE c.organisation_id = :o AND c.{key} IS NOT NULL AND p.id IS NULL"),
                    {"o": org_id}).scalar_one()
                assert orphans == 0, (org_id, child, key)


GENERIC_ERRORS = {t(lang, "error") for lang in LANGUAGES.values()}


def answered_normally(turn: Turn) -> None:
    assert turn.status in (200, 201), turn.body
    assert turn.replies, "no reply"
    assert all(r.get("text") for r in turn.replies)
    assert "Traceback" not in json.dumps(turn.replies)
    assert not GENERIC_ERRORS & {r["text"] for r in turn.replies}, turn.text


def in_org(bot: BotClient, text_: str | None, tenant: str, locale: str,
           **kwargs: Any) -> dict[str, Any]:
    activity = bot.activity(text_, locale=locale, **kwargs)
    activity["conversation"]["tenantId"] = tenant
    activity["channelData"] = {"tenant": {"id": tenant}}
    return activity


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[BotClient]:
    async with running_bot(bot_settings(database_url)) as client:
        yield client


HOSTILE_MESSAGES = [
    "x" * 200_000,                                        # long, under the 256 KB body limit
    "prognos IT " + "å" * 20_000,                        # 120 KB as JSON escapes
    "ennuste IT " + "ä" * 20_000,
    "<at>" * 40_000,                                      # mention stripping stays linear
    "‹" * 28_000,                                         # 168 KB as JSON escapes
    "\x00\x01\x02\x1b[31mprognos IT\x7f\x08\r\n\t",       # control characters, NUL
    "'; DROP TABLE assignment; --",
    "prognos IT' OR '1'='1",
    "status %' UNION SELECT password FROM users --",
    "försenade för \\\"; DELETE FROM unit WHERE 1=1; --",
    "Robert'); DROP TABLE status_comment;--",
    "myöhässä olevat'); DELETE FROM indicator_value;--",
    "😀🇸🇪👩‍👩‍👧‍👦 prognos IT 🔥",                          # emoji, flags, ZWJ sequences
    "ｐｒｏｇｎｏｓ　ＩＴ",                                      # full-width
    "pro\u0301gno\u0308s I\u200bT\ufeff",                 # combining marks, zero-width chars
    "ما هي توقعات قسم تكنولوجيا المعلومات؟",             # Arabic (RTL)
    "\u202eTI sonogrp\u202c",                              # right-to-left override
    "מה המצב של IT? försenade",                           # Hebrew mixed with Swedish
    "<script>alert(1)</script> prognos IT",
    "{{7*7}} ${jndi:ldap://x} %s%s%s%n",
    "\ud800 lone surrogate",                              # invalid UTF-16 half
    "prenumerera " + "9" * 400,                           # a subscription that cannot be
    " ",
]
# Each message from each language's user; fi from Lovisa (Finnish first), else Norrtälje.
SENDERS = [("sv-SE", NORRTALJE), ("en-US", NORRTALJE), ("fi-FI", LOVISA)]


@pytest.mark.parametrize("message", HOSTILE_MESSAGES,
                         ids=[f"m{i}" for i in range(len(HOSTILE_MESSAGES))])
async def test_hostile_messages_are_answered_normally(bot: BotClient, message: str) -> None:
    before = snapshot(bot.engine)
    for locale, tenant in SENDERS:
        answered_normally(await bot.post(in_org(bot, message, tenant, locale)))
    # And the next question in the same conversation still works, in its language.
    follow_up = await bot.post(in_org(bot, "prognos IT", NORRTALJE, "sv-SE"))
    answered_normally(follow_up)
    assert follow_up.cards and "Prognos – IT" in follow_up.text
    assert snapshot(bot.engine) == before
    assert_consistent(bot.engine)


async def test_hostile_text_in_a_pending_question_survives_the_state_round_trip(
    bot: BotClient,
) -> None:
    # The unit asked back for waits in the dialog state (bot_state) and comes back out.
    odd = "prognos \x00förv\u202e'; DROP TABLE unit;--😀" + "ö" * 3000
    first = await bot.say(odd, conversation_id="c-odd")
    answered_normally(first)
    answered_normally(await bot.say("IT", conversation_id="c-odd"))
    answered_normally(await bot.say("prognos", conversation_id="c-odd2"))
    resumed = await bot.say(odd, conversation_id="c-odd2")
    answered_normally(resumed)


async def test_oversized_bodies_are_refused_before_anything_runs(bot: BotClient) -> None:
    turn = await bot.post(bot.activity("x" * 300_000))
    assert turn.status == 413 and turn.replies == []


# --- card submissions ------------------------------------------------------------------------


def _assignments(engine: Engine, tenant: str) -> list[Assignment]:
    with session(engine) as s:
        org = next(o for o in organisations.list_organisations(s) if tenant in o.tenants)
    with session(engine, org.id) as s:
        return list(s.exec(select(Assignment).where(Assignment.organisation_id == org.id)
                           .order_by(Assignment.id)))


def _update(bot: BotClient, data: Any, tenant: str, locale: str, *,
            execute: bool) -> dict[str, Any]:
    """An update card's Save: Action.Execute invoke, or the Action.Submit fallback."""
    if execute:
        value = {"trigger": "manual", "action": {"type": "Action.Execute",
                                                 "verb": "updateStatus", "data": data}}
        return in_org(bot, None, tenant, locale, type_="invoke", name="adaptiveCard/action",
                      value=value, user_id=PLAYGROUND_USER_ID, user_name="Alex Wilber")
    value = {"verb": "updateStatus", **data} if isinstance(data, dict) else data
    return in_org(bot, None, tenant, locale, value=value, user_id=PLAYGROUND_USER_ID,
                  user_name="Alex Wilber")


def _answer_text(turn: Turn) -> str:
    if isinstance(turn.body, dict) and "value" in turn.body:  # Universal Actions reply
        return json.dumps(turn.body["value"], ensure_ascii=False)
    return turn.text


def _org_rows(snap: dict[str, list[str]], org_id: int) -> dict[str, list[str]]:
    return {k: v for k, v in snap.items() if k.startswith(f"{org_id}:")}


@pytest.mark.parametrize("execute", [True, False], ids=["execute", "submit"])
@pytest.mark.parametrize("locale", list(LANGUAGES))
async def test_other_organisations_assignments_cannot_be_updated(
    bot: BotClient, locale: str, execute: bool,
) -> None:
    # The Playground user is admin of every demo organisation in local mode, so only the
    # organisation of the turn (its tenant) keeps Lovisa's and Nyköping's rows out of reach.
    # A card's assignment_id is the number within its organisation: another organisation's
    # row id (beyond Norrtälje's numbers) names nothing here, and another organisation's
    # card pressed here can only name Norrtälje's own assignment of that number.
    lang = LANGUAGES[locale]
    own = _assignments(bot.engine, NORRTALJE)
    lovisa = _assignments(bot.engine, LOVISA)
    others = lovisa[:2] + _assignments(bot.engine, NYKOPING)[:2]
    assert not {a.id for a in others} & {a.number for a in own}
    before = snapshot(bot.engine)
    for a in others:
        for key in (a.id, str(a.id)):
            data = {"assignment_id": key, "version": a.version, "status": "completed",
                    "forecast": "on_plan", "comment": "Kapad."}
            turn = await bot.post(_update(bot, data, NORRTALJE, locale, execute=execute))
            assert turn.status == 200 if execute else turn.status == 201
            said = _answer_text(turn)
            assert "Traceback" not in said
            assert t(lang, "not_found_update") in said, said
    assert snapshot(bot.engine) == before
    # Lovisa's card for its #N, pressed in Norrtälje: Norrtälje's own #N is saved (so the
    # refusals above are not vacuous), and not a row of Lovisa's changes.
    card = lovisa[-1]
    data = {"assignment_id": card.number, "version": card.version, "status": "started",
            "forecast": "on_plan", "comment": "Lovisas kort."}
    turn = await bot.post(_update(bot, data, NORRTALJE, locale, execute=execute))
    assert t(lang, "not_found_update") not in _answer_text(turn)
    after = snapshot(bot.engine)
    assert after != before
    lovisa_org, norrtalje_org = lovisa[0].organisation_id, own[0].organisation_id
    assert _org_rows(after, lovisa_org) == _org_rows(before, lovisa_org)
    assert _org_rows(after, norrtalje_org) != _org_rows(before, norrtalje_org)


BAD_DATA: list[Any] = [
    {"assignment_id": [1], "version": 1, "status": "completed"},
    {"assignment_id": {"$ne": None}, "version": "1", "status": "completed"},
    {"assignment_id": 1, "version": {"x": [1, [2, [3]]]}, "status": "completed"},
    {"assignment_id": 1, "version": 1, "status": ["completed"], "forecast": 7},
    {"assignment_id": 1, "version": 1, "status": "completed", "comment": "x" * 100_000},
    {"assignment_id": 1, "version": 1, "status": "done'; DROP TABLE assignment;--"},
    {"assignment_id": 2**70, "version": -1, "status": "completed"},
    {"assignment_id": -1, "version": 1e308, "status": "completed"},
    {"assignment_id": True, "version": None, "status": None},
    {"assignment_id": "1 OR 1=1", "version": 1, "status": "completed"},
    {"assignment_id": 1, "version": 1, "status": "completed", "due_date": "2025-02-30"},
    {"assignment_id": 1, "version": 1, "status": "completed", "due_date": ["2025-01-01"]},
    {},
]


@pytest.mark.parametrize("locale", list(LANGUAGES))
async def test_bad_card_submissions_are_refused_in_the_users_language(
    bot: BotClient, locale: str,
) -> None:
    lang = LANGUAGES[locale]
    # Every refusal the update card can give, in this language (and none of the others').
    refusals = {t(lang, key) for key in (
        "not_found_update", "invalid_status", "invalid_forecast", "invalid_due_date",
        "invalid_comment_required", "invalid_comment_length", "invalid_submission")}
    foreign = {t(other, "invalid_submission") for other in LANGUAGES.values() if other != lang}
    before = snapshot(bot.engine)
    for data in BAD_DATA:
        for execute in (True, False):
            turn = await bot.post(_update(bot, data, NORRTALJE, locale, execute=execute))
            assert turn.status in (200, 201), (data, turn.body)
            said = _answer_text(turn)
            assert "Traceback" not in said and not GENERIC_ERRORS & {said}
            assert any(r in said for r in refusals), (data, execute, said)
            assert not any(f in said for f in foreign), said
    assert snapshot(bot.engine) == before
    assert_consistent(bot.engine)


# --- fuzz ------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
huge = st.sampled_from(["x" * 100_000, "ä" * 30_000, "<at>" * 20_000, "\x00" * 1000,
                        "9" * 5000, "#" + "9" * 400])
hostile = json_values | huge | st.integers(min_value=-(2**80), max_value=2**80)
questions = st.sampled_from([
    "prognos IT", "försenade", "sammanställning", "status trygghetskameror", "enheter",
    "hjälp", "vad förfaller snart?", "overdue for Stab", "stab", "prognos för Kultur",
    "ennuste IT", "myöhässä olevat tehtävät", "apua", "talousarvio 2025", "tunnusluvut",
    "what's IT's forecast?", "budget", "nyckeltal", "#1", "#99999999999999",
]) | st.text(max_size=300)
tenants = st.sampled_from([d.tenant for d in DEMO_ORGANISATIONS]) | st.text(max_size=40)
mention = st.fixed_dictionaries({
    "type": st.just("mention"), "text": st.text(max_size=30) | huge,
    "mentioned": st.fixed_dictionaries({"id": st.sampled_from(["28:laget-bot", "x"]),
                                        "name": st.text(max_size=10)}),
})


def _no_digits(value: Any) -> bool:
    return not any(ch.isnumeric() for ch in json.dumps(value, ensure_ascii=False))


# Junk for a Save's assignment_id that can name no assignment of any organisation (the
# Playground user is admin everywhere: a Save that finds one would rightly land).
no_assignment = (json_values.filter(_no_digits) | huge.filter(_no_digits)
                 | st.integers(min_value=10**6, max_value=2**80)
                 | st.integers(min_value=-(2**80), max_value=0))


def card_values(foreign_ids: list[int]) -> st.SearchStrategy[Any]:
    """Card submissions: questions, update Saves with other organisations' ids and junk."""
    ids = st.sampled_from(foreign_ids) | st.sampled_from([str(i) for i in foreign_ids])
    save = st.fixed_dictionaries({
        "verb": st.just(UPDATE_VERB), "assignment_id": ids | no_assignment,
        "version": st.integers(0, 3) | hostile,
        "status": st.sampled_from(["completed", "started", "not_started"]) | hostile,
        "forecast": st.sampled_from(["on_plan", "deviation"]) | hostile,
        "comment": st.text(max_size=50) | huge,
    })
    return (
        save
        | st.fixed_dictionaries({"ask": questions | hostile})
        | st.dictionaries(st.sampled_from(["ask", "verb", "id", "assignment_id", "status",
                                           "forecast", "comment", "version", "page", "q"]),
                          hostile, max_size=5)
        | json_values
    )


def invoke_values(foreign_ids: list[int], numbers: list[int]) -> st.SearchStrategy[Any]:
    card = card_values(foreign_ids)
    parameter = st.fixed_dictionaries({
        "name": st.sampled_from(["query", "searchText", "initialRun"]) | hostile,
        "value": questions | hostile})
    query = st.fixed_dictionaries(
        {"commandId": st.sampled_from(["searchAssignments"]) | hostile,
         "parameters": st.lists(parameter | hostile, max_size=3) | hostile},
        optional={"queryOptions": st.fixed_dictionaries(
            {"skip": st.integers(-(2**40), 2**40) | hostile,
             "count": st.integers(-5, 100) | hostile}) | hostile})
    select_item = st.fixed_dictionaries(
        {"number": st.sampled_from(numbers) | hostile}) | hostile
    action = st.fixed_dictionaries({
        "trigger": st.just("manual"),
        "action": st.fixed_dictionaries({
            "type": st.just("Action.Execute") | hostile,
            "verb": st.sampled_from([UPDATE_VERB, REFRESH_VERB]) | hostile,
            "data": card | hostile})})
    return query | select_item | action | hostile


def mostly(valid: st.SearchStrategy[Any], junk: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`junk` one time in eight: an activity with several junk ids is refused at the edge
    (a 400 is fine, but the fuzz should mostly get past it)."""
    return st.integers(0, 7).flatmap(lambda n: junk if n == 0 else valid)


printable_ids = st.text(st.characters(min_codepoint=0x20, exclude_characters="\x7f"),
                        min_size=1, max_size=40)


@st.composite
def activities(draw: st.DrawFn, foreign_ids: list[int], numbers: list[int]) -> dict[str, Any]:
    kind = draw(st.sampled_from(["message"] * 6 + ["invoke"] * 4 + [
        "conversationUpdate", "event", "messageReaction", "typing", "installationUpdate",
        "endOfConversation"]) | st.text(max_size=12))
    tenant = draw(mostly(st.sampled_from([d.tenant for d in DEMO_ORGANISATIONS]), tenants))
    activity: dict[str, Any] = {
        "type": kind,
        "id": draw(mostly(printable_ids | st.none(), st.text(max_size=20))),
        "channelId": draw(mostly(st.sampled_from(["msteams", "emulator", "webchat"]),
                                 st.text())),
        "serviceUrl": "SERVICE_URL",
        "from": draw(st.fixed_dictionaries({
            "id": mostly(st.sampled_from([PLAYGROUND_USER_ID]) | printable_ids,
                         st.text(max_size=20)),
            "name": st.text(max_size=20)})),
        "recipient": {"id": "28:laget-bot", "name": "Läget"},
        "conversation": {"id": draw(mostly(st.sampled_from(["fz-1", "fz-2", "fz-3"])
                                           | printable_ids, st.text(min_size=1, max_size=40))),
                         "conversationType": draw(st.sampled_from(["personal", "channel",
                                                                   "groupChat"])),
                         "tenantId": tenant},
        "channelData": {"tenant": {"id": tenant}},
    }
    if kind == "invoke":
        activity["name"] = draw(st.sampled_from([
            "composeExtension/query", "composeExtension/selectItem", "adaptiveCard/action",
            "task/fetch"]) | st.text(max_size=20))
        activity["value"] = draw(invoke_values(foreign_ids, numbers))
    else:
        if draw(st.booleans()):
            activity["text"] = draw(questions | st.text(max_size=2000) | huge)
        if draw(st.booleans()):
            activity["value"] = draw(card_values(foreign_ids))
    if draw(st.booleans()):
        activity["locale"] = draw(st.sampled_from(["sv-SE", "en-US", "fi-FI", "fi", "sv"])
                                  | st.text())
    if draw(st.booleans()):
        activity["entities"] = draw(st.lists(mention, max_size=2))
    if draw(st.integers(0, 4)) == 0:
        activity["channelData"] = draw(json_values)
    if draw(st.booleans()):
        activity["membersAdded"] = [{"id": draw(st.text(max_size=10))}]
    for key in draw(st.lists(st.sampled_from(["from", "recipient", "id", "channelId"]),
                             max_size=2)):
        activity.pop(key, None)
    if draw(st.integers(0, 9)) == 0:  # sometimes a wrongly typed field
        activity[draw(st.sampled_from(["from", "text", "entities", "locale", "name",
                                       "value"]))] = draw(json_values)
    return activity


def test_fuzzed_activities_never_get_a_5xx_and_leave_the_data_alone(
    database_url: str,
) -> None:
    loop = asyncio.new_event_loop()
    context = running_bot(bot_settings(database_url))
    bot: BotClient = loop.run_until_complete(context.__aenter__())
    statuses: dict[int, int] = {}
    try:
        before = snapshot(bot.engine)
        every = [a for d in DEMO_ORGANISATIONS for a in _assignments(bot.engine, d.tenant)]
        # Save presses carry other organisations' rows' ids, none of them a number (what a
        # card's assignment_id is) in any organisation: a forgery that lands is a change.
        foreign = [a.id for a in every if a.organisation_id != every[0].organisation_id
                   and a.id not in {b.number for b in every}]
        assert len(foreign) > 20
        numbers = sorted({a.number for a in _assignments(bot.engine, NYKOPING)})

        async def post(activity: dict[str, Any]) -> tuple[int, str]:
            body = json.dumps(activity).replace("SERVICE_URL", bot.channel.url)
            async with bot.http.post(bot.bot_url,
                                     data=body.encode("utf-8", "surrogatepass"),
                                     headers={"Content-Type": "application/json"}) as response:
                return response.status, await response.text()

        @settings(max_examples=200, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
        @given(activity=activities(foreign, numbers))
        def one(activity: dict[str, Any]) -> None:
            sent = len(bot.channel.received)
            try:
                status, body = loop.run_until_complete(post(activity))
            except aiohttp.ClientError as err:
                raise AssertionError(f"the bot dropped the connection: {err}") from err
            statuses[status] = statuses.get(status, 0) + 1
            # 501 is botbuilder's answer to an invoke nobody handles (what Teams expects).
            assert status < 500 or (status == 501 and activity.get("type") == "invoke"), (
                status, body[:500])
            assert "Traceback" not in body
            replies = json.dumps([r.activity for r in bot.channel.received[sent:]])
            assert "Traceback" not in replies
            assert not any(json.dumps(e)[1:-1] in replies for e in GENERIC_ERRORS), replies

        one()
        assert snapshot(bot.engine) == before
        assert_consistent(bot.engine)
        assert statuses.get(201, 0) + statuses.get(200, 0) > 60, statuses  # mostly served
    finally:
        loop.run_until_complete(context.__aexit__(None, None, None))
        loop.close()


# --- oversized identity fields ---------------------------------------------------------------

# Teams sends bounded ids and names, but in local mode (and from a buggy channel) any length
# arrives; every column has a bound on PostgreSQL. Each field well past its column's size.
OVERSIZED: dict[str, Any] = {
    "from.name": lambda a: a["from"].update(name="Å" * 5000),
    "from.id": lambda a: a["from"].update(id="29:" + "x" * 5000, aadObjectId=None),
    "from.aadObjectId": lambda a: a["from"].update(aadObjectId="a" * 5000),
    "conversation.id": lambda a: a["conversation"].update(id="19:" + "c" * 5000),
    "conversation.conversationType": lambda a: a["conversation"].update(
        conversationType="personal" * 500),
    "tenant": lambda a: (a["conversation"].update(tenantId="t" * 5000),
                         a.update(channelData={"tenant": {"id": "t" * 5000}})),
    "channelId": lambda a: a.update(channelId="msteams" * 700),
    "serviceUrl": lambda a: a.update(serviceUrl=a["serviceUrl"] + "?" + "s" * 5000),
    "id": lambda a: a.update(id="act-" + "i" * 5000),
    "locale": lambda a: a.update(locale="fi-FI" + "-x" * 3000),
}


# What the edge refuses (by its field's name); the others are answered normally: a name is
# shortened where it is stored, an unknown tenant is the default organisation's (local
# mode), a locale is only read.
REFUSED = {"from.id", "from.aadObjectId", "conversation.id", "conversation.conversationType",
           "tenant", "channelId", "serviceUrl", "id"}


@pytest.mark.parametrize("field", list(OVERSIZED))
async def test_oversized_identity_fields_are_answered_never_a_5xx(
    bot: BotClient, field: str,
) -> None:
    own = _assignments(bot.engine, NORRTALJE)[0]
    save = {"assignment_id": own.id, "version": own.version, "status": "started",
            "forecast": "on_plan", "comment": "Långt fält."}
    for activity in (
        in_org(bot, "prognos IT", NORRTALJE, "sv-SE", conversation_id="c-big"),
        in_org(bot, "prenumerera IT", NORRTALJE, "sv-SE", conversation_id="c-big",
               conversation_type="channel"),
        _update(bot, save, NORRTALJE, "sv-SE", execute=True),
        _update(bot, save, NORRTALJE, "sv-SE", execute=False),
    ):
        OVERSIZED[field](activity)
        turn = await bot.post(activity)
        assert "Traceback" not in json.dumps(turn.body) + json.dumps(turn.replies)
        if field in REFUSED:  # an id no column holds: refused before the turn
            assert (turn.status, turn.body) == (
                400, {"error": f"activity field too long: {field}"})
            assert turn.replies == []
        elif activity["type"] == "message":
            answered_normally(turn)
        else:
            assert turn.status == 200 and turn.body["statusCode"] == 200, turn.body
    assert_consistent(bot.engine)


@pytest.mark.parametrize("channel_id", [None, ""])
async def test_an_activity_without_a_channel_is_refused_not_apologised_for(
    bot: BotClient, channel_id: str | None,
) -> None:
    # botbuilder's conversation state is keyed by channel: without one the turn failed with
    # a TypeError and the user got the generic apology.
    activity = bot.activity("prognos IT")
    if channel_id is None:
        del activity["channelId"]
    else:
        activity["channelId"] = channel_id
    turn = await bot.post(activity)
    assert (turn.status, turn.body, turn.replies) == (
        400, {"error": "activity needs channelId"}, [])


# --- NUL and control characters ----------------------------------------------------------------

# PostgreSQL refuses NUL in any text parameter, even of a SELECT: an id with one would fail
# the state key or the tenant lookup mid-turn. Ids are refused at the edge; free text (a
# name, a question, a search, a comment) is answered, or refused by the card, never the
# generic apology.
CONTROL_IDS: dict[str, Any] = {
    "channelId": lambda a, c: a.update(channelId="msteams" + c),
    "id": lambda a, c: a.update(id="act" + c),
    "conversation.id": lambda a, c: a["conversation"].update(id="c" + c),
    "from.id": lambda a, c: a["from"].update(id="29:u" + c, aadObjectId=None),
    "from.aadObjectId": lambda a, c: a["from"].update(aadObjectId="a" + c),
    "tenant": lambda a, c: a.update(channelData={"tenant": {"id": NORRTALJE + c}}),
    "serviceUrl": lambda a, c: a.update(serviceUrl=a["serviceUrl"] + c),
}


@pytest.mark.parametrize("char", ["\x00", "\x1f", "\n"], ids=["nul", "us", "newline"])
@pytest.mark.parametrize("field", list(CONTROL_IDS))
async def test_control_characters_in_ids_are_refused_at_the_edge(
    bot: BotClient, field: str, char: str,
) -> None:
    activity = in_org(bot, "prognos IT", NORRTALJE, "sv-SE")
    CONTROL_IDS[field](activity, char)
    turn = await bot.post(activity)
    assert (turn.status, turn.body, turn.replies) == (
        400, {"error": f"activity field has control characters: {field}"}, [])


async def test_nul_in_free_text_is_answered_never_apologised_for(bot: BotClient) -> None:
    own = _assignments(bot.engine, NORRTALJE)[0]
    before = snapshot(bot.engine)
    named = in_org(bot, "prognos IT", NORRTALJE, "en-US")
    named["from"]["name"] = "Ada\x00 Admin"
    search = in_org(bot, None, NORRTALJE, "fi-FI", type_="invoke",
                    name="composeExtension/query",
                    value={"commandId": "searchAssignments",
                           "parameters": [{"name": "query", "value": "tryg\x00ghet"}]})
    for activity in (
        named,
        in_org(bot, "prog\x00nos I\x00T", NORRTALJE, "sv-SE"),
        in_org(bot, None, NORRTALJE, "sv-SE", value={"ask": "prognos\x00 IT"}),
        in_org(bot, "ennuste\x00", LOVISA, "fi-FI"),
        search,
    ):
        turn = await bot.post(activity)
        assert turn.status in (200, 201), turn.body
        if activity["type"] == "message":
            answered_normally(turn)
        else:
            assert "composeExtension" in turn.body, turn.body
    assert snapshot(bot.engine) == before
    # A Save whose comment or author name has a NUL: saved without it, or refused, in the
    # user's language — never the apology, and nothing half-written.
    for locale in LANGUAGES:
        data = {"assignment_id": own.number, "version": own.version, "status": "started",
                "forecast": "on_plan", "comment": "Klart\x00 nu"}
        activity = _update(bot, data, NORRTALJE, locale, execute=False)
        activity["from"]["name"] = "Alex\x00 Wilber"
        turn = await bot.post(activity)
        answered_normally(turn)
    with session(bot.engine, own.organisation_id) as s:
        saved = set(s.execute(select(StatusComment.text, StatusComment.author).where(
            StatusComment.organisation_id == own.organisation_id,
            StatusComment.assignment_id == own.id, StatusComment.text.startswith("Klart"))))
    assert saved == {("Klart nu", "Alex Wilber")}
    assert_consistent(bot.engine)


# --- lone surrogates --------------------------------------------------------------------------

# JSON may escape half of a UTF-16 pair alone ("\ud800"); such a string has no UTF-8 form, so
# it failed the turn wherever it was stored or sent: a sender's name in the conversation
# reference and the reply's recipient (no answer at all, and a traceback in the log), a
# comment, the author of an update. The edge replaces each with U+FFFD.
LONE = "\ud800"


async def test_lone_surrogates_anywhere_are_answered_never_a_traceback(
    bot: BotClient, caplog: pytest.LogCaptureFixture,
) -> None:
    own = _assignments(bot.engine, NORRTALJE)[0]
    for locale, tenant in SENDERS:
        named = in_org(bot, "prognos IT", tenant, locale, conversation_id=f"c-lone-{locale}")
        named["from"]["name"] = f"Ada{LONE} Admin"
        named["conversation"]["name"] = f"Kanal{LONE}"
        answered_normally(await bot.post(named))
        search = in_org(bot, None, tenant, locale, type_="invoke",
                        name="composeExtension/query",
                        value={"commandId": "searchAssignments",
                               "parameters": [{"name": "query", "value": f"IT{LONE}"}]})
        search["from"]["name"] = f"Ada{LONE}"
        turn = await bot.post(search)
        assert turn.status == 200 and "composeExtension" in turn.body, turn.body
    for locale in LANGUAGES:
        data = {"assignment_id": own.number, "version": own.version, "status": "started",
                "forecast": "on_plan", "comment": f"Klart{LONE} nu"}
        activity = _update(bot, data, NORRTALJE, locale, execute=False)
        activity["from"]["name"] = f"Alex{LONE} Wilber"
        answered_normally(await bot.post(activity))
    with session(bot.engine, own.organisation_id) as s:
        saved = set(s.execute(select(StatusComment.text, StatusComment.author).where(
            StatusComment.organisation_id == own.organisation_id,
            StatusComment.assignment_id == own.id, StatusComment.text.startswith("Klart"))))
    assert saved == {("Klart\ufffd nu", "Alex\ufffd Wilber")}
    assert "Traceback" not in caplog.text
    assert_consistent(bot.engine)
