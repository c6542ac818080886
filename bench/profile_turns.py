"""Where a turn's time goes: cProfile over sequential turns, bot and fake channel in one process.

    .venv/bin/python bench/profile_turns.py "prognos IT" 600          # warm conversation
    .venv/bin/python bench/profile_turns.py "prognos IT" 600 first    # a new one per turn

Fills a temporary SQLite database like bench_turns.py (20 000 assignments, 200 000 comments),
serves app.py's web app and bench_turns' fake channel on local ports, warms up with 100 turns,
then profiles N turns one after another. Profiling roughly doubles the time per turn; use it
for shares, and bench_turns.py for rates.
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import pstats
import sys
import tempfile
from pathlib import Path

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from bench_data import populate  # noqa: E402
from bench_turns import Channel, drive  # noqa: E402
from localhost import free_port  # noqa: E402


async def main(text: str, turns: int, first_contact: bool) -> None:
    import app as laget
    from config import Settings

    url = f"sqlite:///{tempfile.mkdtemp(prefix='laget-profile-')}/bench.db"
    populate(url, 20_000, 200_000)
    os.environ.update({"DATABASE_URL": url, "LAGET_DEMO": "0", "LAGET_TODAY": "2025-09-30",
                       "MicrosoftAppId": "", "MicrosoftAppPassword": "", "LAGET_SCHEDULER": "0"})
    components = laget.build(Settings.from_env(env_file=os.devnull))
    channel = Channel()
    runners = []
    ports = []
    for web_app in (channel.app(), components.web_app):
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)
        ports.append(port)
    channel_url = f"http://127.0.0.1:{ports[0]}/"
    bot_url = f"http://127.0.0.1:{ports[1]}/api/messages"
    async with aiohttp.ClientSession() as http:
        script = ((text, True),)
        await drive(http, channel, channel_url, bot_url, script, 100, 1, first_contact)
        profile = cProfile.Profile()
        profile.enable()
        latencies, errors, _sent, seconds = await drive(http, channel, channel_url, bot_url, script,
                                                 turns, 1, first_contact)
        profile.disable()
    for runner in reversed(runners):
        await runner.cleanup()
    print(f"{len(latencies)} turns one at a time, profiled: {seconds / turns * 1000:.2f} ms per "
          f"turn, {errors} errors\n")
    pstats.Stats(profile).sort_stats("cumulative").print_stats(60)
    pstats.Stats(profile).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "prognos IT",
                     int(sys.argv[2]) if len(sys.argv) > 2 else 600,
                     len(sys.argv) > 3 and sys.argv[3] == "first"))
