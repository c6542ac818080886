"""app.py, the composition root: the whole bot over HTTP (Bot Framework activities in,
replies at the fake channel), and the command line in the CLI's language: organisations,
import, alias, roles, nudges and Kolada, each naming its organisation with --org.

The command line runs in-process (`app.main`) where nothing else must run at the same time,
and as `python app.py` where a server must answer it (the fake channel for `nudge`, a
Kolada stand-in for `kolada sync`). Every database test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from botclient import BOT_ID, BOT_NAME, BotClient, bot_settings, running_bot
from card_helpers import elements
from card_validation import assert_valid_cards
from fake_channel import FakeChannel, fake_channel
from nudging import subscribe
from sqlalchemy import Engine, select
from storage_helpers import all_counts, counts, new_org, write_csv

import app
from storage import organisations, queries
from storage.db import session
from storage.demo import PLAYGROUND_USER_ID
from storage.importer import import_table
from storage.models import Assignment, Indicator, IndicatorValue, SentNudge, StatusComment, Unit
from storage.models import Subscription as SubscriptionRow
from storage.organisations import OrganisationView
from storage.roles import list_roles

REPO = Path(__file__).resolve().parent.parent
GUID = "8f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"
MARKDOWN_TITLE = "**Fet** [länk](http://x) `kod`"


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[BotClient]:
    async with running_bot(bot_settings(database_url)) as client:
        yield client


def card_texts(card: dict) -> str:
    """Every string shown on a card, for content assertions."""
    return "\n".join(value.replace("\\", "") for e in elements(card)
                     for key, value in e.items()
                     if key in ("text", "title", "value") and isinstance(value, str))


def norrtalje(engine: Engine) -> OrganisationView:
    with session(engine) as s:
        found = organisations.by_name(s, "Norrtälje kommun")
    assert found is not None
    return found


# --- the bot over HTTP ------------------------------------------------------------------------


async def test_healthz_answers_when_database_is_up(bot: BotClient) -> None:
    async with bot.http.get(bot.bot_url.replace("/api/messages", "/healthz")) as response:
        assert response.status == 200
        assert (await response.json())["status"] == "ok"


async def test_it_forecast_in_english(bot: BotClient) -> None:
    turn = await bot.say("what's IT's forecast?", locale="en-US")
    assert turn.status in (200, 201)
    shown = card_texts(turn.card)
    assert "Forecast – IT" in shown
    assert "-41 225" in shown and "-39 853" in shown
    assert "+1 372 SEK thousand (surplus)" in shown
    assert "-20 813 SEK thousand of budget -23 978 SEK thousand" in shown
    assert "vakans" in shown.lower() or "IT-säkerhet" in shown  # the report's comment
    assert "+1 372" in turn.text
    assert_valid_cards(turn.cards)


async def test_it_forecast_in_swedish_by_alias(bot: BotClient) -> None:
    turn = await bot.say("Hur går det för it-enheten?", locale="sv-SE")
    shown = card_texts(turn.card)
    assert "Prognos – IT" in shown
    assert "+1 372 tkr (överskott)" in shown
    assert "Budget helår" in shown


async def test_language_follows_the_question_when_locale_is_missing(bot: BotClient) -> None:
    turn = await bot.say("vilka uppdrag är försenade?", locale=None)
    assert "Försenade uppdrag" in card_texts(turn.card)
    turn = await bot.say("which assignments are overdue?", locale=None)
    assert "Overdue assignments" in card_texts(turn.card)


async def test_a_finnish_locale_gets_finnish(bot: BotClient) -> None:
    turn = await bot.say("vilka uppdrag är försenade?", locale="fi-FI")
    shown = card_texts(turn.card)
    assert "Myöhässä olevat tehtävät (5)" in shown and "214 päivää myöhässä" in shown
    assert_valid_cards(turn.cards)


async def test_overdue_list_oldest_first_for_fixed_today(bot: BotClient) -> None:
    turn = await bot.say("vilka uppdrag är försenade?")
    card = turn.card
    shown = card_texts(card)
    assert "Försenade uppdrag (5)" in shown
    assert "Per 2025-09-30" in shown
    # Oldest due date first: the carbon budget plan was due 2025-02-28.
    first = shown.index("2025-02-28 (214 dagar försenat)")
    later = shown.index("2025-09-08 (22 dagar försenat)")
    assert first < later
    assert "2025-07-31:" in shown  # the latest comment's date
    assert_valid_cards(turn.cards)


async def test_overdue_for_a_unit(bot: BotClient) -> None:
    turn = await bot.say("vilka uppdrag är försenade för Stab?")
    shown = card_texts(turn.card)
    assert "Försenade uppdrag – Stab och planering" in shown
    assert "Näringsliv ·" not in shown


async def test_a_whole_list_on_one_page_has_no_paging(bot: BotClient) -> None:
    turn = await bot.say("försenade", locale="sv-SE")
    shown = card_texts(turn.card)
    assert "Försenade uppdrag (5)" in shown and "Visar" not in shown
    assert not any(a["title"].startswith("Visa fler") for a in turn.card.get("actions", []))


async def test_summary_card_reproduces_the_report_table(bot: BotClient) -> None:
    turn = await bot.say("sammanställning")
    rows = [
        [cell["items"][0]["text"] for cell in row["cells"]]
        for row in next(e for e in turn.card["body"] if e["type"] == "Table")["rows"]
    ]
    assert rows[0] == ["", "Enligt plan", "Avvikelse från plan", "Totalt"]
    assert rows[1:] == [
        ["Uppdrag", "18", "3", "21"],
        ["Ej påbörjad", "0", "1", "1"],
        ["Påbörjad", "15", "1", "16"],
        ["Slutförd", "3", "1", "4"],
        ["Nämndinitiativ", "10", "5", "15"],
        ["Ej påbörjad", "0", "1", "1"],
        ["Påbörjad", "7", "3", "10"],
        ["Slutförd", "3", "1", "4"],
        ["Totalt", "28", "8", "36"],
    ]
    assert_valid_cards(turn.cards)


async def test_summary_as_text_is_a_table_without_card(bot: BotClient) -> None:
    turn = await bot.say("sammanställning som text")
    assert turn.cards == []
    assert "```" in turn.text and "| Totalt" in turn.text and "| 36" in turn.text


async def test_status_of_an_assignment_by_title_words(bot: BotClient) -> None:
    turn = await bot.say("status trygghetskameror")
    shown = card_texts(turn.card)
    assert "Trygghetskameror ska sättas upp" in shown
    assert "Senaste kommentarer" in shown
    assert_valid_cards(turn.cards)


async def test_a_typo_in_a_unit_resolves_and_an_unknown_unit_asks_back(bot: BotClient) -> None:
    turn = await bot.say("prognos för Räddningstjänstn", locale="sv-SE")
    assert "Prognos – Räddningstjänst" in card_texts(turn.card)  # a near miss resolves
    turn = await bot.say("prognos för Kulturförvaltningen", locale="sv-SE")
    card = turn.card
    assert "Prognos –" not in card_texts(card)  # no guess
    assert len(card.get("actions", [])) <= 5
    assert_valid_cards(turn.cards)


async def test_naming_the_unit_after_an_unknown_one_continues_the_question(
    bot: BotClient,
) -> None:
    await bot.say("försenade för Kulturförvaltningen", conversation_id="c-wait")
    turn = await bot.say("stab", conversation_id="c-wait")
    shown = card_texts(turn.card)
    assert "Stab och planering" in shown


async def test_mention_in_a_channel_is_stripped(bot: BotClient) -> None:
    turn = await bot.say(
        f"<at>{BOT_NAME}</at> hur går det för IT?",
        conversation_id="19:channel@thread.tacv2",
        conversation_type="channel",
        entities=[{"type": "mention", "text": f"<at>{BOT_NAME}</at>",
                   "mentioned": {"id": BOT_ID, "name": BOT_NAME}}],
    )
    assert "Prognos – IT" in card_texts(turn.card)


async def test_help_and_units(bot: BotClient) -> None:
    turn = await bot.say("help", locale="en-US")
    assert "What you can ask Läget" in card_texts(turn.card)
    turn = await bot.say("enheter")
    shown = card_texts(turn.card)
    for unit in ("IT", "Stab och planering", "Räddningstjänst", "Kommundirektör"):
        assert unit in shown


async def test_every_reply_carries_plain_text(bot: BotClient) -> None:
    for question in ("prognos IT", "försenade", "sammanställning", "hjälp", "enheter",
                     "status trygghetskameror", "vad förfaller snart?"):
        turn = await bot.say(question)
        assert turn.replies, question
        assert all(r.get("text") for r in turn.replies), question


async def test_malformed_requests_get_clear_4xx(bot: BotClient) -> None:
    bad = await bot.post(b"{not json", "application/json")
    assert bad.status == 400 and "JSON" in bad.body["error"]
    bad = await bot.post(b"[]", "application/json")
    assert bad.status == 400
    bad = await bot.post(b"hello", "text/plain")
    assert bad.status == 415
    no_conversation = bot.activity("hej")
    del no_conversation["conversation"]
    assert (await bot.post(no_conversation)).status == 400
    wrong_types = bot.activity("hej")
    wrong_types["from"] = "not an object"
    assert (await bot.post(wrong_types)).status == 400
    assert bot.channel.received == []


async def test_forged_button_values_change_nothing(bot: BotClient) -> None:
    before = all_counts(bot.engine)  # type: ignore[arg-type]
    for value in ({"q": {"intent": "no such intent"}}, {"q": "x" * 10},
                  {"q": {"intent": "submit_update"}}):
        turn = await bot.post(bot.activity(value=value))
        assert turn.text.startswith("Jag kunde inte läsa knapptrycket"), value
    assert all_counts(bot.engine)["status_comment"] == before["status_comment"]  # type: ignore[arg-type]


async def test_an_error_in_a_turn_apologises_without_a_stack_trace(
    bot: BotClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_args: object) -> None:
        raise RuntimeError("database exploded")

    monkeypatch.setattr(queries, "summary", boom)
    turn = await bot.say("sammanställning")
    assert turn.status in (200, 201)
    assert turn.text == "Förlåt, något gick fel hos mig. Försök igen om en stund."
    assert "Traceback" not in turn.text and "exploded" not in turn.text
    monkeypatch.undo()
    # The next turn works again.
    assert "Prognos – IT" in card_texts((await bot.say("prognos IT")).card)


# --- imported Markdown and long names, end to end ---------------------------------------------


def _import_markdown_assignment(engine: Engine) -> int:
    org = norrtalje(engine)
    import_table(engine, org.id, [
        ["kind", "title", "unit", "due_date", "status", "forecast", "comment"],
        ["Uppdrag", MARKDOWN_TITLE, "IT", "2025-09-01", "Påbörjad", "Enligt plan",
         "_Viktigt_: <b>se</b> [bilaga](http://y)"]])
    with session(engine, org.id) as s:
        return s.execute(select(Assignment.number).where(
            Assignment.organisation_id == org.id,
            Assignment.title == MARKDOWN_TITLE)).scalar_one()


def _literal(markdown: str) -> str:
    """What Teams shows of escaped Markdown (the escapes undone); see tests/cards for the
    strict check that nothing formats."""
    out, i = [], 0
    while i < len(markdown):
        if markdown[i] == "\\" and i + 1 < len(markdown) and not markdown[i + 1].isalnum():
            out.append(markdown[i + 1])
            i += 2
            continue
        out.append(markdown[i])
        i += 1
    return "".join(out).replace("&lt;", "<")


def _formats(markdown: str) -> bool:
    """Whether an unescaped * _ ` [ or < remains (Teams would format it); a line that is
    all bold (the bot's own heading) counts by what is inside."""
    markdown = "\n".join(line[2:-2] if len(line) > 4 and line.startswith("**")
                          and line.endswith("**") else line for line in markdown.split("\n"))
    i = 0
    while i < len(markdown):
        if markdown[i] == "\\":
            i += 2
            continue
        if markdown[i] in "*_`[<":
            return True
        i += 1
    return False


async def test_imported_markdown_shows_literally_in_cards_and_their_texts(
        bot: BotClient) -> None:
    number = _import_markdown_assignment(bot.engine)  # type: ignore[arg-type]
    detail = await bot.say(f"visa #{number}")
    assert MARKDOWN_TITLE in _literal(detail.text) and not _formats(detail.text)
    assert MARKDOWN_TITLE in card_texts(detail.card)
    listed = await bot.say("försenade för IT")
    assert MARKDOWN_TITLE in _literal(listed.text) and not _formats(listed.text)
    as_text = await bot.say(f"visa #{number} som text")
    assert MARKDOWN_TITLE in _literal(as_text.text) and not _formats(as_text.text)
    table = await bot.say("försenade för IT som text")
    assert f"| {MARKDOWN_TITLE}" in table.text  # in the code block: exactly as imported
    user = {"user_id": PLAYGROUND_USER_ID, "user_name": "Alex Wilber"}
    opened = await bot.say(f"uppdatera #{number}", **user)
    assert MARKDOWN_TITLE in _literal(opened.text) and not _formats(opened.text)
    save = next(a for a in opened.card["actions"] if a["type"] == "Action.Execute")
    saved = await bot.post(bot.activity(value={**save["fallback"]["data"],
                                               "status": "completed", "forecast": "on_plan",
                                               "comment": "**Klart**"}, **user))
    assert MARKDOWN_TITLE in _literal(saved.text) and not _formats(saved.text)
    assert_valid_cards(detail.cards + listed.cards + opened.cards + saved.cards)


# Entra ID allows display names of 256 characters; 246 with letters outside ASCII.
LONG_NAME = ("Åsa-Märta Öberg-Ståhlberg " * 10)[:246]


async def test_a_display_name_of_246_characters_updates_and_subscribes(
        bot: BotClient) -> None:
    engine: Engine = bot.engine  # type: ignore[assignment]
    assert len(LONG_NAME) == 246
    user = {"user_id": PLAYGROUND_USER_ID, "user_name": LONG_NAME}
    opened = await bot.say("uppdatera #12", **user)
    save = next(a for a in opened.card["actions"] if a["type"] == "Action.Execute")
    saved = await bot.post(bot.activity(value={**save["fallback"]["data"],
                                               "status": "started", "forecast": "on_plan",
                                               "comment": "Lång namnskylt."}, **user))
    assert "Sparat:" in saved.text
    org = norrtalje(engine)
    with session(engine, org.id) as s:
        authors = set(s.execute(select(StatusComment.author).where(
            StatusComment.organisation_id == org.id,
            StatusComment.text == "Lång namnskylt.")).scalars())
    assert authors == {LONG_NAME}
    channel = {"conversation_id": "19:lang@thread.tacv2", "conversation_type": "channel",
               "user_id": "29:someone", "user_name": LONG_NAME}
    turn = await bot.say("prenumerera IT", **channel)
    assert "Prenumeration startad" in turn.text
    with session(engine, org.id) as s:
        created_by = set(s.execute(select(SubscriptionRow.created_by).where(
            SubscriptionRow.organisation_id == org.id)).scalars())
    assert created_by == {LONG_NAME}
    listed = await bot.say("prenumerationer", **channel)
    assert "IT" in listed.text


# --- the command line, in-process -------------------------------------------------------------


@dataclass
class Ran:
    code: int
    out: str
    err: str


@dataclass
class Cli:
    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]
    database_url: str

    def __call__(self, *args: str, lang: str | None = None, LANG: str | None = None) -> Ran:
        """`python app.py ARGS`, with LAGET_LANGUAGE and LANG as given (else unset)."""
        self.monkeypatch.setenv("DATABASE_URL", self.database_url)
        for name, value in (("LAGET_LANGUAGE", lang), ("LANG", LANG)):
            if value is None:
                self.monkeypatch.delenv(name, raising=False)
            else:
                self.monkeypatch.setenv(name, value)
        self.capsys.readouterr()
        try:
            code = app.main(list(args))
        except SystemExit as exit_:  # argparse: --help, bad arguments
            code = int(exit_.code or 0)
        captured = self.capsys.readouterr()
        assert "Traceback" not in captured.err
        return Ran(code, captured.out, captured.err)


