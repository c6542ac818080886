"""User-facing words in Swedish and English. Code names stay English."""

from __future__ import annotations

from datetime import date

from storage.domain import FORECAST_LABELS, STATUS_LABELS, Forecast, Status

LANGUAGES = ("sv", "en")

TEXTS: dict[str, dict[str, str]] = {
    "sv": {
        "forecast_title": "Prognos – {unit}",
        "period_subtitle": "Period t.o.m. {period} · belopp i tkr",
        "budget_year": "Budget helår",
        "forecast_year": "Prognos helår",
        "deviation": "Avvikelse budget–prognos",
        "surplus": "överskott",
        "deficit": "underskott",
        "balanced": "i balans",
        "period_actual": "Utfall perioden",
        "of_budget": "av budget {budget}",
        "comment": "Kommentar",
        "no_comment": "Ingen kommentar lämnad.",
        "unit_assignments": "Uppdrag för {unit}",
        "on_plan": "Enligt plan",
        "deviating": "Avvikelse från plan",
        "overdue_count": "Försenade",
        "show_overdue_for": "Försenade uppdrag för {unit}",
        "no_finance": "Det finns inga ekonomisiffror för {unit}.",
        "overdue_title": "Försenade uppdrag",
        "overdue_title_unit": "Försenade uppdrag – {unit}",
        "as_of": "Per {today}",
        "none_overdue": "Inga uppdrag är försenade per {today}.",
        "none_overdue_unit": "{unit} har inga försenade uppdrag per {today}.",
        "showing": "Visar {first}–{last} av {total}",
        "next_page": "Visa fler ({remaining} kvar)",
        "unit": "Ansvarig",
        "due": "Slutdatum",
        "days_late": "{days} dagar försenat",
        "status": "Status",
        "forecast": "Prognos",
        "kind": "Typ",
        "assignment": "Uppdrag",
        "goal_area": "Målområde",
        "latest_comment": "Senaste kommentar",
        "latest_comments": "Senaste kommentarer",
        "no_comments": "Inga kommentarer ännu.",
        "due_soon_title": "Förfaller inom {days} dagar",
        "due_soon_title_unit": "Förfaller inom {days} dagar – {unit}",
        "none_due_soon": "Inga ofärdiga uppdrag förfaller inom {days} dagar.",
        "matches_title": "Uppdrag som matchar ”{words}”",
        "no_match": "Jag hittar inget uppdrag som matchar ”{words}”.",
        "show": "Visa",
        "summary_title": "Sammanställning av uppdrag",
        "summary_subtitle": "Antal per typ och status, enligt plan / avvikelse från plan",
        "total": "Totalt",
        "sum": "Summa",
        "units_title": "Enheter",
        "assignments_n": "{n} uppdrag",
        "has_finance": "ekonomi",
        "help_title": "Det här kan du fråga Läget",
        "help_intro": "Skriv en fråga på svenska eller engelska. Lägg till ”som text” för svar "
        "utan kort.",
        "help_forecast": "Ekonomi: prognos, budget och avvikelse för en enhet",
        "help_overdue": "Försenade uppdrag, för alla eller en enhet",
        "help_due_soon": "Uppdrag som förfaller snart",
        "help_status": "Status för ett uppdrag, med ord ur titeln",
        "help_summary": "Sammanställning av alla uppdrag",
        "help_units": "Vilka enheter som finns",
        "unknown_unit": "Jag hittar ingen enhet som heter ”{text}”.",
        "did_you_mean": "Menade du någon av dessa?",
        "all_units_hint": "Skriv ”enheter” för att se alla.",
        "not_understood": "Jag förstod inte riktigt. Här är vad du kan fråga:",
        "which_unit": "Vilken enhet menar du?",
        "error": "Förlåt, något gick fel hos mig. Försök igen om en stund.",
        "unavailable": "Läget är tillfälligt otillgängligt (databasen svarar inte). Försök igen "
        "om en stund.",
        "update_title": "Uppdatera uppdrag",
        "update_current": "Nu",
        "new_status": "Status",
        "new_forecast": "Prognos för slutförande",
        "new_due": "Nytt slutdatum (valfritt)",
        "new_comment": "Kommentar (krävs vid avvikelse från plan)",
        "comment_placeholder": "Vad har hänt sedan sist?",
        "save": "Spara",
        "update": "Uppdatera",
        "saved": "Sparat: {title}{changes}.",
        "saved_by": "Uppdaterat av {who} {when}",
        "no_changes": " (bara kommentar)",
        "stale": "Obs: kortet du såg var inaktuellt – uppdraget hade ändrats{by} under tiden. "
        "Din uppdatering är sparad ovanpå; så här ser det ut nu.",
        "stale_by": " av {who}",
        "not_allowed_update": "Du kan inte uppdatera ”{title}”: det får {unit}s chefer{managers} "
        "och administratörer göra. Inget sparades.",
        "not_allowed_generic": "Du har ingen roll som låter dig uppdatera uppdrag. Be en "
        "administratör om rollen manager för din enhet.",
        "managers_list": " ({names})",
        "no_managers": " (ingen är registrerad ännu – be en administratör)",
        "not_found_update": "Uppdraget finns inte. Inget sparades.",
        "replayed": "Den här uppdateringen är redan sparad; inget sparades en gång till.",
        "invalid_status": "Ogiltig status. Välj Ej påbörjad, Påbörjad eller Slutförd. "
        "Inget sparades.",
        "invalid_forecast": "Ogiltig prognos. Välj Enligt plan eller Avvikelse från plan. "
        "Inget sparades.",
        "invalid_due_date": "Ogiltigt slutdatum (ÅÅÅÅ-MM-DD). Inget sparades.",
        "invalid_comment_required": "Skriv en kommentar som förklarar avvikelsen från plan. "
        "Inget sparades.",
        "invalid_comment_length": "Kommentaren är för lång (högst 4 000 tecken). "
        "Inget sparades.",
        "invalid_submission": "Jag kunde inte läsa uppdateringen. Inget sparades.",
        "my_assignments_title": "Mina uppdrag",
        "my_assignments_none": "Du är inte registrerad som chef för någon enhet. Be en "
        "administratör om rollen manager för din enhet.",
        "my_assignments_admin": "Du är administratör och kan uppdatera alla uppdrag: skriv "
        "”uppdatera” och ord ur titeln.",
    },
    "en": {
        "forecast_title": "Forecast – {unit}",
        "period_subtitle": "Period to {period} · amounts in SEK thousands",
        "budget_year": "Full-year budget",
        "forecast_year": "Full-year forecast",
        "deviation": "Deviation budget–forecast",
        "surplus": "surplus",
        "deficit": "deficit",
        "balanced": "balanced",
        "period_actual": "Actual for the period",
        "of_budget": "of budget {budget}",
        "comment": "Comment",
        "no_comment": "No comment given.",
        "unit_assignments": "Assignments for {unit}",
        "on_plan": "On plan",
        "deviating": "Deviation from plan",
        "overdue_count": "Overdue",
        "show_overdue_for": "Overdue assignments for {unit}",
        "no_finance": "There are no finance figures for {unit}.",
        "overdue_title": "Overdue assignments",
        "overdue_title_unit": "Overdue assignments – {unit}",
        "as_of": "As of {today}",
        "none_overdue": "No assignments are overdue as of {today}.",
        "none_overdue_unit": "{unit} has no overdue assignments as of {today}.",
        "showing": "Showing {first}–{last} of {total}",
        "next_page": "Show more ({remaining} left)",
        "unit": "Responsible",
        "due": "Due date",
        "days_late": "{days} days overdue",
        "status": "Status",
        "forecast": "Forecast",
        "kind": "Kind",
        "assignment": "Assignment",
        "goal_area": "Goal area",
        "latest_comment": "Latest comment",
        "latest_comments": "Latest comments",
        "no_comments": "No comments yet.",
        "due_soon_title": "Due within {days} days",
        "due_soon_title_unit": "Due within {days} days – {unit}",
        "none_due_soon": "No unfinished assignments are due within {days} days.",
        "matches_title": "Assignments matching “{words}”",
        "no_match": "I can't find an assignment matching “{words}”.",
        "show": "Show",
        "summary_title": "Assignment summary",
        "summary_subtitle": "Count per kind and status, on plan / deviation from plan",
        "total": "Total",
        "sum": "Subtotal",
        "units_title": "Units",
        "assignments_n": "{n} assignments",
        "has_finance": "finance",
        "help_title": "What you can ask Läget",
        "help_intro": "Ask in English or Swedish. Add “as text” for an answer without cards.",
        "help_forecast": "Finance: budget, forecast and deviation for a unit",
        "help_overdue": "Overdue assignments, for everyone or one unit",
        "help_due_soon": "Assignments due soon",
        "help_status": "Status of an assignment, by words of its title",
        "help_summary": "Summary of all assignments",
        "help_units": "Which units there are",
        "unknown_unit": "I can't find a unit called “{text}”.",
        "did_you_mean": "Did you mean one of these?",
        "all_units_hint": "Type “units” to see them all.",
        "not_understood": "I didn't quite get that. Here is what you can ask:",
        "which_unit": "Which unit do you mean?",
        "error": "Sorry, something went wrong on my side. Please try again in a moment.",
        "unavailable": "Läget is temporarily unavailable (the database is not answering). "
        "Please try again in a moment.",
        "update_title": "Update assignment",
        "update_current": "Now",
        "new_status": "Status",
        "new_forecast": "Forecast for completion",
        "new_due": "New due date (optional)",
        "new_comment": "Comment (required for a deviation from plan)",
        "comment_placeholder": "What has happened since last time?",
        "save": "Save",
        "update": "Update",
        "saved": "Saved: {title}{changes}.",
        "saved_by": "Updated by {who} {when}",
        "no_changes": " (comment only)",
        "stale": "Note: the card you saw was out of date – the assignment had been changed{by} "
        "meanwhile. Your update is saved on top; this is how it looks now.",
        "stale_by": " by {who}",
        "not_allowed_update": "You can't update “{title}”: {unit}'s managers{managers} and "
        "admins can. Nothing was saved.",
        "not_allowed_generic": "You have no role that lets you update assignments. Ask an admin "
        "for the manager role for your unit.",
        "managers_list": " ({names})",
        "no_managers": " (none registered yet – ask an admin)",
        "not_found_update": "That assignment doesn't exist. Nothing was saved.",
        "replayed": "This update is already saved; nothing was saved twice.",
        "invalid_status": "Invalid status. Choose Not started, Started or Completed. "
        "Nothing was saved.",
        "invalid_forecast": "Invalid forecast. Choose On plan or Deviation from plan. "
        "Nothing was saved.",
        "invalid_due_date": "Invalid due date (YYYY-MM-DD). Nothing was saved.",
        "invalid_comment_required": "Write a comment explaining the deviation from plan. "
        "Nothing was saved.",
        "invalid_comment_length": "The comment is too long (at most 4,000 characters). "
        "Nothing was saved.",
        "invalid_submission": "I couldn't read that update. Nothing was saved.",
        "my_assignments_title": "My assignments",
        "my_assignments_none": "You're not registered as a manager of any unit. Ask an admin "
        "for the manager role for your unit.",
        "my_assignments_admin": "You're an admin and can update every assignment: type "
        "“update” and words of the title.",
    },
}


