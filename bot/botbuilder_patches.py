"""Every change Läget makes to botbuilder's and msrest's internals, in one place.

Each relies on the inner workings of the versions in PATCHED_FOR, so the app refuses to start
on any other (check_versions, called from app.build): an upgrade must re-read these first.

- JwtTokenExtractor.metadataCache is replaced, so the Bot Framework's signing keys are fetched
  with aiohttp (bot/openid.py) instead of a blocking `requests.get` on the event loop;
- a connector client's `conversations._serialize` is swapped for one that writes an Activity
  by a direct model walk (model_json): msrest's per-node dispatch costs ~5 ms per reply;
- msrest's aiohttp response raises on an empty body; a channel may answer 202 with none;
- a connector client's reply_to_activity and send_to_conversation post directly on the
  adapter's aiohttp session (the same JSON, token and retries), skipping msrest's pipeline;
- an incoming activity is built from its JSON by a direct walk of the schema's attribute
  maps (activity_from_json), not by msrest's Deserializer;
- an invoke response's body is serialised once: 4.17.1's CloudAdapter.process serialises a
  dict body a second time and answers HTTP 500;
- BotState's change check (CachedBotState.compute_hash, three times a turn) hashes plain
  JSON state with json.dumps instead of jsonpickle (~20× faster; objects still go through
  jsonpickle);
- TurnContext.send_activities copies each outgoing activity shallowly, not by deepcopy
  (~0.5 ms for a card): it only sets the copy's own fields (conversation, ids, type), and
  cached answers share their cards, which nothing changes once made;
- recognizers-text-number (botbuilder-dialogs' dependency) sets the importing thread's decimal
  precision to 15 on import; it is put back to Python's 28 (figures are Decimals).
"""

from __future__ import annotations

import copy
import decimal
import json
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from importlib import metadata
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import botbuilder.schema as botbuilder_schema
from aiohttp import web
from botbuilder.core import InvokeResponse, turn_context
from botbuilder.core.bot_state import CachedBotState
from botbuilder.core.serializer_helper import serializer_helper
from botbuilder.schema import Activity, ResourceResponse
from botframework.connector import models as connector_models
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor
from botframework.connector.models import ErrorResponseException
from msrest.serialization import Model, Serializer
from msrest.universal_http.aiohttp import AioHttpClientResponse
from recognizers_number import NumberRecognizer  # noqa: F401  (imported here: see below)

from bot.openid import AsyncOpenIdMetadata
from bot.replies import CardAttachment
from bot.sql_storage import state_hash

log = logging.getLogger("laget.patches")

# The distributions whose internals the patches below touch, and the versions they were
# written and tested for.
PATCHED_FOR: dict[str, str] = {
    "botbuilder-core": "4.17.1",
    "botbuilder-integration-aiohttp": "4.17.1",
    "botframework-connector": "4.17.1",
    "msrest": "0.7.1",
}


class UnsupportedVersions(RuntimeError):
    """Installed botbuilder/msrest versions differ from those the patches were written for."""


def check_versions(installed: Callable[[str], str] | None = None) -> None:
    """Refuses to start (raises) unless every patched distribution is the expected version."""
    installed = installed or metadata.version
    wrong: list[str] = []
    for name, wanted in PATCHED_FOR.items():
        try:
            found = installed(name)
        except metadata.PackageNotFoundError:
            found = "not installed"
        if found != wanted:
            wrong.append(f"{name} {found} (patches written for {wanted})")
    if wrong:
        message = ("bot/botbuilder_patches.py does not fit the installed packages: "
                   + "; ".join(wrong) + ". Pin the versions in pyproject.toml, or review "
                   "and re-test every patch before changing PATCHED_FOR.")
        log.error(message)
        raise UnsupportedVersions(message)


# --- decimal precision ------------------------------------------------------------------------

# recognizers_number/number/parsers.py runs `getcontext().prec = 15` at import. It is imported
# above, so it cannot run again after this: the event loop's thread (where SQLite calls run
# too) and the command line get Python's 28 digits back; other threads never lost them.
decimal.getcontext().prec = decimal.DefaultContext.prec


# --- incoming: OpenID metadata without blocking the event loop --------------------------------


class _AsyncMetadataCache(dict):
    """Replaces JwtTokenExtractor.metadataCache: every metadata URL botbuilder asks for
    (channel, emulator, government, a test's own) gets an AsyncOpenIdMetadata."""

    def get(self, url: str, default: Any = None) -> AsyncOpenIdMetadata:  # type: ignore[override]
        found = super().get(url)
        if found is None:
            found = self[url] = AsyncOpenIdMetadata(url)
        return found


