"""End to end in a client nobody in this project wrote: the bot started with the README's
run command (scripts/start.sh) on a fresh SQLite database with the demo data, the Microsoft
365 Agents Playground in front of it, and its web UI driven in headless Chromium
(tests/e2e/playground.mjs). The assertions are on what the rendered cards show.

The Playground sends every message with locale "en-US" (hard-coded in 0.2.x), and the reply
language follows the activity's locale (docs/decisions.md), so the bot answers the Swedish
question in English too: the test checks that it understood it, with the same figures.

Screenshots of every step, the bot's and the Playground's logs land in artifacts/e2e/.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from localhost import free_port

from config import ROOT

ARTIFACTS = ROOT / "artifacts" / "e2e"
CHROMIUM = Path("/usr/bin/chromium")
PLAYGROUND_CLI = ROOT / "node_modules" / "@microsoft" / "m365agentsplayground" / "cli.js"
DRIVER = ROOT / "tests" / "e2e" / "playground.mjs"
BOT_START_TIMEOUT = 120  # on its first run, scripts/start.sh runs pip install -e . first
PLAYGROUND_START_TIMEOUT = 60
DRIVER_TIMEOUT = 150
COMMENT = "Åtgärdsplanen antogs av KS den 24 september."

# Norrtälje: the Playground's own tenant belongs to no organisation, so in local mode its
# chats go to the default one.
PLAN: list[dict[str, Any]] = [
    {"name": "forecast in English", "say": "what's IT's forecast?"},
    {"name": "forecast asked in Swedish", "say": "Hur går det för IT?"},
    {"name": "overdue", "say": "vilka uppdrag är försenade?"},
    {"name": "assignment", "say": "#33"},
    {"name": "update card", "press": "Update"},
    {"name": "update saved", "fill": {"radios": ["Completed", "On plan"], "text": COMMENT,
                                      "date": "2025-12-31"}, "press": "Save"},
    {"name": "overdue after the update", "say": "which assignments are overdue?"},
    {"name": "summary", "say": "summary"},
    # The message extension, from the chat's message box (docs/teams-app.md: by hand the same)
    {"name": "message extension search", "search": "trygghetskameror",
     "command": "searchAssignments", "parameter": "query", "pick": 0},
    {"name": "channel post with a mention", "channel": "General", "mention": "Test Bot",
     "post": "overdue for Stab"},
]
# Lerum, from its tenant (the Playground reads the tenant from .m365agentsplayground.yml in
# the folder it starts in, as docs/playground/ shows for Lovisa).
LERUM_TENANT = "33333333-3333-4333-8333-333333333333"
LERUM_PLAN: list[dict[str, Any]] = [
    {"name": "indicator", "say": "hur går sjukfrånvaron?"},
    {"name": "indicators going well", "say": "which indicators are developing positively?"},
]


def documented_settings() -> list[str]:
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    return [line.split("=", 1)[0] for line in lines if line and line[0] != "#" and "=" in line]


def tail(path: Path, lines: int = 40) -> str:
    text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def die_with_parent() -> None:
    """In the child before exec: the kernel kills it when pytest dies, even by SIGKILL, so a
    killed test run leaves no bot or Playground behind (Linux PR_SET_PDEATHSIG)."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


@contextmanager
def started(name: str, command: list[str], env: dict[str, str], cwd: Path) -> Iterator[Any]:
    """A process in its own session, with output in artifacts/e2e/NAME.log; it and all its
    children are killed on the way out, whatever happens."""
    log = ARTIFACTS / f"{name}.log"
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True,
                                   preexec_fn=die_with_parent)
        try:
            yield process, log
        finally:
            for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
                try:
                    os.killpg(process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    process.wait(grace)
                    break
                except subprocess.TimeoutExpired:
                    continue


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float,
                  what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode} before answering {url}:\n"
                        f"{tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"{what} did not answer {url} within {timeout} s:\n{tail(log)}")


