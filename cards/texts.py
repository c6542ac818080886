"""The one language catalogue: every user-facing sentence in Swedish, English and Finnish,
in `cards/catalogue/<lang>.json` (same keys and placeholders in each, tested). Code names
stay English; storage's coded refusals are worded here ("refused.<code>")."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from storage.domain import Forecast, Status, format_number

LANGUAGES = ("sv", "en", "fi")
CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogue"


@cache
def catalogue(lang: str) -> dict[str, Any]:
    with open(CATALOGUE_DIR / f"{lang}.json", encoding="utf-8") as f:
        return json.load(f)


def language(lang: str | None) -> str:
    return lang if lang in LANGUAGES else "sv"


def has(lang: str, key: str) -> bool:
    return key in catalogue(language(lang))


def t(lang: str, key: str, **values: object) -> str:
    """The sentence `key` in `lang`, with its placeholders filled. A plural entry
    ({"one": …, "other": …}) is chosen by the value `n`."""
    entry = catalogue(language(lang))[key]
    if isinstance(entry, dict):
        entry = entry["one" if values.get("n") == 1 else "other"]
    return entry.format(**values)


def choose_language(locale: str | None, guessed: str | None, default: str = "sv") -> str:
    """The user's locale when it is one we speak (fi-FI, sv-FI, sv-SE, en-…), else the
    question's language, else the organisation's default language. A Finnish user of a
    Swedish municipality gets Finnish: the organisation's languages only choose the default."""
    prefix = (locale or "").replace("_", "-").split("-")[0].lower()
    for candidate in (prefix, guessed, default):
        if candidate in LANGUAGES:
            return candidate
    return "sv"


def status_label(lang: str, status: Status | str) -> str:
    return t(lang, f"status.{Status(status).value}")


def forecast_label(lang: str, forecast: Forecast | str) -> str:
    return t(lang, f"forecast.{Forecast(forecast).value}")


def day(value: date | None, lang: str = "sv") -> str:
    """Dates as each language writes them: 2025-09-15 (sv, en), 15.9.2025 (fi)."""
    if value is None:
        return "–"
    if lang == "fi":
        return f"{value.day}.{value.month}.{value.year}"
    return value.isoformat()


def money_unit(lang: str, currency: str) -> str:
    """What figures are in: SEK organisations report in thousands, EUR ones in euros."""
    return t(lang, "money.eur" if currency == "EUR" else "money.sek")


def amount(lang: str, value: Decimal | int, currency: str = "SEK",
           signed: bool = False) -> str:
    """'-41 225 tkr', '+1 372 tkr', '-1 118 985 €'."""
    return f"{format_number(value, signed=signed)} {money_unit(lang, currency)}"


def refusal(lang: str, code: str, params: dict[str, Any] | None = None) -> str:
    """A storage refusal (storage.domain.Refused) in the user's language; the close names
    storage suggests for a misspelt one (its "suggestions") after it."""
    key = f"refused.{code}"
    if not has(lang, key):
        return t(lang, "refused.unknown")
    said = t(lang, key, **(params or {}))
    if suggestions := (params or {}).get("suggestions"):
        said += t(lang, "did_you_mean_names", names=suggestions)
    return said


def _value_label(lang: str, field: str, value: str) -> str:
    if field == "status" and value in {s.value for s in Status}:
        return status_label(lang, value)
    if field == "forecast" and value in {f.value for f in Forecast}:
        return forecast_label(lang, value)
    return value or "–"


def describe_changes(lang: str, changes: str) -> str:
    """'status: started → completed' → 'status Påbörjad → Slutförd'."""
    parts = []
    for item in filter(None, (c.strip() for c in changes.split(";"))):
        field, _, values = item.partition(":")
        field = field.strip()
        old, _, new = values.strip().partition(" → ")
        label = t(lang, f"field.{field}") if has(lang, f"field.{field}") else field
        parts.append(f"{label} {_value_label(lang, field, old)} → "
                     f"{_value_label(lang, field, new)}")
    return ", ".join(parts)
