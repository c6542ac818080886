"""Helpers for the nudge tests: conversations subscribed as the dialogs would subscribe them,
managers with 1:1 chats, and senders that record (or take their time) instead of sending."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from botbuilder.schema import Activity
from sqlalchemy import Engine

from bot.proactive import FAILED, GONE, SENT, Outcome
from storage import conversations, subscriptions
from storage.conversations import ConversationInfo
from storage.db import session
from storage.organisations import OrganisationView
from storage.roles import RoleName, grant
from storage.units import find_unit
from understanding.subscription import parse_subscription

BOT = {"id": "28:laget-bot", "name": "Läget"}


def reference(conversation_id: str, service_url: str, tenant: str, locale: str = "sv-SE",
              conversation_type: str = "channel", user_id: str = "") -> dict[str, Any]:
    """A conversation reference as the middleware stores it."""
    ref: dict[str, Any] = {
        "serviceUrl": service_url, "channelId": "msteams", "locale": locale, "bot": BOT,
        "conversation": {"id": conversation_id, "conversationType": conversation_type,
                         "tenantId": tenant}}
    if user_id:
        ref["user"] = {"id": user_id, "aadObjectId": user_id}
    return ref


def subscribe(engine: Engine, org: OrganisationView, conversation_id: str, text: str = "",
              service_url: str = "http://channel.invalid/", locale: str = "sv-SE") -> int:
    """Subscribe a channel as "prenumerera <text>" would; returns the subscription id."""
    tenant = org.tenants[0] if org.tenants else "tenant-1"
    options = parse_subscription(text)
    with session(engine, org.id) as s, s.begin():
        ref = conversations.record(s, ConversationInfo(
            org.id, conversation_id, "channel", "msteams", service_url, tenant, "",
            reference(conversation_id, service_url, tenant, locale)))
        units = []
        for word in options.unit_words:
            unit = find_unit(s, org.id, word)
            assert unit is not None, word
            units.append(unit.id)
        view, _ = subscriptions.subscribe(s, org.id, ref.id, units, options, org.nudge_time,
                                          "test")
    return view.id


def manager(engine: Engine, org: OrganisationView, user_id: str, unit: str,
            service_url: str = "http://channel.invalid/", locale: str = "sv-SE") -> str:
    """A manager of `unit` with a 1:1 chat with the bot; returns the chat's id."""
    tenant = org.tenants[0] if org.tenants else "tenant-1"
    chat = f"a:personal-{user_id}"
    with session(engine, org.id) as s, s.begin():
        grant(s, org.id, user_id, RoleName.MANAGER, unit, f"Chef {user_id}")
        conversations.record(s, ConversationInfo(
            org.id, chat, conversations.PERSONAL, "msteams", service_url, tenant, user_id,
            reference(chat, service_url, tenant, locale, "personal", user_id)))
    return chat


@dataclass
class Sent:
    conversation_id: str
    activities: list[Activity]
    tenant_id: str
    locale: str


@dataclass
class RecordingSender:
    """Records what would be sent; answers `status` (sent, gone or failed), optionally
    after `delay` seconds per send (a slow channel, rate limits, retries)."""

    status: str = SENT
    delay: float = 0.0
    sent: list[Sent] = field(default_factory=list)
    started: list[str] = field(default_factory=list)

    async def send(self, reference: dict[str, Any], activities: list[Activity],
                   tenant_id: str = "") -> Outcome:
        conversation_id = reference["conversation"]["id"]
        self.started.append(conversation_id)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.status != SENT:
            return Outcome(self.status, 0, 403 if self.status == GONE else 500,
                           "HTTP 403" if self.status == GONE else "HTTP 500",
                           conversation_id)
        self.sent.append(Sent(conversation_id, activities, tenant_id,
                              str(reference.get("locale") or "")))
        return Outcome(SENT, len(activities), conversation_id=conversation_id)

    async def create_personal(self, service_url: str, tenant_id: str, bot: dict[str, Any],
                              user_id: str, activities: list[Activity],
                              channel_id: str = "msteams") -> Outcome:
        return Outcome(FAILED, detail="no 1:1 chat in these tests")

    def to(self, conversation_id: str) -> list[Activity]:
        return [a for s in self.sent if s.conversation_id == conversation_id
                for a in s.activities]

    def conversations(self) -> list[str]:
        return [s.conversation_id for s in self.sent]


def card_of(activity: Activity) -> dict[str, Any]:
    [attachment] = activity.attachments
    return attachment.content