def t(lang: str, key: str, **values: object) -> str:
    return TEXTS[lang if lang in TEXTS else "sv"][key].format(**values)


def status_label(lang: str, status: Status) -> str:
    return STATUS_LABELS[lang if lang in STATUS_LABELS else "sv"][status]


def forecast_label(lang: str, forecast: Forecast) -> str:
    return FORECAST_LABELS[lang if lang in FORECAST_LABELS else "sv"][forecast]


def day(value: date | None) -> str:
    return value.isoformat() if value else "–"


_FIELD_LABELS = {
    "sv": {"status": "status", "forecast": "prognos", "due_date": "slutdatum"},
    "en": {"status": "status", "forecast": "forecast", "due_date": "due date"},
}


def _value_label(lang: str, field: str, value: str) -> str:
    if field == "status" and value in Status.__members__.values():
        return status_label(lang, Status(value))
    if field == "forecast" and value in Forecast.__members__.values():
        return forecast_label(lang, Forecast(value))
    return value or "–"


def describe_changes(lang: str, changes: str) -> str:
    """'status: started → completed' → 'status Påbörjad → Slutförd'."""
    parts = []
    for item in filter(None, (c.strip() for c in changes.split(";"))):
        field, _, values = item.partition(":")
        old, _, new = values.strip().partition(" → ")
        label = _FIELD_LABELS.get(lang, _FIELD_LABELS["sv"]).get(field.strip(), field.strip())
        parts.append(f"{label} {_value_label(lang, field.strip(), old)} → "
                     f"{_value_label(lang, field.strip(), new)}")
    return ", ".join(parts)


