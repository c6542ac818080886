"""Every change Läget makes to botbuilder's and msrest's internals, in one place.

Each relies on the inner workings of the versions in PATCHED_FOR, so the app refuses to start
on any other (check_versions, called from app.build): an upgrade must re-read these first.

- JwtTokenExtractor.metadataCache is replaced, so the Bot Framework's signing keys are fetched
  with aiohttp (bot/openid.py) instead of a blocking `requests.get` on the event loop;
- a connector client's `conversations._serialize` is swapped for one that writes an Activity
  by a direct model walk (model_json): msrest's per-node dispatch costs ~5 ms per reply;
- msrest's aiohttp response raises on an empty body; a channel may answer 202 with none;
- an invoke response's body is serialised once: 4.17.1's CloudAdapter.process serialises a
  dict body a second time and answers HTTP 500;
- recognizers-text-number (botbuilder-dialogs' dependency) sets the importing thread's decimal
  precision to 15 on import; it is put back to Python's 28 (figures are Decimals).
"""

from __future__ import annotations

import decimal
import logging
from collections.abc import Callable
from datetime import datetime
from importlib import metadata
from typing import Any

from aiohttp import web
from botbuilder.core import InvokeResponse
from botbuilder.core.serializer_helper import serializer_helper
from botbuilder.schema import Activity
from botframework.connector import models as connector_models
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor
from msrest.serialization import Model, Serializer
from msrest.universal_http.aiohttp import AioHttpClientResponse
from recognizers_number import NumberRecognizer  # noqa: F401  (imported here: see below)

from bot.openid import AsyncOpenIdMetadata
from bot.replies import CardAttachment

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
