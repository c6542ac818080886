"""Bot Framework `Storage` on our database (storage/state.py), shared by every bot instance.

Items are turned into JSON the way botbuilder-azure's CosmosDbPartitionedStorage does it:
jsonpickle's Pickler().flatten() on write, Unpickler().restore() on read. That is what
round-trips dialog state (DialogState, DialogInstance, PromptOptions with Activities) into
the same classes, and jsonpickle is already a dependency of botbuilder-core. The e_tag is kept
out of the stored document and put back on read, as a dict key or a StoreItem attribute.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from botbuilder.core import Storage
from jsonpickle.pickler import Pickler
from jsonpickle.unpickler import Unpickler
from sqlalchemy import Engine

from storage import state
from storage.db import run
from storage.group_commit import GroupCommit
from storage.state import StaleStateError


class EtagConflictError(StaleStateError, KeyError):
    """A write carried a stale e_tag; nothing of that write was stored.

    A KeyError whose message starts "Etag conflict." like MemoryStorage's, which is what
    botbuilder code looks for (e.g. TeamsSSOTokenExchangeMiddleware); also a StaleStateError.
    """

    def __str__(self) -> str:
        return (
            f"Etag conflict.\nOriginal: {self.expected}\r\nCurrent: {self.current}"
            f"\r\nKey: {self.key}"
        )


class SqlStorage(Storage):
    """State for ConversationState, UserState etc. in the `bot_state` table.

    Database calls go through storage.db.run: inline on SQLite (embedded, one instance;
    under load the thread hop costs more than the call), in a worker thread otherwise.
    """

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        # bot_state is not an organisation's table: 0 is no organisation's scope.
        self._writes: GroupCommit[state.Prepared] = GroupCommit(engine, state.write_batches)

    async def read(self, keys: Iterable[str]) -> dict[str, Any]:
        if keys is None:  # StorageBaseTests wants this exact message from all but Memory/Cosmos
            raise Exception("Keys are required when reading")
        keys = list(keys)  # may be dict_keys
        if not keys:
            return {}
        rows = await run(self.engine, state.read_items, self.engine, keys)
        return {key: _restore(doc, e_tag) for key, (doc, e_tag) in rows.items()}

    async def write(self, changes: dict[str, Any]) -> None:
        if changes is None:
            raise Exception("Changes are required when writing")
        if not changes:  # StorageBaseTests passes [] here: must be a no-op
            return
        batch: dict[str, tuple[dict, str | None]] = {}
        for key, item in changes.items():
            e_tag = _get_etag(item)
            if e_tag == "":
                raise Exception("sql_storage.write(): etag missing")
            batch[key] = (_flatten(key, item), e_tag)
        prepared = state.prepare(batch)
        try:
            # Committed with the other turns' writes of the moment (a stale e_tag fails
            # only its own batch: storage.group_commit retries the others on their own).
            await self._writes.submit(0, prepared)
        except StaleStateError as err:
            raise EtagConflictError(err.key, err.expected, err.current) from err
        new_etags = {key: fresh for key, _text, _e_tag, fresh in prepared}
        # BotState.save_changes() keeps the dict it wrote as its turn cache but never
        # refreshes its e_tag, so a second save in the same turn would conflict with our own
        # first one: hand the new e_tag back on the written item ("*" stays unconditional).
        for key, item in changes.items():
            if _get_etag(item) != state.ANY_ETAG:
                _set_etag(item, new_etags[key])

    async def delete(self, keys: Iterable[str]) -> None:
        if keys is None:
            raise Exception("Keys are required when deleting")
        keys = list(keys)  # BotState.delete() passes a set
        if keys:
            await run(self.engine, state.delete_items, self.engine, keys)


def _get_etag(item: Any) -> str | None:
    if isinstance(item, dict):
        return item.get("e_tag")
    return getattr(item, "e_tag", None)


def _set_etag(item: Any, e_tag: str) -> None:
    if isinstance(item, dict):
        item["e_tag"] = e_tag
    elif hasattr(item, "e_tag") or hasattr(item, "__dict__"):
        item.e_tag = e_tag


_PLAIN_SCALARS = (str, int, float, bool, type(None))


def is_plain_json(value: Any, depth: int = 0) -> bool:
    """JSON types only (what Läget's own state holds, unless a prompt waits): jsonpickle
    would return it unchanged, ~20× slower."""
    if isinstance(value, _PLAIN_SCALARS):
        return True
    if depth > 32:
        return False
    if isinstance(value, dict):  # a "py/…" key is jsonpickle's tag: never taken as data
        return all(type(k) is str and not k.startswith("py/") and is_plain_json(v, depth + 1)
                   for k, v in value.items())
    if isinstance(value, list):
        return all(is_plain_json(v, depth + 1) for v in value)
    return False


def state_hash(value: Any) -> str:
    """What BotState compares to tell whether a turn changed its state
    (bot/botbuilder_patches.py puts it in place of jsonpickle's)."""
    if is_plain_json(value):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(Pickler().flatten(value))


def _flatten(key: str, item: Any) -> dict:
    doc = dict(item) if is_plain_json(item) else Pickler().flatten(item)
    if not isinstance(doc, dict):
        raise TypeError(f"state for {key!r} must be a dict or an object, not {type(item).__name__}")
    doc.pop("e_tag", None)
    return doc


def _restore(doc: dict, e_tag: str) -> Any:
    if is_plain_json(doc):  # no jsonpickle tags: it restores to itself
        doc["e_tag"] = e_tag
        return doc
    doc["e_tag"] = e_tag
    # safe=True: never eval() a legacy py/repr; documents only ever come from _flatten().
    return Unpickler(safe=True).restore(doc)
