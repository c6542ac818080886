"""Follow-ups: a question completed from the previous turn.

"och HR?" / "and for Stab?" / "entä HR?" keep the previous question and replace its subject;
"entä 2026?" / "and 2025?" show another year of the budget just shown;
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
    display order (the page shown), for "den andra"; `units`: the units it showed in order
    (a ranking, "which units …"), for "hur ser dess prognos ut?"."""

    question: Question
    numbers: tuple[int, ...] = ()
    page: int = 1
    at: datetime = datetime.min
    units: tuple[int, ...] = ()  # the units the answer showed, in order (a ranking's first)

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
        if question.intent is Intent.ASSIGNMENTS and question.form is Form.DETAIL \
                and not question.filter.numbers or _which_of_them(question):
            # "vem ansvarar för det?", "vilka är det?" with nothing before it: nothing to
            # point back to
            return Question(Intent.UNKNOWN, language=question.language, confidence=0.0)
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
    if question.subject_only and not _subject(previous) and previous.intent in (
            Intent.FINANCE, Intent.BUDGET, Intent.INDICATORS) and previous.form in (
            Form.UNIT, Form.DETAIL, Form.LIST, Form.CHANGE):
        # the answer to "which unit?": the question that was waiting for it
        return previous.with_(units=_subject(question), page=1)
    if question.follow_up:
        if not _subject(previous) and context.units:
            # after a ranking, "its" is the unit it put first
            previous = previous.with_(units=context.units[:1])
        return _merge(question, previous)
    return question


def _nth(question: Question, context: Context) -> Question:
    numbers = context.numbers
    n = question.nth or 1
    if not numbers and context.units:  # "den andra" after a ranking: that unit's figures
        index = len(context.units) - 1 if n >= 1000 else n - 1
        if 0 <= index < len(context.units):
            return Question(Intent.FINANCE, Form.UNIT, language=question.language,
                            units=(context.units[index],), as_text=question.as_text)
        return question
    if not numbers:
        return question
    index = len(numbers) - 1 if n >= 1000 else n - 1
    if not 0 <= index < len(numbers):
        return question  # the dialogs say the list has fewer items
    return Question(Intent.ASSIGNMENTS, Form.DETAIL, language=question.language,
                    filter=AssignmentFilter(numbers=(numbers[index],)),
                    as_text=question.as_text)


def _which_of_them(question: Question) -> bool:
    """"vilka är det?": which items, naming nothing."""
    return question.asks_which and question.follow_up and question.filter == AssignmentFilter()


def _subject(question: Question) -> tuple[int, ...]:
    return question.units or question.filter.unit_ids


def _merge(question: Question, previous: Question) -> Question:
    """The previous question with what the follow-up names put in its place."""
    units = _subject(question)
    keep = {"page": 1, "as_text": question.as_text or previous.as_text}
    if question.subject_only:  # "och HR?", "bara för Stab", "entä Näringsliv?"
        if previous.intent is Intent.ASSIGNMENTS:
            form = Form.LIST if previous.form is Form.DETAIL else previous.form
            flt = replace(previous.filter, unit_ids=units,
                          numbers=() if previous.form is Form.DETAIL else previous.filter.numbers)
            return previous.with_(filter=flt, form=form, **keep)
        if previous.intent in (Intent.FINANCE, Intent.BUDGET, Intent.INDICATORS):
            changes: dict[str, object] = {"units": units}
            if previous.intent is Intent.FINANCE:
                changes.update(form=Form.UNIT, measure=None, balance=None)
            return previous.with_(**changes, **keep)
        return question.with_(follow_up=False)
    if _which_of_them(question) and previous.intent is not Intent.ASSIGNMENTS:
        return previous.with_(**keep)  # "vilka är det?" after "går någon enhet back?"
    if question.intent is Intent.ASSIGNMENTS and previous.intent is Intent.ASSIGNMENTS:
        return _merge_filters(question, previous).with_(**keep)
    if question.intent is Intent.BUDGET and previous.intent is Intent.BUDGET:
        # "entä 2026?", "och personalkostnaderna?": the same budget, another year or line
        if question.years:
            when: dict[str, object] = {"years": question.years, "year": None,
                                       "form": Form.CHANGE}
        elif question.year:
            when = {"year": question.year, "years": None, "form": Form.UNIT}
        else:
            when = {}
        return previous.with_(units=units or previous.units,
                              budget_line=question.budget_line or previous.budget_line,
                              **when, **keep)
    if question.intent is Intent.ASSIGNMENTS and question.form is Form.DETAIL \
            and not question.filter.numbers:
        return question.with_(follow_up=False)
    complete = question.intent is Intent.FINANCE and question.form is not Form.UNIT
    if not units and not complete and _subject(previous) and question.intent in (
            Intent.FINANCE, Intent.BUDGET, Intent.INDICATORS, Intent.ASSIGNMENTS):
        # "hur ser dess prognos ut?": another question about the same unit
        if question.intent is Intent.ASSIGNMENTS:
            flt = replace(question.filter, unit_ids=_subject(previous))
            return question.with_(filter=flt, follow_up=False)
        form = Form.UNIT if question.intent is Intent.FINANCE else question.form
        return question.with_(units=_subject(previous), form=form, follow_up=False)
    return question.with_(follow_up=False)


def _merge_filters(question: Question, previous: Question) -> Question:
    new, old = question.filter, previous.filter
    if question.form is Form.DETAIL and not new.numbers:
        # "vem ansvarar för det?": the one assignment just shown
        if len(old.numbers) == 1:
            return question.with_(filter=AssignmentFilter(numbers=old.numbers), follow_up=False)
        return question.with_(follow_up=False)
    changes: dict[str, object] = {}
    for name in ("unit_ids", "statuses", "forecasts", "kinds", "goal_areas", "words",
                 "numbers"):
        if getattr(new, name):
            changes[name] = getattr(new, name)
    # a state replaces a state: "försenade" → "och de slutförda?" is no longer overdue
    if new.statuses or new.open_only:
        changes["overdue"] = new.overdue
        changes["open_only"] = new.open_only
    if new.overdue:
        changes.update(overdue=True, statuses=(), open_only=False)
    if new.due_from or new.due_to:
        changes.update(due_from=new.due_from, due_to=new.due_to,
                       open_only=new.open_only or old.open_only)
    form = question.form if question.form in (Form.COUNT, Form.DETAIL) else (
        Form.LIST if previous.form is Form.DETAIL or question.asks_which else previous.form)
    return previous.with_(filter=replace(old, **changes), form=form)  # type: ignore[arg-type]
