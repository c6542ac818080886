"""The CloudAdapter, hardened at the HTTP edge, authenticated, and without per-turn overheads.

Differences from botbuilder-integration-aiohttp 4.17.1's CloudAdapter.process:
- malformed requests get a 4xx with a short JSON reason instead of a 500;
- authentication is botbuilder's own (JwtTokenValidation via
  ConfigurationBotFrameworkAuthentication), but every failure is a 401 with a short reason
  (botbuilder lets a malformed token escape as a 500), and with MicrosoftAppId empty (local
  mode) an Authorization header is ignored instead of validated against no app id;
- the OpenID metadata (signing keys) is fetched with aiohttp, once, and cached; botbuilder
  fetches it with blocking `requests.get` on the event loop;
- activities from tenants outside LAGET_ALLOWED_TENANTS / MicrosoftAppTenantId get a 403;
- connector clients are built once per service URL and app id and reuse one aiohttp session;
  stock botbuilder builds two msrest clients per turn (~8 ms each, in ClientRetryPolicy) and
  sends through `requests` in a thread pool. Tokens for outgoing calls are fetched in a
  worker thread (msal is blocking) and cached briefly; 429 and 5xx answers are retried with
  backoff (msrest's own retry never retries POST with urllib3 2, nor 429);
- invoke responses are serialised once (4.17.1 serialises a dict body again → HTTP 500);
- an error in a turn is logged with its traceback and the user gets a short apology; if the
  database is unreachable, a "temporarily unavailable" message instead, and the dialog state
  is kept for when it is back.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import traceback
import weakref
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from types import SimpleNamespace
from typing import Any

import aiohttp
import jwt
from aiohttp import web
from botbuilder.core import Bot, ConversationState, TurnContext
from botbuilder.core.serializer_helper import serializer_helper
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
    ConfigurationServiceClientCredentialFactory,
)
from botbuilder.schema import Activity, ActivityTypes
from botframework.connector import models as connector_models
from botframework.connector.about import __version__ as connector_version
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    ServiceClientCredentialsFactory,
    UserTokenClient,
)
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor, _OpenIdConfig
from botframework.connector.bot_framework_sdk_client_async import (
    BotFrameworkConnectorConfiguration,
)
from jwt.algorithms import RSAAlgorithm
from msrest.authentication import Authentication
from msrest.pipeline import AsyncHTTPPolicy, AsyncHTTPSender, Request, Response
from msrest.pipeline.async_abc import AsyncPipeline
from msrest.pipeline.universal import RawDeserializer
from msrest.serialization import Model, Serializer
from msrest.universal_http.aiohttp import AioHttpClientResponse
from sqlalchemy import exc as sa_exc

from bot.replies import CardAttachment
from bot.understanding import reply_language
from cards.texts import t
from config import Settings

log = logging.getLogger("laget.adapter")

MAX_BODY_BYTES = 256 * 1024
USER_AGENT = f"Microsoft-BotFramework/3.1 (BotBuilder Python/{connector_version}) Laget"

# Outgoing calls to the Bot Framework connector: statuses worth another try, the pauses
# before each retry (seconds, ±25 % jitter) and the longest Retry-After we honour.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_DELAYS: tuple[float, ...] = (0.5, 1.0, 2.0)
MAX_RETRY_AFTER = 10.0
CONNECTOR_TIMEOUT = aiohttp.ClientTimeout(total=30)
# An outgoing token is asked from msal again after this long; msal hands out tokens with at
# least 5 minutes left, so a cached one always has 3 minutes to spare.
TOKEN_REUSE_SECONDS = 120.0
OPENID_REFRESH = timedelta(days=1)
OPENID_UNKNOWN_KEY_REFRESH = timedelta(hours=1)


def _json_error(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


# --- incoming: OpenID metadata without blocking the event loop --------------------------------


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
                async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
                    async with http.get(self.url) as response:
                        response.raise_for_status()
                        jwks_uri = (await response.json(content_type=None))["jwks_uri"]
                    async with http.get(jwks_uri) as response:
                        response.raise_for_status()
                        keys = (await response.json(content_type=None))["keys"]
            except (TimeoutError, aiohttp.ClientError, KeyError, ValueError) as err:
                log.error("could not fetch OpenID metadata from %s: %s", self.url, err)
                raise OpenIdMetadataUnavailable(str(err)) from err
            self.keys = [k for k in keys if isinstance(k, dict)]
            self.last_updated = datetime.now()

    def _find(self, key_id: str | None) -> _OpenIdConfig | None:
        for key in self.keys:
            if key.get("kid") == key_id:
                return _OpenIdConfig(RSAAlgorithm.from_jwk(json.dumps(key)),
                                     key.get("endorsements", []))
        return None


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


# --- outgoing: cached connector clients on one aiohttp session ------------------------------


class _TokenSource:
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
    def __init__(self, tokens: _TokenSource) -> None:
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


class _RetryPolicy(AsyncHTTPPolicy):
    """Retries 429 and 5xx (and failures to connect) with exponential backoff and jitter,
    honouring Retry-After up to MAX_RETRY_AFTER. The Bot Framework asks bots to do this."""

    async def send(self, request: Request, **kwargs: Any) -> Response:
        delays = RETRY_DELAYS
        for attempt in range(len(delays) + 1):
            last = attempt == len(delays)
            try:
                response = await self.next.send(request, **kwargs)
            except aiohttp.ClientConnectorError:  # nothing was sent: always safe to retry
                if last:
                    raise
                wait = delays[attempt]
                reason = "connection failed"
            else:
                status = response.http_response.status_code
                if status not in RETRY_STATUSES or last:
                    return response
                wait = delays[attempt] * random.uniform(0.75, 1.25)
                after = retry_after_seconds(response.http_response.headers)
                if after is not None:
                    wait = max(wait, min(after, MAX_RETRY_AFTER))
                reason = f"HTTP {status}"
            log.warning("connector %s %s: %s, retry %d in %.2f s", request.http_request.method,
                        request.http_request.url, reason, attempt + 1, wait)
            await asyncio.sleep(wait)
        raise AssertionError("unreachable")


class _ClientResponse(AioHttpClientResponse):
    """msrest's aiohttp response raises on an empty body (`if not self._body`), but a channel
    may accept an activity with 202 and no body (the Agents Playground does)."""

    def body(self) -> bytes:
        return self._body if self._body is not None else super().body()


class _AioHttpSender(AsyncHTTPSender):
    """Sends on the adapter's one aiohttp session (created on first use, on the running loop)."""

    def __init__(self, http: _SharedSession) -> None:
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
            response = _ClientResponse(http_request, raw)
            await response.load_body()
        return Response(request, response)


