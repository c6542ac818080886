"""storage/state.py: bot state documents with optimistic concurrency, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, select

from storage.models import BotStateItem
from storage.state import (
    KEY_MAX_LENGTH,
    StaleStateError,
    delete_items,
    read_items,
    write_items,
)


def _stored_text(engine: Engine, key: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(
            select(BotStateItem.__table__.c.data).where(BotStateItem.__table__.c.key == key)
        ).scalar_one_or_none()


def test_unknown_keys_are_left_out(engine: Engine) -> None:
    assert read_items(engine, ["nope"]) == {}
    assert read_items(engine, []) == {}


def test_write_then_read(engine: Engine) -> None:
    tags = write_items(engine, {"a": ({"n": 1}, None), "b": ({"n": 2}, "*")})
    assert set(tags) == {"a", "b"}
    assert len({tags["a"], tags["b"]}) == 2
    assert all(len(tag) == 32 for tag in tags.values())
    assert read_items(engine, ["a", "b", "c", "a"]) == {
        "a": ({"n": 1}, tags["a"]),
        "b": ({"n": 2}, tags["b"]),
    }


def test_json_round_trips_exactly(engine: Engine) -> None:
    data = {
        "zeta": "Läget för förvaltningen – 100 % ✓",
        "alpha": [1, 2.5, -0.0, None, True, False, "", {"nested": {"deep": []}}],
        "py/object": "botbuilder.dialogs.dialog_state.DialogState",
        "big": 2**62,
        "ctrl": 'tab\there\nnewline "quoted" \\ backslash \u0000 nul',
    }
    write_items(engine, {"k": (data, None)})
    got, _ = read_items(engine, ["k"])["k"]
    assert got == data
    assert list(got) == list(data)  # key order kept (jsonpickle py/id refs depend on order)
    assert "Läget" in (_stored_text(engine, "k") or "")  # stored readable, not \u-escaped


def test_matching_etag_updates_and_changes_the_etag(engine: Engine) -> None:
    first = write_items(engine, {"k": ({"v": 1}, None)})["k"]
    second = write_items(engine, {"k": ({"v": 2}, first)})["k"]
    assert second != first
    assert read_items(engine, ["k"]) == {"k": ({"v": 2}, second)}


@pytest.mark.parametrize("etag", [None, "*"])
def test_none_and_star_overwrite_whatever_is_stored(engine: Engine, etag: str | None) -> None:
    write_items(engine, {"k": ({"v": 1}, None)})
    write_items(engine, {"k": ({"v": 2}, None)})
    tag = write_items(engine, {"k": ({"v": 3}, etag)})["k"]
    assert read_items(engine, ["k"]) == {"k": ({"v": 3}, tag)}


def test_stale_etag_raises_and_writes_nothing_in_the_batch(engine: Engine) -> None:
    old = write_items(engine, {"b": ({"v": 1}, None)})["b"]
    current = write_items(engine, {"b": ({"v": 2}, old)})["b"]
    before = read_items(engine, ["b"])

    # "a" (new) and "c" (unconditional) sort around the stale "b": both must be rolled back.
    with pytest.raises(StaleStateError) as err:
        write_items(engine, {"a": ({"v": 9}, None), "b": ({"v": 9}, old), "c": ({"v": 9}, "*")})
    assert (err.value.key, err.value.expected, err.value.current) == ("b", old, current)
    assert "'b'" in str(err.value)
    assert read_items(engine, ["a", "b", "c"]) == before


def test_new_key_with_an_etag_is_inserted_like_memory_storage(engine: Engine) -> None:
    # MemoryStorage only compares e_tags when the key is already stored.
    tag = write_items(engine, {"k": ({"v": 1}, "made-up")})["k"]
    assert tag != "made-up"
    assert read_items(engine, ["k"]) == {"k": ({"v": 1}, tag)}


def test_deleted_key_can_be_written_again_with_its_old_etag(engine: Engine) -> None:
    tag = write_items(engine, {"k": ({"v": 1}, None)})["k"]
    delete_items(engine, ["k"])
    write_items(engine, {"k": ({"v": 2}, tag)})
    assert read_items(engine, ["k"])["k"][0] == {"v": 2}


def test_refuses_bad_input_before_writing_anything(engine: Engine) -> None:
    with pytest.raises(ValueError, match="e_tag missing"):
        write_items(engine, {"a": ({"v": 1}, None), "b": ({"v": 1}, "")})
    with pytest.raises(TypeError, match="must be a dict"):
        write_items(engine, {"a": ({"v": 1}, None), "b": ([1, 2], None)})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="longer than"):
        write_items(engine, {"a": ({"v": 1}, None), "x" * (KEY_MAX_LENGTH + 1): ({}, None)})
    with pytest.raises(ValueError, match="non-empty"):
        write_items(engine, {"": ({}, None)})
    assert read_items(engine, ["a"]) == {}


def test_longest_key_and_odd_characters(engine: Engine) -> None:
    keys = ["k" * KEY_MAX_LENGTH, '!@#$%^&*()_+??><":QASD~`', "msteams/conversations/19:åäö@thread"]
    write_items(engine, {key: ({"key": key}, None) for key in keys})
    assert {key: data["key"] for key, (data, _tag) in read_items(engine, keys).items()} == {
        key: key for key in keys
    }


def test_empty_batch(engine: Engine) -> None:
    assert write_items(engine, {}) == {}


def test_delete(engine: Engine) -> None:
    write_items(engine, {"a": ({}, None), "b": ({}, None), "c": ({}, None)})
    delete_items(engine, ["a", "b", "unknown"])
    delete_items(engine, [])
    assert list(read_items(engine, ["a", "b", "c"])) == ["c"]


def test_many_keys_in_one_batch(engine: Engine) -> None:
    keys = [f"user/{i}" for i in range(600)]
    tags = write_items(engine, {key: ({"i": i}, None) for i, key in enumerate(keys)})
    got = read_items(engine, keys)
    assert len(got) == 600
    assert got["user/599"] == ({"i": 599}, tags["user/599"])


# --- concurrent writers: each thread has its own connection, as separate processes would ---


def _race(n: int, write: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    barrier = threading.Barrier(n)

    def attempt(i: int) -> Any:
        barrier.wait()
        return write(i)

    wins: list[Any] = []
    losses: list[BaseException] = []
    with ThreadPoolExecutor(n) as pool:
        for future in [pool.submit(attempt, i) for i in range(n)]:
            try:
                wins.append(future.result())
            except BaseException as err:  # noqa: B036 - collected and asserted on below
                losses.append(err)
    return wins, losses


def test_concurrent_writers_on_one_etag_exactly_one_wins(engine: Engine) -> None:
    old = write_items(engine, {"k": ({"v": -1}, None)})["k"]
    wins, losses = _race(10, lambda i: (i, write_items(engine, {"k": ({"v": i}, old)})["k"]))
    assert len(wins) == 1, losses
    assert len(losses) == 9 and all(isinstance(e, StaleStateError) for e in losses), losses
    ((winner, tag),) = wins
    assert read_items(engine, ["k"]) == {"k": ({"v": winner}, tag)}


def test_concurrent_inserts_of_a_new_key_with_an_etag_exactly_one_wins(engine: Engine) -> None:
    wins, losses = _race(10, lambda i: (i, write_items(engine, {"k": ({"v": i}, "x")})["k"]))
    assert len(wins) == 1, losses
    assert len(losses) == 9 and all(isinstance(e, StaleStateError) for e in losses), losses
    ((winner, tag),) = wins
    assert read_items(engine, ["k"]) == {"k": ({"v": winner}, tag)}


def test_concurrent_unconditional_inserts_all_succeed_last_one_stays(engine: Engine) -> None:
    wins, losses = _race(10, lambda i: (i, write_items(engine, {"k": ({"v": i}, "*")})["k"]))
    assert losses == []
    data, tag = read_items(engine, ["k"])["k"]
    assert (data["v"], tag) in wins


def test_concurrent_batches_in_opposite_key_order_do_not_deadlock(engine: Engine) -> None:
    keys = [f"k{i}" for i in range(20)]

    def write(i: int) -> dict[str, str]:
        ordered = keys if i % 2 else list(reversed(keys))
        return write_items(engine, {key: ({"by": i}, None) for key in ordered})

    wins, losses = _race(8, write)
    assert losses == [] and len(wins) == 8
    assert len({data["by"] for data, _tag in read_items(engine, keys).values()}) == 1
