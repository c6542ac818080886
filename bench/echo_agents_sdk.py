"""The successor SDK's bare echo: Microsoft 365 Agents SDK for Python 1.9
(microsoft-agents-hosting-aiohttp), as its documented quickstart builds it — MemoryStorage,
an MSAL connection manager with no credentials (anonymous), the CloudAdapter, the JWT
middleware and an AgentApplication that echoes. A baseline of bench/bench_turns.py; it runs
in its own venv (bench/.venv-agents, made by bench_turns.py), never in Läget's.

    bench/.venv-agents/bin/python bench/echo_agents_sdk.py PORT
"""

from __future__ import annotations

import sys
from os import environ

from aiohttp.web import Application, Request, Response, run_app
from microsoft_agents.activity import load_configuration_from_env
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import (
    CloudAdapter,
    jwt_authorization_middleware,
    start_agent_process,
)
from microsoft_agents.hosting.core import (
    AgentApplication,
    Authorization,
    MemoryStorage,
    TurnContext,
    TurnState,
)

# Anonymous, as the quickstart runs locally: a service connection without credentials that
# accepts requests without a token (bench_turns.py sets these two variables).
config = load_configuration_from_env(environ)
STORAGE = MemoryStorage()
CONNECTIONS = MsalConnectionManager(**config)
ADAPTER = CloudAdapter(connection_manager=CONNECTIONS)
AGENT_APP = AgentApplication[TurnState](
    storage=STORAGE, adapter=ADAPTER,
    authorization=Authorization(STORAGE, CONNECTIONS, **config), **config,
)


@AGENT_APP.activity("message")
async def on_message(context: TurnContext, _state: TurnState) -> None:
    await context.send_activity(f"you said: {context.activity.text}")


async def messages(request: Request) -> Response:
    return await start_agent_process(request, request.app["agent_app"], request.app["adapter"])


def main() -> None:
    app = Application(middlewares=[jwt_authorization_middleware])
    app.router.add_post("/api/messages", messages)
    app["agent_configuration"] = CONNECTIONS.get_default_connection_configuration()
    app["agent_app"] = AGENT_APP
    app["adapter"] = ADAPTER
    run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)


if __name__ == "__main__":
    main()
