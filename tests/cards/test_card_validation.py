"""The card validators themselves: they accept a good Teams card and demonstrably reject bad ones.

The renderer tests need Node.js and `npm ci` in the repository root; they fail (not skip)
without them, so that card validation can never be silently switched off.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import card_validation
import pytest
from card_validation import (
    MAX_CARD_BYTES,
    assert_valid_cards,
    card_size_bytes,
    renderer_errors,
    schema_errors,
)

_GOOD_CARD: dict[str, Any] = {
    "type": "AdaptiveCard",
    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
    "version": "1.5",
    "msteams": {"width": "Full"},
    "body": [
        {"type": "TextBlock", "text": "Läget", "size": "Large", "weight": "Bolder", "wrap": True},
        {"type": "TextBlock", "text": "Rubrik", "style": "heading"},
        {
            "type": "FactSet",
            "facts": [{"title": "Nämnd", "value": "Kultur"}, {"title": "Status", "value": "Pågår"}],
        },
        {
            "type": "ColumnSet",
            "columns": [
                {"type": "Column", "width": "auto", "items": [{"type": "TextBlock", "text": "A"}]},
                {
                    "type": "Column",
                    "width": "stretch",
                    "items": [{"type": "TextBlock", "text": "B"}],
                },
            ],
        },
        {
            "type": "Container",
            "style": "emphasis",
            "items": [{"type": "TextBlock", "text": "I en container", "isSubtle": True}],
        },
        {
            "type": "Table",
            "firstRowAsHeader": True,
            "columns": [{"width": 2}, {"width": 1}],
            "rows": [
                {
                    "type": "TableRow",
                    "cells": [
                        {"type": "TableCell", "items": [{"type": "TextBlock", "text": "Konto"}]},
                        {"type": "TableCell", "items": [{"type": "TextBlock", "text": "Utfall"}]},
                    ],
                },
                {
                    "type": "TableRow",
                    "cells": [
                        {"type": "TableCell", "items": [{"type": "TextBlock", "text": "4010"}]},
                        {"type": "TableCell", "items": [{"type": "TextBlock", "text": "1 200 kr"}]},
                    ],
                },
            ],
        },
        {
            "type": "Input.Text",
            "id": "comment",
            "label": "Kommentar",
            "isMultiline": True,
            "isRequired": True,
            "errorMessage": "Skriv en kommentar",
        },
        {
            "type": "Input.ChoiceSet",
            "id": "department",
            "label": "Förvaltning",
            "choices": [
                {"title": "Kultur", "value": "kultur"},
                {"title": "Skola", "value": "skola"},
            ],
        },
        {
            "type": "ActionSet",
            "actions": [{"type": "Action.Submit", "title": "Spara", "data": {"action": "save"}}],
        },
    ],
    "actions": [
        {
            "type": "Action.Execute",
            "title": "Uppdatera",
            "verb": "refresh",
            "data": {"assignment_id": 42},
        },
        {"type": "Action.Submit", "title": "Skicka", "data": {"action": "send"}},
    ],
}


def good_card() -> dict[str, Any]:
    return copy.deepcopy(_GOOD_CARD)


def card_with(*body: dict[str, Any], actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    card: dict[str, Any] = {"type": "AdaptiveCard", "version": "1.5", "body": list(body)}
    if actions is not None:
        card["actions"] = actions
    return card


def assert_mentions(errors: list[str], *fragments: str) -> None:
    """Some single error contains every fragment."""
    assert any(all(f in err for f in fragments) for err in errors), (fragments, errors)


# --- the good card -------------------------------------------------------------------------


def test_good_card_passes_schema() -> None:
    assert schema_errors(good_card()) == []


def test_good_card_passes_renderer() -> None:
    assert renderer_errors([good_card()]) == [[]]


def test_assert_valid_cards_accepts_good_cards() -> None:
    assert_valid_cards([good_card(), card_with({"type": "TextBlock", "text": "kort"})])


# --- unknown element / action types --------------------------------------------------------


def test_unknown_element_type_rejected_by_both() -> None:
    card = card_with({"type": "Foo"})
    assert schema_errors(card) == [
        "$.body[0]: unknown or not allowed type 'Foo' (allowed here: ActionSet, ColumnSet, "
        "Container, FactSet, Image, ImageSet, Input.ChoiceSet, Input.Date, Input.Number, "
        "Input.Text, Input.Time, Input.Toggle, Media, RichTextBlock, Table, TextBlock)"
    ]
    [errors] = renderer_errors([card])
    assert errors == [
        'parse: UnknownElementType: Unknown element type "Foo". Fallback will be used if present.'
    ]


def test_unknown_action_type_rejected_by_both() -> None:
    card = card_with(actions=[{"type": "Action.Bogus", "title": "x"}])
    assert_mentions(schema_errors(card), "$.actions[0]", "'Action.Bogus'")
    [errors] = renderer_errors([card])
    assert_mentions(errors, "UnknownActionType", '"Action.Bogus"')


def test_element_newer_than_1_5_rejected_by_both() -> None:
    card = card_with({"type": "Carousel", "pages": []})
    assert_mentions(schema_errors(card), "$.body[0]", "'Carousel'")
    [errors] = renderer_errors([card])
    assert_mentions(errors, "UnknownElementType", '"Carousel"')


def test_property_newer_than_1_5_rejected_by_both() -> None:
    card = card_with(
        {"type": "Input.Text", "id": "x", "label": "X", "labelPosition": "inline"},
    )
    assert_mentions(schema_errors(card), "$.body[0]", "'labelPosition' was unexpected")
    [errors] = renderer_errors([card])
    assert_mentions(errors, "UnsupportedProperty", '"labelPosition"', "1.6")


# --- bad property values -------------------------------------------------------------------


def test_bad_enum_value_rejected_by_both() -> None:
    card = card_with({"type": "TextBlock", "text": "x", "size": "huge"})
    assert schema_errors(card) == [
        "$.body[0].size: 'huge' is not one of ['default', 'small', 'medium', 'large', 'extraLarge']"
    ]
    [errors] = renderer_errors([card])
    assert errors == [
        'parse: InvalidPropertyValue [TextBlock]: Invalid value "huge" for property "size".'
    ]


def test_misspelled_property_rejected_by_schema() -> None:
    # The renderer ignores unknown properties; only the schema catches typos.
    card = card_with({"type": "TextBlock", "text": "x", "wieght": "bolder"})
    assert_mentions(schema_errors(card), "$.body[0]", "'wieght' was unexpected")
    assert renderer_errors([card]) == [[]]


def test_bad_column_width_rejected_by_renderer() -> None:
    # The schema allows any string for Column.width; only the renderer knows the keywords.
    card = card_with({"type": "ColumnSet", "columns": [{"type": "Column", "width": "wide"}]})
    assert schema_errors(card) == []
    [errors] = renderer_errors([card])
    assert_mentions(errors, "InvalidPropertyValue", "[Column]", '"wide"')


def test_wrong_json_types_rejected_by_schema() -> None:
    card = card_with({"type": "TextBlock", "text": 5})
    assert schema_errors(card) == ["$.body[0].text: 5 is not of type 'string'"]


def test_duplicate_ids_and_required_input_hints_rejected_by_renderer() -> None:
    card = card_with(
        {"type": "Input.Text", "id": "a", "label": "A"},
        {"type": "Input.Text", "id": "a", "isRequired": True},
    )
    assert schema_errors(card) == []
    [errors] = renderer_errors([card])
    assert_mentions(errors, "DuplicateId", '"a"')
    assert_mentions(errors, "RequiredInputsShouldHaveLabel")
    assert_mentions(errors, "RequiredInputsShouldHaveErrorMessage")


def test_too_many_actions_rejected_by_renderer() -> None:
    actions = [{"type": "Action.Submit", "title": str(i)} for i in range(6)]
    [errors] = renderer_errors([card_with(actions=actions)])
    assert_mentions(errors, "TooManyActions", "(5)")


# --- card root: type, version, msteams, size ---------------------------------------------


def test_version_1_6_rejected_by_schema() -> None:
    card = good_card()
    card["version"] = "1.6"
    assert schema_errors(card) == ["$.version: must be '1.5', got '1.6'"]
    # The renderer supports 1.6 itself, so it does not object to the declared version; the
    # schema check is what pins Teams' 1.5.
    assert renderer_errors([card]) == [[]]


def test_missing_version_rejected_by_schema() -> None:
    card = good_card()
    del card["version"]
    assert schema_errors(card) == ["$.version: must be '1.5', got None"]


def test_missing_type_rejected_by_schema() -> None:
    card = good_card()
    del card["type"]
    assert schema_errors(card) == ["$.type: must be 'AdaptiveCard', got None"]


def test_wrong_root_type_rejected_by_schema() -> None:
    card = good_card()
    card["type"] = "TextBlock"
    assert_mentions(schema_errors(card), "$.type: must be 'AdaptiveCard'")


def test_msteams_root_property_shape_checked() -> None:
    card = good_card()
    card["msteams"] = {"width": "Wide", "extra": True}
    errors = schema_errors(card)
    assert_mentions(errors, "$.msteams.width", "'Wide' is not one of ['Full']")
    assert_mentions(errors, "$.msteams", "'extra' was unexpected")


def test_unknown_root_property_rejected_by_schema() -> None:
    card = good_card()
    card["teams"] = {"width": "Full"}
    assert_mentions(schema_errors(card), "$:", "'teams' was unexpected")


def test_oversized_card_rejected_by_schema() -> None:
    text = "x" * 1000
    card = card_with(*({"type": "TextBlock", "text": text} for _ in range(30)))
    assert card_size_bytes(card) >= MAX_CARD_BYTES
    assert_mentions(schema_errors(card), "bytes serialised", f"under {MAX_CARD_BYTES}")
    assert schema_errors(card_with({"type": "TextBlock", "text": text})) == []


# --- actions -------------------------------------------------------------------------------


def test_action_execute_without_verb_rejected_by_schema_rule() -> None:
    # Neither the official schema nor the renderer requires a verb; the bot routes
    # Action.Execute invokes by verb, so card_validation adds that rule itself.
    card = card_with(actions=[{"type": "Action.Execute", "title": "Kör", "data": {"x": 1}}])
    assert schema_errors(card) == ["$.actions[0]: Action.Execute must have a non-empty 'verb'"]
    assert renderer_errors([card]) == [[]]


def test_action_submit_has_no_required_fields() -> None:
    # The 1.5 schema requires nothing but "type" for Action.Submit (title and data are optional),
    # so a bare Action.Submit is valid for both validators.
    card = card_with(actions=[{"type": "Action.Submit"}])
    assert schema_errors(card) == []
    assert renderer_errors([card]) == [[]]


def test_action_missing_required_fields_rejected() -> None:
    card = card_with(
        actions=[
            {"type": "Action.OpenUrl", "title": "Öppna"},
            {"type": "Action.ToggleVisibility", "title": "Visa"},
            {"type": "Action.ShowCard", "title": "Mer"},
        ]
    )
    errors = schema_errors(card)
    assert "$.actions[0]: 'url' is a required property" in errors
    assert "$.actions[1]: 'targetElements' is a required property" in errors
    [render] = renderer_errors([card])
    assert_mentions(render, "PropertyCantBeNull", "[Action.OpenUrl]", '"url"')
    assert_mentions(render, "PropertyCantBeNull", "[Action.ShowCard]", '"card"')


def test_input_without_id_rejected_by_both() -> None:
    card = card_with({"type": "Input.Text", "label": "Namn"})
    assert "$.body[0]: 'id' is a required property" in schema_errors(card)
    [errors] = renderer_errors([card])
    assert_mentions(errors, "PropertyCantBeNull", "unique Id")


# --- batch behaviour and the combined assertion ------------------------------------------


def test_renderer_batch_keeps_order() -> None:
    bad = card_with({"type": "Foo"})
    results = renderer_errors([good_card(), bad, good_card()])
    assert results[0] == [] and results[2] == []
    assert_mentions(results[1], "UnknownElementType")


def test_renderer_errors_of_empty_batch() -> None:
    assert renderer_errors([]) == []


def test_assert_valid_cards_lists_errors_of_both_validators() -> None:
    bad_enum = card_with({"type": "TextBlock", "text": "x", "size": "huge"})
    with pytest.raises(AssertionError) as excinfo:
        assert_valid_cards([good_card(), bad_enum])
    message = str(excinfo.value)
    assert "2 Adaptive Card error(s)" in message
    assert "card[1] schema: $.body[0].size: 'huge' is not one of" in message
    assert "card[1] renderer: parse: InvalidPropertyValue [TextBlock]" in message
    assert 'Invalid value "huge" for property "size"' in message
    assert "card[0]" not in message


def test_renderer_needs_node_modules(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(card_validation, "NODE_MODULES", tmp_path / "node_modules")
    with pytest.raises(RuntimeError, match="npm ci"):
        renderer_errors([good_card()])


def test_renderer_needs_node(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(card_validation.shutil, "which", lambda _name: None)
    with pytest.raises(RuntimeError, match="Node.js"):
        renderer_errors([good_card()])