@pytest.fixture
def cli(database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> Cli:
    monkeypatch.setattr(logging, "basicConfig", lambda **_: None)  # keep pytest's handlers
    for name in ("LAGET_TODAY", "LAGET_DEMO", "MicrosoftAppId", "LAGET_KOLADA_URL"):
        monkeypatch.delenv(name, raising=False)
    return Cli(monkeypatch, capsys, database_url)


def _org(engine: Engine, name: str) -> OrganisationView:
    with session(engine) as s:
        found = organisations.by_name(s, name)
    assert found is not None, name
    return found


def test_org_add_list_edit_remove(cli: Cli, engine: Engine, tmp_path: Path) -> None:
    ran = cli("org", "add", "Lovisa stad", "--tenant", "22222222-2222-4222-8222-222222222222",
              "--language", "fi", "--language", "sv", "--timezone", "Europe/Helsinki",
              "--currency", "EUR")
    assert ran.code == 0
    assert ran.out.strip() == ("Lovisa stad added (tenants: "
                               "22222222-2222-4222-8222-222222222222)")
    lovisa = _org(engine, "Lovisa stad")
    assert (lovisa.languages, lovisa.timezone, lovisa.currency, lovisa.nudge_time) == (
        ("fi", "sv"), "Europe/Helsinki", "EUR", "08:00")
    assert cli("org", "add", "Ekeby kommun", "--tenant", "t-ekeby-1", "--tenant",
               "t-ekeby-2").code == 0
    listed = cli("org", "list")
    assert listed.out.splitlines() == [
        "Lovisa stad 22222222-2222-4222-8222-222222222222",
        "Ekeby kommun t-ekeby-1 t-ekeby-2"]
    edited = cli("org", "edit", "Ekeby kommun", "--new-name", "Ekeby stad", "--tenant",
                 "t-ekeby-3", "--remove-tenant", "t-ekeby-1", "--nudge-time", "07:30",
                 "--language", "en")
    assert (edited.code, edited.out.strip()) == (0, "Ekeby stad t-ekeby-2 t-ekeby-3")
    ekeby = _org(engine, "Ekeby stad")
    assert (ekeby.nudge_time, ekeby.languages) == ("07:30", ("en",))
    # Data in both; removing one removes all of its own and nothing of the other's.
    for org in (lovisa, ekeby):
        import_table(engine, org.id, [
            ["kind", "title", "unit", "due_date", "status", "forecast", "comment"],
            ["Uppdrag", "Ett uppdrag", "IT", "2025-12-31", "Påbörjad", "Enligt plan", "K."]])
    assert cli("grant", GUID, "admin", "--org", "Ekeby stad").code == 0
    before = counts(engine, lovisa.id)
    removed = cli("org", "remove", "Ekeby stad")
    assert (removed.code, removed.out.strip()) == (0, "Ekeby stad and all its data were removed")
    assert set(counts(engine, ekeby.id).values()) == {0}
    assert counts(engine, lovisa.id) == before and before["assignment"] == 1
    assert cli("org", "list").out.splitlines() == [
        "Lovisa stad 22222222-2222-4222-8222-222222222222"]


def test_org_refusals_are_told_without_a_traceback(cli: Cli) -> None:
    assert cli("org", "list").out.strip() == "No organisations."
    assert cli("org", "add", "A", "--tenant", "t-a").code == 0
    for args, said in [
        (("org", "add", "A"), "organisation"),
        (("org", "add", "B", "--tenant", "t-a"), "t-a"),
        (("org", "add", "B", "--timezone", "Mars/Olympus"), "Mars/Olympus"),
        (("org", "add", "B", "--nudge-time", "25:00"), "25:00"),
        (("org", "edit", "Nope", "--nudge-time", "07:00"), "Nope"),
        (("org", "remove", "Nope"), "Nope"),
    ]:
        ran = cli(*args)
        assert ran.code == 1 and ran.err.startswith("error: ") and said in ran.err, args
    assert cli("org", "add", "B", "--currency", "USD").code == 2  # argparse's choices


COMMANDS = {
    "import": lambda path: ("import", str(path)),
    "alias": lambda _: ("alias", "IT", "ICT"),
    "grant": lambda _: ("grant", GUID, "admin"),
    "revoke": lambda _: ("revoke", GUID, "admin"),
    "roles": lambda _: ("roles",),
    "nudge": lambda _: ("nudge", "--at", "2025-09-30T07:00"),
    "kolada sync": lambda _: ("kolada", "sync"),
}


@pytest.fixture
def assignments_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "uppdrag.csv", [
        ["Typ", "Titel", "Ansvarig avdelning", "Slutdatum", "Status", "Prognos för slutförande"],
        ["Uppdrag", "Införa e-arkiv", "IT", "2025-12-01", "Påbörjad", "Enligt plan"]])


