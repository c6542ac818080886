"""The command registry. Each command declares the permission it needs, once, here;
nothing else checks roles (as errbot's @botcmd with access control)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine

from bot.understanding import Intent


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
    permissions: frozenset[Permission] = frozenset({Permission.READ})


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


REGISTRY: dict[str, Command] = {}


def command(name: str, permission: Permission = Permission.READ) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if name in REGISTRY:
            raise ValueError(f"command {name!r} registered twice")
        REGISTRY[name] = Command(name, handler, permission)
        return handler

    return register


class NotAllowed(Exception):
    def __init__(self, command: Command) -> None:
        self.command = command
        super().__init__(f"{command.name} needs {command.permission}")


def dispatch(ask: Ask) -> Answer:
    cmd = REGISTRY[ask.intent.name]
    if cmd.permission not in ask.permissions:
        raise NotAllowed(cmd)
    return cmd.handler(ask)
