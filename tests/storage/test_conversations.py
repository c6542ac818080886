"""storage.conversations: recording references, also when two arrive at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from sqlalchemy import Engine
from storage_helpers import counts, new_org

from storage import conversations
from storage.conversations import ConversationInfo, base_conversation_id
from storage.db import session
from storage.organisations import OrganisationView


@pytest.fixture
def org(engine: Engine) -> OrganisationView:
    return new_org(engine, "Testkommun", ["t1"])


def info(org: int, conversation_id: str, service_url: str = "https://smba.example/emea/",
         conversation_type: str = "channel", user_id: str = "u1",
         tenant_id: str = "t1") -> ConversationInfo:
    return ConversationInfo(
        organisation_id=org, conversation_id=conversation_id,
        conversation_type=conversation_type, channel_id="msteams", service_url=service_url,
        tenant_id=tenant_id, user_id=user_id,
        reference={"activityId": "a1", "conversation": {"id": conversation_id},
                   "serviceUrl": service_url, "locale": "sv-SE"},
    )


def test_record_inserts_then_updates_only_on_change(engine: Engine, org: OrganisationView) -> None:
    with session(engine, org.id) as s, s.begin():
        first = conversations.record(s, info(org.id, "19:abc@thread.tacv2;messageid=42"))
    assert first.conversation_id == "19:abc@thread.tacv2"
    assert base_conversation_id("19:abc@thread.tacv2;messageid=42") == "19:abc@thread.tacv2"
    assert "activityId" not in first.reference
    assert first.reference["conversation"]["id"] == "19:abc@thread.tacv2"
    assert first.user_id == "" and first.locale == "sv-SE"  # only 1:1 chats keep the user
    with session(engine, org.id) as s, s.begin():
        conversations.record(s, info(org.id, "19:abc@thread.tacv2", "https://smba.example/new/"))
    with session(engine, org.id) as s:
        ref = conversations.get(s, org.id, "19:abc@thread.tacv2;messageid=7")
    assert ref is not None and ref.service_url == "https://smba.example/new/"
    assert ref.id == first.id
    assert counts(engine, org.id)["conversation_ref"] == 1


def test_a_deactivated_conversation_that_writes_again_is_reachable(engine: Engine,
                                                                   org: OrganisationView) -> None:
    with session(engine, org.id) as s, s.begin():
        conversations.record(s, info(org.id, "19:a@thread.tacv2"))
        assert conversations.deactivate(s, org.id, "19:a@thread.tacv2")
        assert not conversations.deactivate(s, org.id, "19:a@thread.tacv2")
        assert not conversations.deactivate(s, org.id, "19:unknown")
        assert conversations.any_in_tenant(s, org.id, "t1") is None
        assert conversations.record(s, info(org.id, "19:a@thread.tacv2")).active
        assert conversations.any_in_tenant(s, org.id, "t1").conversation_id == (  # type: ignore[union-attr]
            "19:a@thread.tacv2")


def test_the_same_new_conversation_recorded_at_once_gives_one_row(engine: Engine,
                                                                  org: OrganisationView) -> None:
    """installationUpdate and conversationUpdate arrive together and both insert."""
    barrier = Barrier(6)

    def record(_: int) -> str:
        barrier.wait()
        with session(engine, org.id) as s, s.begin():
            return conversations.record(s, info(org.id, "19:race@thread.tacv2")).conversation_id

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(record, range(6)))
    assert results == ["19:race@thread.tacv2"] * 6
    assert counts(engine, org.id)["conversation_ref"] == 1


def test_personal_chat_keeps_its_user(engine: Engine, org: OrganisationView) -> None:
    with session(engine, org.id) as s, s.begin():
        conversations.record(s, info(org.id, "a:1on1", conversation_type="personal",
                                     user_id="aad-7"))
        conversations.record(s, info(org.id, "19:x", tenant_id="t2"))
    with session(engine, org.id) as s:
        assert set(conversations.personal_for(s, org.id, ["aad-7", "aad-8"])) == {"aad-7"}
        assert conversations.personal_for(s, org.id, []) == {}
        assert conversations.tenants(s, org.id) == ["t1", "t2"]
