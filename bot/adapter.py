"""The HTTP edge of /api/messages and the CloudAdapter that runs a turn.

Differences from botbuilder-integration-aiohttp 4.17.1's CloudAdapter.process:
- malformed requests get a 4xx with a short JSON reason instead of a 500;
- authentication is botbuilder's own (bot/auth.py), but every failure is a 401 with a short
  reason (botbuilder lets a malformed token escape as a 500), and with MicrosoftAppId empty
  (local mode) an Authorization header is ignored instead of validated against no app id;
- activities from tenants outside LAGET_ALLOWED_TENANTS / MicrosoftAppTenantId get a 403;
- replies go out through cached connector clients (bot/connector.py);
- an error in a turn is logged with its traceback and the user gets a short apology; if the
  database is unreachable, a "temporarily unavailable" message instead, and the dialog state
  is kept for when it is back.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from types import SimpleNamespace
from typing import Any

import jwt
from aiohttp import web
from botbuilder.core import Bot, ConversationState, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes
from botframework.connector.auth import AuthenticateRequestResult, ServiceClientCredentialsFactory
from sqlalchemy import exc as sa_exc

from bot.auth import LagetAuthentication
from bot.botbuilder_patches import activity_from_json, install_turn_shortcuts, invoke_response
from bot.identity import TEAMS_CHANNEL, tenant_of
from bot.openid import OpenIdMetadataUnavailable
from cards.texts import choose_language, t
from config import Settings

log = logging.getLogger("laget.adapter")

MAX_BODY_BYTES = 256 * 1024
# Teams' activities nest a handful of levels (channelData, a card's submitted data). Deeper
# JSON is refused at the edge rather than left to recurse through msrest, deepcopy and the
# state store, each with its own stack depth to run out of.
MAX_JSON_DEPTH = 64


# Bounds of the ids an activity brings, within the columns they are stored in (bot_state and
# processed_activity keys of 512 join channel, conversation and activity id; conversation_ref,
# role and reminder_preference hold the rest). Teams' own ids are far shorter; a longer one
# would fail mid-turn (on PostgreSQL as a DataError), so it is refused before the turn.
ID_BOUNDS: tuple[tuple[str, int], ...] = (
    ("channelId", 50), ("id", 128), ("serviceUrl", 500), ("conversation.id", 325),
    ("conversation.conversationType", 50), ("from.id", 200), ("from.aadObjectId", 200),
    ("tenant", 100),
)


def _bad_id_field(activity: Activity) -> tuple[str, str] | None:
    """The first id field past its bound (ID_BOUNDS) or with a control character (NUL
    cannot even be sent to PostgreSQL), and what is wrong with it; None if all are fine."""
    conversation = activity.conversation
    sender = activity.from_property
    values = {
        "channelId": activity.channel_id, "id": activity.id,
        "serviceUrl": activity.service_url,
        "conversation.id": conversation.id if conversation else None,
        "conversation.conversationType":
            conversation.conversation_type if conversation else None,
        "from.id": sender.id if sender else None,
        "from.aadObjectId": sender.aad_object_id if sender else None,
        "tenant": tenant_of(activity),
    }
    for field, limit in ID_BOUNDS:
        value = values[field]
        if not isinstance(value, str):
            continue
        if len(value) > limit:
            return field, "too long"
        if any(ch < " " or ch == "\x7f" for ch in value):
            return field, "has control characters"
    return None


def _json_error(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


async def _read_body(request: web.Request, limit: int) -> bytes | None:
    """The whole body, or None past `limit` bytes. `content.read(n)` alone returns only what
    has arrived so far, and a chunked body has no Content-Length to refuse early by."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(limit + 1 - size):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether JSON containers nest more than `limit` levels (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, dict | list))
    return False


# A \uD800–\uDFFF escape in the raw body: JSON allows one alone, but a lone surrogate can't be
# encoded as UTF-8, so it would fail the turn where it is stored or sent (a name in the
# conversation reference, the reply's recipient, a comment). json.loads joins valid pairs.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_lone_surrogates(value: Any) -> Any:
    """The parsed body with every lone surrogate (in keys too) replaced by U+FFFD. Recursive:
    called only on bodies already checked to nest at most MAX_JSON_DEPTH levels."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_without_lone_surrogates(k): _without_lone_surrogates(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_without_lone_surrogates(v) for v in value]
    return value


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
        install_turn_shortcuts()
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
        try:
            raw = await _read_body(request, MAX_BODY_BYTES)
        except ConnectionError:  # gone, or cut off by bot/http_server.py's body deadline
            return _json_error(408, "request body incomplete")
        except web.RequestPayloadError:
            return _json_error(400, "malformed body")
        if raw is None:
            return _json_error(413, "activity too large")
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):  # RecursionError: nested past Python's limit
            return _json_error(400, "body is not valid JSON")
        if not isinstance(body, dict) or not isinstance(body.get("type"), str):
            return _json_error(400, "body must be an activity object with a 'type'")
        if _nested_deeper_than(body, MAX_JSON_DEPTH):
            return _json_error(400, "activity nested too deep")
        if _SURROGATE_ESCAPE.search(raw):
            body = _without_lone_surrogates(body)
        try:
            activity = activity_from_json(body)  # once, without msrest (botbuilder_patches)
        except Exception:  # ill-typed fields: ValueError, TypeError from a model's init
            return _json_error(400, "activity has fields of the wrong type")
        if not activity.service_url or not activity.conversation or not activity.conversation.id:
            return _json_error(400, "activity needs serviceUrl and conversation.id")
        if not activity.channel_id:  # botbuilder's state keys need it: a TypeError mid-turn
            return _json_error(400, "activity needs channelId")
        if bad := _bad_id_field(activity):
            return _json_error(400, f"activity field {bad[1]}: {bad[0]}")

        auth = await self._authenticate(request, activity)
        if isinstance(auth, web.Response):
            return auth
        if self._settings.authenticated:
            if activity.channel_id != TEAMS_CHANNEL:
                # Validly signed, but only Teams vouches for who the user is (bot/identity.py).
                log.warning("refused an activity from channel %r (conversation %r): only "
                            "Teams (msteams) is served with authentication on",
                            activity.channel_id, activity.conversation.id)
                return _json_error(403, "channel not allowed")
            if auth.caller_id is None:  # bot.identity.is_authenticated relies on it
                log.error("refused an authenticated activity without a caller id")
                return _json_error(500, "internal error")
        if self._allowed_tenants:
            tenant = tenant_of(activity) or None
            if tenant not in self._allowed_tenants:
                log.warning("refused an activity from tenant %r (conversation %r): not in the "
                            "allowed tenants", tenant, activity.conversation.id)
                return _json_error(403, "tenant not allowed")

        try:
            answer = await self.process_activity(auth, activity, bot.on_turn)
        except Exception:  # outside the turn (its errors go to _on_error): a bug of ours
            log.exception("could not process activity %r", activity.id)
            return _json_error(500, "internal error")
        if answer:
            return invoke_response(answer)
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
        lang = choose_language(activity.locale, None)
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
