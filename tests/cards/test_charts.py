"""Teams' chart elements: each builder's element validates against Microsoft's chart schema
(tests/cardcheck/teams-cards.schema.json), carries a fallback with the same figures that the
official renderer shows (as Teams mobile does), and uses theme colour tokens only; and the
validators catch charts that don't."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

import pytest
from card_validation import TEAMS_CARDS_SCHEMA, renderer_errors, schema_errors
from demo_views import check

from cards import charts
from cards.elements import card

POINTS = [charts.Point("IT", Decimal("1372.00"), "+1 372 tkr", charts.GOOD),
          charts.Point("HR-avdelning", Decimal(0), "0 tkr", charts.NEUTRAL),
          charts.Point("Räddningstjänst", Decimal(-1246), "-1 246 tkr", charts.ATTENTION),
          charts.Point("Näringsliv", None, "–")]
SERIES = [charts.Series("Verksamhetens kostnader",
                        [charts.Point("Bokslut 2023", Decimal(-929624), "-929 624"),
                         charts.Point("Budget 2024", Decimal(-1151466), "-1 151 466"),
                         charts.Point("Budget 2025", Decimal(-1118985), "-1 118 985")],
                        charts.SERIES_COLORS[0]),
          charts.Series("Verksamhetens intäkter",
                        [charts.Point("Bokslut 2023", Decimal(27495), "27 495"),
                         charts.Point("Budget 2024", Decimal(20000), "20 000"),
                         charts.Point("Budget 2025", None, "–")],
                        charts.SERIES_COLORS[1])]
FIGURES = ["+1 372 tkr", "0 tkr", "-1 246 tkr", "Näringsliv", "–"]
SERIES_FIGURES = ["-929 624", "-1 151 466", "-1 118 985", "27 495", "20 000", "–"]


def every_chart() -> dict[str, list[dict]]:
    return {
        "Chart.Donut": charts.donut("Prognos", POINTS[:2]),
        "Chart.VerticalBar": charts.vertical_bar("Avvikelse", POINTS, x_title="Enhet",
                                                 y_title="tkr"),
        "Chart.HorizontalBar": charts.horizontal_bar("Avvikelse", POINTS),
        "Chart.VerticalBar.Grouped": charts.grouped_bar("Budget", SERIES, x_title="År"),
        "Chart.Line": charts.line("Budget", SERIES, x_title="År"),
    }


def test_the_vendored_schema_is_microsofts_file() -> None:
    schema = json.loads(TEAMS_CARDS_SCHEMA.read_text(encoding="utf-8"))
    for name in every_chart():
        assert name in schema["definitions"]
    source = (TEAMS_CARDS_SCHEMA.parent / "SOURCE.md").read_text(encoding="utf-8")
    import hashlib

    assert hashlib.sha256(TEAMS_CARDS_SCHEMA.read_bytes()).hexdigest() in source


@pytest.mark.parametrize("name", list(every_chart()))
def test_each_chart_validates_and_falls_back_to_its_figures(name: str) -> None:
    elements = every_chart()[name]
    chart, alt = elements
    assert chart["type"] == name
    assert isinstance(chart["fallback"], dict)
    assert alt["type"] == "TextBlock"  # the text alternative, visible to everyone
    figures = FIGURES if "Bar" in name and "Grouped" not in name else SERIES_FIGURES
    if name == "Chart.Donut":
        figures = ["+1 372 tkr", "0 tkr"]
    [text] = check([card(elements)], figures)
    assert all(f in alt["text"] for f in figures)
    assert text.count(figures[0]) >= 2  # in the fallback and the text alternative


def test_missing_values_are_not_drawn() -> None:
    bar = charts.vertical_bar("x", POINTS)[0]
    assert [p["x"] for p in bar["data"]] == ["IT", "HR-avdelning", "Räddningstjänst"]
    assert bar["data"][0] == {"x": "IT", "y": 1372, "color": "good"}  # Decimal → int
    line = charts.line("x", SERIES)[0]
    assert [v["x"] for v in line["data"][1]["values"]] == ["Bokslut 2023", "Budget 2024"]
    assert charts.line("x", [charts.Series("s", [charts.Point("2021", Decimal("9.0"),
                                                              "9,0")])])[0][
        "data"][0]["values"] == [{"x": "2021", "y": 9.0}]


def test_only_theme_colour_tokens() -> None:
    with pytest.raises(ValueError, match="colour token"):
        charts.vertical_bar("x", [charts.Point("a", 1, "1", "#ff0000")])  # type: ignore[arg-type]
    for elements in every_chart().values():
        colours = [p.get("color") for p in elements[0]["data"]]
        assert all(c is None or not c.startswith("#") for c in colours)


def test_a_chart_without_fallback_is_rejected_by_both_validators() -> None:
    chart, _ = charts.vertical_bar("Avvikelse", POINTS)
    bare = {k: v for k, v in chart.items() if k != "fallback"}
    broken = card([bare])
    assert any("needs a fallback element" in e for e in schema_errors(broken))
    [errors] = renderer_errors([broken])
    assert any("TeamsChartWithoutFallback" in e for e in errors)
    assert any('Unknown element type "Chart.VerticalBar"' in e for e in errors)


def test_a_chart_breaking_microsofts_schema_is_rejected() -> None:
    chart, alt = charts.line("Budget", SERIES)
    bad = copy.deepcopy(chart)
    bad["color"] = "#00ff00"
    bad["data"][0]["values"][0]["y"] = "-929 624"
    bad["wobble"] = True
    errors = schema_errors(card([bad, alt]))
    assert "$.body[0].color: Chart.Line: '#00ff00' is not an allowed value" in errors
    assert "$.body[0].data[0].values[0].y: Chart.Line: '-929 624' is not of type 'number'" \
        in errors
    assert any("'wobble' was unexpected" in e for e in errors)


def test_a_bad_fallback_is_checked_by_the_1_5_schema() -> None:
    chart, _ = charts.donut("Prognos", POINTS[:2])
    chart["fallback"] = {"type": "TextBlock", "text": "x", "size": "huge"}
    errors = schema_errors(card([chart]))
    assert any(e.startswith("$.body[0].fallback.size:") for e in errors), errors


def test_charts_nested_in_containers_and_unknown_types_elsewhere() -> None:
    chart, alt = charts.horizontal_bar("Avvikelse", POINTS)
    nested = card([{"type": "Container", "items": [chart, alt]}])
    check([nested], FIGURES)
    # Anything else unknown to 1.5 is still an error, for both validators.
    other = card([{"type": "Chart.Sankey", "fallback": {"type": "TextBlock", "text": "x"}}])
    assert schema_errors(other)
    assert renderer_errors([other])[0]


def test_long_labels_are_shortened_everywhere_but_never_merged() -> None:
    same_start = "Ekonomi- och personaltjänster, avdelningen för "  # 47 characters alike
    points = [charts.Point(same_start + "löner", Decimal(1), "1"),
              charts.Point(same_start + "inköp", Decimal(2), "2"),
              charts.Point("x" * 200, Decimal(3), "3")]
    [chart, alt] = charts.horizontal_bar("T", points)
    labels = [d["x"] for d in chart["data"]]
    assert len(set(labels)) == 3 and all(len(x) <= 2 * charts.LABEL_CHARS for x in labels)
    assert labels[2] == "x" * (2 * charts.LABEL_CHARS - 1) + "…"  # one length per chart
    assert [f["title"] for f in chart["fallback"]["items"][1]["facts"]] == labels
    assert "x" * 2 * charts.LABEL_CHARS not in alt["text"]
    series = [charts.Series("y" * 200, [charts.Point("z" * 200, Decimal(1), "1")])]
    [grouped, _] = charts.grouped_bar("T", series)
    assert len(grouped["data"][0]["legend"]) == charts.LABEL_CHARS
    assert len(grouped["data"][0]["values"][0]["x"]) == charts.LABEL_CHARS
    assert charts.short_labels(["a", "a"]) == {"a": "a"}
