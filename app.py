"""Läget's composition root: config → database → state → adapter → understanding → dialogs →
bot → web app.

Nothing else constructs long-lived objects, and the command sets are registered here.
Run `python app.py --help` for the command line.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import logging
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Any, NoReturn

from aiohttp import web
from botbuilder.core import ConversationState, ShowTypingMiddleware
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
from bot.tenancy import OrganisationDirectory, OrganisationMiddleware
from cards.texts import refusal, t
from config import Settings
from dialogs import questions, subscriptions, updates
from dialogs.answer_cache import AnswerCache
from dialogs.catalog import CatalogCache
from dialogs.commands import CommandSet
from dialogs.conversation import Conversation
from dialogs.search import ComposeSearch
from manifest.package import DEFAULT_OUT_DIR, ManifestInvalid, build_package
from storage import domain, organisations
from storage.db import healthy, make_engine, migrate, session
from storage.demo import grant_playground_admin, load_demo_if_empty, revoke_playground_admin
from storage.domain import Refused
from storage.importer import ImportRejected, ImportResult, RowError, import_file
from storage.organisations import OrganisationView
from storage.roles import check_user_id, grant, list_roles, parse_role, revoke
from storage.units import add_alias
from understanding import Understander

log = logging.getLogger("laget")

# The command sets the bot answers with: each module declares its commands and their
# permissions (dialogs.commands.command); they are registered here, nowhere else.
COMMAND_MODULES = (questions, updates, subscriptions)


@dataclass(frozen=True)
class Components:
    settings: Settings
    engine: Engine
    adapter: LagetAdapter
    bot: LagetBot
    web_app: web.Application
    nudge_pass: NudgePass
    scheduler: Scheduler


def build_database(settings: Settings) -> Engine:
    """The server's database: migrated, with the demo organisations in an empty database;
    the local demo's admin exists only while the bot runs without authentication."""
    engine = _database(settings)
    if settings.demo:
        for name, result in load_demo_if_empty(engine):
            log.info("demo data, %s: %s %s", name, result.kind, result.rows)
        if not settings.authenticated and grant_playground_admin(engine):
            log.info("local demo: the Agents Playground user is admin")
    if settings.authenticated and (removed := revoke_playground_admin(engine)):
        log.warning("removed the local demo's admin grant for the Agents Playground user "
                    "(%d organisation(s)): the bot now runs authenticated", removed)
    return engine


def organisation_today(settings: Settings, org: OrganisationView) -> date:
    """The organisation's date: LAGET_TODAY, else today in its time zone."""
    return domain.today(org.timezone, settings.fixed_today)


def build(settings: Settings, engine: Engine | None = None,
          clock: Callable[[], datetime] | None = None) -> Components:
    """`clock` (UTC now, for the nudge scheduler) is injectable for tests."""
    check_versions()  # before anything is built on the patched botbuilder
    engine = engine or build_database(settings)
    conversation_state = ConversationState(SqlStorage(engine))
    directory = OrganisationDirectory(engine, settings.authenticated)
    adapter = LagetAdapter(settings, conversation_state)
    adapter.use(OrganisationMiddleware(directory))  # first: an unknown tenant goes no further
    adapter.use(ConversationReferenceMiddleware(engine))
    adapter.use(QuestionTextMiddleware())
    adapter.use(ShowTypingMiddleware(delay=0.7, period=2.0))
    understander = Understander()
    commands = CommandSet(cache=AnswerCache()).add_modules(COMMAND_MODULES)
    conversation = Conversation(engine, commands, understander, CatalogCache(engine),
                                conversation_state, partial(organisation_today, settings))
    bot = LagetBot(conversation_state, conversation, ComposeSearch(conversation))

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

    async def warm_up(_app: web.Application) -> None:
        try:
            await asyncio.to_thread(conversation.warm_up)
        except Exception:  # the first question builds them instead
            log.exception("warming up the organisations' catalogs failed")
        # What lives as long as the process (catalogs, indexes, lexicons) leaves the
        # collector's oldest generation: its full passes stay short (p99 latency).
        gc.freeze()

    web_app.on_startup.append(warm_up)
    nudge_pass = NudgePass(engine, ProactiveSender(adapter, settings.app_id),
                           stale_comment_days=settings.stale_comment_days,
                           fixed_today=settings.fixed_today)
    scheduler = Scheduler(nudge_pass.run, clock or (lambda: datetime.now(UTC)),
                          settings.scheduler_interval)
    if settings.scheduler:
        web_app.on_startup.append(scheduler.start)
        web_app.on_cleanup.insert(0, scheduler.stop)  # before the adapter's session closes
    return Components(settings, engine, adapter, bot, web_app, nudge_pass, scheduler)


