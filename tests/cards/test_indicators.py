"""Indicator cards on Lerum's (values over years, a printed forecast direction) and
Nyköping's (one value, a printed trend, comparison values, women and men) demo indicators."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from demo_views import LERUM, NYKOPING, charts_in, check, demo, indicator, size, table_rows

from cards import indicators as ic
from cards.texts import LANGUAGES
from storage import indicators as rules
from storage.domain import Direction, Judgement
from storage.queries import IndicatorView, IndicatorYear

SICK = "Sjukfrånvaro samtlig"
RANKING = "Svenskt näringslivs ranking"
HEALTH = "Invånare med bra självskattat"


def every_indicator() -> list[IndicatorView]:
    return [*demo().indicators[LERUM], *demo().indicators[NYKOPING]]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_indicator_card(lang: str) -> None:
    items = every_indicator()
    check([ic.indicator_card(lang, i) for i in items], *([i.name] for i in items))


def test_sick_leave_values_with_a_missing_year_and_the_printed_forecast() -> None:
    sick = indicator(LERUM, SICK)
    card = ic.indicator_card("sv", sick)
    [text] = check([card], ["9,0 %", "9,3 %", "2023", "Prognos 2024", "Minskande (positiv)",
                            "Förändring 2021–2022", "+0,3, Ökande (negativ)"])
    assert "2023 saknas" in text  # the text alternative names the gap
    [chart] = charts_in(card)
    assert chart["type"] == "Chart.Line"
    [series] = chart["data"]
    # The missing years are not drawn (a line to 0 would lie).
    assert series["values"] == [{"x": "2021", "y": 9.0}, {"x": "2022", "y": 9.3}]
    fallback = [f["value"] for f in chart["fallback"]["items"][1]["facts"]]
    assert fallback == ["9,0 %", "9,3 %", "–", "–"]
    # The headline: the report's forecast (newer than the latest value), in colour.
    d = rules.development(sick)
    assert (d.year, d.direction, d.judgement, d.printed) == (2024, Direction.DECREASING,
                                                             Judgement.POSITIVE, "forecast")
    headline = next(e for e in card["body"] if e.get("text", "").startswith("Prognos 2024"))
    assert headline["color"] == "Good"


def test_ranking_decreasing_is_positive() -> None:
    rank = indicator(LERUM, RANKING)
    [chart] = charts_in(ic.indicator_card("sv", rank))
    assert [v["y"] for v in chart["data"][0]["values"]] == [109, 130, 86]
    before, after, d = rules.previous(rank), rules.latest(rank), rules.computed(rank)
    assert (before.total, after.total) == (Decimal(130), Decimal(86))
    assert (d.direction, d.judgement) == (Direction.DECREASING, Judgement.POSITIVE)
    text = ic.indicator_text("sv", rank)
    assert "86 (2023). Förändring 2022–2023: -44, Minskande (positiv)." in text
    assert "Prognos 2024: Minskande (positiv)." in text
    assert "-44, Decreasing (positive)" in ic.indicator_text("en", rank)
    assert "-44, Laskeva (myönteinen)" in ic.indicator_text("fi", rank)


def test_printed_judgement_gives_the_direction() -> None:
    """Nyköping prints Trend 'Neg' for a higher-is-better share: it is decreasing."""
    health = indicator(NYKOPING, HEALTH)
    d = rules.printed(health)
    assert (d.direction, d.judgement, d.printed) == (Direction.DECREASING, Judgement.NEGATIVE,
                                                     "trend")
    card = ic.indicator_card("sv", health)
    check([card], ["66 % (2022)", "Trend 2022", "Minskande (negativ)",
                   "Jämförvärde (Mindre stad/tätort)", "70 % (sämre än jämförvärdet)",
                   "Kvinnor", "63 %", "Män", "69 %", "U01405"])
    headline = next(e for e in card["body"] if e.get("text", "").startswith("Trend 2022"))
    assert headline["color"] == "Attention"
    assert rules.versus_comparison(health) == "worse"


def test_target_and_comparison_through_the_polarity() -> None:
    violence = indicator(NYKOPING, "Anmälda våldsbrott")  # lower is better: 1063 vs 870
    assert rules.versus_comparison(violence) == "worse"
    waste = indicator(NYKOPING, "Kommunalt avfall som samlats")  # higher: 50 vs 39
    assert rules.versus_comparison(waste) == "better"
    assert rules.versus_target(waste) is None
    year = replace(waste.years[-1], target=Decimal(60))
    with_target = replace(waste, years=[year])
    assert rules.versus_target(with_target) == "worse"
    check([ic.indicator_card("en", with_target)],
          ["Target", "60 % (worse than the target)", "better than the comparison value"])


def test_missing_values_are_missing_never_zero() -> None:
    empty = indicator(NYKOPING, "Antal företag och organisationer")
    assert rules.latest(empty) is None
    assert ic.indicator_text("sv", empty) == (
        "Antal företag och organisationer i samverkan inom ram för klimatarbete: "
        "inget värde ännu.")
    card = ic.indicator_card("fi", empty)
    check([card], ["ei vielä arvoa"])
    assert charts_in(card) == []  # nothing to draw
    assert ic.value_words(empty, None) == "–"


def test_precision_as_printed() -> None:
    el = indicator(NYKOPING, "Elförbrukning")
    assert ic.value_words(el, rules.latest(el).total) == "59,91"
    phone = indicator(NYKOPING, "SKRs servicemätning: Enkelhet index telefoni")
    assert ic.value_words(phone, rules.latest(phone).total) == "70,0"


def test_neutral_indicator_is_not_judged() -> None:
    base = indicator(LERUM, RANKING)
    neutral = replace(base, polarity="neutral",
                      years=[replace(y, direction="") for y in base.years])
    d = rules.development(neutral)
    assert (d.direction, d.judgement) == (Direction.DECREASING, None)
    assert rules.judgement(neutral) is None
    check([ic.indicator_card("sv", neutral)], ["Minskande", "neutralt"])


def test_indicator_table() -> None:
    table = ic.indicator_table("sv", indicator(LERUM, SICK))
    assert ["2023", "–"] in table_rows(table)
    assert ["2024", "–", "Minskande"] in table_rows(table)
    assert "Kvinnor" in ic.indicator_table("sv", indicator(NYKOPING, HEALTH))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_indicator_lists(lang: str) -> None:
    nykoping = demo().indicators[NYKOPING]
    assert len(nykoping) == 30
    cards = [ic.indicators_card(lang, nykoping, "Nyköping"),
             ic.indicators_card(lang, demo().indicators[LERUM], "Lerum"),
             ic.indicators_card(lang, [], "Inga")]
    texts = check(cards, ["66 % (2022)", "9,1 % (2023)"], ["9,3 % (2022)", "86 (2023)"], [])
    assert max(size(c) for c in cards) < 20_000
    assert {"sv": "Inga nyckeltal att visa.", "en": "No indicators to show.",
            "fi": "Ei näytettäviä tunnuslukuja."}[lang] in texts[2]


def test_list_colours_follow_the_judgement() -> None:
    card = ic.indicators_card("sv", demo().indicators[NYKOPING], "Nyköping")
    table = next(e for e in card["body"] if e["type"] == "Table")
    by_name = {r["cells"][0]["items"][0]["text"]: r["cells"][2]["items"][0]
               for r in table["rows"][1:]}
    assert by_name["Kassalikviditet kommunen (%)"]["color"] == "Good"
    assert by_name["Insamlat kommunalt avfall totalt, kg/invånare"]["color"] == "Attention"
    assert by_name["Insamlat kommunalt avfall totalt, kg/invånare"]["text"] == "Negativ"


def test_indicator_list_texts() -> None:
    text = ic.indicators_text("sv", demo().indicators[LERUM], "Lerum")
    assert text.startswith("Lerum (6 nyckeltal): ")
    assert "Sjukfrånvaro samtlig månadsavlönad personal (%) 9,3 % (2022), positiv" in text
    assert ic.indicators_text("en", [], "X") == "X: No indicators to show."
    assert "Kassalikviditet" in ic.indicators_table("fi", demo().indicators[NYKOPING], "N")


def test_digest_part() -> None:
    from cards.elements import card

    lerum = demo().indicators[LERUM]
    negative = [i for i in demo().indicators[NYKOPING]
                if rules.judgement(i) is Judgement.NEGATIVE]
    assert ic.indicator_digest_part("sv", [], []) == []
    many = [replace(lerum[0], id=100 + n, name=f"Nyckeltal {n}") for n in range(14)]
    for lang in LANGUAGES:
        parts = [ic.indicator_digest_part(lang, lerum[:2], negative),
                 ic.indicator_digest_part(lang, many, [])]
        texts = check([card(p) for p in parts], [lerum[0].name, negative[0].name], [])
        assert ("2 nya värden" if lang == "sv" else "") in texts[0]
    [text] = check([card(ic.indicator_digest_part("en", many, []))])
    assert "14 new values" in text and "… and 4 more" in text


def test_a_value_turning_negative() -> None:
    """A computed change when nothing newer is printed."""
    years = [IndicatorYear(2022, Decimal("70"), None, None, None, None, "", ""),
             IndicatorYear(2023, Decimal("65"), None, None, None, None, "", "")]
    view = IndicatorView(1, "Nöjdhet", "KS", 1, "", "index", "higher_better", "", "", years)
    assert rules.judgement(view) is Judgement.NEGATIVE
    check([ic.indicator_card("sv", view)], ["65 (2023)", "Förändring 2022–2023", "-5",
                                            "Minskande (negativ)"])