def install_async_openid_metadata() -> None:
    """botbuilder keeps the cache on a class, process-wide; so must we. Idempotent."""
    if not isinstance(JwtTokenExtractor.metadataCache, _AsyncMetadataCache):
        JwtTokenExtractor.metadataCache = _AsyncMetadataCache()


def _shallow_copy(activity: Any) -> Any:
    return copy.copy(activity)


def install_turn_shortcuts() -> None:
    """turn_context.py imports deepcopy by name and uses it once, in send_activities; the
    state hash is a method of an internal class. Idempotent."""
    turn_context.deepcopy = _shallow_copy  # type: ignore[attr-defined]
    CachedBotState.compute_hash = _state_hash  # type: ignore[method-assign]


def _state_hash(_self: Any, obj: object) -> str:
    return state_hash(obj)


# --- incoming: an activity from its JSON without msrest's per-node deserialisation ------------

_TIMESTAMP = re.compile(r"^(.*T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:?\d\d)?$")


def _datetime(value: Any) -> datetime:
    """ISO 8601 as channels send it: Teams gives 7 fractional digits, Python takes 6."""
    if not isinstance(value, str) or not (m := _TIMESTAMP.match(value.strip())):
        raise ValueError(f"not an ISO 8601 time: {value!r}")
    fraction = m[2][:7].ljust(7, "0") if m[2] else ""  # the dot and six digits
    zone = m[3] or ""
    parsed = datetime.fromisoformat(m[1] + fraction + ("+00:00" if zone == "Z" else zone))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _basic(value: Any, data_type: str) -> Any:
    """msrest's leniency where it is harmless (a number where text is due), no further."""
    if data_type == "str":
        if isinstance(value, str):
            return value
        if isinstance(value, bool | int | float):
            return str(value)
        raise ValueError(f"text expected, not {type(value).__name__}")
    if data_type == "int":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(f"integer expected, not {type(value).__name__}")
        return int(value)
    if data_type == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValueError(f"boolean expected, not {value!r}")
    if data_type == "iso-8601":
        return _datetime(value)
    return value  # "object"


def model_from_json(cls: type[Model], data: Any) -> Model:
    """A Bot Framework model from its JSON, as msrest's Deserializer builds it (the same
    attributes, unknown keys in `additional_properties`), by a direct walk of the model's
    attribute map: ~15× faster for an activity. Raises ValueError for ill-typed fields."""
    if not isinstance(data, dict):
        raise ValueError(f"{cls.__name__}: object expected, not {type(data).__name__}")
    values: dict[str, Any] = {}
    known: set[str] = set()
    for attr, spec in cls._attribute_map.items():  # noqa: SLF001
        key = spec["key"]
        known.add(key)
        if key not in data or data[key] is None:
            continue
        values[attr] = _value(data[key], spec["type"])
    instance = cls(**values)
    instance.additional_properties = {k: v for k, v in data.items() if k not in known}
    return instance


def _value(value: Any, data_type: str) -> Any:
    if data_type.startswith("[") and data_type.endswith("]"):
        if not isinstance(value, list):
            raise ValueError(f"list expected for {data_type}")
        return [_value(v, data_type[1:-1]) for v in value]
    if data_type.startswith("{") and data_type.endswith("}"):
        if not isinstance(value, dict):
            raise ValueError(f"object expected for {data_type}")
        return {k: _value(v, data_type[1:-1]) for k, v in value.items()}
    model = _SCHEMA_CLASSES.get(data_type)
    if model is not None:
        return model_from_json(model, value)
    return _basic(value, data_type)


_SCHEMA_CLASSES: dict[str, type[Model]] = {
    name: cls for name, cls in vars(botbuilder_schema).items()
    if isinstance(cls, type) and issubclass(cls, Model)}


def activity_from_json(data: Any) -> Activity:
    """The incoming activity, parsed once (bot/adapter.py)."""
    return model_from_json(Activity, data)  # type: ignore[return-value]


# --- outgoing: serialising replies, reading the channel's answer ------------------------------


