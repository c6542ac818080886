"""Läget's composition root: config → database → state → adapter → dialogs → bot → web app.

Nothing else constructs long-lived objects. Run `python app.py --help` for the commands.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from functools import partial

from aiohttp import web
from botbuilder.core import ConversationState, UserState
from sqlalchemy import Engine

from bot.adapter import LagetAdapter
from bot.laget_bot import LagetBot
from bot.middleware import QuestionTextMiddleware
from bot.sql_storage import SqlStorage
from config import Settings
from dialogs.main_dialog import MainDialog
from storage import domain
from storage.db import healthy, make_engine, migrate, session
from storage.demo import load_demo_if_empty
from storage.importer import ImportRejected, import_file
from storage.units import add_alias

log = logging.getLogger("laget")


@dataclass(frozen=True)
class Components:
    settings: Settings
    engine: Engine
    adapter: LagetAdapter
    bot: LagetBot
    web_app: web.Application


def build_database(settings: Settings) -> Engine:
    engine = make_engine(settings.database_url)
    migrate(engine)
    if settings.demo:
        for result in load_demo_if_empty(engine):
            log.info("demo data: %s", result)
    return engine


def build(settings: Settings, engine: Engine | None = None) -> Components:
    engine = engine or build_database(settings)
    storage = SqlStorage(engine)
    conversation_state = ConversationState(storage)
    user_state = UserState(storage)
    adapter = LagetAdapter(settings, conversation_state)
    adapter.use(QuestionTextMiddleware())
    today = partial(domain.today, settings.timezone, settings.fixed_today)
    dialog = MainDialog(engine, today)
    bot = LagetBot(conversation_state, user_state, dialog)

    async def messages(request: web.Request) -> web.Response:
        return await adapter.process(request, bot)

    async def healthz(_request: web.Request) -> web.Response:
        if healthy(engine):
            return web.json_response({"status": "ok"})
        return web.json_response({"status": "database unavailable"}, status=503)

    web_app = web.Application(client_max_size=1024 * 1024)
    web_app.router.add_post("/api/messages", messages)
    web_app.router.add_get("/healthz", healthz)

    async def close_adapter(_app: web.Application) -> None:
        await adapter.close()  # its outgoing HTTP session

    web_app.on_cleanup.append(close_adapter)
    return Components(settings, engine, adapter, bot, web_app)


# --- command line ---------------------------------------------------------------------------


def _serve(settings: Settings, _args: argparse.Namespace) -> int:
    components = build(settings)
    mode = "authenticated" if settings.authenticated else "local, no authentication"
    log.info("Läget listening on http://localhost:%s/api/messages (%s)", settings.port, mode)
    web.run_app(components.web_app, host="0.0.0.0", port=settings.port, print=None)
    return 0


def _import(settings: Settings, args: argparse.Namespace) -> int:
    engine = make_engine(settings.database_url)
    migrate(engine)
    status = 0
    for path in args.files:
        try:
            print(f"{path}: {import_file(engine, path)}")
        except ImportRejected as rejected:
            print(f"{path}: inget importerades ({len(rejected.errors)} fel):", file=sys.stderr)
            for error in rejected.errors:
                print(f"  {error}", file=sys.stderr)
            status = 1
    return status


def _alias(settings: Settings, args: argparse.Namespace) -> int:
    engine = make_engine(settings.database_url)
    migrate(engine)
    try:
        with session(engine) as s, s.begin():
            added = add_alias(s, args.unit, args.alias)
    except ValueError as exc:
        print(f"fel: {exc}", file=sys.stderr)
        return 1
    print(f"{args.alias!r} → {args.unit!r}" + ("" if added else " (fanns redan)"))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="app.py", description="Läget – Teams-bot för "
                                     "uppföljning av uppdrag och ekonomi")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="start the bot (default)")
    imp = sub.add_parser("import", help="import assignments, finance or alias files (CSV/XLSX)")
    imp.add_argument("files", nargs="+")
    alias = sub.add_parser("alias", help="add another name for a unit")
    alias.add_argument("unit")
    alias.add_argument("alias")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = Settings.from_env()
    handlers = {"serve": _serve, "import": _import, "alias": _alias}
    return handlers[args.command or "serve"](settings, args)


if __name__ == "__main__":
    sys.exit(main())
