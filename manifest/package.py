"""The Teams app package: manifest.json, its localizations (sv.json, fi.json) and the two icons
in one zip.

The manifest template (manifest/manifest.json) and its Swedish and Finnish localizations hold
everything but the deployment values, which come from Settings (.env) at packaging time, and the
manifest version, which is MANIFEST_VERSION below (the templates say ${{MANIFEST_VERSION}}).
The result is validated offline against the official schemas before anything is written:
`build_package` refuses an invalid manifest with `ManifestInvalid`, listing the schema's
messages and the setting to fix. The schemas are vendored from the npm package
@microsoft/app-manifest (manifest/schema/SOURCE.md), so packaging needs neither Node nor the
network. On top of the schemas, the rules Teams enforces that the schemas can't express are
checked here too: every localizable string translated in every language, a prompt command has
its prompt, the message extension and the Copilot agent are Läget's bot.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, Draft6Validator, validators
from jsonschema.exceptions import ValidationError

from config import Settings
from manifest.icons import draw_color_icon, draw_outline_icon, png_bytes

HERE = Path(__file__).resolve().parent
# The one place the manifest version is set: the schemas used, and ${{MANIFEST_VERSION}} in the
# templates' manifestVersion and $schema.
MANIFEST_VERSION = "1.30"
SCHEMA_URL = "https://developer.microsoft.com/json-schemas/teams/v{version}/{name}"
SCHEMA_DIR = HERE / "schema" / f"v{MANIFEST_VERSION}"
MANIFEST_SCHEMA = SCHEMA_DIR / "MicrosoftTeams.schema.json"
LOCALIZATION_SCHEMA = SCHEMA_DIR / "MicrosoftTeams.Localization.schema.json"
TEMPLATE = HERE / "manifest.json"
LOCALIZATIONS = ("sv.json", "fi.json")
COLOR_ICON = "color.png"
OUTLINE_ICON = "outline.png"
DEFAULT_OUT_DIR = HERE / "build"

PLACEHOLDER = re.compile(r"\$\{\{([A-Z_]+)\}\}")
HOST = re.compile(r"^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*"
                  r"[A-Za-z0-9])?)*(:\d{1,5})?$")

# Where each filled-in value comes from, to tell the user what to fix.
SETTING_OF = {
    "TEAMS_APP_ID": "LAGET_TEAMS_APP_ID (or MicrosoftAppId)",
    "BOT_ID": "MicrosoftAppId",
    "APP_VERSION": "LAGET_APP_VERSION",
    "PUBLIC_HOST": "LAGET_PUBLIC_HOST",
    "DEVELOPER_NAME": "LAGET_DEVELOPER_NAME",
    "DEVELOPER_URL": "LAGET_DEVELOPER_URL (or LAGET_PUBLIC_HOST)",
    "PRIVACY_URL": "LAGET_PRIVACY_URL (or LAGET_DEVELOPER_URL)",
    "TERMS_URL": "LAGET_TERMS_URL (or LAGET_DEVELOPER_URL)",
}

# The schemas declare draft-04, which has no "const"; they use it anyway (manifestVersion),
# so the draft-06 rule is added to enforce what the schema means.
_Validator = validators.extend(Draft4Validator, {"const": Draft6Validator.VALIDATORS["const"]})


class ManifestInvalid(Exception):
    """The manifest or a localization file breaks the schema or a packaging rule."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("the Teams app manifest is invalid:\n" + "\n".join(
            f"  {error}" for error in errors))


def deployment_values(settings: Settings) -> dict[str, str]:
    """The values filled into the template, by placeholder name."""
    developer_url = settings.developer_url or (
        f"https://{settings.public_host}" if settings.public_host else "")
    return {
        "MANIFEST_VERSION": MANIFEST_VERSION,
        "TEAMS_APP_ID": settings.teams_app_id or settings.app_id,
        "BOT_ID": settings.app_id,
        "APP_VERSION": settings.app_version,
        "PUBLIC_HOST": settings.public_host,
        "DEVELOPER_NAME": settings.developer_name,
        "DEVELOPER_URL": developer_url,
        "PRIVACY_URL": settings.privacy_url or developer_url,
        "TERMS_URL": settings.terms_url or developer_url,
    }


