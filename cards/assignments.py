"""Assignment cards: any list of assignments (paged, with previous/next), one assignment in
full, and their text forms. Every row shows the assignment's number, which `update #N` uses."""

from __future__ import annotations

from datetime import date

from cards.elements import (
    CARD_BUDGET_BYTES,
    Card,
    Element,
    ask_action,
    card,
    container,
    detail_question,
    escape,
    facts,
    heading,
    shorten,
    size,
    subtle,
    text,
    text_table,
    update_action,
)
from cards.texts import day, describe_changes, forecast_label, status_label, t
from storage.domain import Forecast, Status
from storage.queries import AssignmentPage, AssignmentView, CommentView
from understanding.question import Question

PAGE_SIZE = 30  # a whole demo list on one page; each row is compact
COMMENT_PREVIEW = 160
DETAIL_COMMENT_PREVIEW = 600
# "As text": one message, well under Teams' limit even with long comments.
TEXT_LIMIT = 20_000


def due_words(lang: str, a: AssignmentView, today: date) -> str:
    late = a.days_overdue(today)
    return day(a.due_date, lang) + (f" ({t(lang, 'days_late', n=late)})"
                                    if late else "")


def _state(lang: str, a: AssignmentView) -> str:
    forecast = "" if a.forecast is Forecast.NOT_REPORTED else \
        f" · {forecast_label(lang, a.forecast)}"
    return status_label(lang, a.status) + forecast


def _colour(a: AssignmentView, today: date) -> str:
    if a.overdue(today) or a.forecast is Forecast.DEVIATION:
        return "Attention"
    return "Good" if a.status is Status.COMPLETED else "Default"


def _comment_line(lang: str, c: CommentView, limit: int) -> str:
    said = c.text or describe_changes(lang, c.changes)
    return f"{day(c.day, lang)}: {shorten(said, limit)}"


def _row(lang: str, a: AssignmentView, today: date, with_comment: bool) -> Element:
    """One list item: its number and title, then unit, due date and state (in colour when it
    needs attention) with the latest comment below. Two text blocks: a list card holds 30."""
    meta = (f"{a.unit} · {t(lang, 'due').lower()} {due_words(lang, a, today)} · "
            f"{_state(lang, a)}")
    if with_comment and (c := a.latest_comment):
        meta += "\n" + _comment_line(lang, c, COMMENT_PREVIEW)
    return {
        "type": "Container", "separator": True, "spacing": "Small",
        "items": [text(f"#{a.number} · {a.title}", weight="Bolder"),
                  text(meta, isSubtle=True, spacing="None", size="Small",
                       color=_colour(a, today))],
        "selectAction": ask_action(t(lang, "show"), detail_question(a.number)),
    }


def list_card(lang: str, title: str, page: AssignmentPage, today: date,
              more: Question | None = None, previous: Question | None = None,
              with_comments: bool = True) -> Card:
    """One page of a list; the heading shows the total, the footer where the page is and how
    to get the others, so nothing is ever cut silently. Tap a row to open it."""
    body: list[Element] = [heading(f"{title} ({page.total})"),
                           subtle(t(lang, "as_of", today=day(today, lang)))]
    if page.total > len(page.items):
        body.append(subtle(t(lang, "showing", first=page.first + 1,
                             last=page.first + len(page.items), total=page.total)))
    rows = [_row(lang, a, today, with_comments) for a in page.items]
    if with_comments and size(rows) + size(body) + 2_000 > CARD_BUDGET_BYTES:
        rows = [_row(lang, a, today, False) for a in page.items]  # long comments: drop them
    body.extend(rows)
    actions = []
    if previous is not None and page.page > 1:
        actions.append(ask_action(t(lang, "previous_page"), previous))
    if more is not None and page.remaining:
        actions.append(ask_action(t(lang, "next_page", remaining=page.remaining), more))
    return card(body, actions or None)


def list_text(lang: str, title: str, page: AssignmentPage, today: date) -> str:
    """The notification and card-less form: the count and the first few titles."""
    if not page.total:
        return f"{title}: {t(lang, 'none_found')}"
    names = "; ".join(f"#{a.number} {escape(shorten(a.title, 90))}" for a in page.items[:5])
    more = f" {t(lang, 'and_more', n=page.total - 5)}" if page.total > 5 else ""
    return f"{title} ({page.total}): {names}{more}"


def assignments_table(lang: str, items: list[AssignmentView], today: date) -> str:
    """A text table Teams shows aligned; the title last, whole, on one line."""
    rows = [(f"#{a.number}", a.unit, due_words(lang, a, today), status_label(lang, a.status),
             " ".join(a.title.split())) for a in items]
    headers = ["#", t(lang, "unit"), t(lang, "due"), t(lang, "status"), t(lang, "assignment")]
    return text_table(rows, headers)


