"""storage.conversations: recording references, also when two arrive at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from sqlalchemy import Engine, func
from sqlmodel import select

from storage import conversations
from storage.conversations import ConversationInfo, base_conversation_id
from storage.db import session
from storage.models import ConversationRef


def info(conversation_id: str, service_url: str = "https://smba.example/emea/",
         conversation_type: str = "channel", user_id: str = "u1") -> ConversationInfo:
    return ConversationInfo(
        conversation_id=conversation_id, conversation_type=conversation_type,
        channel_id="msteams", service_url=service_url, tenant_id="t1", user_id=user_id,
        reference={"activityId": "a1", "conversation": {"id": conversation_id},
                   "serviceUrl": service_url},
    )


def rows(engine: Engine) -> int:
    with session(engine) as s:
        return s.exec(select(func.count()).select_from(ConversationRef)).one()


def test_record_inserts_then_updates_only_on_change(engine: Engine) -> None:
    with session(engine) as s, s.begin():
        first = conversations.record(s, info("19:abc@thread.tacv2;messageid=42"))
    assert first.conversation_id == "19:abc@thread.tacv2"
    assert base_conversation_id("19:abc@thread.tacv2;messageid=42") == "19:abc@thread.tacv2"
    with session(engine) as s, s.begin():
        conversations.record(s, info("19:abc@thread.tacv2", "https://smba.example/new/"))
    with session(engine) as s:
        ref = conversations.get(s, "19:abc@thread.tacv2")
    assert ref is not None and ref.service_url == "https://smba.example/new/"
    assert rows(engine) == 1


def test_the_same_new_conversation_recorded_at_once_gives_one_row(engine: Engine) -> None:
    """installationUpdate and conversationUpdate arrive together and both insert."""
    barrier = Barrier(6)

    def record(_: int) -> str:
        barrier.wait()
        with session(engine) as s, s.begin():
            return conversations.record(s, info("19:race@thread.tacv2")).conversation_id

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(record, range(6)))
    assert results == ["19:race@thread.tacv2"] * 6
    assert rows(engine) == 1


def test_personal_chat_keeps_its_user(engine: Engine) -> None:
    with session(engine) as s, s.begin():
        conversations.record(s, info("a:1on1", conversation_type="personal", user_id="aad-7"))
    with session(engine) as s:
        assert set(conversations.personal_for(s, ["aad-7"])) == {"aad-7"}