def _fill(node: Any, values: dict[str, str]) -> Any:
    """Replace ${{NAME}} in every string of a parsed JSON document (never in raw JSON text,
    so a value can't break the document's structure)."""
    if isinstance(node, dict):
        return {key: _fill(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [_fill(item, values) for item in node]
    if isinstance(node, str):
        return PLACEHOLDER.sub(lambda m: values[m[1]], node)
    return node


def render(settings: Settings) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The filled-in manifest and its localization files (by file name)."""
    values = deployment_values(settings)
    manifest = _fill(json.loads(TEMPLATE.read_text(encoding="utf-8")), values)
    localizations = {
        name: _fill(json.loads((HERE / name).read_text(encoding="utf-8")), values)
        for name in LOCALIZATIONS
    }
    return manifest, localizations


def _schema_errors(document: Any, schema_path: Path, file_name: str) -> Iterator[str]:
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = _Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)
    for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
        yield _describe(error, file_name)


def _describe(error: ValidationError, file_name: str) -> str:
    path = "/".join(str(part) for part in error.absolute_path) or "(top level)"
    message = error.message
    if error.validator in ("anyOf", "oneOf") and error.context:
        # The schema's own alternatives say more than "is not valid under any of the given".
        message += " (" + "; ".join(sorted({e.message for e in error.context})) + ")"
    if len(message) > 300:  # a whole list, or every regex a property name may match
        message = message[:200] + " … " + message[-80:]
    hint = _hint(path) if file_name == "manifest.json" else ""
    return f"{file_name}: {path}: {message}{hint}"


def _hint(path: str) -> str:
    template_value = _template_value_at(path)
    names = PLACEHOLDER.findall(template_value) if isinstance(template_value, str) else []
    settings = [SETTING_OF[name] for name in names if name in SETTING_OF]
    if not settings:
        return ""
    return " – set " + " and ".join(settings) + " in .env"


def _template_value_at(path: str) -> Any:
    node: Any = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    for part in path.split("/"):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


def _localization_keys(manifest: dict[str, Any]) -> set[str]:
    """The keys a localization file must translate: every string of the manifest whose key
    (in the localization files' syntax, e.g. "bots[0].commandLists[0].commands[2].prompt") the
    Localization schema lists."""
    schema = json.loads(LOCALIZATION_SCHEMA.read_text(encoding="utf-8"))
    named = set(schema.get("properties", {})) - {"$schema", "localizationKeys"}
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    return {key for key in _string_keys(manifest)
            if key in named or any(p.search(key) for p in patterns)}


def _string_keys(node: Any, key: str = "") -> Iterator[str]:
    if isinstance(node, dict):
        for name, value in node.items():
            yield from _string_keys(value, f"{key}.{name}" if key else name)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _string_keys(value, f"{key}[{i}]")
    elif isinstance(node, str):
        yield key


def _rule_errors(manifest: dict[str, Any]) -> Iterator[str]:
    """What Teams refuses although the schema allows it."""
    expected_schema = SCHEMA_URL.format(version=MANIFEST_VERSION, name=MANIFEST_SCHEMA.name)
    if manifest.get("$schema") != expected_schema:
        yield (f"manifest.json: $schema: {manifest.get('$schema')!r} is not {expected_schema!r} "
               "(the schema packaging validates against)")
    developer = manifest.get("developer")
    if isinstance(developer, dict) and not str(developer.get("name", "")).strip():
        yield ("manifest.json: developer/name: must not be empty – set LAGET_DEVELOPER_NAME "
               "in .env")
    for i, domain in enumerate(manifest.get("validDomains", []) or []):
        if not isinstance(domain, str) or not HOST.match(domain):
            yield (f"manifest.json: validDomains/{i}: {domain!r} is not a host name "
                   "(no https://, no path) – set LAGET_PUBLIC_HOST in .env")
    bots = [bot for _, bot in _dicts(manifest, "bots")]
    for b, bot in _dicts(manifest, "bots"):
        for c, command_list in _dicts(bot, "commandLists"):
            for i, cmd in _dicts(command_list, "commands"):
                if cmd.get("type") == "prompt" and not str(cmd.get("prompt", "")).strip():
                    yield (f"manifest.json: bots/{b}/commandLists/{c}/commands/{i}: a command "
                           "of type prompt needs a prompt")
    bot_ids = {bot.get("botId") for bot in bots}
    for e, extension in _dicts(manifest, "composeExtensions"):
        if extension.get("botId") not in bot_ids:
            yield (f"manifest.json: composeExtensions/{e}/botId: must be the bot's id "
                   "(bots/0/botId): Läget's bot answers the search")
    copilot = manifest.get("copilotAgents")
    for a, agent in _dicts(copilot if isinstance(copilot, dict) else {}, "customEngineAgents"):
        if agent.get("type") != "bot":
            continue
        bot = next((b for b in bots if b.get("botId") == agent.get("id")), None)
        if bot is None:
            yield (f"manifest.json: copilotAgents/customEngineAgents/{a}/id: "
                   f"{agent.get('id')!r} names no bot in bots")
        elif "personal" not in (bot.get("scopes") or []):
            yield (f"manifest.json: copilotAgents/customEngineAgents/{a}/id: the bot of a "
                   "custom engine agent must have the personal scope")


def _dicts(node: dict[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    """The objects in node[key], with their index; nothing when it is not a list (the schema
    says so already)."""
    items = node.get(key)
    return [(i, item) for i, item in enumerate(items) if isinstance(item, dict)] if isinstance(
        items, list) else []


def validate(manifest: dict[str, Any], localizations: dict[str, dict[str, Any]]) -> list[str]:
    """Everything wrong with a manifest and its localization files; empty when valid."""
    errors = list(_schema_errors(manifest, MANIFEST_SCHEMA, "manifest.json"))
    errors.extend(_rule_errors(manifest))
    declared = {entry.get("file") for entry in
                manifest.get("localizationInfo", {}).get("additionalLanguages", [])}
    for name in sorted(declared - set(localizations)):
        errors.append(f"manifest.json: localizationInfo: {name} is declared but not packaged")
    expected = _localization_keys(manifest)
    expected_schema = SCHEMA_URL.format(version=MANIFEST_VERSION, name=LOCALIZATION_SCHEMA.name)
    for name, localization in localizations.items():
        if name not in declared:
            errors.append(f"{name}: not declared in manifest.json localizationInfo")
        errors.extend(_schema_errors(localization, LOCALIZATION_SCHEMA, name))
        errors.extend(_localized_length_errors(localization, name))
        if localization.get("$schema") != expected_schema:
            errors.append(f"{name}: $schema: {localization.get('$schema')!r} is not "
                          f"{expected_schema!r} (the schema packaging validates against)")
        present = set(localization) - {"$schema", "localizationKeys"}
        errors.extend(f"{name}: {key}: missing translation" for key in sorted(expected - present))
        errors.extend(f"{name}: {key}: translates nothing in manifest.json"
                      for key in sorted(present - expected))
        errors.extend(f"{name}: {key}: must not be empty" for key in sorted(present & expected)
                      if isinstance(localization[key], str) and not localization[key].strip())
    return errors


def _localized_length_errors(localization: dict[str, Any], file_name: str) -> Iterator[str]:
    """The localization schema's length limits sit next to a $ref, which draft-04 ignores;
    Teams still enforces the manifest's limits (short name 30, short description 80)."""
    properties = json.loads(MANIFEST_SCHEMA.read_text(encoding="utf-8"))["properties"]
    for key in ("name.short", "name.full", "description.short", "description.full"):
        field, part = key.split(".")
        limit = properties[field]["properties"][part].get("maxLength")
        value = localization.get(key)
        if isinstance(value, str) and limit is not None and len(value) > limit:
            yield f"{file_name}: {key}: {value!r} is too long (at most {limit} characters)"


def build_package(settings: Settings, out_dir: Path | str = DEFAULT_OUT_DIR) -> Path:
    """Validate, then write the app package zip into out_dir; returns its path."""
    manifest, localizations = render(settings)
    errors = validate(manifest, localizations)
    if errors:
        raise ManifestInvalid(errors)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"laget-teams-{manifest['version']}.zip"
    tmp = path.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", _json(manifest))
        for name, localization in localizations.items():
            package.writestr(name, _json(localization))
        package.writestr(COLOR_ICON, png_bytes(draw_color_icon()))
        package.writestr(OUTLINE_ICON, png_bytes(draw_outline_icon()))
    tmp.replace(path)  # never leave a half-written package under the real name
    return path


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
