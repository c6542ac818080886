"""Indicator news for a conversation's digest: values that are new, and indicators that
turned negative, since the conversation's last digest (or since it subscribed). What a
digest told is kept per conversation and indicator (IndicatorSeen), recorded only once the
digest went out, so a failed send tells the same news again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, delete, select

from storage import indicators as rules
from storage.domain import Judgement
from storage.models import IndicatorSeen
from storage.queries import IndicatorView


@dataclass(frozen=True)
class Seen:
    """An indicator as a digest last told it: its latest value and the judgement."""

    year: int | None
    total: str
    judgement: str


@dataclass(frozen=True)
class IndicatorNews:
    new_values: list[IndicatorView] = field(default_factory=list)
    turned_negative: list[IndicatorView] = field(default_factory=list)
    # The state to record once the digest is sent: every indicator the conversation follows.
    state: dict[int, Seen] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.new_values or self.turned_negative)


def seen_now(i: IndicatorView) -> Seen:
    now = rules.latest(i)
    judgement = rules.judgement(i)
    return Seen(now.year if now else None, str(now.total) if now else "",
                judgement.value if judgement else "")


def followed(views: Sequence[IndicatorView], unit_ids: set[int] | None) -> list[IndicatorView]:
    """The indicators a subscription follows: all (None), or those of its units."""
    return [i for i in views if unit_ids is None or i.unit_id in unit_ids]


def last_seen(s: Session, org: int, conversation_id: str) -> dict[int, Seen]:
    rows = s.exec(select(IndicatorSeen).where(IndicatorSeen.organisation_id == org,
                                              IndicatorSeen.conversation_id == conversation_id))
    return {r.indicator_id: Seen(r.year, r.total, r.judgement) for r in rows}


def news(views: Sequence[IndicatorView], seen: dict[int, Seen]) -> IndicatorNews:
    """Turned negative: judged negative now, not at the last digest. New: any other latest
    value the last digest didn't tell (a new year, a corrected figure, an indicator added
    since; a new indicator judged negative shows its judgement there)."""
    state = {i.id: seen_now(i) for i in views}
    new_values, negative = [], []
    for i in views:
        now, before = state[i.id], seen.get(i.id)
        if before is not None and now.judgement == Judgement.NEGATIVE.value != before.judgement:
            negative.append(i)  # told there only, though its value may be new too
        elif now.year is not None and (before is None or (before.year, before.total)
                                       != (now.year, now.total)):
            new_values.append(i)
    return IndicatorNews(new_values, negative, state)


def record_seen(s: Session, org: int, conversation_id: str, state: dict[int, Seen]) -> None:
    """What the conversation has now been told of these indicators (others keep theirs)."""
    if not state:
        return
    s.exec(delete(IndicatorSeen).where(  # type: ignore[call-overload]
        IndicatorSeen.organisation_id == org, IndicatorSeen.conversation_id == conversation_id,
        IndicatorSeen.indicator_id.in_(list(state))))  # type: ignore[union-attr]
    s.add_all(IndicatorSeen(organisation_id=org, conversation_id=conversation_id,
                            indicator_id=indicator_id, year=v.year, total=v.total,
                            judgement=v.judgement)
              for indicator_id, v in state.items())


def record_baseline(s: Session, org: int, conversation_id: str,
                    views: Sequence[IndicatorView]) -> None:
    """On subscribing with indicators: today's values are known, the first digest tells
    what comes after. What the conversation was already told stays as it is."""
    known = last_seen(s, org, conversation_id)
    record_seen(s, org, conversation_id, {i.id: seen_now(i) for i in views if i.id not in known})
