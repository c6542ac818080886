"""One nudge pass over many subscribed conversations and assignments, against a fake channel.

    .venv/bin/python bench/bench_nudges.py --conversations 2000 --assignments 20000
    .venv/bin/python bench/bench_nudges.py --tenants 20        # the code's own ceiling

Reports the planning time, the sending time, messages per second, the floor Teams' limits set
(50 requests per second per tenant), and checks the arrival times the fake channel recorded
against every per-conversation and per-tenant window.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from botbuilder.core import ConversationState, MemoryStorage  # noqa: E402
from fake_channel import fake_channel  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from bot.adapter import LagetAdapter  # noqa: E402
from bot.proactive import CONVERSATION_LIMITS, TENANT_LIMITS, ProactiveSender  # noqa: E402
from bot.scheduler import NudgePass  # noqa: E402
from config import Settings  # noqa: E402
from storage.db import make_engine, migrate, session  # noqa: E402
from storage.models import (  # noqa: E402
    Assignment,
    ConversationRef,
    StatusComment,
    Subscription,
    Unit,
)

TODAY = date(2025, 9, 30)
NOW = datetime(2025, 9, 30, 8, 5, tzinfo=ZoneInfo("Europe/Stockholm"))
UNITS = 40


def populate(url: str, conversations: int, assignments: int, tenants: int,
             service_url: str) -> None:
    engine = make_engine(url)
    migrate(engine)
    rnd = random.Random(7)
    with session(engine) as s, s.begin():
        s.execute(insert(Unit), [{"id": i, "name": f"Enhet {i}"} for i in range(1, UNITS + 1)])
        rows = []
        for i in range(1, assignments + 1):
            # Due dates from a year ago to four years ahead; most past ones are completed.
            # Per unit that leaves about a dozen overdue or due within 28 days.
            due = TODAY + timedelta(days=rnd.randint(-365, 1460))
            done = rnd.random() < (0.9 if due < TODAY else 0.1)
            status = "completed" if done else rnd.choice(["not_started", "started"])
            title = f"Uppdrag {i} om något som kommunen ska utreda"
            rows.append({"id": i, "kind": "Uppdrag", "goal_area": "", "title": title,
                         "unit_id": rnd.randint(1, UNITS), "due_date": due, "status": status,
                         "forecast": "on_plan", "kind_key": "uppdrag", "title_key": title.lower(),
                         "version": 1, "updated_at": datetime.now(UTC)})
        s.execute(insert(Assignment), rows)
        s.execute(insert(StatusComment), [
            {"assignment_id": i, "text": "Arbetet fortgår enligt plan. " * 3, "author": "import",
             "author_id": "", "changes": "",
             "created_at": datetime(2025, 6, 1, tzinfo=UTC) + timedelta(days=i % 90)}
            for i in range(1, assignments + 1)])
        refs, subs = [], []
        for c in range(1, conversations + 1):
            cid = f"19:bench-{c}@thread.tacv2"
            tenant = f"tenant-{c % tenants}"
            reference = {"serviceUrl": service_url, "channelId": "msteams", "locale": "sv-SE",
                         "bot": {"id": "28:laget"},
                         "conversation": {"id": cid, "conversationType": "channel",
                                          "tenantID": tenant}}
            refs.append({"id": c, "conversation_id": cid, "conversation_type": "channel",
                         "channel_id": "msteams", "service_url": service_url,
                         "tenant_id": tenant, "user_id": "", "reference": json.dumps(reference),
                         "active": True, "updated_at": datetime.now(UTC)})
            # Each conversation follows 3 units (a department's channel); 1 % all units.
            units = "" if c % 100 == 0 else ",".join(
                str(u) for u in sorted(rnd.sample(range(1, UNITS + 1), 3)))
            subs.append({"conversation_ref_id": c, "unit_ids": units, "lead_days": 7,
                         "long_lead_days": 28, "frequency": "daily", "weekday": 0,
                         "time_of_day": "08:00", "active": True, "disabled_reason": "",
                         "created_by": "bench", "created_at": datetime.now(UTC)})
        s.execute(insert(ConversationRef), refs)
        s.execute(insert(Subscription), subs)
    engine.dispose()


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{tmp}/bench.db"
        async with fake_channel() as channel:
            started = time.perf_counter()
            populate(url, args.conversations, args.assignments, args.tenants, channel.url)
            print(f"data: {args.conversations} subscribed conversations, {args.assignments} "
                  f"assignments, {args.tenants} tenant(s) ({time.perf_counter() - started:.1f} s)")
            engine = make_engine(url)
            adapter = LagetAdapter(Settings(), ConversationState(MemoryStorage()))
            sender = ProactiveSender(adapter, "")
            nudge_pass = NudgePass(engine, sender, concurrency=args.concurrency)
            started = time.perf_counter()
            result = await nudge_pass.run(NOW)
            elapsed = time.perf_counter() - started
            second_started = time.perf_counter()
            again = await nudge_pass.run(NOW + timedelta(minutes=1))
            second = time.perf_counter() - second_started
            await adapter.close()
            engine.dispose()

            messages = len(channel.received)
            sizes = [len(json.dumps(r.activity)) for r in channel.received]
            # 50 requests per second per tenant: the fastest Teams allows for this pass.
            floor = messages / args.tenants / 50
            conv = channel.rate_violations(CONVERSATION_LIMITS)
            tenant_of = {f"19:bench-{c}@thread.tacv2": c % args.tenants
                         for c in range(1, args.conversations + 1)}
            ten = channel.rate_violations(TENANT_LIMITS,
                                          key=lambda r: tenant_of.get(r.conversation_id))
            print(f"pass: {result}")
            print(f"time: {elapsed:.1f} s for {messages} messages = {messages / elapsed:.1f} "
                  f"messages/s; floor set by 50/s per tenant: {floor:.1f} s "
                  f"(× floor {elapsed / floor if floor else float('nan'):.2f}); "
                  f"limiter waited {sender.limiter.waited:.1f} s in total over all tasks")
            print(f"largest activity: {max(sizes) if sizes else 0} bytes")
            print(f"second pass (nothing to send): {second:.2f} s, {again}")
            print(f"rate-limit violations at arrival: per conversation {len(conv)}, "
                  f"per tenant {len(ten)}")
            for line in (conv + ten)[:10]:
                print("  ", line)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--assignments", type=int, default=20000)
    parser.add_argument("--tenants", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--database", help="SQLAlchemy URL of an EMPTY database (default: "
                        "a temporary SQLite file)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
