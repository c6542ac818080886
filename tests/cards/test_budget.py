"""Yearly budget cards on Lovisa's demo budget (EUR; line items × 2023–2027)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from demo_views import charts_in, check, demo, size

from cards import budget as bc
from cards.texts import LANGUAGES

ICT = "Informations- och kommunikationsteknologitjänster"
EPT = "Ekonomi- och personaltjänster"
CENTRE = "Stadskanslicentralen"  # the largest table: 17 lines × 5 years
COSTS = "verksamhetens kostnader"


def budget(unit: str):  # noqa: ANN201 - a BudgetView
    return demo().budgets[unit]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_budget_card_in_every_focus(lang: str) -> None:
    cards, expected = [], []
    for b in demo().budgets.values():
        for year, line in ((None, None), (b.years[-1], None), (None, COSTS),
                           (b.years[0], COSTS)):
            cards.append(bc.budget_card(lang, b, "EUR", year, line))
            expected.append([b.unit, *(bc.column_label(lang, c) for c in b.columns)])
    check(cards, *expected)


def test_ict_costs_over_the_years_and_the_missing_income() -> None:
    card = bc.budget_card("sv", budget(ICT), "EUR")
    [text] = check([card], ["Verksamhetens kostnader", "-929 624", "-1 151 466", "-1 118 985",
                            "Bokslut 2023", "Budget 2024 (inkl. ändringar)", "Budget 2025"])
    # ICT prints no income for 2025: shown as missing, never 0, and not drawn.
    table = next(e for e in card["body"] if e["type"] == "Table")
    income = next(r for r in table["rows"] if r["cells"][0]["items"][0]["text"]
                  == "Verksamhetens intäkter")
    assert [c["items"][0]["text"] for c in income["cells"][1:]] == ["27 495", "20 000", "–"]
    [chart] = charts_in(card)
    assert chart["type"] == "Chart.VerticalBar.Grouped"
    series = {s["legend"]: s["values"] for s in chart["data"]}
    assert series["Verksamhetens intäkter"] == [{"x": "Bokslut 2023", "y": 27495},
                                                {"x": "Budget 2024", "y": 20000}]
    assert [v["y"] for v in series["Verksamhetens kostnader"]] == [-929624, -1151466, -1118985]


def test_column_headers_per_language() -> None:
    centre = budget(CENTRE)
    assert [bc.column_label("sv", c) for c in centre.columns] == [
        "Bokslut 2023", "Budget 2024 (inkl. ändringar)", "Budget 2025", "Ekonomiplan 2026",
        "Ekonomiplan 2027"]
    assert [bc.column_label("fi", c) for c in centre.columns] == [
        "Tilinpäätös 2023", "Talousarvio 2024 (sis. muutokset)", "Talousarvio 2025",
        "Taloussuunnitelma 2026", "Taloussuunnitelma 2027"]
    assert [bc.column_label("en", c) for c in centre.columns] == [
        "Actual 2023", "Budget 2024 (incl. changes)", "Budget 2025", "Plan 2026", "Plan 2027"]


def test_a_year_in_focus_leads_with_that_years_main_lines() -> None:
    """'vad är budgeten för ekonomi- och personaltjänster 2025?'"""
    ept = budget(EPT)
    text = bc.budget_text("sv", ept, "EUR", year=2025)
    assert text == ("Budget – Ekonomi- och personaltjänster, Budget 2025 (€): "
                    "Verksamhetens intäkter 150 000; Verksamhetens kostnader -2 006 705; "
                    "Verksamhetsbidrag, externt -1 856 705.")
    card = bc.budget_card("sv", ept, "EUR", year=2025)
    lead = next(e for e in card["body"] if e["type"] == "FactSet")
    assert [(f["title"], f["value"]) for f in lead["facts"]] == [
        ("Verksamhetens intäkter", "150 000 €"), ("Verksamhetens kostnader", "-2 006 705 €"),
        ("Verksamhetsbidrag, externt", "-1 856 705 €")]
    check([card], ["Budget 2025", "-2 006 705 €", "-1 856 705 €"])


def test_a_line_in_focus() -> None:
    ict = budget(ICT)
    assert bc.budget_text("en", ict, "EUR", line_key=COSTS) == (
        "Budget – Informations- och kommunikationsteknologitjänster (€): Verksamhetens "
        "kostnader: Actual 2023 -929 624, Budget 2024 (incl. changes) -1 151 466, "
        "Budget 2025 -1 118 985.")
    assert bc.budget_text("fi", ict, "EUR", year=2025, line_key=COSTS) == (
        "Talousarvio – Informations- och kommunikationsteknologitjänster, Talousarvio 2025 "
        "(€): Verksamhetens kostnader -1 118 985.")
    card = bc.budget_card("sv", ict, "EUR", 2025, COSTS)
    check([card], ["Verksamhetens kostnader · Budget 2025", "-1 118 985 €"])
    [chart] = charts_in(card)
    assert [s["legend"] for s in chart["data"]] == ["Verksamhetens kostnader"]


def test_missing_amounts_are_words_in_texts() -> None:
    assert "Budget 2025 saknas" in bc.budget_text("sv", budget(ICT), "EUR")
    assert "Budget 2025 missing" in bc.budget_text("en", budget(ICT), "EUR")
    assert "Talousarvio 2025 puuttuu" in bc.budget_text("fi", budget(ICT), "EUR")


def test_unknown_year_or_line_says_so_and_shows_the_budget() -> None:
    ict = budget(ICT)
    text = bc.budget_text("sv", ict, "EUR", year=2027)
    assert text.startswith("Budgeten för Informations- och kommunikationsteknologitjänster har "
                           "inga siffror för 2027 (det finns 2023, 2024, 2025).")
    check([bc.budget_card("en", ict, "EUR", 2027, "no such line")],
          ["has no figures for 2027", "has no line “no such line”", "-929 624"])


def test_largest_table_stays_under_the_limit() -> None:
    centre = budget(CENTRE)
    assert len(centre.lines) == 17 and len(centre.columns) == 5
    cards = [bc.budget_card(lang, centre, "EUR", year, line) for lang in LANGUAGES
             for year in (None, 2024) for line in (None, "personalkostnader")]
    check(cards)
    assert max(size(c) for c in cards) < 20_000  # well under 28 KB: the envelope counts too


def test_budget_table_as_text() -> None:
    table = bc.budget_table("sv", budget(CENTRE), "EUR")
    assert "Ekonomiplan 2027" in table
    assert table.startswith(bc.budget_text("sv", budget(CENTRE), "EUR")) and "```" in table

    def cells(name: str) -> list[str]:  # a pipe-table row's cells, figures one a column
        row = next(line for line in table.splitlines()
                   if line.startswith("|") and line.split("|")[1].strip() == name)
        return [c.strip() for c in row.strip("|").split("|")]

    row = cells("Personalkostnader")
    assert row[1] == "-1 887 887" and row[-1] == "-2 172 600"
    assert cells("Avgiftsintäkter")[-4:] == ["–", "–", "–", "–"]


def test_change_between_two_years() -> None:
    centre = budget(CENTRE)
    assert bc.budget_change_text("sv", centre, "personalkostnader", 2024, 2025, "EUR") == (
        "Personalkostnader ändras från -1 935 039 € (2024) till -2 094 694 € (2025): "
        "-159 655 € (+8,3 %).")
    assert bc.budget_change_text("en", centre, "personalkostnader", 2024, 2025, "EUR") == (
        "Personalkostnader changes from -1 935 039 € (2024) to -2 094 694 € (2025): "
        "-159 655 € (+8.3%).")
    assert bc.budget_change_text("fi", centre, "försäljningsintäkter", 2024, 2025, "EUR") == (
        "Försäljningsintäkter: 20 500 € (2024) → 500 € (2025), muutos -20 000 € (-97,6 %).")
    assert bc.budget_change_text("sv", centre, "avgiftsintäkter", 2023, 2024, "EUR") == (
        "Avgiftsintäkter: det finns ingen siffra för 2024.")
    # From zero there is no percentage.
    zero = bc.budget_change_text("sv", centre, "övriga verksamhetsintäkter", 2023, 2023, "EUR")
    assert zero == ("Övriga verksamhetsintäkter ändras från 0 € (2023) till 0 € (2023): 0 €.")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_change_cards(lang: str) -> None:
    centre = budget(CENTRE)
    cards = [bc.budget_change_card(lang, centre, "personalkostnader", 2024, 2025, "EUR"),
             bc.budget_change_card(lang, centre, "avgiftsintäkter", 2023, 2024, "EUR"),
             bc.budget_change_card(lang, centre, "nothing", 2023, 2024, "EUR")]
    check(cards, ["-1 935 039 €", "-2 094 694 €", "-159 655 €", "8"], ["-675"], [])
    [chart] = charts_in(cards[0])
    picked = [p["x"] for p in chart["data"] if p["color"] == "categoricalBlue"]
    assert len(picked) == 2


def test_no_forecast_text() -> None:
    assert bc.no_forecast_text("sv", CENTRE) == (
        "Stadskanslicentralen har ingen prognos – det finns bara en budget. "
        "Så här ser budgeten ut.")
    assert "no forecast" in bc.no_forecast_text("en", CENTRE)
    assert "ei ole ennustetta" in bc.no_forecast_text("fi", CENTRE)


def test_main_lines_without_the_usual_names() -> None:
    from storage.domain import Scenario
    from storage.queries import BudgetColumn, BudgetLineView, BudgetView

    lines = [BudgetLineView(name, name.lower(), {(2025, Scenario.BUDGET): Decimal(v)})
             for name, v in (("A", 1), ("B", -500), ("C", 30), ("D", 20))]
    b = BudgetView("X", 1, [BudgetColumn(2025, Scenario.BUDGET)], lines)
    assert [ln.line for ln in bc.main_lines(b)] == ["B", "C", "D"]
    check([bc.budget_card("sv", b, "SEK")], ["-500", "tkr"])
