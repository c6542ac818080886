"""bot/identity.py: who a user is. With authentication on, only Teams' channel is served and
a user is their Entra object id (from.aadObjectId), never the channel's from.id, which any
channel's client chooses. In local mode (Emulator, Agents Playground) aadObjectId or id."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from botbuilder.schema import Activity, ChannelAccount
from botservice import Harness, harness, make_token
from sqlalchemy import func
from sqlmodel import select

from bot.identity import user_id_of
from storage import organisations
from storage.db import session
from storage.demo import DEMO_ORGANISATIONS
from storage.models import Assignment, ConversationRef, StatusComment
from storage.roles import RoleName, grant

ADMIN = "0b5e4a3c-aaaa-4bbb-8ccc-00000000ad31"  # an admin's Entra object id


NORRTALJE = DEMO_ORGANISATIONS[0]


def _org_id(h: Harness) -> int:
    with session(h.components.engine) as s:
        return next(o.id for o in organisations.list_organisations(s)
                    if o.name == NORRTALJE.name)


def _arrange(h: Harness) -> Assignment:
    """The demo (loaded by the harness), with ADMIN an admin of Norrtälje."""
    engine, org_id = h.components.engine, _org_id(h)
    with session(engine, org_id) as s, s.begin():
        grant(s, org_id, ADMIN, RoleName.ADMIN, user_name="Ada Admin")
    with session(engine, org_id) as s:
        return s.exec(select(Assignment).where(
            Assignment.organisation_id == org_id,
            Assignment.title.startswith("Trygghetskameror"))).one()


def _update(h: Harness, a: Assignment, channel_id: str, sender: dict[str, str]) -> dict:
    # From Norrtälje's tenant: authenticated, an unknown tenant is refused before any update.
    activity = h.activity(channel_id=channel_id, tenant=NORRTALJE.tenant)
    del activity["text"]
    activity.update(type="invoke", name="adaptiveCard/action", **{"from": sender})
    activity["value"] = {"trigger": "manual", "action": {
        "type": "Action.Execute", "verb": "updateStatus",
        "data": {"assignment_id": a.number, "version": a.version, "status": "completed",
                 "forecast": "on_plan", "comment": "Klart, enligt admin."}}}
    return activity


def _saved(h: Harness) -> tuple[int, int]:
    """Comments and the sum of versions in Norrtälje (scoped: row-level security on
    PostgreSQL shows an unscoped session nothing)."""
    org_id = _org_id(h)
    with session(h.components.engine, org_id) as s:
        comments = s.exec(select(func.count()).select_from(StatusComment).where(
            StatusComment.organisation_id == org_id)).one()
        versions = sum(a.version for a in s.exec(select(Assignment).where(
            Assignment.organisation_id == org_id)))
    assert versions > 0  # the demo is there: the comparisons below are not of nothing
    return comments, versions


@pytest.fixture
async def authed_admin(authed: Harness) -> AsyncIterator[tuple[Harness, Assignment]]:
    yield authed, _arrange(authed)


@pytest.mark.parametrize("channel_id", ["webchat", "directline"])
async def test_authenticated_activities_from_other_channels_are_refused(
    authed_admin: tuple[Harness, Assignment], channel_id: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    h, a = authed_admin
    before = _saved(h)
    forged = _update(h, a, channel_id, {"id": ADMIN, "name": "Ada Admin"})
    with caplog.at_level(logging.WARNING, logger="laget.adapter"):
        status, body = await h.post(forged, make_token(h.channel.url))
    assert (status, body) == (403, {"error": "channel not allowed"})
    assert repr(channel_id) in caplog.text
    assert _saved(h) == before and h.state_rows() == 0 and h.channel.attempts == 0


async def test_authenticated_teams_user_without_an_entra_id_is_no_user(
    authed_admin: tuple[Harness, Assignment],
) -> None:
    h, a = authed_admin
    before = _saved(h)
    status, body = await h.post(_update(h, a, "msteams", {"id": ADMIN, "name": "Ada"}),
                                make_token(h.channel.url))
    assert status == 200 and body["statusCode"] == 200
    assert "Du kan inte uppdatera" in str(body["value"]) or "behörighet" in str(body["value"]), (
        body)
    assert _saved(h) == before
    # The same press with the admin's Entra object id is saved: the test is not vacuous.
    sender = {"id": "29:some-teams-id", "name": "Ada", "aadObjectId": ADMIN}
    status, body = await h.post(_update(h, a, "msteams", sender), make_token(h.channel.url))
    assert status == 200 and "Sparat" in str(body["value"]), body
    assert _saved(h) != before


@pytest.mark.parametrize("channel_id", ["emulator", "webchat", "msteams"])
async def test_local_mode_takes_the_channels_user_id(database_url: str,
                                                     channel_id: str) -> None:
    async with harness(database_url) as h:
        a = _arrange(h)
        before = _saved(h)
        status, body = await h.post(_update(h, a, channel_id, {"id": ADMIN, "name": "Ada"}))
        assert status == 200 and "Sparat" in str(body["value"]), body
        assert _saved(h) != before


async def test_the_conversation_reference_keeps_only_an_entra_id_when_authenticated(
    authed: Harness,
) -> None:
    teams_only = authed.activity("hjälp", conversation_id="c-no-aad", tenant=NORRTALJE.tenant)
    teams_only["from"] = {"id": ADMIN, "name": "Ada"}
    with_aad = authed.activity("hjälp", conversation_id="c-aad", tenant=NORRTALJE.tenant)
    with_aad["from"] = {"id": "29:x", "name": "Ada", "aadObjectId": ADMIN}
    for activity in (teams_only, with_aad):
        status, _ = await authed.post(activity, make_token(authed.channel.url))
        assert status in (200, 201)
    org_id = _org_id(authed)
    with session(authed.components.engine, org_id) as s:
        users = {r.conversation_id: r.user_id for r in s.exec(select(ConversationRef).where(
            ConversationRef.organisation_id == org_id))}
    assert users == {"c-no-aad": "", "c-aad": ADMIN}


def _activity(channel_id: str, **sender: Any) -> Activity:
    return Activity(channel_id=channel_id, from_property=ChannelAccount(**sender))


def test_user_id_of() -> None:
    both = {"id": "29:teams", "aad_object_id": "aad-1"}
    assert user_id_of(_activity("msteams", **both), authenticated=True) == "aad-1"
    assert user_id_of(_activity("msteams", id="aad-admin"), authenticated=True) == ""
    assert user_id_of(_activity("webchat", **both), authenticated=True) == ""
    assert user_id_of(_activity("msteams", **both), authenticated=False) == "aad-1"
    for channel in ("emulator", "webchat", "msteams"):
        assert user_id_of(_activity(channel, id="u-1"), authenticated=False) == "u-1"
    assert user_id_of(Activity(channel_id="msteams"), authenticated=False) == ""
