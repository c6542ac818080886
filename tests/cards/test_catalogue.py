"""The language catalogue: Swedish, English and Finnish say the same things (same keys,
same placeholders, same plural shape) and nothing is left empty."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from string import Formatter
from typing import Any

import pytest

from cards.texts import CATALOGUE_DIR, LANGUAGES, t


def load(lang: str) -> dict[str, Any]:
    # Read the files afresh: texts.catalogue() is cached.
    with open(CATALOGUE_DIR / f"{lang}.json", encoding="utf-8") as f:
        return json.load(f)


CATALOGUES = {lang: load(lang) for lang in LANGUAGES}
REPO = Path(__file__).resolve().parents[2]


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


# --- every key the code uses exists, in every language ---------------------------------------

CODE_DIRS = ("bot", "cards", "dialogs", "storage", "understanding", "manifest")
# Where any dotted literal in a catalogue namespace is a key (storage has table and file
# names like "indicator.id" and "finance.csv"; its coded refusals are scanned as codes).
USER_FACING = ("app.py", "bot/", "cards/", "dialogs/")
KEY_SHAPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
NAMESPACES = {key.split(".")[0] for key in CATALOGUES["sv"] if "." in key}


def code_files() -> list[Path]:
    files = [REPO / "app.py"]
    for folder in CODE_DIRS:
        files += sorted(p for p in (REPO / folder).rglob("*.py") if "migrations" not in p.parts)
    return files


def _calls(tree: ast.AST) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)]


def _name(call: ast.Call) -> str:
    """The called function's name: t, has, Refused … (methods don't count: m.has(…))."""
    return call.func.id if isinstance(call.func, ast.Name) else ""


def _literal(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _codes(node: ast.AST | None) -> list[str]:
    """The literal codes an argument may be: "a", or "a" if … else "b"."""
    if isinstance(node, ast.IfExp):
        return _codes(node.body) + _codes(node.orelse)
    code = _literal(node)
    return [code] if code else []


def scan() -> tuple[dict[str, str], dict[str, str], dict[str, set[str]]]:
    """(literal keys → where, f-string key prefixes → where, coded refusals by kind)."""
    keys: dict[str, str] = {}
    prefixes: dict[str, str] = {}
    codes: dict[str, set[str]] = {"refused": set(), "subscription_error": set()}
    in_fstrings: set[int] = set()
    for path in code_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = str(path.relative_to(REPO))
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                in_fstrings.update(id(v) for v in node.values)
                head = _literal(node.values[0]) if node.values else None
                if head and any(k.startswith(head) and k != head for k in CATALOGUES["sv"]) \
                        and re.fullmatch(r"[a-z][a-z0-9_.]*[._]", head):
                    prefixes.setdefault(head, where)
        for call in _calls(tree):
            name, args = _name(call), call.args
            # t(lang, "key"), has(lang, "key"), and app.py's h = partial(t, lang)
            arg = args[1] if name in ("t", "has") and len(args) > 1 else \
                args[0] if name == "h" and args and where == "app.py" else None
            if (key := _literal(arg)) is not None:
                keys.setdefault(key, where)
            if name in ("Refused", "FileRefused") and args:
                codes["refused"].update(_codes(args[0]))
            if name == "_reject" and len(args) > 1 and (code := _literal(args[1])):
                codes["refused"].add(code)
            # storage's helpers that raise Refused(code) with the code they are given
            if name == "_lookup" and len(args) > 2 and (code := _literal(args[2])):
                codes["refused"].add(code)
            if name == "_fits" and len(args) > 1 and (code := _literal(args[1])):
                codes["refused"].add(code)
            if name == "RowError" and len(args) > 1 and (code := _literal(args[1])):
                codes["refused"].add(code)
            if name == "SubscriptionError" and args and (code := _literal(args[0])):
                codes["subscription_error"].add(code)
        if not where.startswith(USER_FACING):
            continue
        for node in ast.walk(tree):  # any other dotted literal in a catalogue namespace
            value = _literal(node)
            if value and id(node) not in in_fstrings and KEY_SHAPE.match(value) \
                    and value.split(".")[0] in NAMESPACES:
                keys.setdefault(value, where)
    return keys, prefixes, codes


KEYS, PREFIXES, CODES = scan()


def test_the_scan_finds_the_code_s_keys() -> None:
    """The scan itself works: keys, prefixes and codes from several modules."""
    assert {"help_title", "cli.description", "help.button.units", "refused.unknown",
            "indicator.digest_new"} <= set(KEYS)
    assert {"status.", "help.topic.", "refused.", "subscription_error.",
            "weekday."} <= set(PREFIXES)
    assert {"file_too_large", "cell_too_long", "missing_column", "unknown_unit", "no_rows",
            "unknown_polarity", "alias_too_long", "bad_channel_user_id"} <= CODES["refused"]
    assert CODES["subscription_error"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_literal_key_in_the_code_exists(lang: str) -> None:
    missing = {key: where for key, where in KEYS.items() if key not in CATALOGUES[lang]}
    assert not missing, missing


def _enumerated() -> dict[str, list[str]]:
    """Every f-string key prefix in the code, with the values it is completed with."""
    from cards import help as help_cards
    from storage.domain import Direction, Forecast, Judgement, Polarity, Scenario, Status
    from storage.due import DUE_SOON, OVERDUE, STALE
    from storage.finance import BALANCES, MEASURES
    from storage.importer import IMPORT_KINDS
    from understanding.question import Balance, Intent, Measure
    from understanding.question import Judgement as AskedJudgement

    simple = [i.value for i in (Intent.SUMMARY, Intent.UNITS, Intent.HELP,
                                Intent.MY_ASSIGNMENTS, Intent.SUBSCRIPTIONS)]
    return {
        "status.": [s.value for s in Status],
        "forecast.": [f.value for f in Forecast],
        "weekday.": [str(d) for d in range(7)],
        "help.topic.": list(help_cards.TOPICS),
        "help.example.": list(help_cards.TOPICS),
        "refused.": sorted(CODES["refused"]),
        "subscription_error.": sorted(CODES["subscription_error"]),
        "import.kind.": [k.name for k in IMPORT_KINDS],
        "cli.roles.": ["user", "name", "role", "unit"],
        "cli.help.org_": ["add", "edit"],
        "budget.column.": [s.value for s in Scenario],
        "describe.rank.": [m.value for m in Measure],
        "describe.which.": [b.value for b in Balance],
        "describe.": simple,
        # An empty ranking: only deficit and surplus rank some units (storage.finance.ranked)
        "finance.none.": list(BALANCES),
        "finance.rank.": list(MEASURES),
        "finance.which.": list(BALANCES),
        "indicator.direction.": [d.value for d in Direction],
        "indicator.judgement.": [j.value for j in Judgement],
        "indicator.polarity.": [p.value for p in Polarity],
        # cards.indicators._compared: f"indicator.{kind}.{versus}"
        "indicator.": [f"{kind}.{versus}" for kind in ("vs_target", "vs_comparison")
                       for versus in ("better", "worse", "equal")],
        "indicator_list_title.": [j.value for j in AskedJudgement],
        "no_indicators.": [j.value for j in AskedJudgement],
        "reason_": [OVERDUE, DUE_SOON, STALE],
        "welcome_example.": ["all", "some", "list"],
        "welcome_": ["all", "some", "list"],
        "suggest.": _suggestions(),
        # Optional: describe_changes asks has() first and falls back to the field's name.
        "field.": [],
    }


def _suggestions() -> list[str]:
    """dialogs.questions._suggest(ask, ("overdue", {}), …): the keys after "suggest."."""
    tree = ast.parse((REPO / "dialogs" / "questions.py").read_text(encoding="utf-8"))
    found = []
    for call in _calls(tree):
        if _name(call) == "_suggest":
            found += [_literal(a.elts[0]) for a in call.args[1:] if isinstance(a, ast.Tuple)]
    assert found
    return [f for f in found if f]


def test_every_f_string_key_prefix_is_enumerated() -> None:
    """A new f"prefix.{…}" key in the code fails here until its values are listed above."""
    assert set(PREFIXES) <= set(_enumerated()), sorted(set(PREFIXES) - set(_enumerated()))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_enumerated_key_exists(lang: str) -> None:
    missing = [prefix + value for prefix, values in _enumerated().items() for value in values
               if prefix + value not in CATALOGUES[lang]]
    assert not missing, missing


def test_refusals_are_raised_with_their_codes_only() -> None:
    """Every Refused(…) in storage names its code as a literal, or is one of the helpers the
    scan reads: a code in a variable would escape the check below."""
    helpers = {("storage/units.py", "_fits"), ("storage/domain.py", "_lookup"),
               ("storage/import_files.py", "_reject")}
    hidden = []
    for path in code_files():
        where = str(path.relative_to(REPO))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
            for call in _calls(function):
                if _name(call) in ("Refused", "FileRefused", "SubscriptionError") and \
                        call.args and not _codes(call.args[0]) and \
                        (where, function.name) not in helpers:
                    hidden.append(f"{where}:{call.lineno}")
    assert not hidden, hidden


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_refusal_code_is_worded(lang: str) -> None:
    """texts.refusal falls back to "refused.unknown" for a code without words: silently."""
    from dialogs.updates import INVALID_TEXT

    wanted = [f"refused.{c}" for c in CODES["refused"]] + [
        f"subscription_error.{c}" for c in CODES["subscription_error"]] + [
        *INVALID_TEXT.values(), "invalid_submission", "not_found_update", "replayed",
        "digest_title", "reminder_title", "no_indicators"]
    missing = [key for key in wanted if key not in CATALOGUES[lang]]
    assert not missing, missing


def test_a_refusal_names_the_close_names_storage_suggests() -> None:
    from cards.texts import refusal

    params = {"name": "Räddningstjänt", "suggestions": "Räddningstjänst"}
    assert refusal("sv", "unknown_unit", params) == (
        "okänd enhet ”Räddningstjänt” (menade du Räddningstjänst?)")
    assert refusal("fi", "unknown_unit", params).endswith("(tarkoititko Räddningstjänst?)")
    assert refusal("en", "unknown_unit", {"name": "X", "suggestions": ""}) == (
        "unknown unit “X”")
    assert refusal("sv", "no_such_code") == t("sv", "refused.unknown")