# --- deadline nudges (cards/nudges.py, dialogs/subscriptions.py) -----------------------------
TEXTS["sv"].update({
    "digest_title": "Läget: uppdrag att hålla koll på",
    "digest_part": "del {part} av {parts}",
    "digest_summary": "{overdue} försenade och {soon} som förfaller snart per {today}.",
    "digest_text": "Påminnelse: {overdue} försenade uppdrag och {soon} som förfaller snart.",
    "due_in": "om {days} dagar",
    "due_today": "i dag",
    "reminder_title": "Dina uppdrag som behöver uppmärksamhet",
    "reminder_intro": "Du är ansvarig chef för de här uppdragen.",
    "reminder_text": "Påminnelse: {n} av dina uppdrag behöver uppmärksamhet.",
    "reason_overdue": "försenat",
    "reason_due_soon": "förfaller snart",
    "reason_stale": "ingen kommentar på över {days} dagar",
    "snooze_week": "Påminn om en vecka",
    "snooze_question": "påminn om en vecka",
    "reminders_off_button": "Stäng av påminnelser",
    "reminders_off_question": "stäng av påminnelser",
    "subscribed_title": "Prenumeration startad",
    "subscribed_updated": "Prenumerationen är ändrad",
    "subscribed_intro": "Den här konversationen får en sammanfattning av försenade uppdrag och "
    "uppdrag som förfaller snart. Inget förfaller – inget meddelande.",
    "sub_units": "Enheter",
    "sub_all_units": "alla enheter",
    "sub_lead": "Ledtid",
    "sub_lead_value": "{lead} dagar ({long} dagar för uppdrag på ett kvartal eller längre)",
    "sub_when": "När",
    "sub_daily": "vardagar kl. {time}",
    "sub_weekly": "varje {weekday} kl. {time}",
    "sub_state": "Läge",
    "sub_active": "aktiv",
    "sub_inactive": "avslutad ({reason})",
    "subscriptions_title": "Prenumerationer i den här konversationen",
    "no_subscriptions": "Den här konversationen har inga prenumerationer. Skriv ”prenumerera” "
    "för att få påminnelser om deadlines här.",
    "unsubscribe_button": "Avsluta #{id}",
    "unsubscribe_question": "avsluta prenumeration #{id}",
    "show_subscriptions": "Visa prenumerationer",
    "show_subscriptions_question": "prenumerationer",
    "unsubscribed": "Prenumerationen är avslutad ({n} st). Skriv ”prenumerera” för att börja "
    "igen.",
    "nothing_to_unsubscribe": "Det fanns ingen aktiv prenumeration att avsluta här.",
    "unknown_units": "Jag hittar inte enheten ”{text}”. Inget ändrades.",
    "bad_subscription": "Jag kunde inte läsa det: {reason}. Inget ändrades. Exempel: "
    "”prenumerera IT, Stab veckovis måndag kl 8”.",
    "no_conversation": "Jag vet inte vilken konversation det här är, så jag kan inte "
    "prenumerera. Försök igen från Teams.",
    "reminders_off": "Personliga påminnelser är avstängda. Skriv ”slå på påminnelser” för att "
    "få dem igen.",
    "reminders_on": "Personliga påminnelser är påslagna.",
    "snoozed": "Okej, jag påminner dig igen tidigast {until}.",
    "welcome_title": "Hej! Jag är Läget",
    "welcome_intro": "Jag kan påminna den här kanalen om uppdrag som är försenade eller "
    "förfaller snart – med en knapp för att uppdatera direkt här.",
    "welcome_how": "Nämn mig och skriv till exempel:",
    "welcome_all": "alla enheter, vardagar kl. 8, 7 dagars ledtid (28 för långa uppdrag)",
    "welcome_some": "bara IT och Stab, på måndagar kl. 9",
    "welcome_list": "visa och avsluta prenumerationer",
})
TEXTS["en"].update({
    "digest_title": "Läget: assignments to keep an eye on",
    "digest_part": "part {part} of {parts}",
    "digest_summary": "{overdue} overdue and {soon} due soon as of {today}.",
    "digest_text": "Reminder: {overdue} overdue assignments and {soon} due soon.",
    "due_in": "in {days} days",
    "due_today": "today",
    "reminder_title": "Your assignments that need attention",
    "reminder_intro": "You are the responsible manager for these assignments.",
    "reminder_text": "Reminder: {n} of your assignments need attention.",
    "reason_overdue": "overdue",
    "reason_due_soon": "due soon",
    "reason_stale": "no comment for over {days} days",
    "snooze_week": "Remind me in a week",
    "snooze_question": "snooze 1 week",
    "reminders_off_button": "Turn reminders off",
    "reminders_off_question": "turn off reminders",
    "subscribed_title": "Subscribed",
    "subscribed_updated": "Subscription changed",
    "subscribed_intro": "This conversation gets a digest of overdue assignments and those due "
    "soon. Nothing due – no message.",
    "sub_units": "Units",
    "sub_all_units": "all units",
    "sub_lead": "Lead time",
    "sub_lead_value": "{lead} days ({long} days for assignments of a quarter or longer)",
    "sub_when": "When",
    "sub_daily": "weekdays at {time}",
    "sub_weekly": "every {weekday} at {time}",
    "sub_state": "State",
    "sub_active": "active",
    "sub_inactive": "ended ({reason})",
    "subscriptions_title": "Subscriptions in this conversation",
    "no_subscriptions": "This conversation has no subscriptions. Type “subscribe” to get "
    "deadline nudges here.",
    "unsubscribe_button": "End #{id}",
    "unsubscribe_question": "unsubscribe #{id}",
    "show_subscriptions": "Show subscriptions",
    "show_subscriptions_question": "subscriptions",
    "unsubscribed": "Unsubscribed ({n}). Type “subscribe” to start again.",
    "nothing_to_unsubscribe": "There was no active subscription to end here.",
    "unknown_units": "I can't find the unit “{text}”. Nothing was changed.",
    "bad_subscription": "I couldn't read that: {reason}. Nothing was changed. Example: "
    "“subscribe IT, Stab weekly on Monday at 8”.",
    "no_conversation": "I don't know which conversation this is, so I can't subscribe it. "
    "Try again from Teams.",
    "reminders_off": "Personal reminders are off. Type “turn on reminders” to get them again.",
    "reminders_on": "Personal reminders are on.",
    "snoozed": "OK, I'll remind you again on {until} at the earliest.",
    "welcome_title": "Hi! I'm Läget",
    "welcome_intro": "I can nudge this channel about assignments that are overdue or due soon "
    "– with a button to update them right here.",
    "welcome_how": "Mention me and type, for example:",
    "welcome_all": "all units, weekdays at 8, 7 days' lead time (28 for long assignments)",
    "welcome_some": "only IT and Stab, on Mondays at 9",
    "welcome_list": "show and end subscriptions",
})