def list_table(lang: str, title: str, items: list[AssignmentView], total: int,
               today: date) -> str:
    heading_line = f"**{escape(title)} ({total})**"
    if not items:
        return f"{heading_line}\n\n{t(lang, 'none_found')}"
    shown = f"\n\n{t(lang, 'showing', first=1, last=len(items), total=total)}" \
        if total > len(items) else ""
    return f"{heading_line}\n\n{assignments_table(lang, items, today)}{shown}"


def _detail_facts(lang: str, a: AssignmentView, today: date) -> list[tuple[str, str]]:
    pairs = [
        (t(lang, "number"), f"#{a.number}"),
        (t(lang, "kind"), a.kind),
        (t(lang, "goal_area"), a.goal_area or "–"),
        (t(lang, "unit"), a.unit),
    ]
    if a.participants:
        pairs.append((t(lang, "participants"), ", ".join(a.participants)))
    if a.responsible:
        pairs.append((t(lang, "responsible_person"), a.responsible))
    pairs += [
        (t(lang, "due"), due_words(lang, a, today)),
        (t(lang, "status"), status_label(lang, a.status)),
        (t(lang, "forecast"), forecast_label(lang, a.forecast)),
    ]
    if a.reporting:
        pairs.append((t(lang, "reporting"), a.reporting.replace(";", ", ")))
    return pairs


def assignment_card(lang: str, a: AssignmentView, today: date) -> Card:
    """One assignment in full: facts, description, the latest comments (long ones shortened;
    "show all text" gives them whole), and its Update button."""
    comments: list[Element] = [
        container([
            text(day(c.day, lang) + (f" · {c.author}" if c.author else "")
                 + (f" · {describe_changes(lang, c.changes)}" if c.changes else ""),
                 isSubtle=True, size="Small"),
            *([text(shorten(c.text, DETAIL_COMMENT_PREVIEW), spacing="None")]
              if c.text else []),
        ], separator=False)
        for c in a.comments[:3]
    ] or [text(t(lang, "no_comments"), isSubtle=True)]
    body: list[Element] = [subtle(a.kind), heading(a.title), facts(_detail_facts(lang, a, today))]
    if a.description:
        body.append(container([text(t(lang, "description"), weight="Bolder"),
                               text(shorten(a.description, DETAIL_COMMENT_PREVIEW))]))
    body.append(container([text(t(lang, "latest_comments"), weight="Bolder"), *comments]))
    actions = [update_action(a.number, t(lang, "update"))]
    if any(len(c.text) > DETAIL_COMMENT_PREVIEW for c in a.comments[:3]) or len(
            a.description) > DETAIL_COMMENT_PREVIEW:
        actions.append(ask_action(t(lang, "show_all_text"),
                                  detail_question(a.number, as_text=True)))
    return card(body, actions)


def assignment_text(lang: str, a: AssignmentView, today: date) -> str:
    latest = a.latest_comment
    said = (latest.text or describe_changes(lang, latest.changes)) if latest else ""
    comment = (f" {t(lang, 'latest_comment')} ({day(latest.day, lang)}): "
               f"{escape(shorten(said, 300))}") if latest else ""
    return (f"#{a.number} {escape(a.title)} – {escape(a.unit)}, {t(lang, 'due').lower()} "
            f"{due_words(lang, a, today)}, {status_label(lang, a.status)}, "
            f"{forecast_label(lang, a.forecast)}.{comment}")


def assignment_table(lang: str, a: AssignmentView, today: date) -> str:
    """Everything about one assignment as text, comments in full (bounded by TEXT_LIMIT)."""
    lines = [f"**#{a.number} {escape(a.title)}**", ""]
    lines += [f"{k}: {escape(v)}" for k, v in _detail_facts(lang, a, today)]
    if a.description:
        lines += ["", f"**{t(lang, 'description')}**", escape(a.description)]
    if a.comments:
        lines += ["", f"**{t(lang, 'latest_comments')}**"]
    for c in a.comments[:3]:
        who = f" · {escape(c.author)}" if c.author else ""
        lines += [f"{day(c.day, lang)}{who}", escape(c.text or describe_changes(lang,
                                                                              c.changes)), ""]
    body = "\n".join(lines).strip()
    if len(body) > TEXT_LIMIT:
        body = body[:TEXT_LIMIT - 1] + "…\n\n" + t(lang, "text_cut")
    return body
