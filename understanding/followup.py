"""Follow-ups: a question completed from the previous turn.

"och HR?" / "and for Stab?" / "entä HR?" keep the previous question and replace its subject;
"bara för Stab" / "only for IT" narrow the previous list; "visa fler" / "more" / "lisää" turn
its page; "den andra" / "the second one" / "toinen" open that item of its list; "som text" /
"as text" / "tekstinä" give it again as text. A context older than CONTEXT_TTL is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from understanding.question import AssignmentFilter, Form, Intent, Question

CONTEXT_TTL = timedelta(minutes=30)
_FOLLOW_UPS = (Intent.MORE, Intent.PREVIOUS, Intent.NTH, Intent.AS_TEXT)
# What a follow-up can carry over from an earlier question: answers, not commands.
_CARRIES = (Intent.ASSIGNMENTS, Intent.FINANCE, Intent.BUDGET, Intent.INDICATORS,
            Intent.SUMMARY, Intent.UNITS, Intent.HELP, Intent.MY_ASSIGNMENTS)


@dataclass(frozen=True)
class Context:
    """What the previous answer showed. `numbers`: the assignment numbers of its list in
    display order (the page shown), for "den andra"."""

    question: Question
    numbers: tuple[int, ...] = ()
    page: int = 1
    at: datetime = datetime.min

    def fresh(self, now: datetime) -> bool:
        try:
            return now - self.at <= CONTEXT_TTL
        except TypeError:  # naive against aware: a context from elsewhere is not ours
            return False


def resolve(question: Question, context: Context | None, now: datetime) -> Question:
    """The question completed from the context; standalone when there is none (or it is
    stale), and UNKNOWN for a bare follow-up ("visa fler") that has nothing to follow."""
    usable = context is not None and context.fresh(now) and context.question.intent in _CARRIES
    if not usable:
        if question.intent in _FOLLOW_UPS:
            return Question(Intent.UNKNOWN, language=question.language, follow_up=True,
                            confidence=0.0)
        return question.with_(follow_up=False) if question.follow_up else question
    assert context is not None
    previous = context.question.with_(alternatives=(), unmatched=(), follow_up=False,
                                      language=question.language or context.question.language)
    if question.intent is Intent.MORE:
        page = question.page if question.page > 1 else context.page + 1
        return previous.with_(page=page, as_text=question.as_text or previous.as_text)
    if question.intent is Intent.PREVIOUS:
        return previous.with_(page=max(1, context.page - 1))
    if question.intent is Intent.AS_TEXT:
        return previous.with_(as_text=True, page=context.page)
    if question.intent is Intent.NTH:
        return _nth(question, context)
    if question.follow_up:
        return _merge(question, previous)
    return question


def _nth(question: Question, context: Context) -> Question:
    numbers = context.numbers
    n = question.nth or 1
    if not numbers:
        return question
    index = len(numbers) - 1 if n >= 1000 else n - 1
    if not 0 <= index < len(numbers):
        return question  # the dialogs say the list has fewer items
    return Question(Intent.ASSIGNMENTS, Form.DETAIL, language=question.language,
                    filter=AssignmentFilter(numbers=(numbers[index],)),
                    as_text=question.as_text)


def _merge(question: Question, previous: Question) -> Question:
    """The previous question with what the follow-up names put in its place."""
    units = question.units or question.filter.unit_ids
    if previous.intent is Intent.ASSIGNMENTS:
        new = question.filter
        flt = previous.filter
        changes: dict[str, object] = {}
        for name in ("statuses", "forecasts", "kinds", "goal_areas", "words"):
            value = getattr(new, name)
            if value:
                changes[name] = value
        if units:
            changes["unit_ids"] = units
        if new.numbers and question.intent is Intent.ASSIGNMENTS:
            changes["numbers"] = new.numbers
        if new.overdue:
            changes["overdue"] = True
        if new.due_from or new.due_to:
            changes["due_from"], changes["due_to"] = new.due_from, new.due_to
            changes["open_only"] = new.open_only or flt.open_only
        if not changes:
            return question.with_(follow_up=False)
        form = previous.form if previous.form is not Form.DETAIL else Form.LIST
        return previous.with_(filter=replace(flt, **changes), form=form, page=1,  # type: ignore[arg-type]
                              as_text=question.as_text or previous.as_text)
    if previous.intent in (Intent.FINANCE, Intent.BUDGET, Intent.INDICATORS):
        changes = {}
        if units:
            changes["units"] = units
            if previous.intent is Intent.FINANCE:
                changes["form"] = Form.UNIT
                changes["measure"] = None
                changes["balance"] = None
        if question.year is not None:
            changes["year"] = question.year
        if question.years is not None:
            changes["years"] = question.years
        if question.budget_line is not None:
            changes["budget_line"] = question.budget_line
        if question.indicators:
            changes["indicators"] = question.indicators
        if question.judgement is not None:
            changes["judgement"] = question.judgement
        if not changes:
            return question.with_(follow_up=False)
        return previous.with_(page=1, as_text=question.as_text or previous.as_text, **changes)
    return question.with_(follow_up=False)