class _SharedSession:
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


class _CachedConnectorFactory(ConnectorFactory):
    """One ConnectorClient per (service URL, audience) for one app id, built on first use."""

    def __init__(self, owner: LagetAuthentication, app_id: str | None) -> None:
        self._owner = owner
        self._app_id = app_id
        self._clients: dict[tuple[str, str], ConnectorClient] = {}

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        scope = audience or self._owner.originating_audience
        key = (service_url, scope)
        client = self._clients.get(key)
        if client is None:
            tokens = await self._owner.token_source(self._app_id, scope)
            client = self._clients[key] = _connector_client(service_url, tokens,
                                                            self._owner.http)
        return client


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


class _FastActivitySerializer(Serializer):
    def body(self, data: Any, data_type: str, **kwargs: Any) -> Any:
        if data_type == "Activity" and isinstance(data, Activity):
            return model_json(data)
        return super().body(data, data_type, **kwargs)


def _connector_client(service_url: str, tokens: _TokenSource,
                      http: _SharedSession) -> ConnectorClient:
    config = BotFrameworkConnectorConfiguration(tokens.credentials, service_url)
    config.add_user_agent(USER_AGENT)
    config.custom_pipeline = AsyncPipeline(
        [config.user_agent_policy, _RetryPolicy(), _BearerPolicy(tokens), RawDeserializer()],
        _AioHttpSender(http),
    )
    client = ConnectorClient(tokens.credentials, base_url=service_url,
                             custom_configuration=config)
    serializer = _FastActivitySerializer(
        {k: v for k, v in connector_models.__dict__.items() if isinstance(v, type)}
    )
    client.conversations._serialize = serializer  # noqa: SLF001
    return client


