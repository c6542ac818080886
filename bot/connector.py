"""Outgoing calls to the Bot Framework connector: cached clients on one aiohttp session.

Stock botbuilder builds two msrest clients per turn (~8 ms each, in ClientRetryPolicy) and
sends through `requests` in a thread pool. Here a ConnectorClient is built once per service
URL and audience and sends on the adapter's one aiohttp session. Tokens for outgoing calls
are fetched in a worker thread (msal is blocking) and cached briefly; 429 and 5xx answers are
retried with backoff (msrest's own retry never retries POST with urllib3 2, nor 429).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import aiohttp
from botframework.connector.about import __version__ as connector_version
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import AuthenticationConstants, ConnectorFactory
from botframework.connector.bot_framework_sdk_client_async import (
    BotFrameworkConnectorConfiguration,
)
from msrest.authentication import Authentication
from msrest.pipeline import AsyncHTTPPolicy, AsyncHTTPSender, Request, Response
from msrest.pipeline.async_abc import AsyncPipeline
from msrest.pipeline.universal import RawDeserializer

from bot.botbuilder_patches import (
    ClientResponse,
    use_direct_replies,
    use_fast_activity_serializer,
)

if TYPE_CHECKING:
    from bot.auth import LagetAuthentication

log = logging.getLogger("laget.connector")

USER_AGENT = f"Microsoft-BotFramework/3.1 (BotBuilder Python/{connector_version}) Laget"

# Statuses worth another try, the pauses before each retry (seconds, ±25 % jitter) and the
# longest Retry-After we honour.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_DELAYS: tuple[float, ...] = (0.5, 1.0, 2.0)
MAX_RETRY_AFTER = 10.0
CONNECTOR_TIMEOUT = aiohttp.ClientTimeout(total=30)
# Connector clients and token sources kept (least recently used dropped first): Teams uses a
# handful of service URLs, but every distinct one in an activity would otherwise stay.
MAX_CACHED_CLIENTS = 256
# An outgoing token is asked from msal again after this long; msal hands out tokens with at
# least 5 minutes left, so a cached one always has 3 minutes to spare.
TOKEN_REUSE_SECONDS = 120.0


K = TypeVar("K")
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """At most `size` entries; the least recently used goes first."""

    def __init__(self, size: int = MAX_CACHED_CLIENTS) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: K, value: V) -> V:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)


class TokenSource:
    """An outgoing bearer token for one app's credentials. msal is blocking (HTTP to Entra ID
    when its cache is cold), so it runs in a worker thread, never on the event loop."""

    def __init__(self, credentials: Authentication) -> None:
        self.credentials = credentials
        self._token: str | None = None
        self._fetched = 0.0

    @property
    def anonymous(self) -> bool:
        app_id = getattr(self.credentials, "microsoft_app_id", None)
        return not app_id or app_id == AuthenticationConstants.ANONYMOUS_SKILL_APP_ID

    async def token(self) -> str | None:
        if self.anonymous:
            return None
        if self._token is None or time.monotonic() - self._fetched > TOKEN_REUSE_SECONDS:
            self._token = await asyncio.to_thread(self.credentials.get_access_token)
            self._fetched = time.monotonic()
        return self._token


class _BearerPolicy(AsyncHTTPPolicy):
    def __init__(self, tokens: TokenSource) -> None:
        super().__init__()
        self._tokens = tokens

    async def send(self, request: Request, **kwargs: Any) -> Response:
        token = await self._tokens.token()
        if token:
            request.http_request.headers["Authorization"] = f"Bearer {token}"
        else:
            request.http_request.headers.pop("Authorization", None)
        return await self.next.send(request, **kwargs)


def retry_after_seconds(headers: Any) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date); None if absent."""
    value = headers.get("Retry-After") if headers else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


T = TypeVar("T")