@pytest.mark.parametrize("command", COMMANDS)
def test_org_is_optional_with_exactly_one_and_an_unknown_one_is_refused(
        cli: Cli, engine: Engine, assignments_csv: Path, command: str) -> None:
    args = COMMANDS[command](assignments_csv)
    none = cli(*args)
    if command == "nudge":  # a pass over every organisation there is: none
        assert none.code == 0 and none.out.startswith("0 digests")
    else:
        assert none.code == 1 and "there is no organisation" in none.err
    new_org(engine, "Alfa kommun")
    one = cli(*args)
    assert "organisation" not in one.err, one.err  # the only one needs no --org
    new_org(engine, "Beta kommun")
    unnamed = cli(*args)
    if command == "nudge":  # cron's `app.py nudge` passes over them all
        assert unnamed.code == 0, unnamed.err
    else:
        assert unnamed.code == 1
        assert ("name the organisation with --org (one of: Alfa kommun, Beta kommun)"
                in unnamed.err)
    unknown = cli(*args, "--org", "Gamma")
    assert unknown.code == 1
    assert ("unknown organisation “Gamma” (there are: Alfa kommun, Beta kommun)"
            in unknown.err)
    named = cli(*args, "--org", "beta kommun")  # any case
    assert "organisation" not in named.err, named.err


