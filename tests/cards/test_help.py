"""cards/help.py: what one can ask (every topic, in every language), the units, and asking
back when unsure; their text forms."""

from __future__ import annotations

import pytest
from card_helpers import asked, shown, texts
from card_validation import assert_valid_cards
from demo_views import LOVISA, NORRTALJE, demo, table_rows

from cards import help as hc
from cards.texts import LANGUAGES, t
from storage.queries import UnitView
from understanding.question import Form, Intent, Question


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_help_card_lists_every_topic_with_an_example(lang: str) -> None:
    card = hc.help_card(lang)
    shown_texts = [shown(x) for x in texts(card)]
    for key in hc.TOPICS:
        assert t(lang, f"help.topic.{key}") in shown_texts
        assert f"”{t(lang, f'help.example.{key}')}”" in shown_texts
    assert asked(card) == [q for _, q in hc.BUTTONS]
    assert [a["title"] for a in card["actions"]] == [t(lang, k) for k, _ in hc.BUTTONS]
    assert hc.help_card(lang, "Jag förstod inte.")["body"][1]["text"] == "Jag förstod inte."
    assert hc.help_text(lang).startswith(t(lang, "help_title") + ": ”")
    rows = table_rows(hc.help_table(lang))
    assert len(rows) == len(hc.TOPICS) and rows[0][0] == t(lang, "help.topic.forecast")


# How the help card's introduction names the three languages, and the words for "as text"
# that the language's lexicon reads (understanding/lexicon/*.json, cue as_text).
INTRO_WORDS = {"sv": ("svenska", "finska", "engelska", "som text"),
               "en": ("English", "Swedish", "Finnish", "as text"),
               "fi": ("suomeksi", "ruotsiksi", "englanniksi", "tekstinä")}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_help_intro_names_every_language_and_its_own_as_text(lang: str) -> None:
    """Finnish is a full third language: the intro says one may ask in it, and the Finnish
    intro tells the Finnish words for a text answer, not the English ones."""
    intro = hc.help_card(lang)["body"][1]["text"]
    for word in INTRO_WORDS[lang]:
        assert word in intro, (lang, word, intro)
    if lang != "en":
        assert "as text" not in intro


def test_the_help_buttons_ask_structured_questions() -> None:
    assert [q.intent for _, q in hc.BUTTONS] == [Intent.ASSIGNMENTS, Intent.SUMMARY,
                                                 Intent.FINANCE, Intent.UNITS]
    assert hc.BUTTONS[2][1].form is Form.TOTAL and hc.BUTTONS[0][1].filter.overdue


def test_units_card_and_texts() -> None:
    units = demo().units[NORRTALJE]
    card = hc.units_card("sv", units, "Norrtälje kommun")
    shown_texts = texts(card)
    assert shown_texts[:2] == ["Enheter", "Norrtälje kommun"]
    it = shown_texts.index("IT")
    assert shown_texts[it + 1] == "0 uppdrag · ekonomi"
    assert hc.units_text("sv", units).startswith("Enheter: ")
    assert all(u.name in hc.units_text("sv", units) for u in units)
    rows = table_rows(hc.units_table("en", units))
    assert rows[0] == ["Responsible", "#", "finance"]
    assert ["IT", "0", "yes"] in rows and len(rows) == len(units) + 1


def test_a_unit_shows_what_it_has() -> None:
    unit = UnitView(1, "Kultur", 3, True, True, "kulturchefen")
    card = hc.units_card("sv", [unit], "X")
    assert "3 uppdrag · ekonomi · budget · kulturchefen" in texts(card)


@pytest.mark.parametrize(("lang", "said", "none"), [
    ("sv", "Ansvarsperson: dataförvaltningschefen", "Ingen ansvarsperson angiven för Stab"),
    ("en", "Responsible person: dataförvaltningschefen", "No responsible person recorded for Stab"),
    ("fi", "Vastuuhenkilö: dataförvaltningschefen",
     "Yksikölle Stab ei ole kirjattu vastuuhenkilöä"),
])
def test_a_unit_asked_about_says_who_answers_for_it(lang: str, said: str, none: str) -> None:
    """"kuka vastaa ICT:stä?": the named units only, each with its responsible person in
    words (or that none is recorded) and the unit it belongs to."""
    ict = next(u for u in demo().units[LOVISA] if u.name.startswith("Informations-"))
    stab = UnitView(9, "Stab", 2, True, False)
    card = hc.units_card(lang, [ict, stab], "Lovisa stad", focused=True)
    assert_valid_cards([card])
    shown_texts = texts(card)
    assert said in shown_texts and none in shown_texts
    assert t(lang, "unit_parent", name="Stadskanslicentralen") in shown_texts
    assert said in hc.units_text(lang, [ict, stab], focused=True)


def test_clarify_offers_at_most_four_readings_and_help() -> None:
    options = [(f"Läsning {i}", Question(Intent.FINANCE, units=(i,))) for i in range(1, 8)]
    card = hc.clarify_card("sv", "Jag är osäker.", options)
    assert texts(card) == ["Jag är osäker.", "Menade du någon av dessa?"]
    assert asked(card) == [q for _, q in options[:hc.MAX_OPTIONS]] + [Question(Intent.HELP)]
    assert len(card["actions"]) == 5  # the most a card may have
    assert hc.clarify_text("sv", "Jag är osäker.", options[:2]) == (
        "Jag är osäker. Menade du någon av dessa? Läsning 1 / Läsning 2")
    nothing = hc.clarify_card("en", "Not sure.", [])
    assert texts(nothing)[1] == t("en", "try_help") and asked(nothing) == [
        Question(Intent.HELP)]
    assert hc.clarify_text("en", "Not sure.", []) == f"Not sure. {t('en', 'try_help')}"


def test_a_button_title_is_cut_to_what_teams_shows() -> None:
    card = hc.clarify_card("sv", "?", [("x" * 300, Question(Intent.UNITS))])
    assert len(card["actions"][0]["title"]) <= 80


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_help_card_is_valid(lang: str) -> None:
    options = [("IT", Question(Intent.FINANCE, units=(1,))),
               ("Stab och planering", Question(Intent.FINANCE, units=(2,)))]
    cards = [hc.help_card(lang), hc.help_card(lang, "?"),
             *(hc.units_card(lang, units, "Org") for units in demo().units.values()),
             hc.units_card(lang, [], "Tom"), hc.clarify_card(lang, "?", options),
             hc.clarify_card(lang, "?", [])]
    assert_valid_cards(cards)


def test_markdown_in_unit_names_shows_literally() -> None:
    units = [UnitView(1, "**IT** [x](http://y)", 1, True, False, "`chef`")]
    card = hc.units_card("sv", units, "_Org_")
    shown_texts = [shown(x) for x in texts(card)]
    assert "**IT** [x](http://y)" in shown_texts and "_Org_" in shown_texts
    assert "**IT** [x](http://y)" in shown(hc.units_text("sv", units))
    said = "Jag hittar ingen enhet som heter ”*Kultur*”."
    card = hc.clarify_card("sv", said, [("**IT**", Question(Intent.UNITS))])
    assert shown(card["body"][0]["text"]) == said
    # The plain-text summary sent with the card, with and without readings to offer.
    assert shown(hc.clarify_text("sv", said, [])).startswith(said)
    assert shown(hc.clarify_text("sv", said, [("IT", Question(Intent.UNITS))])).startswith(said)
    assert "**IT**" in shown(hc.clarify_text("sv", "?", [("**IT**", Question(Intent.UNITS))]))
