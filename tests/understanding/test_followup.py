"""Follow-ups completed from the previous turn, and ignored when the context is stale."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from catalogs import catalog

from understanding import CONTEXT_TTL, Context, Form, Intent, Question, Understander, resolve
from understanding.question import AssignmentFilter

U = Understander()
CAT = catalog("norrtalje")
TODAY = date(2025, 9, 15)
NOW = datetime(2025, 9, 15, 10, 0)
IT, HR, STAB = 7, 3, 5


def ask(text: str, context: Context | None = None, now: datetime = NOW) -> Question:
    return U.understand(text, CAT, TODAY, context=context, now=now)


def context_of(text: str, numbers: tuple[int, ...] = (), units: tuple[int, ...] = ()) -> Context:
    return Context(ask(text), numbers, 1, NOW - timedelta(minutes=1), units)


def test_and_for_another_unit_replaces_the_subject() -> None:
    for text in ("och HR?", "and for HR?", "entä HR?"):
        q = ask(text, context_of("prognos för IT"))
        assert (q.intent, q.form, q.units) == (Intent.FINANCE, Form.UNIT, (HR,))
    q = ask("och för IT?", context_of("försenade uppdrag"))
    assert q.intent is Intent.ASSIGNMENTS and q.filter.overdue and q.filter.unit_ids == (IT,)


def test_only_for_narrows_the_list() -> None:
    for text in ("bara för Stab", "only for Stab", "vain Stabin"):
        q = ask(text, context_of("påbörjade uppdrag"))
        assert q.filter.statuses == ("started",) and q.filter.unit_ids == (STAB,)


def test_more_previous_and_pages() -> None:
    ctx = Context(ask("påbörjade uppdrag"), (1, 2), 2, NOW)
    for text in ("visa fler", "more", "next page", "lisää"):
        assert ask(text, ctx).page == 3
    assert ask("föregående", ctx).page == 1
    assert ask("sida 4", ctx).page == 4


def test_nth_opens_that_item() -> None:
    ctx = Context(ask("försenade uppdrag"), (24, 28, 32), 1, NOW)
    for text, number in (("den andra", 28), ("the second one", 28), ("toinen", 28),
                         ("nummer 3", 32), ("den sista", 32),
                         ("vem ansvarar för den tredje?", 32)):
        q = ask(text, ctx)
        assert (q.intent, q.form, q.filter.numbers) == (Intent.ASSIGNMENTS, Form.DETAIL,
                                                        (number,)), text


def test_as_text_repeats_the_previous_question() -> None:
    ctx = context_of("prognos för IT")
    for text in ("som text", "as text", "tekstinä"):
        q = ask(text, ctx)
        assert (q.intent, q.units, q.as_text) == (Intent.FINANCE, (IT,), True)


def test_pointing_back() -> None:
    detail = Context(ask("när ska trygghetskamerorna vara klara?"), (), 1, NOW)
    q = ask("vem ansvarar för det?", detail)
    assert (q.form, q.filter.numbers) == (Form.DETAIL, (6,))
    ranking = Context(ask("vilken enhet har störst överskott?"), (), 1, NOW, (STAB, IT))
    assert ask("show me its forecast", ranking).units == (STAB,)
    state = ask("och hur många är slutförda?", context_of("försenade uppdrag"))
    assert (state.form, state.filter.statuses, state.filter.overdue) == (
        Form.COUNT, ("completed",), False)


def test_stale_or_missing_context() -> None:
    old = Context(ask("prognos för IT"), (), 1, NOW - CONTEXT_TTL - timedelta(seconds=1))
    assert ask("visa fler", old).intent is Intent.UNKNOWN
    assert ask("visa fler").intent is Intent.MORE  # no context given: the bare reading
    assert resolve(ask("visa fler"), None, NOW).intent is Intent.UNKNOWN
    standalone = ask("och HR?", old)
    assert (standalone.intent, standalone.units, standalone.follow_up) == (
        Intent.FINANCE, (HR,), False)
    assert resolve(ask("vem ansvarar för det?"), None, NOW).intent is Intent.UNKNOWN


def test_a_full_question_is_not_a_follow_up() -> None:
    q = ask("vilka uppdrag är slutförda?", context_of("prognos för IT"))
    assert q.intent is Intent.ASSIGNMENTS and q.filter == AssignmentFilter(
        statuses=("completed",))


def test_a_unit_answers_the_question_that_asked_for_one() -> None:
    waiting = Context(ask("vad är prognosen?"), (), 1, NOW)
    assert waiting.question.units == ()
    q = ask("IT", waiting)
    assert (q.intent, q.form, q.units) == (Intent.FINANCE, Form.UNIT, (IT,))


def test_which_are_they_lists_what_was_counted() -> None:
    """"vilka är det?" after a count lists the same items; after a finance answer it is that
    answer again; with nothing before it there is nothing to point at."""
    for count, which in (("Hur många uppdrag avviker från plan?", "vilka är det?"),
                         ("How many assignments are overdue?", "which are they?"),
                         ("How many assignments are overdue?", "which ones?"),
                         ("Hur många uppdrag är försenade?", "vilka då?"),
                         ("kuinka monta tehtävää on myöhässä?", "mitkä ne ovat?")):
        before = ask(count)
        q = ask(which, context_of(count))
        assert (q.intent, q.form) == (Intent.ASSIGNMENTS, Form.LIST), which
        assert q.filter == before.filter
    q = ask("vilka av dem är försenade?", context_of("Hur många nämndinitiativ finns det?"))
    assert q.form is Form.LIST and q.filter.overdue and q.filter.kinds == ("Nämndinitiativ",)
    q = ask("vilka är det?", context_of("Går någon enhet med underskott?"))
    assert (q.intent, q.form) == (Intent.FINANCE, Form.WHICH)
    assert ask("vilka är det?").intent is Intent.UNKNOWN
    # a count stays a count when the follow-up only narrows it
    q = ask("bara för Stab", context_of("Hur många uppdrag är försenade?"))
    assert q.form is Form.COUNT
