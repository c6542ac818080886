"""The Teams app package: built from the template and .env values, validated against the
official schema (vendored from @microsoft/app-manifest), refused with the schema's message
when broken."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import app
from bot.understanding import understand
from config import ROOT, Settings
from manifest import package
from manifest.package import ManifestInvalid, build_package, render, validate

BOT_ID = "9a3d1c2e-0b4f-4c1d-8e2a-5f6b7c8d9e0f"
HOST = "laget.norrtalje.example"
NPM_SCHEMAS = ROOT / "node_modules/@microsoft/app-manifest/build/json-schemas/teams/v1.30"
PACKAGE_ENV = ("MicrosoftAppId", "LAGET_TEAMS_APP_ID", "LAGET_APP_VERSION", "LAGET_PUBLIC_HOST",
               "LAGET_DEVELOPER_NAME", "LAGET_DEVELOPER_URL", "LAGET_PRIVACY_URL",
               "LAGET_TERMS_URL")


def deployment(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"app_id": BOT_ID, "public_host": HOST,
                              "developer_name": "Norrtälje kommun"}
    return Settings(**(values | overrides))


@pytest.fixture
def built(tmp_path: Path) -> Iterator[zipfile.ZipFile]:
    path = build_package(deployment(), tmp_path)
    with zipfile.ZipFile(path) as zipped:
        yield zipped


def broken_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change) -> None:
    """Point packaging at a copy of the manifest template with `change` applied."""
    manifest = json.loads(package.TEMPLATE.read_text(encoding="utf-8"))
    change(manifest)
    template = tmp_path / "manifest.json"
    template.write_text(json.dumps(manifest), encoding="utf-8")
    monkeypatch.setattr(package, "TEMPLATE", template)


def refusal(settings: Settings, out_dir: Path) -> str:
    with pytest.raises(ManifestInvalid) as refused:
        build_package(settings, out_dir)
    assert not out_dir.exists() or not any(out_dir.iterdir()), "nothing may be written"
    return "\n".join(refused.value.errors)


# --- a valid package ---------------------------------------------------------------------


def test_package_holds_manifest_localization_and_icons_at_its_root(
    built: zipfile.ZipFile,
) -> None:
    assert sorted(built.namelist()) == ["color.png", "manifest.json", "outline.png", "sv.json"]
    manifest = json.loads(built.read("manifest.json"))
    assert manifest["manifestVersion"] == "1.30"
    assert manifest["id"] == BOT_ID  # LAGET_TEAMS_APP_ID empty: the bot's id
    assert manifest["bots"][0]["botId"] == BOT_ID
    assert manifest["validDomains"] == [HOST]
    assert manifest["developer"] == {
        "name": "Norrtälje kommun", "websiteUrl": f"https://{HOST}",
        "privacyUrl": f"https://{HOST}", "termsOfUseUrl": f"https://{HOST}"}
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert manifest["localizationInfo"]["additionalLanguages"] == [
        {"languageTag": "sv-se", "file": "sv.json"}]
    for name in ("manifest.json", "sv.json"):
        assert "${{" not in built.read(name).decode("utf-8")


def test_packaged_files_pass_the_schemas(built: zipfile.ZipFile) -> None:
    manifest = json.loads(built.read("manifest.json"))
    assert validate(manifest, {"sv.json": json.loads(built.read("sv.json"))}) == []


def test_every_deployment_value_comes_from_the_settings(tmp_path: Path) -> None:
    teams_app_id = "0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"
    path = build_package(deployment(
        teams_app_id=teams_app_id, app_version="2.3.4", developer_url="https://norrtalje.se",
        privacy_url="https://norrtalje.se/gdpr", terms_url="https://norrtalje.se/villkor",
    ), tmp_path)
    assert path.name == "laget-teams-2.3.4.zip"
    manifest = json.loads(zipfile.ZipFile(path).read("manifest.json"))
    assert (manifest["id"], manifest["bots"][0]["botId"]) == (teams_app_id, BOT_ID)
    assert manifest["version"] == "2.3.4"
    assert manifest["developer"]["websiteUrl"] == "https://norrtalje.se"
    assert manifest["developer"]["privacyUrl"] == "https://norrtalje.se/gdpr"
    assert manifest["developer"]["termsOfUseUrl"] == "https://norrtalje.se/villkor"


def test_icons_have_teams_sizes_and_the_outline_is_white_on_transparent(
    built: zipfile.ZipFile,
) -> None:
    color = Image.open(io.BytesIO(built.read("color.png")))
    assert (color.format, color.size) == ("PNG", (192, 192))
    rgb = color.convert("RGB")
    assert len({rgb.getpixel((x, y)) for x in range(192) for y in range(192)}) > 2  # drawn

    outline = Image.open(io.BytesIO(built.read("outline.png")))
    assert (outline.format, outline.size, outline.mode) == ("PNG", (32, 32), "RGBA")
    pixels = [outline.getpixel((x, y)) for x in range(32) for y in range(32)]
    visible = [p for p in pixels if p[3] > 0]
    assert all(p[:3] == (255, 255, 255) for p in visible), "outline must be pure white"
    assert outline.getpixel((0, 0))[3] == 0 and outline.getpixel((31, 0))[3] == 0
    assert sum(1 for p in pixels if p[3] == 0) > len(pixels) // 3  # mostly transparent
    assert sum(1 for p in pixels if p[3] == 255) > 30  # and a symbol on it


def test_bot_has_three_scopes_and_a_command_list_for_each(built: zipfile.ZipFile) -> None:
    bot = json.loads(built.read("manifest.json"))["bots"][0]
    assert bot["scopes"] == ["personal", "team", "groupChat"]
    lists = {tuple(c["scopes"]): [cmd["title"] for cmd in c["commands"]]
             for c in bot["commandLists"]}
    assert set(lists) == {("personal",), ("team",), ("groupChat",)}
    for titles in lists.values():
        assert len(titles) <= 12
        assert {"forecast", "overdue", "update", "summary", "help"} <= set(titles)
    assert "my assignments" in lists[("personal",)]
    assert {"subscribe", "unsubscribe"} <= set(lists[("team",)])
    assert {"subscribe", "unsubscribe"} <= set(lists[("groupChat",)])


def test_every_command_is_understood_in_english_and_swedish() -> None:
    """Picking a command in Teams sends its title as the message: the bot must get it, in
    the manifest's English and in the localization's Swedish alike."""
    manifest, localizations = render(deployment())
    swedish = localizations["sv.json"]
    for c, command_list in enumerate(manifest["bots"][0]["commandLists"]):
        for i, cmd in enumerate(command_list["commands"]):
            sv_title = swedish[f"bots[0].commandLists[{c}].commands[{i}].title"]
            english, svenska = understand(cmd["title"]), understand(sv_title)
            assert english.name != "search", f"{cmd['title']!r} is not understood"
            assert svenska.name == english.name, f"{sv_title!r} ≠ {cmd['title']!r}"


def test_package_command_writes_the_zip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    for name in PACKAGE_ENV:
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("MicrosoftAppId", BOT_ID)
    monkeypatch.setenv("LAGET_PUBLIC_HOST", HOST)
    monkeypatch.setenv("LAGET_DEVELOPER_NAME", "Norrtälje kommun")
    assert app.main(["package", "--out", str(tmp_path)]) == 0
    written = tmp_path / "laget-teams-1.0.0.zip"
    assert capsys.readouterr().out.strip() == str(written)
    assert zipfile.is_zipfile(written)


# --- a broken manifest is refused, saying why ------------------------------------------------


def test_missing_required_field_is_refused_with_the_schema_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken_template(tmp_path, monkeypatch, lambda m: m.pop("accentColor"))
    assert "manifest.json: (top level): 'accentColor' is a required property" in refusal(
        deployment(), tmp_path / "out")


def test_bad_bot_id_is_refused_naming_the_setting(tmp_path: Path) -> None:
    errors = refusal(deployment(app_id="not-a-guid"), tmp_path / "out")
    assert ("manifest.json: bots/0/botId: 'not-a-guid' does not match "
            "'^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$' – set MicrosoftAppId in .env"
            ) in errors
    assert "manifest.json: id: 'not-a-guid' does not match" in errors


def test_empty_env_is_refused_listing_every_missing_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    for name in PACKAGE_ENV:
        monkeypatch.setenv(name, "")
    assert app.main(["package", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "inget paket skrevs, manifestet är ogiltigt" in err
    for setting in ("MicrosoftAppId", "LAGET_PUBLIC_HOST", "LAGET_DEVELOPER_NAME",
                    "LAGET_DEVELOPER_URL"):
        assert f"set {setting}" in err
    assert not (tmp_path / "out").exists()


def test_wrong_manifest_version_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The draft-04 schema says "const": 1.30; the validator must enforce it anyway."""
    broken_template(tmp_path, monkeypatch, lambda m: m.update(manifestVersion="1.18"))
    assert "manifest.json: manifestVersion: '1.30' was expected" in refusal(
        deployment(), tmp_path / "out")