# --- command line ---------------------------------------------------------------------------


def cli_language(env: dict[str, str] | None = None) -> str:
    """LAGET_LANGUAGE, else the language of LANG (sv_SE.UTF-8 → sv), else English."""
    env = dict(os.environ) if env is None else env
    for value in (env.get("LAGET_LANGUAGE", ""), env.get("LANG", "")):
        prefix = value.split("_")[0].split(".")[0].split("-")[0].lower()
        if prefix in ("sv", "en", "fi"):
            return prefix
    return "en"


def _database(settings: Settings) -> Engine:
    """For command-line tools: the schema is brought up to date, no demo data is loaded."""
    engine = make_engine(settings.database_url)
    migrate(engine)
    return engine


CliHandler = Callable[[Settings, argparse.Namespace, str], int]


def _refusals_told(handler: CliHandler) -> CliHandler:
    """A refusal (storage raises Refused, writing nothing) is told in the CLI's language."""
    @functools.wraps(handler)
    def run(settings: Settings, args: argparse.Namespace, lang: str) -> int:
        try:
            return handler(settings, args, lang)
        except Refused as refused:
            print(f"{t(lang, 'cli.error')}: {refusal(lang, refused.code, refused.params)}",
                  file=sys.stderr)
            return 1
    return run


def _organisation(engine: Engine, name: str | None) -> OrganisationView:
    with session(engine) as s:
        return organisations.resolve(s, name)


def _serve(settings: Settings, _args: argparse.Namespace, _lang: str) -> int:
    components = build(settings)
    serve(components.web_app, settings)  # bot/http_server.py: bind address, timeouts, bounds
    return 0


def _row_error(lang: str, error: RowError) -> str:
    reason = refusal(lang, error.code, error.params)
    return t(lang, "import.row", row=error.row, reason=reason) if error.row else reason


def _result_line(lang: str, path: str, result: ImportResult) -> str:
    line = t(lang, "import.result", path=path, kind=t(lang, f"import.kind.{result.kind}"),
             rows=result.rows, created=result.created, updated=result.updated,
             unchanged=result.unchanged, comments=result.comments_added)
    if result.units_created:
        line += t(lang, "import.units_created", names=", ".join(result.units_created))
    return line


@_refusals_told
def _import(settings: Settings, args: argparse.Namespace, lang: str) -> int:
    engine = _database(settings)
    org = _organisation(engine, args.org)
    status = 0
    for path in args.files:
        try:
            print(_result_line(lang, path, import_file(engine, org.id, path)))
        except ImportRejected as rejected:
            print(t(lang, "import.rejected", path=path, n=len(rejected.errors)),
                  file=sys.stderr)
            for error in rejected.errors[:200]:
                print(f"  {_row_error(lang, error)}", file=sys.stderr)
            if len(rejected.errors) > 200:
                print(f"  … {len(rejected.errors) - 200}", file=sys.stderr)
            status = 1
    return status


@_refusals_told
def _alias(settings: Settings, args: argparse.Namespace, lang: str) -> int:
    engine = _database(settings)
    org = _organisation(engine, args.org)
    with session(engine, org.id) as s, s.begin():
        added = add_alias(s, org.id, args.unit, args.alias, create=args.create)
    print(f"{args.alias!r} → {args.unit!r}" + ("" if added else f" ({t(lang, 'cli.existed')})"))
    return 0


