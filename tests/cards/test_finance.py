"""Finance cards on Norrtälje's demo figures (tkr): one unit, rankings, the total and "which
units", in every language."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import pytest
from demo_views import charts_in, check, demo, size, unit

from cards import finance as fc
from cards.texts import LANGUAGES
from storage.finance import BALANCES, MEASURES, ranked

IT = "IT"


def test_deviation_words() -> None:
    it = unit(IT)
    assert fc.deviation_words("sv", it.deviation) == "+1 372 tkr (överskott)"
    assert fc.deviation_words("sv", -it.deviation) == "-1 372 tkr (underskott)"
    assert fc.deviation_words("sv", it.deviation * 0) == "0 tkr (i balans)"
    assert fc.deviation_words("en", it.deviation) == "+1 372 SEK thousand (surplus)"
    assert fc.deviation_words("fi", Decimal(-5), "EUR") == "-5 € (alijäämä)"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_forecast_card_every_unit(lang: str) -> None:
    d = demo()
    cards = [fc.forecast_card(lang, f, d.counts[f.unit]) for f in d.finance]
    expected = [[f.unit, "-41 225", "-39 853", "+1 372", "-20 813", "-23 978"]
                if f.unit == IT else [f.unit] for f in d.finance]
    check(cards, *expected)


def test_forecast_card_has_a_chart_of_year_and_period() -> None:
    it = unit(IT)
    card = fc.forecast_card("sv", it, demo().counts[IT])
    [chart] = charts_in(card)
    assert chart["type"] == "Chart.VerticalBar"
    # Net costs, printed negative, are drawn by their size (negative bars draw as nothing).
    assert chart["title"] == "Nettokostnad: budget, prognos och utfall (tkr)"
    assert [p["y"] for p in chart["data"]] == [41225, 39853, 23978, 20813]
    assert "-41 225 tkr" in json.dumps(chart["fallback"], ensure_ascii=False)
    # The outcomes are coloured by their deviation, the budgets neutral.
    assert [p["color"] for p in chart["data"]] == ["neutral", "good", "neutral", "good"]
    assert "fallback" in chart


def test_forecast_chart_of_incomes_as_they_are_and_none_for_mixed_signs() -> None:
    it = unit(IT)
    incomes = replace(it, budget_period=Decimal(10), actual_period=Decimal(12),
                      budget_year=Decimal(30), forecast_year=Decimal(31))
    [chart] = charts_in(fc.forecast_card("en", incomes, demo().counts[IT]))
    assert chart["title"] == "Budget, forecast and actual (SEK thousand)"
    assert [p["y"] for p in chart["data"]] == [30, 31, 10, 12]
    mixed = replace(incomes, actual_period=Decimal(-2))
    assert charts_in(fc.forecast_card("en", mixed, demo().counts[IT])) == []


def test_forecast_card_of_a_unit_without_assignments_has_no_assignments_part() -> None:
    from storage.queries import AssignmentCounts

    it = unit(IT)
    shown = json.dumps(fc.forecast_card("sv", it, AssignmentCounts(0, 0, 0, 0)),
                       ensure_ascii=False)
    assert "Uppdrag för IT" not in shown and "Försenade uppdrag för IT" not in shown
    shown = json.dumps(fc.forecast_card("sv", it, AssignmentCounts(2, 1, 1, 0)),
                       ensure_ascii=False)
    assert "Uppdrag för IT" in shown and "Försenade uppdrag för IT" in shown


def test_forecast_text_and_table() -> None:
    it = unit(IT)
    text = fc.forecast_text("sv", it)
    for figure in ("IT", "-41 225 tkr", "-39 853 tkr", "+1 372 tkr (överskott)", "-20 813 tkr",
                   "2025-07-31"):
        assert figure in text
    assert "31.7.2025" in fc.forecast_text("fi", it)
    table = fc.forecast_table("en", it)
    assert "-41 225" in table and "+1 372 SEK thousand (surplus)" in table
    assert "-1 000 €" in fc.forecast_text("en", replace(it, budget_year=Decimal(-1000)), "EUR")


def test_ranking_names_the_top_units_first_with_their_figure() -> None:
    views = demo().finance
    assert fc.ranking_text("sv", views, "surplus") == (
        "Störst överskott i prognosen: Stab och planering +1 866 tkr (överskott).")
    three = fc.ranking_text("en", views, "surplus", top=3)
    assert three.index("Stab och planering") < three.index("IT") < three.index("Räddningstjänst")
    assert fc.ranking_text("sv", views, "budget") == (
        "Störst budget (helår): Stab och planering -97 838 tkr.")
    assert fc.ranking_text("sv", views, "actual").startswith(
        "Störst utfall (perioden): Räddningstjänst -50 191 tkr")
    assert [f.unit for f in ranked(views, "forecast")][:2] == ["Stab och planering",
                                                                  "Räddningstjänst"]


def test_a_deficit_ranking_without_deficits_says_so() -> None:
    views = demo().finance
    assert fc.ranking_text("sv", views, "deficit") == "Ingen enhet har underskott i prognosen."
    assert fc.ranking_text("en", views, "deficit") == "No unit forecasts a deficit."
    assert fc.ranking_text("fi", views, "deficit") == "Yksikään yksikkö ei ennusta alijäämää."


def test_a_deficit_ranks_first_when_there_is_one() -> None:
    views = [replace(f, forecast_year=f.budget_year - 500) if f.unit == "HR-avdelning" else f
             for f in demo().finance]
    assert fc.ranking_text("sv", views, "deficit") == (
        "Störst underskott i prognosen: HR-avdelning -500 tkr (underskott).")
    card = fc.ranking_card("sv", views, "deficit")
    [chart] = charts_in(card)
    assert chart["data"][0] == {"x": "HR-avdelning", "y": -500, "color": "attention"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_ranking_cards(lang: str) -> None:
    views = demo().finance
    cards = [fc.ranking_card(lang, views, m, top) for m in MEASURES for top in (1, 3)]
    check(cards, *([f.unit for f in views] for _ in cards))
    for card in cards:
        [chart] = charts_in(card)  # every unit's deviation, whatever the measure
        assert chart["type"] == "Chart.HorizontalBar"
        assert {p["x"] for p in chart["data"]} == {f.unit for f in views}
        colors = {p["x"]: p["color"] for p in chart["data"]}
        assert colors["IT"] == "good" and colors["HR-avdelning"] == "neutral"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_total_card(lang: str) -> None:
    views = demo().finance
    [text] = check([fc.total_card(lang, views)], ["-329 261", "-324 377", "+4 884", "+1 372"])
    assert "+4 884" in fc.total_text(lang, views)
    assert "Stab och planering" in fc.total_table(lang, views)


def test_total_text() -> None:
    assert fc.total_text("sv", demo().finance) == (
        "Summa för 7 enheter: budget helår -329 261 tkr, prognos helår -324 377 tkr, "
        "avvikelse +4 884 tkr (överskott).")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_which_cards(lang: str) -> None:
    views = demo().finance
    cards = [fc.which_card(lang, views, b) for b in BALANCES]
    texts = check(cards, ["Stab och planering", "+1 866", "IT", "+1 372"],
                  ["Stab och planering", "+1 866"], ["Näringsliv", "0"])
    none = {"sv": "Ingen enhet har underskott i prognosen.",
            "en": "No unit forecasts a deficit.",
            "fi": "Yksikään yksikkö ei ennusta alijäämää."}[lang]
    assert none in texts[0]  # and the bars are still there
    assert len(charts_in(cards[0])) == 1


def test_which_texts() -> None:
    views = demo().finance
    assert fc.which_text("sv", views, "deficit") == "Ingen enhet har underskott i prognosen."
    surplus = fc.which_text("sv", views, "surplus")
    assert surplus.startswith("Enheter med överskott i prognosen (4 enheter): ")
    assert "IT +1 372 tkr (överskott)" in surplus
    assert fc.which_text("en", views, "balanced").startswith(
        "Units forecasting a balanced result (3 units): Ekonomiavdelning 0 SEK thousand")
    assert "HR-avdelning" in fc.which_table("sv", views, "balanced")


def test_no_figures() -> None:
    for lang in LANGUAGES:
        check([fc.ranking_card(lang, [], "surplus"), fc.total_card(lang, []),
               fc.which_card(lang, [], "deficit")])
    assert fc.ranking_text("en", [], "deficit") == "There are no finance figures."


def test_many_units_stay_under_the_limit() -> None:
    """A big organisation: 60 units in every cross-unit card."""
    base = demo().finance
    views = [replace(base[i % len(base)], unit=f"{base[i % len(base)].unit} {i}",
                     forecast_year=base[i % len(base)].forecast_year + (i % 5 - 2) * 100)
             for i in range(60)]
    cards = [fc.ranking_card("fi", views, "deficit", 5), fc.total_card("sv", views),
             fc.which_card("en", views, "deficit")]
    check(cards)
    assert max(size(c) for c in cards) < 28_000
