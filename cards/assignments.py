"""Assignment cards: one assignment, the overdue list (paged), due soon and search hits."""

from __future__ import annotations

from datetime import date

from tabulate import tabulate

from cards.elements import (
    Card,
    Element,
    ask_action,
    card,
    container,
    facts,
    heading,
    subtle,
    text,
    update_action,
)
from cards.texts import day, describe_changes, forecast_label, status_label, t
from storage.queries import AssignmentView, OverduePage

PAGE_SIZE = 8
LIST_LIMIT = 20
COMMENT_PREVIEW = 400


def _shorten(value: str, limit: int = COMMENT_PREVIEW) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _due(lang: str, a: AssignmentView, today: date) -> str:
    late = a.days_overdue(today)
    return day(a.due_date) + (f" ({t(lang, 'days_late', days=late)})" if late else "")


def _item(lang: str, a: AssignmentView, today: date) -> Element:
    items: list[Element] = [
        text(a.title, weight="Bolder"),
        facts(
            [
                (t(lang, "unit"), a.unit),
                (t(lang, "due"), _due(lang, a, today)),
                (t(lang, "status"), status_label(lang, a.status)),
                (t(lang, "forecast"), forecast_label(lang, a.forecast)),
            ]
        ),
    ]
    if c := a.latest_comment:
        said = c.text or describe_changes(lang, c.changes)
        items.append(text(f"{day(c.day)}: {_shorten(said)}", isSubtle=True, size="Small"))
    items.append(
        {"type": "ActionSet",
         "actions": [ask_action(t(lang, "show"), f"status #{a.id}"),
                     update_action(a.id, lang)]}
    )
    return container(items)


def _page(items: list[AssignmentView], page: int) -> tuple[list[AssignmentView], int, int]:
    pages = max(1, -(-len(items) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    first = (page - 1) * PAGE_SIZE
    return items[first : first + PAGE_SIZE], first, page


def overdue_question(lang: str, unit: str | None, page: int) -> str:
    base = "försenade" if lang == "sv" else "overdue"
    scope = (" för " if lang == "sv" else " for ") + unit if unit else ""
    return f"{base}{scope} {'sida' if lang == 'sv' else 'page'} {page}"


def overdue_card(
    lang: str, items: list[AssignmentView], today: date, unit: str | None = None, page: int = 1
) -> Card:
    shown, first, page = _page(items, page)
    return overdue_page_card(
        lang, OverduePage(len(items), page, first, shown, items[0] if items else None), today,
        unit)


def overdue_page_card(lang: str, page: OverduePage, today: date,
                      unit: str | None = None) -> Card:
    """The overdue list, one page at a time; the heading always shows the total."""
    title = t(lang, "overdue_title_unit", unit=unit) if unit else t(lang, "overdue_title")
    body: list[Element] = [heading(f"{title} ({page.total})"),
                           subtle(t(lang, "as_of", today=day(today)))]
    if not page.total:
        body.append(text(overdue_page_text(lang, page, today, unit)))
        return card(body)
    shown, first = page.items, page.first
    body.append(subtle(t(lang, "showing", first=first + 1, last=first + len(shown),
                         total=page.total)))
    body.extend(_item(lang, a, today) for a in shown)
    remaining = page.total - first - len(shown)
    actions = (
        [ask_action(t(lang, "next_page", remaining=remaining),
                    overdue_question(lang, unit, page.page + 1))]
        if remaining
        else None
    )
    return card(body, actions)


def overdue_text(lang: str, items: list[AssignmentView], today: date,
                 unit: str | None = None) -> str:
    return overdue_page_text(
        lang, OverduePage(len(items), 1, 0, items[:PAGE_SIZE], items[0] if items else None),
        today, unit)


def overdue_page_text(lang: str, page: OverduePage, today: date,
                      unit: str | None = None) -> str:
    if not page.total or page.oldest is None:
        if unit:
            return t(lang, "none_overdue_unit", unit=unit, today=day(today))
        return t(lang, "none_overdue", today=day(today))
    title = t(lang, "overdue_title_unit", unit=unit) if unit else t(lang, "overdue_title")
    oldest = page.oldest
    return (
        f"{title}: {page.total} ({t(lang, 'as_of', today=day(today)).lower()}). "
        f"{oldest.title} – {_due(lang, oldest, today)}."
    )


def assignments_table(lang: str, items: list[AssignmentView], today: date) -> str:
    rows = [
        (a.title if len(a.title) <= 60 else a.title[:59] + "…", a.unit, _due(lang, a, today),
         status_label(lang, a.status), forecast_label(lang, a.forecast))
        for a in items
    ]
    headers = [t(lang, "assignment")] + [t(lang, k) for k in ("unit", "due", "status", "forecast")]
    return tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True)


def list_card(lang: str, title: str, items: list[AssignmentView], today: date) -> Card:
    """Due-soon lists and search hits: every item, each with a button to open it."""
    body: list[Element] = [heading(f"{title} ({len(items)})"),
                           subtle(t(lang, "as_of", today=day(today)))]
    shown = items[:LIST_LIMIT]
    if len(items) > len(shown):
        # Say so rather than cut silently; a narrower question shows the rest.
        body.append(subtle(t(lang, "showing", first=1, last=len(shown), total=len(items))))
    body.extend(_item(lang, a, today) for a in shown)
    return card(body)


def assignment_card(lang: str, a: AssignmentView, today: date) -> Card:
    comments: list[Element] = [
        container(
            [
                text(f"{day(c.day)}" + (f" · {c.author}" if c.author else "")
                     + (f" · {describe_changes(lang, c.changes)}" if c.changes else ""),
                     isSubtle=True, size="Small"),
                *([text(c.text, spacing="None")] if c.text else []),
            ],
            separator=False,
        )
        for c in a.comments[:3]
    ] or [text(t(lang, "no_comments"), isSubtle=True)]
    body: list[Element] = [
        subtle(a.kind),
        heading(a.title),
        facts(
            [
                (t(lang, "kind"), a.kind),
                (t(lang, "goal_area"), a.goal_area or "–"),
                (t(lang, "unit"), a.unit),
                (t(lang, "due"), _due(lang, a, today)),
                (t(lang, "status"), status_label(lang, a.status)),
                (t(lang, "forecast"), forecast_label(lang, a.forecast)),
            ]
        ),
        container([text(t(lang, "latest_comments"), weight="Bolder"), *comments]),
    ]
    return card(body, [update_action(a.id, lang)])


def assignment_text(lang: str, a: AssignmentView, today: date) -> str:
    latest = a.latest_comment
    said = (latest.text or describe_changes(lang, latest.changes)) if latest else ""
    comment = f" {t(lang, 'latest_comment')} ({day(latest.day)}): {said}" if latest else ""
    return (
        f"{a.title} – {a.unit}, {t(lang, 'due').lower()} {_due(lang, a, today)}, "
        f"{status_label(lang, a.status)}, {forecast_label(lang, a.forecast)}.{comment}"
    )


def assignment_table(lang: str, a: AssignmentView, today: date) -> str:
    rows = [
        (t(lang, "kind"), a.kind),
        (t(lang, "goal_area"), a.goal_area),
        (t(lang, "unit"), a.unit),
        (t(lang, "due"), _due(lang, a, today)),
        (t(lang, "status"), status_label(lang, a.status)),
        (t(lang, "forecast"), forecast_label(lang, a.forecast)),
    ] + [(f"{day(c.day)} {c.author}".strip(), c.text) for c in a.comments[:3]]
    return a.title + "\n\n" + tabulate(rows, tablefmt="plain", disable_numparse=True,
                                       maxcolwidths=[None, 80])
