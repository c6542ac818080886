"""Benchmark: turns per second and latency, request → reply arriving at a fake channel.

Läget (app.py, in its own process) answering the forecast question, the overdue list and a
follow-up question on a database with 20 000 extra assignments and 200 000 comments, side by
side in the same run with three baselines: the Microsoft 365 Agents SDK 1.9 echo
(bench/echo_agents_sdk.py, its documented quickstart, anonymous, in its own venv
bench/.venv-agents, made here on first use), a stock botbuilder 4.17.1 echo
(bench/echo_stock.py) and a minimal aiohttp bot without any SDK (bench/echo_minimal.py).
This process is the load generator and the fake channel; each bot runs in a process of its
own. Also reports each bot process's peak RSS (VmHWM).

Two modes: `warm` reuses 32 conversations; `first` sends every turn in a conversation the
bot has never seen (a new conversation id per turn; for the follow-up, per question pair),
as every new Teams user, channel and 1:1 nudge chat is.

    .venv/bin/python bench/bench_turns.py                    # SQLite, both modes
    .venv/bin/python bench/bench_turns.py --postgres         # PostgreSQL (throwaway server)
    .venv/bin/python bench/bench_turns.py --mode first --turns 1000

Prints Markdown tables for docs/performance.md.
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


# A script is the questions one conversation asks in turn; only the timed ones are measured
# and counted (a follow-up is timed, the question it follows is not).
Script = tuple[tuple[str, bool], ...]


async def drive(http: aiohttp.ClientSession, channel: Channel, channel_url: str, bot_url: str,
                script: Script, turns: int, concurrency: int,
                first_contact: bool) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = sent = 0
    counter = itertools.count()
    conversations = itertools.count()
    loop = asyncio.get_running_loop()
    run_id = time.perf_counter_ns()

    async def send(index: int, conversation_id: str, text: str) -> float | None:
        activity_id = f"a{index}-{time.perf_counter_ns()}"
        activity = {
            "type": "message", "id": activity_id, "channelId": "msteams",
            "serviceUrl": channel_url, "text": text, "locale": "sv-SE",
            "from": {"id": f"29:user-{conversation_id}", "name": "Bench"},
            "recipient": {"id": "28:bot", "name": "Bot"},
            "conversation": {"id": conversation_id, "conversationType": "personal",
                             "tenantId": "t"},
        }
        arrived: asyncio.Future[float] = loop.create_future()
        channel.waiting[activity_id] = arrived
        began = time.perf_counter()
        async with http.post(bot_url, json=activity) as response:
            await response.read()
            ok = response.status in (200, 201, 202)
        try:
            done = await asyncio.wait_for(arrived, 30)
        except TimeoutError:
            channel.waiting.pop(activity_id, None)
            return None
        return done - began if ok else None

    async def worker(index: int) -> None:
        nonlocal errors, sent
        while next(counter) < turns:
            number = next(conversations) if first_contact else index
            conversation_id = f"bench-{run_id}-{number}"
            for text, timed in script:
                took = await send(index, conversation_id, text)
                sent += 1
                if took is None:
                    errors += 1
                elif timed:
                    latencies.append(took)

    began = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return latencies, errors, sent, time.perf_counter() - began


@dataclass
class Variant:
    name: str
    argv: list[str]
    env: dict[str, str]
    script: Script
    port: int = 0
    proc: subprocess.Popen | None = None
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    turns: int = 0
    errors: int = 0

    def start(self) -> None:
        self.port = free_port()
        argv = [*self.argv, str(self.port)] if "app.py" not in self.argv else self.argv
        self.proc = subprocess.Popen(argv, cwd=ROOT,
                                     env={**os.environ, **self.env, "PORT": str(self.port)},
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/messages"

    def stop(self) -> float:
        """Its peak RSS (MiB); the process is ended."""
        assert self.proc is not None
        rss = peak_rss_mib(self.proc.pid)
        self.proc.terminate()
        self.proc.wait(30)
        return rss


async def run_variants(variants: list[Variant], first_contact: bool, args: argparse.Namespace,
                       channel: Channel, channel_url: str,
                       http: aiohttp.ClientSession) -> list[Result]:
    """Every bot started at once, warmed up, then driven in turn for `args.rounds` rounds
    of turns/rounds each: a burst of noise on the shared machine falls on all of them, not
    on whichever happened to run then."""
    for v in variants:
        v.start()
    try:
        for v in variants:
            assert v.proc is not None
            await wait_listening(v.port, v.proc)
            await drive(http, channel, channel_url, v.url, v.script, args.warmup,
                        args.concurrency, first_contact)
        per_round = max(1, args.turns // args.rounds)
        for _ in range(args.rounds):
            for v in variants:
                latencies, errors, sent, seconds = await drive(
                    http, channel, channel_url, v.url, v.script, per_round,
                    args.concurrency, first_contact)
                v.latencies += latencies
                v.errors += errors
                v.turns += sent - errors  # every turn (a follow-up's first question too)
                v.seconds += seconds
        return [Result(v.name, v.turns, v.seconds, v.latencies, v.stop(), v.errors)
                for v in variants]
    finally:
        for v in variants:
            if v.proc is not None and v.proc.poll() is None:
                v.proc.kill()


AGENTS_VENV = ROOT / "bench" / ".venv-agents"
AGENTS_PACKAGES = ("microsoft-agents-hosting-aiohttp==1.9.0",
                   "microsoft-agents-authentication-msal==1.9.0")


def agents_python() -> str:
    """The Agents SDK in a venv of its own (it must not share Läget's dependencies)."""
    python = AGENTS_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(AGENTS_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q",
                        "--disable-pip-version-check", *AGENTS_PACKAGES], check=True)
    return str(python)


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
                     "MicrosoftAppId": "", "MicrosoftAppPassword": "", "LAGET_SCHEDULER": "0"}
        agents_env = {"CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID": "",
                      "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__ANONYMOUS_ALLOWED": "true"}
        echo: Script = (("hej", True),)
        variants = [
            ("minimal aiohttp echo (no SDK)", [PYTHON, "bench/echo_minimal.py"], {}, echo),
            ("Agents SDK 1.9 echo (anonymous, MemoryStorage)",
             [agents_python(), "bench/echo_agents_sdk.py"], agents_env, echo),
            ("stock botbuilder 4.17.1 echo", [PYTHON, "bench/echo_stock.py"], {}, echo),
            ("Läget: forecast \"what's IT's forecast?\"", [PYTHON, "app.py"], laget_env,
             (("what's IT's forecast?", True),)),
            ("Läget: overdue list \"vilka uppdrag är försenade?\"", [PYTHON, "app.py"],
             laget_env, (("vilka uppdrag är försenade?", True),)),
            ("Läget: follow-up \"och HR?\" after a forecast", [PYTHON, "app.py"], laget_env,
             (("prognos IT", False), ("och HR?", True))),
        ]
        modes = {"warm": [False], "first": [True], "both": [True, False]}[args.mode]
        connector = aiohttp.TCPConnector(limit=args.concurrency * 2)
        async with aiohttp.ClientSession(connector=connector) as http:
            for first_contact in modes:
                results = await run_variants(
                    [Variant(name, argv, env, script) for name, argv, env, script in variants],
                    first_contact, args, channel, channel_url, http)
                for result in results:
                    print(f"{result.name}: {result.rate:.1f} turns/s", file=sys.stderr)
                report(results, args, "PostgreSQL" if args.postgres else "SQLite",
                       "first contact" if first_contact else "warm")
        await runner.cleanup()
    finally:
        if server:
            server.stop()