def model_json(value: Any) -> Any:
    """A Bot Framework model as the JSON msrest would send, without msrest's per-node type
    dispatch and validation (~5 ms per reply; this is ~0.2 ms). Same output for the schema's
    models: none flattens keys, has read-only fields or serialises additional_properties."""
    if isinstance(value, Model):
        # A card from cards/ holds JSON types only: no walk through its hundreds of nodes.
        as_is = "content" if isinstance(value, CardAttachment) else None
        out: dict[str, Any] = {}
        for attr, spec in value._attribute_map.items():  # noqa: SLF001
            item = getattr(value, attr, None)
            if item is not None:
                out[spec["key"]] = item if attr == as_is else model_json(item)
        return out
    if isinstance(value, list | tuple):
        return [model_json(v) for v in value]
    if isinstance(value, dict):
        return {k: model_json(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return Serializer.serialize_iso(value)
    if isinstance(value, bytes | bytearray):
        return Serializer.serialize_bytearray(value)
    return value


# Stands in for a card whose JSON is known, until it is spliced in: unguessable, so no text
# of a reply can contain it.
_CARD_MARK = f"\u0000laget-card-{secrets.token_hex(8)}-"


def activity_body(activity: Activity) -> bytes:
    """The activity's JSON, with each card that was serialised before spliced in as it is
    (json.dumps of a long list card costs more than the rest of the reply)."""
    data = model_json(activity)
    known = [getattr(a, "content_json", None) for a in activity.attachments or []]
    if not any(known):
        return json.dumps(data, ensure_ascii=False).encode()
    for i, (attachment, text) in enumerate(zip(data["attachments"], known, strict=True)):
        if text:
            attachment["content"] = f"{_CARD_MARK}{i}"
    body = json.dumps(data, ensure_ascii=False)
    for i, text in enumerate(known):
        if text:
            body = body.replace(json.dumps(f"{_CARD_MARK}{i}"), text, 1)
    return body.encode()


class FastActivitySerializer(Serializer):
    def body(self, data: Any, data_type: str, **kwargs: Any) -> Any:
        if data_type == "Activity" and isinstance(data, Activity):
            return model_json(data)
        return super().body(data, data_type, **kwargs)


_MODEL_CLASSES = {k: v for k, v in connector_models.__dict__.items() if isinstance(v, type)}


def use_fast_activity_serializer(client: ConnectorClient) -> None:
    """Activities sent through this client's conversations operations use model_json."""
    client.conversations._serialize = FastActivitySerializer(_MODEL_CLASSES)  # noqa: SLF001


class ClientResponse(AioHttpClientResponse):
    """msrest's aiohttp response raises on an empty body (`if not self._body`), but a channel
    may accept an activity with 202 and no body (the Agents Playground does)."""

    def body(self) -> bytes:
        return self._body if self._body is not None else super().body()


# --- the invoke response ----------------------------------------------------------------------


def invoke_response(response: InvokeResponse) -> web.Response:
    """The HTTP answer to an invoke, its body serialised once (4.17.1's CloudAdapter.process
    runs serializer_helper on a body that is already a dict, which fails: HTTP 500)."""
    data = response.body
    if isinstance(data, Model):
        data = serializer_helper(data)
    return web.json_response(data=data, status=response.status)


# --- outgoing: replies posted directly --------------------------------------------------------


class ChannelRefused(ErrorResponseException):
    """The channel answered a reply with an error: an ErrorResponseException as msrest raises
    it (botbuilder and bot/proactive.py read `response.status_code` and `.headers`)."""

    def __init__(self, status: int, headers: Any, body: bytes) -> None:
        Exception.__init__(self, f"the channel answered HTTP {status}")
        self.response = SimpleNamespace(status_code=status, headers=headers, body=body)
        self.error = None
        self.message = f"HTTP {status}"


Post = Callable[[str, bytes], Awaitable[Any]]


class _DirectConversations:
    """A connector client's `conversations` whose reply_to_activity and send_to_conversation
    POST the activity straight on the adapter's aiohttp session (bot/connector.py's poster):
    msrest's request, pipeline and response objects cost more than the reply's own work.
    Every other operation is msrest's."""

    def __init__(self, inner: Any, service_url: str, post: Post) -> None:
        self._inner = inner
        self._base = service_url.rstrip("/") + "/"
        self._post = post

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def reply_to_activity(self, conversation_id: str, activity_id: str,
                                activity: Activity, **_options: Any) -> ResourceResponse:
        return await self._send(f"v3/conversations/{quote(conversation_id, safe='')}"
                                f"/activities/{quote(activity_id, safe='')}", activity)

    async def send_to_conversation(self, conversation_id: str, activity: Activity,
                                   **_options: Any) -> ResourceResponse:
        return await self._send(f"v3/conversations/{quote(conversation_id, safe='')}"
                                "/activities", activity)

    async def _send(self, path: str, activity: Activity) -> ResourceResponse:
        body = activity_body(activity)
        answer = await self._post(self._base + path, body)
        if not 200 <= answer.status < 300:
            raise ChannelRefused(answer.status, answer.headers, answer.body)
        try:
            data = json.loads(answer.body) if answer.body else {}
        except ValueError:
            data = {}
        return ResourceResponse(id=data.get("id") if isinstance(data, dict) else None)


def use_direct_replies(client: ConnectorClient, service_url: str, post: Post) -> None:
    client.conversations = _DirectConversations(client.conversations, service_url, post)
