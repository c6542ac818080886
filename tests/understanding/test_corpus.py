"""The labelled question corpora through the bot's real HTTP endpoint: corpus/sv.txt, en.txt,
fi.txt (Norrtälje, the default organisation; tests named language-kind-line) and
corpus/<org>/*.txt (another demo organisation, sent from its tenant; named
org-language-kind-line), one test per case, on the demo data with today fixed at 2025-09-15.
The corpora measure the language understanding: run bench/understanding.py for the accuracy
per kind, language and organisation."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import pytest_asyncio
from expected import TODAY
from runner import Case, load_cases, run_case

if TYPE_CHECKING:
    from botclient import BotClient

CASES = load_cases()

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def corpus_bot(sqlite_template: Path,
                     tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Any]:
    """One bot on a SQLite copy of the migrated template, shared by every case: each case
    talks in a conversation of its own. (The bot is imported here, not at the top, so that
    the corpus still collects, case by case, while the app does not import.)"""
    from botclient import bot_settings, running_bot

    path = tmp_path_factory.mktemp("corpus") / "laget.db"
    shutil.copyfile(sqlite_template, path)
    settings = bot_settings(f"sqlite:///{path}", fixed_today=TODAY.isoformat())
    async with running_bot(settings) as client:
        yield client


# Cases known to fail, with the reason (strict: a pass is reported, so the entry goes).
XFAIL: dict[str, str] = {}


def _param(case: Case) -> Any:
    marks = [pytest.mark.xfail(reason=XFAIL[case.id], strict=True)] if case.id in XFAIL else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
async def test_case(corpus_bot: BotClient, case: Case) -> None:
    result = await run_case(corpus_bot, case)
    if not result.ok:
        pytest.fail(result.describe(), pytrace=False)
