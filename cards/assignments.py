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
    fit_text,
    heading,
    shorten,
    size,
    subtle,
    summary,
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
# An import may name 50 participating units of 200 characters: the card lists the first.
PARTICIPANTS_PREVIEW = 400


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


def _row(lang: str, a: AssignmentView, today: date, with_comment: bool,
         title_limit: int | None = None) -> Element:
    title = a.title if title_limit is None else shorten(a.title, title_limit)
    unit = a.unit if title_limit is None else shorten(a.unit, max(title_limit // 2, 20))
    items: list[Element] = [
        text(f"#{a.number} · {title}", weight="Bolder"),
        text(f"{unit} · {t(lang, 'due').lower()} {due_words(lang, a, today)} · "
             f"{_state(lang, a)}", isSubtle=True, spacing="None", size="Small",
             color=_colour(a, today)),
    ]
    if with_comment and (c := a.latest_comment):
        items.append(text(_comment_line(lang, c, COMMENT_PREVIEW), size="Small",
                          spacing="None", isSubtle=True))
    return {
        "type": "Container", "separator": True, "spacing": "Small", "items": items,
        "selectAction": ask_action(t(lang, "show"), detail_question(a.number)),
    }


# Shorter and shorter titles for rows that must share the card (the detail card has it whole).
_ROW_TITLE_LIMITS = (400, 200, 100, 50, 20)


def _rows(lang: str, items: list[AssignmentView], today: date, with_comments: bool,
          budget: int) -> list[Element]:
    """Every row of the page within `budget` bytes: comments kept while they fit next to
    the rows still to come; if even the rows without comments don't fit, each row gets its
    share of what is left, its title and unit shortened to fit (a page of long titles: 30
    imported titles of 1 000 characters)."""
    bare = [_row(lang, a, today, False) for a in items]
    still_to_come = sum(size(row) for row in bare)
    if still_to_come <= budget:
        rows, used = [], 0
        for a, plain in zip(items, bare, strict=True):
            still_to_come -= size(plain)
            row = _row(lang, a, today, with_comments) if with_comments else plain
            if used + size(row) + still_to_come > budget:
                row = plain  # long comments: keep the rows, drop them
            rows.append(row)
            used += size(row)
        return rows
    rows, used = [], 0
    for index, (a, row) in enumerate(zip(items, bare, strict=True)):
        share = (budget - used) // (len(items) - index)
        for limit in _ROW_TITLE_LIMITS:
            if size(row) <= share:
                break
            row = _row(lang, a, today, False, limit)
        rows.append(row)
        used += size(row)
    return rows


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
    used = size(body) + 2_000  # the card's own keys and the actions
    body += _rows(lang, page.items, today, with_comments, CARD_BUDGET_BYTES - used)
    actions = []
    if previous is not None and page.page > 1:
        actions.append(ask_action(t(lang, "previous_page"), previous))
    if more is not None and page.remaining:
        actions.append(ask_action(t(lang, "next_page", remaining=page.remaining), more))
    return card(body, actions or None)


def list_text(lang: str, title: str, page: AssignmentPage, today: date) -> str:
    """The notification and card-less form: the count and the first few titles."""
    if not page.total:
        return summary(f"{title}: {t(lang, 'none_found')}")
    names = "; ".join(f"#{a.number} {shorten(a.title, 90)}" for a in page.items[:5])
    more = f" {t(lang, 'and_more', n=page.total - 5)}" if page.total > 5 else ""
    return summary(f"{title} ({page.total}): {names}{more}")


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
    return fit_text(f"{heading_line}\n\n{assignments_table(lang, items, today)}{shown}",
                    t(lang, "text_cut"))


def _detail_facts(lang: str, a: AssignmentView, today: date,
                  participants_limit: int | None = None) -> list[tuple[str, str]]:
    pairs = [
        (t(lang, "number"), f"#{a.number}"),
        (t(lang, "kind"), a.kind),
        (t(lang, "goal_area"), a.goal_area or "–"),
        (t(lang, "unit"), a.unit),
    ]
    if a.participants:
        named = ", ".join(a.participants)
        pairs.append((t(lang, "participants"), named if participants_limit is None
                      else shorten(named, participants_limit)))
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
    body: list[Element] = [subtle(a.kind), heading(a.title),
                           facts(_detail_facts(lang, a, today, PARTICIPANTS_PREVIEW))]
    if a.description:
        body.append(container([text(t(lang, "description"), weight="Bolder"),
                               text(shorten(a.description, DETAIL_COMMENT_PREVIEW))]))
    body.append(container([text(t(lang, "latest_comments"), weight="Bolder"), *comments]))
    actions = [update_action(a.number, t(lang, "update"))]
    if any(len(c.text) > DETAIL_COMMENT_PREVIEW for c in a.comments[:3]) or len(
            a.description) > DETAIL_COMMENT_PREVIEW or len(
            ", ".join(a.participants)) > PARTICIPANTS_PREVIEW:
        actions.append(ask_action(t(lang, "show_all_text"),
                                  detail_question(a.number, as_text=True)))
    return card(body, actions)


def assignment_text(lang: str, a: AssignmentView, today: date) -> str:
    latest = a.latest_comment
    said = (latest.text or describe_changes(lang, latest.changes)) if latest else ""
    comment = (f" {t(lang, 'latest_comment')} ({day(latest.day, lang)}): "
               f"{shorten(said, 300)}") if latest else ""
    return summary(f"#{a.number} {a.title} – {a.unit}, {t(lang, 'due').lower()} "
                   f"{due_words(lang, a, today)}, {status_label(lang, a.status)}, "
                   f"{forecast_label(lang, a.forecast)}.{comment}")


def assignment_table(lang: str, a: AssignmentView, today: date) -> str:
    """Everything about one assignment as text, comments in full (within one message)."""
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
    return fit_text("\n".join(lines).strip(), t(lang, "text_cut"))