class LagetAuthentication(BotFrameworkAuthentication):
    """botbuilder's ConfigurationBotFrameworkAuthentication for validating requests, with
    connector factories, credentials and user-token clients built once and reused."""

    def __init__(self, configuration: Any,
                 credentials_factory: ServiceClientCredentialsFactory | None = None) -> None:
        install_async_openid_metadata()
        self._credentials = credentials_factory or ConfigurationServiceClientCredentialFactory(
            configuration
        )
        self._inner = ConfigurationBotFrameworkAuthentication(
            configuration, credentials_factory=self._credentials
        )
        self.originating_audience = self._inner.get_originating_audience()
        self.http = _SharedSession()
        self._factories: dict[str | None, _CachedConnectorFactory] = {}
        self._tokens: dict[tuple[str | None, str], _TokenSource] = {}
        self._user_token_clients: dict[str | None, UserTokenClient] = {}

    @staticmethod
    def _app_id(claims_identity: ClaimsIdentity) -> str | None:
        # Anonymous (local mode) has no claims; a proactive identity has "" for both.
        return claims_identity.get_claim_value(
            AuthenticationConstants.AUDIENCE_CLAIM
        ) or claims_identity.get_claim_value(AuthenticationConstants.APP_ID_CLAIM) or None

    async def token_source(self, app_id: str | None, scope: str) -> _TokenSource:
        key = (app_id, scope)
        if key not in self._tokens:
            credentials = await self._credentials.create_credentials(
                app_id, scope, AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL, True
            )
            self._tokens[key] = _TokenSource(credentials)
        return self._tokens[key]

    async def authenticate_request(self, activity: Activity,
                                   auth_header: str) -> AuthenticateRequestResult:
        result = await self._inner.authenticate_request(activity, auth_header)
        result.connector_factory = self.create_connector_factory(result.claims_identity)
        return result

    async def authenticate_streaming_request(self, auth_header: str,
                                             channel_id_header: str) -> AuthenticateRequestResult:
        return await self._inner.authenticate_streaming_request(auth_header, channel_id_header)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        app_id = self._app_id(claims_identity)
        factory = self._factories.get(app_id)
        if factory is None:
            factory = self._factories[app_id] = _CachedConnectorFactory(self, app_id)
        return factory

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        app_id = self._app_id(claims_identity)
        client = self._user_token_clients.get(app_id)
        if client is None:
            client = await self._inner.create_user_token_client(claims_identity)
            self._user_token_clients[app_id] = client
        return client

    def create_bot_framework_client(self):  # type: ignore[no-untyped-def]
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return self.originating_audience

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self._inner.authenticate_channel_request(auth_header)


# --- the adapter ----------------------------------------------------------------------------


def _tenant_of(activity: Activity) -> str | None:
    """Teams puts the tenant in channelData.tenant.id and conversation.tenantId (botbuilder's
    schema spells the latter tenantID, so it lands in additional_properties)."""
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = channel_data.get("tenant")
    if isinstance(tenant, dict) and isinstance(tenant.get("id"), str):
        return tenant["id"]
    conversation = activity.conversation
    extra = getattr(conversation, "additional_properties", None) or {}
    found = conversation.tenant_id or extra.get("tenantId") or extra.get("tenantID")
    return found if isinstance(found, str) else None