def test_import_export_and_roles_go_to_the_named_organisation(
        cli: Cli, engine: Engine, assignments_csv: Path) -> None:
    alfa, beta = new_org(engine, "Alfa kommun"), new_org(engine, "Beta kommun")
    ran = cli("import", str(assignments_csv), "--org", "Beta kommun", lang="sv")
    assert ran.code == 0
    assert ran.out.strip() == (f"{assignments_csv}: uppdrag: 1 rader — 1 nya, 0 ändrade, "
                               "0 oförändrade, 0 nya kommentarer; nya enheter: IT")
    assert counts(engine, alfa.id)["assignment"] == 0
    assert counts(engine, beta.id)["assignment"] == 1
    assert cli("alias", "IT", "ICT", "--org", "Beta kommun").out.strip() == "'ICT' → 'IT'"
    assert "already there" in cli("alias", "IT", "ICT", "--org", "Beta kommun").out
    assert cli("grant", GUID, "manager", "IT", "--name", "Anna Andersson", "--org",
               "Beta kommun").out.strip() == f"Beta kommun: {GUID}: manager (IT)"
    roles = cli("roles", "--org", "Beta kommun", lang="sv")
    assert roles.out.splitlines()[0].split() == ["användare", "namn", "roll", "enhet"]
    assert GUID in roles.out and "Anna Andersson" in roles.out
    assert cli("roles", "--org", "Alfa kommun").out.strip() == "No roles."
    assert cli("revoke", GUID, "manager", "--org", "Alfa kommun").code == 1
    revoked = cli("revoke", GUID, "manager", "IT", "--org", "Beta kommun")
    assert revoked.code == 0 and GUID in revoked.out
    with session(engine, beta.id) as s:
        assert list_roles(s, beta.id) == []


