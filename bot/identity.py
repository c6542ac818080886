"""Who sent an activity, and from which tenant: read in one place."""

from __future__ import annotations

from botbuilder.schema import Activity


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