def _is_database_outage(error: BaseException) -> bool:
    """An OperationalError/InterfaceError anywhere in the cause chain: the database is down
    or unreachable, not a bug in a query."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa_exc.OperationalError | sa_exc.InterfaceError):
            return True
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        current = current.__cause__ or current.__context__
    return False


class LagetAdapter(CloudAdapter):
    def __init__(self, settings: Settings, conversation_state: ConversationState, *,
                 credentials_factory: ServiceClientCredentialsFactory | None = None) -> None:
        auth_config = SimpleNamespace(
            APP_ID=settings.app_id,
            APP_PASSWORD=settings.app_password,
            APP_TYPE=settings.app_type,
            APP_TENANTID=settings.app_tenant_id,
        )
        self.authentication = LagetAuthentication(auth_config, credentials_factory)
        super().__init__(self.authentication)
        self._settings = settings
        self._allowed_tenants = settings.allowed_tenant_ids
        self._conversation_state = conversation_state
        self._warned_local_header = False
        self.on_turn_error = self._on_error

    async def close(self) -> None:
        """Closes the outgoing HTTP session; the web app calls this on shutdown."""
        await self.authentication.http.close()

    async def process(self, request: web.Request, bot: Bot, ws_response=None) -> web.Response:  # type: ignore[no-untyped-def, override]
        if request.method != "POST":
            return _json_error(405, "only POST is supported")
        if "application/json" not in request.headers.get("Content-Type", ""):
            return _json_error(415, "Content-Type must be application/json")
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return _json_error(413, "activity too large")
        raw = await request.content.read(MAX_BODY_BYTES + 1)
        if len(raw) > MAX_BODY_BYTES:
            return _json_error(413, "activity too large")
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return _json_error(400, "body is not valid JSON")
        if not isinstance(body, dict) or not isinstance(body.get("type"), str):
            return _json_error(400, "body must be an activity object with a 'type'")
        try:
            activity = Activity().deserialize(body)
        except Exception:  # msrest raises several types for ill-typed fields
            return _json_error(400, "activity has fields of the wrong type")
        if not activity.service_url or not activity.conversation or not activity.conversation.id:
            return _json_error(400, "activity needs serviceUrl and conversation.id")

        auth = await self._authenticate(request, activity)
        if isinstance(auth, web.Response):
            return auth
        if self._allowed_tenants:
            tenant = _tenant_of(activity)
            if tenant not in self._allowed_tenants:
                log.warning("refused an activity from tenant %r (conversation %r): not in the "
                            "allowed tenants", tenant, activity.conversation.id)
                return _json_error(403, "tenant not allowed")

        invoke_response = await self.process_activity(auth, activity, bot.on_turn)
        if invoke_response:
            data = invoke_response.body
            if isinstance(data, Model):
                data = serializer_helper(data)
            return web.json_response(data=data, status=invoke_response.status)
        return web.Response(status=201)

    async def _authenticate(self, request: web.Request,
                            activity: Activity) -> AuthenticateRequestResult | web.Response:
        auth_header = request.headers.get("Authorization", "")
        if not self._settings.authenticated and auth_header:
            # Local mode has no app id to validate a token against; botbuilder would try and
            # fail. The header can neither grant nor remove anything here: ignore it.
            if not self._warned_local_header:
                log.warning("ignoring the Authorization header: MicrosoftAppId is empty, so the "
                            "bot runs in local mode without authentication")
                self._warned_local_header = True
            auth_header = ""
        try:
            return await self.authentication.authenticate_request(activity, auth_header)
        except OpenIdMetadataUnavailable:
            return _json_error(503, "cannot verify tokens right now")
        except PermissionError as err:
            reason = "missing token" if not auth_header else "invalid token"
            log.warning("refused a request to /api/messages: %s (%s)", reason, err)
            return _json_error(401, reason)
        except jwt.ExpiredSignatureError:
            log.warning("refused a request to /api/messages: expired token")
            return _json_error(401, "expired token")
        except Exception as err:  # jwt.DecodeError, bad base64, missing claims…
            log.warning("refused a request to /api/messages: malformed token (%s: %s)",
                        type(err).__name__, err)
            return _json_error(401, "malformed token")

    async def _on_error(self, context: TurnContext, error: Exception) -> None:
        activity = context.activity
        lang = reply_language(activity.locale, None)
        if _is_database_outage(error):
            log.error("turn failed, database unavailable: %s", error)
            if activity.type == ActivityTypes.message:
                await self._send_quietly(context, t(lang, "unavailable"))
            return  # keep the dialog state: it is fine, and the database is not there anyway
        log.error(
            "turn failed: %s\n%s",
            error,
            "".join(traceback.format_exception(type(error), error, error.__traceback__)),
        )
        if activity.type == ActivityTypes.message:
            await self._send_quietly(context, t(lang, "error"))
        try:
            # A half-finished dialog would fail the same way next turn; start over.
            await self._conversation_state.delete(context)
        except Exception:
            log.exception("could not clear conversation state")

    @staticmethod
    async def _send_quietly(context: TurnContext, text: str) -> None:
        try:
            await context.send_activity(text)
        except Exception:
            log.exception("could not send the error message")