def test_alias_and_grant_refuse_a_misspelt_unit_suggesting_the_close_name(
        cli: Cli, engine: Engine) -> None:
    org = new_org(engine, "Alfa kommun")
    import_table(engine, org.id, [["unit", "parent"], ["Räddningstjänst", ""]])
    for args in (("alias", "Räddningstjänt", "Brandkåren"),
                 ("grant", GUID, "manager", "Räddningstjänt")):
        ran = cli(*args, lang="sv")
        assert ran.code == 1
        assert ran.err.strip() == ("fel: okänd enhet ”Räddningstjänt” (menade du "
                                   "Räddningstjänst?)"), args
    with session(engine, org.id) as s:
        assert list_roles(s, org.id) == []
        assert s.execute(select(Unit.name).where(Unit.organisation_id == org.id)
                         ).scalars().all() == ["Räddningstjänst"]
    # Without å/ä/ö it is the same unit (storage.units.fold), not a misspelling.
    assert cli("alias", "Raddningstjanst", "Brandkåren").code == 0
    # --create makes the unit the alias names.
    created = cli("alias", "Räddningstjänt", "RTJ", "--create")
    assert created.code == 0
    with session(engine, org.id) as s:
        assert set(s.execute(select(Unit.name).where(Unit.organisation_id == org.id)
                             ).scalars()) == {"Räddningstjänst", "Räddningstjänt"}


