"""Helpers for the update-card tests (tests/dialogs/test_updates.py, tests/bot/
test_scale_out.py): the demo's managers, the card a client fills in, and what it posts back."""

from __future__ import annotations

from typing import Any

from botclient import BotClient
from sqlalchemy import Engine, func
from sqlmodel import select

from storage import organisations
from storage.db import session
from storage.models import Assignment, ProcessedActivity, StatusComment
from storage.organisations import OrganisationView
from storage.roles import RoleName, grant

MANAGER = "aad-manager-stab"
OTHER_MANAGER = "aad-manager-it"
ADMIN = "aad-admin"


def default_org(engine: Engine) -> OrganisationView:
    """The organisation a turn from an unknown tenant belongs to in local mode (Norrtälje)."""
    with session(engine) as s:
        org = organisations.default(s)
    assert org is not None
    return org


def grant_roles(engine: Engine) -> OrganisationView:
    """Maria manages Stab och planering, Ivan IT; Ada is admin; all in the default
    organisation, which is returned."""
    org = default_org(engine)
    with session(engine, org.id) as s, s.begin():
        grant(s, org.id, MANAGER, RoleName.MANAGER, "Stab och planering", "Maria Stab")
        grant(s, org.id, OTHER_MANAGER, RoleName.MANAGER, "IT", "Ivan IT")
        grant(s, org.id, ADMIN, RoleName.ADMIN, user_name="Ada Admin")
    return org


def trygghet(engine: Engine) -> Assignment:
    """Stab och planering's camera assignment in the default organisation."""
    org = default_org(engine)
    with session(engine, org.id) as s:
        return s.exec(select(Assignment).where(
            Assignment.organisation_id == org.id,
            Assignment.title.startswith("Trygghetskameror"))).one()


def comments_of(engine: Engine, a: Assignment) -> list[str]:
    with session(engine, a.organisation_id) as s:
        return list(s.exec(select(StatusComment.text)
                           .where(StatusComment.assignment_id == a.id)).all())


def counts(engine: Engine) -> tuple[int, int, int]:
    """What any saved update changes: the default organisation's comments, the sum of its
    assignments' versions, and the replay guard's keys (not scoped: any organisation's)."""
    org = default_org(engine)
    with session(engine, org.id) as s:
        comments = s.exec(select(func.count()).select_from(StatusComment)
                          .where(StatusComment.organisation_id == org.id)).one()
        versions = sum(a.version for a in s.exec(
            select(Assignment).where(Assignment.organisation_id == org.id)))
    with session(engine) as s:
        processed = s.exec(select(func.count()).select_from(ProcessedActivity)).one()
    return comments, versions, processed


def fill(card: dict[str, Any], **values: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """What a client does: read the card's inputs and their defaults, apply the user's
    choices, and return (Action.Execute, its fallback Action.Submit)."""
    inputs = {e["id"]: e.get("value", "") for e in card["body"] if e["type"].startswith("Input.")}
    for key, value in values.items():
        assert key in inputs, f"the card has no input {key!r}"
        if key in ("status", "forecast"):
            allowed = {c["value"] for e in card["body"] if e.get("id") == key
                       for c in e["choices"]}
            assert value in allowed, (key, value, allowed)
        inputs[key] = value
    execute = card["actions"][0]
    assert execute["type"] == "Action.Execute" and execute["verb"] == "updateStatus"
    submit = execute["fallback"]
    assert submit["type"] == "Action.Submit"
    # Copies: a test changes one submission without changing the card or the other.
    return ({**execute, "data": {**execute["data"], **inputs}},
            {**submit, "data": {**submit["data"], **inputs}})


def invoke(client: BotClient, action: dict[str, Any], user_id: str, name: str = "",
           **extra: Any) -> dict[str, Any]:
    """The adaptiveCard/action invoke Teams sends for an Action.Execute."""
    return client.activity(
        type_="invoke", name="adaptiveCard/action", user_id=user_id, user_name=name,
        value={"action": {"type": action["type"], "verb": action["verb"],
                          "data": action["data"]}, "trigger": "manual"},
        **extra,
    )


async def open_card(client: BotClient, user_id: str, question: str = "") -> dict[str, Any]:
    """The update card of the camera assignment, as `user_id` gets it by asking."""
    assert client.engine is not None
    a = trygghet(client.engine)
    turn = await client.say(question or f"uppdatera #{a.number}", user_id=user_id)
    card = turn.card
    assert card["body"][0]["text"] == "Uppdatera uppdrag", turn.text
    return card
