"""The Teams app package: manifest.json, sv.json and the two icons in one zip.

The manifest template (manifest/manifest.json) and its Swedish localization (manifest/sv.json)
hold everything but the deployment values, which come from Settings (.env) at packaging time.
The result is validated offline against the official schemas before anything is written:
`build_package` refuses an invalid manifest with `ManifestInvalid`, listing the schema's
messages. The schemas are vendored from the npm package @microsoft/app-manifest
(manifest/schema/SOURCE.md), so packaging needs neither Node nor the network.
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
MANIFEST_VERSION = "1.30"
SCHEMA_DIR = HERE / "schema" / f"v{MANIFEST_VERSION}"
MANIFEST_SCHEMA = SCHEMA_DIR / "MicrosoftTeams.schema.json"
LOCALIZATION_SCHEMA = SCHEMA_DIR / "MicrosoftTeams.Localization.schema.json"
TEMPLATE = HERE / "manifest.json"
LOCALIZATIONS = ("sv.json",)
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
    if not names:
        return ""
    return " – set " + " and ".join(SETTING_OF[name] for name in names) + " in .env"


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
    """The keys a localization file must translate: names, descriptions, commands."""
    keys = {"name.short", "name.full", "description.short", "description.full"}
    for b, bot in enumerate(manifest.get("bots", [])):
        for c, command_list in enumerate(bot.get("commandLists", [])):
            for i, cmd in enumerate(command_list.get("commands", [])):
                keys.add(f"bots[{b}].commandLists[{c}].commands[{i}].title")
                if "description" in cmd:
                    keys.add(f"bots[{b}].commandLists[{c}].commands[{i}].description")
    return keys


def validate(manifest: dict[str, Any], localizations: dict[str, dict[str, Any]]) -> list[str]:
    """Everything wrong with a manifest and its localization files; empty when valid."""
    errors = list(_schema_errors(manifest, MANIFEST_SCHEMA, "manifest.json"))
    developer = manifest.get("developer")
    if isinstance(developer, dict) and not str(developer.get("name", "")).strip():
        errors.append("manifest.json: developer/name: must not be empty – set "
                      "LAGET_DEVELOPER_NAME in .env")
    for i, domain in enumerate(manifest.get("validDomains", []) or []):
        if not isinstance(domain, str) or not HOST.match(domain):
            errors.append(f"manifest.json: validDomains/{i}: {domain!r} is not a host name "
                          "(no https://, no path) – set LAGET_PUBLIC_HOST in .env")
    declared = {entry.get("file") for entry in
                manifest.get("localizationInfo", {}).get("additionalLanguages", [])}
    for name in sorted(declared - set(localizations)):
        errors.append(f"manifest.json: localizationInfo: {name} is declared but not packaged")
    expected = _localization_keys(manifest)
    for name, localization in localizations.items():
        if name not in declared:
            errors.append(f"{name}: not declared in manifest.json localizationInfo")
        errors.extend(_schema_errors(localization, LOCALIZATION_SCHEMA, name))
        errors.extend(_localized_length_errors(localization, name))
        present = set(localization) - {"$schema", "localizationKeys"}
        errors.extend(f"{name}: {key}: missing translation" for key in sorted(expected - present))
        errors.extend(f"{name}: {key}: translates nothing in manifest.json"
                      for key in sorted(present - expected))
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