def test_grant_refuses_a_user_id_that_is_not_an_entra_object_id(cli: Cli,
                                                                engine: Engine) -> None:
    org = new_org(engine, "Alfa kommun")
    for user in ("anna.andersson@kommun.se", "8f1c2b3a", "29:1abc"):
        ran = cli("grant", user, "admin", lang="sv")
        assert ran.code == 1 and "GUID" in ran.err and user[:20] in ran.err, user
    ran = cli("grant", "29:1abc", "admin", "--channel-id")
    assert ran.code == 0
    assert cli("grant", GUID.upper(), "admin").code == 0
    with session(engine, org.id) as s:
        assert sorted(r.user_id for r in list_roles(s, org.id)) == sorted(
            ["29:1abc", GUID.upper()])


@pytest.mark.parametrize("lang", ["sv", "fi", "en"])
def test_argparses_own_errors_speak_the_command_lines_language(cli: Cli, lang: str) -> None:
    # They were English after a translated "fel:": "fel: the following arguments are
    # required: unit, alias", "fel: argument role: invalid choice: 'boss' …".
    from cards.texts import t

    cases = {
        ("alias",): ("cli.argparse.required", {"names": "unit, alias"}),
        ("grant", "x", "boss"): ("cli.argparse.invalid_choice", {
            "argument": "role", "value": "'boss'", "choices": "'admin', 'manager'"}),
        ("import", "--org"): ("cli.argparse.expected_one", {"argument": "--org"}),
        ("roles", "--bogus"): ("cli.argparse.unrecognized", {"names": "--bogus"}),
    }
    for args, (key, params) in cases.items():
        ran = cli(*args, lang=lang)
        assert ran.code == 2, args
        said = ran.err.strip().splitlines()[-1]
        assert said.endswith(f"{t(lang, 'cli.error')}: {t(lang, key, **params)}"), said
        if lang != "en":
            assert not {"required", "invalid choice", "expected", "unrecognized"} & set(
                said.split(": ")), said
            assert "choose from" not in said and "are required" not in said, said


@pytest.mark.parametrize(("lang", "LANG", "chosen", "usage"), [
    ("sv", None, "sv", "användning:"),
    (None, "sv_SE.UTF-8", "sv", "användning:"),
    (None, "fi_FI.UTF-8", "fi", "käyttö:"),
    ("fi", "sv_SE.UTF-8", "fi", "käyttö:"),  # LAGET_LANGUAGE wins
    (None, "de_DE.UTF-8", "en", "usage:"),
    (None, None, "en", "usage:"),
])
def test_the_command_lines_language(cli: Cli, lang: str | None, LANG: str | None,
                                    chosen: str, usage: str) -> None:
    from cards.texts import t

    def flat(text: str) -> str:  # argparse wraps (also inside hyphenated words)
        return "".join(text.split())

    assert app.cli_language({k: v for k, v in (("LAGET_LANGUAGE", lang), ("LANG", LANG))
                             if v is not None}) == chosen
    ran = cli("--help", lang=lang, LANG=LANG)
    assert ran.code == 0 and ran.out.startswith(f"{usage} app.py")
    for key in ("cli.description", "cli.help.import", "cli.help.nudge", "cli.help.help"):
        assert flat(t(chosen, key)) in flat(ran.out), key
    assert f"{t(chosen, 'cli.options')}:" in ran.out
    for sub in ("import", "grant", "nudge", "kolada sync"):
        sub_help = cli(*sub.split(), "--help", lang=lang, LANG=LANG).out
        assert sub_help.startswith(f"{usage} app.py {sub}")
        assert flat(t(chosen, "cli.help.org_option")) in flat(sub_help), (chosen, sub)
    assert flat(t(chosen, "cli.help.org_list")) in flat(
        cli("org", "--help", lang=lang, LANG=LANG).out)
    bad = cli("org", "add", "X", "--currency", "USD", lang=lang, LANG=LANG)
    assert bad.code == 2 and f"app.py org add: {t(chosen, 'cli.error')}: " in bad.err
    # Messages too: the empty list and a refusal.
    assert cli("org", "list", lang=lang, LANG=LANG).out.strip() == t(chosen,
                                                                     "cli.no_organisations")
    refused = cli("roles", lang=lang, LANG=LANG)
    assert refused.err.startswith(t(chosen, "cli.error") + ": ")


