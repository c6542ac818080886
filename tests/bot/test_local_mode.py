"""Local mode's demo admin (the Agents Playground user) lives only as long as local mode: the
same database started with an app id has the grant removed, said in one warning, and the
Playground user's update over HTTP with a valid Teams token is refused."""

from __future__ import annotations

import logging

import pytest
from botframework.connector.auth import ChannelValidation
from botservice import APP_ID, harness, make_token
from sqlalchemy import Engine
from sqlmodel import select

from app import build_database
from config import Settings
from storage import organisations
from storage.db import session
from storage.demo import DEMO_ORGANISATIONS, PLAYGROUND_USER_ID
from storage.models import Assignment
from storage.roles import is_admin


def _admin_in(engine: Engine, names: set[str]) -> dict[str, bool]:
    with session(engine) as s:
        orgs = [o for o in organisations.list_organisations(s) if o.name in names]
    found = {}
    for org in orgs:
        with session(engine, org.id) as s:
            found[org.name] = is_admin(s, org.id, PLAYGROUND_USER_ID)
    return found


async def test_the_playground_admin_does_not_outlive_local_mode(
    database_url: str, caplog: pytest.LogCaptureFixture, outgoing_tokens: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    names = {d.name for d in DEMO_ORGANISATIONS}
    local = build_database(Settings(database_url=database_url, demo=True, scheduler=False))
    assert _admin_in(local, names) == dict.fromkeys(names, True)
    local.dispose()

    with caplog.at_level(logging.WARNING, logger="laget"):
        async with harness(database_url, app_id=APP_ID, app_password="s3cret") as h:
            monkeypatch.setattr(ChannelValidation, "open_id_metadata_endpoint",
                                f"{h.identity.url}/openid")
            engine = h.components.engine
            assert _admin_in(engine, names) == dict.fromkeys(names, False)
            assert "removed the local demo's admin grant" in caplog.text
            # The Playground user's Save, now with a valid Teams token, is refused.
            with session(engine, 1) as s:
                a = s.exec(select(Assignment).where(Assignment.organisation_id == 1)).first()
            assert a is not None
            activity = h.activity(channel_id="msteams", tenant=DEMO_ORGANISATIONS[0].tenant)
            del activity["text"]
            activity.update(type="invoke", name="adaptiveCard/action", **{"from": {
                "id": "29:alex", "name": "Alex Wilber", "aadObjectId": PLAYGROUND_USER_ID}})
            activity["value"] = {"trigger": "manual", "action": {
                "type": "Action.Execute", "verb": "updateStatus",
                "data": {"assignment_id": a.id, "version": a.version, "status": "completed",
                         "forecast": "on_plan", "comment": "Som Playground-admin."}}}
            status, body = await h.post(activity, make_token(h.channel.url))
            assert status == 200 and body["value"].startswith("Du kan inte uppdatera"), body
            assert "Inget sparades" in body["value"]
            with session(engine, 1) as s:
                assert s.get(Assignment, a.id).version == a.version  # type: ignore[union-attr]
