"""Benchmark: turns per second and latency, request → reply arriving at a fake channel.

Läget (app.py, in its own process) answering the forecast question and the overdue list on a
database with 20 000 assignments and 200 000 comments, side by side in the same run with a
stock botbuilder echo bot (bench/echo_stock.py) and a minimal aiohttp bot without botbuilder
(bench/echo_minimal.py). This process is the load generator and the fake channel; each bot
runs in a separate process. Also reports each bot process's peak RSS (VmHWM).

    .venv/bin/python bench/bench_turns.py                 # SQLite
    .venv/bin/python bench/bench_turns.py --postgres      # PostgreSQL (throwaway server)

Prints a Markdown table for docs/performance.md.
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
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from bench_data import populate  # noqa: E402
from localhost import free_port  # noqa: E402

PYTHON = sys.executable


@dataclass
class Channel:
    """Receives replies; resolves the waiting turn by the replyToId in the URL."""

    waiting: dict[str, asyncio.Future[float]] = field(default_factory=dict)
    ids: itertools.count = field(default_factory=itertools.count)

    async def reply(self, request: web.Request) -> web.Response:
        await request.read()
        future = self.waiting.pop(request.match_info.get("aid", ""), None)
        if future is not None and not future.done():
            future.set_result(time.perf_counter())
        return web.json_response({"id": f"r{next(self.ids)}"})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self.reply)
        app.router.add_post("/v3/conversations/{cid}/activities", self.reply)
        return app


@dataclass
class Result:
    name: str
    turns: int
    seconds: float
    latencies: list[float]
    peak_rss_mib: float
    errors: int

    @property
    def rate(self) -> float:
        return self.turns / self.seconds

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


async def wait_listening(port: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"bot exited with {proc.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.2)
    raise TimeoutError(f"nothing listening on {port}")


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def drive(http: aiohttp.ClientSession, channel: Channel, channel_url: str, bot_url: str,
                text: str, turns: int, concurrency: int) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    counter = itertools.count()
    loop = asyncio.get_running_loop()

    async def conversation(index: int) -> None:
        nonlocal errors
        while next(counter) < turns:
            activity_id = f"a{index}-{len(latencies)}-{time.perf_counter_ns()}"
            activity = {
                "type": "message", "id": activity_id, "channelId": "msteams",
                "serviceUrl": channel_url, "text": text, "locale": "sv-SE",
                "from": {"id": f"29:user-{index}", "name": "Bench"},
                "recipient": {"id": "28:bot", "name": "Bot"},
                "conversation": {"id": f"bench-{index}", "conversationType": "personal",
                                 "tenantId": "t"},
            }
            arrived: asyncio.Future[float] = loop.create_future()
            channel.waiting[activity_id] = arrived
            began = time.perf_counter()
            async with http.post(bot_url, json=activity) as response:
                await response.read()
                ok = response.status in (200, 201)
            try:
                done = await asyncio.wait_for(arrived, 30)
            except TimeoutError:
                ok = False
                channel.waiting.pop(activity_id, None)
            if ok:
                latencies.append(done - began)
            else:
                errors += 1

    began = time.perf_counter()
    await asyncio.gather(*(conversation(i) for i in range(concurrency)))
    return latencies, errors, time.perf_counter() - began


async def run_variant(name: str, argv: list[str], env: dict[str, str], port: int, text: str,
                      args: argparse.Namespace, channel: Channel, channel_url: str,
                      http: aiohttp.ClientSession) -> Result:
    proc = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        await wait_listening(port, proc)
        bot_url = f"http://127.0.0.1:{port}/api/messages"
        await drive(http, channel, channel_url, bot_url, text, args.warmup, args.concurrency)
        latencies, errors, seconds = await drive(http, channel, channel_url, bot_url, text,
                                                 args.turns, args.concurrency)
        rss = peak_rss_mib(proc.pid)
    finally:
        proc.terminate()
        proc.wait(30)
    return Result(name, len(latencies), seconds, latencies, rss, errors)


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
        tmp = tempfile.mkdtemp(prefix="laget-bench-")
        url = f"sqlite:///{tmp}/bench.db"
    try:
        filled = populate(url, args.assignments, args.comments)
        print(f"database filled in {filled['seconds']:.1f} s: {url.split('@')[-1]}",
              file=sys.stderr)
        channel = Channel()
        runner = web.AppRunner(channel.app(), access_log=None)
        await runner.setup()
        channel_port = free_port()
        await web.TCPSite(runner, "127.0.0.1", channel_port).start()
        channel_url = f"http://127.0.0.1:{channel_port}/"
        laget_env = {"DATABASE_URL": url, "LAGET_DEMO": "0", "LAGET_TODAY": "2025-09-30",
                     "MicrosoftAppId": "", "MicrosoftAppPassword": ""}
        results = []
        connector = aiohttp.TCPConnector(limit=args.concurrency * 2)
        async with aiohttp.ClientSession(connector=connector) as http:
            variants = [
                ("minimal aiohttp echo (no botbuilder)", [PYTHON, "bench/echo_minimal.py"],
                 {}, "hej"),
                ("stock botbuilder echo (CloudAdapter)", [PYTHON, "bench/echo_stock.py"],
                 {}, "hej"),
                ("Läget: forecast \"prognos IT\"", [PYTHON, "app.py"], laget_env,
                 "prognos IT"),
                ("Läget: overdue list \"försenade\"", [PYTHON, "app.py"], laget_env,
                 "försenade"),
            ]
            for name, argv, env, question in variants:
                port = free_port()
                argv = [*argv, str(port)] if "app.py" not in argv else argv
                env = {**env, "PORT": str(port)}
                result = await run_variant(name, argv, env, port, question, args, channel,
                                           channel_url, http)
                print(f"{name}: {result.rate:.1f} turns/s", file=sys.stderr)
                results.append(result)
        await runner.cleanup()
    finally:
        if server:
            server.stop()
    report(results, args, "PostgreSQL" if args.postgres else "SQLite")


def report(results: list[Result], args: argparse.Namespace, database: str) -> None:
    minimal, stock = results[0], results[1]
    print(f"\n{database}, {args.turns} turns, {args.concurrency} concurrent conversations, "
          f"{args.assignments} assignments / {args.comments} comments; "
          f"{platform.python_version()}, {os.cpu_count()} CPUs\n")
    print("| bot | turns/s | p50 ms | p99 ms | × stock echo | × minimal | peak RSS MiB "
          "| errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r.name} | {r.rate:.1f} | {r.pct(50):.1f} | {r.pct(99):.1f} | "
              f"{r.rate / stock.rate:.2f} | {r.rate / minimal.rate:.2f} | "
              f"{r.peak_rss_mib:.0f} | {r.errors} |")
    print("\nmean latency of Läget variants: "
          + ", ".join(f"{statistics.mean(r.latencies) * 1000:.1f} ms" for r in results[2:]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--assignments", type=int, default=20_000)
    parser.add_argument("--comments", type=int, default=200_000)
    parser.add_argument("--postgres", action="store_true")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
