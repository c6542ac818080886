"""The command registry. Each command declares the permission it needs, once, here;
nothing else checks roles (as errbot's @botcmd with access control)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from botbuilder.schema import Activity
from sqlalchemy import Engine

from bot.identity import is_authenticated, user_id_of
from bot.understanding import Intent, reply_language
from storage.db import session
from storage.roles import is_admin, managed_unit_ids


class Permission(StrEnum):
    READ = "read"  # everyone in the tenant
    UPDATE = "update"  # managers: change status and comment of their unit's assignments
    ADMIN = "admin"  # grant and revoke roles


@dataclass(frozen=True)
class Ask:
    """One question, with everything a handler may use."""

    intent: Intent
    lang: str
    today: date
    engine: Engine
    # None = look them up when a command needs more than READ (most turns don't).
    permissions: frozenset[Permission] | None = None
    # Who asks, and where (empty in tests that don't need it).
    user_id: str = ""  # AAD object id when Teams sends one, else the channel's user id
    user_name: str = ""
    conversation_id: str = ""
    conversation_type: str = ""
    tenant_id: str = ""
    # A card submission's inputs, and the key that makes it replay-safe.
    payload: dict[str, Any] | None = None
    activity_key: str = ""


@dataclass
class Answer:
    text: str
    card: dict[str, Any] | None = None
    # Set when the question needs a unit we could not resolve: the dialog waits for one.
    awaiting_unit: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[Ask], Answer]


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    permission: Permission
    # How to say no, when the default sentence isn't helpful enough.
    refusal: Handler | None = None


REGISTRY: dict[str, Command] = {}


def command(
    name: str, permission: Permission = Permission.READ, refusal: Handler | None = None
) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if name in REGISTRY:
            raise ValueError(f"command {name!r} registered twice")
        REGISTRY[name] = Command(name, handler, permission, refusal)
        return handler

    return register


def permissions_of(engine: Engine, user_id: str) -> frozenset[Permission]:
    """Everyone reads; managers of any unit and admins update (which assignments is the
    storage rule `may_update`); admins administer."""
    granted = {Permission.READ}
    if not user_id:
        return frozenset(granted)
    with session(engine) as s:
        if is_admin(s, user_id):
            granted |= {Permission.UPDATE, Permission.ADMIN}
        elif managed_unit_ids(s, user_id):
            granted.add(Permission.UPDATE)
    return frozenset(granted)


class NotAllowed(Exception):
    def __init__(self, command: Command) -> None:
        self.command = command
        super().__init__(f"{command.name} needs {command.permission}")


def dispatch(ask: Ask) -> Answer:
    cmd = REGISTRY[ask.intent.name]
    if cmd.permission is not Permission.READ:  # everyone reads; no lookup needed
        granted = ask.permissions
        if granted is None:
            granted = permissions_of(ask.engine, ask.user_id)
        if cmd.permission not in granted:
            if cmd.refusal is not None:
                return cmd.refusal(ask)
            raise NotAllowed(cmd)
    return cmd.handler(ask)


def ask_for(activity: Activity, intent: Intent, engine: Engine, today: date,
            payload: dict[str, Any] | None = None) -> Ask:
    """Everything a command may know about the question and who asks it."""
    sender = activity.from_property
    conversation = activity.conversation
    user_id = user_id_of(activity, is_authenticated(activity))  # bot/identity.py's rule
    tenant = (conversation.tenant_id if conversation else "") or ""
    key = ""
    if payload is not None and activity.id:
        key = f"{activity.channel_id}:{conversation.id if conversation else ''}:{activity.id}"
    return Ask(
        intent=intent,
        lang=reply_language(activity.locale, intent.language),
        today=today,
        engine=engine,
        user_id=user_id,
        user_name=(sender.name or "") if sender else "",
        conversation_id=conversation.id if conversation else "",
        conversation_type=(conversation.conversation_type or "") if conversation else "",
        tenant_id=tenant,
        payload=payload,
        activity_key=key,
    )


def answer(ask: Ask) -> Answer:
    try:
        return dispatch(ask)
    except NotAllowed:
        return Answer("Du har inte behörighet till det." if ask.lang == "sv"
                      else "You don't have permission to do that.")
