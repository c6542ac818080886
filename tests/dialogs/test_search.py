"""The compose-box search (dialogs/search.py) over HTTP, as Teams sends it: invoke activities
composeExtension/query (parameters, queryOptions.skip/count) and composeExtension/selectItem
({"number": N}) against the running app and the demo organisations, on
SQLite and PostgreSQL. Expectations are read from the database, not written down."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from botclient import BotClient, bot_settings, running_bot
from card_helpers import asked, texts
from card_validation import assert_valid_cards
from sqlalchemy import Engine
from sqlmodel import col, select

from bot.adapter import MAX_BODY_BYTES
from cards.texts import day, status_label, t
from storage.db import session
from storage.domain import Status, normalize
from storage.importer import import_table
from storage.models import Assignment, Unit
from storage.organisations import OrganisationView
from storage.roles import RoleName, grant
from understanding.question import Intent

TODAY = date(2025, 9, 30)  # bot_settings' fixed_today
COMMAND = "searchAssignments"
ADAPTIVE = "application/vnd.microsoft.card.adaptive"
THUMBNAIL = "application/vnd.microsoft.card.thumbnail"
MAX_RESULTS = 25  # what Teams shows at most; the manifest's limit too


@pytest.fixture
async def bot(demo: Engine, database_url: str) -> AsyncIterator[BotClient]:
    """The app on a database holding the demo organisations (loaded first, so the fixtures'
    OrganisationViews are the bot's)."""
    async with running_bot(bot_settings(database_url)) as client:
        yield client


# --- asking as Teams asks -----------------------------------------------------------------------


def invoke(bot: BotClient, name: str, value: Any, org: OrganisationView | None = None,
           locale: str | None = "sv-SE", user_id: str = "29:user-anna") -> dict[str, Any]:
    """An invoke as Teams posts it from the compose box: the tenant in channelData."""
    extra: dict[str, Any] = {"channelData": {"source": {"name": "compose"}}}
    if org is not None:
        extra["channelData"]["tenant"] = {"id": org.tenants[0]}
    activity = bot.activity(type_="invoke", locale=locale, user_id=user_id, **extra)
    activity["name"] = name
    activity["value"] = value
    return activity


def query_value(words: str | None, skip: int = 0, count: int = MAX_RESULTS) -> dict[str, Any]:
    """composeExtension/query's value; words=None is the initial run (initialRun: true)."""
    parameter = ({"name": "initialRun", "value": "true"} if words is None
                 else {"name": "query", "value": words})
    return {"commandId": COMMAND, "parameters": [parameter],
            "queryOptions": {"skip": skip, "count": count}}


async def results(bot: BotClient, value: Any, org: OrganisationView | None = None,
                  name: str = "composeExtension/query", **kwargs: Any) -> list[dict[str, Any]]:
    """The attachments of a search (or selectItem) answer, checked to be well formed."""
    turn = await bot.post(invoke(bot, name, value, org, **kwargs))
    assert turn.status == 200, turn.body
    assert isinstance(turn.body, dict), turn.body  # a JSON object, not a JSON string of one
    extension = turn.body["composeExtension"]
    assert extension["type"] == "result" and extension["attachmentLayout"] == "list"
    assert turn.replies == []  # an invoke is answered in its HTTP response only
    return extension["attachments"]


async def search(bot: BotClient, words: str | None, org: OrganisationView | None = None,
                 skip: int = 0, count: int = MAX_RESULTS, **kwargs: Any) -> list[dict[str, Any]]:
    return await results(bot, query_value(words, skip, count), org, **kwargs)


async def select_item(bot: BotClient, value: Any, org: OrganisationView | None = None,
                      **kwargs: Any) -> list[dict[str, Any]]:
    return await results(bot, value, org, name="composeExtension/selectItem", **kwargs)


def numbers(found: list[dict[str, Any]]) -> list[int]:
    """The assignment numbers of results, from their previews' "#N title"."""
    return [int(re.match(r"#(\d+) ", a["preview"]["content"]["title"])[1]) for a in found]


def assert_well_formed(found: list[dict[str, Any]]) -> None:
    """Each result an Adaptive Card (schema and renderer) with a thumbnail preview "#N title",
    and no tap (picking inserts the card as it is)."""
    assert len(found) <= MAX_RESULTS
    for a in found:
        assert a["contentType"] == ADAPTIVE
        preview = a["preview"]
        assert preview["contentType"] == THUMBNAIL
        assert "tap" not in preview["content"] and "tap" not in a["content"]
        assert re.match(r"#\d+ \S", preview["content"]["title"])
        assert preview["content"]["text"]
    assert_valid_cards([a["content"] for a in found])


# --- the database's answers ---------------------------------------------------------------------


def rows(engine: Engine, org: OrganisationView, *where: Any) -> list[Assignment]:
    """The organisation's assignments in the lists' order (due date, undated last, title)."""
    with session(engine, org.id) as s:
        return list(s.exec(select(Assignment).where(Assignment.organisation_id == org.id, *where)
                           .order_by(col(Assignment.due_date).is_(None), Assignment.due_date,
                                     Assignment.title_key, Assignment.id)))


def unit_id(engine: Engine, org: OrganisationView, name: str) -> int:
    with session(engine, org.id) as s:
        unit = s.exec(select(Unit).where(Unit.organisation_id == org.id,
                                         Unit.name == name)).one()
    assert unit.id is not None
    return unit.id


def with_title_word(engine: Engine, org: OrganisationView, word: str) -> list[Assignment]:
    return rows(engine, org, col(Assignment.title_key).contains(normalize(word)))


def open_rows(engine: Engine, org: OrganisationView) -> list[Assignment]:
    return rows(engine, org, Assignment.status != Status.COMPLETED.value)


# --- what the words find ------------------------------------------------------------------------


async def test_title_words_find_the_assignments_with_them(bot: BotClient,
                                                          norrtalje: OrganisationView) -> None:
    for word in ("grovsophämtning", "trygghetskameror"):
        expected = {a.number for a in with_title_word(bot.engine, norrtalje, word)}
        assert expected, word  # the demo has it: the test can fail
        found = await search(bot, word, norrtalje)
        assert set(numbers(found)) == expected, word
        assert_well_formed(found)


async def test_a_typo_finds_what_the_word_finds(bot: BotClient,
                                                norrtalje: OrganisationView) -> None:
    expected = {a.number for a in with_title_word(bot.engine, norrtalje, "trygghetskameror")}
    assert expected
    assert set(numbers(await search(bot, "trygghetskamror", norrtalje))) == expected
    assert set(numbers(await search(bot, "trygghetskameror", norrtalje))) == expected


async def test_a_number_finds_that_assignment(bot: BotClient,
                                              norrtalje: OrganisationView) -> None:
    every = rows(bot.engine, norrtalje)
    for a in (every[0], every[-1]):
        found = await search(bot, f"#{a.number}", norrtalje)
        assert numbers(found) == [a.number]
        assert found[0]["preview"]["content"]["title"] == f"#{a.number} {a.title}"[:200]
    missing = max(a.number for a in every) + 1
    assert await search(bot, f"#{missing}", norrtalje) == []
    for typed in ("nr 6", "nr. 6", "uppdrag 6"):  # as the chat reads them: that number
        assert numbers(await search(bot, typed, norrtalje)) == [6], typed


@pytest.mark.parametrize("name", ["Stab och planering", "Näringsliv"])
async def test_a_unit_name_finds_its_assignments(bot: BotClient, norrtalje: OrganisationView,
                                                 name: str) -> None:
    expected = rows(bot.engine, norrtalje,
                    Assignment.unit_id == unit_id(bot.engine, norrtalje, name))
    assert expected
    found = await search(bot, name.split()[0], norrtalje)  # "Stab", "Näringsliv"
    assert numbers(found) == [a.number for a in expected][:MAX_RESULTS]
    assert_well_formed(found)
    # misspelt as one types: the one unit the chat would offer back
    typo = {"Stab och planering": "Stabb", "Näringsliv": "Naringsliv"}[name]
    assert numbers(await search(bot, typo, norrtalje)) == numbers(found)


@pytest.mark.parametrize("locale", ["sv-SE", "en-US", "fi-FI"])
async def test_results_speak_the_users_language(bot: BotClient, norrtalje: OrganisationView,
                                                locale: str) -> None:
    lang = locale[:2]
    [a] = with_title_word(bot.engine, norrtalje, "trygghetskameror")
    assert a.due_date is not None
    [found] = await search(bot, "trygghetskameror", norrtalje, locale=locale)
    preview = found["preview"]["content"]["text"]
    status, due = status_label(lang, a.status), day(a.due_date, lang)
    assert status in preview and due in preview and t(lang, "due").lower() in preview
    # The labels differ between the languages, so this tells them apart.
    others = {status_label(o, a.status) for o in ("sv", "en", "fi") if o != lang}
    assert status not in others
    shown = texts(found["content"])
    assert status in shown and t(lang, "update") in json.dumps(found["content"],
                                                               ensure_ascii=False)


async def test_without_a_locale_the_organisations_language(bot: BotClient,
                                                           lovisa: OrganisationView) -> None:
    """Lovisa speaks Finnish first: a search without a locale answers in Finnish."""
    first = open_rows(bot.engine, lovisa)[0]
    found = await search(bot, f"#{first.number}", lovisa, locale=None)
    assert numbers(found) == [first.number]
    assert status_label("fi", first.status) in found[0]["preview"]["content"]["text"]


# --- the empty search (initial run) ---------------------------------------------------------------


async def test_an_empty_search_lists_open_assignments_due_soonest(
        bot: BotClient, norrtalje: OrganisationView) -> None:
    expected = [a.number for a in open_rows(bot.engine, norrtalje)]
    assert len(expected) > 10  # enough to page through
    found = await search(bot, None, norrtalje)
    assert numbers(found) == expected[:MAX_RESULTS]
    assert_well_formed(found)
    assert numbers(await search(bot, "", norrtalje)) == expected[:MAX_RESULTS]  # typed nothing


async def test_an_empty_search_of_a_manager_lists_their_units(
        bot: BotClient, norrtalje: OrganisationView) -> None:
    with session(bot.engine, norrtalje.id) as s, s.begin():
        grant(s, norrtalje.id, "29:user-anna", RoleName.MANAGER, "Näringsliv", "Anna")
    theirs = rows(bot.engine, norrtalje,
                  Assignment.unit_id == unit_id(bot.engine, norrtalje, "Näringsliv"))
    # Unfinished first, then completed; each by due date.
    expected = [a.number for a in theirs if a.status != Status.COMPLETED.value] + [
        a.number for a in theirs if a.status == Status.COMPLETED.value]
    assert expected
    assert numbers(await search(bot, None, norrtalje)) == expected[:MAX_RESULTS]
    # Someone else (no role) still gets the organisation's open ones.
    others = await search(bot, None, norrtalje, user_id="29:user-bo")
    assert numbers(others) == [a.number for a in open_rows(bot.engine, norrtalje)][:MAX_RESULTS]


# --- paging and the limit -----------------------------------------------------------------------


async def test_pages_follow_skip_and_count(bot: BotClient, norrtalje: OrganisationView) -> None:
    expected = [a.number for a in open_rows(bot.engine, norrtalje)]
    pages = [numbers(await search(bot, None, norrtalje, skip=skip, count=10))
             for skip in range(0, len(expected) + 10, 10)]
    assert [len(p) for p in pages] == [len(expected[i:i + 10])
                                       for i in range(0, len(expected) + 10, 10)]
    assert [n for page in pages for n in page] == expected
    assert pages[-1] == []  # past the end
    stab = rows(bot.engine, norrtalje,
                Assignment.unit_id == unit_id(bot.engine, norrtalje, "Stab och planering"))
    assert len(stab) > 6
    assert numbers(await search(bot, "Stab", norrtalje, skip=3, count=3)) == [
        a.number for a in stab][3:6]


async def test_never_more_than_25_results(bot: BotClient, norrtalje: OrganisationView) -> None:
    header = ["kind", "title", "unit", "due_date", "status", "forecast", "comment"]
    import_table(bot.engine, norrtalje.id, [header] + [
        ["Uppdrag", f"Provuppdrag nummer {i}", "IT", f"2026-01-{i:02d}", "Påbörjad",
         "Enligt plan", ""] for i in range(1, 31)] + [
        ["Uppdrag", f"Provuppdrag extra {i}", "IT", "", "Påbörjad", "Enligt plan", ""]
        for i in range(1, 11)])
    expected = [a.number for a in with_title_word(bot.engine, norrtalje, "provuppdrag")]
    assert len(expected) == 40
    first = await search(bot, "provuppdrag", norrtalje, count=100)  # more than Teams shows
    assert len(first) == MAX_RESULTS
    assert_well_formed(first)
    rest = await search(bot, "provuppdrag", norrtalje, skip=MAX_RESULTS)
    assert sorted(numbers(first) + numbers(rest)) == sorted(expected)
    assert numbers(await search(bot, None, norrtalje, count=1000)) == [
        a.number for a in open_rows(bot.engine, norrtalje)][:MAX_RESULTS]


# --- picking a result -----------------------------------------------------------------------------


async def test_select_item_returns_the_full_card(bot: BotClient,
                                                 norrtalje: OrganisationView) -> None:
    [result] = await search(bot, "grovsophämtning", norrtalje)
    [number] = numbers([result])
    [picked] = await select_item(bot, {"number": number}, norrtalje)
    assert picked["content"] == result["content"]
    assert_well_formed([picked])
    [a] = rows(bot.engine, norrtalje, Assignment.number == number)
    card = picked["content"]
    assert any(a.title in line for line in texts(card))
    [update] = [q for q in asked(card) if q.intent is Intent.UPDATE]
    assert update.filter.numbers == (a.number,)


# --- one organisation never sees another's ------------------------------------------------------


def titled(engine: Engine, org: OrganisationView) -> set[str]:
    """Every preview title the organisation's assignments can have."""
    return {f"#{a.number} {a.title}"[:200] for a in rows(engine, org)}


async def test_an_organisation_finds_only_its_own(bot: BotClient, norrtalje: OrganisationView,
                                                  alingsas: OrganisationView) -> None:
    own, foreign = titled(bot.engine, alingsas), titled(bot.engine, norrtalje)
    cameras = with_title_word(bot.engine, norrtalje, "trygghetskameror")
    assert cameras and not with_title_word(bot.engine, alingsas, "trygghetskameror")
    for words in ("trygghetskameror", cameras[0].title, f"#{cameras[0].number}", "Stab",
                  None):
        found = await search(bot, words, alingsas)
        shown = {a["preview"]["content"]["title"] for a in found}
        assert shown <= own, words  # (Alingsås has a safety assignment of its own)
        assert not {a["content"]["body"][0]["text"] for a in found} & {
            a.title for a in cameras}, words
    found = await search(bot, None, alingsas)
    assert numbers(found) == [a.number for a in open_rows(bot.engine, alingsas)][:MAX_RESULTS]
    # And the other way round: Alingsås's titles are not Norrtälje's results.
    word = "Kommunledningskontoret"
    assert with_title_word(bot.engine, alingsas, word)
    found = await search(bot, word, norrtalje)
    assert {a["preview"]["content"]["title"] for a in found} <= foreign


async def test_a_forged_number_selects_nothing_of_another_organisation(
        bot: BotClient, norrtalje: OrganisationView, alingsas: OrganisationView) -> None:
    alingsas_numbers = {a.number for a in rows(bot.engine, alingsas)}
    foreign = max(a.number for a in rows(bot.engine, norrtalje))
    assert foreign not in alingsas_numbers
    assert await select_item(bot, {"number": foreign}, alingsas) == []
    assert await search(bot, f"#{foreign}", alingsas) == []
    # A number both have is the asker's own assignment.
    shared = min(alingsas_numbers)
    [own] = rows(bot.engine, alingsas, Assignment.number == shared)
    [other] = rows(bot.engine, norrtalje, Assignment.number == shared)
    assert own.title != other.title
    [picked] = await select_item(bot, {"number": shared}, alingsas)
    assert picked["preview"]["content"]["title"] == f"#{shared} {own.title}"[:200]
    assert other.title not in json.dumps(picked, ensure_ascii=False)


# --- hostile values -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [
    None, "kameror", 12, [1, 2], {},
    {"commandId": COMMAND},  # no parameters at all
    {"commandId": COMMAND, "parameters": 5},
    {"commandId": COMMAND, "parameters": "query"},
    {"commandId": COMMAND, "parameters": [{"name": "query", "value": 12}]},
    {"commandId": COMMAND, "parameters": [{"name": "query", "value": {"$gt": ""}}]},
    {"commandId": COMMAND, "parameters": [{"name": "query", "value": None}]},
], ids=repr)
async def test_malformed_queries_find_nothing(bot: BotClient, norrtalje: OrganisationView,
                                              value: Any) -> None:
    assert await results(bot, value, norrtalje) == []


