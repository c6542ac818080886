"""Commands: what each intent runs, and the permission it needs, declared once at the handler
(as errbot's @botcmd with access control). Nothing else checks roles.

Handlers are plain functions `Ask -> Answer`; a module's handlers are registered explicitly in
app.build (`CommandSet.add_module`), as python-telegram-bot's Application.add_handler does:
importing a module registers nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import ModuleType
from typing import Any

from sqlalchemy import Engine

from cards.texts import t
from dialogs.answer_cache import AnswerCache
from dialogs.answers import Answer
from storage.db import session
from storage.organisations import OrganisationView
from storage.roles import is_admin, managed_unit_ids
from understanding.catalog import Catalog
from understanding.question import Intent, Question


class Permission(StrEnum):
    READ = "read"  # everyone in the organisation
    UPDATE = "update"  # managers: change status and comment of their unit's assignments
    ADMIN = "admin"  # everything in the organisation


@dataclass(frozen=True)
class Ask:
    """One question, with everything a handler may use."""

    question: Question
    lang: str
    today: date
    engine: Engine
    org: OrganisationView
    catalog: Catalog | None = None
    # None = look them up when a command needs more than READ (most turns don't).
    permissions: frozenset[Permission] | None = None
    # Who asks, and where (empty in tests that don't need it).
    user_id: str = ""  # the Entra object id (local mode: the channel's user id)
    user_name: str = ""
    conversation_id: str = ""
    conversation_type: str = ""
    # A card submission's inputs, and the key that makes it replay-safe.
    payload: dict[str, Any] | None = None
    activity_key: str = ""
    # The organisation's answer version read this turn (None: not read; nothing is cached).
    answer_version: int | None = None

    @property
    def org_id(self) -> int:
        return self.org.id

    def unit_name(self, unit_id: int) -> str:
        if self.catalog is not None:
            for unit in self.catalog.units:
                if unit.id == unit_id:
                    return unit.name
        return f"#{unit_id}"


Handler = Callable[[Ask], Answer]


@dataclass(frozen=True)
class Command:
    intent: Intent
    handler: Handler
    permission: Permission = Permission.READ
    # How to say no, when the default sentence isn't helpful enough.
    refusal: Handler | None = None
    # The answer depends only on the organisation's data, the question, the language and
    # the day, never on who asks or where: it may be cached (dialogs/answer_cache.py).
    shared: bool = False


_DECLARED = "__laget_command__"


def command(intent: Intent | str, permission: Permission = Permission.READ,
            refusal: Handler | None = None, shared: bool = False
            ) -> Callable[[Handler], Handler]:
    """Declares a handler's intent and permission; CommandSet.add_module registers it."""
    def declare(handler: Handler) -> Handler:
        setattr(handler, _DECLARED,
                Command(Intent(intent), handler, permission, refusal, shared))
        return handler
    return declare


@dataclass
class CommandSet:
    commands: dict[Intent, Command] = field(default_factory=dict)
    cache: AnswerCache | None = None

    def add(self, cmd: Command) -> None:
        if cmd.intent in self.commands:
            raise ValueError(f"command {cmd.intent!r} registered twice")
        if cmd.shared and cmd.permission is not Permission.READ:
            raise ValueError(f"command {cmd.intent!r}: only what everyone reads is shared")
        self.commands[cmd.intent] = cmd

    def add_module(self, module: ModuleType) -> None:
        """Every handler the module declared with @command."""
        for value in vars(module).values():
            declared = getattr(value, _DECLARED, None)
            if isinstance(declared, Command):
                self.add(declared)

    def add_modules(self, modules: Iterable[ModuleType]) -> CommandSet:
        for module in modules:
            self.add_module(module)
        return self

    def __contains__(self, intent: object) -> bool:
        return intent in self.commands

    def dispatch(self, ask: Ask) -> Answer:
        cmd = self.commands.get(ask.question.intent) or self.commands[Intent.UNKNOWN]
        if cmd.permission is not Permission.READ:  # everyone reads; no lookup needed
            granted = ask.permissions
            if granted is None:
                granted = permissions_of(ask.engine, ask.org_id, ask.user_id)
            if cmd.permission not in granted:
                if cmd.refusal is not None:
                    return cmd.refusal(ask)
                return Answer(t(ask.lang, "not_permitted"))
        if not cmd.shared or self.cache is None or ask.answer_version is None:
            return cmd.handler(ask)
        key = (ask.org, ask.answer_version, ask.today, ask.lang, ask.question)
        try:
            cached = self.cache.get(key)
        except TypeError:  # a question that can't be a key (never by construction)
            return cmd.handler(ask)
        if cached is None:
            cached = cmd.handler(ask)
            self.cache.put(key, cached)
        return cached


def permissions_of(engine: Engine, organisation_id: int, user_id: str) -> frozenset[Permission]:
    """Everyone reads; managers of any unit and admins update (which assignments is the
    storage rule `may_update`); admins administer."""
    granted = {Permission.READ}
    if not user_id:
        return frozenset(granted)
    with session(engine, organisation_id) as s:
        if is_admin(s, organisation_id, user_id):
            granted |= {Permission.UPDATE, Permission.ADMIN}
        elif managed_unit_ids(s, organisation_id, user_id):
            granted.add(Permission.UPDATE)
    return frozenset(granted)
