"""The summary card: Norrtälje's report table (everything reported), Lovisa's key goals
(nothing reported yet) and Nyköping's."""

from __future__ import annotations

import json

import pytest
from demo_views import LOVISA, NORRTALJE, NYKOPING, charts_in, check, demo, size, table_rows

from cards import summary as sc
from cards.texts import LANGUAGES, t
from storage.domain import Status
from storage.queries import Summary


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_summary_card(lang: str) -> None:
    s = demo().summaries
    check([sc.summary_card(lang, s[org]) for org in (NORRTALJE, LOVISA, NYKOPING)],
          ["Uppdrag", "Nämndinitiativ", "36", "28", "8"], ["Nyckelmål", "21"],
          ["Särskilt uppdrag", "8"])


def test_the_report_table() -> None:
    table = sc.summary_table("sv", demo().summaries[NORRTALJE])
    rows = table_rows(table)
    assert ["Totalt", "28", "8", "36"] in rows
    assert ["Påbörjad", "15", "1", "16"] in rows
    assert "Ej rapporterade" not in table  # all reported: the column is left out
    assert sc.summary_text("sv", demo().summaries[NORRTALJE]) == (
        "Sammanställning av uppdrag: Uppdrag 21, Nämndinitiativ 15; 28 enligt plan, "
        "8 avvikelse från plan.")


def test_not_reported_is_counted_apart() -> None:
    lovisa = demo().summaries[LOVISA]
    table = sc.summary_table("en", lovisa)
    assert ["Total", "0", "0", "21", "21"] in table_rows(table)
    assert sc.summary_text("sv", lovisa).endswith(
        "0 enligt plan, 0 avvikelse från plan, 21 ej rapporterade.")
    assert "Ei raportoitu" in sc.summary_table("fi", lovisa)


def test_columns_follow_the_not_reported_count() -> None:
    norrtalje = sc.summary_card("sv", demo().summaries[NORRTALJE])
    lovisa = sc.summary_card("sv", demo().summaries[LOVISA])
    width = [len(next(e for e in c["body"] if e["type"] == "Table")["columns"])
             for c in (norrtalje, lovisa)]
    assert width == [4, 5]


def test_donuts() -> None:
    card = sc.summary_card("sv", demo().summaries[NORRTALJE])
    donuts = charts_in(card)
    assert [d["type"] for d in donuts] == ["Chart.Donut"] * 3  # all, and one per kind
    assert donuts[0]["data"] == [
        {"legend": "Enligt plan", "value": 28, "color": "good"},
        {"legend": "Avvikelse från plan", "value": 8, "color": "warning"}]
    assert [d["title"] for d in donuts[1:]] == ["Uppdrag: prognos", "Nämndinitiativ: prognos"]
    [donut] = charts_in(sc.summary_card("en", demo().summaries[LOVISA]))
    assert donut["data"][-1] == {"legend": "Not reported", "value": 21, "color": "neutral"}


def test_many_kinds_stay_under_the_limit() -> None:
    """Eight kinds, every status: the table alone, with the overall donut."""
    cells = {f"Typ {k}": {st: (k, k % 3, k % 2) for st in Status} for k in range(8)}
    cards = [sc.summary_card(lang, Summary(cells)) for lang in LANGUAGES]
    check(cards)
    assert max(size(c) for c in cards) < 21_000
    assert all(len(charts_in(c)) == 1 for c in cards)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_organisation_without_assignments_is_told_so(lang: str) -> None:
    # Lerum has only indicators: the summary was "Sammanställning av uppdrag: ; 0 enligt
    # plan, 0 avvikelse från plan." over a table of zeros and a donut of nothing.
    empty = sc.summary_card(lang, Summary({}))
    [said] = check([empty], [t(lang, "summary.empty")])
    assert charts_in(empty) == [] and "Table" not in json.dumps(empty)
    assert sc.summary_text(lang, Summary({})) == t(lang, "summary.empty")
    assert sc.summary_table(lang, Summary({})) == t(lang, "summary.empty")
    assert ";" not in said