def test_import_of_a_bad_file_lists_its_rows_in_the_cli_language_and_writes_nothing(
        cli: Cli, engine: Engine, tmp_path: Path) -> None:
    org = new_org(engine, "Alfa kommun")
    path = write_csv(tmp_path / "uppdrag.csv", [
        ["Typ", "Titel", "Ansvarig avdelning", "Slutdatum", "Status", "Prognos för slutförande"],
        ["Uppdrag", "Bra rad", "IT", "2025-12-01", "Påbörjad", "Enligt plan"],
        ["Uppdrag", "Fel status", "IT", "2025-12-01", "Halvvägs", "Enligt plan"],
        ["Uppdrag", "", "IT", "2025-12-01", "Påbörjad", "Enligt plan"],
        ["Uppdrag", "Fel datum", "IT", "31/12", "Påbörjad", "Enligt plan"]])
    before = all_counts(engine)
    ran = cli("import", str(path), lang="sv")
    assert ran.code == 1 and ran.out == ""
    lines = ran.err.strip().splitlines()
    assert lines[0] == f"{path}: inget importerades (3 fel):"
    assert [line.split(":")[0].strip() for line in lines[1:]] == ["rad 3", "rad 4", "rad 5"]
    assert "Halvvägs" in lines[1] and "31/12" in lines[3]
    assert all_counts(engine) == before
    finnish = cli("import", str(path), LANG="fi_FI.UTF-8")
    assert finnish.code == 1 and finnish.err.splitlines()[1].strip().startswith("rivi 3:")
    english = cli("import", str(path))
    assert english.err.splitlines()[1].strip().startswith("row 3:")
    # A file refused as a whole (row 0) and a missing file: no row number.
    missing = cli("import", str(tmp_path / "saknas.csv"), lang="sv")
    assert missing.code == 1 and missing.err.splitlines()[1].strip() == (
        f"filen ”{tmp_path / 'saknas.csv'}” finns inte")
    one = cli("import", str(tmp_path / "saknas.csv"))  # one error, not "1 errors"
    assert one.err.splitlines()[0] == f"{tmp_path / 'saknas.csv'}: nothing was imported (1 error):"
    assert all_counts(engine) == before
    assert counts(engine, org.id)["assignment"] == 0


def test_import_several_files_imports_the_good_and_exits_1_for_a_bad_one(
        cli: Cli, engine: Engine, assignments_csv: Path, tmp_path: Path) -> None:
    org = new_org(engine, "Alfa kommun")
    bad = write_csv(tmp_path / "alias.csv", [["unit", "alias"], ["Okänd", "X"]])
    ran = cli("import", str(assignments_csv), str(bad))
    assert ran.code == 1 and "1 rows" in ran.out and "row 2: unknown unit" in ran.err
    assert counts(engine, org.id)["assignment"] == 1


def test_nudge_refuses_a_bad_time(cli: Cli, engine: Engine) -> None:
    new_org(engine, "Alfa kommun")
    ran = cli("nudge", "--at", "i morgon", lang="sv")
    assert ran.code == 2 and ran.err.startswith("fel: ") and "”i morgon”" in ran.err


# --- the command line as a process, with servers alongside -------------------------------------


