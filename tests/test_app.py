"""The whole bot over HTTP: Bot Framework activities in, replies at the fake channel."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from botclient import BOT_ID, BOT_NAME, BotClient, bot_settings, running_bot
from card_validation import assert_valid_cards


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[BotClient]:
    async with running_bot(bot_settings(database_url)) as client:
        yield client


def card_texts(card: dict) -> str:
    """Every string shown on a card, for content assertions."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("text", "title", "value") and isinstance(value, str):
                    found.append(value.replace("\\", ""))
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return "\n".join(found)


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
    assert "+1 372 tkr (surplus)" in shown
    assert "-20 813 of budget -23 978" in shown
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
    assert "Stab och planering" in shown
    assert "Näringsliv\n" not in shown


async def test_overdue_paging_keeps_every_item(bot: BotClient) -> None:
    turn = await bot.say("försenade", locale="sv-SE")
    assert "Visar 1–5 av 5" in card_texts(turn.card)
    assert "actions" not in turn.card  # nothing more to page


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
    assert "Totalt" in turn.text and "28" in turn.text and "Påbörjad" in turn.text


async def test_status_of_an_assignment_by_title_words(bot: BotClient) -> None:
    turn = await bot.say("status trygghetskameror")
    shown = card_texts(turn.card)
    assert "Trygghetskameror ska sättas upp" in shown
    assert "Senaste kommentarer" in shown
    assert_valid_cards(turn.cards)


async def test_unknown_unit_offers_closest_units_as_buttons(bot: BotClient) -> None:
    turn = await bot.say("prognos för Räddningstjänstn", locale="sv-SE")
    # A near miss resolves directly.
    assert "Prognos – Räddningstjänst" in card_texts(turn.card)
    turn = await bot.say("prognos för Ekonomiförvaltningen", locale="sv-SE")
    card = turn.card
    assert "Jag hittar ingen enhet som heter ”Ekonomiförvaltningen”" in card_texts(card)
    buttons = {a["title"]: a["data"]["ask"] for a in card["actions"]}
    assert "Ekonomiavdelning" in buttons
    assert buttons["Ekonomiavdelning"] == "prognos Ekonomiavdelning"
    assert_valid_cards(turn.cards)
    # Pressing a button asks the question again, with the unit.
    pressed = await bot.post(bot.activity(value={"ask": buttons["Ekonomiavdelning"]}))
    assert "Prognos – Ekonomiavdelning" in card_texts(pressed.card)


async def test_naming_the_unit_after_an_unknown_one_continues_the_question(
    bot: BotClient,
) -> None:
    await bot.say("försenade för Kulturförvaltningen", conversation_id="c-wait")
    turn = await bot.say("stab", conversation_id="c-wait")
    assert "Försenade uppdrag – Stab och planering" in card_texts(turn.card)


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


async def test_forged_button_value_is_refused_and_changes_nothing(bot: BotClient) -> None:
    turn = await bot.post(bot.activity(value={"verb": "drop tables"}))
    assert turn.text.startswith("Jag kunde inte läsa knapptrycket")
    turn = await bot.post(bot.activity(value="x" * 10))
    assert "knapptrycket" in turn.text


async def test_an_error_in_a_turn_apologises_without_a_stack_trace(
    bot: BotClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dialogs.questions

    def boom(_ask: object) -> None:
        raise RuntimeError("database exploded")

    from dialogs.commands import REGISTRY, Command

    monkeypatch.setitem(REGISTRY, "summary", Command("summary", boom, REGISTRY["summary"]
                                                        .permission))
    turn = await bot.say("sammanställning")
    assert turn.status in (200, 201)
    assert turn.text == "Förlåt, något gick fel hos mig. Försök igen om en stund."
    assert "Traceback" not in turn.text and "exploded" not in turn.text
    # The next turn works again.
    assert "Prognos – IT" in card_texts((await bot.say("prognos IT")).card)
    assert dialogs.questions  # the real handlers are still registered