@_refusals_told
def _grant(settings: Settings, args: argparse.Namespace, lang: str) -> int:
    engine = _database(settings)
    org = _organisation(engine, args.org)
    user = check_user_id(args.user, channel_id=args.channel_id)
    with session(engine, org.id) as s, s.begin():
        added = grant(s, org.id, user, parse_role(args.role), args.unit, args.name or "",
                      granted_by="cli")
    scope = f" ({args.unit})" if args.unit else ""
    print(f"{org.name}: {user}: {args.role}{scope}"
          + ("" if added else f" ({t(lang, 'cli.existed')})"))
    return 0


@_refusals_told
def _revoke(settings: Settings, args: argparse.Namespace, lang: str) -> int:
    engine = _database(settings)
    org = _organisation(engine, args.org)
    with session(engine, org.id) as s, s.begin():
        removed = revoke(s, org.id, args.user, parse_role(args.role), args.unit)
    if not removed:
        print(t(lang, "cli.no_such_role", user=args.user), file=sys.stderr)
        return 1
    print(t(lang, "cli.revoked", user=args.user, n=removed))
    return 0


@_refusals_told
def _roles(settings: Settings, args: argparse.Namespace, lang: str) -> int:
    engine = _database(settings)
    org = _organisation(engine, args.org)
    with session(engine, org.id) as s:
        rows = [(r.user_id, r.user_name, r.role.value, r.unit or t(lang, "cli.all_units"))
                for r in list_roles(s, org.id)]
    headers = [t(lang, f"cli.roles.{k}") for k in ("user", "name", "role", "unit")]
    print(tabulate(rows, headers=headers) if rows else t(lang, "cli.no_roles"))
    return 0


@_refusals_told
def _nudge(settings: Settings, args: argparse.Namespace, lang: str) -> int:
    """One nudge pass now, then exit: for cron, operations and tests. Exits 1 when any send
    failed (the count is printed)."""
    components = build(settings, _database(settings))  # like the other tools: no demo data
    now = datetime.now(UTC)
    if args.at:
        try:
            now = datetime.fromisoformat(args.at)  # naive = each organisation's local time
        except ValueError:
            print(f"{t(lang, 'cli.error')}: {t(lang, 'cli.bad_at', value=args.at)}",
                  file=sys.stderr)
            return 2

    async def run() -> tuple[str, int]:
        try:
            result = await components.nudge_pass.run(now, args.org)
            return t(lang, "cli.nudge_pass", **result.counts()), len(result.failed)
        finally:
            await components.adapter.close()

    summary, failed = asyncio.run(run())
    print(summary)
    components.engine.dispose()
    if failed:
        print(t(lang, "cli.nudges_failed", n=failed), file=sys.stderr)
        return 1
    return 0


def _package(settings: Settings, args: argparse.Namespace, lang: str) -> int:
    try:
        path = build_package(settings, args.out)
    except ManifestInvalid as invalid:
        print(t(lang, "cli.manifest_invalid", n=len(invalid.errors)), file=sys.stderr)
        for error in invalid.errors:
            print(f"  {error}", file=sys.stderr)
        return 1
    print(path)
    return 0


@_refusals_told
def _org(settings: Settings, args: argparse.Namespace, lang: str) -> int:
    engine = _database(settings)
    if args.org_command == "list":
        with session(engine) as s:
            orgs = organisations.list_organisations(s)
        for o in orgs:
            print(" ".join([o.name, *o.tenants]))
        if not orgs:
            print(t(lang, "cli.no_organisations"))
        return 0
    if args.org_command == "add":
        with session(engine) as s, s.begin():
            org = organisations.add(s, args.name, args.tenant or [],
                                    args.language or None, args.timezone or settings.timezone,
                                    args.currency or "SEK", args.nudge_time or "08:00",
                                    args.kolada_municipality or "", args.kolada_kpi or [])
        print(t(lang, "cli.org_added", name=org.name, tenants=", ".join(org.tenants) or "–"))
        return 0
    if args.org_command == "edit":
        with session(engine) as s, s.begin():
            org = organisations.edit(
                s, args.name, new_name=args.new_name, add_tenants=args.tenant,
                remove_tenants=args.remove_tenant, languages=args.language,
                timezone=args.timezone, currency=args.currency, nudge_time=args.nudge_time,
                kolada_municipality=args.kolada_municipality, kolada_kpis=args.kolada_kpi)
        print(" ".join([org.name, *org.tenants]))
        return 0
    found = _organisation(engine, args.name)  # remove
    with session(engine, found.id) as s, s.begin():
        organisations.remove(s, found.name)
    print(t(lang, "cli.org_removed", name=found.name))
    return 0


