"""Status updates: open the update card, list my assignments, save a submission."""

from __future__ import annotations

from cards import assignments as assignment_cards
from cards import update as update_cards
from cards.elements import escape
from cards.texts import t
from dialogs.answers import Answer
from dialogs.commands import Ask, Permission, command
from storage import queries
from storage.db import session
from storage.roles import Principal, is_admin, managed_unit_ids, may_update, unit_managers
from storage.updates import Refusal, UpdateRefused, apply_update, parse_submission
from understanding.question import Form, Intent


def _numbers(ask: Ask) -> list[int]:
    """The assignment(s) a question or a submission is about (numbers in the organisation)."""
    if ask.payload is not None:
        raw = ask.payload.get("assignment_id")
        ok = isinstance(raw, int | str) and not isinstance(raw, bool) and str(raw).isdigit()
        return [int(raw)] if ok and 0 < int(raw) < 2**31 else []
    return list(ask.question.filter.numbers)


def _target(ask: Ask) -> list[queries.AssignmentView]:
    numbers = _numbers(ask)
    with session(ask.engine, ask.org_id) as s:
        if len(numbers) == 1 and ask.question.filter.words == ():
            found = queries.get_assignment(s, ask.org_id, numbers[0])
            return [found] if found else []
        if ask.payload is not None or ask.question.filter.empty:
            return []
        return queries.assignments(s, ask.org_id, ask.question.filter, ask.today, limit=30)


def _not_allowed(ask: Ask, a: queries.AssignmentView, managers: list[str]) -> Answer:
    who = (t(ask.lang, "managers_list", names=", ".join(managers)) if managers
           else t(ask.lang, "no_managers"))
    return Answer(t(ask.lang, "not_allowed_update", title=a.title, unit=a.unit, managers=who),
                  extra={"refused": Refusal.NOT_ALLOWED})


def _managers(ask: Ask, unit_id: int) -> list[str]:
    with session(ask.engine, ask.org_id) as s:
        return [m.user_name or m.user_id for m in unit_managers(s, ask.org_id, unit_id)]


def _refuse(ask: Ask) -> Answer:
    """Without any update role: say who could do it instead."""
    found = _target(ask)
    if len(found) != 1:
        return Answer(t(ask.lang, "not_allowed_generic"),
                      extra={"refused": Refusal.NOT_ALLOWED})
    return _not_allowed(ask, found[0], _managers(ask, found[0].unit_id))


@command(Intent.UPDATE, permission=Permission.UPDATE, refusal=_refuse)
def update(ask: Ask) -> Answer:
    found = _target(ask)
    if not found:
        what = " ".join(ask.question.filter.words) or " ".join(
            f"#{n}" for n in ask.question.filter.numbers) or "?"
        return Answer(t(ask.lang, "no_match", words=what))
    if len(found) > 1:
        title = t(ask.lang, "choose_to_update")
        page = queries.AssignmentPage(len(found), 1, len(found), 0, found)
        return Answer(assignment_cards.list_text(ask.lang, title, page, ask.today),
                      assignment_cards.list_card(ask.lang, title, page, ask.today),
                      listed=tuple(a.number for a in found),
                      question=ask.question.with_(intent=Intent.ASSIGNMENTS, form=Form.LIST))
    a = found[0]
    with session(ask.engine, ask.org_id) as s:
        allowed = may_update(s, ask.org_id, ask.user_id, a.unit_id)
    if not allowed:
        return _not_allowed(ask, a, _managers(ask, a.unit_id))
    return Answer(update_cards.update_text(ask.lang, a),
                  update_cards.update_card(ask.lang, a, ask.today), listed=(a.number,))


@command(Intent.MY_ASSIGNMENTS, permission=Permission.UPDATE,
         refusal=lambda ask: Answer(t(ask.lang, "my_assignments_none")))
def my_assignments(ask: Ask) -> Answer:
    with session(ask.engine, ask.org_id) as s:
        units = managed_unit_ids(s, ask.org_id, ask.user_id)
        if not units and is_admin(s, ask.org_id, ask.user_id):
            return Answer(t(ask.lang, "my_assignments_admin"))
        found = queries.assignments_of_units(s, ask.org_id, units)
    title = t(ask.lang, "my_assignments_title")
    page = queries.AssignmentPage(len(found), 1, max(1, len(found)), 0,
                                  found[:assignment_cards.PAGE_SIZE])
    return Answer(assignment_cards.list_text(ask.lang, title, page, ask.today),
                  assignment_cards.list_card(ask.lang, title, page, ask.today),
                  listed=tuple(a.number for a in page.items))


INVALID_TEXT = {
    "status": "invalid_status",
    "forecast": "invalid_forecast",
    "due_date": "invalid_due_date",
    "comment_required": "invalid_comment_required",
    "comment_length": "invalid_comment_length",
}


@command(Intent.SUBMIT_UPDATE, permission=Permission.UPDATE, refusal=_refuse)
def submit_update(ask: Ask) -> Answer:
    """Save what the update card sent. Any refusal writes nothing and says why."""
    try:
        request = parse_submission(ask.org_id, ask.payload, Principal(ask.user_id,
                                                                      ask.user_name),
                                   ask.activity_key)
        result = apply_update(ask.engine, request)
    except UpdateRefused as refused:
        if refused.refusal is Refusal.NOT_ALLOWED:
            found = _target(ask)
            if found:
                return _not_allowed(ask, found[0], refused.managers)
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
    # The card escapes the notice; the message's text (it names the title) must too.
    return Answer(escape(notice), update_cards.updated_card(ask.lang, a, ask.today, notice,
                                                            ask.user_id),
                  extra={"stale": result.stale})

