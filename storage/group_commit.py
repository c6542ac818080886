"""Group commit: small writes that concurrent turns make at the same moment go to the
database together, in one transaction (one commit, one fsync) with one executemany per
organisation, instead of a transaction each. Each caller still waits for its own write to be
committed: what it wrote is durable before it goes on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from itertools import groupby
from typing import Generic, TypeVar

from sqlalchemy import Connection, Engine

from storage.db import run, scope, transaction

T = TypeVar("T")
Write = Callable[[Connection, Sequence[T]], None]  # one organisation's items, in its scope


class GroupCommit(Generic[T]):
    """Items submitted while the event loop is busy are written on its next pass, at most
    `max_batch` at a time. A batch that fails is retried item by item, so one bad item
    fails only its own caller."""

    def __init__(self, engine: Engine, write: Write[T], max_batch: int = 256) -> None:
        self._engine = engine
        self._write = write
        self._max = max_batch
        self._pending: list[tuple[int, T, asyncio.Future[None]]] = []
        self._scheduled = False

    async def submit(self, organisation_id: int, item: T) -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._pending.append((organisation_id, item, done))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush_pending)
        await done

    def _flush_pending(self) -> None:
        self._scheduled = False
        while self._pending:
            batch, self._pending = self._pending[: self._max], self._pending[self._max:]
            asyncio.ensure_future(self._flush(batch))

    async def _flush(self, batch: list[tuple[int, T, asyncio.Future[None]]]) -> None:
        try:
            await run(self._engine, self._write_batch, [(org, item) for org, item, _ in batch])
        except Exception as failed:
            if len(batch) > 1:  # which one? each on its own
                for one in batch:
                    await self._flush([one])
            elif not batch[0][2].done():
                batch[0][2].set_exception(failed)
            return
        for _, _, done in batch:
            if not done.done():
                done.set_result(None)

    def _write_batch(self, items: list[tuple[int, T]]) -> None:
        ordered = sorted(items, key=lambda pair: pair[0])
        with transaction(self._engine, ordered[0][0]) as connection:
            for org, group in groupby(ordered, key=lambda pair: pair[0]):
                scope(connection, org)
                self._write(connection, [item for _, item in group])
