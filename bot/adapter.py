"""The CloudAdapter, hardened at the HTTP edge.

Differences from botbuilder-integration-aiohttp 4.17.1's CloudAdapter.process:
- malformed requests get a 4xx with a short JSON reason instead of a 500;
- invoke responses are serialised once (4.17.1 serialises a dict body again → HTTP 500);
- an error in a turn is logged with its traceback and the user gets a short apology.
"""

from __future__ import annotations

import json
import logging
import traceback
from types import SimpleNamespace

from aiohttp import web
from botbuilder.core import Bot, ConversationState, TurnContext
from botbuilder.core.serializer_helper import serializer_helper
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity, ActivityTypes
from msrest.serialization import Model

from bot.understanding import reply_language
from cards.texts import t
from config import Settings

log = logging.getLogger("laget.adapter")

MAX_BODY_BYTES = 256 * 1024


def _bad_request(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


class LagetAdapter(CloudAdapter):
    def __init__(self, settings: Settings, conversation_state: ConversationState) -> None:
        auth_config = SimpleNamespace(
            APP_ID=settings.app_id,
            APP_PASSWORD=settings.app_password,
            APP_TYPE=settings.app_type,
            APP_TENANTID=settings.app_tenant_id,
        )
        super().__init__(ConfigurationBotFrameworkAuthentication(auth_config))
        self._conversation_state = conversation_state
        self.on_turn_error = self._on_error

    async def process(self, request: web.Request, bot: Bot, ws_response=None) -> web.Response:  # type: ignore[no-untyped-def, override]
        if request.method != "POST":
            return _bad_request(405, "only POST is supported")
        if "application/json" not in request.headers.get("Content-Type", ""):
            return _bad_request(415, "Content-Type must be application/json")
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return _bad_request(413, "activity too large")
        raw = await request.content.read(MAX_BODY_BYTES + 1)
        if len(raw) > MAX_BODY_BYTES:
            return _bad_request(413, "activity too large")
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return _bad_request(400, "body is not valid JSON")
        if not isinstance(body, dict) or not isinstance(body.get("type"), str):
            return _bad_request(400, "body must be an activity object with a 'type'")
        try:
            activity = Activity().deserialize(body)
        except Exception:  # msrest raises several types for ill-typed fields
            return _bad_request(400, "activity has fields of the wrong type")
        if not activity.service_url or not activity.conversation or not activity.conversation.id:
            return _bad_request(400, "activity needs serviceUrl and conversation.id")
        auth_header = request.headers.get("Authorization", "")
        try:
            invoke_response = await self.process_activity(auth_header, activity, bot.on_turn)
        except PermissionError:
            return _bad_request(401, "unauthorized")
        if invoke_response:
            data = invoke_response.body
            if isinstance(data, Model):
                data = serializer_helper(data)
            return web.json_response(data=data, status=invoke_response.status)
        return web.Response(status=201)

    async def _on_error(self, context: TurnContext, error: Exception) -> None:
        log.error(
            "turn failed: %s\n%s",
            error,
            "".join(traceback.format_exception(type(error), error, error.__traceback__)),
        )
        activity = context.activity
        if activity.type == ActivityTypes.message:
            lang = reply_language(activity.locale, None)
            try:
                await context.send_activity(t(lang, "error"))
            except Exception:
                log.exception("could not send the apology")
        try:
            # A half-finished dialog would fail the same way next turn; start over.
            await self._conversation_state.delete(context)
        except Exception:
            log.exception("could not clear conversation state")
