"""bot/sql_storage.py: botbuilder's storage conformance suite and dialogs across bot instances,
on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Iterator

import pytest
from botbuilder.core import ConversationState, MessageFactory, StoreItem, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import (
    DialogSet,
    DialogState,
    DialogTurnStatus,
    PromptOptions,
    TextPrompt,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.testing import StorageBaseTests
from sqlalchemy import Engine, select

from bot.sql_storage import EtagConflictError, SqlStorage
from storage.db import make_engine
from storage.models import BotStateItem
from storage.state import StaleStateError

CONFORMANCE = [
    "return_empty_object_when_reading_unknown_key",
    "handle_null_keys_when_reading",
    "handle_null_keys_when_writing",
    "does_not_raise_when_writing_no_items",
    "create_object",
    "handle_crazy_keys",
    "update_object",
    "delete_object",
    "delete_unknown_object",
    "perform_batch_operations",
    "proceeds_through_waterfall",
]


@pytest.fixture
def storage(engine: Engine) -> SqlStorage:
    return SqlStorage(engine)


def test_conformance_list_is_the_whole_suite() -> None:
    suite = {
        name
        for name, member in vars(StorageBaseTests).items()
        if isinstance(member, staticmethod) and inspect.iscoroutinefunction(member.__func__)
    }
    assert set(CONFORMANCE) == suite


@pytest.mark.parametrize("name", CONFORMANCE)
async def test_storage_base_tests(storage: SqlStorage, name: str) -> None:
    assert await getattr(StorageBaseTests, name)(storage) is True


# --- e_tags ----------------------------------------------------------------------------------


async def test_etag_conflict_raises_and_writes_nothing_in_the_batch(storage: SqlStorage) -> None:
    await storage.write({"a": {"n": 1}, "b": {"n": 1}})
    first = await storage.read(["a", "b"])
    await storage.write({"b": {**first["b"], "n": 2}})  # someone else moved "b" on

    with pytest.raises(EtagConflictError) as err:
        await storage.write({"a": {**first["a"], "n": 3}, "b": {**first["b"], "n": 3}})
    assert isinstance(err.value, KeyError) and isinstance(err.value, StaleStateError)
    assert str(err.value).startswith("Etag conflict.")  # what botbuilder code matches on
    assert err.value.key == "b" and err.value.expected == first["b"]["e_tag"]

    now = await storage.read(["a", "b"])
    assert (now["a"]["n"], now["b"]["n"]) == (1, 2)
    assert now["a"]["e_tag"] == first["a"]["e_tag"]


async def test_empty_etag_is_refused(storage: SqlStorage) -> None:
    with pytest.raises(Exception, match="etag missing"):
        await storage.write({"a": {"n": 1, "e_tag": ""}})
    assert await storage.read(["a"]) == {}


async def test_write_hands_the_new_etag_back(storage: SqlStorage) -> None:
    item = {"n": 1}
    star = {"n": 1, "e_tag": "*"}
    await storage.write({"a": item, "b": star})
    stored = await storage.read(["a", "b"])
    assert item["e_tag"] == stored["a"]["e_tag"]
    assert star["e_tag"] == "*"  # stays an unconditional write
    item["n"] = 2
    await storage.write({"a": item})  # the caller's item is current, no conflict
    assert (await storage.read(["a"]))["a"]["n"] == 2


async def test_store_items_come_back_as_store_items(storage: SqlStorage) -> None:
    await storage.write({"si": StoreItem(name="Läget", count=1, e_tag="*")})
    got = (await storage.read(["si"]))["si"]
    assert isinstance(got, StoreItem)
    assert (got.name, got.count) == ("Läget", 1)
    assert got.e_tag and got.e_tag != "*"
    got.count = 2
    await storage.write({"si": got})
    assert (await storage.read(["si"]))["si"].count == 2


async def test_concurrent_writes_on_one_etag_exactly_one_wins(storage: SqlStorage) -> None:
    await storage.write({"k": {"v": -1}})
    old = (await storage.read(["k"]))["k"]["e_tag"]
    results = await asyncio.gather(
        *(storage.write({"k": {"v": i, "e_tag": old}}) for i in range(10)), return_exceptions=True
    )
    winners = [i for i, result in enumerate(results) if result is None]
    assert len(winners) == 1, results
    assert all(isinstance(r, EtagConflictError) for r in results if r is not None), results
    assert (await storage.read(["k"]))["k"]["v"] == winners[0]


# --- dialogs across bot instances ------------------------------------------------------------


def _bot(storage: SqlStorage) -> tuple[TestAdapter, ConversationState]:
    """One bot instance: a waterfall asking two questions, then answering."""
    convo_state = ConversationState(storage)
    dialogs = DialogSet(convo_state.create_property("dialogState"))

    async def ask_name(step: WaterfallStepContext) -> object:
        prompt = PromptOptions(prompt=MessageFactory.text("Vad heter du?"))
        return await step.prompt("text", prompt)

    async def ask_unit(step: WaterfallStepContext) -> object:
        step.values["name"] = step.result
        prompt = PromptOptions(prompt=MessageFactory.text(f"Vilken förvaltning, {step.result}?"))
        return await step.prompt("text", prompt)

    async def answer(step: WaterfallStepContext) -> object:
        await step.context.send_activity(f"{step.values['name']} på {step.result}")
        return await step.end_dialog()

    dialogs.add(WaterfallDialog("main", [ask_name, ask_unit, answer]))
    dialogs.add(TextPrompt("text"))

    async def logic(turn_context: TurnContext) -> None:
        dialog_context = await dialogs.create_context(turn_context)
        result = await dialog_context.continue_dialog()
        if result.status == DialogTurnStatus.Empty:
            await dialog_context.begin_dialog("main")
        await convo_state.save_changes(turn_context)

    return TestAdapter(logic), convo_state


def _convo_key(adapter: TestAdapter, convo_state: ConversationState) -> str:
    # Not "test/conversations/Convo1/": on Python 3.11 the str-Enum channel id formats as
    # "Channels.test" inside botbuilder's f-string, so ask botbuilder for the key.
    return convo_state.get_storage_key(TurnContext(adapter, adapter.template))


@pytest.fixture
def second_engine(database_url: str, engine: Engine) -> Iterator[Engine]:
    """A separate engine (own connection pool) on the same database: another bot instance."""
    other = make_engine(database_url)
    yield other
    other.dispose()


async def test_dialog_continues_on_another_instance(engine: Engine, second_engine: Engine) -> None:
    one, state_one = _bot(SqlStorage(engine))
    two, _ = _bot(SqlStorage(second_engine))

    await one.test("hej", "Vad heter du?")
    await two.test("Åsa", "Vilken förvaltning, Åsa?")

    with engine.connect() as conn:
        ((key, text),) = conn.execute(select(BotStateItem.key, BotStateItem.data)).all()
    assert key == _convo_key(one, state_one)
    stack = json.loads(text)["dialogState"]
    assert stack["py/object"] == "botbuilder.dialogs.dialog_state.DialogState"
    assert [d["id"] for d in stack["_dialog_stack"]] == ["text", "main"]  # top first

    await one.test("Kultur", "Åsa på Kultur")
    await two.test("igen", "Vad heter du?")  # finished dialog: a new one starts


async def test_dialog_state_restores_as_dialog_objects(storage: SqlStorage) -> None:
    one, convo_state = _bot(storage)
    await one.test("hej", "Vad heter du?")
    (state,) = (await storage.read([_convo_key(one, convo_state)])).values()
    dialog_state = state["dialogState"]
    assert isinstance(dialog_state, DialogState)
    assert [d.id for d in dialog_state.dialog_stack] == ["text", "main"]
    options = dialog_state.dialog_stack[0].state["options"]
    assert isinstance(options, PromptOptions) and options.prompt.text == "Vad heter du?"


async def test_instances_racing_on_one_conversation_conflict(
    engine: Engine, second_engine: Engine
) -> None:
    one, state_one = _bot(SqlStorage(engine))
    two, state_two = _bot(SqlStorage(second_engine))
    await one.test("hej", "Vad heter du?")

    # Both instances load the same state for overlapping turns; the later save must lose.
    ctx_one = TurnContext(one, MessageFactory.text("a"))
    ctx_one.activity.conversation = one.template.conversation
    ctx_one.activity.channel_id = one.template.channel_id
    ctx_two = TurnContext(two, MessageFactory.text("b"))
    ctx_two.activity.conversation = two.template.conversation
    ctx_two.activity.channel_id = two.template.channel_id
    await state_one.load(ctx_one)
    await state_two.load(ctx_two)
    await state_one.create_property("n").set(ctx_one, 1)
    await state_two.create_property("n").set(ctx_two, 2)
    await state_one.save_changes(ctx_one)
    with pytest.raises(EtagConflictError):
        await state_two.save_changes(ctx_two)

    # Saving twice within one turn is fine: the storage refreshes the cached e_tag.
    await state_one.create_property("n").set(ctx_one, 3)
    await state_one.save_changes(ctx_one)
    key = _convo_key(one, state_one)
    assert (await SqlStorage(second_engine).read([key]))[key]["n"] == 3
