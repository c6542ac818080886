"""bot/scheduler.py: a subscription that includes indicators (Lerum) gets their news in its
digest — new values and those that turned negative since the last digest — even on a day
no assignment is due, and each piece of news once; without indicators, none."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from storage_helpers import write_csv

from bot.proactive import SENT, Outcome
from bot.scheduler import NudgePass
from storage import conversations, subscriptions
from storage.conversations import ConversationInfo
from storage.db import session
from storage.importer import import_file
from storage.organisations import OrganisationView
from storage.schedule import SubscriptionOptions

TZ = ZoneInfo("Europe/Stockholm")
MONDAY_0800 = datetime(2025, 9, 29, 8, 0, tzinfo=TZ)
TUESDAY_0800 = datetime(2025, 9, 30, 8, 0, tzinfo=TZ)
SICK_LEAVE = "Sjukfrånvaro samtlig månadsavlönad personal (%)"
DIMIOS = "Digital mognad i förvaltningsorganisationen (DIMIOS)"


class RecordingSender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, list[Any]]] = []

    async def send(self, reference: dict[str, Any], activities: list, tenant_id: str = "") -> (
        Outcome
    ):
        self.sent.append((reference["conversation"]["id"], activities))
        return Outcome(SENT, len(activities))


def subscribe(engine: Engine, org: OrganisationView, conversation_id: str,
              indicators: bool, locale: str = "sv-SE") -> None:
    with session(engine, org.id) as s, s.begin():
        ref = conversations.record(s, ConversationInfo(
            org.id, conversation_id, "channel", "msteams", "http://channel/", "t", "",
            {"conversation": {"id": conversation_id}, "locale": locale}))
        subscriptions.subscribe(s, org.id, ref.id, [], SubscriptionOptions(), "08:00", "test",
                                indicators=indicators)


def shown(activities: list[Any]) -> str:
    parts = []
    for a in activities:
        parts.append(a.text or "")
        for attachment in a.attachments or []:
            parts.append(json.dumps(attachment.content, ensure_ascii=False))
    return "\n".join(parts)


async def test_indicator_news_in_the_digest_once(demo: Engine, lerum: OrganisationView,
                                                 tmp_path: Path) -> None:
    subscribe(demo, lerum, "19:ks-ledning", indicators=True)
    subscribe(demo, lerum, "19:plain", indicators=False, locale="en-US")
    sender = RecordingSender()
    # Nothing is due in Lerum (it has no assignments) and nothing is new since subscribing.
    result = await NudgePass(demo, sender).run(MONDAY_0800)  # type: ignore[arg-type]
    assert sender.sent == [] and result.nothing_due == 2

    # New values arrive: DIMIOS 2024, and sick leave's forecast turns to "Ökande".
    import_file(demo, lerum.id, write_csv(tmp_path / "ny.csv", [
        ["Nyckeltal", "Riktning", "År", "Värde", "Prognos"],
        [DIMIOS, "Högre är bättre", 2024, "53,2", ""],
        [SICK_LEAVE, "Lägre är bättre", 2024, "", "Ökande"]]))
    result = await NudgePass(demo, sender).run(TUESDAY_0800)  # type: ignore[arg-type]
    assert [conversation for conversation, _ in sender.sent] == ["19:ks-ledning"]
    assert result.digests == 1
    told = shown(sender.sent[0][1])
    assert "Nyckeltal: 1 nytt värde, 1 har vänt till negativ utveckling." in told, told
    assert "53,2 % (2024)" in told
    assert SICK_LEAVE in told
    assert "Läget: nytt om nyckeltalen" in told
    assert "försenade" not in sender.sent[0][1][0].text  # no assignments part

    # The next day, nothing more to tell.
    sender.sent.clear()
    result = await NudgePass(demo, sender).run(  # type: ignore[arg-type]
        datetime(2025, 10, 1, 8, 0, tzinfo=TZ))
    assert sender.sent == []
