"""storage.group_commit: writes submitted together commit together (one transaction),
each in its organisation's scope; a bad item fails its own caller only; every caller's
write is committed before its await returns. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy import Connection, Engine, event, text
from storage_helpers import new_org

from storage import conversations
from storage.conversations import ConversationInfo
from storage.db import session
from storage.group_commit import GroupCommit


def info(org: int, conversation_id: str) -> ConversationInfo:
    return ConversationInfo(org, conversation_id, "personal", "msteams", "https://smba/",
                            "tenant", "29:u", {"conversation": {"id": conversation_id}})


def stored(engine: Engine, org: int) -> list[str]:
    with session(engine, org) as s:
        return sorted(s.execute(text("SELECT conversation_id FROM conversation_ref "
                                     "WHERE organisation_id = :o"), {"o": org}).scalars())


async def test_concurrent_writes_commit_together_each_in_its_organisation(
        engine: Engine) -> None:
    a, b = new_org(engine, "A", ["ta"]), new_org(engine, "B", ["tb"])
    commits: list[int] = []
    event.listen(engine, "commit", lambda _conn: commits.append(1))
    writes = GroupCommit(engine, conversations.remember)
    await asyncio.gather(*(writes.submit(org.id, info(org.id, f"c-{org.name}-{i}"))
                           for i in range(20) for org in (a, b)))
    assert len(commits) == 1  # one transaction for all 40
    assert stored(engine, a.id) == sorted(f"c-A-{i}" for i in range(20))
    assert stored(engine, b.id) == sorted(f"c-B-{i}" for i in range(20))
    # The same conversation twice in one batch is one row.
    await asyncio.gather(writes.submit(a.id, info(a.id, "twice")),
                         writes.submit(a.id, info(a.id, "twice")))
    assert stored(engine, a.id).count("twice") == 1


async def test_a_failing_item_fails_only_its_caller(engine: Engine) -> None:
    org = new_org(engine, "A", ["ta"])

    def write(connection: Connection, items: Sequence[str]) -> None:
        if "bad" in items:
            raise ValueError("bad item")
        conversations.remember(connection, [info(org.id, item) for item in items])

    writes = GroupCommit(engine, write)
    results = await asyncio.gather(*(writes.submit(org.id, item)
                                     for item in ("one", "bad", "two")),
                                   return_exceptions=True)
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], ValueError)
    assert stored(engine, org.id) == ["one", "two"]


async def test_batches_are_bounded(engine: Engine) -> None:
    org = new_org(engine, "A", ["ta"])
    sizes: list[int] = []

    def write(connection: Connection, items: Sequence[ConversationInfo]) -> None:
        sizes.append(len(items))
        conversations.remember(connection, items)

    writes = GroupCommit(engine, write, max_batch=16)
    await asyncio.gather(*(writes.submit(org.id, info(org.id, f"c{i}")) for i in range(40)))
    assert sorted(sizes) == [8, 16, 16]  # on PostgreSQL the batches run side by side
    assert len(stored(engine, org.id)) == 40


async def test_a_lone_write_is_committed_before_the_await_returns(engine: Engine) -> None:
    org = new_org(engine, "A", ["ta"])
    await GroupCommit(engine, conversations.remember).submit(org.id, info(org.id, "solo"))
    assert stored(engine, org.id) == ["solo"]