def report(results: list[Result], args: argparse.Namespace, database: str, mode: str) -> None:
    minimal, agents, stock = results[0], results[1], results[2]
    print(f"\n{database}, {mode}, {args.turns} turns in {args.rounds} interleaved rounds, "
          f"{args.concurrency} concurrent "
          f"conversations, {args.assignments} extra assignments / {args.comments} comments; "
          f"Python {platform.python_version()}, {os.cpu_count()} CPUs\n")
    print("| bot | turns/s | p50 ms | p99 ms | × Agents SDK echo | × stock echo | × minimal "
          "| peak RSS MiB | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r.name} | {r.rate:.1f} | {r.pct(50):.1f} | {r.pct(99):.1f} | "
              f"{r.rate / agents.rate:.2f} | {r.rate / stock.rate:.2f} | "
              f"{r.rate / minimal.rate:.2f} | {r.peak_rss_mib:.0f} | {r.errors} |")
    print("\nmean latency of Läget variants: "
          + ", ".join(f"{statistics.mean(r.latencies) * 1000:.1f} ms" for r in results[3:]
                      if r.latencies))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5,
                        help="interleaved rounds: each bot gets turns/rounds per round")
    parser.add_argument("--assignments", type=int, default=20_000)
    parser.add_argument("--comments", type=int, default=200_000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--mode", choices=["warm", "first", "both"], default="both")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
