"""Which organisation a turn belongs to: the one lookup everything uses.

The tenant is `channelData.tenant.id` (Teams), else `conversation.tenantId` (botbuilder
4.17.1 leaves `conversation.tenant_id` empty for Teams: the schema spells it tenantID, so it
lands in additional_properties). In authenticated mode a tenant without an organisation gets
a polite refusal and nothing is written; in local mode (no app id) such a turn belongs to the
default organisation, so the Agents Playground and the Emulator work unchanged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from threading import Lock

from botbuilder.core import InvokeResponse, Middleware, TurnContext
from botbuilder.schema import Activity, ActivityTypes
from sqlalchemy import Engine

from bot.identity import tenant_of
from cards.texts import choose_language, t
from storage import organisations
from storage.db import run, session
from storage.organisations import OrganisationView

log = logging.getLogger("laget.tenancy")
TURN_STATE_KEY = "laget.organisation"


class OrganisationDirectory:
    """Tenant → organisation, cached in the process and refreshed when organisations or
    tenants change in any process (a fingerprint query at most every few seconds)."""

    RECHECK_SECONDS = 2.0

    def __init__(self, engine: Engine, authenticated: bool) -> None:
        self._engine = engine
        self._authenticated = authenticated
        self._lock = Lock()
        self._fingerprint: tuple[int, ...] | None = None
        self._checked = 0.0
        self._by_tenant: dict[str, OrganisationView] = {}
        self._default: OrganisationView | None = None

    def _refresh(self) -> None:
        now = time.monotonic()
        if now - self._checked < self.RECHECK_SECONDS and self._fingerprint is not None:
            return
        with session(self._engine) as s:
            fingerprint = organisations.fingerprint(s)
            if fingerprint != self._fingerprint:
                orgs = organisations.list_organisations(s)
                with self._lock:
                    self._by_tenant = {tenant: o for o in orgs for tenant in o.tenants}
                    self._default = orgs[0] if orgs else None
                    self._fingerprint = fingerprint
        self._checked = now

    def for_tenant(self, tenant_id: str) -> OrganisationView | None:
        """The tenant's organisation; in local mode the default one for any other tenant."""
        self._refresh()
        found = self._by_tenant.get(tenant_id.lower()) if tenant_id else None
        if found is None and not self._authenticated:
            return self._default
        return found

    async def lookup(self, tenant_id: str) -> OrganisationView | None:
        """for_tenant from async code (a database round trip at most every few seconds)."""
        return await run(self._engine, self.for_tenant, tenant_id)

    def by_id(self, organisation_id: int) -> OrganisationView | None:
        self._refresh()
        for org in [*self._by_tenant.values(), self._default]:
            if org is not None and org.id == organisation_id:
                return org
        with session(self._engine) as s:
            return next((o for o in organisations.list_organisations(s)
                         if o.id == organisation_id), None)


def organisation_of(context: TurnContext) -> OrganisationView:
    """The turn's organisation, set by OrganisationMiddleware before any handler runs."""
    return context.turn_state[TURN_STATE_KEY]


class OrganisationMiddleware(Middleware):
    """First in the pipeline: a turn from a tenant without an organisation (authenticated
    mode) is answered with a refusal and goes no further — no reference, no state."""

    def __init__(self, directory: OrganisationDirectory) -> None:
        self._directory = directory

    async def on_turn(self, context: TurnContext,
                      logic: Callable[[], Awaitable[None]]) -> None:
        activity = context.activity
        tenant = tenant_of(activity)
        org = await self._directory.lookup(tenant)
        if org is not None:
            context.turn_state[TURN_STATE_KEY] = org
            await logic()
            return
        log.warning("refused a %s activity from tenant %r: no organisation has it",
                    activity.type, tenant)
        lang = choose_language(activity.locale, None)
        text = t(lang, "unknown_tenant")
        if activity.type == ActivityTypes.message:
            await context.send_activity(text)
        elif activity.type == ActivityTypes.invoke:
            await context.send_activity(Activity(
                type=ActivityTypes.invoke_response,
                value=InvokeResponse(status=200, body={
                    "statusCode": 403, "type": "application/vnd.microsoft.error",
                    "value": {"code": "Forbidden", "message": text}})))
