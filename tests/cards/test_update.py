"""cards/update.py: the update card (inputs, Action.Execute with an Action.Submit fallback,
the version it showed) and the read-only card that replaces it once saved, in every
language."""

from __future__ import annotations

from datetime import date

import pytest
from card_helpers import MARKDOWN_TITLE, actions, comment, shown, texts, view
from card_validation import assert_valid_cards
from demo_views import TODAY, demo

from cards import update as uc
from cards.texts import LANGUAGES
from storage.domain import Forecast, Status
from storage.updates import MAX_COMMENT_CHARS


def inputs(card: dict) -> dict[str, dict]:
    return {e["id"]: e for e in card["body"] if str(e["type"]).startswith("Input.")}


def test_the_update_card_offers_every_value_and_remembers_the_version() -> None:
    a = view(12, date(2025, 12, 31), version=4,
             comments=[comment("Arbetet pågår.", date(2025, 9, 1))])
    card = uc.update_card("sv", a, TODAY)
    fields = inputs(card)
    assert list(fields) == ["status", "forecast", "due_date", "comment"]
    assert fields["status"]["value"] == "started" and fields["status"]["isRequired"]
    assert [c["value"] for c in fields["status"]["choices"]] == [
        "not_started", "started", "completed"]
    assert [c["title"] for c in fields["forecast"]["choices"]] == [
        "Enligt plan", "Avvikelse från plan"]
    assert fields["comment"]["maxLength"] == MAX_COMMENT_CHARS and fields["comment"][
        "isMultiline"]
    [save] = card["actions"]
    assert save["type"] == "Action.Execute" and save["verb"] == uc.UPDATE_VERB
    assert save["data"] == {"assignment_id": 12, "version": 4}
    assert save["fallback"] == {"type": "Action.Submit", "title": "Spara",
                                "data": {"assignment_id": 12, "version": 4,
                                         "verb": uc.UPDATE_VERB}}
    shown_texts = texts(card)
    assert "2025-09-01: Arbetet pågår." in shown_texts and "Uppdrag 12" in shown_texts


def test_not_reported_is_offered_only_where_it_is_the_current_value() -> None:
    a = view(1, None, status=Status.NOT_REPORTED, forecast=Forecast.NOT_REPORTED)
    fields = inputs(uc.update_card("en", a, TODAY))
    assert "not_reported" in [c["value"] for c in fields["status"]["choices"]]
    assert "not_reported" in [c["value"] for c in fields["forecast"]["choices"]]
    assert "2025" not in str(fields["due_date"])  # no current date: "–" in the facts


def test_saved_text_says_what_changed() -> None:
    a = view(3, TODAY, title="Införa e-arkiv.")
    assert uc.saved_text("sv", a, "status: started → completed") == (
        "Sparat: Införa e-arkiv: status Påbörjad → Slutförd.")
    assert uc.saved_text("en", a, "") == "Saved: Införa e-arkiv (comment only)."


def test_the_updated_card_is_read_only_and_refreshes_for_its_author() -> None:
    a = view(3, TODAY, comments=[comment("Klart.", TODAY, "Maria",
                                         changes="status: started → completed")])
    card = uc.updated_card("sv", a, TODAY, "Sparat: Uppdrag 3.", author_id="aad-maria")
    assert card["body"][0]["text"] == "Sparat: Uppdrag 3." and card["body"][0][
        "color"] == "Good"
    assert not inputs(card)
    assert card["refresh"] == {
        "action": {"type": "Action.Execute", "verb": uc.REFRESH_VERB,
                   "data": {"assignment_id": 3}}, "userIds": ["aad-maria"]}
    assert "refresh" not in uc.updated_card("sv", a, TODAY, "x")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_update_card_is_valid(lang: str) -> None:
    cards = []
    for a in demo().assignments[:12]:
        cards.append(uc.update_card(lang, a, TODAY))
        cards.append(uc.updated_card(lang, a, TODAY, uc.saved_text(
            lang, a, "status: started → completed; due_date: – → 2026-01-31"), "aad-1"))
    assert all(a["type"] != "Action.Execute" or a.get("verb") for c in cards
               for a in actions(c))
    assert_valid_cards(cards)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_markdown_in_imported_text_shows_literally(lang: str) -> None:
    a = view(1, TODAY, title=MARKDOWN_TITLE, unit="_IT_",
             comments=[comment(MARKDOWN_TITLE, TODAY, "**Maria**")])
    for card in (uc.update_card(lang, a, TODAY),
                 uc.updated_card(lang, a, TODAY, uc.saved_text(lang, a, ""))):
        shown_texts = [shown(t) for t in texts(card)]
        assert MARKDOWN_TITLE in shown_texts
        assert any(MARKDOWN_TITLE in t for t in shown_texts if t != MARKDOWN_TITLE)
    # The plain-text summary sent with the update card.
    assert shown(uc.update_text(lang, a)).endswith(f"#1 {MARKDOWN_TITLE}")
