"""Läget's composition root: config → database → state → adapter → dialogs → bot → web app.

Nothing else constructs long-lived objects. Run `python app.py --help` for the commands.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from aiohttp import web
from botbuilder.core import ConversationState, UserState
from sqlalchemy import Engine
from tabulate import tabulate

from bot.adapter import LagetAdapter
from bot.botbuilder_patches import check_versions
from bot.http_server import serve
from bot.laget_bot import LagetBot
from bot.middleware import ConversationReferenceMiddleware, QuestionTextMiddleware
from bot.proactive import ProactiveSender
from bot.scheduler import NudgePass, Scheduler
from bot.sql_storage import SqlStorage
from config import Settings
from dialogs.main_dialog import MainDialog
from dialogs.updates import card_action
from manifest.package import DEFAULT_OUT_DIR, ManifestInvalid, build_package
from storage import domain, nudges
from storage.db import healthy, make_engine, migrate, session
from storage.demo import grant_playground_admin, load_demo_if_empty
from storage.importer import ImportRejected, import_file
from storage.roles import grant, list_roles, parse_role, revoke
from storage.units import add_alias

log = logging.getLogger("laget")


@dataclass(frozen=True)
class Components:
    settings: Settings
    engine: Engine
    adapter: LagetAdapter
    bot: LagetBot
    web_app: web.Application
    nudge_pass: NudgePass | None = None
    scheduler: Scheduler | None = None


def build_database(settings: Settings) -> Engine:
    engine = _database(settings)
    if settings.demo:
        for result in load_demo_if_empty(engine):
            log.info("demo data: %s", result)
        if not settings.authenticated and grant_playground_admin(engine):
            log.info("local demo: the Agents Playground user is admin")
    return engine


def build(settings: Settings, engine: Engine | None = None,
          clock: Callable[[], datetime] | None = None) -> Components:
    """`clock` (the office's wall clock, for the nudge scheduler) is injectable for tests."""
    check_versions()  # before anything is built on the patched botbuilder
    engine = engine or build_database(settings)
    storage = SqlStorage(engine)
    conversation_state = ConversationState(storage)
    user_state = UserState(storage)
    adapter = LagetAdapter(settings, conversation_state)
    adapter.use(ConversationReferenceMiddleware(engine))
    adapter.use(QuestionTextMiddleware())
    today = partial(domain.today, settings.timezone, settings.fixed_today)
    dialog = MainDialog(engine, today)
    bot = LagetBot(conversation_state, user_state, dialog,
                   partial(card_action, engine=engine, today=today))

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
    nudge_pass = NudgePass(engine, ProactiveSender(adapter, settings.app_id),
                           stale_comment_days=settings.stale_comment_days,
                           reminder_time=settings.reminder_time,
                           tenant_id=settings.app_tenant_id)
    scheduler = Scheduler(nudge_pass.run, clock or partial(
        nudges.local_now, settings.timezone, settings.fixed_today), settings.scheduler_interval)
    if settings.scheduler:
        web_app.on_startup.append(scheduler.start)
        web_app.on_cleanup.insert(0, scheduler.stop)  # before the adapter's session closes
    return Components(settings, engine, adapter, bot, web_app, nudge_pass, scheduler)


# --- command line ---------------------------------------------------------------------------


def _database(settings: Settings) -> Engine:
    """For command-line tools: the schema is brought up to date, no demo data is loaded."""
    engine = make_engine(settings.database_url)
    migrate(engine)
    return engine


def _serve(settings: Settings, _args: argparse.Namespace) -> int:
    components = build(settings)
    serve(components.web_app, settings)  # bot/http_server.py: bind address, timeouts, bounds
    return 0


def _import(settings: Settings, args: argparse.Namespace) -> int:
    engine = _database(settings)
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


CliHandler = Callable[[Settings, argparse.Namespace], int]


def _told_as_fel(handler: CliHandler) -> CliHandler:
    """Refused arguments (storage raises ValueError, writing nothing) are told as "fel: …"."""
    @functools.wraps(handler)
    def run(settings: Settings, args: argparse.Namespace) -> int:
        try:
            return handler(settings, args)
        except ValueError as exc:
            print(f"fel: {exc}", file=sys.stderr)
            return 1
    return run


@_told_as_fel
def _alias(settings: Settings, args: argparse.Namespace) -> int:
    with session(_database(settings)) as s, s.begin():
        added = add_alias(s, args.unit, args.alias)
    print(f"{args.alias!r} → {args.unit!r}" + ("" if added else " (fanns redan)"))
    return 0


@_told_as_fel
def _grant(settings: Settings, args: argparse.Namespace) -> int:
    with session(_database(settings)) as s, s.begin():
        added = grant(s, args.user, parse_role(args.role), args.unit, args.name or "",
                      granted_by="cli")
    scope = f" för {args.unit}" if args.unit else ""
    print(f"{args.user}: {args.role}{scope}" + ("" if added else " (fanns redan)"))
    return 0


@_told_as_fel
def _revoke(settings: Settings, args: argparse.Namespace) -> int:
    with session(_database(settings)) as s, s.begin():
        removed = revoke(s, args.user, parse_role(args.role), args.unit)
    if not removed:
        print(f"{args.user} hade inte den rollen", file=sys.stderr)
        return 1
    print(f"{args.user}: {removed} roll(er) borttagna")
    return 0


def _roles(settings: Settings, _args: argparse.Namespace) -> int:
    engine = _database(settings)
    with session(engine) as s:
        rows = [(r.user_id, r.user_name, r.role.value, r.unit or "alla") for r in list_roles(s)]
    print(tabulate(rows, headers=["användare", "namn", "roll", "enhet"]) if rows
          else "Inga roller.")
    return 0


def _nudge(settings: Settings, args: argparse.Namespace) -> int:
    """One nudge pass now, then exit: for cron, operations and tests."""
    components = build(settings, _database(settings))  # like the other tools: no demo data
    now = nudges.local_now(settings.timezone, settings.fixed_today)
    if args.at:
        try:
            at = datetime.fromisoformat(args.at)
        except ValueError:
            print(f"fel: ogiltig tidpunkt {args.at!r} (ÅÅÅÅ-MM-DDTHH:MM)", file=sys.stderr)
            return 2
        now = at if at.tzinfo else at.replace(tzinfo=now.tzinfo)

    async def run() -> str:
        try:
            return str(await components.nudge_pass.run(now))  # type: ignore[union-attr]
        finally:
            await components.adapter.close()

    print(asyncio.run(run()))
    components.engine.dispose()
    return 0


def _package(settings: Settings, args: argparse.Namespace) -> int:
    try:
        path = build_package(settings, args.out)
    except ManifestInvalid as invalid:
        print(f"inget paket skrevs, manifestet är ogiltigt ({len(invalid.errors)} fel):",
              file=sys.stderr)
        for error in invalid.errors:
            print(f"  {error}", file=sys.stderr)
        return 1
    print(path)
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
    package = sub.add_parser("package", help="validate and write the Teams app package (zip)")
    package.add_argument("--out", default=str(DEFAULT_OUT_DIR), help="folder for the zip")
    grant_cmd = sub.add_parser("grant", help="give USER the role admin, or manager of UNIT")
    grant_cmd.add_argument("user", help="AAD object id (or the channel's user id)")
    grant_cmd.add_argument("role", choices=["admin", "manager"])
    grant_cmd.add_argument("unit", nargs="?", help="the unit, for manager")
    grant_cmd.add_argument("--name", help="the user's display name, shown to others")
    revoke_cmd = sub.add_parser("revoke", help="take a role away")
    revoke_cmd.add_argument("user")
    revoke_cmd.add_argument("role", choices=["admin", "manager"])
    revoke_cmd.add_argument("unit", nargs="?", help="only this unit (manager); default all")
    sub.add_parser("roles", help="list who has which role")
    nudge_cmd = sub.add_parser("nudge", help="send the deadline nudges and reminders due now")
    nudge_cmd.add_argument("--at", help="run as if it were this local time "
                           "(YYYY-MM-DDTHH:MM), e.g. to catch up")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = Settings.from_env()
    handlers = {"serve": _serve, "import": _import, "alias": _alias, "grant": _grant,
                "revoke": _revoke, "roles": _roles, "nudge": _nudge,
                "package": _package}
    return handlers[args.command or "serve"](settings, args)


if __name__ == "__main__":
    sys.exit(main())
