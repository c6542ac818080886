"""A conversation's subscriptions to deadline nudges, within one organisation."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from storage import indicator_news, queries
from storage.models import ConversationRef, Subscription, Unit
from storage.schedule import SubscriptionOptions


@dataclass(frozen=True)
class SubscriptionView:
    id: int
    conversation_id: str
    unit_ids: list[int]
    unit_names: list[str]  # empty = all units
    lead_days: int
    long_lead_days: int
    frequency: str
    weekday: int
    time_of_day: str
    active: bool
    disabled_reason: str
    indicators: bool = False


def _unit_ids(value: str) -> list[int]:
    return [int(v) for v in value.split(",") if v.strip()]


def _names(s: Session, org: int) -> dict[int, str]:
    return dict(s.exec(select(Unit.id, Unit.name).where(Unit.organisation_id == org)).all())


def _view(sub: Subscription, conversation_id: str, names: dict[int, str]) -> SubscriptionView:
    ids = _unit_ids(sub.unit_ids)
    shown = sorted(names.get(i, f"#{i}") for i in ids)
    return SubscriptionView(sub.id, conversation_id, ids, shown,  # type: ignore[arg-type]
                            sub.lead_days, sub.long_lead_days, sub.frequency, sub.weekday,
                            sub.time_of_day, sub.active, sub.disabled_reason, sub.indicators)


def subscribe(s: Session, org: int, conversation_ref_id: int, unit_ids: list[int],
              options: SubscriptionOptions, default_time: str, created_by: str,
              indicators: bool = False) -> tuple[SubscriptionView, bool]:
    """One subscription per conversation and unit set: subscribing again to the same units
    changes its options (and reactivates it) instead of adding a second digest.
    `unit_ids` must be the organisation's (the dialogs resolved them). Returns
    (subscription, created)."""
    names = _names(s, org)
    key = ",".join(str(i) for i in sorted(set(unit_ids) & set(names)))
    row = s.exec(
        select(Subscription).where(Subscription.organisation_id == org,
                                   Subscription.conversation_ref_id == conversation_ref_id,
                                   Subscription.unit_ids == key)
    ).first()
    created = row is None
    if row is None:
        row = Subscription(organisation_id=org, conversation_ref_id=conversation_ref_id,
                           unit_ids=key, created_by=created_by[:300])
    row.lead_days = options.lead_days
    row.long_lead_days = options.long_lead_days
    row.frequency = options.frequency
    row.weekday = options.weekday
    row.time_of_day = options.time_of_day or default_time
    row.indicators = indicators or row.indicators
    row.active = True
    row.disabled_reason = ""
    s.add(row)
    s.flush()
    ref = s.get(ConversationRef, conversation_ref_id)
    if indicators and ref is not None:
        indicator_news.record_baseline(s, org, ref.conversation_id, queries.indicators(s, org))
    return _view(row, ref.conversation_id if ref else "", names), created


def subscriptions_of(s: Session, org: int, conversation_ref_id: int,
                     include_inactive: bool = True) -> list[SubscriptionView]:
    query = select(Subscription).where(Subscription.organisation_id == org,
                                       Subscription.conversation_ref_id == conversation_ref_id)
    if not include_inactive:
        query = query.where(Subscription.active)
    ref = s.get(ConversationRef, conversation_ref_id)
    names = _names(s, org)
    return [_view(sub, ref.conversation_id if ref else "", names)
            for sub in s.exec(query.order_by(Subscription.id))]


def unsubscribe(s: Session, org: int, conversation_ref_id: int,
                subscription_id: int | None = None, reason: str = "unsubscribed") -> int:
    """Ends one (by id) or all of a conversation's active subscriptions; returns how many."""
    query = select(Subscription).where(Subscription.organisation_id == org,
                                       Subscription.conversation_ref_id == conversation_ref_id,
                                       Subscription.active)
    if subscription_id is not None:
        query = query.where(Subscription.id == subscription_id)
    rows = list(s.exec(query))
    for row in rows:
        row.active = False
        row.disabled_reason = reason[:200]
        s.add(row)
    s.flush()
    return len(rows)


def disable_conversation(s: Session, org: int, conversation_id: str, reason: str) -> int:
    """The channel answered 403/404: switch its subscriptions off, with the reason."""
    ref = s.exec(select(ConversationRef).where(ConversationRef.organisation_id == org,
                                               ConversationRef.conversation_id == conversation_id)
                 ).first()
    if ref is None:
        return 0
    ref.active = False
    s.add(ref)
    return unsubscribe(s, org, ref.id, reason=reason)  # type: ignore[arg-type]


@dataclass(frozen=True)
class DueSubscription:
    """An active subscription with where to send it."""

    subscription: SubscriptionView
    conversation_id: str
    tenant_id: str
    reference: str  # ConversationReference JSON


def active_subscriptions(s: Session, org: int) -> list[DueSubscription]:
    rows = s.exec(
        select(Subscription, ConversationRef)
        .join(ConversationRef, ConversationRef.id == Subscription.conversation_ref_id)
        .where(Subscription.organisation_id == org, Subscription.active,
               ConversationRef.active)
        .order_by(Subscription.id)
    )
    names = _names(s, org)
    return [DueSubscription(_view(sub, r.conversation_id, names), r.conversation_id,
                            r.tenant_id, r.reference) for sub, r in rows]
