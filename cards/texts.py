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