@pytest.mark.parametrize("options", [
    {"skip": "10", "count": "x"}, {"skip": True, "count": False}, {"skip": -5, "count": -5},
    {"skip": 10**12, "count": 10**12}, {"skip": 1.5}, None, "skip", [1],
], ids=repr)
async def test_odd_query_options_still_answer_a_page(bot: BotClient,
                                                     norrtalje: OrganisationView,
                                                     options: Any) -> None:
    value = {"commandId": COMMAND, "parameters": [{"name": "query", "value": "Stab"}],
             "queryOptions": options}
    found = await results(bot, value, norrtalje)
    stab = [a.number for a in rows(bot.engine, norrtalje, Assignment.unit_id == unit_id(
        bot.engine, norrtalje, "Stab och planering"))]
    # Not numbers: the first page; a skip past the end: nothing.
    big = isinstance(options, dict) and options.get("skip") == 10**12
    assert numbers(found) == ([] if big else stab[:MAX_RESULTS])


async def test_a_huge_query_is_cut_not_refused(bot: BotClient,
                                               norrtalje: OrganisationView) -> None:
    """As long as the activity Teams may send (bot/adapter.py's MAX_BODY_BYTES): answered
    from its first words; beyond that the adapter refuses it with 413, never a 5xx."""
    room = MAX_BODY_BYTES - 4096  # the rest of the activity
    expected = {a.number for a in with_title_word(bot.engine, norrtalje, "grovsophämtning")}
    found = await search(bot, "grovsophämtning " + "x" * room, norrtalje)
    assert expected and set(numbers(found)) <= expected
    assert await search(bot, "ö" * (room // 6), norrtalje) == []  # six bytes each in JSON
    before = len(rows(bot.engine, norrtalje))
    found = await search(bot, "\u0000'; DROP TABLE assignment; --", norrtalje)
    assert {a["preview"]["content"]["title"] for a in found} <= titled(bot.engine, norrtalje)
    assert len(rows(bot.engine, norrtalje)) == before  # only read, as words
    turn = await bot.post(invoke(bot, "composeExtension/query",
                                 query_value("x" * MAX_BODY_BYTES), norrtalje))
    assert turn.status == 413


@pytest.mark.parametrize("value", [
    None, "12", 12, [], {}, {"number": "12"}, {"number": True}, {"number": -1}, {"number": 0},
    {"number": 1.0}, {"number": 10**12}, {"number": None}, {"number": [1]},
], ids=repr)
async def test_malformed_selections_select_nothing(bot: BotClient,
                                                   norrtalje: OrganisationView,
                                                   value: Any) -> None:
    assert await select_item(bot, value, norrtalje) == []


# --- the HTTP answer itself -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["composeExtension/query", "composeExtension/selectItem"])
async def test_the_answer_is_json_serialised_once(bot: BotClient, norrtalje: OrganisationView,
                                                  name: str) -> None:
    """botbuilder 4.17.1 serialises an invoke's dict body a second time (HTTP 500):
    bot/botbuilder_patches.invoke_response answers it once, as a JSON object."""
    [a] = rows(bot.engine, norrtalje, Assignment.number == 1)
    value = query_value(f"#{a.number}") if name.endswith("query") else {"number": a.number}
    async with bot.http.post(bot.bot_url, json=invoke(bot, name, value, norrtalje)) as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        raw = await response.text()
    body = json.loads(raw)
    assert isinstance(body, dict), raw[:200]
    assert numbers(body["composeExtension"]["attachments"]) == [a.number]


@pytest.mark.parametrize("parameters", [
    [{"name": "search", "value": "#{n}"}],             # a parameter named otherwise
    [{"name": "", "value": "#{n}"}],                   # the Playground's, left empty
    [{"value": "#{n}"}],                               # no name at all
    [{"name": "initialRun", "value": "true"}, {"name": "keyword", "value": "#{n}"}],
], ids=["other-name", "empty-name", "no-name", "after-initialRun"])
async def test_a_parameter_named_otherwise_is_still_searched(
    bot: BotClient, norrtalje: OrganisationView, parameters: list[dict[str, Any]],
) -> None:
    # It was read as the initial run: the user typed "#12" and got the 25 open assignments.
    a = rows(bot.engine, norrtalje)[-1]
    value = {"commandId": COMMAND, "queryOptions": {"skip": 0, "count": MAX_RESULTS},
             "parameters": [{k: (v.format(n=a.number) if k == "value" else v)
                             for k, v in p.items()} for p in parameters]}
    assert numbers(await results(bot, value, norrtalje)) == [a.number]
    # The manifest's name wins over any other, and initialRun alone is still the empty search.
    value["parameters"].append({"name": "query", "value": "trygghetskameror"})
    expected = {x.number for x in with_title_word(bot.engine, norrtalje, "trygghetskameror")}
    assert set(numbers(await results(bot, value, norrtalje))) == expected
    initial = await results(bot, query_value(None), norrtalje)
    assert numbers(initial) == [x.number for x in open_rows(bot.engine, norrtalje)][:MAX_RESULTS]