def test_too_many_commands_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def thirteen_commands(manifest: dict) -> None:
        commands = manifest["bots"][0]["commandLists"][0]["commands"]
        commands.extend({"title": f"extra {i}"} for i in range(13 - len(commands)))

    broken_template(tmp_path, monkeypatch, thirteen_commands)
    errors = refusal(deployment(), tmp_path / "out")
    assert "manifest.json: bots/0/commandLists/0/commands: [" in errors
    assert "is too long" in errors


def test_broken_localization_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = json.loads((package.HERE / "sv.json").read_text(encoding="utf-8"))
    broken = dict(original)
    broken["name.short"] = "Läget – uppföljning av uppdrag och ekonomi"  # > 30 characters
    del broken["bots[0].commandLists[0].commands[0].title"]
    broken["descripton.short"] = broken.pop("description.short")  # a typo in a key
    (tmp_path / "sv.json").write_text(json.dumps(broken), encoding="utf-8")
    monkeypatch.setattr(package, "HERE", tmp_path)
    errors = refusal(deployment(), tmp_path / "out")
    assert "sv.json: name.short: 'Läget – uppföljning av uppdrag och ekonomi' is too long" in errors
    assert "sv.json: bots[0].commandLists[0].commands[0].title: missing translation" in errors
    assert ("sv.json: (top level): 'descripton.short' does not match any of the regexes: "
            in errors)


