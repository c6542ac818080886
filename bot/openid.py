"""The Bot Framework's signing keys (OpenID metadata), fetched with aiohttp and cached.

botbuilder fetches them with a blocking `requests.get` on the event loop; this is its drop-in
(bot/botbuilder_patches.py installs it), with the same refresh rules.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from botframework.connector.auth.jwt_token_extractor import _OpenIdConfig
from jwt.algorithms import RSAAlgorithm

log = logging.getLogger("laget.openid")

OPENID_REFRESH = timedelta(days=1)
OPENID_UNKNOWN_KEY_REFRESH = timedelta(hours=1)
OPENID_TIMEOUT = aiohttp.ClientTimeout(total=10)


class OpenIdMetadataUnavailable(RuntimeError):
    """The signing keys could not be fetched: we cannot tell a valid token from a forged one."""


class AsyncOpenIdMetadata:
    """Drop-in for botbuilder's _OpenIdMetadata (same `get(key_id)` contract and refresh rules:
    daily, or at most hourly when a token names an unknown key), fetched with aiohttp."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.keys: list[dict[str, Any]] = []
        self.last_updated = datetime.min
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    async def get(self, key_id: str | None) -> _OpenIdConfig:
        if self.last_updated < datetime.now() - OPENID_REFRESH:
            await self._refresh(self.last_updated)
        key = self._find(key_id)
        if key is None and self.last_updated < datetime.now() - OPENID_UNKNOWN_KEY_REFRESH:
            await self._refresh(self.last_updated)
            key = self._find(key_id)
        if key is None:
            raise PermissionError("token signed with an unknown key")
        return key

    async def _refresh(self, seen: datetime) -> None:
        loop = asyncio.get_running_loop()
        lock = self._locks.setdefault(loop, asyncio.Lock())
        async with lock:
            if self.last_updated != seen:
                return  # another request refreshed while we waited
            try:
                async with aiohttp.ClientSession(timeout=OPENID_TIMEOUT) as http:
                    async with http.get(self.url) as response:
                        response.raise_for_status()
                        jwks_uri = (await response.json(content_type=None))["jwks_uri"]
                    async with http.get(jwks_uri) as response:
                        response.raise_for_status()
                        keys = (await response.json(content_type=None))["keys"]
            except (TimeoutError, aiohttp.ClientError, KeyError, TypeError, ValueError) as err:
                log.error("could not fetch OpenID metadata from %s: %s", self.url, err)
                raise OpenIdMetadataUnavailable(str(err)) from err
            self.keys = [k for k in keys if isinstance(k, dict)] if isinstance(keys, list) else []
            self.last_updated = datetime.now()

    def _find(self, key_id: str | None) -> _OpenIdConfig | None:
        for key in self.keys:
            if key.get("kid") == key_id:
                return _OpenIdConfig(RSAAlgorithm.from_jwk(json.dumps(key)),
                                     key.get("endorsements", []))
        return None