async def with_retries(send: Callable[[], Awaitable[T]], status_of: Callable[[T], int],
                       headers_of: Callable[[T], Any], what: str) -> T:
    """Retries 429 and 5xx (and failures to connect) with exponential backoff and jitter,
    honouring Retry-After up to MAX_RETRY_AFTER. The Bot Framework asks bots to do this.
    The one retry loop of outgoing connector calls (msrest's pipeline and direct replies)."""
    delays = RETRY_DELAYS
    for attempt in range(len(delays) + 1):
        last = attempt == len(delays)
        try:
            response = await send()
        except aiohttp.ClientConnectorError:  # nothing was sent: always safe to retry
            if last:
                raise
            wait = delays[attempt]
            reason = "connection failed"
        else:
            status = status_of(response)
            if status not in RETRY_STATUSES or last:
                return response
            wait = delays[attempt] * random.uniform(0.75, 1.25)
            after = retry_after_seconds(headers_of(response))
            if after is not None:
                wait = max(wait, min(after, MAX_RETRY_AFTER))
            reason = f"HTTP {status}"
        log.warning("connector %s: %s, retry %d in %.2f s", what, reason, attempt + 1, wait)
        await asyncio.sleep(wait)
    raise AssertionError("unreachable")


class _RetryPolicy(AsyncHTTPPolicy):
    async def send(self, request: Request, **kwargs: Any) -> Response:
        http = request.http_request
        return await with_retries(lambda: self.next.send(request, **kwargs),
                                  lambda r: r.http_response.status_code,
                                  lambda r: r.http_response.headers,
                                  f"{http.method} {http.url}")


@dataclass(frozen=True)
class ChannelAnswer:
    status: int
    headers: Any
    body: bytes


def poster(http: SharedSession, tokens: TokenSource) -> Callable[[str, bytes],
                                                                   Awaitable[ChannelAnswer]]:
    """POSTs an activity's JSON on the shared session with the bearer token and the retry
    loop: what replies need of the connector, without msrest's pipeline."""
    async def post(url: str, body: bytes) -> ChannelAnswer:
        async def once() -> ChannelAnswer:
            headers = {"Content-Type": "application/json; charset=utf-8",
                       "User-Agent": USER_AGENT}
            if token := await tokens.token():
                headers["Authorization"] = f"Bearer {token}"
            async with http.get().post(url, data=body, headers=headers,
                                       timeout=CONNECTOR_TIMEOUT) as raw:
                return ChannelAnswer(raw.status, raw.headers, await raw.read())

        return await with_retries(once, lambda a: a.status, lambda a: a.headers, f"POST {url}")
    return post


class SharedSession:
    """The adapter's one outgoing aiohttp session, created on first use on the running loop."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def get(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._session
        if session is None or session.closed or session._loop is not loop:  # noqa: SLF001
            session = self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=256, limit_per_host=64)
            )
        return session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


class _AioHttpSender(AsyncHTTPSender):
    """Sends on the shared session."""

    def __init__(self, http: SharedSession) -> None:
        self._http = http

    async def __aenter__(self) -> _AioHttpSender:
        return self

    async def __aexit__(self, *exc_details: Any) -> None:
        return None

    def build_context(self) -> None:
        return None

    async def send(self, request: Request, **kwargs: Any) -> Response:
        http_request = request.http_request
        session = self._http.get()
        async with session.request(http_request.method, http_request.url,
                                   headers=http_request.headers, data=http_request.data,
                                   timeout=CONNECTOR_TIMEOUT) as raw:
            response = ClientResponse(http_request, raw)
            await response.load_body()
        return Response(request, response)


def connector_client(service_url: str, tokens: TokenSource,
                     http: SharedSession) -> ConnectorClient:
    config = BotFrameworkConnectorConfiguration(tokens.credentials, service_url)
    config.add_user_agent(USER_AGENT)
    config.custom_pipeline = AsyncPipeline(
        [config.user_agent_policy, _RetryPolicy(), _BearerPolicy(tokens), RawDeserializer()],
        _AioHttpSender(http),
    )
    client = ConnectorClient(tokens.credentials, base_url=service_url,
                             custom_configuration=config)
    use_fast_activity_serializer(client)
    use_direct_replies(client, service_url, poster(http, tokens))
    return client


class CachedConnectorFactory(ConnectorFactory):
    """One ConnectorClient per (service URL, audience) for one app id, built on first use."""

    def __init__(self, owner: LagetAuthentication, app_id: str | None) -> None:
        self._owner = owner
        self._app_id = app_id
        self._clients: LruCache[tuple[str, str], ConnectorClient] = LruCache()

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        scope = audience or self._owner.originating_audience
        key = (service_url, scope)
        client = self._clients.get(key)
        if client is None:
            tokens = await self._owner.token_source(self._app_id, scope)
            client = self._clients.put(key, connector_client(service_url, tokens,
                                                             self._owner.http))
        return client