async def run_app(database_url: str, *args: str, **env: str) -> Ran:
    """`python app.py ARGS` in a process of its own, the event loop free to serve."""
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("LAGET_", "Microsoft")) and k not in ("LANG",)}
    environment.update({"DATABASE_URL": database_url, "LAGET_SCHEDULER": "0", **env})
    process = await asyncio.create_subprocess_exec(
        sys.executable, "app.py", *args, cwd=REPO, env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert b"Traceback" not in err, err.decode()
    return Ran(process.returncode or 0, out.decode(), err.decode())


@pytest.fixture
async def channel() -> AsyncIterator[FakeChannel]:
    async with fake_channel() as ch:
        yield ch


@pytest.fixture
def subscribed(demo: Engine, channel: FakeChannel) -> Iterator[list[str]]:
    """Three Norrtälje channels subscribed to daily digests (something is due in each)."""
    org = norrtalje(demo)
    names = [f"19:kanal-{i}@thread.tacv2" for i in range(3)]
    for name in names:
        subscribe(demo, org, name, service_url=channel.url)
    yield names


async def test_nudge_exits_0_when_everything_went_out(database_url: str, demo: Engine,
                                                      channel: FakeChannel,
                                                      subscribed: list[str]) -> None:
    ran = await run_app(database_url, "nudge", "--at", "2025-09-30T08:05",
                        "--org", "Norrtälje kommun")
    assert ran.code == 0, ran.err
    assert "3 digests" in ran.out and "0 failed" in ran.out
    assert {name: len(channel.replies(name)) for name in subscribed} == dict.fromkeys(
        subscribed, 1)
    again = await run_app(database_url, "nudge", "--at", "2025-09-30T09:00")
    assert again.code == 0 and "0 digests" in again.out and "3 already done" in again.out
    assert len(channel.received) == 3


async def test_nudge_exits_1_when_a_send_failed_printing_the_count(
        database_url: str, demo: Engine, channel: FakeChannel,
        subscribed: list[str]) -> None:
    channel.fail(subscribed[1], 500, times=-1)
    ran = await run_app(database_url, "nudge", "--at", "2025-09-30T08:05", LAGET_LANGUAGE="sv")
    assert ran.code == 1
    # The summary in the command line's language too (it was English beside a Swedish count).
    assert "2 sammanställningar" in ran.out and "1 misslyckade" in ran.out, ran.out
    assert "digests" not in ran.out
    assert "1 utskick misslyckades" in ran.err
    assert channel.replies(subscribed[1]) == []
    # The failed digest was released: the next pass sends it, and only it.
    channel.faults.clear()
    retry = await run_app(database_url, "nudge", "--at", "2025-09-30T08:06")
    assert retry.code == 0 and "1 digests" in retry.out
    assert {name: len(channel.replies(name)) for name in subscribed} == dict.fromkeys(
        subscribed, 1)


async def test_two_nudge_processes_at_once_with_different_clocks_send_once(
        database_url: str, demo: Engine, channel: FakeChannel,
        subscribed: list[str]) -> None:
    first, second = await asyncio.gather(
        run_app(database_url, "nudge", "--at", "2025-09-30T08:05"),
        run_app(database_url, "nudge", "--at", "2025-09-30T08:30"))
    assert first.code == second.code == 0, (first.err, second.err)
    assert {name: len(channel.replies(name)) for name in subscribed} == dict.fromkeys(
        subscribed, 1)
    with session(demo, norrtalje(demo).id) as s:
        rows = list(s.execute(select(SentNudge)).scalars())
    assert len(rows) == 3 and {r.state for r in rows} == {"sent"}


KPIS = {"N00712": [(2021, 63.0, None, None), (2022, 66.5, 60.0, 73.0)],
        "U00405": [(2023, 9.1, 10.0, 8.2)]}


def _kolada_document(kpi: str, municipality: str) -> dict[str, Any]:
    values = []
    for year, total, women, men in KPIS[kpi]:
        genders = [{"gender": "T", "value": total}]
        if women is not None:
            genders += [{"gender": "K", "value": women}, {"gender": "M", "value": men}]
        values.append({"kpi": kpi, "municipality": municipality, "period": year,
                       "values": genders})
    return {"count": len(values), "values": values}


@pytest.fixture
async def kolada() -> AsyncIterator[tuple[str, list[str]]]:
    """A stand-in for api.kolada.se/v2: /data/kpi/{kpi}/municipality/{code}."""
    asked: list[str] = []

    async def data(request: web.Request) -> web.Response:
        asked.append(request.path)
        kpi = request.match_info["kpi"]
        if kpi not in KPIS:
            return web.json_response({"error": "no such kpi"}, status=404)
        return web.json_response(_kolada_document(kpi, request.match_info["municipality"]))

    server_app = web.Application()
    server_app.router.add_get("/v2/data/kpi/{kpi}/municipality/{municipality}", data)
    server = TestServer(server_app)
    await server.start_server()
    try:
        yield str(server.make_url("/v2")), asked
    finally:
        await server.close()


async def test_kolada_sync_imports_the_organisations_kpi_values(
        database_url: str, engine: Engine, kolada: tuple[str, list[str]]) -> None:
    url, asked = kolada
    alfa = new_org(engine, "Alfa kommun", kolada_municipality="0188",
                   kolada_kpis=["N00712", "U00405"])
    beta = new_org(engine, "Beta kommun", kolada_municipality="0480", kolada_kpis=["N00712"])
    ran = await run_app(database_url, "kolada", "sync", "--org", "Alfa kommun",
                        LAGET_KOLADA_URL=url)
    assert ran.code == 0, ran.err
    assert ran.out.strip().startswith(f"{url}: indicators: 3 rows — 3 new")
    assert sorted(asked) == ["/v2/data/kpi/N00712/municipality/0188",
                             "/v2/data/kpi/U00405/municipality/0188"]
    with session(engine, alfa.id) as s:
        values = {(i.source_id, v.year): (v.total, v.women, v.men) for i, v in s.execute(
            select(Indicator, IndicatorValue).join(
                IndicatorValue, IndicatorValue.indicator_id == Indicator.id)
            .where(Indicator.organisation_id == alfa.id))}
    assert values == {("N00712", 2021): ("63", "", ""),
                      ("N00712", 2022): ("66.5", "60", "73"),
                      ("U00405", 2023): ("9.1", "10", "8.2")}
    assert counts(engine, beta.id)["indicator"] == 0
    again = await run_app(database_url, "kolada", "sync", "--org", "Alfa kommun",
                          LAGET_KOLADA_URL=url)
    assert "0 new" in again.out and "3 unchanged" in again.out


async def test_kolada_sync_refusals(database_url: str, engine: Engine,
                                    kolada: tuple[str, list[str]]) -> None:
    url, _ = kolada
    new_org(engine, "Alfa kommun")  # no municipality code or KPIs
    ran = await run_app(database_url, "kolada", "sync", LAGET_KOLADA_URL=url,
                        LAGET_LANGUAGE="sv")
    said = ran.err.strip().splitlines()[-1]  # after the migrations' log lines
    assert ran.code == 1 and said.startswith("fel: ") and "--kolada-kpi" in said
    beta = new_org(engine, "Beta kommun", kolada_municipality="0480", kolada_kpis=["X99999"])
    ran = await run_app(database_url, "kolada", "sync", "--org", "Beta kommun",
                        LAGET_KOLADA_URL=url)
    assert ran.code == 1 and "HTTP 404" in ran.err and "Nothing was changed" in ran.err
    assert counts(engine, beta.id)["indicator"] == 0
    unreachable = await run_app(database_url, "kolada", "sync", "--org", "Beta kommun",
                                "--timeout", "2", LAGET_KOLADA_URL="http://127.0.0.1:9/v2")
    assert unreachable.code == 1 and "Nothing was changed" in unreachable.err


def test_build_wires_the_nudge_pass_to_the_scheduler(database_url: str) -> None:
    now = datetime(2025, 9, 30, 6, 0, tzinfo=UTC)
    components = app.build(bot_settings(database_url, scheduler=True), clock=lambda: now)
    try:
        assert components.web_app.on_startup  # the scheduler starts with the app
        assert components.scheduler._clock() == now
    finally:
        components.engine.dispose()
