"""dialogs/commands.py: every intent that reaches dispatch has a command, each declares its
permission once, and CommandSet.dispatch enforces it (with the roles stored in the asker's
organisation) before any handler runs."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from app import COMMAND_MODULES
from cards.texts import t
from dialogs import questions
from dialogs.answers import Answer
from dialogs.commands import Ask, Command, CommandSet, Permission, permissions_of
from storage.db import session
from storage.organisations import OrganisationView
from storage.roles import RoleName, grant
from understanding.question import Intent, Question

TODAY = date(2025, 9, 30)
CHANGING = {Intent.UPDATE, Intent.MY_ASSIGNMENTS, Intent.SUBMIT_UPDATE}
# Completed from the previous turn by understanding.followup.resolve before dispatch (or
# turned into UNKNOWN when there is nothing to follow). An NTH past the list reaches its own
# command, which says so (tests/dialogs/test_conversation.py).
RESOLVED_BEFORE_DISPATCH = {Intent.PREVIOUS, Intent.AS_TEXT}


def test_every_intent_has_a_command_and_only_changes_need_update() -> None:
    commands = CommandSet().add_modules(COMMAND_MODULES)
    assert set(Intent) - set(commands.commands) == RESOLVED_BEFORE_DISPATCH
    for intent, cmd in commands.commands.items():
        expected = Permission.UPDATE if intent in CHANGING else Permission.READ
        assert cmd.permission is expected, intent
        assert not cmd.shared or cmd.permission is Permission.READ, intent


def test_a_module_registers_only_when_added_and_only_once() -> None:
    commands = CommandSet()
    assert Intent.HELP not in commands  # importing dialogs.questions registered nothing
    commands.add_module(questions)
    assert Intent.HELP in commands and Intent.UPDATE not in commands
    with pytest.raises(ValueError, match="registered twice"):
        commands.add_module(questions)


def _ask(engine: Engine | None, org: OrganisationView, user_id: str = "",
         permissions: frozenset[Permission] | None = None) -> Ask:
    return Ask(Question(Intent.UPDATE), "sv", TODAY, engine, org,  # type: ignore[arg-type]
               user_id=user_id, permissions=permissions)


def _guarded(calls: list[Ask], permission: Permission = Permission.UPDATE,
             refusal: bool = False) -> CommandSet:
    def handler(ask: Ask) -> Answer:
        calls.append(ask)
        return Answer("done")

    commands = CommandSet()
    commands.add(Command(Intent.UPDATE, handler, permission,
                         refusal=(lambda ask: Answer("ask Maria")) if refusal else None))
    return commands


def test_dispatch_refuses_without_the_declared_permission(
    demo: Engine, norrtalje: OrganisationView, lovisa: OrganisationView,
) -> None:
    with session(demo, norrtalje.id) as s, s.begin():
        grant(s, norrtalje.id, "maria", RoleName.MANAGER, "Stab och planering", "Maria")
        grant(s, norrtalje.id, "ada", RoleName.ADMIN)
    calls: list[Ask] = []
    commands = _guarded(calls)
    for nobody in ("", "someone"):
        answer = commands.dispatch(_ask(demo, norrtalje, nobody))
        assert answer.text == t("sv", "not_permitted")
    # Maria's role is Norrtälje's: in Lovisa she is nobody.
    assert commands.dispatch(_ask(demo, lovisa, "maria")).text == t("sv", "not_permitted")
    assert calls == []
    assert _guarded(calls, refusal=True).dispatch(_ask(demo, norrtalje)).text == "ask Maria"
    assert calls == []
    for allowed in ("maria", "ada"):
        assert commands.dispatch(_ask(demo, norrtalje, allowed)).text == "done"
    assert [c.user_id for c in calls] == ["maria", "ada"]
    admin_only = _guarded(calls, Permission.ADMIN)
    assert admin_only.dispatch(_ask(demo, norrtalje, "maria")).text == t("sv", "not_permitted")
    assert admin_only.dispatch(_ask(demo, norrtalje, "ada")).text == "done"


def test_permissions_given_with_the_ask_are_not_looked_up(
    norrtalje: OrganisationView,
) -> None:
    calls: list[Ask] = []
    commands = _guarded(calls)
    # No engine: a lookup would fail, so these answers come from the given permissions.
    refused = commands.dispatch(_ask(None, norrtalje, "x", frozenset({Permission.READ})))
    assert refused.text == t("sv", "not_permitted") and calls == []
    granted = _ask(None, norrtalje, "x", frozenset({Permission.READ, Permission.UPDATE}))
    assert commands.dispatch(granted).text == "done" and len(calls) == 1


def test_permissions_of_follow_the_roles(demo: Engine, norrtalje: OrganisationView) -> None:
    with session(demo, norrtalje.id) as s, s.begin():
        grant(s, norrtalje.id, "maria", RoleName.MANAGER, "IT")
        grant(s, norrtalje.id, "ada", RoleName.ADMIN)
    org = norrtalje.id
    assert permissions_of(demo, org, "") == {Permission.READ}
    assert permissions_of(demo, org, "nobody") == {Permission.READ}
    assert permissions_of(demo, org, "maria") == {Permission.READ, Permission.UPDATE}
    assert permissions_of(demo, org, "ada") == set(Permission)