@_refusals_told
def _kolada(settings: Settings, args: argparse.Namespace, lang: str) -> int:
    from storage.kolada import KoladaUnavailable, sync

    engine = _database(settings)
    org = _organisation(engine, args.org)
    try:
        result = asyncio.run(sync(engine, org, settings.kolada_url, timeout=args.timeout))
    except KoladaUnavailable as exc:
        print(f"{t(lang, 'cli.error')}: {t(lang, 'cli.kolada_unavailable', reason=str(exc))}",
              file=sys.stderr)
        return 1
    except ImportRejected as rejected:
        for error in rejected.errors[:50]:
            print(f"  {_row_error(lang, error)}", file=sys.stderr)
        return 1
    print(_result_line(lang, settings.kolada_url, result))
    return 0


def _parser_class(lang: str) -> type[argparse.ArgumentParser]:
    """argparse's own words (usage, the section titles, -h, "error") in the CLI's language;
    subcommands' parsers are of the same class, so theirs too."""

    class Formatter(argparse.HelpFormatter):
        def add_usage(self, usage: str | None, actions: Any, groups: Any,
                      prefix: str | None = None) -> None:
            if prefix is None:  # "" is how argparse asks for a subcommand's bare prog
                prefix = t(lang, "cli.usage") + " "
            super().add_usage(usage, actions, groups, prefix)

    class Parser(argparse.ArgumentParser):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["add_help"] = False
            kwargs.setdefault("formatter_class", Formatter)
            super().__init__(*args, **kwargs)
            self._positionals.title = t(lang, "cli.positional")
            self._optionals.title = t(lang, "cli.options")
            self.add_argument("-h", "--help", action="help", help=t(lang, "cli.help.help"))

        def error(self, message: str) -> NoReturn:
            self.print_usage(sys.stderr)
            said = _argparse_message(lang, message)
            self.exit(2, f"{self.prog}: {t(lang, 'cli.error')}: {said}\n")

    return Parser


# argparse's own error messages (Python 3.11's wording), in the command line's language.
_ARGPARSE_MESSAGES = (
    (re.compile(r"the following arguments are required: (?P<names>.*)", re.S),
     "cli.argparse.required"),
    (re.compile(r"unrecognized arguments: (?P<names>.*)", re.S), "cli.argparse.unrecognized"),
    (re.compile(r"argument (?P<argument>\S+): invalid choice: (?P<value>.*?) "
                r"\(choose from (?P<choices>.*)\)", re.S), "cli.argparse.invalid_choice"),
    (re.compile(r"argument (?P<argument>\S+): expected one argument"),
     "cli.argparse.expected_one"),
    (re.compile(r"argument (?P<argument>\S+): (?P<message>.*)", re.S), "cli.argparse.argument"),
)


def _argparse_message(lang: str, message: str) -> str:
    for pattern, key in _ARGPARSE_MESSAGES:
        if m := pattern.fullmatch(message):
            return t(lang, key, **m.groupdict())
    return message


