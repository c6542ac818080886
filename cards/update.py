"""The update card (inputs, Action.Execute with an Action.Submit fallback) and the
read-only card that replaces it once saved."""

from __future__ import annotations

from datetime import date

from cards.assignments import assignment_card
from cards.elements import (
    Card,
    Element,
    card,
    facts,
    heading,
    shorten,
    subtle,
    summary,
    text,
)
from cards.texts import day, describe_changes, forecast_label, status_label, t
from storage.domain import Forecast, Status
from storage.queries import AssignmentView

UPDATE_VERB = "updateStatus"
REFRESH_VERB = "refreshAssignment"


def _choices(lang: str, values: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"title": title, "value": value} for value, title in values]


def update_card(lang: str, a: AssignmentView, today: date) -> Card:
    latest = a.latest_comment
    current = [
        (t(lang, "status"), status_label(lang, a.status)),
        (t(lang, "forecast"), forecast_label(lang, a.forecast)),
        (t(lang, "due"), day(a.due_date, lang)),
        (t(lang, "unit"), a.unit),
    ]
    if latest:
        current.append((t(lang, "latest_comment"),
                        f"{day(latest.day, lang)}: {shorten(latest.text, 400)}"))
    inputs: list[Element] = [
        {
            "type": "Input.ChoiceSet",
            "id": "status",
            "label": t(lang, "new_status"),
            "style": "expanded",
            "value": a.status.value,
            "isRequired": True,
            "errorMessage": t(lang, "invalid_status"),
            "choices": _choices(lang, [(s.value, status_label(lang, s)) for s in Status
                                       if s is not Status.NOT_REPORTED or s is a.status]),
        },
        {
            "type": "Input.ChoiceSet",
            "id": "forecast",
            "label": t(lang, "new_forecast"),
            "style": "expanded",
            "value": a.forecast.value,
            "isRequired": True,
            "errorMessage": t(lang, "invalid_forecast"),
            "choices": _choices(lang, [(f.value, forecast_label(lang, f)) for f in Forecast
                                       if f is not Forecast.NOT_REPORTED or f is a.forecast]),
        },
        {"type": "Input.Date", "id": "due_date", "label": t(lang, "new_due")},
        {
            "type": "Input.Text",
            "id": "comment",
            "label": t(lang, "new_comment"),
            "placeholder": t(lang, "comment_placeholder"),
            "isMultiline": True,
            "maxLength": 4000,
        },
    ]
    data = {"assignment_id": a.number, "version": a.version}
    save = {
        "type": "Action.Execute",
        "title": t(lang, "save"),
        "verb": UPDATE_VERB,
        "data": data,
        "style": "positive",
        # Clients without Universal Actions send the same inputs as a message instead.
        "fallback": {"type": "Action.Submit", "title": t(lang, "save"),
                     "data": {**data, "verb": UPDATE_VERB}},
    }
    body: list[Element] = [
        subtle(t(lang, "update_title")),
        heading(a.title),
        text(t(lang, "update_current"), weight="Bolder"),
        facts(current),
        *inputs,
    ]
    return card(body, [save])


def update_text(lang: str, a: AssignmentView) -> str:
    """The plain-text summary sent with the update card."""
    return summary(f"{t(lang, 'update_title')}: #{a.number} {a.title}")


def saved_text(lang: str, a: AssignmentView, changes: str) -> str:
    """What an update changed, as a plain sentence: the updated card shows it (escaped, as
    every text on a card); sent as a message's text, it must be escaped too."""
    described = describe_changes(lang, changes)
    # The sentence ends with its own full stop; titles often end with one too.
    return t(lang, "saved", title=a.title.rstrip("."), changes=f": {described}" if described
             else t(lang, "no_changes"))


def updated_card(lang: str, a: AssignmentView, today: date, notice: str,
                 author_id: str = "") -> Card:
    """The assignment as it is now, read-only, with what happened on top. For its author,
    Teams refreshes it (Universal Actions) so a later change by someone else shows."""
    result = assignment_card(lang, a, today)
    result["body"] = [text(notice, weight="Bolder", color="Good"), *result["body"]]
    if author_id:
        result["refresh"] = {
            "action": {"type": "Action.Execute", "verb": REFRESH_VERB,
                       "data": {"assignment_id": a.number}},
            "userIds": [author_id],
        }
    return result
