"""Status updates: open the update card, list my assignments, save a submission."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from botbuilder.schema import Activity
from sqlalchemy import Engine

from bot.understanding import Intent
from cards import assignments as assignment_cards
from cards import update as update_cards
from cards.texts import t
from dialogs.commands import Answer, Ask, Permission, answer, ask_for, command
from storage import queries
from storage.db import run, session
from storage.models import Assignment
from storage.roles import Principal, is_admin, managed_unit_ids, may_update, unit_managers
from storage.updates import Refusal, UpdateRefused, apply_update, parse_submission


def _target(ask: Ask) -> list[queries.AssignmentView]:
    """The assignment(s) a question or submission is about."""
    with session(ask.engine) as s:
        wanted = ask.intent.assignment_id
        if ask.payload is not None:
            raw = ask.payload.get("assignment_id")
            wanted = int(raw) if isinstance(raw, int | str) and str(raw).isdigit() else None
            if wanted is None:
                return []
        if wanted is not None:
            found = queries.get_assignment(s, wanted)
            return [found] if found else []
        return queries.find_assignments(s, ask.intent.subject)


def _not_allowed(ask: Ask, a: queries.AssignmentView, unit: str,
                 managers: list[str]) -> Answer:
    who = (t(ask.lang, "managers_list", names=", ".join(managers)) if managers
           else t(ask.lang, "no_managers"))
    return Answer(t(ask.lang, "not_allowed_update", title=a.title, unit=unit, managers=who),
                  extra={"refused": Refusal.NOT_ALLOWED})


def _refuse(ask: Ask) -> Answer:
    """Without any update role: say who could do it instead."""
    found = _target(ask) if (ask.intent.assignment_id or ask.payload
                             or ask.intent.subject) else []
    if len(found) != 1:
        return Answer(t(ask.lang, "not_allowed_generic"),
                      extra={"refused": Refusal.NOT_ALLOWED})
    a = found[0]
    with session(ask.engine) as s:
        unit_id = s.get(Assignment, a.id).unit_id  # type: ignore[union-attr]
        managers = [m.user_name or m.user_id for m in unit_managers(s, unit_id)]
    return _not_allowed(ask, a, a.unit, managers)


@command("update", permission=Permission.UPDATE, refusal=_refuse)
def update(ask: Ask) -> Answer:
    found = _target(ask)
    if not found:
        return Answer(t(ask.lang, "no_match", words=ask.intent.subject
                        or f"#{ask.intent.assignment_id}"))
    if len(found) > 1:
        title = t(ask.lang, "matches_title", words=ask.intent.subject)
        return Answer(f"{title}: {len(found)}.",
                      assignment_cards.list_card(ask.lang, title, found, ask.today))
    a = found[0]
    with session(ask.engine) as s:
        unit_id = s.get(Assignment, a.id).unit_id  # type: ignore[union-attr]
        if not may_update(s, ask.user_id, unit_id):
            managers = [m.user_name or m.user_id for m in unit_managers(s, unit_id)]
            return _not_allowed(ask, a, a.unit, managers)
    return Answer(f"{t(ask.lang, 'update_title')}: {a.title}",
                  update_cards.update_card(ask.lang, a, ask.today))


@command("my_assignments", permission=Permission.UPDATE, refusal=lambda ask: Answer(
    t(ask.lang, "my_assignments_none")))
def my_assignments(ask: Ask) -> Answer:
    with session(ask.engine) as s:
        units = managed_unit_ids(s, ask.user_id)
        if not units and is_admin(s, ask.user_id):
            return Answer(t(ask.lang, "my_assignments_admin"))
        found = queries.assignments_of_units(s, units)
    title = t(ask.lang, "my_assignments_title")
    return Answer(f"{title}: {len(found)}.",
                  assignment_cards.list_card(ask.lang, title, found, ask.today))


INVALID_TEXT = {
    "status": "invalid_status",
    "forecast": "invalid_forecast",
    "due_date": "invalid_due_date",
    "comment_required": "invalid_comment_required",
    "comment_length": "invalid_comment_length",
}


@command("submit_update", permission=Permission.UPDATE, refusal=_refuse)
def submit_update(ask: Ask) -> Answer:
    """Save what the update card sent. Any refusal writes nothing and says why."""
    try:
        request = parse_submission(ask.payload, Principal(ask.user_id, ask.user_name),
                                   ask.activity_key)
        result = apply_update(ask.engine, request)
    except UpdateRefused as refused:
        if refused.refusal is Refusal.NOT_ALLOWED:
            found = _target(ask)
            if found:
                return _not_allowed(ask, found[0], refused.unit, refused.managers)
            return Answer(t(ask.lang, "not_allowed_generic"), extra={"refused": refused.refusal})
        key = {
            Refusal.NOT_FOUND: "not_found_update",
            Refusal.REPLAYED: "replayed",
        }.get(refused.refusal, INVALID_TEXT.get(refused.field, "invalid_submission"))
        return Answer(t(ask.lang, key), extra={"refused": refused.refusal})
    a = result.assignment
    latest = a.latest_comment
    saved = update_cards.saved_text(ask.lang, a, latest.changes if latest else "")
    notice = saved
    if result.stale:
        by = t(ask.lang, "stale_by", who=result.changed_meanwhile_by) \
            if result.changed_meanwhile_by else ""
        notice = t(ask.lang, "stale", by=by)
    return Answer(notice if result.stale else saved,
                  update_cards.updated_card(ask.lang, a, ask.today, notice, ask.user_id),
                  extra={"stale": result.stale})


async def card_action(
    activity: Activity, verb: str, data: dict[str, Any], *, engine: Engine,
    today: Callable[[], date],
) -> Answer | None:
    """A card's Action.Execute (invoke) or Action.Submit (message); None for unknown verbs."""
    if verb == update_cards.UPDATE_VERB:
        intent = Intent("submit_update")
    elif verb == update_cards.REFRESH_VERB:
        raw = data.get("assignment_id")
        if not (isinstance(raw, int) or (isinstance(raw, str) and raw.isdigit())):
            return None
        intent = Intent("status", assignment_id=int(raw))
        data = {}
    else:
        return None
    ask = ask_for(activity, intent, engine, today(), payload=data or None)
    return await run(engine, answer, ask)
