"""Who sent an activity, and from which tenant: read in one place.

The rule for users (docs/decisions.md, "Identity"): with authentication on, the bot serves
only Teams (the adapter refuses other channels with 403), and a user is their Entra object id,
`from.aadObjectId`; `from.id` is the channel's own id, which on other channels (Web Chat,
Direct Line) the client chooses, so an admin's object id sent as `from.id` grants nothing.
In local mode (the Emulator, the Agents Playground) there is no authentication anyway, and a
user is `aadObjectId`, else `id`.
"""

from __future__ import annotations

from botbuilder.schema import Activity

TEAMS_CHANNEL = "msteams"


def is_authenticated(activity: Activity) -> bool:
    """Whether the activity came through the Bot Framework's token validation. botbuilder
    writes callerId from the authentication result (CloudAdapterBase.process_activity,
    whatever the client sent): "urn:botframework:azure" for a validated token, None when
    authentication is off. LagetAdapter refuses an authenticated request without one."""
    return activity.caller_id is not None


def user_id_of(activity: Activity, authenticated: bool) -> str:
    """The id roles are granted to (storage.roles); "" for no known user."""
    sender = activity.from_property
    if sender is None:
        return ""
    if authenticated:
        found = sender.aad_object_id if activity.channel_id == TEAMS_CHANNEL else None
    else:
        found = sender.aad_object_id or sender.id
    return found if isinstance(found, str) else ""


def tenant_of(activity: Activity) -> str:
    """Teams puts the tenant in channelData.tenant.id and conversation.tenantId (which
    botbuilder's schema spells tenantID, so it lands in additional_properties)."""
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = channel_data.get("tenant")
    if isinstance(tenant, dict) and isinstance(tenant.get("id"), str):
        return tenant["id"]
    conversation = activity.conversation
    if conversation is None:
        return ""
    extra = getattr(conversation, "additional_properties", None) or {}
    found = conversation.tenant_id or extra.get("tenantId") or extra.get("tenantID")
    return found if isinstance(found, str) else ""