def _parser(lang: str) -> argparse.ArgumentParser:
    h = partial(t, lang)
    parser = _parser_class(lang)(prog="app.py", description=h("cli.description"))
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help=h("cli.help.serve"))
    org_help = h("cli.help.org_option")
    imp = sub.add_parser("import", help=h("cli.help.import"))
    imp.add_argument("files", nargs="+")
    imp.add_argument("--org", help=org_help)
    alias = sub.add_parser("alias", help=h("cli.help.alias"))
    alias.add_argument("unit")
    alias.add_argument("alias")
    alias.add_argument("--org", help=org_help)
    alias.add_argument("--create", action="store_true", help=h("cli.help.create"))
    package = sub.add_parser("package", help=h("cli.help.package"))
    package.add_argument("--out", default=str(DEFAULT_OUT_DIR), help=h("cli.help.out"))
    grant_cmd = sub.add_parser("grant", help=h("cli.help.grant"))
    grant_cmd.add_argument("user", help=h("cli.help.user"))
    grant_cmd.add_argument("role", choices=["admin", "manager"])
    grant_cmd.add_argument("unit", nargs="?", help=h("cli.help.unit"))
    grant_cmd.add_argument("--name", help=h("cli.help.name"))
    grant_cmd.add_argument("--org", help=org_help)
    grant_cmd.add_argument("--channel-id", action="store_true", help=h("cli.help.channel_id"))
    revoke_cmd = sub.add_parser("revoke", help=h("cli.help.revoke"))
    revoke_cmd.add_argument("user")
    revoke_cmd.add_argument("role", choices=["admin", "manager"])
    revoke_cmd.add_argument("unit", nargs="?", help=h("cli.help.revoke_unit"))
    revoke_cmd.add_argument("--org", help=org_help)
    roles_cmd = sub.add_parser("roles", help=h("cli.help.roles"))
    roles_cmd.add_argument("--org", help=org_help)
    nudge_cmd = sub.add_parser("nudge", help=h("cli.help.nudge"))
    nudge_cmd.add_argument("--at", help=h("cli.help.at"))
    nudge_cmd.add_argument("--org", help=org_help)
    org_cmd = sub.add_parser("org", help=h("cli.help.org"))
    org_sub = org_cmd.add_subparsers(dest="org_command", required=True)
    org_sub.add_parser("list", help=h("cli.help.org_list"))
    for name in ("add", "edit"):
        p = org_sub.add_parser(name, help=h(f"cli.help.org_{name}"))
        p.add_argument("name")
        p.add_argument("--tenant", action="append", help=h("cli.help.tenant"))
        p.add_argument("--language", action="append", choices=["sv", "en", "fi"],
                       help=h("cli.help.language"))
        p.add_argument("--timezone", help=h("cli.help.timezone"))
        p.add_argument("--currency", choices=["SEK", "EUR"], help=h("cli.help.currency"))
        p.add_argument("--nudge-time", help=h("cli.help.nudge_time"))
        p.add_argument("--kolada-municipality", help=h("cli.help.kolada_municipality"))
        p.add_argument("--kolada-kpi", action="append", help=h("cli.help.kolada_kpi"))
        if name == "edit":
            p.add_argument("--new-name", help=h("cli.help.new_name"))
            p.add_argument("--remove-tenant", action="append", help=h("cli.help.tenant"))
    remove_cmd = org_sub.add_parser("remove", help=h("cli.help.org_remove"))
    remove_cmd.add_argument("name")
    kolada = sub.add_parser("kolada", help=h("cli.help.kolada"))
    kolada_sub = kolada.add_subparsers(dest="kolada_command", required=True)
    sync_cmd = kolada_sub.add_parser("sync", help=h("cli.help.kolada_sync"))
    sync_cmd.add_argument("--org", help=org_help)
    sync_cmd.add_argument("--timeout", type=float, default=30.0)
    return parser


def main(argv: list[str] | None = None) -> int:
    settings = Settings.from_env()  # first: .env may set LAGET_LANGUAGE
    lang = cli_language()
    args = _parser(lang).parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    handlers: dict[str, CliHandler] = {
        "serve": _serve, "import": _import, "alias": _alias, "grant": _grant,
        "revoke": _revoke, "roles": _roles, "nudge": _nudge, "package": _package,
        "org": _org, "kolada": _kolada,
    }
    return handlers[args.command or "serve"](settings, args, lang)


if __name__ == "__main__":
    sys.exit(main())
