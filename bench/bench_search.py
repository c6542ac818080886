"""Benchmark: the message extension's search (composeExtension/query), as Teams sends it while
the user types, against app.py on a database with 20 000 extra assignments.

    .venv/bin/python bench/bench_search.py                 # SQLite
    .venv/bin/python bench/bench_search.py --postgres      # PostgreSQL (throwaway server)

Each query is sent as it grows letter by letter ("k", "ko", "kol", …), the way Teams sends
them, by `--concurrency` users at once; prints turns/s, p50/p99 per kind of query (title
words, a unit, #N, a misspelling, empty) and the results' count. The invoke's answer is the
HTTP response: no channel is involved.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from bench_data import populate  # noqa: E402
from bench_turns import PYTHON, peak_rss_mib, wait_listening  # noqa: E402
from localhost import free_port  # noqa: E402

QUERIES = {
    "title words": "koldioxidbudget",
    "unit": "räddningstjänst",
    "#N": "#33",
    "misspelling": "grovsopshämtning",
    "empty": "",
}


def invoke(query: str, n: int) -> dict:
    return {
        "type": "invoke", "name": "composeExtension/query", "id": f"q{n}",
        "channelId": "msteams", "serviceUrl": "http://127.0.0.1:9/", "locale": "sv-SE",
        "from": {"id": f"29:user-{n % 50}", "name": "Bench", "aadObjectId": f"user-{n % 50}"},
        "recipient": {"id": "28:bot", "name": "Läget"},
        "conversation": {"id": f"search-{n % 50}", "conversationType": "personal",
                         "tenantId": "t"},
        "value": {"commandId": "searchAssignments",
                  "parameters": [{"name": "query", "value": query}],
                  "queryOptions": {"skip": 0, "count": 25}},
    }


async def drive(http: aiohttp.ClientSession, url: str, words: str, users: int,
                rounds: int) -> tuple[list[float], int, int, float]:
    """Every user types `words` `rounds` times; returns latencies, errors, last count."""
    prefixes = [words[:i] for i in range(1, len(words) + 1)] or [""]
    latencies: list[float] = []
    errors = 0
    results = 0
    ids = itertools.count()

    async def user() -> None:
        nonlocal errors, results
        for _ in range(rounds):
            for prefix in prefixes:
                began = time.perf_counter()
                async with http.post(url, json=invoke(prefix, next(ids))) as response:
                    body = await response.json(content_type=None)
                took = time.perf_counter() - began
                if response.status != 200:
                    errors += 1
                    continue
                latencies.append(took)
                results = len(((body or {}).get("composeExtension") or {}).get(
                    "attachments") or [])

    began = time.perf_counter()
    await asyncio.gather(*(user() for _ in range(users)))
    return latencies, errors, results, time.perf_counter() - began


async def main_async(args: argparse.Namespace) -> None:
    server = None
    if args.postgres:
        from pg_server import PostgresServer, create_database
        from sqlalchemy import create_engine

        server = PostgresServer()
        admin = create_engine(server.start(), isolation_level="AUTOCOMMIT")
        url = create_database(admin, "bench")
        admin.dispose()
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='laget-search-')}/bench.db"
    proc = None
    try:
        populate(url, args.assignments, args.comments)
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "LAGET_DEMO": "0",
               "LAGET_TODAY": "2025-09-30", "MicrosoftAppId": "", "MicrosoftAppPassword": "",
               "LAGET_SCHEDULER": "0", "PORT": str(port)}
        proc = subprocess.Popen([PYTHON, "app.py"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        await wait_listening(port, proc)
        bot = f"http://127.0.0.1:{port}/api/messages"
        print(f"\n{'PostgreSQL' if args.postgres else 'SQLite'}, {args.users} users typing at "
              f"once, {args.assignments} extra assignments; Python "
              f"{platform.python_version()}, {os.cpu_count()} CPUs\n")
        print("| query | invokes | invokes/s | p50 ms | p99 ms | results | errors |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        async with aiohttp.ClientSession() as http:
            await drive(http, bot, "uppdrag", 4, 1)  # warm-up
            for kind, words in QUERIES.items():
                latencies, errors, results, seconds = await drive(http, bot, words,
                                                                  args.users, args.rounds)
                ordered = sorted(latencies)
                if not ordered:
                    print(f"| {kind} \"{words}\" | 0 | – | – | – | – | {errors} |")
                    continue
                p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000
                print(f"| {kind} \"{words}\" | {len(latencies)} | "
                      f"{len(latencies) / seconds:.0f} | "
                      f"{statistics.median(latencies) * 1000:.1f} | {p99:.1f} | {results} | "
                      f"{errors} |")
        print(f"\npeak RSS of the bot: {peak_rss_mib(proc.pid):.0f} MiB")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)
        if server:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--assignments", type=int, default=20_000)
    parser.add_argument("--comments", type=int, default=200_000)
    parser.add_argument("--postgres", action="store_true")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
