"""A minimal bot on plain aiohttp that answers the Bot Framework protocol without botbuilder:
read the activity, POST an echo to {serviceUrl}/v3/conversations/{id}/activities/{replyTo},
answer 201. The ceiling of bench/bench_turns.py.

    .venv/bin/python bench/echo_minimal.py PORT
"""

from __future__ import annotations

import sys
from urllib.parse import quote

import aiohttp
from aiohttp import web


async def start(app: web.Application) -> None:
    app["http"] = aiohttp.ClientSession()


async def stop(app: web.Application) -> None:
    await app["http"].close()


async def messages(request: web.Request) -> web.Response:
    activity = await request.json()
    if activity.get("type") == "message":
        conversation = activity["conversation"]
        reply = {
            "type": "message",
            "text": f"Echo: {activity.get('text', '')}",
            "from": activity.get("recipient"),
            "recipient": activity.get("from"),
            "conversation": conversation,
            "replyToId": activity.get("id"),
        }
        url = (f"{activity['serviceUrl'].rstrip('/')}/v3/conversations/"
               f"{quote(conversation['id'], safe='')}/activities/{quote(activity['id'], safe='')}")
        async with request.app["http"].post(url, json=reply) as response:
            response.raise_for_status()
    return web.Response(status=201)


def main() -> None:
    app = web.Application()
    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    app.router.add_post("/api/messages", messages)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)


if __name__ == "__main__":
    main()
