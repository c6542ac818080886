"""The command registry: every intent has a command, and permissions are enforced there."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

import dialogs.questions  # noqa: F401  (registers the read-only commands)
import dialogs.subscriptions  # noqa: F401  (registers the nudge commands)
from bot.understanding import INTENTS, Intent
from dialogs.commands import REGISTRY, Answer, Ask, Command, NotAllowed, Permission, dispatch


def test_every_intent_has_a_command_and_changes_need_update() -> None:
    import dialogs.main_dialog  # noqa: F401  (imports every command module)

    changing = {"update", "my_assignments", "submit_update"}
    for intent in INTENTS:
        assert intent in REGISTRY, intent
    for name, cmd in REGISTRY.items():
        expected = Permission.UPDATE if name in changing else Permission.READ
        if name in changing or name in INTENTS:
            assert cmd.permission is expected, name


def test_dispatch_refuses_without_the_declared_permission(
    monkeypatch: pytest.MonkeyPatch, engine: Engine
) -> None:
    calls: list[Ask] = []

    def guarded(ask: Ask) -> Answer:
        calls.append(ask)
        return Answer("done")

    monkeypatch.setitem(REGISTRY, "guarded", Command("guarded", guarded, Permission.UPDATE))
    ask = Ask(Intent("guarded"), "sv", date(2025, 9, 30), engine)
    with pytest.raises(NotAllowed):
        dispatch(ask)
    assert calls == []
    granted = Ask(Intent("guarded"), "sv", date(2025, 9, 30), engine,
                  frozenset({Permission.READ, Permission.UPDATE}))
    assert dispatch(granted).text == "done"
    assert len(calls) == 1