# --- the vendored schemas are Microsoft's -------------------------------------------------


@pytest.mark.parametrize("name", ["MicrosoftTeams.schema.json",
                                  "MicrosoftTeams.Localization.schema.json"])
def test_vendored_schema_equals_the_npm_package_copy(name: str) -> None:
    assert (package.SCHEMA_DIR / name).read_bytes() == (NPM_SCHEMAS / name).read_bytes()


def _ajv(schema: Path, *documents: Path) -> list[dict]:
    result = subprocess.run(
        ["node", str(ROOT / "tests/manifestcheck/validate.cjs"), str(schema),
         *map(str, documents)],
        capture_output=True, text=True, timeout=60, check=True, cwd=ROOT)
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_ajv_agrees_with_the_packaging_validation(
    built: zipfile.ZipFile, tmp_path: Path,
) -> None:
    """Microsoft's toolkit validates with ajv; it must accept what we package and refuse
    what we refuse."""
    built.extractall(tmp_path)
    broken = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    broken["bots"][0]["botId"] = "not-a-guid"
    del broken["accentColor"]
    (tmp_path / "broken.json").write_text(json.dumps(broken), encoding="utf-8")

    manifest_ok, manifest_broken = _ajv(package.MANIFEST_SCHEMA, tmp_path / "manifest.json",
                                        tmp_path / "broken.json")
    (localization_ok,) = _ajv(package.LOCALIZATION_SCHEMA, tmp_path / "sv.json")
    assert manifest_ok["valid"] and localization_ok["valid"], (manifest_ok, localization_ok)
    assert not manifest_broken["valid"]
    assert " must have required property 'accentColor'" in manifest_broken["errors"]
    assert any(e.startswith("/bots/0/botId must match pattern") for e in
               manifest_broken["errors"])
