"""Plain tests of the rule-based understanding (no SDK, no database)."""

from __future__ import annotations

import pytest

from bot.understanding import guess_language, reply_language, understand


@pytest.mark.parametrize(
    ("question", "intent", "subject"),
    [
        ("what's IT's forecast?", "forecast", "IT"),
        ("What is the forecast for Räddningstjänsten", "forecast", "Räddningstjänsten"),
        ("Hur går det för IT?", "forecast", "IT"),
        ("prognos stab", "forecast", "stab"),
        ("IT:s prognos", "forecast", "IT"),
        ("budget HR-avdelningen", "forecast", "HR-avdelningen"),
        ("prognos för Ekonomiförvaltningen", "forecast", "Ekonomiförvaltningen"),
        ("vilka uppdrag är försenade?", "overdue", ""),
        ("vilka uppdrag är försenade för Stab?", "overdue", "Stab"),
        ("which assignments are overdue for IT", "overdue", "IT"),
        ("overdue", "overdue", ""),
        ("vad förfaller snart?", "due_soon", ""),
        ("what is due soon for Näringsliv", "due_soon", "Näringsliv"),
        ("status trygghetskameror", "status", "trygghetskameror"),
        ("hur går det med trygghetskameror", "status", "trygghetskameror"),
        ("sammanställning", "summary", ""),
        ("summary", "summary", ""),
        ("enheter", "units", ""),
        ("which units are there?", "units", ""),
        ("hjälp", "help", ""),
        ("help", "help", ""),
        ("", "help", ""),
        ("IT", "search", "IT"),
        ("trygghetskameror", "search", "trygghetskameror"),
    ],
)
def test_intent_and_subject(question: str, intent: str, subject: str) -> None:
    understood = understand(question)
    assert (understood.name, understood.subject) == (intent, subject)


def test_as_text_page_days_and_id() -> None:
    assert understand("sammanställning som text").as_text
    assert understand("summary as text").as_text
    assert not understand("sammanställning").as_text
    assert understand("försenade för stab sida 3").page == 3
    assert understand("försenade för stab sida 3").subject == "stab"
    assert understand("due within 90 days").days == 90
    assert understand("förfaller inom 14 dagar").days == 14
    assert understand("vad förfaller snart").days == 30
    assert understand("status #12").assignment_id == 12


def test_language_of_the_question() -> None:
    assert guess_language("vilka uppdrag är försenade?") == "sv"
    assert guess_language("which assignments are overdue?") == "en"
    assert guess_language("IT") is None


def test_reply_language_prefers_the_locale() -> None:
    assert reply_language("en-US", "sv") == "en"
    assert reply_language("sv-SE", "en") == "sv"
    assert reply_language(None, "en") == "en"
    assert reply_language("de-DE", None) == "sv"
    assert reply_language("", None) == "sv"