def drive(name: str, plan: list[dict[str, Any]], bot_port: int, base_env: dict[str, str],
          work: Path, bot_log: Path, prefix: str) -> dict[str, Any]:
    """One Agents Playground, started in `work` (which may hold its tenant's config), driven
    through `plan` in headless Chromium: every step's observations."""
    playground_port = free_port()
    playground_env = base_env | {
        "BOT_ENDPOINT": f"http://127.0.0.1:{bot_port}/api/messages",
        "TEAMSAPPTESTER_BROWSER": "none",
    }
    with started(name, ["node", str(PLAYGROUND_CLI), "--disable-telemetry",
                        "-p", str(playground_port)], playground_env, work) as (
            playground, playground_log):
        wait_until_up(f"http://127.0.0.1:{playground_port}/_debug/ping", playground,
                      playground_log, PLAYGROUND_START_TIMEOUT, "the Agents Playground")
        plan_file = work / "plan.json"
        plan_file.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
        driver_env = base_env | {
            "PLAYGROUND_URL": f"http://127.0.0.1:{playground_port}",
            "ARTIFACTS_DIR": str(ARTIFACTS), "CHROMIUM": str(CHROMIUM),
            "SCREENSHOT_PREFIX": prefix,
        }
        try:
            run = subprocess.run(["node", str(DRIVER), str(plan_file)], cwd=ROOT, env=driver_env,
                                 capture_output=True, text=True, timeout=DRIVER_TIMEOUT,
                                 preexec_fn=die_with_parent)
        except subprocess.TimeoutExpired as expired:
            pytest.fail(f"the Playground driver did not finish within {DRIVER_TIMEOUT} s:\n"
                        f"{expired.stderr}\nbot log:\n{tail(bot_log)}")
        lines = run.stdout.strip().splitlines()
        report: dict[str, Any] = json.loads(lines[-1]) if lines else {}
        if run.returncode != 0 or report.get("error"):
            pytest.fail(f"the Playground driver failed: {report.get('error') or run.stderr}\n"
                        f"see {ARTIFACTS / (prefix + 'failure.png')}\nbot log:\n"
                        f"{tail(bot_log)}\nplayground log:\n{tail(playground_log, 15)}")
    (ARTIFACTS / f"{prefix}report.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    report["by_name"] = {step["name"]: step for step in report["steps"]}
    return report


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The bot started with the README's command; a Playground session as a user of
    Norrtälje (the default organisation) and one as a user of Lerum (from its tenant)."""
    assert CHROMIUM.exists(), (f"{CHROMIUM} is missing: scripts/test.sh installs it "
                               "(apt-get install chromium)")
    assert PLAYGROUND_CLI.exists(), "the Agents Playground is missing: run npm ci"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*failure.png"):
        old.unlink()
    work = tmp_path_factory.mktemp("e2e")
    bot_port = free_port()
    base_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("Microsoft", "LAGET_", "DATABASE_URL", "PORT"))}
    # Every documented setting is set, so a developer's .env can't change this run (the
    # bot's .env loading never overrides the environment).
    bot_env = base_env | dict.fromkeys(documented_settings(), "") | {
        "DATABASE_URL": f"sqlite:///{work / 'laget.db'}", "LAGET_TODAY": "2025-09-30",
        "PORT": str(bot_port), "LAGET_DEMO": "1", "LAGET_KOLADA_URL": "http://127.0.0.1:9",
    }
    lerum = tmp_path_factory.mktemp("e2e-lerum")
    config = (ROOT / "docs" / "playground" / "lovisa" / ".m365agentsplayground.yml").read_text(
        encoding="utf-8")
    (lerum / ".m365agentsplayground.yml").write_text(
        config.replace("22222222-2222-4222-8222-222222222222", LERUM_TENANT)
        .replace("lovisa-", "lerum-"), encoding="utf-8")
    with started("bot", ["bash", "scripts/start.sh"], bot_env, ROOT) as (bot, bot_log):
        wait_until_up(f"http://127.0.0.1:{bot_port}/healthz", bot, bot_log,
                      BOT_START_TIMEOUT, "the bot (scripts/start.sh)")
        return {
            "norrtalje": drive("playground", PLAN, bot_port, base_env, work, bot_log, ""),
            "lerum": drive("playground-lerum", LERUM_PLAN, bot_port, base_env, lerum, bot_log,
                           "lerum-"),
        }


@pytest.fixture(scope="module")
def session(sessions: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return sessions["norrtalje"]


def card(session: dict[str, Any], step: str) -> dict[str, Any]:
    return session["by_name"][step]["card"]


def facts(session: dict[str, Any], step: str) -> dict[str, str]:
    return dict(card(session, step)["facts"])


def assert_includes(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    assert {key: actual.get(key) for key in expected} == expected, actual


def test_greeting_on_installation(session: dict[str, Any]) -> None:
    assert "Läget" in session["welcome"]["text"]


def test_it_forecast_asked_in_english(session: dict[str, Any]) -> None:
    shown = card(session, "forecast in English")
    assert "Forecast – IT" in shown["text"]
    assert_includes(facts(session, "forecast in English"), {
        "Full-year budget": "-41 225 SEK thousand",
        "Full-year forecast": "-39 853 SEK thousand",
        "Deviation budget–forecast": "+1 372 SEK thousand (surplus)",
        "Actual for the period": "-20 813 SEK thousand of budget -23 978 SEK thousand",
    })


def test_it_forecast_asked_in_swedish(session: dict[str, Any]) -> None:
    """Understood, with the same figures; in English, because the Playground's locale is
    en-US and the reply follows the locale."""
    shown = card(session, "forecast asked in Swedish")
    assert "Forecast – IT" in shown["text"]
    assert facts(session, "forecast asked in Swedish") == facts(session, "forecast in English")


def test_overdue_assignments_for_the_fixed_day(session: dict[str, Any]) -> None:
    shown = card(session, "overdue")
    assert "Overdue assignments (5)" in shown["text"]
    assert "As of 2025-09-30" in shown["text"]
    due = re.findall(r"due date (\d{4}-\d\d-\d\d \(\d+ days overdue\))", shown["text"])
    assert len(due) == 5
    assert due[0] == "2025-02-28 (214 days overdue)"  # oldest first
    assert due[-1] == "2025-09-08 (22 days overdue)"
    assert shown["text"].index("#33 ·") < shown["text"].index("#28 ·")


def test_an_assignment_by_its_number(session: dict[str, Any]) -> None:
    shown = card(session, "assignment")
    assert_includes(facts(session, "assignment"), {
        "Number": "#33", "Kind": "Nämndinitiativ", "Responsible": "Stab och planering",
        "Due date": "2025-02-28 (214 days overdue)", "Status": "Started",
        "Forecast": "Deviation from plan"})
    # the goal area starts "5. Norrtälje …": shown as printed, not as a list or "\5."
    assert facts(session, "assignment")["Goal area"].startswith("5. Norrtälje ska förvaltas")
    assert shown["buttons"] == ["Update"]


def test_update_card_has_its_inputs(session: dict[str, Any]) -> None:
    shown = card(session, "update card")
    assert "Update assignment" in shown["text"]
    assert "Ta fram åtgärdsplan för att inte överskrida den beslutade koldioxidbudgeten." in (
        shown["text"])
    # status: 3 choices, forecast: 2; a comment; a new due date; one button
    assert shown["inputs"] == {"radios": 5, "textareas": 1, "dates": 1}
    assert shown["buttons"] == ["Save"]


def test_update_through_the_cards_inputs_and_button(session: dict[str, Any]) -> None:
    step = session["by_name"]["update saved"]
    # The Playground sent an Action.Execute with the card's input ids and the verb.
    [invoke] = step["invokes"]
    assert invoke["name"] == "adaptiveCard/action"
    action = invoke["value"]["action"]
    assert action["type"] == "Action.Execute" and action["verb"] == "updateStatus"
    assert_includes(action["data"], {"status": "completed", "forecast": "on_plan",
                                     "comment": COMMENT, "due_date": "2025-12-31"})
    # The bot answered with the saved assignment, shown in place of the update card.
    shown = step["card"]
    assert "Saved:" in shown["text"]
    assert COMMENT in shown["text"]
    assert_includes(facts(session, "update saved"),
                    {"Status": "Completed", "Forecast": "On plan", "Due date": "2025-12-31"})


def test_the_update_is_kept(session: dict[str, Any]) -> None:
    shown = card(session, "overdue after the update")
    assert "Overdue assignments (4)" in shown["text"]
    assert "koldioxidbudgeten" not in shown["text"]


def test_summary_with_its_charts(session: dict[str, Any]) -> None:
    """The report's summary table, and Teams' donut charts rendered by the Playground; the
    update (#33: deviation → on plan) is counted."""
    shown = card(session, "summary")
    assert "Assignment summary" in shown["text"]
    assert shown["charts"] >= 3
    assert "Forecast – all kinds: On plan 29; Deviation from plan 7." in shown["text"]


def test_forecast_has_its_chart(session: dict[str, Any]) -> None:
    shown = card(session, "forecast in English")
    assert shown["charts"] >= 1
    assert "Net cost: budget, forecast and actual (SEK thousand)" in shown["text"]
    assert "Assignments for IT" not in shown["text"]  # IT has a budget, no assignments


def test_indicator_of_another_organisation_from_its_tenant(
        sessions: dict[str, dict[str, Any]]) -> None:
    """Lerum's user (tenant 3333…) gets Lerum's indicator, with its line chart."""
    lerum = sessions["lerum"]
    shown = card(lerum, "indicator")
    assert "Sjukfrånvaro samtlig månadsavlönad personal (%)" in shown["text"]
    assert_includes(facts(lerum, "indicator"), {
        "Latest value": "9,3 % (2022)", "Change 2021–2022": "+0,3, Increasing (negative)",
        "Forecast 2024": "Decreasing (positive)", "Polarity": "lower is better"})
    assert shown["charts"] >= 1
    listed = card(lerum, "indicators going well")
    assert "Indicators developing positively" in listed["text"]
    assert "5 indicators" in listed["text"]
    assert "Trygghet och säkerhet" not in listed["text"]  # "Bibehållen": neither way
    for line in lerum["transcript"]:
        assert "went wrong" not in line, line
    for step in lerum["steps"]:
        assert step["screenshot_bytes"] > 10_000, step["screenshot"]


def test_message_extension_search_in_the_message_box(session: dict[str, Any]) -> None:
    """The search from the message box: the Playground sends Teams' composeExtension/query
    with the command id and parameter name entered in its search (it doesn't read the
    manifest), and Läget finds the assignment.

    The results' previews carry no tap (Playground 0.2.28 refuses results with one, and
    lists nothing), so the Playground lists them and picking one inserts the result's card,
    with its Update button, in the message box (docs/teams-app.md)."""
    step = session["by_name"]["message extension search"]
    [invoke] = step["invokes"]
    assert invoke["name"] == "composeExtension/query"
    assert_includes(invoke["value"], {
        "commandId": "searchAssignments", "commandContext": "compose",
        "parameters": [{"name": "query", "value": "trygghetskameror"}]})
    search = step["search"]
    assert search["status"] == 200
    assert search["results"] == [
        "#6 Trygghetskameror ska sättas upp på fler utsatta eller potentiellt utsatta platser."]
    assert not search["taps"], search
    assert search["listed"] == search["results"], search
    shown = card(session, "message extension search")
    assert "Trygghetskameror ska sättas upp" in shown["text"]
    assert_includes(facts(session, "message extension search"), {
        "Number": "#6", "Responsible": "Stab och planering", "Status": "Started"})
    assert shown["buttons"] == ["Update"]


def test_channel_post_that_mentions_the_bot(session: dict[str, Any]) -> None:
    """In a team's channel the bot answers a new post that @mentions it, in its thread; the
    update made in the personal chat shows there too."""
    shown = card(session, "channel post with a mention")
    assert "Overdue assignments – Stab och planering (1)" in shown["text"]
    assert "kontinuitetshantering" in shown["text"]
    assert "koldioxidbudgeten" not in shown["text"]


def test_no_step_failed_and_screenshots_were_saved(session: dict[str, Any]) -> None:
    for line in session["transcript"]:
        assert "went wrong" not in line and "gick fel" not in line, line
    for step in session["steps"]:
        assert step["screenshot_bytes"] > 10_000, step["screenshot"]
