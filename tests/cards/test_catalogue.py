"""The language catalogue: Swedish, English and Finnish say the same things (same keys,
same placeholders, same plural shape) and nothing is left empty."""

from __future__ import annotations

import json
from string import Formatter
from typing import Any

import pytest

from cards.texts import CATALOGUE_DIR, LANGUAGES, t


def load(lang: str) -> dict[str, Any]:
    # Read the files afresh: texts.catalogue() is cached.
    with open(CATALOGUE_DIR / f"{lang}.json", encoding="utf-8") as f:
        return json.load(f)


CATALOGUES = {lang: load(lang) for lang in LANGUAGES}


def placeholders(value: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(value) if name is not None}


def forms(entry: str | dict[str, str]) -> dict[str, str]:
    return entry if isinstance(entry, dict) else {"": entry}


def test_every_language_has_the_same_keys() -> None:
    keys = {lang: set(c) for lang, c in CATALOGUES.items()}
    for lang in LANGUAGES:
        assert keys[lang] == keys["sv"], (lang, sorted(keys[lang] ^ keys["sv"]))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_same_plural_shape(lang: str) -> None:
    """A key is plain text in every language, or {"one", "other"} in every language."""
    for key, entry in CATALOGUES[lang].items():
        reference = CATALOGUES["sv"][key]
        assert type(entry) is type(reference), (lang, key)
        if isinstance(entry, dict):
            assert set(entry) == {"one", "other"}, (lang, key)
            assert "n" in placeholders(entry["one"]) | placeholders(entry["other"]), (lang, key)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_same_placeholders(lang: str) -> None:
    for key, entry in CATALOGUES[lang].items():
        ours = set().union(*(placeholders(v) for v in forms(entry).values()))
        theirs = set().union(*(placeholders(v) for v in forms(CATALOGUES["sv"][key]).values()))
        assert ours == theirs, (lang, key, ours, theirs)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_empty_strings(lang: str) -> None:
    for key, entry in CATALOGUES[lang].items():
        for form, value in forms(entry).items():
            assert isinstance(value, str) and value.strip(), (lang, key, form)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_entry_formats(lang: str) -> None:
    """No stray braces: each entry formats with its own placeholders filled."""
    for entry in CATALOGUES[lang].values():
        for value in forms(entry).values():
            value.format(**{name: "x" for name in placeholders(value)})


def test_finnish_plurals_follow_the_number() -> None:
    assert t("fi", "finance.units_n", n=1) == "1 yksikkö"
    assert t("fi", "finance.units_n", n=3) == "3 yksikköä"
    assert t("fi", "indicator.count", n=1) == "1 tunnusluku"
    assert t("fi", "indicator.count", n=30) == "30 tunnuslukua"


def test_finnish_municipal_words() -> None:
    fi = CATALOGUES["fi"]
    assert [fi[f"status.{s}"] for s in ("not_started", "started", "completed", "not_reported")] \
        == ["Ei aloitettu", "Aloitettu", "Valmis", "Ei raportoitu"]
    assert fi["forecast.on_plan"] == "Suunnitelman mukaan"
    assert fi["forecast.deviation"] == "Poikkeama suunnitelmasta"
    assert (fi["surplus"], fi["deficit"], fi["balanced"]) == ("ylijäämä", "alijäämä",
                                                             "tasapainossa")
    assert fi["budget.column.plan"].format(year=2026) == "Taloussuunnitelma 2026"
    # One word for "uppdrag" throughout: tehtävä, never toimeksianto.
    assert not any("toimeksian" in v.lower() for e in fi.values() for v in forms(e).values())
