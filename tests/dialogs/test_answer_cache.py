"""dialogs/answer_cache.py and CommandSet's use of it: an answer is reused only for the same
organisation, answer version, day, language and question, only for commands declared
shared; any import or update — by this instance or another — makes it stale. Over HTTP on
SQLite and PostgreSQL, and as plain objects."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
import pytest_asyncio
from botclient import BotClient, bot_settings, running_bot
from sqlalchemy import Engine

from dialogs.answer_cache import AnswerCache
from dialogs.answers import Answer
from dialogs.commands import Ask, Command, CommandSet, Permission
from storage import organisations
from storage.db import session
from storage.domain import Forecast, Status
from storage.importer import import_file
from storage.roles import Principal, RoleName, grant
from storage.updates import UpdateRequest, apply_update
from understanding.question import Intent, Question


def test_lru_is_bounded_and_counts() -> None:
    cache = AnswerCache(max_entries=2)
    for key in "abc":
        cache.put(key, Answer(key))
    assert len(cache) == 2 and cache.get("a") is None and cache.get("c").text == "c"
    assert (cache.hits, cache.misses) == (1, 1)
    AnswerCache(max_entries=0).put("a", Answer("a"))  # 0: caching off


def _ask(engine: Engine | None, asked: Question, **changes: object) -> Ask:
    org = organisations.OrganisationView(1, "A", ("t",), ("sv",), "Europe/Stockholm",
                                         "SEK", "08:00", "", ())
    values: dict = {"question": asked, "lang": "sv", "today": date(2025, 9, 30),
                    "engine": engine, "org": org, "answer_version": 7}
    return Ask(**{**values, **changes})  # type: ignore[arg-type]


def test_only_shared_commands_are_cached_and_only_for_the_same_key() -> None:
    made: list[str] = []

    def handler(ask: Ask) -> Answer:
        made.append(ask.lang)
        return Answer(f"{ask.question.intent} {ask.lang} {ask.answer_version}")

    commands = CommandSet(cache=AnswerCache())
    commands.add(Command(Intent.SUMMARY, handler, shared=True))
    commands.add(Command(Intent.UNITS, handler))
    commands.add(Command(Intent.UNKNOWN, handler))
    summary, units = Question(Intent.SUMMARY), Question(Intent.UNITS)
    first = commands.dispatch(_ask(None, summary))
    assert commands.dispatch(_ask(None, summary)) is first and made == ["sv"]
    for changed in ({"lang": "en"}, {"answer_version": 8}, {"today": date(2025, 10, 1)},
                    {"question": Question(Intent.SUMMARY, as_text=True)}):
        assert commands.dispatch(_ask(None, summary, **changed)) is not first
    assert len(made) == 5
    commands.dispatch(_ask(None, units))
    commands.dispatch(_ask(None, units))
    assert len(made) == 7  # not shared: made every time
    commands.dispatch(_ask(None, summary, answer_version=None))
    assert len(made) == 8  # the version wasn't read: never cached


def test_a_command_that_needs_a_permission_is_never_shared() -> None:
    with pytest.raises(ValueError, match="shared"):
        CommandSet().add(Command(Intent.UPDATE, lambda ask: Answer(""), Permission.UPDATE,
                                 shared=True))


@pytest_asyncio.fixture
async def bot(database_url: str) -> AsyncIterator[BotClient]:
    async with running_bot(bot_settings(database_url)) as client:
        yield client


def _norrtalje(engine: Engine) -> organisations.OrganisationView:
    with session(engine) as s:
        org = organisations.default(s)
    assert org is not None
    return org


async def test_an_update_elsewhere_makes_the_cached_list_stale(bot: BotClient) -> None:
    """The update is stored as another instance stores it (storage.updates): this
    instance's cached overdue list must not be shown again."""
    before = await bot.say("vilka uppdrag är försenade?", conversation_id="c-1")
    again = await bot.say("vilka uppdrag är försenade?", conversation_id="c-2")
    assert again.card == before.card and "(5)" in json.dumps(before.card)
    assert bot.components.bot is not None
    org = _norrtalje(bot.engine)
    with session(bot.engine, org.id) as s, s.begin():
        grant(s, org.id, "29:other-instance", RoleName.ADMIN)
    apply_update(bot.engine, UpdateRequest(
        org.id, 33, None, Status.COMPLETED, Forecast.ON_PLAN, None, "Klart.",
        Principal("29:other-instance", "Other")))
    after = await bot.say("vilka uppdrag är försenade?", conversation_id="c-3")
    assert "(4)" in json.dumps(after.card, ensure_ascii=False)
    assert "koldioxidbudgeten" not in json.dumps(after.card, ensure_ascii=False)


async def test_an_import_makes_the_cached_forecast_stale(bot: BotClient,
                                                         tmp_path: Path) -> None:
    before = await bot.say("prognos IT", conversation_id="c-1")
    assert "-39 853" in json.dumps(before.card, ensure_ascii=False)
    path = tmp_path / "ekonomi.csv"
    path.write_text("unit,period_end,budget_period,actual_period,budget_year,forecast_year\n"
                    "IT,2025-07-31,-23978,-20813,-41225,-40000\n", encoding="utf-8")
    import_file(bot.engine, _norrtalje(bot.engine).id, path)
    after = await bot.say("prognos IT", conversation_id="c-2")
    shown = json.dumps(after.card, ensure_ascii=False)
    assert "-40 000" in shown and "-39 853" not in shown


async def test_the_same_question_in_another_language_or_organisation(
        bot: BotClient) -> None:
    swedish = await bot.say("sammanställning", conversation_id="c-1")
    english = await bot.say("summary", conversation_id="c-2", locale="en-US")
    assert swedish.card["body"][0]["text"] == "Sammanställning av uppdrag"
    assert english.card["body"][0]["text"] == "Assignment summary"
    # A reply is never changed by being sent: the cached card stays as it was made.
    first = await bot.say("sammanställning", conversation_id="c-3")
    assert first.card == swedish.card
